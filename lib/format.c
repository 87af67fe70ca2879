/*
 * The forms ia-collect prints results in, one row of a table each: its
 * name, whether failures print in it, its header and a function that
 * appends one result's text to a buffer.  A new form is a new row and its
 * writer.
 */
#include <stdbool.h>
#include <string.h>

#include "ia.h"

static int	ndjson_row(struct ia_buf *, const struct ia_result *);
static int	openai_row(struct ia_buf *, const struct ia_result *);
static int	tsv_row(struct ia_buf *, const struct ia_result *);
static int	csv_row(struct ia_buf *, const struct ia_result *);
static int	raw_row(struct ia_buf *, const struct ia_result *);
static int	raw0_row(struct ia_buf *, const struct ia_result *);
static int	ndjson_scan(struct ia_buf *, struct ia_scan *);
static int	tsv_scan(struct ia_buf *, struct ia_scan *);
static int	csv_scan(struct ia_buf *, struct ia_scan *);
static int	raw_scan(struct ia_buf *, struct ia_scan *);
static int	raw0_scan(struct ia_buf *, struct ia_scan *);

static const struct ia_format formats[] = {
	{ "ndjson", true, false, NULL, ndjson_row, ndjson_scan },
	{ "openai", true, false, NULL, openai_row, NULL },
	{ "tsv", true, true, NULL, tsv_row, tsv_scan },
	{ "csv", true, true, "custom_id,content\r\n", csv_row, csv_scan },
	{ "raw", false, true, NULL, raw_row, raw_scan },
	{ "raw0", false, true, NULL, raw0_row, raw0_scan },
};

const struct ia_format *
ia_format_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

/* A failure prints nothing in a form of answers only: ia-collect --failed gives them. */
int
ia_format_row(const struct ia_format *f, struct ia_buf *b, const struct ia_result *r)
{
	if (f->answers_only && r->kind != IA_RESULT_SUCCESS)
		return 0;
	return f->row(b, r);
}

int
ia_format_scan_row(const struct ia_format *f, struct ia_buf *b, struct ia_scan *sc)
{
	size_t	 len = b->len;
	int	 rc;

	if (f->scan_row == NULL)
		return 1;
	/* Declined half way: the row is made again from the tree. */
	if ((rc = f->scan_row(b, sc)) == 1)
		b->len = len;
	return rc;
}

