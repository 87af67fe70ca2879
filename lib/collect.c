/*
 * One outcome per custom_id from a results stream, as ia-collect gives it.
 * The first success of a custom_id is its answer, whether its failures come
 * before or after; a later record of it is a duplicate.  Failures are held
 * until the end, each as its JSON text (a parsed record costs several times
 * more, and there may be a million of them), and what was submitted with no
 * result by then becomes a failure of stage collect.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

void
ia_collect_init(struct ia_collect *c)
{
	ia_clash_init(&c->clash);
	c->fails = jv_object();
	c->order = jv_array();
	c->anon = jv_array();
	c->anon_seen = jv_object();
	ia_pending_init(&c->pending);
	ia_ids_init(&c->sent);
	c->npending = 0;
	ia_summary_init(&c->sum);
}

/* A line too long, not JSON, or with a NUL in a custom_id: an input failure. */
jv
ia_collect_record(const struct ia_line *l, size_t max_line)
{
	char	 msg[600], at[512];
	jv	 rec;

	if (l->text == NULL)
		return ia_input_too_long(l, max_line);
	if (!jv_is_valid(rec = ia_record_parse(l->text, l->len))) {
		jv_free(rec);
		snprintf(msg, sizeof(msg), "%s: not JSON", ia_source_where(l->file,
		    l->lineno, at, sizeof(at)));
	} else if (ia_record_nul_custom_id(l->text, l->len, jv_copy(rec))) {
		jv_free(rec);
		snprintf(msg, sizeof(msg), "%s: custom_id must not hold a NUL byte",
		    ia_source_where(l->file, l->lineno, at, sizeof(at)));
	} else
		return rec;
	return ia_record_error(NULL, "input", 0, msg, 0, jv_null(), l->lineno);
}

void
ia_collect_free(struct ia_collect *c)
{
	ia_clash_free(&c->clash);
	jv_free(c->fails);
	jv_free(c->order);
	jv_free(c->anon);
	jv_free(c->anon_seen);
	c->fails = c->order = c->anon = c->anon_seen = jv_invalid();
	ia_pending_free(&c->pending);
	ia_ids_free(&c->sent);
	ia_summary_free(&c->sum);
}

/* The failure held for a custom_id (consumed), or jv_invalid(). */
static jv
fail_get(struct ia_collect *c, jv cid)
{
	jv	 t = jv_object_get(jv_copy(c->fails), cid), rec;

	if (!jv_is_valid(t))
		return t;
	rec = jv_parse(jv_string_value(t));
	jv_free(t);
	return rec;
}

static void
fail_put(struct ia_collect *c, jv cid, jv rec)
{
	c->fails = jv_object_set(c->fails, cid, jv_dump_string(rec, 0));
}

/* The length of a string, which may hold a NUL. */
static size_t
len_of(jv str)
{
	return (size_t)jv_string_length_bytes(jv_copy(str));
}

/*
 * Not when it is still pending (stage collect: sending it again could pay
 * twice; it is to be followed), nor when the server refused that very
 * request (stage submit or group, a 4xx but 408 and 429).
 */
enum ia_resend
ia_collect_resend(jv rec)
{
	jv		 st, status;
	double		 code;
	enum ia_resend	 r = IA_RESEND_YES;

	st = ia_record_field(ia_record_field(jv_copy(rec), "error"), "stage");
	status = ia_record_field(ia_record_field(rec, "error"), "status");
	code = jv_get_kind(status) == JV_KIND_NUMBER ? jv_number_value(status) : 0;
	if (jv_get_kind(st) == JV_KIND_STRING) {
		if (strcmp(jv_string_value(st), "collect") == 0)
			r = IA_RESEND_PENDING;
		else if ((strcmp(jv_string_value(st), "submit") == 0 ||
		    strcmp(jv_string_value(st), "group") == 0) && code >= 400 &&
		    code < 500 && !ia_http_retryable((long)code))
			r = IA_RESEND_REFUSED;
	}
	jv_free(st);
	jv_free(status);
	return r;
}

