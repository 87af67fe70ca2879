/*
 * t_collect: checks of lib/pending.c and lib/collect.c, what ia-collect makes
 * of a results stream, and of lib/clash.c.  "t_collect GROUP" runs one group
 * of checks (pending, pending_many, pending_error, outcomes, failures,
 * pending_end, order, clash) or all
 * of them; it prints one line per group and a summary, or each failing check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

static bool
has(const struct ia_pending *p, const char *cid)
{
	return ia_pending_find(p, cid, strlen(cid)) != NULL;
}

static void
t_pending(void)
{
	struct ia_pending p;
	const struct ia_pending_entry *e, **list;

	ia_pending_init(&p);
	CHECK(!has(&p, "a"));
	CHECK(!ia_pending_remove(&p, "a", 1));
	CHECK(ia_pending_add(&p, "a", 1, IA_PENDING_GENERATION, "gen-a") == 0);
	CHECK(ia_pending_add(&p, "b", 1, IA_PENDING_GENERATION, NULL) == 0);
	CHECK(p.count == 2);
	e = ia_pending_find(&p, "a", 1);
	CHECK(e != NULL && e->kind == IA_PENDING_GENERATION && strcmp(e->id, "gen-a") == 0);
	e = ia_pending_find(&p, "b", 1);
	CHECK(e != NULL && e->id == NULL);
	/* Submitted again: what was known is replaced, not added. */
	CHECK(ia_pending_add(&p, "a", 1, IA_PENDING_GROUP, "grp-1") == 0);
	CHECK(p.count == 2);
	e = ia_pending_find(&p, "a", 1);
	CHECK(e != NULL && e->kind == IA_PENDING_GROUP && strcmp(e->id, "grp-1") == 0);
	/* A NUL inside a custom_id: its own entry, not "a"'s. */
	CHECK(ia_pending_add(&p, "a\0z", 3, IA_PENDING_GENERATION, "gen-nul") == 0);
	CHECK(p.count == 3);
	e = ia_pending_find(&p, "a\0z", 3);
	CHECK(e != NULL && e->len == 3 && strcmp(e->id, "gen-nul") == 0);
	CHECK(ia_pending_add(&p, "ab", 2, IA_PENDING_GENERATION, "") == 0);
	CHECK(ia_pending_add(&p, "", 0, IA_PENDING_GENERATION, "gen-empty") == 0);
	/* In jq's order of strings: bytes, then the shorter first. */
	list = ia_pending_sort(&p);
	CHECK(list != NULL);
	if (list != NULL) {
		CHECK(list[0] != NULL && list[0]->len == 0);
		CHECK(list[1] != NULL && list[1]->len == 1 && list[1]->custom_id[0] == 'a');
		CHECK(list[2] != NULL && list[2]->len == 3 &&
		    memcmp(list[2]->custom_id, "a\0z", 3) == 0);
		CHECK(list[3] != NULL && strcmp(list[3]->custom_id, "ab") == 0);
		CHECK(list[4] != NULL && strcmp(list[4]->custom_id, "b") == 0);
		CHECK(list[5] == NULL);
	}
	free(list);
	CHECK(ia_pending_remove(&p, "a", 1));
	CHECK(!ia_pending_remove(&p, "a", 1));
	CHECK(!has(&p, "a") && has(&p, "ab") && ia_pending_find(&p, "a\0z", 3) != NULL);
	CHECK(p.count == 4);
	ia_pending_free(&p);
	CHECK(p.count == 0 && p.slots == NULL);
	/* Nothing pending: an empty list, not NULL. */
	list = ia_pending_sort(&p);
	CHECK(list != NULL && list[0] == NULL);
	free(list);
}

/* Many entries, so that probes collide and removals shift entries back. */
static void
t_pending_many(void)
{
	struct ia_pending p;
	const struct ia_pending_entry *e, **list;
	char		 cid[32], id[32];
	int		 i, found = 0, wrong = 0, sorted = 1;

	ia_pending_init(&p);
	for (i = 0; i < 5000; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		snprintf(id, sizeof(id), "gen-%d", i);
		if (ia_pending_add(&p, cid, strlen(cid), IA_PENDING_GENERATION, id) == -1)
			wrong++;
	}
	CHECK(wrong == 0 && p.count == 5000);
	CHECK(p.cap >= 2 * p.count);
	for (i = 0; i < 5000; i += 3) {
		snprintf(cid, sizeof(cid), "c%d", i);
		if (!ia_pending_remove(&p, cid, strlen(cid)))
			wrong++;
	}
	CHECK(wrong == 0 && p.count == 5000 - 1667);
	for (i = 0; i < 5000; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		snprintf(id, sizeof(id), "gen-%d", i);
		e = ia_pending_find(&p, cid, strlen(cid));
		if (e != NULL) {
			found++;
			if (i % 3 == 0 || strcmp(e->id, id) != 0)
				wrong++;
		} else if (i % 3 != 0)
			wrong++;
	}
	CHECK(found == 3333 && wrong == 0);
	list = ia_pending_sort(&p);
	CHECK(list != NULL);
	for (i = 0; list != NULL && list[i] != NULL; i++)
		if (i > 0 && strcmp(list[i - 1]->custom_id, list[i]->custom_id) >= 0)
			sorted = 0;
	CHECK(i == 3333 && sorted);
	free(list);
	ia_pending_free(&p);
}

