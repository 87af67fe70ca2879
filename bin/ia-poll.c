/*
 * ia-poll: follow generation ids and groups and print each generation the
 * moment it is Success or Failed, with its custom_id at the top.  Error
 * records and records it does not know pass through at once.  Input is read
 * while ids are being polled, so ia-submit | ia-poll overlaps.
 */
#include <err.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* One id being followed: small, since there may be a million of them. */
struct pend {
	struct ia_sched_item	 sched;	/* first: the scheduler hands this back */
	char			*id;		/* a generation's, or a group's */
	char			*custom_id;	/* NULL: take it from the generation */
	double			 first_seen;
	long			 line;
	bool			 is_group;	/* this is the head of a struct group */
};

/*
 * A group being followed: the custom_ids its record listed, each printed
 * once; or, when it listed none, every generation the group has, told apart
 * by generation id.  One GET per poll covers all of them.
 */
struct group {
	struct pend	 p;		/* first; p.id is the group id */
	bool		 listed;	/* the record gave custom_ids */
	size_t		 n;		/* listed: custom_ids; else printed ids */
	size_t		 cap;
	char		**ids;		/* custom_ids, or generation ids printed */
	bool		*done;		/* listed: ids[i] is printed */
	size_t		 left;		/* listed: not printed yet */
	bool		 confirm;	/* all final, some missing: look once more */
};

static const char synopsis[] =
    "ia-poll [-hqVv] [-j n] [--interval duration] [--max-interval duration]\n"
    "               [--deadline duration] [--grace duration] [--once]\n"
    "               [--pending file] [--base-url url] [--api-key-file file]\n"
    "               [--timeout duration] [--retries n] [--max-line bytes]\n"
    "               [file ...]";

static struct tool	 t;

static struct {
	struct ia_sched		 sched;
	double			 interval, max_interval, deadline;
	double			 grace;		/* a new id may answer 404 so long */
	bool			 once;
	const char		*pending_path;
	const char		*file;		/* being read, for messages */
	FILE			*pending;
	size_t			 npending;	/* ids and groups followed */
	size_t			 waiting;	/* generations they stand for */
	uint64_t		 rng;
} s = { .interval = 1, .max_interval = 30, .deadline = 72 * 3600.0, .grace = 60 };

/* Where a line is, for messages (one at a time). */
static const char *
where(long line)
{
	static char	 buf[512];

	return ia_source_where(s.file, line, buf, sizeof(buf));
}

/* Free what p holds, whether or not it was ever followed. */
static void
pend_release(struct pend *p)
{
	struct group	*g = (struct group *)p;
	size_t		 i;

	if (p->is_group) {
		for (i = 0; i < g->n; i++)
			free(g->ids[i]);
		free(g->ids);
		free(g->done);
	}
	free(p->id);
	free(p->custom_id);
	free(p);
}

/* How many generations p still stands for, for the progress line. */
static size_t
waits_for(const struct pend *p)
{
	const struct group *g = (const struct group *)p;

	return p->is_group && g->listed ? g->left : 1;
}

static void
pend_free(struct pend *p)
{
	s.waiting -= waits_for(p);
	pend_release(p);
	s.npending--;
}

static void
schedule(struct pend *p, double now)
{
	p->sched.interval = ia_sched_backoff(p->sched.interval, s.interval,
	    s.max_interval, ia_rand_next(&s.rng));
	p->sched.due = now + p->sched.interval;
	/* The last look falls on the deadline, not an interval past it. */
	if (p->sched.due > p->first_seen + s.deadline)
		p->sched.due = p->first_seen + s.deadline;
	if (ia_sched_add(&s.sched, &p->sched) == -1)
		err(IA_EXIT_USAGE, NULL);
}

/* Follow p (an id or a group) from now on; --once polls it at once. */
static void
track(struct pend *p, long line)
{
	p->line = line;
	p->first_seen = ia_time_now();
	s.npending++;
	s.waiting += waits_for(p);
	if (s.once) {
		p->sched.due = p->first_seen;
		if (ia_sched_add(&s.sched, &p->sched) == -1)
			err(IA_EXIT_USAGE, NULL);
	} else
		schedule(p, p->first_seen);
}

