/*
 * Following a group, as data: what each answer to GET
 * /v1/async/group/{id}/generations means for a group record.  A record with
 * custom_ids waits for those alone, each printed once; one without waits for
 * every generation the group has, told apart by generation id.  Nothing here
 * does I/O or reads the clock: the caller polls, hands over the answer and
 * the age, and writes the records the outcome holds.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

enum ia_group_verdict
ia_group_next(bool once, double age, double limit)
{
	if (once)
		return IA_GROUP_KEPT;
	return age < limit ? IA_GROUP_WAIT : IA_GROUP_GAVE_UP;
}

/* Whether the array a (not consumed) holds v (consumed). */
static bool
holds(jv a, jv v)
{
	bool	 found = false;

	jv_array_foreach(a, i, x) {
		if (jv_equal(x, jv_copy(v))) {
			found = true;
			break;
		}
	}
	jv_free(v);
	return found;
}

/* Two byte strings in memcmp order, the shorter first if it starts the other. */
static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int	 r = memcmp(a, b, alen < blen ? alen : blen);

	return r != 0 ? r : (alen > blen) - (alen < blen);
}

/* A listed custom_id while the index is sorted. */
struct key {
	const char	*s;
	size_t		 len;
	uint32_t	 i;
};

static int
by_key(const void *a, const void *b)
{
	const struct key	*x = a, *y = b;
	int			 r = bytes_cmp(x->s, x->len, y->s, y->len);

	return r != 0 ? r : (x->i > y->i) - (x->i < y->i);
}

/*
 * The index of a listed group: its n custom_ids (non-empty strings, none
 * twice) by their bytes, and after it a bit for each, set once it is
 * printed.  A few bytes a custom_id where a jv object took some sixty:
 * a million generations may be followed in groups of 50.  ids (not
 * consumed) holds the strings the sort points into.
 */
static int
index_listed(struct ia_group *g, jv ids, int n)
{
	struct key	*keys;
	jv		 c;
	int		 i;

	/* An index and a bit a custom_id: under 5 bytes each. */
	if ((size_t)n > SIZE_MAX / (sizeof(*g->sorted) + 1) ||
	    (keys = calloc((size_t)n, sizeof(*keys))) == NULL)
		return -1;
	if ((g->sorted = malloc((size_t)n * sizeof(*g->sorted) +
	    (size_t)n / 8 + 1)) == NULL) {
		free(keys);
		return -1;
	}
	g->done = (unsigned char *)(g->sorted + n);
	memset(g->done, 0, (size_t)n / 8 + 1);
	for (i = 0; i < n; i++) {
		/* The array holds the string: its bytes stay where they are. */
		c = jv_array_get(jv_copy(ids), i);
		keys[i].s = jv_string_value(c);
		keys[i].len = (size_t)jv_string_length_bytes(c);
		keys[i].i = (uint32_t)i;
	}
	qsort(keys, (size_t)n, sizeof(*keys), by_key);
	for (i = 0; i < n; i++)
		g->sorted[i] = keys[i].i;
	free(keys);
	g->left = (size_t)n;
	return 0;
}

