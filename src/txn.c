/* txn: open addressing with short linear probes.
 *
 * Laid out for the cache: a put lands on a random entry of a table far
 * larger than the cache, so the bytes it touches are what it costs.  A bit
 * map (8 KiB) says which entries are in use, so a put on a free entry reads
 * nothing of the table.  The probed part of each entry (hash and time, 16
 * bytes) is an index apart from the rest, and the rest is packed (the
 * strings one after the other, with their lengths) into a 64-byte aligned
 * record, two cache lines for the usual strings.  txn_match() unpacks the
 * entry into a struct txn kept in the table.  Measured on the 1M mixed
 * benchmark: with whole struct txn entries (four or five cache lines
 * touched per put, the first one read) the table's cache misses were a
 * sixth of the replay time. */
#include "txn.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8

struct idx {
	uint64_t h;     /* 0 = free */
	uint64_t ts_us;
};

/* The rest of an entry: user, ua, ruri and dest (each without its NUL)
 * one after the other in s[]. */
struct body {
	alignas(64) struct akey client;
	uint64_t fp;    /* what a retransmission repeats (txn_fingerprint) */
	uint8_t method;
	bool has_auth;
	uint8_t trust;
	uint8_t ulen, alen, rlen, dlen;
	char s[(TXN_USER_LEN - 1) + (TXN_UA_LEN - 1) + (TXN_RURI_LEN - 1) + (TXN_USER_LEN - 1)];
};
_Static_assert(TXN_USER_LEN <= 256 && TXN_UA_LEN <= 256 && TXN_RURI_LEN <= 256, "lengths fit a uint8_t");

struct txtab {
	uint32_t mask;
	uint64_t ttl_us;
	uint64_t *used;  /* a bit per index entry: h != 0 */
	uint64_t *done;  /* a bit per index entry: a final answer was seen */
	uint64_t repeats; /* final answers to an answered transaction, ignored */
	struct idx *ix;
	struct hash_key key;
	struct body *b;  /* in braw, aligned */
	void *braw;
	struct txn out; /* what txn_match() returns */
};

struct txtab *txn_new(uint32_t cap, uint32_t ttl_ms)
{
	struct txtab *t = calloc(1, sizeof *t);
	uint32_t n = 64;
	while (n < cap)
		n <<= 1;
	if (!t)
		return NULL;
	t->used = calloc(n / 64, sizeof *t->used);
	t->done = calloc(n / 64, sizeof *t->done);
	t->ix = calloc(n, sizeof *t->ix);
	t->braw = calloc(n + 1, sizeof *t->b);
	if (!t->used || !t->done || !t->ix || !t->braw) {
		txn_free(t);
		return NULL;
	}
	uintptr_t al = alignof(struct body);
	t->b = (struct body *)(((uintptr_t)t->braw + al - 1) & ~(al - 1));
	t->mask = n - 1;
	t->key = hash_key_new();
	t->ttl_us = (uint64_t)ttl_ms * 1000;
	return t;
}

void txn_free(struct txtab *t)
{
	if (t) {
		free(t->used);
		free(t->done);
		free(t->ix);
		free(t->braw);
		free(t);
	}
}

/* Index entry k is in use (its h is not 0): the bit map is 8 KiB for the
 * 65,536 entries and stays in cache, so a put on a free entry, the usual
 * case, reads nothing of the index. */
static inline bool is_used(const struct txtab *t, uint32_t k)
{
	return t->used[k / 64] >> (k % 64) & 1;
}

static inline bool is_done(const struct txtab *t, uint32_t k)
{
	return t->done[k / 64] >> (k % 64) & 1;
}

static inline void set_bit(uint64_t *map, uint32_t k, bool on)
{
	if (on)
		map[k / 64] |= 1ull << (k % 64);
	else
		map[k / 64] &= ~(1ull << (k % 64));
}

/* Appends at most n-1 bytes of s at *p (no sanitising: done when the text
 * is used, which is rare, a failure); returns how many. */
static uint8_t pack(char **p, size_t n, struct slice s)
{
	size_t k = s.len < n - 1 ? s.len : n - 1;
	if (k)
		memcpy(*p, s.p, k);
	*p += k;
	return (uint8_t)k;
}

/* Copies k bytes, reading none past them (a byte past them may be on a
 * cache line the put did not touch): words, the last ones overlapping, not
 * memcpy() (inlined, for a variable length that is a slow rep movs). */
static void copy_small(char *dst, const char *src, size_t k)
{
	uint64_t a, b;
	if (k >= 16) {
		for (size_t i = 0; i + 16 < k; i += 8) {
			memcpy(&a, src + i, 8);
			memcpy(dst + i, &a, 8);
		}
		memcpy(&a, src + k - 16, 8);
		memcpy(&b, src + k - 8, 8);
		memcpy(dst + k - 16, &a, 8);
		memcpy(dst + k - 8, &b, 8);
	} else if (k >= 8) {
		memcpy(&a, src, 8);
		memcpy(&b, src + k - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + k - 8, &b, 8);
	} else if (k >= 4) {
		uint32_t x, y;
		memcpy(&x, src, 4);
		memcpy(&y, src + k - 4, 4);
		memcpy(dst, &x, 4);
		memcpy(dst + k - 4, &y, 4);
	} else {
		for (size_t i = 0; i < k; i++)
			dst[i] = src[i];
	}
}

