/*
 * t_scan: lib/scan.c against libjq.  Each line the scanner takes must read
 * as ia_collect_record() and ia_result_read() read it: the custom_id, the
 * generation's id, the times, the request's hash, the tokens the summary
 * counts, and the row of every form ia_format_scan_row() makes, byte for
 * byte; whatever it declines, libjq reads.  "t_scan GROUP" runs one group
 * (take, decline, values, hash, fixtures, mutants, listing) or all of them; the
 * fixtures are tests/fixtures/collect/results.jsonl (T_SCAN_FIXTURES names
 * another), the mutants 300,000 of them and of the lines of "take" (as
 * many as T_SCAN_MUTANTS says).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

static unsigned long taken, declined;
static struct ia_scan sc;

/* A line for a message: its first 300 bytes, control bytes escaped. */
static void
show(const char *why, const char *line, size_t len)
{
	size_t	 i;

	fprintf(stderr, "%s: ", why);
	for (i = 0; i < len && i < 300; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)line[i]);
		else
			fputc(line[i], stderr);
	fprintf(stderr, "%s\n", len > 300 ? "..." : "");
}

static bool
same_bytes(jv s, const char *p, size_t len)
{
	bool	 yes = jv_get_kind(s) == JV_KIND_STRING &&
	    (size_t)jv_string_length_bytes(jv_copy(s)) == len &&
	    memcmp(jv_string_value(s), p, len) == 0;

	jv_free(s);
	return yes;
}

static const char *const forms[] = { "ndjson", "tsv", "csv", "raw", "raw0", NULL };

/*
 * Where the scan of a line it took and the tree of the same line differ,
 * or NULL.
 */
static const char *
differ(const char *line, size_t len)
{
	struct ia_line	 l = { NULL, line, len, 1 };
	struct ia_result r;
	struct ia_summary sum;
	struct ia_buf	 a = { 0 }, b = { 0 };
	const char	*why = NULL;
	int		 i, rc;

	ia_result_read(ia_collect_record(&l, len + 1), &r);
	ia_summary_init(&sum);
	if (r.kind != IA_RESULT_SUCCESS)
		why = "not a success to libjq";
	else if (!same_bytes(jv_copy(r.custom_id), sc.custom_id, sc.custom_id_len))
		why = "custom_id";
	else if (sc.id != NULL ? !same_bytes(jv_copy(r.id), sc.id, sc.id_len) :
	    jv_get_kind(r.id) == JV_KIND_STRING)
		why = "id";
	else if (r.dispatched != sc.dispatched || r.finished != sc.finished)
		why = "times";
	else if (sc.request_object != (jv_get_kind(r.request) == JV_KIND_OBJECT) ||
	    (sc.request_object && sc.request != ia_scan_hash(jv_copy(r.request),
	    "metadata")))
		why = "request hash";
	if (why == NULL) {
		ia_summary_add_success(&sum, &r);
		if (sum.tok_prompt != sc.tok_prompt ||
		    sum.tok_completion != sc.tok_completion ||
		    sum.tok_total != sc.tok_total)
			why = "tokens";
	}
	for (i = 0; why == NULL && forms[i] != NULL; i++) {
		a.len = b.len = 0;
		if (ia_format_row(ia_format_find(forms[i]), &a, &r) == -1 ||
		    (rc = ia_format_scan_row(ia_format_find(forms[i]), &b, &sc)) == -1)
			why = "out of memory";
		else if (rc == 0 && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)) {
			show(forms[i], a.data, a.len);
			show(forms[i], b.data, b.len);
			why = forms[i];
		}
	}
	ia_buf_free(&a);
	ia_buf_free(&b);
	ia_summary_free(&sum);
	ia_result_free(&r);
	return why;
}

/* A line both ways: 1 taken (and it agrees, or it is said), 0 declined. */
static int
both(const char *line, size_t len)
{
	const char	*why;
	int		 rc;

	checks++;
	if ((rc = ia_scan_generation(&sc, line, len)) != 1) {
		declined++;
		if (rc == -1) {
			failures++;
			fprintf(stderr, "ia_scan_generation: -1\n");
		}
		return 0;
	}
	taken++;
	if ((why = differ(line, len)) != NULL) {
		failures++;
		fprintf(stderr, "scan and libjq differ (%s) on:\n", why);
		show("line", line, len);
	}
	return 1;
}

