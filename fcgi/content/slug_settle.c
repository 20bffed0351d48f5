/*
 * slug_settle.c - which file gets which slug when slugs collide
 * (slug_settle.h)
 *
 * Three rounds, each in a fixed order so that one set of files always
 * settles the same way: the slugs held (path order), the slugs wanted
 * (date, then path), then the suffixes of the later posts (same order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "content/slug_settle.h"
#include "lib/key_table.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/quire.h"

/* "-2" ... "-99" after the date; past that, a duplicate. */
#define SUFFIX_MAX 99

struct settle {
	struct slug_claim *v;
	size_t n;
	int kinds_apart;
	struct key_table taken;  /* folded slug -> the claim holding it */
	char **keys;             /* the folded slugs put in taken, owned */
	size_t n_keys;
	size_t *n_errors, *n_renamed;
};

/* "path:1:1: msg", as content_report() tells every content error
 * (content.c, which includes this module, cannot be called back). */
static void report(const char *path, const char *msg)
{
	char esc[1024];

	log_msg(LOG_LEVEL_WARN, "content", "%s:1:1: %s",
		log_escape(path, esc, sizeof(esc)), msg);
}

long long slug_settle_day(time_t date, int has_date)
{
	long long d = (long long)date;

	if (!has_date)
		return SLUG_DAY_NONE;
	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* The key of slug for a claim of kind: ASCII letters folded to lower
 * case (slugs equal but for case are duplicates), the kind first when
 * pages and posts have namespaces of their own. NULL: out of memory. */
static char *key_of(const struct settle *s, enum post_kind kind,
		    const char *slug)
{
	size_t i, n = strlen(slug), pre = s->kinds_apart ? 2 : 0;
	char *k = malloc(n + pre + 1);

	if (!k)
		return NULL;
	if (pre) {
		k[0] = kind == POST_KIND_PAGE ? 'g' : 'p';
		k[1] = ':';
	}
	for (i = 0; i <= n; i++)
		k[pre + i] = slug[i] >= 'A' && slug[i] <= 'Z' ?
			     (char)(slug[i] - 'A' + 'a') : slug[i];
	return k;
}

/* Who holds slug (for a claim of kind), or NULL; *err on no memory. */
static struct slug_claim *holder(const struct settle *s, enum post_kind kind,
				 const char *slug, enum quire_err *err)
{
	char *k = key_of(s, kind, slug);
	struct slug_claim *c;

	if (!k) {
		*err = QUIRE_ENOMEM;
		return NULL;
	}
	c = (struct slug_claim *)key_table_get(&s->taken, k);
	free(k);
	return c;
}

/* Gives slug to c. QUIRE_OK or QUIRE_ENOMEM. */
static enum quire_err take(struct settle *s, struct slug_claim *c,
			   const char *slug)
{
	char *k = key_of(s, c->kind, slug);

	if (!k || !(c->slug = strdup(slug))) {
		free(k);
		return QUIRE_ENOMEM;
	}
	s->keys[s->n_keys++] = k;
	c->renamed = c->wanted && strcmp(slug, c->wanted) != 0;
	return key_table_put(&s->taken, k, c);
}

/* The date as the suffix writes it, YYYY-MM-DD. */
static void day_text(long long day, char out[16])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    snprintf(out, 16, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday) >= 16)
		snprintf(out, 16, "0000-00-00");
}

/* Whether held is what the suffix rule makes of wanted: wanted, "-",
 * a YYYY-MM-DD date, then maybe "-N". Such a held slug was settled
 * by an earlier deploy for this very file, which keeps it. */
static int suffix_of(const char *held, const char *wanted)
{
	size_t n = strlen(wanted), i;
	const char *r;

	if (strncmp(held, wanted, n) != 0 || held[n] != '-')
		return 0;
	r = held + n + 1;
	for (i = 0; i < 10; i++)
		if (!(i == 4 || i == 7 ? r[i] == '-' : r[i] >= '0' && r[i] <= '9'))
			return 0;
	r += 10;
	if (*r == '\0')
		return 1;
	if (*r++ != '-' || !*r)
		return 0;
	for (; *r; r++)
		if (*r < '0' || *r > '9')
			return 0;
	return 1;
}

/* Whether two claims cannot both be served under one slug: the same
 * day, or either without one (a page, an undated post). A day not
 * known (a file not parsed) is taken for another day. */
static int clash(const struct slug_claim *a, const struct slug_claim *b)
{
	if (a->day == SLUG_DAY_UNKNOWN || b->day == SLUG_DAY_UNKNOWN)
		return 0;
	return a->day == SLUG_DAY_NONE || b->day == SLUG_DAY_NONE ||
	       a->day == b->day;
}

static void report_duplicate(struct settle *s, const struct slug_claim *c,
			     const char *slug, const struct slug_claim *by)
{
	char msg[QUIRE_MAX_SLUG + 700], esc[512];

	snprintf(msg, sizeof(msg), "duplicate slug \"%s\", also given by \"%s\"%s: "
		 "file skipped", slug, log_escape(by->path, esc, sizeof(esc)),
		 c->day != SLUG_DAY_NONE && c->day == by->day ?
		 " on the same date" : "");
	report(c->path, msg);
	(*s->n_errors)++;
}

/* Round 3 for c, whose wanted slug is taken: a suffix of its date, or a
 * duplicate. QUIRE_OK or QUIRE_ENOMEM. */
