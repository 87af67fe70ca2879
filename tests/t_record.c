/*
 * t_record: checks of lib/record.c, the NDJSON reader and writer, custom_id
 * and error records (the id set is t_ids's).  "t_record GROUP" runs one
 * group of checks (reader, pipe, long, custom_id, error, write) or all of
 * them; it prints one line per group and a summary, or each failing check.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"
#include "t.h"

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n)) == NULL) {
		perror("t_record");
		exit(2);
	}
	return p;
}

/* An unlinked temporary file holding data, open for reading at its start. */
static int
temp_input(const void *data, size_t len)
{
	char		 path[4096];
	const char	*dir;
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_record.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		perror("t_record: mkstemp");
		exit(2);
	}
	unlink(path);
	if (len > 0 && write(fd, data, len) != (ssize_t)len) {
		perror("t_record: write");
		exit(2);
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/*
 * Take every line ready in r and append it to the transcript t as
 * "lineno:text" (or "lineno:<N bytes>" when long, "lineno:TOO_LONG", "EOF").
 */
static enum ia_line_status
drain(struct ia_reader *r, struct ia_buf *t)
{
	struct ia_line		 l;
	enum ia_line_status	 st;

	for (;;) {
		switch ((st = ia_reader_next(r, &l))) {
		case IA_LINE_OK:
			if (l.len <= 40)
				ia_buf_addf(t, "%ld:%.*s\n", l.lineno, (int)l.len, l.text);
			else
				ia_buf_addf(t, "%ld:<%zu bytes>\n", l.lineno, l.len);
			break;
		case IA_LINE_TOO_LONG:
			ia_buf_addf(t, "%ld:TOO_LONG\n", l.lineno);
			break;
		case IA_LINE_EOF:
			ia_buf_adds(t, "EOF\n");
			return st;
		case IA_LINE_NONE:
			return st;
		}
	}
}

/*
 * Read all of fd as the event loop would, with poll(); the largest buffer
 * seen goes to *maxcap.
 */
static char *
read_fd(int fd, size_t max_line, size_t *maxcap)
{
	struct ia_reader	 r;
	struct ia_buf		 t = { NULL, 0, 0 };
	struct pollfd		 pfd;
	int			 rc, rounds = 0;

	ia_reader_init(&r, fd, max_line);
	if (maxcap != NULL)
		*maxcap = 0;
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) == 0) {
			ia_buf_adds(&t, "TIMEOUT\n");
			break;
		}
		if ((rc = ia_reader_fill(&r)) == -1) {
			ia_buf_addf(&t, "ERROR %s\n", strerror(errno));
			break;
		}
		if (maxcap != NULL && r.buf.cap > *maxcap)
			*maxcap = r.buf.cap;
		if (drain(&r, &t) == IA_LINE_EOF)
			break;
		if (++rounds > 10000000) {
			ia_buf_adds(&t, "LOOPING\n");
			break;
		}
	}
	ia_reader_free(&r);
	close(fd);
	return ia_buf_steal(&t);
}

static char *
read_string(const char *s, size_t len, size_t max_line)
{
	return read_fd(temp_input(s, len), max_line, NULL);
}

#define read_lit(s, max_line)	read_string((s), sizeof(s) - 1, (max_line))

/*
 * Feed s through a non-blocking pipe one byte per write(), filling and
 * draining after each byte: every line then arrives in pieces.
 */
static char *
read_bytewise(const char *s, size_t len, size_t max_line)
{
	struct ia_reader	 r;
	struct ia_buf		 t = { NULL, 0, 0 };
	struct ia_line		 l;
	size_t			 i;
	int			 p[2], bad = 0;

	if (pipe(p) == -1) {
		perror("t_record: pipe");
		exit(2);
	}
	ia_reader_init(&r, p[0], max_line);
	/* The fd is polled, not made O_NONBLOCK: its flags are not ours. */
	CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	CHECK(ia_reader_fill(&r) == 0);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_NONE);
	for (i = 0; i < len; i++) {
		if (write(p[1], s + i, 1) != 1) {
			perror("t_record: write");
			exit(2);
		}
		if (ia_reader_fill(&r) != 1)
			bad++;
		drain(&r, &t);
		/* Nothing is left to read: the next fill finds the pipe empty. */
		if (ia_reader_fill(&r) != 0)
			bad++;
	}
	CHECK(bad == 0);
	close(p[1]);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(r.eof);
	drain(&r, &t);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_EOF);
	ia_reader_free(&r);
	close(p[0]);
	return ia_buf_steal(&t);
}