static int
both_s(const char *line)
{
	return both(line, strlen(line));
}

#define HEAD "{\"custom_id\":\"c1\",\"id\":\"g1\",\"state\":\"Success\","
#define REQ "\"request\":{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":{\"custom_id\":\"c1\"}},"
#define RESP(content) "\"response\":{\"choices\":[{\"index\":0,\"finish_reason\":" \
	"\"stop\",\"message\":{\"role\":\"assistant\",\"content\":" content "}}]," \
	"\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}"

/* Lines the scanner must take, and read as libjq does. */
static const char *const take_lines[] = {
	HEAD REQ RESP("\"plain\"") "}",
	HEAD REQ RESP("\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20ac "
	    "\\ud83d\\ude00 \\u001f \\u007f end\"") "}",
	HEAD REQ RESP("\"raw é € 😀 \x7f ok\"") "}",
	HEAD REQ RESP("null") "}",
	HEAD REQ RESP("12") "}",
	HEAD REQ RESP("1.50e3") "}",
	HEAD REQ RESP("{\"a\":[1,true,null,\"x\\n\"],\"b\":{}}") "}",
	HEAD REQ RESP("[]") "}",
	/* White space anywhere JSON allows it. */
	" { \"custom_id\" : \"c1\" ,\t\"state\" :\"Success\" , \"response\" : { "
	    "\"choices\" : [ { \"message\" : { \"content\" : \"x\" } } ] } } \r",
	/* The custom_id from the request's metadata. */
	"{\"id\":\"g2\",\"state\":\"Success\",\"request\":{\"metadata\":{\"custom_id\":"
	    "\"m\\u00e9ta\"},\"prompt\":\"p\"},\"response\":{}}",
	"{\"custom_id\":null,\"state\":\"Success\",\"request\":{\"metadata\":"
	    "{\"custom_id\":\"m\"}},\"response\":{}}",
	/* An empty custom_id of its own is one. */
	"{\"custom_id\":\"\",\"state\":\"Success\",\"response\":{}}",
	/* A text completion; a message that is no object. */
	HEAD "\"response\":{\"choices\":[{\"text\":\"t\",\"finish_reason\":null}]}}",
	HEAD "\"response\":{\"choices\":[{\"message\":null,\"text\":\"t\"}]}}",
	HEAD "\"response\":{\"choices\":[{\"text\":\"t\",\"message\":{}}]}}",
	HEAD "\"response\":{\"choices\":[],\"usage\":null}}",
	HEAD "\"response\":{\"choices\":{}}}",
	HEAD "\"response\":null}",
	HEAD "\"response\":[1]}",
	HEAD "\"response\":{\"choices\":[{\"message\":{\"content\":\"a\"}},{\"x\":1}]}}",
	/* Usage of every shape; tokens that are no numbers count 0. */
	HEAD "\"response\":{\"usage\":{\"prompt_tokens\":1.5,\"total_tokens\":\"7\","
	    "\"details\":{\"cached\":[1,2]},\"queue_time\":0.0123,\"big\":1e300,"
	    "\"neg\":-0,\"x\":123456789012345678}}}",
	HEAD "\"response\":{\"usage\":5}}",
	HEAD "\"response\":{\"usage\":[]}}",
	HEAD "\"response\":{\"usage\":\"u\"}}",
	/* Times: ISO 8601 with a zone, none, or not a time. */
	HEAD "\"dispatchedAt\":\"2026-01-01T00:00:00.250Z\",\"finishedAt\":"
	    "\"2026-01-01T01:00:00+01:00\",\"response\":{}}",
	HEAD "\"dispatchedAt\":null,\"finishedAt\":\"soon\",\"response\":{}}",
	HEAD "\"dispatchedAt\":12,\"finishedAt\":\"2026-13-45T99:99:99Z\",\"response\":{}}",
	/* Keys twice where it does not matter, the id of any kind. */
	"{\"custom_id\":\"c\",\"id\":7,\"x\":1,\"x\":2,\"state\":\"Success\","
	    "\"stateMessage\":\"a\",\"stateMessage\":\"b\"}",
	"{\"custom_id\":\"c\",\"id\":null,\"state\":\"Success\"}",
	/* A request of every kind of value, keys escaped. */
	HEAD "\"request\":{\"n\":[1,1.0,-0,1e2,0.1,-2.5E-3],\"t\":true,\"f\":false,"
	    "\"z\":null,\"s\":\"\\u0041\",\"o\":{\"k\\u00e9\":{}},\"metadata\":5}}",
	HEAD "\"request\":\"not an object\"}",
	/* Escaped names of the keys that matter. */
	"{\"custom_\\u0069d\":\"c\",\"st\\u0061te\":\"Succ\\u0065ss\"}",
	NULL
};

