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

#include "tool.h"

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
	const char	*input, *summary_json;
	struct ia_input	 in;		/* how --input is read: ia-submit's options */
	const char	*in_opt;	/* the first of those given, for a message */
	char		 other_at[512];	/* where the first record not a result was */
	FILE		*summary_fp;
	size_t		 max_line;
	struct ia_jq	*jq;		/* -e */
	struct ia_collect c;		/* what each custom_id came to */
	jv		 sorted;	/* --sort: custom_id -> output text */
	jv		 sorted_anon;	/* --sort: output without a custom_id */
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
	char	 end = s.nul ? '\0' : '\n', at[512];
	jv	 v, msg;

	if (s.jq == NULL) {
		jv_free(rec);
		if (ia_format_row(s.fmt, b, r) == -1)
			err(IA_EXIT_USAGE, NULL);
		return;
	}
	ia_jq_start(s.jq, ok ? rec : jv_copy(r->answer));
	if (!ok)
		jv_free(rec);
	while (jv_is_valid(v = ia_jq_next(s.jq)))
		if (ia_format_value(b, v, s.raw) == -1 || ia_buf_add(b, &end, 1) == -1)
			err(IA_EXIT_USAGE, NULL);
	if (jv_is_valid(msg = ia_jq_error(s.jq, v))) {
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
	else if (jv_get_kind(r->custom_id) == JV_KIND_STRING)
		s.sorted = jv_object_set(s.sorted, jv_copy(r->custom_id),
		    jv_string_sized(b.data, (int)b.len));
	else
		s.sorted_anon = jv_array_append(s.sorted_anon,
		    jv_string_sized(b.data, (int)b.len));
	ia_buf_free(&b);
}

/*
 * Whether a record's custom_id, or one its custom_ids lists, holds a NUL:
 * custom_ids are C strings here, and cut at the NUL one would be taken for
 * another.  Only a line with a NUL or a \u0000 in it is looked at.
 */
static bool
nul_custom_id(const struct ia_line *l, jv rec)
{
	jv	 ids;
	bool	 yes = false;

	if (memchr(l->text, '\0', l->len) == NULL &&
	    memmem(l->text, l->len, "\\u0000", 6) == NULL) {
		jv_free(rec);
		return false;
	}
	yes = ia_record_has_nul(ia_record_field(jv_copy(rec), "custom_id")) ||
	    ia_record_has_nul(ia_record_field(ia_record_field(ia_record_field(
	    jv_copy(rec), "request"), "metadata"), "custom_id"));
	ids = ia_record_field(rec, "custom_ids");
	if (jv_get_kind(ids) == JV_KIND_ARRAY)
		jv_array_foreach(ids, i, id)
			yes = ia_record_has_nul(id) || yes;
	jv_free(ids);
	return yes;
}