/* Where the custom_id k (len bytes) stands in the list, or -1. */
static long
find_bytes(const struct ia_group *g, const char *k, size_t klen)
{
	size_t		 lo = 0, hi, mid;
	jv		 c;
	int		 r;

	hi = (size_t)jv_array_length(jv_copy(g->listed));
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = jv_array_get(jv_copy(g->listed), (int)g->sorted[mid]);
		r = bytes_cmp(k, klen, jv_string_value(c),
		    (size_t)jv_string_length_bytes(jv_copy(c)));
		jv_free(c);
		if (r == 0)
			return g->sorted[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Where custom_id key (a string, not consumed) stands in the list, or -1. */
static long
find(const struct ia_group *g, jv key)
{
	return find_bytes(g, jv_string_value(key),
	    (size_t)jv_string_length_bytes(jv_copy(key)));
}

static bool
is_done(const struct ia_group *g, long i)
{
	return g->done[i / 8] & (1u << (i % 8));
}

/*
 * A group record is taken as ia-group(1) prints it; anything else in it is
 * an input error, said in err, for the tool to turn into an error record.
 */
int
ia_group_init(struct ia_group *g, jv rec, long line, char *err, size_t errlen)
{
	jv	 gid, ids, id, seen = jv_null();
	int	 i, n;

	g->id = g->listed = g->printed = jv_null();
	g->sorted = NULL;
	g->done = NULL;
	g->left = 0;
	g->line = line;
	g->confirm = false;
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		snprintf(err, errlen, "a group record must be an object");
		return -1;
	}
	gid = jv_object_get(jv_copy(rec), jv_string("group_id"));
	ids = jv_object_get(rec, jv_string("custom_ids"));
	if (jv_get_kind(gid) != JV_KIND_STRING ||
	    jv_string_length_bytes(jv_copy(gid)) == 0) {
		snprintf(err, errlen, "group_id must be a non-empty string");
		goto bad;
	}
	/* It is followed as a C string, which a NUL would cut short. */
	if (ia_record_has_nul(jv_copy(gid))) {
		snprintf(err, errlen, "group_id must not hold a NUL byte");
		goto bad;
	}
	if (jv_is_valid(ids) && jv_get_kind(ids) != JV_KIND_NULL &&
	    jv_get_kind(ids) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "custom_ids must be an array of strings");
		goto bad;
	}
	/* An empty list waits for nothing: follow the whole group instead. */
	n = jv_get_kind(ids) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ids)) : 0;
	seen = n > 0 ? jv_object() : jv_null();
	for (i = 0; i < n; i++) {
		id = jv_array_get(jv_copy(ids), i);
		if (jv_get_kind(id) != JV_KIND_STRING ||
		    jv_string_length_bytes(jv_copy(id)) == 0) {
			snprintf(err, errlen, "custom_ids must be an array of "
			    "non-empty strings");
			jv_free(id);
			goto bad;
		}
		if (ia_record_has_nul(jv_copy(id))) {
			snprintf(err, errlen, "custom_ids must not hold a NUL byte");
			jv_free(id);
			goto bad;
		}
		if (jv_object_has(jv_copy(seen), jv_copy(id))) {
			snprintf(err, errlen, "custom_ids lists \"%.200s\" twice",
			    jv_string_value(id));
			jv_free(id);
			goto bad;
		}
		seen = jv_object_set(seen, id, jv_true());
	}
	jv_free(seen);
	seen = jv_null();
	if (n > 0 && index_listed(g, ids, n) == -1) {
		snprintf(err, errlen, "out of memory for %d custom_ids", n);
		goto bad;
	}
	g->id = gid;
	if (n > 0)
		g->listed = ids;
	else
		jv_free(ids);
	return 0;
bad:
	jv_free(gid);
	jv_free(ids);
	jv_free(seen);
	return -1;
}

void
ia_group_free(struct ia_group *g)
{
	jv_free(g->id);
	jv_free(g->listed);
	jv_free(g->printed);
	free(g->sorted);
	g->id = g->listed = g->printed = jv_null();
	g->sorted = NULL;
	g->done = NULL;
	g->left = 0;
}

static bool
is_listed(const struct ia_group *g)
{
	return jv_get_kind(g->listed) == JV_KIND_ARRAY;
}

size_t
ia_group_left(const struct ia_group *g)
{
	return is_listed(g) ? g->left : 1;
}

/* Whether a generation (consumed) is "Success" or "Failed". */
static bool
final(jv gen)
{
	jv	 st = jv_get_kind(gen) == JV_KIND_OBJECT ?
	    jv_object_get(gen, jv_string("state")) : (jv_free(gen), jv_invalid());
	bool	 yes;

	yes = jv_get_kind(st) == JV_KIND_STRING &&
	    (strcmp(jv_string_value(st), "Success") == 0 ||
	    strcmp(jv_string_value(st), "Failed") == 0);
	jv_free(st);
	return yes;
}

/* The custom_id a generation's request carries, or jv_invalid(). */
static jv
gen_custom_id(jv gen)
{
	jv	 req;

	if (jv_get_kind(gen) != JV_KIND_OBJECT) {
		jv_free(gen);
		return jv_invalid();
	}
	req = jv_object_get(gen, jv_string("request"));
	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		jv_free(req);
		return jv_invalid();
	}
	return ia_record_custom_id(req);
}

