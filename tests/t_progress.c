/*
 * t_progress: checks of lib/progress.c, one group per subcommand, run from
 * tests/lib-progress.bats: line (the line composed from stages' counters),
 * rate (the rate over a window), terminal (nothing on a pipe or a file; a
 * line on a terminal, at most 4 a second, cleared at the end) and group
 * (stages of other processes of the group in the line, one drawer at a
 * time, a takeover, a dead stage ignored, -v muting the line).
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ia.h"

static int	 checks;

#define CHECK(c) do {							\
	checks++;							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #c); \
		exit(1);						\
	}								\
} while (0)

/* As CHECK, showing what was got. */
#define CHECK_STR(got, want) do {					\
	checks++;							\
	if (strcmp((got), (want)) != 0) {				\
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, (got), (want));			\
		exit(1);						\
	}								\
} while (0)

#define CHECK_MSG(c, msg) do {						\
	checks++;							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: failed: %s (got: %s)\n",	\
		    __FILE__, __LINE__, #c, (msg));			\
		exit(1);						\
	}								\
} while (0)

static bool
contains(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

/*
 * What a drawer wrote: the line want, cleared first, with perhaps a rate
 * after it (a slow machine may take a second over a few steps).
 */
#define CHECK_DRAWN(got, want) do {					\
	size_t	 len_ = strlen(want);					\
									\
	checks++;							\
	if (strncmp((got), "\r\033[K", 4) != 0 ||			\
	    strncmp((got) + 4, (want), len_) != 0 ||			\
	    ((got)[4 + len_] != '\0' && (strncmp((got) + 4 + len_, " | ", 3) \
	    != 0 || !contains((got), "/s")))) {				\
		fprintf(stderr, "%s:%d: got \"%s\", want \"\\r\\033[K%s\"\n", \
		    __FILE__, __LINE__, (got), (want));			\
		exit(1);						\
	}								\
} while (0)

static struct ia_progress_stage
stage(enum ia_progress_role role, unsigned long done, unsigned long failed,
    unsigned long left, bool input_done)
{
	struct ia_progress_stage	 s;

	memset(&s, 0, sizeof(s));
	s.role = role;
	s.done = done;
	s.failed = failed;
	s.left = left;
	s.input_done = input_done;
	return s;
}

/* The line for stages st[0..n-1] at rate, as a string. */
static const char *
line(const struct ia_progress_stage *st, size_t n, double rate)
{
	static char	 buf[512];
	size_t		 len;

	len = ia_progress_line(buf, sizeof(buf), st, n, rate);
	CHECK(len == strlen(buf));
	return buf;
}

