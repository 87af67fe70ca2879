/*
 * What was submitted and has no result yet, by custom_id: the generation or
 * the group it went in.  When a stream ends before the result, that is what
 * ia-poll needs to follow it.  A hash table with linear probing; a custom_id
 * is bytes and a length, since a JSON string may hold a NUL.
 *
 * An entry's submissions are text, in the order they came: for each, a
 * byte 'o' (open) or 'e' (ended), a byte 'g' (a group) or 'n' (a
 * generation), the id, and a NUL; an entry goes once its custom_id is
 * answered.
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

	if (p->cap > SIZE_MAX / 4 / sizeof(*p->slots))
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

/*
 * The entry of a custom_id, made when it is new (with nothing open), or
 * NULL when out of memory.  An entry stays while the custom_id is known,
 * so that an end read before its submission still counts.
 */
static struct ia_pending_entry *
entry(struct ia_pending *p, const char *cid, size_t len)
{
	struct ia_pending_entry	*e;

	if ((p->used + 1) * 2 > p->cap && grow(p) == -1)
		return NULL;
	e = &p->slots[slot_of(p, cid, len)];
	if (e->custom_id == NULL) {
		if ((e->custom_id = dup_bytes(cid, len)) == NULL)
			return NULL;
		e->len = len;
		e->open = 0;
		e->id = NULL;
		e->subs = NULL;
		e->subs_len = 0;
		p->used++;
	}
	return e;
}

/* The submission after the one at off, or at the end (subs_len). */
static size_t
sub_next(const struct ia_pending_entry *e, size_t off)
{
	return off + 2 + strlen(e->subs + off + 2) + 1;
}

static enum ia_pending_kind
sub_kind(const struct ia_pending_entry *e, size_t off)
{
	return e->subs[off + 1] == 'g' ? IA_PENDING_GROUP : IA_PENDING_GENERATION;
}

/* Where the submission of a kind and an id ("" when not known) is, or -1. */
static long
sub_find(const struct ia_pending_entry *e, enum ia_pending_kind kind,
    const char *id)
{
	size_t	 off;

	for (off = 0; off < e->subs_len; off = sub_next(e, off))
		if (sub_kind(e, off) == kind && strcmp(e->subs + off + 2, id) == 0)
			return (long)off;
	return -1;
}

/* A submission more, open or ended; 0, or -1 out of memory. */
static int
sub_add(struct ia_pending_entry *e, enum ia_pending_kind kind, const char *id,
    bool open)
{
	size_t	 n = strlen(id) + 3;
	char	*subs;

	if ((subs = realloc(e->subs, e->subs_len + n)) == NULL)
		return -1;
	subs[e->subs_len] = open ? 'o' : 'e';
	subs[e->subs_len + 1] = kind == IA_PENDING_GROUP ? 'g' : 'n';
	memcpy(subs + e->subs_len + 2, id, n - 2);
	e->subs = subs;
	e->subs_len += n;
	return 0;
}

/* Point e's kind and id at a submission still open, after one ended. */
static int
follow_open(struct ia_pending_entry *e)
{
	size_t	 off;

	free(e->id);
	e->id = NULL;
	for (off = 0; off < e->subs_len; off = sub_next(e, off))
		if (e->subs[off] == 'o') {
			e->kind = sub_kind(e, off);
			if (e->subs[off + 2] != '\0' &&
			    (e->id = strdup(e->subs + off + 2)) == NULL)
				return -1;
			break;
		}
	return 0;
}

/*
 * One submission of a custom_id: opened, unless the same one was seen
 * already (an acknowledgement read twice) or its end came first.
 */
int
ia_pending_add(struct ia_pending *p, const char *cid, size_t len,
    enum ia_pending_kind kind, const char *id)
{
	struct ia_pending_entry	*e;
	char			*idcopy = NULL;

	if ((e = entry(p, cid, len)) == NULL)
		return -1;
	if (sub_find(e, kind, id != NULL ? id : "") != -1)
		return 0;
	if (id != NULL && (idcopy = strdup(id)) == NULL)
		return -1;
	if (sub_add(e, kind, id != NULL ? id : "", true) == -1) {
		free(idcopy);
		return -1;
	}
	if (e->open++ == 0)
		p->count++;
	free(e->id);
	e->kind = kind;
	e->id = idcopy;
	return 0;
}

/*
 * One submission ended without an answer: the one with this id; for a
 * generation of a group (an id of no submission of its own), a group the
 * custom_id went in.  An end that comes first is remembered, and the same
 * end twice counts once.
 */
int
ia_pending_end(struct ia_pending *p, const char *cid, size_t len,
    enum ia_pending_kind kind, const char *id)
{
	struct ia_pending_entry	*e;
	long			 at;
	size_t			 off;