/* Write data from a child process into a pipe, in writes of chunk bytes. */
static int
child_writer(const char *data, size_t len, size_t chunk, pid_t *pid)
{
	size_t	 off, n;
	ssize_t	 w;
	int	 p[2];

	if (pipe(p) == -1 || (*pid = fork()) == -1) {
		perror("t_record: pipe/fork");
		exit(2);
	}
	if (*pid == 0) {
		close(p[0]);
		for (off = 0; off < len; off += (size_t)w) {
			n = len - off < chunk ? len - off : chunk;
			if ((w = write(p[1], data + off, n)) == -1)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static int
child_ok(pid_t pid)
{
	int	 status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
t_reader(void)
{
	struct ia_reader	 r;
	struct ia_line		 l;
	char			*got;
	int			 fd;

	got = read_lit("a\r\nb\r\n", 0);
	CHECK_STR(got, "1:a\n2:b\nEOF\n");
	free(got);

	got = read_lit("a\nb", 0);
	CHECK_STR(got, "1:a\n2:b\nEOF\n");
	free(got);

	got = read_lit("a\r", 0);
	CHECK_STR(got, "1:a\nEOF\n");
	free(got);

	got = read_lit("\n  \n\t\r\n{\"a\":1}\n\n\n{\"b\":2}\n \n", 0);
	CHECK_STR(got, "4:{\"a\":1}\n7:{\"b\":2}\nEOF\n");
	free(got);

	/* Only a trailing \r goes; spaces inside and around stay. */
	got = read_lit("x\ry \n", 0);
	CHECK_STR(got, "1:x\ry \nEOF\n");
	free(got);

	got = read_lit("", 0);
	CHECK_STR(got, "EOF\n");
	free(got);

	got = read_lit("\n\n \r\n\t", 0);
	CHECK_STR(got, "EOF\n");
	free(got);

	/* max_line 5: exactly 5 is a line, 6 is not, CRLF does not count. */
	got = read_lit("12345\n123456\nok\n", 5);
	CHECK_STR(got, "1:12345\n2:TOO_LONG\n3:ok\nEOF\n");
	free(got);
	got = read_lit("12345\r\n123456\r\n12345\r", 5);
	CHECK_STR(got, "1:12345\n2:TOO_LONG\n3:12345\nEOF\n");
	free(got);
	got = read_lit("ok\n123456", 5);
	CHECK_STR(got, "1:ok\n2:TOO_LONG\nEOF\n");
	free(got);
	got = read_lit("ok\n1234567890", 5);
	CHECK_STR(got, "1:ok\n2:TOO_LONG\nEOF\n");
	free(got);

	/* At end of input the reader keeps answering EOF. */
	ia_reader_init(&r, temp_input("x\n", sizeof("x\n") - 1), 0);
	CHECK(!(fcntl(r.fd, F_GETFL) & O_NONBLOCK));
	CHECK(ia_reader_next(&r, &l) == IA_LINE_NONE);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(!r.eof);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_OK);
	CHECK(l.lineno == 1 && l.len == 1 && l.text[0] == 'x');
	CHECK(ia_reader_next(&r, &l) == IA_LINE_NONE);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(r.eof);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_EOF);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_EOF);
	CHECK(r.max_line == IA_DEFAULT_MAX_LINE);
	close(r.fd);
	ia_reader_free(&r);

	/* A read error is -1 with errno. */
	fd = temp_input("", 0);
	ia_reader_init(&r, fd, 0);
	close(fd);
	errno = 0;
	CHECK(ia_reader_fill(&r) == -1 && errno == EBADF);
	ia_reader_free(&r);
}

/* Lines longer than a read, around max_line, and a caller not taking lines. */
static void
t_long(void)
{
	struct ia_reader	 r;
	struct ia_line		 l;
	struct ia_buf		 in = { NULL, 0, 0 };
	char			*got, *big;
	size_t			 maxcap, i, bound;
	pid_t			 pid;
	int			 fd;

	/* max_line 100000: more than one read each. */
	big = xmalloc(100002);
	memset(big, 'a', 100001);
	big[100001] = '\0';
	ia_buf_add(&in, big, 100000);
	ia_buf_adds(&in, "\n");
	ia_buf_add(&in, big, 100001);
	ia_buf_adds(&in, "\n{\"next\":true}\n");
	ia_buf_add(&in, big, 99999);
	ia_buf_adds(&in, "\r\n");
	got = read_string(in.data, in.len, 100000);
	CHECK_STR(got, "1:<100000 bytes>\n2:TOO_LONG\n3:{\"next\":true}\n"
	    "4:<99999 bytes>\nEOF\n");
	free(got);
	ia_buf_free(&in);
	free(big);

	/*
	 * 10 MB in one line with max_line 1 MiB, through a pipe from another
	 * process: it is dropped as it comes, never held.
	 */
	big = xmalloc(10000000);
	memset(big, 'x', 10000000);
	ia_buf_adds(&in, "{\"a\":1}\n");
	ia_buf_add(&in, big, 10000000);
	ia_buf_adds(&in, "\n{\"b\":2}\n");
	free(big);
	bound = (1u << 20) + (64u << 10) + 2;
	fd = child_writer(in.data, in.len, 65536, &pid);
	got = read_fd(fd, 1u << 20, &maxcap);
	CHECK(child_ok(pid));
	CHECK_STR(got, "1:{\"a\":1}\n2:TOO_LONG\n3:{\"b\":2}\nEOF\n");
	CHECK(maxcap <= bound);
	free(got);
	/* The same from a regular file. */
	fd = temp_input(in.data, in.len);
	got = read_fd(fd, 1u << 20, &maxcap);
	CHECK_STR(got, "1:{\"a\":1}\n2:TOO_LONG\n3:{\"b\":2}\nEOF\n");
	CHECK(maxcap <= bound);
	free(got);
	ia_buf_free(&in);

	/*
	 * A caller that fills and fills but takes no lines does not make the
	 * reader hold the input: fill reads nothing while a line is waiting.
	 */
	for (i = 0; i < 1000; i++)
		ia_buf_addf(&in, "{\"i\":%zu,\"pad\":\"%0900d\"}\n", i, 0);
	ia_reader_init(&r, temp_input(in.data, in.len), 0);
	for (i = 0; i < 100; i++)
		CHECK(ia_reader_fill(&r) == 1);
	CHECK(r.buf.len <= (64u << 10));
	CHECK(ia_reader_next(&r, &l) == IA_LINE_OK && l.lineno == 1);
	for (i = 0; i < 100; i++)
		ia_reader_fill(&r);
	CHECK(r.buf.len <= (64u << 10));
	close(r.fd);
	ia_reader_free(&r);
	ia_buf_free(&in);

	/* Nor with one line longer than max_line that nobody asks about. */
	big = xmalloc(1000000);
	memset(big, 'y', 1000000);
	ia_reader_init(&r, temp_input(big, 1000000), 1000);
	for (i = 0; i < 100; i++)
		ia_reader_fill(&r);
	CHECK(r.buf.cap <= 1000 + (64u << 10) + 2);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_TOO_LONG && l.lineno == 1);
	for (i = 0; i < 100; i++)
		ia_reader_fill(&r);
	CHECK(r.buf.cap <= 1000 + (64u << 10) + 2);
	CHECK(r.eof);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_EOF);
	close(r.fd);
	ia_reader_free(&r);
	free(big);
}

