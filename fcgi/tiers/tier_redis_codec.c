/*
 * tier_redis_codec.c - the bytes of the Redis tier, with no Redis
 *
 * URLs, index entries, post hash fields, invalidation messages and
 * worker heartbeats, built and parsed from memory. Whatever is parsed
 * here comes from a Redis that another host may write to, so every
 * length is checked against the bytes that are left before anything is
 * read or allocated from it; the format of an index entry is in
 * tier_redis_codec.h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/record.h"
#include "lib/limits.h"
#include "lib/quire.h"
#include "tiers/tier_redis_codec.h"

/* Written: version 2 (a summary after the frontmatter). Read: 2 and 1
 * (as written before the summary; its post shows the description). */
static const char index_magic[4] = { 'Q', 'I', 'X', '2' };
#define INDEX_VERSION_OLD '1'

#define INDEX_FLAG_DATE 0x01u
#define INDEX_FLAG_PATH 0x02u

const char *const tier_redis_codec_field_names[TIER_REDIS_F__MAX] = {
	"revision",    /* TIER_REDIS_F_REVISION */
	"kind",        /* TIER_REDIS_F_KIND */
	"origin",      /* TIER_REDIS_F_ORIGIN */
	"path",        /* TIER_REDIS_F_PATH */
	"source",      /* TIER_REDIS_F_SOURCE */
	"body_offset", /* TIER_REDIS_F_BODY_OFFSET */
	"html",        /* TIER_REDIS_F_HTML */
	"toc",         /* TIER_REDIS_F_TOC */
	"words",       /* TIER_REDIS_F_WORDS */
	"hash",        /* TIER_REDIS_F_HASH */
	"date",        /* TIER_REDIS_F_DATE */
	"format",      /* TIER_REDIS_F_FORMAT */
	"summary",     /* TIER_REDIS_F_SUMMARY */
	"generation",  /* TIER_REDIS_F_GENERATION */
};

/* ------------------------------------------------------------ integers */

enum quire_err tier_redis_codec_ull_parse(const char *s, size_t len,
					  unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	/* 20 digits hold any 64-bit value; more is garbage or overflow. */
	if (!s || len == 0 || len > 20)
		return QUIRE_EPARSE;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return QUIRE_EPARSE;
		d = (unsigned)(s[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return QUIRE_EPARSE;
		v = v * 10 + d;
	}
	*out = v;
	return QUIRE_OK;
}

enum quire_err tier_redis_codec_ll_parse(const char *s, size_t len,
					 long long *out)
{
	unsigned long long v;
	int neg = 0;

	if (s && len > 0 && s[0] == '-') {
		neg = 1;
		s++;
		len--;
	}
	if (tier_redis_codec_ull_parse(s, len, &v) != QUIRE_OK)
		return QUIRE_EPARSE;
	if (neg) {
		/* -LLONG_MIN does not fit: compare against its magnitude. */
		if (v > (unsigned long long)LLONG_MAX + 1)
			return QUIRE_EPARSE;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN :
			-(long long)v;
	} else {
		if (v > (unsigned long long)LLONG_MAX)
			return QUIRE_EPARSE;
		*out = (long long)v;
	}
	return QUIRE_OK;
}

/* ----------------------------------------------------------------- URLs */

/* Copies s[0, n) into out (cap bytes with the NUL), decoding %XX. A
 * decoded NUL is refused: the result is used as a C string. */
static enum quire_err copy_decoded(char *out, size_t cap, const char *s,
				   size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return QUIRE_EINVAL;
			hi = quire_hex_digit(s[i + 1]);
			lo = quire_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return QUIRE_EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return QUIRE_EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return QUIRE_OK;
}

/* Copies s[0, n) verbatim; refuses an empty or too long one. */
static enum quire_err copy_plain(char *out, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n >= cap)
		return QUIRE_EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return QUIRE_OK;
}

