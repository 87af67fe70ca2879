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
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

enum format {
	F_NDJSON, F_OPENAI, F_TSV, F_CSV
};

/* Latency histogram: buckets 2% wide from 1 ms, so memory stays flat. */
#define LAT_MIN		0.001
#define LAT_STEP	1.02
#define LAT_BUCKETS	1100	/* up to about 2.9e6 s, past the 72 h limit */

static struct {
	enum format	 fmt;
	bool		 raw, nul, failed, sort, summary;
	const char	*input, *summary_json;
	const char	*file;		/* being read, for messages; NULL: stdin */
	FILE		*summary_fp;
	size_t		 max_line;
	struct ia_jq	*jq;		/* -e */

	struct ia_ids	 ok;		/* custom_ids answered */
	jv		 fails;		/* custom_id -> its last failure, as text */
	jv		 fail_order;	/* custom_ids, in order of first failure */
	jv		 anon;		/* failures without a custom_id */
	jv		 pending;	/* custom_id -> "i:" id or "g:" group id */
	jv		 sorted;	/* --sort: custom_id -> output text */
	jv		 sorted_anon;	/* --sort: output without a custom_id */
	bool		 write_failed;	/* an -e program failed on a record */

	/* Counts for the summary. */
	unsigned long	 records, others, dups, recovered, success;
	double		 tok_prompt, tok_completion, tok_total;
	unsigned long	 lat_n;
	unsigned long	 lat[LAT_BUCKETS];
	double		 lat_max, first, last;
} s = { .max_line = IA_DEFAULT_MAX_LINE, .first = -1, .last = -1 };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ia-collect [-0hqrsV] [-e filter] [-f format] [--failed] [--sort]\n"
	    "                  [--input file] [--summary-json file] [--max-line bytes]\n"
	    "                  [file ...]\n");
	exit(status);
}

/* Where a line is, for messages (one at a time). */
static const char *
where(long line)
{
	static char	 buf[512];

	return ia_source_where(s.file, line, buf, sizeof(buf));
}

static void
out_error(void)
{
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	err(IA_EXIT_USAGE, "stdout");
}

/* Write text, then flush: each record reaches the reader whole, at once. */
static void
put_text(const char *text, size_t len)
{
	clearerr(stdout);
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) == EOF ||
	    ferror(stdout))
		out_error();
}

/* TSV: tab, newline, carriage return and backslash escaped. */
static void
add_tsv(struct ia_buf *b, const char *t)
{
	for (; *t != '\0'; t++)
		switch (*t) {
		case '\t':
			ia_buf_adds(b, "\\t");
			break;
		case '\n':
			ia_buf_adds(b, "\\n");
			break;
		case '\r':
			ia_buf_adds(b, "\\r");
			break;
		case '\\':
			ia_buf_adds(b, "\\\\");
			break;
		default:
			ia_buf_add(b, t, 1);
		}
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void
add_csv(struct ia_buf *b, const char *t)
{
	if (strpbrk(t, ",\"\r\n") == NULL) {
		ia_buf_adds(b, t);
		return;
	}
	ia_buf_add(b, "\"", 1);
	for (; *t != '\0'; t++) {
		if (*t == '"')
			ia_buf_add(b, "\"", 1);
		ia_buf_add(b, t, 1);
	}
	ia_buf_add(b, "\"", 1);
}

/* A value as jq -r prints it: strings raw, anything else as JSON. */
static void
add_raw(struct ia_buf *b, jv v)
{
	jv	 d;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		ia_buf_add(b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
		return;
	}
	d = jv_dump_string(v, 0);
	ia_buf_adds(b, jv_string_value(d));
	jv_free(d);
}

static void
add_json(struct ia_buf *b, jv v)
{
	jv	 d = jv_dump_string(v, 0);

	ia_buf_add(b, jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)));
	ia_buf_add(b, "\n", 1);
	jv_free(d);
}

/* A text for a TSV or CSV field: a string as it is, null empty, else JSON. */
static jv
field_text(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	if (jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v)) {
		jv_free(v);
		return jv_string("");
	}
	return jv_dump_string(v, 0);
}

