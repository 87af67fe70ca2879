/*
 * libia: the library shared by the ia tools.  The layers, each using only
 * the ones below it:
 *
 *	bin/<tool>.c	one tool: its options, its loop, what only it does
 *	bin/tool/	the tool layer: what every tool does that may print or
 *			exit (writing records, EPIPE, shared options and
 *			set-up, one loop turn, progress, dry runs)
 *	lib/		libia, this header: one concern a file, every exported
 *			name ia_<file>_<verb>; never prints, never exits
 *	libcurl, libjq
 *
 * The sections below follow the files of lib/, from the bottom up.
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
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jv.h>

#define IA_VERSION	"0.1.0"

/* Exit statuses shared by every tool. */
#define IA_EXIT_OK	0	/* every record succeeded */
#define IA_EXIT_FAILED	1	/* some record ended as an error or Failed */
#define IA_EXIT_USAGE	2	/* usage or system error */
#define IA_EXIT_PENDING	3	/* ia-poll --once: some work is still pending */

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

/*
 * option.c: a program's options as tables, one row an option: the row gives
 * getopt_long(3) its entry and --help its line, so that adding an option is
 * one row (and its case where it is handled).  A table ends with a row whose
 * help is NULL ({ 0 }).
 */
struct ia_option {
	int		 val;	/* what getopt_long returns; a character is
				   also the short option */
	const char	*name;	/* the long option, or NULL */
	const char	*arg;	/* the argument's name, or NULL: it takes none */
	const char	*help;	/* its line in --help */
	bool		 http;	/* only for a tool that makes HTTP requests */
};

struct option;
struct ia_option_set {
	char			 *shortopts;	/* for getopt_long */
	struct option		 *longopts;
	const struct ia_option	**rows;		/* in --help order */
	size_t			  n;
};

/*
 * Merge the tables of a NULL-ended list, in order: an option named by an
 * earlier table (its short or its long form) hides it in a later one, and
 * without http the rows only for HTTP are left out.  0, or -1 with errno.
 */
int	 ia_option_merge(struct ia_option_set *, const struct ia_option *const *,
	    bool);
/* One line per option, GNU style: "  -j n                 text". */
void	 ia_option_help(const struct ia_option_set *, FILE *);
void	 ia_option_free(struct ia_option_set *);

/* time.c: the clock. */
/* Monotonic seconds: every schedule and timeout runs on it. */
double	 ia_time_now(void);
/* An ISO 8601 time ("2025-11-03T10:15:02.113Z") as epoch seconds, or -1. */
double	 ia_time_parse(jv);
/* The same for a C string. */
double	 ia_time_parse_text(const char *);

/* rand.c: jitter, not secrets. */
uint64_t ia_rand_seed(void);
/* The next number in [0, 1) from a state (never 0). */
double	 ia_rand_next(uint64_t *);

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
/* The route a request of a kind is POSTed to, alone or in a group. */
const char	*ia_request_route(enum ia_kind, bool);

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
#define IA_RETRY_AFTER_CAP	60.0		/* the longest Retry-After honoured */
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
	double		 rate;		/* --rate: requests a second at most; 0: none */
	bool		 need_key;	/* ia_config_finish() requires a key */
};

/*
 * The options every tool shares (ia_config_option() takes them, but -h,
 * --help and -V, which the tool layer answers), as a table for
 * ia_option_merge().
 */
enum {
	IA_OPT_BASE_URL = 1000, IA_OPT_API_KEY_FILE, IA_OPT_TIMEOUT,
	IA_OPT_RETRIES, IA_OPT_MAX_LINE, IA_OPT_HELP, IA_OPT_RATE
};
extern const struct ia_option ia_config_options[];

void	 ia_config_init(struct ia_config *);
/* A rate, N[/s|/m|/h] (N > 0, at most 1e6 a second), as a number a second; -1 if bad. */
int	 ia_config_rate(const char *, double *);
/* 1: handled; 0: not a shared option; -1: bad value (message in err). */
int	 ia_config_option(struct ia_config *, int, const char *, char *, size_t);
/* Environment, key file, URL checks: 0, or -1 with a message in err. */
int	 ia_config_finish(struct ia_config *, char *, size_t);
void	 ia_config_free(struct ia_config *);
/* Whether url (scheme://host...) may be used: https, or http to loopback. */
int	 ia_config_check_url(const char *, char *, size_t);

/*
 * reader.c: NDJSON lines in.
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
	const char	*file;	/* the file it came from, for messages; NULL for
				   stdin alone (set by ia_source_next()) */
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
 * source.c: the files named as arguments ("-" is stdin), or stdin alone,
 * in turn.  Each line returned knows its file.
 */
struct ia_source {
	struct ia_reader  reader;
	char		**names;
	int		 *fds;
	int		  nfiles, cur;
	size_t		  max_line;
};

int	 ia_source_init(struct ia_source *, char **, int, size_t, char *, size_t);
enum ia_line_status ia_source_next(struct ia_source *, struct ia_line *);
/* The file being read, for messages: NULL for stdin alone, "(stdin)" for "-". */
const char *ia_source_name(const struct ia_source *);
int	 ia_source_fd(const struct ia_source *);
int	 ia_source_fill(struct ia_source *);
void	 ia_source_free(struct ia_source *);
/* Where a line is, for messages: "FILE:N" for a named file (not NULL), else "line N". */
const char *ia_source_where(const char *, long, char *, size_t);

/*
 * json.c: a value appended to b as jv_dump_string(v, 0) prints it (with
 * sorted, as jv_dump_string(v, JV_PRINT_SORTED)), byte for byte, only
 * cheaper.  0, or -1 (out of memory, or v invalid).
 */
int	 ia_json_dump(struct ia_buf *, jv, bool);
/* A string's bytes (valid UTF-8), as libjq prints the string; 0 or -1. */
int	 ia_json_string(struct ia_buf *, const char *, size_t);

/* record.c: records out, and what a record is. */
/*
 * Write one record as one line and flush it.  0, or -1 with errno (EPIPE
 * when the reader went away: the tool should then stop quietly).
 */
