/*
 * The hostile answers of --garbage-rate: what a broken server, a proxy in
 * the way or a slow network sends instead of the answer.  The kinds that
 * answer 200 do the request's work first, as --lose-rate does, and garble
 * the answer it had (routes.c); the others answer their status at once and
 * do nothing.  The bodies of short, huge and drip are made as they are sent,
 * by MHD content readers, so a huge one costs no memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "mock.h"

#define DRIP_MS		1000	/* a byte every so often */
#define HUGE_BLOCK	(64u << 10)

static const char html_502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/* The Retry-After values of retry-after, drawn evenly. */
static const char *const retry_afters[] = {
	"soon",		/* garbage */
	"-30",		/* negative */
	"999999999",	/* enormous: 31 years */
};

#define REDIRECT_INVALID	"http://ia-mock-redirect.invalid"

/* A body made as it is sent, owned by its MHD response. */
struct body {
	enum garbage	 garbage;
	struct exchange	*x;		/* G_DRIP: its connection's exchange */
	char		*text;		/* the answer garbled */
	size_t		 len;
	size_t		 head;		/* G_HUGE: the bytes before the padding */
	int64_t		 due_ms;	/* G_DRIP: when the next byte goes */
};

static const char huge_head[] = "{\"padding\":\"";

/* Whether x's garbage is made of the answer, after the work. */
bool
mock_garbage_works(const struct exchange *x)
{
	return x->fault_kind->status == 0;
}

static char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	return p != NULL ? p : strdup("");
}

/*
 * JSON that no parser takes, drawn among three: cut in half (and sent
 * whole), with an extra brace at the end, or single-quoted.
 */
static char *
malformed(char *answer, uint64_t seq)
{
	size_t	 len = strlen(answer);
	char	*s, *p;

	switch (mock_rnd(S_GARBAGE, seq) % 3) {
	case 0:
		answer[len / 2] = '\0';
		return answer;
	case 1:
		if ((s = malloc(len + 2)) == NULL)
			return answer;
		memcpy(s, answer, len);
		memcpy(s + len, "}", 2);
		free(answer);
		return s;
	default:
		for (p = answer; *p != '\0'; p++)
			if (*p == '"')
				*p = '\'';
		return answer;
	}
}

/*
 * The answer with a field of the wrong type: a generation's state a number,
 * a listing's generations an object (by id), a group's groupId gone, a
 * submit's id an object, an error's message a number.
 */
static char *
wrong_types(char *answer, unsigned status)
{
	jv	 v = jv_parse(answer), g, gens, by_id, s;
	char	*out;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		v = JV_ARRAY(v);
	else if (jv_object_has(jv_copy(v), jv_string("state")))
		v = jv_object_set(v, jv_string("state"), jv_number(2));
	else if (jv_object_has(jv_copy(v), jv_string("generations"))) {
		gens = jv_object_get(jv_copy(v), jv_string("generations"));
		by_id = jv_object();
		if (jv_get_kind(gens) == JV_KIND_ARRAY) {
			jv_array_foreach(gens, i, gen) {
				g = jv_get_kind(gen) == JV_KIND_OBJECT ?
				    jv_object_get(jv_copy(gen), jv_string("id")) :
				    jv_invalid();
				if (jv_get_kind(g) != JV_KIND_STRING) {
					jv_free(g);
					g = jv_string_fmt("%d", i);
				}
				by_id = jv_object_set(by_id, g, gen);
			}
		}
		jv_free(gens);
		v = jv_object_set(v, jv_string("generations"), by_id);
	} else if (jv_object_has(jv_copy(v), jv_string("groupId")))
		v = jv_object_delete(v, jv_string("groupId"));
	else if (jv_object_has(jv_copy(v), jv_string("id")))
		v = jv_object_set(v, jv_string("id"), jv_object_set(jv_object(),
		    jv_string("id"), jv_object_get(jv_copy(v), jv_string("id"))));
	else if (jv_object_has(jv_copy(v), jv_string("error")))
		v = jv_object_set(v, jv_string("error"), jv_object_set(jv_object(),
		    jv_string("message"), jv_number(status)));
	else
		v = JV_ARRAY(v);
	s = jv_dump_string(v, 0);
	out = xstrdup(jv_string_value(s));
	jv_free(s);
	free(answer);
	return out;
}

/*
 * Set x's answer for its garbage: before the work, the kind's status and
 * body; after it, 200 and the answer the work gave (whatever its status)
 * garbled.  short, huge and drip keep the answer for their readers.
 */
void
mock_garbage_answer(struct exchange *x)
{
	const struct fault_kind	*k = x->fault_kind;
	struct ia_buf		 b = { 0 };
	unsigned		 status = x->status;

	if (!mock_garbage_works(x)) {
		x->status = k->status;
		free(x->answer);
		if (k->garbage == G_HTML)
			x->answer = xstrdup(html_502);
		else if (k->garbage == G_RETRY_AFTER) {
			ia_buf_addf(&b, "{\"error\":{\"message\":\"%s\"}}", k->message);
			x->answer = ia_buf_steal(&b);
		} else
			x->answer = xstrdup("");
		return;
	}
	x->status = 200;
	if (x->answer == NULL)
		x->answer = xstrdup("{}");
	switch (k->garbage) {
	case G_JSON:
		x->answer = malformed(x->answer, x->seq);
		break;
	case G_TYPES:
		x->answer = wrong_types(x->answer, status);
		break;
	case G_EMPTY:
		x->answer[0] = '\0';
		break;
	default:
		break;
	}
}