/* An OpenAI Batch output line for a result. */
static jv
openai_line(struct ia_result *r, bool ok)
{
	jv	 line = jv_object(), body, err, id, code, msg;

	id = jv_get_kind(r->id) == JV_KIND_STRING ?
	    jv_string_fmt("batch_req_%s", jv_string_value(r->id)) : jv_null();
	line = jv_object_set(line, jv_string("id"), id);
	line = jv_object_set(line, jv_string("custom_id"),
	    jv_get_kind(r->custom_id) == JV_KIND_STRING ? jv_copy(r->custom_id) : jv_null());
	if (ok) {
		if (jv_is_valid(r->response))
			body = jv_copy(r->response);
		else {
			/* Read back from our own answers: build what they kept. */
			body = jv_object_set(jv_object(), jv_string("index"), jv_number(0));
			body = jv_object_set(body, jv_string("message"), jv_object_set(
			    jv_object_set(jv_object(), jv_string("role"),
			    jv_string("assistant")), jv_string("content"),
			    jv_object_get(jv_copy(r->answer), jv_string("content"))));
			body = jv_object_set(body, jv_string("finish_reason"),
			    jv_object_get(jv_copy(r->answer), jv_string("finish_reason")));
			body = jv_object_set(jv_object(), jv_string("choices"),
			    JV_ARRAY(body));
			body = jv_object_set(body, jv_string("usage"),
			    jv_object_get(jv_copy(r->answer), jv_string("usage")));
		}
		body = jv_object_set(jv_object_set(jv_object_set(jv_object(),
		    jv_string("status_code"), jv_number(200)), jv_string("request_id"),
		    jv_get_kind(r->id) == JV_KIND_STRING ? jv_copy(r->id) : jv_null()),
		    jv_string("body"), body);
		line = jv_object_set(line, jv_string("response"), body);
		return jv_object_set(line, jv_string("error"), jv_null());
	}
	err = jv_object_get(jv_copy(r->answer), jv_string("error"));
	code = jv_get_kind(err) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(err), jv_string("stage")) : jv_invalid();
	msg = jv_get_kind(err) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(err), jv_string("message")) : jv_invalid();
	jv_free(err);
	line = jv_object_set(line, jv_string("response"), jv_null());
	return jv_object_set(line, jv_string("error"), jv_object_set(jv_object_set(
	    jv_object(), jv_string("code"), jv_is_valid(code) ? code :
	    (jv_free(code), jv_null())), jv_string("message"), jv_is_valid(msg) ? msg :
	    (jv_free(msg), jv_null())));
}

/*
 * What a result prints as, in the chosen form, appended to b.  rec is the
 * record as it came, for -e.  Failures print nothing in the answer-only forms
 * (-r, tsv, csv): they are counted, and ia-collect --failed gives them.
 */
static void
render(struct ia_buf *b, struct ia_result *r, jv rec, bool ok, long line)
{
	const char	*end = s.nul ? "\0" : "\n";
	size_t		 endlen = 1;
	jv		 v, msg;

	if (s.jq != NULL) {
		ia_jq_start(s.jq, ok ? rec : jv_copy(r->answer));
		if (!ok)
			jv_free(rec);
		while (jv_is_valid(v = ia_jq_next(s.jq))) {
			if (s.raw)
				add_raw(b, v);
			else {
				v = jv_dump_string(v, 0);
				ia_buf_adds(b, jv_string_value(v));
				jv_free(v);
			}
			ia_buf_add(b, end, endlen);
		}
		if (jv_is_valid(msg = ia_jq_error(s.jq, v))) {
			if (line > 0)
				warnx("%s: -e: %s", where(line), jv_string_value(msg));
			else
				warnx("-e: %s", jv_string_value(msg));
			s.write_failed = true;
		}
		jv_free(msg);
		return;
	}
	jv_free(rec);
	if (s.raw) {
		if (ok) {
			add_raw(b, jv_object_get(jv_copy(r->answer), jv_string("content")));
			ia_buf_add(b, end, endlen);
		}
		return;
	}
	switch (s.fmt) {
	case F_NDJSON:
		add_json(b, jv_copy(r->answer));
		break;
	case F_OPENAI:
		add_json(b, openai_line(r, ok));
		break;
	case F_TSV:
	case F_CSV:
		if (!ok)
			break;
		v = field_text(jv_copy(r->custom_id));
		msg = field_text(jv_object_get(jv_copy(r->answer), jv_string("content")));
		if (s.fmt == F_TSV) {
			add_tsv(b, jv_string_value(v));
			ia_buf_add(b, "\t", 1);
			add_tsv(b, jv_string_value(msg));
			ia_buf_add(b, "\n", 1);
		} else {
			add_csv(b, jv_string_value(v));
			ia_buf_add(b, ",", 1);
			add_csv(b, jv_string_value(msg));
			ia_buf_add(b, "\r\n", 2);
		}
		jv_free(v);
		jv_free(msg);
		break;
	}
}

/* Print a result now, or keep its text for --sort. */
static void
emit(struct ia_result *r, jv rec, bool ok, long line)
{
	struct ia_buf	 b = { 0 };

	render(&b, r, rec, ok, line);
	if (b.data == NULL)
		return;
	if (!s.sort)
		put_text(b.data, b.len);
	else if (jv_get_kind(r->custom_id) == JV_KIND_STRING)
		s.sorted = jv_object_set(s.sorted, jv_copy(r->custom_id),
		    jv_string_sized(b.data, (int)b.len));
	else
		s.sorted_anon = jv_array_append(s.sorted_anon,
		    jv_string_sized(b.data, (int)b.len));
	ia_buf_free(&b);
}

