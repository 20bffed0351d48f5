/*
 * commit_wire.c - frames between a worker and the committer
 *
 * A put's record travels as the fields of a Redis post hash
 * (tier_redis_codec): one spelling of a record, parsed by one parser.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "lib/precond.h"
#include "lib/quire.h"
#include "tiers/tier_redis_codec.h"
#include "write/commit_wire.h"

#define ABSENT 0xffffffffu

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	buf_append(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void put_text(struct buf *b, const char *s, size_t n)
{
	if (!s) {
		put_u32(b, ABSENT);
		return;
	}
	put_u32(b, (uint32_t)n);
	buf_append(b, s, n);
}

/* Writes the frame's length in front of what was appended since start. */
static enum quire_err seal(struct buf *b, size_t start)
{
	size_t n;

	if (buf_failed(b))
		return QUIRE_ENOMEM;
	n = b->len - start - 4;
	if (n > COMMIT_WIRE_MAX_FRAME - 4)
		return QUIRE_ETOOBIG;
	b->data[start] = (char)(n >> 24);
	b->data[start + 1] = (char)(n >> 16);
	b->data[start + 2] = (char)(n >> 8);
	b->data[start + 3] = (char)n;
	return QUIRE_OK;
}

static void put_cond(struct buf *b, const struct precond *c)
{
	unsigned i;

	buf_putc(b, (char)c->flags);
	buf_putc(b, (char)c->n_match);
	for (i = 0; i < c->n_match; i++)
		put_u64(b, (uint64_t)c->match[i]);
	buf_putc(b, (char)c->n_none);
	for (i = 0; i < c->n_none; i++)
		put_u64(b, (uint64_t)c->none[i]);
}

enum quire_err commit_wire_put_request(struct buf *b, uint32_t id,
				       enum commit_op op,
				       const struct precond *cond,
				       const char *slug,
				       const struct record *rec)
{
	static const struct precond none;
	struct tier_redis_fields f;
	size_t start = b->len, i;
	enum quire_err rc;

	if (!cond)
		cond = &none;
	if (!slug || (op == COMMIT_OP_PUT) != (rec != NULL) ||
	    (op != COMMIT_OP_PUT && op != COMMIT_OP_DELETE) ||
	    !precond_valid(cond))
		return QUIRE_EINVAL;
	if (rec && (rc = tier_redis_codec_fields_encode(rec, &f)) != QUIRE_OK)
		return rc;
	put_u32(b, 0);
	put_u32(b, id);
	buf_putc(b, (char)(COMMIT_WIRE_FORMAT << 4 | op));
	put_cond(b, cond);
	put_text(b, slug, strlen(slug));
	for (i = 0; rec && i < TIER_REDIS_F__MAX; i++)
		put_text(b, f.val[i], f.len[i]);
	rc = seal(b, start);
	if (rc != QUIRE_OK)
		buf_truncate(b, start);
	return rc;
}

enum quire_err commit_wire_put_reply(struct buf *b,
				     const struct commit_reply *r)
{
	size_t start = b->len;

	put_u32(b, 0);
	put_u32(b, r->id);
	put_u32(b, (uint32_t)(int32_t)r->rc);
	put_u64(b, (uint64_t)r->revision);
	buf_putc(b, r->created ? 1 : 0);
	put_u64(b, (uint64_t)r->generation);
	put_u32(b, (uint32_t)r->acked);
	put_u32(b, (uint32_t)r->live);
	put_text(b, r->message, strnlen(r->message, sizeof(r->message) - 1));
	return seal(b, start);
}

/* A cursor over one frame. */
struct rd {
	const unsigned char *p;
	size_t left;
	int bad;
};

