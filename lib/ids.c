/*
 * custom_id bookkeeping: the set of ids seen in a run, and ids assigned to
 * records that carry none.
 *
 * The set keeps no strings: each id is a 64-bit fingerprint in an open
 * addressing table (linear probing, at most three quarters full, 0 an
 * empty slot), 11 to 21 bytes an id as the table fills.  Two ids with one
 * fingerprint are taken for one, with a chance of about n^2 / 2^65 for n
 * ids: the man pages say what that does in each tool.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "ia.h"

#define IDS_MIN_CAP	16

/*
 * 64-bit FNV-1a.  Assigned ids are derived from it, so it must never change:
 * a re-run of the same input has to produce the same ids.
 */
uint64_t
ia_ids_hash(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * XXH64 with seed 0 (libxxhash), never 0 itself (0 marks an empty slot).
 * Unrelated to FNV-1a, so that ids whose FNV-1a collide (clash.c keys on
 * it) are no likelier to share a fingerprint; and it mixes well enough that
 * its low bits serve as the table's index.
 */
uint64_t
ia_ids_fingerprint(const char *s, size_t len)
{
	uint64_t	 h = XXH64(s, len, 0);

	return h != 0 ? h : 1;
}

void
ia_ids_init(struct ia_ids *set)
{
	set->slots = NULL;
	set->cap = 0;
	set->count = 0;
	set->next = NULL;
	set->ncap = 0;
	set->ncount = 0;
	set->fingerprint = ia_ids_fingerprint;
}

/*
 * Both tables are arrays of slots of stride words, the fingerprint first,
 * 0 for an empty slot.  Where fp is, or the empty slot where it would go;
 * cap is a power of two.
 */
static size_t
slot_of(const uint64_t *t, size_t cap, size_t stride, uint64_t fp)
{
	size_t	 i = (size_t)fp & (cap - 1);

	while (t[i * stride] != 0 && t[i * stride] != fp)
		i = (i + 1) & (cap - 1);
	return i;
}

static void
put(uint64_t *t, size_t cap, size_t stride, const uint64_t *e)
{
	memcpy(&t[slot_of(t, cap, stride, e[0]) * stride], e, stride * sizeof(*t));
}

/*
 * Double a table in place, so that a large one never exists twice (glibc's
 * and musl's realloc move a big block by remapping its pages, not copying
 * it, and the new half is filled only as it is touched).  With the index
 * the fingerprint's low bits, an entry of old slot i has its place near i
 * or i + old cap.  Taking each entry out in slot order and putting it back
 * keeps every entry reachable from its place, provided no probe of the old
 * table wraps from the last slot to the first: so the entries before the
 * first empty slot, which such a probe may have put there, are set aside
 * and put back last.
 */
static int
grow(uint64_t **tp, size_t *capp, size_t stride)
{
	uint64_t	*t, *aside = NULL, e[2];
	size_t		 old = *capp, cap, i, n, naside = 0;

	cap = old > 0 ? old * 2 : IDS_MIN_CAP;
	if (cap > SIZE_MAX / sizeof(*t) / stride)
		return -1;
	for (n = 0; n < old && (*tp)[n * stride] != 0; n++)
		continue;
	if (n > 0 && (aside = malloc(n * stride * sizeof(*t))) == NULL)
		return -1;
	if ((t = realloc(*tp, cap * stride * sizeof(*t))) == NULL) {
		free(aside);
		return -1;
	}
	memset(&t[old * stride], 0, (cap - old) * stride * sizeof(*t));
	for (i = 0; i < n; i++) {
		memcpy(&aside[naside++ * stride], &t[i * stride], stride * sizeof(*t));
		memset(&t[i * stride], 0, stride * sizeof(*t));
	}
	for (i = n; i < old; i++) {
		if (t[i * stride] == 0)
			continue;
		memcpy(e, &t[i * stride], stride * sizeof(*t));
		memset(&t[i * stride], 0, stride * sizeof(*t));
		put(t, cap, stride, e);
	}
	for (i = 0; i < naside; i++)
		put(t, cap, stride, &aside[i * stride]);
	free(aside);
	*tp = t;
	*capp = cap;
	return 0;
}

/* Whether one more entry keeps a table at most three quarters full. */
static bool
has_room(size_t count, size_t cap)
{
	return count < cap - cap / 4;
}

/* 1 added, 0 already present, -1 out of memory. */
static int
add_fp(struct ia_ids *set, uint64_t fp)
{
	size_t	 i;

	if (set->cap > 0 && set->slots[slot_of(set->slots, set->cap, 1, fp)] != 0)
		return 0;
	if (!has_room(set->count, set->cap) &&
	    grow(&set->slots, &set->cap, 1) == -1)
		return -1;
	i = slot_of(set->slots, set->cap, 1, fp);
	set->slots[i] = fp;
	set->count++;
	return 1;
}

int
ia_ids_add(struct ia_ids *set, const char *s, size_t len)
{
	return add_fp(set, set->fingerprint(s, len));
}

bool
ia_ids_has(const struct ia_ids *set, const char *s, size_t len)
{
	if (set->cap == 0)
		return false;
	return set->slots[slot_of(set->slots, set->cap, 1,
	    set->fingerprint(s, len))] != 0;
}

/*
 * The next -N suffix to try for an assigned id, kept for the ids that came
 * again only (a second table of fingerprint and number), so that the k-th
 * repeat of a request costs one probe, not k.  2 for one never repeated.
 */
static uint64_t
next_get(const struct ia_ids *set, uint64_t fp)
{
	size_t	 i;

	if (set->ncap == 0)
		return 2;
	i = slot_of(set->next, set->ncap, 2, fp);
	return set->next[i * 2] != 0 ? set->next[i * 2 + 1] : 2;
}

static int
next_set(struct ia_ids *set, uint64_t fp, uint64_t n)
{
	size_t	 i;

	if (set->ncap > 0) {
		i = slot_of(set->next, set->ncap, 2, fp);
		if (set->next[i * 2] != 0) {
			set->next[i * 2 + 1] = n;
			return 0;
		}
	}
	if (!has_room(set->ncount, set->ncap) &&
	    grow(&set->next, &set->ncap, 2) == -1)
		return -1;
	i = slot_of(set->next, set->ncap, 2, fp);
	set->next[i * 2] = fp;
	set->next[i * 2 + 1] = n;
	set->ncount++;
	return 0;
}

/*
 * The request's JSON with sorted keys, so that key order does not matter,
 * hashed: the same input gives the same ids on every run.  The same request
 * again in one run gets -2, -3 ... in input order.
 */
char *
ia_ids_assign(struct ia_ids *set, jv req)
{
	struct ia_buf	 id = { NULL, 0, 0 };
	jv		 s;
	uint64_t	 h, fp, n;
	size_t		 base;
	bool		 again;

	if (!jv_is_valid(req)) {
		jv_free(req);
		req = jv_null();
	}
	s = jv_dump_string(req, JV_PRINT_SORTED);
	h = ia_ids_hash(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	if (ia_buf_addf(&id, "req-%016" PRIx64, h) == -1)
		goto fail;
	base = id.len;
	fp = set->fingerprint(id.data, id.len);
	again = ia_ids_has(set, id.data, id.len);
	for (n = again ? next_get(set, fp) : 2; ia_ids_has(set, id.data, id.len);
	    n++) {
		id.len = base;
		if (ia_buf_addf(&id, "-%" PRIu64, n) == -1)
			goto fail;
	}
	if (ia_ids_add(set, id.data, id.len) == -1)
		goto fail;
	/* Only a shortcut: without it, the same ids come after more probes. */
	if (again)
		(void)next_set(set, fp, n);
	return ia_buf_steal(&id);
fail:
	ia_buf_free(&id);
	return NULL;
}

void
ia_ids_free(struct ia_ids *set)
{
	free(set->slots);
	free(set->next);
	ia_ids_init(set);
}