static void
count_latency(double d)
{
	int	 i;

	if (d < 0)
		return;
	i = d <= LAT_MIN ? 0 : (int)(log(d / LAT_MIN) / log(LAT_STEP)) + 1;
	if (i >= LAT_BUCKETS)
		i = LAT_BUCKETS - 1;
	s.lat[i]++;
	s.lat_n++;
	if (d > s.lat_max)
		s.lat_max = d;
}

/* The q-quantile of the latencies, to 2%: the upper edge of its bucket. */
static double
latency_quantile(double q)
{
	unsigned long	 want, seen = 0;
	int		 i;

	want = (unsigned long)ceil(q * (double)s.lat_n);
	if (want == 0)
		want = 1;
	for (i = 0; i < LAT_BUCKETS; i++)
		if ((seen += s.lat[i]) >= want) {
			double edge = LAT_MIN * pow(LAT_STEP, i);
			return edge < s.lat_max ? edge : s.lat_max;
		}
	return s.lat_max;
}

static double
num(jv obj, const char *key)
{
	jv	 v = jv_get_kind(obj) == JV_KIND_OBJECT ?
	    jv_object_get(obj, jv_string(key)) : (jv_free(obj), jv_invalid());
	double	 d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	jv_free(v);
	return d;
}

static void
count_times(const struct ia_result *r)
{
	if (r->dispatched >= 0 && (s.first < 0 || r->dispatched < s.first))
		s.first = r->dispatched;
	if (r->finished >= 0 && r->finished > s.last)
		s.last = r->finished;
}

/*
 * A held failure is kept as its JSON text: a parsed record costs several
 * times more, and there may be a million of them.
 */
static jv
fail_get(jv cid)
{
	jv	 t = jv_object_get(jv_copy(s.fails), cid), rec;

	if (!jv_is_valid(t))
		return t;
	rec = jv_parse(jv_string_value(t));
	jv_free(t);
	return rec;
}

static void
fail_put(jv cid, jv rec)
{
	s.fails = jv_object_set(s.fails, cid, jv_dump_string(rec, 0));
}

static void
on_success(struct ia_result *r, jv rec, long line)
{
	jv	 usage;
	int	 added = 1;

	if (jv_get_kind(r->custom_id) == JV_KIND_STRING) {
		if ((added = ia_ids_add(&s.ok, jv_string_value(r->custom_id))) == -1)
			err(IA_EXIT_USAGE, NULL);
		if (added == 0) {
			s.dups++;
			jv_free(rec);
			return;
		}
		if (jv_object_has(jv_copy(s.fails), jv_copy(r->custom_id))) {
			s.recovered++;
			s.dups++;
			s.fails = jv_object_delete(s.fails, jv_copy(r->custom_id));
		}
		if (jv_object_has(jv_copy(s.pending), jv_copy(r->custom_id)))
			s.pending = jv_object_delete(s.pending, jv_copy(r->custom_id));
	}
	s.success++;
	usage = jv_object_get(jv_copy(r->answer), jv_string("usage"));
	s.tok_prompt += num(jv_copy(usage), "prompt_tokens");
	s.tok_completion += num(jv_copy(usage), "completion_tokens");
	s.tok_total += num(usage, "total_tokens");
	if (r->dispatched >= 0 && r->finished >= 0)
		count_latency(r->finished - r->dispatched);
	count_times(r);
	if (!s.failed)
		emit(r, rec, true, line);
	else
		jv_free(rec);
}

/* Whether a failure's request can go to ia-submit as it is. */
static bool
resubmittable(jv req)
{
	bool	 yes = jv_get_kind(req) == JV_KIND_OBJECT &&
	    (jv_object_has(jv_copy(req), jv_string("messages")) ||
	    jv_object_has(jv_copy(req), jv_string("prompt")) ||
	    jv_object_has(jv_copy(req), jv_string("body")));

	jv_free(req);
	return yes;
}