/* Input arriving in pieces gives the same lines as input read at once. */
static void
t_pipe(void)
{
	static const char	 in[] =
	    "ab\r\n\n  \t\r\n12345\n123456\n12345\r\nx\ry\n"
	    "1234567890abc\n\r\nlast";
	static const char	 want[] =
	    "1:ab\n4:12345\n5:TOO_LONG\n6:12345\n7:x\ry\n8:TOO_LONG\n10:last\nEOF\n";
	struct ia_reader	 r;
	struct ia_line		 l;
	char			*got;
	pid_t			 pid;
	int			 p[2];

	got = read_string(in, sizeof(in) - 1, 5);
	CHECK_STR(got, want);
	free(got);
	got = read_bytewise(in, sizeof(in) - 1, 5);
	CHECK_STR(got, want);
	free(got);
	got = read_fd(child_writer(in, sizeof(in) - 1, 1, &pid), 5, NULL);
	CHECK(child_ok(pid));
	CHECK_STR(got, want);
	free(got);

	/* An over-long line is known before its end arrives. */
	got = read_bytewise("1234567", sizeof("1234567") - 1, 5);
	CHECK_STR(got, "1:TOO_LONG\nEOF\n");
	free(got);
	got = read_bytewise("12345\r", sizeof("12345\r") - 1, 5);
	CHECK_STR(got, "1:12345\nEOF\n");
	free(got);

	/* While a whole line waits, fill leaves the rest in the pipe. */
	if (pipe(p) == -1) {
		perror("t_record: pipe");
		exit(2);
	}
	ia_reader_init(&r, p[0], 0);
	CHECK(write(p[1], "a\nb\n", 4) == 4);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(write(p[1], "c\n", 2) == 2);
	CHECK(ia_reader_fill(&r) == 1 && r.buf.len == 4);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_OK && l.lineno == 1);
	CHECK(ia_reader_fill(&r) == 1 && r.buf.len == 4);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_OK && l.lineno == 2);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_NONE);
	CHECK(ia_reader_fill(&r) == 1);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_OK && l.lineno == 3 &&
	    l.len == 1 && l.text[0] == 'c');
	CHECK(ia_reader_next(&r, &l) == IA_LINE_NONE);
	CHECK(ia_reader_fill(&r) == 0);
	{
		struct pollfd	 pfd = { p[0], POLLIN, 0 };

		CHECK(poll(&pfd, 1, 0) == 0);	/* nothing was left unread */
	}
	close(p[1]);
	CHECK(ia_reader_fill(&r) == 1 && r.eof);
	CHECK(ia_reader_next(&r, &l) == IA_LINE_EOF);
	ia_reader_free(&r);
	close(p[0]);
}

