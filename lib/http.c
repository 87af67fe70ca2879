/*
 * The HTTP engine: one curl multi handle, driven by the tool's event loop.
 *
 * Transfers move between four lists: ready (queued, to start as soon as the
 * -j cap allows), running (in curl), waiting (a retry with a start time,
 * sorted by it) and done (final, to be handed back).  The model is curl's
 * own src/: the transfer rides behind CURLOPT_PRIVATE, a retry is a requeue,
 * and the only place that waits is curl_multi_poll().
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ia.h"

#define BACKOFF_BASE		0.5	/* seconds */
#define BACKOFF_CAP		30.0	/* seconds */
#define LOG_BODY_MAX		2000	/* bytes of a body shown by -v */

struct ia_http {
	CURLM			*multi;
	const struct ia_config	*cfg;
	FILE			*log;
	struct curl_slist	*hdr_get, *hdr_post;
	CURL			**idle;		/* easy handles done with, to reuse */
	size_t			 nidle;		/* up to -j of them */
	CURLU			*url;		/* the last URL started, parsed */
	char			*url_text;	/* and as it was given */
	struct ia_xfer		*ready, *ready_tail;
	struct ia_xfer		*running;	/* in curl, any order */
	struct ia_xfer		*waiting;	/* by start_at, earliest first */
	struct ia_xfer		*done, *done_tail;
	size_t			 nready, nrunning, nwaiting, ndone;
	uint64_t		 rng;
	struct ia_pace		 pace;		/* pace.c */
	bool			 trusted;	/* an answer other than 401/403 came */
	long			 refused;	/* 401 or 403: nothing more starts */
	char			 refusal[256];	/* what the server said then */
};

bool
ia_http_retryable(long status)
{
	switch (status) {
	case 0: case 408: case 429: case 500: case 502: case 503: case 504:
		return true;
	default:
		return false;
	}
}

/* Network errors worth another try: those a moment can mend, and no others. */
static bool
curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR:
	case CURLE_AGAIN:
		return true;
	default:
		return false;
	}
}

/*
 * Full jitter (AWS's "exponential backoff and jitter"): a uniform draw up to
 * the exponential bound, so that clients that failed together spread out.
 */
double
ia_http_backoff(int n, double u)
{
	double	 bound;

	if (n < 1)
		n = 1;
	bound = n > 16 ? BACKOFF_CAP : fmin(BACKOFF_CAP, BACKOFF_BASE * ldexp(1, n - 1));
	if (u < 0)
		u = 0;
	if (u > 1)
		u = 1;
	return u * bound;
}

double
ia_http_retry_after(const char *v, time_t now, double cap)
{
	const char	*p;
	char		*end;
	double		 d;
	time_t		 t;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return -1;
	for (p = v; isdigit((unsigned char)*p); p++)
		;
	if (p > v) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0')
			return -1;
		errno = 0;
		d = strtod(v, &end);
		if (errno != 0)
			d = cap;
		return fmin(d, cap);
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	d = difftime(t, now);
	return d < 0 ? 0 : fmin(d, cap);
}

/*
 * "." and ".." are left as they are by curl_easy_escape(), and as path
 * segments curl (and any server) would resolve them, so that the id ".."
 * would ask for the route above: they are escaped too.
 */
