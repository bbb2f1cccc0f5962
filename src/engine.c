/* engine: glue between the pipeline stages; the per-packet path allocates
 * nothing and makes no system calls. */
#include "engine.h"
#include "dns.h"
#include "svc.h"

#include <stdlib.h>
#include <string.h>

#define EXPIRE_EVERY_US 1000000

struct engine {
	const struct config *cfg;
	vrd_event_fn fn;
	void *ctx;
	struct dec *dec;
	struct detect *det;
	struct svc *svc;
	struct verdict *vrd;
	uint8_t ports[8192];
	uint64_t now_us, last_expire_us;
	struct eng_stats st;
	struct eng_servers srv; /* inferred protected servers (replay) */
	struct sip_msg msg; /* scratch, reused for every message */
};

/* True when the config names the protected servers: instance addresses,
 * or the host's own (the daemon; replay's --server). */
static bool servers_named(const struct config *c)
{
	bool named = c->own.n > 0;
	for (unsigned i = 0; i < c->n_inst && !named; i++)
		named = c->inst[i].n_addrs > 0;
	return named;
}

/* A protected server: one the config names; else (replay) one inferred
 * from what it sent, every address until one is (or when too many are). */
static bool is_server(const struct engine *e, const struct ipaddr *a)
{
	if (!e->srv.inferring)
		return cfg_is_protected(e->cfg, a);
	if (e->srv.n == 0 || e->srv.overflow)
		return true;
	for (unsigned i = 0; i < e->srv.n; i++)
		if (ip_eq(&e->srv.ip[i], a))
			return true;
	return false;
}

/* Response m from `from`: a challenge or an answer to a REGISTER is what a
 * server sends.  Bounded: past ENG_MAX_SERVERS inference gives up (stated
 * in the summary) and every address counts as a server again. */
static void learn_server(struct engine *e, const struct sip_msg *m, const struct ipaddr *from)
{
	uint8_t why = (m->status == 401 || m->status == 407 ? ENG_SRV_CHALLENGE : 0) |
	              (m->cseq_method == SIP_M_REGISTER && m->status >= 200 ? ENG_SRV_REGISTER : 0);
	if (!why || !e->srv.inferring || e->srv.overflow)
		return;
	for (unsigned i = 0; i < e->srv.n; i++)
		if (ip_eq(&e->srv.ip[i], from)) {
			e->srv.why[i] |= why;
			return;
		}
	if (e->srv.n == ENG_MAX_SERVERS) {
		e->srv.overflow = true;
		return;
	}
	e->srv.ip[e->srv.n] = *from;
	e->srv.why[e->srv.n++] = why;
}

static void on_event(void *ctx, const struct event *ev)
{
	struct engine *e = ctx;
	e->st.events[ev->type]++;
	e->fn(e->ctx, ev);
}

static void on_observation(void *ctx, const struct observation *o)
{
	vrd_observe(((struct engine *)ctx)->vrd, o);
}

/* A keep-alive that is not SIP: CRLFs (RFC 5626) or a STUN message. */
static bool is_keepalive(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i == n)
		return true;
	return n >= 20 && p[0] < 2 && p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xa4 && p[7] == 0x42;
}

/* Where a payload may belong: the instance protecting its destination and
 * the one protecting its source (-1 when none).  When both ports are SIP
 * ports (5060 to 5060), the message type decides the direction. */
struct flow_side {
	int inst_dst, inst_src;
};

/* One SIP message: requests to a protected server are charged to their
 * sender; responses from it are matched to requests.  Requests from the
 * server (qualify pings, NOTIFY) and the phones' responses to them are not
 * attacks. */
