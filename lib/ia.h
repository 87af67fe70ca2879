/*
 * libia: the library shared by the ia tools.
 *
 * Ownership follows jq's jv.h: every function taking a jv consumes it;
 * jv_copy() what you keep.  Library code returns errors (as -1 with a
 * message in a caller's buffer, or as data); it never prints on its own
 * account or exits.  Where it writes, it writes to a stream the caller gave.
 */
#ifndef IA_H
#define IA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jv.h>

#define IA_VERSION	"0.1.0"

/* Exit statuses shared by every tool. */
#define IA_EXIT_OK	0	/* every record succeeded */
#define IA_EXIT_FAILED	1	/* some record ended as an error or Failed */
#define IA_EXIT_USAGE	2	/* usage or system error */

/* buf.c: a growable byte buffer, always NUL-terminated once used. */
struct ia_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

int	 ia_buf_add(struct ia_buf *, const void *, size_t);
int	 ia_buf_adds(struct ia_buf *, const char *);
int	 ia_buf_addf(struct ia_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*ia_buf_steal(struct ia_buf *);
void	 ia_buf_free(struct ia_buf *);

/* duration.c: "1.5", "500ms", "2s", "2m", "72h", "1d" -> seconds. */
int	 ia_duration_parse(const char *, double *);

/* request.c: what kind of completion a request body is, and whether it is one. */
enum ia_kind {
	IA_KIND_NONE,
	IA_KIND_CHAT,
	IA_KIND_TEXT
};

enum ia_kind	 ia_request_kind(jv);
const char	*ia_request_kind_name(enum ia_kind);
int		 ia_request_check(jv, enum ia_kind, char *, size_t);

/*
 * config.c: what every tool shares: the key, the base URL, the HTTP knobs
 * and the shared flags.  A tool's getopt_long loop hands each option it does
 * not know to ia_config_option(); after the loop, ia_config_finish() reads
 * the environment and the key file, before any I/O.
 */
#define IA_DEFAULT_BASE_URL	"https://api.inference.net"
#define IA_DEFAULT_JOBS		16
#define IA_DEFAULT_TIMEOUT	60.0		/* seconds per HTTP request */
#define IA_DEFAULT_RETRIES	8
#define IA_DEFAULT_MAX_LINE	(16u << 20)	/* bytes */
#define IA_CONNECT_TIMEOUT	10.0		/* seconds */
#define IA_RETRY_BUDGET		900.0		/* seconds from first attempt */
#define IA_MAX_RESPONSE		(64u << 20)	/* bytes */

struct ia_config {
	char		*api_key;	/* never printed, never in argv */
	char		*base_url;	/* without a trailing slash */
	const char	*api_key_file;	/* --api-key-file, else NULL */
	const char	*base_url_opt;	/* --base-url, else NULL */
	int		 jobs;		/* -j: requests in flight at most */
	int		 verbose;	/* -v */
	int		 quiet;		/* -q */
	double		 timeout;	/* --timeout, seconds */
	int		 retries;	/* --retries */
	size_t		 max_line;	/* --max-line, bytes */
	bool		 need_key;	/* ia_config_finish() requires a key */
};

/*
 * The short and long options every tool shares, for getopt_long: append
 * IA_CONFIG_SHORTOPTS to a tool's optstring and IA_CONFIG_LONGOPTS (before
 * the terminating zero entry) to its longopts.
 */
#define IA_CONFIG_SHORTOPTS	"hj:qVv"
enum {
	IA_OPT_BASE_URL = 1000, IA_OPT_API_KEY_FILE, IA_OPT_TIMEOUT,
	IA_OPT_RETRIES, IA_OPT_MAX_LINE
};
#define IA_CONFIG_LONGOPTS \
	{ "base-url",		required_argument, NULL, IA_OPT_BASE_URL }, \
	{ "api-key-file",	required_argument, NULL, IA_OPT_API_KEY_FILE }, \
	{ "timeout",		required_argument, NULL, IA_OPT_TIMEOUT }, \
	{ "retries",		required_argument, NULL, IA_OPT_RETRIES }, \
	{ "max-line",		required_argument, NULL, IA_OPT_MAX_LINE }, \
	{ "help",		no_argument,       NULL, 'h' }, \
	{ "version",		no_argument,       NULL, 'V' }

void	 ia_config_init(struct ia_config *);
/* 1: handled; 0: not a shared option; -1: bad value (message in err). */
int	 ia_config_option(struct ia_config *, int, const char *, char *, size_t);
/* Environment, key file, URL checks: 0, or -1 with a message in err. */
int	 ia_config_finish(struct ia_config *, char *, size_t);
void	 ia_config_free(struct ia_config *);
/* Whether url (scheme://host...) may be used: https, or http to loopback. */
int	 ia_config_check_url(const char *, char *, size_t);

/*
 * record.c: NDJSON in and out.
 *
 * The reader never blocks: the event loop calls ia_reader_fill() when the fd
 * is readable (or always, for a regular file), then takes whole lines with
 * ia_reader_next().  Line numbers count every line, empty ones included;
 * CRLF is taken as LF; a last line without a newline is a line; empty and
 * blank lines are skipped; a line longer than max_line is returned as
 * IA_LINE_TOO_LONG (its bytes are discarded as they arrive, never held).
 */
struct ia_reader {
	int		 fd;
	struct ia_buf	 buf;
	size_t		 off;		/* start of the unread part of buf */
	size_t		 max_line;
	long		 lineno;	/* of the last line returned */
	bool		 eof;
	bool		 pollable;	/* not a regular file: poll before read */
	bool		 skipping;	/* inside an over-long line */
	size_t		 skipped;	/* length so far of the line being read */
};

enum ia_line_status {
	IA_LINE_NONE,		/* no whole line buffered; fill and retry */
	IA_LINE_OK,
	IA_LINE_TOO_LONG,
	IA_LINE_EOF		/* input ended and every line was returned */
};

struct ia_line {
	const char	*text;	/* not NUL-terminated in general; valid until the
				   next ia_reader_next() or ia_reader_fill();
				   NULL (and len 0) for IA_LINE_TOO_LONG */
	size_t		 len;
	long		 lineno;
};

void	 ia_reader_init(struct ia_reader *, int, size_t);
/*
 * Read what is there, at most one read(2), never blocking: a pipe or a
 * terminal is polled first (the fd is not made O_NONBLOCK, which would leak
 * to every process sharing it).  1: call ia_reader_next() (bytes came, input
 * ended and eof is set, or a line is already buffered and nothing was read);
 * 0: nothing yet; -1: error, with errno.  It never reads ahead of a buffered
 * line, so a tool must not poll the fd while it is not taking lines.
 */
int	 ia_reader_fill(struct ia_reader *);
enum ia_line_status ia_reader_next(struct ia_reader *, struct ia_line *);
/* Free the buffer; the fd is the caller's and stays open. */
void	 ia_reader_free(struct ia_reader *);

/*
 * Write one record as one line and flush it.  0, or -1 with errno (EPIPE
 * when the reader went away: the tool should then stop quietly).
 */
int	 ia_record_write(FILE *, jv);
/* At exit: flush and close, so that a full disk is an error. 0 or -1. */
int	 ia_record_close(FILE *);

/* The custom_id a record carries: metadata.custom_id, else a batch line's
 * custom_id; strings as they are, numbers printed; else jv_invalid(). */
jv	 ia_record_custom_id(jv);

/*
 * An error record, the one shape every tool writes:
 * {"custom_id", "error": {"stage", "status", "message", "attempts"},
 *  "request", "line"}.  custom_id may be NULL, status 0 and line 0 mean
 * unknown (null), request may be jv_null().
 */
jv	 ia_record_error(const char *, const char *, long, const char *, int, jv, long);
bool	 ia_record_is_error(jv);

/*
 * custom_id bookkeeping for a run: which ids were seen (to refuse a
 * duplicate) and ids for records that carry none.  An assigned id is a hash
 * of the request's canonical JSON, so it is the same when the same input is
 * run again, with a -2, -3 ... suffix when the same request comes again.
 */
struct ia_ids {
	char	**slots;
	size_t	  cap;
	size_t	  count;
};

void	 ia_ids_init(struct ia_ids *);
/* 1 added, 0 already present, -1 out of memory. */
int	 ia_ids_add(struct ia_ids *, const char *);
bool	 ia_ids_has(const struct ia_ids *, const char *);
/* A new id for req (consumed), added to the set; NULL when out of memory. */
char	*ia_ids_assign(struct ia_ids *, jv);
void	 ia_ids_free(struct ia_ids *);

/*
 * result.c: what a record of a results stream is.  Generations (Success,
 * Failed, still running), error records, ia-collect's own answers, OpenAI
 * Batch output lines, ia-submit's {"custom_id", "id"} and ia-group's group
 * records are told apart; anything else is IA_RESULT_OTHER.
 */
enum ia_result_kind {
	IA_RESULT_OTHER,	/* not a record of ours */
	IA_RESULT_PENDING,	/* submitted, or running: no answer yet */
	IA_RESULT_SUCCESS,
	IA_RESULT_FAILURE
};

struct ia_result {
	enum ia_result_kind kind;
	jv	 custom_id;	/* string, or invalid */
	jv	 answer;	/* SUCCESS: {"custom_id", "content", "finish_reason",
				   "usage"}; FAILURE: an error record */
	jv	 id;		/* the generation's (or group's) id, or invalid */
	jv	 response;	/* SUCCESS: the completion, when known */
	jv	 custom_ids;	/* a group record's list, or invalid */
	bool	 group;		/* a group record: id is the group's */
	double	 dispatched;	/* epoch seconds, or -1 */
	double	 finished;
};

/* Read rec (consumed) into r; ia_result_free() it after. */
void	 ia_result_read(jv, struct ia_result *);
void	 ia_result_free(struct ia_result *);
/* An ISO 8601 time as epoch seconds, or -1. */
double	 ia_result_time(jv);
/* Add to the set each custom_id with a successful result in a file. */
long	 ia_result_load_done(const char *, struct ia_ids *, char *, size_t);

/*
 * input.c: the input forms that ia-submit and ia-group share.  One input line
 * gives zero or more items (a -e program may yield several values); each is a
 * request ready to send, with its kind and custom_id (also set as
 * metadata.custom_id), or an error record of stage "input".
 */
struct ia_input {
	const char	*filter;	/* -e */
	const char	*skip_done;	/* --skip-done FILE */
	bool		 text;		/* -t: each line is a prompt */
	const char	*model;		/* -m: fills a missing model */
	const char	*system;	/* --system: with -t, a system message first */
	const char	*webhook_id;	/* --webhook-id: metadata.webhook_id */
	const char	*file;		/* named in messages; NULL for stdin */
	struct ia_jq	*jq;		/* -e: the compiled program */
	struct ia_ids	 ids;		/* custom_ids seen in this run */
	struct ia_ids	*skip;		/* --skip-done: custom_ids answered, or NULL */
	unsigned long	 skipped;	/* requests passed over for skip */
};

struct ia_item {
	enum ia_kind	 kind;		/* IA_KIND_NONE for an error record */
	jv		 request;	/* the request to send, or the error record */
	char		*custom_id;	/* NULL for an error record without one */
	long		 line;
};

/*
 * The input options ia-submit and ia-group share, for getopt_long, as with
 * IA_CONFIG_SHORTOPTS and IA_CONFIG_LONGOPTS.
 */
#define IA_INPUT_SHORTOPTS	"e:m:t"
enum {
	IA_OPT_SYSTEM = 1100, IA_OPT_WEBHOOK_ID, IA_OPT_SKIP_DONE
};
#define IA_INPUT_LONGOPTS \
	{ "system",		required_argument, NULL, IA_OPT_SYSTEM }, \
	{ "webhook-id",		required_argument, NULL, IA_OPT_WEBHOOK_ID }, \
	{ "skip-done",		required_argument, NULL, IA_OPT_SKIP_DONE }

/* 1: handled; 0: not an input option; -1: bad value (message in err). */
int	 ia_input_option(struct ia_input *, int, const char *, char *, size_t);
/*
 * After the options: check they go together, compile -e, read --skip-done.
 * 0, or -1 with a message in err.
 */
int	 ia_input_init(struct ia_input *, char *, size_t);
/* A -e program compiled, or NULL with a message in err. */
struct ia_jq;
struct ia_jq	*ia_jq_compile(const char *, char *, size_t);
void		 ia_jq_start(struct ia_jq *, jv);
jv		 ia_jq_next(struct ia_jq *);
/* Why ia_jq_next() ended (error or halt_error) as a string, else jv_invalid(). */
jv		 ia_jq_error(struct ia_jq *, jv);
void		 ia_jq_free(struct ia_jq *);
/* Call fn once per item of one line; fn takes over the item's contents. */
void	 ia_input_line(struct ia_input *, const char *, size_t, long,
	    void (*)(void *, struct ia_item *), void *);
/* An error record for a line over --max-line. */
jv	 ia_input_too_long(const char *, long, size_t);
/* Where a line is, for messages: "FILE:N" for a named file (not NULL), else "line N". */
const char *ia_where(const char *, long, char *, size_t);
void	 ia_input_free(struct ia_input *);
/* The route a request of a kind is POSTed to, alone or in a group. */
const char *ia_input_route(enum ia_kind, bool);

/* The files named as arguments ("-" is stdin), or stdin alone, in turn. */
struct ia_source {
	struct ia_reader  reader;
	char		**names;
	int		 *fds;
	int		  nfiles, cur;
	size_t		  max_line;
};

int	 ia_source_init(struct ia_source *, char **, int, size_t, char *, size_t);
enum ia_line_status ia_source_next(struct ia_source *, struct ia_line *);
const char *ia_source_name(const struct ia_source *);
int	 ia_source_fd(const struct ia_source *);
int	 ia_source_fill(struct ia_source *);
void	 ia_source_free(struct ia_source *);

/*
 * One turn of a tool's loop: run the HTTP engine and wait up to timeout_ms
 * for it, and, when want, for input too, which is then read.  0, or -1 with
 * a message in err.
 */
struct ia_http;
int	 ia_source_wait(struct ia_source *, struct ia_http *, bool, int, char *, size_t);

/*
 * http.c: the HTTP engine, one curl multi handle driven by the tool's loop.
 *
 * A tool fills a struct ia_xfer and hands it over with ia_http_submit(); the
 * engine runs at most cfg->jobs at once, retries network errors, 408, 429,
 * 500, 502, 503 and 504 with exponential backoff and full jitter (honouring
 * Retry-After), within cfg->retries and IA_RETRY_BUDGET, and hands back each
 * transfer once, when it is final, from ia_http_next_done().  A retry is
 * requeued with a start time; nothing ever sleeps but curl_multi_poll().
 */
struct ia_http;

struct ia_xfer {
	/* Set by the caller. */
	const char	*method;	/* "GET" or "POST" */
	char		*path;		/* owned: appended to the base URL */
	char		*body;		/* owned: request body, or NULL */
	void		*udata;		/* the caller's */

	/* Results, valid once the transfer is handed back. */
	long		 status;	/* HTTP status; 0 when none was received */
	struct ia_buf	 resp;		/* response body */
	int		 attempts;
	char		 error[256];	/* why it failed, when status is 0 or not 2xx */

	/* The engine's. */
	void		*easy;
	double		 start_at;	/* monotonic seconds: not before */
	double		 first_at;	/* monotonic seconds of the first attempt */
	double		 sent_at;
	double		 retry_after;	/* from the last answer, seconds, or -1 */
	char		 neterr[256];	/* curl's message (CURL_ERROR_SIZE) */
	struct ia_xfer	*next;
};

/* A transfer of method to path (both copied) with body (taken over, may be NULL). */
struct ia_xfer	*ia_xfer_new(const char *, const char *, char *);
/* The engine; log, when not NULL, gets each exchange (-v), key redacted. */
struct ia_http	*ia_http_new(const struct ia_config *, FILE *, char *, size_t);
void		 ia_http_free(struct ia_http *);
/* Queue a transfer (taken over until handed back; freed with the engine). */
void		 ia_http_submit(struct ia_http *, struct ia_xfer *);
/*
 * Run transfers and wait up to timeout_ms for progress on them or on the
 * extra fds (struct curl_waitfd *, may be NULL).  0, or -1 on a curl error.
 */
int		 ia_http_poll(struct ia_http *, void *, unsigned, int);
/* The next finished transfer, or NULL. */
struct ia_xfer	*ia_http_next_done(struct ia_http *);
/* Transfers queued, waiting for a retry or in flight. */
size_t		 ia_http_pending(const struct ia_http *);
/* Whether another transfer would start at once (under the -j cap). */
bool		 ia_http_has_room(const struct ia_http *);
void		 ia_xfer_free(struct ia_xfer *);
/* Print the request as it would be sent, key redacted (--dry-run, -v). */
void		 ia_http_describe(const struct ia_http *, const struct ia_xfer *, FILE *);

/* Retry-After, seconds or an HTTP date, as seconds from now, capped; -1 if bad. */
double		 ia_http_retry_after(const char *, time_t, double);
/* Whether an answer (HTTP status, or 0 for a network error) is worth retrying. */
bool		 ia_http_retryable(long);
/* Delay before retry number n (1-based): full jitter on 0.5 s * 2^(n-1), cap 30 s. */
double		 ia_http_backoff(int, double);
/* An id or other path segment, percent-encoded; NULL when out of memory. */
char		*ia_http_escape(const char *);
/* Monotonic seconds. */
double		 ia_now(void);

/*
 * poll.c: when to look at each thing being followed.  A min-heap of items by
 * due time; the loop takes the due ones while it has room under -j.  The
 * interval starts at --interval and grows by 1.5 up to --max-interval, with
 * jitter so that ids submitted together spread out.
 */
struct ia_sched_item {
	double		 due;		/* monotonic seconds */
	double		 interval;	/* the last wait, seconds */
	size_t		 slot;		/* in the heap, the scheduler's */
};

struct ia_sched {
	struct ia_sched_item	**heap;
	size_t			  len, cap;
};

void	 ia_sched_init(struct ia_sched *);
int	 ia_sched_add(struct ia_sched *, struct ia_sched_item *);
/* The earliest item, removed, if it is due by now; else NULL. */
struct ia_sched_item *ia_sched_pop_due(struct ia_sched *, double);
/* Seconds until the earliest item is due (0 if overdue), or -1 if none. */
double	 ia_sched_wait(const struct ia_sched *, double);
void	 ia_sched_free(struct ia_sched *);
/* The next wait after one of cur: x1.5, at most max, jittered by u in [0,1]. */
double	 ia_poll_backoff(double, double, double, double);

/*
 * progress.c: one self-updating line on a terminal (done, failed, in flight,
 * rate, ETA); nothing at all when the stream is not a terminal.
 */
struct ia_progress {
	FILE		*fp;		/* NULL: disabled */
	double		 started, last;
	bool		 shown;
};

void	 ia_progress_init(struct ia_progress *, FILE *, bool);
void	 ia_progress_update(struct ia_progress *, unsigned long, unsigned long, size_t, bool);
void	 ia_progress_done(struct ia_progress *);

/*
 * group.c: following a group, as data.  A tracker made from a group record,
 * {"group_id", "custom_ids"}, is fed each answer to GET
 * /v1/async/group/{id}/generations and says what it means: the generations
 * to print now, whether the group is done, and the records that end it or
 * carry it to the next run.  It does no I/O and reads no clock: the caller
 * gives the age and the options.
 */
struct ia_group {
	jv	 id;		/* the group's id, a non-empty string */
	jv	 listed;	/* the custom_ids followed, in their order; or
				   jv_null(): every generation of the group */
	jv	 awaited;	/* listed: {custom_id: true}, those not printed */
	jv	 printed;	/* not listed: {generation id: true}, those printed */
	long	 line;		/* of the group record */
	bool	 confirm;	/* none running, a listed one missing: look again */
};

/* What becomes of a group, or of an id, after an answer. */
enum ia_group_verdict {
	IA_GROUP_WAIT,		/* poll it again */
	IA_GROUP_DONE,		/* each generation followed is printed */
	IA_GROUP_GAVE_UP,	/* errors end what is left */
	IA_GROUP_KEPT		/* --once: pending carries what is left */
};

/* One answer to a poll, and the options that weigh on it. */
struct ia_group_poll {
	long		 status;	/* HTTP status; 0: none came */
	const char	*error;		/* why the GET failed; set when not 2xx */
	int		 attempts;	/* of the GET, retries included */
	double		 age;		/* seconds since it was first seen */
	double		 deadline;	/* --deadline, seconds */
	double		 grace;		/* --grace: an id alone may answer 404 so long */
	bool		 once;		/* --once */
};

/* What an answer means; each jv is an array, the caller's to free. */
struct ia_group_outcome {
	enum ia_group_verdict verdict;
	jv	 print;		/* final generations to print now, custom_id first:
				   the input's, else request.metadata's, or null */
	jv	 errors;	/* error records of stage poll, to print */
	jv	 pending;	/* KEPT: records for the --pending file */
	jv	 running;	/* followed and not final: custom_ids for a listed
				   group, else generation ids */
	jv	 missing;	/* custom_ids listed, not printed, not in the listing */
};

/* A tracker for a group record (consumed) read at line: 0, or -1 with why in err. */
int	 ia_group_init(struct ia_group *, jv, long, char *, size_t);
void	 ia_group_free(struct ia_group *);
/* Take one answer: its parsed body (consumed), or jv_invalid() when none. */
struct ia_group_outcome ia_group_feed(struct ia_group *,
	    const struct ia_group_poll *, jv);
/*
 * The same for an id followed alone, as a group of one: the generation's
 * id, its custom_id (NULL when the input gave none) and input line.
 */
struct ia_group_outcome ia_group_feed_id(const char *, const char *, long,
	    const struct ia_group_poll *, jv);
/* How many generations the group stands for still, for a progress line. */
size_t	 ia_group_left(const struct ia_group *);
/*
 * The one ladder for ids and groups not final yet, age seconds after they
 * were first seen: KEPT with --once (the bool), else WAIT while age is
 * under limit, then GAVE_UP.
 */
enum ia_group_verdict ia_group_next(bool, double, double);

#endif /* IA_H */
