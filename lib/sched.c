/*
 * The schedule of things being polled: a binary min-heap by due time, so
 * that the loop finds the next due item in O(1) and a million pending ids
 * cost O(log n) each to reschedule.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ia.h"

void
ia_sched_init(struct ia_sched *s)
{
	s->heap = NULL;
	s->len = s->cap = 0;
	s->learned = 0;
	s->dmin = s->dmax = 0;
}

/*
 * The heap holds each item's due time next to it, 16 bytes an item: the
 * comparisons read the array alone, and an item needs no field for it.
 * Entries are moved along the path into a hole, not swapped.
 */
int
ia_sched_add(struct ia_sched *s, double due, void *item)
{
	struct ia_sched_entry	*h;
	size_t			 i, cap;

	if (s->len == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(*h) ||
		    (h = realloc(s->heap, cap * sizeof(*h))) == NULL)
			return -1;
		s->heap = h;
		s->cap = cap;
	}
	for (i = s->len++; i > 0 && s->heap[(i - 1) / 2].due > due; i = (i - 1) / 2)
		s->heap[i] = s->heap[(i - 1) / 2];
	s->heap[i].due = due;
	s->heap[i].item = item;
	return 0;
}

/* Put e in the hole at i, or below it where it belongs. */
static void
sift_down(struct ia_sched *s, size_t i, struct ia_sched_entry e)
{
	size_t	 c;

	for (; (c = 2 * i + 1) < s->len; i = c) {
		if (c + 1 < s->len && s->heap[c + 1].due < s->heap[c].due)
			c++;
		if (e.due <= s->heap[c].due)
			break;
		s->heap[i] = s->heap[c];
	}
	s->heap[i] = e;
}

void *
ia_sched_pop_due(struct ia_sched *s, double now)
{
	void	*top;

	if (s->len == 0 || s->heap[0].due > now)
		return NULL;
	top = s->heap[0].item;
	if (--s->len > 0)
		sift_down(s, 0, s->heap[s->len]);
	return top;
}

/*
 * Each item due again at fn(item, its due, arg), then the heap rebuilt
 * bottom-up, O(n): what the run learns may bring sooner the polls of the
 * items that wait for their first.
 */
void
ia_sched_reaim(struct ia_sched *s, double (*fn)(void *, double, void *),
    void *arg)
{
	size_t	 i;

	for (i = 0; i < s->len; i++)
		s->heap[i].due = fn(s->heap[i].item, s->heap[i].due, arg);
	for (i = s->len / 2; i-- > 0;)
		sift_down(s, i, s->heap[i]);
}

double
ia_sched_wait(const struct ia_sched *s, double now)
{
	if (s->len == 0)
		return -1;
	return s->heap[0].due > now ? s->heap[0].due - now : 0;
}

void
ia_sched_free(struct ia_sched *s)
{
	free(s->heap);
	ia_sched_init(s);
}

/*
 * What the run has seen of how long a generation takes, server time from
 * createdAt to finishedAt: the shortest and the longest.  They aim the
 * polls of everything followed after them.
 */
void
ia_sched_learn(struct ia_sched *s, double d)
{
	if (!(d >= 0) || d > 1e9)
		return;
	if (s->learned == 0 || d < s->dmin)
		s->dmin = d;
	if (s->learned == 0 || d > s->dmax)
		s->dmax = d;
	s->learned++;
}

/*
 * When the last of the work should be done: past the longest duration
 * seen by the mean gap between those seen.  Of k durations the next is
 * longer than all of them one time in k + 1, and a poll aimed at the
 * longest that comes too soon costs a wait of --interval more.
 */
static double
top(const struct ia_sched *s)
{
	if (s->learned < 2)
		return s->dmax;
	return s->dmax + (s->dmax - s->dmin) / (double)(s->learned - 1);
}

/*
 * The wait before the next poll of an item age seconds old (0: not polled
 * yet).  The lag, from a generation's end to the poll that sees it, stays
 * under a share of the age: at most half the age, at least min and at
 * most max.  Past the longest duration expected (top), what still runs is
 * later than anything that ended, and should end soon: the share is a
 * quarter, still within min and max, so that a long job costs no more.
 *
 * What the run learned aims the poll at when the work should be done:
 * not before the shortest duration seen (nothing ended sooner), and at
 * the longest one expected, when the rest should be done, if that comes
 * before the bound or less than min after it: one poll on the bound would
 * leave no room for the aimed one, and the lag of what ends sooner grows
 * by less than min.  The first poll is the only one that may come sooner
 * than min (aimed, not under min / 10).  The jitter, up to 10% longer,
 * spreads the polls of items seen together on the bound; an aimed poll
 * has none, since it would only make it late.
 */
double
ia_sched_next(const struct ia_sched *s, double age, double min, double max,
    double u, double *by)
{
	double	 lag, t, floor, last = top(s);
	bool	 aimed = false;

	if (by != NULL)
		*by = -1;

	lag = age * (s->learned > 0 && age >= last ? 0.25 : 0.5);
	if (lag < min)
		lag = min;
	if (lag > max)
		lag = max;
	t = age + lag;
	if (s->learned > 0) {
		if (t < s->dmin) {
			aimed = s->dmin < age + max;
			t = aimed ? s->dmin : age + max;
		}
		/*
		 * Sooner than the bound, or later by less than min: a poll on
		 * the bound would leave no room for one at last, and the floor
		 * would put that one off past it, by up to min.
		 */
		if (age < last && last < t + min) {
			if (by != NULL)
				*by = t + min;
			t = last;
			aimed = true;
		}
	}
	floor = age > 0 ? min : min / 10;
	if (t - age < floor)
		t = age + floor;
	if (by != NULL && *by >= 0 && *by < t)
		*by = t;
	return aimed ? t - age : (t - age) * (1 + 0.1 * u);
}

/*
 * A poll aimed at the longest duration expected is aimed when it is
 * scheduled, a poll or more before it is due.  When it is due, at age, the
 * run may have seen longer ones: those that end later were still running,
 * so the longest seen grows with the run.  Polled now, it would miss them
 * and the next would come min later; it is put off instead, to the end
 * expected now, but never past by, the age that ia_sched_next() gave with
 * it: the bound that it was aimed instead of, and min.  How often is the
 * caller's (ia-poll: once).
 */
double
ia_sched_put_off(const struct ia_sched *s, double age, double by)
{
	double	 w;

	if (s->learned == 0 || !(age >= 0) || !(by > age))
		return 0;
	w = top(s) - age;
	if (w > by - age)
		w = by - age;
	return w > 0 ? w : 0;
}
