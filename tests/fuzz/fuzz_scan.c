/*
 * fuzz_scan: lib/scan.c, the reader of Success generations that ia-collect
 * tries before libjq.  Each line it takes must read as libjq reads it
 * (ia_collect_record(), ia_result_read()): the custom_id, the generation's
 * id, the times, and the row of every form, byte for byte, whenever
 * ia_format_scan_row() does not decline it.  What it declines is not
 * checked: libjq reads it, as fuzz_result covers.
 */
#include "fuzz.h"

static const char *const forms[] = { "ndjson", "tsv", "csv", "raw", "raw0" };
#define NFORMS	(sizeof(forms) / sizeof(forms[0]))

static struct ia_scan	 sc;

/* Whether s (consumed) is a string of exactly len bytes at p. */
static bool
same_bytes(jv s, const char *p, size_t len)
{
	bool	 yes = jv_get_kind(s) == JV_KIND_STRING &&
	    (size_t)jv_string_length_bytes(jv_copy(s)) == len &&
	    memcmp(jv_string_value(s), p, len) == 0;

	jv_free(s);
	return yes;
}

static void
line(void *arg, const char *text, size_t len, long n)
{
	struct ia_line	 l = { NULL, text, len, n };
	struct ia_result r;
	struct ia_buf	 a = { 0 }, b = { 0 };
	size_t		 i;
	int		 rc;

	(void)arg;
	FUZZ_CHECK((rc = ia_scan_generation(&sc, text, len)) != -1);
	if (rc == 0)
		return;
	ia_result_read(ia_collect_record(&l, len + 1), &r);
	FUZZ_CHECK(r.kind == IA_RESULT_SUCCESS);
	FUZZ_CHECK(same_bytes(jv_copy(r.custom_id), sc.custom_id, sc.custom_id_len));
	FUZZ_CHECK(sc.id != NULL ? same_bytes(jv_copy(r.id), sc.id, sc.id_len) :
	    jv_get_kind(r.id) != JV_KIND_STRING);
	FUZZ_CHECK(r.dispatched == sc.dispatched && r.finished == sc.finished);
	for (i = 0; i < NFORMS; i++) {
		a.len = b.len = 0;
		FUZZ_CHECK(ia_format_row(ia_format_find(forms[i]), &a, &r) == 0);
		FUZZ_CHECK((rc = ia_format_scan_row(ia_format_find(forms[i]), &b,
		    &sc)) != -1);
		if (rc == 0)
			FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	}
	ia_buf_free(&a);
	ia_buf_free(&b);
	ia_result_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(data, size, line, NULL);
	ia_scan_free(&sc);
	memset(&sc, 0, sizeof(sc));
	return 0;
}