int	 ia_record_write(FILE *, jv);
/* At exit: flush and close, so that a full disk is an error. 0 or -1. */
int	 ia_record_close(FILE *);
/*
 * One input line as one JSON value, or jv_invalid() with a message: what
 * jv_parse_sized() gives, but never a value for a line that holds more
 * than it (libjq 1.6 takes a byte 0x1e, RS, for the end of the input).
 */
jv	 ia_record_parse(const char *, size_t);
/* Whether v is a string holding a NUL, which a C string would cut short. */
bool	 ia_record_has_nul(jv);
/*
 * Whether a record (consumed) read from a line (text, len) has a custom_id,
 * a request.metadata.custom_id or one in its custom_ids that holds a NUL.
 */
bool	 ia_record_nul_custom_id(const char *, size_t, jv);

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

/* obj[key], with null taken as missing (jv_invalid()); obj may be anything. */
jv	 ia_record_field(jv, const char *);

/*
 * What a record is: the one classifier every tool uses.  Checked in this
 * order: an error record; a generation (it has "state"); an OpenAI Batch
 * output line; ia-collect's answer; ia-group's group record (it has
 * "group_id"); ia-submit's acknowledgement (a non-empty string "id").
 */
enum ia_record_kind {
	IA_RECORD_OTHER,	/* not an object, or nothing of ours */
	IA_RECORD_ERROR,	/* {"custom_id", "error": {"stage", ...}, ...} */
	IA_RECORD_GENERATION,	/* {"id", "state", "request", "response", ...} */
	IA_RECORD_BATCH,	/* {"id", "custom_id", "response": {"status_code"}} */
	IA_RECORD_ANSWER,	/* {"custom_id", "content", "finish_reason", "usage"} */
	IA_RECORD_GROUP,	/* {"group_id", "custom_ids"} */
	IA_RECORD_ACK		/* {"custom_id", "id"} */
};

enum ia_record_kind ia_record_kind(jv);

/* A generation's state; the API's four, else UNKNOWN. */
enum ia_state {
	IA_STATE_UNKNOWN,
	IA_STATE_QUEUED,	/* "Queued" */
	IA_STATE_RUNNING,	/* "In Progress" */
	IA_STATE_SUCCESS,	/* "Success" */
	IA_STATE_FAILED		/* "Failed" */
};

/* The state of a generation (consumed). */
enum ia_state ia_record_state(jv);
/* Success or Failed: nothing more will happen to it. */
bool	 ia_record_final(enum ia_state);

/*
 * ids.c: custom_id bookkeeping for a run: which ids were seen (to refuse a
 * duplicate) and ids for records that carry none.  An assigned id is a hash
 * of the request's canonical JSON, so it is the same when the same input is
 * run again, with a -2, -3 ... suffix when the same request comes again.
 * The set holds a 64-bit fingerprint of each id, not the id: 11 to 21 bytes
 * an id, and two ids that share a fingerprint (a chance of about n^2 / 2^65
 * among n ids) are taken for one.
 */
struct ia_ids {
	uint64_t	 *slots;	/* fingerprints, 0 an empty slot */
	size_t		  cap;		/* slots: 0 or a power of two */
	size_t		  count;	/* ids in the set */
	uint64_t	 *next;		/* assigned ids that came again: pairs
					   of fingerprint, next -N to try */
	size_t		  ncap, ncount;
	/* ia_ids_fingerprint; a test may set another after ia_ids_init() */
	uint64_t	(*fingerprint)(const char *, size_t);
};

void	 ia_ids_init(struct ia_ids *);
/*
 * An id is len bytes (a NUL is one like any other).  1 added, 0 already
 * present, -1 out of memory.
 */
int	 ia_ids_add(struct ia_ids *, const char *, size_t);
bool	 ia_ids_has(const struct ia_ids *, const char *, size_t);
/* A new id for req (consumed), added to the set; NULL when out of memory. */
char	*ia_ids_assign(struct ia_ids *, jv);
void	 ia_ids_free(struct ia_ids *);
/* 64-bit FNV-1a of len bytes: fixed, since assigned ids are made from it. */
uint64_t ia_ids_hash(const char *, size_t);
/* XXH64 of len bytes, never 0: what the set keeps of an id. */
uint64_t ia_ids_fingerprint(const char *, size_t);

/* jq.c: -e programs.  A program compiled, or NULL with a message in err. */
struct ia_jq;

struct ia_jq	*ia_jq_compile(const char *, char *, size_t);
void		 ia_jq_start(struct ia_jq *, jv);
jv		 ia_jq_next(struct ia_jq *);
/* Why ia_jq_next() ended (error or halt_error) as a string, else jv_invalid(). */
jv		 ia_jq_error(struct ia_jq *, jv);
void		 ia_jq_free(struct ia_jq *);

/*
 * input.c: the input forms that ia-submit and ia-group share.  One input line
 * gives zero or more items (a -e program may yield several values); each is a
 * request ready to send, with its kind and custom_id (also set as
 * metadata.custom_id), or an error record of stage "input".
 */
#define IA_INPUT_MAX_SKIP	16	/* --skip-done files */

struct ia_input {
	const char	*filter;	/* -e */
	const char	*skip_done[IA_INPUT_MAX_SKIP];	/* --skip-done FILE ... */
	int		 nskip;
	const char	*journal;	/* --journal FILE (the tool layer keeps it) */
	bool		 text;		/* -t: each line is a prompt */
	const char	*model;		/* -m: fills a missing model */
	const char	*system;	/* --system: with -t, a system message first */
	const char	*webhook_id;	/* --webhook-id: metadata.webhook_id */
	struct ia_jq	*jq;		/* -e: the compiled program */
	struct ia_ids	 ids;		/* custom_ids seen in this run */
	struct ia_ids	 done;		/* --skip-done: custom_ids answered */
	struct ia_ids	 sent;		/* --skip-done: custom_ids submitted */
	unsigned long	 skipped_done;	/* requests passed over: answered */
	unsigned long	 skipped_sent;	/* requests passed over: submitted */
};

struct ia_item {
	enum ia_kind	 kind;		/* IA_KIND_NONE for an error record */
	jv		 request;	/* the request to send, or the error record */
	char		*custom_id;	/* NULL for an error record without one */
	long		 line;
};

