/*
 * fuzz_input: lib/input.c, ia_input_line(), on any lines in every input
 * form.  The first byte picks the options (plain, -m, --webhook-id, -t with
 * -m and --system, and -e programs with and without -t); the rest is the
 * input, one item source a line.  Each item is checked (an error record of
 * ours, or a request of its kind carrying its own custom_id, never one seen
 * before in the run) and freed, as the callback must.
 */
#include "fuzz.h"

/* The -e programs, compiled once: libjq 1.6 takes milliseconds to compile. */
static const char *const programs[] = {
	"., .",
	"{model: \"m\", prompt: .}",
	/* Not halt_error: libjq 1.6 must be torn down after it (lib/jq.c). */
	"if type == \"object\" and .err then error(.err) else . end",
};
#define NPROGRAMS	(sizeof(programs) / sizeof(programs[0]))

static struct ia_jq	*compiled[NPROGRAMS];

/*
 * libjq 1.6 holds its stack by a pointer one past its end (exec_stack.h,
 * mem_end), which LeakSanitizer does not take for a reference: a state kept
 * from one input to the next looks leaked.  The stack is one of only two
 * users of jv_mem_realloc() in libjq (the other, the parser's token buffer,
 * is freed within jv_parse()); no jv value is allocated through it, so a
 * value of ours leaked is still found.  (With the fast unwinder, the stack
 * of a libjq allocation ends there: jq_start() would not be seen.)
 */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:jv_mem_realloc\n";
}

struct mode {
	bool		 text;
	const char	*model, *system, *webhook_id;
	int		 program;	/* in programs[], or -1 */
};

static const struct mode modes[] = {
	{ false, NULL, NULL, NULL, -1 },
	{ false, "m", NULL, NULL, -1 },
	{ false, "m", NULL, "hook-1", -1 },
	{ true, "m", NULL, NULL, -1 },
	{ true, "m", "Be concise.", "hook-1", -1 },
	{ false, NULL, NULL, NULL, 0 },
	{ false, NULL, NULL, NULL, 1 },
	{ true, NULL, NULL, NULL, 1 },
	{ true, "m", "sys", NULL, 0 },
	{ false, "m", NULL, NULL, 2 },
};
#define NMODES	(sizeof(modes) / sizeof(modes[0]))

struct run {
	const struct mode *mode;
	struct ia_input	*in;
	struct ia_ids	 seen;		/* custom_ids handed out in this run */
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];
	size_t	 i;

	(void)argc;
	(void)argv;
	for (i = 0; i < NPROGRAMS; i++)
		if ((compiled[i] = ia_jq_compile(programs[i], err, sizeof(err))) == NULL) {
			fprintf(stderr, "fuzz_input: %s\n", err);
			abort();
		}
	return 0;
}

/* What the tools do with an item, checked first. */
static void
item(void *arg, struct ia_item *it)
{
	struct run	*run = arg;
	char		 why[256];
	jv		 cid, model;

	FUZZ_CHECK(it->line > 0);
	if (it->kind == IA_KIND_NONE) {
		FUZZ_CHECK(it->custom_id == NULL);
		FUZZ_CHECK(ia_record_is_error(jv_copy(it->request)));
		jv_free(it->request);
		return;
	}
	FUZZ_CHECK(it->kind == IA_KIND_CHAT || it->kind == IA_KIND_TEXT);
	FUZZ_CHECK(it->custom_id != NULL);
	FUZZ_CHECK(ia_request_check(jv_copy(it->request), it->kind, why,
	    sizeof(why)) == 0);
	cid = ia_record_custom_id(jv_copy(it->request));
	FUZZ_CHECK(jv_get_kind(cid) == JV_KIND_STRING &&
	    strcmp(jv_string_value(cid), it->custom_id) == 0);
	jv_free(cid);
	FUZZ_CHECK(ia_ids_add(&run->seen, it->custom_id,
	    strlen(it->custom_id)) == 1);
	if (run->mode->model != NULL) {
		model = jv_object_get(jv_copy(it->request), jv_string("model"));
		FUZZ_CHECK(jv_get_kind(model) == JV_KIND_STRING);
		jv_free(model);
	}
	jv_free(it->request);
	free(it->custom_id);
}

static void
line(void *arg, const char *s, size_t len, long lineno)
{
	struct run	*run = arg;
	struct ia_line	 l = { NULL, s, len, lineno };

	/* The reader never gives an empty line. */
	if (len == 0)
		return;
	if (lineno % 7 == 0)
		l.file = "in.jsonl";
	ia_input_line(run->in, &l, item, run);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ia_input	 in;
	struct run	 run;
	char		 err[256];
	struct ia_line	 l = { NULL, NULL, 0, 1 };
	jv		 rec;

	if (size < 1)
		return 0;
	run.mode = &modes[data[0] % NMODES];
	memset(&in, 0, sizeof(in));
	in.model = run.mode->model;
	in.system = run.mode->system;
	in.webhook_id = run.mode->webhook_id;
	in.text = run.mode->text && run.mode->model != NULL;
	FUZZ_CHECK(ia_input_init(&in, err, sizeof(err)) == 0);
	/* -t with -e and no -m, and the program compiled once, set after. */
	in.text = run.mode->text;
	if (run.mode->program >= 0) {
		in.filter = programs[run.mode->program];
		in.jq = compiled[run.mode->program];
	}
	run.in = &in;
	ia_ids_init(&run.seen);
	fuzz_lines(data + 1, size - 1, line, &run);
	rec = ia_input_too_long(&l, 64);
	FUZZ_CHECK(ia_record_is_error(rec));
	in.jq = NULL;	/* the compiled program stays for the next input */
	ia_input_free(&in);
	ia_ids_free(&run.seen);
	return 0;
}
