/*
 * Reading a line of a results stream without building its tree.  Nearly
 * every line of a big run is one shape, a Success generation as ia-poll
 * prints it: the scanner reads it in one pass that builds nothing and
 * copies only strings with escapes, and gives what ia_result_read() would
 * make of it (custom_id, id, times, the spans of the answer's content,
 * finish_reason and usage, the usage's tokens, the request's hash), and
 * the answer's values as jq prints them.
 *
 * Correctness first: whatever it does not fully understand, it declines,
 * and the caller parses the line with libjq.  It takes strict JSON only
 * (no byte 0x1e, no raw control byte, valid UTF-8, no lone surrogate, no
 * NUL), a Success generation only (no "error" key, a string state), and
 * no key twice where it would matter (libjq keeps the last one): what it
 * takes, it must read exactly as libjq does (tests/t_scan.c holds the two
 * against each other on fixtures and their mutants).
 *
 * ia_scan_listing() reads a group's listing the same way, for ia-poll: it
 * finds each generation and whether it is final, so that only those that
 * end now are given to libjq.
 *
 * ia_scan_hash() is the other half: a hash of a value, the same from its
 * text and from its tree, whatever the order of its keys or the spelling
 * of its strings and numbers, so that a request read either way compares.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "ia.h"

#define SCAN_DEPTH	64	/* objects and arrays inside each other, at most */
#define SCAN_KEYS	64	/* keys of an object hashed or printed, at most */
#define SCAN_NUMBER	64	/* bytes of a number converted, at most */

/* Tags, so that values of different kinds hash apart. */
#define H_NULL		0x9ae16a3b2f90404fULL
#define H_FALSE		0xc3a5c85c97cb3127ULL
#define H_TRUE		0xb492b66fbe98f273ULL
#define H_NUMBER	0x9e3779b97f4a7c15ULL
#define H_STRING	0xc2b2ae3d27d4eb4fULL
#define H_ARRAY		0x165667b19e3779f9ULL
#define H_OBJECT	0x27d4eb2f165667c5ULL
#define H_MEMBER	0x85ebca77c2b2ae63ULL

/* The scanner over one line. */
struct sc {
	const unsigned char	*p, *end;
	char			*out;	/* where the next decoded string goes */
	int			 depth;
};

/* A string read: its bytes, decoded; where its text is in the line. */
struct str {
	const char	*s;
	size_t		 len;
	const char	*text;	/* the opening quote */
	size_t		 textlen;
};

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_string(const char *p, size_t n)
{
	return XXH3_64bits_withSeed(p, n, H_STRING);
}

/* 0 and -0 are one number to jq, as 1 and 1.0 are. */
static uint64_t
hash_number(double d)
{
	uint64_t	 bits;

	if (d == 0)
		d = 0;
	memcpy(&bits, &d, sizeof(bits));
	return mix(bits ^ H_NUMBER);
}

/* Members are summed, so that their order does not count. */
static uint64_t
hash_member(uint64_t key, uint64_t value)
{
	return mix(key ^ mix(value + H_MEMBER));
}

static uint64_t
hash_object(uint64_t sum, size_t n)
{
	return mix(sum ^ H_OBJECT ^ n);
}

static uint64_t
hash_element(uint64_t h, uint64_t value)
{
	return mix(h + value) ^ H_ARRAY;
}

static uint64_t
hash_tree(jv v, const char *skip)
{
	uint64_t	 h = 0;
	size_t		 n = 0;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		h = H_NULL;
		break;
	case JV_KIND_FALSE:
		h = H_FALSE;
		break;
	case JV_KIND_TRUE:
		h = H_TRUE;
		break;
	case JV_KIND_NUMBER:
		h = hash_number(jv_number_value(v));
		break;
	case JV_KIND_STRING:
		h = hash_string(jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		h = H_ARRAY;
		jv_array_foreach(v, i, e) {
			h = hash_element(h, hash_tree(e, NULL));
			n++;
		}
		h = mix(h ^ n);
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, e) {
			if (skip != NULL && strcmp(jv_string_value(k), skip) == 0 &&
			    (size_t)jv_string_length_bytes(jv_copy(k)) == strlen(skip)) {
				jv_free(k);
				jv_free(e);
				continue;
			}
			h += hash_member(hash_tree(k, NULL), hash_tree(e, NULL));
			n++;
		}
		h = hash_object(h, n);
		break;
	default:
		break;
	}
	jv_free(v);
	return h;
}