/* The input options ia-submit and ia-group share, as a table. */
enum {
	IA_OPT_SYSTEM = 1100, IA_OPT_WEBHOOK_ID, IA_OPT_SKIP_DONE, IA_OPT_JOURNAL
};
extern const struct ia_option ia_input_options[];

/* 1: handled; 0: not an input option; -1: bad value (message in err). */
int	 ia_input_option(struct ia_input *, int, const char *, char *, size_t);
/*
 * After the options: check they go together, compile -e, read --skip-done.
 * 0, or -1 with a message in err.
 */
int	 ia_input_init(struct ia_input *, char *, size_t);
/*
 * Call fn once per item of one line; fn takes over the item's contents.
 * Messages name the line's file.
 */
void	 ia_input_line(struct ia_input *, const struct ia_line *,
	    void (*)(void *, struct ia_item *), void *);
/* An error record for a line over --max-line. */
jv	 ia_input_too_long(const struct ia_line *, size_t);
/*
 * A whole input read again as ia-submit read it (ia-collect --input): the
 * items that are requests, and the others, the first one's message kept.
 */
struct ia_input_tally {
	unsigned long	 requests, errors;
	char		 first[600];
};
void	 ia_input_tally(struct ia_input_tally *, const struct ia_item *);
/*
 * What the tally of a file (named, read with options given or not) says:
 * -1 when no line of it is a request (why in msg); 1 when some lines are
 * not (a note in msg); else 0.
 */
int	 ia_input_verdict(const struct ia_input_tally *, const struct ia_input *,
	    const char *, bool, char *, size_t);
void	 ia_input_free(struct ia_input *);

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
	jv	 request;	/* SUCCESS: the generation's request, or invalid */
	jv	 custom_ids;	/* a group record's list, or invalid */
	bool	 group;		/* a group record: id is the group's */
	double	 dispatched;	/* epoch seconds, or -1 */
	double	 finished;
};

/* Read rec (consumed) into r; ia_result_free() it after. */
void	 ia_result_read(jv, struct ia_result *);
void	 ia_result_free(struct ia_result *);
/*
 * Add to done each custom_id with a successful result in a file, and to
 * sent each one it says was submitted (an acknowledgement or a group
 * record, as a --journal holds).  The number added, or -1 with a message.
 */
long	 ia_result_load_done(const char *, struct ia_ids *, struct ia_ids *,
	    char *, size_t);

/*
 * scan.c: a Success generation's line read without a tree, for ia-collect,
 * or declined: whatever the scanner does not fully understand it leaves to
 * libjq (ia_collect_record(), ia_result_read()), and what it takes it reads
 * as they would.  A value of the line is kept as its text.
 */
struct ia_scan_value {
	const char	*text;		/* in the line; NULL: none (null) */
	size_t		 len;
	jv_kind		 kind;
};

struct ia_scan {
	const char	*custom_id;	/* decoded, custom_id_len bytes, no NUL */
	size_t		 custom_id_len;
	struct ia_scan_value cid;	/* the custom_id's text */
	const char	*id;		/* the generation's id decoded; NULL: none */
	size_t		 id_len;
	bool		 request_object; /* request is an object: request is set */
	uint64_t	 request;	/* its ia_scan_hash(), metadata left out */
	double		 dispatched, finished;	/* epoch seconds, or -1 */
	struct ia_scan_value content, finish, usage;	/* the answer's */
	double		 tok_prompt, tok_completion, tok_total;
	struct ia_buf	 buf;		/* the decoded strings; ia_scan_free() */
	struct ia_buf	 scratch;	/* those of a value put */
};

/*
 * 1: the line (bytes, length) is a Success generation, read into the scan
 * (zeroed before its first use), valid until the line goes; 0: it is not
 * one the scanner takes; -1: out of memory.
 */
int	 ia_scan_generation(struct ia_scan *, const char *, size_t);
/*
 * Append a value of the scanned line as jq prints it, compact (raw: a
 * string as it is, as jq -r).  0; 1: declined (a key twice, a number out
 * of range): print the line's tree instead; -1: out of memory.
 */
int	 ia_scan_put(struct ia_buf *, struct ia_scan *, const struct ia_scan_value *,
	    bool);
/*
 * A group's listing, {"generations": [...]}, as ia_scan_listing() finds it:
 * each generation's text, its id (NULL: none, or not a string) and its
 * request's metadata.custom_id (NULL: none, or empty; one not a string is
 * declined), decoded, no NUL; and whether its state is "Success" or
 * "Failed".  Valid while the text is and until the next scan.
 */
struct ia_scan_gen {
	const char	*text;
	size_t		 len;
	const char	*id;
	size_t		 id_len;
	const char	*custom_id;
	size_t		 custom_id_len;
	bool		 final;
};

struct ia_scan_listing {
	struct ia_scan_gen *gens;
	size_t		 n, cap;
	struct ia_buf	 buf;		/* the decoded strings */
};

/*
 * 1: the text is a listing read into l (zeroed before its first use);
 * 0: declined, as ia_scan_generation() declines (an element not an object
 * or a key read twice among them); -1: out of memory.
 */
int	 ia_scan_listing(struct ia_scan_listing *, const char *, size_t);
void	 ia_scan_free_listing(struct ia_scan_listing *);

/*
 * A hash of a value (consumed), the one the scanner makes of its text: the
 * same for any order of an object's keys and any spelling of its strings
 * and numbers.  An object's member named by the string (NULL: none) is
 * left out, at the top only.
 */
uint64_t ia_scan_hash(jv, const char *);
void	 ia_scan_free(struct ia_scan *);

