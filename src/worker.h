/* worker: a thread that consumes fixed-size items from a bounded queue in
 * batches, so slow side effects (firewall, disk) never hold up the packet
 * path.  worker_push never blocks: when the queue is full the item is
 * counted as dropped. */
#ifndef SW_WORKER_H
#define SW_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Handles n items (contiguous, item_size bytes each) on the worker thread. */
typedef void (*worker_batch_fn)(void *ctx, void *items, size_t n);

struct worker;

/* Starts a thread; the queue holds cap items of item_size bytes; batches are
 * at most max_batch items.  Returns NULL on failure. */
struct worker *worker_start(size_t item_size, size_t cap, size_t max_batch,
                            worker_batch_fn fn, void *ctx);
/* Queues a copy of item; returns false (and counts it) when the queue is full. */
bool worker_push(struct worker *w, const void *item);
/* Waits until every item pushed so far has been handled, but not longer
 * than WORKER_FLUSH_MAX_MS: the main thread calls it for a control or API
 * request, and a firewall or store backlog (a block storm) must not hold the
 * capture.  Returns true when every item was handled. */
#define WORKER_FLUSH_MAX_MS 100
bool worker_flush(struct worker *w);
/* Handles what is queued, then stops and joins the thread. */
void worker_stop(struct worker *w);

size_t worker_pending(struct worker *w);
uint64_t worker_dropped(struct worker *w);

#endif
