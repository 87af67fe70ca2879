/*
 * What ia-collect --failed prints: for each custom_id whose failure stands
 * and is worth sending again, its original request, once.  --input gives
 * the request as it was submitted; a failure not in it gives the request it
 * carries.  What is not printed is counted, for the notes that say why.
 */
#include <stdbool.h>
#include <stdio.h>

#include "ia.h"

/* Whether a failure (consumed) is worth sending again; if not, counted in f. */
static bool
worth_sending(struct ia_failed *f, jv rec)
{
	switch (ia_collect_resend(rec)) {
	case IA_RESEND_PENDING:
		f->pending++;
		return false;
	case IA_RESEND_REFUSED:
		f->refused++;
		return false;
	default:
		return true;
	}
}

/* Keep out of the list what is not worth sending again. */
static void
sort_out(void *arg, jv cid, jv rec)
{
	struct ia_failed *f = arg;

	if (!worth_sending(f, rec) && jv_get_kind(cid) == JV_KIND_STRING)
		f->want = jv_object_delete(f->want, jv_copy(cid));
	jv_free(cid);
}

void
ia_failed_init(struct ia_failed *f, struct ia_collect *c)
{
	f->want = ia_collect_failed(c);
	f->lost = f->pending = f->refused = 0;
	ia_collect_each_failure(c, sort_out, f);
}

bool
ia_failed_take(struct ia_failed *f, const char *cid)
{
	jv	 k = jv_string(cid);

	if (!jv_object_has(jv_copy(f->want), jv_copy(k))) {
		jv_free(k);
		return false;
	}
	f->want = jv_object_delete(f->want, k);
	return true;
}

struct rest {
	struct ia_failed *f;
	void		(*fn)(void *, jv);
	void		*arg;
};

/* A failure not taken from --input: the request it carries, if any. */
static void
rest_one(void *arg, jv cid, jv rec)
{
	struct rest	*r = arg;
	struct ia_failed scratch = { 0 };
	jv		 req;

	if (jv_get_kind(cid) == JV_KIND_STRING) {
		if (!jv_object_has(jv_copy(r->f->want), jv_copy(cid))) {
			jv_free(cid);
			jv_free(rec);
			return;
		}
		r->f->want = jv_object_delete(r->f->want, cid);
	} else {
		jv_free(cid);
		/* Counted by ia_failed_init() already: a scratch count here. */
		if (!worth_sending(&scratch, jv_copy(rec))) {
			jv_free(rec);
			return;
		}
	}
	req = jv_object_get(rec, jv_string("request"));
	if (ia_collect_can_resubmit(jv_copy(req)))
		r->fn(r->arg, req);
	else {
		jv_free(req);
		r->f->lost++;
	}
}

void
ia_failed_rest(struct ia_failed *f, struct ia_collect *c, void (*fn)(void *, jv),
    void *arg)
{
	struct rest	 r = { f, fn, arg };

	ia_collect_each_failure(c, rest_one, &r);
}

int
ia_failed_notes(const struct ia_failed *f, bool input, struct ia_buf *b)
{
	int	 rc = 0;

	if (f->lost > 0)
		rc |= ia_buf_addf(b, "%lu failed without a request to resubmit (not "
		    "in the stream%s)%c", f->lost, input ? " nor in --input" :
		    "; try --input", '\0');
	if (f->pending > 0)
		rc |= ia_buf_addf(b, "%lu still pending, not printed: sending them "
		    "again could pay twice; follow them with ia-collect --pending | "
		    "ia-poll%c", f->pending, '\0');
	if (f->refused > 0)
		rc |= ia_buf_addf(b, "%lu refused by the server (4xx), not printed: "
		    "the same request would be refused again%c", f->refused, '\0');
	return rc == 0 ? 0 : -1;
}

void
ia_failed_free(struct ia_failed *f)
{
	jv_free(f->want);
	f->want = jv_invalid();
}
