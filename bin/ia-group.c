/*
 * ia-group: pack consecutive requests into groups of up to 50, one kind of
 * completion per group, POST each group to the async API, -j groups at a
 * time, and print {"group_id", "custom_ids"} for each group acknowledged, or
 * one error record per request of a group that failed for good.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

#define MAX_GROUP	50	/* the API's limit */

/* A group being filled, then in flight: its requests in the order sent. */
struct group {
	enum ia_kind	 kind;
	int		 n;
	char		*custom_ids[MAX_GROUP];
	jv		 requests[MAX_GROUP];
	long		 lines[MAX_GROUP];
};

static struct {
	struct ia_config	 cfg;
	struct ia_input		 in;
	struct ia_http		*http;
	struct ia_progress	 progress;
	struct group		*cur;		/* being filled, or NULL */
	double			 last_add;	/* when cur last grew */
	double			 linger;	/* seconds */
	int			 size;		/* -n */
	bool			 dry_run;
	unsigned long		 done, failed;	/* requests */
	size_t			 inflight;	/* requests in groups sent */
} s = { .linger = 1.0, .size = MAX_GROUP };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ia-group [-hqtVv] [-e filter] [-j n] [-m model] [-n size]\n"
	    "                [--linger ms] [--system text] [--webhook-id id]\n"
	    "                [--dry-run] [--skip-done file] [--base-url url]\n"
	    "                [--api-key-file file] [--timeout duration] [--retries n]\n"
	    "                [--max-line bytes] [file ...]\n");
	exit(status);
}

/* Write a record; a reader that went away ends us as it would end cat(1). */
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

static void
group_free(struct group *g)
{
	int	 i;

	for (i = 0; i < g->n; i++) {
		free(g->custom_ids[i]);
		jv_free(g->requests[i]);
	}
	free(g);
}

/* The group body, {"requests": [...]}, as the string to send. */
static char *
group_body(const struct group *g)
{
	jv	 reqs = jv_array(), body;
	char	*text;
	int	 i;

	for (i = 0; i < g->n; i++)
		reqs = jv_array_append(reqs, jv_copy(g->requests[i]));
	body = jv_dump_string(jv_object_set(jv_object(), jv_string("requests"), reqs), 0);
	text = strdup(jv_string_value(body));
	jv_free(body);
	return text;
}

