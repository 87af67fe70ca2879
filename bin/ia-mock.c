/*
 * ia-mock: a local simulator of the inference.net Asynchronous Inference API
 * with fault injection, for tests, demos, benchmarks and offline work.
 *
 * libmicrohttpd answers on its internal epoll thread pool.  All state sits in
 * one store behind one mutex; a generation's state is a function of the clock
 * (it is never advanced by a timer), so a GET costs a lookup and a print.
 * Delayed answers (--latency) are suspended connections that one timer
 * thread resumes; stalled ones (--stall-rate) are suspended until shutdown.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ia.h"

#define MAX_BODY	(32u << 20)	/* a request body larger than this is 413 */
#define GROUP_MAX	50
#define ID_LEN		21

enum route {
	R_SUBMIT_CHAT,
	R_SUBMIT_TEXT,
	R_GENERATION,
	R_GROUP_CHAT,
	R_GROUP_TEXT,
	R_GROUP_GENERATIONS,
	R_STATS,
	R_OTHER,
	R_COUNT
};

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

enum fault {
	F_500, F_502, F_503, F_429, F_RESET, F_STALL, F_COUNT, F_NONE = F_COUNT
};

static const char *fault_names[F_COUNT] = {
	"500", "502", "503", "429", "reset", "stall"
};

/* Independent random streams, so one kind of draw never shifts another. */
enum stream {
	S_FAULT = 1, S_FAULT_KIND, S_SHUFFLE, S_GEN_ID, S_GEN_TIME, S_GEN_SPLIT,
	S_GEN_FAIL, S_GEN_MSG, S_GROUP_ID
};

static struct {
	const char	*port_file;
	const char	*key;
	const char	*models;			/* comma-separated, or NULL */
	double		 complete_min, complete_max;	/* seconds */
	double		 group_delay;			/* seconds */
	double		 fail_rate, error_rate, r429_rate, reset_rate, stall_rate;
	unsigned	 latency_ms;
	uint64_t	 seed;
	unsigned	 threads;
	int		 verbose;
	size_t		 max_generations;
} opt = {
	.complete_min = 1, .complete_max = 3, .group_delay = 0.5,
	.max_generations = 1000000,
};

/*
 * A generation.  Its state is derived from the clock: Queued until
 * dispatch_ms after creation, In Progress until finish_ms, then final.
 */
struct gen {
	char		 id[ID_LEN + 1];
	bool		 failed;
	int64_t		 t0;		/* monotonic ms at creation */
	int64_t		 wall0;		/* wall-clock ms at creation */
	uint32_t	 dispatch_ms, finish_ms;
	char		*request;	/* JSON text as submitted */
	char		*response;	/* JSON text of the answer, NULL if failed */
	const char	*fail_msg;
};

struct group {
	char		 id[ID_LEN + 1];
	int64_t		 t0;
	unsigned	 size;
	size_t		*members;	/* indexes into store.gens, in submit order */
};

static struct {
	pthread_mutex_t	 lock;
	struct gen	*gens;
	size_t		 ngens, capgens;
	struct group	*groups;
	size_t		 ngroups, capgroups;
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct {
	atomic_ullong	 routes[R_COUNT];
	atomic_ullong	 faults[F_COUNT];
	atomic_ullong	 status[600];
	atomic_ullong	 seq;		/* requests subject to faults, in arrival order */
} stats;

/* One exchange per HTTP request, behind MHD's con_cls. */
struct exchange {
	enum { X_NEW, X_SUSPENDED, X_RESUMED }	 state;
	struct MHD_Connection	*conn;
	struct ia_buf		 body;
	bool			 too_big;
	int64_t			 start_us;
	enum route		 route;
	enum fault		 fault;
	unsigned		 status;
	char			*answer;	/* JSON body to send */
	int64_t			 due_ms;	/* resume time when delayed */
	struct exchange		*next, *prev;	/* delay queue or stall list */
};

/* Suspended connections: a FIFO of delayed answers and a list of stalls. */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct exchange	*head, *tail;	/* delayed, due times ascending */
	struct exchange	*stalled;
	unsigned	 suspended;
	bool		 stopping;
} waitq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL,
	NULL, 0, false };

static const char *fail_messages[] = {
	"Inference backend error: upstream timed out",
	"Inference backend error: worker crashed while generating",
	"Request exceeds the model's context window",
	"Model is temporarily unavailable",
};

