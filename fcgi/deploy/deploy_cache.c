/*
 * deploy_cache.c - the content posts PostgreSQL held at one generation
 *
 * Layout: a header of six lines ("quire-known 2", the site id, the
 * generation, its stamp, the number of entries, the xxh3 of the body in
 * hex), then the body: per entry five NUL-terminated fields, slug, kind, hash (as
 * stored: signed decimal), path and signature ("" for none). NUL cannot
 * occur in a path, so any name a file system allows round-trips.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "content/record.h"
#include "deploy/deploy_cache.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/quire.h"

#define CACHE_MAGIC "quire-known 2"
#define CACHE_SITE_MAX 64
/* Far above 5 fields of QUIRE_MAX_POSTS entries of a few hundred bytes. */
#define CACHE_MAX_BYTES (512LL * 1024 * 1024)

char *deploy_cache_dir(void)
{
	const char *v = getenv("QUIRE_CACHE_DIR");
	char *out = NULL;

	if (v && *v)
		return strdup(v);
	if ((v = getenv("XDG_CACHE_HOME")) && *v) {
		if (asprintf(&out, "%s/quire", v) < 0)
			return NULL;
		return out;
	}
	if ((v = getenv("HOME")) && *v) {
		if (asprintf(&out, "%s/.cache/quire", v) < 0)
			return NULL;
		return out;
	}
	return NULL;
}

/* Only [0-9a-z], as the ids the schema makes (md5 in hex; a site never
 * bumped has an empty stamp, which no cache matches): one names a file,
 * both are lines of it. */
static int site_ok(const char *site)
{
	size_t i, n = strlen(site);

	if (n == 0 || n > CACHE_SITE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((site[i] >= '0' && site[i] <= '9') ||
		      (site[i] >= 'a' && site[i] <= 'z')))
			return 0;
	return 1;
}

static char *cache_path(const char *dir, const char *site, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s/known-%s%s", dir, site, suffix) < 0)
		return NULL;
	return p;
}

/* Maps path whole, read-only, its pages read in at once (one fault a
 * page would cost more than the read). */
static enum quire_err map_file(const char *path, void **map, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*map = NULL;
	*len = 0;
	if (fd == -1)
		return QUIRE_ENOTFOUND;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > CACHE_MAX_BYTES) {
		close(fd);
		return QUIRE_ENOTFOUND;
	}
	*map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		    fd, 0);
	close(fd);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return QUIRE_ENOTFOUND;
	}
	*len = (size_t)st.st_size;
	return QUIRE_OK;
}

/* The next line of [*p, end) without its newline, or NULL. */
static const char *next_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

	if (!nl)
		return NULL;
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

