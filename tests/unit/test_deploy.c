/*
 * test_deploy.c - what a deploy reads, plans and remembers: file
 * signatures (content_scan.c), skipping files whose signature is known,
 * the plan's signatures to keep, what PostgreSQL holds after a plan
 * (deploy.c) and the deploy cache file (deploy_cache.c)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tmpsite.h"
#include "content/content_scan.h"
#include "content/markdown.h"
#include "deploy/deploy.h"
#include "deploy/deploy_cache.h"
#include "lib/quire.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	tmpsite_write(root, rel, text);
}

static struct content_file *find(struct content_file *v, size_t n,
				 const char *suffix)
{
	size_t i, m = strlen(suffix);

	for (i = 0; i < n; i++)
		if (strlen(v[i].path) >= m &&
		    strcmp(v[i].path + strlen(v[i].path) - m, suffix) == 0)
			return &v[i];
	return NULL;
}

/* A file written now has a signature that must not be kept: its ctime
 * is within the racy window. Past it, the same signature is stable. */
static void test_signatures(void)
{
	struct content_file *v = NULL, *f;
	char sig[CONTENT_SIG_MAX];
	struct stat st;
	size_t n = 0, errors = 0;
	char path[512];

	put("posts/a.md", "---\ntitle: A\n---\nalpha\n");
	CHECK(content_scan_list(root, &v, &n, &errors) == QUIRE_OK);
	CHECK(n == 1 && errors == 0);
	f = find(v, n, "/posts/a.md");
	CHECK(f && f->text == NULL);
	snprintf(path, sizeof(path), "%s/posts/a.md", root);
	CHECK(stat(path, &st) == 0);
	if (f) {
		CHECK(f->sig.ino == (unsigned long long)st.st_ino);
		CHECK(f->sig.size == (long long)st.st_size);
		CHECK(!f->sig_stable);
		content_scan_sig_format(&f->sig, sig);
		CHECK(sig[0] != '\0' && strchr(sig, '.'));
	}
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK);
	CHECK(n == 1 && v[0].text && strstr(v[0].text, "alpha"));
	CHECK(!v[0].sig_stable);
	content_scan_files_free(v, n);
}

/* Signatures as text: what content_scan_sig_format writes parses back; what
 * it cannot have written does not parse. */
static void test_sig_text(void)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1.2.3.4x", "1..3.4",
		"1.2.3.-4", "1.2.99999999999999999999.4", "1.2.3.9223372036854775808",
	};
	struct content_sig in = { 42, 3, 1700000000123456789LL, 1700000001000000000LL };
	struct content_sig out;
	char text[CONTENT_SIG_MAX];
	size_t i;

	content_scan_sig_format(&in, text);
	CHECK_STR(text, "42.3.1700000000123456789.1700000001000000000");
	CHECK(content_scan_sig_parse(text, &out) == QUIRE_OK);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(content_scan_sig_parse(bad[i], &out) == QUIRE_EPARSE);
		CHECK(out.ino == 0);
	}
}

/* Builds one known post for posts/a.md with the given hash and sig. */
static void known_one(struct tier_pg_hash *k, const char *path,
		      unsigned long long hash, char *sig)
{
	memset(k, 0, sizeof(*k));
	k->slug = (char *)"a";
	k->path = (char *)path;
	k->kind = POST_KIND_POST;
	k->hash = hash;
	k->sig = sig;
}

/* A file whose signature is known is not read; one whose signature
 * differs is read, and if its bytes are those known, its new stable
 * signature is kept (without a change); an edited file is upserted with
 * its signature. */
