/*
 * The input forms of ia-submit and ia-group: request objects, OpenAI Batch
 * API lines, prompt text (-t) and anything a jq program (-e) turns into one
 * of those.  Each item that comes out is either a request with its kind and
 * custom_id, or an error record of stage "input" that names the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jq.h>

#include "ia.h"

const char *
ia_input_route(enum ia_kind kind, bool group)
{
	if (group)
		return kind == IA_KIND_TEXT ? "/v1/async/group/completions" :
		    "/v1/async/group/chat/completions";
	return kind == IA_KIND_TEXT ? "/v1/async/completions" :
	    "/v1/async/chat/completions";
}

struct jq_errors {
	char	 msg[512];
};

/* libjq reports compile errors through a callback: keep the first. */
static void
jq_error(void *arg, jv msg)
{
	struct jq_errors *e = arg;

	if (e->msg[0] == '\0') {
		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(e->msg, sizeof(e->msg), "%s", jv_string_value(msg));
		else
			snprintf(e->msg, sizeof(e->msg), "jq: error");
	}
	jv_free(msg);
}

/* jq's debug builtin, as jq(1) prints it: ["DEBUG:", value] on stderr. */
static void
jq_debug(void *arg, jv v)
{
	(void)arg;
	v = jv_dump_string(JV_ARRAY(jv_string("DEBUG:"), v), 0);
	fprintf(stderr, "%s\n", jv_string_value(v));
	jv_free(v);
}

/* A -e program: the compiled state, and its text, to compile it again. */
struct ia_jq {
	jq_state	*jq;
	char		*filter;
};

static jq_state *
jq_new(const char *filter, char *err, size_t errlen)
{
	static struct jq_errors	 errors;	/* static: jq keeps the pointer */
	jq_state		*jq;

	if ((jq = jq_init()) == NULL) {
		snprintf(err, errlen, "-e: cannot start jq");
		return NULL;
	}
	errors.msg[0] = '\0';
	jq_set_error_cb(jq, jq_error, &errors);
	jq_set_input_cb(jq, NULL, NULL);
	jq_set_debug_cb(jq, jq_debug, NULL);
	jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	if (!jq_compile(jq, filter)) {
		snprintf(err, errlen, "-e: %s", errors.msg[0] ? errors.msg :
		    "the program does not compile");
		jq_teardown(&jq);
		return NULL;
	}
	return jq;
}

/*
 * A -e program, compiled.  libjq 1.6 leaves the input and debug callbacks
 * and the library path unset, and then crashes on input, inputs, debug and
 * import: set them all first.  NULL, with a message in err, when it fails.
 */
struct ia_jq *
ia_jq_compile(const char *filter, char *err, size_t errlen)
{
	struct ia_jq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL || (q->filter = strdup(filter)) == NULL) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((q->jq = jq_new(filter, err, errlen)) == NULL) {
		free(q->filter);
		free(q);
		return NULL;
	}
	return q;
}

void
ia_jq_start(struct ia_jq *q, jv v)
{
	if (q->jq != NULL)
		jq_start(q->jq, v, 0);
	else
		jv_free(v);
}

/* The next value; without a program (lost to memory), an error. */
jv
ia_jq_next(struct ia_jq *q)
{
	if (q->jq == NULL)
		return jv_invalid_with_msg(jv_string("out of memory"));
	return jq_next(q->jq);
}

void
ia_jq_free(struct ia_jq *q)
{
	if (q == NULL)
		return;
	if (q->jq != NULL)
		jq_teardown(&q->jq);
	free(q->filter);
	free(q);
}

/*
 * After ia_jq_next() has returned an invalid value: the error it carries,
 * or the halt_error message, as a string; jv_invalid() when the program
 * simply ended.  Consumes v.
 */
jv
ia_jq_error(struct ia_jq *q, jv v)
{
	jv		 msg;
	char		 err[256];

	if (jv_invalid_has_msg(jv_copy(v))) {
		msg = jv_invalid_get_msg(v);
		return jv_get_kind(msg) == JV_KIND_STRING ? msg : jv_dump_string(msg, 0);
	}
	jv_free(v);
	if (q->jq == NULL || !jq_halted(q->jq))
		return jv_invalid();
	msg = jq_get_error_message(q->jq);
	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		msg = jv_string("halted");
	}
	/*
	 * libjq 1.6 frees the halt message again when a halted state is
	 * started anew: tear it down, and go on with a fresh one.
	 */
	jq_teardown(&q->jq);
	if ((q->jq = jq_new(q->filter, err, sizeof(err))) == NULL) {
		jv_free(msg);
		return jv_string_fmt("halt_error, then: %s", err);
	}
	return msg;
}

/*
 * --skip-done FILE: requests whose custom_id already has a successful
 * result in FILE are passed over (and counted), so a re-run of a killed or
 * partly failed job submits only what is left.  0, or -1 with a message.
 */
