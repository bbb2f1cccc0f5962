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

/* Answered transactions, as long as their requests may be retransmitted:
 * the key and the fingerprint, in a table of their own, so that the main
 * table frees an entry when it is answered (a put then mostly finds a free
 * entry and reads nothing of the index) and a put looks here through tags
 * that stay in cache. */
#define ANS_CAP 65536u
#define ANS_PROBE 4
#define ANS_SPAN_US (32 * 1000000ull) /* 64 * T1: timers B and F, retransmissions stop */

struct ans {
	uint64_t h, fp;
};

/* tag[k]: 0 when entry k is free, else the top bits of its key (never 0),
 * so that a lookup reads an entry (a cache miss) only when its tag matches:
 * 64 KiB of tags per span stay in cache. */
struct answered {
	uint8_t *tag;
	struct ans *e;
};

static inline uint8_t ans_tag(uint64_t h)
{
	return (uint8_t)(h >> 56) | 1;
}

struct txtab {
	uint32_t mask;
	uint64_t ttl_us;
	uint64_t span_start; /* when ans[cur] began */
	uint64_t *used;  /* a bit per index entry: h != 0 */
	uint64_t repeats; /* final answers to an answered transaction, ignored */
	struct answered ans[2]; /* the answered transactions of two spans, ans[cur] the newer */
	unsigned cur;
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
	t->ix = calloc(n, sizeof *t->ix);
	t->braw = calloc(n + 1, sizeof *t->b);
	for (unsigned g = 0; g < 2; g++) {
		t->ans[g].tag = calloc(ANS_CAP, 1);
		t->ans[g].e = calloc(ANS_CAP, sizeof *t->ans[g].e);
	}
	if (!t->used || !t->ix || !t->braw || !t->ans[0].e || !t->ans[1].e || !t->ans[0].tag || !t->ans[1].tag) {
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
		free(t->ix);
		for (unsigned g = 0; g < 2; g++) {
			free(t->ans[g].tag);
			free(t->ans[g].e);
		}
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

static inline void set_bit(uint64_t *map, uint32_t k, bool on)
{
	if (on)
		map[k / 64] |= 1ull << (k % 64);
	else
		map[k / 64] &= ~(1ull << (k % 64));
}

/* Starts a new span when the newer one is ANS_SPAN_US old: the older one
 * (at least a span old, so past its retransmissions) is emptied for it,
 * and both when the newer one is two spans old. */
static void ans_rotate(struct txtab *t, uint64_t ts_us)
{
	if (ts_us < t->span_start + ANS_SPAN_US)
		return;
	if (ts_us >= t->span_start + 2 * ANS_SPAN_US) /* the newer one is past too */
		memset(t->ans[t->cur].tag, 0, ANS_CAP);
	t->cur ^= 1;
	memset(t->ans[t->cur].tag, 0, ANS_CAP);
	t->span_start = ts_us;
}

/* The answered transaction with key h, in either span, or NULL. */
static const struct ans *ans_find(const struct txtab *t, uint64_t h)
{
	uint8_t tag = ans_tag(h);
	for (unsigned g = 0; g < 2; g++) {
		const struct answered *a = &t->ans[g];
		for (uint32_t i = 0; i < ANS_PROBE; i++) {
			uint32_t k = (uint32_t)(h + i) & (ANS_CAP - 1);
			if (!a->tag[k])
				break;
			if (a->tag[k] == tag && a->e[k].h == h)
				return &a->e[k];
		}
	}
	return NULL;
}

/* Records an answer in the newer span: the entry with this key, else a
 * free one of the run, else the run's first (a retransmission of the one
 * it replaces would then count again: over ANS_CAP answers in a span). */
static void ans_add(struct txtab *t, uint64_t h, uint64_t fp)
{
	struct answered *a = &t->ans[t->cur];
	uint32_t k = (uint32_t)h & (ANS_CAP - 1);
	uint8_t tag = ans_tag(h);
	for (uint32_t i = 0; i < ANS_PROBE; i++) {
		uint32_t j = (uint32_t)(h + i) & (ANS_CAP - 1);
		if (!a->tag[j] || (a->tag[j] == tag && a->e[j].h == h)) {
			k = j;
			break;
		}
	}
	a->tag[k] = tag;
	a->e[k] = (struct ans){ h, fp };
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

/* The entry for a new request with hash h and fingerprint fp: the same
 * request (a retransmission before the answer), a free or stale entry,
 * else the oldest of the run.  Another request under the same key (other
 * credentials, another user) gets an entry of its own, so that each of
 * their answers counts. */
static struct idx *slot_for(struct txtab *t, uint64_t h, uint64_t fp, uint64_t ts_us)
{
	struct idx *old = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		struct idx *e = &t->ix[k];
		if (!is_used(t, k) || e->ts_us + t->ttl_us < ts_us || (e->h == h && t->b[k].fp == fp))
			return e;
		if (!old || e->ts_us < old->ts_us)
			old = e;
	}
	return old;
}

void txn_put(struct txtab *t, const struct sip_msg *m, const struct akey *client, uint8_t trust, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m), fp = txn_fingerprint(t, m);
	ans_rotate(t, ts_us);
	/* a retransmission of an answered request: its answer was counted */
	const struct ans *a = ans_find(t, h);
	if (a && a->fp == fp)
		return;
	struct idx *slot = slot_for(t, h, fp, ts_us);
	uint32_t k = (uint32_t)(slot - t->ix);
	set_bit(t->used, k, true);
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

const struct txn *txn_match(struct txtab *t, const struct sip_msg *m, const struct ipaddr *to, uint64_t ts_us)
{
	uint64_t h = txn_hash(t, m);
	ans_rotate(t, ts_us);
	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t k = (uint32_t)(h + i) & t->mask;
		struct idx *e = &t->ix[k];
		if (!is_used(t, k) || e->h != h)
			continue;
		if (e->ts_us + t->ttl_us < ts_us)
			return NULL;
		const struct body *b = &t->b[k];
		if (!ip_eq(&b->client.ip, to))
			continue;
		struct txn *o = &t->out;
		o->ts_us = e->ts_us;
		o->h = e->h;
		if (m->status >= 200) { /* answered: kept apart for the retransmissions */
			ans_add(t, h, b->fp);
			set_bit(t->used, k, false);
			e->h = 0;
		}
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
	if (m->status >= 200 && ans_find(t, h))
		t->repeats++; /* a retransmitted answer, or one to a retransmission */
	return NULL;
}

uint64_t txn_repeats(const struct txtab *t)
{
	return t->repeats;
}