/* G_SHORT: half the body, then the connection closes. */
static ssize_t
read_short(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body	*b = cls;
	size_t		 half = b->len / 2, n;

	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = half - (size_t)pos < max ? half - (size_t)pos : max;
	memcpy(buf, b->text + pos, n);
	return (ssize_t)n;
}

/*
 * G_HUGE: {"padding":"aaa...a", then the rest of the answer: GARBAGE_HUGE
 * bytes of valid JSON that hold the answer, for a client with no cap.
 */
static ssize_t
read_huge(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body	*b = cls;
	uint64_t	 tail = GARBAGE_HUGE - b->len;	/* where the answer's rest starts */
	size_t		 n = 0, m;

	while (n < max && pos < GARBAGE_HUGE) {
		if (pos < b->head) {
			m = b->head - (size_t)pos;
			m = m < max - n ? m : max - n;
			memcpy(buf + n, huge_head + pos, m);
		} else if (pos < tail) {
			m = tail - pos < max - n ? (size_t)(tail - pos) : max - n;
			memset(buf + n, 'a', m);
		} else {
			m = (size_t)(GARBAGE_HUGE - pos) < max - n ?
			    (size_t)(GARBAGE_HUGE - pos) : max - n;
			memcpy(buf + n, b->text + (pos - tail), m);
		}
		n += m;
		pos += m;
	}
	return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/*
 * G_DRIP: a space a second, for ever: between two the connection waits,
 * suspended, on the timer thread, and holds no thread.  It ends when the
 * client hangs up (a send fails) or the mock stops.
 */
static ssize_t
read_drip(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body	*b = cls;
	int64_t		 now;

	(void)pos;
	if (b->x->state == X_SUSPENDED)
		mock_resumed(b->x);
	if (mock_stopping() || max == 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	now = mock_now_ms(CLOCK_MONOTONIC);
	if (now >= b->due_ms) {
		buf[0] = ' ';
		b->due_ms = now + DRIP_MS;
		return 1;
	}
	if (!mock_suspend(b->x, false, b->due_ms * 1000))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return 0;
}

static void
free_body(void *cls)
{
	struct body	*b = cls;

	free(b->text);
	free(b);
}

/* A response whose body a reader makes, from x's answer (taken over). */
static struct MHD_Response *
from_reader(struct exchange *x, uint64_t size, size_t block,
    MHD_ContentReaderCallback reader)
{
	struct MHD_Response	*resp;
	struct body		*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->garbage = x->fault_kind->garbage;
	b->x = x;
	b->text = x->answer;
	b->len = strlen(x->answer);
	b->head = sizeof(huge_head) - 1;
	x->answer = NULL;
	if ((resp = MHD_create_response_from_callback(size, block, reader, b,
	    free_body)) == NULL)
		free_body(b);
	return resp;
}

/*
 * G_HUGE's answer: the answer without its opening brace, after the padding
 * and a comma, so that the whole is one object.
 */
static int
huge_text(struct exchange *x)
{
	char	*s;
	int	 r;

	if (x->answer[0] == '{' && x->answer[1] != '}')
		r = asprintf(&s, "\",%s", x->answer + 1);
	else
		r = asprintf(&s, "\"}");
	if (r == -1)
		return -1;
	free(x->answer);
	x->answer = s;
	return 0;
}

/* Where a redirect points: --redirect-to, else one of two hosts, drawn. */
static char *
location(const struct exchange *x, const char *url)
{
	char	*s;
	int	 r;

	if (mock_opt.redirect_to != NULL)
		r = asprintf(&s, "%s%s", mock_opt.redirect_to, url);
	else if (mock_rnd(S_GARBAGE, x->seq) % 2 == 0)
		r = asprintf(&s, "http://127.0.0.2:%u%s", mock_opt.port, url);
	else
		r = asprintf(&s, "%s%s", REDIRECT_INVALID, url);
	return r == -1 ? NULL : s;
}

/* The response of x's garbage, headers and all; NULL when out of memory. */
struct MHD_Response *
mock_garbage_response(struct exchange *x, const char *url)
{
	struct MHD_Response	*resp;
	char			*loc;
	enum garbage		 g = x->fault_kind->garbage;

	switch (g) {
	case G_SHORT:
		resp = from_reader(x, strlen(x->answer), 1024, read_short);
		break;
	case G_HUGE:
		resp = huge_text(x) == -1 ? NULL :
		    from_reader(x, GARBAGE_HUGE, HUGE_BLOCK, read_huge);
		break;
	case G_DRIP:
		resp = from_reader(x, MHD_SIZE_UNKNOWN, 64, read_drip);
		break;
	default:
		resp = MHD_create_response_from_buffer(strlen(x->answer), x->answer,
		    MHD_RESPMEM_MUST_FREE);
		if (resp != NULL)
			x->answer = NULL;
	}
	if (resp == NULL)
		return NULL;
	switch (g) {
	case G_HTML:
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/html");
		break;
	case G_REDIRECT:
		if ((loc = location(x, url)) == NULL) {
			MHD_destroy_response(resp);
			return NULL;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
		free(loc);
		break;
	case G_RETRY_AFTER:
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    retry_afters[mock_rnd(S_GARBAGE, x->seq) % 3]);
		/* FALLTHROUGH */
	default:
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "application/json");
	}
	return resp;
}