static enum quire_err parse_bounded_int(const char *s, size_t n, long long lo,
					long long hi, int *out)
{
	long long v;

	if (tier_redis_codec_ll_parse(s, n, &v) != QUIRE_OK || v < lo || v > hi)
		return QUIRE_EINVAL;
	*out = (int)v;
	return QUIRE_OK;
}

static int host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* "[[USER]:PASSWORD@]HOST[:PORT][/DB]", after "redis://". */
static enum quire_err parse_tcp(const char *s, struct tier_redis_url *u)
{
	const char *at, *p, *end, *host, *host_end, *slash;
	size_t i;

	slash = strchr(s, '/');
	end = slash ? slash : s + strlen(s);
	/* The password may hold '@' only escaped, so the last '@' before the
	 * path ends the user information. */
	at = NULL;
	for (p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(s, ':', (size_t)(at - s));

		/* "user@host" without a colon is ambiguous: refuse it. */
		if (!colon)
			return QUIRE_EINVAL;
		if (copy_decoded(u->user, sizeof(u->user), s,
				 (size_t)(colon - s)) != QUIRE_OK ||
		    copy_decoded(u->password, sizeof(u->password), colon + 1,
				 (size_t)(at - colon - 1)) != QUIRE_OK)
			return QUIRE_EINVAL;
		s = at + 1;
	}
	if (*s == '[') {
		host = s + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return QUIRE_EINVAL;
		for (p = host; p < host_end; p++)
			if (!(quire_hex_digit(*p) >= 0 || *p == ':' || *p == '.'))
				return QUIRE_EINVAL;
		p = host_end + 1;
	} else {
		host = s;
		for (p = s; p < end && *p != ':'; p++)
			if (!host_char_ok(*p))
				return QUIRE_EINVAL;
		host_end = p;
	}
	if (copy_plain(u->host, sizeof(u->host), host,
		       (size_t)(host_end - host)) != QUIRE_OK)
		return QUIRE_EINVAL;
	u->port = 6379;
	if (p < end) {
		if (*p != ':' || parse_bounded_int(p + 1, (size_t)(end - p - 1),
						   1, 65535, &u->port) != QUIRE_OK)
			return QUIRE_EINVAL;
	}
	if (slash && slash[1] != '\0') {
		for (i = 1; slash[i]; i++)
			;
		if (parse_bounded_int(slash + 1, i - 1, 0, TIER_REDIS_MAX_DB,
				      &u->db) != QUIRE_OK)
			return QUIRE_EINVAL;
	}
	return QUIRE_OK;
}

/* "/PATH[?db=N][&password=X]", after "unix:" (or "unix://"). */
static enum quire_err parse_unix(const char *s, struct tier_redis_url *u)
{
	const char *q = strchr(s, '?'), *end;
	int seen_db = 0, seen_pw = 0;

	if (*s != '/')
		return QUIRE_EINVAL;
	end = q ? q : s + strlen(s);
	if (copy_plain(u->socket, sizeof(u->socket), s,
		       (size_t)(end - s)) != QUIRE_OK)
		return QUIRE_EINVAL;
	u->is_unix = 1;
	if (!q)
		return QUIRE_OK;
	s = q + 1;
	for (;;) {
		const char *amp = strchr(s, '&'), *eq;
		size_t n = amp ? (size_t)(amp - s) : strlen(s);

		eq = memchr(s, '=', n);
		if (!eq)
			return QUIRE_EINVAL;
		if ((size_t)(eq - s) == 2 && memcmp(s, "db", 2) == 0 && !seen_db) {
			seen_db = 1;
			if (parse_bounded_int(eq + 1, n - 3, 0, TIER_REDIS_MAX_DB,
					      &u->db) != QUIRE_OK)
				return QUIRE_EINVAL;
		} else if ((size_t)(eq - s) == 8 &&
			   memcmp(s, "password", 8) == 0 && !seen_pw) {
			seen_pw = 1;
			if (copy_decoded(u->password, sizeof(u->password),
					 eq + 1, n - 9) != QUIRE_OK)
				return QUIRE_EINVAL;
		} else if ((size_t)(eq - s) == 4 && memcmp(s, "user", 4) == 0 &&
			   !u->user[0]) {
			if (copy_decoded(u->user, sizeof(u->user), eq + 1,
					 n - 5) != QUIRE_OK)
				return QUIRE_EINVAL;
		} else {
			return QUIRE_EINVAL;
		}
		if (!amp)
			break;
		s = amp + 1;
	}
	return QUIRE_OK;
}

