/*
 * fuzz_reader: lib/reader.c, the NDJSON reader, on any bytes.
 *
 * The first byte picks the way in (a pipe fed in chunks, or a memfd, a
 * regular file read whole), max_line (1 to 64, or the default) and the
 * largest chunk; the next four seed the chunk sizes.  The rest is the
 * input.  Each line returned is checked against a plain split of the same
 * bytes: the same lines, numbers, lengths and over-long verdicts, in order,
 * and never a '\n' inside a line nor one longer than max_line.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_INPUT	65536	/* a pipe's capacity: a write never blocks */
#define MAX_TURNS	1000000	/* more calls than that: the reader is stuck */

static const size_t max_lines[] = { 1, 2, 3, 7, 16, 64, 64, 0 };

struct want {
	enum ia_line_status	 status;
	const char		*text;
	size_t			 len;
	long			 lineno;
};

struct model {
	struct want	*w;
	size_t		 n, next;
	size_t		 max_line;
	long		 last;		/* the number of the last line returned */
};

static bool
blank(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* What the reader must return for one line of the plain split. */
static void
expect(void *arg, const char *s, size_t len, long lineno)
{
	struct model	*m = arg;
	struct want	*w = &m->w[m->n];

	if (len > m->max_line)
		w->status = IA_LINE_TOO_LONG;
	else if (blank(s, len))
		return;
	else
		w->status = IA_LINE_OK;
	w->text = s;
	w->len = len;
	w->lineno = lineno;
	m->n++;
}

/* One line from the reader, against the model. */
static void
got(struct model *m, enum ia_line_status st, const struct ia_line *l)
{
	const struct want *w;

	FUZZ_CHECK(m->next < m->n);
	w = &m->w[m->next++];
	FUZZ_CHECK(st == w->status);
	FUZZ_CHECK(l->lineno == w->lineno);
	FUZZ_CHECK(l->lineno > m->last);
	m->last = l->lineno;
	if (st == IA_LINE_TOO_LONG) {
		FUZZ_CHECK(l->text == NULL && l->len == 0);
		return;
	}
	FUZZ_CHECK(l->text != NULL);
	FUZZ_CHECK(l->len <= m->max_line);
	FUZZ_CHECK(memchr(l->text, '\n', l->len) == NULL);
	FUZZ_CHECK(l->len == w->len && memcmp(l->text, w->text, l->len) == 0);
}

/*
 * Take what the reader has: lines until it needs more.  Returns true at
 * the end of input.
 */
static bool
drain(struct ia_reader *r, struct model *m)
{
	struct ia_line		 l;
	enum ia_line_status	 st;
	int			 rc, turns;

	for (turns = 0; turns < MAX_TURNS; turns++) {
		rc = ia_reader_fill(r);
		FUZZ_CHECK(rc != -1);
		while ((st = ia_reader_next(r, &l)) == IA_LINE_OK ||
		    st == IA_LINE_TOO_LONG)
			got(m, st, &l);
		if (st == IA_LINE_EOF)
			return true;
		if (rc == 0)
			return false;
	}
	FUZZ_CHECK(!"the reader makes no progress");
	return false;
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ia_reader r;
	struct model	 m;
	const uint8_t	*in;
	size_t		 len, off, chunk, most;
	uint32_t	 seed;
	int		 fds[2], fd;
	bool		 use_pipe;

	if (size < 5)
		return 0;
	use_pipe = (data[0] & 1) == 0;
	m.max_line = max_lines[(data[0] >> 1) & 7];
	if (m.max_line == 0)
		m.max_line = IA_DEFAULT_MAX_LINE;
	most = (size_t)1 << ((data[0] >> 4) & 15);	/* 1 to 32768 */
	memcpy(&seed, data + 1, 4);
	seed |= 1;
	in = data + 5;
	len = size - 5 < MAX_INPUT ? size - 5 : MAX_INPUT;

	if ((m.w = calloc(len + 1, sizeof(*m.w))) == NULL)
		return 0;
	m.n = m.next = 0;
	m.last = 0;
	fuzz_lines(in, len, expect, &m);

	if (use_pipe) {
		FUZZ_CHECK(pipe(fds) == 0);
		fd = fds[0];
	} else {
		FUZZ_CHECK((fd = memfd_create("fuzz_reader", 0)) != -1);
		FUZZ_CHECK(write(fd, in, len) == (ssize_t)len);
		FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	}
	ia_reader_init(&r, fd, m.max_line == IA_DEFAULT_MAX_LINE ? 0 : m.max_line);
	FUZZ_CHECK(r.pollable == use_pipe);
	if (use_pipe) {
		for (off = 0; off < len; off += chunk) {
			chunk = 1 + next_rand(&seed) % most;
			if (chunk > len - off)
				chunk = len - off;
			FUZZ_CHECK(write(fds[1], in + off, chunk) == (ssize_t)chunk);
			FUZZ_CHECK(!drain(&r, &m));
		}
		close(fds[1]);
	}
	while (!drain(&r, &m))
		;
	/* Every line the split found came out, and nothing else. */
	FUZZ_CHECK(m.next == m.n);
	ia_reader_free(&r);
	close(fd);
	free(m.w);
	return 0;
}
