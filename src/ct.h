/* ct: removes the connection-tracking entries of blocked addresses, so a
 * flow the kernel already tracks does not outlive the block (a stateful
 * "established" rule elsewhere would let it through) and NAT bindings are
 * not reused.  Talks to the kernel through libnetfilter_conntrack; blocking,
 * for the firewall worker thread.  Without conntrack in the kernel there is
 * nothing to remove and both calls succeed. */
#ifndef SW_CT_H
#define SW_CT_H

#include <stddef.h>

#include "util.h"

struct ct;

/* Opens a conntrack handle to keep (closing one waits for the kernel's
 * netfilter cleanup, milliseconds).  Returns NULL with a message in err;
 * without conntrack in the kernel it returns a handle that does nothing. */
struct ct *ct_open(char *err, size_t errlen);
/* ct_flush_addrs on an open handle.  Skips the table walk at once when
 * this network namespace tracks no connection at all. */
int ct_flush(struct ct *c, const struct ipaddr *v, size_t n, size_t *deleted, char *err, size_t errlen);
void ct_close(struct ct *c);

/* Deletes every entry whose original source or reply destination is a.
 * Returns 0, or -1 with a message in err. */
int ct_flush_addr(const struct ipaddr *a, char *err, size_t errlen);
/* The same for n addresses in one pass over the table; the number of
 * entries deleted goes to *deleted when it is not NULL. */
int ct_flush_addrs(const struct ipaddr *v, size_t n, size_t *deleted, char *err, size_t errlen);

#endif
