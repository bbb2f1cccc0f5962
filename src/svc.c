/* svc: TFTP and DNS rules.  TFTP answers come from the server's transfer
 * port, not port 69: a bounded table of open requests, keyed by the
 * client's address and port, charges them to the client that asked. */
#include "svc.h"
#include "dns.h"
#include "tftp.h"
#include "win.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSIONS 4096        /* open TFTP requests tracked */
#define SESSION_TTL_S 30
#define PROBE 8

/* Per address: the windows of every TFTP and DNS rule. */
struct svstate {
	struct akey key;
	struct win tftp_bad, dns_queries, dns_any, dns_refused;
	struct dset files;
};

/* An open TFTP request. */
struct session {
	uint64_t hash;               /* of client address and port; 0 = free */
	struct ipaddr client, server;
	uint16_t port;
	uint32_t inst, time_s;
	char file[64];
};

struct svc {
	const struct config *cfg;
	struct detect *det;
	det_observe_fn fn;
	void *ctx;
	struct atab *addrs;
	struct session *sessions;
	struct hash_key key;         /* of the sessions and the distinct sets */
	char reason[128];
	struct evidence ev;
};

struct svc *svc_new(const struct config *cfg, struct detect *det, det_observe_fn fn, void *ctx)
{
	struct svc *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	uint32_t cap = cfg->max_tracked / 16 < 4096 ? 4096 : cfg->max_tracked / 16;
	s->cfg = cfg;
	s->det = det;
	s->fn = fn;
	s->ctx = ctx;
	s->addrs = atab_new(cap, sizeof(struct svstate), NULL);
	s->sessions = calloc(SESSIONS, sizeof *s->sessions);
	s->key = hash_key_new();
	if (!s->addrs || !s->sessions) {
		svc_free(s);
		return NULL;
	}
	return s;
}

void svc_free(struct svc *s)
{
	if (!s)
		return;
	atab_free(s->addrs);
	free(s->sessions);
	free(s);
}

void svc_set_config(struct svc *s, const struct config *cfg)
{
	s->cfg = cfg;
}

static struct svstate *state(struct svc *s, const struct ipaddr *ip, uint32_t inst)
{
	struct akey k = { *ip, inst };
	bool created;
	return atab_get(s->addrs, &k, &created);
}

static void fire(struct svc *s, enum detector det, const struct ipaddr *ip, uint32_t inst, uint64_t ts_us,
                 uint32_t count, uint32_t window_s, bool forgeable)
{
	struct akey k = { *ip, inst };
	struct observation o = {
		.kind = OBS_FIRE, .det = det, .key = k, .ts_us = ts_us, .count = count, .window_s = window_s,
		.forgeable = forgeable, .sheltered = forgeable && det_sheltered(s->det, &k, ts_us),
		.reason = s->reason, .ev = &s->ev,
	};
	s->fn(s->ctx, &o);
}

/* Counts one event in w; fires at the rule's threshold. */
static void count(struct svc *s, struct win *w, const struct cfg_rule *r, enum detector det,
                  const struct ipaddr *ip, uint32_t inst, uint64_t ts_us, bool forgeable, const char *what)
{
	if (!r->count)
		return;
	uint32_t n = win_add(w, r->window_s, ts_us);
	if (n < r->count)
		return;
	win_reset(w);
	snprintf(s->reason, sizeof s->reason, "%u %s in %u s", n, what, r->window_s);
	fire(s, det, ip, inst, ts_us, n, r->window_s, forgeable);
}

/* ---- TFTP ---- */

static uint64_t session_hash(const struct svc *s, const struct ipaddr *ip, uint16_t port)
{
	uint8_t k[18];
	memcpy(k, ip->b, 16);
	k[16] = (uint8_t)(port >> 8);
	k[17] = (uint8_t)port;
	return hash_bytes(k, sizeof k, s->key) | 1;
}

