/*
 * What answered each custom_id, in 16 bytes: a hash of the custom_id, of
 * the request without its metadata and of the generation's id.  A second
 * answer to a custom_id is then told apart: the same generation read again
 * (a duplicate, harmless), another generation of the same request (it was
 * submitted twice under one custom_id: paid for twice), or another request
 * (two requests shared a custom_id, and one answer is lost).  Hashes, not
 * the texts: the table costs the same for a 10 MB request as for a small
 * one, and a hash that collides only makes a clash look like a duplicate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

#define CLASH_MIN_CAP	16

/* A string's hash folded to 32 bits, never 0 (0 is "not known"). */
static uint32_t
fold(uint64_t h)
{
	uint32_t	 v = (uint32_t)(h ^ (h >> 32));

	return v != 0 ? v : 1;
}

static uint64_t
key_of(jv cid)
{
	uint64_t	 h = ia_ids_hash(jv_string_value(cid),
	    (size_t)jv_string_length_bytes(jv_copy(cid)));

	return h != 0 ? h : 1;
}

/*
 * The request as the model sees it: without metadata, which holds the
 * custom_id itself and webhook ids, keys sorted.  0 when there is none.
 */
static uint32_t
request_of(jv req)
{
	jv		 s;
	uint32_t	 h;

	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		jv_free(req);
		return 0;
	}
	s = jv_dump_string(jv_object_delete(req, jv_string("metadata")),
	    JV_PRINT_SORTED);
	h = fold(ia_ids_hash(jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s))));
	jv_free(s);
	return h;
}

static uint32_t
generation_of(jv id)
{
	uint32_t	 h = 0;

	if (jv_get_kind(id) == JV_KIND_STRING)
		h = fold(ia_ids_hash(jv_string_value(id),
		    (size_t)jv_string_length_bytes(jv_copy(id))));
	jv_free(id);
	return h;
}

void
ia_clash_init(struct ia_clash *c)
{
	c->slots = NULL;
	c->cap = c->count = 0;
}

/* Where key is, or the empty slot where it would go; cap is a power of 2. */
static size_t
slot_of(const struct ia_clash_slot *slots, size_t cap, uint64_t key)
{
	size_t	 i = (size_t)key & (cap - 1);

	while (slots[i].key != 0 && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static int
grow(struct ia_clash *c)
{
	struct ia_clash_slot *slots;
	size_t		 cap, i;

	if (c->cap > SIZE_MAX / 2 / sizeof(*slots))
		return -1;
	cap = c->cap > 0 ? c->cap * 2 : CLASH_MIN_CAP;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < c->cap; i++)
		if (c->slots[i].key != 0)
			slots[slot_of(slots, cap, c->slots[i].key)] = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return 0;
}

int
ia_clash_first(struct ia_clash *c, jv cid, jv req, jv id)
{
	struct ia_clash_slot *e;
	uint64_t	 key;

	if (jv_get_kind(cid) != JV_KIND_STRING) {
		jv_free(cid);
		jv_free(req);
		jv_free(id);
		return 0;
	}
	key = key_of(cid);
	jv_free(cid);
	if ((c->count + 1) * 2 > c->cap && grow(c) == -1) {
		jv_free(req);
		jv_free(id);
		return -1;
	}
	e = &c->slots[slot_of(c->slots, c->cap, key)];
	if (e->key == 0) {
		e->key = key;
		e->req = request_of(req);
		e->gen = generation_of(id);
		c->count++;
	} else {
		/* Another custom_id with the same hash: keep the first. */
		jv_free(req);
		jv_free(id);
	}
	return 0;
}

enum ia_clash_kind
ia_clash_check(const struct ia_clash *c, jv cid, jv req, jv id)
{
	const struct ia_clash_slot *e;
	uint32_t	 r, g;

	if (jv_get_kind(cid) != JV_KIND_STRING || c->cap == 0) {
		jv_free(cid);
		jv_free(req);
		jv_free(id);
		return IA_CLASH_NONE;
	}
	e = &c->slots[slot_of(c->slots, c->cap, key_of(cid))];
	jv_free(cid);
	r = request_of(req);
	g = generation_of(id);
	if (e->key == 0)
		return IA_CLASH_NONE;
	if (e->req != 0 && r != 0 && e->req != r)
		return IA_CLASH_REQUEST;
	if (e->gen != 0 && g != 0 && e->gen != g)
		return IA_CLASH_GENERATION;
	return IA_CLASH_NONE;
}

void
ia_clash_free(struct ia_clash *c)
{
	free(c->slots);
	ia_clash_init(c);
}
