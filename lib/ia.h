/*
 * libia: the library shared by the ia tools.
 *
 * Ownership follows jq's jv.h: every function taking a jv consumes it;
 * jv_copy() what you keep.  Library code returns errors; it never prints
 * or exits.
 */
#ifndef IA_H
#define IA_H

#include <stdarg.h>
#include <stddef.h>

#include <jv.h>

#define IA_VERSION	"0.1.0"

/* buf.c: a growable byte buffer, always NUL-terminated. */
struct ia_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

int	 ia_buf_add(struct ia_buf *, const void *, size_t);
int	 ia_buf_adds(struct ia_buf *, const char *);
int	 ia_buf_addf(struct ia_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*ia_buf_steal(struct ia_buf *);
void	 ia_buf_free(struct ia_buf *);

/* duration.c: "1.5", "500ms", "2s", "2m", "72h", "1d" -> seconds. */
int	 ia_duration_parse(const char *, double *);

/* request.c: what kind of completion a request body is, and whether it is one. */
enum ia_kind {
	IA_KIND_NONE,
	IA_KIND_CHAT,
	IA_KIND_TEXT
};

enum ia_kind	 ia_request_kind(jv);
const char	*ia_request_kind_name(enum ia_kind);
int		 ia_request_check(jv, enum ia_kind, char *, size_t);

#endif /* IA_H */
