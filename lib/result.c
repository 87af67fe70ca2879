/*
 * What a record in a results stream means: an answer, a failure, work still
 * pending, or nothing of ours.  ia-collect sorts its input with it, and
 * --skip-done reads a finished job's output with it.  The records it knows
 * are ia-poll's generations, error records, ia-collect's own answers and
 * OpenAI Batch output lines, so that each of these can be read again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ia.h"

static const char *const stages[] = {
	"input", "submit", "group", "poll", "generation", "collect", NULL
};

/* choices[0] of a completion: its text (chat or text) and finish_reason. */
static void
answer_of(jv response, jv *content, jv *finish, jv *usage)
{
	jv	 c0, msg;

	*content = jv_null();
	*finish = jv_null();
	*usage = jv_null();
	if (jv_get_kind(response) != JV_KIND_OBJECT) {
		jv_free(response);
		return;
	}
	*usage = jv_object_get(jv_copy(response), jv_string("usage"));
	if (!jv_is_valid(*usage)) {
		jv_free(*usage);
		*usage = jv_null();
	}
	c0 = jv_object_get(response, jv_string("choices"));
	c0 = jv_get_kind(c0) == JV_KIND_ARRAY && jv_array_length(jv_copy(c0)) > 0 ?
	    jv_array_get(c0, 0) : (jv_free(c0), jv_null());
	if (jv_get_kind(c0) != JV_KIND_OBJECT) {
		jv_free(c0);
		return;
	}
	jv_free(*finish);
	*finish = jv_object_get(jv_copy(c0), jv_string("finish_reason"));
	if (!jv_is_valid(*finish)) {
		jv_free(*finish);
		*finish = jv_null();
	}
	msg = jv_object_get(jv_copy(c0), jv_string("message"));
	jv_free(*content);
	if (jv_get_kind(msg) == JV_KIND_OBJECT)
		*content = jv_object_get(msg, jv_string("content"));
	else {
		jv_free(msg);
		*content = jv_object_get(jv_copy(c0), jv_string("text"));
	}
	if (!jv_is_valid(*content)) {
		jv_free(*content);
		*content = jv_null();
	}
	jv_free(c0);
}

static jv
answer(jv cid, jv content, jv finish, jv usage)
{
	jv	 a = jv_object();

	a = jv_object_set(a, jv_string("custom_id"), jv_is_valid(cid) ? cid :
	    (jv_free(cid), jv_null()));
	a = jv_object_set(a, jv_string("content"), content);
	a = jv_object_set(a, jv_string("finish_reason"), finish);
	return jv_object_set(a, jv_string("usage"), usage);
}

static jv
or_null(jv v)
{
	if (jv_is_valid(v))
		return v;
	jv_free(v);
	return jv_null();
}

/* A failure in the one error record shape, with attempts unknown. */
static jv
failure(jv cid, const char *stage, long status, const char *msg, jv request)
{
	jv	 rec;

	rec = ia_record_error(jv_get_kind(cid) == JV_KIND_STRING ?
	    jv_string_value(cid) : NULL, stage, status, msg, 0, request, 0);
	jv_free(cid);
	return jv_object_set(rec, jv_string("error"), jv_object_set(jv_object_get(
	    jv_copy(rec), jv_string("error")), jv_string("attempts"), jv_null()));
}

