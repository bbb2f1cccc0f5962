/* detect: the detection rules.  Keeps bounded per-address counters in
 * sliding windows and reports observations; it never blocks anything itself
 * (that is verdict's job).
 *
 * Rules: bad_registration, bad_invite, enumeration (with NAT tolerance for
 * addresses that registered successfully in the last hour), scanner (blocked
 * User-Agents, first message), anomaly (malformed messages), flood,
 * toll_fraud (blocked destinations from unauthenticated addresses, and
 * sweeps of failed call destinations) and distributed_guessing (one
 * username failing from many addresses: an alert, then half thresholds on
 * that username for an hour).  Every observation says whether its evidence
 * is forgeable (a forged source address could have produced it) and, if so,
 * whether the address authenticated successfully in the last hour: the
 * trust model of docs/architecture.md. */
#ifndef SW_DETECT_H
#define SW_DETECT_H

#include "atab.h"
#include "config.h"
#include "event.h"
#include "sip.h"

enum obs_kind {
	OBS_FIRE,    /* a rule crossed its threshold: verdict decides */
	OBS_ANOMALY, /* a malformed message was seen: report it (rate-limited here) */
	OBS_ALERT,   /* worth telling, not blocking (distributed guessing) */
};

struct observation {
	enum obs_kind kind;
	enum detector det;
	struct akey key;
	uint64_t ts_us;
	uint32_t count, window_s;
	bool forgeable; /* the evidence needs no answer of the server to have
	                 * reached the address: a spoofer could have sent it */
	bool sheltered; /* forgeable, and the address authenticated successfully
	                 * in the last hour (shelter from forgeable evidence) */
	const char *reason;
	const struct evidence *ev; /* valid during the callback only */
};

typedef void (*det_observe_fn)(void *ctx, const struct observation *o);

struct det_stats {
	uint64_t requests, responses, matched, unmatched, anomalies;
	uint64_t repeats;  /* final answers ignored: retransmitted, or to a retransmission */
	uint64_t fired[DET__COUNT];
	uint64_t tracked, evicted;
};

struct detect;

/* cfg must outlive the detector (it is swapped with det_set_config). */
struct detect *det_new(const struct config *cfg, det_observe_fn fn, void *ctx);
void det_free(struct detect *d);
void det_set_config(struct detect *d, const struct config *cfg);

/* A request from client (key.inst is the instance it was sent to).
 * tcp_verified: it came over a TCP flow whose handshake the client
 * completed (decode.h): verified evidence.  So is a request whose
 * credentials echo a nonce the server sent to that address alone. */
void det_request(struct detect *d, const struct akey *client, const struct sip_msg *m, bool tcp_verified,
                 uint64_t ts_us);
/* A request to an address not yet known as a server (replay, inferring
 * the servers): nothing is judged but its answer, should that come from a
 * server. */
void det_pending(struct detect *d, const struct akey *client, const struct sip_msg *m, bool tcp_verified,
                 uint64_t ts_us);
/* A response from the protected server, sent to address `to`. */
void det_response(struct detect *d, const struct sip_msg *m, const struct ipaddr *to, uint64_t ts_us);
/* A message from client that is malformed: anomalies is a mask of
 * (1 << enum sip_anomaly); `what` names it for messages that are not SIP;
 * verified as det_request's tcp_verified. */
void det_anomaly(struct detect *d, const struct akey *client, uint32_t anomalies,
                 const char *what, bool verified, uint64_t ts_us);

void det_stats_get(const struct detect *d, struct det_stats *out);
/* True when the address authenticated successfully within the last hour (a
 * 2xx to a request whose credentials answer a challenge of the server):
 * shelter from forgeable evidence.  Talking to the server earns nothing. */
bool det_sheltered(struct detect *d, const struct akey *k, uint64_t ts_us);

#endif
