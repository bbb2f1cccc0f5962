/* ctlsrv: the control socket's own thread.  It accepts clients (a bounded
 * number at once), reads each request against a deadline counted from the
 * accept (not reset by each byte), hands the complete request to the main
 * thread through a handoff queue, and writes the reply without blocking,
 * against a deadline of its own.  Slow clients are dropped and counted; the
 * main thread never reads or writes a client's socket. */
#ifndef SW_CTLSRV_H
#define SW_CTLSRV_H

#include <stdint.h>
#include <stdio.h>

#include "handoff.h"

#define CTLSRV_MAX_REQ 8192     /* bytes of one request, its final "\n\n" included */

struct ctlsrv_limits {
	unsigned max_clients;   /* connections at once; more get "error" and are closed */
	uint32_t request_ms;    /* from accept to the end of the request */
	uint32_t reply_ms;      /* from the reply being ready to its last byte sent */
	size_t reply_max;       /* reply bytes; a larger reply becomes an error */
};

#define CTLSRV_LIMITS_DEFAULT ((struct ctlsrv_limits){ 16, 2000, 10000, 32u << 20 })

/* Runs on the main thread with a complete request (the client's arguments,
 * each ended by "\n", NUL-terminated); writes the output to out and returns
 * 0 (the reply starts "ok") or -1 ("error"). */
typedef int (*ctlsrv_fn)(void *ctx, char *req, FILE *out);

struct ctlsrv_stats {
	unsigned clients;           /* connected now */
	uint64_t accepted, served;
	uint64_t refused;           /* more than max_clients at once */
	uint64_t request_timeouts;  /* request not complete by its deadline */
	uint64_t reply_timeouts;    /* reply not read by its deadline */
	uint64_t too_long;          /* request longer than CTLSRV_MAX_REQ */
	uint64_t busy;              /* the main thread's queue was full */
};

struct ctlsrv;

/* Serves the listening socket lfd (taken over: closed by ctlsrv_stop) on a
 * new thread; requests go through h to fn(ctx, ...).  lim NULL: the
 * defaults.  Returns NULL with a message in err. */
struct ctlsrv *ctlsrv_start(int lfd, const struct ctlsrv_limits *lim, struct handoff *h,
                            ctlsrv_fn fn, void *ctx, char *err, size_t errlen);
/* Stops and joins the thread, closes every connection.  Call handoff_stop
 * first: requests still queued are then never run. */
void ctlsrv_stop(struct ctlsrv *s);
/* The counters; any thread. */
void ctlsrv_stats(struct ctlsrv *s, struct ctlsrv_stats *st);

#endif