static void
from_generation(struct ia_result *r, jv rec)
{
	jv	 content, finish, usage, msg, st;

	st = ia_record_field(jv_copy(rec), "state");
	if (jv_get_kind(st) != JV_KIND_STRING) {
		/* Not a state the API would send: nothing we can read. */
		jv_free(st);
		jv_free(rec);
		return;
	}
	jv_free(st);
	r->id = ia_record_field(jv_copy(rec), "id");
	r->dispatched = ia_time_parse(ia_record_field(jv_copy(rec), "dispatchedAt"));
	r->finished = ia_time_parse(ia_record_field(jv_copy(rec), "finishedAt"));
	switch (ia_record_state(jv_copy(rec))) {
	case IA_STATE_SUCCESS:
		r->kind = IA_RESULT_SUCCESS;
		r->response = ia_record_field(jv_copy(rec), "response");
		r->request = ia_record_field(jv_copy(rec), "request");
		answer_of(jv_copy(r->response), &content, &finish, &usage);
		r->answer = answer(jv_copy(r->custom_id), content, finish, usage);
		break;
	case IA_STATE_FAILED:
		r->kind = IA_RESULT_FAILURE;
		msg = ia_record_field(jv_copy(rec), "stateMessage");
		r->answer = failure(jv_copy(r->custom_id), "generation", 0,
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "the generation failed", ia_record_field(jv_copy(rec), "request"));
		jv_free(msg);
		break;
	default:
		r->kind = IA_RESULT_PENDING;
		break;
	}
	jv_free(rec);
}

/*
 * A status_code as an HTTP status: a number from 1 to 999, else 0 (not
 * known), so that no number on a line is converted out of range of long.
 */
static long
http_status(jv v)
{
	double	 d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	return d >= 1 && d < 1000 ? (long)d : 0;
}

/* An OpenAI Batch output line: a 2xx response is an answer, else a failure. */
static void
from_batch(struct ia_result *r, jv rec, jv resp)
{
	jv	 status, body, err, code, msg, content, finish, usage;
	const char *stage = "generation";
	int	 i;

	status = ia_record_field(jv_copy(resp), "status_code");
	body = ia_record_field(jv_copy(resp), "body");
	r->id = ia_record_field(jv_copy(resp), "request_id");
	if (jv_get_kind(status) == JV_KIND_NUMBER && jv_number_value(status) >= 200 &&
	    jv_number_value(status) < 300) {
		r->kind = IA_RESULT_SUCCESS;
		r->response = jv_copy(body);
		answer_of(body, &content, &finish, &usage);
		r->answer = answer(jv_copy(r->custom_id), content, finish, usage);
	} else {
		r->kind = IA_RESULT_FAILURE;
		err = ia_record_field(jv_copy(rec), "error");
		code = ia_record_field(jv_copy(err), "code");
		msg = ia_record_field(jv_copy(err), "message");
		if (jv_get_kind(msg) != JV_KIND_STRING) {
			jv_free(msg);
			msg = ia_record_field(ia_record_field(jv_copy(body), "error"), "message");
		}
		for (i = 0; stages[i] != NULL && jv_get_kind(code) == JV_KIND_STRING; i++)
			if (strcmp(stages[i], jv_string_value(code)) == 0)
				stage = stages[i];
		r->answer = failure(jv_copy(r->custom_id), stage, http_status(status),
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "the request failed", jv_null());
		jv_free(err);
		jv_free(code);
		jv_free(msg);
		jv_free(body);
	}
	jv_free(status);
	jv_free(resp);
	jv_free(rec);
}

