/*
 * ia-collect --sort: each result's text kept until the end, then given in
 * custom_id order or in the order of --input (the job's requests, read as
 * ia-submit read them), those --input does not place after the others,
 * and the results without a custom_id last, as they came.
 */
#include <stdbool.h>
#include <stdio.h>

#include "ia.h"

void
ia_sorted_init(struct ia_sorted *s)
{
	s->texts = jv_object();
	s->anon = jv_array();
	s->index = jv_object();
	s->places = 0;
}

void
ia_sorted_add(struct ia_sorted *s, jv cid, const char *text, size_t len)
{
	jv	 t = jv_string_sized(text, (int)len);

	if (jv_get_kind(cid) == JV_KIND_STRING)
		s->texts = jv_object_set(s->texts, cid, t);
	else {
		jv_free(cid);
		s->anon = jv_array_append(s->anon, t);
	}
}

void
ia_sorted_place(struct ia_sorted *s, const char *cid)
{
	if (!jv_object_has(jv_copy(s->index), jv_string(cid)))
		s->index = jv_object_set(s->index, jv_string(cid),
		    jv_number((double)s->places++));
}

/*
 * The custom_ids read that --input does not place go after the others.
 * None of them in it means it was read with options other than those it
 * was submitted with: the order would be wrong, silently.
 */
int
ia_sorted_verdict(const struct ia_sorted *s, const char *name, char *msg,
    size_t len)
{
	jv		 keys = jv_keys(jv_copy(s->texts)), first = jv_null();
	unsigned long	 missing = 0, n = 0;
	int		 rc = 0;

	jv_array_foreach(keys, i, k) {
		n++;
		if (!jv_object_has(jv_copy(s->index), jv_copy(k)) && missing++ == 0) {
			jv_free(first);
			first = jv_copy(k);
		}
		jv_free(k);
	}
	jv_free(keys);
	if (missing > 0 && missing == n) {
		snprintf(msg, len, "none of the %lu custom_ids read is in %s as read "
		    "(first: \"%.200s\"); read it with the options it was "
		    "submitted with (-t, -m, --system, --webhook-id; -e as "
		    "--input-filter)", n, name, jv_string_value(first));
		rc = -1;
	} else if (missing > 0) {
		snprintf(msg, len, "%lu of the %lu custom_ids read %s not in %s, and "
		    "%s printed after the others (first: \"%.200s\")", missing, n,
		    missing == 1 ? "is" : "are", name, missing == 1 ? "is" : "are",
		    jv_string_value(first));
		rc = 1;
	}
	jv_free(first);
	return rc;
}

void
ia_sorted_each(struct ia_sorted *s, void (*fn)(void *, const char *, size_t),
    void *arg)
{
	jv	 keys, v;

	keys = ia_collect_order(jv_keys(jv_copy(s->texts)), jv_copy(s->index));
	jv_array_foreach(keys, i, k) {
		v = jv_object_get(jv_copy(s->texts), k);
		fn(arg, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
	}
	jv_free(keys);
	jv_array_foreach(s->anon, i, t) {
		fn(arg, jv_string_value(t), (size_t)jv_string_length_bytes(jv_copy(t)));
		jv_free(t);
	}
}

void
ia_sorted_free(struct ia_sorted *s)
{
	jv_free(s->texts);
	jv_free(s->anon);
	jv_free(s->index);
	s->texts = s->anon = s->index = jv_invalid();
}