bool
ia_collect_can_resubmit(jv req)
{
	bool	 yes = jv_get_kind(req) == JV_KIND_OBJECT &&
	    (jv_object_has(jv_copy(req), jv_string("messages")) ||
	    jv_object_has(jv_copy(req), jv_string("prompt")) ||
	    jv_object_has(jv_copy(req), jv_string("body")));

	jv_free(req);
	return yes;
}

/*
 * A custom_id's answer, with the hashes of its request and generation: 1
 * for its first, which replaces a failure held and ends what was pending;
 * 0 for a duplicate, counted, and by kind when it answers another request
 * or comes from another generation; -1 out of memory.
 */
static int
answered(struct ia_collect *c, const char *cid, size_t len, uint32_t req,
    uint32_t gen)
{
	enum ia_clash_kind kind;
	jv		 k;
	int		 rc;

	if ((rc = ia_clash_answer(&c->clash, cid, len, req, gen, &kind)) != 1) {
		if (rc == 0) {
			c->sum.dups++;
			if (kind != IA_CLASH_NONE)
				ia_summary_add_clash(&c->sum, kind,
				    jv_string_sized(cid, (int)len));
		}
		return rc;
	}
	/* Only a run with failures in it holds any. */
	if (jv_array_length(jv_copy(c->order)) > 0) {
		k = jv_string_sized(cid, (int)len);
		if (jv_object_has(jv_copy(c->fails), jv_copy(k))) {
			c->sum.recovered++;
			c->sum.dups++;
			c->fails = jv_object_delete(c->fails, jv_copy(k));
		}
		jv_free(k);
	}
	ia_pending_remove(&c->pending, cid, len);
	return 1;
}

static int
on_success(struct ia_collect *c, const struct ia_result *r)
{
	jv	 cid = r->custom_id;
	int	 rc;

	if (jv_get_kind(cid) == JV_KIND_STRING &&
	    (rc = answered(c, jv_string_value(cid), len_of(cid),
	    ia_clash_request(jv_copy(r->request)), jv_get_kind(r->id) ==
	    JV_KIND_STRING ? ia_clash_generation(jv_string_value(r->id),
	    len_of(r->id)) : 0)) != 1)
		return rc;
	ia_summary_add_success(&c->sum, r);
	return 1;
}

/*
 * Whether a failure is the end of a submission (a Failed generation, a poll
 * that gave up, or ia-collect's own "still pending" read again), rather
 * than of an attempt that never got an id (stages input, submit, group).
 */
static bool
ends_submission(jv rec)
{
	jv	 st = ia_record_field(ia_record_field(jv_copy(rec), "error"), "stage");
	bool	 yes = jv_get_kind(st) == JV_KIND_STRING &&
	    (strcmp(jv_string_value(st), "generation") == 0 ||
	    strcmp(jv_string_value(st), "poll") == 0 ||
	    strcmp(jv_string_value(st), "collect") == 0);

	jv_free(st);
	return yes;
}

/*
 * Which submission a failure ends: a Failed generation's own id; a poll's
 * or ia-collect's error record names the id or the group it followed.
 */
static int
end_submission(struct ia_collect *c, const struct ia_result *r)
{
	jv	 req = ia_record_field(jv_copy(r->answer), "request");
	jv	 id = ia_record_field(jv_copy(req), "id");
	jv	 gid = ia_record_field(req, "group_id");
	enum ia_pending_kind kind = IA_PENDING_GENERATION;
	const char *s = NULL;
	int	 rc;

	if (jv_get_kind(r->id) == JV_KIND_STRING)
		s = jv_string_value(r->id);
	else if (jv_get_kind(id) == JV_KIND_STRING)
		s = jv_string_value(id);
	else if (jv_get_kind(gid) == JV_KIND_STRING) {
		s = jv_string_value(gid);
		kind = IA_PENDING_GROUP;
	}
	rc = ia_pending_end(&c->pending, jv_string_value(r->custom_id),
	    len_of(r->custom_id), kind, s);
	jv_free(id);
	jv_free(gid);
	return rc;
}

