/* atab: open hash chains over index arrays, LRU as an index-linked list.
 * Each slot is its links followed by the record, so a lookup touches two
 * cache lines at most: the bucket and the slot. */
#include "atab.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define PIN_SCAN 64 /* pinned records skipped per eviction at most */

struct link {
	uint32_t next_hash, prev, next;
};

/* room for the links before each record, keeping records 8-byte aligned */
#define LINK_SPACE ((sizeof(struct link) + 7) & ~(size_t)7)

struct atab {
	uint32_t cap, used, high, nbuckets, free_head; /* high: slots ever handed out */
	size_t rec_size, stride;
	uint64_t seed, evictions;
	uint32_t lru_head, lru_tail; /* head = most recent */
	atab_pinned_fn pinned;
	uint32_t *buckets;
	uint8_t *slots;
};

static inline struct link *link_of(const struct atab *t, uint32_t i)
{
	return (struct link *)(t->slots + (size_t)i * t->stride);
}

static inline struct akey *key_of(const struct atab *t, uint32_t i)
{
	return (struct akey *)(t->slots + (size_t)i * t->stride + LINK_SPACE);
}

static inline uint32_t index_of(const struct atab *t, const void *rec)
{
	return (uint32_t)(((const uint8_t *)rec - LINK_SPACE - t->slots) / t->stride);
}

static inline uint32_t bucket_of(const struct atab *t, const struct akey *k)
{
	return (uint32_t)hash_bytes(k, sizeof *k, t->seed) & (t->nbuckets - 1);
}

static inline bool key_eq(const struct akey *a, const struct akey *b)
{
	return a->inst == b->inst && ip_eq(&a->ip, &b->ip);
}

struct atab *atab_new(uint32_t cap, size_t rec_size, atab_pinned_fn pinned)
{
	struct atab *t = calloc(1, sizeof *t);
	if (!t || cap == 0 || rec_size < sizeof(struct akey))
		goto fail;
	t->cap = cap;
	t->rec_size = (rec_size + 7) & ~(size_t)7;
	t->stride = LINK_SPACE + t->rec_size;
	t->nbuckets = 1;
	while (t->nbuckets < cap)
		t->nbuckets <<= 1;
	t->seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)t;
	t->pinned = pinned;
	t->buckets = malloc((size_t)t->nbuckets * sizeof *t->buckets);
	t->slots = calloc(cap, t->stride); /* untouched pages cost no memory */
	if (!t->buckets || !t->slots)
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
	free(t->slots);
	free(t);
}

static void lru_unlink(struct atab *t, uint32_t i)
{
	struct link *l = link_of(t, i);
	if (l->prev != NIL) link_of(t, l->prev)->next = l->next; else t->lru_head = l->next;
	if (l->next != NIL) link_of(t, l->next)->prev = l->prev; else t->lru_tail = l->prev;
}

static void lru_push_head(struct atab *t, uint32_t i)
{
	struct link *l = link_of(t, i);
	l->prev = NIL;
	l->next = t->lru_head;
	if (t->lru_head != NIL)
		link_of(t, t->lru_head)->prev = i;
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

static uint32_t find_idx(struct atab *t, const struct akey *k)
{
	for (uint32_t i = t->buckets[bucket_of(t, k)]; i != NIL; i = link_of(t, i)->next_hash)
		if (key_eq(key_of(t, i), k))
			return i;
	return NIL;
}

static void hash_unlink(struct atab *t, uint32_t i)
{
	uint32_t *pp = &t->buckets[bucket_of(t, key_of(t, i))];
	while (*pp != i)
		pp = &link_of(t, *pp)->next_hash;
	*pp = link_of(t, i)->next_hash;
}

void *atab_find(struct atab *t, const struct akey *k)
{
	uint32_t i = find_idx(t, k);
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
		uint32_t prev = link_of(t, i)->prev;
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

void *atab_get(struct atab *t, const struct akey *k, bool *created)
{
	uint32_t i = find_idx(t, k);
	*created = false;
	if (i != NIL) {
		touch(t, i);
		return key_of(t, i);
	}
	if (t->free_head != NIL) {
		i = t->free_head;
		t->free_head = link_of(t, i)->next_hash;
		t->used++;
	} else if (t->high < t->cap) {
		i = t->high++;
		t->used++;
	} else {
		i = evict(t);
		if (i == NIL)
			return NULL;
	}
	struct akey *rec = key_of(t, i);
	memset(rec, 0, t->rec_size);
	*rec = *k;
	uint32_t b = bucket_of(t, k);
	link_of(t, i)->next_hash = t->buckets[b];
	t->buckets[b] = i;
	lru_push_head(t, i);
	*created = true;
	return rec;
}

void atab_del(struct atab *t, void *rec)
{
	uint32_t i = index_of(t, rec);
	hash_unlink(t, i);
	lru_unlink(t, i);
	link_of(t, i)->next_hash = t->free_head;
	t->free_head = i;
	t->used--;
}

uint32_t atab_count(const struct atab *t) { return t->used; }
uint64_t atab_evictions(const struct atab *t) { return t->evictions; }

void atab_foreach(struct atab *t, void (*fn)(void *rec, void *ctx), void *ctx)
{
	for (uint32_t i = t->lru_head; i != NIL;) {
		uint32_t next = link_of(t, i)->next;
		fn(key_of(t, i), ctx);
		i = next;
	}
}
