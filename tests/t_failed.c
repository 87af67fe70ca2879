/*
 * t_failed: checks of what ia-collect does at the end of a run, in the
 * library: lib/failed.c (--failed: what to print, what not and why),
 * lib/sorted.c (--sort and --input's order), the notes of summary.c, the
 * --status line and the record a line stands for (collect.c), the tally of
 * --input (input.c) and -e's output (format.c).  "t_failed GROUP" runs one
 * group (failed, sorted, notes, status, tally, jq) or all of them; it
 * prints one line per group and a summary, or each failing check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

/* NUL-ended notes as one string, each note ending in "|". */
static char *
notes(struct ia_buf *b)
{
	struct ia_buf	 out = { 0 };
	const char	*p;

	for (p = b->data; p != NULL && p < b->data + b->len; p += strlen(p) + 1) {
		ia_buf_adds(&out, p);
		ia_buf_adds(&out, "|");
	}
	ia_buf_free(b);
	return ia_buf_steal(&out);
}

static int
add(struct ia_collect *c, const char *json)
{
	struct ia_result r;
	int		 rc;

	rc = ia_collect_add(c, jv_parse(json), &r);
	ia_result_free(&r);
	return rc;
}

#define FAILED(cid) "{\"custom_id\":\"" cid "\",\"id\":\"gen-" cid "\"," \
	"\"state\":\"Failed\",\"stateMessage\":\"boom\",\"request\":{\"model\":" \
	"\"m\",\"prompt\":\"" cid "\"}}"
#define OK(cid) "{\"custom_id\":\"" cid "\",\"id\":\"gen-" cid "\"," \
	"\"state\":\"Success\",\"response\":{}}"
#define ERROR(cid, stage, status, req) "{\"custom_id\":" cid ",\"error\":" \
	"{\"stage\":\"" stage "\",\"status\":" status ",\"message\":\"m\"," \
	"\"attempts\":1},\"request\":" req ",\"line\":null}"

/* Appends each request printed to the array arg. */
static void
printed(void *arg, jv req)
{
	jv	*list = arg;

	*list = jv_array_append(*list, req);
}

static void
t_failed(void)
{
	struct ia_collect c;
	struct ia_failed f;
	struct ia_buf	 b = { 0 };
	char		*n;
	jv		 list = jv_array();

	ia_collect_init(&c);
	CHECK(add(&c, FAILED("a")) == 0);
	CHECK(add(&c, FAILED("b")) == 0);
	CHECK(add(&c, FAILED("won")) == 0);
	CHECK(add(&c, OK("won")) == 1);
	/* Refused (a 4xx but 408 and 429): not worth sending again. */
	CHECK(add(&c, ERROR("\"r\"", "submit", "400", "{\"prompt\":\"r\"}")) == 0);
	/* A 429 is worth it, and so is a 5xx. */
	CHECK(add(&c, ERROR("\"t\"", "submit", "429", "{\"prompt\":\"t\"}")) == 0);
	/* A poll error carries no request to send: lost, without --input. */
	CHECK(add(&c, ERROR("\"p\"", "poll", "null", "{\"id\":\"gen-p\"}")) == 0);
	/* Without a custom_id: its request, or counted refused. */
	CHECK(add(&c, ERROR("null", "input", "null", "{\"prompt\":\"anon\"}")) == 0);
	CHECK(add(&c, ERROR("null", "group", "403", "{\"prompt\":\"no\"}")) == 0);
	/* Submitted, never answered: pending at the end, to follow. */
	CHECK(add(&c, "{\"custom_id\":\"q\",\"id\":\"gen-q\"}") == 0);
	CHECK(ia_collect_end(&c) == 0);

	ia_failed_init(&f, &c);
	CHECK_JSON(jv_keys(jv_copy(f.want)), "[\"a\",\"b\",\"p\",\"t\"]");
	CHECK(f.pending == 1 && f.refused == 2 && f.lost == 0);
	/* --input gives b's request: taken once, then no more. */
	CHECK(ia_failed_take(&f, "b"));
	CHECK(!ia_failed_take(&f, "b"));
	CHECK(!ia_failed_take(&f, "won"));
	CHECK(!ia_failed_take(&f, "r"));
	ia_failed_rest(&f, &c, printed, &list);
	CHECK_JSON(list, "[{\"model\":\"m\",\"prompt\":\"a\"},{\"prompt\":\"t\"},"
	    "{\"prompt\":\"anon\"}]");
	CHECK(f.lost == 1 && f.pending == 1 && f.refused == 2);
	CHECK(ia_failed_notes(&f, false, &b) == 0);
	n = notes(&b);
	CHECK_STR(n, "1 failed without a request to resubmit (not in the stream; "
	    "try --input)|1 still pending, not printed: sending them again could "
	    "pay twice; follow them with ia-collect --pending | ia-poll|2 refused "
	    "by the server (4xx), not printed: the same request would be refused "
	    "again|");
	free(n);
	CHECK(ia_failed_notes(&f, true, &b) == 0);
	n = notes(&b);
	CHECK(strstr(n, "(not in the stream nor in --input)|") != NULL);
	free(n);
	ia_failed_free(&f);
	ia_collect_free(&c);

	/* Nothing failed: nothing to print, no note. */
	ia_collect_init(&c);
	CHECK(add(&c, OK("x")) == 1);
	CHECK(ia_collect_end(&c) == 0);
	ia_failed_init(&f, &c);
	CHECK_JSON(jv_copy(f.want), "{}");
	list = jv_array();
	ia_failed_rest(&f, &c, printed, &list);
	CHECK_JSON(list, "[]");
	CHECK(ia_failed_notes(&f, false, &b) == 0 && b.len == 0);
	ia_failed_free(&f);
	ia_collect_free(&c);
}