/* A failure is held: it stands at the end unless a success comes. */
static int
on_failure(struct ia_collect *c, struct ia_result *r)
{
	jv	 cid = r->custom_id, old, req, text;

	if (jv_get_kind(cid) != JV_KIND_STRING) {
		/*
		 * The same record twice (a job run again reads its input errors
		 * again) is one failure and a duplicate.
		 */
		text = jv_dump_string(jv_copy(r->answer), 0);
		if (jv_object_has(jv_copy(c->anon_seen), jv_copy(text))) {
			jv_free(text);
			c->sum.dups++;
			return 0;
		}
		c->anon_seen = jv_object_set(c->anon_seen, text, jv_true());
		ia_summary_add_times(&c->sum, r);
		c->anon = jv_array_append(c->anon, jv_copy(r->answer));
		return 0;
	}
	if (ia_clash_has(&c->clash, jv_string_value(cid), len_of(cid))) {
		c->sum.dups++;
		return 0;
	}
	ia_summary_add_times(&c->sum, r);
	old = fail_get(c, jv_copy(cid));
	if (jv_is_valid(old)) {
		c->sum.dups++;
		/*
		 * Keep a request that can be resubmitted, if only the older one
		 * had it: a poll error carries only the id it followed.
		 */
		req = jv_object_get(jv_copy(r->answer), jv_string("request"));
		if (!ia_collect_can_resubmit(req)) {
			req = jv_object_get(jv_copy(old), jv_string("request"));
			if (ia_collect_can_resubmit(jv_copy(req)))
				r->answer = jv_object_set(r->answer, jv_string("request"),
				    jv_copy(req));
			jv_free(req);
		}
	} else
		c->order = jv_array_append(c->order, jv_copy(cid));
	jv_free(old);
	if (ends_submission(r->answer) && end_submission(c, r) == -1)
		return -1;
	fail_put(c, jv_copy(cid), jv_copy(r->answer));
	return 0;
}

/* Submitted but not answered (yet): remembered, in case no answer comes. */
static int
on_pending(struct ia_collect *c, const struct ia_result *r)
{
	enum ia_pending_kind kind = r->group ? IA_PENDING_GROUP : IA_PENDING_GENERATION;
	const char	*id = jv_get_kind(r->id) == JV_KIND_STRING ?
	    jv_string_value(r->id) : NULL;
	jv		 ids = r->custom_ids;
	int		 rc = 0;

	if (jv_get_kind(ids) != JV_KIND_ARRAY) {
		/* A group that names none of its requests: nothing to wait for. */
		if (r->group || jv_get_kind(r->custom_id) != JV_KIND_STRING) {
			c->sum.others++;
			return 0;
		}
		ids = JV_ARRAY(jv_copy(r->custom_id));
	} else
		ids = jv_copy(ids);
	/*
	 * Each submission is counted, a retry's too, so that the journal and
	 * the results can be read in either order: a custom_id is pending
	 * while it has more submissions than ends.
	 */
	jv_array_foreach(ids, i, cid) {
		if (rc == 0 && jv_get_kind(cid) == JV_KIND_STRING) {
			if (ia_ids_add(&c->sent, jv_string_value(cid), len_of(cid)) == -1)
				rc = -1;
			else if (!ia_clash_has(&c->clash, jv_string_value(cid),
			    len_of(cid)))
				rc = ia_pending_add(&c->pending, jv_string_value(cid),
				    len_of(cid), kind, id);
		}
		jv_free(cid);
	}
	jv_free(ids);
	return rc;
}

