/*
 * t_request: checks of lib/request.c (kinds, checks, routes), the record
 * classifier of lib/record.c, lib/result.c and ia_http_answer() of
 * lib/http.c: what the tools make of the JSON they read, with no network.
 * "t_request GROUP" runs one group (kind, check, route, classify, state,
 * field, custom_id, result, load_done, answer) or all of them; it prints
 * one line per group and a summary, or each failing check.  Run from
 * tests/lib-units.bats.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"
#include "t.h"

#undef CHECK_JSON
/* got (a jv, consumed) dumped with sorted keys equals want, any key order. */
#define CHECK_JSON(got, want)	check_canon((got), (want), __FILE__, __LINE__, #got)

/* want, a JSON text (or "(invalid)"), in the form t_dump() gives. */
static const char *
canon(const char *want)
{
	jv	 v;

	if (strcmp(want, "(invalid)") == 0)
		return want;
	v = jv_parse(want);
	if (!jv_is_valid(v)) {
		fprintf(stderr, "t_request: bad JSON in a test: %s\n", want);
		exit(2);
	}
	return t_dump(v);
}

static void
check_canon(jv got, const char *want, const char *file, int line, const char *expr)
{
	char	 g[4096];

	snprintf(g, sizeof(g), "%s", t_dump(got));
	check_str(g, canon(want), file, line, expr);
}

static void
t_kind(void)
{
	CHECK(ia_request_kind(J("{\"messages\":[]}")) == IA_KIND_CHAT);
	CHECK(ia_request_kind(J("{\"messages\":null}")) == IA_KIND_CHAT);
	CHECK(ia_request_kind(J("{\"prompt\":\"p\"}")) == IA_KIND_TEXT);
	CHECK(ia_request_kind(J("{\"prompt\":[\"a\",\"b\"],\"model\":\"m\"}")) == IA_KIND_TEXT);
	/* Both: messages decides. */
	CHECK(ia_request_kind(J("{\"prompt\":\"p\",\"messages\":[]}")) == IA_KIND_CHAT);
	CHECK(ia_request_kind(J("{\"model\":\"m\"}")) == IA_KIND_NONE);
	CHECK(ia_request_kind(J("{}")) == IA_KIND_NONE);
	CHECK(ia_request_kind(J("{\"body\":{\"messages\":[]}}")) == IA_KIND_NONE);
	CHECK(ia_request_kind(J("[\"messages\"]")) == IA_KIND_NONE);
	CHECK(ia_request_kind(J("\"messages\"")) == IA_KIND_NONE);
	CHECK(ia_request_kind(jv_null()) == IA_KIND_NONE);
	CHECK(ia_request_kind(jv_invalid()) == IA_KIND_NONE);

	CHECK_STR(ia_request_kind_name(IA_KIND_CHAT), "chat");
	CHECK_STR(ia_request_kind_name(IA_KIND_TEXT), "text");
	CHECK_STR(ia_request_kind_name(IA_KIND_NONE), "unknown");
	CHECK_STR(ia_request_kind_name((enum ia_kind)42), "unknown");
}

/* ia_request_check's verdict on json as kind: "ok" or its message. */
static const char *
verdict(const char *json, enum ia_kind kind)
{
	static char	 why[256];
	int		 rc;

	why[0] = '\0';
	rc = ia_request_check(J(json), kind, why, sizeof(why));
	if (rc == 0)
		return "ok";
	if (rc != -1 || why[0] == '\0')
		return "(bad return or no message)";
	return why;
}

#define CHAT	IA_KIND_CHAT
#define TEXT	IA_KIND_TEXT
#define MSG	"[{\"role\":\"user\",\"content\":\"hi\"}]"

