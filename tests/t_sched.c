/*
 * t_sched: checks of lib/sched.c, the poll schedule: the min-heap of items
 * by due time, the wait until the next one, and the wait before the next poll.
 * "t_sched GROUP" runs one group (heap, reaim, wait, next) or all of them; it
 * prints one line per group and a summary, or each failing check.  Run from
 * tests/lib-units.bats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

#define CHECK_NEAR(got, want)	check_num((got), (want), 1e-9, __FILE__, __LINE__, #got)

/* An item of these tests: when it is due, and whether it was taken. */
struct item {
	double	 due;
	bool	 taken;
};

static int
add(struct ia_sched *s, struct item *it)
{
	return ia_sched_add(s, it->due, it);
}

/*
 * Each entry holds its item's due time, and no parent is due after its
 * children.
 */
static bool
heap_ok(const struct ia_sched *s)
{
	size_t	 i;

	for (i = 0; i < s->len; i++) {
		if (s->heap[i].item == NULL ||
		    s->heap[i].due != ((struct item *)s->heap[i].item)->due)
			return false;
		if (i > 0 && s->heap[(i - 1) / 2].due > s->heap[i].due)
			return false;
	}
	return true;
}

static int
by_due(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
t_heap(void)
{
	enum { N = 5000 };
	struct ia_sched		 s;
	struct item		*items, *it, *prev, one, two, three;
	double			*dues;
	uint64_t		 r = 7;
	size_t			 i, n, early, order = 0, seen = 0, wrong = 0;
	bool			 ok = true;

	/* Empty: nothing due, whatever the time. */
	ia_sched_init(&s);
	CHECK(s.len == 0 && s.heap == NULL);
	CHECK(ia_sched_pop_due(&s, 1e300) == NULL);

	/* Due exactly now counts as due; a moment before does not. */
	one.due = 10;
	CHECK(add(&s, &one) == 0 && s.len == 1 && s.heap[0].item == &one);
	CHECK(ia_sched_pop_due(&s, 9.999) == NULL && s.len == 1);
	CHECK(ia_sched_pop_due(&s, 10) == &one && s.len == 0);
	CHECK(ia_sched_pop_due(&s, 10) == NULL);

	/* Added out of order, taken in order; equal dues both come out. */
	three.due = 3;
	one.due = 1;
	two.due = 3;
	CHECK(add(&s, &three) == 0);
	CHECK(add(&s, &one) == 0);
	CHECK(add(&s, &two) == 0);
	CHECK(s.len == 3 && heap_ok(&s) && s.heap[0].item == &one);
	CHECK(ia_sched_pop_due(&s, 2) == &one);
	CHECK(ia_sched_pop_due(&s, 2) == NULL && s.len == 2);
	it = ia_sched_pop_due(&s, 3);
	prev = ia_sched_pop_due(&s, 3);
	CHECK((it == &two && prev == &three) || (it == &three && prev == &two));
	CHECK(s.len == 0);
	ia_sched_free(&s);
	CHECK(s.heap == NULL && s.len == 0 && s.cap == 0);

	/* Many items with random due times, some equal, past the first growth. */
	if ((items = calloc(N, sizeof(*items))) == NULL ||
	    (dues = calloc(N, sizeof(*dues))) == NULL) {
		perror("t_sched");
		exit(2);
	}
	ia_sched_init(&s);
	for (i = 0; i < N; i++) {
		items[i].due = i % 10 == 0 ? 500 : 1000 * ia_rand_next(&r);
		dues[i] = items[i].due;
		if (add(&s, &items[i]) == -1)
			ok = false;
		if (i % 97 == 0 && !heap_ok(&s))
			ok = false;
	}
	CHECK(ok && s.len == N && s.cap >= N && heap_ok(&s));
	qsort(dues, N, sizeof(*dues), by_due);

	/* At 250, only the ones due by then, in order, none twice. */
	for (early = 0; early < N && dues[early] <= 250; early++)
		;
	CHECK(early > 1000 && early < 1500);
	prev = NULL;
	for (n = 0; (it = ia_sched_pop_due(&s, 250)) != NULL; n++) {
		if (it->due > 250 || it->due != dues[n])
			wrong++;
		if (prev != NULL && prev->due > it->due)
			order++;
		if (it->taken)
			seen++;
		it->taken = true;
		prev = it;
	}
	CHECK(n == early && wrong == 0 && order == 0 && seen == 0);
	CHECK(s.len == N - early && heap_ok(&s));

	/* Put half of them back, due later: they come out among the rest. */
	for (i = 0; i < N; i++)
		if (items[i].taken && i % 2 == 0) {
			items[i].taken = false;
			items[i].due += 1000;
			if (add(&s, &items[i]) == -1)
				ok = false;
		}
	CHECK(ok && heap_ok(&s) && s.len > N - early);
	prev = NULL;
	n = s.len;
	for (i = 0; (it = ia_sched_pop_due(&s, 1e9)) != NULL; i++) {
		if (prev != NULL && prev->due > it->due)
			order++;
		if (it->taken)
			seen++;
		it->taken = true;
		prev = it;
	}
	CHECK(i == n && order == 0 && seen == 0 && s.len == 0);
	for (i = 0, n = 0; i < N; i++)
		if (!items[i].taken)
			n++;
	CHECK(n == 0);
	ia_sched_free(&s);
	free(items);
	free(dues);
}

static void
t_wait(void)
{
	struct ia_sched		 s;
	struct item		 a, b;

	ia_sched_init(&s);
	CHECK_NUM(ia_sched_wait(&s, 0), -1);
	CHECK_NUM(ia_sched_wait(&s, 1e9), -1);
	a.due = 100.5;
	b.due = 40.25;
	add(&s, &a);
	CHECK_NUM(ia_sched_wait(&s, 100), 0.5);
	CHECK_NUM(ia_sched_wait(&s, 100.5), 0);
	CHECK_NUM(ia_sched_wait(&s, 200), 0);	/* overdue: 0, not negative */
	add(&s, &b);
	CHECK_NUM(ia_sched_wait(&s, 40), 0.25);	/* the earliest counts */
	CHECK_NUM(ia_sched_wait(&s, 0), 40.25);
	CHECK(ia_sched_pop_due(&s, 50) == &b);
	CHECK_NUM(ia_sched_wait(&s, 50), 50.5);
	CHECK(ia_sched_pop_due(&s, 101) == &a);
	CHECK_NUM(ia_sched_wait(&s, 50), -1);
	ia_sched_free(&s);
}

/* A wait ia_sched_next() should give at age, with jitter u, min 1, max 30. */
struct wait {
	double	 age, u, want;
};

#define CHECK_WAITS(s, w) \
	check_waits((s), (w), sizeof(w) / sizeof((w)[0]), __LINE__)

static void
check_waits(const struct ia_sched *s, const struct wait *w, size_t n, int line)
{
	char	 what[96];
	size_t	 i;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "ia_sched_next(s, %g, 1, 30, %g) "
		    "(row %zu)", w[i].age, w[i].u, i);
		check_num(ia_sched_next(s, w[i].age, 1, 30, w[i].u, NULL), w[i].want,
		    1e-9, __FILE__, line, what);
	}
}