/* A line of the stream; one too long or not JSON is an input failure. */
static void
on_line(const struct ia_line *l)
{
	struct ia_result r;
	char		 msg[600], at[512];
	unsigned long	 others;
	jv		 rec;
	int		 rc;

	if (l->text == NULL)
		rec = ia_input_too_long(l, s.max_line);
	else if (!jv_is_valid(rec = ia_record_parse(l->text, l->len))) {
		jv_free(rec);
		snprintf(msg, sizeof(msg), "%s: not JSON", ia_source_where(l->file,
		    l->lineno, at, sizeof(at)));
		rec = ia_record_error(NULL, "input", 0, msg, 0, jv_null(), l->lineno);
	} else if (nul_custom_id(l, jv_copy(rec))) {
		jv_free(rec);
		snprintf(msg, sizeof(msg), "%s: custom_id must not hold a NUL byte",
		    ia_source_where(l->file, l->lineno, at, sizeof(at)));
		rec = ia_record_error(NULL, "input", 0, msg, 0, jv_null(), l->lineno);
	}
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

static void
put_json(jv v)
{
	struct ia_buf	 b = { 0 };

	if (ia_format_value(&b, v, false) == -1 || ia_buf_add(&b, "\n", 1) == -1)
		err(IA_EXIT_USAGE, NULL);
	tool_put_text(b.data, b.len);
	ia_buf_free(&b);
}

struct failed_pass {
	jv		 want;	/* custom_id -> true, for those still to print */
	unsigned long	 lost;	/* failures with no request to print */
	unsigned long	 pending; /* submitted, no result: to follow, not send */
	unsigned long	 refused; /* a 4xx the same request would get again */
};

/* Whether a failure is worth sending again; if not, counted in fp. */
static bool
worth_sending(struct failed_pass *fp, jv rec)
{
	switch (ia_collect_resend(rec)) {
	case IA_RESEND_PENDING:
		fp->pending++;
		return false;
	case IA_RESEND_REFUSED:
		fp->refused++;
		return false;
	default:
		return true;
	}
}

/* Keep out of fp->want what is not worth sending again. */
static void
sort_out(void *arg, jv cid, jv rec)
{
	struct failed_pass *fp = arg;

	if (!worth_sending(fp, rec) && jv_get_kind(cid) == JV_KIND_STRING)
		fp->want = jv_object_delete(fp->want, jv_copy(cid));
	jv_free(cid);
}

/* --failed --input: a line of the original input, printed if it failed. */
static void
failed_item(void *arg, struct ia_item *item)
{
	struct failed_pass *fp = arg;
	jv	 cid;

	if (item->custom_id == NULL) {
		jv_free(item->request);
		return;
	}
	cid = jv_string(item->custom_id);
	free(item->custom_id);
	if (jv_object_has(jv_copy(fp->want), jv_copy(cid))) {
		fp->want = jv_object_delete(fp->want, cid);
		put_json(item->request);
	} else {
		jv_free(cid);
		jv_free(item->request);
	}
}

/* What reading --input came to: the requests, and the lines that gave none. */
struct input_pass {
	void		(*fn)(void *, struct ia_item *);
	void		*arg;
	unsigned long	 requests, errors;
	char		 first[600];	/* the first error's message */
};

static void
count_item(void *arg, struct ia_item *item)
{
	struct input_pass *ip = arg;
	jv	 msg;

	if (item->kind != IA_KIND_NONE)
		ip->requests++;
	else if (ip->errors++ == 0) {
		msg = ia_record_field(ia_record_field(jv_copy(item->request),
		    "error"), "message");
		snprintf(ip->first, sizeof(ip->first), "%s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
	}
	ip->fn(ip->arg, item);
}

/*
 * Read --input as ia-submit reads its input, with the same -t, -m,
 * --system, --webhook-id and -e (--input-filter), so that the ids assigned
 * are the same; call fn per item.  A file of which no line is a request is
 * not in the form given: a usage error that says why (plain text without
 * -t, most likely).  Some lines that are not: a note, unless -q.
 */
static void
read_input(void (*fn)(void *, struct ia_item *), void *arg)
{
	struct input_pass ip = { fn, arg, 0, 0, "" };
	struct ia_source src;
	struct ia_line	 line;
	char		*names[1] = { (char *)s.input }, msg[1024];
	int		 rc;

	if (ia_source_init(&src, names, 1, s.max_line, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
	while ((rc = tool_wait_line(&src, &line)) != IA_LINE_EOF && rc != -1) {
		if (rc == IA_LINE_OK)
			ia_input_line(&s.in, &line, count_item, &ip);
		else
			count_item(&ip, &(struct ia_item){ IA_KIND_NONE,
			    ia_input_too_long(&line, s.max_line), NULL, line.lineno });
	}
	if (rc == -1)
		err(IA_EXIT_USAGE, "--input: %s", s.input);
	ia_source_free(&src);
	if (ip.requests == 0 && ip.errors > 0)
		errx(IA_EXIT_USAGE, "--input: no line of %s is a request as read%s "
		    "(%s)%s", s.input, s.in_opt != NULL ? " with the options given" :
		    "", ip.first, !s.in.text && strstr(ip.first, ": not JSON") != NULL ?
		    "; is it plain text? read it as ia-submit did: -t -m MODEL" : "");
	if (ip.errors > 0 && !t.cfg.quiet)
		warnx("--input: %lu line%s of %s gave no request, as ia-submit "
		    "gave none (first: %s)", ip.errors, ip.errors == 1 ? "" : "s",
		    s.input, ip.first);
}

/* --failed: a failure not in --input, as the request it carries. */
static void
failed_request(void *arg, jv cid, jv rec)
{
	struct failed_pass *fp = arg;
	jv	 req;

	if (jv_get_kind(cid) == JV_KIND_STRING) {
		if (!jv_object_has(jv_copy(fp->want), jv_copy(cid))) {
			jv_free(cid);
			jv_free(rec);
			return;
		}
		fp->want = jv_object_delete(fp->want, cid);
	} else {
		jv_free(cid);
		/* Counted by sort_out() already: a scratch count here. */
		if (!worth_sending(&(struct failed_pass){ 0 }, jv_copy(rec))) {
			jv_free(rec);
			return;
		}
	}
	req = jv_object_get(rec, jv_string("request"));
	if (ia_collect_can_resubmit(jv_copy(req)))
		put_json(req);
	else {
		jv_free(req);
		fp->lost++;
	}
}

/* --failed: each custom_id that never succeeded, as its original request. */
static void
print_failed(void)
{
	struct failed_pass fp = { ia_collect_failed(&s.c), 0, 0, 0 };

	ia_collect_each_failure(&s.c, sort_out, &fp);
	if (s.input != NULL)
		read_input(failed_item, &fp);
	/* Not in --input (or none given): the request the failure carries. */
	ia_collect_each_failure(&s.c, failed_request, &fp);
	jv_free(fp.want);
	if (fp.lost > 0)
		warnx("%lu failed without a request to resubmit (not in the stream%s)",
		    fp.lost, s.input != NULL ? " nor in --input" : "; try --input");
	if (fp.pending > 0)
		warnx("%lu still pending, not printed: sending them again could pay "
		    "twice; follow them with ia-collect --pending | ia-poll", fp.pending);
	if (fp.refused > 0)
		warnx("%lu refused by the server (4xx), not printed: the same request "
		    "would be refused again", fp.refused);
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

struct order_pass {
	jv	 index;		/* custom_id -> position in --input */
	long	 n;
};

static void
order_item(void *arg, struct ia_item *item)
{
	struct order_pass *op = arg;

	if (item->custom_id != NULL) {
		if (!jv_object_has(jv_copy(op->index), jv_string(item->custom_id)))
			op->index = jv_object_set(op->index, jv_string(item->custom_id),
			    jv_number((double)op->n++));
		free(item->custom_id);
	}
	jv_free(item->request);
}

/*
 * --sort --input: custom_ids read that are not in --input go after the
 * others, in custom_id order.  None of them in it means it was read with
 * options other than those it was submitted with: the order would be
 * wrong, silently, so it is a usage error; some: a note, unless -q.
 */
static void
check_order(jv index)
{
	jv		 keys = jv_keys(jv_copy(s.sorted)), first = jv_null();
	unsigned long	 missing = 0, n = 0;

	jv_array_foreach(keys, i, k) {
		n++;
		if (!jv_object_has(jv_copy(index), jv_copy(k)) && missing++ == 0) {
			jv_free(first);
			first = jv_copy(k);
		}
		jv_free(k);
	}
	jv_free(keys);
	jv_free(index);
	if (missing > 0 && missing == n)
		errx(IA_EXIT_USAGE, "--input: none of the %lu custom_ids read is in "
		    "%s as read (first: \"%.200s\"); read it with the options it was "
		    "submitted with (-t, -m, --system, --webhook-id; -e as "
		    "--input-filter)", n, s.input, jv_string_value(first));
	if (missing > 0 && !t.cfg.quiet)
		warnx("--input: %lu of the %lu custom_ids read %s not in %s, and "
		    "%s printed after the others (first: \"%.200s\")", missing, n,
		    missing == 1 ? "is" : "are", s.input, missing == 1 ? "is" : "are",
		    jv_string_value(first));
	jv_free(first);
}

/* --sort: by custom_id, or in the order of --input, the rest after. */
static void
print_sorted(void)
{
	struct order_pass op = { jv_object(), 0 };
	jv		 keys, v;

	if (s.input != NULL) {
		read_input(order_item, &op);
		check_order(jv_copy(op.index));
	}
	keys = ia_collect_order(jv_keys(jv_copy(s.sorted)), op.index);
	jv_array_foreach(keys, i, k) {
		v = jv_object_get(jv_copy(s.sorted), k);
		tool_put_text(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
	}
	jv_free(keys);
	jv_array_foreach(s.sorted_anon, i, t) {
		tool_put_text(jv_string_value(t), (size_t)jv_string_length_bytes(jv_copy(t)));
		jv_free(t);
	}
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
	char	 line[256];
	int	 n;

	n = snprintf(line, sizeof(line), "submitted %zu, done %lu, failed %lu, "
	    "pending %lu\n", s.c.sent.count, s.c.sum.success,
	    s.c.sum.failed - s.c.npending, s.c.npending);
	tool_put_text(line, (size_t)n);
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

/*
 * What the output cannot show, said once at the end.  Lines that are not
 * results (a note, unless -q: ia-poll passes through what it does not
 * follow), and, whatever -q, answers lost to a custom_id that two requests
 * shared, or paid for twice: the same request submitted twice under one
 * custom_id, as when the input is split before ids are assigned.
 */
static void
print_notes(void)
{
	const struct ia_summary *sum = &s.c.sum;
	bool	 one;

	if (sum->others > 0 && !t.cfg.quiet) {
		one = sum->others == 1;
		warnx("%lu %s skipped (first: %s)", sum->others, one ?
		    "line was not a result and was" :
		    "lines were not results and were", s.other_at);
	}
	if (sum->clashes > 0) {
		one = sum->clashes == 1;
		warnx("%lu answer%s dropped: %s another request than the one "
		    "answered under its custom_id (first: \"%.200s\"); different "
		    "requests shared a custom_id: give each its own, or assign ids "
		    "before splitting the input (ia-submit --requests-only; see "
		    "ia(7), SHARDING)", sum->clashes, one ? "" : "s",
		    one ? "it answers" : "each answers",
		    jv_string_value(sum->clash_first));
	}
	if (sum->extra_gens > 0) {
		one = sum->extra_gens == 1;
		warnx("%lu answer%s dropped: %s another generation of the request "
		    "answered under its custom_id (first: \"%.200s\"), which was "
		    "submitted, and paid for, more than once: assign ids before "
		    "splitting the input (ia-submit --requests-only; see ia(7), "
		    "SHARDING)", sum->extra_gens, one ? "" : "s",
		    one ? "it is" : "each is", jv_string_value(sum->extra_gen_first));
	}
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

/*
 * -t, -m, --system, --webhook-id and --input-filter (ia-submit's -e): how
 * --input is read, as ia-submit read it, so that its ids are the same.
 */
static void
input_option(int ch, const char *arg, const char *name)
{
	char	 msg[1024];

	if (ia_input_option(&s.in, ch, arg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (s.in_opt == NULL)
		s.in_opt = name;
}

int
main(int argc, char *argv[])
{
	struct ia_line		 line;
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
			s.input = optarg;
			break;
		case O_SUMMARY_JSON:
			s.summary_json = optarg;
			break;
		case 't':
			input_option('t', optarg, "-t");
			break;
		case 'm':
			input_option('m', optarg, "-m");
			break;
		case IA_OPT_SYSTEM:
			input_option(ch, optarg, "--system");
			break;
		case IA_OPT_WEBHOOK_ID:
			input_option(ch, optarg, "--webhook-id");
			break;
		case O_INPUT_FILTER:
			input_option('e', optarg, "--input-filter");
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
	    s.raw || filter != NULL || format != NULL || s.input != NULL ||
	    s.want_pending == s.want_status))
		errx(IA_EXIT_USAGE, "--pending and --status go alone");
	s.answers = !s.want_failed && !s.want_pending && !s.want_status;
	if (s.input != NULL && !s.sort && !s.want_failed)
		errx(IA_EXIT_USAGE, "--input goes with --sort or --failed");
	if (s.input != NULL && access(s.input, R_OK) == -1)
		err(IA_EXIT_USAGE, "%s", s.input);
	if (s.in_opt != NULL && s.input == NULL)
		errx(IA_EXIT_USAGE, "%s goes with --input: it says how to read the "
		    "--input file, as ia-submit read it", s.in_opt);
	if (s.in.text && s.in.model == NULL && s.in.filter == NULL &&
	    (getenv("IA_MODEL") == NULL || *getenv("IA_MODEL") == '\0'))
		errx(IA_EXIT_USAGE, "-t needs -m MODEL or IA_MODEL (or --input-filter), as with "
		    "ia-submit: the model is part of each request, and so of the "
		    "custom_id assigned to it");
	if (s.input != NULL && ia_input_init(&s.in, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
	if (filter != NULL && (s.jq = ia_jq_compile(filter, msg, sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	s.summary = want_summary || (!t.cfg.quiet && isatty(STDERR_FILENO));
	if (s.want_pending || s.want_status)
		s.summary = false;	/* their lines are the whole output */
	tool_setup(&t, argc - optind, argv + optind);
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
	s.sorted = jv_object();
	s.sorted_anon = jv_array();

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
	print_notes();
	ia_collect_free(&s.c);
	ia_input_free(&s.in);
	jv_free(s.sorted);
	jv_free(s.sorted_anon);
	ia_jq_free(s.jq);
	return tool_finish(&t);
}
