/*
 * The schedule of things being polled: a binary min-heap by due time, so
 * that the loop finds the next due item in O(1) and a million pending ids
 * cost O(log n) each to reschedule.
 */
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

static void
swap(struct ia_sched *s, size_t a, size_t b)
{
	struct ia_sched_item	*t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->slot = a;
	s->heap[b]->slot = b;
}

int
ia_sched_add(struct ia_sched *s, struct ia_sched_item *it)
{
	struct ia_sched_item	**h;
	size_t			  i, cap;

	if (s->len == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if ((h = realloc(s->heap, cap * sizeof(*h))) == NULL)
			return -1;
		s->heap = h;
		s->cap = cap;
	}
	i = s->len++;
	s->heap[i] = it;
	it->slot = i;
	while (i > 0 && s->heap[(i - 1) / 2]->due > s->heap[i]->due) {
		swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

struct ia_sched_item *
ia_sched_pop_due(struct ia_sched *s, double now)
{
	struct ia_sched_item	*top;
	size_t			 i, c;

	if (s->len == 0 || s->heap[0]->due > now)
		return NULL;
	top = s->heap[0];
	s->heap[0] = s->heap[--s->len];
	s->heap[0]->slot = 0;
	for (i = 0; (c = 2 * i + 1) < s->len; i = c) {
		if (c + 1 < s->len && s->heap[c + 1]->due < s->heap[c]->due)
			c++;
		if (s->heap[i]->due <= s->heap[c]->due)
			break;
		swap(s, i, c);
	}
	return top;
}

double
ia_sched_wait(const struct ia_sched *s, double now)
{
	if (s->len == 0)
		return -1;
	return s->heap[0]->due > now ? s->heap[0]->due - now : 0;
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
 * The wait before the next poll of an item age seconds old (0: not polled
 * yet).  The lag, from a generation's end to the poll that sees it, stays
 * under a share of the age: at most half the age, at least min and at
 * most max.  What the run learned moves the poll to when the work should
 * be done: not before the shortest duration seen (nothing ended sooner),
 * and at the longest one seen when that comes before the bound.  The first
 * poll is the only one that may come sooner than min (aimed at the
 * longest duration seen, not under min / 10); the jitter only lengthens a
 * wait, by up to 10%, so that an aimed poll does not come early.
 */
double
ia_sched_next(const struct ia_sched *s, double age, double min, double max,
    double u)
{
	double	 lag, t, floor;

	lag = age * 0.5;
	if (lag < min)
		lag = min;
	if (lag > max)
		lag = max;
	t = age + lag;
	if (s->learned > 0) {
		if (t < s->dmin)
			t = s->dmin < age + max ? s->dmin : age + max;
		if (age < s->dmax && s->dmax < t)
			t = s->dmax;
	}
	floor = age > 0 ? min : min / 10;
	if (t - age < floor)
		t = age + floor;
	return (t - age) * (1 + 0.1 * u);
}
