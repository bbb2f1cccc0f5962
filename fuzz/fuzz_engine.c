/* fuzz_engine: structure-aware libFuzzer harness for the whole engine
 * (decode -> sip/tftp/dns -> detect -> verdict), the entry replay uses
 * (eng_new, eng_start, eng_frame with raw IP frames).  The input is a
 * sequence of records, each a 4-byte header and a payload:
 *   byte 0: bits 0-2 the client (one of eight addresses, see clients[]),
 *           bit 3 direction (0 client to server, 1 server to client),
 *           bits 4-5 service (0, 1 SIP on 5060, 2 TFTP on 69, 3 DNS on 53),
 *           bits 6-7 transport (0 UDP, 1 TCP after a handshake the harness
 *           writes, 2 TCP picked up mid-stream, 3 TCP then FIN)
 *   byte 1: time step (below 250: that many 50 ms; 250-255: 1-6 minutes)
 *   bytes 2-3: payload length, big-endian (cut to what is left)
 * The harness writes the IPv4/IPv6 and UDP/TCP headers and keeps each TCP
 * flow's sequence numbers, so the payloads reach the parsers and rules.
 * The config has every detector on with low thresholds, a whitelisted
 * client, a peer and a blacklisted address.  Checked: no block of the
 * protected servers or of a whitelisted address, every event's JSON line
 * is printable UTF-8 without control bytes, the event counts agree with
 * the engine's and verdict's counters.  Any violation traps.
 * Seeds: fuzz/corpus/engine/ (fuzz/pcap2engine.py turns captures into
 * inputs); dictionary: fuzz/engine.dict. */
#include "cfg_int.h"
#include "config.h"
#include "engine.h"
#include "event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static const char *const clients[8] = {
	"203.0.113.5", "203.0.113.6", "198.51.100.7", "198.51.100.8",
	"2001:db8:1::5", "2001:db8:1::6", "203.0.113.200" /* whitelisted */, "203.0.113.201" /* peer */,
};
#define SERVER4 "198.51.100.1"
#define SERVER6 "2001:db8::1"
static const uint16_t service_port[4] = { 5060, 5060, 69, 53 };

struct flow {
	uint32_t cseq, sseq; /* next sequence number of client and server */
	bool open;
};

struct run {
	struct engine *e;
	struct ipaddr cl[8], srv4, srv6, wl;
	struct flow flows[8][4];
	uint64_t now;
	uint64_t frames;
	uint64_t n[EVT__COUNT];
	uint64_t blocks_active;
};

static struct config *make_config(void)
{
	struct config *c = cfg_defaults();
	REQUIRE(c);
	c->max_tracked = 1024;
	c->block_threshold = 2;
	c->aggregate_after = 2;
	REQUIRE(!cfg_parse_prefixes("203.0.113.200", &c->whitelist));
	REQUIRE(!cfg_parse_prefixes("203.0.113.202, 2001:db8:dead::/48", &c->blacklist));
	REQUIRE(!cfg_parse_prefixes("203.0.113.201", &c->peers));
	struct cfg_instance *in = &c->inst[0];
	REQUIRE(prefix_parse(&in->addrs[0], SERVER4) && prefix_parse(&in->addrs[1], SERVER6));
	in->n_addrs = 2;
	struct cfg_rules *r = &in->rules;
	r->bad_registrations = r->bad_invites = r->enumeration = r->invite_sweep = (struct cfg_rule){ 3, 60 };
	r->anomalies = (struct cfg_rule){ 2, 60 };
	r->flood = (struct cfg_rule){ 20, 10 };
	r->distributed_guessing = (struct cfg_rule){ 3, 600 };
	r->block_time_s = 120;
	strcpy(r->dests[r->n_dests++], "00*");
	strcpy(r->dests[r->n_dests++], "900");
	c->tftp.bad_requests = (struct cfg_rule){ 3, 60 };
	c->tftp.distinct_files = (struct cfg_rule){ 3, 600 };
	c->dns.any_queries = (struct cfg_rule){ 2, 60 };
	c->dns.queries = (struct cfg_rule){ 10, 10 };
	c->dns.refused = (struct cfg_rule){ 3, 60 };
	return c;
}

