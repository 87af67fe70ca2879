/*
 * The tool layer (see tool.h): a tool's options, its set-up and its end.
 * Writing records and the journal are in out.c, the loop turn and the
 * signals in loop.c.  Everything here may print and exit: libia below
 * it only returns errors, and the tools above it only call these.
 */
#include <sys/stat.h>

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "tool_int.h"

struct tool	*tool_current;

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
	tool_current = t;
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

/* On an exit by err(3): the tool leaves the progress line's group. */
static void
progress_atexit(void)
{
	if (tool_current != NULL)
		ia_progress_done(&tool_current->progress, true);
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
		tool_line_fd = fileno(t->progress.fp);
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
	if (t->uses & TOOL_HTTP)
		tool_http_config(t);
	if (ia_source_init(&t->src, argv, argc, t->cfg.max_line, msg,
	    sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if ((t->uses & TOOL_INPUT) && t->in.journal != NULL && !t->dry_run)
		tool_journal_open(t, t->in.journal);
	if (t->uses & TOOL_HTTP)
		tool_http_start(t);
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
	tool_http_free(t);
	if (t->uses & TOOL_INPUT)
		ia_input_free(&t->in);
	ia_config_free(&t->cfg);
	ia_option_free(&t->opts);
	jv_free(t->held);
	if (t->journal != -1 && close(t->journal) == -1)
		err(IA_EXIT_USAGE, "%s", t->in.journal);
	tool_flush();
	if (ia_record_close(stdout) == -1)
		err(IA_EXIT_USAGE, "stdout");
	return t->failed > 0 ? IA_EXIT_FAILED : IA_EXIT_OK;
}