char *
ia_http_escape(const char *s)
{
	char	*e, *copy;

	if (strcmp(s, ".") == 0)
		return strdup("%2E");
	if (strcmp(s, "..") == 0)
		return strdup("%2E%2E");
	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

struct ia_xfer *
ia_http_xfer_new(const char *method, const char *path, char *body)
{
	struct ia_xfer	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->method = strcmp(method, "POST") == 0 ? "POST" : "GET";
	if ((x->path = strdup(path)) == NULL) {
		free(x);
		return NULL;
	}
	x->body = body;
	x->retry_after = -1;
	return x;
}

void
ia_http_xfer_free(struct ia_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_url_cleanup(x->curlu);
	free(x->path);
	free(x->body);
	ia_buf_free(&x->resp);
	free(x);
}

struct ia_http *
ia_http_new(const struct ia_config *cfg, FILE *log, char *err, size_t errlen)
{
	static bool	 curl_ready;
	struct ia_http	*h;
	char		*auth = NULL;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "cannot initialise libcurl");
			return NULL;
		}
		curl_ready = true;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto nomem;
	h->cfg = cfg;
	h->log = log;
	h->rng = ia_rand_seed();
	ia_pace_init(&h->pace, cfg->rate, cfg->jobs);
	if ((h->multi = curl_multi_init()) == NULL ||
	    (h->idle = calloc((size_t)cfg->jobs, sizeof(*h->idle))) == NULL)
		goto nomem;
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->jobs);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)cfg->jobs);
	if (cfg->api_key != NULL &&
	    asprintf(&auth, "Authorization: Bearer %s", cfg->api_key) == -1) {
		auth = NULL;
		goto nomem;
	}
#define HDR(list, s) do {						\
	struct curl_slist *l_ = curl_slist_append((list), (s));		\
	if (l_ == NULL)							\
		goto nomem;						\
	(list) = l_;							\
} while (0)
	HDR(h->hdr_get, "Accept: application/json");
	HDR(h->hdr_get, "User-Agent: ia/" IA_VERSION);
	if (auth != NULL)
		HDR(h->hdr_get, auth);
	HDR(h->hdr_post, "Accept: application/json");
	HDR(h->hdr_post, "User-Agent: ia/" IA_VERSION);
	HDR(h->hdr_post, "Content-Type: application/json");
	HDR(h->hdr_post, "Expect:");
	if (auth != NULL)
		HDR(h->hdr_post, auth);
#undef HDR
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return h;
nomem:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	ia_http_free(h);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

static size_t	on_body(char *, size_t, size_t, void *);
static size_t	on_header(char *, size_t, size_t, void *);

/*
 * An easy handle with the options every transfer shares: one done with
 * (set up already: curl_easy_init() and these options cost about as much
 * as the rest of a transfer's set-up), else a new one.
 */