int
ia_collect_add(struct ia_collect *c, jv rec, struct ia_result *r)
{
	c->sum.records++;
	ia_result_read(rec, r);
	switch (r->kind) {
	case IA_RESULT_SUCCESS:
		return on_success(c, r);
	case IA_RESULT_FAILURE:
		return on_failure(c, r);
	case IA_RESULT_PENDING:
		return on_pending(c, r);
	case IA_RESULT_OTHER:
		break;
	}
	c->sum.others++;
	return 0;
}

int
ia_collect_scanned(struct ia_collect *c, const struct ia_scan *sc)
{
	int	 rc;

	c->sum.records++;
	if ((rc = answered(c, sc->custom_id, sc->custom_id_len, sc->request_object ?
	    ia_clash_request_hash(sc->request) : 0, sc->id != NULL ?
	    ia_clash_generation(sc->id, sc->id_len) : 0)) != 1)
		return rc;
	ia_summary_add_answer(&c->sum, sc->tok_prompt, sc->tok_completion,
	    sc->tok_total, sc->dispatched, sc->finished);
	return 1;
}

void
ia_collect_each_failure(struct ia_collect *c, void (*fn)(void *, jv, jv), void *arg)
{
	jv	 rec;

	jv_array_foreach(c->order, i, cid) {
		if (jv_is_valid(rec = fail_get(c, jv_copy(cid))))
			fn(arg, cid, rec);
		else {
			jv_free(rec);
			jv_free(cid);
		}
	}
	jv_array_foreach(c->anon, i, a)
		fn(arg, jv_null(), a);
}

jv
ia_collect_failed(const struct ia_collect *c)
{
	jv	 set = jv_object();

	jv_array_foreach(c->order, i, cid) {
		if (jv_object_has(jv_copy(c->fails), jv_copy(cid)) &&
		    !ia_clash_has(&c->clash, jv_string_value(cid), len_of(cid)))
			set = jv_object_set(set, cid, jv_true());
		else
			jv_free(cid);
	}
	return set;
}

/* Those index places first, by place; the others after, in their order. */
jv
ia_collect_order(jv ids, jv index)
{
	jv	 placed = jv_array(), rest = jv_array(), out = jv_array(), v;

	jv_array_foreach(ids, i, cid) {
		v = jv_object_get(jv_copy(index), jv_copy(cid));
		if (jv_get_kind(v) == JV_KIND_NUMBER)
			placed = jv_array_set(placed, (int)jv_number_value(v), cid);
		else
			rest = jv_array_append(rest, cid);
		jv_free(v);
	}
	jv_free(ids);
	jv_free(index);
	jv_array_foreach(placed, i, cid) {
		if (jv_get_kind(cid) == JV_KIND_STRING)
			out = jv_array_append(out, cid);
		else
			jv_free(cid);
	}
	jv_free(placed);
	return jv_array_concat(out, rest);
}

int
ia_collect_status(const struct ia_collect *c, struct ia_buf *b)
{
	return ia_buf_addf(b, "submitted %zu, done %lu, failed %lu, pending %lu\n",
	    c->sent.count, c->sum.success, c->sum.failed - c->npending, c->npending);
}

static void
count_failure(void *arg, jv cid, jv rec)
{
	jv_free(cid);
	ia_summary_add_failure(arg, rec);
}

/*
 * Pending work becomes failures of stage collect, in custom_id order, whose
 * request is what ia-poll needs to follow it again; then the failures that
 * stand are counted.
 */
int
ia_collect_end(struct ia_collect *c)
{
	const struct ia_pending_entry **list, **e;
	jv		 cid;

	if ((list = ia_pending_sort(&c->pending)) == NULL)
		return -1;
	for (e = list; *e != NULL; e++) {
		cid = jv_string_sized((*e)->custom_id, (int)(*e)->len);
		if (!jv_object_has(jv_copy(c->fails), jv_copy(cid)))
			c->order = jv_array_append(c->order, jv_copy(cid));
		fail_put(c, cid, ia_pending_error(*e));
		c->npending++;
	}
	free(list);
	ia_pending_free(&c->pending);
	ia_collect_each_failure(c, count_failure, &c->sum);
	return 0;
}
