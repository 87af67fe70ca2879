/*
 * Records: writing one as one whole line, the custom_id a record carries,
 * the one error record shape, and what kind of record a line is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"


/*
 * One record, one line, one fwrite() and a flush, so that whoever reads the
 * output (or finds it after a kill) sees whole lines only.  The tools ignore
 * SIGPIPE, so a reader that went away comes back as EPIPE.
 */
int
ia_record_write(FILE *fp, jv v)
{
	struct ia_buf	 s = { 0 };
	int		 rc = 0;

	if (!jv_is_valid(v)) {
		jv_free(v);
		errno = EINVAL;
		return -1;
	}
	if (ia_json_dump(&s, v, false) == -1 || ia_buf_add(&s, "\n", 1) == -1) {
		ia_buf_free(&s);
		errno = ENOMEM;
		return -1;
	}
	/*
	 * glibc's fwrite can report success for a line-buffered stream whose
	 * write(2) failed, dropping the bytes; only ferror() tells.
	 */
	clearerr(fp);
	errno = 0;
	if (fwrite(s.data, 1, s.len, fp) != s.len || fflush(fp) == EOF ||
	    ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		rc = -1;
	}
	ia_buf_free(&s);
	return rc;
}

/*
 * Buffered bytes can fail to reach the disk at the very end (a full disk,
 * a closed pipe), and an earlier write may have failed unseen: report both.
 */
int
ia_record_close(FILE *fp)
{
	int	 rc = 0, saved = 0;

	errno = 0;
	if (fflush(fp) == EOF) {
		saved = errno ? errno : EIO;
		rc = -1;
	}
	if (ferror(fp)) {
		if (saved == 0)
			saved = errno ? errno : EIO;
		rc = -1;
	}
	errno = 0;
	if (fclose(fp) == EOF) {
		if (saved == 0)
			saved = errno ? errno : EIO;
		rc = -1;
	}
	if (rc == -1)
		errno = saved;
	return rc;
}

/*
 * libjq 1.6 reads a byte 0x1e (RS, the separator of RFC 7464 JSON text
 * sequences) as the end of the input, even inside a string:
 * jv_parse_sized() gives {"a":1} for {"a":1}<RS>anything, so a line with
 * garbage after a record, or two records, would be taken for the first.
 * JSON has no RS outside a string and allows none raw inside one.
 *
 * And it leaks a string that comes right after a value, with no separator
 * between them (["a" "b"], {"a" "b"}): a string that starts after anything
 * but [ { , : or the start of the line is refused here, as libjq would
 * refuse it, before libjq sees it.  White space is what jq takes for it.
 */
jv
ia_record_parse(const char *text, size_t len)
{
	size_t		 i;
	bool		 in_string = false, escaped = false, value = false;
	char		 msg[128], c;

	if (len > INT32_MAX)
		return jv_invalid_with_msg(jv_string("line too long"));
	for (i = 0; i < len; i++) {
		if ((c = text[i]) == 0x1e) {
			snprintf(msg, sizeof(msg), "a byte 0x1e (RS) at column %zu",
			    i + 1);
			return jv_invalid_with_msg(jv_string(msg));
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '"' && value) {
			snprintf(msg, sizeof(msg), "Expected separator between "
			    "values at line 1, column %zu", i + 1);
			return jv_invalid_with_msg(jv_string(msg));
		}
		in_string = c == '"';
		/* What comes next follows a value, unless this opens or separates. */
		value = c != '[' && c != '{' && c != ',' && c != ':';
	}
	return jv_parse_sized(text, (int)len);
}

bool
ia_record_has_nul(jv v)
{
	bool	 yes = jv_get_kind(v) == JV_KIND_STRING && strlen(jv_string_value(v)) !=
	    (size_t)jv_string_length_bytes(jv_copy(v));

	jv_free(v);
	return yes;
}

/*
 * custom_ids are C strings to the tools, and one cut at a NUL would be
 * taken for another.  Only a line with a NUL or a \u0000 in it is looked at.
 */
bool
ia_record_nul_custom_id(const char *text, size_t len, jv rec)
{
	jv	 ids;
	bool	 yes;

	if (memchr(text, '\0', len) == NULL && memmem(text, len, "\\u0000", 6) == NULL) {
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

/* A usable id: a non-empty string as it is, a number printed, else invalid. */
static jv
id_value(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (jv_string_length_bytes(jv_copy(v)) > 0)
			return v;
		break;
	case JV_KIND_NUMBER:
		return jv_dump_string(v, 0);
	default:
		break;
	}
	jv_free(v);
	return jv_invalid();
}

/*
 * metadata.custom_id comes first: it is what the API itself carries through.
 * A top-level custom_id only counts on an OpenAI batch line (one with a
 * "body" object), where it is the line's id; on a plain request it is
 * nothing the API knows of.
 */
jv
ia_record_custom_id(jv rec)
{
	jv	 md, body, id;

	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		return jv_invalid();
	}
	md = jv_object_get(jv_copy(rec), jv_string("metadata"));
	if (jv_get_kind(md) == JV_KIND_OBJECT) {
		id = id_value(jv_object_get(md, jv_string("custom_id")));
		if (jv_is_valid(id)) {
			jv_free(rec);
			return id;
		}
	} else
		jv_free(md);
	body = jv_object_get(jv_copy(rec), jv_string("body"));
	if (jv_get_kind(body) == JV_KIND_OBJECT) {
		jv_free(body);
		return id_value(jv_object_get(rec, jv_string("custom_id")));
	}
	jv_free(body);
	jv_free(rec);
	return jv_invalid();
}