static void
t_check(void)
{
	char	 why[16];
	jv	 model, req;

	/* Good ones. */
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG "}", CHAT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
	    "\"content\":\"s\"},{\"role\":\"user\",\"content\":null}]}", CHAT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG ",\"metadata\":null}",
	    CHAT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG ",\"metadata\":"
	    "{\"custom_id\":\"a\"},\"max_tokens\":5}", CHAT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\"}", TEXT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", TEXT), "ok");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"\"}", TEXT), "ok");

	/* Not an object. */
	CHECK_STR(verdict("[]", CHAT), "request must be a JSON object, not array");
	CHECK_STR(verdict("\"x\"", TEXT), "request must be a JSON object, not string");
	CHECK_STR(verdict("3", CHAT), "request must be a JSON object, not number");
	CHECK_STR(verdict("null", CHAT), "request must be a JSON object, not null");
	CHECK_STR(verdict("true", CHAT), "request must be a JSON object, not boolean");

	/* model, checked first, whatever the kind. */
	CHECK_STR(verdict("{\"messages\":" MSG "}", CHAT), "model is required");
	CHECK_STR(verdict("{\"messages\":[]}", CHAT), "model is required");
	CHECK_STR(verdict("{}", IA_KIND_NONE), "model is required");
	CHECK_STR(verdict("{\"model\":null,\"prompt\":\"p\"}", TEXT),
	    "model must be a string");
	CHECK_STR(verdict("{\"model\":7,\"prompt\":\"p\"}", TEXT),
	    "model must be a string");
	CHECK_STR(verdict("{\"model\":[\"m\"],\"prompt\":\"p\"}", TEXT),
	    "model must be a string");
	CHECK_STR(verdict("{\"model\":\"\",\"prompt\":\"p\"}", TEXT),
	    "model must not be empty");

	/* The request is consumed, the model in it too: no reference kept. */
	model = jv_string("");
	req = jv_object_set(jv_object_set(jv_object(), jv_string("prompt"),
	    jv_string("p")), jv_string("model"), jv_copy(model));
	CHECK(ia_request_check(req, TEXT, why, sizeof(why)) == -1);
	CHECK(jv_get_refcnt(model) == 1);
	jv_free(model);
	model = jv_string("m");
	req = jv_object_set(jv_object_set(jv_object(), jv_string("prompt"),
	    jv_string("p")), jv_string("model"), jv_copy(model));
	CHECK(ia_request_check(req, TEXT, why, sizeof(why)) == 0);
	CHECK(jv_get_refcnt(model) == 1);
	jv_free(model);

	/* metadata: an object or null, if there. */
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG ",\"metadata\":\"x\"}",
	    CHAT), "metadata must be an object");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":[]}", TEXT),
	    "metadata must be an object");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":0}", TEXT),
	    "metadata must be an object");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\",\"metadata\":false}", TEXT),
	    "metadata must be an object");

	/* chat: messages. */
	CHECK_STR(verdict("{\"model\":\"m\"}", CHAT), "messages is required");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\"}", CHAT),
	    "messages is required (a request with prompt is a text completion)");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[]}", CHAT),
	    "messages must be a non-empty array");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":null}", CHAT),
	    "messages must be a non-empty array");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":{\"role\":\"user\"}}", CHAT),
	    "messages must be a non-empty array");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":\"hi\"}", CHAT),
	    "messages must be a non-empty array");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[\"hi\"]}", CHAT),
	    "messages[0] must be an object");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"a\"},null]}", CHAT), "messages[1] must be an object");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"content\":\"a\"}]}", CHAT),
	    "messages[0].role must be a string");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"role\":1,"
	    "\"content\":\"a\"}]}", CHAT), "messages[0].role must be a string");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},"
	    "{\"role\":\"user\"}]}", CHAT), "messages[2].content is required");
	/* The first fault is the one named. */
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},7]}",
	    CHAT), "messages[0].content is required");

	/* text: prompt, and no messages. */
	CHECK_STR(verdict("{\"model\":\"m\"}", TEXT), "prompt is required");
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG "}", TEXT),
	    "messages is not allowed in a text completion "
	    "(a request with messages is a chat completion)");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":\"p\",\"messages\":" MSG "}", TEXT),
	    "messages is not allowed in a text completion "
	    "(a request with messages is a chat completion)");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":[]}", TEXT),
	    "prompt must be a string or a non-empty array of strings");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":[\"a\",1]}", TEXT),
	    "prompt must be a string or a non-empty array of strings");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":5}", TEXT),
	    "prompt must be a string or a non-empty array of strings");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":null}", TEXT),
	    "prompt must be a string or a non-empty array of strings");
	CHECK_STR(verdict("{\"model\":\"m\",\"prompt\":{\"p\":1}}", TEXT),
	    "prompt must be a string or a non-empty array of strings");

	/* Neither kind. */
	CHECK_STR(verdict("{\"model\":\"m\",\"messages\":" MSG "}", IA_KIND_NONE),
	    "request has neither messages nor prompt");

	/* A short buffer gets a cut, terminated message. */
	memset(why, 'x', sizeof(why));
	CHECK(ia_request_check(J("{}"), CHAT, why, 10) == -1);
	CHECK_STR(why, "model is ");
	CHECK(why[10] == 'x');
}

static void
t_route(void)
{
	CHECK_STR(ia_request_route(IA_KIND_CHAT, false), "/v1/async/chat/completions");
	CHECK_STR(ia_request_route(IA_KIND_TEXT, false), "/v1/async/completions");
	CHECK_STR(ia_request_route(IA_KIND_CHAT, true), "/v1/async/group/chat/completions");
	CHECK_STR(ia_request_route(IA_KIND_TEXT, true), "/v1/async/group/completions");
}

#define KIND(json)	ia_record_kind(J(json))
/* What ia_record_error() writes, as the tools write it. */
#define ERRREC	"\"custom_id\":\"c\",\"error\":{\"stage\":\"poll\",\"status\":500," \
		"\"message\":\"m\",\"attempts\":3},\"request\":null,\"line\":4"

