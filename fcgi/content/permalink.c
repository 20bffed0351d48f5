/*
 * permalink.c - URL patterns of posts and pages (site.yaml's permalinks)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "content/permalink.h"
#include "lib/quire.h"

enum token { T_YEAR, T_MONTH, T_DAY, T_SLUG, T_TITLE, T_CATEGORY,
	     T_CATEGORIES, T__N };

static const char *const token_names[T__N] = {
	"year", "month", "day", "slug", "title", "category", "categories",
};

/* The token named at s (after its ':'), its length in *len; -1 none. */
static int token_at(const char *s, size_t *len)
{
	size_t n = 0;
	int i;

	while ((s[n] >= 'a' && s[n] <= 'z'))
		n++;
	for (i = 0; i < T__N; i++) {
		if (strlen(token_names[i]) == n &&
		    strncmp(s, token_names[i], n) == 0) {
			*len = n;
			return i;
		}
	}
	*len = n;
	return -1;
}

/* Exact routes, compared without a trailing slash. */
static const char *const reserved_exact[] = {
	"", "/posts", "/search", "/feed.xml", "/feed.json", "/sitemap.xml", "/healthz",
	"/metrics",
};

/* Whole subtrees, the folder itself included. */
static const char *const reserved_tree[] = {
	"/tags", "/categories", "/api", "/static", "/archives", "/authors",
	"/preview",
};

int permalink_reserved(const char *path)
{
	size_t len = strlen(path), i, n;

	if (len && path[len - 1] == '/')
		len--;
	for (i = 0; i < sizeof(reserved_exact) / sizeof(*reserved_exact); i++)
		if (strlen(reserved_exact[i]) == len &&
		    strncmp(path, reserved_exact[i], len) == 0)
			return 1;
	for (i = 0; i < sizeof(reserved_tree) / sizeof(*reserved_tree); i++) {
		n = strlen(reserved_tree[i]);
		if (len >= n && strncmp(path, reserved_tree[i], n) == 0 &&
		    (len == n || path[n] == '/'))
			return 1;
	}
	return 0;
}

static enum quire_err fail(size_t at, size_t *col, char *msg, size_t msgsz,
			   const char *text)
{
	*col = at;
	snprintf(msg, msgsz, "%s", text);
	return QUIRE_EPARSE;
}

