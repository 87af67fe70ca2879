/*
 * JSON out: a value as jv_dump_string(v, 0) prints it, byte for byte, at a
 * fraction of the cost.  libjq 1.6 appends each character to a jv string
 * on its own (some 300 instructions a byte); a request and its
 * acknowledgement are printed once each, so that was a third of a
 * submission's CPU.  What is not the common case (a number that is not a
 * small integer, a value nested deeper than libjq prints) is left to libjq.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/* libjq 1.6 prints what is nested deeper than 256 as "<stripped: ...>". */
#define JSON_MAX_DEPTH	200
#define JSON_TOO_DEEP	(-2)

/*
 * A number as libjq prints it: an integer of up to 15 digits as its
 * digits (its %.17g shortest form), any other number by libjq itself.
 */
static int
dump_number(struct ia_buf *b, jv v)
{
	char	 buf[32], *p = buf + sizeof(buf);
	double	 d = jv_number_value(v);
	uint64_t u;
	jv	 s;
	int	 rc;

	if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
		u = (uint64_t)fabs(d);
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (d < 0)
			*--p = '-';
		jv_free(v);
		return ia_buf_add(b, p, (size_t)(buf + sizeof(buf) - p));
	}
	s = jv_dump_string(v, 0);
	rc = ia_buf_add(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	return rc;
}

/*
 * A string as libjq prints it: " and \ escaped, \b \t \n \f \r by name,
 * other control characters and DEL as \u00XX; anything else, UTF-8
 * included (a jv string is always valid UTF-8), as it is.
 */
int
ia_json_string(struct ia_buf *b, const char *text, size_t n)
{
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 i, run;
	char			 esc[8];
	const char		*e;
	int			 rc;

	rc = ia_buf_add(b, "\"", 1);
	for (i = 0; i < n && rc == 0; ) {
		for (run = i; run < n && s[run] >= 0x20 && s[run] != '"' &&
		    s[run] != '\\' && s[run] != 0x7f; run++)
			;
		if (run > i && (rc = ia_buf_add(b, s + i, run - i)) == -1)
			break;
		if ((i = run) == n)
			break;
		switch (s[i]) {
		case '"':	e = "\\\""; break;
		case '\\':	e = "\\\\"; break;
		case '\b':	e = "\\b"; break;
		case '\t':	e = "\\t"; break;
		case '\n':	e = "\\n"; break;
		case '\f':	e = "\\f"; break;
		case '\r':	e = "\\r"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			e = esc;
		}
		rc = ia_buf_adds(b, e);
		i++;
	}
	return rc == 0 ? ia_buf_add(b, "\"", 1) : rc;
}

static int
dump_string(struct ia_buf *b, jv v)
{
	int	 rc = ia_json_string(b, jv_string_value(v),
	    (size_t)jv_string_length_bytes(jv_copy(v)));

	jv_free(v);
	return rc;
}

static int	dump(struct ia_buf *, jv, int, bool);

/* A member: its key, a colon and its value; a comma before all but the first. */
static int
dump_member(struct ia_buf *b, bool first, jv key, jv value, int depth, bool sorted)
{
	if ((!first && ia_buf_add(b, ",", 1) == -1) || dump_string(b, key) == -1 ||
	    ia_buf_add(b, ":", 1) == -1) {
		jv_free(value);
		return -1;
	}
	return dump(b, value, depth, sorted);
}

/* An object in the order of its slots, which is libjq's. */
static int
dump_object(struct ia_buf *b, jv v, int depth)
{
	int	 i, rc;
	bool	 first = true;

	rc = ia_buf_add(b, "{", 1);
	for (i = jv_object_iter(v); rc == 0 && jv_object_iter_valid(v, i);
	    i = jv_object_iter_next(v, i), first = false)
		rc = dump_member(b, first, jv_object_iter_key(v, i),
		    jv_object_iter_value(v, i), depth + 1, false);
	jv_free(v);
	return rc == 0 ? ia_buf_add(b, "}", 1) : rc;
}