/* Lines the scanner must decline. */
static const char *const decline_lines[] = {
	"",
	"[]",
	"{}",
	"{\"custom_id\":\"c\"}",
	HEAD REQ RESP("\"x\"") "} x",
	HEAD REQ RESP("\"x\"") "}}",
	HEAD REQ RESP("\"x\"") ",}",
	HEAD REQ RESP("\"x\"") "} {}",
	"{\"custom_id\":\"c\",\"state\":\"Failed\"}",
	"{\"custom_id\":\"c\",\"state\":\"In Progress\"}",
	"{\"custom_id\":\"c\",\"state\":null}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"error\":null}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"state\":\"Success\"}",
	"{\"custom_id\":\"c\",\"custom_id\":\"d\",\"state\":\"Success\"}",
	"{\"custom_id\":1,\"state\":\"Success\"}",
	"{\"custom_id\":true,\"state\":\"Success\"}",
	"{\"state\":\"Success\"}",
	"{\"state\":\"Success\",\"request\":{\"metadata\":{\"custom_id\":\"\"}}}",
	"{\"state\":\"Success\",\"request\":{\"metadata\":{\"custom_id\":1}}}",
	"{\"state\":\"Success\",\"request\":{\"body\":{},\"custom_id\":\"b\"}}",
	/* A NUL, raw or escaped, anywhere. */
	"{\"custom_id\":\"c\\u0000\",\"state\":\"Success\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\u0000\"}",
	/* Not strict JSON. */
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"a\x1e\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"a\tb\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\x\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\u12\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\ud83d\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\ude00\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\\ud83d\\u0041\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\xff\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\xc3\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\xed\xa0\x80\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":\"\xc0\xaf\"}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":01}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":1.}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":.5}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":+1}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":1e}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":nan}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":tru}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":[1,]}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":[1 2]}",
	"{\"custom_id\":\"c\",\"state\":\"Success\",\"x\":{\"a\" \"b\"}}",
	"{\"custom_id\":\"c\",\"state\":\"Success\" \"x\":1}",
	"{'custom_id':\"c\",\"state\":\"Success\"}",
	/* A key twice where libjq keeps the last. */
	HEAD "\"request\":{\"a\":1,\"a\":2}}",
	HEAD "\"request\":{\"o\":{\"k\":1,\"k\":1}}}",
	HEAD "\"request\":{\"metadata\":{},\"metadata\":{}}}",
	HEAD "\"response\":{\"choices\":[],\"choices\":[]}}",
	HEAD "\"response\":{\"usage\":{},\"usage\":{}}}",
	HEAD "\"response\":{\"usage\":{\"total_tokens\":1,\"total_tokens\":2}}}",
	HEAD "\"response\":{\"choices\":[{\"message\":{\"content\":\"a\",\"content\":\"b\"}}]}}",
	HEAD "\"response\":{\"choices\":[{\"text\":\"a\",\"text\":\"b\"}]}}",
	HEAD "\"response\":{\"choices\":[{\"message\":{},\"message\":{}}]}}",
	HEAD "\"response\":{\"choices\":[{\"finish_reason\":1,\"finish_reason\":2}]}}",
	/* Numbers out of range, where they are read. */
	HEAD "\"request\":{\"n\":1e400}}",
	HEAD "\"response\":{\"usage\":{\"total_tokens\":-1e999}}}",
	NULL
};