static enum quire_err suffix(struct settle *s, struct slug_claim *c)
{
	enum quire_err err = QUIRE_OK;
	struct slug_claim *by = holder(s, c->kind, c->wanted, &err), *at;
	char cand[QUIRE_MAX_SLUG * 2 + 32], day[16], esc[512];
	char msg[QUIRE_MAX_SLUG * 3 + 600];
	int i;

	if (err != QUIRE_OK)
		return err;
	if (!by || clash(c, by)) {
		if (by)
			report_duplicate(s, c, c->wanted, by);
		return QUIRE_OK;
	}
	day_text(c->day, day);
	for (i = 1; i <= SUFFIX_MAX; i++) {
		if (i == 1)
			snprintf(cand, sizeof(cand), "%s-%s", c->wanted, day);
		else
			snprintf(cand, sizeof(cand), "%s-%s-%d", c->wanted, day, i);
		/* wanted is a valid slug, and digits and '-' keep it one */
		if (strlen(cand) > QUIRE_MAX_SLUG)
			break;
		at = holder(s, c->kind, cand, &err);
		if (err != QUIRE_OK)
			return err;
		if (!at) {
			if ((err = take(s, c, cand)) != QUIRE_OK)
				return err;
			snprintf(msg, sizeof(msg), "slug \"%s\" is also given by "
				 "\"%s\": served as \"%s\"", c->wanted,
				 log_escape(by->path, esc, sizeof(esc)), cand);
			report(c->path, msg);
			(*s->n_renamed)++;
			return QUIRE_OK;
		}
		/* the same slug on the same day, settled before this one */
		if (at->wanted && at->day == c->day &&
		    strcasecmp(at->wanted, c->wanted) == 0) {
			report_duplicate(s, c, c->wanted, at);
			return QUIRE_OK;
		}
	}
	report_duplicate(s, c, c->wanted, by);
	return QUIRE_OK;
}

/* Round 2 and 3's order: the earliest first (no date before any), then
 * the path. */
static int cmp_claims(const void *a, const void *b)
{
	const struct slug_claim *x = *(const struct slug_claim *const *)a;
	const struct slug_claim *y = *(const struct slug_claim *const *)b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Round 1: each claim whose held slug still fits what it wants keeps
 * it; the others go into rest. */
static enum quire_err keep_held(struct settle *s, struct slug_claim **rest,
				size_t *n_rest)
{
	struct slug_claim *c, *by;
	enum quire_err err = QUIRE_OK;
	size_t i;

	for (i = 0; i < s->n; i++) {
		c = &s->v[i];
		if (c->held && (!c->wanted || strcmp(c->held, c->wanted) == 0 ||
				suffix_of(c->held, c->wanted)) &&
		    !holder(s, c->kind, c->held, &err)) {
			if (err != QUIRE_OK || (err = take(s, c, c->held)) != QUIRE_OK)
				return err;
			continue;
		}
		if (err != QUIRE_OK)
			return err;
		if (c->wanted) {
			rest[(*n_rest)++] = c;
			continue;
		}
		/* not parsed, and its slug taken */
		by = c->held ? holder(s, c->kind, c->held, &err) : NULL;
		if (err != QUIRE_OK)
			return err;
		if (by)
			report_duplicate(s, c, c->held, by);
	}
	return err;
}

enum quire_err slug_settle(struct slug_claim *v, size_t n, int kinds_apart,
			   size_t *n_errors, size_t *n_renamed)
{
	struct settle s;
	struct slug_claim **rest;
	size_t i, j, n_rest = 0;
	enum quire_err err = QUIRE_ENOMEM;

	memset(&s, 0, sizeof(s));
	s.v = v;
	s.n = n;
	s.kinds_apart = kinds_apart;
	s.n_errors = n_errors;
	s.n_renamed = n_renamed;
	for (i = 0; i < n; i++) {
		v[i].slug = NULL;
		v[i].renamed = 0;
	}
	rest = calloc(n ? n : 1, sizeof(*rest));
	s.keys = calloc(n ? n : 1, sizeof(*s.keys));
	if (!rest || !s.keys || key_table_init(&s.taken, n) != QUIRE_OK)
		goto out;
	if ((err = keep_held(&s, rest, &n_rest)) != QUIRE_OK)
		goto out;
	qsort(rest, n_rest, sizeof(*rest), cmp_claims);
	for (i = 0, j = 0; i < n_rest; i++) {
		if (!holder(&s, rest[i]->kind, rest[i]->wanted, &err)) {
			if (err != QUIRE_OK ||
			    (err = take(&s, rest[i], rest[i]->wanted)) != QUIRE_OK)
				goto out;
			continue;
		}
		if (err != QUIRE_OK)
			goto out;
		rest[j++] = rest[i];
	}
	for (i = 0; i < j; i++)
		if ((err = suffix(&s, rest[i])) != QUIRE_OK)
			goto out;
	err = QUIRE_OK;
out:
	for (i = 0; i < s.n_keys; i++)
		free(s.keys[i]);
	free(s.keys);
	free(rest);
	key_table_release(&s.taken);
	if (err != QUIRE_OK)
		slug_settle_release(v, n);
	return err;
}

int slug_settle_taken(const struct slug_claim *v, size_t n, int kinds_apart,
		      enum post_kind kind, const char *slug)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].slug && (!kinds_apart || v[i].kind == kind) &&
		    strcasecmp(v[i].slug, slug) == 0)
			return 1;
	return 0;
}

void slug_settle_release(struct slug_claim *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].slug);
		v[i].slug = NULL;
	}
}
