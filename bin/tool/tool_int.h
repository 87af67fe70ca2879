/*
 * What the tool layer's files (tool.c, out.c, loop.c) share, and
 * no tool sees.
 */
#ifndef TOOL_INT_H
#define TOOL_INT_H

#include <signal.h>

extern struct tool		*tool_current;	/* for an exit on a write error */
extern volatile sig_atomic_t	 tool_line_fd;	/* a progress line may be there */

/* Open --journal FILE to append, cutting off a last line left short. */
void	 tool_journal_open(struct tool *, const char *);
/* What was submitted this turn: into the journal, synced, then downstream. */
void	 tool_sync(struct tool *);
/* From now on SIGINT, SIGTERM and SIGHUP wake the loop to stop the tool. */
void	 tool_catch_signals(void);
/*
 * http.c, or nohttp.c in a tool that sends nothing (ia-collect),
 * which then links no libcurl: the key and the URL checked, before the
 * input is opened; the engine started, and the signals caught; the engine
 * freed.
 */
void	 tool_http_config(struct tool *);
void	 tool_http_start(struct tool *);
void	 tool_http_free(struct tool *);

#endif /* TOOL_INT_H */
