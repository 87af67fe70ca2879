/*
 * pace.c: keeping to a rate limit, --rate's or the one a server shows with
 * its 429s.  Starts are spaced 1/rate apart; the engine (http.c) asks
 * before each start and tells of each answer.  No clock of its own: every
 * call is given the time, so that the tests can drive it.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ia.h"

/*
 * 429s that the first cut takes with none taken between that was sent after
 * one of them: fewer when -j is smaller, twice as many for each cut undone
 * (up to -j).
 */
#define FIRST_CUT_RUN	4

/*
 * A cut after which 429s still come to requests sent since (UNDO_RUN of
 * them, UNDO_SHARE of their answers or more) is undone, when it is a later
 * cut of a run: under a limit measured while the bucket ran dry they stop,
 * while 429s at random (a proxy's, a fault) come on whatever the pace.
 */
#define UNDO_RUN	4
#define UNDO_SHARE	0.03

/*
 * The share of the time new starts may be paused after 429s, and what may
 * be saved up of it, seconds (or one pause, when an answer takes longer).
 */
#define PAUSE_SHARE	0.1
#define PAUSE_SAVE	0.1

/* How long the pace stays under a limit found twice, seconds, and how near. */
#define HOLD_MIN	10.0
#define HOLD_MAX	80.0
#define HOLD_SHARE	0.99

void
ia_pace_init(struct ia_pace *p, double max, int jobs)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
	p->rate = max;
	p->jobs = jobs;
	p->cut_at = -1;
	p->first_took = -1;
	p->refused_at = -1;
	p->between_at = -1;
	p->srtt = -1;
	p->pause_budget_at = -1;
}

/*
 * What the server took (answers other than 429) a second, lately: those of
 * the slot now is in and the nine before, over the time they span, or all
 * of them when the first came less than a second ago (a bucket's store
 * then counts in full, for the cut to find out later).
 */
static double
took_last_second(const struct ia_pace *p, double now)
{
	long		 slot = (long)floor(now * 10);
	unsigned	 n = 0;
	int		 i;

	for (i = 0; i < 10; i++)
		if (p->took_slot[i] > slot - 10)
			n += p->took[i];
	if (now < p->first_took + 1)
		return n;
	return n / ((9 + now * 10 - (double)slot) / 10);
}

/*
 * A cut: 95 % of what the server takes a second, within bounds.  That is
 * best measured between two refusals a second or more apart, since a
 * bucket is empty at both (what it took is what it was filled with);
 * without them, as what it took in the last second.
 */
static double
cut(struct ia_pace *p, double now)
{
	double	 r, took;

	took = p->between_at > p->cut_at ? p->between :
	    took_last_second(p, now);
	/*
	 * A cut never raises the pace: what the server took in the last
	 * second may include a bucket's store, which a pace under the limit
	 * lets fill.
	 */
	if (p->rate > 0 && took > p->rate)
		took = p->rate;

	/*
	 * The first cut of a run may measure a bucket's store, or 429s at
	 * random, and is not tested: the next cut mends it.  A later one
	 * measured while 429s came, the bucket dry, is (undo()).
	 */
	p->tested = p->cut_at >= 0;
	p->after = p->refused_after = 0;
	/*
	 * The pace stays under a limit found for HOLD_MIN seconds before it
	 * probes above it; twice as long each time it is found again where it
	 * was (within 5 %), up to HOLD_MAX; not at all when it is found
	 * elsewhere, which may be a limit raised.
	 */
	if (p->cut_at < 0)
		p->hold = HOLD_MIN;
	else if (fabs(took - p->took_at_cut) <= 0.05 * p->took_at_cut)
		p->hold = p->hold > 0 ? fmin(2 * p->hold, HOLD_MAX) : HOLD_MIN;
	else
		p->hold = 0;
	p->took_at_cut = took;
	r = 0.95 * took;
	/* A cut at most halves the pace, as TCP's does its window. */
	if (p->rate > 0 && r < p->rate / 2)
		r = p->rate / 2;
	if (r < 0.1)
		r = p->rate > 0 ? p->rate / 2 : 1;
	if (r < 0.1)
		r = 0.1;
	if (p->max > 0 && r > p->max)
		r = p->max;
	p->rate = r;
	p->cut_at = now;
	/* The bucket is empty: its next token is a slot away, not now. */
	if (p->next_at < now + 1 / r)
		p->next_at = now + 1 / r;
	return r;
}