/*
 * Whether key (consumed), a custom_id for a listed group, else a generation
 * id, is one still waited for.
 */
static bool
followed(const struct ia_group *g, jv key)
{
	long	 i;

	if (jv_get_kind(key) != JV_KIND_STRING) {
		jv_free(key);
		return false;
	}
	if (is_listed(g)) {
		i = find(g, key);
		jv_free(key);
		return i >= 0 && !is_done(g, i);
	}
	/* Nothing printed yet: printed is still null. */
	return jv_get_kind(g->printed) != JV_KIND_OBJECT ? (jv_free(key), true) :
	    !jv_object_has(jv_copy(g->printed), key);
}

/*
 * The generations of a listing of a group followed whole that are running
 * and not printed (the same id may come twice); gens consumed.
 */
static jv
still_running(const struct ia_group *g, jv gens)
{
	jv	 run = jv_array(), id;

	jv_array_foreach(gens, i, gen) {
		id = jv_get_kind(gen) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(gen), jv_string("id")) : jv_invalid();
		if (followed(g, id) && !final(jv_copy(gen)))
			run = jv_array_append(run, gen);
		else
			jv_free(gen);
	}
	jv_free(gens);
	return run;
}

/*
 * What ia-poll prints for a final generation (an object), of a group or
 * followed alone: custom_id first, so that it can be read at a glance; the
 * one given, or when that is jv_invalid() the request's, else null.
 */
static jv
output(jv custom_id, jv gen)
{
	jv	 out;

	if (!jv_is_valid(custom_id)) {
		jv_free(custom_id);
		custom_id = gen_custom_id(jv_copy(gen));
	}
	if (!jv_is_valid(custom_id)) {
		jv_free(custom_id);
		custom_id = jv_null();
	}
	out = jv_object_set(jv_object(), jv_string("custom_id"), custom_id);
	jv_object_foreach(gen, k, v) {
		if (strcmp(jv_string_value(k), "custom_id") == 0) {
			jv_free(k);
			jv_free(v);
			continue;
		}
		out = jv_object_set(out, k, v);
	}
	jv_free(gen);
	return out;
}

/* A key followed and not final (consumed), noted as running once. */
static void
note_running(struct ia_group_outcome *out, jv key)
{
	if (!holds(out->running, jv_copy(key)))
		out->running = jv_array_append(out->running, key);
	else
		jv_free(key);
}

/*
 * One generation of a listing: print it if it is final, followed and not
 * printed yet; if it is not final, note it as running.
 */
static void
take(struct ia_group *g, jv gen, struct ia_group_outcome *out)
{
	jv	 key;
	long	 i;

	if (jv_get_kind(gen) != JV_KIND_OBJECT) {
		jv_free(gen);
		return;
	}
	key = is_listed(g) ? gen_custom_id(jv_copy(gen)) :
	    jv_object_get(jv_copy(gen), jv_string("id"));
	if (!followed(g, jv_copy(key))) {
		/* Not ours to wait for: not listed, or printed already. */
		jv_free(key);
		jv_free(gen);
	} else if (!final(jv_copy(gen))) {
		note_running(out, key);
		jv_free(gen);
	} else if (is_listed(g)) {
		i = find(g, key);
		g->done[i / 8] |= 1u << (i % 8);
		g->left--;
		out->print = jv_array_append(out->print, output(key, gen));
	} else {
		if (jv_get_kind(g->printed) != JV_KIND_OBJECT)
			g->printed = jv_object();
		g->printed = jv_object_set(g->printed, key, jv_true());
		out->print = jv_array_append(out->print,
		    output(jv_invalid(), gen));
	}
}

/* The listed custom_ids not printed yet, in the order the record gave them. */
static jv
awaited_ids(const struct ia_group *g)
{
	jv	 ids = jv_array();

	if (!is_listed(g))
		return ids;
	jv_array_foreach(g->listed, i, c) {
		if (!is_done(g, i))
			ids = jv_array_append(ids, c);
		else
			jv_free(c);
	}
	return ids;
}

