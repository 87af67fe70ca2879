/*
 * ia-submit: POST each request to the async API, -j at a time, and print
 * {"custom_id", "id"} for each as soon as the server acknowledges it, or an
 * error record.  Input is read while requests are in flight.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

/* What a transfer carries for its answer: who it is and what was sent. */
struct job {
	char	*custom_id;
	jv	 request;
	long	 line;
};

static struct {
	struct ia_config	 cfg;
	struct ia_input		 in;
	struct ia_http		*http;
	struct ia_progress	 progress;
	bool			 dry_run;
	unsigned long		 done, failed;
} s;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ia-submit [-hqtVv] [-e filter] [-j n] [-m model] [--system text]\n"
	    "                 [--webhook-id id] [--dry-run] [--skip-done file]\n"
	    "                 [--base-url url] [--api-key-file file]\n"
	    "                 [--timeout duration] [--retries n] [--max-line bytes]\n"
	    "                 [file ...]\n");
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
put_error(jv record)
{
	s.failed++;
	put(record);
}

/* One item of input: an error record goes out at once, a request to HTTP. */
static void
on_item(void *arg, struct ia_item *item)
{
	struct ia_xfer	*x;
	struct job	*j;
	jv		 body;

	(void)arg;
	if (item->kind == IA_KIND_NONE) {
		put_error(item->request);
		return;
	}
	body = jv_dump_string(jv_copy(item->request), 0);
	x = ia_xfer_new("POST", ia_input_route(item->kind, false),
	    strdup(jv_string_value(body)));
	jv_free(body);
	if (x == NULL || x->body == NULL || (j = calloc(1, sizeof(*j))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if (s.dry_run) {
		ia_http_describe(s.http, x, stdout);
		putchar('\n');
		if (fflush(stdout) == EOF)
			err(IA_EXIT_USAGE, "stdout");
		ia_xfer_free(x);
		free(j);
		free(item->custom_id);
		jv_free(item->request);
		return;
	}
	j->custom_id = item->custom_id;
	j->request = item->request;
	j->line = item->line;
	x->udata = j;
	ia_http_submit(s.http, x);
}

/* A transfer came back: the id the server gave, or why there is none. */
static void
on_done(struct ia_xfer *x)
{
	struct job	*j = x->udata;
	jv		 answer, id = jv_invalid(), out;

	if (x->status >= 200 && x->status < 300) {
		answer = jv_parse_sized(x->resp.data ? x->resp.data : "", (int)x->resp.len);
		if (jv_get_kind(answer) == JV_KIND_OBJECT)
			id = jv_object_get(answer, jv_string("id"));
		else
			jv_free(answer);
		if (jv_get_kind(id) == JV_KIND_STRING) {
			out = jv_object_set(jv_object(), jv_string("custom_id"),
			    jv_string(j->custom_id));
			put(jv_object_set(out, jv_string("id"), id));
			s.done++;
			goto out;
		}
		jv_free(id);
		snprintf(x->error, sizeof(x->error), "HTTP %ld: the answer has no id",
		    x->status);
	}
	put_error(ia_record_error(j->custom_id, "submit", x->status, x->error,
	    x->attempts, jv_copy(j->request), j->line));
out:
	free(j->custom_id);
	jv_free(j->request);
	free(j);
	ia_xfer_free(x);
}

enum {
	O_DRY_RUN = 256
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,		NULL,	O_DRY_RUN },
		IA_INPUT_LONGOPTS,
		IA_CONFIG_LONGOPTS,
		{ NULL,		0,			NULL,	0 }
	};
	struct ia_source	 src;
	struct ia_line		 line;
	struct ia_xfer		*x;
	enum ia_line_status	 st;
	char			 msg[1024];
	bool			 input_done = false, want;
	int			 ch, rc;

	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&s.cfg);
	while ((ch = getopt_long(argc, argv, IA_INPUT_SHORTOPTS
	    IA_CONFIG_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case O_DRY_RUN:
			s.dry_run = true;
			break;
		case 'h':
			usage(IA_EXIT_OK);
		case 'V':
			printf("ia-submit %s\n", IA_VERSION);
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

	while (!input_done || ia_http_pending(s.http) > 0) {
		while (!input_done && ia_http_has_room(s.http)) {
			st = ia_source_next(&src, &line);
			if (st == IA_LINE_NONE)
				break;
			if (st == IA_LINE_EOF) {
				input_done = true;
				break;
			}
			s.in.file = ia_source_name(&src);
			if (st == IA_LINE_TOO_LONG)
				put_error(ia_input_too_long(s.in.file, line.lineno, s.cfg.max_line));
			else
				ia_input_line(&s.in, line.text, line.len, line.lineno,
				    on_item, NULL);
		}
		if (input_done && ia_http_pending(s.http) == 0)
			break;	/* no last wait on an idle poll */
		want = !input_done && ia_http_has_room(s.http);
		if (ia_source_wait(&src, s.http, want, 1000, msg, sizeof(msg)) == -1)
			errx(IA_EXIT_USAGE, "%s", msg);
		while ((x = ia_http_next_done(s.http)) != NULL)
			on_done(x);
		ia_progress_update(&s.progress, s.done, s.failed,
		    ia_http_pending(s.http), false);
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