static CURL *
easy_get(struct ia_http *h)
{
	CURL	*e;

	if (h->nidle > 0)
		return h->idle[--h->nidle];
	if ((e = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(IA_CONNECT_TIMEOUT * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(h->cfg->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* The key never goes to a proxy in clear: loopback is always direct. */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.0/8,::1");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	return e;
}

/*
 * A transfer's easy handle back, its transfer over: kept for the next, up
 * to -j, else freed; and its parsed URL, which curl reads until then.
 */
static void
easy_put(struct ia_http *h, struct ia_xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(h->multi, x->easy);
		if (h->idle != NULL && h->nidle < (size_t)h->cfg->jobs) {
			/* Nothing of x's stays behind: x may be freed before reuse. */
			curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
			curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
			curl_easy_setopt(x->easy, CURLOPT_CURLU, NULL);
			h->idle[h->nidle++] = x->easy;
		} else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_url_cleanup(x->curlu);
	x->curlu = NULL;
}

/*
 * The URL of a transfer, parsed, for CURLOPT_CURLU: a copy of the last one
 * when it is the same (a tool POSTs to one route), which spares curl
 * parsing it and printing it back whole, some 14,000 instructions a
 * transfer.  NULL when it cannot be parsed: curl is then given the text,
 * and says what is wrong with it as it did.
 */
static CURLU *
parsed_url(struct ia_http *h, const char *url)
{
	CURLU	*u;
	char	*text;

	if (h->url_text == NULL || strcmp(h->url_text, url) != 0) {
		if ((u = curl_url()) == NULL)
			return NULL;
		/* The flags curl parses CURLOPT_URL with. */
		if (curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME |
		    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK || (text = strdup(url)) == NULL) {
			curl_url_cleanup(u);
			return NULL;
		}
		curl_url_cleanup(h->url);
		free(h->url_text);
		h->url = u;
		h->url_text = text;
	}
	return curl_url_dup(h->url);
}

static void
free_list(struct ia_xfer *x)
{
	struct ia_xfer	*next;

	for (; x != NULL; x = next) {
		next = x->next;
		ia_http_xfer_free(x);
	}
}

/* Wipe the Authorization header from a list before curl frees it. */
static void
free_headers(struct curl_slist *l)
{
	struct curl_slist	*p;

	for (p = l; p != NULL; p = p->next) {
		if (strncasecmp(p->data, "Authorization:", 14) == 0)
			explicit_bzero(p->data, strlen(p->data));
	}
	curl_slist_free_all(l);
}

/* Free the engine and every transfer it still holds (not their udata). */
void
ia_http_free(struct ia_http *h)
{
	struct ia_xfer	*x;

	if (h == NULL)
		return;
	for (x = h->running; x != NULL; x = x->next)
		easy_put(h, x);
	free_list(h->running);
	free_list(h->ready);
	free_list(h->waiting);
	free_list(h->done);
	while (h->nidle > 0)
		curl_easy_cleanup(h->idle[--h->nidle]);
	free(h->idle);
	curl_url_cleanup(h->url);
	free(h->url_text);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free_headers(h->hdr_get);
	free_headers(h->hdr_post);
	free(h);
}

void
ia_http_submit(struct ia_http *h, struct ia_xfer *x)
{
	x->next = NULL;
	x->status = 0;
	x->attempts = 0;
	x->error[0] = '\0';
	x->retry_after = -1;
	x->start_at = 0;
	x->first_at = 0;
	if (h->ready_tail != NULL)
		h->ready_tail->next = x;
	else
		h->ready = x;
	h->ready_tail = x;
	h->nready++;
}

size_t
ia_http_pending(const struct ia_http *h)
{
	return h->nready + h->nrunning + h->nwaiting + h->ndone;
}

/* How many -j's worth of transfers may be queued, counting retries that wait. */
#define WAIT_ROOM	4

/*
 * Room for one more: fewer than -j queued or running, and fewer than
 * WAIT_ROOM times -j counting retries that wait.  What a rate limit
 * refused (all that was in flight) waits out its Retry-After while the
 * rest goes on at the pace, instead of holding every slot for that long;
 * a storm of 429s still stops the tool reading input at that bound,
 * instead of growing a queue.
 */
bool
ia_http_has_room(const struct ia_http *h)
{
	size_t	 busy = h->nready + h->nrunning, jobs = (size_t)h->cfg->jobs;

	return busy < jobs && busy + h->nwaiting < WAIT_ROOM * jobs;
}

struct ia_xfer *
ia_http_next_done(struct ia_http *h)
{
	struct ia_xfer	*x;

	if ((x = h->done) == NULL)
		return NULL;
	if ((h->done = x->next) == NULL)
		h->done_tail = NULL;
	x->next = NULL;
	h->ndone--;
	return x;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct ia_xfer	*x = arg;

	n *= size;
	if (x->resp.len + n > IA_MAX_RESPONSE) {
		snprintf(x->error, sizeof(x->error),
		    "response larger than %u MiB", IA_MAX_RESPONSE >> 20);
		return 0;
	}
	return ia_buf_add(&x->resp, p, n) == -1 ? 0 : n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct ia_xfer	*x = arg;
	char		 v[128];
	size_t		 len;

	n *= size;
	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		len = n - 12 < sizeof(v) - 1 ? n - 12 : sizeof(v) - 1;
		memcpy(v, p + 12, len);
		v[len] = '\0';
		x->retry_after = ia_http_retry_after(v, time(NULL), IA_RETRY_AFTER_CAP);
	}
	return n;
}

/*
 * Blank out the key wherever a server echoed it back ("Incorrect API key
 * provided: ..."), and control characters, which could drive a terminal.
 */
static void
sanitize(const struct ia_http *h, char *s)
{
	const char	*key = h->cfg->api_key;
	size_t		 klen = key != NULL ? strlen(key) : 0;
	char		*p;

	if (klen >= 4)
		for (p = s; (p = strstr(p, key)) != NULL; p += klen)
			memset(p, '*', klen);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
}

/* Show a body on the log, cut short, on one line. */
static void
log_body(const struct ia_http *h, const char *dir, const char *p, size_t len)
{
	char	 buf[LOG_BODY_MAX + 1];
	size_t	 n = len > LOG_BODY_MAX ? LOG_BODY_MAX : len;

	memcpy(buf, p, n);
	buf[n] = '\0';
	sanitize(h, buf);
	fprintf(h->log, "ia: %s %s", dir, buf);
	if (n < len)
		fprintf(h->log, "... (%zu bytes)", len);
	fputc('\n', h->log);
}

void
ia_http_describe(const struct ia_http *h, const struct ia_xfer *x, FILE *fp)
{
	const struct curl_slist	*l;

	fprintf(fp, "%s %s%s\n", x->method, h->cfg->base_url, x->path);
	l = strcmp(x->method, "POST") == 0 ? h->hdr_post : h->hdr_get;
	for (; l != NULL; l = l->next) {
		if (strncasecmp(l->data, "Authorization:", 14) == 0)
			fprintf(fp, "Authorization: Bearer <redacted>\n");
		else if (strcmp(l->data, "Expect:") != 0)
			fprintf(fp, "%s\n", l->data);
	}
	if (x->body != NULL)
		fprintf(fp, "\n%s\n", x->body);
}

static int
start(struct ia_http *h, struct ia_xfer *x)
{
	CURL	*e;
	char	*url = NULL;
	int	 post = strcmp(x->method, "POST") == 0;

	if (asprintf(&url, "%s%s", h->cfg->base_url, x->path) == -1 ||
	    (e = easy_get(h)) == NULL) {
		if (url != NULL)
			free(url);
		return -1;
	}
	x->easy = e;
	x->attempts++;
	x->sent_at = ia_time_now();
	if (x->first_at == 0)
		x->first_at = x->sent_at;
	x->retry_after = -1;
	x->error[0] = '\0';
	ia_buf_free(&x->resp);
	curl_url_cleanup(x->curlu);
	if ((x->curlu = parsed_url(h, url)) != NULL)
		curl_easy_setopt(e, CURLOPT_CURLU, x->curlu);
	else {
		curl_easy_setopt(e, CURLOPT_CURLU, NULL);
		curl_easy_setopt(e, CURLOPT_URL, url);
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, post ? h->hdr_post : h->hdr_get);
	if (post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(x->body ? strlen(x->body) : 0));
	} else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	/*
	 * Compressed answers for GETs, which can be large; a POST's answer is
	 * an id, and curl's decoding costs about a twentieth of a transfer.
	 */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, post ? NULL : "");
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	x->neterr[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->neterr);
	if (h->log != NULL) {
		fprintf(h->log, "ia: > %s %s (attempt %d)\n", x->method, url, x->attempts);
		if (h->cfg->api_key != NULL)
			fprintf(h->log, "ia: > Authorization: Bearer <redacted>\n");
		if (x->body != NULL)
			log_body(h, ">", x->body, strlen(x->body));
	}
	free(url);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		curl_url_cleanup(x->curlu);
		x->curlu = NULL;
		return -1;
	}
	x->next = h->running;
	h->running = x;
	h->nrunning++;
	return 0;
}