static void test_skip_and_plan(void)
{
	struct content_options opt = { 0 };
	struct content_file *v = NULL;
	struct deploy_known *idx = NULL;
	struct deploy_plan plan;
	struct tier_pg_hash known, *after = NULL;
	char path[512], sig[CONTENT_SIG_MAX];
	size_t n = 0, errors = 0, skipped = 0, n_after = 0;
	unsigned long long hash;

	/* Past the racy window of the file test_signatures wrote. */
	sleep(1);
	usleep(200 * 1000);
	snprintf(path, sizeof(path), "%s/posts/a.md", root);

	/* 1. Nothing known of its signature: read; stable now: kept. */
	CHECK(content_scan_list(root, &v, &n, &errors) == QUIRE_OK && n == 1);
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK && n == 1);
	CHECK(v[0].sig_stable);
	hash = v[0].hash;
	content_scan_sig_format(&v[0].sig, sig);
	known_one(&known, path, hash, NULL);
	CHECK(deploy_known_index(&known, 1, NULL, &idx) == QUIRE_OK);
	deploy_skip_known(v, n, idx, &skipped);
	CHECK(skipped == 0 && v[0].match != NULL);
	CHECK(deploy_plan_make(v, n, idx, &opt, &plan) == QUIRE_OK);
	CHECK(plan.n_upserts == 0 && plan.n_unchanged == 1 && plan.n_deletes == 0);
	CHECK(plan.n_sigs == 1);
	if (plan.n_sigs == 1) {
		CHECK_STR(plan.sigs[0].slug, "a");
		CHECK_STR(plan.sigs[0].sig, sig);
		CHECK(plan.sigs[0].hash == hash);
	}
	/* What PostgreSQL then holds: the same post, with the signature. */
	CHECK(deploy_known_after(idx, &plan, &after, NULL, &n_after) == QUIRE_OK);
	CHECK(n_after == 1 && after && after[0].sig && strcmp(after[0].sig, sig) == 0);
	free(after);
	deploy_plan_release(&plan);
	deploy_known_free(idx);
	content_scan_files_free(v, n);

	/* 2. Its signature known: not read at all. */
	known_one(&known, path, hash, sig);
	CHECK(deploy_known_index(&known, 1, NULL, &idx) == QUIRE_OK);
	CHECK(content_scan_list(root, &v, &n, &errors) == QUIRE_OK && n == 1);
	deploy_skip_known(v, n, idx, &skipped);
	CHECK(skipped == 1 && v[0].skip && v[0].hash == hash);
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK && n == 1);
	CHECK(v[0].text == NULL);
	CHECK(deploy_plan_make(v, n, idx, &opt, &plan) == QUIRE_OK);
	CHECK(plan.n_upserts == 0 && plan.n_unchanged == 1 && plan.n_sigs == 0);
	deploy_plan_release(&plan);
	content_scan_files_free(v, n);

	/* 3. Same size, mtime put back: the ctime still moved, so it is
	 * read and its new bytes upserted. */
	{
		struct stat before;
		struct timespec times[2];

		CHECK(stat(path, &before) == 0);
		put("posts/a.md", "---\ntitle: A\n---\nALPHA\n");
		times[0] = before.st_atim;
		times[1] = before.st_mtim;
		CHECK(utimensat(AT_FDCWD, path, times, 0) == 0);
	}
	CHECK(content_scan_list(root, &v, &n, &errors) == QUIRE_OK && n == 1);
	deploy_skip_known(v, n, idx, &skipped);
	CHECK(skipped == 0 && !v[0].skip);
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK && n == 1);
	CHECK(v[0].text && strstr(v[0].text, "ALPHA") && v[0].hash != hash);
	CHECK(!v[0].sig_stable);
	CHECK(deploy_plan_make(v, n, idx, &opt, &plan) == QUIRE_OK);
	CHECK(plan.n_upserts == 1 && plan.n_sigs == 0);
	/* Upserted without a stable signature: PostgreSQL keeps none. */
	CHECK(deploy_known_after(idx, &plan, &after, NULL, &n_after) == QUIRE_OK);
	CHECK(n_after == 1 && after && after[0].sig == NULL &&
	      after[0].hash == plan.upserts[0]->hash);
	free(after);
	deploy_plan_release(&plan);
	deploy_known_free(idx);
	content_scan_files_free(v, n);
}

/* Deleted slugs leave, upserts replace; a signature taken with another
 * hash is not kept. */
