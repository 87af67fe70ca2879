/*
 * The tool layer (see tool.h).  Everything here may print and exit: libia
 * below it only returns errors, and the tools above it only call these.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tool.h"

#define PROGRESS_TURN	250	/* ms: the progress line's redraws */

static void	 tool_sync(struct tool *);
static void	 journal_held(struct tool *);

static struct tool		*current;	/* for out_failed() */
static struct ia_xfer		*refusals;	/* the refused, until exit */
static volatile sig_atomic_t	 stop_sig;	/* the signal that came, or 0 */
static volatile sig_atomic_t	 line_fd = -1;	/* a progress line may be there */
static int			 wake[2] = { -1, -1 };	/* the self-pipe */

/* Note the signal and wake the loop; a second one is obeyed at once. */
static void
on_signal(int sig)
{
	int	 saved = errno;

	if (stop_sig != 0) {
		/* No time to leave the group: the line goes, as write(2) can. */
		if (line_fd != -1 && write(line_fd, "\r\033[K", 4) == -1) {
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
static void
catch_signals(void)
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

void
tool_init(struct tool *t, const char *name, const char *synopsis,
    const struct ia_option *opts, unsigned uses, char **argv)
{
	const struct ia_option	*tables[4];
	size_t			 n = 0;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->synopsis = synopsis;
	t->uses = uses;
	t->journal = -1;
	t->held = jv_null();	/* an array once something is held */
	current = t;
	ia_progress_init(&t->progress, NULL, IA_PROGRESS_POLL, false, false);
	/* getopt(3) and err(3) name argv[0]: the tool, not the path to it. */
	argv[0] = (char *)name;
	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&t->cfg);
	tables[n++] = opts;
	if (uses & TOOL_INPUT)
		tables[n++] = ia_input_options;
	tables[n++] = ia_config_options;
	tables[n] = NULL;
	if (ia_option_merge(&t->opts, tables, (uses & TOOL_HTTP) != 0) == -1)
		err(IA_EXIT_USAGE, NULL);
}

int
tool_getopt(struct tool *t, int argc, char **argv)
{
	return getopt_long(argc, argv, t->opts.shortopts, t->opts.longopts, NULL);
}

void
tool_usage(const struct tool *t, int status)
{
	fprintf(status ? stderr : stdout, "usage: %s\n", t->synopsis);
	exit(status);
}

void
tool_help(const struct tool *t)
{
	printf("usage: %s\n\n", t->synopsis);
	ia_option_help(&t->opts, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(IA_EXIT_USAGE, "stdout");
	exit(IA_EXIT_OK);
}

void
tool_option(struct tool *t, int ch, const char *arg)
{
	char	 msg[1024];
	int	 rc = 0;

	switch (ch) {
	case 'h':
		tool_usage(t, IA_EXIT_OK);
	case IA_OPT_HELP:
		tool_help(t);
	case 'V':
		printf("%s %s\n", t->name, IA_VERSION);
		exit(IA_EXIT_OK);
	}
	if (t->uses & TOOL_INPUT)
		rc = ia_input_option(&t->in, ch, arg, msg, sizeof(msg));
	if (rc == 0)
		rc = ia_config_option(&t->cfg, ch, arg, msg, sizeof(msg));
	if (rc == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (rc == 0)
		tool_usage(t, IA_EXIT_USAGE);
}

/*
 * --journal FILE, opened for appending.  A last line cut short by a kill
 * is cut off (and said), so that no reader of the journal trips on it: it
 * was never acknowledged downstream, since a record goes to stdout only
 * once it is whole in the journal.
 */
static void
journal_open(struct tool *t, const char *path)
{
	struct stat	 st;
	char		 buf[4096];
	off_t		 end, at;
	ssize_t		 n;
	int		 fd;

	if ((t->journal = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0666)) == -1 || fstat(t->journal, &st) == -1)
		err(IA_EXIT_USAGE, "%s", path);
	if (st.st_size == 0)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(IA_EXIT_USAGE, "%s", path);
	/* Back from the end to the last newline. */
	for (end = st.st_size; end > 0; end = at) {
		at = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		if ((n = pread(fd, buf, (size_t)(end - at), at)) != end - at)
			err(IA_EXIT_USAGE, "%s", path);
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		if (n > 0) {
			end = at + n;
			break;
		}
	}
	close(fd);
	if (end == st.st_size)
		return;
	if (ftruncate(t->journal, end) == -1)
		err(IA_EXIT_USAGE, "%s", path);
	warnx("%s: cut off a last line left short by a kill (%jd bytes)", path,
	    (intmax_t)(st.st_size - end));
}

/* On an exit by err(3): the tool leaves the progress line's group. */
static void
progress_atexit(void)
{
	if (current != NULL)
		ia_progress_done(&current->progress, true);
}

/*
 * The progress line: ia-submit and ia-group are the stage that submits,
 * ia-poll the one that follows.  -q (and --dry-run) leave the tool out of
 * it; -v mutes the line of the whole pipeline, as it logs to the same
 * terminal, and so does a tool (ia-collect too) that writes its records
 * there.  A tool that cannot reach the others draws its own stage alone.
 */
static void
progress_setup(struct tool *t)
{
	struct stat	 st;
	char		 msg[1024];
	bool		 out_tty = isatty(STDOUT_FILENO);

	if (!(t->uses & TOOL_HTTP) && !out_tty)
		return;
	ia_progress_init(&t->progress, stderr, (t->uses & TOOL_INPUT) ?
	    IA_PROGRESS_SUBMIT : IA_PROGRESS_POLL, (t->uses & TOOL_HTTP) ?
	    !t->cfg.quiet && !t->dry_run : true, !t->cfg.verbose && !out_tty);
	t->progress.downstream = fstat(STDOUT_FILENO, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	if (ia_progress_join(&t->progress, msg, sizeof(msg)) == -1 &&
	    t->cfg.verbose)
		warnx("progress: %s; drawing alone", msg);
	if (t->progress.fp != NULL)
		line_fd = fileno(t->progress.fp);
	atexit(progress_atexit);
}

/*
 * Everything that can be wrong with the options or the files is found here,
 * before the first byte of input is read or the first request sent.
 */
void
tool_setup(struct tool *t, int argc, char **argv)
{
	char	 msg[1024];

	/*
	 * The stage joins first, before the slow parts of a start (curl,
	 * TLS): a stage upstream that ends fast and finds none other removes
	 * the group's directory, and its counts with it.
	 */
	progress_setup(t);
	if ((t->uses & TOOL_INPUT) && ia_input_init(&t->in, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (t->requests_only && t->dry_run)
		errx(IA_EXIT_USAGE, "--requests-only and --dry-run do not go together");
	if (t->requests_only && t->in.journal != NULL)
		errx(IA_EXIT_USAGE, "--requests-only sends nothing: no --journal");
	t->cfg.need_key = (t->uses & TOOL_HTTP) && !t->dry_run && !t->requests_only;
	if ((t->uses & TOOL_HTTP) && ia_config_finish(&t->cfg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (ia_source_init(&t->src, argv, argc, t->cfg.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if ((t->uses & TOOL_INPUT) && t->in.journal != NULL && !t->dry_run)
		journal_open(t, t->in.journal);
	if ((t->uses & TOOL_HTTP) && (t->http = ia_http_new(&t->cfg,
	    t->cfg.verbose ? stderr : NULL, msg, sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (t->uses & TOOL_HTTP)
		catch_signals();
}

/*
 * stdout failed: a reader that went away ends us as it would end cat(1).
 * What was acknowledged this turn is journaled first: it was paid for.
 */
static void __attribute__((noreturn))
out_failed(void)
{
	int	 saved = errno;

	if (current != NULL) {
		journal_held(current);
		ia_progress_done(&current->progress, true);
	}
	errno = saved;
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	err(IA_EXIT_USAGE, "stdout");
}

void
tool_put(jv record)
{
	if (ia_record_write(stdout, record) == -1)
		out_failed();
}

void
tool_put_text(const char *text, size_t len)
{
	clearerr(stdout);
	errno = 0;
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) == EOF ||
	    ferror(stdout)) {
		if (errno == 0)
			errno = EIO;
		out_failed();
	}
}

/* A record passed through: the line as it came, not re-encoded. */
void
tool_put_raw(const char *text, size_t len)
{
	clearerr(stdout);
	errno = 0;
	if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF ||
	    fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == 0)
			errno = EIO;
		out_failed();
	}
}

void
tool_submitted(struct tool *t, jv record)
{
	if (t->journal == -1)
		tool_put(record);
	else
		t->held = jv_array_append(jv_get_kind(t->held) == JV_KIND_ARRAY ?
		    t->held : jv_array(), record);
}

/* Write all of buf to fd, or exit: a journal that misses a line is no journal. */
static void
write_all(int fd, const char *buf, size_t len, const char *name)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			err(IA_EXIT_USAGE, "%s", name);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* The records held this turn, into the journal and onto the disk, once. */
static void
journal_held(struct tool *t)
{
	struct ia_buf	 b = { 0 };
	jv		 line;

	if (t->journal == -1 || t->journaled ||
	    jv_get_kind(t->held) != JV_KIND_ARRAY)
		return;
	jv_array_foreach(t->held, i, rec) {
		line = jv_dump_string(rec, 0);
		if (ia_buf_add(&b, jv_string_value(line),
		    (size_t)jv_string_length_bytes(jv_copy(line))) == -1 ||
		    ia_buf_add(&b, "\n", 1) == -1)
			err(IA_EXIT_USAGE, NULL);
		jv_free(line);
	}
	write_all(t->journal, b.data, b.len, t->in.journal);
	if (fdatasync(t->journal) == -1)
		err(IA_EXIT_USAGE, "%s", t->in.journal);
	ia_buf_free(&b);
	t->journaled = true;
}

/*
 * The records submitted this turn: into the journal and onto the disk,
 * then downstream.  A kill at any moment leaves each of them either in
 * the journal or not yet acknowledged, never only in a pipe.
 */
static void
tool_sync(struct tool *t)
{
	jv	 held;

	if (jv_get_kind(t->held) != JV_KIND_ARRAY)
		return;
	journal_held(t);
	held = t->held;
	t->held = jv_null();
	t->journaled = false;
	jv_array_foreach(held, i, rec)
		tool_put(rec);
	jv_free(held);
}

void
tool_fail(struct tool *t, jv record)
{
	t->failed++;
	tool_put(record);
}

void
tool_dry_run(struct tool *t, struct ia_xfer *x)
{
	ia_http_describe(t->http, x, stdout);
	tool_put_text("\n", 1);
	ia_http_xfer_free(x);
}

/*
 * The request as it would be sent, custom_id in its metadata, so that ids
 * are assigned once, before the input is split (see ia(7), SHARDING).
 */
bool
tool_request_only(struct tool *t, struct ia_item *item)
{
	if (!t->requests_only)
		return false;
	if (item->kind == IA_KIND_NONE)
		tool_fail(t, item->request);
	else {
		tool_put(item->request);
		t->done++;
	}
	free(item->custom_id);
	return true;
}

bool
tool_room(const struct tool *t)
{
	return t->http == NULL || ia_http_has_room(t->http);
}

void
tool_read(struct tool *t, void (*fn)(const struct ia_line *))
{
	struct ia_line		 line;
	enum ia_line_status	 st;

	while (!t->input_done && tool_room(t)) {
		switch (st = ia_source_next(&t->src, &line)) {
		case IA_LINE_NONE:
			return;
		case IA_LINE_EOF:
			t->input_done = true;
			return;
		case IA_LINE_TOO_LONG:
			tool_fail(t, ia_input_too_long(&line, t->cfg.max_line));
			break;
		case IA_LINE_OK:
			fn(&line);
			break;
		}
	}
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
		if (rc == 0 && wait_input(ia_source_fd(src), -1) == -1)
			return -1;
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
	want = !t->input_done && tool_room(t) && fd != -1;
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

/* What --skip-done passed over, when anything: "N already done in FILE". */
static void
say_skipped(const struct ia_input *in)
{
	char	 files[1024] = "";
	size_t	 n = 0;
	int	 i;

	if (in->skipped_done == 0 && in->skipped_sent == 0)
		return;
	for (i = 0; i < in->nskip && n < sizeof(files); i++)
		n += (size_t)snprintf(files + n, sizeof(files) - n, "%s%s",
		    i > 0 ? ", " : "", in->skip_done[i]);
	if (in->skipped_sent == 0)
		warnx("%lu already done in %s, not submitted again",
		    in->skipped_done, files);
	else
		warnx("%lu already done and %lu already submitted in %s, not "
		    "submitted again", in->skipped_done, in->skipped_sent, files);
}

void
tool_progress(struct tool *t, size_t left)
{
	ia_progress_update(&t->progress, t->done, t->failed, left, t->input_done);
}

int
tool_finish(struct tool *t)
{
	tool_sync(t);
	/* The last counts (the end of the input may be news), nothing left. */
	tool_progress(t, 0);
	/* A message follows on a clean line, not after the line. */
	ia_progress_done(&t->progress, (t->uses & TOOL_INPUT) &&
	    (t->in.skipped_done > 0 || t->in.skipped_sent > 0));
	if (t->uses & TOOL_INPUT)
		say_skipped(&t->in);
	ia_source_free(&t->src);
	ia_http_free(t->http);
	t->http = NULL;
	if (t->uses & TOOL_INPUT)
		ia_input_free(&t->in);
	ia_config_free(&t->cfg);
	ia_option_free(&t->opts);
	jv_free(t->held);
	if (t->journal != -1 && close(t->journal) == -1)
		err(IA_EXIT_USAGE, "%s", t->in.journal);
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	return t->failed > 0 ? IA_EXIT_FAILED : IA_EXIT_OK;
}
