/*
 * t.h: the harness every tests/t_*.c shares, header-only since each is its
 * own program.  A check counts, and a failing one says where on stderr;
 * t_main() runs the group named on the command line, or all of them, with
 * one line per group and a summary on stdout.  The functions are static
 * inline so that a program that does not use one is not warned about it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

struct t_group {
	const char	*name;
	void		(*fn)(void);
};

static int	checks, failures;
static const char *t_prog = "t";	/* for messages, set by t_main() */

#define CHECK(e)		check((e), __FILE__, __LINE__, #e)
#define CHECK_STR(got, want)	check_str((got), (want), __FILE__, __LINE__, #got)
#define CHECK_JSON(v, want)	check_json((v), (want), __FILE__, __LINE__, #v)
#define CHECK_NUM(got, want)	check_num((got), (want), 0, __FILE__, __LINE__, #got)

/* One check: ok, or the expression that was not, with where it is. */
static inline void
check(int ok, const char *file, int line, const char *expr)
{
	checks++;
	if (!ok) {
		failures++;
		fprintf(stderr, "%s:%d: %s\n", file, line, expr);
	}
}

/* got against want, both shown when they differ; NULL is never right. */
static inline void
check_str(const char *got, const char *want, const char *file, int line,
    const char *expr)
{
	checks++;
	if (got == NULL || want == NULL || strcmp(got, want) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", file, line,
		    expr, got != NULL ? got : "(null)",
		    want != NULL ? want : "(null)");
	}
}

/* v (consumed), dumped as jq does, key order included, against want. */
static inline void
check_json(jv v, const char *want, const char *file, int line,
    const char *expr)
{
	jv	 d = jv_dump_string(v, 0);

	check_str(jv_string_value(d), want, file, line, expr);
	jv_free(d);
}

/* got == want exactly (eps 0), or within eps; NaN is never right. */
static inline void
check_num(double got, double want, double eps, const char *file, int line,
    const char *expr)
{
	checks++;
	if (isnan(got) || (eps == 0 ? got != want : fabs(got - want) > eps)) {
		failures++;
		fprintf(stderr, "%s:%d: %s\n  got:  %.17g\n  want: %.17g\n", file,
		    line, expr, got, want);
	}
}

/*
 * v (consumed) as sorted JSON, or "(invalid)", in one of four buffers so
 * that a message can show a few at once.
 */
static inline const char *
t_dump(jv v)
{
	static char	 buf[4][8192];
	static int	 i;
	char		*b = buf[i++ % 4];
	jv		 s;

	if (!jv_is_valid(v)) {
		jv_free(v);
		return "(invalid)";
	}
	s = jv_dump_string(v, JV_PRINT_SORTED);
	snprintf(b, sizeof(buf[0]), "%s", jv_string_value(s));
	jv_free(s);
	return b;
}

/* JSON text parsed; a typo in a test's own JSON stops the test. */
static inline jv
J(const char *json)
{
	jv	 v = jv_parse(json);

	if (!jv_is_valid(v)) {
		fprintf(stderr, "%s: bad JSON in a test: %s\n", t_prog, json);
		exit(2);
	}
	return v;
}

/* The usage line names every group, so a typo shows what there is. */
static inline void
t_usage(const char *prog, const struct t_group *groups, size_t n)
{
	size_t	 i;

	fprintf(stderr, "usage: %s all", prog);
	for (i = 0; i < n; i++)
		fprintf(stderr, " | %s", groups[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

/*
 * Run the group argv[1] names, or all of them: the exit status is 0 when
 * every check passed, 1 when one failed, 2 for a usage error.
 */
static inline int
t_main(const char *prog, const struct t_group *groups, size_t n, int argc,
    char **argv)
{
	size_t	 i;
	int	 ran = 0, before, failed;

	t_prog = prog;
	if (argc != 2)
		t_usage(prog, groups, n);
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], "all") != 0 &&
		    strcmp(argv[1], groups[i].name) != 0)
			continue;
		before = checks;
		failed = failures;
		groups[i].fn();
		printf("%s: %d checks, %s\n", groups[i].name, checks - before,
		    failures == failed ? "ok" : "FAILED");
		fflush(stdout);
		ran++;
	}
	if (ran == 0)
		t_usage(prog, groups, n);
	if (failures > 0) {
		printf("%s: %d of %d checks failed\n", prog, failures, checks);
		return 1;
	}
	printf("%s: %d checks passed\n", prog, checks);
	return 0;
}