uint64_t
ia_scan_hash(jv v, const char *skip)
{
	return hash_tree(v, skip);
}

static void
ws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' ||
	    *s->p == '\n'))
		s->p++;
}

/* Whether the next byte is c, taken if so; white space before it skipped. */
static bool
take(struct sc *s, unsigned char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* The length of the valid UTF-8 sequence at p (a byte >= 0x80), or 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char	 c = p[0], lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int
hex4(const unsigned char *p)
{
	int	 v = 0, i, d;

	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static size_t
utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * One escape at p (after the backslash) decoded into o: the bytes it
 * makes, 0 for one the scanner declines; *used, the bytes it took.
 */
static size_t
escape(const unsigned char *p, const unsigned char *end, char *o, size_t *used)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*c;
	int			 cp, lo;

	if (p == end)
		return 0;
	if (*p != 'u') {
		if (*p == '\0' || (c = strchr(from, *p)) == NULL)
			return 0;
		*o = to[c - from];
		*used = 1;
		return 1;
	}
	if (end - p < 5 || (cp = hex4(p + 1)) <= 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return 0;	/* a NUL, or a lone low surrogate */
	*used = 5;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - p < 11 || p[5] != '\\' || p[6] != 'u' ||
		    (lo = hex4(p + 7)) < 0xdc00 || lo > 0xdfff)
			return 0;
		cp = 0x10000 + ((cp - 0xd800) << 10 | (lo - 0xdc00));
		*used = 11;
	}
	return utf8_put(o, (unsigned)cp);
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * The first byte from p that is not plain ASCII inside a string (a quote,
 * a backslash, a control byte or one of UTF-8), or end: eight at a time.
 */
static const unsigned char *
plain(const unsigned char *p, const unsigned char *end)
{
	uint64_t	 w, q, b;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		q = w ^ (ONES * '"');
		b = w ^ (ONES * '\\');
		if (((w - ONES * 0x20) | (q - ONES) | (b - ONES) | w) & HIGHS)
			break;
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
		p++;
	return p;
}

/*
 * A string at s->p (its opening quote).  With t, its bytes decoded: where
 * it holds no escape, in the line itself; else into s->out.  0, or -1:
 * declined.
 */
static int
string(struct sc *s, struct str *t)
{
	const unsigned char	*p = s->p + 1, *end = s->end, *start = p;
	char			*o = NULL;
	size_t			 k, used;

	for (;;) {
		p = plain(p, end);
		if (p == end || *p < 0x20)
			return -1;
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			if ((k = utf8_len(p, end)) == 0)
				return -1;
			p += k;
			continue;
		}
		/* An escape: the rest is decoded, or only checked. */
		if (t != NULL) {
			o = s->out;
			memcpy(o, start, (size_t)(p - start));
			o += p - start;
		}
		for (;;) {
			if (p == end || *p < 0x20)
				return -1;
			if (*p == '"')
				break;
			if (*p == '\\') {
				char	 tmp[4];

				if ((k = escape(p + 1, end, o != NULL ? o : tmp, &used)) == 0)
					return -1;
				if (o != NULL)
					o += k;
				p += 1 + used;
			} else {
				k = *p < 0x80 ? 1 : utf8_len(p, end);
				if (k == 0)
					return -1;
				if (o != NULL) {
					memcpy(o, p, k);
					o += k;
				}
				p += k;
			}
		}
		break;
	}
	if (t != NULL) {
		t->text = (const char *)s->p;
		t->textlen = (size_t)(p + 1 - s->p);
		if (o != NULL) {
			t->s = s->out;
			t->len = (size_t)(o - s->out);
			s->out = o;
		} else {
			t->s = (const char *)start;
			t->len = (size_t)(p - start);
		}
	}
	s->p = p + 1;
	return 0;
}

static bool
is(const struct str *t, const char *name)
{
	return t->len == strlen(name) && memcmp(t->s, name, t->len) == 0;
}

/*
 * A number at s->p, strictly as JSON has it.  *integer: at most 15 digits
 * and no fraction or exponent, so that jq prints it as it is written, and
 * its value needs no strtod.  0, or -1: declined.
 */
