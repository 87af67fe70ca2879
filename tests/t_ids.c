/*
 * t_ids: checks of lib/ids.c, the set of custom_ids (64-bit fingerprints)
 * and the ids assigned to requests without one.  "t_ids GROUP" runs one
 * group of checks (set, hash, assign, grow, probe, collide) or all of them;
 * it prints one line per group and a summary, or each failing check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

static int
add(struct ia_ids *set, const char *s)
{
	return ia_ids_add(set, s, strlen(s));
}

static bool
has(const struct ia_ids *set, const char *s)
{
	return ia_ids_has(set, s, strlen(s));
}

/* Whether the table is a power of two at most three quarters full. */
static bool
in_shape(const struct ia_ids *set)
{
	return set->cap > 0 && (set->cap & (set->cap - 1)) == 0 &&
	    set->count <= set->cap / 4 * 3;
}

/* Add, find, duplicates, the empty id, ids with NUL bytes, free. */
static void
t_set(void)
{
	struct ia_ids	 a;

	ia_ids_init(&a);
	CHECK(!has(&a, "x") && !has(&a, ""));
	CHECK(add(&a, "x") == 1);
	CHECK(add(&a, "x") == 0);
	CHECK(add(&a, "") == 1);
	CHECK(add(&a, "") == 0);
	CHECK(has(&a, "x") && has(&a, ""));
	CHECK(!has(&a, "y") && !has(&a, "x ") && !has(&a, "X"));
	CHECK(a.count == 2);
	/* Bytes with a length: a NUL is one byte among the others. */
	CHECK(ia_ids_add(&a, "a\0b", 3) == 1);
	CHECK(ia_ids_add(&a, "a\0c", 3) == 1);
	CHECK(ia_ids_add(&a, "a\0b", 3) == 0);
	CHECK(ia_ids_has(&a, "a\0b", 3) && ia_ids_has(&a, "a\0c", 3));
	CHECK(!has(&a, "a") && !ia_ids_has(&a, "a\0", 2) &&
	    !ia_ids_has(&a, "a\0b\0", 4));
	CHECK(ia_ids_add(&a, "x\0", 2) == 1 && ia_ids_has(&a, "x", 1));
	/* Only the len bytes count, not what follows them. */
	CHECK(ia_ids_has(&a, "xyz", 1) && ia_ids_add(&a, "x!", 1) == 0);
	CHECK(a.count == 5);
	ia_ids_free(&a);
	CHECK(a.count == 0 && a.cap == 0 && a.slots == NULL && a.next == NULL);
	CHECK(!has(&a, "x"));
	ia_ids_free(&a);
	CHECK(add(&a, "x") == 1 && has(&a, "x"));
	ia_ids_free(&a);
}

/*
 * The two hashes: FNV-1a, which assigned ids are made of (fixed forever),
 * and the fingerprint, XXH64 (the reference implementation's values).
 */
