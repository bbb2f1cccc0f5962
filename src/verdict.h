/* verdict: the one place that decides to block or unblock.  Applies the
 * whitelist (alert instead of block), shelter (forgeable evidence against
 * an address that authenticated, or a configured peer: alert instead of
 * block), the blacklist (blocked permanently at
 * start), the dynamic block time, and the block threshold (after that many
 * dynamic blocks the next one is permanent).  Emits events; side effects
 * (firewall, store, notify) consume them.  Bounded: at most max_tracked
 * addresses; an active block is never evicted. */
#ifndef SW_VERDICT_H
#define SW_VERDICT_H

#include "config.h"
#include "detect.h"
#include "event.h"

typedef void (*vrd_event_fn)(void *ctx, const struct event *e);

struct vrd_stats {
	uint64_t blocks, unblocks, alerts, anomalies, permanent, table_full;
	uint64_t active;
	uint64_t inside_prefix; /* blocks not made: the address is inside a blocked prefix */
	uint64_t by_det[DET__COUNT]; /* block events per detector */
};

struct verdict;

/* cfg must outlive the verdict (swap with vrd_set_config). */
struct verdict *vrd_new(const struct config *cfg, vrd_event_fn fn, void *ctx);
void vrd_free(struct verdict *v);
void vrd_set_config(struct verdict *v, const struct config *cfg);

/* Brings the blocks in line with the lists: blocks every blacklist entry
 * not blocked yet (permanently), unblocks blacklist blocks no longer listed
 * and every block inside a whitelisted prefix.  Call at start (after any
 * vrd_restore) and whenever the lists change. */
void vrd_sync_lists(struct verdict *v, uint64_t now_us);
/* Restores an active block kept from an earlier run, without an event;
 * end_us 0 means permanent. */
void vrd_restore(struct verdict *v, const struct ipprefix *ip, enum detector det, uint32_t inst, uint64_t end_us);
/* Restores how many dynamic blocks an address has had (block_threshold). */
void vrd_set_history(struct verdict *v, const struct ipprefix *ip, uint32_t n);
/* Blocks an address or prefix by hand for duration_s (0 = permanent).
 * Returns 0, 1 when it is already blocked, -1 when the table is full. */
int vrd_block_manual(struct verdict *v, const struct ipprefix *ip, uint32_t duration_s,
                     const char *reason, uint64_t now_us);
/* Unblocks ip, or every block inside it when it is a prefix; returns how many. */
unsigned vrd_unblock(struct verdict *v, const struct ipprefix *ip, const char *reason, uint64_t now_us);

struct vrd_active {
	struct ipprefix ip;
	enum detector det;
	uint32_t inst;
	uint64_t end_us;   /* 0 = permanent */
};
/* Calls fn for every active block. */
void vrd_foreach_active(struct verdict *v, void (*fn)(void *ctx, const struct vrd_active *a), void *ctx);
/* Handles one detector observation. */
void vrd_observe(struct verdict *v, const struct observation *o);
/* Unblocks every block that ended at or before now_us.  O(1) when none did. */
void vrd_tick(struct verdict *v, uint64_t now_us);

void vrd_stats_get(const struct verdict *v, struct vrd_stats *out);

#endif
