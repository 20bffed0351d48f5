/*
 * deploy.c - what a content deploy changes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"
#include "content/markdown.h"
#include "content/post.h"
#include "content/slug_settle.h"
#include "deploy/deploy.h"
#include "lib/key_table.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/parallel.h"
#include "lib/quire.h"

static enum quire_err add_delete(struct deploy_plan *plan, const char *slug)
{
	char **v, *s = strdup(slug);

	if (!s)
		return QUIRE_ENOMEM;
	v = realloc(plan->deletes, (plan->n_deletes + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return QUIRE_ENOMEM;
	}
	v[plan->n_deletes++] = s;
	plan->deletes = v;
	return QUIRE_OK;
}

/* What PostgreSQL holds of the content posts, by path (the first of a
 * path, should two share it), made once for a deploy. */
struct deploy_known {
	const struct tier_pg_hash *v;
	size_t n;
	struct content_sig *sigs; /* v[i].sig parsed: compared 10,000 times */
	struct key_table by_path;
};

enum quire_err deploy_known_index(const struct tier_pg_hash *known,
				  size_t n_known,
				  const struct content_sig *parsed,
				  struct deploy_known **out)
{
	struct deploy_known *k = calloc(1, sizeof(*k));
	size_t i;

	*out = NULL;
	if (!k)
		return QUIRE_ENOMEM;
	k->v = known;
	k->n = n_known;
	k->sigs = calloc(n_known ? n_known : 1, sizeof(*k->sigs));
	if (!k->sigs) {
		deploy_known_free(k);
		return QUIRE_ENOMEM;
	}
	if (parsed)
		memcpy(k->sigs, parsed, n_known * sizeof(*parsed));
	else
		for (i = 0; i < n_known; i++)
			if (known[i].sig) /* a bad one reads as none */
				(void)content_scan_sig_parse(known[i].sig,
							     &k->sigs[i]);
	if (key_table_init(&k->by_path, n_known) != QUIRE_OK) {
		deploy_known_free(k);
		return QUIRE_ENOMEM;
	}
	for (i = 0; i < n_known; i++)
		if (known[i].path && !key_table_has(&k->by_path, known[i].path) &&
		    key_table_put(&k->by_path, known[i].path, &known[i]) != QUIRE_OK) {
			deploy_known_free(k);
			return QUIRE_ENOMEM;
		}
	*out = k;
	return QUIRE_OK;
}

void deploy_known_free(struct deploy_known *k)
{
	if (!k)
		return;
	key_table_release(&k->by_path);
	free(k->sigs);
	free(k);
}

/* Whether known (one of k's) has sig as the signature of the file it
 * was read from. */
static int sig_is(const struct deploy_known *k, const struct tier_pg_hash *known,
		  const struct content_sig *sig)
{
	const struct content_sig *ks = &k->sigs[known - k->v];

	return ks->ino && sig->ino && ks->ino == sig->ino && ks->size == sig->size &&
	       ks->mtime_ns == sig->mtime_ns && ks->ctime_ns == sig->ctime_ns;
}

void deploy_skip_known(struct content_file *files, size_t n,
		       const struct deploy_known *k, size_t *n_skipped)
{
	const struct tier_pg_hash *known;
	size_t i;

	*n_skipped = 0;
	for (i = 0; i < n; i++) {
		known = key_table_get(&k->by_path, files[i].path);
		/* kept for the plan, which would look it up again */
		files[i].match = known;
		if (known && known->kind == files[i].kind &&
		    sig_is(k, known, &files[i].sig)) {
			files[i].skip = 1;
			files[i].hash = known->hash;
			(*n_skipped)++;
		}
	}
}

