/* atab: open hash chains over index arrays, LRU as an index-linked list.
 *
 * The chains, the LRU list and each record's hash live in an array of small
 * links apart from the records (16 bytes each, where they used to sit in
 * front of every record).  A lookup walks links and reads only the record
 * whose hash matches; moving a record to the head of the LRU list touches
 * the links of its neighbours, not their records.  On a busy table the
 * links and the buckets stay in cache while the records do not (on the 1M
 * mixed benchmark, lookups and LRU upkeep with the links in front of each
 * record were a fifth of the replay time, nearly all of it cache misses).
 *
 * The bucket array is reserved for the full capacity but only a power-of-two
 * prefix of it is used, doubled (each chain split in two, from the stored
 * hashes alone) when the records outnumber the buckets: a table holding few
 * records keeps its buckets on few cache lines, and the pages of the rest
 * are never touched.  The doublings cost O(records) over the table's life.
 *
 * Hash flooding: the hash is SipHash-1-3 under a key of the table's own
 * from getrandom, so an attacker who picks the addresses (IPv6 makes that
 * free) cannot tell which of them share a bucket.  Should they all the
 * same, a chain holds at most CHAIN_MAX records: a new record in a full
 * chain replaces the chain's earliest inserted one (counted apart from the
 * LRU evictions), so a lookup walks CHAIN_MAX links at worst.  With a
 * random key and at most one record per bucket on average, a chain of 32
 * is out of reach (about 10^-30 per table), so the limit never changes
 * what a normal run keeps. */
#include "atab.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define PIN_SCAN 64 /* pinned records skipped per eviction at most */
#define MIN_BUCKETS 1024
#define CHAIN_MAX ATAB_CHAIN_MAX

struct link {
	uint32_t next_hash, hash, prev, next; /* next_hash also links the free list */
};

struct atab {
	uint32_t cap, used, high, free_head; /* high: slots ever handed out */
	uint32_t nbuckets, max_buckets;      /* in use (a power of two), reserved */
	size_t rec_size;
	struct hash_key key;
	uint64_t evictions, chain_evictions, lookups, probes;
	uint32_t lru_head, lru_tail; /* head = most recent */
	atab_pinned_fn pinned;
	uint32_t *buckets;
	struct link *links;
	uint8_t *slots;
};

static inline struct akey *key_of(const struct atab *t, uint32_t i)
{
	return (struct akey *)(t->slots + (size_t)i * t->rec_size);
}

static inline uint32_t index_of(const struct atab *t, const void *rec)
{
	return (uint32_t)(((const uint8_t *)rec - t->slots) / t->rec_size);
}

static inline uint32_t hash_of(const struct atab *t, const struct akey *k)
{
	return (uint32_t)hash_bytes(k, sizeof *k, t->key);
}

/* ip_eq() inline: two words, no call */
static inline bool key_eq(const struct akey *a, const struct akey *b)
{
	return a->inst == b->inst && !memcmp(a->ip.b, b->ip.b, sizeof a->ip.b);
}

struct atab *atab_new(uint32_t cap, size_t rec_size, atab_pinned_fn pinned)
{
	struct atab *t = calloc(1, sizeof *t);
	if (!t || cap == 0 || rec_size < sizeof(struct akey))
		goto fail;
	t->cap = cap;
	t->rec_size = (rec_size + 7) & ~(size_t)7;
	t->max_buckets = 1;
	while (t->max_buckets < cap)
		t->max_buckets <<= 1;
	t->nbuckets = t->max_buckets < MIN_BUCKETS ? t->max_buckets : MIN_BUCKETS;
	t->key = hash_key_new();
	t->pinned = pinned;
	/* untouched pages cost no memory: only the buckets in use are written */
	t->buckets = malloc((size_t)t->max_buckets * sizeof *t->buckets);
	t->links = malloc((size_t)cap * sizeof *t->links);
	t->slots = calloc(cap, t->rec_size);
	if (!t->buckets || !t->links || !t->slots)
		goto fail;
	memset(t->buckets, 0xff, (size_t)t->nbuckets * sizeof *t->buckets);
	t->lru_head = t->lru_tail = NIL;
	t->free_head = NIL;
	return t;
fail:
	atab_free(t);
	return NULL;
}

void atab_free(struct atab *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->links);
	free(t->slots);
	free(t);
}

/* Doubles the buckets in use: each chain is split by the next hash bit. */
static void grow(struct atab *t)
{
	uint32_t nb = t->nbuckets;
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t lo = NIL, hi = NIL, *lt = &lo, *ht = &hi;
		for (uint32_t i = t->buckets[b]; i != NIL; i = t->links[i].next_hash) {
			if (t->links[i].hash & nb) {
				*ht = i;
				ht = &t->links[i].next_hash;
			} else {
				*lt = i;
				lt = &t->links[i].next_hash;
			}
		}
		*lt = *ht = NIL;
		t->buckets[b] = lo;
		t->buckets[b + nb] = hi;
	}
	t->nbuckets = nb * 2;
}

static void lru_unlink(struct atab *t, uint32_t i)
{
	struct link *l = &t->links[i];
	if (l->prev != NIL) t->links[l->prev].next = l->next; else t->lru_head = l->next;
	if (l->next != NIL) t->links[l->next].prev = l->prev; else t->lru_tail = l->prev;
}

