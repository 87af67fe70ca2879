#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/* Where the text of a --help line starts, as GNU tools have it. */
#define HELP_COLUMN	23

static bool
is_short(int val)
{
	return val > 0 && val < 128 && isgraph(val);
}

/* Whether row names an option that one of rows[0..n) names already. */
static bool
taken(const struct ia_option *const *rows, size_t n, const struct ia_option *row)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (is_short(row->val) && rows[i]->val == row->val)
			return true;
		if (row->name != NULL && rows[i]->name != NULL &&
		    strcmp(rows[i]->name, row->name) == 0)
			return true;
	}
	return false;
}

int
ia_option_merge(struct ia_option_set *set, const struct ia_option *const *tables,
    bool http)
{
	const struct ia_option *const	*t;
	const struct ia_option		*o;
	size_t				 max = 0, nshort = 0, nlong = 0, i;

	memset(set, 0, sizeof(*set));
	for (t = tables; *t != NULL; t++)
		for (o = *t; o->help != NULL; o++)
			max++;
	set->rows = calloc(max + 1, sizeof(*set->rows));
	set->longopts = calloc(max + 1, sizeof(*set->longopts));
	set->shortopts = calloc(2 * max + 1, 1);
	if (set->rows == NULL || set->longopts == NULL || set->shortopts == NULL) {
		ia_option_free(set);
		errno = ENOMEM;
		return -1;
	}
	for (t = tables; *t != NULL; t++) {
		for (o = *t; o->help != NULL; o++) {
			if ((o->http && !http) || taken(set->rows, set->n, o))
				continue;
			set->rows[set->n++] = o;
		}
	}
	for (i = 0; i < set->n; i++) {
		o = set->rows[i];
		if (is_short(o->val)) {
			set->shortopts[nshort++] = (char)o->val;
			if (o->arg != NULL)
				set->shortopts[nshort++] = ':';
		}
		if (o->name != NULL) {
			set->longopts[nlong].name = o->name;
			set->longopts[nlong].has_arg = o->arg != NULL ?
			    required_argument : no_argument;
			set->longopts[nlong].flag = NULL;
			set->longopts[nlong].val = o->val;
			nlong++;
		}
	}
	return 0;
}

void
ia_option_help(const struct ia_option_set *set, FILE *fp)
{
	const struct ia_option	*o;
	char			 left[128];
	size_t			 i;
	int			 n;

	for (i = 0; i < set->n; i++) {
		o = set->rows[i];
		n = 0;
		if (is_short(o->val))
			n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c%s",
			    o->val, o->name != NULL ? ", " : "");
		if (o->name != NULL)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s",
			    o->name);
		if (o->arg != NULL)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
		/* Two spaces at least between the option and its text. */
		if (2 + strlen(left) + 2 <= HELP_COLUMN)
			fprintf(fp, "  %-*s%s\n", HELP_COLUMN - 2, left, o->help);
		else
			fprintf(fp, "  %s\n%*s%s\n", left, HELP_COLUMN, "", o->help);
	}
}

void
ia_option_free(struct ia_option_set *set)
{
	free(set->rows);
	free(set->longopts);
	free(set->shortopts);
	memset(set, 0, sizeof(*set));
}