static void
t_take(void)
{
	int	 i;

	for (i = 0; take_lines[i] != NULL; i++)
		if (!both_s(take_lines[i])) {
			failures++;
			show("declined", take_lines[i], strlen(take_lines[i]));
		}
}

static void
t_decline(void)
{
	int	 i;

	for (i = 0; decline_lines[i] != NULL; i++)
		if (both_s(decline_lines[i])) {
			failures++;
			show("taken", decline_lines[i], strlen(decline_lines[i]));
		}
	/* A raw NUL. */
	CHECK(!both("{\"custom_id\":\"c\",\"state\":\"Success\"}\0", 36));
	/* Nested deeper than the scanner goes. */
	{
		struct ia_buf	 b = { 0 };

		ia_buf_adds(&b, HEAD "\"request\":{\"x\":");
		for (i = 0; i < 100; i++)
			ia_buf_adds(&b, "[");
		for (i = 0; i < 100; i++)
			ia_buf_adds(&b, "]");
		ia_buf_adds(&b, "}}");
		CHECK(!both(b.data, b.len));
		ia_buf_free(&b);
	}
}

/* A value in a line's content, put as jq prints it, raw or not. */
static void
put_as_jq(const char *json)
{
	struct ia_buf	 line = { 0 }, a = { 0 }, b = { 0 };
	jv		 v;
	int		 raw;

	ia_buf_addf(&line, "{\"custom_id\":\"c\",\"state\":\"Success\",\"response\":"
	    "{\"choices\":[{\"message\":{\"content\":%s}}]}}", json);
	if (!both(line.data, line.len)) {
		failures++;
		show("declined", line.data, line.len);
	} else
		for (raw = 0; raw < 2; raw++) {
			a.len = b.len = 0;
			v = jv_parse(json);
			CHECK(ia_format_value(&a, v, raw) == 0);
			checks++;
			if (ia_scan_put(&b, &sc, &sc.content, raw) != 0 || a.len != b.len ||
			    memcmp(a.data, b.data, a.len) != 0) {
				failures++;
				show("jq", a.data, a.len);
				show("scan", b.data, b.len);
			}
		}
	ia_buf_free(&line);
	ia_buf_free(&a);
	ia_buf_free(&b);
}

static void
t_values(void)
{
	char		 json[64];
	unsigned	 c;
	int		 i;
	static const char *const numbers[] = { "0", "-0", "7", "-7", "100",
	    "1000000", "999999999999999", "-999999999999999", "1000000000000000",
	    "10000000000000000", "123456789012345678", "1.0", "1.5", "0.1",
	    "1e2", "1E+2", "1e-5", "2.5e-300", "5e-324", "1.7976931348623157e308",
	    "0.30000000000000004", "12345678901234567890", "3.14159265358979",
	    NULL };

	/* Every escape of a byte, and the byte raw where JSON allows it. */
	for (c = 1; c < 0x80; c++) {
		snprintf(json, sizeof(json), "\"a\\u%04xz\"", c);
		put_as_jq(json);
		if (c >= 0x20 && c != '"' && c != '\\') {
			snprintf(json, sizeof(json), "\"a%cz\"", c);
			put_as_jq(json);
		}
	}
	put_as_jq("\"\\u00e9\\u0800\\uffff\\ud800\\udc00\\udbff\\udfff é\"");
	for (i = 0; numbers[i] != NULL; i++)
		put_as_jq(numbers[i]);
	put_as_jq("{\"a\":{\"b\":[[],{}]},\"\\u00e9\":\"\\u00e9\",\"n\":1.10}");
	put_as_jq("[true,false,null,\"\\n\",-0.0]");
	/* A key twice inside the value: declined when it is put. */
	CHECK(both_s(HEAD RESP("{\"a\":1,\"\\u0061\":2}") "}"));
	{
		struct ia_buf	 b = { 0 };

		CHECK(ia_scan_put(&b, &sc, &sc.content, false) == 1);
		CHECK(ia_format_scan_row(ia_format_find("ndjson"), &b, &sc) == 1);
		CHECK(b.len == 0);
		CHECK(ia_format_scan_row(ia_format_find("raw"), &b, &sc) == 1);
		/* openai prints the whole response: from the tree only. */
		CHECK(ia_format_scan_row(ia_format_find("openai"), &b, &sc) == 1);
		ia_buf_free(&b);
	}
}

