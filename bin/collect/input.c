/*
 * ia-collect --input: the job's requests read again as ia-submit read
 * them, with the same -t, -m, --system, --webhook-id and -e (given as
 * --input-filter), so that the custom_ids assigned are those submitted:
 * for --failed, the requests to print; for --sort, the order.
 */
#include <err.h>
#include <stdlib.h>
#include <unistd.h>

#include "../tool/tool.h"
#include "collect.h"

void
collect_input_option(struct collect_input *ci, int ch, const char *arg,
    const char *name)
{
	char	 msg[1024];

	if (ia_input_option(&ci->in, ch, arg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
	if (ci->opt == NULL)
		ci->opt = name;
}

void
collect_input_check(struct collect_input *ci)
{
	char	 msg[1024];

	if (ci->path != NULL && access(ci->path, R_OK) == -1)
		err(IA_EXIT_USAGE, "%s", ci->path);
	if (ci->opt != NULL && ci->path == NULL)
		errx(IA_EXIT_USAGE, "%s goes with --input: it says how to read the "
		    "--input file, as ia-submit read it", ci->opt);
	if (ci->in.text && ci->in.model == NULL && ci->in.filter == NULL &&
	    (getenv("IA_MODEL") == NULL || *getenv("IA_MODEL") == '\0'))
		errx(IA_EXIT_USAGE, "-t needs -m MODEL or IA_MODEL (or --input-filter), as with "
		    "ia-submit: the model is part of each request, and so of the "
		    "custom_id assigned to it");
	if (ci->path != NULL && ia_input_init(&ci->in, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
}

/* What reading --input came to, and where each item goes. */
struct pass {
	struct ia_input_tally tally;
	void		(*fn)(void *, struct ia_item *);
	void		*arg;
};

static void
count_item(void *arg, struct ia_item *item)
{
	struct pass	*p = arg;

	ia_input_tally(&p->tally, item);
	p->fn(p->arg, item);
}

/*
 * A file of which no line is a request is not in the form given: a usage
 * error that says why (plain text without -t, most likely).  Some lines
 * that are not: a note, unless -q.
 */
void
collect_input_read(struct collect_input *ci, void (*fn)(void *, struct ia_item *),
    void *arg)
{
	struct pass	 p = { { 0, 0, "" }, fn, arg };
	struct ia_source src;
	struct ia_line	 line;
	char		*names[1] = { (char *)ci->path }, msg[8192];
	int		 rc;

	if (ia_source_init(&src, names, 1, ci->max_line, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
	while ((rc = tool_wait_line(&src, &line)) != IA_LINE_EOF && rc != -1) {
		if (rc == IA_LINE_OK)
			ia_input_line(&ci->in, &line, count_item, &p);
		else
			count_item(&p, &(struct ia_item){ IA_KIND_NONE,
			    ia_input_too_long(&line, ci->max_line), NULL, line.lineno });
	}
	if (rc == -1)
		err(IA_EXIT_USAGE, "--input: %s", ci->path);
	ia_source_free(&src);
	rc = ia_input_verdict(&p.tally, &ci->in, ci->path, ci->opt != NULL, msg,
	    sizeof(msg));
	if (rc == -1)
		errx(IA_EXIT_USAGE, "--input: %s", msg);
	if (rc == 1 && !ci->quiet)
		warnx("--input: %s", msg);
}