	if ((e = entry(p, cid, len)) == NULL)
		return -1;
	at = sub_find(e, kind, id != NULL ? id : "");
	for (off = 0; at == -1 && kind == IA_PENDING_GENERATION &&
	    off < e->subs_len; off = sub_next(e, off))
		if (e->subs[off] == 'o' && sub_kind(e, off) == IA_PENDING_GROUP)
			at = (long)off;
	if (at == -1)
		return sub_add(e, kind, id != NULL ? id : "", false);
	if (e->subs[at] == 'e')
		return 0;
	e->subs[at] = 'e';
	if (--e->open == 0)
		p->count--;
	return follow_open(e);
}

const struct ia_pending_entry *
ia_pending_find(const struct ia_pending *p, const char *cid, size_t len)
{
	size_t	 i;

	if (p->count == 0)
		return NULL;
	i = slot_of(p, cid, len);
	return p->slots[i].custom_id != NULL && p->slots[i].open > 0 ?
	    &p->slots[i] : NULL;
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
	bool	 was;

	if (p->used == 0)
		return false;
	if (p->slots[i = slot_of(p, cid, len)].custom_id == NULL)
		return false;
	was = p->slots[i].open > 0;
	free(p->slots[i].custom_id);
	free(p->slots[i].id);
	free(p->slots[i].subs);
	for (j = (i + 1) & mask; p->slots[j].custom_id != NULL; j = (j + 1) & mask) {
		home = hash(p->slots[j].custom_id, p->slots[j].len) & mask;
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			p->slots[i] = p->slots[j];
			i = j;
		}
	}
	p->slots[i].custom_id = NULL;
	p->slots[i].id = NULL;
	p->slots[i].subs = NULL;
	p->used--;
	if (was)
		p->count--;
	return was;
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
		if (p->slots[i].custom_id != NULL && p->slots[i].open > 0)
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

jv
ia_pending_follow(const struct ia_pending_entry *e)
{
	jv		 out = jv_array(), rec, cid;
	const char	*id;
	size_t		 off;

	for (off = 0; off < e->subs_len; off = sub_next(e, off)) {
		if (e->subs[off] != 'o')
			continue;
		id = e->subs + off + 2;
		cid = jv_string_sized(e->custom_id, (int)e->len);
		if (sub_kind(e, off) == IA_PENDING_GROUP)
			rec = jv_object_set(jv_object_set(jv_object(),
			    jv_string("group_id"), jv_string(id)),
			    jv_string("custom_ids"), JV_ARRAY(cid));
		else
			rec = jv_object_set(jv_object_set(jv_object(),
			    jv_string("id"), *id != '\0' ? jv_string(id) :
			    jv_null()), jv_string("custom_id"), cid);
		out = jv_array_append(out, rec);
	}
	return out;
}

/*
 * Every open submission of every custom_id, in custom_id order, one record
 * a group for all its custom_ids (one GET a poll, not one a custom_id).
 * jv_invalid() when out of memory.
 */
jv
ia_pending_follow_all(const struct ia_pending *p)
{
	const struct ia_pending_entry **list, **e;
	jv	 out = jv_array(), follow, gid, ids, groups = jv_object(),
		 order = jv_array();

	if ((list = ia_pending_sort(p)) == NULL) {
		jv_free(out);
		jv_free(groups);
		jv_free(order);
		return jv_invalid();
	}
	for (e = list; *e != NULL; e++) {
		follow = ia_pending_follow(*e);
		jv_array_foreach(follow, i, rec) {
			gid = ia_record_field(jv_copy(rec), "group_id");
			if (jv_get_kind(gid) != JV_KIND_STRING) {
				jv_free(gid);
				out = jv_array_append(out, rec);
				continue;
			}
			ids = jv_object_get(jv_copy(groups), jv_copy(gid));
			if (!jv_is_valid(ids)) {
				jv_free(ids);
				ids = jv_array();
				order = jv_array_append(order, jv_copy(gid));
			}
			groups = jv_object_set(groups, gid, jv_array_concat(ids,
			    jv_object_get(rec, jv_string("custom_ids"))));
		}
		jv_free(follow);
	}
	free(list);
	jv_array_foreach(order, i, g)
		out = jv_array_append(out, jv_object_set(jv_object_set(jv_object(),
		    jv_string("group_id"), jv_copy(g)), jv_string("custom_ids"),
		    jv_object_get(jv_copy(groups), g)));
	jv_free(order);
	jv_free(groups);
	return out;
}

void
ia_pending_free(struct ia_pending *p)
{
	size_t	 i;

	for (i = 0; i < p->cap; i++) {
		free(p->slots[i].custom_id);
		free(p->slots[i].id);
		free(p->slots[i].subs);
	}
	free(p->slots);
	ia_pending_init(p);
}
