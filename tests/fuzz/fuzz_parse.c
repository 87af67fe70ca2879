/*
 * fuzz_parse: the small parsers of outside strings.  The first eight bytes
 * are a time_t "now"; the rest, up to its first NUL, is the string given to
 * each of: ia_http_retry_after (a Retry-After header), ia_duration_parse,
 * ia_time_parse (an ISO 8601 time), ia_http_escape (an id in a path, which
 * must decode back to itself), ia_config_option with each shared option
 * code (sizes, durations, whole numbers) and ia_config_check_url.  What each
 * accepts is checked against its documented range.  The whole rest, NULs
 * and all, is also a 2xx answer to a POST: ia_http_answer(), with its fast
 * path for the plain {"id": "..."}, must read of it what a full parse by
 * libjq reads, for "id" and for "groupId".
 */
#include <math.h>

#include <curl/curl.h>

#include "fuzz.h"

static const int options[] = {
	'j', 'q', 'v', IA_OPT_BASE_URL, IA_OPT_API_KEY_FILE, IA_OPT_TIMEOUT,
	IA_OPT_RETRIES, IA_OPT_MAX_LINE, 'x'
};

/* ia_http_escape: only unreserved bytes and %XX, and it decodes back. */
static void
escape(const char *s)
{
	char	*e, *back;
	int	 n;
	size_t	 i;

	FUZZ_CHECK((e = ia_http_escape(s)) != NULL);
	for (i = 0; e[i] != '\0'; i++)
		FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-._~%", e[i]) != NULL);
	FUZZ_CHECK((back = curl_easy_unescape(NULL, e, 0, &n)) != NULL);
	FUZZ_CHECK((size_t)n == strlen(s) && memcmp(back, s, (size_t)n) == 0);
	curl_free(back);
	free(e);
}

static void
config(const char *s)
{
	struct ia_config cfg;
	char		 err[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		ia_config_init(&cfg);
		err[0] = '\0';
		rc = ia_config_option(&cfg, options[i], s, err, sizeof(err));
		FUZZ_CHECK(rc >= -1 && rc <= 1);
		FUZZ_CHECK(rc != -1 || err[0] != '\0');
		FUZZ_CHECK(rc != 0 || options[i] == 'x');
		FUZZ_CHECK(cfg.jobs >= 1 && cfg.jobs <= 1024);
		FUZZ_CHECK(cfg.retries >= 0 && cfg.retries <= 100);
		FUZZ_CHECK(cfg.timeout >= 0.001 && cfg.timeout <= 86400);
		FUZZ_CHECK(cfg.max_line >= 1 && cfg.max_line <= (1u << 30));
		ia_config_free(&cfg);
	}
	err[0] = '\0';
	if (ia_config_check_url(s, err, sizeof(err)) == -1)
		FUZZ_CHECK(err[0] != '\0');
}

/* ia_http_answer() gives what jv_parse_sized() and a field lookup give. */
static void
answer(const uint8_t *body, size_t len)
{
	static const char *const keys[] = { "id", "groupId" };
	struct ia_xfer	 x;
	jv		 got, v, want;
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(&x, 0, sizeof(x));
		x.status = 200;
		if (len > 0 && ia_buf_add(&x.resp, body, len) == -1)
			return;
		got = ia_http_answer(&x, keys[i]);
		v = jv_parse_sized((const char *)body, (int)len);
		want = jv_invalid();
		if (jv_get_kind(v) == JV_KIND_OBJECT)
			want = jv_object_get(jv_copy(v), jv_string(keys[i]));
		jv_free(v);
		if (jv_get_kind(want) != JV_KIND_STRING ||
		    jv_string_length_bytes(jv_copy(want)) == 0) {
			jv_free(want);
			want = jv_invalid();
		}
		FUZZ_CHECK(jv_get_kind(got) == jv_get_kind(want));
		FUZZ_CHECK(!jv_is_valid(want) || jv_equal(jv_copy(got), jv_copy(want)));
		jv_free(got);
		jv_free(want);
		ia_buf_free(&x.resp);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t		 now;
	int64_t		 n64;
	double		 d, t;
	char		*s;

	if (size < 8)
		return 0;
	memcpy(&n64, data, 8);
	now = (time_t)n64;
	if ((s = strndup((const char *)data + 8, size - 8)) == NULL)
		return 0;

	d = ia_http_retry_after(s, now, 300);
	FUZZ_CHECK(d == -1 || (d >= 0 && d <= 300));
	if (ia_duration_parse(s, &d) == 0)
		FUZZ_CHECK(isfinite(d) && d >= 0);
	t = ia_time_parse(jv_string(s));
	FUZZ_CHECK(t == -1 || isfinite(t));
	t = ia_time_parse(jv_parse(s));
	FUZZ_CHECK(t == -1 || isfinite(t));
	escape(s);
	config(s);
	free(s);
	answer(data + 8, size - 8);
	return 0;
}