/*
 * pace.c: keeping to a rate limit.  Starts are spaced 1/rate apart.  rate is
 * --rate (max), or 0 (none) until the server answers 429 to FIRST_CUT_RUN
 * requests (twice that for each cut undone, at most -j), none taken between
 * that was sent after one of them, and no fewer than it took among them,
 * while the tool has as much work as -j takes.
 * Then it is 95 % of what the server takes a second (a cut), at most 95 %
 * and at least half the pace before, and grows while no 429 comes, never
 * above max: by 2 % a second within 10 % under what the server took at the
 * last cut, by 10 % a second elsewhere, and no further than 99 % of the
 * limit found for a hold of 10 s after the cut, doubling up to 80 s each
 * time it is found again within 5 %.  What the server takes is measured
 * between two 429s a second or more apart (a bucket is empty at both),
 * else over the last second.  At most one cut a second, and only for a
 * 429 to a request sent after the last; after a tested cut (any but the
 * first of a run) only once the pace is back at what that one measured.
 * A tested cut after which 429s still come to requests sent since
 * (UNDO_RUN, UNDO_SHARE of their answers) is undone: back to max, all
 * measures forgotten.  After any 429, until one sent since is taken, new
 * starts pause for as long as an answer takes, then go one at a time, out
 * of a budget of a tenth of the time (ia_pace_paused).  Times are
 * monotonic seconds, given by the caller.
 */
struct ia_pace {
	double		 max;		/* --rate, or 0: none */
	int		 jobs;		/* -j */
	double		 rate;		/* now, or 0: not paced */
	double		 next_at;	/* the next start's slot */
	double		 cut_at;	/* the last cut, or -1 */
	double		 took_at_cut;	/* what the server took then, a second */
	double		 hold;		/* seconds after the cut it keeps under that */
	int		 recent;	/* 429s since one sent after a 429 was taken */
	unsigned long	 run_taken;	/* answers other than 429 among them */
	double		 paused_until;	/* new starts paused till then */
	double		 pause_budget;	/* seconds of pauses it may take */
	double		 pause_budget_at; /* counted then, or -1 */
	double		 srtt, rttvar;	/* latency, as TCP's; srtt < 0: none */
	double		 first_took;	/* the first answer other than 429, or -1 */
	double		 refused_at;	/* the last 429, or -1 */
	unsigned long	 took_since;	/* answers other than 429 since */
	double		 between;	/* what it took a second, 429 to 429 */
	double		 between_at;	/* measured then, or -1 */
	bool		 tested;	/* the last cut is tested (a later one) */
	int		 undone;	/* cuts undone so far, up to 8 */
	unsigned long	 after;		/* answers to requests sent since it */
	unsigned long	 refused_after;	/* 429s among them */
	unsigned	 took[10];	/* answers other than 429, per 100 ms */
	long		 took_slot[10];	/* the 100 ms slot each counts */
};

void	 ia_pace_init(struct ia_pace *, double, int);
/*
 * An answer (HTTP status, 0 for none) to a request sent at sent_at, now,
 * with work transfers in the tool counting this one (queued, running,
 * waiting): the new rate when it cut the pace, -1 when it undid the cuts
 * (the 429s were no limit), else 0.
 */
double	 ia_pace_answer(struct ia_pace *, long, double, double, size_t);
/* Whether a start may be now; if so, its slot is taken. */
bool	 ia_pace_start(struct ia_pace *, double);
/*
 * Whether nothing new should start now while requests are in flight: a 429
 * came, and what was in flight then may still answer.
 */
bool	 ia_pace_paused(const struct ia_pace *, double);
/* When the next start may be (its slot, or a pause's end), or -1: any time. */
double	 ia_pace_next(const struct ia_pace *, double);

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
	void		*curlu;		/* its URL, parsed, while it runs */
	double		 start_at;	/* monotonic seconds: not before */
	double		 first_at;	/* monotonic seconds of the first attempt */
	double		 sent_at;
	double		 retry_after;	/* from the last answer, seconds, or -1 */
	char		 neterr[256];	/* curl's message (CURL_ERROR_SIZE) */
	struct ia_xfer	*next;
};

/* A transfer of method to path (both copied) with body (taken over, may be NULL). */
struct ia_xfer	*ia_http_xfer_new(const char *, const char *, char *);
void		 ia_http_xfer_free(struct ia_xfer *);
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
/*
 * 401 or 403 once the server has refused the key (why: what it said), else
 * 0.  From then on the engine starts nothing: a tool should stop at once.
 * Until the first answer that is neither, it runs one transfer at a time.
 */
long		 ia_http_refused(const struct ia_http *, const char **);
/* Hand back every transfer at once, status 0, "cancelled": to stop early. */
void		 ia_http_cancel(struct ia_http *);
/* Transfers queued, waiting for a retry or in flight. */
size_t		 ia_http_pending(const struct ia_http *);
/* Whether another transfer would start at once (under the -j cap). */
bool		 ia_http_has_room(const struct ia_http *);
/* A non-empty string field of a 2xx JSON answer ("id"), else jv_invalid(). */
jv		 ia_http_answer(const struct ia_xfer *, const char *);
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

/*
 * sched.c: when to look at each thing being followed.  A min-heap of items by
 * due time; the loop takes the due ones while it has room under -j.  The
 * wait keeps the lag under half the age of the item, within --interval and
 * --max-interval, and is aimed by the durations seen in the run.
 */
struct ia_sched_entry {
	double		 due;		/* monotonic seconds */
	void		*item;		/* the caller's */
};

struct ia_sched {
	struct ia_sched_entry	 *heap;
	size_t			  len, cap;
	size_t			  learned;	/* durations seen */
	double			  dmin, dmax;	/* their shortest, longest */
};

void	 ia_sched_init(struct ia_sched *);
/* Schedule item (not NULL) at due: 0, or -1 when out of memory. */
int	 ia_sched_add(struct ia_sched *, double, void *);
/* The earliest item, removed, if it is due by now; else NULL. */
void	*ia_sched_pop_due(struct ia_sched *, double);
/* Each item due at fn(item, its due time, arg) instead, the order kept. */
void	 ia_sched_reaim(struct ia_sched *, double (*)(void *, double, void *),
	    void *);
