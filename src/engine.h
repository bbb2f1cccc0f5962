/* engine: the pipeline of one sipwarden process, from frames to events:
 * decode -> sip -> detect -> verdict.  The same engine serves replay (packet
 * time is the clock) and live capture (wall clock). */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include "config.h"
#include "decode.h"
#include "detect.h"
#include "sip.h"
#include "verdict.h"

struct eng_stats {
	uint64_t frames, payloads, sip_messages, requests, responses;
	uint64_t keepalives, not_sip, malformed, tcp_unframed;
	uint64_t tftp, dns;       /* TFTP and DNS messages inspected */
	uint64_t spoofed_own;     /* packets from the host's own address that arrived
	                           * from outside (forged on the link): ignored */
	uint64_t anomaly_reasons[SIP_A__COUNT];
	uint64_t by_method[SIP_M__COUNT]; /* requests per method */
	uint64_t events[EVT__COUNT];
	struct dec_stats dec;
	struct det_stats det;
	struct vrd_stats vrd;
};

struct engine;

/* The protected servers inferred in replay when the config names none (no
 * [instance] address, no --server): an address that sent a challenge
 * (401/407) or a final answer to a REGISTER. */
#define ENG_MAX_SERVERS 16
#define ENG_SRV_CHALLENGE 1u /* sent a 401 or 407 */
#define ENG_SRV_REGISTER 2u  /* answered a REGISTER */
struct eng_servers {
	bool inferring;    /* the config names no server: inference is on */
	bool overflow;     /* more than ENG_MAX_SERVERS: every address is taken as a server */
	unsigned n;
	struct ipaddr ip[ENG_MAX_SERVERS];
	uint8_t why[ENG_MAX_SERVERS]; /* ENG_SRV_* bits */
};

/* Builds the pipeline for cfg (which must outlive the engine); events go to
 * fn.  Returns NULL on allocation failure. */
struct engine *eng_new(const struct config *cfg, vrd_event_fn fn, void *ctx);
void eng_free(struct engine *e);

/* Sets the clock and emits the start-up events (blacklist blocks). */
void eng_start(struct engine *e, uint64_t now_us);
/* One captured frame of link type `link` (DEC_LINK_*). Drives the clock. */
void eng_frame(struct engine *e, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us);
/* Advances the clock without a packet (unblocks, expiry). */
void eng_tick(struct engine *e, uint64_t now_us);

void eng_stats_get(const struct engine *e, struct eng_stats *out);
/* The servers inferred so far (see struct eng_servers). */
void eng_servers_get(const struct engine *e, struct eng_servers *out);

/* Switches to a new config (same max_tracked; cfg must outlive the engine)
 * and applies its lists at once. */
void eng_set_config(struct engine *e, const struct config *cfg);
/* The verdict stage, for manual blocks and restores by the daemon. */
struct verdict *eng_verdict(struct engine *e);
/* Fills an 8192-byte map with every port inspected: the SIP ports of all
 * instances, and the TFTP and DNS ports when those are enabled. */
void engine_ports(const struct config *cfg, uint8_t map[8192]);
/* The engine's clock: the newest packet or tick time seen. */
uint64_t eng_now(const struct engine *e);

#endif