/* Whether the segment [s, e) is empty, "." or "..". */
static int bad_segment(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	return n == 0 || (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.');
}

/* The fixed start of pattern (up to its first token's segment) must not
 * lie under a reserved route: every URL it makes would. */
static int fixed_start_reserved(const char *pattern)
{
	char fixed[PERMALINK_MAX_PATTERN + 1];
	const char *tok = strchr(pattern, ':');
	size_t n = tok ? (size_t)(tok - pattern) : strlen(pattern);

	while (tok && n > 0 && pattern[n - 1] != '/')
		n--;
	memcpy(fixed, pattern, n);
	fixed[n] = '\0';
	/* "/" alone is the start of every pattern; "/posts/" is the list's
	 * own URL but "/posts/:slug" is the default. */
	if (strcmp(fixed, "/") == 0 || strcmp(fixed, "/posts/") == 0)
		return 0;
	return permalink_reserved(fixed);
}

enum quire_err permalink_check(const char *pattern, size_t *col, char *msg,
			       size_t msgsz)
{
	const char *s = pattern, *seg = pattern + 1;
	size_t len, n_slug = 0;
	int t;

	if (strlen(pattern) > PERMALINK_MAX_PATTERN)
		return fail(PERMALINK_MAX_PATTERN, col, msg, msgsz,
			    "pattern too long");
	if (*s != '/')
		return fail(0, col, msg, msgsz, "a pattern starts with '/'");
	for (s = pattern + 1; *s; s++) {
		if (*s == ':') {
			t = token_at(s + 1, &len);
			if (t < 0) {
				snprintf(msg, msgsz, "unknown token \":%.*s\" "
					 "(:year :month :day :slug :title "
					 ":category :categories)", (int)len, s + 1);
				*col = (size_t)(s - pattern);
				return QUIRE_EPARSE;
			}
			n_slug += t == T_SLUG || t == T_TITLE;
			s += len; /* its last letter */
			if (s[1] == ':')
				return fail((size_t)(s + 1 - pattern), col, msg,
					    msgsz, "two tokens with nothing "
					    "between");
			continue;
		}
		if (*s == '/') {
			if (bad_segment(seg, s))
				return fail((size_t)(s - pattern), col, msg, msgsz,
					    "empty, \".\" or \"..\" segment");
			seg = s + 1;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return fail((size_t)(s - pattern), col, msg, msgsz,
				    "a pattern holds letters, digits, '-', '_', "
				    "'.', '/' and tokens");
	}
	if (*seg && bad_segment(seg, seg + strlen(seg)))
		return fail((size_t)(seg - pattern), col, msg, msgsz,
			    "\".\" or \"..\" segment");
	if (n_slug != 1)
		return fail(0, col, msg, msgsz,
			    "a pattern names :slug (or :title) exactly once");
	if (fixed_start_reserved(pattern))
		return fail(0, col, msg, msgsz,
			    "the pattern lies under a route of quire's own "
			    "(reserved)");
	return QUIRE_OK;
}

void permalink_term_key(const char *name, char *out, size_t outsz)
{
	size_t o = 0;
	unsigned char c;

	if (outsz == 0)
		return;
	/* What serve/uri.c refuses in a path (a control character, a
	 * backslash, a "." or ".." segment) or what would end the segment
	 * becomes '-', so every term has a page. */
	for (; *name && o + 1 < outsz; name++) {
		c = (unsigned char)*name;
		if (c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c == '?' ||
		    c == '#')
			c = '-';
		else if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		memset(out, '-', o);
}

/* Appends s (n bytes) at *o; 0 when out is full. */
static int put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	if (*o + n >= outsz)
		return 0;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 1;
}

/* Appends the URL key of every category, or only the first, with a '/'
 * between them; nothing when there is none. */
static int put_categories(char *out, size_t outsz, size_t *o,
			  const struct post *p, int all)
{
	char key[256];
	size_t i;

	for (i = 0; i < p->categories.n && (all || i == 0); i++) {
		permalink_term_key(p->categories.v[i], key, sizeof(key));
		if ((i && !put(out, outsz, o, "/", 1)) ||
		    !put(out, outsz, o, key, strlen(key)))
			return 0;
	}
	return 1;
}

static int put_token(char *out, size_t outsz, size_t *o, const struct post *p,
		     int t)
{
	char num[16];
	time_t d = p->has_date ? p->date : 0;
	struct tm tm;

	if (!gmtime_r(&d, &tm))
		memset(&tm, 0, sizeof(tm));
	switch (t) {
	case T_YEAR:
		snprintf(num, sizeof(num), "%04d", tm.tm_year + 1900);
		return put(out, outsz, o, num, strlen(num));
	case T_MONTH:
		snprintf(num, sizeof(num), "%02d", tm.tm_mon + 1);
		return put(out, outsz, o, num, strlen(num));
	case T_DAY:
		snprintf(num, sizeof(num), "%02d", tm.tm_mday);
		return put(out, outsz, o, num, strlen(num));
	case T_SLUG:
	case T_TITLE:
		return put(out, outsz, o, p->slug, strlen(p->slug));
	default:
		return put_categories(out, outsz, o, p, t == T_CATEGORIES);
	}
}

enum quire_err permalink_expand(const char *pattern, const struct post *p,
				char *out, size_t outsz)
{
	size_t o = 0, len;
	const char *s;
	int t;

	if (outsz == 0)
		return QUIRE_ETOOBIG;
	out[0] = '\0';
	for (s = pattern; *s; s++) {
		if (*s != ':') {
			/* A category token that gave nothing leaves "//". */
			if (*s == '/' && o && out[o - 1] == '/')
				continue;
			if (!put(out, outsz, &o, s, 1))
				return QUIRE_ETOOBIG;
			continue;
		}
		t = token_at(s + 1, &len);
		s += len;
		if (t >= 0 && !put_token(out, outsz, &o, p, t))
			return QUIRE_ETOOBIG;
	}
	return QUIRE_OK;
}

size_t permalink_base_len(const char *path, size_t len)
{
	/* something more than the root must be left */
	if (len > 7 && memcmp(path + len - 6, ".html/", 6) == 0)
		return len - 6;
	if (len > 6 && memcmp(path + len - 5, ".html", 5) == 0)
		return len - 5;
	if (len > 1 && path[len - 1] == '/')
		return len - 1;
	return len;
}