static void
t_next(void)
{
	/* Nothing learned: the first wait is min, then half the age. */
	static const struct wait	 bare[] = {
		{ 0, 0, 1 }, { 1, 0, 1 }, { 2, 0, 1 }, { 3, 0, 1.5 },
		{ 10, 0, 5 },
		{ 3600, 0, 30 },	/* clamped to max: every 30 s */
		{ 10, 1, 5.5 },		/* the jitter only lengthens, by 10% */
	};
	/*
	 * Learned 2, 3 and 4 s: nothing before 2; the last is expected by
	 * 4 + (4 - 2) / 2 = 5, the last look then.
	 */
	static const struct wait	 two_four[] = {
		{ 0, 0, 2 },		/* not before dmin */
		{ 1, 0, 1 },
		{ 2, 0, 1 },		/* on the bound: 3, and room for 5 after */
		/* Half the age, 4.5, leaves no room for 5: put off to 5. */
		{ 3, 0, 2 },
		{ 3.5, 0, 1.5 },	/* at 5, sooner than the bound */
		{ 4, 0, 1 },		/* at 5, over min */
		/* Past 5 the lag is a quarter of the age, not half: soon. */
		{ 5, 0, 1.25 }, { 8, 0, 2 }, { 60, 0, 15 },
		/* ... within max still: an hour-long job, 120 GETs an hour. */
		{ 3600, 0, 30 },
		/* An aimed poll has no jitter: it would only come late. */
		{ 0, 1, 2 }, { 3, 1, 2 }, { 3.5, 1, 1.5 }, { 4, 1, 1 },
		/* The bound has. */
		{ 2, 1, 1.1 }, { 8, 1, 2.2 },
	};
	/*
	 * Learned five of 0.5 to 0.75 s: the first poll aims at the last
	 * expected, 0.75 + 0.25 / 4, under min.
	 */
	static const struct wait	 short_jobs[] = {
		{ 0, 0, 0.8125 }, { 0, 1, 0.8125 },
	};
	/* Two are too few to aim under min: 0.75 + 0.25 is min itself, aimed. */
	static const struct wait	 two_short[] = { { 0, 0, 1 }, { 0, 1, 1 } };
	/* Learned 0.01 s: never under min / 10 for a first poll. */
	static const struct wait	 tiny[] = { { 0, 0, 0.1 } };
	/* Hours: dmin of 2 h skips to it, at most max later. */
	static const struct wait	 hours[] = { { 0, 0, 30 }, { 100, 0, 30 } };
	struct ia_sched			 s;
	int				 i, bad;
	double				 v;
	double				 by;

	ia_sched_init(&s);
	CHECK_WAITS(&s, bare);
	CHECK_NUM(ia_sched_put_off(&s, 1, 2), 0);	/* nothing learned */
	bad = 0;
	for (i = 0; i <= 100; i++) {
		v = ia_sched_next(&s, 10, 1, 30, i / 100.0, NULL);
		if (v < 5 - 1e-9 || v > 5.5 + 1e-9)
			bad++;
	}
	CHECK(bad == 0);

	/* Bad durations are not learned. */
	ia_sched_learn(&s, -1);
	ia_sched_learn(&s, NAN);
	CHECK(s.learned == 0);
	ia_sched_learn(&s, 3);
	ia_sched_learn(&s, 2);
	ia_sched_learn(&s, 4);
	CHECK(s.learned == 3);
	CHECK_NEAR(s.dmin, 2);
	CHECK_NEAR(s.dmax, 4);
	CHECK_WAITS(&s, two_four);
	/*
	 * Which waits are aimed at the last expected (5), to be checked then,
	 * and the age they must come by: the bound they were aimed instead
	 * of, and min.
	 */
	ia_sched_next(&s, 3, 1, 30, 0, &by);
	CHECK_NUM(by, 5.5);		/* the bound 4.5, and 1 */
	ia_sched_next(&s, 3.5, 1, 30, 1, &by);
	CHECK_NUM(by, 6.25);		/* the bound 5.25 (no jitter), and 1 */
	ia_sched_next(&s, 2, 1, 30, 0, &by);
	CHECK_NUM(by, -1);		/* on the bound */
	ia_sched_next(&s, 0, 1, 30, 0, &by);
	CHECK_NUM(by, -1);		/* at the shortest, for the first to end */
	ia_sched_next(&s, 5, 1, 30, 0, &by);
	CHECK_NUM(by, -1);		/* past it */
	/* Due at 4.5, 3 or later: put off to 5, never past by. */
	CHECK_NUM(ia_sched_put_off(&s, 4.5, 5.5), 0.5);
	CHECK_NUM(ia_sched_put_off(&s, 3, 4), 1);
	CHECK_NUM(ia_sched_put_off(&s, 3, 3.25), 0.25);
	CHECK_NUM(ia_sched_put_off(&s, 4.5, 4.5), 0);	/* no room left */
	CHECK_NUM(ia_sched_put_off(&s, 4.5, -1), 0);	/* not aimed */
	CHECK_NUM(ia_sched_put_off(&s, 5, 6), 0);
	CHECK_NUM(ia_sched_put_off(&s, 6, 7), 0);
	CHECK_NUM(ia_sched_put_off(&s, NAN, 1), 0);
	ia_sched_init(&s);
	ia_sched_learn(&s, 0.5);
	ia_sched_learn(&s, 0.75);
	CHECK_WAITS(&s, two_short);
	ia_sched_learn(&s, 0.6);
	ia_sched_learn(&s, 0.7);
	ia_sched_learn(&s, 0.55);
	CHECK_NEAR(s.dmin, 0.5);
	CHECK_NEAR(s.dmax, 0.75);
	CHECK_WAITS(&s, short_jobs);
	ia_sched_init(&s);
	ia_sched_learn(&s, 0.01);
	CHECK_WAITS(&s, tiny);
	ia_sched_init(&s);
	ia_sched_learn(&s, 7200);
	CHECK_WAITS(&s, hours);
}

