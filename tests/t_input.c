/*
 * t_input: checks of lib/jq.c (-e programs), lib/input.c (the input forms
 * of ia-submit and ia-group) and lib/source.c (the files read in turn).
 * "t_input GROUP" runs one group (jq, options, plain, batch, errors, ids,
 * text, filter, skip_done, source) or all of them; it prints one line per
 * group and a summary, or each failing check.  Run from
 * tests/lib-units.bats.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"
#include "t.h"

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* A string jv (consumed) as a C string, "(invalid)", or "(not a string)". */
static const char *
str(jv v)
{
	static char	 buf[4][1024];
	static int	 i;
	char		*b = buf[i++ % 4];

	if (!jv_is_valid(v)) {
		jv_free(v);
		return "(invalid)";
	}
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return "(not a string)";
	}
	snprintf(b, sizeof(buf[0]), "%s", jv_string_value(v));
	jv_free(v);
	return b;
}

static const char *
tmpdir(void)
{
	const char	*dir = getenv("TMPDIR");

	return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

/* A new file in TMPDIR holding text; its path (malloc'd), to unlink after. */
static char *
temp_file(const char *text)
{
	char	*path;
	size_t	 len = strlen(text);
	int	 fd;

	if (asprintf(&path, "%s/t_input.XXXXXX", tmpdir()) == -1)
		die("t_input: asprintf");
	if ((fd = mkstemp(path)) == -1 || write(fd, text, len) != (ssize_t)len)
		die("t_input: temp file");
	close(fd);
	return path;
}

/*
 * Every value of q run on input, as "v1 v2 ... END" or "... ERR msg":
 * how each run ended, by ia_jq_error().
 */
static const char *
run_jq(struct ia_jq *q, const char *input)
{
	static struct ia_buf	 t;
	jv			 v, msg;

	t.len = 0;
	ia_buf_adds(&t, "");
	ia_jq_start(q, J(input));
	while (jv_is_valid(v = ia_jq_next(q)))
		ia_buf_addf(&t, "%s ", t_dump(v));
	msg = ia_jq_error(q, v);
	if (jv_is_valid(msg))
		ia_buf_addf(&t, "ERR %s", str(msg));
	else {
		jv_free(msg);
		ia_buf_adds(&t, "END");
	}
	return t.data;
}

/* The message ia_jq_compile() gives for a program, or "compiled". */
static const char *
compile_error(const char *filter)
{
	static char	 err[512];
	struct ia_jq	*q;

	err[0] = '\0';
	if ((q = ia_jq_compile(filter, err, sizeof(err))) != NULL) {
		ia_jq_free(q);
		return "compiled";
	}
	return err[0] != '\0' ? err : "(no message)";
}

static struct ia_jq *
compile(const char *filter)
{
	char		 err[512];
	struct ia_jq	*q;

	if ((q = ia_jq_compile(filter, err, sizeof(err))) == NULL) {
		fprintf(stderr, "t_input: %s: %s\n", filter, err);
		exit(2);
	}
	return q;
}

static void
t_jq(void)
{
	struct ia_jq	*q;
	char		 errout[256];
	int		 saved, fd, i, bad;
	char		*path;
	ssize_t		 n;

	/* Compile errors: a message, the first one only. */
	CHECK_STR(compile_error("}"), "-e: jq: error: syntax error, unexpected "
	    "INVALID_CHARACTER, expecting $end (Unix shell quoting issues?) at "
	    "<top-level>, line 1:\n}");
	CHECK_STR(compile_error("foo"),
	    "-e: jq: error: foo/0 is not defined at <top-level>, line 1:\nfoo");
	CHECK_STR(compile_error("foo | bar"),
	    "-e: jq: error: foo/0 is not defined at <top-level>, line 1:\nfoo | bar");
	/* The first error of a program is not carried over to the next one. */
	CHECK_STR(compile_error("."), "compiled");
	CHECK_STR(compile_error("bar"),
	    "-e: jq: error: bar/0 is not defined at <top-level>, line 1:\nbar");
	/* No modules: import and include fail to compile, they do not crash. */
	CHECK_STR(compile_error("import \"foo\" as f; ."),
	    "-e: jq: error: module not found: foo\n");
	CHECK_STR(compile_error("include \"foo\"; ."),
	    "-e: jq: error: module not found: foo\n");
	CHECK_STR(compile_error("get_search_list"), "compiled");

	/* Zero, one and several values, then a plain end. */
	q = compile(".[]");
	CHECK_STR(run_jq(q, "[]"), "END");
	CHECK_STR(run_jq(q, "[1]"), "1 END");
	CHECK_STR(run_jq(q, "[1,\"a\",{\"b\":null}]"), "1 \"a\" {\"b\":null} END");
	CHECK_STR(run_jq(q, "{\"x\":[2],\"y\":3}"), "[2] 3 END");
	/* A runtime error ends the run with its message. */
	CHECK_STR(run_jq(q, "5"), "ERR Cannot iterate over number (5)");
	/* The same program again, after the error. */
	CHECK_STR(run_jq(q, "[7]"), "7 END");
	ia_jq_free(q);

	q = compile("empty");
	CHECK_STR(run_jq(q, "1"), "END");
	ia_jq_free(q);

	/* error(): a string as it is, anything else as JSON. */
	q = compile("error(\"boom\")");
	CHECK_STR(run_jq(q, "1"), "ERR boom");
	ia_jq_free(q);
	q = compile("error({\"a\":1})");
	CHECK_STR(run_jq(q, "1"), "ERR {\"a\":1}");
	ia_jq_free(q);
	q = compile(".a");
	CHECK_STR(run_jq(q, "\"s\""), "ERR Cannot index string with string \"a\"");
	CHECK_STR(run_jq(q, "{\"a\":2}"), "2 END");
	ia_jq_free(q);
	/* Values before the error come out first. */
	q = compile(".[] | if . == 2 then error(\"two\") else . end");
	CHECK_STR(run_jq(q, "[1,2,3]"), "1 ERR two");
	ia_jq_free(q);

	/* halt_error: its message, and the program runs again afterwards. */
	q = compile("if . == \"halt\" then \"bye\\n\" | halt_error else . end");
	CHECK_STR(run_jq(q, "\"go\""), "\"go\" END");
	CHECK_STR(run_jq(q, "\"halt\""), "ERR bye\n");
	CHECK_STR(run_jq(q, "\"again\""), "\"again\" END");
	CHECK_STR(run_jq(q, "\"halt\""), "ERR bye\n");
	CHECK_STR(run_jq(q, "[1]"), "[1] END");
	for (i = 0, bad = 0; i < 50; i++)
		if (strcmp(run_jq(q, i % 2 ? "\"halt\"" : "1"), i % 2 ? "ERR bye\n" :
		    "1 END") != 0)
			bad++;
	CHECK(bad == 0);
	ia_jq_free(q);
	q = compile("halt_error(5)");
	CHECK_STR(run_jq(q, "\"exit five\""), "ERR exit five");
	CHECK_STR(run_jq(q, "\"twice\""), "ERR twice");
	ia_jq_free(q);
	/* A halt_error of something not a string, and a plain halt: "halted". */
	q = compile("halt_error");
	CHECK_STR(run_jq(q, "{\"a\":1}"), "ERR halted");
	ia_jq_free(q);
	q = compile("halt");
	CHECK_STR(run_jq(q, "1"), "ERR halted");
	CHECK_STR(run_jq(q, "2"), "ERR halted");
	ia_jq_free(q);

	/* input and inputs: there are none; no crash. */
	q = compile("input");
	CHECK_STR(run_jq(q, "1"), "ERR break");	/* libjq 1.6's message */
	CHECK_STR(run_jq(q, "2"), "ERR break");
	ia_jq_free(q);
	q = compile("[inputs]");
	CHECK_STR(run_jq(q, "1"), "[] END");
	ia_jq_free(q);
	q = compile("[., input_filename]");
	CHECK_STR(run_jq(q, "1"), "[1,null] END");
	ia_jq_free(q);
	q = compile("input_line_number");
	CHECK_STR(run_jq(q, "1"), "ERR Unknown input line number");
	ia_jq_free(q);

	/* debug: the value goes on, ["DEBUG:", value] goes to stderr. */
	path = temp_file("");
	fflush(stderr);
	if ((saved = dup(2)) == -1 || (fd = open(path, O_RDWR)) == -1 ||
	    dup2(fd, 2) == -1)
		die("t_input: stderr");
	q = compile("debug | .a");
	CHECK_STR(run_jq(q, "{\"a\":[1]}"), "[1] END");
	ia_jq_free(q);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, errout, sizeof(errout) - 1, 0);
	close(fd);
	unlink(path);
	free(path);
	errout[n > 0 ? n : 0] = '\0';
	CHECK_STR(errout, "[\"DEBUG:\",{\"a\":[1]}]\n");

	/* Nothing to free is fine. */
	ia_jq_free(NULL);
}

