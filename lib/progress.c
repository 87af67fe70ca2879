#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ia.h"

#define PROGRESS_EVERY	0.2	/* seconds between redraws */
#define RATE_AFTER	1.0	/* seconds before a rate means anything */
#define ETA_MAX		(100 * 3600.0)
#define CLEAR_LINE	"\r\033[K"

/*
 * A progress line is only for a person watching: redrawing a line on a pipe
 * or a file would fill a log with carriage returns.
 */
void
ia_progress_init(struct ia_progress *p, FILE *fp, bool enabled)
{
	p->fp = enabled && fp != NULL && isatty(fileno(fp)) ? fp : NULL;
	p->started = p->last = ia_time_now();
	p->shown = false;
}

/*
 * Redraw the line, at most every PROGRESS_EVERY seconds unless forced, so
 * that a fast run does not spend its time writing to the terminal.  The rate
 * is over the whole run; the ETA is for what is in flight now, since the
 * input is a stream of unknown length.
 */
void
ia_progress_update(struct ia_progress *p, unsigned long done,
    unsigned long failed, size_t inflight, bool force)
{
	double	 now, elapsed, rate = 0;
	long	 eta;

	if (p->fp == NULL)
		return;
	now = ia_time_now();
	if (!force && now - p->last < PROGRESS_EVERY)
		return;
	p->last = now;
	elapsed = now - p->started;
	if (elapsed >= RATE_AFTER && done + failed > 0)
		rate = (double)(done + failed) / elapsed;

	fprintf(p->fp, CLEAR_LINE "ia: %lu done, %lu failed, %zu in flight",
	    done, failed, inflight);
	if (rate > 0) {
		fprintf(p->fp, ", %.1f/s", rate);
		if (inflight > 0 && (double)inflight / rate < ETA_MAX) {
			eta = (long)((double)inflight / rate + 0.5);
			if (eta >= 3600)
				fprintf(p->fp, ", ETA %ld:%02ld:%02ld", eta / 3600,
				    eta / 60 % 60, eta % 60);
			else
				fprintf(p->fp, ", ETA %ld:%02ld", eta / 60, eta % 60);
		}
	}
	fflush(p->fp);
	p->shown = true;
}

/* Leave the terminal as it was, for the summary or the shell prompt. */
void
ia_progress_done(struct ia_progress *p)
{
	if (p->fp == NULL || !p->shown)
		return;
	fputs(CLEAR_LINE, p->fp);
	fflush(p->fp);
	p->shown = false;
}
