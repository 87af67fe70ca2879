/*
 * What was submitted and has no result yet, by custom_id: the generation or
 * the group it went in.  When a stream ends before the result, that is what
 * ia-poll needs to follow it.  A hash table with linear probing; a custom_id
 * is bytes and a length, since a JSON string may hold a NUL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

#define PENDING_MIN_CAP	16

void
ia_pending_init(struct ia_pending *p)
{
	memset(p, 0, sizeof(*p));
}

/* Any spread will do: nothing outside this file sees it. */
static size_t
hash(const char *s, size_t len)
{
	size_t	 h = 5381;

	while (len-- > 0)
		h = (h * 33) ^ (unsigned char)*s++;
	return h;
}

/* Where the custom_id is, or the empty slot where it would go. */
static size_t
slot_of(const struct ia_pending *p, const char *cid, size_t len)
{
	size_t	 i = hash(cid, len) & (p->cap - 1);

	while (p->slots[i].custom_id != NULL && (p->slots[i].len != len ||
	    memcmp(p->slots[i].custom_id, cid, len) != 0))
		i = (i + 1) & (p->cap - 1);
	return i;
}

/* Probes stay short while the table is at most half full. */
static int
grow(struct ia_pending *p)
{
	struct ia_pending_entry	*old = p->slots;
	size_t			 oldcap = p->cap, i;

	if (p->cap > SIZE_MAX / 2 / sizeof(*p->slots))
		return -1;
	p->cap = p->cap > 0 ? p->cap * 2 : PENDING_MIN_CAP;
	if ((p->slots = calloc(p->cap, sizeof(*p->slots))) == NULL) {
		p->slots = old;
		p->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i].custom_id != NULL)
			p->slots[slot_of(p, old[i].custom_id, old[i].len)] = old[i];
	free(old);
	return 0;
}

static char *
dup_bytes(const char *s, size_t len)
{
	char	*d;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* A custom_id submitted again replaces what was known of it. */
int
ia_pending_add(struct ia_pending *p, const char *cid, size_t len,
    enum ia_pending_kind kind, const char *id)
{
	struct ia_pending_entry	*e;
	char			*idcopy = NULL;

	if ((p->count + 1) * 2 > p->cap && grow(p) == -1)
		return -1;
	if (id != NULL && (idcopy = strdup(id)) == NULL)
		return -1;
	e = &p->slots[slot_of(p, cid, len)];
	if (e->custom_id == NULL) {
		if ((e->custom_id = dup_bytes(cid, len)) == NULL) {
			free(idcopy);
			return -1;
		}
		e->len = len;
		p->count++;
	} else
		free(e->id);
	e->kind = kind;
	e->id = idcopy;
	e->open++;
	return 0;
}

void
ia_pending_end(struct ia_pending *p, const char *cid, size_t len)
{
	struct ia_pending_entry	*e;

	if (p->count == 0 || (e = &p->slots[slot_of(p, cid, len)])->custom_id == NULL)
		return;
	if (--e->open == 0)
		ia_pending_remove(p, cid, len);
}

const struct ia_pending_entry *
ia_pending_find(const struct ia_pending *p, const char *cid, size_t len)
{
	size_t	 i;

	if (p->count == 0)
		return NULL;
	i = slot_of(p, cid, len);
	return p->slots[i].custom_id != NULL ? &p->slots[i] : NULL;
}

/*
 * Entries after the hole move back into it unless their home slot lies
 * cyclically between the hole and where they are: every entry stays
 * reachable from its home without tombstones.
 */
bool
ia_pending_remove(struct ia_pending *p, const char *cid, size_t len)
{
	size_t	 i, j, home, mask = p->cap - 1;

	if (p->count == 0)
		return false;
	if (p->slots[i = slot_of(p, cid, len)].custom_id == NULL)
		return false;
	free(p->slots[i].custom_id);
	free(p->slots[i].id);
	for (j = (i + 1) & mask; p->slots[j].custom_id != NULL; j = (j + 1) & mask) {
		home = hash(p->slots[j].custom_id, p->slots[j].len) & mask;
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			p->slots[i] = p->slots[j];
			i = j;
		}
	}
	p->slots[i].custom_id = NULL;
	p->slots[i].id = NULL;
	p->count--;
	return true;
}

/* As jq orders strings: bytes, then the shorter first. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct ia_pending_entry *x = *(const struct ia_pending_entry *const *)a;
	const struct ia_pending_entry *y = *(const struct ia_pending_entry *const *)b;
	int	 c;

	c = memcmp(x->custom_id, y->custom_id, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

const struct ia_pending_entry **
ia_pending_sort(const struct ia_pending *p)
{
	const struct ia_pending_entry **list;
	size_t			 i, n = 0;

	if ((list = calloc(p->count + 1, sizeof(*list))) == NULL)
		return NULL;
	for (i = 0; i < p->cap; i++)
		if (p->slots[i].custom_id != NULL)
			list[n++] = &p->slots[i];
	qsort(list, n, sizeof(*list), cmp_entry);
	return list;
}

jv
ia_pending_error(const struct ia_pending_entry *e)
{
	jv	 cid = jv_string_sized(e->custom_id, (int)e->len), req;
	char	 msg[512];
	bool	 known = e->id != NULL && *e->id != '\0';

	if (e->kind == IA_PENDING_GROUP) {
		req = jv_object_set(jv_object(), jv_string("group_id"),
		    jv_string(e->id != NULL ? e->id : ""));
		req = jv_object_set(req, jv_string("custom_ids"), JV_ARRAY(cid));
		snprintf(msg, sizeof(msg), "no result in the input: submitted in group "
		    "%s (follow it with ia-poll)", e->id != NULL ? e->id : "");
	} else {
		req = jv_object_set(jv_object(), jv_string("id"),
		    known ? jv_string(e->id) : jv_null());
		req = jv_object_set(req, jv_string("custom_id"), cid);
		if (known)
			snprintf(msg, sizeof(msg), "no result in the input: submitted as "
			    "%s (follow it with ia-poll)", e->id);
		else
			snprintf(msg, sizeof(msg), "no result in the input: still running "
			    "when last seen");
	}
	return ia_record_error(e->custom_id, "collect", 0, msg, 0, req, 0);
}

void
ia_pending_free(struct ia_pending *p)
{
	size_t	 i;

	for (i = 0; i < p->cap; i++) {
		free(p->slots[i].custom_id);
		free(p->slots[i].id);
	}
	free(p->slots);
	ia_pending_init(p);
}