/* Seconds until the earliest item is due (0 if overdue), or -1 if none. */
double	 ia_sched_wait(const struct ia_sched *, double);
void	 ia_sched_free(struct ia_sched *);
/* A generation's duration, createdAt to finishedAt, seen in this run. */
void	 ia_sched_learn(struct ia_sched *, double);
/*
 * The wait before the next poll of an item age seconds old (0 before its
 * first): the lag bound clamp(age / 2, min, max), age / 4 past the longest
 * duration expected (the longest learned, and the mean gap between those
 * learned), aimed by what was learned; u in [0,1] lengthens a wait
 * on the bound by up to 10%, never an aimed one.  *by (when not NULL):
 * for a wait aimed at the longest duration expected, the age by which the
 * poll must come however it is put off; else -1.
 */
double	 ia_sched_next(const struct ia_sched *, double, double, double, double,
	    double *);
/*
 * A poll aimed at the longest duration expected, due now at age: how long
 * to put it off because the run has seen longer ones since, never past by
 * (the last argument, from ia_sched_next()); 0: poll now.
 */
double	 ia_sched_put_off(const struct ia_sched *, double, double);

/*
 * progress.c: one line on a terminal for a whole pipeline.  The tools of one
 * pipeline share a process group; each publishes its stage's counters in a
 * small file mapped shared, ia-progress-UID/PGID/PID under $XDG_RUNTIME_DIR,
 * $TMPDIR or /tmp, and the one holding the flock on PGID/draw composes the
 * line from every stage:
 *
 *	submitted 1,204/2,000 | done 362, failed 3, waiting 842 | 114/s, ETA 0:06
 *
 * Nothing is ever drawn on a stream that is not a terminal; the record
 * stream is never touched.
 */
enum ia_progress_role {
	IA_PROGRESS_SUBMIT,	/* ia-submit, ia-group: "submitted" */
	IA_PROGRESS_POLL	/* ia-poll: "done, failed, waiting" */
};

/* One stage's counters, in generations (a group counts its requests). */
struct ia_progress_stage {
	enum ia_progress_role	 role;
	bool			 input_done;	/* all its input is taken */
	bool			 ended;		/* the tool has exited */
	bool			 mute;		/* -v: it logs there; no line */
	bool			 tty;		/* it may draw */
	unsigned long		 done, failed;	/* finished */
	unsigned long		 left;		/* taken, not finished yet */
	double			 started;	/* its process, on ia_time_now()'s clock */
	double			 ended_at;	/* when ended, on that clock */
};

/* The recent completions, for a rate over the last seconds. */
#define IA_PROGRESS_SAMPLES	64
struct ia_progress_rate {
	double		 t[IA_PROGRESS_SAMPLES];
	unsigned long	 n[IA_PROGRESS_SAMPLES];
	int		 first, len;
};

struct ia_progress {
	FILE			*fp;		/* the terminal, or NULL: no drawing */
	bool			 on;		/* publishes (not -q) */
	bool			 downstream;	/* its output goes to a pipe */
	struct ia_progress_stage me;
	int			 topfd, dirfd, drawfd;	/* -1: alone */
	long			 pgid;
	void			*stage, *group;	/* the shared maps */
	char			 name[24], dirname[24];
	bool			 drawer;	/* holds the draw lock */
	bool			 shown;		/* its line is on the terminal */
	bool			 ended;
	double			 last;
	struct ia_progress_rate	 rate;
	char			 line[512];	/* what it drew last */
};

/*
 * A stage of role; on: take part (not -q); draw: may draw (not -v, which
 * mutes the group's line instead).  Draws only if fp is a terminal.
 */
void	 ia_progress_init(struct ia_progress *, FILE *, enum ia_progress_role,
	    bool, bool);
/*
 * Join the process group's stages.  On -1 (a message in msg) the tool
 * draws its own stage alone.
 */
int	 ia_progress_join(struct ia_progress *, char *, size_t);
/* Publish done, failed, left and input_done; redraw at most 4 times a second. */
void	 ia_progress_update(struct ia_progress *, unsigned long, unsigned long,
	    unsigned long, bool);
/*
 * Leave: the line is cleared when no other stage can draw it, or at once
 * when clear is set (a message follows); the last stage removes PGID/.
 */
void	 ia_progress_done(struct ia_progress *, bool);
/* The line for n stages, rate per second (negative: unknown), into buf. */
size_t	 ia_progress_line(char *, size_t, const struct ia_progress_stage *,
	    size_t, double);
/*
 * The rate of finished (a count that only grows) over the last 10 s, or
 * since since (the first stage's start) while that is too short; -1 before
 * a second of either.
 */
double	 ia_progress_rate(struct ia_progress_rate *, double, unsigned long,
	    double);

/*
 * format.c: the forms ia-collect prints results in, one table row each.
 * ia_format_find() looks a row up by name: -f names those with by_name
 * set; -r is "raw", and -r -0 "raw0".
 */
struct ia_format {
	const char	*name;
	bool		 by_name;	/* -f NAME chooses it */
	bool		 answers_only;	/* a failure prints nothing in it */
	const char	*header;	/* printed once before any row, or NULL */
	/* Append one result's text; 0, or -1 when out of memory. */
	int		(*row)(struct ia_buf *, const struct ia_result *);
	/* The same from a scan: 1 when declined; NULL: none. */
	int		(*scan_row)(struct ia_buf *, struct ia_scan *);
};

const struct ia_format *ia_format_find(const char *);
/* Append r's row in form f (nothing for a failure in a form of answers only). */
int	 ia_format_row(const struct ia_format *, struct ia_buf *, const struct ia_result *);
/*
 * Append the row of a scanned answer, the same bytes as ia_format_row()
 * of its tree: 0; 1 when the form or the scan declines (nothing appended);
 * -1 out of memory.
 */
int	 ia_format_scan_row(const struct ia_format *, struct ia_buf *,
	    struct ia_scan *);
/* Append v (consumed) as jq prints it: JSON, or with raw a string as it is. */
int	 ia_format_value(struct ia_buf *, jv, bool);
/*
 * Append what a -e program makes of a value (consumed): each output through
 * ia_format_value() (raw or not), then the end byte.  *msg is set to why
 * the program stopped on an error (a string), else jv_invalid().  0, or -1
 * out of memory.
 */
int	 ia_format_jq(struct ia_buf *, struct ia_jq *, jv, bool, char, jv *);

