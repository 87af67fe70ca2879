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

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static long
days_from_civil(long y, long m, long d)
{
	long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n digits at s as a number, or -1. */
static long
digits(const char *s, int n)
{
	long	 v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * The form the API writes, "2025-11-03T10:15:02.113Z" (or no Z), read
 * without sscanf(3) into what the general reading below makes of it: the
 * same seconds (an exact integer over an exact power of ten is rounded as
 * strtod rounds the decimal), the same day (timegm(3) counts days past a
 * month's end on, as this does).  0, or -1 when it is not in that form.
 */
static int
iso_fast(const char *s, double *t)
{
	static const double	 tens[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9 };
	long	 y, mo, d, h, mi, sec, frac = 0;
	int	 n = 0;

	if ((y = digits(s, 4)) < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 1 ||
	    mo > 12 || s[7] != '-' || (d = digits(s + 8, 2)) < 0 || s[10] != 'T' ||
	    (h = digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0 || sec >= 61)
		return -1;
	s += 19;
	if (*s == '.') {
		while (s[1 + n] >= '0' && s[1 + n] <= '9' && n < 9)
			frac = frac * 10 + (s[1 + n++] - '0');
		if (n == 0)
			return -1;
		s += 1 + n;
	}
	if ((*s != 'Z' || s[1] != '\0') && *s != '\0')
		return -1;
	*t = (double)(sec * (long)tens[n] + frac) / tens[n];
	*t += (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60);
	return 0;
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

	if (iso_fast(s, &sec) == 0)
		return sec;
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