static void
t_classify(void)
{
	/* Error records: our shape only, "error" with a "stage". */
	CHECK(ia_record_kind(ia_record_error("c", "submit", 429, "m", 2, jv_null(), 1)) ==
	    IA_RECORD_ERROR);
	CHECK(ia_record_kind(ia_record_error(NULL, NULL, 0, NULL, 0, jv_null(), 0)) ==
	    IA_RECORD_ERROR);
	CHECK(KIND("{" ERRREC "}") == IA_RECORD_ERROR);
	CHECK(KIND("{\"error\":{\"stage\":null}}") == IA_RECORD_ERROR);
	CHECK(KIND("{\"error\":{\"message\":\"an API error\"}}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"error\":\"stage\"}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"error\":[\"stage\"]}") == IA_RECORD_OTHER);

	/* Generations: any "state". */
	CHECK(KIND("{\"id\":\"g\",\"state\":\"Queued\"}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"id\":\"g\",\"state\":\"In Progress\"}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"id\":\"g\",\"state\":\"Success\",\"response\":{}}") ==
	    IA_RECORD_GENERATION);
	CHECK(KIND("{\"id\":\"g\",\"state\":\"Failed\"}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"state\":\"Whatever\"}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"state\":7}") == IA_RECORD_GENERATION);

	/* OpenAI Batch output lines. */
	CHECK(KIND("{\"id\":\"batch_req_1\",\"custom_id\":\"c\",\"response\":"
	    "{\"status_code\":200,\"request_id\":\"r\",\"body\":{}},\"error\":null}") ==
	    IA_RECORD_BATCH);
	CHECK(KIND("{\"response\":{\"status_code\":500}}") == IA_RECORD_BATCH);
	/* Failed before any response: response null, an error, a custom_id. */
	CHECK(KIND("{\"id\":\"batch_req_2\",\"custom_id\":\"c\",\"response\":null,"
	    "\"error\":{\"code\":\"x\",\"message\":\"m\"}}") == IA_RECORD_BATCH);
	CHECK(KIND("{\"custom_id\":\"c\",\"response\":null,\"error\":null}") ==
	    IA_RECORD_BATCH);
	/* Not a Batch line: a response without status_code, or no custom_id. */
	CHECK(KIND("{\"custom_id\":\"c\",\"response\":{\"body\":{}}}") ==
	    IA_RECORD_OTHER);
	CHECK(KIND("{\"response\":null,\"error\":{\"message\":\"m\"}}") ==
	    IA_RECORD_OTHER);
	CHECK(KIND("{\"custom_id\":\"c\",\"response\":null}") == IA_RECORD_OTHER);

	/* ia-collect's answers. */
	CHECK(KIND("{\"custom_id\":\"c\",\"content\":\"hi\",\"finish_reason\":\"stop\","
	    "\"usage\":null}") == IA_RECORD_ANSWER);
	CHECK(KIND("{\"custom_id\":\"c\",\"content\":null}") == IA_RECORD_ANSWER);
	CHECK(KIND("{\"content\":\"hi\"}") == IA_RECORD_OTHER);

	/* Group records. */
	CHECK(KIND("{\"group_id\":\"grp\",\"custom_ids\":[\"a\",\"b\"]}") ==
	    IA_RECORD_GROUP);
	CHECK(KIND("{\"group_id\":\"grp\"}") == IA_RECORD_GROUP);

	/* Acknowledgements: a non-empty string "id". */
	CHECK(KIND("{\"custom_id\":\"c\",\"id\":\"gen-1\"}") == IA_RECORD_ACK);
	CHECK(KIND("{\"id\":\"gen-1\"}") == IA_RECORD_ACK);
	CHECK(KIND("{\"custom_id\":\"c\",\"id\":\"\"}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"custom_id\":\"c\",\"id\":5}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"custom_id\":\"c\",\"id\":null}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"custom_id\":\"c\",\"id\":[\"x\"]}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"custom_id\":\"c\"}") == IA_RECORD_OTHER);

	/* Nothing of ours. */
	CHECK(KIND("{}") == IA_RECORD_OTHER);
	CHECK(KIND("{\"model\":\"m\",\"messages\":[]}") == IA_RECORD_OTHER);
	CHECK(KIND("[]") == IA_RECORD_OTHER);
	CHECK(KIND("[{\"id\":\"x\"}]") == IA_RECORD_OTHER);
	CHECK(KIND("\"id\"") == IA_RECORD_OTHER);
	CHECK(KIND("1") == IA_RECORD_OTHER);
	CHECK(KIND("null") == IA_RECORD_OTHER);
	CHECK(ia_record_kind(jv_invalid()) == IA_RECORD_OTHER);
	CHECK(ia_record_kind(jv_invalid_with_msg(jv_string("x"))) == IA_RECORD_OTHER);

	/* The order: error, generation, batch, answer, group, ack. */
	CHECK(KIND("{" ERRREC ",\"state\":\"Success\"}") == IA_RECORD_ERROR);
	CHECK(KIND("{" ERRREC ",\"response\":{\"status_code\":200}}") == IA_RECORD_ERROR);
	CHECK(KIND("{" ERRREC ",\"content\":\"x\",\"group_id\":\"g\",\"id\":\"i\"}") ==
	    IA_RECORD_ERROR);
	CHECK(KIND("{\"state\":\"Failed\",\"error\":{\"message\":\"API's own\"}}") ==
	    IA_RECORD_GENERATION);
	CHECK(KIND("{\"id\":\"g\",\"state\":\"Success\",\"custom_id\":\"c\","
	    "\"response\":{\"status_code\":200}}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"state\":\"Queued\",\"custom_id\":\"c\",\"content\":\"x\","
	    "\"group_id\":\"g\"}") == IA_RECORD_GENERATION);
	CHECK(KIND("{\"id\":\"batch_req_1\",\"custom_id\":\"c\",\"content\":\"x\","
	    "\"group_id\":\"g\",\"response\":{\"status_code\":200}}") == IA_RECORD_BATCH);
	CHECK(KIND("{\"custom_id\":\"c\",\"content\":\"x\",\"group_id\":\"g\","
	    "\"id\":\"i\"}") == IA_RECORD_ANSWER);
	CHECK(KIND("{\"group_id\":\"g\",\"id\":\"i\",\"custom_id\":\"c\"}") ==
	    IA_RECORD_GROUP);
}

