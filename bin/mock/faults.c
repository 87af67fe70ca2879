/*
 * The faults: one row each, in the order they are drawn.  A row is all
 * there is to a fault but what it does (its "how"): the option that sets
 * its rate, those that pick its kinds and its routes, its share of the draw,
 * its /mock/stats counters, its usage and its --help lines.
 *
 * Here too: the watch on Retry-After, which tells how soon each request
 * answered 429 with "Retry-After: 1" came again, and the token bucket of
 * --rate-limit.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

struct fault mock_faults[] = {
	{ .option = "error-rate",
	    .help = "share of requests answered 500, 502 or 503",
	    .how = FH_ANSWER, .routes = ROUTES_ANY, .kinds = {
		{ .name = "500", .status = 500, .message = "injected fault: 500" },
		{ .name = "502", .status = 502, .message = "injected fault: 502" },
		{ .name = "503", .status = 503, .message = "injected fault: 503" } } },
	{ .option = "429-rate",
	    .help = "share of requests answered 429, Retry-After: 1",
	    .how = FH_ANSWER, .routes = ROUTES_ANY, .kinds = {
		{ .name = "429", .status = 429,
		    .message = "rate limited (injected fault)" } } },
	{ .option = "reset-rate",
	    .help = "share of requests closed with no answer",
	    .how = FH_RESET, .routes = ROUTES_ANY,
	    .kinds = { { .name = "reset" } } },
	{ .option = "stall-rate",
	    .help = "share of requests read and never answered",
	    .how = FH_STALL, .routes = ROUTES_ANY,
	    .kinds = { { .name = "stall" } } },
	{ .option = "lose-rate",
	    .help = "share of submissions done, then closed unanswered",
	    .how = FH_LOSE, .routes = ROUTES_SUBMIT,
	    .kinds = { { .name = "lose" } } },
	{ .option = "garbage-rate", .kinds_option = "garbage",
	    .routes_option = "garbage-routes",
	    .help = "share of requests answered with garbage",
	    .kinds_help = "the kinds of garbage drawn, or all (default all)",
	    .routes_help = "the routes garbage hits (default all)",
	    .how = FH_GARBAGE,
	    .routes = ROUTES_ANY, .kinds = {
		{ .name = "garbage-json", .word = "json", .garbage = G_JSON },
		{ .name = "garbage-html", .word = "html", .garbage = G_HTML,
		    .status = 502 },
		{ .name = "garbage-short", .word = "short", .garbage = G_SHORT },
		{ .name = "garbage-huge", .word = "huge", .garbage = G_HUGE },
		{ .name = "garbage-types", .word = "types", .garbage = G_TYPES },
		{ .name = "garbage-empty", .word = "empty", .garbage = G_EMPTY },
		{ .name = "garbage-drip", .word = "drip", .garbage = G_DRIP },
		{ .name = "garbage-retry-after", .word = "retry-after",
		    .garbage = G_RETRY_AFTER, .status = 429,
		    .message = "rate limited (injected fault)" },
		{ .name = "garbage-redirect", .word = "redirect",
		    .garbage = G_REDIRECT, .status = 307 } } },
	{ .option = NULL }
};

/* The number of kinds of f, drawn or not. */
static unsigned
nkinds(const struct fault *f)
{
	unsigned	 n;

	for (n = 0; n < FAULT_KINDS && f->kinds[n].name != NULL; n++)
		;
	return n;
}

/*
 * Draw request seq's fault, if any: one uniform draw against the rates of
 * the faults that may hit its route, in table order, then an even one among
 * the fault's kinds that are drawn.  Both are the seq-th of their streams,
 * so the same seed and the same requests give the same faults.
 */
void
mock_fault_draw(struct exchange *x, uint64_t seq)
{
	struct fault	*f;
	double		 u = mock_unif(S_FAULT, seq);
	unsigned	 n, i, k;

	for (f = mock_faults; f->option != NULL; f++) {
		if ((f->routes & 1u << x->route) != 0 && (u -= f->rate) < 0)
			break;
	}
	if (f->option == NULL)
		return;
	for (i = n = 0; i < nkinds(f); i++)
		n += !f->kinds[i].off;
	k = (unsigned)(mock_rnd(S_FAULT_KIND, seq) % n);
	for (i = 0; f->kinds[i].off || k-- > 0; i++)
		;
	x->fault = f;
	x->fault_kind = &f->kinds[i];
	atomic_fetch_add(&x->fault_kind->count, 1);
}

/*
 * The row's kinds option: a list of kind words separated by commas, or
 * "all"; only those are drawn.  -1 for a word that names no kind.
 */
int
mock_fault_kinds(struct fault *f, const char *arg)
{
	const char	*p, *end;
	size_t		 len;
	unsigned	 i, n = nkinds(f);
	bool		 on[FAULT_KINDS] = { false };

	for (p = arg; ; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if (len == 3 && strncmp(p, "all", 3) == 0)
			for (i = 0; i < n; i++)
				on[i] = true;
		else {
			for (i = 0; i < n; i++)
				if (strlen(f->kinds[i].word) == len &&
				    strncmp(p, f->kinds[i].word, len) == 0)
					break;
			if (i == n)
				return -1;
			on[i] = true;
		}
		if (*end == '\0')
			break;
	}
	for (i = 0; i < n; i++)
		f->kinds[i].off = !on[i];
	return 0;
}

