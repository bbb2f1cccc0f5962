/* atab: a bounded hash table of fixed-size records keyed by address, with
 * least-recently-used eviction.  All memory is reserved at creation (and
 * touched only as records are used); lookups and inserts never allocate.
 * A record the owner marks as pinned (e.g. a blocked address) is never
 * evicted. */
#ifndef SW_ATAB_H
#define SW_ATAB_H

#include "util.h"

/* Key: an address and the instance it was seen on. */
struct akey {
	struct ipaddr ip;
	uint32_t inst;
};

struct atab;

/* Returns true when the record may not be evicted. */
typedef bool (*atab_pinned_fn)(const void *rec);

/* Creates a table of `cap` records of `rec_size` bytes each; each record
 * starts with a struct akey that the table fills in.  pinned may be NULL.
 * Returns NULL on allocation failure. */
struct atab *atab_new(uint32_t cap, size_t rec_size, atab_pinned_fn pinned);
void atab_free(struct atab *t);

/* Finds the record for k and marks it most recently used, or returns NULL. */
void *atab_find(struct atab *t, const struct akey *k);
/* Finds or creates the record for k.  A new record is zeroed (except its key)
 * and *created is set.  When the table is full the least recently used
 * unpinned record is evicted; if every record near the old end is pinned,
 * returns NULL. */
void *atab_get(struct atab *t, const struct akey *k, bool *created);
/* Removes a record returned by atab_find/atab_get. */
void atab_del(struct atab *t, void *rec);

uint32_t atab_count(const struct atab *t);
/* Records evicted to make room, for a full table or a full chain. */
uint64_t atab_evictions(const struct atab *t);

/* Records per bucket chain at most: a new record in a full chain replaces
 * the chain's earliest inserted unpinned one (NULL when all are pinned). */
#define ATAB_CHAIN_MAX 32

/* Work counters: lookups (finds and gets), chain links walked by them
 * (probes), and evictions for a full table and for a full chain.  The
 * bucket of a key is the low bits of hash_bytes(&key, sizeof key, k) under
 * the table's key k from hash_key_new(). */
struct atab_stats {
	uint64_t lookups, probes, evictions, chain_evictions;
};
void atab_stats(const struct atab *t, struct atab_stats *out);
/* Calls fn for every record (in no particular order). */
void atab_foreach(struct atab *t, void (*fn)(void *rec, void *ctx), void *ctx);

#endif
