/* util: small shared types and helpers: slices, IP addresses and prefixes,
 * keyed hashing, time formatting.  No allocation, no I/O (but the random
 * key of hash_key_new()). */
#ifndef SW_UTIL_H
#define SW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A view into someone else's buffer (normally the packet); dies with it. */
struct slice {
	const char *p;
	size_t len;
};

#define SLICE_NULL ((struct slice){ NULL, 0 })
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An IPv4 or IPv6 address, always 16 bytes: IPv4 is stored v4-mapped
 * (::ffff:a.b.c.d), so one key type serves both families. */
struct ipaddr {
	uint8_t b[16];
};

/* An address prefix (CIDR). plen counts bits of the 16-byte form, so an IPv4
 * /24 has plen 96 + 24. */
struct ipprefix {
	struct ipaddr addr;
	uint8_t plen;
};

#define IP_STRLEN 64 /* enough for an IPv6 address with a /128 suffix */

bool slice_eq(struct slice s, const char *lit);             /* exact */
bool slice_ieq(struct slice s, const char *lit);            /* ASCII case-insensitive */
bool slice_icontains(struct slice hay, const char *needle); /* ASCII case-insensitive substring */
/* Copies s into dst (size n > 0, always NUL-terminated) in text_safe's plain
 * form (valid UTF-8, controls and bidi characters escaped visibly), cut
 * between whole characters.  The one way packet bytes become owned
 * evidence.  Returns dst. */
char *slice_copy(char *dst, size_t n, struct slice s);

void ip_from_v4(struct ipaddr *a, const uint8_t v4[4]);
void ip_from_v6(struct ipaddr *a, const uint8_t v6[16]);
bool ip_is_v4(const struct ipaddr *a);
static inline bool ip_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}
/* Parses "198.51.100.1" or "2001:db8::1".  Returns true on success. */
bool ip_parse(struct ipaddr *a, const char *s);
/* Parses an address or CIDR ("198.51.100.0/24", "2001:db8::/32"); a plain
 * address becomes a host prefix.  Host bits must be zero.  Returns true on success. */
bool prefix_parse(struct ipprefix *p, const char *s);
bool prefix_contains(const struct ipprefix *p, const struct ipaddr *a);
/* Formats an address in its usual text form; returns buf (IP_STRLEN bytes). */
char *ip_format(const struct ipaddr *a, char *buf);
/* Formats a prefix; a host prefix prints as the plain address. */
char *prefix_format(const struct ipprefix *p, char *buf);

/* The secret key of a hash table.  Every table keyed by what an attacker
 * chooses (addresses, Call-IDs, usernames) has its own, so that nobody can
 * work out offline which keys share a bucket. */
struct hash_key {
	uint64_t k0, k1;
};

/* A fresh random key (getrandom).  With SIPWARDEN_HASH_SEED=N in the
 * environment, a fixed key derived from N instead, the same for every
 * table: for tests and for replays that must evict in the same order. */
struct hash_key hash_key_new(void);
/* SipHash-1-3 of n bytes under key k: a keyed hash that an attacker who
 * does not know k cannot make collide, whatever the input. */
uint64_t hash_bytes(const void *p, size_t n, struct hash_key k);
/* SipHash-1-3 under key k of n slices, each followed by its length, so
 * that no two different lists (bytes moved from one slice to the next)
 * hash the same input. */
uint64_t hash_slices(const struct slice *v, size_t n, struct hash_key k);

/* Formats microseconds since the epoch as "2026-11-27T08:00:00.123Z" into
 * buf (at least 32 bytes).  Returns buf. */
char *time_format_iso(uint64_t ts_us, char *buf);
/* Reads "2026-11-27T08:00:00Z" (the Z and fractions of a second optional,
 * UTC) into microseconds; false when s is not such a time. */
bool time_parse_iso(const char *s, uint64_t *ts_us);

#endif