static void
push_done(struct ia_http *h, struct ia_xfer *x)
{
	x->next = NULL;
	if (h->done_tail != NULL)
		h->done_tail->next = x;
	else
		h->done = x;
	h->done_tail = x;
	h->ndone++;
}

static void
push_waiting(struct ia_http *h, struct ia_xfer *x)
{
	struct ia_xfer	**pp;

	for (pp = &h->waiting; *pp != NULL && (*pp)->start_at <= x->start_at;
	    pp = &(*pp)->next)
		;
	x->next = *pp;
	*pp = x;
	h->nwaiting++;
}

/*
 * How many may run at once: none once the key is refused, one until it has
 * been seen to work (a wrong key then costs one request, not one per line
 * of input), then -j.
 */
static size_t
running_cap(const struct ia_http *h)
{
	if (h->refused != 0)
		return 0;
	return h->trusted ? (size_t)h->cfg->jobs : 1;
}

/* Start what may start: retries that are due first, then new transfers. */
static void
start_ready(struct ia_http *h)
{
	struct ia_xfer	*x;
	double		 now = ia_time_now();

	while (h->nrunning < running_cap(h)) {
		if ((h->waiting == NULL || h->waiting->start_at > now) &&
		    h->ready == NULL)
			break;
		if (ia_pace_paused(&h->pace, now) && h->nrunning > 0)
			break;
		if (!ia_pace_start(&h->pace, now))
			break;
		if (h->waiting != NULL && h->waiting->start_at <= now) {
			x = h->waiting;
			h->waiting = x->next;
			h->nwaiting--;
		} else if (h->ready != NULL) {
			x = h->ready;
			if ((h->ready = x->next) == NULL)
				h->ready_tail = NULL;
			h->nready--;
		} else
			break;
		x->next = NULL;
		if (start(h, x) == -1) {
			snprintf(x->error, sizeof(x->error), "cannot start a transfer: out of memory");
			x->status = 0;
			push_done(h, x);
		}
	}
}

