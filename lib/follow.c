/*
 * What ia-poll keeps of each thing it follows, an id alone or a group, in
 * one allocation: a small header, then the id and its custom_id stored
 * inline, or the group's tracker.  A million ids may be pending at once,
 * and each is a malloc chunk of 64 bytes while the id and the custom_id
 * fit in 39 bytes together.  No jv is kept for an id: its records are made
 * again from the id and the custom_id, which is all that they carry.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/* Where a group's tracker lies after the header, aligned for it. */
#define GROUP_AT	((offsetof(struct ia_follow, data) + \
	_Alignof(struct ia_group) - 1) / _Alignof(struct ia_group) * \
	_Alignof(struct ia_group))

/*
 * The header and the strings, no padding after them: the size is what the
 * strings need, not sizeof the struct rounded up for its alignment, but
 * never less than sizeof.
 */
struct ia_follow *
ia_follow_new(const char *id, const char *custom_id, long line)
{
	struct ia_follow	*f;
	size_t			 idlen = strlen(id) + 1, cidlen, n;

	cidlen = custom_id != NULL ? strlen(custom_id) + 1 : 0;
	n = offsetof(struct ia_follow, data) + idlen + cidlen;
	if ((f = malloc(n > sizeof(*f) ? n : sizeof(*f))) == NULL)
		return NULL;
	f->first_seen = 0;
	f->line = line;
	f->flags = custom_id != NULL ? IA_FOLLOW_CUSTOM_ID : 0;
	memcpy(f->data, id, idlen);
	if (custom_id != NULL)
		memcpy(f->data + idlen, custom_id, cidlen);
	return f;
}

struct ia_follow *
ia_follow_new_group(struct ia_group *g, long line)
{
	struct ia_follow	*f;

	if ((f = malloc(GROUP_AT + sizeof(*g))) == NULL)
		return NULL;
	f->first_seen = 0;
	f->line = line;
	f->flags = IA_FOLLOW_GROUP;
	memcpy((char *)f + GROUP_AT, g, sizeof(*g));
	return f;
}

struct ia_group *
ia_follow_group(struct ia_follow *f)
{
	return f->flags & IA_FOLLOW_GROUP ?
	    (struct ia_group *)(void *)((char *)f + GROUP_AT) : NULL;
}

static const struct ia_group *
group_of(const struct ia_follow *f)
{
	return ia_follow_group((struct ia_follow *)f);
}

const char *
ia_follow_id(const struct ia_follow *f)
{
	return f->flags & IA_FOLLOW_GROUP ? jv_string_value(group_of(f)->id) :
	    f->data;
}

const char *
ia_follow_custom_id(const struct ia_follow *f)
{
	if (!(f->flags & IA_FOLLOW_CUSTOM_ID))
		return NULL;
	return f->data + strlen(f->data) + 1;
}

size_t
ia_follow_left(const struct ia_follow *f)
{
	return f->flags & IA_FOLLOW_GROUP ? ia_group_left(group_of(f)) : 1;
}

jv
ia_follow_record(const struct ia_follow *f)
{
	jv		 rec;
	const char	*cid = ia_follow_custom_id(f);

	if (f->flags & IA_FOLLOW_GROUP)
		return ia_group_record(group_of(f));
	rec = jv_object();
	if (cid != NULL)
		rec = jv_object_set(rec, jv_string("custom_id"), jv_string(cid));
	return jv_object_set(rec, jv_string("id"), jv_string(f->data));
}

struct ia_group_outcome
ia_follow_feed(struct ia_follow *f, const struct ia_group_poll *p, jv answer)
{
	if (f->flags & IA_FOLLOW_GROUP)
		return ia_group_feed(ia_follow_group(f), p, answer);
	return ia_group_feed_id(f->data, ia_follow_custom_id(f), f->line, p,
	    answer);
}

#define ROOM_UNITS	15
#define ROOM_SHIFT	4

void
ia_follow_aim(struct ia_follow *f, double room, double unit)
{
	double	 q;

	f->flags &= (unsigned char)~(IA_FOLLOW_AIMED | IA_FOLLOW_ROOM);
	if (isnan(room))
		return;
	q = floor(room / unit * 16);
	f->flags |= (unsigned char)(IA_FOLLOW_AIMED | (q > ROOM_UNITS ? ROOM_UNITS :
	    q > 0 ? (int)q : 0) << ROOM_SHIFT);
}

double
ia_follow_room(const struct ia_follow *f, double unit)
{
	if (!(f->flags & IA_FOLLOW_AIMED))
		return NAN;
	return ((f->flags & IA_FOLLOW_ROOM) >> ROOM_SHIFT) * unit / 16;
}

struct ia_group_outcome
ia_follow_feed_text(struct ia_follow *f, const struct ia_group_poll *p,
    const char *text, size_t len, struct ia_scan_listing *l)
{
	if (f->flags & IA_FOLLOW_GROUP)
		return ia_group_feed_text(ia_follow_group(f), p, text, len, l);
	return ia_follow_feed(f, p, p->status >= 200 && p->status <= 299 &&
	    len <= INT_MAX ? jv_parse_sized(text, (int)len) : jv_invalid());
}

void
ia_follow_free(struct ia_follow *f)
{
	if (f == NULL)
		return;
	if (f->flags & IA_FOLLOW_GROUP)
		ia_group_free(ia_follow_group(f));
	free(f);
}
