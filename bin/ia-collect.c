/*
 * ia-collect: turn what ia-poll prints, and every error record upstream,
 * into what the user wanted: one answer per custom_id (a success wins over
 * any failure), a summary, or the requests that never succeeded, ready to
 * resubmit.  It never talks to the network.
 *
 * Successes are printed as they arrive, the first one per custom_id.
 * Failures are held until input ends and printed then only for custom_ids
 * that never succeeded.  Memory grows with the custom_ids seen (to keep one
 * output each) and with the failures held, not with the answers.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool/tool.h"
#include "collect/collect.h"

static const char synopsis[] =
    "ia-collect [-0hqrsV] [-e filter] [-f format] [--failed] [--sort]\n"
    "                  [--input file [-t] [-m model] [--system text]\n"
    "                  [--webhook-id id] [--input-filter filter]]\n"
    "                  [--summary-json file] [--max-line bytes] [file ...]\n"
    "       ia-collect --pending | --status [file ...]";

static struct tool	 t;

static struct {
	const struct ia_format *fmt;
	bool		 raw, nul, want_failed, sort, summary;
	bool		 want_pending, want_status;
	bool		 answers;	/* print answers as they come */
	const char	*summary_json;
	struct collect_input in;	/* --input */
	char		 other_at[512];	/* where the first record not a result was */
	FILE		*summary_fp;
	size_t		 max_line;
	struct ia_jq	*jq;		/* -e */
	struct ia_collect c;		/* what each custom_id came to */
	struct ia_sorted sorted;	/* --sort: the texts to print at the end */
	struct ia_scan	 scan;		/* a line read without a tree */
	struct ia_buf	 row;		/* its row */
	bool		 write_failed;	/* an -e program failed on a record */
} s = { .max_line = IA_DEFAULT_MAX_LINE };

/*
 * What a result prints as, in the chosen form, appended to b.  rec is the
 * record as it came, for -e, which runs on failures too; the answer-only
 * forms (-r, tsv, csv) print nothing for a failure: it is counted, and
 * ia-collect --failed gives it.
 */
static void
render(struct ia_buf *b, struct ia_result *r, jv rec, bool ok,
    const struct ia_line *l)
{
	char	 at[512];
	jv	 msg;

	if (s.jq == NULL) {
		jv_free(rec);
		if (ia_format_row(s.fmt, b, r) == -1)
			err(IA_EXIT_USAGE, NULL);
		return;
	}
	if (!ok)
		jv_free(rec);
	if (ia_format_jq(b, s.jq, ok ? rec : jv_copy(r->answer), s.raw,
	    s.nul ? '\0' : '\n', &msg) == -1)
		err(IA_EXIT_USAGE, NULL);
	if (jv_is_valid(msg)) {
		if (l != NULL)
			warnx("%s: -e: %s", ia_source_where(l->file, l->lineno, at,
			    sizeof(at)), jv_string_value(msg));
		else
			warnx("-e: %s", jv_string_value(msg));
		s.write_failed = true;
	}
	jv_free(msg);
}

/* Print a result now, or keep its text for --sort. */
static void
emit(struct ia_result *r, jv rec, bool ok, const struct ia_line *l)
{
	struct ia_buf	 b = { 0 };

	render(&b, r, rec, ok, l);
	if (b.data == NULL)
		return;
	if (!s.sort)
		tool_put_text(b.data, b.len);
	else
		ia_sorted_add(&s.sorted, jv_copy(r->custom_id), b.data, b.len);
	ia_buf_free(&b);
}

/*
 * A Success generation read without a tree (not for -e, which runs on the
 * tree), when the scanner takes the line and the form its row: true.
 */
static bool
scanned(const struct ia_line *l)
{
	int	 rc;

	if (l->text == NULL || s.jq != NULL ||
	    (rc = ia_scan_generation(&s.scan, l->text, l->len)) == 0)
		return false;
	s.row.len = 0;
	if (rc == 1 && s.answers &&
	    (rc = ia_format_scan_row(s.fmt, &s.row, &s.scan)) == 1)
		return false;
	if (rc == -1 || (rc = ia_collect_scanned(&s.c, &s.scan)) == -1)
		err(IA_EXIT_USAGE, NULL);
	if (rc == 1 && s.answers && !s.sort)
		tool_put_text(s.row.data, s.row.len);
	else if (rc == 1 && s.answers)
		ia_sorted_add(&s.sorted, jv_string_sized(s.scan.custom_id,
		    (int)s.scan.custom_id_len), s.row.data, s.row.len);
	return true;
}