/* The message of an API error body {"error": {"message"}}, else the body. */
static void
error_from_body(struct ia_xfer *x, long status)
{
	jv	 v, e, m = jv_invalid();

	v = x->resp.len > 0 && x->resp.len < INT32_MAX ?
	    jv_parse_sized(x->resp.data, (int)x->resp.len) : jv_invalid();
	/* libjq 1.6 asserts on jv_object_get of a non-object: check each level. */
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		e = jv_object_get(jv_copy(v), jv_string("error"));
		if (jv_get_kind(e) == JV_KIND_OBJECT)
			m = jv_object_get(e, jv_string("message"));
		else
			jv_free(e);
	}
	if (jv_get_kind(m) == JV_KIND_STRING)
		snprintf(x->error, sizeof(x->error), "HTTP %ld: %s", status, jv_string_value(m));
	else if (x->resp.len > 0)
		snprintf(x->error, sizeof(x->error), "HTTP %ld: %.*s", status,
		    (int)(x->resp.len > 200 ? 200 : x->resp.len), x->resp.data);
	else
		snprintf(x->error, sizeof(x->error), "HTTP %ld", status);
	jv_free(m);
	jv_free(v);
}

/* A transfer came back from curl: hand it back, or requeue it for a retry. */
static void
finish(struct ia_http *h, struct ia_xfer *x, CURLcode rc)
{
	struct ia_xfer	**pp;
	long		 status = 0;
	double		 now = ia_time_now(), delay, r;
	bool		 retry, cut;
	char		 why[256];

	for (pp = &h->running; *pp != NULL && *pp != x; pp = &(*pp)->next)
		;
	if (*pp == x) {
		*pp = x->next;
		h->nrunning--;
	}
	x->next = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_WRITE_ERROR && status != 0 && x->error[0] != '\0') {
		/* on_body refused it: say what the server answered. */
		snprintf(why, sizeof(why), "HTTP %ld: %.200s", status, x->error);
		memcpy(x->error, why, sizeof(x->error));
	}
	/*
	 * A 2xx whose body ran past the cap is a 2xx that cannot be read: the
	 * work behind a POST may exist, so it is handed back as it is, not
	 * retried as a network error.  Otherwise no answer means status 0.
	 */
	cut = rc == CURLE_WRITE_ERROR && status >= 200 && status < 300 &&
	    x->error[0] != '\0';
	if (rc != CURLE_OK && !cut)
		status = 0;
	easy_put(h, x);
	x->status = status;

	if (cut) {
		retry = false;
		ia_buf_free(&x->resp);	/* not read: parsing it would cost more */
	}
	else if (rc != CURLE_OK) {
		if (x->error[0] == '\0')	/* else on_body's own reason */
			snprintf(x->error, sizeof(x->error), "%s", x->neterr[0] != '\0' ?
			    x->neterr : curl_easy_strerror(rc));
		retry = curl_retryable(rc);
	} else if (status >= 200 && status < 300) {
		x->error[0] = '\0';
		retry = false;
	} else {
		error_from_body(x, status);
		retry = ia_http_retryable(status);
	}
	r = ia_pace_answer(&h->pace, status, x->sent_at, now,
	    h->nready + h->nrunning + h->nwaiting + 1);
	if (r > 0 && h->log != NULL)
		fprintf(h->log, "ia: HTTP 429: pacing to %.1f requests a second\n", r);
	else if (r < 0 && h->log != NULL)
		fprintf(h->log, "ia: HTTP 429s at any pace, no limit: pace undone\n");
	if (status == 401 || status == 403) {
		h->refused = status;
		memcpy(h->refusal, x->error, sizeof(h->refusal));
		sanitize(h, h->refusal);
	} else if (status >= 200 && status < 500)
		h->trusted = true;	/* the server read the key: a proxy's 502 does not say */
	if (h->log != NULL) {
		if (status != 0)
			fprintf(h->log, "ia: < HTTP %ld", status);
		else
			fprintf(h->log, "ia: < no answer: %s", x->error);
		fprintf(h->log, " (%s %s%s, %.3f s, %zu bytes)\n", x->method,
		    h->cfg->base_url, x->path, now - x->sent_at, x->resp.len);
		if (x->resp.len > 0)
			log_body(h, "<", x->resp.data, x->resp.len);
	}
	sanitize(h, x->error);
	if (retry && x->attempts <= h->cfg->retries) {
		delay = ia_http_backoff(x->attempts, ia_rand_next(&h->rng));
		if (x->retry_after > delay)
			delay = x->retry_after;
		if (now + delay - x->first_at <= IA_RETRY_BUDGET) {
			if (h->log != NULL)
				fprintf(h->log, "ia: retry %d of %d in %.2f s: %s\n",
				    x->attempts, h->cfg->retries, delay, x->error);
			x->start_at = now + delay;
			ia_buf_free(&x->resp);	/* not held while it waits */
			push_waiting(h, x);
			return;
		}
	}
	if (retry && x->attempts > 1) {
		snprintf(why, sizeof(why), "%.200s (gave up after %d attempts)", x->error,
		    x->attempts);
		memcpy(x->error, why, sizeof(x->error));
	}
	push_done(h, x);
}