/* ---- input.c ---- */

/* The transcript of the items one input line gave. */
static struct ia_buf	 got;

static void
collect(void *arg, struct ia_item *it)
{
	(void)arg;
	ia_buf_addf(&got, "%s %s %ld %s\n", it->kind == IA_KIND_NONE ? "error" :
	    ia_request_kind_name(it->kind), it->custom_id ? it->custom_id : "-",
	    it->line, t_dump(it->request));
	free(it->custom_id);
}

/* Feed one line (file may be NULL) and return what came of it. */
static const char *
feed(struct ia_input *in, const char *file, long lineno, const char *text)
{
	struct ia_line	 l;

	got.len = 0;
	ia_buf_adds(&got, "");
	l.file = file;
	l.text = text;
	l.len = strlen(text);
	l.lineno = lineno;
	ia_input_line(in, &l, collect, NULL);
	return got.data;
}

/* What feed() should give: items and error records, in order. */
static struct ia_buf	 want, wanted;

static void
want_item(const char *kind, const char *cid, long line, const char *json)
{
	ia_buf_adds(&want, "");
	ia_buf_addf(&want, "%s %s %ld %s\n", kind, cid, line, t_dump(J(json)));
}

/* An input error record: custom_id (may be NULL), where, message, request. */
static void
want_error(const char *cid, long line, const char *msg, const char *req)
{
	jv	 e, r;

	e = jv_object_set(jv_object(), jv_string("stage"), jv_string("input"));
	e = jv_object_set(e, jv_string("status"), jv_null());
	e = jv_object_set(e, jv_string("message"), jv_string(msg));
	e = jv_object_set(e, jv_string("attempts"), jv_number(0));
	r = jv_object_set(jv_object(), jv_string("custom_id"),
	    cid ? jv_string(cid) : jv_null());
	r = jv_object_set(r, jv_string("error"), e);
	r = jv_object_set(r, jv_string("request"), req ? J(req) : jv_null());
	r = jv_object_set(r, jv_string("line"), jv_number(line));
	ia_buf_adds(&want, "");
	ia_buf_addf(&want, "error - %ld %s\n", line, t_dump(r));
}

/* The lines wanted so far, and start again. */
static const char *
wanted_lines(void)
{
	ia_buf_free(&wanted);
	wanted = want;
	memset(&want, 0, sizeof(want));
	return wanted.data != NULL ? wanted.data : "";
}

#define CHECK_FEED(in, file, n, text)	CHECK_STR(feed((in), (file), (n), (text)), \
					    wanted_lines())

/* An input set up by options ("e", "m", "t", "system", "webhook", "skip"). */
static int
input_init(struct ia_input *in, char *err, size_t errlen, const char *const *opts)
{
	static const struct {
		const char	*name;
		int		 ch;
	} names[] = {
		{ "e", 'e' }, { "m", 'm' }, { "t", 't' }, { "system", IA_OPT_SYSTEM },
		{ "webhook", IA_OPT_WEBHOOK_ID }, { "skip", IA_OPT_SKIP_DONE },
	};
	size_t	 i;

	memset(in, 0, sizeof(*in));
	for (; opts != NULL && *opts != NULL; opts += 2) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(names[i].name, opts[0]) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]) ||
		    ia_input_option(in, names[i].ch, opts[1], err, errlen) != 1) {
			fprintf(stderr, "t_input: option %s %s refused\n", opts[0],
			    opts[1] ? opts[1] : "");
			exit(2);
		}
	}
	err[0] = '\0';
	return ia_input_init(in, err, errlen);
}

static void
setup(struct ia_input *in, const char *const *opts)
{
	char	 err[512];

	if (input_init(in, err, sizeof(err), opts) == -1) {
		fprintf(stderr, "t_input: ia_input_init: %s\n", err);
		exit(2);
	}
}

/* The message of a refused set-up, or "ok". */
static const char *
init_error(const char *const *opts)
{
	static char	 err[512];
	struct ia_input	 in;
	int		 rc;

	rc = input_init(&in, err, sizeof(err), opts);
	ia_input_free(&in);
	if (rc == 0)
		return "ok";
	return err[0] != '\0' ? err : "(no message)";
}

#define OPTS(...)	((const char *const []){ __VA_ARGS__, NULL })

