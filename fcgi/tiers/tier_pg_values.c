/*
 * tier_pg_values.c - the PostgreSQL tier's values: parameters out,
 * columns in
 *
 * Statements run with binary parameters: text goes as counted bytes (an
 * embedded NUL or invalid UTF-8 is refused by the server instead of
 * being cut short), integers in network order, lists as binary text[]
 * arrays. Results come back as text.
 *
 * The frontmatter columns (title, tags, ...) exist for SQL listings; they
 * are filled by parsing the record's source with record_to_post(), never
 * by a parser of their own.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "content/post.h"
#include "content/record.h"
#include "lib/buf.h"
#include "lib/quire.h"
#include "tiers/search_query.h"
#include "tiers/tier_pg_private.h"

static enum quire_err parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return QUIRE_EPARSE;
	*out = v;
	return QUIRE_OK;
}

/* Column col of row as a number; QUIRE_EPARSE on NULL or garbage. */
enum quire_err pg_col_ll(const PGresult *res, int row, int col, long long *out)
{
	if (PQgetisnull(res, row, col))
		return QUIRE_EPARSE;
	return parse_ll(PQgetvalue(res, row, col), out);
}

/* Column col as an owned string, or NULL for SQL NULL. */
enum quire_err pg_col_dup(const PGresult *res, int row, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(res, row, col))
		return QUIRE_OK;
	*out = strdup(PQgetvalue(res, row, col));
	return *out ? QUIRE_OK : QUIRE_ENOMEM;
}

void pg_put_be32(char *dst, uint32_t v)
{
	dst[0] = (char)(v >> 24);
	dst[1] = (char)(v >> 16);
	dst[2] = (char)(v >> 8);
	dst[3] = (char)v;
}

void pg_put_be64(char *dst, uint64_t v)
{
	pg_put_be32(dst, (uint32_t)(v >> 32));
	pg_put_be32(dst + 4, (uint32_t)v);
}

size_t pg_int8_array_put(char *dst, const long long *v, size_t n)
{
	size_t i, at = 12;

	/* array_send's layout, as pg_text_array_encode below. */
	pg_put_be32(dst, n ? 1 : 0);
	pg_put_be32(dst + 4, 0);
	pg_put_be32(dst + 8, PG_OID_INT8);
	if (n) {
		pg_put_be32(dst + 12, (uint32_t)n);
		pg_put_be32(dst + 16, 1);
		at = 20;
	}
	for (i = 0; i < n; i++, at += 12) {
		pg_put_be32(dst + at, 8);
		pg_put_be64(dst + at + 4, (uint64_t)v[i]);
	}
	return at;
}

static void buf_put_be32(struct buf *b, uint32_t v)
{
	char c[4];

	pg_put_be32(c, v);
	buf_append(b, c, sizeof(c));
}

/*
 * Writes v (n strings) into b as a binary one-dimensional text[] (the
 * format of array_send: dimensions, has-nulls flag, element type, then
 * per dimension its size and lower bound, then each element as a length
 * and its bytes). An empty list is an array of no dimensions.
 */
enum quire_err pg_text_array_encode(struct buf *b, char *const *v, size_t n)
{
	size_t i, len;

	buf_reset(b);
	if (n > INT32_MAX)
		return QUIRE_EINVAL;
	buf_put_be32(b, n ? 1 : 0);
	buf_put_be32(b, 0);
	buf_put_be32(b, PG_OID_TEXT);
	if (n) {
		buf_put_be32(b, (uint32_t)n);
		buf_put_be32(b, 1);
	}
	for (i = 0; i < n; i++) {
		if (!v[i])
			return QUIRE_EINVAL;
		len = strlen(v[i]);
		if (len > INT32_MAX)
			return QUIRE_EINVAL;
		buf_put_be32(b, (uint32_t)len);
		buf_append(b, v[i], len);
	}
	if (buf_failed(b))
		return QUIRE_ENOMEM;
	if (b->len > INT_MAX)
		return QUIRE_EINVAL;
	return QUIRE_OK;
}

/* Sets parameter i of v/len to the counted text s (NULL for SQL NULL). */
static enum quire_err param_text(const char **v, int *len, int i, const char *s,
				 size_t n)
{
	if (n > INT_MAX)
		return QUIRE_EINVAL;
	v[i] = s;
	len[i] = s ? (int)n : 0;
	return QUIRE_OK;
}

enum quire_err pg_param_str(const char **v, int *len, int i, const char *s)
{
	return param_text(v, len, i, s, s ? strlen(s) : 0);
}

