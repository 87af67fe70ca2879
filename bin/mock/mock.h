/*
 * ia-mock's parts, shared between its files and private to it.
 *
 * store.c holds the generations and groups, the clock, the seeded random
 * streams and the answers; routes.c decides each request's answer; faults.c
 * is the fault table and its draw; garbage.c makes the hostile answers of
 * --garbage-rate; server.c runs libmicrohttpd around them.
 */
#ifndef MOCK_H
#define MOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ia.h"

#define MAX_BODY	(32u << 20)	/* a request body larger than this is 413 */
#define GROUP_MAX	50
#define ID_LEN		21

struct addrinfo;
struct MHD_Connection;

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

#define ROUTES_ANY	(~0u)
#define ROUTES_SUBMIT	(1u << R_SUBMIT_CHAT | 1u << R_SUBMIT_TEXT | \
			 1u << R_GROUP_CHAT | 1u << R_GROUP_TEXT)
#define ROUTES_GET	(1u << R_GENERATION | 1u << R_GROUP_GENERATIONS)

/* Independent random streams, so one kind of draw never shifts another. */
enum stream {
	S_FAULT = 1, S_FAULT_KIND, S_SHUFFLE, S_GEN_ID, S_GEN_TIME, S_GEN_SPLIT,
	S_GEN_FAIL, S_GEN_MSG, S_GROUP_ID, S_GARBAGE
};

struct mock_opt {
	const char	*key;
	const char	*models;			/* comma-separated, or NULL */
	double		 complete_min, complete_max;	/* seconds */
	double		 group_delay;			/* seconds */
	double		 fail_rate;
	unsigned	 latency_ms;
	uint64_t	 seed;
	unsigned	 threads;
	int		 verbose;
	size_t		 max_generations;
	const char	*redirect_to;		/* --redirect-to, or NULL */
	unsigned	 rate_limit;		/* --rate-limit: submissions a
						   second, or 0 for none */
	unsigned	 port;			/* the port bound */
};

extern struct mock_opt mock_opt;

/*
 * A fault: one row of mock_faults, which gives its options, its draw, its
 * /mock/stats counters, its usage and its --help lines.  What it does to a
 * request is its "how", carried out in routes.c and server.c.
 */
enum fault_how {
	FH_ANSWER,	/* answer the kind's status and message; do nothing */
	FH_RESET,	/* close the connection with no answer; do nothing */
	FH_STALL,	/* read the request and never answer */
	FH_LOSE,	/* do the work, then close the connection with no answer */
	FH_GARBAGE,	/* answer something hostile: the kind's garbage (garbage.c) */
};

/* What a kind of FH_GARBAGE sends (see ia-mock(1), --garbage). */
enum garbage {
	G_NONE,
	G_JSON,		/* 200, malformed JSON */
	G_HTML,		/* 502, a proxy's HTML page */
	G_SHORT,	/* 200, closed halfway through its Content-Length */
	G_HUGE,		/* 200, GARBAGE_HUGE bytes, made as they are sent */
	G_TYPES,	/* 200, the answer with a field of the wrong type */
	G_EMPTY,	/* 200, no body */
	G_DRIP,		/* 200, a byte a second, never ending */
	G_RETRY_AFTER,	/* 429, Retry-After garbage, negative or enormous */
	G_REDIRECT,	/* 307 to another host */
};

#define GARBAGE_HUGE	((uint64_t)256 << 20)	/* bytes of a G_HUGE body */

#define FAULT_KINDS	9

struct fault_kind {
	const char	*name;		/* its /mock/stats counter */
	const char	*word;		/* its name in the row's kinds option */
	unsigned	 status;	/* FH_ANSWER, FH_GARBAGE: the status answered
					   without doing the work; FH_GARBAGE, 0:
					   do the work and garble its answer */
	const char	*message;	/* FH_ANSWER: the error message */
	enum garbage	 garbage;	/* FH_GARBAGE: what it sends */
	bool		 off;		/* left out of the draw by the kinds option */
	atomic_ullong	 count;
};

struct fault {
	const char		*option;	/* the rate's long option */
	const char		*kinds_option;	/* picks the kinds drawn, or NULL */
	const char		*routes_option;	/* picks the routes hit, or NULL */
	const char		*help;		/* the rate's line in --help */
	const char		*kinds_help;	/* the kinds option's line */
	const char		*routes_help;	/* the routes option's line */
	enum fault_how		 how;
	unsigned		 routes;	/* bits 1 << route it may hit */
	struct fault_kind	 kinds[FAULT_KINDS];	/* one drawn evenly */
	double			 rate;		/* set by the option */
};

extern struct fault mock_faults[];	/* ends with a NULL option */

/* One exchange per HTTP request, behind MHD's con_cls. */
struct exchange {
	enum { X_NEW, X_SUSPENDED, X_RESUMED }	 state;
	struct MHD_Connection	*conn;
	struct ia_buf		 body;
	bool			 too_big;
	int64_t			 start_us;
	enum route		 route;
	uint64_t		 seq;		/* its place in mock_stats.seq */
	uint64_t		 key;		/* hash of method, path and body */
	struct fault		*fault;		/* NULL when none was drawn */
	struct fault_kind	*fault_kind;
	unsigned		 status;
	char			*answer;	/* JSON body to send */
	int64_t			 due_us;	/* resume time when delayed, monotonic */
	struct exchange		*next, *prev;	/* delay queue or stall list */
};

struct mock_stats {
	atomic_ullong	 routes[R_COUNT];
	atomic_ullong	 status[600];
	atomic_ullong	 seq;		/* requests subject to faults, in arrival order */
	atomic_ullong	 conn_opened;	/* TCP connections accepted */
	atomic_ullong	 conn_closed;	/* and closed, either side */
};

extern struct mock_stats mock_stats;

/* store.c */
int64_t	 mock_now_ms(int);
int64_t	 mock_now_us(void);
uint64_t mock_mix(uint64_t);
uint64_t mock_rnd(enum stream, uint64_t);
double	 mock_unif(enum stream, uint64_t);
int	 mock_gen_create(jv, enum ia_kind, char *);
int	 mock_group_create(jv, enum ia_kind, char *);
int	 mock_gen_print(const char *, struct ia_buf *);
int	 mock_group_print(const char *, uint64_t, struct ia_buf *);
void	 mock_store_count(unsigned long long *, size_t *, size_t *);

/* routes.c */
void	 mock_process(struct exchange *, const char *, const char *);

/* faults.c */
void	 mock_fault_draw(struct exchange *, uint64_t);
void	 mock_fault_stats(struct ia_buf *);
int	 mock_fault_kinds(struct fault *, const char *);
int	 mock_fault_routes(struct fault *, const char *);
void	 mock_retry_sent(const struct exchange *);
void	 mock_retry_check(const struct exchange *);
void	 mock_retry_stats(struct ia_buf *);
bool	 mock_rate_take(void);
void	 mock_rate_stats(struct ia_buf *);

/* garbage.c */
bool	 mock_garbage_works(const struct exchange *);
void	 mock_garbage_answer(struct exchange *);
struct MHD_Response *mock_garbage_response(struct exchange *, const char *);

/* server.c */
bool	 mock_suspend(struct exchange *, bool, int64_t);
bool	 mock_stopping(void);
void	 mock_resumed(struct exchange *);
int	 mock_server_start(const struct addrinfo *, unsigned *);
void	 mock_server_stop(void);
int	 mock_write_port_file(const char *, unsigned);

#endif
