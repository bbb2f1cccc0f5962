/* verdict: the one place that decides to block or unblock.  Applies the
 * whitelist (alert instead of block), the blacklist (blocked permanently at
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
	uint64_t by_det[DET__COUNT]; /* block events per detector */
};

struct verdict;

/* cfg must outlive the verdict (swap with vrd_set_config). */
struct verdict *vrd_new(const struct config *cfg, vrd_event_fn fn, void *ctx);
void vrd_free(struct verdict *v);
void vrd_set_config(struct verdict *v, const struct config *cfg);

/* Emits the blacklist blocks; call once when the engine starts. */
void vrd_start(struct verdict *v, uint64_t now_us);
/* Handles one detector observation. */
void vrd_observe(struct verdict *v, const struct observation *o);
/* Unblocks every block that ended at or before now_us.  O(1) when none did. */
void vrd_tick(struct verdict *v, uint64_t now_us);

void vrd_stats_get(const struct verdict *v, struct vrd_stats *out);

#endif
