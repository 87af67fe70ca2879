#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

#define READ_CHUNK	(64u << 10)	/* bytes asked of one read() */
#define IDS_MIN_CAP	16

/*
 * The reader.  Its buffer holds at most the unread part of one line of
 * max_line bytes (plus a '\r'), one chunk just read and a NUL, so memory
 * follows --max-line, not the size of the input: ia_reader_fill() reads
 * nothing while a whole line or an over-long one is waiting for
 * ia_reader_next(), and the bytes of an over-long line are dropped as they
 * are read.
 *
 * r->skipped is the length so far of the line being read: inside an
 * over-long line, the bytes dropped; otherwise the unread bytes already
 * searched for a newline without finding one, so that a long line arriving
 * in many chunks is searched once, not once per chunk.
 */
void
ia_reader_init(struct ia_reader *r, int fd, size_t max_line)
{
	struct stat	 st;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (max_line == 0)
		max_line = IA_DEFAULT_MAX_LINE;
	/* So that the sums below cannot overflow; no line is that long. */
	if (max_line > SIZE_MAX / 4)
		max_line = SIZE_MAX / 4;
	r->max_line = max_line;
	/*
	 * A pipe or a terminal must never stall the event loop, but O_NONBLOCK
	 * would be shared with every process on the same open file (a terminal
	 * is often stdin, stdout and stderr at once) and outlive us: instead,
	 * ia_reader_fill() asks poll(2) first.  A regular file never blocks.
	 */
	r->pollable = !(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
}

/*
 * Room for one more chunk and a NUL.  Growth doubles, so that a long line
 * read in chunks costs amortised linear time, but stops at the most the
 * reader ever needs rather than overshooting it by up to a factor of two.
 */
static int
reader_reserve(struct ia_reader *r)
{
	struct ia_buf	*b = &r->buf;
	size_t		 need, cap, limit;
	char		*p;

	need = b->len + READ_CHUNK + 1;
	if (need <= b->cap)
		return 0;
	limit = r->max_line + 1 + READ_CHUNK + 1;
	cap = b->cap > 0 ? b->cap : READ_CHUNK;
	while (cap < need)
		cap *= 2;
	if (cap > limit && need <= limit)
		cap = limit;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* The first newline in the unread bytes, or NULL; remembers how far it went. */
static const char *
reader_newline(struct ia_reader *r)
{
	size_t	 avail = r->buf.len - r->off;
	char	*nl;

	if (r->skipped >= avail)
		return NULL;
	nl = memchr(r->buf.data + r->off + r->skipped, '\n', avail - r->skipped);
	if (nl == NULL)
		r->skipped = avail;
	return nl;
}

/*
 * One read() of up to READ_CHUNK bytes.  Returns 1 when ia_reader_next()
 * has something new to look at: bytes were read, input ended (r->eof is
 * then set; a later call returns 1 again without reading), or a whole or an
 * over-long line is already buffered (then nothing is read, which is what
 * bounds memory when the caller is not taking lines yet).  Returns 0 when
 * no bytes are there yet (EAGAIN, EWOULDBLOCK) or the read was interrupted
 * (EINTR), and -1 with errno on an error.
 */
int
ia_reader_fill(struct ia_reader *r)
{
	struct ia_buf	*b = &r->buf;
	size_t		 avail, rest;
	ssize_t		 n;
	char		*start, *nl;

	if (r->eof)
		return 1;
	avail = b->len - r->off;
	if (!r->skipping && (avail > r->max_line + 1 || reader_newline(r) != NULL))
		return 1;

	/* Compact: the unread part, at most one partial line, moves to the front. */
	if (r->off > 0) {
		if (avail > 0)
			memmove(b->data, b->data + r->off, avail);
		b->len = avail;
		r->off = 0;
		b->data[b->len] = '\0';
	}
	if (reader_reserve(r) == -1)
		return -1;

	if (r->pollable) {
		struct pollfd	 pfd = { r->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 0) <= 0)
			return 0;
	}
	start = b->data + b->len;
	n = read(r->fd, start, READ_CHUNK);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	if (n == 0) {
		r->eof = true;
		return 1;
	}

	/* Inside an over-long line: drop its bytes up to and with the newline. */
	if (r->skipping) {
		if ((nl = memchr(start, '\n', (size_t)n)) == NULL) {
			r->skipped += (size_t)n;
			return 1;
		}
		r->skipping = false;
		r->skipped = 0;
		rest = (size_t)n - (size_t)(nl - start) - 1;
		memmove(start, nl + 1, rest);
		n = (ssize_t)rest;
	}
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return 1;
}

static bool
blank(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * The next non-blank line.  An over-long line is reported as soon as it is
 * known to be one, with its line number, and the rest of it is then dropped
 * by ia_reader_fill() as it arrives; its text is NULL and its len 0.
 */
enum ia_line_status
ia_reader_next(struct ia_reader *r, struct ia_line *line)
{
	struct ia_buf	*b = &r->buf;
	const char	*s, *nl;
	size_t		 avail, len;

	line->text = NULL;
	line->len = 0;
	line->lineno = r->lineno;
	for (;;) {
		if (r->skipping) {
			/* ia_reader_fill() drops its bytes; only the end is news. */
			r->off = b->len;
			if (!r->eof)
				return IA_LINE_NONE;
			r->skipping = false;
			r->skipped = 0;
		}
		avail = b->len - r->off;
		s = b->data != NULL ? b->data + r->off : "";
		if ((nl = reader_newline(r)) != NULL)
			len = (size_t)(nl - s);
		else if (avail > r->max_line + 1 ||
		    (avail == r->max_line + 1 && s[avail - 1] != '\r')) {
			/* Longer than max_line whatever ends it. */
			r->lineno++;
			r->skipping = true;
			r->skipped = avail;
			r->off = b->len;
			line->lineno = r->lineno;
			return IA_LINE_TOO_LONG;
		} else if (!r->eof)
			return IA_LINE_NONE;
		else if (avail == 0)
			return IA_LINE_EOF;
		else
			len = avail;	/* the last line, without a newline */

		r->off += nl != NULL ? len + 1 : len;
		r->skipped = 0;
		r->lineno++;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len > r->max_line) {
			line->lineno = r->lineno;
			return IA_LINE_TOO_LONG;
		}
		if (blank(s, len))
			continue;
		line->text = s;
		line->len = len;
		line->lineno = r->lineno;
		return IA_LINE_OK;
	}
}

/* The buffer only: the fd is the caller's. */
void
ia_reader_free(struct ia_reader *r)
{
	ia_buf_free(&r->buf);
	r->off = 0;
}

/*
 * One record, one line, one fwrite() and a flush, so that whoever reads the
 * output (or finds it after a kill) sees whole lines only.  The tools ignore
 * SIGPIPE, so a reader that went away comes back as EPIPE.
 */
int
ia_record_write(FILE *fp, jv v)
{
	jv	 s;
	size_t	 n;
	int	 rc = 0;

	if (!jv_is_valid(v)) {
		jv_free(v);
		errno = EINVAL;
		return -1;
	}
	s = jv_string_append_buf(jv_dump_string(v, 0), "\n", 1);
	n = (size_t)jv_string_length_bytes(jv_copy(s));
	/*
	 * glibc's fwrite can report success for a line-buffered stream whose
	 * write(2) failed, dropping the bytes; only ferror() tells.
	 */
	clearerr(fp);
	errno = 0;
	if (fwrite(jv_string_value(s), 1, n, fp) != n || fflush(fp) == EOF ||
	    ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		rc = -1;
	}
	jv_free(s);
	return rc;
}

/*
 * Buffered bytes can fail to reach the disk at the very end (a full disk,
 * a closed pipe), and an earlier write may have failed unseen: report both.
 */
int
ia_record_close(FILE *fp)
{
	int	 rc = 0, saved = 0;

	errno = 0;
	if (fflush(fp) == EOF) {
		saved = errno ? errno : EIO;
		rc = -1;
	}
	if (ferror(fp)) {
		if (saved == 0)
			saved = errno ? errno : EIO;
		rc = -1;
	}
	errno = 0;
	if (fclose(fp) == EOF) {
		if (saved == 0)
			saved = errno ? errno : EIO;
		rc = -1;
	}
	if (rc == -1)
		errno = saved;
	return rc;
}

/* A usable id: a non-empty string as it is, a number printed, else invalid. */
static jv
id_value(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (jv_string_length_bytes(jv_copy(v)) > 0)
			return v;
		break;
	case JV_KIND_NUMBER:
		return jv_dump_string(v, 0);
	default:
		break;
	}
	jv_free(v);
	return jv_invalid();
}