static struct session *session_find(struct svc *s, const struct ipaddr *ip, uint16_t port, bool create,
                                    uint32_t now_s)
{
	uint64_t h = session_hash(s, ip, port);
	struct session *victim = NULL;
	bool victim_live = true;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct session *e = &s->sessions[(h + i) & (SESSIONS - 1)];
		bool live = e->hash && now_s - e->time_s <= SESSION_TTL_S;
		if (live && e->hash == h && e->port == port && ip_eq(&e->client, ip))
			return e;
		/* a free or expired slot first, else the oldest of the run */
		if (!victim || (!live && victim_live) || (live == victim_live && e->time_s < victim->time_s)) {
			victim = e;
			victim_live = live;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	victim->hash = h;
	return victim;
}

void svc_tftp_request(struct svc *s, const struct packet *p, uint32_t inst)
{
	const struct cfg_tftp *t = &s->cfg->tftp;
	struct tftp_msg m;
	struct akey client = { p->src, inst };
	if (tftp_parse(p->data, p->len, &m) < 0 || m.anomalies) {
		const char *what = "tftp_bad_opcode";
		char buf[40];
		for (int i = 0; i < TFTP_A__COUNT; i++)
			if (m.anomalies & (1u << i)) {
				snprintf(buf, sizeof buf, "tftp_%s", tftp_anomaly_name((enum tftp_anomaly)i));
				what = buf;
				break;
			}
		det_anomaly(s->det, &client, 0, what, p->tcp_verified, p->ts_us);
	}
	if (m.op != TFTP_RRQ && m.op != TFTP_WRQ)
		return;
	uint32_t now_s = (uint32_t)(p->ts_us / 1000000);
	char file[64];
	slice_copy(file, sizeof file, m.filename);
	struct session *e = session_find(s, &p->src, p->sport, true, now_s);
	e->client = p->src;
	e->server = p->dst;
	e->port = p->sport;
	e->inst = inst;
	e->time_s = now_s;
	memcpy(e->file, file, sizeof file);
	memset(&s->ev, 0, sizeof s->ev);
	evd_add_user(&s->ev, m.filename);
	if (m.op == TFTP_WRQ && !t->allow_write) {
		snprintf(s->reason, sizeof s->reason, "TFTP upload (WRQ) of \"%s\"", file);
		fire(s, DET_TFTP_BRUTEFORCE, &p->src, inst, p->ts_us, 1, 0, true);
		return;
	}
	struct svstate *st = state(s, &p->src, inst);
	if (!st || !t->distinct_files.count)
		return;
	uint32_t n = dset_add(&st->files, s->key, file, t->distinct_files.window_s, p->ts_us);
	if (n >= t->distinct_files.count) {
		st->files.n = 0;
		snprintf(s->reason, sizeof s->reason, "%u distinct TFTP files requested in %u s", n,
		         t->distinct_files.window_s);
		fire(s, DET_TFTP_BRUTEFORCE, &p->src, inst, p->ts_us, n, t->distinct_files.window_s, true);
	}
}

bool svc_tftp_answer(struct svc *s, const struct packet *p)
{
	if (p->len < 4 || p->data[0] != 0 || (p->data[1] != TFTP_DATA && p->data[1] != TFTP_ERROR &&
	                                        p->data[1] != TFTP_OACK))
		return false;
	uint32_t now_s = (uint32_t)(p->ts_us / 1000000);
	struct session *e = session_find(s, &p->dst, p->dport, false, now_s);
	if (!e || !ip_eq(&e->server, &p->src))
		return false; /* not from the server that was asked */
	struct tftp_msg m;
	tftp_parse(p->data, p->len, &m);
	struct ipaddr client = e->client;
	uint32_t inst = e->inst;
	char file[64];
	memcpy(file, e->file, sizeof file);
	e->hash = 0; /* the request is answered */
	if (m.op != TFTP_ERROR || (m.error_code != 1 && m.error_code != 2))
		return true;
	struct svstate *st = state(s, &client, inst);
	memset(&s->ev, 0, sizeof s->ev);
	evd_add_user(&s->ev, (struct slice){ file, strlen(file) });
	evd_add_code(&s->ev, m.error_code);
	if (st)
		count(s, &st->tftp_bad, &s->cfg->tftp.bad_requests, DET_TFTP_BRUTEFORCE, &client, inst, p->ts_us,
		      false, "failed TFTP requests");
	return true;
}

/* ---- DNS ---- */

static bool fingerprint(const struct dns_msg *m)
{
	static const char *const names[] = { "version.bind", "hostname.bind", "id.server", "version.server",
	                                     "authors.bind" };
	if (m->qclass != DNS_CLASS_CH)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (!strcmp(m->qname, names[i]))
			return true;
	return false;
}

static void dns_query(struct svc *s, const struct packet *p, const struct dns_msg *m, uint32_t inst)
{
	const struct cfg_dns *c = &s->cfg->dns;
	/* one message over a verified TCP flow is verified evidence; the
	 * counts mix UDP and TCP queries in one window, so they stay forgeable */
	bool forgeable = !p->tcp_verified;
	memset(&s->ev, 0, sizeof s->ev);
	evd_add_user(&s->ev, (struct slice){ m->qname, strlen(m->qname) });
	if (c->block_zone_transfer && (m->qtype == DNS_TYPE_AXFR || m->qtype == DNS_TYPE_IXFR)) {
		snprintf(s->reason, sizeof s->reason, "zone transfer (%s) of \"%.60s\"",
		         m->qtype == DNS_TYPE_AXFR ? "AXFR" : "IXFR", m->qname);
		fire(s, DET_DNS_ABUSE, &p->src, inst, p->ts_us, 1, 0, forgeable);
		return;
	}
	if (c->block_fingerprinting && fingerprint(m)) {
		snprintf(s->reason, sizeof s->reason, "server fingerprinting (CHAOS %.60s)", m->qname);
		fire(s, DET_DNS_ABUSE, &p->src, inst, p->ts_us, 1, 0, forgeable);
		return;
	}
	struct svstate *st = state(s, &p->src, inst);
	if (!st)
		return;
	if (m->qtype == DNS_TYPE_ANY)
		count(s, &st->dns_any, &c->any_queries, DET_DNS_ABUSE, &p->src, inst, p->ts_us, true, "ANY queries");
	count(s, &st->dns_queries, &c->queries, DET_DNS_ABUSE, &p->src, inst, p->ts_us, true, "DNS queries");
}

void svc_dns(struct svc *s, const struct packet *p, const uint8_t *msg, size_t len, bool to_server,
             uint32_t inst)
{
	struct dns_msg m;
	int rc = dns_parse(msg, len, &m);
	if (to_server && (rc < 0 || m.anomalies)) {
		struct akey client = { p->src, inst };
		const char *what = "dns_short";
		char buf[40];
		for (int i = 0; i < DNS_A__COUNT; i++)
			if (m.anomalies & (1u << i)) {
				snprintf(buf, sizeof buf, "dns_%s", dns_anomaly_name((enum dns_anomaly)i));
				what = buf;
				break;
			}
		det_anomaly(s->det, &client, 0, what, p->tcp_verified, p->ts_us);
	}
	if (rc < 0)
		return;
	if (to_server && !m.qr) {
		dns_query(s, p, &m, inst);
	} else if (!to_server && m.qr && (m.rcode == DNS_RCODE_REFUSED || m.rcode == DNS_RCODE_NXDOMAIN)) {
		struct svstate *st = state(s, &p->dst, inst);
		memset(&s->ev, 0, sizeof s->ev);
		evd_add_user(&s->ev, (struct slice){ m.qname, strlen(m.qname) });
		evd_add_code(&s->ev, m.rcode);
		if (st)
			count(s, &st->dns_refused, &s->cfg->dns.refused, DET_DNS_ABUSE, &p->dst, inst, p->ts_us, false,
			      "REFUSED or NXDOMAIN answers");
	}
}