static void
t_hash(void)
{
	char	 buf[200];
	size_t	 i;

	CHECK(ia_ids_hash("", 0) == 0xcbf29ce484222325ULL);
	CHECK(ia_ids_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(ia_ids_hash("foobar", 6) == 0x85944171f73967e8ULL);
	CHECK(ia_ids_fingerprint("", 0) == 0xef46db3751d8e999ULL);
	CHECK(ia_ids_fingerprint("abc", 3) == 0x44bc2cf5ad770999ULL);
	/* 32 bytes and more go through the four lanes. */
	CHECK(ia_ids_fingerprint("The quick brown fox jumps over the lazy dog, "
	    "twice over.", 56) == 0xfb9f56ced8ad4fc4ULL);
	CHECK(ia_ids_fingerprint("req-91d7dfd026080c58", 20) ==
	    0xa2a734ed4771b8beULL);
	CHECK(ia_ids_fingerprint("a\0b", 3) != ia_ids_fingerprint("a\0c", 3));
	/* Unrelated to FNV-1a; and every length gives its own value. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 'x';
	for (i = 0; i < sizeof(buf); i++)
		if (ia_ids_fingerprint(buf, i) == ia_ids_hash(buf, i) ||
		    ia_ids_fingerprint(buf, i) == ia_ids_fingerprint(buf, i + 1) ||
		    ia_ids_fingerprint(buf, i) == 0)
			break;
	CHECK(i == sizeof(buf));
}

/* ia_ids_assign(a, json text), each id freed; the last one kept in last. */
static char	 last[64];

static const char *
assign(struct ia_ids *a, const char *json)
{
	char	*id;

	id = ia_ids_assign(a, json != NULL ? jv_parse(json) : jv_invalid());
	snprintf(last, sizeof(last), "%s", id != NULL ? id : "(null)");
	free(id);
	return last;
}

#define HI	"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

/*
 * Assigned ids, pinned to what ia-submit gave before the set kept
 * fingerprints (and on every version since): a re-run of the same input
 * must give the same ids, or --skip-done and ia-collect --input lose track.
 */
static void
t_assign(void)
{
	struct ia_ids	 a, b;
	char		 want[64];
	size_t		 i;
	int		 bad;

	ia_ids_init(&a);
	ia_ids_init(&b);
	/* Key order does not matter. */
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58");
	CHECK_STR(assign(&b, "{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],"
	    "\"model\":\"m\"}"), "req-91d7dfd026080c58");
	CHECK(has(&a, "req-91d7dfd026080c58") && a.count == 1);
	/* Again in the same run: -2, -3, in input order. */
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58-2");
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58-3");
	CHECK_STR(assign(&a, "{\"prompt\":\"x\",\"model\":\"m\"}"),
	    "req-a5ac65a15f5ae8ad");
	CHECK_STR(assign(&a, "{\"prompt\":\"p7\",\"model\":\"m\"}"),
	    "req-662605f333b725bc");
	CHECK_STR(assign(&a, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"x\"}]}"), "req-7699c5e8ed701561");
	CHECK_STR(assign(&a, "{\"a\":1}"), "req-9c3e82dd6fcae8b1");
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58-4");
	CHECK(a.count == 8 && has(&a, "req-91d7dfd026080c58-3"));
	/* An id already taken (say, given by a record) is passed over. */
	CHECK(add(&b, "req-9c3e82dd6fcae8b1-2") == 1);
	CHECK_STR(assign(&b, "{\"a\":1}"), "req-9c3e82dd6fcae8b1");
	CHECK_STR(assign(&b, "{\"a\":1}"), "req-9c3e82dd6fcae8b1-3");
	CHECK(add(&b, "req-9c3e82dd6fcae8b1-5") == 1);
	CHECK_STR(assign(&b, "{\"a\":1}"), "req-9c3e82dd6fcae8b1-4");
	CHECK_STR(assign(&b, "{\"a\":1}"), "req-9c3e82dd6fcae8b1-6");
	/* Many repeats: each the next number, at one probe each. */
	for (bad = 0, i = 7; i <= 30000; i++) {
		snprintf(want, sizeof(want), "req-9c3e82dd6fcae8b1-%zu", i);
		if (strcmp(assign(&b, "{\"a\":1}"), want) != 0)
			bad++;
	}
	CHECK(bad == 0);
	/* A counter for each id that came again, and only those. */
	CHECK(a.ncount == 1 && b.ncount == 1);
	/* An invalid request counts as null. */
	CHECK_STR(assign(&b, NULL), "req-5b9bc4ba528108e4");
	CHECK(b.ncount == 1);
	CHECK_STR(assign(&b, "null"), "req-5b9bc4ba528108e4-2");
	CHECK(b.ncount == 2);
	ia_ids_free(&a);
	ia_ids_free(&b);
	CHECK(b.ncount == 0 && b.next == NULL);
}

/* Growth to a million ids: each found, none other, 16 bytes an id. */
static void
t_grow(void)
{
	struct ia_ids	 a;
	char		 s[32];
	size_t		 i, n = 1000000;
	int		 bad = 0, shape = 0;

	ia_ids_init(&a);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "c%zu", i);
		if (add(&a, s) != 1)
			bad++;
		if (!in_shape(&a))
			shape++;
	}
	CHECK(bad == 0 && shape == 0);
	CHECK(a.count == n);
	CHECK(a.cap == (size_t)1 << 21);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "c%zu", i);
		if (!has(&a, s) || add(&a, s) != 0)
			bad++;
	}
	CHECK(bad == 0);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "d%zu", i);
		if (has(&a, s))
			bad++;
	}
	CHECK(bad == 0);
	CHECK(!has(&a, "c1000000") && !has(&a, "c") && !has(&a, ""));
	CHECK(a.count == n);
	ia_ids_free(&a);
}