static int
skip_done(struct ia_input *in, const char *path, char *err, size_t errlen)
{
	char	 why[512];

	if (in->skip == NULL) {
		if ((in->skip = calloc(1, sizeof(*in->skip))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ia_ids_init(in->skip);
	}
	if (ia_result_load_done(path, in->skip, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "--skip-done: %s", why);
		return -1;
	}
	return 0;
}

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
		in->skip_done = arg;
		return 1;
	default:
		return 0;
	}
}

int
ia_input_init(struct ia_input *in, char *err, size_t errlen)
{
	ia_ids_init(&in->ids);
	in->jq = NULL;
	in->skip = NULL;
	in->skipped = 0;
	if (in->text && in->model == NULL && in->filter == NULL) {
		snprintf(err, errlen, "-t needs -m MODEL (or -e to build each request)");
		return -1;
	}
	if (in->system != NULL && !in->text) {
		snprintf(err, errlen, "--system goes with -t");
		return -1;
	}
	if (in->filter != NULL && (in->jq = ia_jq_compile(in->filter, err,
	    errlen)) == NULL)
		return -1;
	if (in->skip_done != NULL && skip_done(in, in->skip_done, err, errlen) == -1)
		return -1;
	return 0;
}

void
ia_input_free(struct ia_input *in)
{
	ia_jq_free(in->jq);
	in->jq = NULL;
	ia_ids_free(&in->ids);
	if (in->skip != NULL) {
		ia_ids_free(in->skip);
		free(in->skip);
		in->skip = NULL;
	}
}


