/*
 * fuzz_result: lib/result.c, collect.c, pending.c, format.c and summary.c
 * as ia-collect uses them.  Each line of the input is a record of a
 * results stream (a line not JSON becomes an input error, as ia-collect
 * makes it); every first answer is written in each form of the table, as
 * is each failure that stands after ia_collect_end(); then the failed set,
 * the --sort order and the summary, as JSON and as text.  When the first
 * byte is odd the same lines are also read as a --skip-done file
 * (ia_result_load_done) through a memfd.  Each custom_id with a success is
 * printed once, the first time, and none of them is among the failures
 * that stand; not checked once a custom_id holding a NUL has come, which
 * lib/ids.c, keeping C strings, takes for its part before the NUL.
 */
#include <sys/mman.h>

#include <unistd.h>

#include "fuzz.h"

static const char *const forms[] = {
	"ndjson", "openai", "tsv", "csv", "raw", "raw0"
};
#define NFORMS	(sizeof(forms) / sizeof(forms[0]))

struct run {
	struct ia_collect c;
	jv	 succeeded;	/* custom_id -> true: a success came */
	jv	 printed;	/* custom_id -> true: printed */
	bool	 nul;		/* a custom_id held a NUL: no such checks */
};

/* A custom_id to follow: a string; one holding a NUL is noted. Consumed. */
static bool
followed(struct run *run, jv cid)
{
	bool	 yes = jv_get_kind(cid) == JV_KIND_STRING;

	if (yes && strlen(jv_string_value(cid)) !=
	    (size_t)jv_string_length_bytes(jv_copy(cid)))
		run->nul = true;
	jv_free(cid);
	return yes;
}

/* A result written in every form; each row is a whole, non-empty text. */
static void
rows(const struct ia_result *r)
{
	const struct ia_format *f;
	struct ia_buf	 b;
	size_t		 i;
	jv		 v;

	for (i = 0; i < NFORMS; i++) {
		FUZZ_CHECK((f = ia_format_find(forms[i])) != NULL);
		memset(&b, 0, sizeof(b));
		FUZZ_CHECK(ia_format_row(f, &b, r) == 0);
		if (r->kind == IA_RESULT_SUCCESS || !f->answers_only)
			FUZZ_CHECK(b.len > 0);
		if (strcmp(f->name, "ndjson") == 0 || strcmp(f->name, "openai") == 0) {
			/* One line of JSON. */
			FUZZ_CHECK(b.data[b.len - 1] == '\n');
			FUZZ_CHECK(memchr(b.data, '\n', b.len - 1) == NULL);
			v = jv_parse_sized(b.data, (int)b.len);
			FUZZ_CHECK(jv_get_kind(v) == JV_KIND_OBJECT);
			jv_free(v);
		}
		ia_buf_free(&b);
	}
}

static void
line(void *arg, const char *s, size_t len, long lineno)
{
	struct run	*run = arg;
	struct ia_result r;
	struct ia_line	 l = { NULL, s, len, lineno };
	jv		 rec;
	int		 rc;

	if (len == 0)
		return;
	if (len > 4096)		/* --max-line, as small as one may set it */
		rec = ia_input_too_long(&l, 4096);
	else if (!jv_is_valid(rec = jv_parse_sized(s, (int)len))) {
		jv_free(rec);
		rec = ia_record_error(NULL, "input", 0, "line N: not JSON", 0,
		    jv_null(), lineno);
	}
	rc = ia_collect_add(&run->c, rec, &r);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (r.kind == IA_RESULT_SUCCESS && followed(run, jv_copy(r.custom_id)))
		run->succeeded = jv_object_set(run->succeeded, jv_copy(r.custom_id),
		    jv_true());
	if (rc == 1) {
		FUZZ_CHECK(r.kind == IA_RESULT_SUCCESS);
		rows(&r);
		if (followed(run, jv_copy(r.custom_id))) {
			FUZZ_CHECK(run->nul || !jv_object_has(jv_copy(run->printed),
			    jv_copy(r.custom_id)));
			run->printed = jv_object_set(run->printed,
			    jv_copy(r.custom_id), jv_true());
		}
	}
	ia_result_free(&r);
}

/* A failure that stands, as ia-collect prints it at the end. */
static void
failure(void *arg, jv cid, jv rec)
{
	struct run	*run = arg;
	struct ia_result r;

	FUZZ_CHECK(jv_get_kind(cid) == JV_KIND_STRING || jv_get_kind(cid) == JV_KIND_NULL);
	if (followed(run, jv_copy(cid)) && !run->nul)
		FUZZ_CHECK(!jv_object_has(jv_copy(run->succeeded), jv_copy(cid)));
	jv_free(cid);
	ia_result_read(rec, &r);
	FUZZ_CHECK(r.kind == IA_RESULT_FAILURE);
	rows(&r);
	ia_result_free(&r);
}

/* The lines as a --skip-done file. */
static void
load_done(const uint8_t *data, size_t size)
{
	struct ia_ids	 done, sent;
	char		 path[64], err[256];
	int		 fd;

	FUZZ_CHECK((fd = memfd_create("fuzz_result", 0)) != -1);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ia_ids_init(&done);
	ia_ids_init(&sent);
	FUZZ_CHECK(ia_result_load_done(path, &done, &sent, err, sizeof(err)) >= 0);
	ia_ids_free(&done);
	ia_ids_free(&sent);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 run;
	struct ia_buf	 b = { 0 };
	jv		 failed, sum, order;

	if (size < 1 || size > (1u << 20))
		return 0;
	ia_collect_init(&run.c);
	run.succeeded = jv_object();
	run.printed = jv_object();
	run.nul = false;
	fuzz_lines(data + 1, size - 1, line, &run);
	FUZZ_CHECK(run.nul || jv_equal(jv_copy(run.succeeded), jv_copy(run.printed)));
	FUZZ_CHECK(ia_collect_end(&run.c) == 0);
	ia_collect_each_failure(&run.c, failure, &run);
	failed = ia_collect_failed(&run.c);
	FUZZ_CHECK(jv_get_kind(failed) == JV_KIND_OBJECT);
	FUZZ_CHECK((unsigned long)jv_object_length(jv_copy(failed)) <= run.c.sum.failed);
	/* --sort --input: the failed ones, placed in an order of their own. */
	order = ia_collect_order(jv_keys(jv_copy(failed)),
	    jv_object_set(jv_object(), jv_string("c-1"), jv_number(0)));
	FUZZ_CHECK(jv_array_length(order) == jv_object_length(failed));
	sum = ia_summary_json(&run.c.sum);
	FUZZ_CHECK(jv_get_kind(sum) == JV_KIND_OBJECT);
	jv_free(sum);
	FUZZ_CHECK(ia_summary_text(&run.c.sum, &b) == 0);
	ia_buf_free(&b);
	ia_collect_free(&run.c);
	jv_free(run.succeeded);
	jv_free(run.printed);
	if (data[0] & 1)
		load_done(data + 1, size - 1);
	return 0;
}
