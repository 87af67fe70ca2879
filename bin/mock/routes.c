/*
 * The routes: which one a request names, and the answer each one gives.
 * Faults are drawn first (faults.c); the work is the store's (store.c).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "mock.h"

struct mock_stats mock_stats;

static const char *route_names[R_COUNT] = {
	"POST /v1/async/chat/completions",
	"POST /v1/async/completions",
	"GET /v1/generation/{id}",
	"POST /v1/async/group/chat/completions",
	"POST /v1/async/group/completions",
	"GET /v1/async/group/{id}/generations",
	"GET /mock/stats",
	"other",
};

static char *
error_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
error_json(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	jv	 e, s;
	char	*out;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = jv_object_set(jv_object(), jv_string("message"), jv_string(msg));
	s = jv_dump_string(jv_object_set(jv_object(), jv_string("error"), e), 0);
	out = strdup(jv_string_value(s));
	jv_free(s);
	return out;
}

static void
out_of_memory(struct exchange *x)
{
	x->status = 500;
	x->answer = error_json("out of memory");
}

/* --max-generations: a submission that would pass it creates nothing. */
static void
limit_reached(struct exchange *x)
{
	x->status = 503;
	x->answer = error_json("generation limit reached (--max-generations %zu)",
	    mock_opt.max_generations);
}

