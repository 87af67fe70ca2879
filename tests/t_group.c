/*
 * t_group: checks of lib/group.c, what each answer means for a group being
 * followed, or an id followed alone.  "t_group GROUP" runs one group of
 * checks (init, next, listed, whole, missing, absent, empty, once,
 * deadline, shared, failed, id, text) or all of them; it prints one line per group and a
 * summary, or each failing check with what it got and wanted.
 *
 * JSON here is written with ' for " (and ` for '), and outputs are compared
 * exactly, as jq dumps them: key order included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia.h"
#include "t.h"

#undef CHECK_JSON
#define CHECK_JSON(got, want)	check_jq((got), (want), __FILE__, __LINE__, #got)
/* An outcome: verdict, then print, errors and pending as JSON arrays. */
#define CHECK_OUT(o, v, print, errors, pending) \
	check_out((o), (v), (print), (errors), (pending), __FILE__, __LINE__)
/* And what it says is running and missing. */
#define CHECK_LEFT(o, running, missing) \
	check_left((o), (running), (missing), __FILE__, __LINE__)

/* Gens: a generation whose request carries custom_id cid, and without one. */
#define G(id, st, cid)	"{'id':'" id "','state':'" st "','request':{'metadata':" \
			"{'custom_id':'" cid "'}}}"
#define G0(id, st)	"{'id':'" id "','state':'" st "','request':{}}"
/* What ia-poll prints for them. */
#define P(id, st, cid)	"{'custom_id':'" cid "','id':'" id "','state':'" st "'," \
			"'request':{'metadata':{'custom_id':'" cid "'}}}"
#define P0(id, st)	"{'custom_id':null,'id':'" id "','state':'" st "','request':{}}"
#define LIST(gens)	"{'generations':[" gens "]}"

/* JSON text with ' for " and ` for ', parsed; a typo of its own stops the test. */
static jv
json(const char *text)
{
	char	*t, *c;
	jv	 v;

	if ((t = strdup(text)) == NULL) {
		perror("t_group");
		exit(2);
	}
	for (c = t; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
		else if (*c == '`')
			*c = '\'';
	v = jv_parse(t);
	if (!jv_is_valid(v)) {
		fprintf(stderr, "t_group: bad JSON in a test: %s\n", text);
		exit(2);
	}
	free(t);
	return v;
}

/* got (consumed), dumped as jq does, against want in the ' notation. */
static void
check_jq(jv got, const char *want, const char *file, int line,
    const char *expr)
{
	jv	 g = jv_dump_string(got, 0), w = jv_dump_string(json(want), 0);

	checks++;
	if (strcmp(jv_string_value(g), jv_string_value(w)) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", file, line,
		    expr, jv_string_value(g), jv_string_value(w));
	}
	jv_free(g);
	jv_free(w);
}

static const char *
verdict_name(enum ia_group_verdict v)
{
	switch (v) {
	case IA_GROUP_WAIT:
		return "WAIT";
	case IA_GROUP_DONE:
		return "DONE";
	case IA_GROUP_GAVE_UP:
		return "GAVE_UP";
	case IA_GROUP_KEPT:
		return "KEPT";
	}
	return "?";
}

/* An outcome's verdict and records, each taken over. */
static void
check_out(struct ia_group_outcome *o, enum ia_group_verdict v,
    const char *print, const char *errors, const char *pending,
    const char *file, int line)
{
	checks++;
	if (o->verdict != v) {
		failures++;
		fprintf(stderr, "%s:%d: verdict\n  got:  %s\n  want: %s\n", file,
		    line, verdict_name(o->verdict), verdict_name(v));
	}
	check_jq(o->print, print, file, line, "print");
	check_jq(o->errors, errors, file, line, "errors");
	check_jq(o->pending, pending, file, line, "pending");
	o->print = o->errors = o->pending = jv_invalid();
}

static void
check_left(struct ia_group_outcome *o, const char *running,
    const char *missing, const char *file, int line)
{
	check_jq(o->running, running, file, line, "running");
	check_jq(o->missing, missing, file, line, "missing");
	o->running = o->missing = jv_invalid();
}

/* Free what an outcome holds and no check took. */
static void
drop(struct ia_group_outcome *o)
{
	jv_free(o->running);
	jv_free(o->missing);
}

/* The options the checks run with, unless one says otherwise. */
static struct ia_group_poll
opts(long status, double age, bool once)
{
	struct ia_group_poll	 p = {
		.status = status, .error = "HTTP 500: boom", .attempts = 2,
		.age = age, .deadline = 60, .grace = 10, .once = once
	};

	return p;
}

/*
 * The checks of groups run twice: with the answer parsed (ia_group_feed),
 * and as text (ia_group_feed_text, the scanner's path), when as_text is
 * set; both must give the same outcomes.
 */
