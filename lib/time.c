/*
 * Time: the monotonic clock every schedule and timeout runs on, and the
 * ISO 8601 times the API writes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ia.h"

double
ia_time_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An ISO 8601 time ("2025-11-03T10:15:02.113Z") as epoch seconds, or -1. */
double
ia_time_parse(jv v)
{
	double	 t = -1;

	if (jv_get_kind(v) == JV_KIND_STRING)
		t = ia_time_parse_text(jv_string_value(v));
	jv_free(v);
	return t;
}

double
ia_time_parse_text(const char *s)
{
	struct tm	 tm;
	double		 sec;
	int		 n = 0, m = 0, oh = 0, om = 0;
	char		 sign = 0;
	const char	*rest;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &sec, &n) != 6 ||
	    !(sec >= 0 && sec < 61))	/* NaN too */
		return -1;
	rest = s + n;
	if (*rest == '+' || *rest == '-') {
		sign = *rest;
		if (sscanf(rest + 1, "%2d:%2d%n", &oh, &om, &m) != 2 ||
		    rest[1 + m] != '\0')
			return -1;
	} else if ((*rest != 'Z' || rest[1] != '\0') && *rest != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = 0;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	sec += (double)t;
	if (sign == '+')
		sec -= oh * 3600 + om * 60;
	else if (sign == '-')
		sec += oh * 3600 + om * 60;
	return sec;
}
