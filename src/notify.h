/* notify: tells people about attacks, off the packet path.
 *
 * ntf_event (main thread) only copies the event into a bounded queue.  The
 * intake thread turns it into a syslog line, a webhook post and, for attacks,
 * a per-attack mail, or (beyond max_mails_per_hour in one digest_interval) a
 * digest entry; mails and posts go into the outbox table first.  The sender
 * thread delivers the outbox with exponential backoff for up to 24 hours,
 * sends the digest when its interval ends and the daily summary at
 * daily_summary_time (or at start when that time passed while the daemon
 * was down).  Nothing is lost across restarts: the outbox is in SQLite. */
#ifndef SW_NOTIFY_H
#define SW_NOTIFY_H

#include "config.h"
#include "event.h"

struct notify_stats {
	uint64_t dropped;        /* events the full queue could not take */
	uint64_t mails_sent, webhooks_sent;
	uint64_t given_up;       /* messages not accepted within 24 hours */
	uint64_t syslog_errors;
	long outbox, digest;     /* messages waiting; attacks held for the digest */
	char last_error[256];    /* "" when none */
	uint64_t last_error_us;
};

struct notify;

/* Starts the threads on the database at db_path (store_open has created it).
 * cfg is copied.  Returns NULL with a message in err. */
struct notify *ntf_start(const struct config *cfg, const char *db_path, char *err, size_t errlen);
/* Delivers what is queued for at most a few seconds, then stops. */
void ntf_stop(struct notify *n);
/* Takes a new configuration (after a reload); copies what it needs. */
void ntf_set_config(struct notify *n, const struct config *cfg);

/* Queues a copy of e; never blocks (a full queue counts it as dropped). */
void ntf_event(struct notify *n, const struct event *e);
/* Queues a test mail / the summary of the last 24 hours now.  False when
 * the queue is full or there are no recipients (msg says which). */
bool ntf_test_mail(struct notify *n, char *msg, size_t len);
bool ntf_summary_now(struct notify *n, char *msg, size_t len);

void ntf_stats(struct notify *n, struct notify_stats *out);

/* The most recent daily_summary_time (local, minute after midnight) at or
 * before now_us, in microseconds. */
uint64_t ntf_last_schedule(uint64_t now_us, uint32_t minute);

#endif
