/*
 * t_json: checks of lib/json.c, that ia_json_dump() prints what
 * jv_dump_string() does, byte for byte, sorted or not.  "t_json GROUP" runs
 * one group of checks (fixed, random, deep) or all of them; it prints one
 * line per group and a summary, or each failing check.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

/* ia_json_dump(v) against jv_dump_string(v), as libjq prints it. */
#define CHECK_DUMP(v, sorted)	check_dump((v), (sorted), __FILE__, __LINE__)

static void
check_dump(jv v, bool sorted, const char *file, int line)
{
	struct ia_buf	 b = { 0 };
	jv		 want;
	int		 rc;

	checks++;
	want = jv_dump_string(jv_copy(v), sorted ? JV_PRINT_SORTED : 0);
	rc = ia_json_dump(&b, v, sorted);
	if (rc != 0 || b.data == NULL || strlen(jv_string_value(want)) !=
	    (size_t)jv_string_length_bytes(jv_copy(want)) ||
	    b.len != (size_t)jv_string_length_bytes(jv_copy(want)) ||
	    memcmp(b.data, jv_string_value(want), b.len) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: ia_json_dump (sorted %d, rc %d)\n"
		    "  got:  %.300s\n  want: %.300s\n", file, line, sorted, rc,
		    b.data != NULL ? b.data : "(null)", jv_string_value(want));
	}
	jv_free(want);
	ia_buf_free(&b);
}

static void
both(jv v)
{
	CHECK_DUMP(jv_copy(v), false);
	CHECK_DUMP(v, true);
}

/* Values written out: every kind, every escape, numbers at the edges. */
static void
fixed(void)
{
	static const char *const texts[] = {
		"null", "true", "false", "0", "-0", "1", "-1", "42", "0.5", "-3.25",
		"1e15", "999999999999999", "-999999999999999", "1000000000000001",
		"1e16", "12345678901234567", "9007199254740993", "1e-7", "1e300",
		"1e400", "-1e400", "123456789.125", "0.1", "100", "1.5e10",
		"\"\"", "\"plain\"", "\"a\\\"b\\\\c/d\"", "\"\\b\\f\\n\\r\\t\"",
		"\"\\u0000\\u0001\\u001f\\u007f\\u0080\"", "\"\\u00e9\\u20ac\\ud83d\\ude00\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\xff\xfe bad\"",
		"[]", "{}", "[[]]", "[{}]", "{\"a\":{}}", "[1,\"2\",[3],{\"4\":5}]",
		"{\"b\":1,\"a\":2,\"c\":[3,{\"z\":1,\"y\":2}]}",
		"{\"ab\":1,\"a\":2,\"b\":3,\"\":4,\"\\u00e9\":5,\"B\":6}",
		"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
		    "\"question 1\"}],\"metadata\":{\"custom_id\":\"c1\"},"
		    "\"temperature\":0.7,\"max_tokens\":256,\"stream\":false}",
		"{\"a\":1,\"a\":2}",
	};
	size_t	 i;
	jv	 v;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		both(jv_parse(texts[i]));
	both(jv_number(NAN));
	both(jv_number(INFINITY));
	both(jv_number(-0.0));
	both(jv_string_sized("a\0b", 3));
	/* An object that lost a key and got it back: libjq's slot order. */
	v = jv_parse("{\"a\":1,\"b\":2,\"c\":3}");
	v = jv_object_delete(v, jv_string("a"));
	v = jv_object_set(v, jv_string("a"), jv_number(9));
	v = jv_object_set(v, jv_string("d"), jv_null());
	both(v);
	/* Enough keys to rehash, and more than a sort keeps on the stack. */
	v = jv_object();
	for (i = 0; i < 100; i++)
		v = jv_object_set(v, jv_string_fmt("k%zu", (i * 37) % 100),
		    jv_number((double)i));
	for (i = 0; i < 100; i += 3)
		v = jv_object_delete(v, jv_string_fmt("k%zu", i));
	both(v);
	{
		struct ia_buf	 b = { 0 };

		checks++;
		if (ia_json_dump(&b, jv_invalid(), false) != -1 || b.len != 0) {
			failures++;
			fprintf(stderr, "%s:%d: an invalid value is -1, nothing printed\n",
			    __FILE__, __LINE__);
		}
		ia_buf_free(&b);
	}
}

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static unsigned
draw(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random string: ASCII, control characters, escapes, UTF-8, bad bytes. */
static jv
random_string(void)
{
	static const char *const bits[] = { "a", "Z", " ", "\"", "\\", "/", "\n",
	    "\t", "\x01", "\x1f", "\x7f", "\x1e", "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\xff", "\xc3", "question 12", "" };
	char	 s[256];
	size_t	 len = 0, n;
	unsigned i, k = draw(12);

	for (i = 0; i < k; i++) {
		const char *p = bits[draw(sizeof(bits) / sizeof(bits[0]))];

		n = strlen(p);
		if (len + n < sizeof(s)) {
			memcpy(s + len, p, n);
			len += n;
		}
	}
	if (draw(8) == 0 && len < sizeof(s))
		s[len++] = '\0';
	return jv_string_sized(s, (int)len);
}

static jv
random_number(void)
{
	switch (draw(6)) {
	case 0:
		return jv_number((double)draw(1000));
	case 1:
		return jv_number(-(double)draw(1000000) * 1000000007.0);
	case 2:
		return jv_number((double)draw(100000) / 64);
	case 3:
		return jv_number(ldexp((double)draw(1 << 20), (int)draw(120) - 60));
	case 4:
		return jv_number(1e15 - 2 + draw(5));
	default:
		return jv_number(-1e15 + 2 - draw(5));
	}
}

static jv
random_value(int depth)
{
	jv	 v;
	unsigned i, n;

	switch (depth > 5 ? draw(5) : draw(7)) {
	case 0:
		return draw(2) ? jv_true() : jv_false();
	case 1:
		return jv_null();
	case 2:
	case 3:
		return random_number();
	case 4:
		return random_string();
	case 5:
		v = jv_array();
		for (i = 0, n = draw(5); i < n; i++)
			v = jv_array_append(v, random_value(depth + 1));
		return v;
	default:
		v = jv_object();
		for (i = 0, n = draw(20); i < n; i++)
			v = jv_object_set(v, random_string(), random_value(depth + 1));
		if (draw(3) == 0)
			v = jv_object_delete(v, random_string());
		return v;
	}
}

static void
random_values(void)
{
	int	 i;

	for (i = 0; i < 3000; i++)
		both(random_value(0));
}

/* Nested past where libjq cuts its printing short, and just short of it. */
static void
deep(void)
{
	int	 d, i;
	jv	 v;

	for (d = 190; d < 270; d += 3) {
		v = jv_number(1);
		for (i = 0; i < d; i++)
			v = i % 2 ? jv_array_append(jv_array(), v) :
			    jv_object_set(jv_object(), jv_string("k"), v);
		both(v);
	}
}

static const struct t_group groups[] = {
	{ "fixed", fixed },
	{ "random", random_values },
	{ "deep", deep },
};

int
main(int argc, char *argv[])
{
	return t_main("t_json", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
