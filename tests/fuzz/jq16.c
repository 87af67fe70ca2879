/*
 * Linked into every harness: libjq 1.6's parser, with its one known leak
 * kept away from LeakSanitizer.
 *
 * In an array or an object, a string that comes right after a value, with
 * no ',' or ':' between (["a" "b"], {"k" "v"}, {"k":1 "x"}), makes value()
 * in libjq 1.6's jv_parse.c return "Expected separator between values"
 * without freeing the string it was handed (later versions of jq free it).
 * Every ia tool meets it on such a line, and nothing in ia can free it.
 *
 * So that the harnesses report every leak of ours and none of that one,
 * and without the cost of a leak check after each input that has one,
 * jv_parse_sized() is taken over here: a text on which libjq would leak is
 * not given to it, and the answer is the error libjq would give, without
 * its position.  Any other text goes to libjq as it is.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

typedef jv	(*parse_fn)(const char *, int);

static parse_fn
real_parse(void)
{
	static parse_fn	 fn;

	if (fn == NULL && (fn = (parse_fn)dlsym(RTLD_NEXT, "jv_parse_sized")) == NULL)
		abort();
	return fn;
}

enum frame { ARRAY, OBJECT, KEY };

struct scan {
	enum frame	*stack;
	int		 sp;
	int		 values;	/* handed out by check_done() */
	bool		 next;		/* p->next is valid */
	bool		 next_string;	/* and a string */
};

/*
 * check_done(): a whole value at the top level is handed out.  false when
 * it is the second: jv_parse_sized() reads no further.
 */
static bool
done(struct scan *p)
{
	if (p->sp == 0 && p->next) {
		p->next = false;
		return ++p->values < 2;
	}
	return true;
}

/* parse_token(): false where libjq surely stops with an error. */
static bool
token(struct scan *p, unsigned char c)
{
	enum frame	*top = p->sp > 0 ? &p->stack[p->sp - 1] : NULL;

	switch (c) {
	case '[':
	case '{':
		if (p->next)
			return false;
		p->stack[p->sp++] = c == '[' ? ARRAY : OBJECT;
		return true;
	case ':':
		if (!p->next || top == NULL || *top != OBJECT || !p->next_string)
			return false;
		p->stack[p->sp++] = KEY;
		p->next = false;
		return true;
	case ',':
		if (!p->next || top == NULL || *top == OBJECT)
			return false;
		if (*top == KEY)
			p->sp--;
		p->next = false;
		return true;
	case ']':
		if (top == NULL || *top != ARRAY)
			return false;
		break;
	default:	/* '}' */
		if (top == NULL || (p->next ? *top != KEY : *top != OBJECT))
			return false;
		if (p->next)
			p->sp--;
		break;
	}
	/* The container closed is the value now. */
	p->sp--;
	p->next = true;
	p->next_string = false;
	return true;
}

/*
 * Whether libjq 1.6 (as Debian 12 ships it) would leak parsing s: a string
 * ends while a value is pending, which at the top level never is.  Where
 * libjq surely stops with an error, so does this; where it may not (a
 * literal that is no literal, a bad escape or control character, a missing
 * element, the depth limit), this goes on.  An ASCII RS ends the parse
 * unless it ends a value at the top level.
 */
static bool
leaks(const char *s, int len)
{
	struct scan	 p = { NULL, 0, 0, false, false };
	bool		 literal = false, string = false, escape = false;
	bool		 yes = false;
	unsigned char	 c;
	int		 i;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	if (len <= 0 || (p.stack = malloc((size_t)len * sizeof(*p.stack))) == NULL)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\036') {
			if (string)
				break;
			if (literal && p.next)
				break;
			if (literal)
				p.next = true, p.next_string = false;
			literal = false;
			if (p.sp == 0 && p.next && done(&p))
				continue;
			break;
		}
		if (string) {
			if (escape)
				escape = false;
			else if (c == '\\')
				escape = true;
			else if (c == '"') {
				string = false;
				if (p.next) {		/* value(): the leak */
					yes = true;
					break;
				}
				p.next = p.next_string = true;
				if (!done(&p))
					break;
			}
			continue;
		}
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '"' &&
		    memchr("[]{},:", c, 6) == NULL) {
			literal = true;
			continue;
		}
		if (literal) {			/* check_literal(): a scalar */
			literal = false;
			if (p.next)
				break;
			p.next = true;
			p.next_string = false;
		}
		if (!done(&p))
			break;
		if (c == '"')
			string = true;
		else if (memchr("[]{},:", c, 6) != NULL && !token(&p, c))
			break;
		if (!done(&p))
			break;
	}
	free(p.stack);
	return yes;
}

jv
jv_parse_sized(const char *s, int len)
{
	if (leaks(s, len))
		return jv_invalid_with_msg(jv_string("Expected separator between "
		    "values (not given to libjq 1.6, which leaks on it)"));
	return real_parse()(s, len);
}

jv
jv_parse(const char *s)
{
	return jv_parse_sized(s, (int)strlen(s));
}