static void
emit_error(struct ia_input *in, const char *custom_id, jv request, long line,
    void (*fn)(void *, struct ia_item *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* An input error record; the message starts with where: "line 7:" or "f:7:". */
static void
emit_error(struct ia_input *in, const char *custom_id, jv request, long line,
    void (*fn)(void *, struct ia_item *), void *arg, const char *fmt, ...)
{
	struct ia_item	 item;
	va_list		 ap;
	char		 msg[1024], at[512];
	int		 n;

	n = snprintf(msg, sizeof(msg), "%s: ", ia_where(in->file, line, at,
	    sizeof(at)));
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	item.kind = IA_KIND_NONE;
	item.custom_id = NULL;
	item.line = line;
	item.request = ia_record_error(custom_id, "input", 0, msg, 0,
	    jv_is_valid(request) ? request : (jv_free(request), jv_null()), line);
	fn(arg, &item);
}

const char *
ia_where(const char *file, long line, char *buf, size_t len)
{
	if (file != NULL)
		snprintf(buf, len, "%s:%ld", file, line);
	else
		snprintf(buf, len, "line %ld", line);
	return buf;
}

jv
ia_input_too_long(const char *file, long line, size_t max)
{
	char	 msg[768], at[512];

	snprintf(msg, sizeof(msg), "%s: line longer than --max-line (%zu bytes)",
	    ia_where(file, line, at, sizeof(at)), max);
	return ia_record_error(NULL, "input", 0, msg, 0, jv_null(), line);
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
 * One value (a parsed line, or one output of -e) to an item: unwrap a batch
 * line, fill in -m and --webhook-id, check the request, settle its custom_id.
 */
static void
one_value(struct ia_input *in, jv v, long line, void (*fn)(void *, struct ia_item *),
    void *arg)
{
	struct ia_item	 item;
	enum ia_kind	 kind;
	jv		 req, id, body, method, top, orig = jv_copy(v);
	char		 why[256], *cid = NULL;
	int		 added;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		emit_error(in, NULL, orig, line, fn, arg, "a request must be a JSON "
		    "object, not %s", jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		return;
	}
	body = jv_object_get(jv_copy(v), jv_string("body"));
	if (jv_get_kind(body) == JV_KIND_OBJECT) {
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
			emit_error(in, jv_is_valid(id) ? jv_string_value(id) : NULL, orig,
			    line, fn, arg, "batch line: method must be POST and url "
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
	if (in->webhook_id != NULL)
		req = set_metadata(req, "webhook_id", jv_string(in->webhook_id));
	if (jv_is_valid(id) && in->skip != NULL && ia_ids_has(in->skip,
	    jv_string_value(id))) {
		in->skipped++;
		goto skip;
	}
	if (jv_is_valid(id)) {
		if ((added = ia_ids_add(&in->ids, jv_string_value(id))) == 0) {
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
	if (!jv_is_valid(id) && in->skip != NULL && ia_ids_has(in->skip, cid)) {
		free(cid);
		in->skipped++;
		goto skip;
	}
	jv_free(id);
	jv_free(orig);
	item.kind = kind;
	item.custom_id = cid;
	item.line = line;
	item.request = set_metadata(req, "custom_id", jv_string(cid));
	fn(arg, &item);
	return;
bad:
	emit_error(in, jv_is_valid(id) ? jv_string_value(id) : NULL, orig, line, fn,
	    arg, "%s", why);
	jv_free(id);
	jv_free(req);
	return;
skip:
	/* --skip-done: it has an answer already. */
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
ia_input_line(struct ia_input *in, const char *text, size_t len, long line,
    void (*fn)(void *, struct ia_item *), void *arg)
{
	struct ia_jq	*jq = in->jq;
	jv		 v, out, msg;

	if (len > INT32_MAX) {
		emit_error(in, NULL, jv_null(), line, fn, arg, "line too long");
		return;
	}
	if (in->text)
		v = jv_string_sized(text, (int)len);
	else {
		v = jv_parse_sized(text, (int)len);
		if (!jv_is_valid(v)) {
			msg = jv_invalid_get_msg(v);
			emit_error(in, NULL, jv_null(), line, fn, arg, "not JSON: %s",
			    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
			    "parse error");
			jv_free(msg);
			return;
		}
	}
	if (jq == NULL) {
		one_value(in, in->text ? text_request(in, v) : v, line, fn, arg);
		return;
	}
	ia_jq_start(jq, jv_copy(v));
	while (jv_is_valid(out = ia_jq_next(jq)))
		one_value(in, in->text && jv_get_kind(out) == JV_KIND_STRING ?
		    text_request(in, out) : out, line, fn, arg);
	if (jv_is_valid(msg = ia_jq_error(jq, out))) {
		emit_error(in, NULL, v, line, fn, arg, "-e: %s", jv_string_value(msg));
		jv_free(msg);
		return;
	}
	jv_free(msg);
	jv_free(v);
}

/*
 * The files named as arguments, or stdin, read one after the other.  All are
 * opened before any work, so a typo in a name costs nothing.
 */
int
ia_source_init(struct ia_source *src, char **files, int nfiles, size_t max_line,
    char *err, size_t errlen)
{
	int	 i;

	memset(src, 0, sizeof(*src));
	src->max_line = max_line;
	src->nfiles = nfiles > 0 ? nfiles : 1;
	if ((src->fds = calloc((size_t)src->nfiles, sizeof(int))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	src->names = nfiles > 0 ? files : NULL;
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0)
			src->fds[i] = STDIN_FILENO;
		else if ((src->fds[i] = open(files[i], O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
			while (--i >= 0)
				if (src->fds[i] != STDIN_FILENO)
					close(src->fds[i]);
			free(src->fds);
			return -1;
		}
	}
	if (nfiles == 0)
		src->fds[0] = STDIN_FILENO;
	ia_reader_init(&src->reader, src->fds[0], max_line);
	return 0;
}

/* The name of the file being read, for messages; NULL for stdin alone. */
const char *
ia_source_name(const struct ia_source *src)
{
	if (src->names == NULL || src->cur >= src->nfiles)
		return NULL;
	return strcmp(src->names[src->cur], "-") == 0 ? "(stdin)" : src->names[src->cur];
}

/* The next line of any file; IA_LINE_EOF only after the last one. */
enum ia_line_status
ia_source_next(struct ia_source *src, struct ia_line *line)
{
	enum ia_line_status	 st;

	for (;;) {
		if (src->cur >= src->nfiles)
			return IA_LINE_EOF;
		if ((st = ia_reader_next(&src->reader, line)) != IA_LINE_EOF)
			return st;
		ia_reader_free(&src->reader);
		if (src->fds[src->cur] != STDIN_FILENO)
			close(src->fds[src->cur]);
		if (++src->cur < src->nfiles)
			ia_reader_init(&src->reader, src->fds[src->cur], src->max_line);
	}
}

int
ia_source_fd(const struct ia_source *src)
{
	return src->cur < src->nfiles ? src->fds[src->cur] : -1;
}

int
ia_source_fill(struct ia_source *src)
{
	return src->cur < src->nfiles ? ia_reader_fill(&src->reader) : 0;
}

void
ia_source_free(struct ia_source *src)
{
	if (src->cur < src->nfiles) {
		ia_reader_free(&src->reader);
		for (; src->cur < src->nfiles; src->cur++)
			if (src->fds[src->cur] != STDIN_FILENO)
				close(src->fds[src->cur]);
	}
	free(src->fds);
	src->fds = NULL;
}

int
ia_source_wait(struct ia_source *src, struct ia_http *h, bool want, int timeout_ms,
    char *err, size_t errlen)
{
	struct curl_waitfd	 wfd;

	want = want && ia_source_fd(src) != -1;
	wfd.fd = ia_source_fd(src);
	wfd.events = CURL_WAIT_POLLIN;
	wfd.revents = 0;
	if (ia_http_poll(h, want ? &wfd : NULL, want ? 1 : 0, timeout_ms) == -1) {
		snprintf(err, errlen, "the curl multi interface failed");
		return -1;
	}
	if (want && ia_source_fill(src) == -1) {
		snprintf(err, errlen, "%s: %s", ia_source_name(src) ?
		    ia_source_name(src) : "stdin", strerror(errno));
		return -1;
	}
	return 0;
}