/* The custom_id of a JSON text, as a malloc'd string, or NULL when none. */
static char *
cid(const char *json)
{
	jv	 id;
	char	*s = NULL;

	id = ia_record_custom_id(jv_parse(json));
	if (jv_get_kind(id) == JV_KIND_STRING)
		s = strdup(jv_string_value(id));
	else
		CHECK(jv_get_kind(id) == JV_KIND_INVALID);
	jv_free(id);
	return s;
}

#define CHECK_CID(json, want) do {					\
	char	*id_ = cid(json);					\
	CHECK_STR(id_, want);						\
	free(id_);							\
} while (0)

#define CHECK_NO_CID(json) do {						\
	char	*id_ = cid(json);					\
	CHECK(id_ == NULL);						\
	free(id_);							\
} while (0)

static void
t_custom_id(void)
{
	CHECK_CID("{\"model\":\"m\",\"metadata\":{\"custom_id\":\"a-1\"}}", "a-1");
	CHECK_CID("{\"metadata\":{\"custom_id\":7}}", "7");
	CHECK_CID("{\"metadata\":{\"custom_id\":1.5}}", "1.5");
	CHECK_CID("{\"metadata\":{\"custom_id\":-3}}", "-3");
	CHECK_CID("{\"custom_id\":\"b\",\"method\":\"POST\","
	    "\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}", "b");
	CHECK_CID("{\"custom_id\":42,\"body\":{}}", "42");
	/* metadata wins over a batch line's own id. */
	CHECK_CID("{\"custom_id\":\"b\",\"body\":{},"
	    "\"metadata\":{\"custom_id\":\"m\"}}", "m");
	/* An unusable metadata.custom_id is absent. */
	CHECK_CID("{\"custom_id\":\"b\",\"body\":{},"
	    "\"metadata\":{\"custom_id\":\"\"}}", "b");
	CHECK_CID("{\"custom_id\":\"b\",\"body\":{},"
	    "\"metadata\":{\"custom_id\":null}}", "b");
	CHECK_CID("{\"custom_id\":\"b\",\"body\":{},\"metadata\":null}", "b");
	CHECK_NO_CID("{\"metadata\":{\"custom_id\":\"\"}}");
	CHECK_NO_CID("{\"metadata\":{\"custom_id\":{\"x\":1}}}");
	CHECK_NO_CID("{\"metadata\":{\"custom_id\":[\"x\"]}}");
	CHECK_NO_CID("{\"metadata\":{\"custom_id\":true}}");
	CHECK_NO_CID("{\"metadata\":{}}");
	CHECK_NO_CID("{\"model\":\"m\",\"messages\":[]}");
	/* A top-level custom_id on a plain request is not the API's. */
	CHECK_NO_CID("{\"custom_id\":\"x\",\"model\":\"m\"}");
	CHECK_NO_CID("{\"custom_id\":\"x\",\"body\":\"not an object\"}");
	CHECK_NO_CID("{\"custom_id\":\"\",\"body\":{}}");
	CHECK_NO_CID("[1,2]");
	CHECK_NO_CID("\"custom_id\"");
	CHECK_NO_CID("null");
	CHECK_NO_CID("{not json");
}