/* A line of the stream; one too long or not JSON is an input failure. */
static void
on_line(const struct ia_line *l)
{
	struct ia_result r;
	unsigned long	 others;
	jv		 rec;
	int		 rc;

	if (scanned(l))
		return;
	rec = ia_collect_record(l, s.max_line);
	others = s.c.sum.others;
	if ((rc = ia_collect_add(&s.c, jv_copy(rec), &r)) == -1)
		err(IA_EXIT_USAGE, NULL);
	if (others == 0 && s.c.sum.others > 0)
		ia_source_where(l->file, l->lineno, s.other_at, sizeof(s.other_at));
	if (rc == 1 && s.answers)
		emit(&r, rec, true, l);
	else
		jv_free(rec);
	ia_result_free(&r);
}

/* --failed --input: a line of the original input, printed if it failed. */
static void
failed_item(void *arg, struct ia_item *item)
{
	if (item->custom_id != NULL && ia_failed_take(arg, item->custom_id))
		tool_put(item->request);
	else
		jv_free(item->request);
	free(item->custom_id);
}

/* Each note, one a line on stderr; the buffer is freed. */
static void
warn_notes(struct ia_buf *b)
{
	const char	*p;

	for (p = b->data; p != NULL && p < b->data + b->len; p += strlen(p) + 1)
		warnx("%s", p);
	ia_buf_free(b);
}

static void
put_request(void *arg, jv req)
{
	(void)arg;
	tool_put(req);
}

/* --failed: each custom_id that never succeeded, as its original request. */
static void
print_failed(void)
{
	struct ia_failed f;
	struct ia_buf	 b = { 0 };

	ia_failed_init(&f, &s.c);
	if (s.in.path != NULL)
		collect_input_read(&s.in, failed_item, &f);
	/* Not in --input (or none given): the request the failure carries. */
	ia_failed_rest(&f, &s.c, put_request, NULL);
	if (ia_failed_notes(&f, s.in.path != NULL, &b) == -1)
		err(IA_EXIT_USAGE, NULL);
	warn_notes(&b);
	ia_failed_free(&f);
}

/* The end of input: a failure that no success replaced. */
static void
print_failure(void *arg, jv cid, jv rec)
{
	struct ia_result r;

	(void)arg;
	jv_free(cid);
	ia_result_read(jv_copy(rec), &r);
	emit(&r, rec, false, NULL);
	ia_result_free(&r);
}

static void
order_item(void *arg, struct ia_item *item)
{
	if (item->custom_id != NULL)
		ia_sorted_place(arg, item->custom_id);
	free(item->custom_id);
	jv_free(item->request);
}

static void
put_text(void *arg, const char *text, size_t len)
{
	(void)arg;
	tool_put_text(text, len);
}

/*
 * --sort: by custom_id, or in the order of --input, the rest after.  None
 * of the custom_ids in --input is a usage error; some not: a note, unless -q.
 */
static void
print_sorted(void)
{
	char	 msg[8192];
	int	 rc;

	if (s.in.path != NULL) {
		collect_input_read(&s.in, order_item, &s.sorted);
		rc = ia_sorted_verdict(&s.sorted, s.in.path, msg, sizeof(msg));
		if (rc == -1)
			errx(IA_EXIT_USAGE, "--input: %s", msg);
		if (rc == 1 && !t.cfg.quiet)
			warnx("--input: %s", msg);
	}
	ia_sorted_each(&s.sorted, put_text, NULL);
}

/*
 * --pending: what was submitted and has no result, as the records ia-poll
 * follows, so that a resumed job polls it instead of paying for it again.
 */
static void
print_pending(void)
{
	jv	 all;

	if (!jv_is_valid(all = ia_pending_follow_all(&s.c.pending)))
		err(IA_EXIT_USAGE, NULL);
	jv_array_foreach(all, i, rec)
		tool_put(rec);
	jv_free(all);
}

