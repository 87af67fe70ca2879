/*
 * What answered each custom_id: the set of custom_ids answered, and for
 * each a hash of its first answer's request (without the metadata, which
 * holds the custom_id itself and webhook ids) and of its generation's id.
 * A second answer to a custom_id is then told apart: the same generation
 * read again (a duplicate, harmless), another generation of the same
 * request (it was submitted twice under one custom_id: paid for twice), or
 * another request (two requests shared a custom_id, and one answer is
 * lost).
 *
 * Hashes, not the texts, 12 bytes a custom_id: a 64-bit fingerprint of it
 * (two custom_ids that share one, a chance of about n^2 / 2^65 among n,
 * are taken for one) and 16 bits each for the request and the generation
 * (a second answer whose hash collides with the first's, 1 in 65,536, is
 * taken for the same: a clash looks like a duplicate, no more).  The table
 * is CLASH_PARTS parts, chosen by the fingerprint's top byte, each an open
 * addressing table grown by a quarter once four fifths full: memory
 * follows the count closely (15 to 19 bytes a custom_id), and a growth
 * copies one part, not the whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

#define CLASH_PARTS	256
#define CLASH_MIN_CAP	8

/* A hash as 16 bits, never 0 (0 is "not known"). */
static uint32_t
fold16(uint64_t h)
{
	uint32_t	 v = (uint32_t)((h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)) & 0xffff);

	return v != 0 ? v : 1;
}

/* A custom_id's fingerprint: the set's, ia_ids_fingerprint(), never 0. */
static uint64_t
key_of(const char *cid, size_t len)
{
	return ia_ids_fingerprint(cid, len);
}

uint32_t
ia_clash_request(jv req)
{
	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		jv_free(req);
		return 0;
	}
	return fold16(ia_scan_hash(req, "metadata"));
}

uint32_t
ia_clash_request_hash(uint64_t h)
{
	return fold16(h);
}

uint32_t
ia_clash_generation(const char *id, size_t len)
{
	return fold16(ia_ids_fingerprint(id, len));
}

void
ia_clash_init(struct ia_clash *c)
{
	c->parts = NULL;
	c->count = 0;
}

/* Where key is in part p, or the empty slot where it would go. */
static uint32_t
slot_of(const struct ia_clash_part *p, uint64_t key)
{
	uint32_t	 i = (uint32_t)(((key & 0xffffffffu) * p->cap) >> 32);

	while (p->keys[i] != 0 && p->keys[i] != key)
		if (++i == p->cap)
			i = 0;
	return i;
}

/* A quarter more slots, at least CLASH_MIN_CAP. */
static int
grow(struct ia_clash_part *p)
{
	struct ia_clash_part n;
	uint32_t	 i, j;

	if (p->cap > UINT32_MAX / 2)
		return -1;
	n.cap = p->cap > 0 ? p->cap + p->cap / 4 : CLASH_MIN_CAP;
	n.count = p->count;
	if ((n.keys = calloc(n.cap, sizeof(*n.keys))) == NULL)
		return -1;
	if ((n.answers = calloc(n.cap, sizeof(*n.answers))) == NULL) {
		free(n.keys);
		return -1;
	}
	for (i = 0; i < p->cap; i++)
		if (p->keys[i] != 0) {
			j = slot_of(&n, p->keys[i]);
			n.keys[j] = p->keys[i];
			n.answers[j] = p->answers[i];
		}
	free(p->keys);
	free(p->answers);
	*p = n;
	return 0;
}

/* What a second answer (req, gen) is, against the first one's. */
static enum ia_clash_kind
kind_of(uint32_t first, uint32_t req, uint32_t gen)
{
	uint32_t	 r = first >> 16, g = first & 0xffff;

	if (r != 0 && req != 0 && r != req)
		return IA_CLASH_REQUEST;
	if (g != 0 && gen != 0 && g != gen)
		return IA_CLASH_GENERATION;
	return IA_CLASH_NONE;
}

int
ia_clash_answer(struct ia_clash *c, const char *cid, size_t len, uint32_t req,
    uint32_t gen, enum ia_clash_kind *kind)
{
	struct ia_clash_part *p;
	uint64_t	 key = key_of(cid, len);
	uint32_t	 i;

	*kind = IA_CLASH_NONE;
	if (c->parts == NULL &&
	    (c->parts = calloc(CLASH_PARTS, sizeof(*c->parts))) == NULL)
		return -1;
	p = &c->parts[key >> 56];
	if (p->cap > 0 && p->keys[i = slot_of(p, key)] != 0) {
		*kind = kind_of(p->answers[i], req, gen);
		return 0;
	}
	if ((p->count + 1) * 5 > (uint64_t)p->cap * 4 && grow(p) == -1)
		return -1;
	i = slot_of(p, key);
	p->keys[i] = key;
	p->answers[i] = (req & 0xffff) << 16 | (gen & 0xffff);
	p->count++;
	c->count++;
	return 1;
}

bool
ia_clash_has(const struct ia_clash *c, const char *cid, size_t len)
{
	const struct ia_clash_part *p;
	uint64_t	 key = key_of(cid, len);

	if (c->parts == NULL)
		return false;
	p = &c->parts[key >> 56];
	return p->cap > 0 && p->keys[slot_of(p, key)] != 0;
}

/* The hashes of an answer's request and generation id (consumed). */
static void
hashes_of(jv req, jv id, uint32_t *r, uint32_t *g)
{
	*r = ia_clash_request(req);
	*g = jv_get_kind(id) == JV_KIND_STRING ? ia_clash_generation(
	    jv_string_value(id), (size_t)jv_string_length_bytes(jv_copy(id))) : 0;
	jv_free(id);
}

int
ia_clash_first(struct ia_clash *c, jv cid, jv req, jv id)
{
	enum ia_clash_kind kind;
	uint32_t	 r, g;
	int		 rc = 0;

	hashes_of(req, id, &r, &g);
	if (jv_get_kind(cid) == JV_KIND_STRING)
		rc = ia_clash_answer(c, jv_string_value(cid),
		    (size_t)jv_string_length_bytes(jv_copy(cid)), r, g, &kind);
	jv_free(cid);
	return rc == -1 ? -1 : 0;
}

enum ia_clash_kind
ia_clash_check(const struct ia_clash *c, jv cid, jv req, jv id)
{
	const struct ia_clash_part *p;
	enum ia_clash_kind kind = IA_CLASH_NONE;
	uint64_t	 key;
	uint32_t	 r, g, i;

	hashes_of(req, id, &r, &g);
	if (jv_get_kind(cid) == JV_KIND_STRING && c->parts != NULL) {
		key = key_of(jv_string_value(cid),
		    (size_t)jv_string_length_bytes(jv_copy(cid)));
		p = &c->parts[key >> 56];
		if (p->cap > 0 && p->keys[i = slot_of(p, key)] != 0)
			kind = kind_of(p->answers[i], r, g);
	}
	jv_free(cid);
	return kind;
}

void
ia_clash_free(struct ia_clash *c)
{
	size_t	 i;

	if (c->parts != NULL)
		for (i = 0; i < CLASH_PARTS; i++) {
			free(c->parts[i].keys);
			free(c->parts[i].answers);
		}
	free(c->parts);
	ia_clash_init(c);
}