static void test_known_after(void)
{
	struct tier_pg_hash known[3], *after = NULL;
	struct deploy_known *idx = NULL;
	struct deploy_plan plan;
	struct tier_pg_hash sigs[2];
	struct record *r = record_new();
	char *dels[1] = { (char *)"b" };
	struct record *ups[1];
	size_t n = 0, i;
	int saw_a = 0, saw_c = 0, saw_d = 0;

	memset(known, 0, sizeof(known));
	known[0].slug = (char *)"a"; known[0].path = (char *)"p/a.md"; known[0].hash = 1;
	known[1].slug = (char *)"b"; known[1].path = (char *)"p/b.md"; known[1].hash = 2;
	known[2].slug = (char *)"c"; known[2].path = (char *)"p/c.md"; known[2].hash = 3;
	CHECK(r != NULL);
	if (!r)
		return;
	r->slug = strdup("d");
	r->path = strdup("p/d.md");
	r->hash = 4;
	ups[0] = r;
	memset(sigs, 0, sizeof(sigs));
	sigs[0].slug = (char *)"a"; sigs[0].sig = (char *)"1.2.3.4"; sigs[0].hash = 1;
	sigs[1].slug = (char *)"c"; sigs[1].sig = (char *)"5.6.7.8"; sigs[1].hash = 99;
	memset(&plan, 0, sizeof(plan));
	plan.upserts = ups;
	plan.n_upserts = 1;
	plan.deletes = dels;
	plan.n_deletes = 1;
	plan.sigs = sigs;
	plan.n_sigs = 2;
	CHECK(deploy_known_index(known, 3, NULL, &idx) == QUIRE_OK);
	CHECK(deploy_known_after(idx, &plan, &after, NULL, &n) == QUIRE_OK);
	CHECK(n == 3);
	for (i = 0; after && i < n; i++) {
		if (strcmp(after[i].slug, "a") == 0)
			saw_a = after[i].sig && strcmp(after[i].sig, "1.2.3.4") == 0;
		if (strcmp(after[i].slug, "c") == 0)
			saw_c = after[i].sig == NULL;
		if (strcmp(after[i].slug, "d") == 0)
			saw_d = after[i].hash == 4;
		CHECK(strcmp(after[i].slug, "b") != 0);
	}
	CHECK(saw_a && saw_c && saw_d);
	free(after);
	deploy_known_free(idx);

	/* The parsed signatures that come with it are those of its text: one
	 * kept from the index (c's, known already), one new (a's), none. */
	{
		struct content_sig *parsed = NULL, want;
		int same = 1;

		known[2].sig = (char *)"9.10.11.12";
		CHECK(deploy_known_index(known, 3, NULL, &idx) == QUIRE_OK);
		CHECK(deploy_known_after(idx, &plan, &after, &parsed, &n) == QUIRE_OK);
		CHECK(n == 3 && parsed != NULL);
		for (i = 0; after && parsed && i < n; i++) {
			if (after[i].sig)
				same = same && content_scan_sig_parse(after[i].sig, &want) == QUIRE_OK &&
				       memcmp(&want, &parsed[i], sizeof(want)) == 0;
			else
				same = same && parsed[i].ino == 0;
		}
		CHECK(same);
		deploy_known_free(idx);
		/* indexed from them: the same signatures match as parsing would */
		CHECK(deploy_known_index(after, n, parsed, &idx) == QUIRE_OK);
		free(parsed);
		free(after);
		deploy_known_free(idx);
		known[2].sig = NULL;
	}
	record_free(r);
}

/* Files whose slug the write API owns are taken out of the plan, as if
 * they were not in the folder: not upserted, their signatures not kept,
 * not in what PostgreSQL holds after it (so the next deploy reads and
 * reports them again); counted as skipped. The other changes stay. */
static void test_skip_owned(void)
{
	struct content_options opt = { 0 };
	struct content_file *v = NULL;
	struct deploy_known *idx = NULL;
	struct deploy_plan plan;
	struct tier_pg_hash known, *after = NULL;
	char dir[256], *owned[3] = { (char *)"zz-not-planned", (char *)"o-b",
				     (char *)"o-d" };
	size_t n = 0, errors = 0, skipped = 0, n_after = 0, i;
	int saw_a = 0, saw_c = 0, saw_gone = 0;

	tmpsite_make(dir, sizeof(dir), "deploy-owned");
	tmpsite_write(dir, "posts/a.md", "---\ntitle: A\nslug: o-a\n---\na\n");
	tmpsite_write(dir, "posts/b.md", "---\ntitle: B\nslug: o-b\n---\nb\n");
	tmpsite_write(dir, "posts/c.md", "---\ntitle: C\nslug: o-c\n---\nc\n");
	tmpsite_write(dir, "posts/d.md", "---\ntitle: D\nslug: o-d\n---\nd\n");
	/* Past the racy window: each file read has a signature to keep. */
	sleep(1);
	usleep(200 * 1000);
	/* One content post known, whose file now gives another slug (an
	 * API post's): its old slug goes, as when the file goes. */
	memset(&known, 0, sizeof(known));
	known.slug = (char *)"old-d";
	known.path = NULL;
	known.kind = POST_KIND_POST;
	CHECK(content_scan_list(dir, &v, &n, &errors) == QUIRE_OK && n == 4);
	known.path = v[3].path;
	CHECK(deploy_known_index(&known, 1, NULL, &idx) == QUIRE_OK);
	deploy_skip_known(v, n, idx, &skipped);
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK && n == 4);
	CHECK(deploy_plan_make(v, n, idx, &opt, &plan) == QUIRE_OK);
	CHECK(plan.n_upserts == 4 && plan.n_sigs == 4 && plan.n_deletes == 1);
	CHECK(plan.n_skipped == 0);

	CHECK(deploy_plan_skip_owned(&plan, owned, 3) == QUIRE_OK);
	CHECK(plan.n_skipped == 2);
	CHECK(plan.n_upserts == 2);
	if (plan.n_upserts == 2) {
		/* in their order */
		CHECK_STR(plan.upserts[0]->slug, "o-a");
		CHECK_STR(plan.upserts[1]->slug, "o-c");
	}
	CHECK(plan.n_sigs == 2);
	for (i = 0; i < plan.n_sigs; i++)
		CHECK(strcmp(plan.sigs[i].slug, "o-b") != 0 &&
		      strcmp(plan.sigs[i].slug, "o-d") != 0);
	CHECK(plan.n_deletes == 1 && strcmp(plan.deletes[0], "old-d") == 0);
	CHECK(deploy_known_after(idx, &plan, &after, NULL, &n_after) == QUIRE_OK);
	CHECK(n_after == 2);
	for (i = 0; after && i < n_after; i++) {
		saw_a |= strcmp(after[i].slug, "o-a") == 0 && after[i].sig != NULL;
		saw_c |= strcmp(after[i].slug, "o-c") == 0 && after[i].sig != NULL;
		saw_gone |= strcmp(after[i].slug, "o-b") == 0 ||
			    strcmp(after[i].slug, "o-d") == 0 ||
			    strcmp(after[i].slug, "old-d") == 0;
	}
	CHECK(saw_a && saw_c && !saw_gone);
	free(after);
	/* Nothing owned, or the same again: nothing more taken out. */
	CHECK(deploy_plan_skip_owned(&plan, NULL, 0) == QUIRE_OK);
	CHECK(deploy_plan_skip_owned(&plan, owned, 3) == QUIRE_OK);
	CHECK(plan.n_upserts == 2 && plan.n_skipped == 2 && plan.n_sigs == 2);
	deploy_plan_release(&plan);
	CHECK(plan.n_skipped == 0);
	deploy_known_free(idx);
	content_scan_files_free(v, n);
	tmpsite_remove(dir);
}

