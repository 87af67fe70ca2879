/*
 * What ia-collect tells at the end of a run: counts, failures by stage and
 * by message, tokens, latencies and the span of the run.  Latencies go into
 * a histogram of buckets 2% wide, so that memory stays flat however many
 * answers there are, and quantiles are good to 2%.
 */
#include <math.h>
#include <string.h>

#include "ia.h"

#define TOP_MESSAGES	5

void
ia_summary_init(struct ia_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->first = sum->last = -1;
	sum->stages = jv_object();
	sum->messages = jv_object();
	sum->clash_first = jv_null();
	sum->extra_gen_first = jv_null();
}

/*
 * What the output cannot show, said once at the end.  Lines that are not
 * results (unless quiet: ia-poll passes through what it does not follow),
 * and, whatever quiet, answers lost to a custom_id that two requests
 * shared, or paid for twice: the same request submitted twice under one
 * custom_id, as when the input is split before ids are assigned.
 */
int
ia_summary_notes(const struct ia_summary *sum, const char *other_at, bool quiet,
    struct ia_buf *b)
{
	bool	 one;
	int	 rc = 0;

	if (sum->others > 0 && !quiet) {
		one = sum->others == 1;
		rc |= ia_buf_addf(b, "%lu %s skipped (first: %s)%c", sum->others,
		    one ? "line was not a result and was" :
		    "lines were not results and were", other_at, '\0');
	}
	if (sum->clashes > 0) {
		one = sum->clashes == 1;
		rc |= ia_buf_addf(b, "%lu answer%s dropped: %s another request than "
		    "the one answered under its custom_id (first: \"%.200s\"); "
		    "different requests shared a custom_id: give each its own, or "
		    "assign ids before splitting the input (ia-submit "
		    "--requests-only; see ia(7), SHARDING)%c", sum->clashes,
		    one ? "" : "s", one ? "it answers" : "each answers",
		    jv_string_value(sum->clash_first), '\0');
	}
	if (sum->extra_gens > 0) {
		one = sum->extra_gens == 1;
		rc |= ia_buf_addf(b, "%lu answer%s dropped: %s another generation of "
		    "the request answered under its custom_id (first: \"%.200s\"), "
		    "which was submitted, and paid for, more than once: assign ids "
		    "before splitting the input (ia-submit --requests-only; see "
		    "ia(7), SHARDING)%c", sum->extra_gens, one ? "" : "s",
		    one ? "it is" : "each is", jv_string_value(sum->extra_gen_first),
		    '\0');
	}
	return rc == 0 ? 0 : -1;
}

void
ia_summary_free(struct ia_summary *sum)
{
	jv_free(sum->stages);
	jv_free(sum->messages);
	jv_free(sum->clash_first);
	jv_free(sum->extra_gen_first);
	sum->stages = sum->messages = jv_invalid();
	sum->clash_first = sum->extra_gen_first = jv_invalid();
}

/*
 * A duplicate answer that is not the same one again: counted by kind, and
 * the first custom_id of each kind kept for the message that names it.
 */
void
ia_summary_add_clash(struct ia_summary *sum, enum ia_clash_kind kind, jv cid)
{
	unsigned long	*n = kind == IA_CLASH_REQUEST ? &sum->clashes : &sum->extra_gens;
	jv		*first = kind == IA_CLASH_REQUEST ? &sum->clash_first :
	    &sum->extra_gen_first;

	if (kind == IA_CLASH_NONE) {
		jv_free(cid);
		return;
	}
	if ((*n)++ == 0 && jv_get_kind(cid) == JV_KIND_STRING) {
		jv_free(*first);
		*first = cid;
	} else
		jv_free(cid);
}

/* obj[key] when it is a number, else 0; obj is consumed. */
static double
num(jv obj, const char *key)
{
	jv	 v = jv_get_kind(obj) == JV_KIND_OBJECT ?
	    jv_object_get(obj, jv_string(key)) : (jv_free(obj), jv_invalid());
	double	 d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	jv_free(v);
	return d;
}

/*
 * Bucket 0 holds latencies up to IA_SUMMARY_LAT_MIN; bucket i > 0 those up
 * to IA_SUMMARY_LAT_MIN * IA_SUMMARY_LAT_STEP^i; the last also holds all
 * longer ones.
 */
void
ia_summary_add_latency(struct ia_summary *sum, double d)
{
	int	 i;

	if (d < 0)
		return;
	i = d <= IA_SUMMARY_LAT_MIN ? 0 :
	    (int)(log(d / IA_SUMMARY_LAT_MIN) / log(IA_SUMMARY_LAT_STEP)) + 1;
	if (i >= IA_SUMMARY_BUCKETS)
		i = IA_SUMMARY_BUCKETS - 1;
	sum->lat[i]++;
	sum->lat_n++;
	if (d > sum->lat_max)
		sum->lat_max = d;
}