/* The row's routes option: get, post or all.  -1 for anything else. */
int
mock_fault_routes(struct fault *f, const char *arg)
{
	if (strcmp(arg, "get") == 0)
		f->routes = ROUTES_GET;
	else if (strcmp(arg, "post") == 0)
		f->routes = ROUTES_SUBMIT;
	else if (strcmp(arg, "all") == 0)
		f->routes = ROUTES_ANY;
	else
		return -1;
	return 0;
}

/* The "faults" member of /mock/stats: every kind of every fault, in order. */
void
mock_fault_stats(struct ia_buf *b)
{
	const struct fault	*f;
	const struct fault_kind	*k;
	const char		*sep = "";

	ia_buf_adds(b, "\"faults\":{");
	for (f = mock_faults; f->option != NULL; f++) {
		for (k = f->kinds; k < f->kinds + FAULT_KINDS && k->name != NULL; k++) {
			ia_buf_addf(b, "%s\"%s\":%llu", sep, k->name,
			    (unsigned long long)k->count);
			sep = ",";
		}
	}
	ia_buf_adds(b, "}");
}

/*
 * The watch on Retry-After: each request answered 429 with "Retry-After: 1"
 * is remembered by its key (method, path and body) with the time; when the
 * same request comes again, how long after is counted, and "early" when it
 * is less than the second it was told to wait.
 */
#define WATCH_BUCKETS	4096

struct watch {
	uint64_t	 key;
	int64_t		 sent_us;
	struct watch	*next;
};

static struct {
	pthread_mutex_t		 lock;
	struct watch		*bucket[WATCH_BUCKETS];
	unsigned long long	 sent, retried, early;
	int64_t			 min_us;	/* -1 until a retry came */
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER, .min_us = -1 };

void
mock_retry_sent(const struct exchange *x)
{
	struct watch	*w, **pp;

	pthread_mutex_lock(&watch.lock);
	watch.sent++;
	for (pp = &watch.bucket[x->key % WATCH_BUCKETS]; *pp != NULL &&
	    (*pp)->key != x->key; pp = &(*pp)->next)
		;
	if ((w = *pp) == NULL && (w = calloc(1, sizeof(*w))) != NULL) {
		w->key = x->key;
		*pp = w;
	}
	if (w != NULL)
		w->sent_us = mock_now_us();
	pthread_mutex_unlock(&watch.lock);
}

void
mock_retry_check(const struct exchange *x)
{
	struct watch	*w, **pp;
	int64_t		 gap;

	pthread_mutex_lock(&watch.lock);
	for (pp = &watch.bucket[x->key % WATCH_BUCKETS]; *pp != NULL &&
	    (*pp)->key != x->key; pp = &(*pp)->next)
		;
	if ((w = *pp) != NULL) {
		*pp = w->next;
		gap = x->start_us - w->sent_us;
		watch.retried++;
		if (gap < 1000000)
			watch.early++;
		if (watch.min_us < 0 || gap < watch.min_us)
			watch.min_us = gap;
		free(w);
	}
	pthread_mutex_unlock(&watch.lock);
}

/* The "retry_after" member of /mock/stats. */
void
mock_retry_stats(struct ia_buf *b)
{
	pthread_mutex_lock(&watch.lock);
	ia_buf_addf(b, "\"retry_after\":{\"sent\":%llu,\"retried\":%llu,"
	    "\"early\":%llu,\"min_ms\":", watch.sent, watch.retried, watch.early);
	if (watch.min_us < 0)
		ia_buf_adds(b, "null}");
	else
		ia_buf_addf(b, "%lld}", (long long)(watch.min_us / 1000));
	pthread_mutex_unlock(&watch.lock);
}

/*
 * --rate-limit N: a token bucket on submissions, as a gateway in front of
 * the service keeps one.  It holds at most N tokens, one second's worth,
 * starts full and fills at N a second; each submission takes one, a group
 * as one whatever its size (the limit is on HTTP requests, so grouping is
 * the way past it, as on the service).  One that finds the bucket empty is
 * refused: the caller answers 429 with "Retry-After: 1", after which the
 * bucket is full again.
 */
static struct {
	pthread_mutex_t		 lock;
	double			 tokens;
	int64_t			 last_us;	/* 0 before the first submission */
	unsigned long long	 allowed, refused;
} bucket = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Take a token for a submission: false when there is none. */
bool
mock_rate_take(void)
{
	double	 n = mock_opt.rate_limit;
	int64_t	 now;
	bool	 ok;

	if (mock_opt.rate_limit == 0)
		return true;
	now = mock_now_us();
	pthread_mutex_lock(&bucket.lock);
	if (bucket.last_us == 0)
		bucket.tokens = n;
	else if ((bucket.tokens += (double)(now - bucket.last_us) * n / 1e6) > n)
		bucket.tokens = n;
	bucket.last_us = now;
	if ((ok = bucket.tokens >= 1)) {
		bucket.tokens -= 1;
		bucket.allowed++;
	} else
		bucket.refused++;
	pthread_mutex_unlock(&bucket.lock);
	return ok;
}

/* The "rate_limit" member of /mock/stats; limit is null without one. */
void
mock_rate_stats(struct ia_buf *b)
{
	pthread_mutex_lock(&bucket.lock);
	ia_buf_adds(b, "\"rate_limit\":{\"limit\":");
	if (mock_opt.rate_limit == 0)
		ia_buf_adds(b, "null");
	else
		ia_buf_addf(b, "%u", mock_opt.rate_limit);
	ia_buf_addf(b, ",\"allowed\":%llu,\"refused\":%llu}", bucket.allowed,
	    bucket.refused);
	pthread_mutex_unlock(&bucket.lock);
}