/*
 * A cut that did not stop the 429s: they were no limit.  The pace goes back
 * to what it was before any cut, --rate or none, and what was measured
 * since is forgotten.
 */
static void
undo(struct ia_pace *p, double now)
{
	p->rate = p->max;
	p->cut_at = -1;
	p->took_at_cut = 0;
	p->hold = 0;
	p->recent = 0;
	p->between_at = -1;
	p->tested = false;
	p->after = p->refused_after = 0;
	if (p->undone < 8)
		p->undone++;
	if (p->max > 0 && p->next_at > now + 1 / p->max)
		p->next_at = now + 1 / p->max;
}

/*
 * An answer's latency, smoothed as TCP's round-trip time is (RFC 6298):
 * what was in flight at a 429 has answered by srtt + 4 rttvar after it, or
 * is stalled, and waiting on a stall would halt the tool for its timeout.
 */
static void
latency(struct ia_pace *p, double r, double now)
{
	if (r < 0)
		r = 0;
	if (p->srtt < 0) {
		p->srtt = r;
		p->rttvar = r / 2;
		p->pause_budget = PAUSE_SAVE;
		p->pause_budget_at = now;
	} else {
		p->rttvar = 0.75 * p->rttvar + 0.25 * fabs(p->srtt - r);
		p->srtt = 0.875 * p->srtt + 0.125 * r;
	}
}

/* How long an answer may take: TCP's retransmission timeout, unclamped. */
static double
rto(const struct ia_pace *p)
{
	return p->srtt < 0 ? 0 : p->srtt + 4 * p->rttvar;
}

/*
 * Pauses new starts for as long as an answer takes, out of a budget of
 * PAUSE_SHARE of the time: at a limit first met the pauses keep what is
 * sent into an empty bucket to what was in flight, while 429s at random,
 * which come at any pace, would otherwise pause the tool a latency each and
 * halt it.  The budget starts at the first answer (latency()), at
 * PAUSE_SAVE: not at a pause as long as that answer took, which counts a
 * connection's set-up.
 */
static void
pause_starts(struct ia_pace *p, double now)
{
	double	 d, more, full;

	d = more = rto(p);
	full = fmax(PAUSE_SAVE, d);
	p->pause_budget = fmin(full, p->pause_budget +
	    PAUSE_SHARE * (now - p->pause_budget_at));
	p->pause_budget_at = now;
	/* Extended: only what is added is paid for. */
	if (now < p->paused_until)
		more -= p->paused_until - now;
	if (more <= 0 || p->pause_budget < more)
		return;
	p->pause_budget -= more;
	p->paused_until = now + d;
}

/*
 * What an answer says of the pace.  A 429 to a request sent since the last
 * cut, a second or more after it, while the tool has as much work as -j
 * takes, cuts; the first cut only at FIRST_CUT_RUN of them with none taken
 * between that was sent after one (answers to requests sent before a 429
 * say nothing of it: a bucket's trickle lets some through), and no fewer
 * than the answers taken among them (at a limit met, what is in flight is
 * refused, while 429s at random are a few among many: a burst of -j with
 * 4 at random in it measures a few milliseconds and starves); a cut after a
 * tested one only once the pace has grown back to what that one measured.
 * Only a tool that asks for more than runs can be over a rate limit, and
 * only then is what the server took a measure of it: a tool held back by
 * its schedule or by stalls would take a stray 429 for a low limit, and
 * starve.  A tested cut after which 429s come on is undone.  Any
 * other answer counts as taken and, when paced, grows the rate: by 0.1 a
 * request (10 % a second at any rate), a fifth of that within 10 % under
 * what the server took at the last cut, since each time the pace reaches
 * the limit costs a 429 or two, and not past HOLD_SHARE of a limit found
 * twice while its hold lasts.
 */