/* The request hash of a line: same, or not, as another's. */
static uint64_t
request_hash(const char *req)
{
	struct ia_buf	 line = { 0 };
	uint64_t	 h = 0;

	ia_buf_addf(&line, HEAD "\"request\":%s}", req);
	if (both(line.data, line.len))
		h = sc.request;
	else {
		failures++;
		show("declined", line.data, line.len);
	}
	ia_buf_free(&line);
	return h;
}

static void
t_hash(void)
{
	uint64_t	 h = request_hash("{\"model\":\"m\",\"messages\":[{\"role\":\"u\","
	    "\"content\":\"hi\"}],\"max_tokens\":10,\"metadata\":{\"custom_id\":\"a\"}}");

	/* Key order, white space, spelling, the metadata: the same request. */
	CHECK(h == request_hash("{ \"max_tokens\" : 1e1 , \"messages\":[{\"content\":"
	    "\"\\u0068i\",\"role\":\"u\"}],\"metadata\":{\"webhook_id\":\"w\"},"
	    "\"model\":\"m\"}"));
	CHECK(h == request_hash("{\"messages\":[{\"role\":\"u\",\"content\":\"hi\"}],"
	    "\"model\":\"\\u006d\",\"max_tokens\":10.0}"));
	/* Another value, an element's order, a key more: another request. */
	CHECK(h != request_hash("{\"model\":\"m\",\"messages\":[{\"role\":\"u\","
	    "\"content\":\"hi!\"}],\"max_tokens\":10}"));
	CHECK(h != request_hash("{\"model\":\"m\",\"messages\":[{\"role\":\"u\","
	    "\"content\":\"hi\"}],\"max_tokens\":11}"));
	CHECK(h != request_hash("{\"model\":\"m\",\"messages\":[{\"role\":\"u\","
	    "\"content\":\"hi\"}],\"max_tokens\":10,\"n\":null}"));
	CHECK(request_hash("[1,2]") == 0 && !sc.request_object);
	CHECK(request_hash("{\"a\":[1,2]}") != request_hash("{\"a\":[2,1]}"));
	CHECK(request_hash("{\"a\":{\"b\":1}}") != request_hash("{\"a\":{\"c\":1}}"));
	CHECK(request_hash("{\"a\":\"1\"}") != request_hash("{\"a\":1}"));
	CHECK(request_hash("{\"a\":{}}") != request_hash("{\"a\":[]}"));
	CHECK(request_hash("{\"a\":null}") != request_hash("{\"a\":false}"));
	/* The metadata is left out at the top only. */
	CHECK(request_hash("{\"o\":{\"metadata\":1}}") !=
	    request_hash("{\"o\":{\"metadata\":2}}"));
	CHECK(request_hash("{\"a\":1,\"metadata\":1}") == request_hash("{\"a\":1}"));
	/* The tree's hash is the text's, that of ia_clash_request(). */
	CHECK(ia_scan_hash(jv_parse("{\"b\":[1,{\"c\":\"d\"}],\"a\":-0,\"metadata\":7}"),
	    "metadata") == ia_scan_hash(jv_parse("{\"a\":0,\"b\":[1.0,{\"c\":\"d\"}]}"),
	    NULL));
}

static void
read_lines(const char *path, void (*fn)(const char *, size_t))
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		failures++;
		return;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		fn(line, (size_t)n);
	}
	free(line);
	fclose(fp);
}

static void
fixture(const char *line, size_t len)
{
	both(line, len);
}

static const char *
fixtures(void)
{
	const char	*p = getenv("T_SCAN_FIXTURES");

	return p != NULL ? p : "tests/fixtures/collect/results.jsonl";
}

static void
t_fixtures(void)
{
	unsigned long	 before = taken;

	read_lines(fixtures(), fixture);
	/* The fixture's Success generations, all of them. */
	CHECK(taken - before == 14);
}

/* The lines the mutants are made from. */
static struct ia_buf	 base[256];
static size_t		 nbase;

