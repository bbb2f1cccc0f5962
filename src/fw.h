/* fw: the kernel firewall behind one small interface.  Backends: nftables
 * (libnftables: an inet table of our own with timeout sets for IPv4 and IPv6
 * and a raw-priority prerouting chain), ipset (+ iptables/ip6tables raw
 * PREROUTING rules), and none (detect and report only).  Adding a backend
 * means one new fw_*.c file and one line in fw.c.
 *
 * Calls are blocking (netlink or a helper process) and belong on a worker
 * thread, never on the packet path.  One struct fw is used by one thread. */
#ifndef SW_FW_H
#define SW_FW_H

#include <stddef.h>

#include "util.h"

enum fw_scope {
	FW_SCOPE_ALL,      /* drop every packet from a blocked address */
	FW_SCOPE_SERVICES, /* drop only packets to the protected ports */
};

struct fw_config {
	char backend[16];           /* "nftables", "ipset" or "none" */
	char table[32];             /* nftables table / ipset name prefix */
	enum fw_scope scope;
	const uint8_t *ports;       /* 8192-byte port bitmap, for FW_SCOPE_SERVICES */
	bool udp, tcp;              /* protected protocols, for FW_SCOPE_SERVICES */
};

/* One blocked address or prefix. */
struct fw_entry {
	struct ipprefix ip;
	uint32_t timeout_s;         /* 0 = permanent (no timeout) */
};

typedef void (*fw_list_fn)(void *ctx, const struct fw_entry *e);

struct fw;

/* Opens the backend and creates our table/sets/rules if missing (touching
 * nothing else).  Returns NULL with a message in err on failure. */
struct fw *fw_open(const struct fw_config *c, char *err, size_t errlen);

/* Adds n entries in one transaction (an entry already present gets the new
 * timeout).  Returns 0, or -1 with a message in err. */
int fw_block(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen);
/* Removes n entries in one transaction; absent entries are not an error. */
int fw_unblock(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen);
/* Calls fn for every element currently in our sets, with its remaining
 * timeout (0 = permanent).  Returns 0 or -1. */
int fw_list(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen);
/* Replaces the addresses and prefixes that always pass (the whitelist):
 * an accept rule ahead of the drop rules, so a blocked prefix stays one
 * element with whitelisted holes in it.  n may be 0 (none pass).  Returns 0,
 * or -1 with a message in err. */
int fw_allow(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen);
/* Removes every element from our block sets (not the allowed ones). */
int fw_flush(struct fw *f, char *err, size_t errlen);
/* Closes; with remove, deletes our table/sets/rules as well. */
void fw_close(struct fw *f, bool remove);

const char *fw_backend_name(const struct fw *f);

#endif
