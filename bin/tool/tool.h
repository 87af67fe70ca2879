/*
 * The tool layer: what every ia tool does that may print or exit, between
 * each bin/<tool>.c and libia, as curl's src/ sits over libcurl.  A tool is
 * its options, a loop of tool_read() and tool_turn(), and what only it does.
 */
#ifndef TOOL_H
#define TOOL_H

#include "ia.h"

/* What a tool uses, for tool_option() and tool_setup(). */
#define TOOL_INPUT	0x1	/* the input forms of ia-submit and ia-group */
#define TOOL_HTTP	0x2	/* the HTTP engine (and so a key, unless dry) */
#define TOOL_READ_BUSY	0x4	/* lines are not requests: read while -j is full */

struct tool {
	const char		*name;		/* "ia-submit" */
	const char		*synopsis;	/* what follows "usage: " */
	unsigned		 uses;		/* TOOL_* */
	struct ia_option_set	 opts;		/* the tool's, the input's, the shared */
	struct ia_config	 cfg;
	struct ia_input		 in;
	struct ia_source	 src;
	struct ia_http		*http;		/* NULL without TOOL_HTTP */
	struct ia_progress	 progress;
	int			 journal;	/* --journal fd, or -1 */
	jv			 held;		/* submitted this turn: journal first */
	bool			 journaled;	/* held is in the journal already */
	void			(*on_stop)(struct tool *); /* on a signal, or NULL */
	bool			 dry_run;	/* --dry-run: print, send nothing */
	bool			 requests_only;	/* --requests-only: the requests */
	bool			 input_done;
	unsigned long		 done, failed;	/* records, for the exit status */
};

/*
 * Before getopt: name the tool (getopt's messages too), ignore SIGPIPE, and
 * take its synopsis and its own options (a table, which may give a shared
 * option a line of its own): with TOOL_INPUT the input options follow them,
 * then the shared ones (without TOOL_HTTP, those that are not about HTTP).
 */
void	 tool_init(struct tool *, const char *, const char *,
	    const struct ia_option *, unsigned, char **);
/* getopt_long(3) over all of the tool's options; -1 at their end. */
int	 tool_getopt(struct tool *, int, char **);
/* "usage: " and the synopsis; exit with the status (0: on stdout). */
void	 tool_usage(const struct tool *, int) __attribute__((noreturn));
/* --help: the usage, then a line for each option; exit 0. */
void	 tool_help(const struct tool *) __attribute__((noreturn));
/* getopt's default case: -h, --help, -V, the shared and input options, else usage. */
void	 tool_option(struct tool *, int, const char *);
/* After getopt: check and load what the options name, open the input. */
void	 tool_setup(struct tool *, int, char **);

/* Write a record, a line as it came, or text that ends a record: whole, flushed. */
void	 tool_put(jv);
void	 tool_put_raw(const char *, size_t);
void	 tool_put_text(const char *, size_t);
/*
 * From now on (unless stdout is a terminal) the records are held and go
 * out whole in batches, one write(2) each, not one a record: when the
 * batch is full, when tool_wait_line() would wait for input (so that
 * downstream sees each record once no more are coming), at tool_finish()
 * or an exit.  A kill leaves whole lines.  For a tool with no HTTP work
 * whose records should not wait for a turn (ia-collect).
 */
void	 tool_batch(void);
/* Write what the batch holds now. */
void	 tool_flush(void);
/*
 * A record that says what was submitted ({"custom_id", "id"}, a group
 * record): with --journal it goes downstream only once it is on disk there,
 * at the end of the loop turn (one fdatasync a turn, not one a record).
 */
void	 tool_submitted(struct tool *, jv);
/* A record that ends as a failure: counted, then written. */
void	 tool_fail(struct tool *, jv);
/* --dry-run: show the transfer as it would go, and drop it. */
void	 tool_dry_run(struct tool *, struct ia_xfer *);
/*
 * An input item that is an error record (it is counted and written) or,
 * with --requests-only, a request (it is printed as it would be sent):
 * taken over, true; else false, untouched, for the tool to send.
 */
bool	 tool_item_taken(struct tool *, struct ia_item *);

/*
 * Hand each buffered input line to fn while there is room for more work,
 * or always with TOOL_READ_BUSY (a line over --max-line becomes an error
 * record); sets input_done at the end of the input.
 */
void	 tool_read(struct tool *, void (*)(const struct ia_line *));
/* The same, each line as the items of the input forms (TOOL_INPUT). */
void	 tool_read_items(struct tool *, void (*)(void *, struct ia_item *));
/*
 * One turn of the loop: wait up to timeout_ms for HTTP progress and, while
 * there is room (always, with TOOL_READ_BUSY), for input; then hand each
 * finished transfer to fn.
 */
void	 tool_turn(struct tool *, int, void (*)(struct ia_xfer *));
/*
 * For a tool with nothing else to do (ia-collect): the next line, waiting
 * for it as long as it takes.  IA_LINE_OK, IA_LINE_TOO_LONG (text NULL),
 * IA_LINE_EOF, or -1 with errno (line->file names the file).
 */
int	 tool_wait_line(struct ia_source *, struct ia_line *);
/* Whether another transfer would start at once. */
bool	 tool_room(const struct tool *);
/*
 * A tool with HTTP catches SIGINT, SIGTERM and SIGHUP from tool_setup() on:
 * tool_turn() then calls on_stop (to save what is still pending), writes
 * what the journal holds, clears the progress line and ends the tool by
 * that signal, as the shell and make expect.  A second signal ends it at
 * once.  tool_signalled() says which signal came, or 0.
 */
int	 tool_signalled(void);
/*
 * After a turn: the tool's counters for the progress line (done and failed
 * are its own), with left, what it took and has not finished.
 */
void	 tool_progress(struct tool *, size_t);
/* Clear the progress line, free it all, close stdout: the exit status. */
int	 tool_finish(struct tool *);

#endif /* TOOL_H */