/*
 * clash.c: the custom_ids answered, and what answered each (hashes of the
 * request without its metadata, and of the generation's id), so that a
 * second answer to one can be told apart: the same generation again,
 * another generation of the same request (submitted twice), or another
 * request (two shared the custom_id).  12 bytes a custom_id: a 64-bit
 * fingerprint (two that share one are taken for one) and 16-bit hashes (a
 * second answer whose hash is the first's is taken for the same).
 */
enum ia_clash_kind {
	IA_CLASH_NONE,		/* the same answer again, or not known */
	IA_CLASH_GENERATION,	/* another generation of the same request */
	IA_CLASH_REQUEST	/* another request under the same custom_id */
};

struct ia_clash_part {
	uint64_t	*keys;		/* fingerprints; 0: an empty slot */
	uint32_t	*answers;	/* the request's hash << 16 | the generation's */
	uint32_t	 cap, count;
};

struct ia_clash {
	struct ia_clash_part *parts;	/* NULL until the first answer */
	size_t		 count;		/* custom_ids answered */
};

void	 ia_clash_init(struct ia_clash *);
/* The hash kept of a request (consumed), without its metadata; 0: not an object. */
uint32_t ia_clash_request(jv);
/* The same of a request's ia_scan_hash(). */
uint32_t ia_clash_request_hash(uint64_t);
/* The hash kept of a generation's id (bytes, length). */
uint32_t ia_clash_generation(const char *, size_t);
/*
 * An answer to a custom_id (bytes, length), with the hashes of its request
 * and generation (0: not known): 1 when it is the first, kept; 0 when the
 * custom_id had one, and the kind says how this one differs from it; -1
 * out of memory.
 */
int	 ia_clash_answer(struct ia_clash *, const char *, size_t, uint32_t,
	    uint32_t, enum ia_clash_kind *);
/* Whether a custom_id (bytes, length) has an answer. */
bool	 ia_clash_has(const struct ia_clash *, const char *, size_t);
/*
 * The same with jv values: a custom_id's first answer, its custom_id,
 * request and generation id (consumed; 0, or -1 out of memory); and what
 * kind of second answer these would be.
 */
int	 ia_clash_first(struct ia_clash *, jv, jv, jv);
enum ia_clash_kind ia_clash_check(const struct ia_clash *, jv, jv, jv);
void	 ia_clash_free(struct ia_clash *);

/*
 * summary.c: the counts of a run of ia-collect, which feeds it results as
 * they come and the failures that stand at the end, and prints
 * ia_summary_json().  Latencies (finishedAt - dispatchedAt) are kept in a
 * histogram of buckets 2% wide, so quantiles are good to 2%.
 */
#define IA_SUMMARY_LAT_MIN	0.001	/* seconds: the upper edge of bucket 0 */
#define IA_SUMMARY_LAT_STEP	1.02	/* each bucket's edge to the next */
#define IA_SUMMARY_BUCKETS	1100	/* up to about 2.9e6 s, past the 72 h limit */

struct ia_summary {
	unsigned long	 records;	/* lines read */
	unsigned long	 others;	/* records that are not results */
	unsigned long	 dups;		/* results for a custom_id already settled */
	unsigned long	 recovered;	/* failures a later success replaced */
	unsigned long	 clashes;	/* duplicates answering another request */
	unsigned long	 extra_gens;	/* duplicates from another generation of it */
	jv		 clash_first;	/* the first custom_id of each, or null */
	jv		 extra_gen_first;
	unsigned long	 success;
	unsigned long	 failed;	/* failures that stand at the end */
	double		 tok_prompt, tok_completion, tok_total;
	unsigned long	 lat_n;
	unsigned long	 lat[IA_SUMMARY_BUCKETS];
	double		 lat_max;
	double		 first, last;	/* epoch seconds of the span, or -1 */
	jv		 stages;	/* stage -> failures */
	jv		 messages;	/* message -> failures */
};

void	 ia_summary_init(struct ia_summary *);
/* An answer: its tokens, its latency and its times. */
void	 ia_summary_add_success(struct ia_summary *, const struct ia_result *);
/* The same from its numbers: prompt, completion and total tokens; the times (-1: none). */
void	 ia_summary_add_answer(struct ia_summary *, double, double, double,
	    double, double);
/* A duplicate answer of a kind (not NONE) for a custom_id (consumed). */
void	 ia_summary_add_clash(struct ia_summary *, enum ia_clash_kind, jv);
/* A result's times only, into the span: a failure as it comes. */
void	 ia_summary_add_times(struct ia_summary *, const struct ia_result *);
/* One latency in seconds; a negative one is passed over. */
void	 ia_summary_add_latency(struct ia_summary *, double);
/* A failure that stands (an error record, consumed): by stage and message. */
void	 ia_summary_add_failure(struct ia_summary *, jv);
/* The q-quantile of the latencies: the upper edge of its bucket, at most the max. */
double	 ia_summary_quantile(const struct ia_summary *, double);
/*
 * {"records", "success", "failed", "success_rate", "errors", "top_failures",
 *  "recovered", "duplicates", "other_records", "clashes", "extra_generations",
 *  "tokens", "latency_seconds", "span_seconds", "answers_per_second"}, null
 *  for what is not known.
 */
jv	 ia_summary_json(const struct ia_summary *);
/* Append the summary as ia-collect -s prints it; 0, or -1 out of memory. */
int	 ia_summary_text(const struct ia_summary *, struct ia_buf *);
/*
 * What the output cannot show, one note each ending with a NUL, appended:
 * lines that were not results (the first at where; none when quiet),
 * answers dropped for another request or generation under a custom_id.
 * 0, or -1 out of memory.
 */
int	 ia_summary_notes(const struct ia_summary *, const char *, bool,
	    struct ia_buf *);
void	 ia_summary_free(struct ia_summary *);

/*
 * pending.c: custom_ids submitted and not answered (yet), each with the
 * generation or the group it went in, looked up by custom_id (bytes and a
 * length: a JSON string may hold a NUL).
 */
enum ia_pending_kind {
	IA_PENDING_GENERATION,	/* id is the generation's */
	IA_PENDING_GROUP	/* id is the group's */
};