/* The upper edge of the bucket holding the q-quantile, at most the largest seen. */
double
ia_summary_quantile(const struct ia_summary *sum, double q)
{
	unsigned long	 want, seen = 0;
	double		 edge;
	int		 i;

	want = (unsigned long)ceil(q * (double)sum->lat_n);
	if (want == 0)
		want = 1;
	for (i = 0; i < IA_SUMMARY_BUCKETS; i++)
		if ((seen += sum->lat[i]) >= want) {
			edge = IA_SUMMARY_LAT_MIN * pow(IA_SUMMARY_LAT_STEP, i);
			return edge < sum->lat_max ? edge : sum->lat_max;
		}
	return sum->lat_max;
}

/* The span runs from the earliest dispatchedAt to the latest finishedAt. */
static void
add_span(struct ia_summary *sum, double dispatched, double finished)
{
	if (dispatched >= 0 && (sum->first < 0 || dispatched < sum->first))
		sum->first = dispatched;
	if (finished >= 0 && finished > sum->last)
		sum->last = finished;
}

void
ia_summary_add_times(struct ia_summary *sum, const struct ia_result *r)
{
	add_span(sum, r->dispatched, r->finished);
}

void
ia_summary_add_success(struct ia_summary *sum, const struct ia_result *r)
{
	jv	 usage = jv_get_kind(r->answer) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(r->answer), jv_string("usage")) : jv_invalid();

	ia_summary_add_answer(sum, num(jv_copy(usage), "prompt_tokens"),
	    num(jv_copy(usage), "completion_tokens"), num(jv_copy(usage),
	    "total_tokens"), r->dispatched, r->finished);
	jv_free(usage);
}

void
ia_summary_add_answer(struct ia_summary *sum, double prompt, double completion,
    double total, double dispatched, double finished)
{
	sum->success++;
	sum->tok_prompt += prompt;
	sum->tok_completion += completion;
	sum->tok_total += total;
	if (dispatched >= 0 && finished >= 0)
		ia_summary_add_latency(sum, finished - dispatched);
	add_span(sum, dispatched, finished);
}

/* counts[key] += 1, where key is v when it is a string, else dflt. */
static jv
tally(jv counts, jv v, const char *dflt)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		v = jv_string(dflt);
	}
	counts = jv_object_set(counts, jv_copy(v),
	    jv_number(num(jv_copy(counts), jv_string_value(v)) + 1));
	jv_free(v);
	return counts;
}

void
ia_summary_add_failure(struct ia_summary *sum, jv rec)
{
	jv	 e = jv_get_kind(rec) == JV_KIND_OBJECT ?
	    jv_object_get(rec, jv_string("error")) : (jv_free(rec), jv_invalid());
	bool	 obj = jv_get_kind(e) == JV_KIND_OBJECT;

	sum->failed++;
	sum->stages = tally(sum->stages, obj ?
	    jv_object_get(jv_copy(e), jv_string("stage")) : jv_invalid(), "unknown");
	sum->messages = tally(sum->messages, obj ?
	    jv_object_get(jv_copy(e), jv_string("message")) : jv_invalid(),
	    "(no message)");
	jv_free(e);
}