static void on_event(void *ctx, const struct event *ev)
{
	struct run *r = ctx;
	REQUIRE((unsigned)ev->type < EVT__COUNT && (unsigned)ev->det < DET__COUNT);
	r->n[ev->type]++;
	if (ev->type == EVT_BLOCK) {
		r->blocks_active++;
		REQUIRE(!prefix_contains(&ev->ip, &r->srv4) && !prefix_contains(&ev->ip, &r->srv6));
		REQUIRE(!(ev->ip.plen == 128 && ip_eq(&ev->ip.addr, &r->wl)));
	} else if (ev->type == EVT_UNBLOCK) {
		REQUIRE(r->blocks_active > 0);
		r->blocks_active--;
	}
	char line[16384];
	size_t n = evt_json(ev, line, sizeof line);
	REQUIRE(n < sizeof line && line[0] == '{');
	for (size_t i = 0; i < n; i++)
		REQUIRE((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
}

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Writes the IP header for src -> dst carrying l4len bytes of protocol
 * proto; returns its length. */
static size_t ip_header(uint8_t *f, const struct ipaddr *src, const struct ipaddr *dst, uint8_t proto,
                        size_t l4len)
{
	if (ip_is_v4(src)) {
		memset(f, 0, 20);
		f[0] = 0x45;
		put16(f + 2, (uint16_t)(20 + l4len));
		f[8] = 64;
		f[9] = proto;
		memcpy(f + 12, src->b + 12, 4);
		memcpy(f + 16, dst->b + 12, 4);
		return 20;
	}
	memset(f, 0, 40);
	f[0] = 0x60;
	put16(f + 4, (uint16_t)l4len);
	f[6] = proto;
	f[7] = 64;
	memcpy(f + 8, src->b, 16);
	memcpy(f + 24, dst->b, 16);
	return 40;
}

enum { TH_FIN = 1, TH_SYN = 2, TH_PSH = 8, TH_ACK = 16 };

struct seg {
	const struct ipaddr *src, *dst;
	uint16_t sport, dport;
	uint8_t proto, flags;
	uint32_t seq, ack;
	const uint8_t *data;
	size_t len;
};

static void send_seg(struct run *r, const struct seg *s)
{
	static uint8_t frame[40 + 20 + 65536];
	size_t l4 = (s->proto == 6 ? 20 : 8) + s->len;
	size_t h = ip_header(frame, s->src, s->dst, s->proto, l4);
	uint8_t *t = frame + h;
	put16(t, s->sport);
	put16(t + 2, s->dport);
	if (s->proto == 6) {
		memset(t + 4, 0, 16);
		put32(t + 4, s->seq);
		put32(t + 8, s->ack);
		t[12] = 5 << 4;
		t[13] = s->flags;
		put16(t + 14, 65535);
	} else {
		put16(t + 4, (uint16_t)l4);
		put16(t + 6, 0);
	}
	if (s->len)
		memcpy(t + (s->proto == 6 ? 20 : 8), s->data, s->len);
	r->frames++;
	eng_frame(r->e, DEC_LINK_RAW, frame, h + l4, r->now);
}

static void handshake(struct run *r, struct flow *fl, const struct seg *base)
{
	struct seg s = *base;
	s.len = 0;
	s.flags = TH_SYN;
	s.seq = fl->cseq++;
	s.ack = 0;
	send_seg(r, &s);
	struct seg a = { base->dst, base->src, base->dport, base->sport, 6, TH_SYN | TH_ACK,
	                 fl->sseq++, fl->cseq, NULL, 0 };
	send_seg(r, &a);
	s.flags = TH_ACK;
	s.seq = fl->cseq;
	s.ack = fl->sseq;
	send_seg(r, &s);
	fl->open = true;
}

static void record(struct run *r, uint8_t kind, const uint8_t *p, size_t len)
{
	unsigned ci = kind & 7, svc = (kind >> 4) & 3, tr = kind >> 6;
	bool from_server = kind & 8;
	const struct ipaddr *cl = &r->cl[ci];
	const struct ipaddr *sv = ip_is_v4(cl) ? &r->srv4 : &r->srv6;
	uint16_t cport = (uint16_t)(5060 + 2 * ci + (svc != 0 && svc != 1 ? 30000 : 0));
	/* TFTP answers come from the server's transfer port */
	uint16_t sport = svc == 2 && from_server ? 40000 : service_port[svc];
	struct seg s = { from_server ? sv : cl, from_server ? cl : sv, from_server ? sport : cport,
	                 from_server ? cport : sport, tr ? 6 : 17, TH_PSH | TH_ACK, 0, 0, p, len };
	if (!tr) {
		send_seg(r, &s);
		return;
	}
	struct flow *fl = &r->flows[ci][svc];
	if (!fl->open && tr != 2) {
		struct seg c = { cl, sv, cport, service_port[svc], 6, 0, 0, 0, NULL, 0 };
		handshake(r, fl, &c);
	}
	uint32_t *mine = from_server ? &fl->sseq : &fl->cseq;
	s.seq = *mine;
	s.ack = from_server ? fl->cseq : fl->sseq;
	if (tr == 3)
		s.flags |= TH_FIN;
	send_seg(r, &s);
	*mine += (uint32_t)len + (tr == 3);
	if (tr == 3)
		fl->open = false;
}

/* One engine for the whole process: building one costs about 150 ms under
 * ASan (the decoder's preallocated flow and fragment buffers), which would
 * leave a few runs a second.  Each input starts a day after the last one
 * ended, so windows, transactions, flows, fragments and temporary blocks of
 * earlier inputs have expired; only permanent blocks (blacklist, repeat
 * offenders) and the block history carry over, as in a long-running daemon.
 * The counters are checked as differences over each input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run *r;
	if (!r) {
		r = calloc(1, sizeof *r);
		REQUIRE(r);
		for (int i = 0; i < 8; i++)
			REQUIRE(ip_parse(&r->cl[i], clients[i]));
		REQUIRE(ip_parse(&r->srv4, SERVER4) && ip_parse(&r->srv6, SERVER6) &&
		        ip_parse(&r->wl, "203.0.113.200"));
		r->e = eng_new(make_config(), on_event, r);
		REQUIRE(r->e);
		r->now = 1700000000ull * 1000000;
		eng_start(r->e, r->now);
	}
	r->now += 86400ull * 1000000;
	eng_tick(r->e, r->now);
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4; k++)
			r->flows[i][k] = (struct flow){ 1000u * (unsigned)i, 0x80000000u + (unsigned)(i * 4 + k), false };
	struct eng_stats st0;
	eng_stats_get(r->e, &st0);
	uint64_t frames0 = r->frames;
	size_t i = 0;
	while (i + 4 <= size) {
		uint8_t kind = data[i], step = data[i + 1];
		size_t len = (size_t)data[i + 2] << 8 | data[i + 3];
		i += 4;
		if (len > size - i)
			len = size - i;
		if (len > 65000)
			len = 65000;
		r->now += step < 250 ? step * 50000ull : (step - 249) * 60000000ull;
		record(r, kind, data + i, len);
		i += len;
	}
	eng_tick(r->e, r->now + 1000000);

	struct eng_stats st;
	eng_stats_get(r->e, &st);
	REQUIRE(st.frames - st0.frames == r->frames - frames0);
	REQUIRE(st.requests + st.responses == st.sip_messages);
	REQUIRE(st.malformed <= st.sip_messages);
	for (int t = 0; t < EVT__COUNT; t++)
		REQUIRE(st.events[t] == r->n[t]);
	REQUIRE(st.vrd.blocks == r->n[EVT_BLOCK] && st.vrd.unblocks == r->n[EVT_UNBLOCK]);
	REQUIRE(st.vrd.alerts == r->n[EVT_ALERT] && st.vrd.anomalies == r->n[EVT_ANOMALY]);
	REQUIRE(st.vrd.active == st.vrd.blocks - st.vrd.unblocks && st.vrd.active == r->blocks_active);
	REQUIRE(st.vrd.permanent <= st.vrd.blocks);
	uint64_t by_det = 0;
	for (int d = 0; d < DET__COUNT; d++)
		by_det += st.vrd.by_det[d];
	REQUIRE(by_det == st.vrd.blocks);
	return 0;
}
