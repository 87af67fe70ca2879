/*
 * t_summary: checks of lib/summary.c, ia-collect's summary.  "t_summary
 * GROUP" runs one group of checks (empty, buckets, quantiles, tokens, span,
 * tallies, text) or all of them; it prints one line per group and a
 * summary, or each failing check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

/* The upper edge of latency bucket i, as the library computes it. */
#define EDGE(i)	(IA_SUMMARY_LAT_MIN * pow(IA_SUMMARY_LAT_STEP, (i)))

/* summary[key], or summary[key][sub], as a number; NAN when not one. */
static double
get(const struct ia_summary *sum, const char *key, const char *sub)
{
	jv	 v = jv_object_get(ia_summary_json(sum), jv_string(key));
	double	 d;

	if (sub != NULL)
		v = jv_object_get(v, jv_string(sub));
	d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	return d;
}

/* A success with usage (JSON, or NULL for none) dispatched at d, finished at f. */
static void
success(struct ia_summary *sum, const char *usage, double d, double f)
{
	struct ia_result r;
	char		 json[512];

	snprintf(json, sizeof(json), "{\"custom_id\":\"c\",\"content\":\"x\","
	    "\"finish_reason\":\"stop\",\"usage\":%s}", usage ? usage : "null");
	memset(&r, 0, sizeof(r));
	r.kind = IA_RESULT_SUCCESS;
	r.custom_id = jv_string("c");
	r.answer = jv_parse(json);
	r.id = r.response = r.custom_ids = jv_invalid();
	r.dispatched = d;
	r.finished = f;
	ia_summary_add_success(sum, &r);
	ia_result_free(&r);
}

/* A failure as it comes: its times only. */
static void
times(struct ia_summary *sum, double d, double f)
{
	struct ia_result r;

	memset(&r, 0, sizeof(r));
	r.kind = IA_RESULT_FAILURE;
	r.custom_id = r.answer = r.id = r.response = r.request = r.custom_ids =
	    jv_invalid();
	r.dispatched = d;
	r.finished = f;
	ia_summary_add_times(sum, &r);
}

static void
t_empty(void)
{
	struct ia_summary sum;
	struct ia_buf	 b = { 0 };

	ia_summary_init(&sum);
	CHECK_JSON(ia_summary_json(&sum), "{\"records\":0,\"success\":0,\"failed\":0,"
	    "\"success_rate\":null,\"errors\":{},\"top_failures\":[],\"recovered\":0,"
	    "\"duplicates\":0,\"other_records\":0,\"clashes\":{\"count\":0,"
	    "\"first\":null},\"extra_generations\":{\"count\":0,\"first\":null},"
	    "\"tokens\":{\"prompt\":0,"
	    "\"completion\":0,\"total\":0,\"average_per_answer\":null,"
	    "\"average_completion\":null},\"latency_seconds\":{\"p50\":null,"
	    "\"p90\":null,\"max\":null},\"span_seconds\":null,"
	    "\"answers_per_second\":null}");
	CHECK(ia_summary_text(&sum, &b) == 0);
	CHECK_STR(b.data, "ia-collect: 0 answers, 0 failed; 0 records read, "
	    "0 duplicates, 0 recovered by a retry\n"
	    "  tokens:       0 prompt, 0 completion, 0 total\n");
	CHECK(sum.first == -1 && sum.last == -1);
	/* With no latency at all, the largest seen: 0. */
	CHECK(ia_summary_quantile(&sum, 0.5) == 0);
	ia_buf_free(&b);
	ia_summary_free(&sum);
}