static void test_cache_file(void)
{
	struct tier_pg_hash v[3];
	struct deploy_cache *c = NULL;
	struct tier_pg_site site = { 5, "0123abcd", "feed42" }, other;
	char dir[512], path[700];
	FILE *f;
	long size;
	int fd;

	snprintf(dir, sizeof(dir), "%s/cache/quire", root);
	memset(v, 0, sizeof(v));
	v[0].slug = (char *)"one"; v[0].path = (char *)"/x/posts/one.md";
	v[0].kind = POST_KIND_POST; v[0].hash = 0xfedcba9876543210ULL;
	v[0].sig = (char *)"12.34.56.78";
	v[1].slug = (char *)"two"; v[1].path = (char *)"/x/pages/t\nw\to.md";
	v[1].kind = POST_KIND_PAGE; v[1].hash = 7;
	v[2].slug = (char *)"three"; v[2].kind = POST_KIND_POST; v[2].hash = 0;

	CHECK(deploy_cache_load(dir, &site, &c) == QUIRE_ENOTFOUND);
	CHECK(deploy_cache_save(dir, &site, v, 3) == QUIRE_OK);
	CHECK(deploy_cache_load(dir, &site, &c) == QUIRE_OK);
	CHECK(c && c->n == 3);
	if (c && c->n == 3) {
		CHECK_STR(c->v[0].slug, "one");
		CHECK_STR(c->v[0].path, "/x/posts/one.md");
		CHECK_STR(c->v[0].sig, "12.34.56.78");
		CHECK(c->v[0].hash == 0xfedcba9876543210ULL);
		CHECK(c->v[1].kind == POST_KIND_PAGE);
		CHECK_STR(c->v[1].path, "/x/pages/t\nw\to.md");
		CHECK(c->v[1].sig == NULL);
		CHECK(c->v[2].path == NULL && c->v[2].hash == 0);
	}
	deploy_cache_free(c);
	c = NULL;
	/* Another generation, another stamp (the same generation reached
	 * again after a restore), another site: not this cache. */
	other = site;
	other.generation = 6;
	CHECK(deploy_cache_load(dir, &other, &c) == QUIRE_ENOTFOUND && !c);
	other = site;
	strcpy(other.stamp, "feed43");
	CHECK(deploy_cache_load(dir, &other, &c) == QUIRE_ENOTFOUND && !c);
	other = site;
	strcpy(other.uid, "0123abce");
	CHECK(deploy_cache_load(dir, &other, &c) == QUIRE_ENOTFOUND && !c);
	/* An id that could leave the folder is refused; so is a site never
	 * changed (no stamp yet). */
	other = site;
	strcpy(other.uid, "../x");
	CHECK(deploy_cache_save(dir, &other, v, 3) == QUIRE_EINVAL);
	CHECK(deploy_cache_load(dir, &other, &c) == QUIRE_ENOTFOUND);
	other = site;
	other.stamp[0] = '\0';
	CHECK(deploy_cache_save(dir, &other, v, 3) == QUIRE_EINVAL);

	/* One byte changed in the body, or the file cut short: ignored. */
	snprintf(path, sizeof(path), "%s/known-%s", dir, site.uid);
	f = fopen(path, "r+");
	CHECK(f != NULL);
	if (f) {
		fseek(f, -3, SEEK_END);
		fputc('Z', f);
		fclose(f);
	}
	CHECK(deploy_cache_load(dir, &site, &c) == QUIRE_ENOTFOUND && !c);
	CHECK(deploy_cache_save(dir, &site, v, 3) == QUIRE_OK);
	fd = open(path, O_RDWR);
	size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	CHECK(size > 10 && ftruncate(fd, size - 10) == 0);
	if (fd >= 0)
		close(fd);
	CHECK(deploy_cache_load(dir, &site, &c) == QUIRE_ENOTFOUND && !c);
	/* An empty site is a cache too. */
	site.generation = 9;
	CHECK(deploy_cache_save(dir, &site, v, 0) == QUIRE_OK);
	CHECK(deploy_cache_load(dir, &site, &c) == QUIRE_OK && c && c->n == 0);
	deploy_cache_free(c);
}

