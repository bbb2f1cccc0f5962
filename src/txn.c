/* txn: open addressing with short linear probes. */
#include "txn.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 8

struct txtab {
	uint32_t mask;
	uint64_t ttl_us;
	struct txn *v;
};

struct txtab *txn_new(uint32_t cap, uint32_t ttl_ms)
{
	struct txtab *t = calloc(1, sizeof *t);
	uint32_t n = 64;
	while (n < cap)
		n <<= 1;
	if (!t)
		return NULL;
	t->v = calloc(n, sizeof *t->v);
	if (!t->v) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->ttl_us = (uint64_t)ttl_ms * 1000;
	return t;
}

void txn_free(struct txtab *t)
{
	if (t) {
		free(t->v);
		free(t);
	}
}

/* Bounded copy without sanitising: done when the text is used, which is
 * rare (a failure), not for every request. */
static void raw_copy(char *dst, size_t n, struct slice s)
{
	size_t k = s.len < n - 1 ? s.len : n - 1;
	if (k)
		memcpy(dst, s.p, k);
	dst[k] = '\0';
}

/* The transaction key: Call-ID, CSeq number and method, top Via branch. */
static uint64_t txn_hash(const struct sip_msg *m)
{
	uint64_t h = hash_bytes(m->call_id.p, m->call_id.len, m->cseq);
	h = hash_bytes(m->via_branch.p, m->via_branch.len, h);
	h ^= (uint64_t)m->cseq_method * 0x9e3779b97f4a7c15ULL;
	return h | 1; /* never 0, which marks a free slot */
}

void txn_put(struct txtab *t, const struct sip_msg *m, const struct akey *client, uint64_t ts_us)
{
	uint64_t h = txn_hash(m);
	struct txn *slot = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct txn *e = &t->v[(h + i) & t->mask];
		if (e->h == h || e->h == 0 || e->ts_us + t->ttl_us < ts_us) {
			slot = e; /* same transaction (retransmission), free or stale */
			break;
		}
		if (!slot || e->ts_us < slot->ts_us)
			slot = e; /* otherwise the oldest of the run */
	}
	slot->h = h;
	slot->ts_us = ts_us;
	slot->client = *client;
	slot->method = (uint8_t)m->method;
	slot->has_auth = m->has_auth;
	struct slice user = m->has_auth && m->auth_username.len ? m->auth_username
	                  : m->method == SIP_M_REGISTER || !m->ruri_user.len ? m->to.user
	                  : m->ruri_user;
	raw_copy(slot->user, sizeof slot->user, user);
	raw_copy(slot->ua, sizeof slot->ua, m->user_agent);
	raw_copy(slot->dest, sizeof slot->dest, m->method == SIP_M_INVITE ? m->ruri_user : SLICE_NULL);
	raw_copy(slot->ruri, sizeof slot->ruri, m->ruri);
}

const struct txn *txn_match(struct txtab *t, const struct sip_msg *m, uint64_t ts_us)
{
	uint64_t h = txn_hash(m);
	for (uint32_t i = 0; i < PROBE; i++) {
		struct txn *e = &t->v[(h + i) & t->mask];
		if (e->h != h)
			continue;
		if (e->ts_us + t->ttl_us < ts_us)
			return NULL;
		if (m->status >= 200)
			e->h = 0; /* the caller reads it before the next put */
		return e;
	}
	return NULL;
}