/*
 * metadata.custom_id comes first: it is what the API itself carries through.
 * A top-level custom_id only counts on an OpenAI batch line (one with a
 * "body" object), where it is the line's id; on a plain request it is
 * nothing the API knows of.
 */
jv
ia_record_custom_id(jv rec)
{
	jv	 md, body, id;

	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		return jv_invalid();
	}
	md = jv_object_get(jv_copy(rec), jv_string("metadata"));
	if (jv_get_kind(md) == JV_KIND_OBJECT) {
		id = id_value(jv_object_get(md, jv_string("custom_id")));
		if (jv_is_valid(id)) {
			jv_free(rec);
			return id;
		}
	} else
		jv_free(md);
	body = jv_object_get(jv_copy(rec), jv_string("body"));
	if (jv_get_kind(body) == JV_KIND_OBJECT) {
		jv_free(body);
		return id_value(jv_object_get(rec, jv_string("custom_id")));
	}
	jv_free(body);
	jv_free(rec);
	return jv_invalid();
}

static jv
str_or_null(const char *s)
{
	return s != NULL ? jv_string(s) : jv_null();
}

/*
 * Every key is always there, null when unknown, so that a consumer can test
 * .error.status or .line without first asking whether it exists.
 */
jv
ia_record_error(const char *custom_id, const char *stage, long status,
    const char *message, int attempts, jv request, long line)
{
	jv	 err, rec;

	if (!jv_is_valid(request)) {
		jv_free(request);
		request = jv_null();
	}
	err = jv_object();
	err = jv_object_set(err, jv_string("stage"), str_or_null(stage));
	err = jv_object_set(err, jv_string("status"),
	    status > 0 ? jv_number((double)status) : jv_null());
	err = jv_object_set(err, jv_string("message"), str_or_null(message));
	err = jv_object_set(err, jv_string("attempts"), jv_number(attempts));

	rec = jv_object();
	rec = jv_object_set(rec, jv_string("custom_id"), str_or_null(custom_id));
	rec = jv_object_set(rec, jv_string("error"), err);
	rec = jv_object_set(rec, jv_string("request"), request);
	rec = jv_object_set(rec, jv_string("line"),
	    line > 0 ? jv_number((double)line) : jv_null());
	return rec;
}

