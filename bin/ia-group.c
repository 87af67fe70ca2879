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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool.h"

#define MAX_GROUP	50	/* the API's limit */

/* A group being filled, then in flight: its requests in the order sent. */
struct group {
	enum ia_kind	 kind;
	int		 n;
	char		*custom_ids[MAX_GROUP];
	jv		 requests[MAX_GROUP];
	long		 lines[MAX_GROUP];
};

static const char synopsis[] =
    "ia-group [-hqtVv] [-e filter] [-j n] [-m model] [-n size]\n"
    "                [--linger ms] [--system text] [--webhook-id id]\n"
    "                [--dry-run | --requests-only] [--skip-done file]\n"
    "                [--journal file] [--base-url url]\n"
    "                [--api-key-file file] [--timeout duration] [--retries n]\n"
    "                [--rate rate]\n"
    "                [--max-line bytes] [file ...]";

static struct tool	 t;	/* done and failed count requests */

static struct {
	struct group		*cur;		/* being filled, or NULL */
	double			 last_add;	/* when cur last grew */
	double			 linger;	/* seconds */
	int			 size;		/* -n */
	size_t			 inflight;	/* requests in groups sent */
} s = { .linger = 1.0, .size = MAX_GROUP };

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
send_group(void)
{
	struct group	*g = s.cur;
	struct ia_xfer	*x;
	char		*body;

	if (g == NULL)
		return;
	s.cur = NULL;
	if ((body = group_body(g)) == NULL ||
	    (x = ia_http_xfer_new("POST", ia_request_route(g->kind, true), body)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (t.dry_run) {
		tool_dry_run(&t, x);
		group_free(g);
		return;
	}
	x->udata = g;
	s.inflight += (size_t)g->n;
	ia_http_submit(t.http, x);
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
	if (tool_item_taken(&t, item))
		return;
	if (s.cur != NULL && s.cur->kind != item->kind)
		send_group();
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
	s.last_add = ia_time_now();
	if (g->n >= s.size)
		send_group();
}

/*
 * A group came back: one line with its id and custom_ids in the order sent,
 * or, when it failed for good, one error record per request in it.
 */
static void
on_done(struct ia_xfer *x)
{
	struct group	*g = x->udata;
	jv		 id, ids;
	int		 i;

	if (jv_is_valid(id = ia_http_answer(x, "groupId"))) {
		ids = jv_array();
		for (i = 0; i < g->n; i++)
			ids = jv_array_append(ids, jv_string(g->custom_ids[i]));
		tool_submitted(&t, jv_object_set(jv_object_set(jv_object(), jv_string("group_id"),
		    id), jv_string("custom_ids"), ids));
		t.done += (unsigned long)g->n;
	} else {
		jv_free(id);
		if (x->status >= 200 && x->status < 300)
			snprintf(x->error, sizeof(x->error), "HTTP %ld: the answer "
			    "has no groupId; the group may have been made (not sent "
			    "again, which could pay twice)", x->status);
		for (i = 0; i < g->n; i++)
			tool_fail(&t, ia_record_error(g->custom_ids[i], "group",
			    x->status, x->error, x->attempts, jv_copy(g->requests[i]),
			    g->lines[i]));
	}
	s.inflight -= (size_t)g->n;
	group_free(g);
	ia_http_xfer_free(x);
}

enum {
	O_DRY_RUN = 256, O_LINGER, O_REQUESTS_ONLY
};

/* ia-group's own options; the input and shared ones follow (tool.h). */
static const struct ia_option options[] = {
	{ 'n', NULL, "size", "requests in a group, 1 to 50 (default 50)", false },
	{ O_LINGER, "linger", "ms", "send a part-filled group after ms "
	    "idle (default 1000)", false },
	{ O_DRY_RUN, "dry-run", NULL, "print each group's request; send "
	    "nothing", false },
	{ O_REQUESTS_ONLY, "requests-only", NULL, "print each request as sent, "
	    "custom_id set; send nothing", false },
	{ 0 }
};

/* A whole number of lo..hi, or a usage error that says what it should be. */
static long
number(const char *arg, long lo, long hi, const char *what)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || l < lo || l > hi)
		errx(IA_EXIT_USAGE, "%s", what);
	return l;
}

int
main(int argc, char *argv[])
{
	char	 what[256];
	double	 left;
	int	 ch, timeout;

	tool_init(&t, "ia-group", synopsis, options, TOOL_INPUT | TOOL_HTTP, argv);
	while ((ch = tool_getopt(&t, argc, argv)) != -1) {
		switch (ch) {
		case 'n':
			snprintf(what, sizeof(what), "-n: %s: a group holds 1 to %d "
			    "requests", optarg, MAX_GROUP);
			s.size = (int)number(optarg, 1, MAX_GROUP, what);
			break;
		case O_DRY_RUN:
			t.dry_run = true;
			break;
		case O_REQUESTS_ONLY:
			t.requests_only = true;
			break;
		case O_LINGER:
			snprintf(what, sizeof(what), "--linger: %s: not a number of "
			    "milliseconds", optarg);
			s.linger = (double)number(optarg, 0, INT_MAX, what) / 1000;
			break;
		default:
			tool_option(&t, ch, optarg);
		}
	}
	tool_setup(&t, argc - optind, argv + optind);

	for (;;) {
		/* Read only while a full group could go out at once. */
		tool_read_items(&t, on_item);
		/*
		 * A part-filled group goes out at end of input, or once no record
		 * came for --linger; while -j is full it waits, since it can still
		 * grow once there is room.
		 */
		if (s.cur != NULL && (t.input_done || (tool_room(&t) &&
		    ia_time_now() - s.last_add >= s.linger)))
			send_group();
		if (t.input_done && s.cur == NULL && ia_http_pending(t.http) == 0)
			break;
		timeout = 1000;
		if (s.cur != NULL && tool_room(&t)) {
			left = s.last_add + s.linger - ia_time_now();
			timeout = left <= 0 ? 0 : left >= 1 ? 1000 : (int)(left * 1000) + 1;
		}
		tool_turn(&t, timeout, on_done);
		tool_progress(&t, s.inflight + (s.cur != NULL ? (size_t)s.cur->n : 0));
	}
	return tool_finish(&t);
}
