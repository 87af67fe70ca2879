/*
 * t_http: tests of the HTTP engine.
 *
 *   t_http pure		Retry-After parsing, backoff bounds, URL escaping,
 *				reading the id of an answer
 *   t_http run [options]	a driver: each input line "METHOD PATH [BODY]" goes
 *				through the engine; one JSON line comes out per
 *				input line, in completion order
 *
 * The driver is a tool in miniature, with the loop every tool has: stdin is
 * read only while there is room under -j, and only when poll says so.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ia.h"

static int	 checks, failures;

#define CHECK(e) do {							\
	checks++;							\
	if (!(e)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #e);				\
	}								\
} while (0)

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-9)

static void
test_retry_after(void)
{
	time_t	 now = curl_getdate("Sun, 06 Nov 1994 08:49:37 GMT", NULL);

	CHECK(NEAR(ia_http_retry_after("1", now, 300), 1));
	CHECK(NEAR(ia_http_retry_after(" 120 ", now, 300), 120));
	CHECK(NEAR(ia_http_retry_after("0", now, 300), 0));
	CHECK(NEAR(ia_http_retry_after("3600", now, 300), 300));	/* capped */
	CHECK(NEAR(ia_http_retry_after("99999999999999999999999", now, 300), 300));
	CHECK(NEAR(ia_http_retry_after("7\r\n", now, 300), 7));
	/* HTTP dates: IMF-fixdate, RFC 850 and asctime forms. */
	CHECK(NEAR(ia_http_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now, 300), 30));
	CHECK(NEAR(ia_http_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now, 300), 60));
	CHECK(NEAR(ia_http_retry_after("Sun Nov  6 08:49:47 1994", now, 300), 10));
	CHECK(NEAR(ia_http_retry_after("Sun, 06 Nov 1994 09:49:37 GMT", now, 300), 300));
	/* A date in the past means now. */
	CHECK(NEAR(ia_http_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now, 300), 0));
	CHECK(ia_http_retry_after("", now, 300) < 0);
	CHECK(ia_http_retry_after(NULL, now, 300) < 0);
	CHECK(ia_http_retry_after("soon", now, 300) < 0);
	CHECK(ia_http_retry_after("-5", now, 300) < 0);
	CHECK(ia_http_retry_after("1.5", now, 300) < 0);
	CHECK(ia_http_retry_after("12abc", now, 300) < 0);
}

static void
test_backoff(void)
{
	double	 d, max[10] = { 0 };
	int	 n, i;

	/* Full jitter: from 0 up to 0.5 s * 2^(n-1), never over 30 s. */
	for (n = 1; n <= 9; n++) {
		double bound = fmin(30, 0.5 * pow(2, n - 1));

		CHECK(NEAR(ia_http_backoff(n, 0), 0));
		CHECK(NEAR(ia_http_backoff(n, 1), bound));
		for (i = 0; i <= 1000; i++) {
			d = ia_http_backoff(n, i / 1000.0);
			CHECK(d >= 0 && d <= bound);
			if (d > max[n])
				max[n] = d;
		}
		CHECK(max[n] > bound * 0.99);
	}
	CHECK(NEAR(ia_http_backoff(1, 1), 0.5));
	CHECK(NEAR(ia_http_backoff(4, 1), 4));
	CHECK(NEAR(ia_http_backoff(7, 1), 30));
	CHECK(NEAR(ia_http_backoff(1000, 1), 30));
	CHECK(NEAR(ia_http_backoff(0, 1), 0.5));
	CHECK(NEAR(ia_http_backoff(3, 0.5), 1));
}

static void
test_escape(void)
{
	char	*e;

	e = ia_http_escape("N2mZQjrvh-k_Qh3bH7T2a");
	CHECK(e != NULL && strcmp(e, "N2mZQjrvh-k_Qh3bH7T2a") == 0);
	free(e);
	e = ia_http_escape("a/b c?d#e%f&g");
	CHECK(e != NULL && strcmp(e, "a%2Fb%20c%3Fd%23e%25f%26g") == 0);
	free(e);
	e = ia_http_escape("../x");
	CHECK(e != NULL && strcmp(e, "..%2Fx") == 0);
	free(e);
	/* A whole segment of dots would be resolved by curl: escaped too. */
	e = ia_http_escape("..");
	CHECK(e != NULL && strcmp(e, "%2E%2E") == 0);
	free(e);
	e = ia_http_escape(".");
	CHECK(e != NULL && strcmp(e, "%2E") == 0);
	free(e);
	e = ia_http_escape("...");
	CHECK(e != NULL && strcmp(e, "...") == 0);
	free(e);
	e = ia_http_escape("é");
	CHECK(e != NULL && strcmp(e, "%C3%A9") == 0);
	free(e);
	e = ia_http_escape("");
	CHECK(e != NULL && strcmp(e, "") == 0);
	free(e);
}