static uint32_t get_u32(struct rd *r)
{
	uint32_t v;

	if (r->bad || r->left < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t hi = get_u32(r);

	return hi << 32 | get_u32(r);
}

static unsigned get_u8(struct rd *r)
{
	if (r->bad || r->left < 1) {
		r->bad = 1;
		return 0;
	}
	r->left--;
	return *r->p++;
}

/* A text borrowed from the frame: *s NULL when absent. */
static void get_text(struct rd *r, const char **s, size_t *n)
{
	uint32_t len = get_u32(r);

	*s = NULL;
	*n = 0;
	if (r->bad || len == ABSENT)
		return;
	if (len > r->left) {
		r->bad = 1;
		return;
	}
	*s = (const char *)r->p;
	*n = len;
	r->p += len;
	r->left -= len;
}

/* The precondition: 0, or -1 when its counts are past the bound (the
 * frame is refused before anything is read into a full array). */
static int get_cond(struct rd *r, struct precond *c)
{
	unsigned i;

	c->flags = get_u8(r);
	c->n_match = get_u8(r);
	if (c->n_match > QUIRE_MAX_ETAGS)
		return -1;
	for (i = 0; i < c->n_match; i++)
		c->match[i] = (long long)get_u64(r);
	c->n_none = get_u8(r);
	if (c->n_none > QUIRE_MAX_ETAGS)
		return -1;
	for (i = 0; i < c->n_none; i++)
		c->none[i] = (long long)get_u64(r);
	return r->bad ? -1 : 0;
}

long long commit_wire_frame_len(const char *data, size_t len)
{
	struct rd r = { (const unsigned char *)data, len, 0 };
	uint32_t n;

	if (len < 4)
		return 0;
	n = get_u32(&r);
	if (n > COMMIT_WIRE_MAX_FRAME - 4)
		return -1;
	return len - 4 >= n ? (long long)n + 4 : 0;
}

/* The frame's body after its length, which must match it exactly. */
static enum quire_err open_frame(const char *frame, size_t len, struct rd *r)
{
	r->p = (const unsigned char *)frame;
	r->left = len;
	r->bad = 0;
	if (get_u32(r) != r->left || r->bad)
		return QUIRE_EPARSE;
	return QUIRE_OK;
}

void commit_request_release(struct commit_request *r)
{
	free(r->slug);
	record_free(r->rec);
	memset(r, 0, sizeof(*r));
}

enum quire_err commit_wire_get_request(const char *frame, size_t len,
				       struct commit_request *out)
{
	const char *val[TIER_REDIS_F__MAX], *slug;
	size_t vlen[TIER_REDIS_F__MAX], slen, i;
	unsigned op;
	struct rd r;
	enum quire_err rc;

	memset(out, 0, sizeof(*out));
	if (open_frame(frame, len, &r) != QUIRE_OK)
		return QUIRE_EPARSE;
	out->id = get_u32(&r);
	op = get_u8(&r);
	out->op = (enum commit_op)(op & 0x0f);
	if (!r.bad && op >> 4 != COMMIT_WIRE_FORMAT)
		return QUIRE_EVERSION;
	if (r.bad || get_cond(&r, &out->cond) ||
	    !precond_valid(&out->cond))
		return QUIRE_EPARSE;
	get_text(&r, &slug, &slen);
	if (r.bad || !slug || memchr(slug, '\0', slen) ||
	    (out->op != COMMIT_OP_PUT && out->op != COMMIT_OP_DELETE))
		return QUIRE_EPARSE;
	for (i = 0; out->op == COMMIT_OP_PUT && i < TIER_REDIS_F__MAX; i++)
		get_text(&r, &val[i], &vlen[i]);
	if (r.bad || r.left)
		return QUIRE_EPARSE;
	out->slug = strndup(slug, slen);
	if (!out->slug)
		return QUIRE_ENOMEM;
	if (out->op == COMMIT_OP_PUT) {
		rc = tier_redis_codec_fields_decode(out->slug, val, vlen,
						    &out->rec);
		if (rc != QUIRE_OK) {
			commit_request_release(out);
			return rc == QUIRE_ENOMEM ? rc : QUIRE_EPARSE;
		}
	}
	return QUIRE_OK;
}

enum quire_err commit_wire_get_reply(const char *frame, size_t len,
				     struct commit_reply *out)
{
	unsigned created;
	const char *msg;
	size_t mlen;
	struct rd r;

	memset(out, 0, sizeof(*out));
	if (open_frame(frame, len, &r) != QUIRE_OK)
		return QUIRE_EPARSE;
	out->id = get_u32(&r);
	out->rc = (enum quire_err)(int32_t)get_u32(&r);
	out->revision = (long long)get_u64(&r);
	created = get_u8(&r);
	out->created = created == 1;
	out->generation = (long long)get_u64(&r);
	out->acked = (int32_t)get_u32(&r);
	out->live = (int32_t)get_u32(&r);
	get_text(&r, &msg, &mlen);
	/* Strict: what is accepted is what put_reply writes (fuzzing found
	 * a created byte of 0xff taken as 1). */
	if (r.bad || r.left || !msg || mlen >= sizeof(out->message) ||
	    memchr(msg, '\0', mlen) || created > 1 || out->acked < 0 ||
	    out->live < -1)
		return QUIRE_EPARSE;
	memcpy(out->message, msg, mlen);
	out->message[mlen] = '\0';
	return QUIRE_OK;
}