static void
keep(const char *line, size_t len)
{
	if (nbase < sizeof(base) / sizeof(base[0]))
		ia_buf_add(&base[nbase++], line, len);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* What a mutation puts in: the bytes and tokens that make JSON change meaning. */
static const char *const bits[] = {
	"\"", "\\", "\\\\", "\\\"", "\\u0000", "\\u00e9", "\\ud83d\\ude00", "\\ud83d",
	"\\udc00", "\\n", "\\/", "\\x", "é", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80",
	"\x1e", "\x7f", "\x01", "\t", " ", "\r", ",", ":", "{", "}", "[", "]",
	"null", "true", "false", "0", "-0", "01", "1e400", "1.", "1.50", "-", "e5",
	"12345678901234567", ",\"state\":\"Success\"", ",\"state\":\"Failed\"",
	",\"custom_id\":\"dup\"", ",\"custom_id\":null", ",\"error\":{}",
	",\"usage\":{\"total_tokens\":7}", "\"prompt_tokens\":1,", ",\"x\":1",
	"\"metadata\":{\"custom_id\":\"m\"},", ",\"choices\":[]", "\"message\":{},",
	",\"content\":\"c\"", "\"text\":\"t\",", ",\"request\":{\"a\":1}",
	",\"response\":null", "\"dispatchedAt\":\"2026-01-01T00:00:00Z\",",
};

/* One mutant of line: a few bytes changed, put in, taken out or copied. */
static void
mutate(struct ia_buf *m, const struct ia_buf *line, uint64_t *s)
{
	size_t		 at, n, from;
	const char	*bit;
	int		 k, times = 1 + (int)(rnd(s) % 3);

	m->len = 0;
	ia_buf_add(m, line->data, line->len);
	for (k = 0; k < times && m->len > 0; k++) {
		at = rnd(s) % m->len;
		switch (rnd(s) % 4) {
		case 0:
			m->data[at] = bits[rnd(s) % (sizeof(bits) / sizeof(bits[0]))][0];
			break;
		case 1:
			bit = bits[rnd(s) % (sizeof(bits) / sizeof(bits[0]))];
			n = strlen(bit);
			ia_buf_add(m, bit, n);
			memmove(m->data + at + n, m->data + at, m->len - n - at);
			memcpy(m->data + at, bit, n);
			break;
		case 2:
			n = 1 + rnd(s) % 8;
			if (n > m->len - at)
				n = m->len - at;
			memmove(m->data + at, m->data + at + n, m->len - at - n);
			m->len -= n;
			break;
		default:
			from = rnd(s) % m->len;
			n = 1 + rnd(s) % 24;
			if (n > m->len - from)
				n = m->len - from;
			{
				char	*copy = malloc(n);

				memcpy(copy, m->data + from, n);
				ia_buf_add(m, copy, n);
				memmove(m->data + at + n, m->data + at, m->len - n - at);
				memcpy(m->data + at, copy, n);
				free(copy);
			}
		}
	}
}

static void
t_mutants(void)
{
	struct ia_buf	 m = { 0 };
	const char	*env = getenv("T_SCAN_MUTANTS");
	unsigned long	 i, n = env != NULL ? strtoul(env, NULL, 10) : 300000, was;
	uint64_t	 s = 0x9e3779b97f4a7c15ULL;
	size_t		 j;

	read_lines(fixtures(), keep);
	for (j = 0; take_lines[j] != NULL; j++)
		keep(take_lines[j], strlen(take_lines[j]));
	was = taken;
	for (i = 0; i < n && nbase > 0; i++) {
		mutate(&m, &base[i % nbase], &s);
		both(m.data, m.len);
	}
	/* The mutants hold both kinds: some taken, most not. */
	CHECK(n == 0 || (taken - was > n / 20 && taken - was < n));
	ia_buf_free(&m);
	for (j = 0; j < nbase; j++)
		ia_buf_free(&base[j]);
	nbase = 0;
}

/*
 * A listing the scanner takes must be one libjq reads the same: an object
 * whose generations hold as many elements, each element's text parsed
 * alone the element itself, its id, its custom_id (ia_record_custom_id()
 * of its request) and whether its state is final as the tree has them.
 * Returns 1 taken, 0 declined; a difference fails the check.
 */
static struct ia_scan_listing	 lst;

/* A string of the tree (consumed) and the scanner's; "" none with empty. */
static bool
same_key(jv v, const char *p, size_t len, bool empty)
{
	bool	 yes;

	if (jv_get_kind(v) != JV_KIND_STRING ||
	    (empty && jv_string_length_bytes(jv_copy(v)) == 0))
		yes = p == NULL;
	else
		yes = p != NULL && same_bytes(jv_copy(v), p, len);
	jv_free(v);
	return yes;
}

static int
listing_agrees(const char *text, size_t len)
{
	jv	 all, gens, g, one, st;
	size_t	 i;
	bool	 ok, fin;
	int	 rc = ia_scan_listing(&lst, text, len);

	if (rc != 1)
		return 0;
	all = jv_parse_sized(text, (int)len);
	gens = jv_get_kind(all) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(all), jv_string("generations")) : jv_invalid();
	ok = jv_get_kind(gens) == JV_KIND_ARRAY &&
	    (size_t)jv_array_length(jv_copy(gens)) == lst.n;
	for (i = 0; ok && i < lst.n; i++) {
		g = jv_array_get(jv_copy(gens), (int)i);
		if (jv_get_kind(g) != JV_KIND_OBJECT) {
			jv_free(g);
			ok = false;
			break;
		}
		one = jv_parse_sized(lst.gens[i].text, (int)lst.gens[i].len);
		st = jv_object_get(jv_copy(g), jv_string("state"));
		fin = jv_get_kind(st) == JV_KIND_STRING &&
		    (strcmp(jv_string_value(st), "Success") == 0 ||
		    strcmp(jv_string_value(st), "Failed") == 0);
		ok = jv_equal(jv_copy(g), one) && fin == lst.gens[i].final &&
		    same_key(jv_object_get(jv_copy(g), jv_string("id")),
		    lst.gens[i].id, lst.gens[i].id_len, false) &&
		    same_key(ia_record_custom_id(jv_object_get(jv_copy(g),
		    jv_string("request"))), lst.gens[i].custom_id,
		    lst.gens[i].custom_id_len, true);
		jv_free(st);
		jv_free(g);
	}
	jv_free(gens);
	jv_free(all);
	if (!ok) {
		failures++;
		show("listing taken, libjq reads it otherwise", text, len);
	}
	return 1;
}