static void
t_pending_error(void)
{
	struct ia_pending_entry e;
	char		 cid[] = "c1", id[] = "gen-1", empty[] = "", grp[] = "grp-9";

	e.custom_id = cid;
	e.len = 2;
	e.kind = IA_PENDING_GENERATION;
	e.id = id;
	CHECK_JSON(ia_pending_error(&e), "{\"custom_id\":\"c1\",\"error\":{\"stage\":"
	    "\"collect\",\"status\":null,\"message\":\"no result in the input: "
	    "submitted as gen-1 (follow it with ia-poll)\",\"attempts\":0},"
	    "\"request\":{\"id\":\"gen-1\",\"custom_id\":\"c1\"},\"line\":null}");
	/* No id, or an empty one: still running when last seen. */
	e.id = NULL;
	CHECK_JSON(ia_pending_error(&e), "{\"custom_id\":\"c1\",\"error\":{\"stage\":"
	    "\"collect\",\"status\":null,\"message\":\"no result in the input: still "
	    "running when last seen\",\"attempts\":0},\"request\":{\"id\":null,"
	    "\"custom_id\":\"c1\"},\"line\":null}");
	e.id = empty;
	CHECK_JSON(jv_object_get(ia_pending_error(&e), jv_string("request")),
	    "{\"id\":null,\"custom_id\":\"c1\"}");
	e.kind = IA_PENDING_GROUP;
	e.id = grp;
	CHECK_JSON(ia_pending_error(&e), "{\"custom_id\":\"c1\",\"error\":{\"stage\":"
	    "\"collect\",\"status\":null,\"message\":\"no result in the input: "
	    "submitted in group grp-9 (follow it with ia-poll)\",\"attempts\":0},"
	    "\"request\":{\"group_id\":\"grp-9\",\"custom_ids\":[\"c1\"]},"
	    "\"line\":null}");
}

/* ia_collect_add() of a record (JSON text); r is freed. */
static int
add(struct ia_collect *c, const char *json)
{
	struct ia_result r;
	int		 rc;

	rc = ia_collect_add(c, jv_parse(json), &r);
	ia_result_free(&r);
	return rc;
}

#define OK(cid, content) "{\"custom_id\":\"" cid "\",\"id\":\"gen-" cid "\"," \
	"\"state\":\"Success\",\"response\":{\"choices\":[{\"message\":{\"content\":" \
	"\"" content "\"}}]}}"
#define FAILED(cid, msg) "{\"custom_id\":\"" cid "\",\"id\":\"gen-" cid "\"," \
	"\"state\":\"Failed\",\"stateMessage\":\"" msg "\",\"request\":{\"model\":" \
	"\"m\",\"prompt\":\"" cid "\"}}"
#define POLL_ERROR(cid) "{\"custom_id\":\"" cid "\",\"error\":{\"stage\":\"poll\"," \
	"\"status\":null,\"message\":\"deadline\",\"attempts\":1},\"request\":{\"id\":" \
	"\"gen-" cid "\",\"custom_id\":\"" cid "\"},\"line\":null}"
#define ACK(cid) "{\"custom_id\":\"" cid "\",\"id\":\"gen-" cid "\"}"
#define ACKID(cid, id) "{\"custom_id\":\"" cid "\",\"id\":\"" id "\"}"

/* Collects each failure's custom_id (null for none) and message. */
static void
collect_failure(void *arg, jv cid, jv rec)
{
	jv	*list = arg;

	*list = jv_array_append(*list, JV_ARRAY(cid, jv_object_get(jv_object_get(rec,
	    jv_string("error")), jv_string("message"))));
}

