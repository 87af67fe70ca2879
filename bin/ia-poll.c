/*
 * ia-poll: follow generation ids and groups and print each generation the
 * moment it is Success or Failed, with its custom_id at the top.  Error
 * records and records it does not know pass through at once.  Input is read
 * while ids are being polled, so ia-submit | ia-poll overlaps.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

/* One id being followed: small, since there may be a million of them. */
struct pend {
	struct ia_sched_item	 sched;	/* first: the scheduler hands this back */
	char			*id;		/* a generation's, or a group's */
	char			*custom_id;	/* NULL: take it from the generation */
	double			 first_seen;
	long			 line;
	bool			 is_group;	/* this is the head of a struct group */
};

/* A group being followed: lib/group.c says what each listing of it means. */
struct group {
	struct pend	 p;		/* first; p.id is the group id */
	struct ia_group	 g;
};

static struct {
	struct ia_config	 cfg;
	struct ia_http		*http;
	struct ia_sched		 sched;
	struct ia_progress	 progress;
	double			 interval, max_interval, deadline;
	double			 grace;		/* a new id may answer 404 so long */
	bool			 once;
	const char		*pending_path;
	const char		*file;		/* being read, for messages */
	FILE			*pending;
	size_t			 npending;	/* ids and groups followed */
	size_t			 waiting;	/* generations they stand for */
	unsigned long		 done, failed;
	uint64_t		 rng;
} s = { .interval = 1, .max_interval = 30, .deadline = 72 * 3600.0, .grace = 60 };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ia-poll [-hqVv] [-j n] [--interval duration] [--max-interval duration]\n"
	    "               [--deadline duration] [--grace duration] [--once]\n"
	    "               [--pending file] [--base-url url] [--api-key-file file]\n"
	    "               [--timeout duration] [--retries n] [--max-line bytes]\n"
	    "               [file ...]\n");
	exit(status);
}

/* Where a line is, for messages (one at a time). */
static const char *
where(long line)
{
	static char	 buf[512];

	return ia_where(s.file, line, buf, sizeof(buf));
}

static double
jitter(void)
{
	s.rng ^= s.rng >> 12;
	s.rng ^= s.rng << 25;
	s.rng ^= s.rng >> 27;
	return (double)((s.rng * 0x2545f4914f6cdd1dULL) >> 11) * 0x1.0p-53;
}

static void
put(jv record)
{
	if (ia_record_write(stdout, record) == -1) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		err(IA_EXIT_USAGE, "stdout");
	}
}

/* A record passed through: the line as it came, not re-encoded. */
static void
put_raw(const char *text, size_t len)
{
	clearerr(stdout);
	if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF ||
	    fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		err(IA_EXIT_USAGE, "stdout");
	}
}

/* How many generations p still stands for, for the progress line. */
static size_t
waits_for(const struct pend *p)
{
	return p->is_group ? ia_group_left(&((const struct group *)p)->g) : 1;
}

static void
pend_free(struct pend *p)
{
	s.waiting -= waits_for(p);
	s.npending--;
	if (p->is_group)
		ia_group_free(&((struct group *)p)->g);
	free(p->id);
	free(p->custom_id);
	free(p);
}

