/* nstore: the notification tables in the SQLite database: the outbox (every
 * mail and webhook post until the server accepts it), the attacks held back
 * for the next digest mail, a small key/value state (when the last daily
 * summary went out), and the daily summary's figures computed from the
 * event log that store.c writes.
 *
 * One struct nstore is one SQLite connection, used by one thread (the
 * notification thread).  Open the database with store_open first: the
 * summary reads its events and blocks tables. */
#ifndef SW_NSTORE_H
#define SW_NSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "mail.h"

enum nst_kind { NST_MAIL, NST_WEBHOOK };

/* A queued message (owned: free with nst_msg_free). */
struct nst_msg {
	int64_t id;
	enum nst_kind kind;
	uint64_t created_us, next_us;
	uint32_t tries;
	char *rcpts;   /* mail: comma-separated recipients; webhook: the URL */
	char *body;    /* the whole mail, or the event's JSON line */
	size_t body_len;
};
void nst_msg_free(struct nst_msg *m);

struct nstore;

/* Opens path (creating the notification tables when missing).  Returns NULL
 * with a message in err. */
struct nstore *nst_open(const char *path, char *err, size_t errlen);
void nst_close(struct nstore *s);
int nst_begin(struct nstore *s);
int nst_commit(struct nstore *s);
const char *nst_error(const struct nstore *s);

/* Queues a message due now.  Returns 0 or -1. */
int nst_enqueue(struct nstore *s, enum nst_kind kind, const char *rcpts, const char *body,
                size_t len, uint64_t now_us);
/* Loads the oldest message of kind that is due at now_us: 1 found, 0 none, -1 error. */
int nst_due(struct nstore *s, enum nst_kind kind, uint64_t now_us, struct nst_msg *out);
/* The accepted message leaves the outbox.  Returns 0 or -1. */
int nst_done(struct nstore *s, int64_t id);
/* A failed attempt: counts it, records err and the next attempt's time. */
int nst_retry_at(struct nstore *s, int64_t id, uint64_t next_us, const char *err);
/* Makes every queued message due at now_us (at start: a restart retries at once). */
int nst_retry_all(struct nstore *s, uint64_t now_us);
/* Removes messages created before before_us (given up); returns how many, or -1. */
long nst_expire(struct nstore *s, uint64_t before_us);
/* Messages queued (kind -1: all), or -1; the earliest due time of any (0 = none). */
long nst_count(struct nstore *s, int kind);
uint64_t nst_next_due(struct nstore *s);

/* Holds an attack back for the next digest. */
int nst_digest_add(struct nstore *s, const struct mail_item *it);
/* Takes every held-back attack (oldest first) into a new array (*items,
 * free()), removing them.  Returns the count or -1. */
long nst_digest_take(struct nstore *s, struct mail_item **items);
long nst_digest_count(struct nstore *s);

/* Key/value state: 1 found, 0 missing, -1 error; set returns 0 or -1. */
int nst_state_get(struct nstore *s, const char *key, int64_t *v);
int nst_state_set(struct nstore *s, const char *key, int64_t v);

/* The daily summary's figures over [from_us, to_us) from the event log. */
int nst_summary(struct nstore *s, uint64_t from_us, uint64_t to_us, struct mail_summary *out);

#endif
