/* dops: the daemon's operations shared by the control socket (ctl.c) and the
 * HTTP API (api.c).  Main thread only: they change the verdict, the lists and
 * the store directly, then wait for the firewall worker to apply them. */
#ifndef SW_DOPS_H
#define SW_DOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* Blocks p for duration_s seconds (0 = permanent).  Returns 0 when blocked,
 * 1 when it already was, -1 with a message in err (whitelisted, table full). */
int dop_block(struct daemon *d, const struct ipprefix *p, uint32_t duration_s, const char *reason,
              char *err, size_t errlen);
/* Ends the blocks of p (an address, or every address in a prefix); returns how many. */
unsigned dop_unblock(struct daemon *d, const struct ipprefix *p, const char *reason);
/* Adds p to the whitelist (white) or the blacklist, saved in the store, and
 * applies it at once.  Returns 0, or -1 with a message in err. */
int dop_list_add(struct daemon *d, bool white, const struct ipprefix *p, const char *comment,
                 char *err, size_t errlen);
/* Removes p from the list; -1 with a message when it is not on it. */
int dop_list_del(struct daemon *d, bool white, const struct ipprefix *p, char *err, size_t errlen);

/* One entry of a list: added at run time (ctl or the API; saved in the
 * store) or from the configuration file (comment "", added_us 0). */
struct dop_list_entry {
	struct ipprefix ip;
	const char *comment;
	uint64_t added_us;
	bool runtime;
};
/* Calls fn for every entry of the whitelist (white) or blacklist: those
 * added at run time first, in the order added, then the file's.  Returns 0,
 * or -1 when the store cannot be read. */
int dop_list_each(struct daemon *d, bool white, void (*fn)(void *ctx, const struct dop_list_entry *e),
                  void *ctx);

#endif