static void
schedule(struct pend *p, double now)
{
	p->sched.interval = ia_poll_backoff(p->sched.interval, s.interval,
	    s.max_interval, jitter());
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
	p->first_seen = ia_now();
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

/*
 * A group record, {"group_id", "custom_ids"}: follow the group.  A bad
 * record is an input error, as a bad line is.
 */
static void
follow_group(jv rec, long line)
{
	struct group	*g;
	char		 why[256], msg[800];

	if ((g = calloc(1, sizeof(*g))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (ia_group_init(&g->g, jv_copy(rec), line, why, sizeof(why)) == -1) {
		free(g);
		s.failed++;
		snprintf(msg, sizeof(msg), "%s: %s", where(line), why);
		put(ia_record_error(NULL, "input", 0, msg, 0, rec, line));
		return;
	}
	jv_free(rec);
	g->p.is_group = true;
	if ((g->p.id = strdup(jv_string_value(g->g.id))) == NULL)
		err(IA_EXIT_USAGE, NULL);
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
		s.failed++;
		snprintf(msg, sizeof(msg), "%s: not JSON, nor a generation id",
		    where(line));
		put(ia_record_error(NULL, "input", 0, msg, 0, jv_null(), line));
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
		s.failed++;
	else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		state = jv_object_get(jv_copy(v), jv_string("state"));
		if (jv_get_kind(state) == JV_KIND_STRING &&
		    strcmp(jv_string_value(state), "Failed") == 0)
			s.failed++;
		jv_free(state);
	}
	put_raw(text, len);
	jv_free(v);
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
	if ((x = ia_xfer_new("GET", path, NULL)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	free(path);
	x->udata = p;
	ia_http_submit(s.http, x);
}

/* --once: a record for the next run goes to --pending. */
static void
keep(jv rec)
{
	if (ia_record_write(s.pending, rec) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
}

/* A final generation, custom_id first, counted by its state. */
static void
print(jv gen)
{
	jv	 st = jv_object_get(jv_copy(gen), jv_string("state"));

	if (jv_get_kind(st) == JV_KIND_STRING &&
	    strcmp(jv_string_value(st), "Success") == 0)
		s.done++;
	else
		s.failed++;
	jv_free(st);
	put(gen);
}

static void
fail(jv rec)
{
	s.failed++;
	put(rec);
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
 * --once keeps to --pending; then p is polled again or let go.
 */
static void
on_done(struct ia_xfer *x)
{
	struct pend		*p = x->udata;
	double			 now = ia_now();
	struct ia_group_poll	 poll = {
		.status = x->status, .error = x->error, .attempts = x->attempts,
		.age = now - p->first_seen, .deadline = s.deadline,
		.grace = s.grace, .once = s.once
	};
	struct ia_group_outcome	 out;
	size_t			 left = waits_for(p);
	jv			 body = jv_invalid();

	if (x->status >= 200 && x->status <= 299)
		body = jv_parse_sized(x->resp.data ? x->resp.data : "",
		    (int)x->resp.len);
	if (p->is_group)
		out = ia_group_feed(&((struct group *)p)->g, &poll, body);
	else
		out = ia_group_feed_id(p->id, p->custom_id, p->line, &poll, body);
	ia_xfer_free(x);
	s.waiting -= left - waits_for(p);
	each(out.print, print);
	each(out.errors, fail);
	each(out.pending, keep);
	jv_free(out.running);
	jv_free(out.missing);
	if (out.verdict == IA_GROUP_WAIT)
		schedule(p, now);
	else
		pend_free(p);
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
	struct ia_source	 src;
	struct ia_line		 line;
	struct ia_xfer		*x;
	struct ia_sched_item	*it;
	enum ia_line_status	 st;
	char			 msg[1024];
	double			 wait;
	bool			 input_done = false, want;
	int			 ch, rc, timeout;

	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&s.cfg);
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
		case 'h':
			usage(IA_EXIT_OK);
		case 'V':
			printf("ia-poll %s\n", IA_VERSION);
			return IA_EXIT_OK;
		default:
			if ((rc = ia_config_option(&s.cfg, ch, optarg, msg, sizeof(msg))) == -1)
				errx(IA_EXIT_USAGE, "%s", msg);
			if (rc == 0)
				usage(IA_EXIT_USAGE);
		}
	}
	if (s.max_interval < s.interval)
		s.max_interval = s.interval;
	if (s.once != (s.pending_path != NULL))
		errx(IA_EXIT_USAGE, "--once and --pending go together");
	if (ia_config_finish(&s.cfg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (ia_source_init(&src, argv + optind, argc - optind, s.cfg.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (s.once && (s.pending = fopen(s.pending_path, "w")) == NULL)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	if ((s.http = ia_http_new(&s.cfg, s.cfg.verbose ? stderr : NULL, msg,
	    sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	s.rng = (uint64_t)getpid() << 32 ^ (uint64_t)(ia_now() * 1e6) ^ 0x9e3779b97f4a7c15ULL;
	ia_sched_init(&s.sched);
	ia_progress_init(&s.progress, stderr, !s.cfg.quiet && !s.cfg.verbose);

	while (!input_done || s.npending > 0) {
		/* Input is not work in flight: read it only while polls have room. */
		while (!input_done && ia_http_has_room(s.http)) {
			st = ia_source_next(&src, &line);
			if (st == IA_LINE_NONE)
				break;
			if (st == IA_LINE_EOF) {
				input_done = true;
				break;
			}
			s.file = ia_source_name(&src);
			if (st == IA_LINE_TOO_LONG) {
				s.failed++;
				put(ia_input_too_long(s.file, line.lineno,
				    s.cfg.max_line));
			} else
				on_line(line.text, line.len, line.lineno);
		}
		while (ia_http_has_room(s.http) &&
		    (it = ia_sched_pop_due(&s.sched, ia_now())) != NULL)
			start_poll((struct pend *)it);
		if (input_done && s.npending == 0)
			break;	/* no last wait on an idle poll */
		want = !input_done && ia_http_has_room(s.http);
		wait = ia_sched_wait(&s.sched, ia_now());
		timeout = wait < 0 || wait > 1 ? 1000 : (int)(wait * 1000) + 1;
		if (ia_source_wait(&src, s.http, want, timeout, msg, sizeof(msg)) == -1)
			errx(IA_EXIT_USAGE, "%s", msg);
		while ((x = ia_http_next_done(s.http)) != NULL)
			on_done(x);
		ia_progress_update(&s.progress, s.done, s.failed, s.waiting, false);
	}
	ia_progress_done(&s.progress);
	ia_source_free(&src);
	ia_sched_free(&s.sched);
	ia_http_free(s.http);
	ia_config_free(&s.cfg);
	if (s.pending != NULL && ia_record_close(s.pending) == -1)
		err(IA_EXIT_USAGE, "%s", s.pending_path);
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	return s.failed > 0 ? IA_EXIT_FAILED : IA_EXIT_OK;
}
