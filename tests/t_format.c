/*
 * t_format: checks of lib/format.c, ia-collect's output forms.  "t_format
 * GROUP" runs one group of checks (table, ndjson, openai, tsv, csv, raw,
 * value) or all of them; it prints one line per group and a summary, or each
 * failing check with the bytes it got and wanted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

/* want is a string literal: its length counts the NUL bytes inside it. */
#define CHECK_ROW(f, json, want) \
	check_row((f), (json), (want), sizeof(want) - 1, __FILE__, __LINE__)
#define CHECK_VALUE(json, raw, want) \
	check_value((json), (raw), (want), sizeof(want) - 1, __FILE__, __LINE__)

/* Bytes as a C string literal would spell them, so that a difference shows. */
static void
show(const char *label, const char *p, size_t len)
{
	size_t	 i;

	fprintf(stderr, "  %s \"", label);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c == '\\' || c == '"')
			fprintf(stderr, "\\%c", c);
		else if (c < 0x20)
			fprintf(stderr, "\\%03o", c);
		else
			fputc(c, stderr);
	}
	fputs("\"\n", stderr);
}

static void
check_bytes(const struct ia_buf *b, const char *want, size_t len, const char *file,
    int line, const char *what)
{
	checks++;
	if (b->len != len || (len > 0 && memcmp(b->data, want, len) != 0)) {
		failures++;
		fprintf(stderr, "%s:%d: %s\n", file, line, what);
		show("got: ", b->data ? b->data : "", b->len);
		show("want:", want, len);
	}
}

/* The row of the record (JSON text) in the form named, compared with want. */
static void
check_row(const char *name, const char *json, const char *want, size_t len,
    const char *file, int line)
{
	const struct ia_format *f = ia_format_find(name);
	struct ia_result r;
	struct ia_buf	 b = { 0 };

	if (f == NULL) {
		check(0, file, line, name);
		return;
	}
	ia_result_read(jv_parse(json), &r);
	checks++;
	if (ia_format_row(f, &b, &r) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: %s: the row writer failed\n", file, line, name);
	}
	check_bytes(&b, want, len, file, line, name);
	/* Nothing appended must mean nothing allocated: ia-collect skips it. */
	check(len > 0 || b.data == NULL, file, line, "an empty row allocates nothing");
	ia_buf_free(&b);
	ia_result_free(&r);
}

static void
check_value(const char *json, bool raw, const char *want, size_t len,
    const char *file, int line)
{
	struct ia_buf	 b = { 0 };

	checks++;
	if (ia_format_value(&b, jv_parse(json), raw) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: ia_format_value failed\n", file, line);
	}
	check_bytes(&b, want, len, file, line, json);
	ia_buf_free(&b);
}

/* A Success generation with custom_id cid and content c (both JSON). */
static char *
gen(const char *cid, const char *content)
{
	static char	 buf[4096];

	snprintf(buf, sizeof(buf), "{%s%s%s\"id\":\"gen-1\",\"state\":\"Success\","
	    "\"response\":{\"choices\":[{\"message\":{\"role\":\"assistant\","
	    "\"content\":%s},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
	    "\"completion_tokens\":2,\"total_tokens\":3}}}", cid ? "\"custom_id\":" : "",
	    cid ? cid : "", cid ? "," : "", content);
	return buf;
}

#define FAILURE	"{\"custom_id\":\"f1\",\"error\":{\"stage\":\"poll\",\"status\":503," \
	"\"message\":\"HTTP 503\",\"attempts\":2},\"request\":null,\"line\":null}"
#define FAILED_GEN "{\"custom_id\":\"g1\",\"id\":\"gen-g1\",\"state\":\"Failed\"," \
	"\"stateMessage\":\"boom\"}"
#define NO_CHOICES "{\"custom_id\":\"n\",\"state\":\"Success\",\"response\":{}}"
#define OWN_ANSWER "{\"custom_id\":\"c2\",\"content\":\"x\",\"finish_reason\":null," \
	"\"usage\":null}"

static void
t_table(void)
{
	static const struct {
		const char	*name;
		bool		 by_name, answers_only;
		const char	*header;
	} want[] = {
		{ "ndjson", true, false, NULL },
		{ "openai", true, false, NULL },
		{ "tsv", true, true, NULL },
		{ "csv", true, true, "custom_id,content\r\n" },
		{ "raw", false, true, NULL },
		{ "raw0", false, true, NULL },
	};
	const struct ia_format *f;
	size_t	 i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		f = ia_format_find(want[i].name);
		CHECK(f != NULL);
		if (f == NULL)
			continue;
		CHECK(strcmp(f->name, want[i].name) == 0);
		CHECK(f->by_name == want[i].by_name);
		CHECK(f->answers_only == want[i].answers_only);
		CHECK(f->row != NULL);
		if (want[i].header == NULL)
			CHECK(f->header == NULL);
		else
			CHECK(f->header != NULL && strcmp(f->header, want[i].header) == 0);
	}
	CHECK(ia_format_find("bogus") == NULL);
	CHECK(ia_format_find("CSV") == NULL);
	CHECK(ia_format_find("") == NULL);
	CHECK(ia_format_find("-r") == NULL);
}