static void
reap(struct ia_http *h)
{
	CURLMsg		*msg;
	struct ia_xfer	*x;
	char		*p;
	int		 left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		x = (struct ia_xfer *)(void *)p;
		if (x != NULL)
			finish(h, x, msg->data.result);
	}
}

int
ia_http_poll(struct ia_http *h, void *extra, unsigned nextra, int timeout_ms)
{
	double	 wait, next, now;
	int	 still, n;

	start_ready(h);
	if (curl_multi_perform(h->multi, &still) != CURLM_OK)
		return -1;
	reap(h);
	start_ready(h);
	if (h->ndone > 0)
		timeout_ms = 0;
	/*
	 * A retry not yet due wakes the loop when it is.  One due but not
	 * started waits for a slot (a transfer's end) or for the pace (below),
	 * not a timer of 0 that would spin the loop.
	 */
	now = ia_time_now();
	if (h->waiting != NULL && h->nrunning < running_cap(h) &&
	    h->waiting->start_at > now) {
		wait = (h->waiting->start_at - now) * 1000;
		if (wait < timeout_ms || timeout_ms < 0)
			timeout_ms = (int)ceil(wait);
	}
	/* Work held back by the pace waits for its slot. */
	if ((next = ia_pace_next(&h->pace, now)) >= 0 &&
	    h->nrunning < running_cap(h) &&
	    (h->ready != NULL ||
	    (h->waiting != NULL && h->waiting->start_at <= next))) {
		wait = (next - now) * 1000;
		if (wait < timeout_ms || timeout_ms < 0)
			timeout_ms = wait < 0 ? 0 : (int)ceil(wait);
	}
	if (timeout_ms < 0)
		timeout_ms = 1000;
	if (curl_multi_poll(h->multi, extra, nextra, timeout_ms, &n) != CURLM_OK)
		return -1;
	if (curl_multi_perform(h->multi, &still) != CURLM_OK)
		return -1;
	reap(h);
	start_ready(h);
	return 0;
}