/* The most common messages, most common first, ties in the order of the message. */
static jv
top_messages(jv msgs)
{
	jv	 keys = jv_keys(jv_copy(msgs)), top = jv_array(), counts = jv_array(), v;
	int	 n = jv_array_length(jv_copy(keys)), i, j, at;
	double	 best, c;

	for (i = 0; i < n; i++)
		counts = jv_array_append(counts, jv_object_get(jv_copy(msgs),
		    jv_array_get(jv_copy(keys), i)));
	for (j = 0; j < TOP_MESSAGES; j++) {
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

static jv
number_or_null(bool known, double d)
{
	return known ? jv_number(d) : jv_null();
}

jv
ia_summary_json(const struct ia_summary *sum)
{
	jv	 o = jv_object(), v;
	double	 n = (double)sum->success, span = sum->first >= 0 &&
	    sum->last >= sum->first ? sum->last - sum->first : -1;

	o = jv_object_set(o, jv_string("records"), jv_number((double)sum->records));
	o = jv_object_set(o, jv_string("success"), jv_number(n));
	o = jv_object_set(o, jv_string("failed"), jv_number((double)sum->failed));
	o = jv_object_set(o, jv_string("success_rate"), number_or_null(
	    sum->success + sum->failed > 0, n / (double)(sum->success + sum->failed)));
	o = jv_object_set(o, jv_string("errors"), jv_copy(sum->stages));
	o = jv_object_set(o, jv_string("top_failures"), top_messages(jv_copy(sum->messages)));
	o = jv_object_set(o, jv_string("recovered"), jv_number((double)sum->recovered));
	o = jv_object_set(o, jv_string("duplicates"), jv_number((double)sum->dups));
	o = jv_object_set(o, jv_string("other_records"), jv_number((double)sum->others));
	o = jv_object_set(o, jv_string("clashes"), jv_object_set(jv_object_set(
	    jv_object(), jv_string("count"), jv_number((double)sum->clashes)),
	    jv_string("first"), jv_copy(sum->clash_first)));
	o = jv_object_set(o, jv_string("extra_generations"), jv_object_set(
	    jv_object_set(jv_object(), jv_string("count"),
	    jv_number((double)sum->extra_gens)), jv_string("first"),
	    jv_copy(sum->extra_gen_first)));
	v = jv_object();
	v = jv_object_set(v, jv_string("prompt"), jv_number(sum->tok_prompt));
	v = jv_object_set(v, jv_string("completion"), jv_number(sum->tok_completion));
	v = jv_object_set(v, jv_string("total"), jv_number(sum->tok_total));
	v = jv_object_set(v, jv_string("average_per_answer"),
	    number_or_null(n > 0, sum->tok_total / n));
	v = jv_object_set(v, jv_string("average_completion"),
	    number_or_null(n > 0, sum->tok_completion / n));
	o = jv_object_set(o, jv_string("tokens"), v);
	v = jv_object();
	v = jv_object_set(v, jv_string("p50"),
	    number_or_null(sum->lat_n > 0, ia_summary_quantile(sum, 0.5)));
	v = jv_object_set(v, jv_string("p90"),
	    number_or_null(sum->lat_n > 0, ia_summary_quantile(sum, 0.9)));
	v = jv_object_set(v, jv_string("max"), number_or_null(sum->lat_n > 0, sum->lat_max));
	o = jv_object_set(o, jv_string("latency_seconds"), v);
	o = jv_object_set(o, jv_string("span_seconds"), number_or_null(span >= 0, span));
	return jv_object_set(o, jv_string("answers_per_second"),
	    number_or_null(span > 0, n / span));
}

/*
 * The summary as ia-collect -s prints it, for a person: built from
 * ia_summary_json(), so that both tell the same numbers.
 */
int
ia_summary_text(const struct ia_summary *sum, struct ia_buf *b)
{
	jv	 o = ia_summary_json(sum), v, tok, lat;
	int	 rc = 0;

	tok = jv_object_get(jv_copy(o), jv_string("tokens"));
	lat = jv_object_get(jv_copy(o), jv_string("latency_seconds"));
	rc |= ia_buf_addf(b, "ia-collect: %lu answers, %lu failed", sum->success,
	    sum->failed);
	v = jv_object_get(jv_copy(o), jv_string("success_rate"));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		rc |= ia_buf_addf(b, " (%.1f%% success)", 100 * jv_number_value(v));
	jv_free(v);
	rc |= ia_buf_addf(b, "; %lu records read, %lu duplicates, %lu recovered by a "
	    "retry\n", sum->records, sum->dups, sum->recovered);
	if (sum->others > 0)
		rc |= ia_buf_addf(b, "  not results:  %lu records passed over\n",
		    sum->others);
	if (sum->clashes > 0)
		rc |= ia_buf_addf(b, "  clashes:      %lu answers to another request "
		    "than their custom_id's, dropped (first: %s)\n", sum->clashes,
		    jv_string_value(sum->clash_first));
	if (sum->extra_gens > 0)
		rc |= ia_buf_addf(b, "  extra gens:   %lu answers from another "
		    "generation of their request, dropped (first: %s)\n", sum->extra_gens,
		    jv_string_value(sum->extra_gen_first));
	v = jv_object_get(jv_copy(o), jv_string("errors"));
	if (jv_object_length(jv_copy(v)) > 0) {
		rc |= ia_buf_adds(b, "  failed by stage:");
		jv_object_foreach(v, k, n) {
			rc |= ia_buf_addf(b, " %s %.0f", jv_string_value(k),
			    jv_number_value(n));
			jv_free(k);
			jv_free(n);
		}
		rc |= ia_buf_adds(b, "\n");
	}
	jv_free(v);
	v = jv_object_get(jv_copy(o), jv_string("top_failures"));
	jv_array_foreach(v, i, f) {
		jv	 m = jv_object_get(jv_copy(f), jv_string("message"));

		rc |= ia_buf_addf(b, "  %6.0f x %s\n", num(f, "count"), jv_string_value(m));
		jv_free(m);
	}
	jv_free(v);
	rc |= ia_buf_addf(b, "  tokens:       %.0f prompt, %.0f completion, %.0f total",
	    sum->tok_prompt, sum->tok_completion, sum->tok_total);
	if (sum->success > 0)
		rc |= ia_buf_addf(b, " (%.1f per answer)", num(jv_copy(tok),
		    "average_per_answer"));
	rc |= ia_buf_adds(b, "\n");
	if (sum->lat_n > 0)
		rc |= ia_buf_addf(b, "  latency:      p50 %.2f s, p90 %.2f s, max %.2f s\n",
		    num(jv_copy(lat), "p50"), num(jv_copy(lat), "p90"), sum->lat_max);
	v = jv_object_get(jv_copy(o), jv_string("span_seconds"));
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		rc |= ia_buf_addf(b, "  span:         %.1f s, %.2f answers/s\n",
		    jv_number_value(v), num(jv_copy(o), "answers_per_second"));
	jv_free(v);
	jv_free(tok);
	jv_free(lat);
	jv_free(o);
	return rc == 0 ? 0 : -1;
}
