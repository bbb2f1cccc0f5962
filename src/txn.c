/* txn: open addressing with short linear probes.
 *
 * Laid out for the cache: a put lands on a random entry of a table far
 * larger than the cache, so the bytes it touches are what it costs.  Two
 * byte arrays (64 KiB each for 65,536 entries, they stay in cache) say for
 * each entry its tag (0: free, else the top bits of its key) and its epoch
 * (its time in 33.5 s units), so that a probe reads an entry only when its
 * tag matches and tells a stale entry without reading it.  The probed part
 * of each entry (hash and time, 16 bytes) is an index apart from the rest,
 * and the rest is packed (the strings one after the other, with their
 * lengths) into a 64-byte aligned record, two cache lines for the usual
 * strings.  txn_match() unpacks the entry into a struct txn kept in the
 * table.  An answered entry stays (a bit says so) until stale, for the
 * retransmissions of its request.  Measured on the 1M mixed benchmark: with
 * whole struct txn entries (four or five cache lines touched per put, the
 * first one read) the table's cache misses were a sixth of the replay time;
 * answered transactions kept in a second table cost a cache miss per
 * answer (7%). */
#include "txn.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8

struct idx {
	uint64_t h;     /* the key's hash (never 0); free or not: the entry's tag */
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

#define EPOCH_SHIFT 25 /* 33.5 s */
/* an entry this many epochs old is surely past the 64 s a transaction lives */
#define EPOCH_STALE 3

struct txtab {
	uint32_t mask;
	uint64_t ttl_us;
	uint8_t *tag;    /* per entry: 0 free, else txn_tag() of its key */
	uint8_t *epoch;  /* per entry: its time >> EPOCH_SHIFT, low byte */
	uint64_t *done;  /* a bit per entry: a final answer was seen */
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
	t->tag = calloc(n, 1);
	t->epoch = calloc(n, 1);
	t->done = calloc(n / 64, sizeof *t->done);
	t->ix = calloc(n, sizeof *t->ix);
	t->braw = calloc(n + 1, sizeof *t->b);
	if (!t->tag || !t->epoch || !t->done || !t->ix || !t->braw) {
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
		free(t->tag);
		free(t->epoch);
		free(t->done);
		free(t->ix);
		free(t->braw);
		free(t);
	}
}

static inline bool is_done(const struct txtab *t, uint32_t k)
{
	return t->done[k / 64] >> (k % 64) & 1;
}

static inline void set_done(struct txtab *t, uint32_t k, bool on)
{
	if (on)
		t->done[k / 64] |= 1ull << (k % 64);
	else
		t->done[k / 64] &= ~(1ull << (k % 64));
}

static inline uint8_t txn_tag(uint64_t h)
{
	return (uint8_t)(h >> 56) | 1;
}

static inline uint8_t epoch_of(uint64_t ts_us)
{
	return (uint8_t)(ts_us >> EPOCH_SHIFT);
}

/* Epochs since entry k was written (mod 256: an entry untouched for over
 * 2.4 hours may look young again, which only keeps it from being reused
 * first). */
static inline uint8_t age(const struct txtab *t, uint32_t k, uint8_t now)
{
	return (uint8_t)(now - t->epoch[k]);
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

/* The transaction key: Call-ID, CSeq number and method, top Via branch. */
static uint64_t txn_hash(const struct txtab *t, const struct sip_msg *m)
{
	const struct slice v[2] = { m->call_id, m->via_branch };
	uint64_t c = ((uint64_t)m->cseq << 8 | (uint64_t)m->cseq_method) * 0xff51afd7ed558ccdULL;
	return (hash_slices(v, 2, t->key) ^ c) | 1; /* never 0, which marks a free slot */
}

/* What makes a request reusing a transaction key new evidence rather than
 * a retransmission (RFC 3261 timers A and E resend it byte for byte): its
 * method, its Request-URI (the destination), its To user (the user
 * enumerated or registered) and its credentials: the username and the
 * digest response, which differs for every password tried (a response
 * copied under another nonce is no guess at all).  With several
 * credentials fields, usernames or responses (a server may read any of
 * them) all of their text counts. */
static uint64_t txn_fingerprint(const struct txtab *t, const struct sip_msg *m)
{
	struct slice v[5] = { m->method_s, m->ruri, m->to.user, m->auth_username, m->auth_response };
	if (m->creds_many)
		v[4] = m->creds;
	return hash_slices(v, 5, t->key);
}

#define TXN_REPEAT UINT32_MAX

/* The entry for a new request with hash h and fingerprint fp: the same
 * request not answered yet (a retransmission before the answer), a free
 * or stale entry, else the oldest answered one of the run, else the
 * oldest.  TXN_REPEAT: the same request was answered already (a
 * retransmission after the answer, whose answer was counted).  Another
 * request under the same key (other credentials, another user) gets an
 * entry of its own, so that each of their answers counts.  Reads an entry
 * only when its tag matches. */
static uint32_t slot_for(struct txtab *t, uint64_t h, uint64_t fp, uint64_t ts_us)
{
	uint8_t tg = txn_tag(h), now = epoch_of(ts_us);
	uint32_t free_k = TXN_REPEAT, done_k = TXN_REPEAT, old_k = TXN_REPEAT;
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		bool stale = !t->tag[k] || age(t, k, now) >= EPOCH_STALE;
		if (!stale && t->tag[k] == tg && t->ix[k].h == h) {
			if (t->ix[k].ts_us + t->ttl_us < ts_us)
				stale = true;
			else if (t->b[k].fp == fp)
				return is_done(t, k) ? TXN_REPEAT : k;
		}
		if (stale) {
			if (free_k == TXN_REPEAT)
				free_k = k;
			continue;
		}
		if (is_done(t, k) && (done_k == TXN_REPEAT || age(t, k, now) > age(t, done_k, now)))
			done_k = k;
		if (old_k == TXN_REPEAT || age(t, k, now) > age(t, old_k, now))
			old_k = k;
	}
	return free_k != TXN_REPEAT ? free_k : done_k != TXN_REPEAT ? done_k : old_k;
}

void txn_put(struct txtab *t, const struct sip_msg *m, const struct akey *client, uint8_t trust, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m), fp = txn_fingerprint(t, m);
	uint32_t k = slot_for(t, h, fp, ts_us);
	if (k == TXN_REPEAT)
		return;
	t->tag[k] = txn_tag(h);
	t->epoch[k] = epoch_of(ts_us);
	set_done(t, k, false);
	t->ix[k] = (struct idx){ h, ts_us };
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

const struct txn *txn_match(struct txtab *t, const struct sip_msg *m, const struct ipaddr *to, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m);
	uint8_t tg = txn_tag(h);
	bool repeat = false;
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		struct idx *e = &t->ix[k];
		if (t->tag[k] != tg || e->h != h || e->ts_us + t->ttl_us < ts_us)
			continue;
		const struct body *b = &t->b[k];
		if (!ip_eq(&b->client.ip, to))
			continue;
		if (is_done(t, k)) {
			repeat = true; /* answered: another request under the key may not be */
			continue;
		}
		struct txn *o = &t->out;
		o->ts_us = e->ts_us;
		o->h = e->h;
		if (m->status >= 200)
			set_done(t, k, true); /* kept until stale, for the retransmissions */
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
	if (repeat && m->status >= 200)
		t->repeats++; /* a retransmitted answer, or one to a retransmission */
	return NULL;
}

uint64_t txn_repeats(const struct txtab *t)
{
	return t->repeats;
}