static int line_is(const char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The next NUL-terminated field of [*p, end), or NULL. */
static const char *next_field(const char **p, const char *end)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

static enum quire_err parse_entries(const char *p, const char *end,
				    size_t count, struct tier_pg_hash *v)
{
	const char *f[5];
	long long h;
	char *e;
	size_t i;
	int k;

	for (i = 0; i < count; i++) {
		for (k = 0; k < 5; k++)
			if (!(f[k] = next_field(&p, end)))
				return QUIRE_ENOTFOUND;
		errno = 0;
		h = strtoll(f[2], &e, 10);
		if (errno || e == f[2] || *e || !*f[0] ||
		    record_kind_parse(f[1], &v[i].kind) != QUIRE_OK)
			return QUIRE_ENOTFOUND;
		v[i].hash = (unsigned long long)h;
		/* Into the read-only map: deploy_cache.h says not to write. */
		v[i].slug = (char *)(uintptr_t)f[0];
		v[i].path = *f[3] ? (char *)(uintptr_t)f[3] : NULL;
		v[i].sig = *f[4] ? (char *)(uintptr_t)f[4] : NULL;
	}
	return p == end ? QUIRE_OK : QUIRE_ENOTFOUND;
}

enum quire_err deploy_cache_load(const char *dir,
				 const struct tier_pg_site *site,
				 struct deploy_cache **out)
{
	struct deploy_cache *c;
	const char *p, *end, *line;
	char want[64], *path, *e;
	unsigned long long count = 0;
	size_t len;
	enum quire_err rc;

	*out = NULL;
	if (!site_ok(site->uid) || !site_ok(site->stamp) ||
	    !(path = cache_path(dir, site->uid, "")))
		return QUIRE_ENOTFOUND;
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(path);
		return QUIRE_ENOMEM;
	}
	rc = map_file(path, &c->map, &c->map_len);
	free(path);
	if (rc != QUIRE_OK)
		goto out;
	rc = QUIRE_ENOTFOUND;
	p = c->map;
	end = p + c->map_len;
	if (!(line = next_line(&p, end, &len)) || !line_is(line, len, CACHE_MAGIC) ||
	    !(line = next_line(&p, end, &len)) || !line_is(line, len, site->uid))
		goto out;
	snprintf(want, sizeof(want), "%lld", site->generation);
	if (!(line = next_line(&p, end, &len)) || !line_is(line, len, want) ||
	    !(line = next_line(&p, end, &len)) || !line_is(line, len, site->stamp) ||
	    !(line = next_line(&p, end, &len)) || len == 0 || len > 20)
		goto out;
	memcpy(want, line, len);
	want[len] = '\0';
	errno = 0;
	count = strtoull(want, &e, 10);
	if (errno || *e || count > QUIRE_MAX_POSTS)
		goto out;
	if (!(line = next_line(&p, end, &len)) || len != 16)
		goto out;
	snprintf(want, sizeof(want), "%016llx",
		 (unsigned long long)XXH3_64bits(p, (size_t)(end - p)));
	if (!line_is(line, len, want))
		goto out;
	c->v = calloc(count ? count : 1, sizeof(*c->v));
	if (!c->v) {
		rc = QUIRE_ENOMEM;
		goto out;
	}
	rc = parse_entries(p, end, count, c->v);
	if (rc != QUIRE_OK)
		goto out;
	c->n = count;
	*out = c;
	c = NULL;
out:
	deploy_cache_free(c);
	return rc;
}

void deploy_cache_free(struct deploy_cache *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->map_len);
	free(c->v);
	free(c);
}

static void put_field(struct buf *b, const char *s)
{
	buf_puts(b, s ? s : "");
	buf_putc(b, '\0');
}

/* mkdir -p of dir's last two levels (~/.cache may not exist yet). */
static void make_dir(const char *dir)
{
	char *parent = strdup(dir), *slash;

	if (parent && (slash = strrchr(parent, '/')) && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0700);
	}
	free(parent);
	mkdir(dir, 0700);
}

enum quire_err deploy_cache_save(const char *dir,
				 const struct tier_pg_site *site,
				 const struct tier_pg_hash *v, size_t n)
{
	struct buf head = BUF_INIT, body = BUF_INIT;
	char *path = NULL, *tmp = NULL, sfx[32];
	size_t i;
	int fd = -1;
	enum quire_err rc = QUIRE_ENOMEM;

	if (!site_ok(site->uid) || !site_ok(site->stamp))
		return QUIRE_EINVAL;
	for (i = 0; i < n; i++) {
		put_field(&body, v[i].slug);
		put_field(&body, record_kind_name(v[i].kind));
		buf_printf(&body, "%lld", (long long)v[i].hash);
		buf_putc(&body, '\0');
		put_field(&body, v[i].path);
		put_field(&body, v[i].sig);
	}
	buf_printf(&head, CACHE_MAGIC "\n%s\n%lld\n%s\n%zu\n%016llx\n",
		   site->uid, site->generation, site->stamp, n,
		   (unsigned long long)XXH3_64bits(body.data, body.len));
	snprintf(sfx, sizeof(sfx), ".tmp.%ld", (long)getpid());
	path = cache_path(dir, site->uid, "");
	tmp = cache_path(dir, site->uid, sfx);
	if (buf_failed(&head) || buf_failed(&body) || !path || !tmp)
		goto out;
	rc = QUIRE_EIO;
	make_dir(dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto out;
	if (buf_write_all(&head, fd) != QUIRE_OK || buf_write_all(&body, fd) != QUIRE_OK ||
	    close(fd) != 0) {
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		goto out;
	}
	rc = QUIRE_OK;
out:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	free(path);
	free(tmp);
	buf_release(&head);
	buf_release(&body);
	return rc;
}
