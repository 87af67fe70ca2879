/*
 * The NDJSON reader: whole lines from a file descriptor, never blocking the
 * event loop, with memory bounded by --max-line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

#define READ_CHUNK	(64u << 10)	/* bytes asked of one read() */

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

	line->file = NULL;
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