static const char *unpack(char *dst, const char *p, uint8_t k)
{
	copy_small(dst, p, k);
	dst[k] = '\0';
	return p + k;
}

/* The transaction key: Call-ID, CSeq number and method, top Via branch.
 * The two strings are hashed apart (the two run side by side), then
 * combined. */
static uint64_t txn_hash(const struct txtab *t, const struct sip_msg *m)
{
	uint64_t a = hash_bytes(m->call_id.p, m->call_id.len, t->key);
	uint64_t b = hash_bytes(m->via_branch.p, m->via_branch.len, t->key);
	uint64_t c = ((uint64_t)m->cseq << 8 | (uint64_t)m->cseq_method) * 0xff51afd7ed558ccdULL;
	uint64_t h = a ^ (b << 23 | b >> 41) * 0x9e3779b97f4a7c15ULL ^ c;
	return h | 1; /* never 0, which marks a free slot */
}

/* What a retransmission repeats: over UDP a client resends its request
 * byte for byte (RFC 3261 timers A and E), so the whole message; a request
 * reusing the key with other credentials or another user is new evidence. */
static uint64_t txn_fingerprint(const struct txtab *t, const struct sip_msg *m)
{
	if (!m->method_s.p || !m->body.p || m->body.p + m->body.len < m->method_s.p)
		return hash_bytes(m->ruri.p, m->ruri.len, t->key);
	return hash_bytes(m->method_s.p, (size_t)(m->body.p + m->body.len - m->method_s.p), t->key);
}

/* The entry for a new request with hash h: the same transaction, a free or
 * stale entry, else the oldest answered one of the run, else the oldest. */
static struct idx *slot_for(struct txtab *t, uint64_t h, uint64_t ts_us)
{
	struct idx *old = NULL, *answered = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		struct idx *e = &t->ix[k];
		if (!is_used(t, k) || e->h == h || e->ts_us + t->ttl_us < ts_us)
			return e;
		if (is_done(t, k) && (!answered || e->ts_us < answered->ts_us))
			answered = e;
		if (!old || e->ts_us < old->ts_us)
			old = e;
	}
	return answered ? answered : old;
}

void txn_put(struct txtab *t, const struct sip_msg *m, const struct akey *client, uint8_t trust, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m), fp = txn_fingerprint(t, m);
	struct idx *slot = slot_for(t, h, ts_us);
	uint32_t k = (uint32_t)(slot - t->ix);
	/* a retransmission of an answered request: its answer was counted */
	if (is_used(t, k) && slot->h == h && is_done(t, k) && slot->ts_us + t->ttl_us >= ts_us && t->b[k].fp == fp)
		return;
	set_bit(t->used, k, true);
	set_bit(t->done, k, false);
	slot->h = h;
	slot->ts_us = ts_us;
	struct body *b = &t->b[k];
	b->client = *client;
	b->fp = fp;
	b->method = (uint8_t)m->method;
	b->has_auth = m->has_auth;
	b->trust = trust;
	struct slice user = m->has_auth && m->auth_username.len ? m->auth_username
	                  : m->method == SIP_M_REGISTER || !m->ruri_user.len ? m->to.user
	                  : m->ruri_user;
	char *p = b->s;
	b->ulen = pack(&p, TXN_USER_LEN, user);
	b->alen = pack(&p, TXN_UA_LEN, m->user_agent);
	b->rlen = pack(&p, TXN_RURI_LEN, m->ruri);
	b->dlen = pack(&p, TXN_USER_LEN, m->method == SIP_M_INVITE ? m->ruri_user : SLICE_NULL);
}

const struct txn *txn_match(struct txtab *t, const struct sip_msg *m, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m);
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		struct idx *e = &t->ix[k];
		if (!is_used(t, k) || e->h != h)
			continue;
		if (e->ts_us + t->ttl_us < ts_us)
			return NULL;
		if (is_done(t, k)) {
			t->repeats++; /* a retransmitted answer, or one to a retransmission */
			return NULL;
		}
		const struct body *b = &t->b[k];
		struct txn *o = &t->out;
		o->ts_us = e->ts_us;
		if (m->status >= 200)
			set_bit(t->done, k, true); /* kept until stale, for the retransmissions */
		o->h = e->h;
		o->client = b->client;
		o->method = b->method;
		o->has_auth = b->has_auth;
		o->trust = b->trust;
		const char *p = unpack(o->user, b->s, b->ulen);
		p = unpack(o->ua, p, b->alen);
		p = unpack(o->ruri, p, b->rlen);
		unpack(o->dest, p, b->dlen);
		return o;
	}
	return NULL;
}

uint64_t txn_repeats(const struct txtab *t)
{
	return t->repeats;
}