enum quire_err tier_redis_codec_url_parse(const char *url,
					  struct tier_redis_url *out)
{
	size_t n;
	enum quire_err rc = QUIRE_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!url)
		return QUIRE_EINVAL;
	n = strnlen(url, TIER_REDIS_MAX_URL + 1);
	if (n > TIER_REDIS_MAX_URL)
		return QUIRE_EINVAL;
	if (strncmp(url, "redis://", 8) == 0)
		rc = parse_tcp(url + 8, out);
	else if (strncmp(url, "unix://", 7) == 0)
		rc = parse_unix(url + 7, out);
	else if (strncmp(url, "unix:", 5) == 0)
		rc = parse_unix(url + 5, out);
	if (rc != QUIRE_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* --------------------------------------------------------- index entries */

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* Two's complement both ways without relying on implementation-defined
 * conversions of out-of-range values. */
static uint64_t ll_to_u64(long long v)
{
	return v < 0 ? ~(uint64_t)(-(v + 1)) : (uint64_t)v;
}

static long long u64_to_ll(uint64_t v)
{
	return v > (uint64_t)LLONG_MAX ? -(long long)~v - 1 : (long long)v;
}

enum quire_err tier_redis_codec_index_encode(const struct record *rec,
					     char **out, size_t *len)
{
	unsigned char *b, *p;
	size_t path_len = 0, sum_len = 0, total;
	unsigned flags = 0;

	*out = NULL;
	*len = 0;
	if ((unsigned)rec->kind >= POST_KIND__MAX ||
	    (unsigned)rec->origin >= RECORD_ORIGIN__MAX ||
	    (!rec->source && rec->body_offset > 0) ||
	    rec->body_offset > rec->source_len)
		return QUIRE_EINVAL;
	if (rec->body_offset > QUIRE_MAX_FILE)
		return QUIRE_ETOOBIG;
	if (rec->path) {
		path_len = strnlen(rec->path, TIER_REDIS_MAX_PATH + 1);
		if (path_len > TIER_REDIS_MAX_PATH)
			return QUIRE_EINVAL;
		flags |= INDEX_FLAG_PATH;
	}
	if (rec->has_date)
		flags |= INDEX_FLAG_DATE;
	if (rec->summary_html) {
		sum_len = strnlen(rec->summary_html, QUIRE_MAX_SUMMARY + 1);
		if (sum_len > QUIRE_MAX_SUMMARY)
			return QUIRE_ETOOBIG;
	}
	total = TIER_REDIS_INDEX_HEAD + path_len + 4 + rec->body_offset + 4 +
		sum_len;
	b = malloc(total + 1);
	if (!b)
		return QUIRE_ENOMEM;
	p = b;
	memcpy(p, index_magic, 4);
	put_u64(p + 4, ll_to_u64(rec->revision));
	p[12] = (unsigned char)rec->kind;
	p[13] = (unsigned char)rec->origin;
	p[14] = (unsigned char)flags;
	put_u64(p + 15, ll_to_u64(rec->has_date ? rec->date : 0));
	put_u64(p + 23, (uint64_t)rec->words);
	put_u64(p + 31, rec->hash);
	put_u32(p + 39, (uint32_t)path_len);
	p += TIER_REDIS_INDEX_HEAD;
	if (path_len)
		memcpy(p, rec->path, path_len);
	p += path_len;
	put_u32(p, (uint32_t)rec->body_offset);
	p += 4;
	if (rec->body_offset)
		memcpy(p, rec->source, rec->body_offset);
	p += rec->body_offset;
	put_u32(p, (uint32_t)sum_len);
	if (sum_len)
		memcpy(p + 4, rec->summary_html, sum_len);
	b[total] = '\0';
	*out = (char *)b;
	*len = total;
	return QUIRE_OK;
}

enum quire_err tier_redis_codec_index_parse(const char *slug, const char *data,
					    size_t len, struct record **out)
{
	const unsigned char *p = (const unsigned char *)data;
	struct record *rec = NULL;
	size_t left = len, path_len, fm_len, sum_len = 0;
	uint64_t words;
	unsigned flags;
	int old;
	enum quire_err rc = QUIRE_EPARSE;

	*out = NULL;
	/* Another version byte after "QIX": a later format, whatever its
	 * length. */
	if (data && left >= 4 && memcmp(p, index_magic, 3) == 0 &&
	    p[3] != (unsigned char)index_magic[3] && p[3] != INDEX_VERSION_OLD)
		return QUIRE_EVERSION;
	if (!slug || !data || left < TIER_REDIS_INDEX_HEAD ||
	    memcmp(p, index_magic, 3) != 0)
		goto out;
	old = p[3] == INDEX_VERSION_OLD;
	flags = p[14];
	words = get_u64(p + 23);
	path_len = get_u32(p + 39);
	if (p[12] >= POST_KIND__MAX || p[13] >= RECORD_ORIGIN__MAX ||
	    (flags & ~(INDEX_FLAG_DATE | INDEX_FLAG_PATH)) != 0 ||
	    words > SIZE_MAX)
		goto out;
	/* A path only when the flag says so, and never an empty one. */
	if (!(flags & INDEX_FLAG_PATH) != (path_len == 0) ||
	    path_len > TIER_REDIS_MAX_PATH)
		goto out;
	left -= TIER_REDIS_INDEX_HEAD;
	if (path_len > left || left - path_len < 4)
		goto out;
	if (path_len && memchr(p + TIER_REDIS_INDEX_HEAD, '\0', path_len))
		goto out;
	left -= path_len + 4;
	fm_len = get_u32(p + TIER_REDIS_INDEX_HEAD + path_len);
	if (fm_len > QUIRE_MAX_FILE || fm_len > left)
		goto out;
	left -= fm_len;
	if (!old) {
		if (left < 4)
			goto out;
		sum_len = get_u32(p + TIER_REDIS_INDEX_HEAD + path_len + 4 +
				  fm_len);
		left -= 4;
		if (sum_len > QUIRE_MAX_SUMMARY || sum_len > left ||
		    memchr(p + len - left, '\0', sum_len))
			goto out;
		left -= sum_len;
	}
	if (left != 0)
		goto out;
	if (!(flags & INDEX_FLAG_DATE) && get_u64(p + 15) != 0)
		goto out;

	rc = QUIRE_ENOMEM;
	rec = record_new();
	if (!rec)
		goto out;
	rec->slug = strdup(slug);
	rec->source = malloc(fm_len + 1);
	if (!rec->slug || !rec->source)
		goto out;
	if (path_len) {
		rec->path = malloc(path_len + 1);
		if (!rec->path)
			goto out;
		memcpy(rec->path, p + TIER_REDIS_INDEX_HEAD, path_len);
		rec->path[path_len] = '\0';
	}
	memcpy(rec->source, p + TIER_REDIS_INDEX_HEAD + path_len + 4, fm_len);
	rec->source[fm_len] = '\0';
	if (sum_len) {
		rec->summary_html = malloc(sum_len + 1);
		if (!rec->summary_html)
			goto out;
		memcpy(rec->summary_html, p + len - sum_len, sum_len);
		rec->summary_html[sum_len] = '\0';
	}
	rec->source_len = fm_len;
	rec->body_offset = fm_len;
	rec->revision = u64_to_ll(get_u64(p + 4));
	rec->kind = (enum post_kind)p[12];
	rec->origin = (enum record_origin)p[13];
	rec->has_date = (flags & INDEX_FLAG_DATE) != 0;
	rec->date = u64_to_ll(get_u64(p + 15));
	rec->words = (size_t)words;
	rec->hash = get_u64(p + 31);
	*out = rec;
	rec = NULL;
	rc = QUIRE_OK;
out:
	record_free(rec);
	return rc;
}

/* ------------------------------------------------------ post hash fields */

enum quire_err tier_redis_codec_fields_encode(const struct record *rec,
					      struct tier_redis_fields *f)
{
	const char *kind = record_kind_name(rec->kind);
	const char *origin = record_origin_name(rec->origin);
	int i;

	memset(f, 0, sizeof(*f));
	if ((unsigned)rec->kind >= POST_KIND__MAX ||
	    (unsigned)rec->origin >= RECORD_ORIGIN__MAX || !rec->source ||
	    rec->body_offset > rec->source_len)
		return QUIRE_EINVAL;
	snprintf(f->num[TIER_REDIS_F_REVISION], sizeof(f->num[0]), "%lld",
		 rec->revision);
	snprintf(f->num[TIER_REDIS_F_BODY_OFFSET], sizeof(f->num[0]), "%zu",
		 rec->body_offset);
	snprintf(f->num[TIER_REDIS_F_WORDS], sizeof(f->num[0]), "%zu",
		 rec->words);
	snprintf(f->num[TIER_REDIS_F_HASH], sizeof(f->num[0]), "%llu",
		 rec->hash);
	snprintf(f->num[TIER_REDIS_F_FORMAT], sizeof(f->num[0]), "%d",
		 TIER_REDIS_FORMAT);
	if (rec->has_date)
		snprintf(f->num[TIER_REDIS_F_DATE], sizeof(f->num[0]), "%lld",
			 rec->date);
	if (rec->generation > 0)
		snprintf(f->num[TIER_REDIS_F_GENERATION], sizeof(f->num[0]),
			 "%lld", rec->generation);
	for (i = 0; i < TIER_REDIS_F__MAX; i++)
		if (f->num[i][0]) {
			f->val[i] = f->num[i];
			f->len[i] = strlen(f->num[i]);
		}
	f->val[TIER_REDIS_F_KIND] = kind;
	f->len[TIER_REDIS_F_KIND] = strlen(kind);
	f->val[TIER_REDIS_F_ORIGIN] = origin;
	f->len[TIER_REDIS_F_ORIGIN] = strlen(origin);
	f->val[TIER_REDIS_F_SOURCE] = rec->source;
	f->len[TIER_REDIS_F_SOURCE] = rec->source_len;
	if (rec->path) {
		f->val[TIER_REDIS_F_PATH] = rec->path;
		f->len[TIER_REDIS_F_PATH] = strlen(rec->path);
	}
	if (rec->html) {
		f->val[TIER_REDIS_F_HTML] = rec->html;
		f->len[TIER_REDIS_F_HTML] = strlen(rec->html);
	}
	if (rec->toc_html) {
		f->val[TIER_REDIS_F_TOC] = rec->toc_html;
		f->len[TIER_REDIS_F_TOC] = strlen(rec->toc_html);
	}
	if (rec->summary_html) {
		f->val[TIER_REDIS_F_SUMMARY] = rec->summary_html;
		f->len[TIER_REDIS_F_SUMMARY] = strlen(rec->summary_html);
	}
	return QUIRE_OK;
}

/* A NUL-terminated copy of a counted string; refuses embedded NULs when
 * the result is used as a C string (a path, html). */
static enum quire_err dup_counted(char **dst, const char *s, size_t n,
				  int binary)
{
	*dst = NULL;
	if (!binary && memchr(s, '\0', n))
		return QUIRE_EPARSE;
	*dst = malloc(n + 1);
	if (!*dst)
		return QUIRE_ENOMEM;
	memcpy(*dst, s, n);
	(*dst)[n] = '\0';
	return QUIRE_OK;
}

/* A kind or origin name: copied so that record_*_parse sees a C string. */
static enum quire_err parse_name(const char *s, size_t n, int is_kind, int *out)
{
	char tmp[16];
	enum post_kind k;
	enum record_origin o;

	if (n == 0 || n >= sizeof(tmp) || memchr(s, '\0', n))
		return QUIRE_EPARSE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (is_kind) {
		if (record_kind_parse(tmp, &k) != QUIRE_OK)
			return QUIRE_EPARSE;
		*out = (int)k;
	} else {
		if (record_origin_parse(tmp, &o) != QUIRE_OK)
			return QUIRE_EPARSE;
		*out = (int)o;
	}
	return QUIRE_OK;
}

enum quire_err tier_redis_codec_fields_decode(const char *slug,
					      const char *const *val,
					      const size_t *len,
					      struct record **out)
{
	struct record *rec = NULL;
	unsigned long long body_offset, words;
	long long format;
	int kind, origin;
	enum quire_err rc;

	*out = NULL;
	if (!val[TIER_REDIS_F_REVISION])
		return QUIRE_ENOTFOUND;
	if (val[TIER_REDIS_F_FORMAT] &&
	    (tier_redis_codec_ll_parse(val[TIER_REDIS_F_FORMAT],
				       len[TIER_REDIS_F_FORMAT], &format) != QUIRE_OK ||
	     format != TIER_REDIS_FORMAT))
		return QUIRE_EVERSION;
	if (len[TIER_REDIS_F_REVISION] == strlen(TIER_REDIS_TOMBSTONE) &&
	    memcmp(val[TIER_REDIS_F_REVISION], TIER_REDIS_TOMBSTONE,
		   len[TIER_REDIS_F_REVISION]) == 0)
		return QUIRE_ENOTFOUND;
	rc = QUIRE_ENOMEM;
	rec = record_new();
	if (!rec)
		goto out;
	rc = QUIRE_EPARSE;
	if (!val[TIER_REDIS_F_KIND] || !val[TIER_REDIS_F_ORIGIN] ||
	    !val[TIER_REDIS_F_SOURCE] || !val[TIER_REDIS_F_BODY_OFFSET] ||
	    !val[TIER_REDIS_F_WORDS] || !val[TIER_REDIS_F_HASH])
		goto out;
	if (tier_redis_codec_ll_parse(val[TIER_REDIS_F_REVISION],
				      len[TIER_REDIS_F_REVISION],
				      &rec->revision) != QUIRE_OK ||
	    parse_name(val[TIER_REDIS_F_KIND], len[TIER_REDIS_F_KIND], 1,
		       &kind) != QUIRE_OK ||
	    parse_name(val[TIER_REDIS_F_ORIGIN], len[TIER_REDIS_F_ORIGIN], 0,
		       &origin) != QUIRE_OK ||
	    tier_redis_codec_ull_parse(val[TIER_REDIS_F_BODY_OFFSET],
				       len[TIER_REDIS_F_BODY_OFFSET],
				       &body_offset) != QUIRE_OK ||
	    tier_redis_codec_ull_parse(val[TIER_REDIS_F_WORDS],
				       len[TIER_REDIS_F_WORDS],
				       &words) != QUIRE_OK ||
	    tier_redis_codec_ull_parse(val[TIER_REDIS_F_HASH],
				       len[TIER_REDIS_F_HASH],
				       &rec->hash) != QUIRE_OK)
		goto out;
	if (body_offset > len[TIER_REDIS_F_SOURCE] || words > SIZE_MAX)
		goto out;
	if (val[TIER_REDIS_F_DATE]) {
		if (tier_redis_codec_ll_parse(val[TIER_REDIS_F_DATE],
					      len[TIER_REDIS_F_DATE],
					      &rec->date) != QUIRE_OK)
			goto out;
		rec->has_date = 1;
	}
	if (val[TIER_REDIS_F_GENERATION] &&
	    (tier_redis_codec_ll_parse(val[TIER_REDIS_F_GENERATION],
				       len[TIER_REDIS_F_GENERATION],
				       &rec->generation) != QUIRE_OK ||
	     rec->generation < 0))
		goto out;
	rec->kind = (enum post_kind)kind;
	rec->origin = (enum record_origin)origin;
	rec->body_offset = (size_t)body_offset;
	rec->words = (size_t)words;
	rec->source_len = len[TIER_REDIS_F_SOURCE];
	rc = QUIRE_ENOMEM;
	rec->slug = strdup(slug);
	if (!rec->slug)
		goto out;
	if ((rc = dup_counted(&rec->source, val[TIER_REDIS_F_SOURCE],
			      len[TIER_REDIS_F_SOURCE], 1)) != QUIRE_OK)
		goto out;
	if (val[TIER_REDIS_F_PATH] &&
	    (rc = dup_counted(&rec->path, val[TIER_REDIS_F_PATH],
			      len[TIER_REDIS_F_PATH], 0)) != QUIRE_OK)
		goto out;
	if (val[TIER_REDIS_F_HTML] &&
	    (rc = dup_counted(&rec->html, val[TIER_REDIS_F_HTML],
			      len[TIER_REDIS_F_HTML], 0)) != QUIRE_OK)
		goto out;
	if (val[TIER_REDIS_F_TOC] &&
	    (rc = dup_counted(&rec->toc_html, val[TIER_REDIS_F_TOC],
			      len[TIER_REDIS_F_TOC], 0)) != QUIRE_OK)
		goto out;
	/* Bounded as in an index entry; absent in a hash written before
	 * the field (its post shows the description). */
	if (val[TIER_REDIS_F_SUMMARY] &&
	    (len[TIER_REDIS_F_SUMMARY] > QUIRE_MAX_SUMMARY ||
	     (rc = dup_counted(&rec->summary_html, val[TIER_REDIS_F_SUMMARY],
			       len[TIER_REDIS_F_SUMMARY], 0)) != QUIRE_OK)) {
		if (rc == QUIRE_OK)
			rc = QUIRE_EPARSE;
		goto out;
	}
	*out = rec;
	rec = NULL;
	rc = QUIRE_OK;
out:
	record_free(rec);
	return rc;
}

/* --------------------------------------------------------- invalidation */

/* A slug as an invalidation carries it: the rule of post_slug_valid,
 * checked on a counted string (a slug in a message is not terminated). */
static int slug_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > QUIRE_MAX_SLUG || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

enum quire_err tier_redis_codec_invalidation_format(long long generation,
						    const char *const *slugs,
						    size_t n, int all,
						    char **out, size_t *len)
{
	size_t total, i, pos;
	char *b;
	int w;

	*out = NULL;
	*len = 0;
	if (generation < 0 || n > QUIRE_MAX_POSTS || (all && n > 0))
		return QUIRE_EINVAL;
	total = 21 + (all ? 2 : 0);
	for (i = 0; i < n; i++) {
		size_t sl = slugs[i] ? strnlen(slugs[i], QUIRE_MAX_SLUG + 1) : 0;

		if (!slug_ok(slugs[i], sl))
			return QUIRE_EINVAL;
		total += sl + 1;
	}
	b = malloc(total + 1);
	if (!b)
		return QUIRE_ENOMEM;
	w = snprintf(b, total + 1, "%lld%s", generation, all ? " *" : "");
	if (w < 0 || (size_t)w > total) {
		free(b);
		return QUIRE_EINVAL;
	}
	pos = (size_t)w;
	for (i = 0; i < n; i++) {
		size_t sl = strlen(slugs[i]);

		b[pos++] = ' ';
		memcpy(b + pos, slugs[i], sl);
		pos += sl;
	}
	b[pos] = '\0';
	*out = b;
	*len = pos;
	return QUIRE_OK;
}

/* A leading "vN " (a version marker; version 1 has none) skipped in
 * *msg. QUIRE_OK for none or TIER_REDIS_INVALIDATION_FORMAT,
 * QUIRE_EVERSION for another number, QUIRE_EPARSE for a bad marker. */
static enum quire_err invalidation_version(const char **msg, const char *end)
{
	const char *sp;
	long long v;

	if (*msg == end || **msg != 'v')
		return QUIRE_OK;
	sp = memchr(*msg, ' ', (size_t)(end - *msg));
	if (!sp)
		sp = end;
	if (tier_redis_codec_ll_parse(*msg + 1, (size_t)(sp - *msg - 1),
				      &v) != QUIRE_OK || v < 1)
		return QUIRE_EPARSE;
	if (v != TIER_REDIS_INVALIDATION_FORMAT)
		return QUIRE_EVERSION;
	if (sp == end)
		return QUIRE_EPARSE;
	*msg = sp + 1;
	return QUIRE_OK;
}

enum quire_err tier_redis_codec_invalidation_parse(const char *msg,
						   long long *generation,
						   char ***slugs, size_t *n,
						   int *all)
{
	const char *p, *end, *tok;
	char **v = NULL;
	size_t len, count = 0, cap = 0;
	enum quire_err rc = QUIRE_EPARSE;

	*slugs = NULL;
	*n = 0;
	*all = 0;
	if (!msg)
		return QUIRE_EPARSE;
	len = strnlen(msg, TIER_REDIS_MAX_INVALIDATION + 1);
	if (len > TIER_REDIS_MAX_INVALIDATION)
		return QUIRE_EPARSE;
	end = msg + len;
	if ((rc = invalidation_version(&msg, end)) != QUIRE_OK)
		return rc;
	rc = QUIRE_EPARSE;
	len = (size_t)(end - msg);
	p = memchr(msg, ' ', len);
	if (!p)
		p = end;
	if (tier_redis_codec_ll_parse(msg, (size_t)(p - msg),
				      generation) != QUIRE_OK ||
	    *generation < 0)
		return QUIRE_EPARSE;
	/* Exactly one space between tokens and none at the end: the
	 * publisher writes it so, anything else is not ours. */
	while (p < end) {
		const char *sp;
		size_t tl;

		tok = p + 1;
		sp = memchr(tok, ' ', (size_t)(end - tok));
		if (!sp)
			sp = end;
		tl = (size_t)(sp - tok);
		if (tl == 1 && tok[0] == '*') {
			if (count > 0 || *all || sp != end)
				goto out;
			*all = 1;
		} else {
			if (*all || !slug_ok(tok, tl) || count >= QUIRE_MAX_POSTS)
				goto out;
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				char **nv;

				if (ncap > QUIRE_MAX_POSTS)
					ncap = QUIRE_MAX_POSTS;
				nv = realloc(v, ncap * sizeof(*v));
				if (!nv) {
					rc = QUIRE_ENOMEM;
					goto out;
				}
				v = nv;
				cap = ncap;
			}
			v[count] = strndup(tok, tl);
			if (!v[count]) {
				rc = QUIRE_ENOMEM;
				goto out;
			}
			count++;
		}
		p = sp;
	}
	*slugs = v;
	*n = count;
	v = NULL;
	rc = QUIRE_OK;
out:
	if (rc != QUIRE_OK) {
		quire_strings_free(v, count);
		*all = 0;
	}
	return rc;
}

/* -------------------------------------------------------------- workers */

enum quire_err tier_redis_codec_worker_parse(const char *s, size_t len,
					     long long *generation,
					     long long *seen)
{
	const char *sp = memchr(s, ' ', len), *end = s + len, *sp2;

	if (!sp)
		return QUIRE_EPARSE;
	/* Fields after the second are a later build's: ignored, so that
	 * this build neither misreads its entries nor deletes them as
	 * malformed (whoever reads the registry deletes those). */
	sp2 = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
	if (sp2 && sp2 + 1 == end)
		return QUIRE_EPARSE;
	if (tier_redis_codec_ll_parse(s, (size_t)(sp - s),
				      generation) != QUIRE_OK ||
	    tier_redis_codec_ll_parse(sp + 1, (size_t)((sp2 ? sp2 : end) - sp - 1),
				      seen) != QUIRE_OK)
		return QUIRE_EPARSE;
	return QUIRE_OK;
}
