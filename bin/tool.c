/*
 * The tool layer (see tool.h).  Everything here may print and exit: libia
 * below it only returns errors, and the tools above it only call these.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tool.h"

void
tool_init(struct tool *t, const char *name, const char *synopsis, unsigned uses,
    char **argv)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->synopsis = synopsis;
	t->uses = uses;
	/* getopt(3) and err(3) name argv[0]: the tool, not the path to it. */
	argv[0] = (char *)name;
	signal(SIGPIPE, SIG_IGN);
	ia_config_init(&t->cfg);
}

void
tool_usage(const struct tool *t, int status)
{
	fprintf(status ? stderr : stdout, "usage: %s\n", t->synopsis);
	exit(status);
}

void
tool_option(struct tool *t, int ch, const char *arg)
{
	char	 msg[1024];
	int	 rc = 0;

	switch (ch) {
	case 'h':
		tool_usage(t, IA_EXIT_OK);
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
 * Everything that can be wrong with the options or the files is found here,
 * before the first byte of input is read or the first request sent.
 */
void
tool_setup(struct tool *t, int argc, char **argv)
{
	char	 msg[1024];

	if ((t->uses & TOOL_INPUT) && ia_input_init(&t->in, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	t->cfg.need_key = (t->uses & TOOL_HTTP) && !t->dry_run;
	if ((t->uses & TOOL_HTTP) && ia_config_finish(&t->cfg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (ia_source_init(&t->src, argv, argc, t->cfg.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if ((t->uses & TOOL_HTTP) && (t->http = ia_http_new(&t->cfg,
	    t->cfg.verbose ? stderr : NULL, msg, sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	ia_progress_init(&t->progress, stderr, !t->cfg.quiet && !t->cfg.verbose);
}

/* stdout failed: a reader that went away ends us as it would end cat(1). */
static void __attribute__((noreturn))
out_failed(void)
{
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
	struct curl_waitfd	 wfd;
	struct ia_xfer		*x;
	const char		*name;
	bool			 want;
	int			 fd = ia_source_fd(&t->src);

	want = !t->input_done && tool_room(t) && fd != -1;
	wfd.fd = fd;
	wfd.events = CURL_WAIT_POLLIN;
	wfd.revents = 0;
	if (t->http != NULL) {
		if (ia_http_poll(t->http, want ? &wfd : NULL, want ? 1 : 0,
		    timeout_ms) == -1)
			errx(IA_EXIT_USAGE, "the curl multi interface failed");
	} else if (want && wait_input(fd, timeout_ms) == -1)
		err(IA_EXIT_USAGE, "poll");
	if (want && ia_source_fill(&t->src) == -1) {
		name = ia_source_name(&t->src);
		err(IA_EXIT_USAGE, "%s", name != NULL ? name : "stdin");
	}
	if (t->http != NULL)
		while ((x = ia_http_next_done(t->http)) != NULL)
			fn(x);
}

int
tool_finish(struct tool *t)
{
	ia_progress_done(&t->progress);
	if ((t->uses & TOOL_INPUT) && t->in.skip_done != NULL)
		warnx("%lu already done in %s, not submitted again", t->in.skipped,
		    t->in.skip_done);
	ia_source_free(&t->src);
	ia_http_free(t->http);
	t->http = NULL;
	if (t->uses & TOOL_INPUT)
		ia_input_free(&t->in);
	ia_config_free(&t->cfg);
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	return t->failed > 0 ? IA_EXIT_FAILED : IA_EXIT_OK;
}