static bool			 as_text;
static struct ia_scan_listing	 scratch, probe;
static unsigned			 scanned;	/* answers the scanner took */

/* Feed g one answer: status, and a body in the ' notation (NULL: none). */
static struct ia_group_outcome
feed(struct ia_group *g, long status, const char *body, double age, bool once)
{
	struct ia_group_poll	 p = opts(status, age, once);
	struct ia_group_outcome	 o;
	jv			 text;

	if (!as_text)
		return ia_group_feed(g, &p, body != NULL ? json(body) : jv_invalid());
	text = body != NULL ? jv_dump_string(json(body), 0) : jv_string("");
	if (ia_scan_listing(&probe, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text))) == 1)
		scanned++;
	o = ia_group_feed_text(g, &p, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), &scratch);
	jv_free(text);
	return o;
}

/* A tracker for a group record in the ' notation, at line 7; it must be good. */
static void
make(struct ia_group *g, const char *rec)
{
	char	 err[256];

	if (ia_group_init(g, json(rec), 7, err, sizeof(err)) == -1) {
		fprintf(stderr, "t_group: %s: %s\n", rec, err);
		exit(2);
	}
}

/* The message ia_group_init() gives for rec, or "" when it takes it. */
static const char *
refusal(const char *rec)
{
	static char	 err[256];
	struct ia_group	 g;

	strcpy(err, "");
	if (ia_group_init(&g, json(rec), 1, err, sizeof(err)) == 0) {
		ia_group_free(&g);
		strcpy(err, "");
	}
	return err;
}

static void
t_init(void)
{
	struct ia_group	 g;
	char		 err[256] = "";

	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':['a','b']}"), "") == 0);
	CHECK(strcmp(refusal("{'group_id':'G'}"), "") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':null}"), "") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':[]}"), "") == 0);
	CHECK(strcmp(refusal("{'group_id':''}"),
	    "group_id must be a non-empty string") == 0);
	CHECK(strcmp(refusal("{'group_id':5,'custom_ids':['a']}"),
	    "group_id must be a non-empty string") == 0);
	CHECK(strcmp(refusal("{'group_id':null,'custom_ids':'a'}"),
	    "group_id must be a non-empty string") == 0);
	CHECK(strcmp(refusal("{'custom_ids':['a']}"),
	    "group_id must be a non-empty string") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':'a'}"),
	    "custom_ids must be an array of strings") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':{}}"),
	    "custom_ids must be an array of strings") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':['a','']}"),
	    "custom_ids must be an array of non-empty strings") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':['a',3]}"),
	    "custom_ids must be an array of non-empty strings") == 0);
	CHECK(strcmp(refusal("{'group_id':'G','custom_ids':['a','b','a']}"),
	    "custom_ids lists \"a\" twice") == 0);
	CHECK(strcmp(refusal("['G']"), "a group record must be an object") == 0);

	/* A refused record holds nothing; freeing it is harmless. */
	CHECK(ia_group_init(&g, json("{'group_id':'G','custom_ids':['a','a']}"), 1,
	    err, sizeof(err)) == -1);
	ia_group_free(&g);

	/* Listed: each custom_id stands for a generation; whole: the group, one. */
	make(&g, "{'group_id':'G','custom_ids':['a','b','c'],'id':'ignored'}");
	CHECK(ia_group_left(&g) == 3);
	CHECK_JSON(jv_copy(g.id), "'G'");
	CHECK_JSON(jv_copy(g.listed), "['a','b','c']");
	ia_group_free(&g);
	make(&g, "{'group_id':'G','custom_ids':[]}");
	CHECK(ia_group_left(&g) == 1);
	CHECK_JSON(jv_copy(g.listed), "null");
	ia_group_free(&g);
}

static void
t_next(void)
{
	CHECK(ia_group_next(false, 0, 60) == IA_GROUP_WAIT);
	CHECK(ia_group_next(false, 59.9, 60) == IA_GROUP_WAIT);
	CHECK(ia_group_next(false, 60, 60) == IA_GROUP_GAVE_UP);
	CHECK(ia_group_next(false, 1e9, 60) == IA_GROUP_GAVE_UP);
	CHECK(ia_group_next(true, 0, 60) == IA_GROUP_KEPT);
	CHECK(ia_group_next(true, 1e9, 60) == IA_GROUP_KEPT);
}

/* A final generation id whose request carries custom_id cid. */
static jv
gen_of(jv id, jv cid)
{
	jv	 md = jv_object_set(jv_object(), jv_string("custom_id"), cid);
	jv	 gen = jv_object_set(jv_object(), jv_string("id"), id);

	gen = jv_object_set(gen, jv_string("state"), jv_string("Success"));
	return jv_object_set(gen, jv_string("request"), jv_object_set(jv_object(),
	    jv_string("metadata"), md));
}