/* Only our own shape: an API answer may carry an "error" of another form. */
bool
ia_record_is_error(jv rec)
{
	jv	 err;
	bool	 yes = false;

	if (jv_get_kind(rec) == JV_KIND_OBJECT) {
		err = jv_object_get(jv_copy(rec), jv_string("error"));
		if (jv_get_kind(err) == JV_KIND_OBJECT)
			yes = jv_object_has(jv_copy(err), jv_string("stage"));
		jv_free(err);
	}
	jv_free(rec);
	return yes;
}

/*
 * 64-bit FNV-1a.  Assigned ids are derived from it, so it must never change:
 * a re-run of the same input has to produce the same ids.
 */
static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
ia_ids_init(struct ia_ids *set)
{
	set->slots = NULL;
	set->cap = 0;
	set->count = 0;
}

/* Where s is, or the empty slot where it would go.  cap is a power of two. */
static size_t
ids_slot(char **slots, size_t cap, const char *s)
{
	size_t	 i;

	i = (size_t)fnv1a(s, strlen(s)) & (cap - 1);
	while (slots[i] != NULL && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Linear probing stays short while the table is at most half full. */
static int
ids_grow(struct ia_ids *set)
{
	char	**slots;
	size_t	  cap, i;

	if (set->cap > SIZE_MAX / 2 / sizeof(*slots))
		return -1;
	cap = set->cap > 0 ? set->cap * 2 : IDS_MIN_CAP;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < set->cap; i++)
		if (set->slots[i] != NULL)
			slots[ids_slot(slots, cap, set->slots[i])] = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/*
 * An id as stored: the string, its NUL, then the next -N suffix to try for
 * it, so that the k-th repeat of a request costs one probe, not k.
 */
static char *
ids_dup(const char *s)
{
	size_t		 len = strlen(s) + 1;
	unsigned long	 next = 2;
	char		*p;

	if ((p = malloc(len + sizeof(next))) == NULL)
		return NULL;
	memcpy(p, s, len);
	memcpy(p + len, &next, sizeof(next));
	return p;
}

static unsigned long
ids_next(const char *p)
{
	unsigned long	 next;

	memcpy(&next, p + strlen(p) + 1, sizeof(next));
	return next;
}

static void
ids_set_next(char *p, unsigned long next)
{
	memcpy(p + strlen(p) + 1, &next, sizeof(next));
}

int
ia_ids_add(struct ia_ids *set, const char *s)
{
	size_t	 i;
	char	*p;

	if (ia_ids_has(set, s))
		return 0;
	if ((set->count + 1) * 2 > set->cap && ids_grow(set) == -1)
		return -1;
	if ((p = ids_dup(s)) == NULL)
		return -1;
	i = ids_slot(set->slots, set->cap, s);
	set->slots[i] = p;
	set->count++;
	return 1;
}

bool
ia_ids_has(const struct ia_ids *set, const char *s)
{
	if (set->cap == 0)
		return false;
	return set->slots[ids_slot(set->slots, set->cap, s)] != NULL;
}

/*
 * The request's JSON with sorted keys, so that key order does not matter,
 * hashed: the same input gives the same ids on every run.  The same request
 * again in one run gets -2, -3 ... in input order.
 */
char *
ia_ids_assign(struct ia_ids *set, jv req)
{
	struct ia_buf	 id = { NULL, 0, 0 };
	jv		 s;
	uint64_t	 h;
	size_t		 base;
	unsigned long	 n;
	char		*ret, *first;

	if (!jv_is_valid(req)) {
		jv_free(req);
		req = jv_null();
	}
	s = jv_dump_string(req, JV_PRINT_SORTED);
	h = fnv1a(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	if (ia_buf_addf(&id, "req-%016" PRIx64, h) == -1)
		goto fail;
	base = id.len;
	first = NULL;
	if (set->cap > 0)
		first = set->slots[ids_slot(set->slots, set->cap, id.data)];
	for (n = first != NULL ? ids_next(first) : 2; ia_ids_has(set, id.data); n++) {
		id.len = base;
		if (ia_buf_addf(&id, "-%lu", n) == -1)
			goto fail;
	}
	if (ia_ids_add(set, id.data) == -1)
		goto fail;
	if (first != NULL)
		ids_set_next(first, n);
	ret = ia_buf_steal(&id);
	return ret;
fail:
	ia_buf_free(&id);
	return NULL;
}

void
ia_ids_free(struct ia_ids *set)
{
	size_t	 i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	ia_ids_init(set);
}
