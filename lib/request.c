#include <stdio.h>
#include <string.h>

#include "ia.h"

/* A body with messages is chat; one with a prompt and no messages is text. */
enum ia_kind
ia_request_kind(jv req)
{
	enum ia_kind	 kind = IA_KIND_NONE;

	if (jv_get_kind(req) == JV_KIND_OBJECT) {
		if (jv_object_has(jv_copy(req), jv_string("messages")))
			kind = IA_KIND_CHAT;
		else if (jv_object_has(jv_copy(req), jv_string("prompt")))
			kind = IA_KIND_TEXT;
	}
	jv_free(req);
	return kind;
}

const char *
ia_request_kind_name(enum ia_kind kind)
{
	switch (kind) {
	case IA_KIND_CHAT:
		return "chat";
	case IA_KIND_TEXT:
		return "text";
	default:
		return "unknown";
	}
}

static int
check_messages(jv msgs, char *why, size_t len)
{
	jv_kind	 kind;
	jv	 m, v;
	int	 i, n;

	if (jv_get_kind(msgs) != JV_KIND_ARRAY || (n = jv_array_length(jv_copy(msgs))) == 0) {
		jv_free(msgs);
		snprintf(why, len, "messages must be a non-empty array");
		return -1;
	}
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		if (jv_get_kind(m) != JV_KIND_OBJECT) {
			snprintf(why, len, "messages[%d] must be an object", i);
			goto bad;
		}
		v = jv_object_get(jv_copy(m), jv_string("role"));
		kind = jv_get_kind(v);
		jv_free(v);
		if (kind != JV_KIND_STRING) {
			snprintf(why, len, "messages[%d].role must be a string", i);
			goto bad;
		}
		if (!jv_object_has(jv_copy(m), jv_string("content"))) {
			snprintf(why, len, "messages[%d].content is required", i);
			goto bad;
		}
		jv_free(m);
	}
	jv_free(msgs);
	return 0;
bad:
	jv_free(m);
	jv_free(msgs);
	return -1;
}

static int
check_prompt(jv p, char *why, size_t len)
{
	int	 ok = 1;

	if (jv_get_kind(p) == JV_KIND_ARRAY) {
		ok = jv_array_length(jv_copy(p)) > 0;
		jv_array_foreach(p, i, e) {
			(void)i;
			if (jv_get_kind(e) != JV_KIND_STRING)
				ok = 0;
			jv_free(e);
		}
	} else if (jv_get_kind(p) != JV_KIND_STRING)
		ok = 0;
	jv_free(p);
	if (!ok)
		snprintf(why, len, "prompt must be a string or a non-empty array of strings");
	return ok ? 0 : -1;
}

/*
 * Whether req is a valid request of the given kind, with a reason in why
 * saying which field is wrong.  Both the mock and the submitting tools use
 * it, so a request ia refuses locally is the one the mock refuses too.
 */
int
ia_request_check(jv req, enum ia_kind kind, char *why, size_t len)
{
	jv	 v;
	int	 rc = -1;

	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		snprintf(why, len, "request must be a JSON object, not %s",
		    jv_kind_name(jv_get_kind(req)));
		goto out;
	}
	v = jv_object_get(jv_copy(req), jv_string("model"));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		snprintf(why, len, jv_get_kind(v) == JV_KIND_INVALID ?
		    "model is required" : "model must be a string");
		jv_free(v);
		goto out;
	}
	if (jv_string_length_bytes(v) == 0) {
		snprintf(why, len, "model must not be empty");
		goto out;
	}
	v = jv_object_get(jv_copy(req), jv_string("metadata"));
	if (jv_get_kind(v) != JV_KIND_INVALID && jv_get_kind(v) != JV_KIND_OBJECT &&
	    jv_get_kind(v) != JV_KIND_NULL) {
		jv_free(v);
		snprintf(why, len, "metadata must be an object");
		goto out;
	}
	jv_free(v);
	/* A member that is there, null or not, is valid: jv_object_has(). */
	if (kind == IA_KIND_CHAT) {
		v = jv_object_get(jv_copy(req), jv_string("messages"));
		if (!jv_is_valid(v)) {
			jv_free(v);
			snprintf(why, len, jv_object_has(jv_copy(req), jv_string("prompt")) ?
			    "messages is required (a request with prompt is a text completion)" :
			    "messages is required");
			goto out;
		}
		rc = check_messages(v, why, len);
	} else if (kind == IA_KIND_TEXT) {
		if (jv_object_has(jv_copy(req), jv_string("messages"))) {
			snprintf(why, len, "messages is not allowed in a text completion "
			    "(a request with messages is a chat completion)");
			goto out;
		}
		v = jv_object_get(jv_copy(req), jv_string("prompt"));
		if (!jv_is_valid(v)) {
			jv_free(v);
			snprintf(why, len, "prompt is required");
			goto out;
		}
		rc = check_prompt(v, why, len);
	} else
		snprintf(why, len, "request has neither messages nor prompt");
out:
	jv_free(req);
	return rc;
}

/* The route a request of a kind is POSTed to, alone or in a group. */
const char *
ia_request_route(enum ia_kind kind, bool group)
{
	if (group)
		return kind == IA_KIND_TEXT ? "/v1/async/group/completions" :
		    "/v1/async/group/chat/completions";
	return kind == IA_KIND_TEXT ? "/v1/async/completions" :
	    "/v1/async/chat/completions";
}