static void
t_outcomes(void)
{
	struct ia_collect c;

	ia_collect_init(&c);
	/* The first success prints; a second is a duplicate. */
	CHECK(add(&c, OK("a", "one")) == 1);
	CHECK(add(&c, OK("a", "two")) == 0);
	/* A failure after a success is a duplicate too. */
	CHECK(add(&c, FAILED("a", "late")) == 0);
	/* A failure, then a success: recovered, and the success prints. */
	CHECK(add(&c, FAILED("b", "early")) == 0);
	CHECK(add(&c, OK("b", "won")) == 1);
	/* Pending and not a result: nothing to print. */
	CHECK(add(&c, ACK("p")) == 0);
	CHECK(add(&c, "{\"foo\":1}") == 0);
	CHECK(add(&c, "[1]") == 0);
	/* A group that names none of its requests is not a result either. */
	CHECK(add(&c, "{\"group_id\":\"grp-0\"}") == 0);
	/* An answer without a custom_id prints: there is nothing to match. */
	CHECK(add(&c, "{\"state\":\"Success\",\"response\":{}}") == 1);
	CHECK(add(&c, "{\"state\":\"Success\",\"response\":{}}") == 1);
	CHECK(c.sum.records == 11);
	CHECK(c.sum.success == 4);
	CHECK(c.sum.dups == 3);
	CHECK(c.sum.recovered == 1);
	CHECK(c.sum.others == 3);
	CHECK(c.pending.count == 1);
	CHECK(ia_collect_end(&c) == 0);
	CHECK(c.sum.failed == 1);
	CHECK(c.pending.count == 0);
	CHECK_JSON(ia_collect_failed(&c), "{\"p\":true}");
	ia_collect_free(&c);

	/* custom_ids that differ after a NUL are told apart, all bytes. */
	ia_collect_init(&c);
	CHECK(add(&c, OK("n\\u0000a", "one")) == 1);
	CHECK(add(&c, OK("n\\u0000b", "two")) == 1);
	CHECK(add(&c, OK("n", "three")) == 1);
	CHECK(add(&c, OK("n\\u0000a", "again")) == 0);
	CHECK(add(&c, FAILED("n\\u0000b", "late")) == 0);
	CHECK(c.sum.success == 3 && c.sum.dups == 2);
	ia_collect_free(&c);
}

static void
t_failures(void)
{
	struct ia_collect c;
	jv		 list = jv_array(), text;

	ia_collect_init(&c);
	CHECK(add(&c, FAILED("x", "first x")) == 0);
	CHECK(add(&c, FAILED("y", "only y")) == 0);
	/* The last failure is kept, with the request of the one before. */
	CHECK(add(&c, POLL_ERROR("x")) == 0);
	/* Without a custom_id: held apart, in the order they came. */
	CHECK(add(&c, "{\"error\":{\"stage\":\"input\",\"message\":\"bad 1\"}}") == 0);
	CHECK(add(&c, "{\"error\":{\"stage\":\"input\",\"message\":\"bad 2\"}}") == 0);
	CHECK(c.sum.dups == 1);
	CHECK(ia_collect_end(&c) == 0);
	CHECK(c.sum.failed == 4);
	ia_collect_each_failure(&c, collect_failure, &list);
	CHECK_JSON(list, "[[\"x\",\"deadline\"],[\"y\",\"only y\"],[null,\"bad 1\"],"
	    "[null,\"bad 2\"]]");
	text = jv_object_get(jv_copy(c.fails), jv_string("x"));
	CHECK_JSON(jv_object_get(jv_parse(jv_string_value(text)), jv_string("request")),
	    "{\"model\":\"m\",\"prompt\":\"x\"}");
	jv_free(text);
	CHECK_JSON(ia_collect_failed(&c), "{\"x\":true,\"y\":true}");
	CHECK_JSON(jv_copy(c.sum.stages), "{\"poll\":1,\"generation\":1,\"input\":2}");
	ia_collect_free(&c);

	CHECK(ia_collect_can_resubmit(jv_parse("{\"messages\":[]}")));
	CHECK(ia_collect_can_resubmit(jv_parse("{\"prompt\":\"p\"}")));
	CHECK(ia_collect_can_resubmit(jv_parse("{\"body\":{}}")));
	CHECK(!ia_collect_can_resubmit(jv_parse("{\"id\":\"gen-1\",\"custom_id\":\"c\"}")));
	CHECK(!ia_collect_can_resubmit(jv_null()));
	CHECK(!ia_collect_can_resubmit(jv_invalid()));
}