static void
t_buckets(void)
{
	struct ia_summary sum;

	ia_summary_init(&sum);
	/* Up to 1 ms: bucket 0, zero included. */
	ia_summary_add_latency(&sum, 0);
	ia_summary_add_latency(&sum, 0.0005);
	ia_summary_add_latency(&sum, 0.001);
	CHECK(sum.lat[0] == 3);
	/* Then each bucket ends 2% above the last. */
	ia_summary_add_latency(&sum, 0.00101);
	CHECK(sum.lat[1] == 1);
	ia_summary_add_latency(&sum, 0.00103);
	CHECK(sum.lat[2] == 1);
	ia_summary_add_latency(&sum, 0.0011);
	CHECK(sum.lat[5] == 1);
	CHECK(sum.lat[3] == 0 && sum.lat[4] == 0);
	/* 1 s is in bucket 349, whose edges hold it. */
	ia_summary_add_latency(&sum, 1.0);
	CHECK(sum.lat[349] == 1);
	CHECK(EDGE(348) < 1.0 && 1.0 <= EDGE(349));
	ia_summary_add_latency(&sum, 10.0);
	CHECK(sum.lat[466] == 1);
	CHECK(EDGE(465) < 10.0 && 10.0 <= EDGE(466));
	/* Past the last edge (about 2.9e6 s): the last bucket. */
	ia_summary_add_latency(&sum, 1e7);
	CHECK(sum.lat[IA_SUMMARY_BUCKETS - 1] == 1);
	CHECK(EDGE(IA_SUMMARY_BUCKETS - 1) < 1e7);
	/* A negative latency (clocks disagree) is passed over. */
	ia_summary_add_latency(&sum, -0.5);
	CHECK(sum.lat_n == 9);
	CHECK(sum.lat_max == 1e7);
	/* The top quantile of a latency past the last edge is that edge. */
	CHECK(ia_summary_quantile(&sum, 1) == EDGE(IA_SUMMARY_BUCKETS - 1));
	ia_summary_free(&sum);
}