/* A re-aim of the tests: odd items twice as late, every third at 0. */
static double
halve_some(void *item, double due, void *arg)
{
	struct item	*it = item;
	size_t		 i = (size_t)(it - (struct item *)arg);

	it->due = i % 3 == 0 ? 0 : i % 2 == 1 ? due * 2 : due;
	return it->due;
}

static void
t_reaim(void)
{
	enum { N = 3000 };
	struct ia_sched	 s;
	struct item	*items, *it, *prev = NULL;
	uint64_t	 r = 11;
	size_t		 i, n = 0, order = 0;

	if ((items = calloc(N, sizeof(*items))) == NULL) {
		perror("t_sched");
		exit(2);
	}
	/* Empty: nothing to do. */
	ia_sched_init(&s);
	ia_sched_reaim(&s, halve_some, items);
	CHECK(s.len == 0);
	for (i = 0; i < N; i++) {
		items[i].due = 1 + 1000 * ia_rand_next(&r);
		if (add(&s, &items[i]) == -1)
			n++;
	}
	CHECK(n == 0 && s.len == N && heap_ok(&s));
	ia_sched_reaim(&s, halve_some, items);
	/* Every entry holds its new due time, the heap in order again. */
	CHECK(s.len == N && heap_ok(&s));
	CHECK(ia_sched_pop_due(&s, 0) != NULL);
	for (n = 1; (it = ia_sched_pop_due(&s, 0)) != NULL; n++)
		;
	CHECK(n == (N + 2) / 3);
	while ((it = ia_sched_pop_due(&s, 1e9)) != NULL) {
		if (prev != NULL && prev->due > it->due)
			order++;
		prev = it;
		n++;
	}
	CHECK(n == N && order == 0 && s.len == 0);
	ia_sched_free(&s);
	free(items);
}

static const struct t_group groups[] = {
	{ "heap", t_heap },
	{ "reaim", t_reaim },
	{ "wait", t_wait },
	{ "next", t_next },
};

int
main(int argc, char *argv[])
{
	return t_main("t_sched", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