/* A failure is held: it is printed at the end unless a success comes. */
static void
on_failure(struct ia_result *r)
{
	jv	 cid = r->custom_id, old, req;

	if (jv_get_kind(cid) != JV_KIND_STRING) {
		count_times(r);
		s.anon = jv_array_append(s.anon, jv_copy(r->answer));
		return;
	}
	if (ia_ids_has(&s.ok, jv_string_value(cid))) {
		s.dups++;
		return;
	}
	count_times(r);
	old = fail_get(jv_copy(cid));
	if (jv_is_valid(old)) {
		s.dups++;
		/*
		 * Keep a request that can be resubmitted, if only the older one
		 * had it: a poll error carries only the id it followed.
		 */
		req = jv_object_get(jv_copy(r->answer), jv_string("request"));
		if (!resubmittable(req)) {
			req = jv_object_get(jv_copy(old), jv_string("request"));
			if (resubmittable(jv_copy(req)))
				r->answer = jv_object_set(r->answer, jv_string("request"),
				    jv_copy(req));
			jv_free(req);
		}
	} else
		s.fail_order = jv_array_append(s.fail_order, jv_copy(cid));
	jv_free(old);
	if (jv_object_has(jv_copy(s.pending), jv_copy(cid)))
		s.pending = jv_object_delete(s.pending, jv_copy(cid));
	fail_put(jv_copy(cid), jv_copy(r->answer));
}

/* Submitted but not answered (yet): remembered, in case no answer comes. */
static void
on_pending(struct ia_result *r)
{
	jv	 ids = r->custom_ids, note;

	note = jv_string_fmt("%s:%s", r->group ? "g" : "i",
	    jv_get_kind(r->id) == JV_KIND_STRING ? jv_string_value(r->id) : "");
	if (r->group && jv_get_kind(ids) != JV_KIND_ARRAY) {
		/* A group that names none of its requests: nothing to wait for. */
		jv_free(note);
		s.others++;
		return;
	}
	if (jv_get_kind(ids) != JV_KIND_ARRAY) {
		if (jv_get_kind(r->custom_id) != JV_KIND_STRING) {
			jv_free(note);
			s.others++;
			return;
		}
		ids = JV_ARRAY(jv_copy(r->custom_id));
	} else
		ids = jv_copy(ids);
	jv_array_foreach(ids, i, cid) {
		if (jv_get_kind(cid) == JV_KIND_STRING &&
		    !ia_ids_has(&s.ok, jv_string_value(cid)) &&
		    !jv_object_has(jv_copy(s.fails), jv_copy(cid)))
			s.pending = jv_object_set(s.pending, cid, jv_copy(note));
		else
			jv_free(cid);
	}
	jv_free(ids);
	jv_free(note);
}

static void
on_line(const char *text, size_t len, long line)
{
	struct ia_result r;
	jv		 rec;
	char		 msg[600];

	s.records++;
	rec = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(rec)) {
		jv_free(rec);
		snprintf(msg, sizeof(msg), "%s: not JSON", where(line));
		s.anon = jv_array_append(s.anon, ia_record_error(NULL, "input", 0, msg,
		    0, jv_null(), line));
		return;
	}
	ia_result_read(jv_copy(rec), &r);
	switch (r.kind) {
	case IA_RESULT_SUCCESS:
		on_success(&r, rec, line);
		break;
	case IA_RESULT_FAILURE:
		on_failure(&r);
		jv_free(rec);
		break;
	case IA_RESULT_PENDING:
		on_pending(&r);
		jv_free(rec);
		break;
	case IA_RESULT_OTHER:
		s.others++;
		jv_free(rec);
		break;
	}
	ia_result_free(&r);
}

/*
 * What was submitted and never answered in this stream becomes a failure of
 * stage collect, whose request is what ia-poll needs to follow it again.
 */
static void
settle_pending(void)
{
	jv	 keys = jv_keys(jv_copy(s.pending)), note, req;
	char	 msg[512];
	const char *id;

	jv_array_foreach(keys, i, cid) {
		note = jv_object_get(jv_copy(s.pending), jv_copy(cid));
		id = jv_string_value(note) + 2;
		if (jv_string_value(note)[0] == 'g') {
			req = jv_object_set(jv_object_set(jv_object(), jv_string("group_id"),
			    jv_string(id)), jv_string("custom_ids"), JV_ARRAY(jv_copy(cid)));
			snprintf(msg, sizeof(msg), "no result in the input: submitted in "
			    "group %s (follow it with ia-poll)", id);
		} else {
			req = jv_object_set(jv_object_set(jv_object(), jv_string("id"),
			    *id ? jv_string(id) : jv_null()), jv_string("custom_id"),
			    jv_copy(cid));
			if (*id)
				snprintf(msg, sizeof(msg), "no result in the input: submitted "
				    "as %s (follow it with ia-poll)", id);
			else
				snprintf(msg, sizeof(msg), "no result in the input: still "
				    "running when last seen");
		}
		s.fail_order = jv_array_append(s.fail_order, jv_copy(cid));
		fail_put(cid, ia_record_error(jv_string_value(cid), "collect", 0, msg, 0,
		    req, 0));
		jv_free(note);
	}
	jv_free(keys);
	jv_free(s.pending);
	s.pending = jv_object();
}