static void
t_pending_end(void)
{
	struct ia_collect c;
	jv		 list = jv_array();

	ia_collect_init(&c);
	CHECK(add(&c, ACK("z")) == 0);
	CHECK(add(&c, ACK("m")) == 0);
	CHECK(add(&c, ACK("answered")) == 0);
	CHECK(add(&c, OK("answered", "yes")) == 1);
	/* A group names its requests; one already answered is not pending. */
	CHECK(add(&c, OK("g2", "yes")) == 1);
	CHECK(add(&c, "{\"group_id\":\"grp-1\",\"custom_ids\":[\"g1\",\"g2\",7]}") == 0);
	/* Still running, without an id. */
	CHECK(add(&c, "{\"custom_id\":\"r\",\"state\":\"Running\"}") == 0);
	/* A failure ends its submission; a later ack (a retry, a new id) is new. */
	CHECK(add(&c, ACK("f")) == 0);
	CHECK(add(&c, FAILED("f", "boom")) == 0);
	CHECK(c.pending.count == 4);
	CHECK(add(&c, ACKID("f", "gen-f2")) == 0);
	CHECK(c.pending.count == 5);
	/* Acks before results (a journal read first): each counts. */
	CHECK(add(&c, ACK("j")) == 0);
	CHECK(add(&c, ACKID("j", "gen-j2")) == 0);
	CHECK(add(&c, FAILED("j", "first try")) == 0);
	CHECK(c.pending.count == 6);
	/* A submit error never had an id: it ends no submission. */
	CHECK(add(&c, ACK("s")) == 0);
	CHECK(add(&c, "{\"custom_id\":\"s\",\"error\":{\"stage\":\"submit\","
	    "\"status\":503,\"message\":\"retry POST failed\",\"attempts\":9},"
	    "\"request\":null,\"line\":null}") == 0);
	CHECK(c.pending.count == 7);
	CHECK(add(&c, ACK("k")) == 0);
	CHECK(add(&c, FAILED("k", "boom")) == 0);
	CHECK(c.pending.count == 7);
	/* Results before the journal: the end counts for the ack read later. */
	CHECK(add(&c, FAILED("o", "early")) == 0);
	CHECK(add(&c, ACK("o")) == 0);
	CHECK(c.pending.count == 7);
	/* The same ack twice is one submission; the same end twice, one end. */
	CHECK(add(&c, ACK("d")) == 0);
	CHECK(add(&c, ACK("d")) == 0);
	CHECK(add(&c, ACKID("d", "gen-d2")) == 0);
	CHECK(add(&c, FAILED("d", "boom")) == 0);
	CHECK(add(&c, FAILED("d", "boom")) == 0);
	CHECK(c.pending.count == 8);
	/* A poll that gave up ends the submission its request names. */
	CHECK(add(&c, ACK("p")) == 0);
	CHECK(add(&c, "{\"custom_id\":\"p\",\"error\":{\"stage\":\"poll\","
	    "\"status\":null,\"message\":\"deadline\",\"attempts\":1},"
	    "\"request\":{\"id\":\"gen-p\",\"custom_id\":\"p\"},\"line\":null}") == 0);
	CHECK(c.pending.count == 8);
	CHECK(ia_collect_end(&c) == 0);
	ia_collect_each_failure(&c, collect_failure, &list);
	/*
	 * The failures first, as they came, a later submission's pending state
	 * in place of the failure; then the pending ones in custom_id order.
	 */
	CHECK_JSON(list, "[[\"f\",\"no result in the input: submitted as gen-f2 "
	    "(follow it with ia-poll)\"],"
	    "[\"j\",\"no result in the input: submitted as gen-j2 (follow it with "
	    "ia-poll)\"],"
	    "[\"s\",\"no result in the input: submitted as gen-s (follow it with "
	    "ia-poll)\"],"
	    "[\"k\",\"boom\"],"
	    "[\"o\",\"early\"],"
	    "[\"d\",\"no result in the input: submitted as gen-d2 (follow it with "
	    "ia-poll)\"],"
	    "[\"p\",\"deadline\"],"
	    "[\"g1\",\"no result in the input: submitted in group grp-1 (follow it "
	    "with ia-poll)\"],"
	    "[\"m\",\"no result in the input: submitted as gen-m (follow it with "
	    "ia-poll)\"],"
	    "[\"r\",\"no result in the input: still running when last seen\"],"
	    "[\"z\",\"no result in the input: submitted as gen-z (follow it with "
	    "ia-poll)\"]]");
	CHECK(c.sum.failed == 11);
	CHECK(c.npending == 8);
	CHECK_JSON(jv_copy(c.sum.stages), "{\"collect\":8,\"generation\":2,"
	    "\"poll\":1}");
	ia_collect_free(&c);
}