/* v dumped with sorted keys (or as is), v consumed. */
static char *
dump(jv v, int flags)
{
	jv	 s;
	char	*p;

	s = jv_dump_string(v, flags);
	p = strdup(jv_string_value(s));
	jv_free(s);
	return p;
}

static void
t_error(void)
{
	jv	 e;
	char	*got;

	e = ia_record_error("c1", "submit", 429, "rate limited", 3,
	    jv_parse("{\"model\":\"m\",\"messages\":[]}"), 12);
	got = dump(jv_copy(e), JV_PRINT_SORTED);
	CHECK_STR(got, "{\"custom_id\":\"c1\",\"error\":{\"attempts\":3,"
	    "\"message\":\"rate limited\",\"stage\":\"submit\",\"status\":429},"
	    "\"line\":12,\"request\":{\"messages\":[],\"model\":\"m\"}}");
	free(got);
	/* Written in the documented order. */
	got = dump(jv_copy(e), 0);
	CHECK_STR(got, "{\"custom_id\":\"c1\",\"error\":{\"stage\":\"submit\","
	    "\"status\":429,\"message\":\"rate limited\",\"attempts\":3},"
	    "\"request\":{\"model\":\"m\",\"messages\":[]},\"line\":12}");
	free(got);
	CHECK(ia_record_is_error(e));

	/* Unknown parts are null, never missing. */
	e = ia_record_error(NULL, "input", 0, "line 3: not JSON", 0, jv_null(), 3);
	got = dump(e, JV_PRINT_SORTED);
	CHECK_STR(got, "{\"custom_id\":null,\"error\":{\"attempts\":0,"
	    "\"message\":\"line 3: not JSON\",\"stage\":\"input\",\"status\":null},"
	    "\"line\":3,\"request\":null}");
	free(got);
	e = ia_record_error("x", "generation", 0, "Failed", 1,
	    jv_invalid_with_msg(jv_string("parse error")), 0);
	got = dump(e, JV_PRINT_SORTED);
	CHECK_STR(got, "{\"custom_id\":\"x\",\"error\":{\"attempts\":1,"
	    "\"message\":\"Failed\",\"stage\":\"generation\",\"status\":null},"
	    "\"line\":null,\"request\":null}");
	free(got);
	e = ia_record_error("x", "poll", -1, NULL, 2, jv_invalid(), -5);
	got = dump(e, JV_PRINT_SORTED);
	CHECK_STR(got, "{\"custom_id\":\"x\",\"error\":{\"attempts\":2,"
	    "\"message\":null,\"stage\":\"poll\",\"status\":null},"
	    "\"line\":null,\"request\":null}");
	free(got);

	CHECK(ia_record_is_error(jv_parse("{\"error\":{\"stage\":\"group\"}}")));
	CHECK(!ia_record_is_error(jv_parse("{\"error\":{\"message\":\"x\"}}")));
	CHECK(!ia_record_is_error(jv_parse("{\"error\":\"x\"}")));
	CHECK(!ia_record_is_error(jv_parse("{\"error\":null}")));
	CHECK(!ia_record_is_error(jv_parse("{\"id\":\"g\",\"choices\":[]}")));
	CHECK(!ia_record_is_error(jv_parse("[{\"error\":{\"stage\":\"x\"}}]")));
	CHECK(!ia_record_is_error(jv_invalid()));
}