/* --status: where a job stands, in one line. */
static void
print_status(void)
{
	struct ia_buf	 b = { 0 };

	if (ia_collect_status(&s.c, &b) == -1)
		err(IA_EXIT_USAGE, NULL);
	tool_put_text(b.data, b.len);
	ia_buf_free(&b);
}

static void
print_summary(void)
{
	struct ia_buf	 b = { 0 };

	if (ia_summary_text(&s.c.sum, &b) == -1)
		err(IA_EXIT_USAGE, NULL);
	fputs(b.data, stderr);
	ia_buf_free(&b);
}

static void
write_summary_json(jv sum)
{
	FILE	*fp = s.summary_fp;

	if (ia_record_write(fp, sum) == -1 || ia_record_close(fp) == -1)
		err(IA_EXIT_USAGE, "%s", s.summary_json);
}

enum {
	O_FAILED = 256, O_SORT, O_INPUT, O_SUMMARY_JSON, O_PENDING, O_STATUS,
	O_INPUT_FILTER
};

/*
 * ia-collect's own options, -q with what it means here; the shared ones
 * that are not about HTTP follow (tool.h).
 */
static const struct ia_option options[] = {
	{ '0', NULL, NULL, "end each output with NUL, not newline (-r or "
	    "-e)", false },
	{ 'e', NULL, "filter", "print what a jq program makes of each record",
	    false },
	{ 'f', NULL, "format", "ndjson (the default), openai, tsv or csv", false },
	{ 'q', NULL, NULL, "no summary, even when stderr is a terminal", false },
	{ 'r', NULL, NULL, "print each answer's content alone, as jq -r does",
	    false },
	{ 's', NULL, NULL, "print the summary on stderr, terminal or not", false },
	{ O_FAILED, "failed", NULL, "print the requests of what never "
	    "succeeded", false },
	{ O_PENDING, "pending", NULL, "print what was submitted and has no "
	    "result, for ia-poll", false },
	{ O_STATUS, "status", NULL, "print one line: submitted, done, failed, "
	    "pending", false },
	{ O_SORT, "sort", NULL, "print at the end, in custom_id or "
	    "--input order", false },
	{ O_INPUT, "input", "file", "the job's requests, for --failed and "
	    "--sort", false },
	{ O_SUMMARY_JSON, "summary-json", "file", "write the summary to file as "
	    "one JSON object", false },
	{ 't', NULL, NULL, "--input is a prompt a line, as ia-submit -t reads",
	    false },
	{ 'm', NULL, "model", "--input's model, as ia-submit -m", false },
	{ IA_OPT_SYSTEM, "system", "text", "--input's system message, as "
	    "ia-submit --system", false },
	{ IA_OPT_WEBHOOK_ID, "webhook-id", "id", "--input's webhook id, as "
	    "ia-submit --webhook-id", false },
	{ O_INPUT_FILTER, "input-filter", "filter", "--input's requests made "
	    "by filter, as ia-submit -e", false },
	{ 0 }
};