/* A value as jq prints it: with raw (jq -r), strings as they are; else JSON. */
int
ia_format_value(struct ia_buf *b, jv v, bool raw)
{
	jv	 d;
	int	 rc;

	if (raw && jv_get_kind(v) == JV_KIND_STRING) {
		rc = ia_buf_add(b, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
		return rc;
	}
	d = jv_dump_string(v, 0);
	rc = ia_buf_adds(b, jv_string_value(d));
	jv_free(d);
	return rc;
}

/*
 * What a -e program makes of in: each value as jq prints it, then end.
 * The error it ended in, if any, is left in *msg.
 */
int
ia_format_jq(struct ia_buf *b, struct ia_jq *q, jv in, bool raw, char end, jv *msg)
{
	jv	 v;
	int	 rc = 0;

	ia_jq_start(q, in);
	while (jv_is_valid(v = ia_jq_next(q))) {
		if (rc == -1)
			jv_free(v);
		else if (ia_format_value(b, v, raw) == -1 || ia_buf_add(b, &end, 1) == -1)
			rc = -1;
	}
	*msg = ia_jq_error(q, v);
	return rc;
}

/* TSV: tab, newline, carriage return and backslash escaped. */
static int
add_tsv(struct ia_buf *b, const char *t)
{
	const char	*esc;
	int		 rc = 0;

	for (; *t != '\0' && rc == 0; t++) {
		switch (*t) {
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\\':
			esc = "\\\\";
			break;
		default:
			rc = ia_buf_add(b, t, 1);
			continue;
		}
		rc = ia_buf_adds(b, esc);
	}
	return rc;
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static int
add_csv(struct ia_buf *b, const char *t)
{
	int	 rc;

	if (strpbrk(t, ",\"\r\n") == NULL)
		return ia_buf_adds(b, t);
	rc = ia_buf_add(b, "\"", 1);
	for (; *t != '\0' && rc == 0; t++)
		if (*t != '"' || (rc = ia_buf_add(b, "\"", 1)) == 0)
			rc = ia_buf_add(b, t, 1);
	return rc == 0 ? ia_buf_add(b, "\"", 1) : rc;
}

/* A value as one line of JSON. */
static int
add_json(struct ia_buf *b, jv v)
{
	jv	 d = jv_dump_string(v, 0);
	int	 rc;

	rc = ia_buf_add(b, jv_string_value(d), (size_t)jv_string_length_bytes(jv_copy(d)));
	jv_free(d);
	return rc == 0 ? ia_buf_add(b, "\n", 1) : rc;
}

/* A text for a TSV or CSV field: a string as it is, null empty, else JSON. */
static jv
field_text(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	if (jv_get_kind(v) == JV_KIND_NULL || !jv_is_valid(v)) {
		jv_free(v);
		return jv_string("");
	}
	return jv_dump_string(v, 0);
}

/* custom_id, sep, content and end, each field through add (the form's escaping). */
static int
fields(struct ia_buf *b, const char *cid, const char *content,
    int (*add)(struct ia_buf *, const char *), const char *sep, const char *end)
{
	int	 rc;

	if ((rc = add(b, cid)) == 0 && (rc = ia_buf_adds(b, sep)) == 0 &&
	    (rc = add(b, content)) == 0)
		rc = ia_buf_adds(b, end);
	return rc;
}

/* The answer's two fields as text, each through add (the form's escaping). */
static int
fields_row(struct ia_buf *b, const struct ia_result *r,
    int (*add)(struct ia_buf *, const char *), const char *sep, const char *end)
{
	jv	 cid, content;
	int	 rc;

	cid = field_text(jv_copy(r->custom_id));
	content = field_text(jv_object_get(jv_copy(r->answer), jv_string("content")));
	rc = fields(b, jv_string_value(cid), jv_string_value(content), add, sep, end);
	jv_free(cid);
	jv_free(content);
	return rc;
}

/* The same from a scan: a string as it is, null empty, else JSON. */
static int
fields_scan(struct ia_buf *b, struct ia_scan *sc,
    int (*add)(struct ia_buf *, const char *), const char *sep, const char *end)
{
	struct ia_buf	 cid = { 0 }, content = { 0 };
	int		 rc;

	if ((rc = ia_buf_add(&cid, sc->custom_id, sc->custom_id_len)) == 0 &&
	    sc->content.kind != JV_KIND_NULL)
		rc = ia_scan_put(&content, sc, &sc->content, true);
	if (rc == 0)
		rc = fields(b, cid.data, content.data != NULL ? content.data : "",
		    add, sep, end);
	ia_buf_free(&cid);
	ia_buf_free(&content);
	return rc;
}

/* The content as jq -r prints it, then end. */
static int
raw_line(struct ia_buf *b, const struct ia_result *r, char end)
{
	if (ia_format_value(b, jv_object_get(jv_copy(r->answer), jv_string("content")),
	    true) == -1)
		return -1;
	return ia_buf_add(b, &end, 1);
}

static int
ndjson_row(struct ia_buf *b, const struct ia_result *r)
{
	return add_json(b, jv_copy(r->answer));
}

/* {"custom_id", "content", "finish_reason", "usage"}, as the tree prints. */
static int
ndjson_scan(struct ia_buf *b, struct ia_scan *sc)
{
	int	 rc;

	if ((rc = ia_buf_adds(b, "{\"custom_id\":")) != 0 ||
	    (rc = ia_scan_put(b, sc, &sc->cid, false)) != 0 ||
	    (rc = ia_buf_adds(b, ",\"content\":")) != 0 ||
	    (rc = ia_scan_put(b, sc, &sc->content, false)) != 0 ||
	    (rc = ia_buf_adds(b, ",\"finish_reason\":")) != 0 ||
	    (rc = ia_scan_put(b, sc, &sc->finish, false)) != 0 ||
	    (rc = ia_buf_adds(b, ",\"usage\":")) != 0 ||
	    (rc = ia_scan_put(b, sc, &sc->usage, false)) != 0)
		return rc;
	return ia_buf_add(b, "}\n", 2);
}

static int
tsv_scan(struct ia_buf *b, struct ia_scan *sc)
{
	return fields_scan(b, sc, add_tsv, "\t", "\n");
}

static int
csv_scan(struct ia_buf *b, struct ia_scan *sc)
{
	return fields_scan(b, sc, add_csv, ",", "\r\n");
}

static int
raw_scan(struct ia_buf *b, struct ia_scan *sc)
{
	int	 rc;

	if ((rc = ia_scan_put(b, sc, &sc->content, true)) != 0)
		return rc;
	return ia_buf_add(b, "\n", 1);
}

static int
raw0_scan(struct ia_buf *b, struct ia_scan *sc)
{
	int	 rc;

	if ((rc = ia_scan_put(b, sc, &sc->content, true)) != 0)
		return rc;
	return ia_buf_add(b, "", 1);
}

static int
tsv_row(struct ia_buf *b, const struct ia_result *r)
{
	return fields_row(b, r, add_tsv, "\t", "\n");
}

static int
csv_row(struct ia_buf *b, const struct ia_result *r)
{
	return fields_row(b, r, add_csv, ",", "\r\n");
}

static int
raw_row(struct ia_buf *b, const struct ia_result *r)
{
	return raw_line(b, r, '\n');
}

static int
raw0_row(struct ia_buf *b, const struct ia_result *r)
{
	return raw_line(b, r, '\0');
}

/*
 * A Batch body for an answer read back from ia-collect's own output, which
 * kept no completion: built from what it kept.
 */
static jv
openai_body(jv answer)
{
	jv	 body, msg;

	msg = jv_object_set(jv_object(), jv_string("role"), jv_string("assistant"));
	msg = jv_object_set(msg, jv_string("content"),
	    jv_object_get(jv_copy(answer), jv_string("content")));
	body = jv_object_set(jv_object(), jv_string("index"), jv_number(0));
	body = jv_object_set(body, jv_string("message"), msg);
	body = jv_object_set(body, jv_string("finish_reason"),
	    jv_object_get(jv_copy(answer), jv_string("finish_reason")));
	body = jv_object_set(jv_object(), jv_string("choices"), JV_ARRAY(body));
	return jv_object_set(body, jv_string("usage"),
	    jv_object_get(answer, jv_string("usage")));
}

/* An OpenAI Batch output line: the response for an answer, else the error. */
static int
openai_row(struct ia_buf *b, const struct ia_result *r)
{
	jv	 line = jv_object(), resp, err, code, msg, id;

	id = jv_get_kind(r->id) == JV_KIND_STRING ? jv_copy(r->id) : jv_null();
	line = jv_object_set(line, jv_string("id"), jv_get_kind(id) == JV_KIND_STRING ?
	    jv_string_fmt("batch_req_%s", jv_string_value(id)) : jv_null());
	line = jv_object_set(line, jv_string("custom_id"),
	    jv_get_kind(r->custom_id) == JV_KIND_STRING ? jv_copy(r->custom_id) : jv_null());
	if (r->kind == IA_RESULT_SUCCESS) {
		resp = jv_object_set(jv_object(), jv_string("status_code"), jv_number(200));
		resp = jv_object_set(resp, jv_string("request_id"), id);
		resp = jv_object_set(resp, jv_string("body"), jv_is_valid(r->response) ?
		    jv_copy(r->response) : openai_body(jv_copy(r->answer)));
		line = jv_object_set(line, jv_string("response"), resp);
		return add_json(b, jv_object_set(line, jv_string("error"), jv_null()));
	}
	jv_free(id);
	err = jv_object_get(jv_copy(r->answer), jv_string("error"));
	code = jv_get_kind(err) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(err), jv_string("stage")) : jv_invalid();
	msg = jv_get_kind(err) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(err), jv_string("message")) : jv_invalid();
	jv_free(err);
	err = jv_object_set(jv_object(), jv_string("code"), jv_is_valid(code) ? code :
	    (jv_free(code), jv_null()));
	err = jv_object_set(err, jv_string("message"), jv_is_valid(msg) ? msg :
	    (jv_free(msg), jv_null()));
	line = jv_object_set(line, jv_string("response"), jv_null());
	return add_json(b, jv_object_set(line, jv_string("error"), err));
}