/* Keeps f's signature for slug when it is stable and not the one known. */
static enum quire_err sig_add(struct deploy_plan *plan,
			      const struct content_file *f, const char *slug,
			      const struct deploy_known *k,
			      const struct tier_pg_hash *known)
{
	struct tier_pg_hash *v, *s;
	char text[CONTENT_SIG_MAX];

	if (f->skip || !f->sig_stable ||
	    (known && known->hash == f->hash && sig_is(k, known, &f->sig)))
		return QUIRE_OK;
	content_scan_sig_format(&f->sig, text);
	v = realloc(plan->sigs, (plan->n_sigs + 1) * sizeof(*v));
	if (!v)
		return QUIRE_ENOMEM;
	plan->sigs = v;
	s = &v[plan->n_sigs];
	memset(s, 0, sizeof(*s));
	s->slug = strdup(slug);
	s->sig = strdup(text);
	s->kind = f->kind;
	s->hash = f->hash;
	if (!s->slug || !s->sig) {
		free(s->slug);
		free(s->sig);
		return QUIRE_ENOMEM;
	}
	plan->n_sigs++;
	return QUIRE_OK;
}

/* Changed files for each parsing thread: a render takes ~0.1 ms. */
#define PARSE_PER_THREAD 8

/* One changed file, parsed and rendered by whichever thread took it. */
struct parsed {
	size_t file;             /* index in files */
	struct record *r;        /* NULL on failure */
	enum quire_err rc;
	struct parse_error err;
};

struct parse_ctx {
	struct content_file *files;
	struct parsed *res;
	const struct content_options *opt;
};

static void parse_one(void *arg, size_t i)
{
	struct parse_ctx *c = arg;
	struct parsed *res = &c->res[i];
	struct content_file *f = &c->files[res->file];
	struct post *p = NULL;

	if (f->failed) { /* could not be read */
		res->rc = QUIRE_EIO;
		return;
	}
	res->rc = content_parse_file(f->path, f->kind, f->text, f->len, c->opt,
				     &p, &res->err);
	f->text = NULL; /* taken, whatever the outcome */
	if (res->rc != QUIRE_OK)
		return;
	res->r = record_from_post(p, RECORD_ORIGIN_CONTENT);
	post_free(p);
	if (!res->r)
		res->rc = QUIRE_ENOMEM;
}

/* The known post of f when it is unchanged (same path, kind and hash),
 * else NULL: f->match is deploy_skip_known()'s lookup of its path. */
static const struct tier_pg_hash *unchanged(const struct content_file *f)
{
	const struct tier_pg_hash *known = f->match;

	return known && !f->stale && known->hash == f->hash && known->kind == f->kind ?
	       known : NULL;
}

/* Folds ASCII letters to lower case, in place: slugs equal but for
 * case are one (slug_settle.h). */
