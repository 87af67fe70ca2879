/*
 * ia-submit: POST each request to the async API, -j at a time, and print
 * {"custom_id", "id"} for each as soon as the server acknowledges it, or an
 * error record.  Input is read while requests are in flight.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/tool.h"

static const char synopsis[] =
    "ia-submit [-hqtVv] [-e filter] [-j n] [-m model] [--system text]\n"
    "                 [--webhook-id id] [--dry-run | --requests-only]\n"
    "                 [--skip-done file]\n"
    "                 [--journal file]\n"
    "                 [--base-url url] [--api-key-file file]\n"
    "                 [--timeout duration] [--retries n]\n"
    "                 [--rate rate] [--max-line bytes]\n"
    "                 [file ...]";

/* What a transfer carries for its answer: who it is and what was sent. */
struct job {
	char	*custom_id;
	jv	 request;
	long	 line;
};

static struct tool	 t;

/* One item of input: an error record goes out at once, a request to HTTP. */
static void
on_item(void *arg, struct ia_item *item)
{
	struct ia_buf	 body = { 0 };
	struct ia_xfer	*x;
	struct job	*j;

	(void)arg;
	if (tool_item_taken(&t, item))
		return;
	if (ia_json_dump(&body, jv_copy(item->request), false) == -1 ||
	    (x = ia_http_xfer_new("POST", ia_request_route(item->kind, false),
	    ia_buf_steal(&body))) == NULL || x->body == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (t.dry_run) {
		tool_dry_run(&t, x);
		free(j);
		free(item->custom_id);
		jv_free(item->request);
		return;
	}
	j->custom_id = item->custom_id;
	j->request = item->request;
	j->line = item->line;
	x->udata = j;
	ia_http_submit(t.http, x);
}

/* A transfer came back: the id the server gave, or why there is none. */
static void
on_done(struct ia_xfer *x)
{
	struct job	*j = x->udata;
	jv		 id;

	if (jv_is_valid(id = ia_http_answer(x, "id"))) {
		tool_submitted(&t, jv_object_set(jv_object_set(jv_object(), jv_string("custom_id"),
		    jv_string(j->custom_id)), jv_string("id"), id));
		t.done++;
	} else {
		jv_free(id);
		if (x->status >= 200 && x->status < 300)
			snprintf(x->error, sizeof(x->error), "HTTP %ld: the answer "
			    "has no id; the request may have been made (not sent "
			    "again, which could pay twice)", x->status);
		tool_fail(&t, ia_record_error(j->custom_id, "submit", x->status,
		    x->error, x->attempts, jv_copy(j->request), j->line));
	}
	free(j->custom_id);
	jv_free(j->request);
	free(j);
	ia_http_xfer_free(x);
}

enum {
	O_DRY_RUN = 256, O_REQUESTS_ONLY
};

/* ia-submit's own options; the input and shared ones follow (tool.h). */
static const struct ia_option options[] = {
	{ O_DRY_RUN, "dry-run", NULL, "print each request that would be sent; "
	    "send nothing", false },
	{ O_REQUESTS_ONLY, "requests-only", NULL, "print each request as sent, "
	    "custom_id set; send nothing", false },
	{ 0 }
};

int
main(int argc, char *argv[])
{
	int	 ch;

	tool_init(&t, "ia-submit", synopsis, options, TOOL_INPUT | TOOL_HTTP, argv);
	while ((ch = tool_getopt(&t, argc, argv)) != -1) {
		if (ch == O_DRY_RUN)
			t.dry_run = true;
		else if (ch == O_REQUESTS_ONLY)
			t.requests_only = true;
		else
			tool_option(&t, ch, optarg);
	}
	tool_setup(&t, argc - optind, argv + optind);

	for (;;) {
		tool_read_items(&t, on_item);
		if (t.input_done && ia_http_pending(t.http) == 0)
			break;	/* no last wait on an idle poll */
		tool_turn(&t, 1000, on_done);
		tool_progress(&t, ia_http_pending(t.http));
	}
	return tool_finish(&t);
}