/*
 * Many custom_ids, some the start of others, listed in one order and
 * answered in another, after custom_ids that only start like one (a NUL
 * byte among them): each listed one printed once, no other.
 */
static void
t_listed_many(void)
{
	enum { N = 500 };
	struct ia_group		 g;
	struct ia_group_outcome	 o;
	struct ia_group_poll	 p = opts(200, 1, false);
	const char		*near[] = { "k", "k1x", "k5000", "k01", "K1" };
	jv			 ids = jv_array(), gens = jv_array(), id;
	char			 err[256];
	size_t			 i, strays = 0;

	for (i = 0; i < N; i++)
		ids = jv_array_append(ids, jv_string_fmt("k%zu", i * 7 % N));
	CHECK(ia_group_init(&g, jv_object_set(jv_object_set(jv_object(),
	    jv_string("group_id"), jv_string("G")), jv_string("custom_ids"), ids),
	    1, err, sizeof(err)) == 0);
	CHECK(ia_group_left(&g) == N);
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		gens = jv_array_append(gens, gen_of(jv_string_fmt("m%zu", i),
		    jv_string(near[i])));
	gens = jv_array_append(gens, gen_of(jv_string("m-nul"),
	    jv_string_sized("k1\0", 3)));
	for (i = 0; i < N; i++)
		gens = jv_array_append(gens, gen_of(jv_string_fmt("n%zu", i),
		    jv_string_fmt("k%zu", i)));
	o = ia_group_feed(&g, &p, jv_object_set(jv_object(),
	    jv_string("generations"), gens));
	CHECK(o.verdict == IA_GROUP_DONE && ia_group_left(&g) == 0);
	CHECK(jv_array_length(jv_copy(o.print)) == N);
	jv_array_foreach(o.print, j, out) {
		id = jv_object_get(out, jv_string("id"));
		if (jv_get_kind(id) != JV_KIND_STRING || jv_string_value(id)[0] != 'n')
			strays++;
		jv_free(id);
	}
	CHECK(strays == 0);
	jv_free(o.print);
	o.print = jv_array();
	CHECK_OUT(&o, IA_GROUP_DONE, "[]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	CHECK_JSON(ia_group_record(&g), "{'group_id':'G','custom_ids':[]}");
	ia_group_free(&g);
}

static void
t_listed(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	make(&g, "{'group_id':'G','custom_ids':['c1','c2','c3']}");

	/*
	 * Any order; an unlisted custom_id, a generation without one, entries
	 * that are not objects and a state that is not a string are passed
	 * over or waited for; c2 twice, final both times, is printed once,
	 * and c3 twice is running once.
	 */
	o = feed(&g, 200, LIST(G("g3", "Queued", "c3") "," G("g3", "Queued", "c3")
	    "," G("g9", "Success", "other") "," G0("g8", "Success") ",5,'x',null,[],"
	    G("g2", "Success", "c2") "," G("g2b", "Failed", "c2") ","
	    "{'id':'g1','state':7,'request':{'metadata':{'custom_id':'c1'}}}"),
	    1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P("g2", "Success", "c2") "]", "[]", "[]");
	CHECK_LEFT(&o, "['c3','c1']", "[]");
	CHECK(ia_group_left(&g) == 2);

	/* The next listing, in another order: c2 is not printed again. */
	o = feed(&g, 200, LIST(G("g2", "Success", "c2") ","
	    "{'id':'g1','state':'Failed','stateMessage':'no','custom_id':'old',"
	    "'request':{'metadata':{'custom_id':'c1'}}}" ","
	    G("g3", "In Progress", "c3")), 2, false);
	CHECK_OUT(&o, IA_GROUP_WAIT,
	    "[{'custom_id':'c1','id':'g1','state':'Failed','stateMessage':'no',"
	    "'request':{'metadata':{'custom_id':'c1'}}}]", "[]", "[]");
	CHECK_LEFT(&o, "['c3']", "[]");
	CHECK(ia_group_left(&g) == 1);

	/* The last one final: done, and only c3 printed. */
	o = feed(&g, 200, LIST(G("g3", "Success", "c3") "," G("g1", "Failed", "c1")
	    "," G("g2", "Success", "c2")), 3, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("g3", "Success", "c3") "]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	CHECK(ia_group_left(&g) == 0);
	ia_group_free(&g);

	/* A custom_id given as a number is matched as the string it prints as. */
	make(&g, "{'group_id':'G','custom_ids':['42']}");
	o = feed(&g, 200, LIST("{'id':'n','state':'Success','request':"
	    "{'metadata':{'custom_id':42}}}"), 1, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[{'custom_id':'42','id':'n','state':'Success',"
	    "'request':{'metadata':{'custom_id':42}}}]", "[]", "[]");
	drop(&o);
	ia_group_free(&g);

	t_listed_many();
}

static void
t_whole(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	make(&g, "{'group_id':'G'}");
	/*
	 * Every generation, told apart by id, its custom_id from its request or
	 * null; g1 twice is printed once; entries without a string id, and
	 * those that are not objects, are passed over.
	 */
	o = feed(&g, 200, LIST(G0("g2", "Queued") "," G("g1", "Success", "m")
	    "," G("g1", "Success", "m") ",42,"
	    "{'state':'Success'}" "," "{'id':9,'state':'Success'}" ","
	    G("g3", "Success", "m") "," "{'id':'g4','request':{}}"), 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P("g1", "Success", "m") ","
	    P("g3", "Success", "m") "]", "[]", "[]");
	CHECK_LEFT(&o, "['g2','g4']", "[]");
	CHECK(ia_group_left(&g) == 1);

	/* Successive listings in any order print nothing twice. */
	o = feed(&g, 200, LIST(G("g3", "Success", "m") "," G0("g2", "Failed")
	    "," "{'id':'g4','state':5,'request':{}}" "," G("g1", "Success", "m")),
	    2, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P0("g2", "Failed") "]", "[]", "[]");
	CHECK_LEFT(&o, "['g4']", "[]");
	o = feed(&g, 200, LIST(G0("g4", "Success") "," G0("g2", "Failed") ","
	    G("g1", "Success", "m") "," G("g3", "Success", "m")), 3, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P0("g4", "Success") "]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	ia_group_free(&g);
}

static void
t_missing(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;
	const char			*list;

	list = LIST(G("g2", "Success", "r2") "," G("g1", "Success", "r1"));
	make(&g, "{'group_id':'G','custom_ids':['r1','ghost','r2']}");
	/* All final, ghost never returned: one more look first. */
	o = feed(&g, 200, list, 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P("g2", "Success", "r2") ","
	    P("g1", "Success", "r1") "]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "['ghost']");
	CHECK(ia_group_left(&g) == 1);
	/* Still missing: an error record whose request follows it alone. */
	o = feed(&g, 200, list, 2, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':'ghost','error':{'stage':'poll','status':200,"
	    "'message':'group G is complete but has no generation for this "
	    "custom_id','attempts':2},'request':{'group_id':'G','custom_ids':"
	    "['ghost']},'line':7}]", "[]");
	CHECK_LEFT(&o, "[]", "['ghost']");
	ia_group_free(&g);

	/* A listing that lagged: ghost shows up running, and the look starts over. */
	make(&g, "{'group_id':'G','custom_ids':['r1','ghost']}");
	o = feed(&g, 200, LIST(G("g1", "Success", "r1")), 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P("g1", "Success", "r1") "]", "[]", "[]");
	drop(&o);
	o = feed(&g, 200, LIST(G("g1", "Success", "r1") "," G("gh", "Queued",
	    "ghost")), 2, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	CHECK_LEFT(&o, "['ghost']", "[]");
	o = feed(&g, 200, LIST(G("g1", "Success", "r1")), 3, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "['ghost']");
	o = feed(&g, 200, LIST(G("g1", "Success", "r1")), 4, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':'ghost','error':"
	    "{'stage':'poll','status':200,'message':'group G is complete but has "
	    "no generation for this custom_id','attempts':2},'request':"
	    "{'group_id':'G','custom_ids':['ghost']},'line':7}]", "[]");
	drop(&o);
	ia_group_free(&g);

	/* --once: no second look. */
	make(&g, "{'group_id':'G','custom_ids':['r1','ghost','r2']}");
	o = feed(&g, 200, list, 0, true);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[" P("g2", "Success", "r2") ","
	    P("g1", "Success", "r1") "]", "[{'custom_id':'ghost','error':"
	    "{'stage':'poll','status':200,'message':'group G is complete but has "
	    "no generation for this custom_id','attempts':2},'request':"
	    "{'group_id':'G','custom_ids':['ghost']},'line':7}]", "[]");
	drop(&o);
	ia_group_free(&g);
}

static void
t_absent(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	/* 404: not available yet, waited for until --deadline, not --grace. */
	make(&g, "{'group_id':'G','custom_ids':['a','b']}");
	o = feed(&g, 404, NULL, 30, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	o = feed(&g, 404, "{'error':{'message':'not found'}}", 59.9, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed(&g, 404, NULL, 60.4, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':'a','error':{'stage':'poll','status':404,'message':"
	    "'group G not available 60 s after it was first seen (--deadline 60 s)',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['a']},'line':7},"
	    "{'custom_id':'b','error':{'stage':'poll','status':404,'message':"
	    "'group G not available 60 s after it was first seen (--deadline 60 s)',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['b']},'line':7}]",
	    "[]");
	drop(&o);
	ia_group_free(&g);

	/* Followed whole, nothing is known of it but its id. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 404, NULL, 61, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':null,'error':{'stage':'poll','status':404,'message':"
	    "'group G not available 61 s after it was first seen (--deadline 60 s)',"
	    "'attempts':2},'request':{'group_id':'G'},'line':7}]", "[]");
	drop(&o);
	ia_group_free(&g);

	/* --once: kept as it came. */
	make(&g, "{'group_id':'G','custom_ids':['a','b']}");
	o = feed(&g, 404, NULL, 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]",
	    "[{'group_id':'G','custom_ids':['a','b']}]");
	drop(&o);
	ia_group_free(&g);
	make(&g, "{'group_id':'G','custom_ids':null}");
	o = feed(&g, 404, NULL, 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'group_id':'G'}]");
	drop(&o);
	ia_group_free(&g);
}

static void
t_empty(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	/* Followed whole, an empty listing is "not yet", as 404 is. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(""), 5, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed(&g, 200, LIST(""), 75, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':null,'error':{'stage':'poll','status':200,'message':"
	    "'group G has no generations 75 s after it was first seen "
	    "(--deadline 60 s)','attempts':2},'request':{'group_id':'G'},"
	    "'line':7}]", "[]");
	drop(&o);
	o = feed(&g, 200, LIST(""), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'group_id':'G'}]");
	drop(&o);
	/* Once one was printed, an empty listing has none running: done. */
	o = feed(&g, 200, LIST(G0("g1", "Success")), 6, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P0("g1", "Success") "]", "[]", "[]");
	drop(&o);
	o = feed(&g, 200, LIST(""), 7, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	ia_group_free(&g);

	/* Listed: none running and all missing, one more look, then errors. */
	make(&g, "{'group_id':'G','custom_ids':['a','b']}");
	o = feed(&g, 200, LIST(""), 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "['a','b']");
	o = feed(&g, 200, LIST(""), 2, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':'a','error':{'stage':'poll','status':200,'message':"
	    "'group G is complete but has no generation for this custom_id',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['a']},'line':7},"
	    "{'custom_id':'b','error':{'stage':'poll','status':200,'message':"
	    "'group G is complete but has no generation for this custom_id',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['b']},'line':7}]",
	    "[]");
	drop(&o);
	ia_group_free(&g);
}

static void
t_once(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	/* Listed: the custom_ids not printed, in the record's order. */
	make(&g, "{'group_id':'G','custom_ids':['c1','c2','c3','c4']}");
	o = feed(&g, 200, LIST(G("g4", "Queued", "c4") "," G("g2", "Success", "c2")
	    "," G("g1", "In Progress", "c1")), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[" P("g2", "Success", "c2") "]", "[]",
	    "[{'group_id':'G','custom_ids':['c1','c3','c4']}]");
	CHECK_LEFT(&o, "['c4','c1']", "['c3']");
	ia_group_free(&g);

	/*
	 * Followed whole: a custom_id that names one generation stands for it;
	 * one shared by two generations (k, the final one counts too), or
	 * none, is kept as a {"custom_id", "id"} record, before the group's.
	 */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G("g1", "Queued", "u1") "," G("g2", "Queued", "k")
	    "," G0("g3", "Queued") "," G("g4", "Success", "k") ","
	    G("g5", "Success", "done") "," G("g6", "In Progress", "u2") ","
	    "{'id':'g7','request':{'metadata':{'custom_id':'j'}}}" ","
	    G("g8", "Queued", "j")), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[" P("g4", "Success", "k") ","
	    P("g5", "Success", "done") "]", "[]",
	    "[{'custom_id':'k','id':'g2'},{'id':'g3'},{'custom_id':'j','id':'g7'},"
	    "{'custom_id':'j','id':'g8'},{'group_id':'G','custom_ids':['u1','u2']}]");
	CHECK_LEFT(&o, "['g1','g2','g3','g6','g7','g8']", "[]");
	ia_group_free(&g);

	/* None left to name by custom_id: no group record at all. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G("g1", "Queued", "k") "," G("g2", "Queued", "k")
	    "," G0("g3", "Queued")), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]",
	    "[{'custom_id':'k','id':'g1'},{'custom_id':'k','id':'g2'},{'id':'g3'}]");
	drop(&o);
	ia_group_free(&g);

	/* All final under --once: done, nothing kept. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G("g1", "Success", "a")), 0, true);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("g1", "Success", "a") "]", "[]", "[]");
	drop(&o);
	ia_group_free(&g);
}

static void
t_deadline(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;

	/* Listed: one error for each custom_id not printed, missing ones too. */
	make(&g, "{'group_id':'G','custom_ids':['a','b','c']}");
	o = feed(&g, 200, LIST(G("g1", "Queued", "a") "," G("g2", "Success", "b")),
	    59, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[" P("g2", "Success", "b") "]", "[]", "[]");
	drop(&o);
	o = feed(&g, 200, LIST(G("g1", "Queued", "a") "," G("g2", "Success", "b")),
	    60, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':'a','error':{'stage':'poll','status':200,'message':"
	    "'deadline passed: group G still running after 60 s (--deadline 60 s)',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['a']},'line':7},"
	    "{'custom_id':'c','error':{'stage':'poll','status':200,'message':"
	    "'deadline passed: group G still running after 60 s (--deadline 60 s)',"
	    "'attempts':2},'request':{'group_id':'G','custom_ids':['c']},'line':7}]",
	    "[]");
	CHECK_LEFT(&o, "['a']", "['c']");
	ia_group_free(&g);

	/* Whole: one for each generation still running, to follow it alone. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G("g1", "Queued", "a") "," G0("g2", "Queued") ","
	    G("g3", "Success", "c")), 90, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[" P("g3", "Success", "c") "]",
	    "[{'custom_id':'a','error':{'stage':'poll','status':200,'message':"
	    "'deadline passed: group G still running after 90 s (--deadline 60 s)',"
	    "'attempts':2},'request':{'id':'g1','custom_id':'a'},'line':7},"
	    "{'custom_id':null,'error':{'stage':'poll','status':200,'message':"
	    "'deadline passed: group G still running after 90 s (--deadline 60 s)',"
	    "'attempts':2},'request':{'id':'g2'},'line':7}]", "[]");
	drop(&o);
	ia_group_free(&g);
}

/*
 * What is running is judged on the whole listing: a generation printed
 * further down, one that shares the listed custom_id or the same one
 * twice, is not waited for, in whatever order the listing comes.
 */
static void
t_shared(void)
{
	struct ia_group			 g;
	struct ia_group_outcome		 o;
	const char			*ab, *ba;

	ab = LIST(G("g1", "Queued", "a") "," G("g2", "Success", "a") ","
	    G("g3", "Success", "b"));
	ba = LIST(G("g3", "Success", "b") "," G("g2", "Success", "a") ","
	    G("g1", "Queued", "a"));

	/* --once: nothing kept, no {"custom_ids": []} a next run would follow whole. */
	make(&g, "{'group_id':'G','custom_ids':['a']}");
	o = feed(&g, 200, ab, 0, true);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("g2", "Success", "a") "]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	ia_group_free(&g);
	make(&g, "{'group_id':'G','custom_ids':['a']}");
	o = feed(&g, 200, ba, 0, true);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("g2", "Success", "a") "]", "[]", "[]");
	CHECK_LEFT(&o, "[]", "[]");
	ia_group_free(&g);

	/* Without --once: done on that listing, no look more. */
	make(&g, "{'group_id':'G','custom_ids':['a']}");
	o = feed(&g, 200, ab, 1, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("g2", "Success", "a") "]", "[]", "[]");
	drop(&o);
	ia_group_free(&g);

	/* Another custom_id still running: kept with that one alone. */
	make(&g, "{'group_id':'G','custom_ids':['a','c']}");
	o = feed(&g, 200, LIST(G("g1", "Queued", "a") "," G("g2", "Success", "a")
	    "," G("g4", "Queued", "c")), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[" P("g2", "Success", "a") "]", "[]",
	    "[{'group_id':'G','custom_ids':['c']}]");
	CHECK_LEFT(&o, "['c']", "[]");
	ia_group_free(&g);

	/* Followed whole, g1 running then final: printed, and not kept. */
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G0("g1", "Queued") "," G0("g1", "Success") ","
	    G("g5", "Queued", "u")), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[" P0("g1", "Success") "]", "[]",
	    "[{'group_id':'G','custom_ids':['u']}]");
	CHECK_LEFT(&o, "['g5']", "[]");
	ia_group_free(&g);
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G0("g1", "Queued") "," G0("g1", "Success")), 1,
	    false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P0("g1", "Success") "]", "[]", "[]");
	drop(&o);
	/* Not given up at the deadline with no record at all. */
	ia_group_free(&g);
	make(&g, "{'group_id':'G'}");
	o = feed(&g, 200, LIST(G0("g1", "Queued") "," G0("g1", "Success")), 90,
	    false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P0("g1", "Success") "]", "[]", "[]");
	drop(&o);
	ia_group_free(&g);
}

static void
t_failed(void)
{
	static const struct {
		long	 wait, end, kept;
	}				 again[] = {
		{ 500, 500, 503 }, { 307, 301, 308 }
	};
	struct ia_group			 g;
	struct ia_group_poll		 p = opts(0, 1, false);
	struct ia_group_outcome		 o;
	char				 want[512];
	size_t				 i;

	/*
	 * A poll that failed (5xx, no answer, an answer that is no listing)
	 * is asked again until --deadline: the work goes on on the server.
	 */
	make(&g, "{'group_id':'G','custom_ids':['a']}");
	/* A 5xx, and a redirect (never followed: a proxy's) alike. */
	for (i = 0; i < sizeof(again) / sizeof(again[0]); i++) {
		o = feed(&g, again[i].wait, "{'error':{}}", 1, false);
		CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
		drop(&o);
		snprintf(want, sizeof(want), "[{'custom_id':'a','error':{'stage':"
		    "'poll','status':%ld,'message':'HTTP 500: boom (still so 60 s "
		    "after it was first seen, --deadline 60 s)','attempts':2},"
		    "'request':{'group_id':'G','custom_ids':['a']},'line':7}]",
		    again[i].end);
		o = feed(&g, again[i].end, "{'error':{}}", 60, false);
		CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", want, "[]");
		drop(&o);
		/* --once: kept for the next run, as it was. */
		o = feed(&g, again[i].kept, NULL, 1, true);
		CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]",
		    "[{'group_id':'G','custom_ids':['a']}]");
		drop(&o);
	}
	/* Another 4xx is a refusal: the group ends at once. */
	o = feed(&g, 400, "{'error':{}}", 1, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':'a','error':{'stage':'poll','status':400,'message':"
	    "'HTTP 500: boom','attempts':2},'request':{'group_id':'G',"
	    "'custom_ids':['a']},'line':7}]", "[]");
	drop(&o);
	ia_group_free(&g);

	/* No answer at all (a network error): asked again, status null at the end. */
	make(&g, "{'group_id':'G'}");
	p.error = "connection refused";
	o = ia_group_feed(&g, &p, jv_invalid());
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	p.age = 61;
	o = ia_group_feed(&g, &p, jv_invalid());
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':null,'error':{'stage':'poll','status':null,'message':"
	    "'connection refused (still so 61 s after it was first seen, "
	    "--deadline 60 s)','attempts':2},'request':{'group_id':'G'},"
	    "'line':7}]", "[]");
	drop(&o);

	/* 2xx but not a listing: waited for, kept under --once, at the end an error. */
	o = feed(&g, 200, "{'generations':{}}", 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed(&g, 200, "{'generations':{}}", 1, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'group_id':'G'}]");
	drop(&o);
	/* Not JSON (jv_invalid()), or JSON of another shape. */
	p = opts(200, 70, false);
	o = ia_group_feed(&g, &p, jv_invalid());
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]",
	    "[{'custom_id':null,'error':{'stage':'poll','status':200,"
	    "'message':'the answer is not a group`s generations (still so 70 s "
	    "after it was first seen, --deadline 60 s)','attempts':2},"
	    "'request':{'group_id':'G'},'line':7}]", "[]");
	drop(&o);
	o = feed(&g, 200, "[]", 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	ia_group_free(&g);
}

