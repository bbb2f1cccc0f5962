/* txn: a bounded table of open SIP transactions, so that a response from
 * the protected server can be charged to the address that sent the request.
 * Fixed size, no allocation after creation; when a probe run is full, its
 * oldest answered entry is overwritten, else its oldest.  Answered entries
 * stay until stale, so retransmissions and repeated answers count once. */
#ifndef SW_TXN_H
#define SW_TXN_H

#include "atab.h"
#include "sip.h"

#define TXN_USER_LEN 40
#define TXN_UA_LEN 64
#define TXN_RURI_LEN 64

/* What the request's path proved (txn.trust bits). */
#define TXN_VERIFIED 1u     /* verified TCP, or credentials echoing a nonce sent to this address alone */
#define TXN_NONCE_ISSUED 2u /* the credentials carry a nonce the server sent (to this address, maybe others) */

struct txn {
	uint64_t h;              /* hash of Call-ID, CSeq and top Via branch; 0 = free */
	uint64_t ts_us;          /* when the request was seen */
	struct akey client;      /* who sent the request */
	uint8_t method;          /* enum sip_method */
	bool has_auth;           /* the request carried credentials */
	uint8_t trust;           /* TXN_* bits */
	char user[TXN_USER_LEN]; /* username tried (credentials, else To/R-URI user), raw bytes */
	char ua[TXN_UA_LEN];     /* User-Agent of the request, raw bytes: sanitise before use */
	char dest[TXN_USER_LEN]; /* INVITE: the Request-URI user (destination), raw bytes */
	char ruri[TXN_RURI_LEN]; /* the Request-URI (cut), raw bytes: evidence for notifications */
};

struct txtab;

/* cap is rounded up to a power of two; entries older than ttl_ms are stale. */
struct txtab *txn_new(uint32_t cap, uint32_t ttl_ms);
void txn_free(struct txtab *t);

/* Records request m from client; trust: TXN_* bits. */
void txn_put(struct txtab *t, const struct sip_msg *m, const struct akey *client, uint8_t trust, uint64_t ts_us);
/* Finds the request that response m, sent to address `to`, answers: a
 * server answers the address a request came from, so one sent elsewhere
 * (forged, seen on its way to the server host) answers nothing and leaves
 * the request open for the real answer.  A final response (>= 200) marks
 * it answered.  The returned entry is valid until the next txn_put.
 * Returns NULL when the request was not seen, is stale, or was answered
 * already: a retransmitted request (the same key and bytes) keeps that
 * mark, so its repeated answer counts once. */
const struct txn *txn_match(struct txtab *t, const struct sip_msg *m, const struct ipaddr *to, uint64_t ts_us);
/* How many final answers were ignored as repeats. */
uint64_t txn_repeats(const struct txtab *t);

#endif
