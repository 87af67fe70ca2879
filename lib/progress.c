/*
 * Progress: one line on a terminal for a whole pipeline (see ia.h).  Each
 * tool of a process group publishes its stage in a small file mapped
 * shared, TOP/PGID/PID, TOP being ia-progress-UID (mode 0700) under
 * $XDG_RUNTIME_DIR, $TMPDIR or /tmp; whoever holds the flock on PGID/draw
 * reads them all and draws.  Joining and leaving happen under a flock on
 * TOP, so that the last to leave can remove PGID/ without a newcomer
 * slipping in.  A stage that ended stays in the line while it overlapped
 * a live one.  A stage killed before it could leave is known by its pid,
 * no longer of the group, and ignored; whoever next joins removes it.
 */
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

#define PROGRESS_EVERY	0.25	/* seconds between redraws: 4 a second */
#define RATE_AFTER	1.0	/* seconds before a rate means anything */
#define RATE_WINDOW	10.0	/* seconds the rate is taken over */
#define ETA_MAX		(100 * 3600.0)
#define CLEAR_LINE	"\r\033[K"
#define STAGE_MAGIC	0x49415031u	/* "IAP1": the file is ready */
#define MAX_STAGES	64
#define READ_TRIES	1000

/* A stage as it is in its file: written by its tool, read by the drawer. */
struct shared_stage {
	_Atomic uint32_t	 seq;		/* odd while being written */
	_Atomic uint32_t	 magic;		/* STAGE_MAGIC, set last */
	_Atomic int32_t		 pid;
	_Atomic uint32_t	 role;
	_Atomic uint32_t	 flags;		/* F_* */
	_Atomic uint64_t	 done, failed, left;
	_Atomic int64_t		 started_us, ended_us;
};

#define F_INPUT_DONE	0x1
#define F_ENDED		0x2
#define F_MUTE		0x4
#define F_TTY		0x8

/* PGID/draw, mapped shared too: whether a line is on the terminal. */
struct shared_group {
	_Atomic uint32_t	 shown;
};

/* ---- The line: pure functions of the stages' counters. ---- */

/* v with a comma every three digits, as people read counts: "1,204". */
static const char *
commas(char *buf, size_t size, unsigned long v)
{
	char	 digits[32];
	size_t	 n, i, j = 0;

	n = (size_t)snprintf(digits, sizeof(digits), "%lu", v);
	for (i = 0; i < n && j + 2 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = '\0';
	return buf;
}

/* What the stages of one role add up to. */
struct sums {
	bool		 present, input_done;
	unsigned long	 done, failed, left;
};

static void
add_up(const struct ia_progress_stage *st, size_t n, struct sums *sub,
    struct sums *poll)
{
	struct sums	*s;
	size_t		 i;

	memset(sub, 0, sizeof(*sub));
	memset(poll, 0, sizeof(*poll));
	sub->input_done = poll->input_done = true;
	for (i = 0; i < n; i++) {
		s = st[i].role == IA_PROGRESS_SUBMIT ? sub : poll;
		s->present = true;
		s->input_done = s->input_done && st[i].input_done;
		s->done += st[i].done;
		s->failed += st[i].failed;
		s->left += st[i].left;
	}
}

/* The finished records the rate counts: those of the last stage. */
static unsigned long
finished(const struct sums *sub, const struct sums *poll)
{
	const struct sums	*tail = poll->present ? poll : sub;

	return tail->done + tail->failed;
}

/*
 * What is left for the whole pipeline, or -1 while the first stage's input
 * has not ended (the total is not known).  Between the stages, what
 * ia-submit finished and ia-poll has not taken yet is in the pipe.
 */
static double
remaining(const struct sums *sub, const struct sums *poll)
{
	unsigned long	 taken, out;

	if (sub->present ? !sub->input_done : !poll->input_done)
		return -1;
	if (!poll->present)
		return (double)sub->left;
	if (!sub->present)
		return (double)poll->left;
	taken = poll->done + poll->failed + poll->left;
	out = sub->done + sub->failed;
	return (double)(poll->left + sub->left + (out > taken ? out - taken : 0));
}

/* A bounded append: the line is cut, never overrun. */
static void
put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n >= size ? size - 1 : *len + (size_t)n;
}