static void on_message(struct engine *e, const struct packet *p, const uint8_t *buf, size_t len,
                       bool stream, const struct flow_side *fs)
{
	struct sip_msg *m = &e->msg;
	struct akey client = { p->src, (uint32_t)fs->inst_dst };
	/* responses are only matched to requests, never judged: parse less */
	bool response = len >= 4 && !memcmp(buf, "SIP/", 4);
	int rc = response ? sip_parse_light((const char *)buf, len, stream, m)
	                  : sip_parse((const char *)buf, len, stream, m);
	if (rc < 0) {
		e->st.not_sip++;
		if (fs->inst_dst >= 0)
			det_anomaly(e->det, &client, m->anomalies, NULL, p->tcp_verified, p->ts_us);
		return;
	}
	e->st.sip_messages++;
	if (m->anomalies) {
		e->st.malformed++;
		for (int i = 0; i < SIP_A__COUNT; i++)
			if (m->anomalies & (1u << i))
				e->st.anomaly_reasons[i]++;
	}
	if (!m->is_request) {
		e->st.responses++;
		learn_server(e, m, &p->src);
		if (fs->inst_src >= 0 && is_server(e, &p->src))
			det_response(e->det, m, &p->dst, p->ts_us);
		return;
	}
	e->st.requests++;
	e->st.by_method[m->method < SIP_M__COUNT ? m->method : SIP_M_OTHER]++;
	if (fs->inst_dst < 0)
		return;
	/* only requests to a protected server are evidence: not the server's
	 * own (a PBX ringing its phones, calling out to a trunk).  While
	 * inferring, one to an address not yet known may be to a server whose
	 * answer will tell: its answer alone is judged, if a server sends it */
	if (!is_server(e, &p->dst)) {
		if (e->srv.inferring)
			det_pending(e->det, &client, m, p->tcp_verified, p->ts_us);
		return;
	}
	if (m->anomalies)
		det_anomaly(e->det, &client, m->anomalies, NULL, p->tcp_verified, p->ts_us);
	det_request(e->det, &client, m, p->tcp_verified, p->ts_us);
}

/* TCP: frame messages by Content-Length; returns the bytes consumed. */
static size_t on_stream(struct engine *e, const struct packet *p, const struct flow_side *fs)
{
	size_t used = 0;
	while (used < p->len) {
		const char *b = (const char *)p->data + used;
		size_t left = p->len - used;
		size_t ws = sip_frame_skip_ws(b, left);
		if (ws) {
			used += ws;
			continue;
		}
		long n = sip_frame(b, left);
		if (n == 0)
			break;
		if (n < 0) {
			e->st.tcp_unframed++;
			on_message(e, p, (const uint8_t *)b, left, true, fs);
			return p->len; /* cannot find message boundaries: skip what we have */
		}
		on_message(e, p, (const uint8_t *)b, (size_t)n, true, fs);
		used += (size_t)n;
	}
	return used;
}

/* The instance whose addresses hold addr (any port), else the first: TFTP
 * and DNS protect the host. */
static uint32_t inst_by_addr(const struct config *c, const struct ipaddr *addr)
{
	for (unsigned i = 0; i < c->n_inst; i++) {
		if (c->inst[i].n_addrs == 0)
			return i;
		for (unsigned k = 0; k < c->inst[i].n_addrs; k++)
			if (prefix_contains(&c->inst[i].addrs[k], addr))
				return i;
	}
	return 0;
}

/* DNS over UDP or TCP (2-byte length framing); returns the bytes consumed. */
static size_t on_dns(struct engine *e, const struct packet *p, bool to_server)
{
	uint32_t inst = inst_by_addr(e->cfg, to_server ? &p->dst : &p->src);
	e->st.dns++;
	if (p->proto == 17) {
		svc_dns(e->svc, p, p->data, p->len, to_server, inst);
		return p->len;
	}
	size_t used = 0, n;
	while ((n = dns_frame(p->data + used, p->len - used)) > 0) {
		svc_dns(e->svc, p, p->data + used + 2, n - 2, to_server, inst);
		used += n;
	}
	return used;
}

/* TFTP requests and the answers to them; false when p is neither. */
static bool on_tftp(struct engine *e, const struct packet *p)
{
	if (p->proto != 17 || !e->cfg->tftp.enabled)
		return false;
	if (cfg_port_test(e->cfg->tftp.ports, p->dport)) {
		if (!cfg_is_protected(e->cfg, &p->dst))
			return true; /* the host fetching from another TFTP server */
		e->st.tftp++;
		svc_tftp_request(e->svc, p, inst_by_addr(e->cfg, &p->dst));
		return true;
	}
	if (svc_tftp_answer(e->svc, p)) {
		e->st.tftp++;
		return true;
	}
	return false;
}

