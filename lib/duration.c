#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/*
 * Durations are seconds, fractions allowed, optionally with a unit, so that
 * the same flag reads naturally for 500ms and for 72h.
 */
int
ia_duration_parse(const char *s, double *secs)
{
	static const struct {
		const char	*unit;
		double		 mult;
	} units[] = {
		{ "", 1 }, { "ms", 0.001 }, { "s", 1 }, { "m", 60 },
		{ "h", 3600 }, { "d", 86400 },
	};
	char	*end;
	double	 v;
	size_t	 i;

	if (s == NULL || *s == '\0' || strchr(" \t\n+-", *s) != NULL)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*secs = v * units[i].mult;
			return isfinite(*secs) ? 0 : -1;
		}
	}
	return -1;
}