static void
t_line(void)
{
	struct ia_progress_stage	 st[3];
	char				 small[12];

	/* No stage, no line. */
	memset(st, 0, sizeof(st));
	CHECK_STR(line(st, 0, 5), "");

	/* A submitter alone: no total before its input ends, nor an ETA. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 1204, 0, 16, false);
	CHECK_STR(line(st, 1, -1), "submitted 1,204");
	CHECK_STR(line(st, 1, 114), "submitted 1,204 | 114/s");
	st[0].input_done = true;
	CHECK_STR(line(st, 1, 8), "submitted 1,204/1,220 | 8.0/s, ETA 0:02");
	st[0].failed = 2;
	CHECK_STR(line(st, 1, 8),
	    "submitted 1,204/1,222, failed 2 | 8.0/s, ETA 0:02");

	/* The pipeline: what ia-submit left and what ia-poll waits for. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 1204, 0, 796, true);
	st[1] = stage(IA_PROGRESS_POLL, 362, 3, 839, false);
	CHECK_STR(line(st, 2, 114), "submitted 1,204/2,000 | done 362, failed 3, "
	    "waiting 839 | 114/s, ETA 0:15");
	/* No total yet: no ETA, whatever the rate. */
	st[0].input_done = false;
	CHECK_STR(line(st, 2, 114), "submitted 1,204 | done 362, failed 3, "
	    "waiting 839 | 114/s");
	/* Acknowledged, not yet taken by ia-poll: in the pipe, still left. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 100, 0, 0, true);
	st[1] = stage(IA_PROGRESS_POLL, 10, 0, 50, false);
	CHECK_STR(line(st, 2, 9), "submitted 100/100 | done 10, failed 0, "
	    "waiting 50 | 9.0/s, ETA 0:10");
	/* ia-poll following more than was submitted (ia-run's resumed ids). */
	st[1] = stage(IA_PROGRESS_POLL, 100, 0, 50, false);
	CHECK_STR(line(st, 2, 10), "submitted 100/100 | done 100, failed 0, "
	    "waiting 50 | 10/s, ETA 0:05");
	/* Failures passed down by ia-poll count as taken. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 8, 2, 0, true);
	st[1] = stage(IA_PROGRESS_POLL, 0, 2, 8, false);
	CHECK_STR(line(st, 2, 1), "submitted 8/10, failed 2 | done 0, failed 2, "
	    "waiting 8 | 1.0/s, ETA 0:08");

	/* ia-poll alone: an ETA once its input has ended. */
	st[0] = stage(IA_PROGRESS_POLL, 10, 1, 3725, false);
	CHECK_STR(line(st, 1, 1), "done 10, failed 1, waiting 3,725 | 1.0/s");
	st[0].input_done = true;
	CHECK_STR(line(st, 1, 1), "done 10, failed 1, waiting 3,725 | 1.0/s, "
	    "ETA 1:02:05");
	CHECK_STR(line(st, 1, 3.44), "done 10, failed 1, waiting 3,725 | 3.4/s, "
	    "ETA 18:03");
	/* No rate yet, a zero rate, too far off, nothing left: no ETA. */
	CHECK_STR(line(st, 1, -1), "done 10, failed 1, waiting 3,725");
	CHECK_STR(line(st, 1, 0), "done 10, failed 1, waiting 3,725 | 0.0/s");
	CHECK_STR(line(st, 1, 0.001), "done 10, failed 1, waiting 3,725 | 0.0/s");
	st[0].left = 0;
	CHECK_STR(line(st, 1, 5), "done 10, failed 1, waiting 0 | 5.0/s");
	/* A fraction of a second left is 0:01, not 0:00. */
	st[0].left = 1;
	CHECK_STR(line(st, 1, 77), "done 10, failed 1, waiting 1 | 77/s, ETA 0:01");

	/* Stages of one role add up; the total once every input has ended. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 1000, 0, 0, true);
	st[1] = stage(IA_PROGRESS_SUBMIT, 234567, 0, 100, false);
	st[2] = stage(IA_PROGRESS_POLL, 1234567, 0, 0, false);
	CHECK_STR(line(st, 3, 12345.6), "submitted 235,567 | done 1,234,567, "
	    "failed 0, waiting 0 | 12,346/s");
	st[1].input_done = true;
	CHECK_STR(line(st, 3, -1), "submitted 235,567/235,667 | done 1,234,567, "
	    "failed 0, waiting 0");
	/* The order of the stages does not matter. */
	st[0] = stage(IA_PROGRESS_POLL, 1, 0, 2, false);
	st[1] = stage(IA_PROGRESS_SUBMIT, 3, 0, 0, true);
	CHECK_STR(line(st, 2, -1), "submitted 3/3 | done 1, failed 0, waiting 2");
	st[0] = stage(IA_PROGRESS_SUBMIT, 0, 0, 0, false);
	CHECK_STR(line(st, 1, -1), "submitted 0");
	CHECK_STR(line(st, 1, 0), "submitted 0 | 0.0/s");

	/* A small buffer: cut, never overrun, always terminated. */
	st[0] = stage(IA_PROGRESS_SUBMIT, 1204, 0, 796, true);
	st[1] = stage(IA_PROGRESS_POLL, 362, 3, 839, false);
	memset(small, 'x', sizeof(small));
	CHECK(ia_progress_line(small, 8, st, 2, 114) == 7);
	CHECK_STR(small, "submitt");
	CHECK(small[8] == 'x');
	CHECK(ia_progress_line(small, 1, st, 2, 114) == 0 && small[0] == '\0');
	CHECK(ia_progress_line(small, 0, st, 2, 114) == 0);
}