/* A file keeps the slug PostgreSQL holds: a newcomer sharing it on
 * another day gets a suffix of its date, one on the same day (the day
 * of the file not read again, learnt by parsing it) is a duplicate; a
 * broken file keeps its row; the rest of the plan stands. */
static void test_plan_shared_slugs(void)
{
	struct content_options opt = { 0 };
	struct content_file *v = NULL, *f;
	struct deploy_known *idx = NULL;
	struct deploy_plan plan;
	struct tier_pg_hash known[2];
	char dir[256], p_held[512], p_broken[512];
	size_t n = 0, errors = 0, skipped = 0;

	tmpsite_make(dir, sizeof(dir), "deploy-shared");
	tmpsite_write(dir, "posts/2016-10-20-dup.md", "---\ntitle: Held\n---\n");
	tmpsite_write(dir, "posts/2015-06-06-dup.md", "---\ntitle: Older\n---\n");
	tmpsite_write(dir, "posts/2016-10-20-dup.markdown", "---\ntitle: Twin\n---\n");
	tmpsite_write(dir, "posts/broken.md", "---\ntitle: [x\n---\n");
	snprintf(p_held, sizeof(p_held), "%s/posts/2016-10-20-dup.md", dir);
	snprintf(p_broken, sizeof(p_broken), "%s/posts/broken.md", dir);
	CHECK(content_scan_list(dir, &v, &n, &errors) == QUIRE_OK && n == 4);
	CHECK(content_scan_read(v, &n, &errors) == QUIRE_OK && n == 4);
	f = find(v, n, "/2016-10-20-dup.md");
	memset(known, 0, sizeof(known));
	known[0].slug = (char *)"dup";
	known[0].path = p_held;
	known[0].hash = f ? f->hash : 0;
	known[1].slug = (char *)"broken-before";
	known[1].path = p_broken;
	known[1].hash = 1;
	CHECK(deploy_known_index(known, 2, NULL, &idx) == QUIRE_OK);
	deploy_skip_known(v, n, idx, &skipped);
	CHECK(deploy_plan_make(v, n, idx, &opt, &plan) == QUIRE_OK);
	CHECK(plan.n_unchanged == 1);
	CHECK(plan.n_upserts == 1);
	CHECK_STR(plan.n_upserts ? plan.upserts[0]->slug : NULL, "dup-2015-06-06");
	CHECK(plan.n_renamed == 1);
	CHECK(plan.n_errors == 2);  /* the same-day twin, the broken file */
	CHECK(plan.n_deletes == 0); /* the broken file's row stays */
	deploy_plan_release(&plan);
	deploy_known_free(idx);
	content_scan_files_free(v, n);
	tmpsite_remove(dir);
}

int main(void)
{
	markdown_init();
	tmpsite_make(root, sizeof(root), "deploy");
	test_signatures();
	test_sig_text();
	test_skip_and_plan();
	test_known_after();
	test_skip_owned();
	test_plan_shared_slugs();
	test_cache_file();
	tmpsite_remove(root);
	return check_done("test_deploy");
}