#define LISTING(text, want) do {					\
	checks++;							\
	if (listing_agrees((text), strlen(text)) != (want)) {		\
		failures++;						\
		show((want) ? "listing declined" : "listing taken", (text), \
		    strlen(text));					\
	}								\
} while (0)

static const char *const listings[] = {
	"{\"generations\":[]}",
	"{\"generations\":[{\"id\":\"a\",\"state\":\"Queued\",\"request\":{\"metadata\":{\"custom_id\":\"c1\"}}},"
	    "{\"id\":\"b\",\"state\":\"Success\",\"request\":{\"metadata\":{\"custom_id\":\"c2\"}},"
	    "\"response\":{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}}]}",
	" { \"object\" : \"list\" , \"generations\" : [ { \"state\" : \"Failed\" , \"id\" : \"\\u0061\\n\" } ] , \"n\" : 1.5e3 } \n",
	"{\"generations\":[{\"id\":7,\"state\":null,\"request\":{\"metadata\":null}},{\"request\":[]},{}]}",
	"{\"generations\":[{\"id\":\"x\",\"state\":\"In Progress\",\"request\":{\"metadata\":{\"custom_id\":\"\"}}}]}",
	"{\"generations\":[{\"id\":\"\xc3\xa9\",\"state\":\"Succ\\u0065ss\",\"request\":{\"model\":\"m\",\"metadata\":{\"a\":{\"custom_id\":1},\"custom_id\":\"\\ud83d\\ude00\"}}}]}",
	NULL
};