static void
t_rate(void)
{
	struct ia_progress_rate	 r;
	double			 t0 = 1000, v;
	int			 i;

	/* Too soon for a rate: -1, unless the run is a second old. */
	memset(&r, 0, sizeof(r));
	CHECK(ia_progress_rate(&r, t0, 0, t0) < 0);
	CHECK(ia_progress_rate(&r, t0 + 0.5, 5, t0) < 0);
	/* The run as a whole while the window is short: 30 in 1.5 s. */
	memset(&r, 0, sizeof(r));
	v = ia_progress_rate(&r, t0 + 1.5, 30, t0);
	CHECK(v > 19.99 && v < 20.01);
	/* Then the window: 10 a second from then on. */
	for (i = 1; i <= 8; i++)
		v = ia_progress_rate(&r, t0 + 1.5 + i * 0.25, 30 + (unsigned long)i *
		    10 / 4, t0);
	CHECK(v > 9.99 && v < 10.01);

	/* The last 10 seconds only: fast at first, then 1 a second. */
	memset(&r, 0, sizeof(r));
	for (i = 0; i <= 40; i++)	/* 10 s at 100/s */
		ia_progress_rate(&r, t0 + i * 0.25, (unsigned long)i * 25, t0);
	for (i = 1; i <= 80; i++)	/* 20 s at 1/s */
		v = ia_progress_rate(&r, t0 + 10 + i * 0.25, 1000 +
		    (unsigned long)i / 4, t0);
	CHECK(v > 0.95 && v < 1.05);
	/* Nothing more for a while: the rate falls to 0, not below. */
	for (i = 1; i <= 60; i++)
		v = ia_progress_rate(&r, t0 + 30 + i * 0.25, 1020, t0);
	CHECK(v == 0);
	/* More samples than the ring holds, from a slow caller: no harm. */
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 1000; i++)
		v = ia_progress_rate(&r, t0 + i * 0.001, (unsigned long)i, t0 - 1);
	CHECK(v > 0);
	/* A count that went down (a stage left): the window starts again. */
	v = ia_progress_rate(&r, t0 + 2, 10, 0);
	CHECK(v < 0);
	v = ia_progress_rate(&r, t0 + 3.5, 25, 0);
	CHECK(v > 9.99 && v < 10.01);
}