static void
t_order(void)
{
	/* Placed first by place, the others after in their order. */
	CHECK_JSON(ia_collect_order(jv_parse("[\"a\",\"b\",\"c\",\"d\"]"),
	    jv_parse("{\"d\":0,\"b\":2,\"x\":1}")), "[\"d\",\"b\",\"a\",\"c\"]");
	CHECK_JSON(ia_collect_order(jv_parse("[\"a\",\"b\"]"), jv_object()),
	    "[\"a\",\"b\"]");
	CHECK_JSON(ia_collect_order(jv_array(), jv_parse("{\"a\":3}")), "[]");
	CHECK_JSON(ia_collect_order(jv_parse("[\"a\"]"), jv_parse("{\"a\":5}")),
	    "[\"a\"]");
}

/* A generation of request PROMPT under cid, from generation gen. */
#define GEN(cid, prompt, gen) "{\"custom_id\":\"" cid "\",\"id\":\"" gen "\"," \
	"\"state\":\"Success\",\"request\":{\"model\":\"m\",\"prompt\":\"" prompt \
	"\",\"metadata\":{\"custom_id\":\"" cid "\"}},\"response\":{}}"

static void
t_clash(void)
{
	struct ia_clash	 cl;
	struct ia_collect c;
	char		 id[32];
	int		 i, bad;

	/* The table alone: the kinds of a second answer. */
	ia_clash_init(&cl);
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_null(), jv_null()) == IA_CLASH_NONE);
	CHECK(ia_clash_first(&cl, jv_string("a"), jv_parse("{\"prompt\":\"x\","
	    "\"metadata\":{\"custom_id\":\"a\"}}"), jv_string("g1")) == 0);
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_parse("{\"prompt\":\"x\"}"),
	    jv_string("g1")) == IA_CLASH_NONE);
	/* Metadata aside, and keys in any order: the same request. */
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_parse("{\"metadata\":"
	    "{\"webhook_id\":\"w\"},\"prompt\":\"x\"}"), jv_string("g2")) ==
	    IA_CLASH_GENERATION);
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_parse("{\"prompt\":\"y\"}"),
	    jv_string("g1")) == IA_CLASH_REQUEST);
	/* What is not known does not clash. */
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_invalid(), jv_string("g3")) ==
	    IA_CLASH_GENERATION);
	CHECK(ia_clash_check(&cl, jv_string("a"), jv_invalid(), jv_invalid()) ==
	    IA_CLASH_NONE);
	CHECK(ia_clash_check(&cl, jv_string("b"), jv_parse("{\"prompt\":\"y\"}"),
	    jv_string("g9")) == IA_CLASH_NONE);
	CHECK(ia_clash_check(&cl, jv_null(), jv_null(), jv_null()) == IA_CLASH_NONE);
	/* 5000 custom_ids: each found again, through the table's growth. */
	for (bad = 0, i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		bad += ia_clash_first(&cl, jv_string(id), jv_parse("{\"prompt\":\"p\"}"),
		    jv_string(id)) != 0;
	}
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		bad += ia_clash_check(&cl, jv_string(id), jv_parse("{\"prompt\":\"p\"}"),
		    jv_string("other")) != IA_CLASH_GENERATION;
	}
	CHECK(bad == 0);
	CHECK(cl.count == 5001);
	ia_clash_free(&cl);

	/* Through ia_collect_add: counted among the duplicates, by kind. */
	ia_collect_init(&c);
	CHECK(add(&c, GEN("q1", "one", "g1")) == 1);
	CHECK(add(&c, GEN("q1", "one", "g1")) == 0);
	CHECK(add(&c, GEN("q1", "one", "g2")) == 0);
	CHECK(add(&c, GEN("q1", "two", "g3")) == 0);
	CHECK(add(&c, GEN("q2", "one", "g4")) == 1);
	CHECK(add(&c, GEN("q2", "three", "g5")) == 0);
	CHECK(c.sum.dups == 4);
	CHECK(c.sum.clashes == 2);
	CHECK(c.sum.extra_gens == 1);
	CHECK_JSON(jv_copy(c.sum.clash_first), "\"q1\"");
	CHECK_JSON(jv_copy(c.sum.extra_gen_first), "\"q1\"");
	ia_collect_free(&c);
}

static const struct t_group groups[] = {
	{ "pending", t_pending },
	{ "pending_many", t_pending_many },
	{ "pending_error", t_pending_error },
	{ "outcomes", t_outcomes },
	{ "failures", t_failures },
	{ "pending_end", t_pending_end },
	{ "order", t_order },
	{ "clash", t_clash },
};

int
main(int argc, char *argv[])
{
	return t_main("t_collect", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