size_t
ia_progress_line(char *buf, size_t size, const struct ia_progress_stage *st,
    size_t n, double rate)
{
	struct sums	 sub, poll;
	char		 a[32], b[32], c[32];
	const char	*sep = "";
	double		 left;
	long		 eta;
	size_t		 len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	add_up(st, n, &sub, &poll);
	if (!sub.present && !poll.present)
		return 0;
	if (sub.present) {
		put(buf, size, &len, "submitted %s", commas(a, sizeof(a), sub.done));
		if (sub.input_done)
			put(buf, size, &len, "/%s", commas(b, sizeof(b),
			    sub.done + sub.failed + sub.left));
		if (sub.failed > 0)
			put(buf, size, &len, ", failed %s", commas(c, sizeof(c),
			    sub.failed));
		sep = " | ";
	}
	if (poll.present) {
		put(buf, size, &len, "%sdone %s, failed %s, waiting %s", sep,
		    commas(a, sizeof(a), poll.done), commas(b, sizeof(b),
		    poll.failed), commas(c, sizeof(c), poll.left));
		sep = " | ";
	}
	if (rate < 0)
		return len;
	if (rate < 9.95)
		put(buf, size, &len, "%s%.1f/s", sep, rate);
	else
		put(buf, size, &len, "%s%s/s", sep, commas(a, sizeof(a),
		    (unsigned long)(rate + 0.5)));
	/* An ETA only when the total is known and something is left. */
	left = remaining(&sub, &poll);
	if (left > 0 && rate > 0 && left / rate < ETA_MAX) {
		eta = (long)ceil(left / rate);	/* 0:00 only when nothing is left */
		if (eta >= 3600)
			put(buf, size, &len, ", ETA %ld:%02ld:%02ld", eta / 3600,
			    eta / 60 % 60, eta % 60);
		else
			put(buf, size, &len, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
	return len;
}

/*
 * A rate over the last RATE_WINDOW seconds says how fast things go now,
 * which a rate over the whole run (slow to start, as generations take
 * their time) does not; the whole run stands in while the window is short,
 * as for a drawer that just took over.
 */
double
ia_progress_rate(struct ia_progress_rate *r, double now, unsigned long count,
    double since)
{
	int	 last, second;
	double	 span;

	last = (r->first + r->len - 1) % IA_PROGRESS_SAMPLES;
	if (r->len > 0 && (count < r->n[last] || now < r->t[last]))
		r->len = 0;	/* a stage went away: start again */
	if (r->len == IA_PROGRESS_SAMPLES) {
		r->first = (r->first + 1) % IA_PROGRESS_SAMPLES;
		r->len--;
	}
	last = (r->first + r->len) % IA_PROGRESS_SAMPLES;
	r->t[last] = now;
	r->n[last] = count;
	r->len++;
	/* Drop what the window no longer needs: the oldest stays at its edge. */
	while (r->len > 2) {
		second = (r->first + 1) % IA_PROGRESS_SAMPLES;
		if (r->t[second] > now - RATE_WINDOW)
			break;
		r->first = second;
		r->len--;
	}
	span = now - r->t[r->first];
	if (span >= RATE_AFTER)
		return (double)(count - r->n[r->first]) / span;
	if (since > 0 && now - since >= RATE_AFTER)
		return (double)count / (now - since);
	return -1;
}

/* ---- The stages' files. ---- */

/*
 * When this process began, on the monotonic clock: a stage that ended
 * before this one joined belongs with it still if it ended after the shell
 * started this one, however slow its start.  Linux says when in
 * /proc/self/stat (field 22, clock ticks after boot); elsewhere, now.
 */
static double
process_start(void)
{
	double	 now = ia_time_now(), start;
#ifdef CLOCK_BOOTTIME
	struct timespec	 boot;
	char		 buf[1024], *f, *last;
	long		 hz = sysconf(_SC_CLK_TCK);
	size_t		 n;
	FILE		*fp;
	int		 i;

	if (hz <= 0 || (fp = fopen("/proc/self/stat", "re")) == NULL)
		return now;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The name, in parentheses, may hold spaces: count from after it. */
	if ((f = strrchr(buf, ')')) == NULL)
		return now;
	f = strtok_r(f + 1, " ", &last);	/* field 3 */
	for (i = 3; f != NULL && i < 22; i++)
		f = strtok_r(NULL, " ", &last);
	if (f == NULL || clock_gettime(CLOCK_BOOTTIME, &boot) == -1)
		return now;
	/* A tick early rather than late. */
	start = now - ((double)boot.tv_sec + (double)boot.tv_nsec / 1e9 -
	    (double)strtoull(f, NULL, 10) / (double)hz) - 1.0 / (double)hz;
	/* A start long ago is exec(3) from an old process: now will do. */
	return start <= now && start > now - 3600 ? start : now;
#else
	(void)start;
	return now;
#endif
}

void
ia_progress_init(struct ia_progress *p, FILE *fp, enum ia_progress_role role,
    bool on, bool draw)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
	p->fp = on && draw && fp != NULL && isatty(fileno(fp)) ? fp : NULL;
	p->topfd = p->dirfd = p->drawfd = -1;
	p->me.role = role;
	p->me.mute = on && !draw;
	p->me.tty = p->fp != NULL;
	p->me.started = process_start();
	p->last = ia_time_now();
}

/* Whether pid is a process of our group still: a dead one's pid may be reused. */
static bool
alive(long pid, long pgid)
{
	return pid > 0 && (long)getpgid((pid_t)pid) == pgid;
}

static bool
numeric(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * Directory name under at, made if need be, ours and private (mode 0700),
 * as an fd; never through a symbolic link.
 */
static int
private_dir(int at, const char *name, char *msg, size_t size)
{
	struct stat	 st;
	int		 fd;

	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST) {
		snprintf(msg, size, "%s: %s", name, strerror(errno));
		return -1;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(msg, size, "%s: %s", name, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(msg, size, "%s: not ours", name);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0700) == -1) {
		snprintf(msg, size, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A stage's counters, read whole: the seqlock retries a read that met a
 * write.  -1 for a file that is not (or not yet, or no longer) a stage.
 */
static int
read_stage(int dirfd, const char *name, struct ia_progress_stage *out,
    long *pid)
{
	const struct shared_stage	*sh;
	struct stat			 st;
	uint32_t			 seq, flags;
	void				*map;
	int				 fd, i, rc = -1;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(*sh) || (map = mmap(NULL, sizeof(*sh),
	    PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	sh = map;
	for (i = 0; i < READ_TRIES; i++) {
		seq = atomic_load_explicit(&sh->seq, memory_order_acquire);
		if (seq & 1)
			continue;
		if (atomic_load_explicit(&sh->magic, memory_order_relaxed) !=
		    STAGE_MAGIC)
			break;
		*pid = atomic_load_explicit(&sh->pid, memory_order_relaxed);
		out->role = atomic_load_explicit(&sh->role, memory_order_relaxed) ==
		    IA_PROGRESS_SUBMIT ? IA_PROGRESS_SUBMIT : IA_PROGRESS_POLL;
		flags = atomic_load_explicit(&sh->flags, memory_order_relaxed);
		out->done = atomic_load_explicit(&sh->done, memory_order_relaxed);
		out->failed = atomic_load_explicit(&sh->failed, memory_order_relaxed);
		out->left = atomic_load_explicit(&sh->left, memory_order_relaxed);
		out->started = (double)atomic_load_explicit(&sh->started_us,
		    memory_order_relaxed) / 1e6;
		out->ended_at = (double)atomic_load_explicit(&sh->ended_us,
		    memory_order_relaxed) / 1e6;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&sh->seq, memory_order_relaxed) != seq)
			continue;
		out->input_done = flags & F_INPUT_DONE;
		out->ended = flags & F_ENDED;
		out->mute = flags & F_MUTE;
		out->tty = flags & F_TTY;
		rc = 0;
		break;
	}
	munmap(map, sizeof(*sh));
	return rc;
}

/* This tool's stage into its file: a reader sees all of it or retries. */
static void
publish(struct ia_progress *p)
{
	struct shared_stage	*sh = p->stage;
	uint32_t		 seq;

	seq = atomic_load_explicit(&sh->seq, memory_order_relaxed);
	atomic_store_explicit(&sh->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&sh->flags, (p->me.input_done ? F_INPUT_DONE : 0) |
	    (p->me.ended ? F_ENDED : 0) | (p->me.mute ? F_MUTE : 0) |
	    (p->me.tty ? F_TTY : 0), memory_order_relaxed);
	atomic_store_explicit(&sh->done, p->me.done, memory_order_relaxed);
	atomic_store_explicit(&sh->failed, p->me.failed, memory_order_relaxed);
	atomic_store_explicit(&sh->left, p->me.left, memory_order_relaxed);
	atomic_store_explicit(&sh->ended_us, (int64_t)(p->me.ended_at * 1e6),
	    memory_order_relaxed);
	atomic_store_explicit(&sh->seq, seq + 2, memory_order_release);
}

/* A file of a group directory, as a stage if it is one. */
struct entry {
	char				 name[24];
	bool				 is_stage;	/* else: remove it with the group */
	bool				 live;		/* its tool runs, not ended */
	bool				 dead;		/* its tool died without leaving */
	struct ia_progress_stage	 s;
};

/* The files of the group directory dfd, at most max. */
static size_t
load(int dfd, long pgid, struct entry *e, size_t max)
{
	struct dirent	*de;
	DIR		*d;
	long		 pid;
	size_t		 n = 0;
	int		 fd;

	if ((fd = dup(dfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);	/* a dup shares the offset a last reading left */
	while ((de = readdir(d)) != NULL && n < max) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strlen(de->d_name) >= sizeof(e[n].name))
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		strcpy(e[n].name, de->d_name);
		if (numeric(de->d_name) && read_stage(dfd, de->d_name, &e[n].s,
		    &pid) == 0) {
			e[n].is_stage = true;
			e[n].live = !e[n].s.ended && alive(pid, pgid);
			e[n].dead = !e[n].s.ended && !e[n].live;
		}
		n++;
	}
	closedir(d);
	return n;
}

/* When the first of the live stages started, or since if earlier. */
static double
earliest(const struct entry *e, size_t n, double since)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (e[i].live && e[i].s.started < since)
			since = e[i].s.started;
	return since;
}

/*
 * Whether a stage belongs with the live ones: an ended one, if it ended
 * once the first of them had started.  An ia-submit that ended before its
 * ia-poll got going is in the line; a tool that ran before them in the
 * same script is not.
 */
static bool
belongs(const struct entry *e, double since)
{
	return e->is_stage && (e->live || (!e->dead && e->s.ended_at >= since));
}

/*
 * The stages of the group for the line, at most max.  others and
 * others_tty count the live ones but this tool's, and those of them that
 * can draw; mute: one of them mutes; follows: another is an ia-poll.
 */
static size_t
scan(const struct ia_progress *p, struct ia_progress_stage *st, size_t max,
    size_t *others, size_t *others_tty, bool *mute, bool *follows)
{
	struct entry	 e[MAX_STAGES];
	double		 since;
	size_t		 n, i, k = 0;

	*others = *others_tty = 0;
	*mute = *follows = false;
	n = load(p->dirfd, p->pgid, e, MAX_STAGES);
	since = earliest(e, n, p->me.started);
	for (i = 0; i < n; i++) {
		if (!belongs(&e[i], since))
			continue;
		if (e[i].live && strcmp(e[i].name, p->name) != 0) {
			(*others)++;
			if (e[i].s.tty)
				(*others_tty)++;
			if (e[i].s.mute)
				*mute = true;
		}
		if (strcmp(e[i].name, p->name) != 0 &&
		    e[i].s.role == IA_PROGRESS_POLL)
			*follows = true;
		if (k < max)
			st[k++] = e[i].s;
	}
	return k;
}

/*
 * A joiner's clean-up: the stages of tools that died without leaving, and
 * those that ended before any tool now in the group began (an earlier
 * command of the same script, or a group id reused).
 */
static void
prune_group(const struct ia_progress *p)
{
	struct entry	 e[MAX_STAGES];
	double		 since;
	size_t		 n, i;

	n = load(p->dirfd, p->pgid, e, MAX_STAGES);
	since = earliest(e, n, p->me.started);
	for (i = 0; i < n; i++)
		if (e[i].is_stage && !belongs(&e[i], since))
			unlinkat(p->dirfd, e[i].name, 0);
}

/* Remove a group directory and all in it. */
static void
wipe_group(int topfd, const char *dirname)
{
	struct entry	 e[MAX_STAGES];
	size_t		 n, i, gone;
	int		 dfd;

	if ((dfd = openat(topfd, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	do {
		n = load(dfd, -1, e, MAX_STAGES);
		for (i = gone = 0; i < n; i++)
			if (unlinkat(dfd, e[i].name, 0) == 0)
				gone++;
	} while (n == MAX_STAGES && gone > 0);
	close(dfd);
	unlinkat(topfd, dirname, AT_REMOVEDIR);
}

/* The directories of groups with no process left: their tools were killed. */
static void
sweep_top(int topfd, long pgid)
{
	struct dirent	*de;
	DIR		*d;
	long		 other;
	int		 fd;

	if ((fd = dup(topfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);	/* a dup shares the offset a last reading left */
	while ((de = readdir(d)) != NULL) {
		if (!numeric(de->d_name))
			continue;
		other = strtol(de->d_name, NULL, 10);
		if (other != pgid && other > 0 && kill(-(pid_t)other, 0) == -1 &&
		    errno == ESRCH)
			wipe_group(topfd, de->d_name);
	}
	closedir(d);
}

/* Where the group directories live: the user's runtime directory first. */
static const char *
base_dir(void)
{
	const char	*dirs[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR") };
	size_t		 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] != NULL && dirs[i][0] == '/')
			return dirs[i];
	return "/tmp";
}

/* Undo a join, whole or in part. */
static void
unjoin(struct ia_progress *p)
{
	if (p->stage != NULL)
		munmap(p->stage, sizeof(struct shared_stage));
	if (p->group != NULL)
		munmap(p->group, sizeof(struct shared_group));
	p->stage = p->group = NULL;
	if (p->drawfd != -1)
		close(p->drawfd);
	if (p->dirfd != -1)
		close(p->dirfd);
	if (p->topfd != -1)
		close(p->topfd);
	p->topfd = p->dirfd = p->drawfd = -1;
	p->drawer = false;
}

/* An fd of a file of the group, mapped shared, of at least size bytes. */
static void *
map_file(int dirfd, const char *name, int flags, size_t size, int *fdp)
{
	struct stat	 st;
	void		*map;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    flags, 0600)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_size < (off_t)size && ftruncate(fd, (off_t)size) == -1) ||
	    (map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	if (fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	return map;
}

int
ia_progress_join(struct ia_progress *p, char *msg, size_t size)
{
	struct shared_stage	*sh;
	const char		*base = base_dir();
	char			 top[64];
	int			 basefd;

	if (!p->on || p->stage != NULL)
		return 0;
	p->pgid = (long)getpgrp();
	snprintf(top, sizeof(top), "ia-progress-%ld", (long)geteuid());
	snprintf(p->dirname, sizeof(p->dirname), "%ld", p->pgid);
	snprintf(p->name, sizeof(p->name), "%ld", (long)getpid());
	if ((basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(msg, size, "%s: %s", base, strerror(errno));
		return -1;
	}
	p->topfd = private_dir(basefd, top, msg, size);
	close(basefd);
	if (p->topfd == -1)
		return -1;
	if (flock(p->topfd, LOCK_EX) == -1) {
		snprintf(msg, size, "%s/%s: %s", base, top, strerror(errno));
		unjoin(p);
		return -1;
	}
	sweep_top(p->topfd, p->pgid);
	if ((p->dirfd = private_dir(p->topfd, p->dirname, msg, size)) == -1)
		goto fail;
	prune_group(p);
	if ((p->stage = map_file(p->dirfd, p->name, O_TRUNC, sizeof(*sh),
	    NULL)) == NULL || (p->group = map_file(p->dirfd, "draw", 0,
	    sizeof(struct shared_group), &p->drawfd)) == NULL) {
		snprintf(msg, size, "%s/%s/%s: %s", base, top, p->dirname,
		    strerror(errno));
		goto fail;
	}
	sh = p->stage;
	if (!atomic_is_lock_free(&sh->done)) {
		snprintf(msg, size, "no lock-free 64-bit atomics");
		goto fail;
	}
	atomic_store_explicit(&sh->pid, (int32_t)getpid(), memory_order_relaxed);
	atomic_store_explicit(&sh->role, p->me.role, memory_order_relaxed);
	atomic_store_explicit(&sh->started_us, (int64_t)(p->me.started * 1e6),
	    memory_order_relaxed);
	publish(p);
	atomic_store_explicit(&sh->magic, STAGE_MAGIC, memory_order_release);
	flock(p->topfd, LOCK_UN);
	return 0;
fail:
	if (p->stage != NULL)
		unlinkat(p->dirfd, p->name, 0);
	flock(p->topfd, LOCK_UN);
	unjoin(p);
	return -1;
}

/* ---- Drawing. ---- */

static void
set_shown(struct ia_progress *p, bool shown)
{
	p->shown = shown;
	if (p->group != NULL)
		atomic_store_explicit(&((struct shared_group *)p->group)->shown,
		    shown, memory_order_relaxed);
}

static bool
group_shown(const struct ia_progress *p)
{
	if (p->group == NULL)
		return p->shown;
	return atomic_load_explicit(&((struct shared_group *)p->group)->shown,
	    memory_order_relaxed) != 0;
}

/* Clear the line, whoever drew it, for the shell prompt or a message. */
static void
erase(struct ia_progress *p)
{
	if (p->fp == NULL)
		return;
	fputs(CLEAR_LINE, p->fp);
	fflush(p->fp);
	set_shown(p, false);
	p->line[0] = '\0';
}

/* The terminal's width, less one: a line that wraps could not be cleared. */
static size_t
width(FILE *fp)
{
	struct winsize	 ws;

	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == -1 || ws.ws_col < 2)
		return 79;
	return (size_t)ws.ws_col - 1;
}

/* Compose the line from every stage, and draw it if it changed. */
static void
draw(struct ia_progress *p, double now)
{
	struct ia_progress_stage	 st[MAX_STAGES];
	struct sums			 sub, poll;
	char				 buf[sizeof(p->line)];
	double				 since, rate;
	size_t				 n, i, len, cols, others, others_tty;
	bool				 mute = false, follows;

	if (p->dirfd == -1) {
		st[0] = p->me;
		n = 1;
	} else {
		if (!p->drawer) {
			if (flock(p->drawfd, LOCK_EX | LOCK_NB) == -1)
				return;
			p->drawer = true;
		}
		n = scan(p, st, MAX_STAGES, &others, &others_tty, &mute, &follows);
	}
	if (mute) {
		if (group_shown(p))
			erase(p);
		return;
	}
	since = now;
	for (i = 0; i < n; i++)
		if (st[i].started < since)
			since = st[i].started;
	add_up(st, n, &sub, &poll);
	rate = ia_progress_rate(&p->rate, now, finished(&sub, &poll), since);
	if ((len = ia_progress_line(buf, sizeof(buf), st, n, rate)) == 0)
		return;
	if (len > (cols = width(p->fp)))
		buf[cols] = '\0';
	if (group_shown(p) && strcmp(buf, p->line) == 0)
		return;
	fprintf(p->fp, CLEAR_LINE "%s", buf);
	fflush(p->fp);
	memcpy(p->line, buf, sizeof(buf));
	set_shown(p, true);
}

void
ia_progress_update(struct ia_progress *p, unsigned long done,
    unsigned long failed, unsigned long left, bool input_done)
{
	double	 now;

	if (!p->on || p->ended)
		return;
	p->me.done = done;
	p->me.failed = failed;
	p->me.left = left;
	p->me.input_done = input_done;
	if (p->stage != NULL)
		publish(p);
	if (p->fp == NULL)
		return;
	now = ia_time_now();
	if (now - p->last < PROGRESS_EVERY)
		return;
	p->last = now;
	draw(p, now);
}

/*
 * Leave the group.  The line stays for another stage to redraw, unless
 * none can (then it is cleared) or clear asks for a clean line at once.
 * The last live stage removes the group's directory; but an ia-submit
 * writing to a pipe, that saw no ia-poll, leaves its stage for one slow
 * to start (which removes it in turn), as a joiner removes it once it is
 * of no use (see prune_group() and sweep_top()).
 */
void
ia_progress_done(struct ia_progress *p, bool clear)
{
	struct ia_progress_stage	 st[MAX_STAGES];
	size_t				 others = 0, others_tty = 0;
	bool				 mute, follows;

	if (!p->on || p->ended)
		return;
	p->ended = true;
	if (p->dirfd == -1) {
		if (p->shown)
			erase(p);
		return;
	}
	flock(p->topfd, LOCK_EX);
	p->me.ended = true;
	p->me.ended_at = ia_time_now();
	publish(p);
	scan(p, st, MAX_STAGES, &others, &others_tty, &mute, &follows);
	if (group_shown(p) && (clear || others_tty == 0))
		erase(p);
	if (others == 0 && !(p->me.role == IA_PROGRESS_SUBMIT && p->downstream &&
	    !follows))
		wipe_group(p->topfd, p->dirname);
	flock(p->topfd, LOCK_UN);
	unjoin(p);
}
