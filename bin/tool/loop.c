/*
 * The tool layer's loop: one turn waits on the input and the HTTP engine,
 * never sleeping in between, and hands on what finished; a signal that asks
 * the tool to stop wakes it through a self-pipe.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tool.h"
#include "tool_int.h"

#define PROGRESS_TURN	250	/* ms: the progress line's redraws */

volatile sig_atomic_t		 tool_line_fd = -1;
static struct ia_xfer		*refusals;	/* the refused, until exit */
static volatile sig_atomic_t	 stop_sig;	/* the signal that came, or 0 */
static int			 wake[2] = { -1, -1 };	/* the self-pipe */

/* Note the signal and wake the loop; a second one is obeyed at once. */
static void
on_signal(int sig)
{
	int	 saved = errno;

	if (stop_sig != 0) {
		/* No time to leave the group: the line goes, as write(2) can. */
		if (tool_line_fd != -1 && write(tool_line_fd, "\r\033[K", 4) == -1) {
			/* Nothing more to do about it. */
		}
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_sig = sig;
	if (write(wake[1], "", 1) == -1) {
		/* Full: the loop is being woken already. */
	}
	errno = saved;
}

/* Catch the signals that ask us to stop, with a pipe that wakes the loop. */
void
tool_catch_signals(void)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction	 sa;
	size_t			 i;

	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		err(IA_EXIT_USAGE, "pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/*
	 * Restart writes: a signal must not turn a slow reader into a write
	 * error.  poll(2) is never restarted, so the self-pipe still wakes
	 * the loop.
	 */
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction	 old;

		/* A signal ignored by whoever started us stays ignored (nohup). */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int
tool_signalled(void)
{
	return stop_sig;
}

/* Save what the tool must, then end by the signal that asked us to stop. */
static void __attribute__((noreturn))
die(struct tool *t)
{
	int	 sig = stop_sig;

	if (t->on_stop != NULL)
		t->on_stop(t);
	tool_sync(t);
	ia_progress_done(&t->progress, true);
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

bool
tool_room(const struct tool *t)
{
	return t->http == NULL || ia_http_has_room(t->http);
}

/*
 * Whether to read input now.  A line that becomes a request waits for room
 * for it; one that does not (TOOL_READ_BUSY: an id to follow) is read at
 * once, so that the tool upstream is not held up while every connection
 * is busy, and the id's age counts from when it was written.
 */
static bool
may_read(const struct tool *t)
{
	return !t->input_done && ((t->uses & TOOL_READ_BUSY) != 0 || tool_room(t));
}

/* The next input line while it may be read; false for none now. */
static bool
next_line(struct tool *t, struct ia_line *line)
{
	while (may_read(t)) {
		switch (ia_source_next(&t->src, line)) {
		case IA_LINE_NONE:
			return false;
		case IA_LINE_EOF:
			t->input_done = true;
			return false;
		case IA_LINE_TOO_LONG:
			tool_fail(t, ia_input_too_long(line, t->cfg.max_line));
			break;
		case IA_LINE_OK:
			return true;
		}
	}
	return false;
}

void
tool_read(struct tool *t, void (*fn)(const struct ia_line *))
{
	struct ia_line	 line;

	while (next_line(t, &line))
		fn(&line);
}

void
tool_read_items(struct tool *t, void (*fn)(void *, struct ia_item *))
{
	struct ia_line	 line;

	while (next_line(t, &line))
		ia_input_line(&t->in, &line, fn, NULL);
}

/* Wait for the input alone (a tool without HTTP), at most timeout_ms. */
static int
wait_input(int fd, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) == -1 && errno != EINTR)
		return -1;
	return 0;
}

int
tool_wait_line(struct ia_source *src, struct ia_line *line)
{
	enum ia_line_status	 st;
	int			 rc;

	while ((st = ia_source_next(src, line)) == IA_LINE_NONE) {
		line->file = ia_source_name(src);
		if ((rc = ia_source_fill(src)) == -1)
			return -1;
		if (rc == 0) {
			/* Nothing more for now: downstream sees what there is. */
			tool_flush();
			if (wait_input(ia_source_fd(src), -1) == -1)
				return -1;
		}
	}
	return (int)st;
}

void
tool_turn(struct tool *t, int timeout_ms, void (*fn)(struct ia_xfer *))
{
	struct curl_waitfd	 wfd[2];
	struct ia_xfer		*x;
	const char		*name, *why;
	char			 drain[64];
	long			 refused;
	bool			 want;
	int			 fd = ia_source_fd(&t->src);

	if (stop_sig != 0)
		die(t);
	/* A tool that may draw the line turns at least as often as it is drawn. */
	if (t->progress.fp != NULL && (timeout_ms < 0 || timeout_ms > PROGRESS_TURN))
		timeout_ms = PROGRESS_TURN;
	want = may_read(t) && fd != -1;
	wfd[0].fd = fd;
	wfd[1].fd = wake[0];
	wfd[0].events = wfd[1].events = CURL_WAIT_POLLIN;
	wfd[0].revents = wfd[1].revents = 0;
	if (t->http != NULL) {
		if (ia_http_poll(t->http, want ? wfd : wfd + 1, want ? 2 : 1,
		    timeout_ms) == -1)
			errx(IA_EXIT_USAGE, "the curl multi interface failed");
	} else if (want && wait_input(fd, timeout_ms) == -1)
		err(IA_EXIT_USAGE, "poll");
	while (wake[0] != -1 && read(wake[0], drain, sizeof(drain)) > 0)
		;
	/*
	 * What came back is taken first, whatever happens next: an answer
	 * already paid for is journaled and printed before a signal or a
	 * refused key ends the tool.  The refused requests themselves are
	 * the one message below, not records.
	 */
	refused = t->http != NULL ? ia_http_refused(t->http, &why) : 0;
	if (t->http != NULL)
		while ((x = ia_http_next_done(t->http)) != NULL) {
			if (refused != 0 && (x->status == 401 || x->status == 403)) {
				/* Kept, not freed: what it carries goes with the exit. */
				x->next = refusals;
				refusals = x;
			} else
				fn(x);
		}
	tool_sync(t);
	if (refused != 0) {
		ia_progress_done(&t->progress, true);
		errx(IA_EXIT_USAGE, "the server refused the API key (%s): check "
		    "INFERENCE_API_KEY or --api-key-file; nothing more was sent", why);
	}
	if (stop_sig != 0)
		die(t);
	if (want && ia_source_fill(&t->src) == -1) {
		name = ia_source_name(&t->src);
		err(IA_EXIT_USAGE, "%s", name != NULL ? name : "stdin");
	}
}
