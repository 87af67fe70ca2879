/*
 * -e programs: a jq program compiled once with libjq 1.6 and run on one
 * value at a time, made safe against what libjq 1.6 leaves unset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "ia.h"

struct jq_errors {
	char	 msg[512];
};

/* libjq reports compile errors through a callback: keep the first. */
static void
jq_error(void *arg, jv msg)
{
	struct jq_errors *e = arg;

	if (e->msg[0] == '\0') {
		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(e->msg, sizeof(e->msg), "%s", jv_string_value(msg));
		else
			snprintf(e->msg, sizeof(e->msg), "jq: error");
	}
	jv_free(msg);
}

/* jq's debug builtin, as jq(1) prints it: ["DEBUG:", value] on stderr. */
static void
jq_debug(void *arg, jv v)
{
	(void)arg;
	v = jv_dump_string(JV_ARRAY(jv_string("DEBUG:"), v), 0);
	fprintf(stderr, "%s\n", jv_string_value(v));
	jv_free(v);
}

/* A -e program: the compiled state, and its text, to compile it again. */
struct ia_jq {
	jq_state	*jq;
	char		*filter;
};

static jq_state *
jq_new(const char *filter, char *err, size_t errlen)
{
	static struct jq_errors	 errors;	/* static: jq keeps the pointer */
	jq_state		*jq;

	if ((jq = jq_init()) == NULL) {
		snprintf(err, errlen, "-e: cannot start jq");
		return NULL;
	}
	errors.msg[0] = '\0';
	jq_set_error_cb(jq, jq_error, &errors);
	jq_set_input_cb(jq, NULL, NULL);
	jq_set_debug_cb(jq, jq_debug, NULL);
	jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	if (!jq_compile(jq, filter)) {
		snprintf(err, errlen, "-e: %s", errors.msg[0] ? errors.msg :
		    "the program does not compile");
		jq_teardown(&jq);
		return NULL;
	}
	return jq;
}

/*
 * A -e program, compiled.  libjq 1.6 leaves the input and debug callbacks
 * and the library path unset, and then crashes on input, inputs, debug and
 * import: set them all first.  NULL, with a message in err, when it fails.
 */
struct ia_jq *
ia_jq_compile(const char *filter, char *err, size_t errlen)
{
	struct ia_jq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL || (q->filter = strdup(filter)) == NULL) {
		free(q);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((q->jq = jq_new(filter, err, errlen)) == NULL) {
		free(q->filter);
		free(q);
		return NULL;
	}
	return q;
}

void
ia_jq_start(struct ia_jq *q, jv v)
{
	if (q->jq != NULL)
		jq_start(q->jq, v, 0);
	else
		jv_free(v);
}

/* The next value; without a program (lost to memory), an error. */
jv
ia_jq_next(struct ia_jq *q)
{
	if (q->jq == NULL)
		return jv_invalid_with_msg(jv_string("out of memory"));
	return jq_next(q->jq);
}

void
ia_jq_free(struct ia_jq *q)
{
	if (q == NULL)
		return;
	if (q->jq != NULL)
		jq_teardown(&q->jq);
	free(q->filter);
	free(q);
}

/*
 * After ia_jq_next() has returned an invalid value: the error it carries,
 * or the halt_error message, as a string; jv_invalid() when the program
 * simply ended.  Consumes v.
 */
jv
ia_jq_error(struct ia_jq *q, jv v)
{
	jv		 msg;
	char		 err[256];

	if (jv_invalid_has_msg(jv_copy(v))) {
		msg = jv_invalid_get_msg(v);
		return jv_get_kind(msg) == JV_KIND_STRING ? msg : jv_dump_string(msg, 0);
	}
	jv_free(v);
	if (q->jq == NULL || !jq_halted(q->jq))
		return jv_invalid();
	msg = jq_get_error_message(q->jq);
	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		msg = jv_string("halted");
	}
	/*
	 * libjq 1.6 frees the halt message again when a halted state is
	 * started anew: tear it down, and go on with a fresh one.
	 */
	jq_teardown(&q->jq);
	if ((q->jq = jq_new(q->filter, err, sizeof(err))) == NULL) {
		jv_free(msg);
		return jv_string_fmt("halt_error, then: %s", err);
	}
	return msg;
}

