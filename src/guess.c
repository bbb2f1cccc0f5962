/* guess: open addressing on the username hash; the least recently used
 * entry of a probe run is replaced. */
#include "guess.h"

#include <stdlib.h>
#include <string.h>

#define PROBE 8
#define ADDRS 32

struct gentry {
	uint64_t hash;               /* 0 = free */
	uint32_t last_s, marked_until_s;
	uint32_t n;
	struct { struct ipaddr ip; uint32_t time_s; } a[ADDRS];
};

struct guess {
	uint32_t mask;
	struct hash_key key;
	struct gentry *v;
};

struct guess *guess_new(uint32_t cap)
{
	struct guess *g = calloc(1, sizeof *g);
	uint32_t n = 64;
	while (n < cap)
		n <<= 1;
	if (!g || !(g->v = calloc(n, sizeof *g->v))) {
		free(g);
		return NULL;
	}
	g->mask = n - 1;
	g->key = hash_key_new();
	return g;
}

void guess_free(struct guess *g)
{
	if (g) {
		free(g->v);
		free(g);
	}
}

/* Entries are known by this hash alone: 64 bits under a secret key, so
 * no username can be made to pass for another. */
static uint64_t user_hash(const struct guess *g, const char *user)
{
	return hash_bytes(user, strlen(user), g->key) | 1;
}

/* The entry of user; created (replacing the stalest of its run) when create. */
static struct gentry *entry(struct guess *g, const char *user, uint32_t now_s, bool create)
{
	uint64_t h = user_hash(g, user);
	struct gentry *victim = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct gentry *e = &g->v[(h + i) & g->mask];
		if (e->hash == h)
			return e;
		if (e->hash == 0) {
			if (!victim || victim->hash)
				victim = e; /* a free slot beats any used one */
		} else if (!victim || (victim->hash && e->last_s < victim->last_s)) {
			victim = e;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	victim->hash = h;
	victim->last_s = now_s;
	return victim;
}

uint32_t guess_fail(struct guess *g, const char *user, const struct ipaddr *addr,
                    uint32_t window_s, uint64_t ts_us)
{
	uint32_t now_s = (uint32_t)(ts_us / 1000000), n = 0;
	struct gentry *e = entry(g, user, now_s, true);
	uint32_t slot = ADDRS, oldest = 0;
	e->last_s = now_s;
	for (uint32_t i = 0; i < e->n; i++) {
		if (ip_eq(&e->a[i].ip, addr))
			slot = i;
		if (e->a[i].time_s < e->a[oldest].time_s)
			oldest = i;
	}
	if (slot == ADDRS)
		slot = e->n < ADDRS ? e->n++ : oldest;
	e->a[slot].ip = *addr;
	e->a[slot].time_s = now_s;
	for (uint32_t i = 0; i < e->n; i++)
		if (now_s - e->a[i].time_s < window_s)
			n++;
	return n;
}

bool guess_mark(struct guess *g, const char *user, uint32_t window_s, uint64_t ts_us,
                uint64_t until_us, struct evidence *ev)
{
	uint32_t now_s = (uint32_t)(ts_us / 1000000);
	struct gentry *e = entry(g, user, now_s, true);
	bool was = e->marked_until_s > now_s;
	e->marked_until_s = (uint32_t)(until_us / 1000000);
	for (uint32_t i = 0; i < e->n && ev->n_addrs < EVD_MAX_ADDRS; i++)
		if (now_s - e->a[i].time_s < window_s)
			ev->addrs[ev->n_addrs++] = e->a[i].ip;
	return !was;
}

bool guess_marked(struct guess *g, const char *user, uint64_t ts_us)
{
	struct gentry *e = entry(g, user, (uint32_t)(ts_us / 1000000), false);
	return e && e->marked_until_s > ts_us / 1000000;
}