static void
put_json(jv v)
{
	struct ia_buf	 b = { 0 };

	add_json(&b, v);
	put_text(b.data, b.len);
	ia_buf_free(&b);
}

struct failed_pass {
	jv	 want;		/* custom_id -> true, for those still to print */
};

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

/*
 * The next line, waiting for it: ia-collect has nothing else to do.  A
 * status other than IA_LINE_NONE, or -1 with errno.
 */
static int
next_line(struct ia_source *src, struct ia_line *line)
{
	enum ia_line_status st;
	struct pollfd	 pfd;
	int		 rc;

	while ((st = ia_source_next(src, line)) == IA_LINE_NONE) {
		if ((rc = ia_source_fill(src)) == -1)
			return -1;
		pfd.fd = ia_source_fd(src);
		pfd.events = POLLIN;
		if (rc == 0 && poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return (int)st;
}

/*
 * Read --input as ia-submit reads its input, calling fn per item.  0, or -1
 * with a message.
 */
static int
read_input(void (*fn)(void *, struct ia_item *), void *arg, char *msg, size_t len)
{
	struct ia_input	 in = { 0 };
	struct ia_source src;
	struct ia_line	 line;
	char		*names[1] = { (char *)s.input };
	int		 rc;

	if (ia_input_init(&in, msg, len) == -1)
		return -1;
	if (ia_source_init(&src, names, 1, s.max_line, msg, len) == -1) {
		ia_input_free(&in);
		return -1;
	}
	while ((rc = next_line(&src, &line)) != IA_LINE_EOF && rc != -1)
		if (rc == IA_LINE_OK)
			ia_input_line(&in, &line, fn, arg);
	if (rc == -1)
		snprintf(msg, len, "%s: %s", s.input, strerror(errno));
	ia_source_free(&src);
	ia_input_free(&in);
	return rc == -1 ? -1 : 0;
}

/* --failed: each custom_id that never succeeded, as its original request. */
static void
print_failed(void)
{
	struct failed_pass fp = { jv_object() };
	unsigned long	 lost = 0;
	char		 msg[1024];
	jv		 rec, req;

	jv_array_foreach(s.fail_order, i, cid) {
		if (jv_object_has(jv_copy(s.fails), jv_copy(cid)) &&
		    !ia_ids_has(&s.ok, jv_string_value(cid)))
			fp.want = jv_object_set(fp.want, cid, jv_true());
		else
			jv_free(cid);
	}
	if (s.input != NULL && read_input(failed_item, &fp, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
	/* Not in --input (or none given): the request the failure carries. */
	jv_array_foreach(s.fail_order, i, cid) {
		if (!jv_object_has(jv_copy(fp.want), jv_copy(cid))) {
			jv_free(cid);
			continue;
		}
		fp.want = jv_object_delete(fp.want, jv_copy(cid));
		rec = fail_get(cid);
		req = jv_object_get(rec, jv_string("request"));
		if (resubmittable(jv_copy(req)))
			put_json(req);
		else {
			jv_free(req);
			lost++;
		}
	}
	jv_array_foreach(s.anon, i, a) {
		req = jv_object_get(a, jv_string("request"));
		if (resubmittable(jv_copy(req)))
			put_json(req);
		else {
			jv_free(req);
			lost++;
		}
	}
	jv_free(fp.want);
	if (lost > 0)
		warnx("%lu failed without a request to resubmit (not in the stream%s)",
		    lost, s.input != NULL ? " nor in --input" : "; try --input");
}

/* The end of input: held failures that no success replaced, in order. */
static void
print_failures(void)
{
	struct ia_result r;
	jv		 rec;

	jv_array_foreach(s.fail_order, i, cid) {
		if (!jv_object_has(jv_copy(s.fails), jv_copy(cid))) {
			jv_free(cid);
			continue;
		}
		rec = fail_get(jv_copy(cid));
		ia_result_read(jv_copy(rec), &r);
		emit(&r, rec, false, 0);
		ia_result_free(&r);
		jv_free(cid);
	}
	jv_array_foreach(s.anon, i, a) {
		ia_result_read(jv_copy(a), &r);
		emit(&r, a, false, 0);
		ia_result_free(&r);
	}
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

/* --sort: by custom_id, or in the order of --input, the rest after. */
static void
print_sorted(void)
{
	struct order_pass op = { jv_object(), 0 };
	char		 msg[1024];
	jv		 keys, slots, rest = jv_array(), v;

	keys = jv_keys(jv_copy(s.sorted));
	if (s.input != NULL) {
		if (read_input(order_item, &op, msg, sizeof(msg)) == -1)
			errx(IA_EXIT_USAGE, "--input: %s", msg);
		slots = jv_array_set(jv_array(), (int)op.n, jv_null());
		jv_array_foreach(keys, i, k) {
			v = jv_object_get(jv_copy(op.index), jv_copy(k));
			if (jv_get_kind(v) == JV_KIND_NUMBER)
				slots = jv_array_set(slots, (int)jv_number_value(v), k);
			else
				rest = jv_array_append(rest, k);
			jv_free(v);
		}
		jv_free(keys);
		keys = jv_array_concat(slots, rest);
		rest = jv_array();
	}
	jv_free(rest);
	jv_free(op.index);
	jv_array_foreach(keys, i, k) {
		if (jv_get_kind(k) != JV_KIND_STRING) {
			jv_free(k);
			continue;
		}
		v = jv_object_get(jv_copy(s.sorted), k);
		put_text(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
	}
	jv_free(keys);
	jv_array_foreach(s.sorted_anon, i, t) {
		put_text(jv_string_value(t), (size_t)jv_string_length_bytes(jv_copy(t)));
		jv_free(t);
	}
}

/* Count a failure by its stage and by its message. */
static void
tally(jv *stages, jv *msgs, jv rec)
{
	jv	 e = jv_object_get(rec, jv_string("error")), v;

	v = jv_get_kind(e) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(e), jv_string("stage")) : jv_invalid();
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		v = jv_string("unknown");
	}
	*stages = jv_object_set(*stages, jv_copy(v),
	    jv_number(num(jv_copy(*stages), jv_string_value(v)) + 1));
	jv_free(v);
	v = jv_get_kind(e) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(e), jv_string("message")) : jv_invalid();
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		v = jv_string("(no message)");
	}
	*msgs = jv_object_set(*msgs, jv_copy(v),
	    jv_number(num(jv_copy(*msgs), jv_string_value(v)) + 1));
	jv_free(v);
	jv_free(e);
}

/* The five most common messages, most common first, ties by message. */
static jv
top_messages(jv msgs)
{
	jv	 keys = jv_keys(jv_copy(msgs)), top = jv_array(), counts = jv_array(), v;
	int	 n = jv_array_length(jv_copy(keys)), i, j, at;
	double	 best, c;

	for (i = 0; i < n; i++)
		counts = jv_array_append(counts, jv_object_get(jv_copy(msgs),
		    jv_array_get(jv_copy(keys), i)));
	for (j = 0; j < 5; j++) {
		at = -1;
		best = 0;
		for (i = 0; i < n; i++) {
			v = jv_array_get(jv_copy(counts), i);
			c = jv_number_value(v);
			jv_free(v);
			if (c > best) {
				best = c;
				at = i;
			}
		}
		if (at < 0)
			break;
		top = jv_array_append(top, jv_object_set(jv_object_set(jv_object(),
		    jv_string("message"), jv_array_get(jv_copy(keys), at)),
		    jv_string("count"), jv_number(best)));
		counts = jv_array_set(counts, at, jv_number(0));
	}
	jv_free(counts);
	jv_free(keys);
	jv_free(msgs);
	return top;
}

/* The summary as JSON: what -s prints and --summary-json writes. */
static jv
summary(void)
{
	jv	 sum = jv_object(), stages = jv_object(), msgs = jv_object(), v, rec;
	unsigned long failed = 0;
	double	 span = s.first >= 0 && s.last >= s.first ? s.last - s.first : -1;

	jv_array_foreach(s.fail_order, i, cid) {
		rec = fail_get(cid);
		if (jv_is_valid(rec)) {
			tally(&stages, &msgs, rec);
			failed++;
		} else
			jv_free(rec);
	}
	jv_array_foreach(s.anon, i, a) {
		tally(&stages, &msgs, a);
		failed++;
	}
	v = top_messages(msgs);
	sum = jv_object_set(sum, jv_string("records"), jv_number((double)s.records));
	sum = jv_object_set(sum, jv_string("success"), jv_number((double)s.success));
	sum = jv_object_set(sum, jv_string("failed"), jv_number((double)failed));
	sum = jv_object_set(sum, jv_string("success_rate"), s.success + failed > 0 ?
	    jv_number((double)s.success / (double)(s.success + failed)) : jv_null());
	sum = jv_object_set(sum, jv_string("errors"), stages);
	sum = jv_object_set(sum, jv_string("top_failures"), v);
	sum = jv_object_set(sum, jv_string("recovered"), jv_number((double)s.recovered));
	sum = jv_object_set(sum, jv_string("duplicates"), jv_number((double)s.dups));
	sum = jv_object_set(sum, jv_string("other_records"), jv_number((double)s.others));
	v = jv_object();
	v = jv_object_set(v, jv_string("prompt"), jv_number(s.tok_prompt));
	v = jv_object_set(v, jv_string("completion"), jv_number(s.tok_completion));
	v = jv_object_set(v, jv_string("total"), jv_number(s.tok_total));
	v = jv_object_set(v, jv_string("average_per_answer"), s.success > 0 ?
	    jv_number(s.tok_total / (double)s.success) : jv_null());
	v = jv_object_set(v, jv_string("average_completion"), s.success > 0 ?
	    jv_number(s.tok_completion / (double)s.success) : jv_null());
	sum = jv_object_set(sum, jv_string("tokens"), v);
	v = jv_object();
	v = jv_object_set(v, jv_string("p50"), s.lat_n ? jv_number(latency_quantile(0.5)) :
	    jv_null());
	v = jv_object_set(v, jv_string("p90"), s.lat_n ? jv_number(latency_quantile(0.9)) :
	    jv_null());
	v = jv_object_set(v, jv_string("max"), s.lat_n ? jv_number(s.lat_max) : jv_null());
	sum = jv_object_set(sum, jv_string("latency_seconds"), v);
	sum = jv_object_set(sum, jv_string("span_seconds"), span >= 0 ? jv_number(span) :
	    jv_null());
	sum = jv_object_set(sum, jv_string("answers_per_second"), span > 0 ?
	    jv_number((double)s.success / span) : jv_null());
	return sum;
}

static void
print_summary(jv sum)
{
	jv	 v;
	double	 rate;

	fprintf(stderr, "ia-collect: %.0f answers, %.0f failed",
	    num(jv_copy(sum), "success"), num(jv_copy(sum), "failed"));
	v = jv_object_get(jv_copy(sum), jv_string("success_rate"));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		fprintf(stderr, " (%.1f%% success)", 100 * jv_number_value(v));
	jv_free(v);
	fprintf(stderr, "; %.0f records read, %.0f duplicates, %.0f recovered by a "
	    "retry\n", num(jv_copy(sum), "records"), num(jv_copy(sum), "duplicates"),
	    num(jv_copy(sum), "recovered"));
	if (num(jv_copy(sum), "other_records") > 0)
		fprintf(stderr, "  not results:  %.0f records passed over\n",
		    num(jv_copy(sum), "other_records"));
	v = jv_object_get(jv_copy(sum), jv_string("errors"));
	if (jv_object_length(jv_copy(v)) > 0) {
		fprintf(stderr, "  failed by stage:");
		jv_object_foreach(v, k, n) {
			fprintf(stderr, " %s %.0f", jv_string_value(k), jv_number_value(n));
			jv_free(k);
			jv_free(n);
		}
		fputc('\n', stderr);
	}
	jv_free(v);
	v = jv_object_get(jv_copy(sum), jv_string("top_failures"));
	jv_array_foreach(v, i, f) {
		jv	 m = jv_object_get(jv_copy(f), jv_string("message"));

		fprintf(stderr, "  %6.0f x %s\n", num(f, "count"), jv_string_value(m));
		jv_free(m);
	}
	jv_free(v);
	v = jv_object_get(jv_copy(sum), jv_string("tokens"));
	fprintf(stderr, "  tokens:       %.0f prompt, %.0f completion, %.0f total",
	    num(jv_copy(v), "prompt"), num(jv_copy(v), "completion"),
	    num(jv_copy(v), "total"));
	if (s.success > 0)
		fprintf(stderr, " (%.1f per answer)", num(jv_copy(v), "average_per_answer"));
	fputc('\n', stderr);
	jv_free(v);
	if (s.lat_n > 0)
		fprintf(stderr, "  latency:      p50 %.2f s, p90 %.2f s, max %.2f s\n",
		    latency_quantile(0.5), latency_quantile(0.9), s.lat_max);
	rate = num(jv_copy(sum), "answers_per_second");
	if (s.first >= 0 && s.last >= s.first)
		fprintf(stderr, "  span:         %.1f s, %.2f answers/s\n",
		    s.last - s.first, rate);
	jv_free(sum);
}

static void
write_summary_json(jv sum)
{
	FILE	*fp = s.summary_fp;

	if (ia_record_write(fp, sum) == -1 || ia_record_close(fp) == -1)
		err(IA_EXIT_USAGE, "%s", s.summary_json);
}

enum {
	O_FAILED = 256, O_SORT, O_INPUT, O_SUMMARY_JSON
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "failed",		no_argument,		NULL,	O_FAILED },
		{ "sort",		no_argument,		NULL,	O_SORT },
		{ "input",		required_argument,	NULL,	O_INPUT },
		{ "summary-json",	required_argument,	NULL,	O_SUMMARY_JSON },
		{ "max-line",		required_argument,	NULL,	IA_OPT_MAX_LINE },
		{ "help",		no_argument,		NULL,	'h' },
		{ "version",		no_argument,		NULL,	'V' },
		{ NULL,			0,			NULL,	0 }
	};
	struct ia_config	 cfg;
	struct ia_source	 src;
	struct ia_line		 line;
	const char		*filter = NULL, *format = NULL;
	char			 msg[1024];
	bool			 quiet = false, want_summary = false;
	int			 ch, rc, status;
	jv			 sum;

	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&cfg);
	while ((ch = getopt_long(argc, argv, "0e:f:hqrsV", longopts, NULL)) != -1) {
		switch (ch) {
		case '0':
			s.nul = true;
			break;
		case 'e':
			filter = optarg;
			break;
		case 'f':
			format = optarg;
			if (strcmp(optarg, "ndjson") == 0)
				s.fmt = F_NDJSON;
			else if (strcmp(optarg, "openai") == 0)
				s.fmt = F_OPENAI;
			else if (strcmp(optarg, "tsv") == 0)
				s.fmt = F_TSV;
			else if (strcmp(optarg, "csv") == 0)
				s.fmt = F_CSV;
			else
				errx(IA_EXIT_USAGE, "-f: %s: not a format (ndjson, openai, "
				    "tsv, csv)", optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'r':
			s.raw = true;
			break;
		case 's':
			want_summary = true;
			break;
		case O_FAILED:
			s.failed = true;
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
		case IA_OPT_MAX_LINE:
			if (ia_config_option(&cfg, IA_OPT_MAX_LINE, optarg, msg,
			    sizeof(msg)) == -1)
				errx(IA_EXIT_USAGE, "%s", msg);
			s.max_line = cfg.max_line;
			break;
		case 'h':
			usage(IA_EXIT_OK);
		case 'V':
			printf("ia-collect %s\n", IA_VERSION);
			return IA_EXIT_OK;
		default:
			usage(IA_EXIT_USAGE);
		}
	}
	if (s.nul && !s.raw && filter == NULL)
		errx(IA_EXIT_USAGE, "-0 goes with -r or -e");
	if ((s.raw || filter != NULL) && format != NULL)
		errx(IA_EXIT_USAGE, "-f does not go with -r or -e");
	if (s.failed && (s.raw || filter != NULL || format != NULL))
		errx(IA_EXIT_USAGE, "--failed prints requests: not with -r, -e or -f");
	if (s.input != NULL && !s.sort && !s.failed)
		errx(IA_EXIT_USAGE, "--input goes with --sort or --failed");
	if (s.input != NULL && access(s.input, R_OK) == -1)
		err(IA_EXIT_USAGE, "%s", s.input);
	if (filter != NULL && (s.jq = ia_jq_compile(filter, msg, sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	s.summary = want_summary || (!quiet && isatty(STDERR_FILENO));
	if (ia_source_init(&src, argv + optind, argc - optind, s.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	/* Opened now, so that a bad path costs nothing. */
	if (s.summary_json != NULL && (s.summary_fp = fopen(s.summary_json, "w")) == NULL)
		err(IA_EXIT_USAGE, "%s", s.summary_json);
	if (s.fmt == F_CSV && !s.failed)
		put_text("custom_id,content\r\n", 19);
	ia_ids_init(&s.ok);
	s.fails = jv_object();
	s.fail_order = jv_array();
	s.anon = jv_array();
	s.pending = jv_object();
	s.sorted = jv_object();
	s.sorted_anon = jv_array();

	while ((rc = next_line(&src, &line)) != IA_LINE_EOF) {
		s.file = ia_source_name(&src);
		if (rc == -1)
			err(IA_EXIT_USAGE, "%s", s.file ? s.file : "stdin");
		if (rc == IA_LINE_OK)
			on_line(line.text, line.len, line.lineno);
		else {
			s.records++;
			s.anon = jv_array_append(s.anon, ia_input_too_long(&line,
			    s.max_line));
		}
	}
	ia_source_free(&src);
	settle_pending();
	if (s.failed)
		print_failed();
	else
		print_failures();
	if (s.sort && !s.failed)
		print_sorted();
	sum = summary();
	status = num(jv_copy(sum), "failed") > 0 || s.write_failed ?
	    IA_EXIT_FAILED : IA_EXIT_OK;
	if (s.summary_json != NULL)
		write_summary_json(jv_copy(sum));
	if (s.summary)
		print_summary(sum);
	else
		jv_free(sum);
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	jv_free(s.fails);
	jv_free(s.fail_order);
	jv_free(s.anon);
	jv_free(s.pending);
	jv_free(s.sorted);
	jv_free(s.sorted_anon);
	ia_ids_free(&s.ok);
	ia_config_free(&cfg);
	ia_jq_free(s.jq);
	return status;
}