static jv
str_or_null(const char *s)
{
	return s != NULL ? jv_string(s) : jv_null();
}

/*
 * Every key is always there, null when unknown, so that a consumer can test
 * .error.status or .line without first asking whether it exists.
 */
jv
ia_record_error(const char *custom_id, const char *stage, long status,
    const char *message, int attempts, jv request, long line)
{
	jv	 err, rec;

	if (!jv_is_valid(request)) {
		jv_free(request);
		request = jv_null();
	}
	err = jv_object();
	err = jv_object_set(err, jv_string("stage"), str_or_null(stage));
	err = jv_object_set(err, jv_string("status"),
	    status > 0 ? jv_number((double)status) : jv_null());
	err = jv_object_set(err, jv_string("message"), str_or_null(message));
	err = jv_object_set(err, jv_string("attempts"), jv_number(attempts));

	rec = jv_object();
	rec = jv_object_set(rec, jv_string("custom_id"), str_or_null(custom_id));
	rec = jv_object_set(rec, jv_string("error"), err);
	rec = jv_object_set(rec, jv_string("request"), request);
	rec = jv_object_set(rec, jv_string("line"),
	    line > 0 ? jv_number((double)line) : jv_null());
	return rec;
}

/* Only our own shape: an API answer may carry an "error" of another form. */
bool
ia_record_is_error(jv rec)
{
	jv	 err;
	bool	 yes = false;

	if (jv_get_kind(rec) == JV_KIND_OBJECT) {
		err = jv_object_get(jv_copy(rec), jv_string("error"));
		if (jv_get_kind(err) == JV_KIND_OBJECT)
			yes = jv_object_has(jv_copy(err), jv_string("stage"));
		jv_free(err);
	}
	jv_free(rec);
	return yes;
}


/* obj[key], with null taken as missing: jv_invalid().  Safe on any value. */
jv
ia_record_field(jv obj, const char *key)
{
	jv	 v;

	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		return jv_invalid();
	}
	v = jv_object_get(obj, jv_string(key));
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

static bool
has(jv obj, const char *key)
{
	return jv_object_has(jv_copy(obj), jv_string(key));
}

/*
 * An OpenAI Batch output line: its response has a status_code, or it has
 * none (null) and an error, having failed before any response.
 */
static bool
batch(jv rec)
{
	jv	 resp = ia_record_field(jv_copy(rec), "response");
	bool	 yes;

	if (jv_get_kind(resp) == JV_KIND_OBJECT)
		yes = has(resp, "status_code");
	else
		yes = !jv_is_valid(resp) && has(rec, "response") &&
		    has(rec, "error") && has(rec, "custom_id");
	jv_free(resp);
	return yes;
}

/*
 * The one place that tells the shapes apart, in this order, so that a
 * record that could pass for two (a Batch line has an "id" too) is always
 * taken for the same one by every tool.
 */
enum ia_record_kind
ia_record_kind(jv rec)
{
	enum ia_record_kind	 kind = IA_RECORD_OTHER;
	jv			 v;

	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		return IA_RECORD_OTHER;
	}
	if (ia_record_is_error(jv_copy(rec)))
		kind = IA_RECORD_ERROR;
	else if (has(rec, "state"))
		kind = IA_RECORD_GENERATION;
	else if (batch(rec))
		kind = IA_RECORD_BATCH;
	else if (has(rec, "content") && has(rec, "custom_id"))
		kind = IA_RECORD_ANSWER;
	else if (has(rec, "group_id"))
		kind = IA_RECORD_GROUP;
	else {
		v = ia_record_field(jv_copy(rec), "id");
		if (jv_get_kind(v) == JV_KIND_STRING &&
		    jv_string_length_bytes(jv_copy(v)) > 0)
			kind = IA_RECORD_ACK;
		jv_free(v);
	}
	jv_free(rec);
	return kind;
}

static const char *const states[] = {
	[IA_STATE_QUEUED] = "Queued",
	[IA_STATE_RUNNING] = "In Progress",
	[IA_STATE_SUCCESS] = "Success",
	[IA_STATE_FAILED] = "Failed",
};

enum ia_state
ia_record_state(jv gen)
{
	jv		 st = ia_record_field(gen, "state");
	enum ia_state	 i, found = IA_STATE_UNKNOWN;

	if (jv_get_kind(st) == JV_KIND_STRING)
		for (i = IA_STATE_QUEUED; i <= IA_STATE_FAILED; i++)
			if (strcmp(jv_string_value(st), states[i]) == 0)
				found = i;
	jv_free(st);
	return found;
}

bool
ia_record_final(enum ia_state st)
{
	return st == IA_STATE_SUCCESS || st == IA_STATE_FAILED;
}