static int
number(struct sc *s, double *d, bool *integer)
{
	const unsigned char	*p = s->p, *end = s->end, *digits;
	char			 buf[SCAN_NUMBER + 1];
	uint64_t		 v = 0;
	bool			 neg = false;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	digits = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
	else
		return -1;
	*integer = p - digits <= 15;
	if (p < end && *p == '.') {
		*integer = false;
		if (++p == end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integer = false;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (d != NULL) {
		if (*integer)
			*d = neg ? -(double)v : (double)v;
		else {
			if (p - s->p > SCAN_NUMBER)
				return -1;
			memcpy(buf, s->p, (size_t)(p - s->p));
			buf[p - s->p] = '\0';
			/* Too small is 0 or subnormal, as to libjq; too big is not. */
			*d = strtod(buf, NULL);
			if (isinf(*d))
				return -1;
		}
	}
	s->p = p;
	return 0;
}

static int
literal(struct sc *s, const char *word)
{
	size_t	 n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/*
 * The next member of an object whose { is taken: 1 with its key in *k and
 * the : taken, 0 at its end (the } taken), -1 declined.  *first is set on
 * the first call for the object.
 */
static int
member(struct sc *s, bool *first, struct str *k)
{
	if (*first) {
		*first = false;
		if (take(s, '}'))
			return 0;
	} else if (!take(s, ',')) {
		return take(s, '}') ? 0 : -1;
	}
	ws(s);
	if (s->p == s->end || *s->p != '"' || string(s, k) == -1 || !take(s, ':'))
		return -1;
	ws(s);
	/* A value must follow: callers look at its first byte. */
	return s->p < s->end ? 1 : -1;
}

/* Whether the next element of an array whose [ is taken is there. */
static int
element(struct sc *s, bool *first)
{
	if (*first) {
		*first = false;
		if (take(s, ']'))
			return 0;
	} else if (!take(s, ',')) {
		return take(s, ']') ? 0 : -1;
	}
	ws(s);
	return s->p < s->end ? 1 : -1;
}

static int	 value(struct sc *, uint64_t *);

/* A request's metadata: checked, its custom_id (a string) kept in *cid. */
static int
metadata(struct sc *s, struct str *cid)
{
	struct str	 k;
	bool		 first = true, seen = false;
	int		 rc;

	if (*s->p != '{')
		return value(s, NULL);
	if (++s->depth > SCAN_DEPTH)
		return -1;
	s->p++;
	while ((rc = member(s, &first, &k)) == 1) {
		if (!is(&k, "custom_id")) {
			if (value(s, NULL) == -1)
				return -1;
			continue;
		}
		if (seen || *s->p != '"' || string(s, cid) == -1)
			return -1;
		seen = true;
	}
	s->depth--;
	return rc;
}

/*
 * An object or an array at s->p, checked, and hashed when h is not NULL:
 * then an object's member named skip is left out of the hash, and with
 * meta its value is read as a request's metadata.
 */
static int
nested(struct sc *s, uint64_t *h, const char *skip, struct str *meta)
{
	struct str	 k;
	uint64_t	 keys[SCAN_KEYS], kh, vh, sum = 0;
	size_t		 n = 0, counted = 0, i;
	bool		 first = true;
	int		 rc;

	if (++s->depth > SCAN_DEPTH)
		return -1;
	if (*s->p++ == '[') {
		sum = H_ARRAY;
		while ((rc = element(s, &first)) == 1) {
			if (value(s, h != NULL ? &vh : NULL) == -1)
				return -1;
			if (h != NULL)
				sum = hash_element(sum, vh);
			n++;
		}
		if (h != NULL)
			*h = mix(sum ^ n);
		s->depth--;
		return rc;
	}
	while ((rc = member(s, &first, &k)) == 1) {
		if (h == NULL) {
			if (value(s, NULL) == -1)
				return -1;
			continue;
		}
		/* libjq keeps a key's last value: a key twice is declined. */
		kh = hash_string(k.s, k.len);
		for (i = 0; i < n; i++)
			if (keys[i] == kh)
				return -1;
		if (n == SCAN_KEYS)
			return -1;
		keys[n++] = kh;
		if (skip != NULL && is(&k, skip)) {
			if ((meta != NULL ? metadata(s, meta) : value(s, NULL)) == -1)
				return -1;
			continue;
		}
		if (value(s, &vh) == -1)
			return -1;
		sum += hash_member(kh, vh);
		counted++;
	}
	if (h != NULL)
		*h = hash_object(sum, counted);
	s->depth--;
	return rc;
}

/* Any value at s->p, checked, and hashed when h is not NULL. */
static int
value(struct sc *s, uint64_t *h)
{
	struct str	 t;
	double		 d;
	bool		 integer;

	if (s->p == s->end)
		return -1;
	switch (*s->p) {
	case '"':
		if (string(s, h != NULL ? &t : NULL) == -1)
			return -1;
		if (h != NULL)
			*h = hash_string(t.s, t.len);
		return 0;
	case '{':
	case '[':
		return nested(s, h, NULL, NULL) == -1 ? -1 : 0;
	case 't':
		if (h != NULL)
			*h = H_TRUE;
		return literal(s, "true");
	case 'f':
		if (h != NULL)
			*h = H_FALSE;
		return literal(s, "false");
	case 'n':
		if (h != NULL)
			*h = H_NULL;
		return literal(s, "null");
	default:
		if (number(s, h != NULL ? &d : NULL, &integer) == -1)
			return -1;
		if (h != NULL)
			*h = hash_number(d);
		return 0;
	}
}

/* A value at s->p, checked, its text and kind kept in v. */
static int
span(struct sc *s, struct ia_scan_value *v)
{
	const unsigned char	*start = s->p;
	static const char	 first[] = "\"{[tfn";
	static const jv_kind	 kinds[] = { JV_KIND_STRING, JV_KIND_OBJECT,
	    JV_KIND_ARRAY, JV_KIND_TRUE, JV_KIND_FALSE, JV_KIND_NULL,
	    JV_KIND_NUMBER };

	if (s->p == s->end || value(s, NULL) == -1)
		return -1;
	v->text = (const char *)start;
	v->len = (size_t)(s->p - start);
	v->kind = kinds[strchr(first, *start) != NULL ? strchr(first, *start) - first :
	    (ptrdiff_t)(sizeof(kinds) / sizeof(kinds[0]) - 1)];
	return 0;
}

/* Each of names once: the bit of the one k is (0: none), or -1 for a second. */
static int
once(const struct str *k, const char *const *names, unsigned *seen)
{
	int	 i;

	for (i = 0; names[i] != NULL; i++)
		if (k->len > 0 && k->s[0] == names[i][0] && is(k, names[i])) {
			if (*seen & 1u << i)
				return -1;
			*seen |= 1u << i;
			return 1 << i;
		}
	return 0;
}

/* usage: kept as it is, and its tokens taken as ia_summary_add_success() takes them. */
static int
usage(struct sc *s, struct ia_scan *sc)
{
	static const char *const names[] = { "prompt_tokens", "completion_tokens",
	    "total_tokens", NULL };
	struct sc	 at = *s;
	struct str	 k;
	double		*tok[] = { &sc->tok_prompt, &sc->tok_completion, &sc->tok_total };
	unsigned	 seen = 0;
	bool		 first = true, integer;
	int		 rc, bit, i;

	if (span(s, &sc->usage) == -1)
		return -1;
	if (sc->usage.kind != JV_KIND_OBJECT)
		return 0;
	/* Again, for the tokens: a number each, else 0. */
	at.p++;
	while ((rc = member(&at, &first, &k)) == 1) {
		if ((bit = once(&k, names, &seen)) == -1)
			return -1;
		for (i = 0; bit != 0 && !(bit & 1 << i); i++)
			continue;
		if (bit != 0 && *at.p != '"' && *at.p != '{' && *at.p != '[' &&
		    *at.p != 't' && *at.p != 'f' && *at.p != 'n') {
			if (number(&at, tok[i], &integer) == -1)
				return -1;
		} else if (value(&at, NULL) == -1)
			return -1;
	}
	return rc;
}

/*
 * choices[0]: its finish_reason; its content, message.content when the
 * message is an object, else text.
 */
static int
choice(struct sc *s, struct ia_scan *sc)
{
	static const char *const names[] = { "finish_reason", "message", "text",
	    NULL };
	struct ia_scan_value text = { NULL, 0, JV_KIND_NULL }, content = text;
	struct str	 k;
	unsigned	 seen = 0, mseen = 0;
	bool		 first = true, mfirst, object = false;
	int		 rc, bit;

	if (*s->p != '{')
		return value(s, NULL);
	if (++s->depth > SCAN_DEPTH)
		return -1;
	s->p++;
	while ((rc = member(s, &first, &k)) == 1) {
		if ((bit = once(&k, names, &seen)) == -1)
			return -1;
		if (bit == 1 && span(s, &sc->finish) == -1)
			return -1;
		if (bit == 4 && span(s, &text) == -1)
			return -1;
		if (bit == 0 && value(s, NULL) == -1)
			return -1;
		if (bit != 2)
			continue;
		if (*s->p != '{') {
			if (value(s, NULL) == -1)
				return -1;
			continue;
		}
		object = true;
		s->p++;
		mfirst = true;
		while ((rc = member(s, &mfirst, &k)) == 1) {
			if (!is(&k, "content")) {
				if (value(s, NULL) == -1)
					return -1;
			} else if ((mseen++ > 0 || span(s, &content) == -1))
				return -1;
		}
		if (rc == -1)
			return -1;
	}
	sc->content = object ? content : text;
	s->depth--;
	return rc;
}

/* The response: its usage, and choices[0] if it is an object. */
static int
response(struct sc *s, struct ia_scan *sc)
{
	static const char *const names[] = { "usage", "choices", NULL };
	struct str	 k;
	unsigned	 seen = 0;
	bool		 first = true, efirst;
	int		 rc, bit, n;

	if (*s->p != '{')
		return value(s, NULL);
	s->depth++;
	s->p++;
	while ((rc = member(s, &first, &k)) == 1) {
		if ((bit = once(&k, names, &seen)) == -1)
			return -1;
		if (bit == 1) {
			if (usage(s, sc) == -1)
				return -1;
			continue;
		}
		if (bit == 0 || *s->p != '[') {
			if (value(s, NULL) == -1)
				return -1;
			continue;
		}
		if (++s->depth > SCAN_DEPTH)
			return -1;
		s->p++;
		efirst = true;
		for (n = 0; (rc = element(s, &efirst)) == 1; n++)
			if ((n == 0 ? choice(s, sc) : value(s, NULL)) == -1)
				return -1;
		if (rc == -1)
			return -1;
		s->depth--;
	}
	s->depth--;
	return rc;
}

/* An ISO 8601 time, as ia_time_parse() reads it; -1 when not a string. */
static int
when(struct sc *s, double *t)
{
	struct str	 v;
	char		 buf[64];

	if (*s->p != '"')
		return value(s, NULL);
	if (string(s, &v) == -1)
		return -1;
	if (v.len >= sizeof(buf))
		return -1;
	memcpy(buf, v.s, v.len);
	buf[v.len] = '\0';
	*t = ia_time_parse_text(buf);
	return 0;
}

static void
clear(struct ia_scan *sc)
{
	struct ia_buf	 buf = sc->buf, scratch = sc->scratch;

	memset(sc, 0, sizeof(*sc));
	sc->buf = buf;
	sc->scratch = scratch;
	sc->dispatched = sc->finished = -1;
	sc->content.kind = sc->finish.kind = sc->usage.kind = JV_KIND_NULL;
}

/*
 * The scanner over text, with room in buf for its strings decoded, which
 * are never longer: 0, or -1 out of memory.
 */
static int
begin(struct sc *s, struct ia_buf *buf, const char *text, size_t len)
{
	buf->len = 0;
	if (len >= buf->cap && ia_buf_add(buf, text, len) == -1)
		return -1;
	s->p = (const unsigned char *)text;
	s->end = s->p + len;
	s->out = buf->data;
	s->depth = 1;
	return 0;
}

int
ia_scan_generation(struct ia_scan *sc, const char *text, size_t len)
{
	static const char *const names[] = { "custom_id", "id", "state",
	    "request", "response", "dispatchedAt", "finishedAt", "error", NULL };
	struct sc	 s;
	struct str	 k, v, cid = { NULL, 0, NULL, 0 }, meta = cid;
	unsigned	 seen = 0;
	bool		 first = true;
	int		 rc, bit;

	clear(sc);
	if (begin(&s, &sc->buf, text, len) == -1)
		return -1;
	if (!take(&s, '{'))
		return 0;
	while ((rc = member(&s, &first, &k)) == 1) {
		if ((bit = once(&k, names, &seen)) == -1)
			return 0;
		switch (bit) {
		case 1:		/* custom_id: a string, or null as none */
			if (*s.p == '"')
				rc = string(&s, &cid);
			else
				rc = *s.p == 'n' ? literal(&s, "null") : -1;
			break;
		case 2:		/* id */
			if (*s.p == '"' && (rc = string(&s, &v)) == 0) {
				sc->id = v.s;
				sc->id_len = v.len;
			} else if (*s.p != '"')
				rc = value(&s, NULL);
			break;
		case 4:		/* state */
			rc = *s.p == '"' && string(&s, &v) == 0 && is(&v, "Success") ? 0 : -1;
			break;
		case 8:		/* request */
			if (*s.p == '{') {
				sc->request_object = true;
				rc = nested(&s, &sc->request, "metadata", &meta) == -1 ? -1 : 0;
			} else
				rc = value(&s, NULL);
			break;
		case 16:
			rc = response(&s, sc) == -1 ? -1 : 0;
			break;
		case 32:
			rc = when(&s, &sc->dispatched);
			break;
		case 64:
			rc = when(&s, &sc->finished);
			break;
		case 128:	/* an error record, or an answer with an error */
			return 0;
		default:
			rc = value(&s, NULL);
		}
		if (rc == -1)
			return 0;
	}
	ws(&s);
	if (rc == -1 || s.p != s.end || !(seen & 4))
		return 0;
	/* No custom_id of its own: the request's metadata has it, not empty. */
	if (cid.text == NULL && (meta.text == NULL || meta.len == 0))
		return 0;
	if (cid.text == NULL)
		cid = meta;
	sc->custom_id = cid.s;
	sc->custom_id_len = cid.len;
	sc->cid.text = cid.text;
	sc->cid.len = cid.textlen;
	sc->cid.kind = JV_KIND_STRING;
	return 1;
}

/*
 * One generation of a listing at s->p, checked: its text, its id and its
 * request's metadata.custom_id (decoded), whether its state is final.
 * -1: declined (not an object, a key read twice, a request with a "body",
 * whose top-level custom_id would count: ia_record_custom_id()).
 */
static int
listed(struct sc *s, struct ia_scan_gen *g)
{
	static const char *const names[] = { "id", "state", "request", NULL };
	static const char *const req[] = { "metadata", "body", NULL };
	const unsigned char	*start = s->p;
	struct str		 k, v, cid = { NULL, 0, NULL, 0 };
	unsigned		 seen = 0, rseen = 0;
	bool			 first = true, rfirst = true;
	int			 rc, bit;

	memset(g, 0, sizeof(*g));
	if (*s->p != '{' || ++s->depth > SCAN_DEPTH)
		return -1;
	s->p++;
	while ((rc = member(s, &first, &k)) == 1) {
		if ((bit = once(&k, names, &seen)) == -1)
			return -1;
		if (bit == 4 && *s->p == '{') {		/* request */
			if (++s->depth > SCAN_DEPTH)
				return -1;
			s->p++;
			while ((rc = member(s, &rfirst, &k)) == 1) {
				if ((bit = once(&k, req, &rseen)) == -1 || bit == 2 ||
				    (bit == 1 ? metadata(s, &cid) : value(s, NULL)) == -1)
					return -1;
			}
			if (rc == -1)
				return -1;
			s->depth--;
		} else if ((bit == 1 || bit == 2) && *s->p == '"') {
			if (string(s, &v) == -1)
				return -1;
			if (bit == 1) {
				g->id = v.s;
				g->id_len = v.len;
			} else
				g->final = is(&v, "Success") || is(&v, "Failed");
		} else if (value(s, NULL) == -1)
			return -1;
	}
	if (rc == -1)
		return -1;
	s->depth--;
	/* An empty custom_id is none, as to ia_record_custom_id(). */
	if (cid.s != NULL && cid.len > 0) {
		g->custom_id = cid.s;
		g->custom_id_len = cid.len;
	}
	g->text = (const char *)start;
	g->len = (size_t)(s->p - start);
	return 0;
}

int
ia_scan_listing(struct ia_scan_listing *l, const char *text, size_t len)
{
	struct ia_scan_gen	*gens;
	struct sc		 s;
	struct str		 k;
	bool			 first = true, efirst = true, got = false;
	size_t			 cap;
	int			 rc;

	l->n = 0;
	if (begin(&s, &l->buf, text, len) == -1)
		return -1;
	if (!take(&s, '{'))
		return 0;
	while ((rc = member(&s, &first, &k)) == 1) {
		if (!is(&k, "generations")) {
			if (value(&s, NULL) == -1)
				return 0;
			continue;
		}
		/* libjq keeps a key's last value: generations twice is declined. */
		if (got || *s.p != '[' || ++s.depth > SCAN_DEPTH)
			return 0;
		got = true;
		s.p++;
		while ((rc = element(&s, &efirst)) == 1) {
			if (l->n == l->cap) {
				cap = l->cap > 0 ? l->cap * 2 : 64;
				if (cap > SIZE_MAX / sizeof(*gens) ||
				    (gens = realloc(l->gens, cap * sizeof(*gens))) == NULL)
					return -1;
				l->gens = gens;
				l->cap = cap;
			}
			if (listed(&s, &l->gens[l->n]) == -1)
				return 0;
			l->n++;
		}
		if (rc == -1)
			return 0;
		s.depth--;
	}
	ws(&s);
	return rc == 0 && s.p == s.end && got ? 1 : 0;
}

void
ia_scan_free_listing(struct ia_scan_listing *l)
{
	ia_buf_free(&l->buf);
	free(l->gens);
	memset(l, 0, sizeof(*l));
}

/* A string of the line (checked): decoded, raw or as jq prints it. */
static int
put_string(struct ia_buf *b, struct sc *s, bool raw)
{
	struct str	 t;

	if (string(s, &t) == -1)
		return 1;
	return raw ? ia_buf_add(b, t.s, t.len) : ia_json_string(b, t.s, t.len);
}

/* A value of the line (checked) as jq prints it: 0, 1 declined, -1 no memory. */
static int
put_value(struct ia_buf *b, struct sc *s, bool raw)
{
	const unsigned char	*start = s->p;
	struct str		 k;
	uint64_t		 keys[SCAN_KEYS], kh;
	size_t			 n = 0, i;
	double			 d;
	bool			 first = true, integer;
	jv			 t;
	int			 rc;

	switch (*s->p) {
	case '"':
		return put_string(b, s, raw);
	case 't':
	case 'f':
	case 'n':
		value(s, NULL);
		return ia_buf_add(b, start, (size_t)(s->p - start));
	case '[':
		s->p++;
		if (ia_buf_add(b, "[", 1) == -1)
			return -1;
		while (element(s, &first) == 1) {
			if (n++ > 0 && ia_buf_add(b, ",", 1) == -1)
				return -1;
			if ((rc = put_value(b, s, false)) != 0)
				return rc;
		}
		return ia_buf_add(b, "]", 1);
	case '{':
		s->p++;
		if (ia_buf_add(b, "{", 1) == -1)
			return -1;
		while (member(s, &first, &k) == 1) {
			kh = hash_string(k.s, k.len);
			for (i = 0; i < n; i++)
				if (keys[i] == kh)
					return 1;	/* libjq keeps the last */
			if (n == SCAN_KEYS)
				return 1;
			if ((n > 0 && ia_buf_add(b, ",", 1) == -1) ||
			    ia_json_string(b, k.s, k.len) == -1 ||
			    ia_buf_add(b, ":", 1) == -1)
				return -1;
			keys[n++] = kh;
			if ((rc = put_value(b, s, false)) != 0)
				return rc;
		}
		return ia_buf_add(b, "}", 1);
	default:
		if (number(s, &d, &integer) == -1)
			return 1;
		if (integer)
			return ia_buf_add(b, start, (size_t)(s->p - start));
		/* As jq prints a double: its own printer says. */
		t = jv_dump_string(jv_number(d), 0);
		rc = ia_buf_adds(b, jv_string_value(t));
		jv_free(t);
		return rc;
	}
}

int
ia_scan_put(struct ia_buf *b, struct ia_scan *sc, const struct ia_scan_value *v,
    bool raw)
{
	struct sc	 s;
	size_t		 len = b->len;
	int		 rc;

	if (v->text == NULL || v->kind == JV_KIND_NULL)
		return ia_buf_add(b, "null", 4);
	/* Room for its strings decoded, which are never longer. */
	sc->scratch.len = 0;
	if (v->len >= sc->scratch.cap && memchr(v->text, '\\', v->len) != NULL &&
	    ia_buf_add(&sc->scratch, v->text, v->len) == -1)
		return -1;
	s.p = (const unsigned char *)v->text;
	s.end = s.p + v->len;
	s.out = sc->scratch.data;
	s.depth = 0;
	if ((rc = put_value(b, &s, raw)) != 0)
		b->len = len;
	return rc;
}

void
ia_scan_free(struct ia_scan *sc)
{
	ia_buf_free(&sc->buf);
	ia_buf_free(&sc->scratch);
}