static void
t_quantiles(void)
{
	static const double lat[] = { 1, 1, 2, 2, 3, 3, 3, 3, 3, 20, 20, 20 };
	struct ia_summary sum;
	size_t		 i;

	ia_summary_init(&sum);
	for (i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
		success(&sum, NULL, 100, 100 + lat[i]);
	CHECK(sum.lat_n == 12);
	CHECK(sum.lat[349] == 2 && sum.lat[384] == 2 && sum.lat[405] == 5 &&
	    sum.lat[501] == 3);
	/* p50: the 6th of 12, a 3 s one: the upper edge of its bucket, to 2%. */
	CHECK(ia_summary_quantile(&sum, 0.5) == EDGE(405));
	CHECK(EDGE(405) > 3.04 && EDGE(405) < 3.05);
	/* p90: the 11th, a 20 s one: the edge is past the max, so the max. */
	CHECK(ia_summary_quantile(&sum, 0.9) == 20);
	CHECK(get(&sum, "latency_seconds", "p50") == EDGE(405));
	CHECK(get(&sum, "latency_seconds", "p90") == 20);
	CHECK(get(&sum, "latency_seconds", "max") == 20);
	/* The lowest is the first bucket's edge; 0.3 is the 4th, a 2 s one. */
	CHECK(ia_summary_quantile(&sum, 0) == EDGE(349));
	CHECK(ia_summary_quantile(&sum, 0.3) == EDGE(384));
	CHECK(ia_summary_quantile(&sum, 0.35) == EDGE(405));
	CHECK(ia_summary_quantile(&sum, 1) == 20);
	ia_summary_free(&sum);

	/* One latency: every quantile is it (its edge is above it). */
	ia_summary_init(&sum);
	success(&sum, NULL, 0, 0.5);
	CHECK(ia_summary_quantile(&sum, 0.5) == 0.5);
	CHECK(ia_summary_quantile(&sum, 0.9) == 0.5);
	/* Without both times, no latency, but still an answer. */
	success(&sum, NULL, -1, 3);
	success(&sum, NULL, 3, -1);
	CHECK(sum.lat_n == 1 && sum.success == 3);
	ia_summary_free(&sum);
}

static void
t_tokens(void)
{
	struct ia_summary sum;

	ia_summary_init(&sum);
	success(&sum, "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}",
	    -1, -1);
	success(&sum, "{\"prompt_tokens\":10.5,\"completion_tokens\":20,"
	    "\"total_tokens\":30.5}", -1, -1);
	/* None, not an object, not numbers: nothing added, but answers all. */
	success(&sum, NULL, -1, -1);
	success(&sum, "\"bad\"", -1, -1);
	success(&sum, "{\"prompt_tokens\":\"7\",\"total_tokens\":null}", -1, -1);
	CHECK(sum.success == 5);
	CHECK(sum.tok_prompt == 11.5);
	CHECK(sum.tok_completion == 22);
	CHECK(sum.tok_total == 33.5);
	CHECK_JSON(jv_object_get(ia_summary_json(&sum), jv_string("tokens")),
	    "{\"prompt\":11.5,\"completion\":22,\"total\":33.5,"
	    "\"average_per_answer\":6.7,\"average_completion\":4.4}");
	CHECK(get(&sum, "tokens", "average_per_answer") == 33.5 / 5);
	CHECK(get(&sum, "tokens", "average_completion") == 22.0 / 5);
	/* No failure: a success rate of 1. */
	CHECK(get(&sum, "success_rate", NULL) == 1);
	ia_summary_free(&sum);
}

static void
t_span(void)
{
	struct ia_summary sum;

	ia_summary_init(&sum);
	/* A finish alone is no span. */
	times(&sum, -1, 200);
	CHECK(sum.first == -1 && sum.last == 200);
	CHECK(isnan(get(&sum, "span_seconds", NULL)));
	ia_summary_free(&sum);

	/* Earliest dispatchedAt to latest finishedAt, failures' times too. */
	ia_summary_init(&sum);
	success(&sum, NULL, 50, 60);
	times(&sum, 40, 45);
	success(&sum, NULL, 100, -1);
	success(&sum, NULL, 55, 58);
	times(&sum, -1, -1);
	CHECK(sum.first == 40 && sum.last == 60);
	CHECK(get(&sum, "span_seconds", NULL) == 20);
	CHECK(get(&sum, "answers_per_second", NULL) == 3.0 / 20);
	ia_summary_free(&sum);

	/* A span of 0 has no rate; a finish before every dispatch, no span. */
	ia_summary_init(&sum);
	success(&sum, NULL, 5, 5);
	CHECK(get(&sum, "span_seconds", NULL) == 0);
	CHECK(isnan(get(&sum, "answers_per_second", NULL)));
	CHECK(sum.lat[0] == 1);
	ia_summary_free(&sum);
	ia_summary_init(&sum);
	success(&sum, NULL, 10, 5);
	CHECK(sum.lat_n == 0);
	CHECK(isnan(get(&sum, "span_seconds", NULL)));
	ia_summary_free(&sum);
}

static void
t_tallies(void)
{
	static const char *const recs[] = {
		"{\"error\":{\"stage\":\"generation\",\"message\":\"b\"}}",
		"{\"error\":{\"stage\":\"generation\",\"message\":\"a\"}}",
		"{\"error\":{\"stage\":\"poll\",\"message\":\"b\"}}",
		"{\"error\":{\"stage\":\"poll\",\"message\":\"a\"}}",
		"{\"error\":{\"stage\":7,\"message\":\"c\"}}",
		"{\"error\":\"str\"}",
		"{\"custom_id\":\"x\"}",
		"{\"error\":{\"stage\":\"collect\",\"message\":\"e\"}}",
		"{\"error\":{\"stage\":\"collect\",\"message\":\"d\"}}",
		"{\"error\":{\"stage\":\"collect\",\"message\":null}}",
	};
	struct ia_summary sum;
	size_t		 i;

	ia_summary_init(&sum);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		ia_summary_add_failure(&sum, jv_parse(recs[i]));
	/* Not even an object: unknown, without a message. */
	ia_summary_add_failure(&sum, jv_null());
	ia_summary_add_failure(&sum, jv_string("x"));
	CHECK(sum.failed == 12);
	/* By stage in the order first seen. */
	CHECK_JSON(jv_copy(sum.stages),
	    "{\"generation\":2,\"poll\":2,\"unknown\":5,\"collect\":3}");
	/* The five most common, ties in byte order: "(" before "a"; "e" left out. */
	CHECK_JSON(jv_object_get(ia_summary_json(&sum), jv_string("top_failures")),
	    "[{\"message\":\"(no message)\",\"count\":5},{\"message\":\"a\",\"count\":2},"
	    "{\"message\":\"b\",\"count\":2},{\"message\":\"c\",\"count\":1},"
	    "{\"message\":\"d\",\"count\":1}]");
	CHECK(get(&sum, "failed", NULL) == 12);
	CHECK(get(&sum, "success_rate", NULL) == 0);
	ia_summary_free(&sum);

	/* The counts the caller keeps come out as they are. */
	ia_summary_init(&sum);
	sum.records = 29;
	sum.others = 1;
	sum.dups = 4;
	sum.recovered = 1;
	success(&sum, NULL, -1, -1);
	success(&sum, NULL, -1, -1);
	success(&sum, NULL, -1, -1);
	ia_summary_add_failure(&sum, jv_parse(recs[0]));
	ia_summary_add_failure(&sum, jv_parse(recs[1]));
	CHECK_JSON(jv_object_get(ia_summary_json(&sum), jv_string("records")), "29");
	CHECK(get(&sum, "other_records", NULL) == 1);
	CHECK(get(&sum, "duplicates", NULL) == 4);
	CHECK(get(&sum, "recovered", NULL) == 1);
	CHECK(get(&sum, "success", NULL) == 3);
	CHECK(get(&sum, "success_rate", NULL) == 3.0 / 5);
	ia_summary_free(&sum);
}

static void
t_text(void)
{
	struct ia_summary sum;
	struct ia_buf	 b = { 0 };

	ia_summary_init(&sum);
	sum.records = 7;
	sum.others = 1;
	sum.dups = 2;
	sum.recovered = 1;
	success(&sum, "{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}",
	    100, 101);
	success(&sum, "{\"prompt_tokens\":0,\"completion_tokens\":3,\"total_tokens\":3}",
	    102, 105);
	times(&sum, 90, 95);
	ia_summary_add_failure(&sum,
	    jv_parse("{\"error\":{\"stage\":\"generation\",\"message\":\"boom\"}}"));
	CHECK(ia_summary_text(&sum, &b) == 0);
	CHECK_STR(b.data,
	    "ia-collect: 2 answers, 1 failed (66.7% success); 7 records read, "
	    "2 duplicates, 1 recovered by a retry\n"
	    "  not results:  1 records passed over\n"
	    "  failed by stage: generation 1\n"
	    "       1 x boom\n"
	    "  tokens:       10 prompt, 8 completion, 18 total (9.0 per answer)\n"
	    "  latency:      p50 1.00 s, p90 3.00 s, max 3.00 s\n"
	    "  span:         15.0 s, 0.13 answers/s\n");
	ia_buf_free(&b);
	ia_summary_free(&sum);
}

static void
t_clashes(void)
{
	struct ia_summary sum;
	struct ia_buf	 b = { 0 };

	ia_summary_init(&sum);
	ia_summary_add_clash(&sum, IA_CLASH_NONE, jv_string("n"));
	ia_summary_add_clash(&sum, IA_CLASH_REQUEST, jv_string("q1"));
	ia_summary_add_clash(&sum, IA_CLASH_REQUEST, jv_string("q2"));
	ia_summary_add_clash(&sum, IA_CLASH_GENERATION, jv_string("g1"));
	CHECK(sum.clashes == 2 && sum.extra_gens == 1);
	CHECK_JSON(jv_object_get(ia_summary_json(&sum), jv_string("clashes")),
	    "{\"count\":2,\"first\":\"q1\"}");
	CHECK_JSON(jv_object_get(ia_summary_json(&sum), jv_string("extra_generations")),
	    "{\"count\":1,\"first\":\"g1\"}");
	CHECK(ia_summary_text(&sum, &b) == 0);
	CHECK_STR(b.data, "ia-collect: 0 answers, 0 failed; 0 records read, "
	    "0 duplicates, 0 recovered by a retry\n"
	    "  clashes:      2 answers to another request than their custom_id's, "
	    "dropped (first: q1)\n"
	    "  extra gens:   1 answers from another generation of their request, "
	    "dropped (first: g1)\n"
	    "  tokens:       0 prompt, 0 completion, 0 total\n");
	ia_buf_free(&b);
	ia_summary_free(&sum);
}

static const struct t_group groups[] = {
	{ "empty", t_empty },
	{ "buckets", t_buckets },
	{ "quantiles", t_quantiles },
	{ "tokens", t_tokens },
	{ "span", t_span },
	{ "tallies", t_tallies },
	{ "text", t_text },
	{ "clashes", t_clashes },
};

int
main(int argc, char *argv[])
{
	return t_main("t_summary", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
