/*
 * The store: generations and groups in memory behind one mutex, the clock,
 * the seeded random streams, the ids and the answers.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

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

static const char *fail_messages[] = {
	"Inference backend error: upstream timed out",
	"Inference backend error: worker crashed while generating",
	"Request exceeds the model's context window",
	"Model is temporarily unavailable",
};

int64_t
mock_now_ms(int clock)
{
	struct timespec	 ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mock_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64's finaliser: a bijection on 64 bits with good avalanche. */
uint64_t
mock_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The n-th draw of a stream: a pure function of (seed, stream, n). */
uint64_t
mock_rnd(enum stream s, uint64_t n)
{
	return mock_mix(mock_mix(mock_opt.seed + 0x9e3779b97f4a7c15ULL * (uint64_t)s) + n);
}

double
mock_unif(enum stream s, uint64_t n)
{
	return (double)(mock_rnd(s, n) >> 11) * 0x1.0p-53;
}

/*
 * Ids look like the provider's (21 characters of [A-Za-z0-9_-]) and are
 * unique by construction: they are the index run through perm(), written in
 * base64url, after ten characters of seeded noise.  Lookup parses the index
 * back out, so no hash table is needed.
 */
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t
perm(uint64_t k, enum stream s)
{
	return (k ^ mock_rnd(s, 0)) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t
unperm(uint64_t x, enum stream s)
{
	uint64_t	 c = 0x9e3779b97f4a7c15ULL, inv = c;
	int		 i;

	for (i = 0; i < 6; i++)		/* Newton's iteration for 1/c mod 2^64 */
		inv *= 2 - c * inv;
	return (x * inv) ^ mock_rnd(s, 0);
}

static void
make_id(char *id, uint64_t k, enum stream s)
{
	uint64_t	 noise = mock_rnd(s, k + 1), x = perm(k, s);
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
	total = mock_opt.complete_min +
	    mock_unif(S_GEN_TIME, k) * (mock_opt.complete_max - mock_opt.complete_min);
	split = 0.1 + 0.4 * mock_unif(S_GEN_SPLIT, k);
	g->finish_ms = (uint32_t)llround(total * 1000);
	g->dispatch_ms = (uint32_t)llround(total * 1000 * split);
	g->t0 = t0;
	g->wall0 = wall0;
	g->failed = mock_unif(S_GEN_FAIL, k) < mock_opt.fail_rate;
	g->fail_msg = g->failed ? fail_messages[mock_rnd(S_GEN_MSG, k) %
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
	int64_t	 t0 = mock_now_ms(CLOCK_MONOTONIC), wall0 = mock_now_ms(CLOCK_REALTIME);
	struct gen *g;
	long	 first = -1;

	pthread_mutex_lock(&store.lock);
	if (store.ngens + n > mock_opt.max_generations)
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

/* Create a generation for one request; 0, or -1 as store_create. */
int
mock_gen_create(jv req, enum ia_kind kind, char *id)
{
	long	 k;

	if ((k = store_create(jv_array_append(jv_array(), req), kind, NULL)) == -1)
		return -1;
	pthread_mutex_lock(&store.lock);
	memcpy(id, store.gens[k].id, ID_LEN + 1);
	pthread_mutex_unlock(&store.lock);
	return 0;
}

/*
 * Create a group of generations, one per request.  0; -1 as store_create,
 * creating nothing; -2 when memory for the group is short, the generations
 * being made all the same.
 */
int
mock_group_create(jv reqs, enum ia_kind kind, char *id)
{
	size_t		*idx = NULL;
	struct group	*gr;
	int		 n = jv_array_length(jv_copy(reqs));

	if (store_create(reqs, kind, &idx) == -1)
		return -1;
	pthread_mutex_lock(&store.lock);
	if (store.ngroups == store.capgroups) {
		size_t cap = store.capgroups ? store.capgroups * 2 : 256;

		if ((gr = realloc(store.groups, cap * sizeof(*gr))) == NULL) {
			pthread_mutex_unlock(&store.lock);
			free(idx);
			return -2;
		}
		store.groups = gr;
		store.capgroups = cap;
	}
	gr = &store.groups[store.ngroups];
	make_id(gr->id, store.ngroups, S_GROUP_ID);
	gr->t0 = mock_now_ms(CLOCK_MONOTONIC);
	gr->size = (unsigned)n;
	gr->members = idx;
	store.ngroups++;
	memcpy(id, gr->id, ID_LEN + 1);
	pthread_mutex_unlock(&store.lock);
	return 0;
}

/* Print generation id as it is now; -1 for an id it never gave out. */
int
mock_gen_print(const char *id, struct ia_buf *b)
{
	size_t		 k = parse_id(id, S_GEN_ID);
	struct gen	 g;

	pthread_mutex_lock(&store.lock);
	if (k >= store.ngens || strcmp(store.gens[k].id, id) != 0) {
		pthread_mutex_unlock(&store.lock);
		return -1;
	}
	g = store.gens[k];	/* its strings are immutable and never freed */
	pthread_mutex_unlock(&store.lock);
	gen_print(b, &g, mock_now_ms(CLOCK_MONOTONIC));
	return 0;
}

/*
 * Print a group's generations, in an order drawn for request seq that is
 * never submit order.  0; -1 for a group not (yet) found; -2 when memory
 * is short.
 */
int
mock_group_print(const char *id, uint64_t seq, struct ia_buf *b)
{
	size_t		 k = parse_id(id, S_GROUP_ID), i, j, t, n;
	size_t		*order;
	struct gen	*gs;
	int64_t		 now = mock_now_ms(CLOCK_MONOTONIC);
	uint64_t	 r;

	pthread_mutex_lock(&store.lock);
	if (k >= store.ngroups || strcmp(store.groups[k].id, id) != 0 ||
	    now - store.groups[k].t0 < (int64_t)llround(mock_opt.group_delay * 1000)) {
		pthread_mutex_unlock(&store.lock);
		return -1;
	}
	n = store.groups[k].size;
	order = calloc(n, sizeof(*order));
	gs = calloc(n, sizeof(*gs));
	if (order == NULL || gs == NULL) {
		pthread_mutex_unlock(&store.lock);
		free(order);
		free(gs);
		return -2;
	}
	for (i = 0; i < n; i++)
		gs[i] = store.gens[store.groups[k].members[i]];
	pthread_mutex_unlock(&store.lock);

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1, r = mock_rnd(S_SHUFFLE, seq); i > 0; i--, r = mock_mix(r)) {
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
	ia_buf_adds(b, "{\"generations\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			ia_buf_adds(b, ",");
		gen_print(b, &gs[order[i]], now);
	}
	ia_buf_adds(b, "]}");
	free(order);
	free(gs);
	return 0;
}

/* For /mock/stats: generations per state (Queued, In Progress, Success, Failed). */
void
mock_store_count(unsigned long long *states, size_t *ngens, size_t *ngroups)
{
	int64_t		 now = mock_now_ms(CLOCK_MONOTONIC);
	const char	*s;
	size_t		 i;

	pthread_mutex_lock(&store.lock);
	for (i = 0; i < store.ngens; i++) {
		s = gen_state(&store.gens[i], now);
		states[*s == 'Q' ? 0 : *s == 'I' ? 1 : *s == 'S' ? 2 : 3]++;
	}
	*ngens = store.ngens;
	*ngroups = store.ngroups;
	pthread_mutex_unlock(&store.lock);
}
