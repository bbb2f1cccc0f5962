/* store: persistence in SQLite (WAL): active blocks, block history per
 * address (for block_threshold), the event log, and the runtime whitelist /
 * blacklist entries added with `sipwarden ctl`.
 *
 * Calls are blocking (disk) and belong on a worker thread; one struct store
 * (one SQLite connection) is used by one thread.  Readers on other threads
 * open their own struct store on the same file. */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <stddef.h>

#include "event.h"

struct store_block {
	struct ipprefix ip;
	char detector[24];
	char reason[128];
	char instance[32];
	char evidence[1024];        /* the evidence object as JSON text, or "" */
	uint64_t start_us, end_us;  /* end_us 0 when permanent */
	bool permanent;
};

struct store_list_entry {
	struct ipprefix ip;
	char comment[128];
	uint64_t added_us;
};

struct store;

/* Opens (creating the file, its directory must exist, and the schema when
 * missing) the database at path.  Returns NULL with a message in err. */
struct store *store_open(const char *path, char *err, size_t errlen);
/* Closes s; a transaction still open is rolled back. */
void store_close(struct store *s);

/* Groups the writes that follow into one transaction. Return 0 or -1; a
 * commit that fails rolls the transaction back. */
int store_begin(struct store *s);
int store_commit(struct store *s);

/* Records one event: every event goes to the event log (its JSON line and
 * indexed columns); a block also becomes the address's active block and adds
 * to its history; an unblock ends the active block.  Returns 0 or -1. */
int store_event(struct store *s, const struct event *e);

/* Calls fn for every block still active at now_us (permanent, or ending
 * after now_us). Returns 0 or -1. */
int store_blocks_active(struct store *s, uint64_t now_us,
                        void (*fn)(void *ctx, const struct store_block *b), void *ctx);
/* Calls fn with every address's number of dynamic (non-permanent) blocks so far. */
int store_history(struct store *s, void (*fn)(void *ctx, const struct ipprefix *ip, uint32_t n), void *ctx);

/* Runtime list entries: list is "whitelist" or "blacklist". */
int store_list_add(struct store *s, const char *list, const struct ipprefix *ip, const char *comment, uint64_t now_us);
int store_list_del(struct store *s, const char *list, const struct ipprefix *ip);
int store_list_get(struct store *s, const char *list,
                   void (*fn)(void *ctx, const struct store_list_entry *e), void *ctx);

/* Event log, newest first: events at or after since_us (0 = all), at most
 * limit (0 = no limit), optionally only one detector and/or ip (NULL = any).
 * fn gets each event's JSON line (valid during the call only).  A callback
 * may call other store functions, but not the query it is called from. */
int store_events(struct store *s, uint64_t since_us, unsigned limit, const char *detector,
                 const char *ip, void (*fn)(void *ctx, const char *json), void *ctx);
/* Deletes events older than before_us; returns how many, or -1.  Also
 * forgets blocks that ended before before_us (expired while the daemon was
 * down, so no unblock event removed them). */
long store_purge(struct store *s, uint64_t before_us);

/* Addresses by number of attacks (block and alert events, not manual or
 * blacklist blocks) since since_us, most first, at most limit: fn gets each. */
int store_attackers(struct store *s, uint64_t since_us, unsigned limit,
                    void (*fn)(void *ctx, const char *ip, uint64_t count), void *ctx);
/* Attacks per hour: counts[i] for the hour starting at from_us + i hours. */
int store_hourly(struct store *s, uint64_t from_us, unsigned hours, uint32_t *counts);

/* The last SQLite error message of this connection. */
const char *store_error(const struct store *s);

#endif
