/* http_guard: the pure checks in front of the admin page (no MHD, no I/O,
 * no clock: callers pass the time in seconds).
 *
 * - Host and Origin against the names the page is reached by (DNS
 *   rebinding, cross-site requests);
 * - the client address behind trusted proxies (X-Forwarded-For);
 * - the login lockout: failed logins per client address, locked with an
 *   exponential time after too many (bounded, seeded table);
 * - the set of blocked addresses and prefixes that the HTTP layer refuses.
 * None of the tables is thread-safe: the caller locks. */
#ifndef SW_HTTP_GUARD_H
#define SW_HTTP_GUARD_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HG_MAX_NAMES 8
#define HG_NAME_LEN 128
#define HG_MAX_PROXIES 16
#define HG_MAX_QUERY_ARGS 64      /* more query arguments: 414 */
#define HG_MAX_QUERY_LEN 4096     /* a longer query string: 414 */

/* The names the page answers to. */
struct hg_names {
	char listen[HG_NAME_LEN];     /* "198.51.100.1:8080", "[::1]:8080" as configured */
	uint16_t port;
	bool loopback;                /* listen is 127.x or ::1: localhost names also pass */
	bool wildcard;                /* listen is 0.0.0.0 or [::]: any address literal passes */
	unsigned n;                   /* server_name entries */
	char server[HG_MAX_NAMES][HG_NAME_LEN];
};

/* Fills n from the listen address and the server_name list ("a.example,
 * b.example", spaces or commas).  False when a name is too long or there
 * are more than HG_MAX_NAMES. */
bool hg_names_init(struct hg_names *n, const char *listen, const char *server_names);
/* True when host (a Host header value, NULL when absent) names this page:
 * the listen address with its port (or none), localhost/127.0.0.1/[::1]
 * with the port when listening on loopback, or a server_name with any port. */
bool hg_host_ok(const struct hg_names *n, const char *host);
/* True when origin ("http://host:port", the Origin header) or a Referer
 * ("https://host/path...") is a page of this server (http or https).
 * "null" and anything else are refused. */
bool hg_origin_ok(const struct hg_names *n, const char *origin);

/* The client of a request from peer: when peer is inside one of the
 * trusted prefixes, the right-most address of xff (X-Forwarded-For, comma
 * separated, may be NULL) that is not itself a trusted proxy (an unreadable
 * entry stops the walk at the hop that wrote it); otherwise peer. */
struct ipaddr hg_client(const struct ipaddr *peer, const char *xff,
                        const struct ipprefix *trusted, size_t ntrusted);

/* True when a is inside one of the n prefixes of t. */
bool hg_trusted(const struct ipprefix *t, size_t n, const struct ipaddr *a);

/* Number of arguments of a raw query string (0 for ""). */
size_t hg_query_args(const char *query, size_t len);

/* ---- login lockout ---- */

#define HG_LOCK_BASE_S 60u        /* the first lock; each next one doubles */
#define HG_LOCK_MAX_S 3600u

struct hg_locks;
/* A table of at most max addresses (rounded up to a power of two) that
 * locks an address for HG_LOCK_BASE_S (doubling per lock, up to
 * HG_LOCK_MAX_S) after count failures within window_s.  Eviction when
 * full: the record with the oldest failure that is not locked, else the
 * lock that ends first.  NULL when out of memory. */
struct hg_locks *hg_locks_new(unsigned max, unsigned count, unsigned window_s, struct hash_key key);
void hg_locks_free(struct hg_locks *l);
/* Seconds until ip may try again (0: now). */
uint32_t hg_locks_wait(const struct hg_locks *l, const struct ipaddr *ip, int64_t now);
/* Records a failed login; returns the lock it started in seconds, or 0. */
uint32_t hg_locks_fail(struct hg_locks *l, const struct ipaddr *ip, int64_t now);
/* A successful login: forgets ip's failures. */
void hg_locks_ok(struct hg_locks *l, const struct ipaddr *ip);
/* Records evicted while live (counted for the metrics). */
uint64_t hg_locks_evicted(const struct hg_locks *l);

/* ---- blocked addresses ---- */

#define HG_BLOCKED_HOSTS (1u << 16)   /* host addresses at once */
#define HG_BLOCKED_PREFIXES 1024u     /* prefixes at once */

struct hg_blocked;
struct hg_blocked *hg_blocked_new(struct hash_key key);
void hg_blocked_free(struct hg_blocked *b);
/* Adds (on) or removes a host or prefix.  False when the table is full
 * (the entry is then not kept: the firewall alone covers it). */
bool hg_blocked_set(struct hg_blocked *b, const struct ipprefix *p, bool on);
bool hg_blocked_has(const struct hg_blocked *b, const struct ipaddr *a);
void hg_blocked_clear(struct hg_blocked *b);

#endif