double
ia_pace_answer(struct ia_pace *p, long status, double sent_at, double now,
    size_t work)
{
	long	 slot = (long)floor(now * 10);
	int	 i = (int)(slot % 10);
	double	 ceiling;
	bool	 since;

	if (status == 0)
		return 0;
	latency(p, now - sent_at, now);
	if ((since = p->cut_at >= 0 && sent_at >= p->cut_at))
		p->after++;
	if (status == 429) {
		if (p->recent++ == 0)
			p->run_taken = 0;
		if (p->refused_at >= 0 && now >= p->refused_at + 1) {
			p->between = p->took_since / (now - p->refused_at);
			p->between_at = now;
		}
		p->refused_at = now;
		p->took_since = 0;
		pause_starts(p, now);
		if (since && ++p->refused_after >= UNDO_RUN && p->tested &&
		    p->refused_after >= UNDO_SHARE * p->after) {
			undo(p, now);
			return -1;
		}
		if (sent_at < p->cut_at || now < p->cut_at + 1)
			return 0;
		if (p->cut_at < 0 && ((p->recent < FIRST_CUT_RUN << p->undone &&
		    p->recent < p->jobs) ||
		    (unsigned long)p->recent < p->run_taken))
			return 0;
		if (work < (size_t)p->jobs)
			return 0;
		/*
		 * Under a limit found by a tested cut, a 429 is no sign of
		 * it: a limit lowered shows by 429s that come on, and undo()
		 * then starts over.
		 */
		if (p->tested && p->rate < p->took_at_cut)
			return 0;
		return cut(p, now);
	}
	p->took_since++;
	if (sent_at >= p->refused_at)
		p->recent = 0;
	else if (p->recent > 0)
		p->run_taken++;
	if (p->first_took < 0)
		p->first_took = now;
	if (p->took_slot[i] != slot) {
		p->took_slot[i] = slot;
		p->took[i] = 0;
	}
	p->took[i]++;
	if (p->rate > 0 && (p->max == 0 || p->rate < p->max)) {
		ceiling = HOLD_SHARE * p->took_at_cut;
		p->rate += p->rate >= 0.9 * p->took_at_cut &&
		    p->rate < p->took_at_cut ? 0.02 : 0.1;
		if (now < p->cut_at + p->hold && p->rate > ceiling)
			p->rate = ceiling;
		if (p->max > 0 && p->rate > p->max)
			p->rate = p->max;
	}
	return 0;
}

/*
 * Whether a start may be now; if so, the next slot is taken.  After a 429,
 * until one sent since is taken, a start is a probe: the next waits for
 * its answer, or as long as one takes.
 */
bool
ia_pace_start(struct ia_pace *p, double now)
{
	if (p->rate > 0) {
		if (now < p->next_at)
			return false;
		/* Late by a loop turn or so: keep the slack, not a burst. */
		if (p->next_at < now - 0.01)
			p->next_at = now - 0.01;
		p->next_at += 1 / p->rate;
	}
	if (p->recent > 0)
		pause_starts(p, now);
	return true;
}

/*
 * After a 429, what is in flight says first whether it was a limit (429s in
 * a row: a cut) or a stray one: a request sent meanwhile would only be
 * refused with them.  Only an answer to a request sent since says the
 * server takes them again: those of requests sent before may come after
 * the 429 and say nothing of it.  The pause lasts as long as those answers
 * take (latency()), not for a stalled one: that would halt the tool for
 * its timeout at each 429.
 */
bool
ia_pace_paused(const struct ia_pace *p, double now)
{
	return p->recent > 0 && now < p->paused_until;
}

double
ia_pace_next(const struct ia_pace *p, double now)
{
	double	 t = p->rate > 0 ? p->next_at : -1;

	if (ia_pace_paused(p, now) && p->paused_until > t)
		t = p->paused_until;
	return t;
}
