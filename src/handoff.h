/* handoff: work for the main thread from other threads (the control socket's
 * thread, the HTTP server).  A bounded queue of calls and an eventfd that
 * the main loop polls; the main thread runs a few calls per loop round
 * (handoff_run), so a flood of requests cannot starve the capture.  The
 * caller owns each call and keeps it alive until it is done (or the hand-over
 * is stopped); the main thread never touches a client's socket. */
#ifndef SW_HANDOFF_H
#define SW_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct handoff_call {
	void (*fn)(void *arg);  /* runs on the main thread */
	void *arg;
	int wake_fd;            /* handoff_submit: >= 0, an eventfd written when done */
	bool done;              /* read it with handoff_done */
};

struct handoff;

/* A queue of at most cap calls.  Returns NULL when out of memory or
 * descriptors. */
struct handoff *handoff_new(size_t cap);
/* Stops taking calls, drops the queued ones and wakes every waiter; the main
 * thread calls it once it runs no more calls.  Then free it. */
void handoff_stop(struct handoff *h);
void handoff_free(struct handoff *h);

/* Queues c without waiting; false (counted as refused) when the queue is
 * full or stopped. */
bool handoff_submit(struct handoff *h, struct handoff_call *c);
/* Queues c and waits until the main thread has run it: 0, or -1 when the
 * queue is full or the hand-over stops first. */
int handoff_call(struct handoff *h, struct handoff_call *c);
/* True once the main thread has run c. */
bool handoff_done(struct handoff *h, const struct handoff_call *c);

/* Main thread: the descriptor to poll (readable while calls wait), and
 * running at most max waiting calls.  Returns how many ran. */
int handoff_fd(const struct handoff *h);
size_t handoff_run(struct handoff *h, size_t max);

/* Calls refused because the queue was full. */
uint64_t handoff_refused(struct handoff *h);

#endif