static void
test_retryable(void)
{
	static const long yes[] = { 0, 408, 429, 500, 502, 503, 504 };
	static const long no[] = { 200, 201, 301, 400, 401, 403, 404, 405, 409, 413,
	    422, 501, 505 };
	size_t	 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(ia_http_retryable(yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!ia_http_retryable(no[i]));
}

static void
emit(struct ia_xfer *x)
{
	jv	 o, body;
	long	 line = (long)(intptr_t)x->udata;

	body = x->resp.len > 0 ? jv_parse_sized(x->resp.data, (int)x->resp.len) : jv_null();
	if (!jv_is_valid(body)) {
		jv_free(body);
		body = jv_string_sized(x->resp.data, (int)x->resp.len);
	}
	o = jv_object();
	o = jv_object_set(o, jv_string("line"), jv_number(line));
	o = jv_object_set(o, jv_string("method"), jv_string(x->method));
	o = jv_object_set(o, jv_string("path"), jv_string(x->path));
	o = jv_object_set(o, jv_string("status"), jv_number(x->status));
	o = jv_object_set(o, jv_string("attempts"), jv_number(x->attempts));
	o = jv_object_set(o, jv_string("error"), x->error[0] ? jv_string(x->error) : jv_null());
	o = jv_object_set(o, jv_string("body"), body);
	if (ia_record_write(stdout, o) == -1) {
		if (errno == EPIPE)
			exit(1);
		err(2, "stdout");
	}
}

/* "METHOD PATH [BODY]" to a transfer; NULL for a line of another shape. */
static struct ia_xfer *
parse(const char *text, size_t len)
{
	char	*line, *method, *path, *body, *p;
	struct ia_xfer *x = NULL;

	if ((line = strndup(text, len)) == NULL)
		err(2, NULL);
	method = line;
	if ((p = strchr(method, ' ')) == NULL)
		goto out;
	*p++ = '\0';
	path = p;
	body = NULL;
	if ((p = strchr(path, ' ')) != NULL) {
		*p++ = '\0';
		body = p;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		goto out;
	if ((x = ia_http_xfer_new(method, path, body ? strdup(body) : NULL)) == NULL)
		err(2, NULL);
out:
	free(line);
	return x;
}

static int
run(int argc, char *argv[])
{
	static const struct ia_option *const tables[] = { ia_config_options, NULL };
	struct ia_option_set	 opts;
	struct ia_config	 cfg;
	struct ia_reader	 r;
	struct ia_line		 line;
	struct ia_http		*h;
	struct ia_xfer		*x;
	struct curl_waitfd	 wfd;
	enum ia_line_status	 st;
	char			 msg[512];
	bool			 input_done = false, want;
	int			 ch, rc, failed = 0;

	ia_config_init(&cfg);
	if (ia_option_merge(&opts, tables, true) == -1)
		err(2, NULL);
	while ((ch = getopt_long(argc, argv, opts.shortopts, opts.longopts,
	    NULL)) != -1) {
		if ((rc = ia_config_option(&cfg, ch, optarg, msg, sizeof(msg))) == -1)
			errx(2, "%s", msg);
		if (rc == 0)
			errx(2, "usage: t_http run [-qv] [-j n] [--base-url url] ...");
	}
	ia_option_free(&opts);
	if (ia_config_finish(&cfg, msg, sizeof(msg)) == -1)
		errx(2, "%s", msg);
	if ((h = ia_http_new(&cfg, cfg.verbose ? stderr : NULL, msg, sizeof(msg))) == NULL)
		errx(2, "%s", msg);
	ia_reader_init(&r, STDIN_FILENO, cfg.max_line);
	while (!input_done || ia_http_pending(h) > 0) {
		while (!input_done && ia_http_has_room(h)) {
			st = ia_reader_next(&r, &line);
			if (st == IA_LINE_NONE)
				break;
			if (st == IA_LINE_EOF) {
				input_done = true;
				break;
			}
			if (st == IA_LINE_TOO_LONG || (x = parse(line.text, line.len)) == NULL) {
				fprintf(stderr, "t_http: line %ld: not METHOD PATH [BODY]\n",
				    line.lineno);
				failed = 1;
				continue;
			}
			x->udata = (void *)(intptr_t)line.lineno;
			ia_http_submit(h, x);
		}
		if (input_done && ia_http_pending(h) == 0)
			break;	/* no last wait on an idle poll */
		want = !input_done && ia_http_has_room(h);
		wfd.fd = STDIN_FILENO;
		wfd.events = CURL_WAIT_POLLIN;
		wfd.revents = 0;
		if (ia_http_poll(h, want ? &wfd : NULL, want ? 1 : 0, 1000) == -1)
			errx(2, "curl multi interface failed");
		if (want && ia_reader_fill(&r) == -1)
			err(2, "stdin");
		while ((x = ia_http_next_done(h)) != NULL) {
			if (x->status < 200 || x->status > 299)
				failed = 1;
			emit(x);
			ia_http_xfer_free(x);
		}
	}
	ia_reader_free(&r);
	ia_http_free(h);
	ia_config_free(&cfg);
	if (ia_record_close(stdout) == -1)
		err(2, "stdout");
	return failed;
}

/* What ia_http_answer() gave before its fast path: a full parse, always. */
static jv
parsed_answer(const char *body, size_t len, const char *key)
{
	jv	 v = jv_parse_sized(body, (int)len), f = jv_invalid();

	if (jv_get_kind(v) == JV_KIND_OBJECT)
		f = jv_object_get(jv_copy(v), jv_string(key));
	jv_free(v);
	if (jv_get_kind(f) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(f)) == 0) {
		jv_free(f);
		return jv_invalid();
	}
	return f;
}

/* ia_http_answer() on a 200 with body reads what a full parse reads. */
static int
same_answer(const char *body, size_t len, const char *key)
{
	struct ia_xfer	 x;
	jv		 got, want;
	int		 same;

	memset(&x, 0, sizeof(x));
	x.status = 200;
	if (ia_buf_add(&x.resp, body, len) == -1)
		err(2, NULL);
	got = ia_http_answer(&x, key);
	want = parsed_answer(body, len, key);
	same = jv_get_kind(got) == jv_get_kind(want) &&
	    (!jv_is_valid(want) || jv_equal(jv_copy(got), jv_copy(want)));
	if (!same && failures < 20)
		fprintf(stderr, "answer %.*s (key %s): got %s\n", (int)len, body, key,
		    jv_is_valid(got) ? jv_string_value(got) : "(invalid)");
	jv_free(got);
	jv_free(want);
	ia_buf_free(&x.resp);
	return same;
}

static void
test_answer(void)
{
	static const char *const bodies[] = {
		"{\"id\":\"abc\"}", " {\t\"id\" \r:\n\"abc\" } \n", "{\"id\":\"\"}",
		"{\"id\":\"a\",\"id\":\"b\"}", "{\"id\":\"a\",\"id\":\"\"}",
		"{\"x\":\"1\",\"id\":\"abc\",\"y\":\"2\"}", "{\"idx\":\"a\"}",
		"{\"i\":\"a\"}", "{\"ID\":\"a\"}", "{}", "", " ", "[]", "null",
		"\"abc\"", "{\"id\":\"a\\u0041\"}", "{\"id\":\"a\\\"b\"}",
		"{\"id\":\"caf\xc3\xa9\"}", "{\"id\":\"\xff\"}", "{\"id\":123}",
		"{\"id\":null}", "{\"id\":[\"a\"]}", "{\"id\":{\"id\":\"a\"}}",
		"{\"id\":\"a\"", "{\"id\":\"a\"}}", "{\"id\":\"a\"} x",
		"{\"id\":\"a\"}{\"id\":\"b\"}", "{\"id\":\"a\",}", "{,\"id\":\"a\"}",
		"{\"id\" \"a\"}", "{\"id\"::\"a\"}", "{\"id\":\"a\" \"b\"}",
		"{\"id\":\"a\x1e\"}", "{\"id\":\"a\"}\x1e{\"id\":\"b\"}",
		"{\"id\":\"a\x7f\"}", "{\"id\":\"a\tb\"}", "\xef\xbb\xbf{\"id\":\"a\"}",
		"{\"id\":\"a\"}\f", "<html>502</html>", "{\"error\":{\"message\":\"x\"}}",
	};
	static const char alphabet[] = "{}[]\":, \t\r\n\\aid0\x1e\x7f\xc3";
	char	 buf[64];
	size_t	 i, len;
	unsigned seed = 1;
	int	 n;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CHECK(same_answer(bodies[i], strlen(bodies[i]), "id"));
		CHECK(same_answer(bodies[i], strlen(bodies[i]), "groupId"));
	}
	CHECK(same_answer("{\"groupId\":\"g1\",\"id\":\"x\"}", 25, "groupId"));
	CHECK(same_answer("{\"id\":\"a\0b\"}", 11, "id"));
	/* Answers mutated a byte or a few at a time, from JSON's own bytes. */
	for (n = 0; n < 20000; n++) {
		len = strlen(strcpy(buf, "{\"x\":\"1\", \"id\":\"abc\"}"));
		for (i = 0; i < 1 + (size_t)(n % 3); i++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		checks++;
		if (!same_answer(buf, len, "id"))
			failures++;
	}
	/* Not a 2xx: never an id. */
	{
		struct ia_xfer	 x;
		jv		 v;

		memset(&x, 0, sizeof(x));
		x.status = 404;
		ia_buf_add(&x.resp, "{\"id\":\"abc\"}", 12);
		v = ia_http_answer(&x, "id");
		CHECK(!jv_is_valid(v));
		jv_free(v);
		ia_buf_free(&x.resp);
	}
}

int
main(int argc, char *argv[])
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (argc != 2 || strcmp(argv[1], "pure") != 0) {
		fprintf(stderr, "usage: t_http pure | t_http run [options]\n");
		return 2;
	}
	test_retry_after();
	test_backoff();
	test_escape();
	test_retryable();
	test_answer();
	if (failures > 0) {
		fprintf(stderr, "t_http: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("t_http: %d checks passed\n", checks);
	return 0;
}
