/*
 * custom_id bookkeeping: the set of ids seen in a run, and ids assigned to
 * records that carry none.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
ia_ids_init(struct ia_ids *set)
{
	set->slots = NULL;
	set->cap = 0;
	set->count = 0;
}

/* Where s is, or the empty slot where it would go.  cap is a power of two. */
static size_t
ids_slot(char **slots, size_t cap, const char *s)
{
	size_t	 i;

	i = (size_t)ia_ids_hash(s, strlen(s)) & (cap - 1);
	while (slots[i] != NULL && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Linear probing stays short while the table is at most half full. */
static int
ids_grow(struct ia_ids *set)
{
	char	**slots;
	size_t	  cap, i;

	if (set->cap > SIZE_MAX / 2 / sizeof(*slots))
		return -1;
	cap = set->cap > 0 ? set->cap * 2 : IDS_MIN_CAP;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < set->cap; i++)
		if (set->slots[i] != NULL)
			slots[ids_slot(slots, cap, set->slots[i])] = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/*
 * An id as stored: the string, its NUL, then the next -N suffix to try for
 * it, so that the k-th repeat of a request costs one probe, not k.
 */
static char *
ids_dup(const char *s)
{
	size_t		 len = strlen(s) + 1;
	unsigned long	 next = 2;
	char		*p;

	if ((p = malloc(len + sizeof(next))) == NULL)
		return NULL;
	memcpy(p, s, len);
	memcpy(p + len, &next, sizeof(next));
	return p;
}

static unsigned long
ids_next(const char *p)
{
	unsigned long	 next;

	memcpy(&next, p + strlen(p) + 1, sizeof(next));
	return next;
}

static void
ids_set_next(char *p, unsigned long next)
{
	memcpy(p + strlen(p) + 1, &next, sizeof(next));
}

int
ia_ids_add(struct ia_ids *set, const char *s)
{
	size_t	 i;
	char	*p;

	if (ia_ids_has(set, s))
		return 0;
	if ((set->count + 1) * 2 > set->cap && ids_grow(set) == -1)
		return -1;
	if ((p = ids_dup(s)) == NULL)
		return -1;
	i = ids_slot(set->slots, set->cap, s);
	set->slots[i] = p;
	set->count++;
	return 1;
}

bool
ia_ids_has(const struct ia_ids *set, const char *s)
{
	if (set->cap == 0)
		return false;
	return set->slots[ids_slot(set->slots, set->cap, s)] != NULL;
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
	uint64_t	 h;
	size_t		 base;
	unsigned long	 n;
	char		*ret, *first;

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
	first = NULL;
	if (set->cap > 0)
		first = set->slots[ids_slot(set->slots, set->cap, id.data)];
	for (n = first != NULL ? ids_next(first) : 2; ia_ids_has(set, id.data); n++) {
		id.len = base;
		if (ia_buf_addf(&id, "-%lu", n) == -1)
			goto fail;
	}
	if (ia_ids_add(set, id.data) == -1)
		goto fail;
	if (first != NULL)
		ids_set_next(first, n);
	ret = ia_buf_steal(&id);
	return ret;
fail:
	ia_buf_free(&id);
	return NULL;
}

void
ia_ids_free(struct ia_ids *set)
{
	size_t	 i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	ia_ids_init(set);
}
