/*
 * The files named as arguments (or stdin) read one after the other, each
 * line knowing the file it came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

const char *
ia_source_where(const char *file, long line, char *buf, size_t len)
{
	if (file != NULL)
		snprintf(buf, len, "%s:%ld", file, line);
	else
		snprintf(buf, len, "line %ld", line);
	return buf;
}

/*
 * The files named as arguments, or stdin, read one after the other.  All are
 * opened before any work, so a typo in a name costs nothing.
 */
int
ia_source_init(struct ia_source *src, char **files, int nfiles, size_t max_line,
    char *err, size_t errlen)
{
	int	 i;

	memset(src, 0, sizeof(*src));
	src->max_line = max_line;
	src->nfiles = nfiles > 0 ? nfiles : 1;
	if ((src->fds = calloc((size_t)src->nfiles, sizeof(int))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	src->names = nfiles > 0 ? files : NULL;
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0)
			src->fds[i] = STDIN_FILENO;
		else if ((src->fds[i] = open(files[i], O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
			while (--i >= 0)
				if (src->fds[i] != STDIN_FILENO)
					close(src->fds[i]);
			free(src->fds);
			return -1;
		}
	}
	if (nfiles == 0)
		src->fds[0] = STDIN_FILENO;
	ia_reader_init(&src->reader, src->fds[0], max_line);
	return 0;
}

/* The name of the file being read, for messages; NULL for stdin alone. */
const char *
ia_source_name(const struct ia_source *src)
{
	if (src->names == NULL || src->cur >= src->nfiles)
		return NULL;
	return strcmp(src->names[src->cur], "-") == 0 ? "(stdin)" : src->names[src->cur];
}

/* The next line of any file; IA_LINE_EOF only after the last one. */
enum ia_line_status
ia_source_next(struct ia_source *src, struct ia_line *line)
{
	enum ia_line_status	 st;

	for (;;) {
		if (src->cur >= src->nfiles)
			return IA_LINE_EOF;
		if ((st = ia_reader_next(&src->reader, line)) != IA_LINE_EOF) {
			line->file = ia_source_name(src);
			return st;
		}
		ia_reader_free(&src->reader);
		if (src->fds[src->cur] != STDIN_FILENO)
			close(src->fds[src->cur]);
		if (++src->cur < src->nfiles)
			ia_reader_init(&src->reader, src->fds[src->cur], src->max_line);
	}
}

int
ia_source_fd(const struct ia_source *src)
{
	return src->cur < src->nfiles ? src->fds[src->cur] : -1;
}

int
ia_source_fill(struct ia_source *src)
{
	return src->cur < src->nfiles ? ia_reader_fill(&src->reader) : 0;
}

void
ia_source_free(struct ia_source *src)
{
	if (src->cur < src->nfiles) {
		ia_reader_free(&src->reader);
		for (; src->cur < src->nfiles; src->cur++)
			if (src->fds[src->cur] != STDIN_FILENO)
				close(src->fds[src->cur]);
	}
	free(src->fds);
	src->fds = NULL;
}