struct ia_pending_entry {
	char			*custom_id;	/* len bytes and a NUL; NULL: a free slot */
	size_t			 len;
	enum ia_pending_kind	 kind;		/* of the latest submission */
	char			*id;		/* NULL: not known (still running) */
	unsigned		 open;		/* submissions not ended yet */
	char			*subs;		/* each submission seen, open or ended:
						   'o' or 'e', 'g' or 'n', id, NUL */
	size_t			 subs_len;
};

struct ia_pending {
	struct ia_pending_entry	*slots;
	size_t			 cap, used;
	size_t			 count;		/* custom_ids with a submission open */
};

void	 ia_pending_init(struct ia_pending *);
/*
 * One submission of a custom_id, of a kind and an id (copied; NULL: not
 * known): a retry is one more; the same one read twice is one.  The entry
 * follows the latest still open.  0, or -1 out of memory.
 */
int	 ia_pending_add(struct ia_pending *, const char *, size_t, enum ia_pending_kind,
	    const char *);
const struct ia_pending_entry *ia_pending_find(const struct ia_pending *, const char *,
	    size_t);
/* Forget a custom_id (it has a result); whether it was there. */
bool	 ia_pending_remove(struct ia_pending *, const char *, size_t);
/*
 * One submission of a custom_id, of a kind and an id, ended without an
 * answer (a Failed generation, a poll that gave up).  Ends and submissions
 * may come in any order; each counts once.  0, or -1 out of memory.
 */
int	 ia_pending_end(struct ia_pending *, const char *, size_t,
	    enum ia_pending_kind, const char *);
/* The entries in custom_id order, NULL-terminated, to free(); NULL out of memory. */
const struct ia_pending_entry **ia_pending_sort(const struct ia_pending *);
/* Each submission of an entry still open, as the record ia-poll follows it with. */
jv	 ia_pending_follow(const struct ia_pending_entry *);
/* Those of every entry, in custom_id order, a group's merged; invalid: no memory. */
jv	 ia_pending_follow_all(const struct ia_pending *);
/* The failure of stage collect for an entry: its request is what ia-poll follows. */
jv	 ia_pending_error(const struct ia_pending_entry *);
void	 ia_pending_free(struct ia_pending *);

/*
 * collect.c: one outcome per custom_id from a results stream, for
 * ia-collect.  The first success of a custom_id is its answer, before or
 * after any failure of it; failures are held until ia_collect_end(), which
 * turns what is still pending into failures of stage collect and counts the
 * failures that stand into sum.
 */
struct ia_collect {
	struct ia_clash	  clash;	/* the custom_ids answered, and by what */
	jv		  fails;	/* custom_id -> its last failure, as JSON text */
	jv		  order;	/* custom_ids, in the order they first failed */
	jv		  anon;		/* failures without a custom_id */
	jv		  anon_seen;	/* their texts, to count one seen twice once */
	struct ia_pending pending;	/* submitted, with no result yet */
	struct ia_ids	  sent;		/* custom_ids ever submitted (acks, groups) */
	unsigned long	  npending;	/* after ia_collect_end(): still pending */
	struct ia_summary sum;
};

void	 ia_collect_init(struct ia_collect *);
/*
 * Take one record (consumed) and read it into r, to ia_result_free() after.
 * 1: r is the first answer of its custom_id, to print now; 0: nothing to
 * print yet; -1: out of memory.
 */
int	 ia_collect_add(struct ia_collect *, jv, struct ia_result *);
/* The same for a line the scanner took (ia_scan_generation()): 1, 0 or -1. */
int	 ia_collect_scanned(struct ia_collect *, const struct ia_scan *);
/* At the end of the input.  0, or -1 when out of memory. */
int	 ia_collect_end(struct ia_collect *);
/*
 * Call fn(arg, custom_id, record) on each failure that stands, in order:
 * those of a custom_id as they first failed, then the others (custom_id
 * null).  fn takes both.
 */
void	 ia_collect_each_failure(struct ia_collect *, void (*)(void *, jv, jv), void *);
/* The custom_ids whose failure stands, as an object custom_id -> true. */
jv	 ia_collect_failed(const struct ia_collect *);
/*
 * --sort --input: the custom_ids of an array (consumed) in the places an
 * index (consumed: custom_id -> place from 0) gives them, then the others
 * in the order they had.
 */
jv	 ia_collect_order(jv, jv);
/* Whether a failure (consumed) is worth sending again, and why not. */
enum ia_resend {
	IA_RESEND_YES,
	IA_RESEND_PENDING,	/* still pending: to follow (it would pay twice) */
	IA_RESEND_REFUSED	/* the server refused that very request (4xx) */
};
enum ia_resend ia_collect_resend(jv);
/* Whether a failure's request (consumed) can go to ia-submit as it is. */
bool	 ia_collect_can_resubmit(jv);
/*
 * The record a line of a results stream stands for (its text NULL: too
 * long): the line parsed, or an input failure, for a line too long, not
 * JSON, or with a custom_id that holds a NUL.
 */
jv	 ia_collect_record(const struct ia_line *, size_t);
/* --status: "submitted N, done N, failed N, pending N" and a newline; 0 or -1. */
int	 ia_collect_status(const struct ia_collect *, struct ia_buf *);
void	 ia_collect_free(struct ia_collect *);

/*
 * failed.c: what ia-collect --failed prints, after ia_collect_end(): the
 * request of each custom_id whose failure stands and is worth sending
 * again, once: from --input when it has it, else the one the failure
 * carries.  What is not printed is counted.
 */
struct ia_failed {
	jv		 want;		/* custom_id -> true: still to print */
	unsigned long	 lost;		/* failures with no request to print */
	unsigned long	 pending;	/* submitted, no result: to follow, not send */
	unsigned long	 refused;	/* a 4xx the same request would get again */
};

/* The custom_ids to print; those still pending or refused are counted. */
void	 ia_failed_init(struct ia_failed *, struct ia_collect *);
/* Whether --input's request of a custom_id is to be printed; once only. */
bool	 ia_failed_take(struct ia_failed *, const char *);
/*
 * Those not taken: fn(arg, request) with the request each failure carries
 * (consumed), for a failure without a custom_id too; one with no request
 * that ia-submit could send is counted lost.
 */