static void fold(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * Whether held (the slug PostgreSQL holds for a file not read again)
 * may collide with one of the slugs wanted by the files parsed, folded
 * in wanted: equal, or wanted followed by "-" (a suffix settled
 * before). Only then does the settling need to know its date.
 */
static int may_collide(const struct key_table *wanted, const char *held,
		       char *buf, size_t size)
{
	size_t i, n = strlen(held);

	if (n >= size)
		return 0;
	memcpy(buf, held, n + 1);
	fold(buf);
	if (key_table_has(wanted, buf))
		return 1;
	for (i = n; i-- > 1;)
		if (buf[i] == '-') {
			buf[i] = '\0';
			if (key_table_has(wanted, buf))
				return 1;
		}
	return 0;
}

/* The plan's view of each file, for the settling of slugs. */
struct claims {
	struct slug_claim *v;    /* one per file; wanted NULL: no claim */
	char **own;              /* slugs parsed here for unchanged files */
	char **folded;           /* the keys of the wanted table */
	size_t n;
};

static void claims_release(struct claims *c)
{
	size_t i;

	if (c->v)
		slug_settle_release(c->v, c->n);
	for (i = 0; i < c->n; i++) {
		if (c->own)
			free(c->own[i]);
		if (c->folded)
			free(c->folded[i]);
	}
	free(c->v);
	free(c->own);
	free(c->folded);
}

/*
 * An unchanged file whose slug may collide with a file parsed now is
 * read and parsed (not rendered into the plan) for the slug it asks
 * for and its date: whether the newcomer is the same post on the same
 * day (a duplicate) or a later one (a suffix) depends on them. A file
 * that fails now keeps a day not known. QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err learn_unchanged(struct claims *cl, size_t i,
				      const struct content_file *f,
				      const struct content_options *opt)
{
	struct parse_error err;
	struct post *p = NULL;
	char *text = NULL;
	size_t len = 0;
	enum quire_err rc;

	rc = content_read_file(f->path, &text, &len, NULL, &err);
	if (rc == QUIRE_OK)
		rc = content_parse_file(f->path, f->kind, text, len, opt, &p, &err);
	if (rc != QUIRE_OK)
		return rc == QUIRE_ENOMEM ? rc : QUIRE_OK;
	cl->own[i] = p->slug;
	p->slug = NULL;
	cl->v[i].wanted = cl->own[i];
	cl->v[i].day = f->kind == POST_KIND_PAGE ? SLUG_DAY_NONE :
		       slug_settle_day(p->date, p->has_date);
	post_free(p);
	return QUIRE_OK;
}

/* Settles the claims of cl that claim something (a file that failed
 * and that PostgreSQL never held claims nothing), in file order. */
static enum quire_err settle_some(struct claims *cl, struct deploy_plan *plan)
{
	struct slug_claim *w;
	size_t i, m = 0, n_errors = 0;
	enum quire_err rc;

	w = calloc(cl->n ? cl->n : 1, sizeof(*w));
	if (!w)
		return QUIRE_ENOMEM;
	for (i = 0; i < cl->n; i++)
		if (cl->v[i].wanted || cl->v[i].held)
			w[m++] = cl->v[i];
	rc = slug_settle(w, m, 0, &n_errors, &plan->n_renamed);
	plan->n_errors += n_errors;
	for (i = 0, m = 0; rc == QUIRE_OK && i < cl->n; i++)
		if (cl->v[i].wanted || cl->v[i].held)
			cl->v[i] = w[m++];
	free(w);
	return rc;
}

/* Fills cl from the files and their parses (res, in the order of the
 * changed files), then settles. QUIRE_OK or QUIRE_ENOMEM. */
static enum quire_err settle(struct claims *cl, struct content_file *files,
			     size_t n, const struct tier_pg_hash *const *same,
			     const struct parsed *res,
			     const struct content_options *opt,
			     struct deploy_plan *plan)
{
	const struct tier_pg_hash *known;
	struct key_table wanted;
	char buf[QUIRE_MAX_SLUG * 2 + 32];
	size_t i, j;
	enum quire_err rc = QUIRE_ENOMEM;

	memset(&wanted, 0, sizeof(wanted));
	cl->n = n;
	cl->v = calloc(n ? n : 1, sizeof(*cl->v));
	cl->own = calloc(n ? n : 1, sizeof(*cl->own));
	cl->folded = calloc(n ? n : 1, sizeof(*cl->folded));
	if (!cl->v || !cl->own || !cl->folded ||
	    key_table_init(&wanted, n) != QUIRE_OK)
		goto out;
	for (i = 0, j = 0; i < n; i++) {
		struct slug_claim *c = &cl->v[i];
		const struct parsed *r = same[i] ? NULL : &res[j++];

		known = files[i].match;
		c->path = files[i].path;
		c->kind = files[i].kind;
		c->day = SLUG_DAY_UNKNOWN;
		/* what PostgreSQL holds for this path: kept if it still fits */
		c->held = known && known->kind == files[i].kind ? known->slug : NULL;
		if (!r || r->rc != QUIRE_OK || !r->r)
			continue;
		c->wanted = r->r->slug;
		c->day = c->kind == POST_KIND_PAGE ? SLUG_DAY_NONE :
			 slug_settle_day((time_t)r->r->date, r->r->has_date);
		if (!(cl->folded[i] = strdup(c->wanted)))
			goto out;
		fold(cl->folded[i]);
		if (key_table_put(&wanted, cl->folded[i], NULL) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < n; i++)
		if (same[i] && may_collide(&wanted, same[i]->slug, buf, sizeof(buf)) &&
		    learn_unchanged(cl, i, &files[i], opt) != QUIRE_OK)
			goto out;
	rc = settle_some(cl, plan);
out:
	key_table_release(&wanted);
	return rc;
}
/*
 * A bundle given another slug than the one it asked for (a suffix,
 * slug_settle.h) renders again with its files', links' and cover's URL
 * folder under the slug it has (content_options.files_slug), as a load
 * does (content.c): it must never show the pictures of the post that
 * kept the slug. A render that fails now (it passed once) keeps the
 * first. QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err rebase_renamed(struct record *r,
				     const struct content_options *opt)
{
	struct post *q, probe;
	char *swap;
	enum quire_err rc;

	memset(&probe, 0, sizeof(probe));
	probe.kind = r->kind;
	probe.path = r->path;
	if (!r->path || !content_is_bundle(&probe))
		return QUIRE_OK;
	rc = content_reparse_as(r->path, r->kind, r->source, r->source_len,
				opt, r->slug, &q);
	if (rc != QUIRE_OK || !q)
		return rc;
	swap = r->html;
	r->html = q->html;
	q->html = swap;
	swap = r->toc_html;
	r->toc_html = q->toc_html;
	q->toc_html = swap;
	/* the summary too: its relative images are the bundle's */
	rc = record_set_summary(r, q->summary_html, q->summary_whole);
	r->words = q->words;
	post_free(q);
	return rc;
}

/*
 * Takes file i's settled claim into the plan: a file parsed is upserted
 * under the slug it was given, one not read again or that failed keeps
 * the slug PostgreSQL holds (its last good version), and so does a
 * duplicate when keep_old (its old slug went to no other file); each
 * slug kept is live. QUIRE_OK or QUIRE_ENOMEM.
 */
static enum quire_err take_file(struct deploy_plan *plan, struct key_table *live,
				struct content_file *f,
				const struct tier_pg_hash *same,
				struct parsed *res, struct slug_claim *c,
				const struct deploy_known *k, int keep_old,
				const struct content_options *opt)
{
	struct record *r;
	int renamed;

	if (same) {
		plan->n_unchanged++;
		return key_table_put(live, same->slug, f) != QUIRE_OK ||
		       sig_add(plan, f, same->slug, k, same) != QUIRE_OK ?
		       QUIRE_ENOMEM : QUIRE_OK;
	}
	if (!res || res->rc != QUIRE_OK || !res->r) {
		/* failed (reported): its last good version stays, if any */
		return c->held && c->slug ?
		       key_table_put(live, c->held, f) : QUIRE_OK;
	}
	if (!c->slug) /* a duplicate, reported */
		return keep_old ? key_table_put(live, c->held, f) : QUIRE_OK;
	r = res->r;
	res->r = NULL;
	renamed = strcmp(r->slug, c->slug) != 0;
	free(r->slug);
	r->slug = c->slug;
	c->slug = NULL;
	plan->upserts[plan->n_upserts++] = r;
	if (renamed && rebase_renamed(r, opt) != QUIRE_OK)
		return QUIRE_ENOMEM;
	return key_table_put(live, r->slug, f) != QUIRE_OK ||
	       sig_add(plan, f, r->slug, k, NULL) != QUIRE_OK ?
	       QUIRE_ENOMEM : QUIRE_OK;
}

/* Whether claim i, a duplicate, keeps the row PostgreSQL holds for its
 * path: a colliding file is treated as a broken one, while its old slug
 * went to no other file (else that file's upsert takes the row). */
static int keep_old(const struct claims *cl, size_t i)
{
	const struct slug_claim *c = &cl->v[i];

	return c->wanted && !c->slug && c->held &&
	       !slug_settle_taken(cl->v, cl->n, 0, c->kind, c->held);
}

enum quire_err deploy_plan_make(struct content_file *files, size_t n,
				const struct deploy_known *k,
				const struct content_options *opt,
				struct deploy_plan *plan)
{
	const struct tier_pg_hash **same = NULL;
	unsigned char *keep = NULL;
	struct key_table live;
	struct claims cl;
	struct parse_ctx pc;
	struct parsed *res;
	size_t i, j, n_changed = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	memset(plan, 0, sizeof(*plan));
	memset(&pc, 0, sizeof(pc));
	memset(&cl, 0, sizeof(cl));
	memset(&live, 0, sizeof(live));
	plan->upserts = calloc(n ? n : 1, sizeof(*plan->upserts));
	same = calloc(n ? n : 1, sizeof(*same));
	if (key_table_init(&live, n) != QUIRE_OK || !plan->upserts || !same)
		goto out;
	/* Parse and render the changed files on a thread per core (a full
	 * deploy renders thousands), then take the results in file order,
	 * so errors and duplicates are reported as one thread would. */
	for (i = 0; i < n; i++) {
		same[i] = files[i].failed ? NULL : unchanged(&files[i]);
		n_changed += !same[i];
	}
	pc.files = files;
	pc.opt = opt;
	pc.res = calloc(n_changed ? n_changed : 1, sizeof(*pc.res));
	if (!pc.res)
		goto out;
	for (i = 0, j = 0; i < n; i++)
		if (!same[i])
			pc.res[j++].file = i;
	markdown_prestart(parallel_threads(n_changed, PARSE_PER_THREAD));
	parallel_for(n_changed, PARSE_PER_THREAD, parse_one, &pc);
	for (i = 0, j = 0; i < n; i++) {
		if (same[i])
			continue;
		res = &pc.res[j++];
		if (res->rc == QUIRE_ENOMEM)
			goto out;
		/* one that could not be read was reported and counted */
		if (res->rc != QUIRE_OK && !files[i].failed) {
			content_report(files[i].path, res->err.line,
				       res->err.column, res->err.message);
			plan->n_errors++;
		}
	}
	if (settle(&cl, files, n, same, pc.res, opt, plan) != QUIRE_OK)
		goto out;
	/* decided before take_file() moves the slugs into the records */
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		goto out;
	for (i = 0; i < n; i++)
		keep[i] = (unsigned char)keep_old(&cl, i);
	for (i = 0, j = 0; i < n; i++) {
		res = same[i] ? NULL : &pc.res[j++];
		if (take_file(plan, &live, &files[i], same[i], res, &cl.v[i], k,
			      keep[i], opt) != QUIRE_OK)
			goto out;
	}
	for (i = 0; i < k->n; i++)
		if (!key_table_has(&live, k->v[i].slug) &&
		    add_delete(plan, k->v[i].slug) != QUIRE_OK)
			goto out;
	rc = QUIRE_OK;
out:
	for (j = 0; pc.res && j < n_changed; j++)
		record_free(pc.res[j].r);
	free(pc.res);
	free(same);
	free(keep);
	claims_release(&cl);
	key_table_release(&live);
	if (rc != QUIRE_OK)
		deploy_plan_release(plan);
	return rc;
}

void deploy_plan_release(struct deploy_plan *plan)
{
	size_t i;

	record_array_free(plan->upserts, plan->n_upserts);
	for (i = 0; i < plan->n_deletes; i++)
		free(plan->deletes[i]);
	free(plan->deletes);
	tier_pg_hashes_free(plan->sigs, plan->n_sigs);
	memset(plan, 0, sizeof(*plan));
}

enum quire_err deploy_plan_skip_owned(struct deploy_plan *plan,
				      char *const *owned, size_t n)
{
	struct key_table set;
	char msg[QUIRE_MAX_SLUG + 64];
	struct record *r;
	size_t i, j;

	if (n == 0)
		return QUIRE_OK;
	if (key_table_init(&set, n) != QUIRE_OK)
		return QUIRE_ENOMEM;
	for (i = 0; i < n; i++)
		if (!key_table_has(&set, owned[i]) &&
		    key_table_put(&set, owned[i], NULL) != QUIRE_OK) {
			key_table_release(&set);
			return QUIRE_ENOMEM;
		}
	for (i = 0, j = 0; i < plan->n_upserts; i++) {
		r = plan->upserts[i];
		if (!key_table_has(&set, r->slug)) {
			plan->upserts[j++] = r;
			continue;
		}
		snprintf(msg, sizeof(msg), "slug \"%s\" is owned by the write API: "
			 "file skipped", r->slug);
		content_report(r->path ? r->path : r->slug, 1, 1, msg);
		plan->n_skipped++;
		record_free(r);
	}
	plan->n_upserts = j;
	for (i = 0, j = 0; i < plan->n_sigs; i++) {
		if (key_table_has(&set, plan->sigs[i].slug)) {
			free(plan->sigs[i].slug);
			free(plan->sigs[i].path);
			free(plan->sigs[i].sig);
			continue;
		}
		plan->sigs[j++] = plan->sigs[i];
	}
	plan->n_sigs = j;
	key_table_release(&set);
	return QUIRE_OK;
}

/* The parsed form of the signature text sig (none when NULL or bad). */
static void sig_parsed(const char *sig, struct content_sig *out)
{
	if (!sig || content_scan_sig_parse(sig, out) != QUIRE_OK)
		memset(out, 0, sizeof(*out));
}

enum quire_err deploy_known_after(const struct deploy_known *k,
				  const struct deploy_plan *plan,
				  struct tier_pg_hash **out,
				  struct content_sig **parsed, size_t *n)
{
	const struct tier_pg_hash *known = k->v;
	size_t n_known = k->n;
	struct key_table gone, sigs;
	struct tier_pg_hash *v;
	struct content_sig *ps = NULL;
	const struct tier_pg_hash *ds;
	size_t i, m = 0;
	enum quire_err rc = QUIRE_ENOMEM;

	*out = NULL;
	*n = 0;
	if (parsed)
		*parsed = NULL;
	memset(&gone, 0, sizeof(gone));
	memset(&sigs, 0, sizeof(sigs));
	v = calloc(n_known + plan->n_upserts + 1, sizeof(*v));
	if (parsed)
		ps = calloc(n_known + plan->n_upserts + 1, sizeof(*ps));
	if (key_table_init(&gone, plan->n_deletes + plan->n_upserts) != QUIRE_OK ||
	    key_table_init(&sigs, plan->n_sigs) != QUIRE_OK || !v ||
	    (parsed && !ps))
		goto out;
	for (i = 0; i < plan->n_deletes; i++)
		if (key_table_put(&gone, plan->deletes[i], NULL) != QUIRE_OK)
			goto out;
	for (i = 0; i < plan->n_upserts; i++)
		if (key_table_put(&gone, plan->upserts[i]->slug, NULL) != QUIRE_OK)
			goto out;
	for (i = 0; i < plan->n_sigs; i++)
		if (!key_table_has(&sigs, plan->sigs[i].slug) &&
		    key_table_put(&sigs, plan->sigs[i].slug, &plan->sigs[i]) != QUIRE_OK)
			goto out;
	for (i = 0; i < n_known; i++) {
		if (key_table_has(&gone, known[i].slug))
			continue;
		v[m] = known[i];
		ds = key_table_get(&sigs, known[i].slug);
		if (ds && ds->hash == known[i].hash)
			v[m].sig = ds->sig;
		/* parsed once when known was indexed; only new ones again */
		if (ps && v[m].sig == known[i].sig)
			ps[m] = k->sigs[i];
		else if (ps)
			sig_parsed(v[m].sig, &ps[m]);
		m++;
	}
	for (i = 0; i < plan->n_upserts; i++) {
		const struct record *r = plan->upserts[i];

		v[m].slug = r->slug;
		v[m].path = r->path;
		v[m].kind = r->kind;
		v[m].hash = r->hash;
		v[m].sig = NULL;
		ds = key_table_get(&sigs, r->slug);
		if (ds && ds->hash == r->hash)
			v[m].sig = ds->sig;
		if (ps)
			sig_parsed(v[m].sig, &ps[m]);
		m++;
	}
	*out = v;
	*n = m;
	if (parsed)
		*parsed = ps;
	v = NULL;
	ps = NULL;
	rc = QUIRE_OK;
out:
	free(v);
	free(ps);
	key_table_release(&gone);
	key_table_release(&sigs);
	return rc;
}