static size_t on_packet(void *ctx, const struct packet *p)
{
	struct engine *e = ctx;
	/* the host's own address on a packet that arrived from outside: forged
	 * (by a host on the same link), so no "server answer" of it counts */
	if (p->dir == DEC_DIR_IN && cfg_prefixes_match(&e->cfg->own, &p->src)) {
		e->st.spoofed_own++;
		return p->len;
	}
	if (e->cfg->dns.enabled) {
		/* only DNS of the protected host: not its own look-ups elsewhere */
		if (cfg_port_test(e->cfg->dns.ports, p->dport))
			return cfg_is_protected(e->cfg, &p->dst) ? on_dns(e, p, true) : p->len;
		if (cfg_port_test(e->cfg->dns.ports, p->sport))
			return cfg_is_protected(e->cfg, &p->src) ? on_dns(e, p, false) : p->len;
	}
	if (on_tftp(e, p))
		return p->len;
	if (p->proto == 6 ? !e->cfg->tcp : !e->cfg->udp)
		return p->len; /* a SIP transport not watched (protocols =) */
	struct flow_side fs = {
		cfg_instance_for(e->cfg, &p->dst, p->dport),
		cfg_instance_for(e->cfg, &p->src, p->sport),
	};
	if (fs.inst_dst < 0 && fs.inst_src < 0)
		return p->len;
	e->st.payloads++;
	if (p->proto == 6)
		return on_stream(e, p, &fs);
	if (is_keepalive(p->data, p->len)) {
		e->st.keepalives++;
		return p->len;
	}
	on_message(e, p, p->data, p->len, false, &fs);
	return p->len;
}

static void on_dec_anomaly(void *ctx, uint64_t ts_us, const struct ipaddr *src, enum dec_anomaly what)
{
	struct engine *e = ctx;
	/* a frame cut short by the capture's snaplen is our problem, not the sender's */
	if (!src || what == DEC_A_TRUNCATED)
		return;
	struct akey k = { *src, 0 };
	det_anomaly(e->det, &k, 0, dec_anomaly_name(what), false, ts_us);
}

void engine_ports(const struct config *cfg, uint8_t map[8192])
{
	cfg_port_union(cfg, map);
	for (int b = 0; b < 8192; b++)
		map[b] |= (cfg->tftp.enabled ? cfg->tftp.ports[b] : 0) | (cfg->dns.enabled ? cfg->dns.ports[b] : 0);
}

struct engine *eng_new(const struct config *cfg, vrd_event_fn fn, void *ctx)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->cfg = cfg;
	e->fn = fn;
	e->ctx = ctx;
	e->srv.inferring = !servers_named(cfg);
	engine_ports(cfg, e->ports);
	struct dec_config dc = { .port_map = e->ports, .udp_all = cfg->tftp.enabled };
	struct dec_callbacks cb = { .deliver = on_packet, .anomaly = on_dec_anomaly, .ctx = e };
	e->dec = dec_new(&dc, &cb);
	if (e->dec)
		dec_set_own_macs(e->dec, cfg->own_mac, cfg->n_own_mac);
	e->det = det_new(cfg, on_observation, e);
	e->svc = e->det ? svc_new(cfg, e->det, on_observation, e) : NULL;
	e->vrd = vrd_new(cfg, on_event, e);
	if (!e->dec || !e->det || !e->svc || !e->vrd) {
		eng_free(e);
		return NULL;
	}
	return e;
}

void eng_free(struct engine *e)
{
	if (!e)
		return;
	dec_free(e->dec);
	svc_free(e->svc);
	det_free(e->det);
	vrd_free(e->vrd);
	free(e);
}

void eng_start(struct engine *e, uint64_t now_us)
{
	e->now_us = e->last_expire_us = now_us;
	vrd_sync_lists(e->vrd, now_us);
}

void eng_tick(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
	vrd_tick(e->vrd, e->now_us);
	if (e->now_us - e->last_expire_us >= EXPIRE_EVERY_US) {
		dec_expire(e->dec, e->now_us);
		e->last_expire_us = e->now_us;
	}
}

void eng_frame(struct engine *e, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	e->st.frames++;
	eng_tick(e, ts_us);
	dec_frame(e->dec, link, frame, caplen, ts_us);
}

void eng_stats_get(const struct engine *e, struct eng_stats *out)
{
	*out = e->st;
	dec_stats_get(e->dec, &out->dec);
	det_stats_get(e->det, &out->det);
	vrd_stats_get(e->vrd, &out->vrd);
}

struct verdict *eng_verdict(struct engine *e)
{
	return e->vrd;
}

uint64_t eng_now(const struct engine *e)
{
	return e->now_us;
}

void eng_servers_get(const struct engine *e, struct eng_servers *out)
{
	*out = e->srv;
}

void eng_set_config(struct engine *e, const struct config *cfg)
{
	e->cfg = cfg;
	e->srv.inferring = !servers_named(cfg);
	engine_ports(cfg, e->ports); /* the decoder reads the map live */
	dec_set_own_macs(e->dec, cfg->own_mac, cfg->n_own_mac);
	det_set_config(e->det, cfg);
	svc_set_config(e->svc, cfg);
	vrd_set_config(e->vrd, cfg);
	vrd_sync_lists(e->vrd, e->now_us);
}
