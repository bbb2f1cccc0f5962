/* echo: a direct-mapped table of challenge nonces (hash, first receiver). */
#include "echo.h"

#include <stdlib.h>
#include <sys/random.h>

struct rec {
	uint64_t h;      /* nonce hash; 0 = free */
	uint64_t owner;  /* hash of the first address it was sent to */
	uint32_t ts_s;   /* when it was last sent */
	bool shared;     /* sent to another address too */
};

struct echo {
	uint64_t seed;
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
	if (!e || !(e->r = calloc(n, sizeof *e->r)) ||
	    getrandom(&e->seed, sizeof e->seed, 0) != (ssize_t)sizeof e->seed) {
		echo_free(e);
		return NULL;
	}
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
	return hash_bytes(nonce.p, nonce.len, e->seed) | 1;
}

static uint64_t addr_hash(const struct echo *e, const struct ipaddr *a)
{
	return hash_bytes(a->b, sizeof a->b, e->seed ^ 0x5bd1e9955bd1e995ULL);
}

void echo_issued(struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us)
{
	if (!nonce.len)
		return;
	uint64_t h = nonce_hash(e, nonce), owner = addr_hash(e, addr);
	uint32_t now_s = (uint32_t)(ts_us / 1000000);
	struct rec *r = &e->r[h & e->mask];
	if (r->h == h && now_s - r->ts_s <= e->ttl_s) {
		r->shared |= r->owner != owner;
	} else {
		r->h = h;
		r->owner = owner;
		r->shared = false;
	}
	r->ts_s = now_s;
}

enum echo_res echo_check(const struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us)
{
	if (!nonce.len)
		return ECHO_NONE;
	uint64_t h = nonce_hash(e, nonce);
	const struct rec *r = &e->r[h & e->mask];
	if (r->h != h || (uint32_t)(ts_us / 1000000) - r->ts_s > e->ttl_s)
		return ECHO_NONE;
	return r->shared || r->owner != addr_hash(e, addr) ? ECHO_ISSUED : ECHO_OWN;
}