/* A value that fits an int4 column, or QUIRE_EINVAL. */
static enum quire_err param_int4(const char **v, int *len, int i, char *dst,
				 long long x)
{
	if (x < INT32_MIN || x > INT32_MAX)
		return QUIRE_EINVAL;
	pg_put_be32(dst, (uint32_t)(int32_t)x);
	v[i] = dst;
	len[i] = 4;
	return QUIRE_OK;
}

/* A big-endian int8 in dst, or SQL NULL when !present. */
static void param_int8(const char **v, int *len, int i, char *dst,
		       uint64_t x, int present)
{
	pg_put_be64(dst, x);
	v[i] = present ? dst : NULL;
	len[i] = present ? 8 : 0;
}

void pg_upsert_row_init(struct upsert_row *w)
{
	size_t i;

	for (i = 0; i < 3; i++)
		buf_init(&w->arrays[i]);
	buf_init(&w->text);
}

void pg_upsert_row_release(struct upsert_row *w)
{
	size_t i;

	for (i = 0; i < 3; i++)
		buf_release(&w->arrays[i]);
	buf_release(&w->text);
}

/*
 * The body's text for its search vector ($21, schema step 14), made
 * here by the rule the embedded index and the headline go by
 * (search_html_text): PostgreSQL made it with quire_html_text's
 * regular expressions in the write's own transaction, half of what the
 * vector cost the committing backend. NULL without HTML: the trigger
 * makes it then.
 */
static enum quire_err param_body_text(const char **v, int *len, int i,
				      struct buf *text, const char *html)
{
	buf_reset(text);
	if (!html) {
		v[i] = NULL;
		len[i] = 0;
		return QUIRE_OK;
	}
	search_html_text(text, html);
	if (buf_failed(text))
		return QUIRE_ENOMEM;
	return param_text(v, len, i, text->len ? text->data : "", text->len);
}

/* Fills the PG_UPSERT_NPARAMS parameters at v/len from r and w->post.
 * They point into r and w, which must outlive the send. */
enum quire_err pg_upsert_fill(const char **v, int *len, struct upsert_row *w,
		       const struct record *r)
{
	const struct post *p = w->post;
	int i;
	enum quire_err rc;

	if ((rc = pg_param_str(v, len, 0, r->slug)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 1, record_kind_name(r->kind))) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 2, record_origin_name(r->origin))) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 3, r->path)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 4, p->title)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 7, p->description)) != QUIRE_OK ||
	    (rc = param_text(v, len, 13, r->source, r->source_len)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 15, r->html)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 16, r->toc_html)) != QUIRE_OK ||
	    (rc = pg_param_str(v, len, 19, r->summary_html)) != QUIRE_OK ||
	    (rc = param_body_text(v, len, 20, &w->text, r->html)) != QUIRE_OK)
		return rc;
	/* The record's date, not the frontmatter's: it may come from a
	 * Jekyll file name. */
	param_int8(v, len, 5, w->date, (uint64_t)r->date, r->has_date);
	param_int8(v, len, 6, w->updated, (uint64_t)(long long)p->updated,
		   p->has_updated);
	if ((rc = pg_text_array_encode(&w->arrays[0], p->tags.v, p->tags.n)) != QUIRE_OK ||
	    (rc = pg_text_array_encode(&w->arrays[1], p->categories.v, p->categories.n)) != QUIRE_OK ||
	    (rc = pg_text_array_encode(&w->arrays[2], p->authors.v, p->authors.n)) != QUIRE_OK)
		return rc;
	for (i = 0; i < 3; i++) {
		v[8 + i] = w->arrays[i].data;
		len[8 + i] = (int)w->arrays[i].len;
	}
	w->draft = p->draft ? 1 : 0;
	v[11] = &w->draft;
	len[11] = 1;
	if ((rc = param_int4(v, len, 12, w->pin, p->pin)) != QUIRE_OK ||
	    (rc = param_int4(v, len, 14, w->body_offset,
			     (long long)r->body_offset)) != QUIRE_OK ||
	    (rc = param_int4(v, len, 17, w->words, r->words > INT32_MAX ?
			     (long long)INT32_MAX + 1 : (long long)r->words)) != QUIRE_OK)
		return rc;
	/* The bit pattern, which bigint reads as signed: 2^63 and up come
	 * back negative and are cast back on the way out. */
	param_int8(v, len, 18, w->hash, (uint64_t)r->hash, 1);
	return QUIRE_OK;
}

/* Checks what the database would otherwise reject halfway through. */
enum quire_err pg_record_check(const struct record *r)
{
	if (!r || !r->slug || !post_slug_valid(r->slug) || !r->source ||
	    (unsigned)r->kind >= POST_KIND__MAX ||
	    (unsigned)r->origin >= RECORD_ORIGIN__MAX ||
	    r->body_offset > r->source_len)
		return QUIRE_EINVAL;
	return QUIRE_OK;
}