/*
 * Whether a poll that failed may be asked again: no answer, 408, 429, 5xx,
 * and a redirect, which is not followed (the key would go where it points)
 * and which the API does not send: a proxy's, like its HTML pages.  A poll
 * is safe to repeat and the generation goes on (and is paid for) on the
 * server: only --deadline or a refusal (another 4xx) ends it.
 */
static bool
passing(long status)
{
	return ia_http_retryable(status) || (status >= 300 && status <= 399) ||
	    status >= 500;
}

jv
ia_group_record(const struct ia_group *g)
{
	jv	 rec = jv_object_set(jv_object(), jv_string("group_id"),
	    jv_copy(g->id));

	if (is_listed(g))
		rec = jv_object_set(rec, jv_string("custom_ids"), awaited_ids(g));
	return rec;
}

/*
 * The group ends without some of its generations: an error record (stage
 * poll) for each listed custom_id not printed, else for each generation
 * still running in gens, else (nothing known) for the group.  The request
 * of each is an input record that ia-poll can follow again.
 */
static void
give_up(struct ia_group *g, const struct ia_group_poll *p, jv gens,
    const char *msg, struct ia_group_outcome *out)
{
	jv	 ids, req, id, cid;

	out->verdict = IA_GROUP_GAVE_UP;
	if (is_listed(g)) {
		ids = awaited_ids(g);
		jv_array_foreach(ids, i, c) {
			req = jv_object_set(jv_object(), jv_string("group_id"),
			    jv_copy(g->id));
			req = jv_object_set(req, jv_string("custom_ids"),
			    JV_ARRAY(jv_copy(c)));
			out->errors = jv_array_append(out->errors,
			    ia_record_error(jv_string_value(c), "poll", p->status,
			    msg, p->attempts, req, g->line));
			jv_free(c);
		}
		jv_free(ids);
	} else if (jv_get_kind(gens) == JV_KIND_ARRAY) {
		gens = still_running(g, gens);
		jv_array_foreach(gens, i, gen) {
			id = jv_object_get(jv_copy(gen), jv_string("id"));
			cid = gen_custom_id(gen);
			req = jv_object_set(jv_object(), jv_string("id"), id);
			if (jv_get_kind(cid) == JV_KIND_STRING)
				req = jv_object_set(req, jv_string("custom_id"),
				    jv_copy(cid));
			out->errors = jv_array_append(out->errors,
			    ia_record_error(jv_get_kind(cid) == JV_KIND_STRING ?
			    jv_string_value(cid) : NULL, "poll", p->status, msg,
			    p->attempts, req, g->line));
			jv_free(cid);
		}
	} else
		out->errors = jv_array_append(out->errors, ia_record_error(NULL,
		    "poll", p->status, msg, p->attempts, jv_object_set(jv_object(),
		    jv_string("group_id"), jv_copy(g->id)), g->line));
	jv_free(gens);
}

/* counts[key] as a number, 0 when absent (both consumed). */
static double
count_of(jv counts, jv key)
{
	jv	 n = jv_object_get(counts, key);
	double	 d = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : 0;

	jv_free(n);
	return d;
}

/*
 * A group followed whole, kept for the next run: its generations still
 * running, by custom_id when that names one generation of the group alone,
 * else each as a {"custom_id", "id"} record of its own in out->pending.
 * Returns the custom_ids.
 */
static jv
keep_running(const struct ia_group *g, jv gens, struct ia_group_outcome *out)
{
	jv	 ids = jv_array(), seen = jv_object(), run, cid, id, one;

	/* A custom_id that several generations share cannot stand for one. */
	jv_array_foreach(gens, i, gen) {
		cid = gen_custom_id(gen);
		if (jv_get_kind(cid) == JV_KIND_STRING)
			seen = jv_object_set(seen, jv_copy(cid),
			    jv_number(count_of(jv_copy(seen), jv_copy(cid)) + 1));
		jv_free(cid);
	}
	run = still_running(g, gens);
	jv_array_foreach(run, i, gen) {
		id = jv_object_get(jv_copy(gen), jv_string("id"));
		cid = gen_custom_id(gen);
		if (jv_get_kind(cid) == JV_KIND_STRING &&
		    count_of(jv_copy(seen), jv_copy(cid)) == 1) {
			ids = jv_array_append(ids, cid);
			jv_free(id);
			continue;
		}
		one = jv_object();
		if (jv_get_kind(cid) == JV_KIND_STRING)
			one = jv_object_set(one, jv_string("custom_id"), cid);
		else
			jv_free(cid);
		out->pending = jv_array_append(out->pending,
		    jv_object_set(one, jv_string("id"), id));
	}
	jv_free(seen);
	jv_free(run);
	return ids;
}

