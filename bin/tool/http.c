/*
 * The tool layer's HTTP engine, set up after the options and freed at the
 * end: apart from tool.c so that a tool that sends nothing links
 * nohttp.c in its place, and with it no libcurl (whose TLS libraries
 * would cost it 7 MiB of memory and a slower start).
 */
#include <err.h>
#include <stdio.h>

#include "tool.h"
#include "tool_int.h"

void
tool_http_config(struct tool *t)
{
	char	 msg[1024];

	if (ia_config_finish(&t->cfg, msg, sizeof(msg)) == -1)
		errx(IA_EXIT_USAGE, "%s", msg);
}

void
tool_http_start(struct tool *t)
{
	char	 msg[1024];

	if ((t->http = ia_http_new(&t->cfg, t->cfg.verbose ? stderr : NULL, msg,
	    sizeof(msg))) == NULL)
		errx(IA_EXIT_USAGE, "%s", msg);
	tool_catch_signals();
}

void
tool_http_free(struct tool *t)
{
	ia_http_free(t->http);
	t->http = NULL;
}