static void
t_state(void)
{
	CHECK(ia_record_state(J("{\"state\":\"Queued\"}")) == IA_STATE_QUEUED);
	CHECK(ia_record_state(J("{\"state\":\"In Progress\"}")) == IA_STATE_RUNNING);
	CHECK(ia_record_state(J("{\"state\":\"Success\"}")) == IA_STATE_SUCCESS);
	CHECK(ia_record_state(J("{\"state\":\"Failed\"}")) == IA_STATE_FAILED);
	/* Exact names only. */
	CHECK(ia_record_state(J("{\"state\":\"success\"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":\"In progress\"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":\"InProgress\"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":\"Success \"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":\"Running\"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":\"\"}")) == IA_STATE_UNKNOWN);
	/* Missing, null, not a string, not an object. */
	CHECK(ia_record_state(J("{}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":null}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":2}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"state\":[\"Success\"]}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("{\"status\":\"Success\"}")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(J("\"Success\"")) == IA_STATE_UNKNOWN);
	CHECK(ia_record_state(jv_invalid()) == IA_STATE_UNKNOWN);

	CHECK(ia_record_final(IA_STATE_SUCCESS));
	CHECK(ia_record_final(IA_STATE_FAILED));
	CHECK(!ia_record_final(IA_STATE_QUEUED));
	CHECK(!ia_record_final(IA_STATE_RUNNING));
	CHECK(!ia_record_final(IA_STATE_UNKNOWN));
}

static void
t_field(void)
{
	CHECK_JSON(ia_record_field(J("{\"a\":1,\"b\":2}"), "a"), "1");
	CHECK_JSON(ia_record_field(J("{\"a\":{\"x\":[1]}}"), "a"), "{\"x\":[1]}");
	CHECK_JSON(ia_record_field(J("{\"a\":\"\"}"), "a"), "\"\"");
	/* false and 0 are values, only null is missing. */
	CHECK_JSON(ia_record_field(J("{\"a\":false}"), "a"), "false");
	CHECK_JSON(ia_record_field(J("{\"a\":0}"), "a"), "0");
	CHECK_JSON(ia_record_field(J("{\"a\":null}"), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(J("{\"b\":1}"), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(J("{}"), ""), "(invalid)");
	CHECK_JSON(ia_record_field(J("{\"\":3}"), ""), "3");
	/* Anything that is not an object. */
	CHECK_JSON(ia_record_field(J("[1,2]"), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(J("\"a\""), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(J("null"), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(J("12"), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(jv_invalid(), "a"), "(invalid)");
	CHECK_JSON(ia_record_field(jv_invalid_with_msg(jv_string("m")), "a"), "(invalid)");
}

static void
t_custom_id(void)
{
#define CID(json)	t_dump(ia_record_custom_id(J(json)))
	/* metadata first. */
	CHECK_STR(CID("{\"metadata\":{\"custom_id\":\"m\"}}"), "\"m\"");
	CHECK_STR(CID("{\"custom_id\":\"top\",\"body\":{},\"metadata\":"
	    "{\"custom_id\":\"m\"}}"), "\"m\"");
	/* A batch line's top-level one; on a plain request it is nothing. */
	CHECK_STR(CID("{\"custom_id\":\"top\",\"body\":{\"model\":\"m\"}}"), "\"top\"");
	CHECK_STR(CID("{\"custom_id\":\"top\",\"model\":\"m\"}"), "(invalid)");
	CHECK_STR(CID("{\"custom_id\":\"top\",\"body\":null}"), "(invalid)");
	/* The body's own metadata is not the line's. */
	CHECK_STR(CID("{\"body\":{\"metadata\":{\"custom_id\":\"b\"}}}"), "(invalid)");
	/* Numbers printed. */
	CHECK_STR(CID("{\"metadata\":{\"custom_id\":12}}"), "\"12\"");
	CHECK_STR(CID("{\"metadata\":{\"custom_id\":0.5}}"), "\"0.5\"");
	CHECK_STR(CID("{\"custom_id\":3,\"body\":{}}"), "\"3\"");
	/* Empty strings are no id: the next place counts. */
	CHECK_STR(CID("{\"metadata\":{\"custom_id\":\"\"}}"), "(invalid)");
	CHECK_STR(CID("{\"custom_id\":\"\",\"body\":{}}"), "(invalid)");
	CHECK_STR(CID("{\"custom_id\":\"top\",\"body\":{},\"metadata\":"
	    "{\"custom_id\":\"\"}}"), "\"top\"");
	CHECK_STR(CID("{\"custom_id\":true,\"body\":{}}"), "(invalid)");
	CHECK_STR(CID("{\"metadata\":\"custom_id\"}"), "(invalid)");
	CHECK_STR(CID("[{\"metadata\":{\"custom_id\":\"m\"}}]"), "(invalid)");
	CHECK_STR(t_dump(ia_record_custom_id(jv_invalid())), "(invalid)");
#undef CID
}

/* ia_result_read() of json, described as one line, then freed. */
static const char *
result(const char *json)
{
	static const char *const kinds[] = {
		[IA_RESULT_OTHER] = "OTHER", [IA_RESULT_PENDING] = "PENDING",
		[IA_RESULT_SUCCESS] = "SUCCESS", [IA_RESULT_FAILURE] = "FAILURE",
	};
	static char	 out[8192];
	struct ia_result r;
	char		 cid[256], id[256], ans[4096], resp[2048], ids[512];

	ia_result_read(J(json), &r);
	snprintf(cid, sizeof(cid), "%s", t_dump(jv_copy(r.custom_id)));
	snprintf(id, sizeof(id), "%s", t_dump(jv_copy(r.id)));
	snprintf(ans, sizeof(ans), "%s", t_dump(jv_copy(r.answer)));
	snprintf(resp, sizeof(resp), "%s", t_dump(jv_copy(r.response)));
	snprintf(ids, sizeof(ids), "%s", t_dump(jv_copy(r.custom_ids)));
	snprintf(out, sizeof(out), "%s cid=%s id=%s group=%d times=%.3f,%.3f "
	    "ids=%s response=%s answer=%s", kinds[r.kind], cid, id, r.group,
	    r.dispatched, r.finished, ids, resp, ans);
	ia_result_free(&r);
	CHECK(!jv_is_valid(r.custom_id) && !jv_is_valid(r.answer) &&
	    !jv_is_valid(r.id) && !jv_is_valid(r.response) &&
	    !jv_is_valid(r.custom_ids));
	return out;
}

/* Written with sorted keys, as result() shows them. */
#define REQ	"{\"messages\":[{\"content\":\"q\",\"role\":\"user\"}]," \
		"\"metadata\":{\"custom_id\":\"c1\"},\"model\":\"m\"}"
#define CHATRESP "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":" \
		"{\"content\":\"Hi\",\"role\":\"assistant\"}}],\"usage\":" \
		"{\"completion_tokens\":2,\"prompt_tokens\":1}}"

static void
t_result(void)
{
	struct ia_result r;

	/* An error record: a failure, the record itself as the answer. */
	CHECK_STR(result("{" ERRREC "}"), "FAILURE cid=\"c\" id=(invalid) group=0 "
	    "times=-1.000,-1.000 ids=(invalid) response=(invalid) answer="
	    "{\"custom_id\":\"c\",\"error\":{\"attempts\":3,\"message\":\"m\","
	    "\"stage\":\"poll\",\"status\":500},\"line\":4,\"request\":null}");
	CHECK_STR(result("{\"custom_id\":null,\"error\":{\"stage\":\"input\"}}"),
	    "FAILURE cid=(invalid) id=(invalid) group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer="
	    "{\"custom_id\":null,\"error\":{\"stage\":\"input\"}}");

	/* A chat generation that succeeded: custom_id from its request. */
	CHECK_STR(result("{\"id\":\"gen-1\",\"state\":\"Success\",\"request\":" REQ
	    ",\"response\":" CHATRESP ",\"dispatchedAt\":\"2025-11-03T10:15:02.5Z\","
	    "\"finishedAt\":\"2025-11-03T10:15:04.25Z\"}"),
	    "SUCCESS cid=\"c1\" id=\"gen-1\" group=0 times=1762164902.500,"
	    "1762164904.250 ids=(invalid) response=" CHATRESP " answer="
	    "{\"content\":\"Hi\",\"custom_id\":\"c1\",\"finish_reason\":\"stop\","
	    "\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":1}}");
	/* A text completion: choices[0].text; no usage, no finish_reason. */
	CHECK_STR(result("{\"id\":\"gen-2\",\"state\":\"Success\",\"request\":"
	    "{\"metadata\":{\"custom_id\":\"t\"}},\"response\":{\"choices\":"
	    "[{\"text\":\"done\"}]}}"),
	    "SUCCESS cid=\"t\" id=\"gen-2\" group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response={\"choices\":[{\"text\":\"done\"}]} answer={\"content\":\"done\","
	    "\"custom_id\":\"t\",\"finish_reason\":null,\"usage\":null}");
	/* A success without a response: an answer of nulls. */
	CHECK_STR(result("{\"id\":\"gen-3\",\"state\":\"Success\",\"custom_id\":\"top\"}"),
	    "SUCCESS cid=\"top\" id=\"gen-3\" group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer={\"content\":null,"
	    "\"custom_id\":\"top\",\"finish_reason\":null,\"usage\":null}");
	/* A top-level custom_id comes before the request's; a number is printed. */
	CHECK_STR(result("{\"id\":\"g\",\"state\":\"Queued\",\"custom_id\":9,"
	    "\"request\":" REQ "}"), "PENDING cid=\"9\" id=\"g\" group=0 "
	    "times=-1.000,-1.000 ids=(invalid) response=(invalid) answer=(invalid)");
	/* Failed: an error record of stage generation, attempts unknown. */
	CHECK_STR(result("{\"id\":\"gen-4\",\"state\":\"Failed\",\"stateMessage\":"
	    "\"out of capacity\",\"request\":" REQ ",\"dispatchedAt\":"
	    "\"2025-11-03T10:15:02Z\",\"finishedAt\":\"2025-11-03T10:15:03Z\"}"),
	    "FAILURE cid=\"c1\" id=\"gen-4\" group=0 times=1762164902.000,"
	    "1762164903.000 ids=(invalid) response=(invalid) answer="
	    "{\"custom_id\":\"c1\",\"error\":{\"attempts\":null,\"message\":"
	    "\"out of capacity\",\"stage\":\"generation\",\"status\":null},"
	    "\"line\":null,\"request\":" REQ "}");
	CHECK_STR(result("{\"id\":\"gen-5\",\"state\":\"Failed\"}"),
	    "FAILURE cid=(invalid) id=\"gen-5\" group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer={\"custom_id\":null,\"error\":"
	    "{\"attempts\":null,\"message\":\"the generation failed\",\"stage\":"
	    "\"generation\",\"status\":null},\"line\":null,\"request\":null}");
	/* Queued, running, a state we do not know: pending. */
	CHECK_STR(result("{\"id\":\"gen-6\",\"state\":\"Queued\",\"request\":" REQ "}"),
	    "PENDING cid=\"c1\" id=\"gen-6\" group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");
	CHECK_STR(result("{\"id\":\"gen-7\",\"state\":\"In Progress\",\"dispatchedAt\":"
	    "\"2025-11-03T10:15:02Z\"}"), "PENDING cid=(invalid) id=\"gen-7\" group=0 "
	    "times=1762164902.000,-1.000 ids=(invalid) response=(invalid) "
	    "answer=(invalid)");
	CHECK_STR(result("{\"id\":\"gen-8\",\"state\":\"Paused\"}"),
	    "PENDING cid=(invalid) id=\"gen-8\" group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");
	/* A state that is not a string: nothing to read. */
	CHECK_STR(result("{\"id\":\"gen-9\",\"state\":1,\"request\":" REQ "}"),
	    "OTHER cid=\"c1\" id=(invalid) group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");
	/* Bad times are -1. */
	CHECK_STR(result("{\"id\":\"g\",\"state\":\"Queued\",\"dispatchedAt\":\"soon\","
	    "\"finishedAt\":5}"), "PENDING cid=(invalid) id=\"g\" group=0 "
	    "times=-1.000,-1.000 ids=(invalid) response=(invalid) answer=(invalid)");

	/* Batch lines: 2xx an answer from the body, else a failure. */
	CHECK_STR(result("{\"id\":\"batch_req_1\",\"custom_id\":\"b1\",\"response\":"
	    "{\"status_code\":200,\"request_id\":\"req_1\",\"body\":" CHATRESP "},"
	    "\"error\":null}"),
	    "SUCCESS cid=\"b1\" id=\"req_1\" group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=" CHATRESP " answer={\"content\":\"Hi\",\"custom_id\":\"b1\","
	    "\"finish_reason\":\"stop\",\"usage\":{\"completion_tokens\":2,"
	    "\"prompt_tokens\":1}}");
	CHECK_STR(result("{\"id\":\"batch_req_2\",\"custom_id\":\"b2\",\"response\":"
	    "{\"status_code\":400,\"request_id\":\"req_2\",\"body\":{\"error\":"
	    "{\"message\":\"bad model\"}}},\"error\":null}"),
	    "FAILURE cid=\"b2\" id=\"req_2\" group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"custom_id\":\"b2\",\"error\":{\"attempts\":"
	    "null,\"message\":\"bad model\",\"stage\":\"generation\",\"status\":400},"
	    "\"line\":null,\"request\":null}");
	/* The line's error message comes before the body's. */
	CHECK_STR(result("{\"custom_id\":\"b3\",\"response\":{\"status_code\":500,"
	    "\"body\":{\"error\":{\"message\":\"body's\"}}},\"error\":{\"message\":"
	    "\"line's\"}}"),
	    "FAILURE cid=\"b3\" id=(invalid) group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"custom_id\":\"b3\",\"error\":{\"attempts\":"
	    "null,\"message\":\"line's\",\"stage\":\"generation\",\"status\":500},"
	    "\"line\":null,\"request\":null}");
	/* Failed before a response: its error.code, when a stage, is the stage. */
	CHECK_STR(result("{\"id\":\"batch_req_4\",\"custom_id\":\"b4\",\"response\":null,"
	    "\"error\":{\"code\":\"submit\",\"message\":\"network down\"}}"),
	    "FAILURE cid=\"b4\" id=(invalid) group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"custom_id\":\"b4\",\"error\":{\"attempts\":"
	    "null,\"message\":\"network down\",\"stage\":\"submit\",\"status\":null},"
	    "\"line\":null,\"request\":null}");
	CHECK_STR(result("{\"custom_id\":\"b5\",\"response\":null,\"error\":"
	    "{\"code\":\"rate_limit_exceeded\"}}"),
	    "FAILURE cid=\"b5\" id=(invalid) group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"custom_id\":\"b5\",\"error\":{\"attempts\":"
	    "null,\"message\":\"the request failed\",\"stage\":\"generation\","
	    "\"status\":null},\"line\":null,\"request\":null}");

	/*
	 * A status_code that is no HTTP status is not known (null): 1e300 was
	 * once converted to long as it was, undefined behaviour (UBSan's
	 * float-cast-overflow; found by fuzz_result).
	 */
#define BAD_STATUS(code)						\
	result("{\"custom_id\":\"b6\",\"response\":{\"status_code\":" code	\
	    "},\"error\":null}")
#define BAD_STATUS_IS(status)						\
	"FAILURE cid=\"b6\" id=(invalid) group=0 times=-1.000,-1.000 "	\
	"ids=(invalid) response=(invalid) answer={\"custom_id\":\"b6\","	\
	"\"error\":{\"attempts\":null,\"message\":\"the request failed\","	\
	"\"stage\":\"generation\",\"status\":" status "},\"line\":null,"	\
	"\"request\":null}"
	CHECK_STR(BAD_STATUS("1e300"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("-1e300"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("1e19"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("1000"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("0.5"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("nan"), BAD_STATUS_IS("null"));
	CHECK_STR(BAD_STATUS("999.9"), BAD_STATUS_IS("999"));
	CHECK_STR(BAD_STATUS("503"), BAD_STATUS_IS("503"));
#undef BAD_STATUS
#undef BAD_STATUS_IS

	/* ia-collect's answers, read again: exactly the four keys. */
	CHECK_STR(result("{\"custom_id\":\"a1\",\"content\":\"x\",\"finish_reason\":"
	    "\"stop\",\"usage\":{\"total_tokens\":3},\"extra\":true}"),
	    "SUCCESS cid=\"a1\" id=(invalid) group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"content\":\"x\",\"custom_id\":\"a1\","
	    "\"finish_reason\":\"stop\",\"usage\":{\"total_tokens\":3}}");
	CHECK_STR(result("{\"custom_id\":7,\"content\":null}"),
	    "SUCCESS cid=\"7\" id=(invalid) group=0 times=-1.000,-1.000 ids=(invalid) "
	    "response=(invalid) answer={\"content\":null,\"custom_id\":\"7\","
	    "\"finish_reason\":null,\"usage\":null}");
	/* An answer whose custom_id is not usable is nothing. */
	CHECK_STR(result("{\"custom_id\":null,\"content\":\"x\"}"),
	    "OTHER cid=(invalid) id=(invalid) group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");

	/* Group records: pending, the group's id and its custom_ids. */
	CHECK_STR(result("{\"group_id\":\"grp-1\",\"custom_ids\":[\"a\",\"b\"]}"),
	    "PENDING cid=(invalid) id=\"grp-1\" group=1 times=-1.000,-1.000 "
	    "ids=[\"a\",\"b\"] response=(invalid) answer=(invalid)");
	CHECK_STR(result("{\"group_id\":\"grp-2\",\"custom_ids\":\"a\"}"),
	    "PENDING cid=(invalid) id=\"grp-2\" group=1 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");
	CHECK_STR(result("{\"group_id\":3,\"custom_ids\":[\"a\"]}"),
	    "OTHER cid=(invalid) id=(invalid) group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");

	/* Acknowledgements: pending, with a custom_id only. */
	CHECK_STR(result("{\"custom_id\":\"k\",\"id\":\"gen-k\"}"),
	    "PENDING cid=\"k\" id=\"gen-k\" group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");
	CHECK_STR(result("{\"id\":\"gen-k\"}"),
	    "OTHER cid=(invalid) id=(invalid) group=0 times=-1.000,-1.000 "
	    "ids=(invalid) response=(invalid) answer=(invalid)");

	/* Nothing of ours. */
	CHECK_STR(result("{}"), "OTHER cid=(invalid) id=(invalid) group=0 "
	    "times=-1.000,-1.000 ids=(invalid) response=(invalid) answer=(invalid)");
	CHECK_STR(result("[1]"), "OTHER cid=(invalid) id=(invalid) group=0 "
	    "times=-1.000,-1.000 ids=(invalid) response=(invalid) answer=(invalid)");
	ia_result_read(jv_invalid(), &r);
	CHECK(r.kind == IA_RESULT_OTHER && !jv_is_valid(r.custom_id) &&
	    !r.group && r.dispatched == -1 && r.finished == -1);
	ia_result_free(&r);

	/* Times to the microsecond, not just the millisecond. */
	ia_result_read(J("{\"id\":\"g\",\"state\":\"Success\",\"dispatchedAt\":"
	    "\"2025-11-03T10:15:02.113Z\",\"finishedAt\":\"2025-11-03T10:15:02.5Z\"}"),
	    &r);
	CHECK(fabs(r.dispatched - 1762164902.113) < 1e-6);
	CHECK_NUM(r.finished, 1762164902.5);
	ia_result_free(&r);
}

/* A file in TMPDIR holding text; its path, to unlink after. */
static const char *
temp_file(const char *text)
{
	static char	 path[4096];
	const char	*dir;
	size_t		 len = strlen(text);
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_request.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1 || write(fd, text, len) != (ssize_t)len) {
		perror("t_request: temp file");
		exit(2);
	}
	close(fd);
	return path;
}

/* Whether set holds the C string s. */
static bool
has(const struct ia_ids *set, const char *s)
{
	return ia_ids_has(set, s, strlen(s));
}

static void
t_load_done(void)
{
	struct ia_ids	 done, sent;
	char		 err[512], path[4096];
	const char	*dir;

	snprintf(path, sizeof(path), "%s", temp_file(
	    /* Successes: a generation, an answer, a batch line. */
	    "{\"id\":\"g1\",\"state\":\"Success\",\"request\":{\"metadata\":"
	    "{\"custom_id\":\"s-gen\"}},\"response\":" CHATRESP "}\n"
	    "{\"custom_id\":\"s-answer\",\"content\":\"x\",\"finish_reason\":\"stop\","
	    "\"usage\":null}\n"
	    "{\"id\":\"batch_req_1\",\"custom_id\":\"s-batch\",\"response\":"
	    "{\"status_code\":200,\"body\":{}},\"error\":null}\r\n"
	    /* Failures and pending ones. */
	    "{\"id\":\"g2\",\"state\":\"Failed\",\"request\":{\"metadata\":"
	    "{\"custom_id\":\"f-gen\"}}}\n"
	    "{\"custom_id\":\"f-batch\",\"response\":{\"status_code\":429},\"error\":null}\n"
	    "{\"custom_id\":\"f-error\",\"error\":{\"stage\":\"poll\",\"status\":500,"
	    "\"message\":\"m\",\"attempts\":9},\"request\":null,\"line\":3}\n"
	    "{\"id\":\"g3\",\"state\":\"In Progress\",\"request\":{\"metadata\":"
	    "{\"custom_id\":\"p-gen\"}}}\n"
	    "{\"custom_id\":\"p-ack\",\"id\":\"g4\"}\n"
	    "{\"group_id\":\"grp\",\"custom_ids\":[\"p-group\"]}\n"
	    /* Lines that are nothing: not JSON, blank, empty, not an object. */
	    "not json at all\n"
	    "\n"
	    "   \n"
	    "[\"s-x\"]\n"
	    /* The same success again counts once; a success already known, not. */
	    "{\"custom_id\":\"s-answer\",\"content\":\"again\"}\n"
	    "{\"custom_id\":\"known\",\"content\":\"k\"}\n"
	    /* A custom_id with a NUL in it, all of it. */
	    "{\"custom_id\":\"s-nul\\u0000x\",\"content\":\"n\"}\n"
	    /* A last line without a newline. */
	    "{\"custom_id\":\"s-last\",\"content\":\"y\"}"));
	ia_ids_init(&done);
	ia_ids_init(&sent);
	CHECK(ia_ids_add(&done, "known", 5) == 1);
	err[0] = '\0';
	/* 5 answered, and 3 submitted (running, acknowledged, in a group). */
	CHECK(ia_result_load_done(path, &done, &sent, err, sizeof(err)) == 8);
	CHECK_STR(err, "");
	CHECK(done.count == 6);
	CHECK(ia_ids_has(&done, "s-nul\0x", 7) && !has(&done, "s-nul"));
	CHECK(has(&done, "s-gen") && has(&done, "s-answer") &&
	    has(&done, "s-batch") && has(&done, "s-last") &&
	    has(&done, "known"));
	CHECK(!has(&done, "f-gen") && !has(&done, "f-batch") &&
	    !has(&done, "f-error") && !has(&done, "p-gen") &&
	    !has(&done, "p-ack") && !has(&done, "p-group") &&
	    !has(&done, "s-x"));
	CHECK(sent.count == 3);
	CHECK(has(&sent, "p-gen") && has(&sent, "p-ack") &&
	    has(&sent, "p-group") && !has(&sent, "f-gen"));
	/* Read again into the same sets: nothing new. */
	CHECK(ia_result_load_done(path, &done, &sent, err, sizeof(err)) == 0);
	CHECK(done.count == 6);
	ia_ids_free(&done);
	ia_ids_free(&sent);
	ia_ids_init(&sent);
	unlink(path);

	/* An empty file: 0. */
	snprintf(path, sizeof(path), "%s", temp_file(""));
	ia_ids_init(&done);
	CHECK(ia_result_load_done(path, &done, &sent, err, sizeof(err)) == 0 && done.count == 0);
	unlink(path);

	/* A missing file: -1, with the name and the reason. */
	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/t_request.no-such-file", dir);
	err[0] = '\0';
	CHECK(ia_result_load_done(path, &done, &sent, err, sizeof(err)) == -1);
	CHECK(strncmp(err, path, strlen(path)) == 0 &&
	    strcmp(err + strlen(path), ": No such file or directory") == 0);
	/* A directory: -1 too, not an empty result. */
	err[0] = '\0';
	CHECK(ia_result_load_done(dir, &done, &sent, err, sizeof(err)) == -1);
	CHECK(strncmp(err, dir, strlen(dir)) == 0 &&
	    strcmp(err + strlen(dir), ": Is a directory") == 0);
	CHECK(done.count == 0);
	ia_ids_free(&done);
	ia_ids_free(&sent);
}

/* ia_http_answer() of a transfer that got status and body. */
static const char *
answer(long status, const char *body, const char *key)
{
	struct ia_xfer	 x;
	const char	*s;

	memset(&x, 0, sizeof(x));
	x.status = status;
	if (body != NULL && ia_buf_adds(&x.resp, body) == -1) {
		perror("t_request");
		exit(2);
	}
	s = t_dump(ia_http_answer(&x, key));
	ia_buf_free(&x.resp);
	return s;
}

static void
t_answer(void)
{
	CHECK_STR(answer(200, "{\"id\":\"x\"}", "id"), "\"x\"");
	CHECK_STR(answer(201, "{\"id\":\"gen-1\",\"state\":\"Queued\"}", "id"), "\"gen-1\"");
	CHECK_STR(answer(299, "{\"id\":\"x\"}\n", "id"), "\"x\"");
	CHECK_STR(answer(200, "{\"group_id\":\"grp\",\"id\":\"other\"}", "group_id"),
	    "\"grp\"");
	/* An id that is empty, not a string, null or missing. */
	CHECK_STR(answer(200, "{\"id\":\"\"}", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":5}", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":[\"x\"]}", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":null}", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"ID\":\"x\"}", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":\"x\"}", "group_id"), "(invalid)");
	/* Not an object, not JSON, no body at all. */
	CHECK_STR(answer(200, "[\"x\"]", "id"), "(invalid)");
	CHECK_STR(answer(200, "\"x\"", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":\"x\"", "id"), "(invalid)");
	CHECK_STR(answer(200, "{\"id\":\"x\"} {\"id\":\"y\"}", "id"), "(invalid)");
	CHECK_STR(answer(200, "<html>", "id"), "(invalid)");
	CHECK_STR(answer(200, "", "id"), "(invalid)");
	CHECK_STR(answer(200, NULL, "id"), "(invalid)");
	/* Not a 2xx, whatever the body says. */
	CHECK_STR(answer(500, "{\"id\":\"x\"}", "id"), "(invalid)");
	CHECK_STR(answer(404, "{\"id\":\"x\"}", "id"), "(invalid)");
	CHECK_STR(answer(199, "{\"id\":\"x\"}", "id"), "(invalid)");
	CHECK_STR(answer(300, "{\"id\":\"x\"}", "id"), "(invalid)");
	CHECK_STR(answer(0, "{\"id\":\"x\"}", "id"), "(invalid)");
}

static const struct t_group groups[] = {
	{ "kind", t_kind },
	{ "check", t_check },
	{ "route", t_route },
	{ "classify", t_classify },
	{ "state", t_state },
	{ "field", t_field },
	{ "custom_id", t_custom_id },
	{ "result", t_result },
	{ "load_done", t_load_done },
	{ "answer", t_answer },
};

int
main(int argc, char *argv[])
{
	return t_main("t_request", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