int
main(int argc, char *argv[])
{
	struct ia_line		 line;
	struct ia_buf		 b = { 0 };
	const char		*filter = NULL, *format = NULL;
	char			 msg[1024];
	bool			 want_summary = false;
	int			 ch, rc;

	tool_init(&t, "ia-collect", synopsis, options, 0, argv);
	while ((ch = tool_getopt(&t, argc, argv)) != -1) {
		switch (ch) {
		case '0':
			s.nul = true;
			break;
		case 'e':
			filter = optarg;
			break;
		case 'f':
			format = optarg;
			if ((s.fmt = ia_format_find(optarg)) == NULL || !s.fmt->by_name)
				errx(IA_EXIT_USAGE, "-f: %s: not a format (ndjson, openai, "
				    "tsv, csv)", optarg);
			break;
		case 'r':
			s.raw = true;
			break;
		case 's':
			want_summary = true;
			break;
		case O_FAILED:
			s.want_failed = true;
			break;
		case O_PENDING:
			s.want_pending = true;
			break;
		case O_STATUS:
			s.want_status = true;
			break;
		case O_SORT:
			s.sort = true;
			break;
		case O_INPUT:
			s.in.path = optarg;
			break;
		case O_SUMMARY_JSON:
			s.summary_json = optarg;
			break;
		case 't':
			collect_input_option(&s.in, 't', optarg, "-t");
			break;
		case 'm':
			collect_input_option(&s.in, 'm', optarg, "-m");
			break;
		case IA_OPT_SYSTEM:
			collect_input_option(&s.in, ch, optarg, "--system");
			break;
		case IA_OPT_WEBHOOK_ID:
			collect_input_option(&s.in, ch, optarg, "--webhook-id");
			break;
		case O_INPUT_FILTER:
			collect_input_option(&s.in, 'e', optarg, "--input-filter");
			break;
		default:
			tool_option(&t, ch, optarg);
		}
	}
	s.max_line = t.cfg.max_line;
	if (s.nul && !s.raw && filter == NULL)
		errx(IA_EXIT_USAGE, "-0 goes with -r or -e");
	if ((s.raw || filter != NULL) && format != NULL)
		errx(IA_EXIT_USAGE, "-f does not go with -r or -e");
	if (s.want_failed && (s.raw || filter != NULL || format != NULL))
		errx(IA_EXIT_USAGE, "--failed prints requests: not with -r, -e or -f");
	if ((s.want_pending || s.want_status) && (s.want_failed || s.sort ||
	    s.raw || filter != NULL || format != NULL || s.in.path != NULL ||
	    s.want_pending == s.want_status))
		errx(IA_EXIT_USAGE, "--pending and --status go alone");
	s.answers = !s.want_failed && !s.want_pending && !s.want_status;
	if (s.in.path != NULL && !s.sort && !s.want_failed)
		errx(IA_EXIT_USAGE, "--input goes with --sort or --failed");
	s.in.max_line = s.max_line;
	s.in.quiet = t.cfg.quiet;
	collect_input_check(&s.in);
	if (filter != NULL && (s.jq = ia_jq_compile(filter, msg, sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	s.summary = want_summary || (!t.cfg.quiet && isatty(STDERR_FILENO));
	if (s.want_pending || s.want_status)
		s.summary = false;	/* their lines are the whole output */
	tool_setup(&t, argc - optind, argv + optind);
	tool_batch();
	/* Opened now, so that a bad path costs nothing. */
	if (s.summary_json != NULL && (s.summary_fp = fopen(s.summary_json, "w")) == NULL)
		err(IA_EXIT_USAGE, "%s", s.summary_json);
	if (s.raw)
		s.fmt = ia_format_find(s.nul ? "raw0" : "raw");
	else if (s.fmt == NULL)
		s.fmt = ia_format_find("ndjson");
	if (s.fmt->header != NULL && s.answers)
		tool_put_text(s.fmt->header, strlen(s.fmt->header));
	ia_collect_init(&s.c);
	ia_sorted_init(&s.sorted);

	while ((rc = tool_wait_line(&t.src, &line)) != IA_LINE_EOF) {
		if (rc == -1)
			err(IA_EXIT_USAGE, "%s", line.file ? line.file : "stdin");
		on_line(&line);
	}
	if (s.want_pending)
		print_pending();
	if (ia_collect_end(&s.c) == -1)
		err(IA_EXIT_USAGE, NULL);
	if (s.want_failed)
		print_failed();
	else if (s.answers)
		ia_collect_each_failure(&s.c, print_failure, NULL);
	if (s.sort && s.answers)
		print_sorted();
	if (s.want_status)
		print_status();
	t.failed = s.c.sum.failed + (s.write_failed ? 1 : 0);
	if (s.want_pending || s.want_status)
		t.failed -= s.c.npending;	/* still on its way: no failure */
	if (s.summary_json != NULL)
		write_summary_json(ia_summary_json(&s.c.sum));
	if (s.summary)
		print_summary();
	if (ia_summary_notes(&s.c.sum, s.other_at, t.cfg.quiet, &b) == -1)
		err(IA_EXIT_USAGE, NULL);
	warn_notes(&b);
	ia_collect_free(&s.c);
	ia_input_free(&s.in.in);
	ia_sorted_free(&s.sorted);
	ia_scan_free(&s.scan);
	ia_buf_free(&s.row);
	ia_jq_free(s.jq);
	return tool_finish(&t);
}