/* Parse a body that must be a JSON object; on failure set a 400 answer. */
static jv
parse_body(struct exchange *x)
{
	jv	 v;

	if (x->body.len == 0) {
		x->status = 400;
		x->answer = error_json("request body is empty; expected a JSON object");
		return jv_invalid();
	}
	v = jv_parse_sized(x->body.data, (int)x->body.len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);

		x->status = 400;
		x->answer = error_json("request body is not valid JSON: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		return jv_invalid();
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		x->status = 400;
		x->answer = error_json("request body must be a JSON object, not %s",
		    jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/*
 * --models: a model not in the list is refused with 400, as the API refuses
 * a model it does not serve.  0, or -1 with why set.
 */
static int
check_model(jv req, char *why, size_t len)
{
	const char	*m, *p, *comma;
	size_t		 n;
	int		 rc = -1;

	if (mock_opt.models == NULL) {
		jv_free(req);
		return 0;
	}
	req = jv_object_get(req, jv_string("model"));
	m = jv_string_value(req);
	n = strlen(m);
	for (p = mock_opt.models; rc == -1 && *p != '\0'; p = *comma ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		if ((size_t)(comma - p) == n && strncmp(p, m, n) == 0)
			rc = 0;
	}
	if (rc == -1)
		snprintf(why, len, "model \"%.100s\" is not available", m);
	jv_free(req);
	return rc;
}

static void
do_submit(struct exchange *x, enum ia_kind kind)
{
	struct ia_buf	 b = { 0 };
	char	 why[256], id[ID_LEN + 1];
	jv	 req = parse_body(x);

	if (!jv_is_valid(req))
		return;
	if (ia_request_check(jv_copy(req), kind, why, sizeof(why)) == -1 ||
	    check_model(jv_copy(req), why, sizeof(why)) == -1) {
		x->status = 400;
		x->answer = error_json("%s", why);
		jv_free(req);
		return;
	}
	if (mock_gen_create(req, kind, id) == -1) {
		limit_reached(x);
		return;
	}
	ia_buf_addf(&b, "{\"id\":\"%s\"}", id);
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

static void
do_group(struct exchange *x, enum ia_kind kind)
{
	struct ia_buf	 b = { 0 };
	char		 why[256], id[ID_LEN + 1];
	jv		 body = parse_body(x), reqs;
	int		 n, i;
	enum ia_kind	 other = kind == IA_KIND_CHAT ? IA_KIND_TEXT : IA_KIND_CHAT;

	if (!jv_is_valid(body))
		return;
	reqs = jv_object_get(body, jv_string("requests"));
	x->status = 400;
	if (jv_get_kind(reqs) != JV_KIND_ARRAY) {
		x->answer = error_json(jv_get_kind(reqs) == JV_KIND_INVALID ?
		    "requests is required" : "requests must be an array");
		goto out;
	}
	n = jv_array_length(jv_copy(reqs));
	if (n < 1 || n > GROUP_MAX) {
		x->answer = error_json("requests must hold 1 to %d requests, not %d",
		    GROUP_MAX, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(reqs), i);

		if (ia_request_kind(jv_copy(r)) == other) {
			x->answer = error_json("requests[%d]: a %s completion in a %s "
			    "group (a group must not mix chat and text completions)", i,
			    ia_request_kind_name(other), ia_request_kind_name(kind));
			jv_free(r);
			goto out;
		}
		if (ia_request_check(jv_copy(r), kind, why, sizeof(why)) == -1 ?
		    (jv_free(r), 1) : check_model(r, why, sizeof(why)) == -1) {
			x->answer = error_json("requests[%d]: %s", i, why);
			goto out;
		}
	}
	switch (mock_group_create(jv_copy(reqs), kind, id)) {
	case 0:
		ia_buf_addf(&b, "{\"groupId\":\"%s\",\"groupSize\":%d}", id, n);
		x->status = 200;
		x->answer = ia_buf_steal(&b);
		break;
	case -1:
		limit_reached(x);
		break;
	default:
		out_of_memory(x);
	}
out:
	jv_free(reqs);
}

static void
do_generation(struct exchange *x, const char *id)
{
	struct ia_buf	 b = { 0 };

	if (mock_gen_print(id, &b) == -1) {
		x->status = 404;
		x->answer = error_json("generation not found");
		return;
	}
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

/* A group's generations, in an order drawn per request: never submit order. */
static void
do_group_generations(struct exchange *x, const char *id, uint64_t seq)
{
	struct ia_buf	 b = { 0 };

	switch (mock_group_print(id, seq, &b)) {
	case 0:
		x->status = 200;
		x->answer = ia_buf_steal(&b);
		break;
	case -1:
		x->status = 404;
		x->answer = error_json("group not found");
		break;
	default:
		ia_buf_free(&b);
		out_of_memory(x);
	}
}

static void
do_stats(struct exchange *x)
{
	struct ia_buf	 b = { 0 };
	unsigned long long states[4] = { 0 }, opened, closed;
	size_t		 ngens, ngroups;
	int		 r, first;

	mock_store_count(states, &ngens, &ngroups);
	ia_buf_addf(&b, "{\"requests\":{\"total\":%llu",
	    (unsigned long long)mock_stats.seq);
	for (r = 0; r < R_COUNT; r++) {
		if (r != R_STATS)
			ia_buf_addf(&b, ",\"%s\":%llu", route_names[r],
			    (unsigned long long)mock_stats.routes[r]);
	}
	ia_buf_adds(&b, "},\"responses\":{");
	for (r = 0, first = 1; r < 600; r++) {
		if (mock_stats.status[r] == 0)
			continue;
		ia_buf_addf(&b, "%s\"%d\":%llu", first ? "" : ",", r,
		    (unsigned long long)mock_stats.status[r]);
		first = 0;
	}
	ia_buf_adds(&b, "},");
	mock_fault_stats(&b);
	ia_buf_adds(&b, ",");
	mock_retry_stats(&b);
	ia_buf_adds(&b, ",");
	mock_rate_stats(&b);
	ia_buf_addf(&b, ",\"generations\":{\"total\":%zu,\"Queued\":%llu,"
	    "\"In Progress\":%llu,\"Success\":%llu,\"Failed\":%llu},\"groups\":%zu",
	    ngens, states[0], states[1], states[2], states[3], ngroups);
	opened = mock_stats.conn_opened;
	closed = mock_stats.conn_closed;
	ia_buf_addf(&b, ",\"connections\":{\"opened\":%llu,\"open\":%llu}}",
	    opened, opened - (closed < opened ? closed : opened));
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

static bool
authorized(struct MHD_Connection *c)
{
	const char	*h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char	*tok;
	size_t		 i, n;
	unsigned char	 diff = 0;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	for (tok = h + 7; *tok == ' '; tok++)
		;
	if (*tok == '\0')
		return false;
	if (mock_opt.key == NULL)
		return true;
	if ((n = strlen(tok)) != strlen(mock_opt.key))
		return false;
	for (i = 0; i < n; i++)			/* no early exit: constant time */
		diff |= (unsigned char)(tok[i] ^ mock_opt.key[i]);
	return diff == 0;
}

/* Which route a method and path name; *arg gets the id in the path. */
static enum route
match(const char *method, const char *url, const char **arg, bool *bad_method)
{
	static const char gen[] = "/v1/generation/", gens[] = "/generations",
	    slow[] = "/v1/slow/";
	const char	*rest;
	size_t		 n;
	bool		 post = strcmp(method, "POST") == 0;
	bool		 get = strcmp(method, "GET") == 0;
	enum route	 r = R_OTHER;

	*arg = NULL;
	if (strncmp(url, slow, sizeof(slow) - 1) == 0)
		rest = url + sizeof(slow) - 1;
	else if (strncmp(url, "/v1/async/", 10) == 0)
		rest = url + 10;
	else
		rest = NULL;
	if (rest != NULL) {
		if (strcmp(rest, "chat/completions") == 0)
			r = R_SUBMIT_CHAT;
		else if (strcmp(rest, "completions") == 0)
			r = R_SUBMIT_TEXT;
		else if (strcmp(rest, "group/chat/completions") == 0)
			r = R_GROUP_CHAT;
		else if (strcmp(rest, "group/completions") == 0)
			r = R_GROUP_TEXT;
		else if (strncmp(rest, "group/", 6) == 0 &&
		    (n = strlen(rest)) > 6 + sizeof(gens) - 1 &&
		    strcmp(rest + n - (sizeof(gens) - 1), gens) == 0) {
			r = R_GROUP_GENERATIONS;
			*arg = rest + 6;
		}
	} else if (strncmp(url, gen, sizeof(gen) - 1) == 0 && url[sizeof(gen) - 1] != '\0') {
		r = R_GENERATION;
		*arg = url + sizeof(gen) - 1;
	} else if (strcmp(url, "/mock/stats") == 0)
		r = R_STATS;
	switch (r) {
	case R_SUBMIT_CHAT: case R_SUBMIT_TEXT: case R_GROUP_CHAT: case R_GROUP_TEXT:
		*bad_method = !post;
		break;
	case R_GENERATION: case R_GROUP_GENERATIONS: case R_STATS:
		*bad_method = !get;
		break;
	default:
		*bad_method = false;
	}
	return r;
}

/* FNV-1a of the request: what tells a retry of it from another request. */
static uint64_t
request_key(const struct exchange *x, const char *method, const char *url)
{
	const char	*parts[2] = { method, url };
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i, j, n;
	const char	*p;

	for (i = 0; i < 3; i++) {
		p = i < 2 ? parts[i] : x->body.data;
		n = i < 2 ? strlen(p) + 1 : x->body.len;
		for (j = 0; j < n; j++)
			h = (h ^ (unsigned char)p[j]) * 0x100000001b3ULL;
	}
	return h;
}

/* The answer of a request no fault stops: auth, route, work. */
static void
work(struct exchange *x, const char *method, const char *url, const char *arg,
    bool bad_method)
{
	char	*id = NULL;

	if (!authorized(x->conn)) {
		x->status = 401;
		x->answer = error_json("missing or invalid API key: send "
		    "Authorization: Bearer <key>");
		return;
	}
	if (x->route == R_OTHER) {
		x->status = 404;
		x->answer = error_json("no route for %s %s", method, url);
		return;
	}
	if (bad_method) {
		x->status = 405;
		x->answer = error_json("method %s not allowed here", method);
		return;
	}
	if (x->too_big) {
		x->status = 413;
		x->answer = error_json("request body is larger than %u bytes", MAX_BODY);
		return;
	}
	if ((ROUTES_SUBMIT & 1u << x->route) != 0 && !mock_rate_take()) {
		x->status = 429;
		x->answer = error_json("rate limited: more than %u submissions a "
		    "second (--rate-limit)", mock_opt.rate_limit);
		return;
	}
	switch (x->route) {
	case R_SUBMIT_CHAT:
	case R_SUBMIT_TEXT:
		do_submit(x, x->route == R_SUBMIT_CHAT ? IA_KIND_CHAT : IA_KIND_TEXT);
		break;
	case R_GROUP_CHAT:
	case R_GROUP_TEXT:
		do_group(x, x->route == R_GROUP_CHAT ? IA_KIND_CHAT : IA_KIND_TEXT);
		break;
	case R_GENERATION:
		do_generation(x, arg);
		break;
	case R_GROUP_GENERATIONS:
		if ((id = strndup(arg, strlen(arg) - strlen("/generations"))) == NULL) {
			out_of_memory(x);
			break;
		}
		do_group_generations(x, id, x->seq);
		free(id);
		break;
	case R_STATS:
		do_stats(x);
		break;
	default:
		break;
	}
}

/*
 * Decide the answer of a complete request: fault, then auth, route and
 * work, unless the fault stops it; garbage that does the work garbles its
 * answer after.
 */
void
mock_process(struct exchange *x, const char *method, const char *url)
{
	const char	*arg;
	bool		 bad_method;

	x->route = match(method, url, &arg, &bad_method);
	atomic_fetch_add(&mock_stats.routes[x->route], 1);
	if (x->route != R_STATS) {
		x->key = request_key(x, method, url);
		mock_retry_check(x);
		x->seq = atomic_fetch_add(&mock_stats.seq, 1);
		mock_fault_draw(x, x->seq);
		if (x->fault != NULL) {
			switch (x->fault->how) {
			case FH_LOSE:	/* it goes on; server.c drops its answer */
				break;
			case FH_GARBAGE:
				if (mock_garbage_works(x))
					break;
				mock_garbage_answer(x);
				return;
			case FH_ANSWER:
				x->status = x->fault_kind->status;
				x->answer = error_json("%s", x->fault_kind->message);
				return;
			default:
				return;
			}
		}
	}
	work(x, method, url, arg, bad_method);
	if (x->fault != NULL && x->fault->how == FH_GARBAGE)
		mock_garbage_answer(x);
}