/* Appends each text given, and a "|". */
static void
text_of(void *arg, const char *text, size_t len)
{
	ia_buf_add(arg, text, len);
	ia_buf_adds(arg, "|");
}

static void
t_sorted(void)
{
	struct ia_sorted s;
	struct ia_buf	 b = { 0 };
	char		 msg[512];

	/* Without --input: by custom_id, those without one last, as they came. */
	ia_sorted_init(&s);
	ia_sorted_add(&s, jv_string("c"), "C\n", 2);
	ia_sorted_add(&s, jv_null(), "anon1\n", 6);
	ia_sorted_add(&s, jv_string("a"), "A\n", 2);
	ia_sorted_add(&s, jv_invalid(), "anon2\n", 6);
	ia_sorted_add(&s, jv_string("b"), "B\0b\n", 4);
	ia_sorted_each(&s, text_of, &b);
	CHECK(b.len == 25 && memcmp(b.data, "A\n|B\0b\n|C\n|anon1\n|anon2\n|", 25) == 0);
	ia_buf_free(&b);
	/* --input places c then a; b is not in it: after them, and a note. */
	ia_sorted_place(&s, "x");
	ia_sorted_place(&s, "c");
	ia_sorted_place(&s, "a");
	ia_sorted_place(&s, "c");
	CHECK(s.places == 3);
	CHECK(ia_sorted_verdict(&s, "in.jsonl", msg, sizeof(msg)) == 1);
	CHECK_STR(msg, "1 of the 3 custom_ids read is not in in.jsonl, and is "
	    "printed after the others (first: \"b\")");
	ia_sorted_each(&s, text_of, &b);
	CHECK(b.len == 25 && memcmp(b.data, "C\n|A\n|B\0b\n|anon1\n|anon2\n|", 25) == 0);
	ia_buf_free(&b);
	ia_sorted_free(&s);

	/* None of them in --input: read with other options, a usage error. */
	ia_sorted_init(&s);
	ia_sorted_add(&s, jv_string("b"), "B\n", 2);
	ia_sorted_add(&s, jv_string("a"), "A\n", 2);
	ia_sorted_place(&s, "z");
	CHECK(ia_sorted_verdict(&s, "in", msg, sizeof(msg)) == -1);
	CHECK_STR(msg, "none of the 2 custom_ids read is in in as read (first: "
	    "\"a\"); read it with the options it was submitted with (-t, -m, "
	    "--system, --webhook-id; -e as --input-filter)");
	ia_sorted_place(&s, "b");
	CHECK(ia_sorted_verdict(&s, "in", msg, sizeof(msg)) == 1);
	CHECK(strstr(msg, "1 of the 2 custom_ids read is not in in") == msg);
	ia_sorted_place(&s, "a");
	msg[0] = '\0';
	CHECK(ia_sorted_verdict(&s, "in", msg, sizeof(msg)) == 0 && msg[0] == '\0');
	ia_sorted_free(&s);
}

