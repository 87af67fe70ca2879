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

double
ia_sched_backoff(double cur, double min, double max, double u)
{
	double	 next = cur <= 0 ? min : cur * 1.5;

	if (next > max)
		next = max;
	if (next < min)
		next = min;
	/* +-10%, so that ids submitted together do not stay in step. */
	return next * (0.9 + 0.2 * u);
}