static void
t_options(void)
{
	struct ia_input	 in;
	struct ia_line	 l;
	char		 err[256];
	char		*missing;

	memset(&in, 0, sizeof(in));
	CHECK(ia_input_option(&in, 'e', ".", err, sizeof(err)) == 1 &&
	    strcmp(in.filter, ".") == 0);
	CHECK(ia_input_option(&in, 'm', "mod", err, sizeof(err)) == 1 &&
	    strcmp(in.model, "mod") == 0);
	CHECK(ia_input_option(&in, 't', NULL, err, sizeof(err)) == 1 && in.text);
	CHECK(ia_input_option(&in, IA_OPT_SYSTEM, "sys", err, sizeof(err)) == 1 &&
	    strcmp(in.system, "sys") == 0);
	CHECK(ia_input_option(&in, IA_OPT_WEBHOOK_ID, "wh", err, sizeof(err)) == 1 &&
	    strcmp(in.webhook_id, "wh") == 0);
	CHECK(ia_input_option(&in, IA_OPT_SKIP_DONE, "f", err, sizeof(err)) == 1 &&
	    in.nskip == 1 && strcmp(in.skip_done[0], "f") == 0);
	CHECK(ia_input_option(&in, IA_OPT_JOURNAL, "j", err, sizeof(err)) == 1 &&
	    strcmp(in.journal, "j") == 0);
	/* Not ours: 0. */
	CHECK(ia_input_option(&in, 'j', "4", err, sizeof(err)) == 0);
	CHECK(ia_input_option(&in, 'x', NULL, err, sizeof(err)) == 0);
	CHECK(ia_input_option(&in, IA_OPT_BASE_URL, "u", err, sizeof(err)) == 0);
	/* Empty values refused, the earlier one kept. */
	err[0] = '\0';
	CHECK(ia_input_option(&in, 'm', "", err, sizeof(err)) == -1);
	CHECK_STR(err, "-m: the model must not be empty");
	CHECK_STR(in.model, "mod");
	err[0] = '\0';
	CHECK(ia_input_option(&in, IA_OPT_WEBHOOK_ID, "", err, sizeof(err)) == -1);
	CHECK_STR(err, "--webhook-id: must not be empty");
	CHECK_STR(in.webhook_id, "wh");

	/* What goes together. */
	CHECK_STR(init_error(NULL), "ok");
	unsetenv("IA_MODEL");
	CHECK_STR(init_error(OPTS("t", "")), "-t needs -m MODEL or IA_MODEL in "
	    "the environment (or -e to build each request)");
	setenv("IA_MODEL", "", 1);
	CHECK_STR(init_error(OPTS("t", "")), "-t needs -m MODEL or IA_MODEL in "
	    "the environment (or -e to build each request)");
	setenv("IA_MODEL", "env-model", 1);
	CHECK_STR(init_error(OPTS("t", "")), "ok");
	unsetenv("IA_MODEL");
	CHECK_STR(init_error(OPTS("t", "", "m", "mod")), "ok");
	CHECK_STR(init_error(OPTS("t", "", "e", "{model:\"m\",prompt:.}")), "ok");
	CHECK_STR(init_error(OPTS("system", "s")), "--system goes with -t");
	CHECK_STR(init_error(OPTS("system", "s", "m", "mod")), "--system goes with -t");
	CHECK_STR(init_error(OPTS("system", "s", "t", "", "m", "mod")), "ok");
	CHECK_STR(init_error(OPTS("e", "foo")),
	    "-e: jq: error: foo/0 is not defined at <top-level>, line 1:\nfoo");
	if (asprintf(&missing, "%s/t_input.no-such-file", tmpdir()) == -1)
		die("t_input: asprintf");
	snprintf(err, sizeof(err), "--skip-done: %s: No such file or directory", missing);
	CHECK_STR(init_error(OPTS("skip", missing)), err);
	/* With a program compiled before it: freed all the same (ASan). */
	CHECK_STR(init_error(OPTS("e", ".", "skip", missing)), err);
	free(missing);

	/* A line over --max-line. */
	l.file = NULL;
	l.text = NULL;
	l.len = 0;
	l.lineno = 5;
	CHECK_STR(t_dump(ia_input_too_long(&l, 100)), "{\"custom_id\":null,\"error\":"
	    "{\"attempts\":0,\"message\":\"line 5: line longer than --max-line "
	    "(100 bytes)\",\"stage\":\"input\",\"status\":null},\"line\":5,"
	    "\"request\":null}");
	l.file = "in.jsonl";
	l.lineno = 12;
	CHECK_STR(t_dump(ia_input_too_long(&l, 16777216)), "{\"custom_id\":null,\"error\":"
	    "{\"attempts\":0,\"message\":\"in.jsonl:12: line longer than --max-line "
	    "(16777216 bytes)\",\"stage\":\"input\",\"status\":null},\"line\":12,"
	    "\"request\":null}");
}

#define MSGS	"[{\"role\":\"user\",\"content\":\"hi\"}]"

static void
t_plain(void)
{
	struct ia_input	 in;

	setup(&in, NULL);
	/* A request with metadata.custom_id: as it is. */
	want_item("chat", "a", 1, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"a\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"a\"}}");
	/* A top-level custom_id: moved into metadata. */
	want_item("text", "b", 2, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"b\"}}");
	CHECK_FEED(&in, NULL, 2, "{\"custom_id\":\"b\",\"model\":\"m\",\"prompt\":\"p\"}");
	/* A number, printed. */
	want_item("text", "12", 3, "{\"model\":\"m\",\"prompt\":\"p2\",\"metadata\":"
	    "{\"custom_id\":\"12\"}}");
	CHECK_FEED(&in, NULL, 3, "{\"custom_id\":12,\"model\":\"m\",\"prompt\":\"p2\"}");
	want_item("chat", "13", 4, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"13\"}}");
	CHECK_FEED(&in, NULL, 4, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":13}}");
	/* Both: metadata wins, the top-level one goes; other metadata stays. */
	want_item("text", "md", 5, "{\"model\":\"m\",\"prompt\":\"p3\",\"metadata\":"
	    "{\"custom_id\":\"md\",\"x\":1}}");
	CHECK_FEED(&in, NULL, 5, "{\"custom_id\":\"top\",\"metadata\":{\"custom_id\":"
	    "\"md\",\"x\":1},\"model\":\"m\",\"prompt\":\"p3\"}");
	/* An empty one is none: an id is assigned, the empty one dropped. */
	want_item("text", "req-4b4f8ef324457bc9", 6, "{\"model\":\"m\",\"prompt\":\"p4\","
	    "\"metadata\":{\"custom_id\":\"req-4b4f8ef324457bc9\"}}");
	CHECK_FEED(&in, NULL, 6, "{\"custom_id\":\"\",\"model\":\"m\",\"prompt\":\"p4\"}");
	/* metadata null: replaced by an object. */
	want_item("text", "n", 7, "{\"model\":\"m\",\"prompt\":\"p5\",\"metadata\":"
	    "{\"custom_id\":\"n\"}}");
	CHECK_FEED(&in, NULL, 7, "{\"custom_id\":\"n\",\"model\":\"m\",\"prompt\":\"p5\","
	    "\"metadata\":null}");
	/* Surrounding blanks and a CR are JSON whitespace. */
	want_item("text", "ws", 8, "{\"model\":\"m\",\"prompt\":\"p6\",\"metadata\":"
	    "{\"custom_id\":\"ws\"}}");
	CHECK_FEED(&in, NULL, 8, "  {\"custom_id\":\"ws\",\"model\":\"m\",\"prompt\":"
	    "\"p6\"}\r");
	ia_input_free(&in);

	/* -m fills a missing model, and only a missing one. */
	setup(&in, OPTS("m", "mm"));
	want_item("text", "req-60c220b3b3ef6ea0", 1, "{\"model\":\"mm\",\"prompt\":\"p\","
	    "\"metadata\":{\"custom_id\":\"req-60c220b3b3ef6ea0\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"prompt\":\"p\"}");
	want_item("text", "own", 2, "{\"model\":\"own\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"own\"}}");
	CHECK_FEED(&in, NULL, 2, "{\"model\":\"own\",\"prompt\":\"p\",\"custom_id\":\"own\"}");
	want_error("nul", 3, "line 3: model must be a string",
	    "{\"model\":null,\"prompt\":\"p\",\"custom_id\":\"nul\"}");
	CHECK_FEED(&in, NULL, 3, "{\"model\":null,\"prompt\":\"p\",\"custom_id\":\"nul\"}");
	want_item("chat", "bl", 4, "{\"model\":\"mm\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"bl\"}}");
	CHECK_FEED(&in, NULL, 4, "{\"custom_id\":\"bl\",\"url\":\"/v1/chat/completions\","
	    "\"body\":{\"messages\":" MSGS "}}");
	ia_input_free(&in);

	/* --webhook-id: metadata.webhook_id, the rest of metadata kept. */
	setup(&in, OPTS("webhook", "wh"));
	want_item("text", "req-72aab97506b8c0bb", 1, "{\"model\":\"m\",\"prompt\":\"p\","
	    "\"metadata\":{\"custom_id\":\"req-72aab97506b8c0bb\",\"k\":\"v\","
	    "\"webhook_id\":\"wh\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"k\":\"v\"}}");
	want_item("chat", "w", 2, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"w\",\"webhook_id\":\"wh\"}}");
	CHECK_FEED(&in, NULL, 2, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"custom_id\":\"w\",\"metadata\":{\"webhook_id\":\"old\"}}");
	ia_input_free(&in);
}

