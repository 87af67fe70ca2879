/*
 * ia-poll: follow generation ids and groups and print each generation the
 * moment it is Success or Failed, with its custom_id at the top.  Error
 * records and records it does not know pass through at once.  Input is read
 * while ids are being polled, so ia-submit | ia-poll overlaps.
 */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool/tool.h"

static const char synopsis[] =
    "ia-poll [-hqVv] [-j n] [--interval duration] [--max-interval duration]\n"
    "               [--deadline duration] [--grace duration] [--once]\n"
    "               [--pending file] [--base-url url] [--api-key-file file]\n"
    "               [--timeout duration] [--retries n]\n"
    "               [--rate rate] [--max-line bytes]\n"
    "               [file ...]";

static struct tool	 t;

static struct {
	struct ia_sched		 sched;
	struct ia_scan_listing	 listing;	/* scratch for each group's answer */
	double			 interval, max_interval, deadline;
	double			 grace;		/* a new id may answer 404 so long */
	bool			 once;
	const char		*pending_path;
	FILE			*pending;
	size_t			 npending;	/* ids and groups followed */
	size_t			 waiting;	/* generations they stand for */
	unsigned long		 kept;		/* records written to --pending */
	uint64_t		 rng;
} s = { .interval = 1, .max_interval = 30, .deadline = 72 * 3600.0, .grace = 60 };

static void
pend_free(struct ia_follow *f)
{
	s.waiting -= ia_follow_left(f);
	s.npending--;
	ia_follow_free(f);
}

/* The last look falls on the deadline, not an interval past it. */
static double
by_deadline(const struct ia_follow *f, double due)
{
	return due > f->first_seen + s.deadline ? f->first_seen + s.deadline : due;
}

static void
add(struct ia_follow *f, double due)
{
	if (ia_sched_add(&s.sched, due, f) == -1)
		err(IA_EXIT_USAGE, NULL);
}

static void
schedule(struct ia_follow *f, double now)
{
	double	 w, by, age = now - f->first_seen;

	w = ia_sched_next(&s.sched, age, s.interval, s.max_interval,
	    ia_rand_next(&s.rng), &by);
	ia_follow_aim(f, by >= 0 ? by - (age + w) : NAN, s.interval);
	add(f, by_deadline(f, now + w));
}

/*
 * A poll aimed at the end expected is aimed again when due: the run may
 * have seen longer work since it was scheduled (sched.c), and it is put
 * off to that, once, within its room.  Not more: while the longest work
 * ends later than any poll so far, the longest seen is only as long as
 * the oldest polls, and a poll that chased it would come just before
 * the end, where one on the bound sees it.  True: put off.
 */
static bool
put_off(struct ia_follow *f, double now)
{
	double	 w, r = ia_follow_room(f, s.interval), age = now - f->first_seen;

	if (isnan(r))
		return false;
	w = ia_sched_put_off(&s.sched, age, age + r);
	if (w <= 0 || by_deadline(f, now + w) <= now)
		return false;
	ia_follow_aim(f, NAN, s.interval);
	add(f, by_deadline(f, now + w));
	return true;
}

/*
 * An item that waits for its first poll is due again when what the run has
 * learned says it should be done (sched.c), sooner or later than it was
 * aimed before, when that or its old aim comes before --interval.  One
 * due on the bound keeps it, and its jitter; one put back on the bound
 * draws its jitter anew.
 */
static double
reaim(void *item, double due, void *arg)
{
	struct ia_follow	*f = item;
	double			 w, by;

	(void)arg;
	if (f->flags & IA_FOLLOW_POLLED)
		return due;
	w = ia_sched_next(&s.sched, 0, s.interval, s.max_interval,
	    ia_rand_next(&s.rng), &by);
	if (w < s.interval || due - f->first_seen < s.interval) {
		ia_follow_aim(f, by >= 0 ? by - w : NAN, s.interval);
		return by_deadline(f, f->first_seen + w);
	}
	return due;
}

/* Follow f (an id or a group) from now on; --once polls it at once. */
static void
track(struct ia_follow *f)
{
	f->first_seen = ia_time_now();
	s.npending++;
	s.waiting += ia_follow_left(f);
	if (s.once)
		add(f, f->first_seen);
	else
		schedule(f, f->first_seen);
}