/*
 * --once: a group not complete goes to --pending with the custom_ids still
 * to come, so that the next run prints none twice.  While nothing is known
 * of it (gens invalid) it is written as it came.
 */
static void
keep(struct ia_group *g, jv gens, struct ia_group_outcome *out)
{
	jv	 rec, ids;

	out->verdict = IA_GROUP_KEPT;
	rec = jv_object_set(jv_object(), jv_string("group_id"), jv_copy(g->id));
	if (is_listed(g)) {
		jv_free(gens);
		rec = jv_object_set(rec, jv_string("custom_ids"), awaited_ids(g));
	} else if (jv_get_kind(gens) == JV_KIND_ARRAY) {
		ids = keep_running(g, gens, out);
		if (jv_array_length(jv_copy(ids)) == 0) {
			/* Each went as a generation of its own. */
			jv_free(ids);
			jv_free(rec);
			return;
		}
		rec = jv_object_set(rec, jv_string("custom_ids"), ids);
	} else
		jv_free(gens);
	out->pending = jv_array_append(out->pending, rec);
}

/*
 * Something is not final yet: the ladder of ia_group_next() says whether to
 * look again, to keep it (--once) or to give up on it with msg.
 */
static void
later(struct ia_group *g, const struct ia_group_poll *p, jv gens,
    const char *msg, struct ia_group_outcome *out)
{
	switch ((out->verdict = ia_group_next(p->once, p->age, p->deadline))) {
	case IA_GROUP_KEPT:
		keep(g, gens, out);
		break;
	case IA_GROUP_GAVE_UP:
		give_up(g, p, gens, msg, out);
		break;
	default:
		jv_free(gens);
	}
}

/*
 * After a whole listing: running is what is still followed, so that a
 * generation printed further down (one that shares its custom_id, or the
 * same one twice) is not waited for; missing is what the listing did not
 * have of the custom_ids listed.
 */
static void
tally(const struct ia_group *g, struct ia_group_outcome *out)
{
	jv	 running = out->running, ids = awaited_ids(g);

	out->running = jv_array();
	jv_array_foreach(running, i, key) {
		if (followed(g, jv_copy(key)))
			out->running = jv_array_append(out->running, key);
		else
			jv_free(key);
	}
	jv_free(running);
	jv_array_foreach(ids, i, c) {
		if (holds(out->running, jv_copy(c)))
			jv_free(c);
		else
			out->missing = jv_array_append(out->missing, c);
	}
	jv_free(ids);
}

/* An outcome with nothing in it yet: wait. */
static struct ia_group_outcome
outcome(void)
{
	struct ia_group_outcome	 out;

	out.verdict = IA_GROUP_WAIT;
	out.print = jv_array();
	out.errors = jv_array();
	out.pending = jv_array();
	out.running = jv_array();
	out.missing = jv_array();
	return out;
}

/*
 * After a listing's generations were taken: the group is complete when
 * none is still running; a listed custom_id the server never returned
 * then gets one more look (a listing may lag) before it becomes an error
 * record.  gens (consumed) is the listing, for what --once keeps and the
 * deadline gives up; jv_invalid() while it is waited on.
 */
static void
settle(struct ia_group *g, const struct ia_group_poll *p, jv gens,
    struct ia_group_outcome *out)
{
	char		 msg[512];
	const char	*id = jv_string_value(g->id);