#define BATCH_CHAT(cid)	"{\"custom_id\":" cid ",\"method\":\"POST\",\"url\":" \
			"\"/v1/chat/completions\",\"body\":{\"model\":\"m\"," \
			"\"messages\":" MSGS "}}"
#define BAD_BATCH	"batch line: method must be POST and url " \
			"/v1/chat/completions or /v1/completions"

static void
t_batch(void)
{
	struct ia_input	 in;

	setup(&in, NULL);
	want_item("chat", "c", 1, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"c\"}}");
	CHECK_FEED(&in, NULL, 1, BATCH_CHAT("\"c\""));
	/* Text, and no method at all. */
	want_item("text", "d", 2, "{\"model\":\"m\",\"prompt\":\"y\",\"metadata\":"
	    "{\"custom_id\":\"d\"}}");
	CHECK_FEED(&in, NULL, 2, "{\"custom_id\":\"d\",\"url\":\"/v1/completions\","
	    "\"body\":{\"model\":\"m\",\"prompt\":\"y\"}}");
	/* The body's own metadata.custom_id comes first. */
	want_item("text", "inbody", 3, "{\"model\":\"m\",\"prompt\":\"z\",\"metadata\":"
	    "{\"custom_id\":\"inbody\"}}");
	CHECK_FEED(&in, NULL, 3, "{\"custom_id\":\"line\",\"method\":\"POST\",\"url\":"
	    "\"/v1/completions\",\"body\":{\"model\":\"m\",\"prompt\":\"z\","
	    "\"metadata\":{\"custom_id\":\"inbody\"}}}");
	/* A number. */
	want_item("chat", "77", 4, "{\"model\":\"m\",\"messages\":" MSGS ","
	    "\"metadata\":{\"custom_id\":\"77\"}}");
	CHECK_FEED(&in, NULL, 4, BATCH_CHAT("77"));
	/* None: the id of the body, as for the same plain request. */
	want_item("text", "req-69d646a13db0c1be", 5, "{\"model\":\"m\",\"prompt\":\"q\","
	    "\"metadata\":{\"custom_id\":\"req-69d646a13db0c1be\"}}");
	CHECK_FEED(&in, NULL, 5, "{\"url\":\"https://api.openai.com/v1/completions\","
	    "\"body\":{\"model\":\"m\",\"prompt\":\"q\"}}");
	/* The kind is the url's, whatever the body looks like. */
	want_error("e2", 6, "line 6: messages is not allowed in a text completion "
	    "(a request with messages is a chat completion)",
	    "{\"custom_id\":\"e2\",\"url\":\"/v1/completions\",\"body\":"
	    "{\"model\":\"m\",\"messages\":" MSGS "}}");
	CHECK_FEED(&in, NULL, 6, "{\"custom_id\":\"e2\",\"url\":\"/v1/completions\","
	    "\"body\":{\"model\":\"m\",\"messages\":" MSGS "}}");
	/* Refused: another method, another url, a method not a string. */
	want_error("e", 7, "line 7: " BAD_BATCH, "{\"custom_id\":\"e\",\"method\":"
	    "\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\","
	    "\"messages\":" MSGS "}}");
	CHECK_FEED(&in, NULL, 7, "{\"custom_id\":\"e\",\"method\":\"GET\",\"url\":"
	    "\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":" MSGS "}}");
	want_error("f", 8, "f.jsonl:8: " BAD_BATCH, "{\"custom_id\":\"f\",\"url\":"
	    "\"/v1/embeddings\",\"body\":{\"model\":\"m\",\"input\":\"x\"}}");
	CHECK_FEED(&in, "f.jsonl", 8, "{\"custom_id\":\"f\",\"url\":\"/v1/embeddings\","
	    "\"body\":{\"model\":\"m\",\"input\":\"x\"}}");
	want_error(NULL, 9, "line 9: " BAD_BATCH, "{\"method\":1,\"url\":"
	    "\"/v1/completions\",\"body\":{\"model\":\"m\",\"prompt\":\"p\"}}");
	CHECK_FEED(&in, NULL, 9, "{\"method\":1,\"url\":\"/v1/completions\",\"body\":"
	    "{\"model\":\"m\",\"prompt\":\"p\"}}");
	want_error(NULL, 10, "line 10: " BAD_BATCH, "{\"body\":{\"model\":\"m\","
	    "\"prompt\":\"p\"}}");
	CHECK_FEED(&in, NULL, 10, "{\"body\":{\"model\":\"m\",\"prompt\":\"p\"}}");
	/*
	 * A body that is not an object: a plain request, whose top-level
	 * custom_id counts, and of neither kind.
	 */
	want_error("g", 11, "line 11: a request needs messages (chat) or prompt "
	    "(text completion)", "{\"custom_id\":\"g\",\"body\":\"x\"}");
	CHECK_FEED(&in, NULL, 11, "{\"custom_id\":\"g\",\"body\":\"x\"}");
	ia_input_free(&in);
}

