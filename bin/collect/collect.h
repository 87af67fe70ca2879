/*
 * ia-collect's parts, private to it.
 *
 * input.c reads --input, the job's requests, again as ia-submit read them
 * (the same -t, -m, --system, --webhook-id and -e, as --input-filter), so
 * that the custom_ids it assigns are those submitted.
 */
#ifndef COLLECT_H
#define COLLECT_H

#include "ia.h"

struct collect_input {
	const char	*path;		/* --input, or NULL */
	struct ia_input	 in;		/* how it is read: ia-submit's options */
	const char	*opt;		/* the first of those given, for a message */
	size_t		 max_line;
	bool		 quiet;		/* -q: no note of lines that gave no request */
};

/* -t, -m, --system, --webhook-id or --input-filter (as -e) named name. */
void	 collect_input_option(struct collect_input *, int, const char *,
	    const char *);
/* After the options: check that they go together; exit 2 if not. */
void	 collect_input_check(struct collect_input *);
/*
 * Read --input whole: fn(arg, item) on each item, which fn takes over.  A
 * file of which no line is a request is a usage error; some: a note.
 */
void	 collect_input_read(struct collect_input *,
	    void (*)(void *, struct ia_item *), void *);

#endif /* COLLECT_H */