	tally(g, out);
	if (jv_array_length(jv_copy(out->running)) > 0) {
		snprintf(msg, sizeof(msg), "deadline passed: group %s still "
		    "running after %.0f s (--deadline %g s)", id, p->age,
		    p->deadline);
		later(g, p, gens, msg, out);
		if (out->verdict == IA_GROUP_WAIT)
			g->confirm = false;
	} else if (!is_listed(g) || ia_group_left(g) == 0) {
		jv_free(gens);
		out->verdict = IA_GROUP_DONE;
	} else if (!p->once && !g->confirm) {
		jv_free(gens);
		g->confirm = true;
	} else {
		snprintf(msg, sizeof(msg), "group %s is complete but has no "
		    "generation for this custom_id", id);
		give_up(g, p, gens, msg, out);
	}
}

/*
 * Whether the key of a generation (len bytes; NULL: none) is one still
 * waited for, as followed() says of it as a jv.
 */
static bool
followed_bytes(const struct ia_group *g, const char *k, size_t len)
{
	long	 i;

	if (k == NULL || len > INT_MAX)
		return false;
	if (is_listed(g)) {
		i = find_bytes(g, k, len);
		return i >= 0 && !is_done(g, i);
	}
	return jv_get_kind(g->printed) != JV_KIND_OBJECT ||
	    !jv_object_has(jv_copy(g->printed), jv_string_sized(k, (int)len));
}

/*
 * A group's answer: 404 until it is available, then its generations, each
 * taken, the group then settled.
 */
struct ia_group_outcome
ia_group_feed(struct ia_group *g, const struct ia_group_poll *p, jv answer)
{
	struct ia_group_outcome	 out = outcome();
	jv			 gens;
	char			 msg[512];
	const char		*id = jv_string_value(g->id);

	if (p->status == 404) {
		jv_free(answer);
		snprintf(msg, sizeof(msg), "group %s not available %.0f s after "
		    "it was first seen (--deadline %g s)", id, p->age, p->deadline);
		later(g, p, jv_invalid(), msg, &out);
		return out;
	}
	if (p->status < 200 || p->status > 299) {
		jv_free(answer);
		if (passing(p->status)) {
			snprintf(msg, sizeof(msg), "%s (still so %.0f s after it was "
			    "first seen, --deadline %g s)", p->error, p->age, p->deadline);
			later(g, p, jv_invalid(), msg, &out);
		} else
			give_up(g, p, jv_invalid(), p->error, &out);
		return out;
	}
	gens = jv_get_kind(answer) == JV_KIND_OBJECT ?
	    jv_object_get(answer, jv_string("generations")) :
	    (jv_free(answer), jv_invalid());
	if (jv_get_kind(gens) != JV_KIND_ARRAY) {
		/* A proxy's page, a body cut short: ask again, the work goes on. */
		jv_free(gens);
		snprintf(msg, sizeof(msg), "the answer is not a group's generations "
		    "(still so %.0f s after it was first seen, --deadline %g s)",
		    p->age, p->deadline);
		later(g, p, jv_invalid(), msg, &out);
		return out;
	}
	if (!is_listed(g) && jv_get_kind(g->printed) != JV_KIND_OBJECT &&
	    jv_array_length(jv_copy(gens)) == 0) {
		/* Nothing listed and nothing yet: not available, as with 404. */
		jv_free(gens);
		snprintf(msg, sizeof(msg), "group %s has no generations %.0f s "
		    "after it was first seen (--deadline %g s)", id, p->age,
		    p->deadline);
		later(g, p, jv_invalid(), msg, &out);
		return out;
	}
	jv_array_foreach(gens, i, gen)
		take(g, gen, &out);
	settle(g, p, gens, &out);
	return out;
}

/*
 * A listing that ia_scan_listing() read: only the generations followed
 * that are final are parsed, each alone; the rest are running.  Only while
 * the group is waited on: what --once keeps and what the deadline gives up
 * take the whole tree, and so does a listing the scanner declines.
 */
