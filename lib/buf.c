#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"

/* Grow so that n more bytes and a NUL fit; doubling keeps appends amortised O(1). */
static int
buf_reserve(struct ia_buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (n > (size_t)-1 / 2 - b->len)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
ia_buf_add(struct ia_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ia_buf_adds(struct ia_buf *b, const char *s)
{
	return ia_buf_add(b, s, strlen(s));
}

int
ia_buf_addf(struct ia_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Hand the bytes to the caller (never NULL) and leave the buffer empty. */
char *
ia_buf_steal(struct ia_buf *b)
{
	char	*p;

	if (b->data == NULL)
		return strdup("");
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
ia_buf_free(struct ia_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
