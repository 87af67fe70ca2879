/*
 * fuzz_poll: what ia-poll makes of outside bytes.  The input is a record
 * line, a '\n', then an answer body.  The record is classified
 * (ia_record_kind); a group tracker is made of it (ia_group_init) and fed
 * the body as the answer to its GETs, 200, 404 and 500, with --once and
 * without, the deadline passed or not (the first byte picks); and the body
 * is fed as the answer for an id followed alone (ia_group_feed_id).  Every
 * outcome is checked (its parts arrays, what it prints generations, its
 * errors error records of stage poll) and freed.  A twin tracker is fed
 * the same bodies as text (ia_group_feed_text, through the listing scanner
 * where it reads it): its outcomes and its state must be the same.  A NUL
 * in the body splits it into the answers of successive polls, up to 8.
 */
#include "fuzz.h"

/* An outcome's arrays, checked and freed. */
static void
check_outcome(struct ia_group_outcome *o, const struct ia_group_poll *p)
{
	jv	 st;

	FUZZ_CHECK(o->verdict >= IA_GROUP_WAIT && o->verdict <= IA_GROUP_KEPT);
	FUZZ_CHECK(jv_get_kind(o->print) == JV_KIND_ARRAY);
	FUZZ_CHECK(jv_get_kind(o->errors) == JV_KIND_ARRAY);
	FUZZ_CHECK(jv_get_kind(o->pending) == JV_KIND_ARRAY);
	FUZZ_CHECK(jv_get_kind(o->running) == JV_KIND_ARRAY);
	FUZZ_CHECK(jv_get_kind(o->missing) == JV_KIND_ARRAY);
	if (o->verdict == IA_GROUP_KEPT)
		FUZZ_CHECK(p->once);
	if (jv_array_length(jv_copy(o->errors)) > 0)
		FUZZ_CHECK(o->verdict == IA_GROUP_GAVE_UP);
	jv_array_foreach(o->print, i, gen) {
		FUZZ_CHECK(jv_get_kind(gen) == JV_KIND_OBJECT);
		FUZZ_CHECK(ia_record_final(ia_record_state(jv_copy(gen))));
		jv_free(gen);
	}
	jv_array_foreach(o->errors, i, e) {
		FUZZ_CHECK(ia_record_is_error(jv_copy(e)));
		st = jv_object_get(jv_object_get(e, jv_string("error")),
		    jv_string("stage"));
		FUZZ_CHECK(jv_get_kind(st) == JV_KIND_STRING &&
		    strcmp(jv_string_value(st), "poll") == 0);
		jv_free(st);
	}
	jv_free(o->print);
	jv_free(o->errors);
	jv_free(o->pending);
	jv_free(o->running);
	jv_free(o->missing);
}

/* Two values (not consumed) printed alike: NaN, which libjq reads, is null. */
static bool
same(jv a, jv b)
{
	jv	 x = jv_dump_string(jv_copy(a), 0), y = jv_dump_string(jv_copy(b), 0);
	bool	 yes = strcmp(jv_string_value(x), jv_string_value(y)) == 0;

	jv_free(x);
	jv_free(y);
	return yes;
}

/* Two outcomes, of the tree and of the text, the same (not consumed). */
static void
same_outcome(const struct ia_group_outcome *a, const struct ia_group_outcome *b)
{
	FUZZ_CHECK(a->verdict == b->verdict);
	FUZZ_CHECK(same(a->print, b->print));
	FUZZ_CHECK(same(a->errors, b->errors));
	FUZZ_CHECK(same(a->pending, b->pending));
	FUZZ_CHECK(same(a->running, b->running));
	FUZZ_CHECK(same(a->missing, b->missing));
}

