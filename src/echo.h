/* echo: which address each recent challenge nonce of the protected server
 * was sent to, so that a request whose credentials echo it shows that its
 * sender receives the server's answers at that address: an off-path spoofer
 * never sees them.  A nonce sent to more than one address (servers whose
 * nonces depend only on the time, as Kamailio's do by default) proves
 * nothing.  Bounded: a fixed table of hashed nonces, keyed by a secret seed;
 * a newer nonce overwrites an older one in its slot, and a lost record only
 * makes evidence count as forgeable, never the other way round. */
#ifndef SW_ECHO_H
#define SW_ECHO_H

#include "util.h"

enum echo_res {
	ECHO_NONE,   /* not a nonce the server sent recently (or forgotten) */
	ECHO_ISSUED, /* sent by the server, but to other addresses too */
	ECHO_OWN,    /* sent by the server to this address alone */
};

struct echo;

/* A table of cap records (rounded up to a power of two), kept ttl_s
 * seconds; NULL on allocation failure. */
struct echo *echo_new(uint32_t cap, uint32_t ttl_s);
void echo_free(struct echo *e);
/* Records that the server sent nonce (a challenge's) to addr at ts_us. */
void echo_issued(struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us);
/* What a request from addr whose credentials carry nonce proves. */
enum echo_res echo_check(const struct echo *e, struct slice nonce, const struct ipaddr *addr, uint64_t ts_us);

#endif
