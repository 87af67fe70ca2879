/*
 * The server: libmicrohttpd answers on its internal epoll thread pool.
 * Delayed answers (--latency) and drips between two bytes are suspended
 * connections that one timer thread resumes; stalled ones are suspended
 * until shutdown.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mock.h"

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

static struct MHD_Daemon	*mhd;
static pthread_t		 timer;

/* Whether x drew a fault that works this way. */
static bool
faulted(const struct exchange *x, enum fault_how how)
{
	return x->fault != NULL && x->fault->how == how;
}

static void
logline(const struct exchange *x, const char *method, const char *url, const char *what)
{
	if (!mock_opt.verbose)
		return;
	fprintf(stderr, "ia-mock: %s %s %s %.1fms\n", method, url, what,
	    (double)(mock_now_us() - x->start_us) / 1000);
}

/*
 * The log line of a fault that leaves a request unanswered, with the status
 * it would have had when it was processed (FH_LOSE).
 */
static void
log_unanswered(const struct exchange *x, const char *method, const char *url)
{
	char	 what[64];

	if (x->status != 0)
		snprintf(what, sizeof(what), "%s %u (injected fault)",
		    x->fault_kind->name, x->status);
	else
		snprintf(what, sizeof(what), "%s (injected fault)", x->fault_kind->name);
	logline(x, method, url, what);
}

/* The answer of x, not garbage: its body and the headers of its status. */
static struct MHD_Response *
answer(struct exchange *x)
{
	struct MHD_Response	*resp;

	resp = MHD_create_response_from_buffer(strlen(x->answer), x->answer,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return NULL;
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
	return resp;
}

/* Send x's answer, or for a fault that sends none drop the connection. */
static enum MHD_Result
respond(struct exchange *x, const char *method, const char *url)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			 what[64];
	bool			 garbage = faulted(x, FH_GARBAGE);

	if (faulted(x, FH_RESET) || faulted(x, FH_LOSE)) {
		log_unanswered(x, method, url);
		return MHD_NO;
	}
	resp = garbage ? mock_garbage_response(x, url) : answer(x);
	if (resp == NULL)
		return MHD_NO;
	/* Before it can reach the client: a retry cannot come sooner. */
	if (x->status == 429 && !garbage)
		mock_retry_sent(x);
	ret = MHD_queue_response(x->conn, x->status, resp);
	MHD_destroy_response(resp);
	if (x->status < 600 && x->route != R_STATS)
		atomic_fetch_add(&mock_stats.status[x->status], 1);
	if (garbage)
		snprintf(what, sizeof(what), "%s %u (injected fault)",
		    x->fault_kind->name, x->status);
	else
		snprintf(what, sizeof(what), "%u%s", x->status, x->fault != NULL ?
		    " (injected fault)" : "");
	logline(x, method, url, what);
	return ret;
}

/*
 * Suspend x until the timer thread resumes it at due_us (a delay, a drip),
 * or until shutdown (stall).  The delay queue is kept by due time.  false
 * when the mock is stopping.
 */
bool
mock_suspend(struct exchange *x, bool stall, int64_t due_us)
{
	struct exchange	*p;

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
		x->due_us = due_us;
		for (p = waitq.tail; p != NULL && p->due_us > due_us; p = p->prev)
			;
		x->prev = p;
		x->next = p != NULL ? p->next : waitq.head;
		if (x->next != NULL)
			x->next->prev = x;
		else
			waitq.tail = x;
		if (p != NULL)
			p->next = x;
		else
			waitq.head = x;
		pthread_cond_signal(&waitq.cond);
	}
	waitq.suspended++;
	MHD_suspend_connection(x->conn);
	pthread_mutex_unlock(&waitq.lock);
	return true;
}

static bool
suspend(struct exchange *x, bool stall)
{
	return mock_suspend(x, stall, mock_now_us() +
	    (int64_t)mock_opt.latency_ms * 1000);
}

/* A suspended x was resumed: it no longer counts as suspended. */
void
mock_resumed(struct exchange *x)
{
	pthread_mutex_lock(&waitq.lock);
	waitq.suspended--;
	pthread_mutex_unlock(&waitq.lock);
	x->state = X_RESUMED;
}

bool
mock_stopping(void)
{
	bool	 stopping;

	pthread_mutex_lock(&waitq.lock);
	stopping = waitq.stopping;
	pthread_mutex_unlock(&waitq.lock);
	return stopping;
}

/*
 * MHD calls this with the headers, with each piece of the body, and once
 * more with none: only then is the request whole and decided.  A call after
 * a suspension is the resumption.
 */
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
		x->start_us = mock_now_us();
		*con_cls = x;
		return MHD_YES;
	}
	if (x->state == X_SUSPENDED) {		/* resumed */
		pthread_mutex_lock(&waitq.lock);
		waitq.suspended--;
		stopping = waitq.stopping;
		pthread_mutex_unlock(&waitq.lock);
		x->state = X_RESUMED;
		if (stopping || faulted(x, FH_STALL))
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
	mock_process(x, method, url);
	if (faulted(x, FH_STALL)) {
		log_unanswered(x, method, url);
		return suspend(x, true) ? MHD_YES : MHD_NO;
	}
	if (mock_opt.latency_ms > 0 && x->route != R_STATS && suspend(x, false))
		return MHD_YES;
	return respond(x, method, url);
}

/* The connection is done with, answered or not: free its exchange. */
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

/*
 * Connections as they open and close, for /mock/stats: a client that keeps
 * its connections alive opens as many as it runs at once, not one a request.
 */
static void
notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)conn;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&mock_stats.conn_opened, 1);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_add(&mock_stats.conn_closed, 1);
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
		now = mock_now_us();
		if (waitq.head->due_us > now) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (waitq.head->due_us - now) / 1000000;
			ts.tv_nsec += ((waitq.head->due_us - now) % 1000000) * 1000;
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
		else
			waitq.head->prev = NULL;
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
 * libmicrohttpd's own messages, prefixed like ours; its complaints about the
 * connections we close on purpose (faults, short bodies, drips, shutdown)
 * are left out.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strstr(msg, "Application reported internal error") != NULL ||
	    strstr(msg, "application reported error generating data") != NULL ||
	    strstr(msg, "socket is no longer available for sending") != NULL)
		return;
	fprintf(stderr, "ia-mock: %s%s", msg,
	    *msg != '\0' && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* Write the port and rename it into place, so a reader never sees half. */
int
mock_write_port_file(const char *path, unsigned port)
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

/*
 * Listen on ai, on the thread pool, and start the timer thread; *port gets
 * the port bound.  -1 when it cannot listen.
 */
int
mock_server_start(const struct addrinfo *ai, unsigned *port)
{
	const union MHD_DaemonInfo *info;
	unsigned	 flags;
	int		 e;

	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, mock_opt.threads > 1 ? mock_opt.threads : 0,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_END);
	if (mhd == NULL)
		return -1;
	if ((info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		errx(IA_EXIT_USAGE, "cannot tell which port is bound");
	if ((e = pthread_create(&timer, NULL, timer_main, NULL)) != 0) {
		errno = e;
		err(IA_EXIT_USAGE, "pthread_create");
	}
	*port = info->port;
	return 0;
}

/* Take no new connections, close the suspended ones, and stop. */
void
mock_server_stop(void)
{
	MHD_quiesce_daemon(mhd);
	release_all();
	pthread_join(timer, NULL);
	MHD_stop_daemon(mhd);
}