static int64_t
now_ms(int clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64's finaliser: a bijection on 64 bits with good avalanche. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The n-th draw of a stream: a pure function of (seed, stream, n). */
static uint64_t
rnd(enum stream s, uint64_t n)
{
	return mix(mix(opt.seed + 0x9e3779b97f4a7c15ULL * (uint64_t)s) + n);
}

static double
unif(enum stream s, uint64_t n)
{
	return (double)(rnd(s, n) >> 11) * 0x1.0p-53;
}

/*
 * Ids look like the provider's (21 characters of [A-Za-z0-9_-]) and are
 * unique by construction: they are the index run through mix(), written in
 * base64url, after ten characters of seeded noise.  Lookup parses the index
 * back out, so no hash table is needed.
 */
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t
perm(uint64_t k, enum stream s)
{
	return (k ^ rnd(s, 0)) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t
unperm(uint64_t x, enum stream s)
{
	uint64_t	 c = 0x9e3779b97f4a7c15ULL, inv = c;
	int		 i;

	for (i = 0; i < 6; i++)		/* Newton's iteration for 1/c mod 2^64 */
		inv *= 2 - c * inv;
	return (x * inv) ^ rnd(s, 0);
}

static void
make_id(char *id, uint64_t k, enum stream s)
{
	uint64_t	 noise = rnd(s, k + 1), x = perm(k, s);
	int		 i;

	for (i = 0; i < 10; i++, noise >>= 6)
		id[i] = b64url[noise & 63];
	for (i = ID_LEN - 1; i >= 10; i--, x >>= 6)
		id[i] = b64url[x & 63];
	id[ID_LEN] = '\0';
}

/* The index an id was made from, or SIZE_MAX for a string no id came from. */
static size_t
parse_id(const char *id, enum stream s)
{
	const char	*p;
	uint64_t	 x = 0;
	int		 i;

	if (strlen(id) != ID_LEN)
		return SIZE_MAX;
	for (i = 10; i < ID_LEN; i++) {
		if ((p = memchr(b64url, id[i], 64)) == NULL)
			return SIZE_MAX;
		if (i == 10 && (p - b64url) > 15)	/* 64 bits: 4 + 10 * 6 */
			return SIZE_MAX;
		x = x << 6 | (uint64_t)(p - b64url);
	}
	x = unperm(x, s);
	return x > SIZE_MAX - 1 ? SIZE_MAX : (size_t)x;
}

static void
iso8601(char *buf, size_t len, int64_t ms)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static size_t
count_words(const char *s)
{
	size_t	 n = 0;
	bool	 in = false;

	for (; *s != '\0'; s++) {
		if (strchr(" \t\n\r\f\v", *s) != NULL)
			in = false;
		else if (!in) {
			in = true;
			n++;
		}
	}
	return n;
}

/* The text of a message's content: a string, or the text parts of an array. */
static void
content_text(jv content, struct ia_buf *out)
{
	if (jv_get_kind(content) == JV_KIND_STRING)
		ia_buf_adds(out, jv_string_value(content));
	else if (jv_get_kind(content) == JV_KIND_ARRAY) {
		jv_array_foreach(content, i, part) {
			jv	 t = jv_object_get(jv_copy(part), jv_string("text"));

			(void)i;
			if (jv_get_kind(t) == JV_KIND_STRING)
				ia_buf_adds(out, jv_string_value(t));
			jv_free(t);
			jv_free(part);
		}
	}
	jv_free(content);
}

/*
 * The answer, a documented function of the request (see ia-mock(1)):
 * "Answer to: " followed by the text of the last message, or of the prompt
 * (its last element when it is an array), cut after max_tokens words with
 * finish_reason "length".  Tokens are whitespace-separated words.
 */
static char *
make_response(jv req, enum ia_kind kind, const char *id, int64_t created_s)
{
	struct ia_buf	 text = { 0 }, all = { 0 }, answer = { 0 };
	jv		 v, resp, choice, usage;
	const char	*reason = "stop", *p;
	size_t		 prompt_tokens, completion_tokens, words;
	double		 max = -1;
	char		*out;
	bool		 in;

	if (kind == IA_KIND_CHAT) {
		v = jv_object_get(jv_copy(req), jv_string("messages"));
		jv_array_foreach(v, i, m) {
			ia_buf_free(&text);
			content_text(jv_object_get(m, jv_string("content")), &text);
			ia_buf_adds(&all, text.data ? text.data : "");
			ia_buf_adds(&all, " ");
			(void)i;
		}
		jv_free(v);
	} else {
		v = jv_object_get(jv_copy(req), jv_string("prompt"));
		if (jv_get_kind(v) == JV_KIND_ARRAY) {
			jv_array_foreach(v, i, s) {
				ia_buf_free(&text);
				ia_buf_adds(&text, jv_string_value(s));
				ia_buf_adds(&all, jv_string_value(s));
				ia_buf_adds(&all, " ");
				jv_free(s);
				(void)i;
			}
		} else {
			ia_buf_adds(&text, jv_string_value(v));
			ia_buf_adds(&all, jv_string_value(v));
		}
		jv_free(v);
	}
	prompt_tokens = count_words(all.data ? all.data : "");
	ia_buf_adds(&answer, "Answer to: ");
	ia_buf_adds(&answer, text.data ? text.data : "");

	v = jv_object_get(jv_copy(req), jv_string("max_completion_tokens"));
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		v = jv_object_get(jv_copy(req), jv_string("max_tokens"));
	}
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		max = jv_number_value(v);
	jv_free(v);
	if (max >= 0 && (double)count_words(answer.data) > max) {
		/* Keep the bytes up to the end of the max-th word. */
		for (p = answer.data, words = 0, in = false; *p != '\0'; p++) {
			if (strchr(" \t\n\r\f\v", *p) != NULL) {
				if (in && (double)words >= max)
					break;
				in = false;
			} else if (!in) {
				if ((double)words >= max)
					break;
				in = true;
				words++;
			}
		}
		if (max < 1)
			p = answer.data;
		answer.len = (size_t)(p - answer.data);
		answer.data[answer.len] = '\0';
		reason = "length";
	}
	completion_tokens = count_words(answer.data);

	usage = jv_object();
	usage = jv_object_set(usage, jv_string("prompt_tokens"), jv_number(prompt_tokens));
	usage = jv_object_set(usage, jv_string("completion_tokens"),
	    jv_number(completion_tokens));
	usage = jv_object_set(usage, jv_string("total_tokens"),
	    jv_number(prompt_tokens + completion_tokens));
	choice = jv_object();
	choice = jv_object_set(choice, jv_string("index"), jv_number(0));
	if (kind == IA_KIND_CHAT) {
		v = jv_object();
		v = jv_object_set(v, jv_string("role"), jv_string("assistant"));
		v = jv_object_set(v, jv_string("content"), jv_string(answer.data));
		choice = jv_object_set(choice, jv_string("message"), v);
	} else
		choice = jv_object_set(choice, jv_string("text"), jv_string(answer.data));
	choice = jv_object_set(choice, jv_string("logprobs"), jv_null());
	choice = jv_object_set(choice, jv_string("finish_reason"), jv_string(reason));
	resp = jv_object();
	resp = jv_object_set(resp, jv_string("id"), jv_string_fmt("%s-%s",
	    kind == IA_KIND_CHAT ? "chatcmpl" : "cmpl", id));
	resp = jv_object_set(resp, jv_string("object"),
	    jv_string(kind == IA_KIND_CHAT ? "chat.completion" : "text_completion"));
	resp = jv_object_set(resp, jv_string("created"), jv_number((double)created_s));
	resp = jv_object_set(resp, jv_string("model"),
	    jv_object_get(jv_copy(req), jv_string("model")));
	resp = jv_object_set(resp, jv_string("choices"), jv_array_append(jv_array(), choice));
	resp = jv_object_set(resp, jv_string("usage"), usage);
	v = jv_dump_string(resp, 0);
	out = strdup(jv_string_value(v));
	jv_free(v);
	jv_free(req);
	ia_buf_free(&text);
	ia_buf_free(&all);
	ia_buf_free(&answer);
	return out;
}

/*
 * Fill in generation k (store locked): its id, timings and outcome come from
 * the seeded streams indexed by k, so they repeat with --seed.
 */
static void
gen_init(struct gen *g, size_t k, jv req, enum ia_kind kind, int64_t t0, int64_t wall0)
{
	double	 total, split;
	jv	 s;

	make_id(g->id, k, S_GEN_ID);
	total = opt.complete_min +
	    unif(S_GEN_TIME, k) * (opt.complete_max - opt.complete_min);
	split = 0.1 + 0.4 * unif(S_GEN_SPLIT, k);
	g->finish_ms = (uint32_t)llround(total * 1000);
	g->dispatch_ms = (uint32_t)llround(total * 1000 * split);
	g->t0 = t0;
	g->wall0 = wall0;
	g->failed = unif(S_GEN_FAIL, k) < opt.fail_rate;
	g->fail_msg = g->failed ? fail_messages[rnd(S_GEN_MSG, k) %
	    (sizeof(fail_messages) / sizeof(fail_messages[0]))] : NULL;
	s = jv_dump_string(jv_copy(req), 0);
	g->request = strdup(jv_string_value(s));
	jv_free(s);
	g->response = g->failed ? NULL : make_response(jv_copy(req), kind, g->id,
	    (wall0 + g->finish_ms) / 1000);
	jv_free(req);
}

/*
 * Create one generation per request, all or none.  Returns the index of the
 * first, or -1 when --max-generations would be passed or memory is short.
 */
static long
store_create(jv reqs, enum ia_kind kind, size_t **idx)
{
	size_t	 n = (size_t)jv_array_length(jv_copy(reqs)), k, i;
	int64_t	 t0 = now_ms(CLOCK_MONOTONIC), wall0 = now_ms(CLOCK_REALTIME);
	struct gen *g;
	long	 first = -1;

	pthread_mutex_lock(&store.lock);
	if (store.ngens + n > opt.max_generations)
		goto out;
	if (store.ngens + n > store.capgens) {
		size_t cap = store.capgens ? store.capgens * 2 : 1024;

		while (cap < store.ngens + n)
			cap *= 2;
		if ((g = realloc(store.gens, cap * sizeof(*g))) == NULL)
			goto out;
		store.gens = g;
		store.capgens = cap;
	}
	if (idx != NULL && (*idx = calloc(n, sizeof(**idx))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		k = store.ngens + i;
		gen_init(&store.gens[k], k, jv_array_get(jv_copy(reqs), (int)i), kind,
		    t0, wall0);
		if (idx != NULL)
			(*idx)[i] = k;
	}
	first = (long)store.ngens;
	store.ngens += n;
out:
	pthread_mutex_unlock(&store.lock);
	jv_free(reqs);
	return first;
}

static const char *
gen_state(const struct gen *g, int64_t now)
{
	int64_t	 age = now - g->t0;

	if (age < g->dispatch_ms)
		return "Queued";
	if (age < g->finish_ms)
		return "In Progress";
	return g->failed ? "Failed" : "Success";
}

/* Print a generation as the API shows it at time now. */
static void
gen_print(struct ia_buf *b, const struct gen *g, int64_t now)
{
	const char	*state = gen_state(g, now);
	bool		 final = now - g->t0 >= g->finish_ms;
	char		 created[64], dispatched[64], finished[64];

	iso8601(created, sizeof(created), g->wall0);
	iso8601(dispatched, sizeof(dispatched), g->wall0 + g->dispatch_ms);
	iso8601(finished, sizeof(finished), g->wall0 + g->finish_ms);
	ia_buf_addf(b, "{\"id\":\"%s\",\"state\":\"%s\",\"stateMessage\":\"%s\","
	    "\"request\":%s,", g->id, state,
	    !final ? state : g->failed ? g->fail_msg : "Completed", g->request);
	if (final && !g->failed)
		ia_buf_addf(b, "\"response\":%s,", g->response);
	ia_buf_addf(b, "\"createdAt\":\"%s\",", created);
	if (*state == 'Q')
		ia_buf_adds(b, "\"dispatchedAt\":null,");
	else
		ia_buf_addf(b, "\"dispatchedAt\":\"%s\",", dispatched);
	if (final)
		ia_buf_addf(b, "\"finishedAt\":\"%s\"}", finished);
	else
		ia_buf_adds(b, "\"finishedAt\":null}");
}

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

	if (opt.models == NULL) {
		jv_free(req);
		return 0;
	}
	req = jv_object_get(req, jv_string("model"));
	m = jv_string_value(req);
	n = strlen(m);
	for (p = opt.models; rc == -1 && *p != '\0'; p = *comma ? comma + 1 : comma) {
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
	char	 why[256];
	jv	 req = parse_body(x);
	long	 k;

	if (!jv_is_valid(req))
		return;
	if (ia_request_check(jv_copy(req), kind, why, sizeof(why)) == -1 ||
	    check_model(jv_copy(req), why, sizeof(why)) == -1) {
		x->status = 400;
		x->answer = error_json("%s", why);
		jv_free(req);
		return;
	}
	if ((k = store_create(jv_array_append(jv_array(), req), kind, NULL)) == -1) {
		x->status = 503;
		x->answer = error_json("generation limit reached (--max-generations %zu)",
		    opt.max_generations);
		return;
	}
	pthread_mutex_lock(&store.lock);
	ia_buf_addf(&b, "{\"id\":\"%s\"}", store.gens[k].id);
	pthread_mutex_unlock(&store.lock);
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

static void
do_group(struct exchange *x, enum ia_kind kind)
{
	struct ia_buf	 b = { 0 };
	char		 why[256];
	jv		 body = parse_body(x), reqs;
	int		 n, i;
	size_t		*idx = NULL;
	struct group	*gr;
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
	if (store_create(jv_copy(reqs), kind, &idx) == -1) {
		x->status = 503;
		x->answer = error_json("generation limit reached (--max-generations %zu)",
		    opt.max_generations);
		goto out;
	}
	pthread_mutex_lock(&store.lock);
	if (store.ngroups == store.capgroups) {
		size_t cap = store.capgroups ? store.capgroups * 2 : 256;

		if ((gr = realloc(store.groups, cap * sizeof(*gr))) == NULL) {
			pthread_mutex_unlock(&store.lock);
			free(idx);
			x->status = 500;
			x->answer = error_json("out of memory");
			goto out;
		}
		store.groups = gr;
		store.capgroups = cap;
	}
	gr = &store.groups[store.ngroups];
	make_id(gr->id, store.ngroups, S_GROUP_ID);
	gr->t0 = now_ms(CLOCK_MONOTONIC);
	gr->size = (unsigned)n;
	gr->members = idx;
	store.ngroups++;
	ia_buf_addf(&b, "{\"groupId\":\"%s\",\"groupSize\":%d}", gr->id, n);
	pthread_mutex_unlock(&store.lock);
	x->status = 200;
	x->answer = ia_buf_steal(&b);
out:
	jv_free(reqs);
}

static void
do_generation(struct exchange *x, const char *id)
{
	struct ia_buf	 b = { 0 };
	size_t		 k = parse_id(id, S_GEN_ID);
	struct gen	 g;

	pthread_mutex_lock(&store.lock);
	if (k >= store.ngens || strcmp(store.gens[k].id, id) != 0) {
		pthread_mutex_unlock(&store.lock);
		x->status = 404;
		x->answer = error_json("generation not found");
		return;
	}
	g = store.gens[k];	/* its strings are immutable and never freed */
	pthread_mutex_unlock(&store.lock);
	gen_print(&b, &g, now_ms(CLOCK_MONOTONIC));
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

/* A group's generations, in an order drawn per request: never submit order. */
static void
do_group_generations(struct exchange *x, const char *id, uint64_t seq)
{
	struct ia_buf	 b = { 0 };
	size_t		 k = parse_id(id, S_GROUP_ID), i, j, t, n;
	size_t		*order;
	struct gen	*gs;
	int64_t		 now = now_ms(CLOCK_MONOTONIC);
	uint64_t	 r;

	pthread_mutex_lock(&store.lock);
	if (k >= store.ngroups || strcmp(store.groups[k].id, id) != 0 ||
	    now - store.groups[k].t0 < (int64_t)llround(opt.group_delay * 1000)) {
		pthread_mutex_unlock(&store.lock);
		x->status = 404;
		x->answer = error_json("group not found");
		return;
	}
	n = store.groups[k].size;
	order = calloc(n, sizeof(*order));
	gs = calloc(n, sizeof(*gs));
	if (order == NULL || gs == NULL) {
		pthread_mutex_unlock(&store.lock);
		free(order);
		free(gs);
		x->status = 500;
		x->answer = error_json("out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		gs[i] = store.gens[store.groups[k].members[i]];
	pthread_mutex_unlock(&store.lock);

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1, r = rnd(S_SHUFFLE, seq); i > 0; i--, r = mix(r)) {
		j = (size_t)(r % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n && order[i] == i; i++)
		;
	if (i == n && n > 1) {			/* identity: rotate by one */
		for (i = 0; i < n; i++)
			order[i] = (i + 1) % n;
	}
	ia_buf_adds(&b, "{\"generations\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			ia_buf_adds(&b, ",");
		gen_print(&b, &gs[order[i]], now);
	}
	ia_buf_adds(&b, "]}");
	free(order);
	free(gs);
	x->status = 200;
	x->answer = ia_buf_steal(&b);
}

static void
do_stats(struct exchange *x)
{
	struct ia_buf	 b = { 0 };
	unsigned long long states[4] = { 0 };
	int64_t		 now = now_ms(CLOCK_MONOTONIC);
	size_t		 i, ngens, ngroups;
	const char	*s;
	int		 r, first;

	pthread_mutex_lock(&store.lock);
	for (i = 0; i < store.ngens; i++) {
		s = gen_state(&store.gens[i], now);
		states[*s == 'Q' ? 0 : *s == 'I' ? 1 : *s == 'S' ? 2 : 3]++;
	}
	ngens = store.ngens;
	ngroups = store.ngroups;
	pthread_mutex_unlock(&store.lock);

	ia_buf_addf(&b, "{\"requests\":{\"total\":%llu", (unsigned long long)stats.seq);
	for (r = 0; r < R_COUNT; r++) {
		if (r != R_STATS)
			ia_buf_addf(&b, ",\"%s\":%llu", route_names[r],
			    (unsigned long long)stats.routes[r]);
	}
	ia_buf_adds(&b, "},\"responses\":{");
	for (r = 0, first = 1; r < 600; r++) {
		if (stats.status[r] == 0)
			continue;
		ia_buf_addf(&b, "%s\"%d\":%llu", first ? "" : ",", r,
		    (unsigned long long)stats.status[r]);
		first = 0;
	}
	ia_buf_adds(&b, "},\"faults\":{");
	for (r = 0; r < F_COUNT; r++)
		ia_buf_addf(&b, "%s\"%s\":%llu", r ? "," : "", fault_names[r],
		    (unsigned long long)stats.faults[r]);
	ia_buf_addf(&b, "},\"generations\":{\"total\":%zu,\"Queued\":%llu,"
	    "\"In Progress\":%llu,\"Success\":%llu,\"Failed\":%llu},\"groups\":%zu}",
	    ngens, states[0], states[1], states[2], states[3], ngroups);
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
	if (opt.key == NULL)
		return true;
	if ((n = strlen(tok)) != strlen(opt.key))
		return false;
	for (i = 0; i < n; i++)			/* no early exit: constant time */
		diff |= (unsigned char)(tok[i] ^ opt.key[i]);
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

/* Decide the answer of a complete request: fault, auth, route, work. */
static void
process(struct exchange *x, const char *method, const char *url)
{
	const char	*arg;
	bool		 bad_method;
	uint64_t	 seq = 0;
	double		 u;
	char		*id = NULL;

	x->route = match(method, url, &arg, &bad_method);
	atomic_fetch_add(&stats.routes[x->route], 1);
	if (x->route != R_STATS) {
		seq = atomic_fetch_add(&stats.seq, 1);
		u = unif(S_FAULT, seq);
		if ((u -= opt.error_rate) < 0)
			x->fault = (enum fault)(F_500 + rnd(S_FAULT_KIND, seq) % 3);
		else if ((u -= opt.r429_rate) < 0)
			x->fault = F_429;
		else if ((u -= opt.reset_rate) < 0)
			x->fault = F_RESET;
		else if ((u -= opt.stall_rate) < 0)
			x->fault = F_STALL;
		if (x->fault != F_NONE) {
			atomic_fetch_add(&stats.faults[x->fault], 1);
			if (x->fault == F_429) {
				x->status = 429;
				x->answer = error_json("rate limited (injected fault)");
			} else if (x->fault <= F_503) {
				x->status = x->fault == F_500 ? 500 : x->fault == F_502 ? 502 : 503;
				x->answer = error_json("injected fault: %u", x->status);
			}
			return;
		}
	}
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
	switch (x->route) {
	case R_SUBMIT_CHAT:
		do_submit(x, IA_KIND_CHAT);
		break;
	case R_SUBMIT_TEXT:
		do_submit(x, IA_KIND_TEXT);
		break;
	case R_GROUP_CHAT:
		do_group(x, IA_KIND_CHAT);
		break;
	case R_GROUP_TEXT:
		do_group(x, IA_KIND_TEXT);
		break;
	case R_GENERATION:
		do_generation(x, arg);
		break;
	case R_GROUP_GENERATIONS:
		if ((id = strndup(arg, strlen(arg) - strlen("/generations"))) == NULL) {
			x->status = 500;
			x->answer = error_json("out of memory");
			break;
		}
		do_group_generations(x, id, seq);
		free(id);
		break;
	case R_STATS:
		do_stats(x);
		break;
	default:
		break;
	}
}

static void
logline(const struct exchange *x, const char *method, const char *url, const char *what)
{
	if (!opt.verbose)
		return;
	fprintf(stderr, "ia-mock: %s %s %s %.1fms\n", method, url, what,
	    (double)(now_us() - x->start_us) / 1000);
}

static enum MHD_Result
respond(struct exchange *x, const char *method, const char *url)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			 what[32];

	if (x->fault == F_RESET) {
		logline(x, method, url, "reset (injected fault)");
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(strlen(x->answer), x->answer,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
	x->answer = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (x->status == 429)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (x->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (x->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    x->route == R_GENERATION || x->route == R_GROUP_GENERATIONS ||
		    x->route == R_STATS ? "GET" : "POST");
	ret = MHD_queue_response(x->conn, x->status, resp);
	MHD_destroy_response(resp);
	if (x->status < 600 && x->route != R_STATS)
		atomic_fetch_add(&stats.status[x->status], 1);
	snprintf(what, sizeof(what), "%u%s", x->status, x->fault != F_NONE ?
	    " (injected fault)" : "");
	logline(x, method, url, what);
	return ret;
}

/* Suspend x until the timer thread resumes it (delay) or shutdown (stall). */
static bool
suspend(struct exchange *x, bool stall)
{
	pthread_mutex_lock(&waitq.lock);
	if (waitq.stopping) {
		pthread_mutex_unlock(&waitq.lock);
		return false;
	}
	x->state = X_SUSPENDED;
	x->next = x->prev = NULL;
	if (stall) {
		x->next = waitq.stalled;
		waitq.stalled = x;
	} else {
		x->due_ms = now_ms(CLOCK_MONOTONIC) + opt.latency_ms;
		if (waitq.tail != NULL)
			waitq.tail->next = x;
		else
			waitq.head = x;
		waitq.tail = x;
		pthread_cond_signal(&waitq.cond);
	}
	waitq.suspended++;
	MHD_suspend_connection(x->conn);
	pthread_mutex_unlock(&waitq.lock);
	return true;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct exchange	*x = *con_cls;
	bool		 stopping;

	(void)cls;
	(void)version;
	if (x == NULL) {
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return MHD_NO;
		x->conn = conn;
		x->fault = F_NONE;
		x->start_us = now_us();
		*con_cls = x;
		return MHD_YES;
	}
	if (x->state == X_SUSPENDED) {		/* resumed */
		pthread_mutex_lock(&waitq.lock);
		waitq.suspended--;
		stopping = waitq.stopping;
		pthread_mutex_unlock(&waitq.lock);
		x->state = X_RESUMED;
		if (stopping || x->fault == F_STALL)
			return MHD_NO;
		return respond(x, method, url);
	}
	if (*upload_size > 0) {
		if (!x->too_big && x->body.len + *upload_size <= MAX_BODY) {
			if (ia_buf_add(&x->body, upload, *upload_size) == -1)
				return MHD_NO;
		} else {
			x->too_big = true;
			ia_buf_free(&x->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->state != X_NEW)
		return MHD_NO;
	process(x, method, url);
	if (x->fault == F_STALL) {
		logline(x, method, url, "stall (injected fault)");
		return suspend(x, true) ? MHD_YES : MHD_NO;
	}
	if (opt.latency_ms > 0 && x->route != R_STATS && suspend(x, false))
		return MHD_YES;
	return respond(x, method, url);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct exchange	*x = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (x == NULL)
		return;
	if (x->state == X_SUSPENDED) {	/* closed without being resumed */
		pthread_mutex_lock(&waitq.lock);
		waitq.suspended--;
		pthread_mutex_unlock(&waitq.lock);
	}
	ia_buf_free(&x->body);
	free(x->answer);
	free(x);
	*con_cls = NULL;
}

/* The timer thread: resume delayed connections when they are due. */
static void *
timer_main(void *arg)
{
	struct exchange	*x;
	struct timespec	 ts;
	int64_t		 now;

	(void)arg;
	pthread_mutex_lock(&waitq.lock);
	while (!waitq.stopping) {
		if (waitq.head == NULL) {
			pthread_cond_wait(&waitq.cond, &waitq.lock);
			continue;
		}
		now = now_ms(CLOCK_MONOTONIC);
		if (waitq.head->due_ms > now) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (waitq.head->due_ms - now) / 1000;
			ts.tv_nsec += ((waitq.head->due_ms - now) % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&waitq.cond, &waitq.lock, &ts);
			continue;
		}
		x = waitq.head;
		if ((waitq.head = x->next) == NULL)
			waitq.tail = NULL;
		MHD_resume_connection(x->conn);
	}
	pthread_mutex_unlock(&waitq.lock);
	return NULL;
}

/* Resume every suspended connection so that MHD can close it, then wait. */
static void
release_all(void)
{
	struct exchange	*x;
	int		 i;

	pthread_mutex_lock(&waitq.lock);
	waitq.stopping = true;
	for (x = waitq.head; x != NULL; x = x->next)
		MHD_resume_connection(x->conn);
	for (x = waitq.stalled; x != NULL; x = x->next)
		MHD_resume_connection(x->conn);
	waitq.head = waitq.tail = waitq.stalled = NULL;
	pthread_cond_signal(&waitq.cond);
	pthread_mutex_unlock(&waitq.lock);
	for (i = 0; i < 200; i++) {		/* at most 2 s */
		pthread_mutex_lock(&waitq.lock);
		if (waitq.suspended == 0)
			i = 200;
		pthread_mutex_unlock(&waitq.lock);
		if (i < 200)
			usleep(10000);
	}
}

/*
 * libmicrohttpd's own messages, prefixed like ours; its complaint about the
 * connections we close on purpose (--reset-rate, shutdown) is left out.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strstr(msg, "Application reported internal error") != NULL)
		return;
	fprintf(stderr, "ia-mock: %s%s", msg,
	    *msg != '\0' && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

static int
write_port_file(const char *path, unsigned port)
{
	char	*tmp;
	FILE	*fp;
	int	 fd;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1)
		return -1;
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		free(tmp);
		return -1;
	}
	fprintf(fp, "%u\n", port);
	if (fchmod(fd, 0644) == -1 || fflush(fp) == EOF || ferror(fp) ||
	    fclose(fp) == EOF || rename(tmp, path) == -1) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ia-mock [-hVv] [-b addr] [-p port] [--port-file file] [--key key]\n"
	    "               [--models list] [--complete-after min[,max]]\n"
	    "               [--group-delay sec]\n"
	    "               [--fail-rate p] [--error-rate p] [--429-rate p]\n"
	    "               [--reset-rate p] [--stall-rate p] [--latency ms]\n"
	    "               [--seed n] [--threads n] [--max-generations n]\n");
	exit(status);
}

static double
rate(const char *s, const char *name)
{
	char	*end;
	double	 p;

	errno = 0;
	p = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(p >= 0 && p <= 1))
		errx(2, "%s: %s: must be a probability from 0 to 1", name, s);
	return p;
}

static unsigned long long
number(const char *s, const char *name, unsigned long long max)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || n > max)
		errx(2, "%s: %s: must be a whole number from 0 to %llu", name, s, max);
	return n;
}

static double
seconds(const char *s, const char *name)
{
	double	 d;

	if (ia_duration_parse(s, &d) == -1 || d > 30 * 86400.0)
		errx(2, "%s: %s: not a duration (seconds, or with a unit: 500ms, 2m, 1h)",
		    name, s);
	return d;
}

enum {
	O_PORT_FILE = 256, O_KEY, O_MODELS, O_COMPLETE, O_GROUP_DELAY, O_FAIL, O_ERROR,
	O_429, O_RESET, O_STALL, O_LATENCY, O_SEED, O_THREADS, O_MAX_GENS
};

static const struct option longopts[] = {
	{ "port-file",		required_argument,	NULL,	O_PORT_FILE },
	{ "key",		required_argument,	NULL,	O_KEY },
	{ "models",		required_argument,	NULL,	O_MODELS },
	{ "complete-after",	required_argument,	NULL,	O_COMPLETE },
	{ "group-delay",	required_argument,	NULL,	O_GROUP_DELAY },
	{ "fail-rate",		required_argument,	NULL,	O_FAIL },
	{ "error-rate",		required_argument,	NULL,	O_ERROR },
	{ "429-rate",		required_argument,	NULL,	O_429 },
	{ "reset-rate",		required_argument,	NULL,	O_RESET },
	{ "stall-rate",		required_argument,	NULL,	O_STALL },
	{ "latency",		required_argument,	NULL,	O_LATENCY },
	{ "seed",		required_argument,	NULL,	O_SEED },
	{ "threads",		required_argument,	NULL,	O_THREADS },
	{ "max-generations",	required_argument,	NULL,	O_MAX_GENS },
	{ "help",		no_argument,		NULL,	'h' },
	{ "version",		no_argument,		NULL,	'V' },
	{ NULL,			0,			NULL,	0 }
};

int
main(int argc, char *argv[])
{
	const char		*bind_addr = "127.0.0.1", *port = "8080";
	const union MHD_DaemonInfo *info;
	struct addrinfo		 hints, *ai;
	struct MHD_Daemon	*d;
	pthread_t		 timer;
	sigset_t		 sigs;
	char			*arg, *comma;
	unsigned		 flags;
	long			 nproc;
	int			 ch, sig, e;

	opt.seed = mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)now_us());
	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	opt.threads = nproc > 0 ? (unsigned)nproc : 2;
	while ((ch = getopt_long(argc, argv, "b:hp:Vv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			bind_addr = optarg;
			break;
		case 'p':
			number(optarg, "-p", 65535);
			port = optarg;
			break;
		case O_PORT_FILE:
			opt.port_file = optarg;
			break;
		case O_KEY:
			if (*optarg == '\0')
				errx(2, "--key: must not be empty");
			opt.key = optarg;
			break;
		case O_MODELS:
			opt.models = optarg;
			break;
		case O_COMPLETE:
			if ((arg = strdup(optarg)) == NULL)
				err(2, NULL);
			if ((comma = strchr(arg, ',')) != NULL) {
				*comma = '\0';
				opt.complete_max = seconds(comma + 1, "--complete-after");
			}
			opt.complete_min = seconds(arg, "--complete-after");
			free(arg);
			if (comma == NULL)
				opt.complete_max = opt.complete_min;
			if (opt.complete_max < opt.complete_min)
				errx(2, "--complete-after: MAX is less than MIN");
			if (opt.complete_max > 49 * 86400.0)
				errx(2, "--complete-after: at most 49 days");
			break;
		case O_GROUP_DELAY:
			opt.group_delay = seconds(optarg, "--group-delay");
			break;
		case O_FAIL:
			opt.fail_rate = rate(optarg, "--fail-rate");
			break;
		case O_ERROR:
			opt.error_rate = rate(optarg, "--error-rate");
			break;
		case O_429:
			opt.r429_rate = rate(optarg, "--429-rate");
			break;
		case O_RESET:
			opt.reset_rate = rate(optarg, "--reset-rate");
			break;
		case O_STALL:
			opt.stall_rate = rate(optarg, "--stall-rate");
			break;
		case O_LATENCY:
			opt.latency_ms = (unsigned)number(optarg, "--latency", 3600000);
			break;
		case O_SEED:
			opt.seed = number(optarg, "--seed", ULLONG_MAX);
			break;
		case O_THREADS:
			opt.threads = (unsigned)number(optarg, "--threads", 256);
			if (opt.threads == 0)
				errx(2, "--threads: must be at least 1");
			break;
		case O_MAX_GENS:
			opt.max_generations = (size_t)number(optarg, "--max-generations",
			    (unsigned long long)UINT32_MAX);
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'V':
			printf("ia-mock %s\n", IA_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (opt.error_rate + opt.r429_rate + opt.reset_rate + opt.stall_rate > 1)
		errx(2, "the fault rates add up to more than 1");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(bind_addr, port, &hints, &ai)) != 0)
		errx(2, "-b %s: %s", bind_addr, gai_strerror(e));

	/* Signals go to the main thread only: block them before MHD's threads start. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, opt.threads > 1 ? opt.threads : 0,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_END);
	if (d == NULL)
		errx(2, "cannot listen on %s port %s", bind_addr, port);
	freeaddrinfo(ai);
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		errx(2, "cannot tell which port is bound");
	if ((e = pthread_create(&timer, NULL, timer_main, NULL)) != 0) {
		errno = e;
		err(2, "pthread_create");
	}
	if (opt.port_file != NULL && write_port_file(opt.port_file, info->port) == -1)
		err(2, "--port-file %s", opt.port_file);
	if (opt.verbose)
		fprintf(stderr, "ia-mock: listening on %s port %u\n", bind_addr,
		    (unsigned)info->port);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	MHD_quiesce_daemon(d);
	release_all();
	pthread_join(timer, NULL);
	MHD_stop_daemon(d);
	return 0;
}
