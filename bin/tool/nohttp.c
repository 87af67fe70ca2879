/*
 * http.c's place in a tool that sends nothing (ia-collect): it never
 * asks for TOOL_HTTP, and so links no libcurl.
 */
#include <stdlib.h>

#include "tool.h"
#include "tool_int.h"

void
tool_http_config(struct tool *t)
{
	(void)t;
	abort();
}

void
tool_http_start(struct tool *t)
{
	(void)t;
	abort();
}

void
tool_http_free(struct tool *t)
{
	(void)t;
}