/* libjq's order of keys for JV_PRINT_SORTED: bytes, then length. */
static int
key_cmp(const void *pa, const void *pb)
{
	const jv	*a = pa, *b = pb;
	int		 la = jv_string_length_bytes(jv_copy(*a));
	int		 lb = jv_string_length_bytes(jv_copy(*b));
	int		 r;

	r = memcmp(jv_string_value(*a), jv_string_value(*b), (size_t)(la < lb ? la : lb));
	return r != 0 ? r : la - lb;
}

/* An object with its keys sorted, as JV_PRINT_SORTED prints it. */
static int
dump_sorted(struct ia_buf *b, jv v, int depth)
{
	jv	 few[16], *keys = few;
	int	 i, n = jv_object_length(jv_copy(v)), k = 0, rc;

	if (n > (int)(sizeof(few) / sizeof(few[0])) &&
	    (keys = calloc((size_t)n, sizeof(*keys))) == NULL) {
		jv_free(v);
		return -1;
	}
	for (i = jv_object_iter(v); k < n && jv_object_iter_valid(v, i);
	    i = jv_object_iter_next(v, i))
		keys[k++] = jv_object_iter_key(v, i);
	qsort(keys, (size_t)k, sizeof(*keys), key_cmp);
	rc = ia_buf_add(b, "{", 1);
	for (i = 0; i < k; i++)
		if (rc == 0)
			rc = dump_member(b, i == 0, jv_copy(keys[i]),
			    jv_object_get(jv_copy(v), jv_copy(keys[i])), depth + 1, true);
	for (i = 0; i < k; i++)
		jv_free(keys[i]);
	if (keys != few)
		free(keys);
	jv_free(v);
	return rc == 0 ? ia_buf_add(b, "}", 1) : rc;
}

/* v at depth, in the order libjq walks it; JSON_TOO_DEEP past the limit. */
static int
dump(struct ia_buf *b, jv v, int depth, bool sorted)
{
	int	 i, n, rc = 0;

	if (depth > JSON_MAX_DEPTH) {
		jv_free(v);
		return JSON_TOO_DEEP;
	}
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		return ia_buf_add(b, "null", 4);
	case JV_KIND_FALSE:
		return ia_buf_add(b, "false", 5);
	case JV_KIND_TRUE:
		return ia_buf_add(b, "true", 4);
	case JV_KIND_NUMBER:
		return dump_number(b, v);
	case JV_KIND_STRING:
		return dump_string(b, v);
	case JV_KIND_ARRAY:
		rc = ia_buf_add(b, "[", 1);
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n && rc == 0; i++)
			if (i == 0 || (rc = ia_buf_add(b, ",", 1)) == 0)
				rc = dump(b, jv_array_get(jv_copy(v), i), depth + 1,
				    sorted);
		jv_free(v);
		return rc == 0 ? ia_buf_add(b, "]", 1) : rc;
	case JV_KIND_OBJECT:
		return sorted ? dump_sorted(b, v, depth) : dump_object(b, v, depth);
	default:
		jv_free(v);
		return -1;
	}
}

int
ia_json_dump(struct ia_buf *b, jv v, bool sorted)
{
	size_t	 start = b->len;
	jv	 s;
	int	 rc;

	if (!jv_is_valid(v)) {
		jv_free(v);
		return -1;
	}
	if ((rc = dump(b, jv_copy(v), 0, sorted)) != JSON_TOO_DEEP) {
		jv_free(v);
		return rc;
	}
	/* Deep enough for libjq's own cut: its printing, whatever it is. */
	b->len = start;
	if (b->data != NULL)
		b->data[start] = '\0';
	s = jv_dump_string(v, sorted ? JV_PRINT_SORTED : 0);
	rc = ia_buf_add(b, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	return rc;
}
