/*
 * The tool layer's output: records written whole and flushed (or, after
 * tool_batch(), held and written whole in batches), a reader gone away
 * ending the tool as it would end cat(1), and the journal that holds what
 * was submitted before it goes downstream.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "tool_int.h"

#define BATCH_SIZE	(64u << 10)	/* bytes held before a write(2) */

static void	 journal_held(struct tool *);

/* tool_batch(): whole records held, to go out in one write(2). */
static struct {
	char	*data;		/* NULL: records go out one by one */
	size_t	 len;
} batch;

/*
 * stdout failed: a reader that went away ends us as it would end cat(1).
 * What was acknowledged this turn is journaled first: it was paid for.
 */
static void __attribute__((noreturn))
out_failed(void)
{
	int	 saved = errno;

	if (tool_current != NULL) {
		journal_held(tool_current);
		ia_progress_done(&tool_current->progress, true);
	}
	errno = saved;
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	err(IA_EXIT_USAGE, "stdout");
}

/*
 * Write a, then b, whole, with the signals that would end us held off
 * until both are out, so that a kill leaves whole lines only (a write(2)
 * cut short by a signal that ends the process would leave part of one).
 * 0, or -1 with errno.
 */
static int
write_whole(const char *a, size_t alen, const char *b, size_t blen)
{
	sigset_t	 stop, old;
	ssize_t		 n = 0;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	while (alen > 0 || blen > 0) {
		if (alen == 0) {
			a = b;
			alen = blen;
			blen = 0;
		}
		if ((n = write(STDOUT_FILENO, a, alen)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			n = -1;
			break;
		}
		a += n;
		alen -= (size_t)n;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return n == -1 ? -1 : 0;
}

static void
out_write(const char *a, size_t alen, const char *b, size_t blen)
{
	if (write_whole(a, alen, b, blen) == -1)
		out_failed();
}

/* An exit before tool_finish() (a usage error at the end) still writes it. */
static void
batch_atexit(void)
{
	size_t	 len = batch.len;

	batch.len = 0;
	(void)write_whole(batch.data, len, NULL, 0);
}

void
tool_batch(void)
{
	if (batch.data != NULL || isatty(STDOUT_FILENO))
		return;
	if ((batch.data = malloc(BATCH_SIZE)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	atexit(batch_atexit);
}

void
tool_flush(void)
{
	size_t	 len = batch.len;

	/* Emptied first: an error ends the tool, and the exit must not retry. */
	batch.len = 0;
	if (len > 0)
		out_write(batch.data, len, NULL, 0);
}

/* A record's text and its end into the batch, whole; a larger one alone. */
static void
batch_put(const char *text, size_t len, const char *end, size_t endlen)
{
	if (batch.len + len + endlen > BATCH_SIZE)
		tool_flush();
	if (len + endlen > BATCH_SIZE) {
		out_write(text, len, end, endlen);
		return;
	}
	/* memcpy(3) from NULL is undefined even for 0 bytes. */
	if (len > 0)
		memcpy(batch.data + batch.len, text, len);
	if (endlen > 0)
		memcpy(batch.data + batch.len + len, end, endlen);
	batch.len += len + endlen;
}

void
tool_put(jv record)
{
	jv	 line;

	if (batch.data == NULL) {
		if (ia_record_write(stdout, record) == -1)
			out_failed();
		return;
	}
	line = jv_dump_string(record, 0);
	batch_put(jv_string_value(line), (size_t)jv_string_length_bytes(jv_copy(line)),
	    "\n", 1);
	jv_free(line);
}

void
tool_put_text(const char *text, size_t len)
{
	if (batch.data != NULL) {
		batch_put(text, len, NULL, 0);
		return;
	}
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
	if (batch.data != NULL) {
		batch_put(text, len, "\n", 1);
		return;
	}
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
void
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

/*
 * --journal FILE, opened for appending.  A last line cut short by a kill
 * is cut off (and said), so that no reader of the journal trips on it: it
 * was never acknowledged downstream, since a record goes to stdout only
 * once it is whole in the journal.
 */
void
tool_journal_open(struct tool *t, const char *path)
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
 * An item the tool layer finishes itself: an error record of the input, or,
 * with --requests-only, the request as it would be sent, custom_id in its
 * metadata, so that ids are assigned once, before the input is split (see
 * ia(7), SHARDING).
 */
bool
tool_item_taken(struct tool *t, struct ia_item *item)
{
	if (item->kind == IA_KIND_NONE)
		tool_fail(t, item->request);
	else if (t->requests_only) {
		tool_put(item->request);
		t->done++;
	} else
		return false;
	free(item->custom_id);
	return true;
}
