/* echo: a direct-mapped table of challenge nonces (hash, first receiver). */
#include "echo.h"

#include <stdlib.h>
#include <string.h>

/* 16 bytes: the table (16,384 of them by default) stays in the cache. */
struct rec {
	uint64_t h;      /* nonce hash; 0 = free */
	uint32_t owner;  /* keyed hash of the first address it was sent to */
	uint32_t ts_s;   /* when it was last sent (seconds), SHARED bit set
	                  * when it was sent to another address too */
};

#define SHARED 0x80000000u

struct echo {
	struct hash_key key;
	uint32_t mask, ttl_s;
	struct rec *r;
};

struct echo *echo_new(uint32_t cap, uint32_t ttl_s)
{
	uint32_t n = 64;
	while (n < cap)
		n <<= 1;
	struct echo *e = calloc(1, sizeof *e);
	/* the seed is a secret: nobody can choose nonces or addresses that
	 * collide (a collision would only lose records, but still) */
	if (!e || !(e->r = calloc(n, sizeof *e->r))) {
		echo_free(e);
		return NULL;
	}
	e->key = hash_key_new();
	e->mask = n - 1;
	e->ttl_s = ttl_s;
	return e;
}

void echo_free(struct echo *e)
{
	if (e) {
		free(e->r);
		free(e);
	}
}

static uint64_t nonce_hash(const struct echo *e, struct slice nonce)
{
	return hash_bytes(nonce.p, nonce.len, e->key) | 1;
}

static uint32_t addr_hash(const struct echo *e, const struct ipaddr *a)
{
	return (uint32_t)(hash_bytes(a->b, sizeof a->b, e->key) >> 32);
}

void echo_issued(struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us)
{
	if (!nonce.len)
		return;
	uint64_t h = nonce_hash(e, nonce);
	uint32_t owner = addr_hash(e, addr), now_s = (uint32_t)(ts_us / 1000000) & ~SHARED;
	struct rec *r = &e->r[h & e->mask];
	uint32_t shared = 0;
	if (r->h == h && ((now_s - r->ts_s) & ~SHARED) <= e->ttl_s) {
		shared = (r->ts_s & SHARED) | (r->owner != owner ? SHARED : 0);
	} else {
		r->h = h;
		r->owner = owner;
	}
	r->ts_s = now_s | shared;
}

enum echo_res echo_check(const struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us)
{
	if (!nonce.len)
		return ECHO_NONE;
	uint64_t h = nonce_hash(e, nonce);
	const struct rec *r = &e->r[h & e->mask];
	if (r->h != h || (((uint32_t)(ts_us / 1000000) - r->ts_s) & ~SHARED) > e->ttl_s)
		return ECHO_NONE;
	return (r->ts_s & SHARED) || r->owner != addr_hash(e, addr) ? ECHO_ISSUED : ECHO_OWN;
}