/* An id, and the custom_id the input gave it when that is a string. */
static void
follow(const char *id, jv custom_id, long line)
{
	struct ia_follow	*f;

	if ((f = ia_follow_new(id, jv_get_kind(custom_id) == JV_KIND_STRING ?
	    jv_string_value(custom_id) : NULL, line)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	jv_free(custom_id);
	track(f);
}

/*
 * A group record, {"group_id", "custom_ids"}: follow the group.  A bad
 * record is an input error, as a bad line is.
 */
static void
follow_group(jv rec, const struct ia_line *l)
{
	struct ia_group		 g;
	struct ia_follow	*f;
	char			 why[256], msg[800], at[512];

	if (ia_group_init(&g, jv_copy(rec), l->lineno, why, sizeof(why)) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", ia_source_where(l->file,
		    l->lineno, at, sizeof(at)), why);
		tool_fail(&t, ia_record_error(NULL, "input", 0, msg, 0, rec,
		    l->lineno));
		return;
	}
	jv_free(rec);
	if ((f = ia_follow_new_group(&g, l->lineno)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	track(f);
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

/*
 * One input line: an id, an acknowledgement or a group record to follow;
 * anything else (error records, generations, what we do not know) passes
 * through at once, as it came.
 */
static void
on_line(const struct ia_line *l)
{
	jv	 v, id;
	char	*bare, msg[640], at[512];

	v = ia_record_parse(l->text, l->len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		if (bare_id(l->text, l->len)) {
			if ((bare = strndup(l->text, l->len)) == NULL)
				err(IA_EXIT_USAGE, NULL);
			follow(bare, jv_invalid(), l->lineno);
			free(bare);
			return;
		}
		snprintf(msg, sizeof(msg), "%s: not JSON, nor a generation id",
		    ia_source_where(l->file, l->lineno, at, sizeof(at)));
		tool_fail(&t, ia_record_error(NULL, "input", 0, msg, 0, jv_null(),
		    l->lineno));
		return;
	}
	if (jv_get_kind(v) == JV_KIND_STRING && bare_id(jv_string_value(v),
	    (size_t)jv_string_length_bytes(jv_copy(v)))) {
		follow(jv_string_value(v), jv_invalid(), l->lineno);
		jv_free(v);
		return;
	}
	switch (ia_record_kind(jv_copy(v))) {
	case IA_RECORD_GROUP:
		follow_group(v, l);
		return;
	case IA_RECORD_ACK:
		id = ia_record_field(jv_copy(v), "id");
		/* Followed as C strings: cut at a NUL, they would be others. */
		if (ia_record_has_nul(jv_copy(id)) ||
		    ia_record_has_nul(ia_record_field(jv_copy(v), "custom_id"))) {
			snprintf(msg, sizeof(msg), "%s: %s must not hold a NUL byte",
			    ia_source_where(l->file, l->lineno, at, sizeof(at)),
			    ia_record_has_nul(jv_copy(id)) ? "id" : "custom_id");
			jv_free(id);
			tool_fail(&t, ia_record_error(NULL, "input", 0, msg, 0, v,
			    l->lineno));
			return;
		}
		follow(jv_string_value(id), ia_record_field(v, "custom_id"),
		    l->lineno);
		jv_free(id);
		return;
	case IA_RECORD_ERROR:
		t.failed++;
		break;
	case IA_RECORD_GENERATION:
		if (ia_record_state(jv_copy(v)) == IA_STATE_FAILED)
			t.failed++;
		break;
	default:
		break;
	}
	jv_free(v);
	tool_put_raw(l->text, l->len);
}

static void
start_poll(struct ia_follow *f)
{
	struct ia_xfer	*x;
	char		*esc, *path;

	if ((esc = ia_http_escape(ia_follow_id(f))) == NULL ||
	    asprintf(&path, ia_follow_group(f) != NULL ?
	    "/v1/async/group/%s/generations" : "/v1/generation/%s", esc) == -1)
		err(IA_EXIT_USAGE, NULL);
	free(esc);
	if ((x = ia_http_xfer_new("GET", path, NULL)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	free(path);
	x->udata = f;
	f->flags |= IA_FOLLOW_POLLED;
	ia_http_submit(t.http, x);
}

/* --once: a record for the next run goes to --pending. */
static void
keep(jv rec)
{
	if (ia_record_write(s.pending, rec) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	s.kept++;
}

/*
 * A final generation, custom_id first, counted by its state; how long it
 * took aims the polls of the rest (lib/sched.c).
 */
static void
print(jv gen)
{
	double	 created, finished;
	size_t	 k = s.sched.learned;

	created = ia_time_parse(ia_record_field(jv_copy(gen), "createdAt"));
	finished = ia_time_parse(ia_record_field(jv_copy(gen), "finishedAt"));
	if (created >= 0 && finished >= created)
		ia_sched_learn(&s.sched, finished - created);
	/* At 8, 16, 32... durations seen, the first polls are aimed again. */
	k = s.sched.learned != k ? s.sched.learned : 0;
	if (!s.once && k >= 8 && (k & (k - 1)) == 0)
		ia_sched_reaim(&s.sched, reaim, NULL);
	if (ia_record_state(jv_copy(gen)) == IA_STATE_SUCCESS)
		t.done++;
	else
		t.failed++;
	tool_put(gen);
}

static void
fail(jv rec)
{
	tool_fail(&t, rec);
}

/* Call fn on each element of a (consumed); fn takes it over. */
static void
each(jv a, void (*fn)(jv))
{
	jv_array_foreach(a, i, v)
		fn(v);
	jv_free(a);
}

/*
 * A poll's answer, for an id or a group: lib/group.c says what it means,
 * and this writes it out: generations and error records to stdout, what
 * --once keeps to --pending; then f is polled again or let go.
 */
static void
on_done(struct ia_xfer *x)
{
	struct ia_follow	*f = x->udata;
	double			 now = ia_time_now();
	struct ia_group_poll	 poll = {
		.status = x->status, .error = x->error, .attempts = x->attempts,
		.age = now - f->first_seen, .deadline = s.deadline,
		.grace = s.grace, .once = s.once
	};
	struct ia_group_outcome	 out;
	size_t			 left = ia_follow_left(f);

	out = ia_follow_feed_text(f, &poll, x->resp.data ? x->resp.data : "",
	    x->resp.len, &s.listing);
	ia_http_xfer_free(x);
	s.waiting -= left - ia_follow_left(f);
	each(out.print, print);
	each(out.errors, fail);
	each(out.pending, keep);
	jv_free(out.running);
	jv_free(out.missing);
	if (out.verdict == IA_GROUP_WAIT)
		schedule(f, now);
	else
		pend_free(f);
}

/*
 * --pending is on the disk before ia-poll says it is done, so that a
 * script may rename it over the file it came from.
 */
static void
close_pending(void)
{
	if (fflush(s.pending) == EOF || fdatasync(fileno(s.pending)) == -1 ||
	    ia_record_close(s.pending) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	s.pending = NULL;
}

/*
 * A signal: stop polling.  What is still pending goes to --pending, else
 * stderr says how much was left and how to collect it; the generations
 * themselves go on (and are paid for) on the server either way.
 */
static void
stop(struct tool *tt)
{
	struct ia_xfer		*x;
	struct ia_follow	*f;
	size_t			 n = 0;

	/*
	 * Saved first, printed never: the reader downstream may be gone with
	 * the same Ctrl-C, and an answer not printed is asked for again.
	 */
	ia_http_cancel(tt->http);
	while ((x = ia_http_next_done(tt->http)) != NULL) {
		f = x->udata;
		ia_http_xfer_free(x);
		if (s.pending != NULL)
			keep(ia_follow_record(f));
		pend_free(f);
		n++;
	}
	while ((f = ia_sched_pop_due(&s.sched, INFINITY)) != NULL) {
		if (s.pending != NULL)
			keep(ia_follow_record(f));
		pend_free(f);
		n++;
	}
	ia_progress_done(&tt->progress, true);
	if (s.pending != NULL) {
		close_pending();
		warnx("stopped by a signal: %zu still pending, written to %s", n,
		    s.pending_path);
	} else if (n > 0)
		warnx("stopped by a signal: %zu ids and groups still pending were "
		    "not followed to the end; their generations go on: give ia-poll "
		    "the same input again (or --pending FILE) to collect them", n);
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

/* ia-poll's own options; the shared ones follow (tool.h). */
static const struct ia_option options[] = {
	{ O_INTERVAL, "interval", "duration", "the first wait, and the shortest "
	    "(default 1s)", false },
	{ O_MAX_INTERVAL, "max-interval", "duration", "the longest wait between "
	    "two polls (default 30s)", false },
	{ O_DEADLINE, "deadline", "duration", "give up on what is not final "
	    "by then (default 72h)", false },
	{ O_GRACE, "grace", "duration", "how long a new id may answer 404 "
	    "(default 60s)", false },
	{ O_ONCE, "once", NULL, "poll each once, the rest to --pending; "
	    "exit 3 if any", false },
	{ O_PENDING, "pending", "file", "on a signal or with --once, save "
	    "what is not final", false },
	{ 0 }
};

int
main(int argc, char *argv[])
{
	struct ia_follow	*f;
	double			 wait;
	int			 ch, timeout;

	tool_init(&t, "ia-poll", synopsis, options, TOOL_HTTP | TOOL_READ_BUSY, argv);
	while ((ch = tool_getopt(&t, argc, argv)) != -1) {
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
	if (s.once && s.pending_path == NULL)
		errx(IA_EXIT_USAGE, "--once needs --pending FILE");
	tool_setup(&t, argc - optind, argv + optind);
	if (s.pending_path != NULL && (s.pending = fopen(s.pending_path, "w")) == NULL)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	t.on_stop = stop;
	s.rng = ia_rand_seed();
	ia_sched_init(&s.sched);

	for (;;) {
		/* An id is read at once; its polls wait for room. */
		tool_read(&t, on_line);
		while (tool_room(&t) &&
		    (f = ia_sched_pop_due(&s.sched, ia_time_now())) != NULL)
			if (!put_off(f, ia_time_now()))
				start_poll(f);
		if (t.input_done && s.npending == 0)
			break;	/* no last wait on an idle poll */
		/* What is due without room waits for an answer, which wakes the turn. */
		wait = tool_room(&t) ? ia_sched_wait(&s.sched, ia_time_now()) : -1;
		timeout = wait < 0 || wait > 1 ? 1000 : (int)(wait * 1000) + 1;
		tool_turn(&t, timeout, on_done);
		tool_progress(&t, s.waiting);
	}
	ia_sched_free(&s.sched);
	ia_scan_free_listing(&s.listing);
	if (s.pending != NULL)
		close_pending();
	/* --once: 3 says "run me again", so that a cron loop can tell. */
	return s.once && s.kept > 0 ? (tool_finish(&t), IA_EXIT_PENDING) :
	    tool_finish(&t);
}