void
ia_result_read(jv rec, struct ia_result *r)
{
	jv	 v;

	memset(r, 0, sizeof(*r));
	r->kind = IA_RESULT_OTHER;
	r->custom_id = jv_invalid();
	r->answer = jv_invalid();
	r->id = jv_invalid();
	r->response = jv_invalid();
	r->request = jv_invalid();
	r->custom_ids = jv_invalid();
	r->dispatched = r->finished = -1;
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		return;
	}
	r->custom_id = ia_record_field(jv_copy(rec), "custom_id");
	if (jv_get_kind(r->custom_id) == JV_KIND_NUMBER)
		r->custom_id = jv_dump_string(r->custom_id, 0);
	if (jv_get_kind(r->custom_id) != JV_KIND_STRING) {
		jv_free(r->custom_id);
		/* A generation that came without one: its request has it. */
		r->custom_id = ia_record_custom_id(ia_record_field(jv_copy(rec), "request"));
	}
	switch (ia_record_kind(jv_copy(rec))) {
	case IA_RECORD_ERROR:
		r->kind = IA_RESULT_FAILURE;
		r->answer = rec;
		return;
	case IA_RECORD_GENERATION:
		from_generation(r, rec);
		return;
	case IA_RECORD_BATCH:
		v = ia_record_field(jv_copy(rec), "response");
		from_batch(r, rec, jv_is_valid(v) ? v : (jv_free(v), jv_object()));
		return;
	case IA_RECORD_ANSWER:
		if (jv_get_kind(r->custom_id) != JV_KIND_STRING)
			break;
		/* ia-collect's own answer, read again. */
		r->kind = IA_RESULT_SUCCESS;
		r->answer = answer(jv_copy(r->custom_id),
		    jv_object_get(jv_copy(rec), jv_string("content")),
		    or_null(ia_record_field(jv_copy(rec), "finish_reason")),
		    or_null(ia_record_field(jv_copy(rec), "usage")));
		break;
	case IA_RECORD_GROUP:
		if (jv_get_kind(v = ia_record_field(jv_copy(rec), "group_id")) !=
		    JV_KIND_STRING) {
			jv_free(v);
			break;
		}
		r->kind = IA_RESULT_PENDING;
		r->group = true;
		r->id = v;
		r->custom_ids = ia_record_field(jv_copy(rec), "custom_ids");
		if (jv_get_kind(r->custom_ids) != JV_KIND_ARRAY) {
			jv_free(r->custom_ids);
			r->custom_ids = jv_invalid();
		}
		break;
	case IA_RECORD_ACK:
		if (jv_get_kind(r->custom_id) != JV_KIND_STRING)
			break;
		/* ia-submit's acknowledgement: submitted, not answered yet. */
		r->kind = IA_RESULT_PENDING;
		r->id = ia_record_field(jv_copy(rec), "id");
		break;
	case IA_RECORD_OTHER:
		break;
	}
	jv_free(rec);
}

void
ia_result_free(struct ia_result *r)
{
	jv_free(r->custom_id);
	jv_free(r->answer);
	jv_free(r->id);
	jv_free(r->response);
	jv_free(r->request);
	jv_free(r->custom_ids);
	r->custom_id = r->answer = r->id = r->response = r->request =
	    r->custom_ids = jv_invalid();
}

/* Add a string (not consumed) to a set, all of its bytes. */
static int
add_string(struct ia_ids *set, jv s)
{
	return ia_ids_add(set, jv_string_value(s),
	    (size_t)jv_string_length_bytes(jv_copy(s)));
}

/*
 * --skip-done: the custom_ids that have a successful result in a file of
 * ia-poll or ia-collect output.  Lines of other kinds are passed over.
 * Returns how many were added, or -1 with a message in err.
 */
long
ia_result_load_done(const char *path, struct ia_ids *done, struct ia_ids *sent,
    char *err, size_t errlen)
{
	struct ia_result r;
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	long		 n = 0;
	int		 rc;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > INT32_MAX)
			continue;
		ia_result_read(jv_parse_sized(line, (int)len), &r);
		rc = 0;
		if (r.kind == IA_RESULT_SUCCESS &&
		    jv_get_kind(r.custom_id) == JV_KIND_STRING)
			rc = add_string(done, r.custom_id);
		else if (r.kind == IA_RESULT_PENDING && !r.group &&
		    jv_get_kind(r.custom_id) == JV_KIND_STRING)
			rc = add_string(sent, r.custom_id);
		else if (r.kind == IA_RESULT_PENDING && r.group &&
		    jv_is_valid(r.custom_ids))
			/* jv_array_foreach names its array often: no jv_copy() in it. */
			jv_array_foreach(r.custom_ids, i, cid) {
				int	 one;

				if (rc != -1 && jv_get_kind(cid) == JV_KIND_STRING)
					rc = (one = add_string(sent, cid)) == -1 ?
					    -1 : rc + one;
				jv_free(cid);
			}
		ia_result_free(&r);
		if (rc == -1) {
			snprintf(err, errlen, "out of memory");
			n = -1;
			break;
		}
		n += rc;
	}
	if (n != -1 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		n = -1;
	}
	free(line);
	fclose(fp);
	return n;
}
