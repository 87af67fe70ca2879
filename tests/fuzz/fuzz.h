/*
 * What the libFuzzer harnesses share: a check that aborts (libFuzzer then
 * keeps the input as a crash), and the input cut into lines.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/* An invariant broken: say which and abort, so that the input is kept. */
#define FUZZ_CHECK(e) do {						\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #e);				\
		abort();						\
	}								\
} while (0)

/*
 * Call fn on each line of data (without its '\n', one '\r' before it
 * dropped), numbered from 1, as ia_reader_next() would give them, blank
 * lines included.
 */
static inline void
fuzz_lines(const uint8_t *data, size_t size,
    void (*fn)(void *, const char *, size_t, long), void *arg)
{
	const char	*s = (const char *)data, *nl;
	size_t		 len;
	long		 n = 0;

	while (size > 0) {
		nl = memchr(s, '\n', size);
		len = nl != NULL ? (size_t)(nl - s) : size;
		n++;
		fn(arg, s, len > 0 && s[len - 1] == '\r' ? len - 1 : len, n);
		if (nl == NULL)
			break;
		size -= len + 1;
		s = nl + 1;
	}
}

#endif /* FUZZ_H */
