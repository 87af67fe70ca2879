/*
 * fuzz_result: lib/result.c, collect.c, pending.c, format.c and summary.c
 * as ia-collect uses them.  Each line of the input is a record of a
 * results stream (a line not JSON becomes an input error, as ia-collect
 * makes it); every first answer is written in each form of the table, as
 * is each failure that stands after ia_collect_end(); then the failed set,
 * the --sort order and the summary, as JSON and as text.  When the first
 * byte is odd the same lines are also read as a --skip-done file
 * (ia_result_load_done) through a memfd.
 */
#include <sys/mman.h>

#include <unistd.h>

#include "fuzz.h"

static const char *const forms[] = {
	"ndjson", "openai", "tsv", "csv", "raw", "raw0"
};
#define NFORMS	(sizeof(forms) / sizeof(forms[0]))

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
	struct ia_collect *c = arg;
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
	rc = ia_collect_add(c, rec, &r);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (rc == 1) {
		FUZZ_CHECK(r.kind == IA_RESULT_SUCCESS);
		rows(&r);
	}
	ia_result_free(&r);
}

/* A failure that stands, as ia-collect prints it at the end. */
static void
failure(void *arg, jv cid, jv rec)
{
	struct ia_result r;

	(void)arg;
	FUZZ_CHECK(jv_get_kind(cid) == JV_KIND_STRING || jv_get_kind(cid) == JV_KIND_NULL);
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
	struct ia_collect c;
	struct ia_buf	 b = { 0 };
	jv		 failed, sum, order;

	if (size < 1 || size > (1u << 20))
		return 0;
	ia_collect_init(&c);
	fuzz_lines(data + 1, size - 1, line, &c);
	FUZZ_CHECK(ia_collect_end(&c) == 0);
	ia_collect_each_failure(&c, failure, NULL);
	failed = ia_collect_failed(&c);
	FUZZ_CHECK(jv_get_kind(failed) == JV_KIND_OBJECT);
	FUZZ_CHECK((unsigned long)jv_object_length(jv_copy(failed)) <= c.sum.failed);
	/* --sort --input: the failed ones, placed in an order of their own. */
	order = ia_collect_order(jv_keys(jv_copy(failed)),
	    jv_object_set(jv_object(), jv_string("c-1"), jv_number(0)));
	FUZZ_CHECK(jv_array_length(order) == jv_object_length(failed));
	sum = ia_summary_json(&c.sum);
	FUZZ_CHECK(jv_get_kind(sum) == JV_KIND_OBJECT);
	jv_free(sum);
	FUZZ_CHECK(ia_summary_text(&c.sum, &b) == 0);
	ia_buf_free(&b);
	ia_collect_free(&c);
	if (data[0] & 1)
		load_done(data + 1, size - 1);
	return 0;
}