static void
t_errors(void)
{
	struct ia_input	 in;
	char		 line[1024], msg[320], req[1024];

	setup(&in, NULL);
	/* Not JSON: the parser's message, no request. */
	want_error(NULL, 1, "in.jsonl:1: not JSON: Unfinished JSON term at EOF at "
	    "line 1, column 1 (while parsing '{')", NULL);
	CHECK_FEED(&in, "in.jsonl", 1, "{");
	want_error(NULL, 2, "line 2: not JSON: Invalid literal at EOF at line 1, "
	    "column 4 (while parsing 'nope')", NULL);
	CHECK_FEED(&in, NULL, 2, "nope");
	/* Two values on one line are not one request. */
	want_error(NULL, 3, "line 3: not JSON: Unexpected extra JSON values "
	    "(while parsing '{} {}')", NULL);
	CHECK_FEED(&in, NULL, 3, "{} {}");
	/* Not an object. */
	want_error(NULL, 4, "(stdin):4: a request must be a JSON object, not array",
	    "[1]");
	CHECK_FEED(&in, "(stdin)", 4, "[1]");
	want_error(NULL, 5, "line 5: a request must be a JSON object, not string",
	    "\"hi\"");
	CHECK_FEED(&in, NULL, 5, "\"hi\"");
	want_error(NULL, 6, "line 6: a request must be a JSON object, not null", "null");
	CHECK_FEED(&in, NULL, 6, "null");
	/* Neither kind; the request as it came, top-level custom_id included. */
	want_error("w", 7, "line 7: a request needs messages (chat) or prompt "
	    "(text completion)", "{\"custom_id\":\"w\",\"model\":\"m\"}");
	CHECK_FEED(&in, NULL, 7, "{\"custom_id\":\"w\",\"model\":\"m\"}");
	/* ia_request_check's verdicts, with the custom_id when there is one. */
	want_error(NULL, 8, "line 8: model is required", "{\"messages\":" MSGS "}");
	CHECK_FEED(&in, NULL, 8, "{\"messages\":" MSGS "}");
	want_error("z", 9, "x/y.jsonl:9: messages must be a non-empty array",
	    "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":{\"custom_id\":\"z\"},"
	    "\"messages\":5}");
	CHECK_FEED(&in, "x/y.jsonl", 9, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"z\"},\"messages\":5}");
	want_error(NULL, 10, "line 10: metadata must be an object",
	    "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":[]}");
	CHECK_FEED(&in, NULL, 10, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":[]}");

	/* A duplicate custom_id, however it came. */
	want_item("text", "a", 11, "{\"model\":\"m\",\"prompt\":\"1\",\"metadata\":"
	    "{\"custom_id\":\"a\"}}");
	CHECK_FEED(&in, NULL, 11, "{\"model\":\"m\",\"prompt\":\"1\",\"metadata\":"
	    "{\"custom_id\":\"a\"}}");
	want_error("a", 12, "line 12: duplicate custom_id \"a\"",
	    "{\"model\":\"m\",\"prompt\":\"2\",\"custom_id\":\"a\"}");
	CHECK_FEED(&in, NULL, 12, "{\"model\":\"m\",\"prompt\":\"2\",\"custom_id\":\"a\"}");
	want_error("a", 13, "line 13: duplicate custom_id \"a\"", BATCH_CHAT("\"a\""));
	CHECK_FEED(&in, NULL, 13, BATCH_CHAT("\"a\""));
	/* A number and its string are the same id. */
	want_item("text", "5", 14, "{\"model\":\"m\",\"prompt\":\"3\",\"metadata\":"
	    "{\"custom_id\":\"5\"}}");
	CHECK_FEED(&in, NULL, 14, "{\"model\":\"m\",\"prompt\":\"3\",\"custom_id\":5}");
	want_error("5", 15, "line 15: duplicate custom_id \"5\"",
	    "{\"model\":\"m\",\"prompt\":\"4\",\"custom_id\":\"5\"}");
	CHECK_FEED(&in, NULL, 15, "{\"model\":\"m\",\"prompt\":\"4\",\"custom_id\":\"5\"}");
	/* An assigned id, given again by hand. */
	want_item("text", "req-84b7c61110b15b97", 16, "{\"model\":\"m\",\"prompt\":"
	    "\"same\",\"metadata\":{\"custom_id\":\"req-84b7c61110b15b97\"}}");
	CHECK_FEED(&in, NULL, 16, "{\"model\":\"m\",\"prompt\":\"same\"}");
	want_error("req-84b7c61110b15b97", 17, "line 17: duplicate custom_id "
	    "\"req-84b7c61110b15b97\"", "{\"model\":\"m\",\"prompt\":\"other\","
	    "\"custom_id\":\"req-84b7c61110b15b97\"}");
	CHECK_FEED(&in, NULL, 17, "{\"model\":\"m\",\"prompt\":\"other\",\"custom_id\":"
	    "\"req-84b7c61110b15b97\"}");
	/* A refused line does not take its id: it may come again, fixed. */
	want_error("late", 18, "line 18: model is required",
	    "{\"prompt\":\"p\",\"custom_id\":\"late\"}");
	CHECK_FEED(&in, NULL, 18, "{\"prompt\":\"p\",\"custom_id\":\"late\"}");
	want_item("text", "late", 19, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"late\"}}");
	CHECK_FEED(&in, NULL, 19, "{\"model\":\"m\",\"prompt\":\"p\",\"custom_id\":\"late\"}");
	/* A long duplicate id is cut in the message (200 bytes), not in the record. */
	memset(line, 0, sizeof(line));
	memset(msg, 'x', 300);
	msg[300] = '\0';
	snprintf(line, sizeof(line), "{\"model\":\"m\",\"prompt\":\"p\",\"custom_id\":"
	    "\"%s\"}", msg);
	snprintf(req, sizeof(req), "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"%s\"}}", msg);
	want_item("text", msg, 20, req);
	CHECK_FEED(&in, NULL, 20, line);
	snprintf(req, sizeof(req), "line 21: duplicate custom_id \"%.200s\"", msg);
	want_error(msg, 21, req, line);
	CHECK_FEED(&in, NULL, 21, line);
	ia_input_free(&in);
}

static void
t_ids(void)
{
	struct ia_input	 in;
	int		 i, bad;
	char		 id[64];

	/* The same request: the same id, then -2, -3, ... in input order. */
	setup(&in, NULL);
	want_item("text", "req-84b7c61110b15b97", 1, "{\"model\":\"m\",\"prompt\":"
	    "\"same\",\"metadata\":{\"custom_id\":\"req-84b7c61110b15b97\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"model\":\"m\",\"prompt\":\"same\"}");
	want_item("text", "req-84b7c61110b15b97-2", 2, "{\"model\":\"m\",\"prompt\":"
	    "\"same\",\"metadata\":{\"custom_id\":\"req-84b7c61110b15b97-2\"}}");
	CHECK_FEED(&in, NULL, 2, "{\"model\":\"m\",\"prompt\":\"same\"}");
	/* Key order and spacing do not matter. */
	want_item("text", "req-84b7c61110b15b97-3", 3, "{\"model\":\"m\",\"prompt\":"
	    "\"same\",\"metadata\":{\"custom_id\":\"req-84b7c61110b15b97-3\"}}");
	CHECK_FEED(&in, NULL, 3, "{ \"prompt\": \"same\", \"model\": \"m\" }");
	/* Another request: its own id. */
	want_item("text", "req-613a1da138d3d8c5", 4, "{\"model\":\"m\",\"prompt\":"
	    "\"p\",\"metadata\":{\"custom_id\":\"req-613a1da138d3d8c5\"}}");
	CHECK_FEED(&in, NULL, 4, "{\"model\":\"m\",\"prompt\":\"p\"}");
	/* Many more: each the next number, one item each. */
	for (i = 4, bad = 0; i <= 200; i++) {
		snprintf(id, sizeof(id), "text req-84b7c61110b15b97-%d %d {", i, 100 + i);
		feed(&in, NULL, 100 + i, "{\"model\":\"m\",\"prompt\":\"same\"}");
		if (strncmp(got.data, id, strlen(id)) != 0 ||
		    strchr(got.data, '\n') != got.data + got.len - 1)
			bad++;
	}
	CHECK(bad == 0);
	/*
	 * A custom_id holding a NUL is refused: kept as a C string it was cut
	 * short, to "" or to another request's id (found by fuzz_input).
	 */
	want_error(NULL, 10, "line 10: custom_id must not hold a NUL byte",
	    "{\"model\":\"m\",\"prompt\":\"y\",\"custom_id\":\"\\u0000top\"}");
	CHECK_FEED(&in, NULL, 10, "{\"model\":\"m\",\"prompt\":\"y\",\"custom_id\":"
	    "\"\\u0000top\"}");
	want_error(NULL, 11, "line 11: custom_id must not hold a NUL byte",
	    "{\"model\":\"m\",\"prompt\":\"y\",\"metadata\":{\"custom_id\":"
	    "\"ab\\u0000cd\"}}");
	CHECK_FEED(&in, NULL, 11, "{\"model\":\"m\",\"prompt\":\"y\",\"metadata\":"
	    "{\"custom_id\":\"ab\\u0000cd\"}}");
	want_error(NULL, 12, "line 12: custom_id must not hold a NUL byte",
	    "{\"custom_id\":\"b\\u0000\",\"method\":\"POST\",\"url\":"
	    "\"/v1/completions\",\"body\":{\"model\":\"m\",\"prompt\":\"p\"}}");
	CHECK_FEED(&in, NULL, 12, "{\"custom_id\":\"b\\u0000\",\"method\":\"POST\","
	    "\"url\":\"/v1/completions\",\"body\":{\"model\":\"m\",\"prompt\":\"p\"}}");
	/* Neither took an id: "ab" is free still. */
	want_item("text", "ab", 13, "{\"model\":\"m\",\"prompt\":\"y\",\"metadata\":"
	    "{\"custom_id\":\"ab\"}}");
	CHECK_FEED(&in, NULL, 13, "{\"model\":\"m\",\"prompt\":\"y\",\"custom_id\":"
	    "\"ab\"}");
	ia_input_free(&in);
	/* A new run of the same input: the same ids. */
	setup(&in, NULL);
	want_item("text", "req-84b7c61110b15b97", 9, "{\"model\":\"m\",\"prompt\":"
	    "\"same\",\"metadata\":{\"custom_id\":\"req-84b7c61110b15b97\"}}");
	CHECK_FEED(&in, NULL, 9, "{\"prompt\":\"same\",\"model\":\"m\"}");
	ia_input_free(&in);
}

static void
t_text(void)
{
	struct ia_input	 in;

	/* -t with -m and --system: one chat request per line. */
	setup(&in, OPTS("t", "", "m", "m", "system", "Be brief"));
	want_item("chat", "req-23f61faf57800310", 1, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\","
	    "\"content\":\"hello\"}],\"metadata\":{\"custom_id\":"
	    "\"req-23f61faf57800310\"}}");
	CHECK_FEED(&in, NULL, 1, "hello");
	want_item("chat", "req-23f61faf57800310-2", 2, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\","
	    "\"content\":\"hello\"}],\"metadata\":{\"custom_id\":"
	    "\"req-23f61faf57800310-2\"}}");
	CHECK_FEED(&in, NULL, 2, "hello");
	ia_input_free(&in);

	/* Without --system; a line that looks like JSON is text all the same. */
	setup(&in, OPTS("t", "", "m", "m"));
	want_item("chat", "req-c1f67ea65af60655", 1, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"user\",\"content\":\"{\\\"a\\\":1}\"}],\"metadata\":"
	    "{\"custom_id\":\"req-c1f67ea65af60655\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"a\":1}");
	/* Bytes as they are: spaces, quotes, tabs, no trimming. */
	want_item("chat", "req-7d784f4ac243a1d3", 2, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"user\",\"content\":\" say \\\"hi\\\"\\t\"}],\"metadata\":"
	    "{\"custom_id\":\"req-7d784f4ac243a1d3\"}}");
	CHECK_FEED(&in, NULL, 2, " say \"hi\"\t");
	ia_input_free(&in);

	/* -t with -e: the program gets the line as a string. */
	setup(&in, OPTS("t", "", "e", "{model: \"x\", messages: [{role: \"user\", "
	    "content: .}], metadata: {custom_id: (\"t-\" + .)}}"));
	want_item("chat", "t-hi", 3, "{\"model\":\"x\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"hi\"}],\"metadata\":{\"custom_id\":\"t-hi\"}}");
	CHECK_FEED(&in, NULL, 3, "hi");
	ia_input_free(&in);
	/* -t -e yielding strings: each is a prompt line again. */
	setup(&in, OPTS("t", "", "m", "m", "e", "split(\" \")[]"));
	want_item("chat", "req-68a0ee5c00c534a2", 1, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"user\",\"content\":\"a\"}],\"metadata\":{\"custom_id\":"
	    "\"req-68a0ee5c00c534a2\"}}");
	want_item("chat", "req-4b2188e80f3e9b27", 1, "{\"model\":\"m\",\"messages\":"
	    "[{\"role\":\"user\",\"content\":\"b\"}],\"metadata\":{\"custom_id\":"
	    "\"req-4b2188e80f3e9b27\"}}");
	CHECK_FEED(&in, NULL, 1, "a b");
	/* An output not a string goes as a request of its own. */
	want_error(NULL, 2, "line 2: a request must be a JSON object, not array", "[]");
	ia_input_free(&in);
	setup(&in, OPTS("t", "", "m", "m", "e", "[]"));
	CHECK_FEED(&in, NULL, 2, "a b");
	ia_input_free(&in);
}

static void
t_filter(void)
{
	struct ia_input	 in;

	setup(&in, OPTS("e", ".[] | {model: \"m\", prompt: .}"));
	/* 0, 1 and 2 requests from a line, each with that line's number. */
	CHECK_FEED(&in, NULL, 1, "[]");
	want_item("text", "req-df3eb6a0ef310d6e", 2, "{\"model\":\"m\",\"prompt\":\"a\","
	    "\"metadata\":{\"custom_id\":\"req-df3eb6a0ef310d6e\"}}");
	CHECK_FEED(&in, NULL, 2, "[\"a\"]");
	want_item("text", "req-df3eb6a0ef310d6e-2", 3, "{\"model\":\"m\",\"prompt\":\"a\","
	    "\"metadata\":{\"custom_id\":\"req-df3eb6a0ef310d6e-2\"}}");
	want_item("text", "req-e7e7dba0f41879f7", 3, "{\"model\":\"m\",\"prompt\":\"b\","
	    "\"metadata\":{\"custom_id\":\"req-e7e7dba0f41879f7\"}}");
	CHECK_FEED(&in, NULL, 3, "[\"a\",\"b\"]");
	/* A runtime error: an error record with the line's value as request. */
	want_error(NULL, 4, "f:4: -e: Cannot iterate over number (5)", "5");
	CHECK_FEED(&in, "f", 4, "5");
	/* Not JSON never reaches the program. */
	want_error(NULL, 5, "line 5: not JSON: Unfinished JSON term at EOF at line 1, "
	    "column 1 (while parsing '[')", NULL);
	CHECK_FEED(&in, NULL, 5, "[");
	/* An output that is not a good request: refused, the rest go on. */
	want_error(NULL, 6, "line 6: prompt must be a string or a non-empty array of "
	    "strings", "{\"model\":\"m\",\"prompt\":null}");
	want_item("text", "req-e7e7dba0f41879f7-2", 6, "{\"model\":\"m\",\"prompt\":"
	    "\"b\",\"metadata\":{\"custom_id\":\"req-e7e7dba0f41879f7-2\"}}");
	CHECK_FEED(&in, NULL, 6, "[null,\"b\"]");
	ia_input_free(&in);

	setup(&in, OPTS("e", ".[] | if . == \"bad\" then error(\"bad value\") "
	    "elif . == \"num\" then 1 else {model: \"m\", prompt: .} end"));
	/* Items before the error, then the error; nothing after. */
	want_item("text", "req-a5ac65a15f5ae8ad", 1, "{\"model\":\"m\",\"prompt\":\"x\","
	    "\"metadata\":{\"custom_id\":\"req-a5ac65a15f5ae8ad\"}}");
	want_error(NULL, 1, "line 1: -e: bad value", "[\"x\",\"bad\",\"y\"]");
	CHECK_FEED(&in, NULL, 1, "[\"x\",\"bad\",\"y\"]");
	/* An output that is not an object: refused, the next one goes on. */
	want_error(NULL, 2, "line 2: a request must be a JSON object, not number", "1");
	want_item("text", "req-e7e7dba0f41879f7", 2, "{\"model\":\"m\",\"prompt\":\"b\","
	    "\"metadata\":{\"custom_id\":\"req-e7e7dba0f41879f7\"}}");
	CHECK_FEED(&in, NULL, 2, "[\"num\",\"b\"]");
	ia_input_free(&in);

	/* halt_error: an error record, and the next line runs again. */
	setup(&in, OPTS("e", "if . == \"halt\" then \"stop\\n\" | halt_error "
	    "else {model: \"m\", prompt: .} end"));
	want_error(NULL, 1, "line 1: -e: stop\n", "\"halt\"");
	CHECK_FEED(&in, NULL, 1, "\"halt\"");
	want_item("text", "req-3ede8d65be11c1e7", 2, "{\"model\":\"m\",\"prompt\":\"go\","
	    "\"metadata\":{\"custom_id\":\"req-3ede8d65be11c1e7\"}}");
	CHECK_FEED(&in, NULL, 2, "\"go\"");
	want_error(NULL, 3, "line 3: -e: stop\n", "\"halt\"");
	CHECK_FEED(&in, NULL, 3, "\"halt\"");
	ia_input_free(&in);

	/* -e with -m: the model is filled in after the program. */
	setup(&in, OPTS("e", "{prompt: .q, custom_id: .id}", "m", "mm"));
	want_item("text", "e1", 1, "{\"model\":\"mm\",\"prompt\":\"Q\",\"metadata\":"
	    "{\"custom_id\":\"e1\"}}");
	CHECK_FEED(&in, NULL, 1, "{\"q\":\"Q\",\"id\":\"e1\"}");
	/* Two outputs with the same custom_id: the second is a duplicate. */
	ia_input_free(&in);
	setup(&in, OPTS("e", "., .", "m", "mm"));
	want_item("text", "dup", 1, "{\"model\":\"mm\",\"prompt\":\"P\",\"metadata\":"
	    "{\"custom_id\":\"dup\"}}");
	want_error("dup", 1, "line 1: duplicate custom_id \"dup\"",
	    "{\"prompt\":\"P\",\"custom_id\":\"dup\"}");
	CHECK_FEED(&in, NULL, 1, "{\"prompt\":\"P\",\"custom_id\":\"dup\"}");
	ia_input_free(&in);
}

/* Bytes held by malloc now; 0 where that is not known (ASan's malloc). */
static size_t
heap_used(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

/*
 * A journal's group record: each custom_id listed counts as submitted.
 * Reading it again and again holds no more memory (its custom_ids were
 * once copied into the loop and never freed: the LeakSanitizer of make
 * sanitize reports that too).
 */
static void
t_skip_done_group(void)
{
	struct ia_ids	 done, sent;
	char		*path, err[256];
	size_t		 before = 0;
	int		 i;
	long		 n = 0;

	path = temp_file("{\"group_id\":\"grp-1\",\"custom_ids\":[\"g1\",\"g2\",\"g3\"]}\n"
	    "{\"group_id\":\"grp-2\",\"custom_ids\":[\"g3\",\"g4\",7,\"\"]}\n");
	for (i = 0; i < 200; i++) {
		if (i == 100)
			before = heap_used();
		ia_ids_init(&done);
		ia_ids_init(&sent);
		n = ia_result_load_done(path, &done, &sent, err, sizeof(err));
		if (i == 0)
			CHECK(n == 5 && done.count == 0 && sent.count == 5 &&
			    ia_ids_has(&sent, "g1", 2) && ia_ids_has(&sent, "g4", 2) &&
			    ia_ids_has(&sent, "", 0));
		ia_ids_free(&done);
		ia_ids_free(&sent);
	}
	CHECK(heap_used() <= before);
	unlink(path);
	free(path);
}

static void
t_skip_done(void)
{
	struct ia_input	 in;
	char		*path;

	path = temp_file("{\"custom_id\":\"a\",\"content\":\"x\"}\n"
	    "{\"custom_id\":\"req-613a1da138d3d8c5\",\"content\":\"y\"}\n"
	    "{\"custom_id\":\"f\",\"error\":{\"stage\":\"poll\"}}\n"
	    "{\"custom_id\":\"sent\",\"id\":\"gen-sent\"}\n");
	setup(&in, OPTS("skip", path));
	CHECK(in.done.count == 2 && in.skipped_done == 0 && in.skipped_sent == 0);
	CHECK(in.sent.count == 1);
	/* Submitted already (a journal's acknowledgement): passed over, counted apart. */
	CHECK_FEED(&in, NULL, 1, "{\"model\":\"m\",\"prompt\":\"p\",\"custom_id\":\"sent\"}");
	CHECK(in.skipped_sent == 1 && in.skipped_done == 0);
	/* Answered already: passed over, counted. */
	CHECK_FEED(&in, NULL, 1, "{\"model\":\"m\",\"prompt\":\"p\",\"custom_id\":\"a\"}");
	CHECK(in.skipped_done == 1);
	/* An assigned id that was answered: passed over too. */
	CHECK_FEED(&in, NULL, 2, "{\"model\":\"m\",\"prompt\":\"p\"}");
	CHECK(in.skipped_done == 2);
	/* The same request again is the next one, not answered yet. */
	want_item("text", "req-613a1da138d3d8c5-2", 3, "{\"model\":\"m\",\"prompt\":"
	    "\"p\",\"metadata\":{\"custom_id\":\"req-613a1da138d3d8c5-2\"}}");
	CHECK_FEED(&in, NULL, 3, "{\"model\":\"m\",\"prompt\":\"p\"}");
	/* A failure is not done: it goes again. */
	want_item("text", "f", 4, "{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":"
	    "{\"custom_id\":\"f\"}}");
	CHECK_FEED(&in, NULL, 4, "{\"model\":\"m\",\"prompt\":\"p\",\"custom_id\":\"f\"}");
	/* A bad request is refused, answered or not. */
	want_error("a", 5, "line 5: model is required", "{\"prompt\":\"p\","
	    "\"custom_id\":\"a\"}");
	CHECK_FEED(&in, NULL, 5, "{\"prompt\":\"p\",\"custom_id\":\"a\"}");
	CHECK(in.skipped_done == 2);
	ia_input_free(&in);
	unlink(path);
	free(path);
	t_skip_done_group();
}

/* ---- source.c ---- */

/*
 * Every line of the files, as "file:lineno:text" (file "(null)" for stdin
 * alone, text TOO_LONG when over max_line), then "EOF"; or the error.
 */
static const char *
read_source(char **names, int n, size_t max_line)
{
	static struct ia_buf	 t;
	struct ia_source	 src;
	struct ia_line		 l;
	enum ia_line_status	 st;
	char			 err[512];
	long			 rounds = 0;

	t.len = 0;
	ia_buf_adds(&t, "");
	if (ia_source_init(&src, names, n, max_line, err, sizeof(err)) == -1) {
		ia_buf_addf(&t, "ERROR %s", err);
		return t.data;
	}
	for (;;) {
		st = ia_source_next(&src, &l);
		if (st == IA_LINE_EOF) {
			ia_buf_adds(&t, "EOF");
			break;
		}
		if (st == IA_LINE_NONE) {
			if (ia_source_fill(&src) == -1) {
				ia_buf_addf(&t, "FILL %s", strerror(errno));
				break;
			}
			if (++rounds > 100000) {
				ia_buf_adds(&t, "LOOPING");
				break;
			}
			continue;
		}
		if (st == IA_LINE_TOO_LONG)
			ia_buf_addf(&t, "%s:%ld:TOO_LONG\n", l.file ? l.file : "(null)",
			    l.lineno);
		else
			ia_buf_addf(&t, "%s:%ld:%.*s\n", l.file ? l.file : "(null)",
			    l.lineno, (int)l.len, l.text);
	}
	CHECK(ia_source_name(&src) == NULL && ia_source_fd(&src) == -1 &&
	    ia_source_fill(&src) == 0 && ia_source_next(&src, &l) == IA_LINE_EOF);
	ia_source_free(&src);
	return t.data;
}

/* The lowest free file descriptor. */
static int
free_fd(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		die("t_input: /dev/null");
	close(fd);
	return fd;
}

static void
t_source(void)
{
	struct ia_source	 src;
	char			*a, *b, *s, *missing, *names[4], want_s[2048], err[512];
	char			 buf[16];
	int			 saved, fd, lowest;

	a = temp_file("1\n\n2\n");
	b = temp_file("x\r\ny\n0123456789abcdef\nz");
	s = temp_file("from stdin\n");

	/* Two files, in turn: each line knows its file, numbers restart. */
	names[0] = a;
	names[1] = b;
	snprintf(want_s, sizeof(want_s), "%s:1:1\n%s:3:2\n%s:1:x\n%s:2:y\n"
	    "%s:3:TOO_LONG\n%s:4:z\nEOF", a, a, b, b, b, b);
	CHECK_STR(read_source(names, 2, 10), want_s);
	/* The same file twice is read twice. */
	names[1] = a;
	snprintf(want_s, sizeof(want_s), "%s:1:1\n%s:3:2\n%s:1:1\n%s:3:2\nEOF",
	    a, a, a, a);
	CHECK_STR(read_source(names, 2, 100), want_s);

	/* "-" is stdin, named "(stdin)"; with no names at all, no name. */
	/* (stdin may be closed when the suite runs: then it is closed after.) */
	if (((saved = dup(0)) == -1 && errno != EBADF) ||
	    (fd = open(s, O_RDONLY)) == -1 || (fd != 0 && dup2(fd, 0) == -1))
		die("t_input: stdin");
	if (fd != 0)
		close(fd);
	names[0] = a;
	names[1] = "-";
	names[2] = b;
	snprintf(want_s, sizeof(want_s), "%s:1:1\n%s:3:2\n(stdin):1:from stdin\n"
	    "%s:1:x\n%s:2:y\n%s:3:0123456789abcdef\n%s:4:z\nEOF", a, a, b, b, b, b);
	CHECK_STR(read_source(names, 3, 100), want_s);
	/* stdin stays open: it is not the source's to close. */
	CHECK(fcntl(0, F_GETFD) != -1);
	lseek(0, 0, SEEK_SET);
	CHECK_STR(read_source(NULL, 0, 100), "(null):1:from stdin\nEOF");
	CHECK(fcntl(0, F_GETFD) != -1);
	if (saved == -1)
		close(0);
	else if (dup2(saved, 0) == -1)
		die("t_input: stdin");
	else
		close(saved);

	/* The name while reading. */
	names[0] = a;
	names[1] = b;
	CHECK(ia_source_init(&src, names, 2, 100, err, sizeof(err)) == 0);
	CHECK_STR(ia_source_name(&src), a);
	CHECK(ia_source_fd(&src) >= 0);
	ia_source_free(&src);
	CHECK(ia_source_init(&src, NULL, 0, 100, err, sizeof(err)) == 0);
	CHECK(ia_source_name(&src) == NULL && ia_source_fd(&src) == 0);
	ia_source_free(&src);

	/* A missing file: -1 with its name, before any work; nothing left open. */
	if (asprintf(&missing, "%s/t_input.no-such-file", tmpdir()) == -1)
		die("t_input: asprintf");
	lowest = free_fd();
	names[0] = a;
	names[1] = b;
	names[2] = missing;
	snprintf(want_s, sizeof(want_s), "ERROR %s: No such file or directory", missing);
	CHECK_STR(read_source(names, 3, 100), want_s);
	CHECK(free_fd() == lowest);
	names[0] = missing;
	CHECK_STR(read_source(names, 1, 100), want_s);
	CHECK(free_fd() == lowest);
	free(missing);

	/* Where a line is. */
	CHECK_STR(ia_source_where("in.jsonl", 7, buf, sizeof(buf)), "in.jsonl:7");
	CHECK_STR(ia_source_where(NULL, 7, buf, sizeof(buf)), "line 7");
	CHECK_STR(ia_source_where("(stdin)", 12, buf, sizeof(buf)), "(stdin):12");
	CHECK(ia_source_where(NULL, 1, buf, sizeof(buf)) == buf);
	CHECK_STR(ia_source_where(NULL, 123456, buf, 5), "line");
	CHECK_STR(ia_source_where("a-long-file-name.jsonl", 1, buf, sizeof(buf)),
	    "a-long-file-nam");

	unlink(a);
	unlink(b);
	unlink(s);
	free(a);
	free(b);
	free(s);
}

static const struct t_group groups[] = {
	{ "jq", t_jq },
	{ "options", t_options },
	{ "plain", t_plain },
	{ "batch", t_batch },
	{ "errors", t_errors },
	{ "ids", t_ids },
	{ "text", t_text },
	{ "filter", t_filter },
	{ "skip_done", t_skip_done },
	{ "source", t_source },
};

int
main(int argc, char *argv[])
{
	int	 rc;

	rc = t_main("t_input", groups, sizeof(groups) / sizeof(groups[0]), argc, argv);
	ia_buf_free(&got);
	ia_buf_free(&want);
	ia_buf_free(&wanted);
	return rc;
}