/*
 * Stop everything: each transfer not yet handed back is, at once, with
 * status 0 and "cancelled", so that the tool can save what each stood for.
 */
void
ia_http_cancel(struct ia_http *h)
{
	struct ia_xfer	*x, *next;
	struct ia_xfer	*lists[3] = { h->running, h->waiting, h->ready };
	int		 i;

	h->running = h->waiting = h->ready = h->ready_tail = NULL;
	h->nrunning = h->nwaiting = h->nready = 0;
	for (i = 0; i < 3; i++)
		for (x = lists[i]; x != NULL; x = next) {
			next = x->next;
			easy_put(h, x);
			x->status = 0;
			snprintf(x->error, sizeof(x->error), "cancelled");
			push_done(h, x);
		}
}

long
ia_http_refused(const struct ia_http *h, const char **why)
{
	if (why != NULL)
		*why = h->refusal;
	return h->refused;
}

/* JSON's white space, which libjq skips too. */
static size_t
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

/* A string of printable ASCII but " and \ at p[i]: its end, or 0. */
static size_t
plain_string(const char *p, size_t i, size_t n)
{
	if (i >= n || p[i] != '"')
		return 0;
	for (i++; i < n && p[i] != '"'; i++)
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\')
			return 0;
	return i < n ? i + 1 : 0;
}

/*
 * The answer in its usual form, {"key": "value"}, read without libjq: an
 * object whose members all have plain strings (printable ASCII, no
 * escapes) for keys and values, with white space anywhere.  The last
 * member of that key is taken, as libjq takes it.  False when the answer
 * is of any other form, which is left to jv_parse_sized(): on its own
 * ground this reads what jv_parse_sized() would, and a full parse costs
 * some 5,000 instructions more.
 */
static bool
plain_answer(const char *p, size_t n, const char *key, jv *v)
{
	size_t	 i, k, ke, e, klen = strlen(key), vat = 0, vlen = 0;
	bool	 found = false;

	if ((i = skip_ws(p, 0, n)) >= n || p[i] != '{')
		return false;
	for (i++;;) {
		k = skip_ws(p, i, n);
		if ((ke = plain_string(p, k, n)) == 0)
			return false;
		i = skip_ws(p, ke, n);
		if (i >= n || p[i] != ':')
			return false;
		i = skip_ws(p, i + 1, n);
		if ((e = plain_string(p, i, n)) == 0)
			return false;
		if (ke - k - 2 == klen && memcmp(p + k + 1, key, klen) == 0) {
			found = true;
			vat = i + 1;
			vlen = e - i - 2;
		}
		i = skip_ws(p, e, n);
		if (i < n && p[i] == ',') {
			i++;
			continue;
		}
		if (i >= n || p[i] != '}' || skip_ws(p, i + 1, n) != n)
			return false;
		break;
	}
	*v = found && vlen > 0 ? jv_string_sized(p + vat, (int)vlen) : jv_invalid();
	return true;
}

/*
 * What a tool wants of a 2xx answer: one non-empty string field of a JSON
 * object ("id", "groupId").  jv_invalid() for anything else, so that an
 * answer that cannot be read is never taken for an id.
 */
jv
ia_http_answer(const struct ia_xfer *x, const char *key)
{
	jv	 v;

	if (x->status < 200 || x->status > 299 || x->resp.len > INT32_MAX)
		return jv_invalid();
	if (x->resp.data != NULL && plain_answer(x->resp.data, x->resp.len, key, &v))
		return v;
	v = ia_record_field(jv_parse_sized(x->resp.data ? x->resp.data : "",
	    (int)x->resp.len), key);
	if (jv_get_kind(v) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(v)) == 0) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}