/* Feed an id alone: status, body in the ' notation (NULL: none), age, once. */
static struct ia_group_outcome
feed_id(const char *custom_id, long status, const char *body, double age,
    bool once)
{
	struct ia_group_poll	 p = opts(status, age, once);

	return ia_group_feed_id("N2m", custom_id, 4, &p, body != NULL ?
	    json(body) : jv_invalid());
}

static void
t_id(void)
{
	struct ia_group_poll		 p;
	struct ia_group_outcome		 o;

	/* Final: printed with the input's custom_id, else the request's, else null. */
	o = feed_id("q1", 200, "{'id':'N2m','custom_id':'x','state':'Success',"
	    "'request':{'metadata':{'custom_id':'r'}}}", 1, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[{'custom_id':'q1','id':'N2m','state':"
	    "'Success','request':{'metadata':{'custom_id':'r'}}}]", "[]", "[]");
	drop(&o);
	o = feed_id(NULL, 200, G("N2m", "Failed", "r"), 1, false);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P("N2m", "Failed", "r") "]", "[]", "[]");
	drop(&o);
	o = feed_id(NULL, 200, G0("N2m", "Success"), 1, true);
	CHECK_OUT(&o, IA_GROUP_DONE, "[" P0("N2m", "Success") "]", "[]", "[]");
	drop(&o);

	/* 404: not visible yet within --grace, then an error. */
	o = feed_id("q1", 404, NULL, 9, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed_id("q1", 404, NULL, 10, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':'q1','error':"
	    "{'stage':'poll','status':404,'message':'generation N2m not found 10 s "
	    "after it was first seen','attempts':2},'request':{'id':'N2m',"
	    "'custom_id':'q1'},'line':4}]", "[]");
	drop(&o);
	o = feed_id(NULL, 404, NULL, 1e6, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'id':'N2m'}]");
	drop(&o);
	/* A --deadline shorter than --grace ends the wait for a 404 too. */
	p = opts(404, 59, false);
	p.grace = 100;
	o = ia_group_feed_id("N2m", "q1", 4, &p, jv_invalid());
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	p.age = 60;
	o = ia_group_feed_id("N2m", "q1", 4, &p, jv_invalid());
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':'q1','error':"
	    "{'stage':'poll','status':404,'message':'generation N2m not found 60 s "
	    "after it was first seen','attempts':2},'request':{'id':'N2m',"
	    "'custom_id':'q1'},'line':4}]", "[]");
	drop(&o);

	/* Running: waited for until --deadline; --once keeps it. */
	o = feed_id("q1", 200, G0("N2m", "Queued"), 59, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	CHECK_LEFT(&o, "['N2m']", "[]");
	o = feed_id(NULL, 200, G0("N2m", "In Progress"), 61, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':null,'error':"
	    "{'stage':'poll','status':200,'message':'deadline passed: still In "
	    "Progress after 61 s (--deadline 60 s)','attempts':2},'request':"
	    "{'id':'N2m'},'line':4}]", "[]");
	drop(&o);
	o = feed_id("q1", 200, G0("N2m", "Queued"), 0, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'custom_id':'q1','id':'N2m'}]");
	drop(&o);

	/*
	 * Not a generation, or a GET that failed (no answer, 5xx, a redirect):
	 * asked again until --deadline, kept under --once; another 4xx ends it
	 * at once.
	 */
	o = feed_id("q1", 200, "{'id':'N2m','state':null}", 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed_id("q1", 200, "{'id':'N2m','state':null}", 1, true);
	CHECK_OUT(&o, IA_GROUP_KEPT, "[]", "[]", "[{'custom_id':'q1','id':'N2m'}]");
	drop(&o);
	o = feed_id("q1", 200, "{'id':'N2m','state':null}", 60, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':'q1','error':"
	    "{'stage':'poll','status':200,'message':'the answer is not a "
	    "generation (still so 60 s after it was first seen, --deadline 60 s)',"
	    "'attempts':2},'request':{'id':'N2m','custom_id':'q1'},'line':4}]", "[]");
	drop(&o);
	o = feed_id(NULL, 503, NULL, 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed_id(NULL, 0, NULL, 61, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':null,'error':"
	    "{'stage':'poll','status':null,'message':'HTTP 500: boom (still so 61 s "
	    "after it was first seen, --deadline 60 s)','attempts':2},"
	    "'request':{'id':'N2m'},'line':4}]", "[]");
	drop(&o);
	o = feed_id(NULL, 302, NULL, 1, false);
	CHECK_OUT(&o, IA_GROUP_WAIT, "[]", "[]", "[]");
	drop(&o);
	o = feed_id("q1", 307, NULL, 60, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':'q1','error':"
	    "{'stage':'poll','status':307,'message':'HTTP 500: boom (still so 60 s "
	    "after it was first seen, --deadline 60 s)','attempts':2},"
	    "'request':{'id':'N2m','custom_id':'q1'},'line':4}]", "[]");
	drop(&o);
	o = feed_id(NULL, 410, NULL, 1, false);
	CHECK_OUT(&o, IA_GROUP_GAVE_UP, "[]", "[{'custom_id':null,'error':"
	    "{'stage':'poll','status':410,'message':'HTTP 500: boom','attempts':2},"
	    "'request':{'id':'N2m'},'line':4}]", "[]");
	drop(&o);
}

/* Every check that feeds a group, through the text path. */
static void
t_text(void)
{
	as_text = true;
	t_listed();
	t_whole();
	t_missing();
	t_absent();
	t_empty();
	t_once();
	t_deadline();
	t_shared();
	t_failed();
	as_text = false;
	/* Most of those answers are listings the scanner reads. */
	CHECK(scanned >= 25);
	ia_scan_free_listing(&scratch);
	ia_scan_free_listing(&probe);
}

static const struct t_group groups[] = {
	{ "init",	t_init },
	{ "next",	t_next },
	{ "listed",	t_listed },
	{ "whole",	t_whole },
	{ "missing",	t_missing },
	{ "absent",	t_absent },
	{ "empty",	t_empty },
	{ "once",	t_once },
	{ "deadline",	t_deadline },
	{ "shared",	t_shared },
	{ "failed",	t_failed },
	{ "id",		t_id },
	{ "text",	t_text },
};

int
main(int argc, char *argv[])
{
	return t_main("t_group", groups, sizeof(groups) / sizeof(groups[0]),
	    argc, argv);
}