static void
t_notes(void)
{
	struct ia_summary sum;
	struct ia_buf	 b = { 0 };
	char		*n;

	ia_summary_init(&sum);
	CHECK(ia_summary_notes(&sum, "x", false, &b) == 0 && b.len == 0);
	sum.others = 2;
	ia_summary_add_clash(&sum, IA_CLASH_REQUEST, jv_string("k\nl"));
	ia_summary_add_clash(&sum, IA_CLASH_GENERATION, jv_string("g"));
	ia_summary_add_clash(&sum, IA_CLASH_GENERATION, jv_string("h"));
	CHECK(ia_summary_notes(&sum, "f:3", false, &b) == 0);
	n = notes(&b);
	/* A newline in a custom_id stays inside its note. */
	CHECK_STR(n, "2 lines were not results and were skipped (first: f:3)|"
	    "1 answer dropped: it answers another request than the one answered "
	    "under its custom_id (first: \"k\nl\"); different requests shared a "
	    "custom_id: give each its own, or assign ids before splitting the "
	    "input (ia-submit --requests-only; see ia(7), SHARDING)|"
	    "2 answers dropped: each is another generation of the request "
	    "answered under its custom_id (first: \"g\"), which was submitted, and "
	    "paid for, more than once: assign ids before splitting the input "
	    "(ia-submit --requests-only; see ia(7), SHARDING)|");
	free(n);
	/* Quiet: the lines skipped go unsaid, the answers dropped do not. */
	sum.others = 1;
	CHECK(ia_summary_notes(&sum, "f:3", true, &b) == 0);
	n = notes(&b);
	CHECK(strncmp(n, "1 answer dropped", 16) == 0);
	free(n);
	sum.clashes = sum.extra_gens = 0;
	CHECK(ia_summary_notes(&sum, "line 9", false, &b) == 0);
	n = notes(&b);
	CHECK_STR(n, "1 line was not a result and was skipped (first: line 9)|");
	free(n);
	ia_summary_free(&sum);
}

static void
t_status(void)
{
	struct ia_collect c;
	struct ia_buf	 b = { 0 };
	struct ia_line	 l = { "r.jsonl", NULL, 0, 7 };
	jv		 rec;

	ia_collect_init(&c);
	CHECK(add(&c, "{\"custom_id\":\"a\",\"id\":\"gen-a\"}") == 0);
	CHECK(add(&c, "{\"custom_id\":\"b\",\"id\":\"gen-b\"}") == 0);
	CHECK(add(&c, "{\"custom_id\":\"c\",\"id\":\"gen-c\"}") == 0);
	CHECK(add(&c, OK("a")) == 1);
	CHECK(add(&c, FAILED("b")) == 0);
	CHECK(ia_collect_end(&c) == 0);
	CHECK(ia_collect_status(&c, &b) == 0);
	CHECK_STR(b.data, "submitted 3, done 1, failed 1, pending 1\n");
	ia_buf_free(&b);
	ia_collect_free(&c);

	/* The record a line stands for. */
	CHECK_JSON(ia_collect_record(&l, 100), "{\"custom_id\":null,\"error\":"
	    "{\"stage\":\"input\",\"status\":null,\"message\":\"r.jsonl:7: line "
	    "longer than --max-line (100 bytes)\",\"attempts\":0},\"request\":null,"
	    "\"line\":7}");
	l.text = "{\"a\":1}";
	l.len = strlen(l.text);
	CHECK_JSON(ia_collect_record(&l, 100), "{\"a\":1}");
	l.text = "{\"a\":";
	l.len = strlen(l.text);
	rec = ia_collect_record(&l, 100);
	CHECK_JSON(jv_object_get(jv_object_get(rec, jv_string("error")),
	    jv_string("message")), "\"r.jsonl:7: not JSON\"");
	l.file = NULL;
	l.text = "{\"custom_ids\":[\"a\",\"b\\u0000c\"],\"group_id\":\"g\"}";
	l.len = strlen(l.text);
	rec = ia_collect_record(&l, 100);
	CHECK_JSON(jv_object_get(jv_object_get(rec, jv_string("error")),
	    jv_string("message")), "\"line 7: custom_id must not hold a NUL byte\"");
	/* A \u0000 elsewhere is no matter. */
	l.text = "{\"custom_id\":\"a\",\"content\":\"x\\u0000y\"}";
	l.len = strlen(l.text);
	CHECK_JSON(jv_object_get(ia_collect_record(&l, 100), jv_string("custom_id")),
	    "\"a\"");
	l.text = "{\"request\":{\"metadata\":{\"custom_id\":\"\\u0000\"}}}";
	l.len = strlen(l.text);
	CHECK(ia_record_is_error(ia_collect_record(&l, 100)));
}