/* Two trackers in the same state. */
static void
same_group(const struct ia_group *a, const struct ia_group *b)
{
	jv	 ra = ia_group_record(a), rb = ia_group_record(b);

	FUZZ_CHECK(ia_group_left(a) == ia_group_left(b));
	FUZZ_CHECK(a->confirm == b->confirm);
	FUZZ_CHECK(same(ra, rb));
	FUZZ_CHECK(same(a->printed, b->printed));
	jv_free(ra);
	jv_free(rb);
}

/* The body as ia-poll parses it: only a 2xx answer's; invalid else. */
static jv
body_for(long status, const char *s, size_t len)
{
	return status >= 200 && status <= 299 ? jv_parse_sized(s, (int)len) :
	    jv_invalid();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 404, 200, 500, 200, 0, 204, 404 };
	static struct ia_scan_listing listing;
	struct ia_group_outcome out, out2;
	struct ia_group_poll p = { 0 };
	struct ia_group	 g, g2;
	const char	*s, *nl, *body, *id, *cid, *at, *nul;
	size_t		 len, blen, alen, i;
	char		 err[256];
	jv		 rec, idv, cidv;
	uint8_t		 opt;

	if (size < 1 || size > (1u << 20))
		return 0;
	opt = data[0];
	s = (const char *)data + 1;
	len = size - 1;
	nl = memchr(s, '\n', len);
	body = nl != NULL ? nl + 1 : s + len;
	blen = nl != NULL ? len - (size_t)(body - s) : 0;
	len = nl != NULL ? (size_t)(nl - s) : len;

	rec = jv_parse_sized(s, (int)len);
	(void)ia_record_kind(jv_copy(rec));
	p.error = "HTTP 500: Internal Server Error";
	p.attempts = 3;
	p.deadline = 60;
	p.grace = (opt & 4) ? 30 : 90;

	if (ia_group_init(&g, jv_copy(rec), 7, err, sizeof(err)) == 0) {
		FUZZ_CHECK(jv_get_kind(g.id) == JV_KIND_STRING);
		FUZZ_CHECK(ia_group_init(&g2, jv_copy(rec), 7, err, sizeof(err)) == 0);
		for (i = 0, at = body; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
			p.status = statuses[(i + opt) % 8];
			p.once = ((opt >> 3) + i) % 3 == 0;
			p.age = ((opt >> 5) + i) % 4 == 0 ? 120 : 1;
			/* The next answer: up to a NUL, from the start again at the end. */
			if (at > body + blen)
				at = body;
			nul = memchr(at, '\0', blen - (size_t)(at - body));
			alen = nul != NULL ? (size_t)(nul - at) : blen - (size_t)(at - body);
			out = ia_group_feed(&g, &p, body_for(p.status, at, alen));
			out2 = ia_group_feed_text(&g2, &p, at, alen, &listing);
			at += alen + 1;
			same_outcome(&out, &out2);
			check_outcome(&out, &p);
			check_outcome(&out2, &p);
			same_group(&g, &g2);
			if (out.verdict != IA_GROUP_WAIT)
				break;
		}
		ia_group_free(&g);
		ia_group_free(&g2);
	} else
		FUZZ_CHECK(err[0] != '\0');

	/* The record as an id followed alone, as ia-poll follows an ack. */
	idv = ia_record_field(jv_copy(rec), "id");
	cidv = ia_record_field(jv_copy(rec), "custom_id");
	id = jv_get_kind(idv) == JV_KIND_STRING ? jv_string_value(idv) : "gen-1";
	cid = jv_get_kind(cidv) == JV_KIND_STRING ? jv_string_value(cidv) : NULL;
	for (i = 0; i < 4; i++) {
		p.status = statuses[(i + opt) % 8];
		p.once = (opt >> i) & 1;
		p.age = (opt >> (i + 4)) & 1 ? 100 : 10;
		out = ia_group_feed_id(id, cid, 3, &p, body_for(p.status, body, blen));
		check_outcome(&out, &p);
	}
	jv_free(idv);
	jv_free(cidv);
	jv_free(rec);
	return 0;
}