struct ia_group_outcome
ia_group_feed_text(struct ia_group *g, const struct ia_group_poll *p,
    const char *text, size_t len, struct ia_scan_listing *l)
{
	struct ia_group_outcome	 out;
	const struct ia_scan_gen	*e;
	const char		*k;
	size_t			 i, klen;
	bool			 ok = p->status >= 200 && p->status <= 299;

	if (!ok || l == NULL || len > INT_MAX ||
	    ia_group_next(p->once, p->age, p->deadline) != IA_GROUP_WAIT ||
	    ia_scan_listing(l, text, len) != 1 || l->n == 0)
		return ia_group_feed(g, p, ok && len <= INT_MAX ?
		    jv_parse_sized(text, (int)len) : jv_invalid());
	out = outcome();
	for (i = 0; i < l->n; i++) {
		e = &l->gens[i];
		k = is_listed(g) ? e->custom_id : e->id;
		klen = is_listed(g) ? e->custom_id_len : e->id_len;
		if (!followed_bytes(g, k, klen))
			continue;
		if (e->final)
			take(g, jv_parse_sized(e->text, (int)e->len), &out);
		else
			note_running(&out, jv_string_sized(k, (int)klen));
	}
	settle(g, p, jv_invalid(), &out);
	return out;
}

/*
 * An id followed alone is fed the same way: its answer is the generation,
 * or 404 while it is not visible yet, which it may be for --grace, or up
 * to --deadline when that is sooner.  What ends it is an error record whose
 * request is the id's input record.
 */
struct ia_group_outcome
ia_group_feed_id(const char *id, const char *custom_id, long line,
    const struct ia_group_poll *p, jv answer)
{
	struct ia_group_outcome	 out = outcome();
	jv			 state, rec;
	char			 msg[512];
	double			 grace = p->grace < p->deadline ? p->grace : p->deadline;

	state = p->status >= 200 && p->status <= 299 &&
	    jv_get_kind(answer) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(answer), jv_string("state")) : jv_invalid();
	if (p->status == 404) {
		snprintf(msg, sizeof(msg), "generation %s not found %g s after it "
		    "was first seen", id, grace);
		out.verdict = ia_group_next(p->once, p->age, grace);
	} else if (p->status < 200 || p->status > 299) {
		snprintf(msg, sizeof(msg), "%s", p->error);
		out.verdict = IA_GROUP_GAVE_UP;
		if (passing(p->status)) {
			snprintf(msg, sizeof(msg), "%s (still so %.0f s after it was "
			    "first seen, --deadline %g s)", p->error, p->age,
			    p->deadline);
			out.verdict = ia_group_next(p->once, p->age, p->deadline);
		}
	} else if (jv_get_kind(state) != JV_KIND_STRING) {
		snprintf(msg, sizeof(msg), "the answer is not a generation (still "
		    "so %.0f s after it was first seen, --deadline %g s)", p->age,
		    p->deadline);
		out.verdict = ia_group_next(p->once, p->age, p->deadline);
	} else if (final(jv_copy(answer))) {
		out.print = jv_array_append(out.print, output(custom_id != NULL ?
		    jv_string(custom_id) : jv_invalid(), answer));
		answer = jv_invalid();
		out.verdict = IA_GROUP_DONE;
	} else {
		out.running = jv_array_append(out.running, jv_string(id));
		snprintf(msg, sizeof(msg), "deadline passed: still %s after %.0f s "
		    "(--deadline %g s)", jv_string_value(state), p->age, p->deadline);
		out.verdict = ia_group_next(p->once, p->age, p->deadline);
	}
	jv_free(state);
	jv_free(answer);
	if (out.verdict == IA_GROUP_KEPT) {
		rec = jv_object();
		if (custom_id != NULL)
			rec = jv_object_set(rec, jv_string("custom_id"),
			    jv_string(custom_id));
		out.pending = jv_array_append(out.pending, jv_object_set(rec,
		    jv_string("id"), jv_string(id)));
	} else if (out.verdict == IA_GROUP_GAVE_UP) {
		rec = jv_object_set(jv_object(), jv_string("id"), jv_string(id));
		if (custom_id != NULL)
			rec = jv_object_set(rec, jv_string("custom_id"),
			    jv_string(custom_id));
		out.errors = jv_array_append(out.errors, ia_record_error(custom_id,
		    "poll", p->status, msg, p->attempts, rec, line));
	}
	return out;
}
