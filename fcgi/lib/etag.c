/*
 * etag.c - entity-tag lists: If-Match and If-None-Match, parsed
 *
 * Strict where a wrong reading would change what a write does: a value
 * that is not the grammar is refused (the API answers 400), never taken
 * for "no condition".
 */
#include <string.h>

#include "lib/etag.h"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A byte an opaque-tag may hold: %x21 / %x23-7E / obs-text. */
static int etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/*
 * One entity-tag at v[*i, len): its place in *t, *i past it. QUIRE_OK
 * or QUIRE_EPARSE.
 */
static enum quire_err one_tag(const char *v, size_t len, size_t *i,
			      struct etag *t)
{
	size_t p = *i, start;

	t->weak = 0;
	if (len - p >= 2 && v[p] == 'W' && v[p + 1] == '/') {
		t->weak = 1;
		p += 2;
	}
	if (p >= len || v[p] != '"')
		return QUIRE_EPARSE;
	start = ++p;
	while (p < len && etagc((unsigned char)v[p]))
		p++;
	if (p >= len || v[p] != '"')
		return QUIRE_EPARSE;
	t->opaque = v + start;
	t->len = p - start;
	*i = p + 1;
	return QUIRE_OK;
}

/* The value "*", blanks around it allowed. */
static int is_star(const char *v, size_t len)
{
	size_t i = 0;

	while (i < len && blank(v[i]))
		i++;
	if (i >= len || v[i] != '*')
		return 0;
	for (i++; i < len && blank(v[i]); i++)
		;
	return i == len;
}

enum quire_err etag_list_parse(const char *value, size_t len,
			       struct etag_list *out)
{
	struct etag t;
	size_t i = 0;
	enum quire_err rc = QUIRE_OK;

	memset(out, 0, sizeof(*out));
	if (len > QUIRE_MAX_HEADER)
		return QUIRE_ETOOBIG;
	if (!value)
		return len ? QUIRE_EPARSE : QUIRE_OK;
	if (is_star(value, len)) {
		out->any = 1;
		return QUIRE_OK;
	}
	while (i < len) {
		/* Blanks and empty elements before the next tag. */
		while (i < len && (blank(value[i]) || value[i] == ','))
			i++;
		if (i >= len)
			break;
		if ((rc = one_tag(value, len, &i, &t)) != QUIRE_OK)
			break;
		if (out->n == QUIRE_MAX_ETAGS) {
			rc = QUIRE_ETOOBIG;
			break;
		}
		out->tag[out->n++] = t;
		/* After a tag: blanks, then a comma or the end. */
		while (i < len && blank(value[i]))
			i++;
		if (i < len && value[i] != ',') {
			rc = QUIRE_EPARSE;
			break;
		}
	}
	if (rc != QUIRE_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int etag_list_has(const struct etag_list *l, const char *opaque, size_t len,
		  int weak)
{
	size_t i;

	if (l->any)
		return 1;
	for (i = 0; i < l->n; i++)
		if ((weak || !l->tag[i].weak) && l->tag[i].len == len &&
		    memcmp(l->tag[i].opaque, opaque, len) == 0)
			return 1;
	return 0;
}