static void lru_push_head(struct atab *t, uint32_t i)
{
	struct link *l = &t->links[i];
	l->prev = NIL;
	l->next = t->lru_head;
	if (t->lru_head != NIL)
		t->links[t->lru_head].prev = i;
	t->lru_head = i;
	if (t->lru_tail == NIL)
		t->lru_tail = i;
}

static void touch(struct atab *t, uint32_t i)
{
	if (t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_push_head(t, i);
}

/* The record of k (hash h), or NIL; *len is set to the chain steps taken
 * (the whole chain when k is not there). */
static uint32_t find_idx(struct atab *t, const struct akey *k, uint32_t h, uint32_t *len)
{
	uint32_t n = 0, i = t->buckets[h & (t->nbuckets - 1)];
	for (; i != NIL; i = t->links[i].next_hash, n++)
		if (t->links[i].hash == h && key_eq(key_of(t, i), k))
			break;
	t->lookups++;
	t->probes += n + (i != NIL);
	*len = n;
	return i;
}

static void hash_unlink(struct atab *t, uint32_t i)
{
	uint32_t *pp = &t->buckets[t->links[i].hash & (t->nbuckets - 1)];
	while (*pp != i)
		pp = &t->links[*pp].next_hash;
	*pp = t->links[i].next_hash;
}

void *atab_find(struct atab *t, const struct akey *k)
{
	uint32_t len, i = find_idx(t, k, hash_of(t, k), &len);
	if (i == NIL)
		return NULL;
	touch(t, i);
	return key_of(t, i);
}

/* Frees the least recently used unpinned record; returns its index or NIL. */
static uint32_t evict(struct atab *t)
{
	uint32_t i = t->lru_tail;
	for (int n = 0; i != NIL && n < PIN_SCAN; n++) {
		uint32_t prev = t->links[i].prev;
		if (!t->pinned || !t->pinned(key_of(t, i))) {
			hash_unlink(t, i);
			lru_unlink(t, i);
			t->evictions++;
			return i;
		}
		/* move pinned records out of the way so the next scan is short */
		touch(t, i);
		i = prev;
		if (i == t->lru_head)
			break;
	}
	return NIL;
}

/* A chain of CHAIN_MAX records gives up its earliest inserted unpinned one
 * (the last of the chain: records go in at its head, and growing keeps the
 * order).  Returns its index, unlinked, or NIL when all are pinned. */
static uint32_t evict_chain(struct atab *t, uint32_t h)
{
	uint32_t victim = NIL;
	for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != NIL; i = t->links[i].next_hash)
		if (!t->pinned || !t->pinned(key_of(t, i)))
			victim = i;
	if (victim != NIL) {
		hash_unlink(t, victim);
		lru_unlink(t, victim);
		t->chain_evictions++;
	}
	return victim;
}

/* A slot for a new record: a free one, a never used one, or the least
 * recently used record's.  NIL when none can be had. */
static uint32_t take_slot(struct atab *t)
{
	uint32_t i;
	if (t->free_head != NIL) {
		i = t->free_head;
		t->free_head = t->links[i].next_hash;
	} else if (t->high < t->cap) {
		i = t->high++;
	} else {
		return evict(t);
	}
	t->used++;
	if (t->used > t->nbuckets && t->nbuckets < t->max_buckets)
		grow(t);
	return i;
}

void *atab_get(struct atab *t, const struct akey *k, bool *created)
{
	uint32_t len, h = hash_of(t, k), i = find_idx(t, k, h, &len);
	*created = false;
	if (i != NIL) {
		touch(t, i);
		return key_of(t, i);
	}
	i = len >= CHAIN_MAX ? evict_chain(t, h) : take_slot(t);
	if (i == NIL)
		return NULL;
	struct akey *rec = key_of(t, i);
	memset(rec, 0, t->rec_size);
	*rec = *k;
	uint32_t *b = &t->buckets[h & (t->nbuckets - 1)];
	t->links[i].hash = h;
	t->links[i].next_hash = *b;
	*b = i;
	lru_push_head(t, i);
	*created = true;
	return rec;
}

void atab_del(struct atab *t, void *rec)
{
	uint32_t i = index_of(t, rec);
	hash_unlink(t, i);
	lru_unlink(t, i);
	t->links[i].next_hash = t->free_head;
	t->free_head = i;
	t->used--;
}

uint32_t atab_count(const struct atab *t) { return t->used; }
uint64_t atab_evictions(const struct atab *t) { return t->evictions + t->chain_evictions; }

void atab_stats(const struct atab *t, struct atab_stats *out)
{
	*out = (struct atab_stats){
		.lookups = t->lookups, .probes = t->probes,
		.evictions = t->evictions, .chain_evictions = t->chain_evictions,
	};
}

void atab_foreach(struct atab *t, void (*fn)(void *rec, void *ctx), void *ctx)
{
	for (uint32_t i = t->lru_head; i != NIL;) {
		uint32_t next = t->links[i].next;
		fn(key_of(t, i), ctx);
		i = next;
	}
}