static void
t_tally(void)
{
	struct ia_input_tally t = { 0, 0, "" };
	struct ia_input	 in;
	struct ia_item	 item;
	char		 msg[1024];

	memset(&in, 0, sizeof(in));
	item.kind = IA_KIND_NONE;
	item.custom_id = NULL;
	item.line = 1;
	item.request = ia_record_error(NULL, "input", 0, "in:1: not JSON: x", 0,
	    jv_null(), 1);
	ia_input_tally(&t, &item);
	jv_free(item.request);
	item.request = ia_record_error(NULL, "input", 0, "second", 0, jv_null(), 2);
	ia_input_tally(&t, &item);
	jv_free(item.request);
	CHECK(t.requests == 0 && t.errors == 2);
	CHECK_STR(t.first, "in:1: not JSON: x");
	CHECK(ia_input_verdict(&t, &in, "in", false, msg, sizeof(msg)) == -1);
	CHECK_STR(msg, "no line of in is a request as read (in:1: not JSON: x); "
	    "is it plain text? read it as ia-submit did: -t -m MODEL");
	in.text = true;
	CHECK(ia_input_verdict(&t, &in, "in", true, msg, sizeof(msg)) == -1);
	CHECK_STR(msg, "no line of in is a request as read with the options given "
	    "(in:1: not JSON: x)");
	item.kind = IA_KIND_CHAT;
	item.request = jv_object();
	ia_input_tally(&t, &item);
	jv_free(item.request);
	CHECK(ia_input_verdict(&t, &in, "in", true, msg, sizeof(msg)) == 1);
	CHECK_STR(msg, "2 lines of in gave no request, as ia-submit gave none "
	    "(first: in:1: not JSON: x)");
	t.errors = 0;
	CHECK(ia_input_verdict(&t, &in, "in", true, msg, sizeof(msg)) == 0);
}

static void
t_jq(void)
{
	struct ia_jq	*q;
	struct ia_buf	 b = { 0 };
	char		 err[256];
	jv		 msg;

	CHECK((q = ia_jq_compile(".a, .b", err, sizeof(err))) != NULL);
	CHECK(ia_format_jq(&b, q, jv_parse("{\"a\":\"x\",\"b\":[1]}"), true, '\n',
	    &msg) == 0);
	CHECK(!jv_is_valid(msg));
	jv_free(msg);
	CHECK_STR(b.data, "x\n[1]\n");
	ia_buf_free(&b);
	CHECK(ia_format_jq(&b, q, jv_parse("{\"a\":\"x\"}"), false, '\0', &msg) == 0);
	jv_free(msg);
	CHECK(b.len == 9 && memcmp(b.data, "\"x\"\0null\0", 9) == 0);
	ia_buf_free(&b);
	ia_jq_free(q);
	/* What came before an error stays; the error is said. */
	CHECK((q = ia_jq_compile(".a, error(\"no\")", err, sizeof(err))) != NULL);
	CHECK(ia_format_jq(&b, q, jv_parse("{\"a\":1}"), false, '\n', &msg) == 0);
	CHECK_STR(b.data, "1\n");
	CHECK_JSON(msg, "\"no\"");
	ia_buf_free(&b);
	ia_jq_free(q);
}

static const struct t_group groups[] = {
	{ "failed", t_failed },
	{ "sorted", t_sorted },
	{ "notes", t_notes },
	{ "status", t_status },
	{ "tally", t_tally },
	{ "jq", t_jq },
};

int
main(int argc, char *argv[])
{
	return t_main("t_failed", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