/* Whatever can be read from fd within ms milliseconds of quiet. */
static size_t
drain(int fd, char *buf, size_t size, int ms)
{
	struct pollfd	 pfd;
	size_t		 len = 0;
	ssize_t		 n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len + 1 < size && poll(&pfd, 1, ms) == 1) {
		if ((n = read(fd, buf + len, size - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* A terminal: a pty in raw mode, its slave as a stream, the master in *master. */
static FILE *
terminal(int *master)
{
	struct termios	 tio;
	struct winsize	 ws = { .ws_row = 20, .ws_col = 200 };
	FILE		*fp;
	char		*name;
	int		 slave;

	CHECK((*master = posix_openpt(O_RDWR | O_NOCTTY)) != -1);
	CHECK(grantpt(*master) == 0 && unlockpt(*master) == 0);
	CHECK((name = ptsname(*master)) != NULL);
	CHECK((slave = open(name, O_RDWR | O_NOCTTY)) != -1);
	CHECK(tcgetattr(slave, &tio) == 0);
	cfmakeraw(&tio);
	CHECK(tcsetattr(slave, TCSANOW, &tio) == 0);
	CHECK(ioctl(slave, TIOCSWINSZ, &ws) == 0);
	CHECK((fp = fdopen(slave, "w")) != NULL);
	return fp;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A private directory for the stages, as $XDG_RUNTIME_DIR. */
static char	 runtime[] = "/tmp/t_progress.XXXXXX";
static char	 groupdir[256];

static void
private_runtime(void)
{
	CHECK(mkdtemp(runtime) != NULL);
	CHECK(setenv("XDG_RUNTIME_DIR", runtime, 1) == 0);
	snprintf(groupdir, sizeof(groupdir), "%s/ia-progress-%ld/%ld", runtime,
	    (long)geteuid(), (long)getpgrp());
}

/* The private runtime directory, empty once the stages have gone. */
static void
rmdir_runtime(void)
{
	char	 top[300];

	snprintf(top, sizeof(top), "%s/ia-progress-%ld", runtime, (long)geteuid());
	CHECK(rmdir(top) == 0);
	CHECK(rmdir(runtime) == 0);
}

/* How many stage files the group directory holds; -1: there is none. */
static int
stages(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(groupdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

static void
t_terminal(void)
{
	struct ia_progress	 p;
	struct stat		 st;
	FILE			*fp;
	char			 buf[4096], msg[256], top[300];
	int			 fds[2], master;

	private_runtime();

	/* A pipe: nothing at all. */
	CHECK(pipe(fds) == 0);
	CHECK((fp = fdopen(fds[1], "w")) != NULL);
	ia_progress_init(&p, fp, IA_PROGRESS_POLL, true, true);
	CHECK(p.fp == NULL);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	/* It publishes still, for a drawer with a terminal. */
	CHECK(stages() == 1);
	ia_progress_update(&p, 1, 2, 3, false);
	sleep_ms(300);
	ia_progress_update(&p, 4, 5, 6, true);
	ia_progress_done(&p, true);
	CHECK(fclose(fp) == 0);
	CHECK(drain(fds[0], buf, sizeof(buf), 20) == 0);
	close(fds[0]);
	/* The last stage removed the group's directory; the top one stays private. */
	CHECK(stages() == -1);
	snprintf(top, sizeof(top), "%s/ia-progress-%ld", runtime, (long)geteuid());
	CHECK(lstat(top, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);

	/* A regular file: nothing either. */
	CHECK((fp = tmpfile()) != NULL);
	ia_progress_init(&p, fp, IA_PROGRESS_SUBMIT, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	sleep_ms(300);
	ia_progress_update(&p, 1, 2, 3, false);
	ia_progress_done(&p, false);
	CHECK(ftell(fp) == 0);
	fclose(fp);

	fp = terminal(&master);

	/* -q: nothing drawn, nothing published. */
	ia_progress_init(&p, fp, IA_PROGRESS_POLL, false, true);
	CHECK(p.fp == NULL);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	CHECK(stages() == -1);
	sleep_ms(300);
	ia_progress_update(&p, 1, 2, 3, true);
	ia_progress_done(&p, true);
	CHECK(drain(master, buf, sizeof(buf), 20) == 0);

	/* A terminal: the line, at most every 0.25 s. */
	ia_progress_init(&p, fp, IA_PROGRESS_POLL, true, true);
	CHECK(p.fp == fp);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	CHECK(stages() == 1);
	ia_progress_update(&p, 3, 1, 2, false);
	CHECK(drain(master, buf, sizeof(buf), 20) == 0);
	sleep_ms(260);
	ia_progress_update(&p, 3, 1, 2, false);
	drain(master, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "done 3, failed 1, waiting 2");
	/* Right after: not again. */
	ia_progress_update(&p, 4, 1, 1, false);
	CHECK(drain(master, buf, sizeof(buf), 20) == 0);
	/* A second on: a rate; the input ended: an ETA. */
	sleep_ms(800);
	ia_progress_update(&p, 13, 1, 2, true);
	drain(master, buf, sizeof(buf), 20);
	CHECK_MSG(contains(buf, "\r\033[Kdone 13, failed 1, waiting 2 | ") &&
	    contains(buf, "/s, ETA 0:0"), buf);
	/* The end clears it, once. */
	ia_progress_done(&p, false);
	drain(master, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	ia_progress_done(&p, true);
	ia_progress_update(&p, 20, 1, 2, true);
	CHECK(drain(master, buf, sizeof(buf), 20) == 0);
	CHECK(stages() == -1);

	/* Nothing drawn, nothing to clear. */
	ia_progress_init(&p, fp, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	ia_progress_done(&p, true);
	CHECK(drain(master, buf, sizeof(buf), 20) == 0);

	/* Alone, when no directory can be made: the same line, its own. */
	CHECK(setenv("XDG_RUNTIME_DIR", "/proc", 1) == 0);
	ia_progress_init(&p, fp, IA_PROGRESS_SUBMIT, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == -1);
	CHECK_MSG(contains(msg, "/proc") || contains(msg, "ia-progress"), msg);
	sleep_ms(260);
	ia_progress_update(&p, 7, 0, 1, false);
	drain(master, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 7");
	ia_progress_done(&p, false);
	drain(master, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");

	/* A line wider than the terminal is cut to fit, less one column. */
	CHECK(setenv("XDG_RUNTIME_DIR", runtime, 1) == 0);
	{
		struct winsize	 ws = { .ws_row = 20, .ws_col = 12 };

		CHECK(ioctl(fileno(fp), TIOCSWINSZ, &ws) == 0);
	}
	ia_progress_init(&p, fp, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 0, false);
	drain(master, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[Kdone 1, fai");
	ia_progress_done(&p, false);
	drain(master, buf, sizeof(buf), 20);
	fclose(fp);
	close(master);
	rmdir_runtime();
}

/*
 * A child stage: joins (drawing on fp if not NULL, muting if mute; its
 * output to a pipe if downstream), says
 * so on the pipe, publishes its counters for 0.3 s (so that it draws),
 * then waits for a byte on go and leaves; kill: it never leaves.
 */
static pid_t
child_stage(FILE *fp, enum ia_progress_role role, bool mute, bool downstream,
    int ready[2], int go[2])
{
	struct ia_progress	 p;
	char			 msg[256], c;
	pid_t			 pid;

	CHECK((pid = fork()) != -1);
	if (pid > 0)
		return pid;
	close(ready[0]);
	close(go[1]);
	ia_progress_init(&p, fp, role, true, !mute);
	p.downstream = downstream;
	if (ia_progress_join(&p, msg, sizeof(msg)) == -1)
		_exit(3);
	ia_progress_update(&p, 5, 0, 3, false);
	sleep_ms(300);
	ia_progress_update(&p, 5, 0, 3, true);
	if (write(ready[1], "r", 1) != 1)
		_exit(4);
	if (read(go[0], &c, 1) != 1)
		_exit(0);	/* the parent is gone: leave */
	ia_progress_done(&p, false);
	_exit(0);
}

static void
child_pipes(int ready[2], int go[2])
{
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
}

static void
child_wait_ready(int ready[2])
{
	char	 c;

	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	close(ready[0]);
}

static void
child_end(pid_t pid, int go[2])
{
	int	 status;

	close(go[0]);
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
t_group(void)
{
	struct ia_progress	 p;
	FILE			*mine, *theirs;
	char			 buf[4096], msg[256];
	int			 m1, m2, ready[2], go[2], status;
	pid_t			 pid;

	private_runtime();
	mine = terminal(&m1);
	theirs = terminal(&m2);

	/*
	 * ia-submit with stderr elsewhere (no terminal) publishes; ia-poll
	 * draws both stages.
	 */
	child_pipes(ready, go);
	pid = child_stage(NULL, IA_PROGRESS_SUBMIT, false, false, ready, go);
	child_wait_ready(ready);
	ia_progress_init(&p, mine, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	CHECK(stages() == 2);
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 2, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8 | done 1, failed 0, waiting 2");
	/* The submitter leaves: its last counts stay in the line. */
	child_end(pid, go);
	CHECK(stages() == 2);
	sleep_ms(260);
	ia_progress_update(&p, 2, 0, 1, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8 | done 2, failed 0, waiting 1");
	ia_progress_done(&p, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	CHECK(stages() == -1);

	/*
	 * Two that can draw: the first to try draws, the other does not;
	 * when the drawer leaves, the line stays until the other takes over.
	 */
	child_pipes(ready, go);
	pid = child_stage(theirs, IA_PROGRESS_SUBMIT, false, false, ready, go);
	child_wait_ready(ready);
	drain(m2, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8");
	ia_progress_init(&p, mine, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 2, false);
	CHECK(drain(m1, buf, sizeof(buf), 20) == 0);
	child_end(pid, go);
	CHECK(drain(m2, buf, sizeof(buf), 20) == 0);	/* left for the other */
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 2, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8 | done 1, failed 0, waiting 2");
	/* A message to come: the line is cleared at once. */
	ia_progress_done(&p, true);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	CHECK(stages() == -1);

	/* The drawer leaves and no other stage can draw: it clears its line. */
	child_pipes(ready, go);
	pid = child_stage(theirs, IA_PROGRESS_SUBMIT, false, false, ready, go);
	child_wait_ready(ready);
	drain(m2, buf, sizeof(buf), 20);
	ia_progress_init(&p, NULL, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	child_end(pid, go);
	drain(m2, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	ia_progress_done(&p, false);
	CHECK(stages() == -1);

	/* A stage killed without leaving is no stage; the next to join removes it. */
	child_pipes(ready, go);
	pid = child_stage(NULL, IA_PROGRESS_SUBMIT, false, false, ready, go);
	child_wait_ready(ready);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	close(go[0]);
	close(go[1]);
	CHECK(stages() == 1);
	ia_progress_init(&p, mine, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	CHECK(stages() == 1);
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 2, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "done 1, failed 0, waiting 2");

	/* -v in another stage mutes the line: cleared, then nothing. */
	child_pipes(ready, go);
	pid = child_stage(theirs, IA_PROGRESS_SUBMIT, true, false, ready, go);
	child_wait_ready(ready);
	CHECK(drain(m2, buf, sizeof(buf), 20) == 0);
	sleep_ms(260);
	ia_progress_update(&p, 2, 0, 1, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	sleep_ms(260);
	ia_progress_update(&p, 3, 0, 0, false);
	CHECK(drain(m1, buf, sizeof(buf), 20) == 0);
	child_end(pid, go);
	sleep_ms(260);
	ia_progress_update(&p, 3, 0, 0, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8 | done 3, failed 0, waiting 0");
	ia_progress_done(&p, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_STR(buf, "\r\033[K");
	CHECK(stages() == -1);

	/*
	 * ia-submit into a pipe ends before its ia-poll joins: its stage
	 * waits for it, and is in its line.
	 */
	child_pipes(ready, go);
	pid = child_stage(NULL, IA_PROGRESS_SUBMIT, false, true, ready, go);
	child_wait_ready(ready);
	child_end(pid, go);
	CHECK(stages() == 1);
	ia_progress_init(&p, mine, IA_PROGRESS_POLL, true, true);
	CHECK(ia_progress_join(&p, msg, sizeof(msg)) == 0);
	CHECK(stages() == 2);
	sleep_ms(260);
	ia_progress_update(&p, 1, 0, 7, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK_DRAWN(buf, "submitted 5/8 | done 1, failed 0, waiting 7");
	ia_progress_done(&p, false);
	drain(m1, buf, sizeof(buf), 20);
	CHECK(stages() == -1);

	/*
	 * Not so for a tool started after it ended (a later command of the
	 * same script): the joiner removes it.
	 */
	child_pipes(ready, go);
	pid = child_stage(NULL, IA_PROGRESS_SUBMIT, false, true, ready, go);
	child_wait_ready(ready);
	child_end(pid, go);
	CHECK(stages() == 1);
	sleep_ms(50);
	child_pipes(ready, go);
	pid = child_stage(NULL, IA_PROGRESS_POLL, false, false, ready, go);
	child_wait_ready(ready);
	CHECK(stages() == 1);
	child_end(pid, go);
	CHECK(stages() == -1);

	fclose(mine);
	fclose(theirs);
	close(m1);
	close(m2);
	rmdir_runtime();
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
	} tests[] = {
		{ "line", t_line },
		{ "rate", t_rate },
		{ "terminal", t_terminal },
		{ "group", t_group },
	};
	size_t	 i;

	if (argc != 2) {
		fprintf(stderr, "usage: t_progress line | rate | terminal | group\n");
		return 2;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(argv[1], tests[i].name) == 0)
			break;
	if (i == sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "t_progress: %s: unknown test\n", argv[1]);
		return 2;
	}
	tests[i].fn();
	printf("t_progress: %d checks passed\n", checks);
	return 0;
}
