/*
 * The input forms of ia-submit and ia-group: request objects, OpenAI Batch
 * API lines, prompt text (-t) and anything a jq program (-e) turns into one
 * of those.  Each item that comes out is either a request with its kind and
 * custom_id, or an error record of stage "input" that names the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

/*
 * --skip-done FILE: requests whose custom_id already has a successful
 * result in FILE, or was submitted by a run that kept FILE as its
 * --journal, are passed over (and counted), so a re-run of a killed or
 * partly failed job submits only what is left, and nothing twice.
 */
static int
skip_done(struct ia_input *in, const char *path, char *err, size_t errlen)
{
	char	 why[512];

	if (ia_result_load_done(path, &in->done, &in->sent, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--skip-done: %s", why);
		return -1;
	}
	return 0;
}

/* Whether a request is passed over for --skip-done, counted by why. */
static bool
skipped(struct ia_input *in, const char *custom_id)
{
	if (ia_ids_has(&in->done, custom_id, strlen(custom_id)))
		in->skipped_done++;
	else if (ia_ids_has(&in->sent, custom_id, strlen(custom_id)))
		in->skipped_sent++;
	else
		return false;
	return true;
}

/* The input options: one row each, in the order --help lists them. */
const struct ia_option ia_input_options[] = {
	{ 'e', NULL, "filter", "a jq program that makes the requests of each "
	    "line", false },
	{ 'm', NULL, "model", "the model of requests that name none", false },
	{ 't', NULL, NULL, "each line is a prompt, not a request", false },
	{ IA_OPT_SYSTEM, "system", "text", "with -t, a system message before "
	    "each prompt", false },
	{ IA_OPT_WEBHOOK_ID, "webhook-id", "id", "set metadata.webhook_id in "
	    "every request", false },
	{ IA_OPT_SKIP_DONE, "skip-done", "file", "skip what file shows done "
	    "or submitted (up to 16 times)", false },
	{ IA_OPT_JOURNAL, "journal", "file", "journal what is submitted in "
	    "file before printing it", false },
	{ 0 }
};

int
ia_input_option(struct ia_input *in, int ch, const char *arg, char *err, size_t errlen)
{
	switch (ch) {
	case 'e':
		in->filter = arg;
		return 1;
	case 'm':
		if (*arg == '\0') {
			snprintf(err, errlen, "-m: the model must not be empty");
			return -1;
		}
		in->model = arg;
		return 1;
	case 't':
		in->text = true;
		return 1;
	case IA_OPT_SYSTEM:
		in->system = arg;
		return 1;
	case IA_OPT_WEBHOOK_ID:
		if (*arg == '\0') {
			snprintf(err, errlen, "--webhook-id: must not be empty");
			return -1;
		}
		in->webhook_id = arg;
		return 1;
	case IA_OPT_SKIP_DONE:
		if (in->nskip == IA_INPUT_MAX_SKIP) {
			snprintf(err, errlen, "--skip-done: %d files at most",
			    IA_INPUT_MAX_SKIP);
			return -1;
		}
		in->skip_done[in->nskip++] = arg;
		return 1;
	case IA_OPT_JOURNAL:
		in->journal = arg;
		return 1;
	default:
		return 0;
	}
}

int
ia_input_init(struct ia_input *in, char *err, size_t errlen)
{
	const char *env;
	int	 i;

	ia_ids_init(&in->ids);
	in->jq = NULL;
	ia_ids_init(&in->done);
	ia_ids_init(&in->sent);
	in->skipped_done = in->skipped_sent = 0;
	if (in->model == NULL && (env = getenv("IA_MODEL")) != NULL &&
	    *env != '\0')
		in->model = env;
	if (in->text && in->model == NULL && in->filter == NULL) {
		snprintf(err, errlen, "-t needs -m MODEL or IA_MODEL in the "
		    "environment (or -e to build each request)");
		return -1;
	}
	if (in->system != NULL && !in->text) {
		snprintf(err, errlen, "--system goes with -t");
		return -1;
	}
	if (in->filter != NULL && (in->jq = ia_jq_compile(in->filter, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < in->nskip; i++)
		if (skip_done(in, in->skip_done[i], err, errlen) == -1)
			return -1;
	return 0;
}

void
ia_input_free(struct ia_input *in)
{
	ia_jq_free(in->jq);
	in->jq = NULL;
	ia_ids_free(&in->ids);
	ia_ids_free(&in->done);
	ia_ids_free(&in->sent);
}


static void
emit_error(const char *custom_id, jv request,
    const struct ia_line *l,
    void (*fn)(void *, struct ia_item *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* An input error record; the message starts with where: "line 7:" or "f:7:". */
static void
emit_error(const char *custom_id, jv request,
    const struct ia_line *l,
    void (*fn)(void *, struct ia_item *), void *arg, const char *fmt, ...)
{
	struct ia_item	 item;
	va_list		 ap;
	char		 msg[1024], at[512];
	int		 n;

	n = snprintf(msg, sizeof(msg), "%s: ", ia_source_where(l->file, l->lineno, at,
	    sizeof(at)));
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	item.kind = IA_KIND_NONE;
	item.custom_id = NULL;
	item.line = l->lineno;
	item.request = ia_record_error(custom_id, "input", 0, msg, 0,
	    jv_is_valid(request) ? request : (jv_free(request), jv_null()),
	    l->lineno);
	fn(arg, &item);
}

jv
ia_input_too_long(const struct ia_line *l, size_t max)
{
	char	 msg[768], at[512];

	snprintf(msg, sizeof(msg), "%s: line longer than --max-line (%zu bytes)",
	    ia_source_where(l->file, l->lineno, at, sizeof(at)), max);
	return ia_record_error(NULL, "input", 0, msg, 0, jv_null(), l->lineno);
}

void
ia_input_tally(struct ia_input_tally *t, const struct ia_item *item)
{
	jv	 msg;

	if (item->kind != IA_KIND_NONE)
		t->requests++;
	else if (t->errors++ == 0) {
		msg = ia_record_field(ia_record_field(jv_copy(item->request),
		    "error"), "message");
		snprintf(t->first, sizeof(t->first), "%s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
	}
}

/*
 * A file of which no line is a request is not in the form given (plain
 * text without -t, most likely), and the ids of what it holds would not
 * be those submitted; some lines that are not: worth a note.
 */
int
ia_input_verdict(const struct ia_input_tally *t, const struct ia_input *in,
    const char *name, bool opts, char *msg, size_t len)
{
	if (t->requests == 0 && t->errors > 0) {
		snprintf(msg, len, "no line of %s is a request as read%s (%s)%s", name,
		    opts ? " with the options given" : "", t->first, !in->text &&
		    strstr(t->first, ": not JSON") != NULL ? "; is it plain text? "
		    "read it as ia-submit did: -t -m MODEL" : "");
		return -1;
	}
	if (t->errors == 0)
		return 0;
	snprintf(msg, len, "%lu line%s of %s gave no request, as ia-submit gave "
	    "none (first: %s)", t->errors, t->errors == 1 ? "" : "s", name,
	    t->first);
	return 1;
}

/* The kind a batch line's url names, or IA_KIND_NONE. */
static enum ia_kind
batch_kind(jv url)
{
	const char	*s;
	size_t		 n;
	enum ia_kind	 kind = IA_KIND_NONE;

	if (jv_get_kind(url) == JV_KIND_STRING) {
		s = jv_string_value(url);
		n = strlen(s);
		if (n >= 17 && strcmp(s + n - 17, "/chat/completions") == 0)
			kind = IA_KIND_CHAT;
		else if (n >= 12 && strcmp(s + n - 12, "/completions") == 0)
			kind = IA_KIND_TEXT;
	}
	jv_free(url);
	return kind;
}

static jv
set_metadata(jv req, const char *key, jv value)
{
	jv	 md = jv_object_get(jv_copy(req), jv_string("metadata"));

	if (jv_get_kind(md) != JV_KIND_OBJECT) {
		jv_free(md);
		md = jv_object();
	}
	md = jv_object_set(md, jv_string(key), value);
	return jv_object_set(req, jv_string("metadata"), md);
}

/*
 * Whether req's metadata.custom_id is the string cid already, as it is when
 * the input gave it: setting it again would copy metadata for nothing.
 */
static bool
has_custom_id(jv req, const char *cid)
{
	jv	 v;
	bool	 yes;

	v = ia_record_field(ia_record_field(jv_copy(req), "metadata"), "custom_id");
	yes = jv_get_kind(v) == JV_KIND_STRING && strcmp(jv_string_value(v), cid) == 0 &&
	    strlen(cid) == (size_t)jv_string_length_bytes(jv_copy(v));
	jv_free(v);
	return yes;
}

/*
 * Whether a custom_id of rec (metadata.custom_id, or custom_id beside it) is
 * a number that overflowed: jq reads 1e400 as infinity and prints it as
 * the largest double, a custom_id that was never written.
 */
static bool
id_overflows(jv rec)
{
	jv	 a, b;
	bool	 yes;

	a = ia_record_field(ia_record_field(jv_copy(rec), "metadata"), "custom_id");
	b = ia_record_field(rec, "custom_id");
	yes = (jv_get_kind(a) == JV_KIND_NUMBER && !isfinite(jv_number_value(a))) ||
	    (jv_get_kind(b) == JV_KIND_NUMBER && !isfinite(jv_number_value(b)));
	jv_free(a);
	jv_free(b);
	return yes;
}

/*
 * One value (a parsed line, or one output of -e) to an item: unwrap a batch
 * line, fill in -m and --webhook-id, check the request, settle its custom_id.
 */
static void
one_value(struct ia_input *in, jv v, const struct ia_line *l,
    void (*fn)(void *, struct ia_item *), void *arg)
{
	struct ia_item	 item;
	enum ia_kind	 kind;
	jv		 req, id, body, method, top, orig = jv_copy(v);
	char		 why[256], *cid = NULL;
	int		 added;
	bool		 batch;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		emit_error(NULL, orig, l, fn, arg, "a request must be a JSON "
		    "object, not %s", jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		return;
	}
	body = jv_object_get(jv_copy(v), jv_string("body"));
	if ((batch = jv_get_kind(body) == JV_KIND_OBJECT)) {
		/* An OpenAI Batch API line: the request is its body. */
		id = ia_record_custom_id(jv_copy(body));
		if (!jv_is_valid(id))
			id = ia_record_custom_id(jv_copy(v));
		kind = batch_kind(jv_object_get(jv_copy(v), jv_string("url")));
		method = jv_object_get(jv_copy(v), jv_string("method"));
		if (jv_is_valid(method) && (jv_get_kind(method) != JV_KIND_STRING ||
		    strcmp(jv_string_value(method), "POST") != 0))
			kind = IA_KIND_NONE;
		jv_free(method);
		if (kind == IA_KIND_NONE) {
			emit_error(jv_is_valid(id) ? jv_string_value(id) : NULL, orig,
			    l, fn, arg, "batch line: method must be POST and url "
			    "/v1/chat/completions or /v1/completions");
			jv_free(id);
			jv_free(body);
			jv_free(v);
			return;
		}
		req = body;
		jv_free(v);
	} else {
		jv_free(body);
		id = ia_record_custom_id(jv_copy(v));
		/* A custom_id beside the request is ours, not an API parameter. */
		top = jv_object_get(jv_copy(v), jv_string("custom_id"));
		if (jv_is_valid(top)) {
			v = jv_object_delete(v, jv_string("custom_id"));
			if (!jv_is_valid(id) && jv_get_kind(top) == JV_KIND_STRING &&
			    jv_string_length_bytes(jv_copy(top)) > 0)
				id = jv_copy(top);
			else if (!jv_is_valid(id) && jv_get_kind(top) == JV_KIND_NUMBER)
				id = jv_dump_string(jv_copy(top), 0);
		}
		jv_free(top);
		req = v;
		kind = ia_request_kind(jv_copy(req));
	}
	/* custom_ids are kept as C strings: one holding a NUL would be cut short. */
	if (jv_is_valid(id) && strlen(jv_string_value(id)) !=
	    (size_t)jv_string_length_bytes(jv_copy(id))) {
		jv_free(id);
		id = jv_invalid();
		snprintf(why, sizeof(why), "custom_id must not hold a NUL byte");
		goto bad;
	}
	if (in->model != NULL &&
	    !jv_object_has(jv_copy(req), jv_string("model")))
		req = jv_object_set(req, jv_string("model"), jv_string(in->model));
	if (kind == IA_KIND_NONE) {
		snprintf(why, sizeof(why), "a request needs messages (chat) or "
		    "prompt (text completion)");
		goto bad;
	}
	if (ia_request_check(jv_copy(req), kind, why, sizeof(why)) == -1)
		goto bad;
	/*
	 * custom_ids are C strings from here on: one holding a NUL would be
	 * cut short there, sent so and taken for another.
	 */
	/* Beside a batch line's, its body's; else req's are orig's. */
	if (id_overflows(jv_copy(orig)) || (batch && id_overflows(jv_copy(req)))) {
		jv_free(id);
		id = jv_invalid();
		snprintf(why, sizeof(why), "custom_id is a number out of range "
		    "(give it as a string)");
		goto bad;
	}
	if (in->webhook_id != NULL)
		req = set_metadata(req, "webhook_id", jv_string(in->webhook_id));
	if (jv_is_valid(id) && skipped(in, jv_string_value(id)))
		goto skip;
	if (jv_is_valid(id)) {
		if ((added = ia_ids_add(&in->ids, jv_string_value(id),
		    (size_t)jv_string_length_bytes(jv_copy(id)))) == 0) {
			snprintf(why, sizeof(why), "duplicate custom_id \"%.200s\"",
			    jv_string_value(id));
			goto bad;
		}
		cid = added == 1 ? strdup(jv_string_value(id)) : NULL;
	} else
		cid = ia_ids_assign(&in->ids, jv_copy(req));
	if (cid == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		goto bad;
	}
	if (!jv_is_valid(id) && skipped(in, cid)) {
		free(cid);
		goto skip;
	}
	jv_free(id);
	jv_free(orig);
	item.kind = kind;
	item.custom_id = cid;
	item.line = l->lineno;
	item.request = has_custom_id(req, cid) ? req :
	    set_metadata(req, "custom_id", jv_string(cid));
	fn(arg, &item);
	return;
bad:
	emit_error(jv_is_valid(id) ? jv_string_value(id) : NULL, orig, l, fn,
	    arg, "%s", why);
	jv_free(id);
	jv_free(req);
	return;
skip:
	/* --skip-done: it has an answer already, or is on its way. */
	jv_free(id);
	jv_free(orig);
	jv_free(req);
}

/* -t: a prompt line to a chat request, --system first when given. */
static jv
text_request(const struct ia_input *in, jv line)
{
	jv	 msgs = jv_array(), req = jv_object();

	if (in->system != NULL)
		msgs = jv_array_append(msgs, jv_object_set(jv_object_set(jv_object(),
		    jv_string("role"), jv_string("system")), jv_string("content"),
		    jv_string(in->system)));
	msgs = jv_array_append(msgs, jv_object_set(jv_object_set(jv_object(),
	    jv_string("role"), jv_string("user")), jv_string("content"), line));
	if (in->model != NULL)
		req = jv_object_set(req, jv_string("model"), jv_string(in->model));
	return jv_object_set(req, jv_string("messages"), msgs);
}

void
ia_input_line(struct ia_input *in, const struct ia_line *l,
    void (*fn)(void *, struct ia_item *), void *arg)
{
	struct ia_jq	*jq = in->jq;
	jv		 v, out, msg;

	if (l->len > INT32_MAX) {
		emit_error(NULL, jv_null(), l, fn, arg, "line too long");
		return;
	}
	if (in->text)
		v = jv_string_sized(l->text, (int)l->len);
	else {
		v = ia_record_parse(l->text, l->len);
		if (!jv_is_valid(v)) {
			msg = jv_invalid_get_msg(v);
			emit_error(NULL, jv_null(), l, fn, arg, "not JSON: %s",
			    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
			    "parse error");
			jv_free(msg);
			return;
		}
	}
	if (jq == NULL) {
		one_value(in, in->text ? text_request(in, v) : v, l, fn, arg);
		return;
	}
	ia_jq_start(jq, jv_copy(v));
	while (jv_is_valid(out = ia_jq_next(jq)))
		one_value(in, in->text && jv_get_kind(out) == JV_KIND_STRING ?
		    text_request(in, out) : out, l, fn, arg);
	if (jv_is_valid(msg = ia_jq_error(jq, out))) {
		emit_error(NULL, v, l, fn, arg, "-e: %s", jv_string_value(msg));
		jv_free(msg);
		return;
	}
	jv_free(msg);
	jv_free(v);
}