static void
follow(const char *id, jv custom_id, long line)
{
	struct pend	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->id = strdup(id)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (jv_get_kind(custom_id) == JV_KIND_STRING &&
	    (p->custom_id = strdup(jv_string_value(custom_id))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	jv_free(custom_id);
	track(p, line);
}

/* Remember one more id in a group: a custom_id listed, or a generation printed. */
static void
group_add(struct group *g, const char *id)
{
	size_t	 cap;

	if (g->n == g->cap) {
		cap = g->cap ? g->cap * 2 : 8;
		if ((g->ids = reallocarray(g->ids, cap, sizeof(*g->ids))) == NULL ||
		    (g->listed && (g->done = reallocarray(g->done, cap,
		    sizeof(*g->done))) == NULL))
			err(IA_EXIT_USAGE, NULL);
		g->cap = cap;
	}
	if ((g->ids[g->n] = strdup(id)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (g->listed)
		g->done[g->n] = false;
	g->n++;
}

/* Where id is in the group's list, or -1. */
static long
group_find(const struct group *g, const char *id)
{
	size_t	 i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->ids[i], id) == 0)
			return (long)i;
	return -1;
}

/*
 * A group record, {"group_id", "custom_ids"}: follow the group, waiting for
 * each custom_id listed, or for every generation it has when none are.  A
 * bad record is an input error, as a bad line is.
 */
static void
follow_group(jv rec, long line)
{
	struct group	*g;
	struct ia_ids	 seen;
	jv		 gid, ids;
	char		 why[256] = "", msg[800];
	int		 i, n, added;

	ia_ids_init(&seen);
	gid = jv_object_get(jv_copy(rec), jv_string("group_id"));
	ids = jv_object_get(jv_copy(rec), jv_string("custom_ids"));
	if (jv_get_kind(gid) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(gid)) == 0)
		snprintf(why, sizeof(why), "group_id must be a non-empty string");
	else if (jv_is_valid(ids) && jv_get_kind(ids) != JV_KIND_NULL &&
	    jv_get_kind(ids) != JV_KIND_ARRAY)
		snprintf(why, sizeof(why), "custom_ids must be an array of strings");
	if ((g = calloc(1, sizeof(*g))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	g->p.is_group = true;
	/* An empty list waits for nothing: follow the whole group instead. */
	g->listed = jv_get_kind(ids) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(ids)) > 0;
	n = g->listed ? jv_array_length(jv_copy(ids)) : 0;
	for (i = 0; i < n && why[0] == '\0'; i++) {
		jv	 id = jv_array_get(jv_copy(ids), i);

		if (jv_get_kind(id) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(id)) == 0)
			snprintf(why, sizeof(why), "custom_ids must be an array of "
			    "non-empty strings");
		else if ((added = ia_ids_add(&seen, jv_string_value(id))) == 0)
			snprintf(why, sizeof(why), "custom_ids lists \"%.200s\" twice",
			    jv_string_value(id));
		else if (added == -1)
			err(IA_EXIT_USAGE, NULL);
		else
			group_add(g, jv_string_value(id));
		jv_free(id);
	}
	jv_free(ids);
	if (why[0] != '\0') {
		ia_ids_free(&seen);
		pend_release(&g->p);
		jv_free(gid);
		t.failed++;
		snprintf(msg, sizeof(msg), "%s: %s", where(line), why);
		tool_put(ia_record_error(NULL, "input", 0, msg, 0, rec, line));
		return;
	}
	ia_ids_free(&seen);
	jv_free(rec);
	g->left = g->n;
	if ((g->p.id = strdup(jv_string_value(gid))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	jv_free(gid);
	track(&g->p, line);
}

/* A bare id: letters, digits, '-' and '_' (what the API gives out), or more. */
static bool
bare_id(const char *t, size_t len)
{
	size_t	 i;

	if (len == 0 || len > 256)
		return false;
	for (i = 0; i < len; i++)
		if (t[i] <= ' ' || t[i] == '"' || t[i] == '{' || t[i] == '[' ||
		    (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

/* One input line: an id to follow, or a record that passes through. */
static void
on_line(const char *text, size_t len, long line)
{
	jv	 v, id, state;
	char	*bare, msg[640];

	v = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (bare_id(text, len)) {
			if ((bare = strndup(text, len)) == NULL)
				err(IA_EXIT_USAGE, NULL);
			follow(bare, jv_invalid(), line);
			free(bare);
			return;
		}
		t.failed++;
		snprintf(msg, sizeof(msg), "%s: not JSON, nor a generation id",
		    where(line));
		tool_put(ia_record_error(NULL, "input", 0, msg, 0, jv_null(), line));
		return;
	}
	if (jv_get_kind(v) == JV_KIND_STRING && bare_id(jv_string_value(v),
	    (size_t)jv_string_length_bytes(jv_copy(v)))) {
		follow(jv_string_value(v), jv_invalid(), line);
		jv_free(v);
		return;
	}
	if (jv_get_kind(v) == JV_KIND_OBJECT && !ia_record_is_error(jv_copy(v)) &&
	    !jv_object_has(jv_copy(v), jv_string("state"))) {
		if (jv_object_has(jv_copy(v), jv_string("group_id"))) {
			follow_group(v, line);
			return;
		}
		id = jv_object_get(jv_copy(v), jv_string("id"));
		if (jv_get_kind(id) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(id)) > 0) {
			follow(jv_string_value(id), jv_object_get(jv_copy(v),
			    jv_string("custom_id")), line);
			jv_free(id);
			jv_free(v);
			return;
		}
		jv_free(id);
	}
	/* Error records, generations and what we do not know: untouched, at once. */
	if (ia_record_is_error(jv_copy(v)))
		t.failed++;
	else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		state = jv_object_get(jv_copy(v), jv_string("state"));
		if (jv_get_kind(state) == JV_KIND_STRING &&
		    strcmp(jv_string_value(state), "Failed") == 0)
			t.failed++;
		jv_free(state);
	}
	tool_put_raw(text, len);
	jv_free(v);
}

static void
on_input(const struct ia_line *line)
{
	s.file = line->file;
	on_line(line->text, line->len, line->lineno);
}

static void
start_poll(struct pend *p)
{
	struct ia_xfer	*x;
	char		*esc, *path;

	if ((esc = ia_http_escape(p->id)) == NULL || asprintf(&path, p->is_group ?
	    "/v1/async/group/%s/generations" : "/v1/generation/%s", esc) == -1)
		err(IA_EXIT_USAGE, NULL);
	free(esc);
	if ((x = ia_http_xfer_new("GET", path, NULL)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	free(path);
	x->udata = p;
	ia_http_submit(t.http, x);
}

static void
give_up(struct pend *p, long status, const char *msg, int attempts)
{
	jv	 req = jv_object_set(jv_object(), jv_string("id"), jv_string(p->id));

	if (p->custom_id != NULL)
		req = jv_object_set(req, jv_string("custom_id"), jv_string(p->custom_id));
	t.failed++;
	tool_put(ia_record_error(p->custom_id, "poll", status, msg, attempts, req, p->line));
	pend_free(p);
}

/* --once: what is still running goes to --pending, as an input record. */
static void
keep_pending(struct pend *p)
{
	jv	 rec = jv_object();

	if (p->custom_id != NULL)
		rec = jv_object_set(rec, jv_string("custom_id"), jv_string(p->custom_id));
	rec = jv_object_set(rec, jv_string("id"), jv_string(p->id));
	if (ia_record_write(s.pending, rec) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	pend_free(p);
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

/* "Success" or "Failed": the generation is final. */
static bool
final(const char *state)
{
	return strcmp(state, "Success") == 0 || strcmp(state, "Failed") == 0;
}

/* A final generation: print it with its custom_id (or null) first. */
static void
print_generation(jv cid, jv gen, const char *state)
{
	jv	 out = jv_object();

	out = jv_object_set(out, jv_string("custom_id"), jv_is_valid(cid) ? cid :
	    (jv_free(cid), jv_null()));
	jv_object_foreach(gen, k, v) {
		if (strcmp(jv_string_value(k), "custom_id") == 0) {
			jv_free(k);
			jv_free(v);
			continue;
		}
		out = jv_object_set(out, k, v);
	}
	jv_free(gen);
	if (strcmp(state, "Success") == 0)
		t.done++;
	else
		t.failed++;
	tool_put(out);
}

static void
print_final(struct pend *p, jv gen, const char *state)
{
	print_generation(p->custom_id != NULL ? jv_string(p->custom_id) :
	    gen_custom_id(jv_copy(gen)), gen, state);
	pend_free(p);
}

/* The id of a generation of a listing that is not final, else jv_invalid(). */
static jv
running_id(jv gen)
{
	jv	 st, id;

	if (jv_get_kind(gen) != JV_KIND_OBJECT) {
		jv_free(gen);
		return jv_invalid();
	}
	st = jv_object_get(jv_copy(gen), jv_string("state"));
	id = jv_object_get(gen, jv_string("id"));
	if (jv_get_kind(id) != JV_KIND_STRING ||
	    (jv_get_kind(st) == JV_KIND_STRING && final(jv_string_value(st)))) {
		jv_free(id);
		id = jv_invalid();
	}
	jv_free(st);
	return id;
}

/*
 * A group ends without some of its generations: an error record (stage
 * poll) for each listed custom_id not printed, else for each generation
 * still running in gens, else (nothing known) for the group.  The request
 * of each is an input record that ia-poll can follow again.
 */
static void
group_give_up(struct group *g, jv gens, long status, const char *msg, int attempts)
{
	jv	 req;
	size_t	 i;
	bool	 any = false;

	if (g->listed) {
		for (i = 0; i < g->n; i++) {
			if (g->done[i])
				continue;
			req = jv_object_set(jv_object(), jv_string("group_id"),
			    jv_string(g->p.id));
			req = jv_object_set(req, jv_string("custom_ids"),
			    JV_ARRAY(jv_string(g->ids[i])));
			t.failed++;
			tool_put(ia_record_error(g->ids[i], "poll", status, msg, attempts, req,
			    g->p.line));
		}
		goto out;
	}
	if (jv_get_kind(gens) == JV_KIND_ARRAY) {
		jv_array_foreach(gens, k, gen) {
			jv	 id, cid;

			id = running_id(jv_copy(gen));
			if (!jv_is_valid(id) || group_find(g, jv_string_value(id)) != -1) {
				jv_free(id);
				jv_free(gen);
				continue;
			}
			cid = gen_custom_id(gen);
			req = jv_object_set(jv_object(), jv_string("id"), jv_copy(id));
			if (jv_get_kind(cid) == JV_KIND_STRING)
				req = jv_object_set(req, jv_string("custom_id"), jv_copy(cid));
			t.failed++;
			tool_put(ia_record_error(jv_get_kind(cid) == JV_KIND_STRING ?
			    jv_string_value(cid) : NULL, "poll", status, msg, attempts,
			    req, g->p.line));
			jv_free(cid);
			jv_free(id);
			any = true;
		}
	}
	if (!any && jv_get_kind(gens) != JV_KIND_ARRAY) {
		t.failed++;
		tool_put(ia_record_error(NULL, "poll", status, msg, attempts,
		    jv_object_set(jv_object(), jv_string("group_id"),
		    jv_string(g->p.id)), g->p.line));
	}
out:
	jv_free(gens);
	pend_free(&g->p);
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
 * --once: a group not yet complete goes to --pending with the custom_ids
 * still to come, so the next run prints none twice.  A group that listed
 * none is written as it came while nothing is known of it; once its
 * generations are known, those still running are listed by custom_id, or
 * written as {"custom_id", "id"} records when they carry none or share
 * one with another generation of the group.
 */
static void
group_keep(struct group *g, jv gens)
{
	jv	 rec, ids = jv_array(), cid, one, seen = jv_object();
	size_t	 i;

	rec = jv_object_set(jv_object(), jv_string("group_id"), jv_string(g->p.id));
	if (g->listed) {
		for (i = 0; i < g->n; i++)
			if (!g->done[i])
				ids = jv_array_append(ids, jv_string(g->ids[i]));
	} else if (jv_get_kind(gens) == JV_KIND_ARRAY) {
		/* A custom_id that several generations share cannot stand for one. */
		jv_array_foreach(gens, k, gen) {
			cid = gen_custom_id(gen);
			if (jv_get_kind(cid) == JV_KIND_STRING)
				seen = jv_object_set(seen, jv_copy(cid),
				    jv_number(count_of(jv_copy(seen), jv_copy(cid)) + 1));
			jv_free(cid);
		}
		jv_array_foreach(gens, k, gen) {
			jv	 id;

			id = running_id(jv_copy(gen));
			if (!jv_is_valid(id)) {
				jv_free(id);
				jv_free(gen);
				continue;
			}
			cid = gen_custom_id(gen);
			if (jv_get_kind(cid) == JV_KIND_STRING &&
			    count_of(jv_copy(seen), jv_copy(cid)) == 1) {
				ids = jv_array_append(ids, cid);
				jv_free(id);
			} else {
				/* Followed as a generation of its own. */
				one = jv_object();
				if (jv_get_kind(cid) == JV_KIND_STRING)
					one = jv_object_set(one, jv_string("custom_id"), cid);
				else
					jv_free(cid);
				if (ia_record_write(s.pending, jv_object_set(one,
				    jv_string("id"), id)) == -1)
					err(IA_EXIT_USAGE, "%s", s.pending_path);
			}
		}
	} else {
		jv_free(ids);
		ids = jv_invalid();
	}
	if (jv_is_valid(ids) && (g->listed || jv_array_length(jv_copy(ids)) > 0))
		rec = jv_object_set(rec, jv_string("custom_ids"), ids);
	else if (jv_is_valid(ids)) {
		jv_free(ids);
		jv_free(rec);
		rec = jv_invalid();
	}
	if (jv_is_valid(rec) && ia_record_write(s.pending, rec) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	jv_free(seen);
	jv_free(gens);
	pend_free(&g->p);
}

/*
 * One generation of a group's answer: print it if it is final and not
 * printed yet.  Returns whether it is one still to wait for.
 */
static bool
group_take(struct group *g, jv gen)
{
	jv	 st, id, cid;
	long	 i;
	bool	 wait = false;

	if (jv_get_kind(gen) != JV_KIND_OBJECT) {
		jv_free(gen);
		return false;
	}
	st = jv_object_get(jv_copy(gen), jv_string("state"));
	if (jv_get_kind(st) != JV_KIND_STRING) {
		jv_free(st);
		st = jv_string("");
	}
	if (g->listed) {
		cid = gen_custom_id(jv_copy(gen));
		if (jv_get_kind(cid) != JV_KIND_STRING ||
		    (i = group_find(g, jv_string_value(cid))) == -1 || g->done[i]) {
			/* Not ours to wait for: not listed, or printed already. */
			jv_free(cid);
			jv_free(gen);
		} else if (!final(jv_string_value(st))) {
			wait = true;
			jv_free(cid);
			jv_free(gen);
		} else {
			g->done[i] = true;
			g->left--;
			s.waiting--;
			print_generation(cid, gen, jv_string_value(st));
		}
	} else {
		id = jv_object_get(jv_copy(gen), jv_string("id"));
		if (jv_get_kind(id) != JV_KIND_STRING ||
		    group_find(g, jv_string_value(id)) != -1)
			jv_free(gen);
		else if (!final(jv_string_value(st))) {
			wait = true;
			jv_free(gen);
		} else {
			group_add(g, jv_string_value(id));
			print_generation(gen_custom_id(jv_copy(gen)), gen,
			    jv_string_value(st));
		}
		jv_free(id);
	}
	jv_free(st);
	return wait;
}

/*
 * A group's answer: 404 until it is available, then its generations.  It is
 * complete when none is still running; a listed custom_id the server never
 * returned then gets one more look (a listing may lag) before it becomes an
 * error record.
 */
static void
group_done(struct ia_xfer *x)
{
	struct group	*g = x->udata;
	double		 now = ia_time_now(), age = now - g->p.first_seen;
	jv		 ans, gens;
	char		 msg[512];
	bool		 running = false;

	if (x->status == 404) {
		if (s.once)
			group_keep(g, jv_invalid());
		else if (age < s.deadline)
			schedule(&g->p, now);
		else {
			snprintf(msg, sizeof(msg), "group %s not available %.0f s after "
			    "it was first seen (--deadline %g s)", g->p.id, age, s.deadline);
			group_give_up(g, jv_invalid(), x->status, msg, x->attempts);
		}
		return;
	}
	if (x->status < 200 || x->status > 299) {
		group_give_up(g, jv_invalid(), x->status, x->error, x->attempts);
		return;
	}
	ans = jv_parse_sized(x->resp.data ? x->resp.data : "", (int)x->resp.len);
	gens = jv_get_kind(ans) == JV_KIND_OBJECT ?
	    jv_object_get(ans, jv_string("generations")) : (jv_free(ans), jv_invalid());
	if (jv_get_kind(gens) != JV_KIND_ARRAY) {
		jv_free(gens);
		group_give_up(g, jv_invalid(), x->status, "the answer is not a group's "
		    "generations", x->attempts);
		return;
	}
	if (!g->listed && g->n == 0 && jv_array_length(jv_copy(gens)) == 0) {
		/* Nothing listed and nothing yet: not available, as with 404. */
		jv_free(gens);
		if (s.once)
			group_keep(g, jv_invalid());
		else if (age < s.deadline)
			schedule(&g->p, now);
		else {
			snprintf(msg, sizeof(msg), "group %s has no generations %.0f s "
			    "after it was first seen (--deadline %g s)", g->p.id, age,
			    s.deadline);
			group_give_up(g, jv_invalid(), x->status, msg, x->attempts);
		}
		return;
	}
	jv_array_foreach(gens, i, gen)
		if (group_take(g, gen))
			running = true;
	if (!running && (!g->listed || g->left == 0)) {
		jv_free(gens);
		pend_free(&g->p);
	} else if (!running) {
		if (!s.once && !g->confirm) {
			g->confirm = true;
			schedule(&g->p, now);
			jv_free(gens);
		} else {
			snprintf(msg, sizeof(msg), "group %s is complete but has no "
			    "generation for this custom_id", g->p.id);
			group_give_up(g, gens, x->status, msg, x->attempts);
		}
	} else if (s.once)
		group_keep(g, gens);
	else if (age >= s.deadline) {
		snprintf(msg, sizeof(msg), "deadline passed: group %s still running "
		    "after %.0f s (--deadline %g s)", g->p.id, age, s.deadline);
		group_give_up(g, gens, x->status, msg, x->attempts);
	} else {
		g->confirm = false;
		schedule(&g->p, now);
		jv_free(gens);
	}
}

static void
on_done(struct ia_xfer *x)
{
	struct pend	*p = x->udata;
	double		 now = ia_time_now();
	jv		 gen, state;
	char		 msg[512];

	if (p->is_group) {
		group_done(x);
		ia_http_xfer_free(x);
		return;
	}
	if (x->status == 404 && (s.once || now - p->first_seen < s.grace)) {
		if (s.once)
			keep_pending(p);
		else
			schedule(p, now);
		goto out;
	}
	if (x->status < 200 || x->status > 299) {
		if (x->status == 404)
			snprintf(msg, sizeof(msg), "generation %s not found %g s after "
			    "it was first seen", p->id, s.grace);
		else
			snprintf(msg, sizeof(msg), "%s", x->error);
		give_up(p, x->status, msg, x->attempts);
		goto out;
	}
	gen = jv_parse_sized(x->resp.data ? x->resp.data : "", (int)x->resp.len);
	state = jv_get_kind(gen) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(gen), jv_string("state")) : jv_invalid();
	if (jv_get_kind(state) != JV_KIND_STRING) {
		jv_free(state);
		jv_free(gen);
		give_up(p, x->status, "the answer is not a generation", x->attempts);
		goto out;
	}
	if (strcmp(jv_string_value(state), "Success") == 0 ||
	    strcmp(jv_string_value(state), "Failed") == 0) {
		print_final(p, gen, jv_string_value(state));
		jv_free(state);
		goto out;
	}
	if (s.once)
		keep_pending(p);
	else if (now - p->first_seen >= s.deadline) {
		snprintf(msg, sizeof(msg), "deadline passed: still %s after %.0f s "
		    "(--deadline %g s)", jv_string_value(state), now - p->first_seen,
		    s.deadline);
		give_up(p, x->status, msg, x->attempts);
	} else
		schedule(p, now);
	jv_free(state);
	jv_free(gen);
out:
	ia_http_xfer_free(x);
}

static double
duration(const char *arg, const char *name)
{
	double	 d;

	if (ia_duration_parse(arg, &d) == -1 || d <= 0)
		errx(IA_EXIT_USAGE, "%s: %s: not a duration (seconds, or with a unit: "
		    "500ms, 2m, 72h)", name, arg);
	return d;
}

enum {
	O_INTERVAL = 256, O_MAX_INTERVAL, O_DEADLINE, O_GRACE, O_ONCE, O_PENDING
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "interval",		required_argument,	NULL,	O_INTERVAL },
		{ "max-interval",	required_argument,	NULL,	O_MAX_INTERVAL },
		{ "deadline",		required_argument,	NULL,	O_DEADLINE },
		{ "grace",		required_argument,	NULL,	O_GRACE },
		{ "once",		no_argument,		NULL,	O_ONCE },
		{ "pending",		required_argument,	NULL,	O_PENDING },
		IA_CONFIG_LONGOPTS,
		{ NULL,			0,			NULL,	0 }
	};
	struct ia_sched_item	*it;
	double			 wait;
	int			 ch, timeout;

	tool_init(&t, "ia-poll", synopsis, TOOL_HTTP, argv);
	while ((ch = getopt_long(argc, argv, IA_CONFIG_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case O_INTERVAL:
			s.interval = duration(optarg, "--interval");
			break;
		case O_MAX_INTERVAL:
			s.max_interval = duration(optarg, "--max-interval");
			break;
		case O_DEADLINE:
			s.deadline = duration(optarg, "--deadline");
			break;
		case O_GRACE:
			s.grace = duration(optarg, "--grace");
			break;
		case O_ONCE:
			s.once = true;
			break;
		case O_PENDING:
			s.pending_path = optarg;
			break;
		default:
			tool_option(&t, ch, optarg);
		}
	}
	if (s.max_interval < s.interval)
		s.max_interval = s.interval;
	if (s.once != (s.pending_path != NULL))
		errx(IA_EXIT_USAGE, "--once and --pending go together");
	tool_setup(&t, argc - optind, argv + optind);
	if (s.once && (s.pending = fopen(s.pending_path, "w")) == NULL)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	s.rng = ia_rand_seed();
	ia_sched_init(&s.sched);

	for (;;) {
		/* Input is not work in flight: read it only while polls have room. */
		tool_read(&t, on_input);
		while (tool_room(&t) &&
		    (it = ia_sched_pop_due(&s.sched, ia_time_now())) != NULL)
			start_poll((struct pend *)it);
		if (t.input_done && s.npending == 0)
			break;	/* no last wait on an idle poll */
		wait = ia_sched_wait(&s.sched, ia_time_now());
		timeout = wait < 0 || wait > 1 ? 1000 : (int)(wait * 1000) + 1;
		tool_turn(&t, timeout, on_done);
		ia_progress_update(&t.progress, t.done, t.failed, s.waiting, false);
	}
	ia_sched_free(&s.sched);
	if (s.pending != NULL && ia_record_close(s.pending) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	return tool_finish(&t);

}