/* All of what fp (a file) holds. */
static char *
slurp(FILE *fp)
{
	struct ia_buf	 b = { NULL, 0, 0 };
	char		 buf[4096];
	size_t		 n;

	rewind(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		ia_buf_add(&b, buf, n);
	return ia_buf_steal(&b);
}

static void
t_write(void)
{
	struct ia_buf	 big = { NULL, 0, 0 };
	FILE		*fp;
	char		*got, buf[256];
	ssize_t		 n;
	int		 p[2];
	size_t		 i;

	signal(SIGPIPE, SIG_IGN);

	if ((fp = tmpfile()) == NULL) {
		perror("t_record: tmpfile");
		exit(2);
	}
	CHECK(ia_record_write(fp, jv_parse("{\"a\": 1, \"b\": [1, 2]}")) == 0);
	CHECK(ia_record_write(fp, jv_parse("{\"s\":\"\xc3\xa9\\n\"}")) == 0);
	CHECK(ia_record_write(fp, jv_string("plain")) == 0);
	errno = 0;
	CHECK(ia_record_write(fp, jv_invalid()) == -1 && errno == EINVAL);
	got = slurp(fp);
	CHECK_STR(got, "{\"a\":1,\"b\":[1,2]}\n{\"s\":\"\xc3\xa9\\n\"}\n\"plain\"\n");
	free(got);
	CHECK(ia_record_close(fp) == 0);

	/* A big record is one whole line. */
	if ((fp = tmpfile()) == NULL) {
		perror("t_record: tmpfile");
		exit(2);
	}
	ia_buf_adds(&big, "{\"x\":\"");
	for (i = 0; i < 1000000; i++)
		ia_buf_add(&big, "z", 1);
	ia_buf_adds(&big, "\"}");
	CHECK(ia_record_write(fp, jv_parse(big.data)) == 0);
	got = slurp(fp);
	CHECK(strlen(got) == big.len + 1 && got[big.len] == '\n' &&
	    strncmp(got, big.data, big.len) == 0);
	free(got);
	ia_buf_free(&big);
	CHECK(ia_record_close(fp) == 0);

	/* Each record is flushed: the reader of a pipe has it at once. */
	if (pipe(p) == -1 || (fp = fdopen(p[1], "w")) == NULL) {
		perror("t_record: pipe");
		exit(2);
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	CHECK(ia_record_write(fp, jv_parse("{\"id\":1}")) == 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	CHECK(n == 9 && memcmp(buf, "{\"id\":1}\n", 9) == 0);
	/* The reader goes away: EPIPE, and the close reports it too. */
	close(p[0]);
	errno = 0;
	CHECK(ia_record_write(fp, jv_parse("{\"id\":2}")) == -1 && errno == EPIPE);
	CHECK(ia_record_close(fp) == -1);

	/*
	 * Line-buffered, as stdout is on a terminal: glibc's fwrite reports
	 * success for a line it could not write; the writer must not.
	 */
	if (pipe(p) == -1 || (fp = fdopen(p[1], "w")) == NULL) {
		perror("t_record: pipe");
		exit(2);
	}
	setvbuf(fp, NULL, _IOLBF, 0);
	CHECK(ia_record_write(fp, jv_parse("{\"id\":1}")) == 0);
	close(p[0]);
	errno = 0;
	CHECK(ia_record_write(fp, jv_parse("{\"id\":2}")) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(ia_record_write(fp, jv_parse("{\"id\":3}")) == -1 && errno == EPIPE);
	fclose(fp);

	/* A full disk: at the write, and at the close for what was buffered. */
	if ((fp = fopen("/dev/full", "w")) != NULL) {
		errno = 0;
		CHECK(ia_record_write(fp, jv_parse("{}")) == -1 && errno == ENOSPC);
		fclose(fp);
		fp = fopen("/dev/full", "w");
		CHECK(fp != NULL);
		if (fp != NULL) {
			fputs("{}\n", fp);
			errno = 0;
			CHECK(ia_record_close(fp) == -1 && errno == ENOSPC);
		}
	}
}

static const struct t_group groups[] = {
	{ "reader", t_reader },
	{ "long", t_long },
	{ "pipe", t_pipe },
	{ "custom_id", t_custom_id },
	{ "error", t_error },
	{ "write", t_write },
};

int
main(int argc, char *argv[])
{
	return t_main("t_record", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