/* Send the group being filled (--dry-run: show it); nothing if it is empty. */
static void
flush(void)
{
	struct group	*g = s.cur;
	struct ia_xfer	*x;
	char		*body;

	if (g == NULL)
		return;
	s.cur = NULL;
	if ((body = group_body(g)) == NULL ||
	    (x = ia_xfer_new("POST", ia_input_route(g->kind, true), body)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (s.dry_run) {
		ia_http_describe(s.http, x, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF)
			err(IA_EXIT_USAGE, "stdout");
		ia_xfer_free(x);
		group_free(g);
		return;
	}
	x->udata = g;
	s.inflight += (size_t)g->n;
	ia_http_submit(s.http, x);
}

/*
 * One item of input: an error record goes out at once; a request joins the
 * group being filled, which goes out when it is full.  A change of kind
 * closes the group first, since a group must not mix chat and text.
 */
static void
on_item(void *arg, struct ia_item *item)
{
	struct group	*g;

	(void)arg;
	if (item->kind == IA_KIND_NONE) {
		s.failed++;
		put(item->request);
		return;
	}
	if (s.cur != NULL && s.cur->kind != item->kind)
		flush();
	if (s.cur == NULL) {
		if ((s.cur = calloc(1, sizeof(*s.cur))) == NULL)
			err(IA_EXIT_USAGE, NULL);
		s.cur->kind = item->kind;
	}
	g = s.cur;
	g->custom_ids[g->n] = item->custom_id;
	g->requests[g->n] = item->request;
	g->lines[g->n] = item->line;
	g->n++;
	s.last_add = ia_now();
	if (g->n >= s.size)
		flush();
}

/* The group id in a 2xx answer, or jv_invalid(). */
static jv
group_id(const struct ia_xfer *x)
{
	jv	 answer, id;

	answer = jv_parse_sized(x->resp.data ? x->resp.data : "", (int)x->resp.len);
	if (jv_get_kind(answer) != JV_KIND_OBJECT) {
		jv_free(answer);
		return jv_invalid();
	}
	id = jv_object_get(answer, jv_string("groupId"));
	if (jv_get_kind(id) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(id)) == 0) {
		jv_free(id);
		return jv_invalid();
	}
	return id;
}

/*
 * A group came back: one line with its id and custom_ids in the order sent,
 * or, when it failed for good, one error record per request in it.
 */
static void
on_done(struct ia_xfer *x)
{
	struct group	*g = x->udata;
	jv		 id = jv_invalid(), ids;
	int		 i;

	if (x->status >= 200 && x->status < 300) {
		if (jv_is_valid(id = group_id(x))) {
			ids = jv_array();
			for (i = 0; i < g->n; i++)
				ids = jv_array_append(ids, jv_string(g->custom_ids[i]));
			put(jv_object_set(jv_object_set(jv_object(), jv_string("group_id"),
			    id), jv_string("custom_ids"), ids));
			s.done += (unsigned long)g->n;
			goto out;
		}
		jv_free(id);
		snprintf(x->error, sizeof(x->error), "HTTP %ld: the answer has no groupId",
		    x->status);
	}
	for (i = 0; i < g->n; i++) {
		s.failed++;
		put(ia_record_error(g->custom_ids[i], "group", x->status, x->error,
		    x->attempts, jv_copy(g->requests[i]), g->lines[i]));
	}
out:
	s.inflight -= (size_t)g->n;
	group_free(g);
	ia_xfer_free(x);
}

enum {
	O_DRY_RUN = 256, O_LINGER
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,		NULL,	O_DRY_RUN },
		{ "linger",	required_argument,	NULL,	O_LINGER },
		IA_INPUT_LONGOPTS,
		IA_CONFIG_LONGOPTS,
		{ NULL,		0,			NULL,	0 }
	};
	struct ia_source	 src;
	struct ia_line		 line;
	struct ia_xfer		*x;
	enum ia_line_status	 st;
	char			 msg[1024], *end;
	double			 left;
	long			 l;
	bool			 input_done = false, want;
	int			 ch, rc, timeout;

	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&s.cfg);
	while ((ch = getopt_long(argc, argv, "n:" IA_INPUT_SHORTOPTS
	    IA_CONFIG_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || l < 1 ||
			    l > MAX_GROUP)
				errx(IA_EXIT_USAGE, "-n: %s: a group holds 1 to %d requests",
				    optarg, MAX_GROUP);
			s.size = (int)l;
			break;
		case O_DRY_RUN:
			s.dry_run = true;
			break;
		case O_LINGER:
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || l < 0 ||
			    l > INT_MAX)
				errx(IA_EXIT_USAGE, "--linger: %s: not a number of "
				    "milliseconds", optarg);
			s.linger = (double)l / 1000;
			break;
		case 'h':
			usage(IA_EXIT_OK);
		case 'V':
			printf("ia-group %s\n", IA_VERSION);
			return IA_EXIT_OK;
		default:
			if ((rc = ia_input_option(&s.in, ch, optarg, msg,
			    sizeof(msg))) == 0)
				rc = ia_config_option(&s.cfg, ch, optarg, msg, sizeof(msg));
			if (rc == -1)
				errx(IA_EXIT_USAGE, "%s", msg);
			if (rc == 0)
				usage(IA_EXIT_USAGE);
		}
	}
	if (ia_input_init(&s.in, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	s.cfg.need_key = !s.dry_run;
	if (ia_config_finish(&s.cfg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (ia_source_init(&src, argv + optind, argc - optind, s.cfg.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if ((s.http = ia_http_new(&s.cfg, s.cfg.verbose ? stderr : NULL, msg,
	    sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	ia_progress_init(&s.progress, stderr, !s.cfg.quiet && !s.cfg.verbose);

	for (;;) {
		/* Read only while a full group could go out at once. */
		while (!input_done && ia_http_has_room(s.http)) {
			st = ia_source_next(&src, &line);
			if (st == IA_LINE_NONE)
				break;
			if (st == IA_LINE_EOF) {
				input_done = true;
				break;
			}
			s.in.file = ia_source_name(&src);
			if (st == IA_LINE_TOO_LONG) {
				s.failed++;
				put(ia_input_too_long(s.in.file, line.lineno, s.cfg.max_line));
			} else
				ia_input_line(&s.in, line.text, line.len, line.lineno,
				    on_item, NULL);
		}
		/*
		 * A part-filled group goes out at end of input, or once no record
		 * came for --linger; while -j is full it waits, since it can still
		 * grow once there is room.
		 */
		if (s.cur != NULL && (input_done || (ia_http_has_room(s.http) &&
		    ia_now() - s.last_add >= s.linger)))
			flush();
		if (input_done && s.cur == NULL && ia_http_pending(s.http) == 0)
			break;
		want = !input_done && ia_http_has_room(s.http);
		timeout = 1000;
		if (s.cur != NULL && ia_http_has_room(s.http)) {
			left = s.last_add + s.linger - ia_now();
			timeout = left <= 0 ? 0 : left >= 1 ? 1000 : (int)(left * 1000) + 1;
		}
		if (ia_source_wait(&src, s.http, want, timeout, msg, sizeof(msg)) == -1)
			errx(IA_EXIT_USAGE, "%s", msg);
		while ((x = ia_http_next_done(s.http)) != NULL)
			on_done(x);
		ia_progress_update(&s.progress, s.done, s.failed, s.inflight, false);
	}
	ia_progress_done(&s.progress);
	if (s.in.skip_done != NULL)
		warnx("%lu already done in %s, not submitted again", s.in.skipped,
		    s.in.skip_done);
	ia_source_free(&src);
	ia_http_free(s.http);
	ia_input_free(&s.in);
	ia_config_free(&s.cfg);
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	return s.failed > 0 ? IA_EXIT_FAILED : IA_EXIT_OK;
}