void	 ia_failed_rest(struct ia_failed *, struct ia_collect *,
	    void (*)(void *, jv), void *);
/*
 * Why some were not printed, one note each ending with a NUL, appended (for
 * a run with --input or not); 0, or -1 out of memory.
 */
int	 ia_failed_notes(const struct ia_failed *, bool, struct ia_buf *);
void	 ia_failed_free(struct ia_failed *);

/*
 * sorted.c: ia-collect --sort: the text of each result kept until the end,
 * then given in custom_id order, or in the order --input places them, the
 * custom_ids it does not place after in custom_id order; last the results
 * without a custom_id, as they came.
 */
struct ia_sorted {
	jv	 texts;		/* custom_id -> text */
	jv	 anon;		/* the texts without a custom_id */
	jv	 index;		/* custom_id -> its place in --input */
	long	 places;
};

void	 ia_sorted_init(struct ia_sorted *);
/* A result's text (len bytes) under its custom_id (consumed; not a string: none). */
void	 ia_sorted_add(struct ia_sorted *, jv, const char *, size_t);
/* --input's next custom_id: placed after those before it, unless placed already. */
void	 ia_sorted_place(struct ia_sorted *, const char *);
/*
 * With --input (named): -1 when none of the custom_ids kept is in it (why
 * in msg), 1 when some are not (a note in msg), else 0.
 */
int	 ia_sorted_verdict(const struct ia_sorted *, const char *, char *, size_t);
/* fn(arg, text, len) on each text, in order. */
void	 ia_sorted_each(struct ia_sorted *, void (*)(void *, const char *, size_t),
	    void *);
void	 ia_sorted_free(struct ia_sorted *);

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
	uint32_t *sorted;	/* listed: their indices, by custom_id */
	unsigned char *done;	/* listed: a bit an index, set once printed */
	size_t	 left;		/* listed: how many are not printed */
	jv	 printed;	/* not listed: {generation id: true}, those
				   printed; null until one is */
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
 * The same from an answer's body as it came (a 2xx one, else ignored):
 * a listing that ia_scan_listing() reads into l (scratch, kept between
 * calls; NULL: none) while the group is waited on has only its final
 * generations parsed; any other, the whole of it.
 */
struct ia_group_outcome ia_group_feed_text(struct ia_group *,
	    const struct ia_group_poll *, const char *, size_t,
	    struct ia_scan_listing *);
/*
 * The same for an id followed alone, as a group of one: the generation's
 * id, its custom_id (NULL when the input gave none) and input line.
 */
struct ia_group_outcome ia_group_feed_id(const char *, const char *, long,
	    const struct ia_group_poll *, jv);
/* How many generations the group stands for still, for a progress line. */
size_t	 ia_group_left(const struct ia_group *);
/*
 * What the group still stands for, as the record ia-poll follows it with:
 * the custom_ids listed and not printed; a whole group as its id alone.
 */
jv	 ia_group_record(const struct ia_group *);
/*
 * The one ladder for ids and groups not final yet, age seconds after they
 * were first seen: KEPT with --once (the bool), else WAIT while age is
 * under limit, then GAVE_UP.
 */
enum ia_group_verdict ia_group_next(bool, double, double);

/*
 * follow.c: what ia-poll keeps of each thing it follows, an id alone or a
 * group, in one allocation: the header below, then the id and its
 * custom_id inline (NUL-terminated, the custom_id after the id), or the
 * group's tracker.  No jv is kept for an id; its records are made again.
 */
struct ia_follow {
	double		 first_seen;	/* monotonic seconds; the caller's to set */
	long		 line;		/* of its input record */
	unsigned char	 flags;		/* IA_FOLLOW_* */
	char		 data[];	/* the strings, or room for a group */
};

#define IA_FOLLOW_GROUP		0x01	/* a group: its tracker follows */
#define IA_FOLLOW_CUSTOM_ID	0x02	/* an id with a custom_id ("" is one) */
#define IA_FOLLOW_POLLED	0x04	/* polled once at least: the caller's to set */
#define IA_FOLLOW_AIMED		0x08	/* due when the work should end: ia_follow_aim() */
#define IA_FOLLOW_ROOM		0xf0	/* its room, in sixteenths: ia_follow_aim() */

/* An id with its custom_id (NULL: none), read at line; NULL: no memory. */
struct ia_follow *ia_follow_new(const char *, const char *, long);
/* A group, its tracker (made by ia_group_init) taken over; NULL: no memory. */
struct ia_follow *ia_follow_new_group(struct ia_group *, long);
/* The group's tracker, or NULL for an id alone. */
struct ia_group	*ia_follow_group(struct ia_follow *);
/* The generation's id, or the group's. */
const char	*ia_follow_id(const struct ia_follow *);
/* The custom_id the input gave an id, or NULL (always for a group). */
const char	*ia_follow_custom_id(const struct ia_follow *);
/* How many generations it stands for still, for a progress line. */
size_t		 ia_follow_left(const struct ia_follow *);
/* What it stands for still, as the input record that follows it. */
jv		 ia_follow_record(const struct ia_follow *);
/* Take one answer to its poll (consumed): ia_group_feed or ia_group_feed_id. */
struct ia_group_outcome ia_follow_feed(struct ia_follow *,
		    const struct ia_group_poll *, jv);
/*
 * Note f as due when its work should end, with how long its poll may still
 * be put off (room, in seconds: 4 bits of its flags, in sixteenths of unit,
 * rounded down, at most 15 of them; NAN: not aimed).  A million pending
 * ids keep their 64-byte allocations that way.
 */
void		 ia_follow_aim(struct ia_follow *, double, double);
/* The room ia_follow_aim() noted, in seconds for that unit; NAN: not aimed. */
double		 ia_follow_room(const struct ia_follow *, double);
/* The same from the body as it came: ia_group_feed_text, or parsed for an id. */
struct ia_group_outcome ia_follow_feed_text(struct ia_follow *,
	    const struct ia_group_poll *, const char *, size_t,
	    struct ia_scan_listing *);
void		 ia_follow_free(struct ia_follow *);

#endif /* IA_H */