static void
t_listing(void)
{
	static const char *const declined[] = {
		"",
		"[]",
		"{\"generations\":{}}",
		"{\"data\":[]}",
		"{\"generations\":[],\"generations\":[]}",
		"{\"generations\":[1]}",
		"{\"generations\":[{\"state\":\"Queued\",\"state\":\"Success\"}]}",
		"{\"generations\":[{\"id\":\"a\",\"id\":\"b\"}]}",
		"{\"generations\":[{\"request\":{},\"request\":{}}]}",
		"{\"generations\":[{\"request\":{\"body\":{},\"custom_id\":\"c\"}}]}",
		"{\"generations\":[{\"request\":{\"metadata\":{\"custom_id\":5}}}]}",
		"{\"generations\":[{\"request\":{\"metadata\":{\"custom_id\":\"a\",\"custom_id\":\"b\"}}}]}",
		"{\"generations\":[{\"id\":\"a\\u0000\"}]}",
		"{\"generations\":[{\"id\":\"\xff\"}]}",
		"{\"generations\":[]} {}",
		"{\"generations\":[{}]",
		"{\"generations\":[{},]}",
		"{\"generations\":[\"a\" \"b\"]}",
		"<html><body>502 Bad Gateway</body></html>",
		NULL
	};
	struct ia_buf	 m = { 0 }, b[8];
	uint64_t	 r = 0x2545f4914f6cdd1dULL;
	unsigned long	 i, took = 0, n = 60000;
	size_t		 j, nb;

	for (j = 0; listings[j] != NULL; j++)
		LISTING(listings[j], 1);
	for (j = 0; declined[j] != NULL; j++)
		LISTING(declined[j], 0);
	/* The scanner's view of the second: what ia-poll acts on. */
	if (ia_scan_listing(&lst, listings[1], strlen(listings[1])) == 1) {
		CHECK(lst.n == 2);
		CHECK(!lst.gens[0].final && lst.gens[1].final);
		CHECK(lst.gens[0].custom_id_len == 2 &&
		    memcmp(lst.gens[0].custom_id, "c1", 2) == 0);
		CHECK(lst.gens[1].id_len == 1 && lst.gens[1].id[0] == 'b');
	} else
		CHECK(!"the second listing is taken");
	/* Its third's id, decoded; the fifth's empty custom_id is none. */
	CHECK(ia_scan_listing(&lst, listings[2], strlen(listings[2])) == 1 &&
	    lst.gens[0].final && lst.gens[0].id_len == 2 &&
	    memcmp(lst.gens[0].id, "a\n", 2) == 0);
	CHECK(ia_scan_listing(&lst, listings[4], strlen(listings[4])) == 1 &&
	    lst.gens[0].custom_id == NULL && !lst.gens[0].final);
	/* Mutants of them: whatever is taken, libjq reads the same. */
	memset(b, 0, sizeof(b));
	for (nb = 0; listings[nb] != NULL && nb < 8; nb++)
		ia_buf_add(&b[nb], listings[nb], strlen(listings[nb]));
	for (i = 0; i < n; i++) {
		mutate(&m, &b[i % nb], &r);
		checks++;
		took += (unsigned long)listing_agrees(m.data, m.len);
	}
	CHECK(took > n / 20 && took < n);
	ia_buf_free(&m);
	for (j = 0; j < nb; j++)
		ia_buf_free(&b[j]);
	ia_scan_free_listing(&lst);
}

static const struct t_group groups[] = {
	{ "take", t_take },
	{ "decline", t_decline },
	{ "values", t_values },
	{ "hash", t_hash },
	{ "fixtures", t_fixtures },
	{ "mutants", t_mutants },
	{ "listing", t_listing },
};

int
main(int argc, char *argv[])
{
	size_t		 i;
	unsigned long	 t0, d0;
	int		 ran = 0, before, failed;

	if (argc != 2)
		t_usage("t_scan", groups, sizeof(groups) / sizeof(groups[0]));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(argv[1], "all") != 0 && strcmp(argv[1], groups[i].name) != 0)
			continue;
		before = checks;
		failed = failures;
		t0 = taken;
		d0 = declined;
		groups[i].fn();
		printf("%s: %d checks, %s (%lu lines taken, %lu declined)\n",
		    groups[i].name, checks - before, failures == failed ? "ok" :
		    "FAILED", taken - t0, declined - d0);
		fflush(stdout);
		ran++;
	}
	if (ran == 0)
		t_usage("t_scan", groups, sizeof(groups) / sizeof(groups[0]));
	ia_scan_free(&sc);
	if (failures > 0) {
		printf("t_scan: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("t_scan: %d checks passed\n", checks);
	return 0;
}