static void
t_ndjson(void)
{
	CHECK_ROW("ndjson", gen("\"c1\"", "\"hi\""),
	    "{\"custom_id\":\"c1\",\"content\":\"hi\",\"finish_reason\":\"stop\","
	    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n");
	/* Awkward content stays one line: JSON escapes, UTF-8 as it is. */
	CHECK_ROW("ndjson", gen("\"t\\tab\"", "\"a\\tb\\nc\\rd\\\\e,\\\"f\\\" h\u00e9\""),
	    "{\"custom_id\":\"t\\tab\",\"content\":\"a\\tb\\nc\\rd\\\\e,\\\"f\\\" h\xc3\xa9\","
	    "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":1,"
	    "\"completion_tokens\":2,\"total_tokens\":3}}\n");
	CHECK_ROW("ndjson", NO_CHOICES,
	    "{\"custom_id\":\"n\",\"content\":null,\"finish_reason\":null,\"usage\":null}\n");
	/* A failure is its error record, as it came. */
	CHECK_ROW("ndjson", FAILURE, FAILURE "\n");
	CHECK_ROW("ndjson", FAILED_GEN,
	    "{\"custom_id\":\"g1\",\"error\":{\"stage\":\"generation\",\"status\":null,"
	    "\"message\":\"boom\",\"attempts\":null},\"request\":null,\"line\":null}\n");
}

static void
t_openai(void)
{
	CHECK_ROW("openai", gen("\"c1\"", "\"hi\""),
	    "{\"id\":\"batch_req_gen-1\",\"custom_id\":\"c1\",\"response\":{\"status_code\":200,"
	    "\"request_id\":\"gen-1\",\"body\":{\"choices\":[{\"message\":{\"role\":"
	    "\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],\"usage\":"
	    "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}},"
	    "\"error\":null}\n");
	/* ia-collect's own answer kept no completion: one is built from it. */
	CHECK_ROW("openai", OWN_ANSWER,
	    "{\"id\":null,\"custom_id\":\"c2\",\"response\":{\"status_code\":200,"
	    "\"request_id\":null,\"body\":{\"choices\":[{\"index\":0,\"message\":"
	    "{\"role\":\"assistant\",\"content\":\"x\"},\"finish_reason\":null}],"
	    "\"usage\":null}},\"error\":null}\n");
	/* No custom_id anywhere: null. */
	CHECK_ROW("openai", gen(NULL, "null"),
	    "{\"id\":\"batch_req_gen-1\",\"custom_id\":null,\"response\":{\"status_code\":200,"
	    "\"request_id\":\"gen-1\",\"body\":{\"choices\":[{\"message\":{\"role\":"
	    "\"assistant\",\"content\":null},\"finish_reason\":\"stop\"}],\"usage\":"
	    "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}},"
	    "\"error\":null}\n");
	CHECK_ROW("openai", FAILURE,
	    "{\"id\":null,\"custom_id\":\"f1\",\"response\":null,\"error\":{\"code\":\"poll\","
	    "\"message\":\"HTTP 503\"}}\n");
	CHECK_ROW("openai", FAILED_GEN,
	    "{\"id\":\"batch_req_gen-g1\",\"custom_id\":\"g1\",\"response\":null,\"error\":"
	    "{\"code\":\"generation\",\"message\":\"boom\"}}\n");
	/* An error without a message: null, not a crash. */
	CHECK_ROW("openai", "{\"custom_id\":\"e\",\"error\":{\"stage\":\"x\"}}",
	    "{\"id\":null,\"custom_id\":\"e\",\"response\":null,\"error\":{\"code\":\"x\","
	    "\"message\":null}}\n");
}

static void
t_tsv(void)
{
	CHECK_ROW("tsv", gen("\"c1\"", "\"hi\""), "c1\thi\n");
	/* Tab, newline, CR and backslash escaped, in both fields. */
	CHECK_ROW("tsv", gen("\"t\\tab\\\\\"", "\"a\\tb\\nc\\rd\\\\e\""),
	    "t\\tab\\\\\ta\\tb\\nc\\rd\\\\e\n");
	/* Quotes and commas are nothing to TSV. */
	CHECK_ROW("tsv", gen("\"q\"", "\"say \\\"x\\\", y\""), "q\tsay \"x\", y\n");
	CHECK_ROW("tsv", gen("\"u\"", "\"h\u00e9llo \u65e5\u672c \\ud83d\\ude00\""),
	    "u\th\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\n");
	/* null and missing content are empty; other values are JSON. */
	CHECK_ROW("tsv", gen("\"z\"", "null"), "z\t\n");
	CHECK_ROW("tsv", NO_CHOICES, "n\t\n");
	CHECK_ROW("tsv", gen("\"o\"", "{\"k\":[1,\"x\\ty\"]}"), "o\t{\"k\":[1,\"x\\\\ty\"]}\n");
	CHECK_ROW("tsv", gen("42", "12"), "42\t12\n");
	CHECK_ROW("tsv", gen(NULL, "\"hi\""), "\thi\n");
	CHECK_ROW("tsv", gen("\"e\"", "\"\""), "e\t\n");
	/* Answers only. */
	CHECK_ROW("tsv", FAILURE, "");
	CHECK_ROW("tsv", FAILED_GEN, "");
}

static void
t_csv(void)
{
	CHECK_ROW("csv", gen("\"c1\"", "\"hi\""), "c1,hi\r\n");
	/* Quoted only for a comma, a quote, CR or LF; quotes doubled. */
	CHECK_ROW("csv", gen("\"c1\"", "\"a, b\""), "c1,\"a, b\"\r\n");
	CHECK_ROW("csv", gen("\"c1\"", "\"say \\\"x\\\"\""), "c1,\"say \"\"x\"\"\"\r\n");
	CHECK_ROW("csv", gen("\"c1\"", "\"\\\"\""), "c1,\"\"\"\"\r\n");
	CHECK_ROW("csv", gen("\"c1\"", "\"a\\rb\""), "c1,\"a\rb\"\r\n");
	CHECK_ROW("csv", gen("\"c1\"", "\"a\\nb\""), "c1,\"a\nb\"\r\n");
	CHECK_ROW("csv", gen("\"c1\"", "\"line one\\n\\tcol \\\"q\\\", a\\r\\nend\""),
	    "c1,\"line one\n\tcol \"\"q\"\", a\r\nend\"\r\n");
	/* Tabs and backslashes need nothing. */
	CHECK_ROW("csv", gen("\"c1\"", "\"a\\tb\\\\c\""), "c1,a\tb\\c\r\n");
	CHECK_ROW("csv", gen("\"a,b\"", "\"x\""), "\"a,b\",x\r\n");
	CHECK_ROW("csv", gen("\"u\"", "\"\u65e5\u672c\""), "u,\xe6\x97\xa5\xe6\x9c\xac\r\n");
	CHECK_ROW("csv", gen("\"z\"", "null"), "z,\r\n");
	CHECK_ROW("csv", NO_CHOICES, "n,\r\n");
	CHECK_ROW("csv", gen("\"o\"", "[1,\"x\"]"), "o,\"[1,\"\"x\"\"]\"\r\n");
	CHECK_ROW("csv", gen(NULL, "\"hi\""), ",hi\r\n");
	CHECK_ROW("csv", FAILURE, "");
}

static void
t_raw(void)
{
	CHECK_ROW("raw", gen("\"c1\"", "\"hi\""), "hi\n");
	/* As it is: nothing escaped, a line end inside kept. */
	CHECK_ROW("raw", gen("\"c1\"", "\"a\\tb\\nc\\r\\\\\\\"\""), "a\tb\nc\r\\\"\n");
	CHECK_ROW("raw", gen("\"c1\"", "\"\u00e9\""), "\xc3\xa9\n");
	/* Anything else as JSON, null as null, missing as null. */
	CHECK_ROW("raw", gen("\"c1\"", "12"), "12\n");
	CHECK_ROW("raw", gen("\"c1\"", "null"), "null\n");
	CHECK_ROW("raw", NO_CHOICES, "null\n");
	CHECK_ROW("raw", gen("\"c1\"", "{\"a\":\"b\\nc\"}"), "{\"a\":\"b\\nc\"}\n");
	CHECK_ROW("raw", gen("\"c1\"", "\"\""), "\n");
	/* A NUL inside a string is written, not the end of it. */
	CHECK_ROW("raw", gen("\"c1\"", "\"a\\u0000b\""), "a\0b\n");
	CHECK_ROW("raw", FAILURE, "");
	/* -r -0: each ends with a NUL; multi-line content whole. */
	CHECK_ROW("raw0", gen("\"c1\"", "\"a\\nb\""), "a\nb\0");
	CHECK_ROW("raw0", gen("\"c1\"", "null"), "null\0");
	CHECK_ROW("raw0", gen("\"c1\"", "\"\""), "\0");
	CHECK_ROW("raw0", FAILED_GEN, "");
}

static void
t_value(void)
{
	CHECK_VALUE("\"x\\\"y\\n\"", false, "\"x\\\"y\\n\"");
	CHECK_VALUE("\"x\\\"y\\n\"", true, "x\"y\n");
	CHECK_VALUE("\"a\\u0000b\"", true, "a\0b");
	CHECK_VALUE("\"a\\u0000b\"", false, "\"a\\u0000b\"");
	CHECK_VALUE("1.5", true, "1.5");
	CHECK_VALUE("null", true, "null");
	CHECK_VALUE("null", false, "null");
	CHECK_VALUE("{\"a\":[1,{\"b\":\"c\"}]}", true, "{\"a\":[1,{\"b\":\"c\"}]}");
	CHECK_VALUE("\"\"", true, "");
	CHECK_VALUE("\"\"", false, "\"\"");
}

static const struct t_group groups[] = {
	{ "table", t_table },
	{ "ndjson", t_ndjson },
	{ "openai", t_openai },
	{ "tsv", t_tsv },
	{ "csv", t_csv },
	{ "raw", t_raw },
	{ "value", t_value },
};

int
main(int argc, char *argv[])
{
	return t_main("t_format", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