/*
 * A fingerprint made to crowd the table: "N" (a number) to one with only a
 * few places, clusters that wrap around the table's end, and the same
 * place after growth for many.  The seed picks the pattern.
 */
static uint64_t	 seed;

static uint64_t
mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
crowded(const char *s, size_t len)
{
	uint64_t	 n = strtoull(s, NULL, 10), low;

	(void)len;
	switch (seed % 4) {
	case 0:
		/* One place, the last of any table: one cluster, wrapped. */
		low = ~0ULL;
		break;
	case 1:
		/* The last few places of any table. */
		low = ~0ULL - mix(n ^ seed) % 6;
		break;
	case 2:
		/* A few places anywhere, the same for a table of any size. */
		low = mix(n % 7 + seed) & 0x1f;
		break;
	default:
		low = mix(n + seed);
		break;
	}
	/* The high half tells every n apart; the low half is the place. */
	return ((n + 1) << 32) | (low & 0xffffffffULL);
}

/*
 * Growth in place with clusters anywhere: after each id added, every one
 * added before is found, and no other.
 */
static void
t_probe(void)
{
	struct ia_ids	 a;
	char		 s[32];
	size_t		 i, j, n;
	int		 bad = 0, shape = 0;

	for (seed = 0; seed < 200; seed++) {
		ia_ids_init(&a);
		a.fingerprint = crowded;
		n = seed % 4 < 2 ? 150 : 400;
		for (i = 0; i < n; i++) {
			snprintf(s, sizeof(s), "%zu", i);
			if (add(&a, s) != 1)
				bad++;
			if (!in_shape(&a))
				shape++;
			for (j = 0; j <= i + 1; j++) {
				snprintf(s, sizeof(s), "%zu", j);
				if (has(&a, s) != (j <= i))
					bad++;
			}
		}
		if (a.count != n)
			bad++;
		ia_ids_free(&a);
	}
	CHECK(bad == 0 && shape == 0);
}

/* Every id a fingerprint of its first byte: any two alike collide. */
static uint64_t
first_byte(const char *s, size_t len)
{
	return len > 0 ? (unsigned char)s[0] : 1000;
}

/* The assigned id of {"a":1} with the fingerprint of that of HI. */
static uint64_t
req_alike(const char *s, size_t len)
{
	if (len == 20 && memcmp(s, "req-9c3e82dd6fcae8b1", 20) == 0)
		return ia_ids_fingerprint("req-91d7dfd026080c58", 20);
	return ia_ids_fingerprint(s, len);
}

/*
 * What a collision does: a second id with the fingerprint of one in the
 * set is taken for it (a duplicate); an assigned id that collides gets
 * a -N suffix, and stays apart from the others.
 */
static void
t_collide(void)
{
	struct ia_ids	 a;

	ia_ids_init(&a);
	a.fingerprint = first_byte;
	CHECK(add(&a, "apple") == 1);
	CHECK(add(&a, "avocado") == 0);
	CHECK(has(&a, "apricot") && has(&a, "apple"));
	CHECK(add(&a, "banana") == 1 && !has(&a, "cherry") && !has(&a, ""));
	CHECK(add(&a, "") == 1 && has(&a, ""));
	CHECK(a.count == 3);
	ia_ids_free(&a);

	ia_ids_init(&a);
	a.fingerprint = req_alike;
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58");
	/* Another request, whose id is taken for the first: the next -N. */
	CHECK_STR(assign(&a, "{\"a\":1}"), "req-9c3e82dd6fcae8b1-2");
	/* The two share the counter of their -N: still apart, and stable. */
	CHECK_STR(assign(&a, HI), "req-91d7dfd026080c58-3");
	CHECK_STR(assign(&a, "{\"a\":1}"), "req-9c3e82dd6fcae8b1-4");
	CHECK(a.count == 4);
	CHECK(add(&a, "c1") == 1 && has(&a, "c1") && !has(&a, "c2"));
	ia_ids_free(&a);
}

static const struct t_group groups[] = {
	{ "set", t_set },
	{ "hash", t_hash },
	{ "assign", t_assign },
	{ "grow", t_grow },
	{ "probe", t_probe },
	{ "collide", t_collide },
};

int
main(int argc, char *argv[])
{
	return t_main("t_ids", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
