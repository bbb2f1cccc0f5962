/* detect: per-address sliding-window counters and the SIP rules. */
#include "detect.h"
#include "txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_SLOTS 8
#define NAT_MEMORY_S 3600   /* a successful REGISTER earns NAT tolerance for an hour */
#define ANOMALY_LINES 10    /* anomaly event lines per address per minute */
#define USER_SET 128        /* distinct usernames remembered per suspect */
#define TXN_CAP 65536
#define TXN_TTL_MS 64000    /* 64 * T1: a transaction cannot live longer */

/* Events counted in a sliding window of WIN_SLOTS slots.  The sum covers
 * between 7/8 of the window and the whole window, so a count never includes
 * an event older than the window. */
struct win {
	uint64_t last;              /* slot number of the newest slot */
	uint16_t slot[WIN_SLOTS];
};

/* State for every address seen (kept small: there may be a million). */
struct dstate {
	struct akey key;
	uint32_t last_ok_s;         /* last successful REGISTER, packet-time seconds */
	struct win flood, anom, anom_lines;
};

/* State for addresses that failed something: counters and evidence. */
struct suspect {
	struct akey key;
	struct win badreg, badinv;
	uint32_t n_uh;              /* entries used in uh[] */
	struct { uint32_t hash, time_s; } uh[USER_SET];
	struct evidence ev;
};

/* Which lowercased 4-byte prefixes of blocked agents exist, hashed into a
 * bitmap, per instance: a User-Agent with none of them at any position
 * cannot match (one pass; no per-agent search for ordinary phones). */
struct agent_filter {
	uint8_t gram[65536 / 8];
	bool has_short;           /* an agent under 4 characters: always search */
};

struct detect {
	const struct config *cfg;
	struct agent_filter *filters; /* one per instance */
	det_observe_fn fn;
	void *ctx;
	struct atab *addrs, *suspects;
	struct txtab *txns;
	struct det_stats st;
	char reason[128];
	struct evidence scratch;
};

static void build_filters(struct detect *d);

static uint32_t win_add(struct win *w, uint32_t window_s, uint64_t ts_us)
{
	uint64_t slot_us = (uint64_t)window_s * 1000000 / WIN_SLOTS;
	uint64_t cur = ts_us / (slot_us ? slot_us : 1);
	if (cur > w->last) {
		if (cur - w->last >= WIN_SLOTS)
			memset(w->slot, 0, sizeof w->slot);
		else
			for (uint64_t s = w->last + 1; s <= cur; s++)
				w->slot[s % WIN_SLOTS] = 0;
		w->last = cur;
	}
	/* an event older than the newest slot (reordered capture) counts there */
	uint16_t *c = &w->slot[w->last % WIN_SLOTS];
	if (*c < UINT16_MAX)
		(*c)++;
	uint32_t sum = 0;
	for (int i = 0; i < WIN_SLOTS; i++)
		sum += w->slot[i];
	return sum;
}

static void win_reset(struct win *w)
{
	memset(w->slot, 0, sizeof w->slot);
}

struct detect *det_new(const struct config *cfg, det_observe_fn fn, void *ctx)
{
	struct detect *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	uint32_t nsusp = cfg->max_tracked / 64;
	if (nsusp < 4096)
		nsusp = 4096;
	d->cfg = cfg;
	d->fn = fn;
	d->ctx = ctx;
	d->addrs = atab_new(cfg->max_tracked, sizeof(struct dstate), NULL);
	d->suspects = atab_new(nsusp, sizeof(struct suspect), NULL);
	d->txns = txn_new(TXN_CAP, TXN_TTL_MS);
	d->filters = malloc(CFG_MAX_INSTANCES * sizeof *d->filters);
	if (!d->addrs || !d->suspects || !d->txns || !d->filters) {
		det_free(d);
		return NULL;
	}
	build_filters(d);
	return d;
}

void det_free(struct detect *d)
{
	if (!d)
		return;
	atab_free(d->addrs);
	atab_free(d->suspects);
	txn_free(d->txns);
	free(d->filters);
	free(d);
}

static inline unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* 16-bit hash of 4 bytes, lowercased. */
static inline unsigned gram_hash(const char *p)
{
	uint32_t w = (uint32_t)lc((unsigned char)p[0]) | (uint32_t)lc((unsigned char)p[1]) << 8 |
	             (uint32_t)lc((unsigned char)p[2]) << 16 | (uint32_t)lc((unsigned char)p[3]) << 24;
	return (w * 2654435761u) >> 16;
}

static void build_filters(struct detect *d)
{
	memset(d->filters, 0, CFG_MAX_INSTANCES * sizeof *d->filters);
	for (unsigned i = 0; i < d->cfg->n_inst; i++) {
		const struct cfg_rules *r = &d->cfg->inst[i].rules;
		struct agent_filter *f = &d->filters[i];
		for (unsigned k = 0; k < r->n_agents; k++) {
			const char *a = r->agents[k];
			if (strlen(a) < 4) {
				f->has_short = true;
				continue;
			}
			unsigned g = gram_hash(a);
			f->gram[g >> 3] |= (uint8_t)(1u << (g & 7));
		}
	}
}

void det_set_config(struct detect *d, const struct config *cfg)
{
	d->cfg = cfg;
	build_filters(d);
}

static bool may_match(const struct agent_filter *f, struct slice s)
{
	if (f->has_short)
		return s.len > 0;
	if (s.len < 4)
		return false;
	/* the 4-byte window rolls along: one new byte per position */
	uint32_t w = (uint32_t)lc((unsigned char)s.p[0]) << 8 | (uint32_t)lc((unsigned char)s.p[1]) << 16 |
	             (uint32_t)lc((unsigned char)s.p[2]) << 24;
	for (size_t i = 3; i < s.len; i++) {
		w = w >> 8 | (uint32_t)lc((unsigned char)s.p[i]) << 24;
		unsigned g = (w * 2654435761u) >> 16;
		if (f->gram[g >> 3] & (1u << (g & 7)))
			return true;
	}
	return false;
}

static const struct cfg_rules *rules_of(const struct detect *d, const struct akey *k)
{
	unsigned i = k->inst < d->cfg->n_inst ? k->inst : 0;
	return &d->cfg->inst[i].rules;
}

static void fire(struct detect *d, enum obs_kind kind, enum detector det, const struct akey *k,
                 uint64_t ts_us, uint32_t count, uint32_t window_s, const struct evidence *ev)
{
	struct observation o = {
		.kind = kind, .det = det, .key = *k, .ts_us = ts_us, .count = count,
		.window_s = window_s, .reason = d->reason, .ev = ev,
	};
	if (kind == OBS_FIRE)
		d->st.fired[det]++;
	d->fn(d->ctx, &o);
}

static struct dstate *state_of(struct detect *d, const struct akey *k)
{
	bool created;
	return atab_get(d->addrs, k, &created);
}

/* The User-Agent (or From display name) entry of the blocked list it matches. */
static const char *blocked_agent(const struct detect *d, const struct akey *k, const struct sip_msg *m)
{
	const struct cfg_rules *r = rules_of(d, k);
	const struct agent_filter *f = &d->filters[k->inst < d->cfg->n_inst ? k->inst : 0];
	if (!may_match(f, m->user_agent) && !may_match(f, m->from.display))
		return NULL;
	for (unsigned i = 0; i < r->n_agents; i++)
		if (slice_icontains(m->user_agent, r->agents[i]) ||
		    slice_icontains(m->from.display, r->agents[i]))
			return r->agents[i];
	return NULL;
}

static void evidence_from_msg(struct evidence *ev, const struct sip_msg *m)
{
	if (!ev->user_agent[0])
		slice_copy(ev->user_agent, sizeof ev->user_agent,
		           m->user_agent.len ? m->user_agent : m->from.display);
	if (m->method > SIP_M_NONE && m->method < 32)
		ev->methods |= 1u << m->method;
	evd_add_user(ev, m->has_auth && m->auth_username.len ? m->auth_username
	                 : m->to.user.len ? m->to.user : m->ruri_user);
}

void det_request(struct detect *d, const struct akey *client, const struct sip_msg *m, uint64_t ts_us)
{
	const struct cfg_rules *r = rules_of(d, client);
	struct dstate *s = state_of(d, client);
	d->st.requests++;
	if (m->method != SIP_M_ACK)
		txn_put(d->txns, m, client, ts_us);
	const char *agent = blocked_agent(d, client, m);
	if (agent) {
		memset(&d->scratch, 0, sizeof d->scratch);
		evidence_from_msg(&d->scratch, m);
		snprintf(d->reason, sizeof d->reason, "scanner User-Agent matches \"%s\"", agent);
		fire(d, OBS_FIRE, DET_SCANNER, client, ts_us, 1, 0, &d->scratch);
	}
	if (s && r->flood.count) {
		uint32_t n = win_add(&s->flood, r->flood.window_s, ts_us);
		if (n >= r->flood.count) {
			win_reset(&s->flood);
			memset(&d->scratch, 0, sizeof d->scratch);
			evidence_from_msg(&d->scratch, m);
			snprintf(d->reason, sizeof d->reason, "%u requests in %u s", n, r->flood.window_s);
			fire(d, OBS_FIRE, DET_FLOOD, client, ts_us, n, r->flood.window_s, &d->scratch);
		}
	}
}

void det_anomaly(struct detect *d, const struct akey *client, uint32_t anomalies,
                 const char *what, uint64_t ts_us)
{
	const struct cfg_rules *r = rules_of(d, client);
	struct dstate *s = state_of(d, client);
	d->st.anomalies++;
	if (!s)
		return;
	memset(&d->scratch, 0, sizeof d->scratch);
	if (!what) {
		what = "malformed";
		for (int i = 0; i < SIP_A__COUNT; i++)
			if (anomalies & (1u << i)) {
				what = sip_anomaly_name((enum sip_anomaly)i);
				break;
			}
	}
	snprintf(d->scratch.anomaly, sizeof d->scratch.anomaly, "%s", what);
	if (win_add(&s->anom_lines, 60, ts_us) <= ANOMALY_LINES) {
		snprintf(d->reason, sizeof d->reason, "malformed SIP message: %s", what);
		fire(d, OBS_ANOMALY, DET_ANOMALY, client, ts_us, 1, 0, &d->scratch);
	}
	if (!r->anomalies.count)
		return;
	uint32_t n = win_add(&s->anom, r->anomalies.window_s, ts_us);
	if (n >= r->anomalies.count) {
		win_reset(&s->anom);
		snprintf(d->reason, sizeof d->reason, "%u malformed messages in %u s", n, r->anomalies.window_s);
		fire(d, OBS_FIRE, DET_ANOMALY, client, ts_us, n, r->anomalies.window_s, &d->scratch);
	}
}

/* NAT tolerance: an address that registered successfully in the last hour
 * may fail nat_tolerance times as often before it is blocked. */
static uint32_t threshold(struct detect *d, const struct akey *k, uint32_t count, uint64_t ts_us)
{
	struct dstate *s = atab_find(d->addrs, k);
	uint32_t now_s = (uint32_t)(ts_us / 1000000);
	if (s && s->last_ok_s && now_s - s->last_ok_s <= NAT_MEMORY_S)
		return count * rules_of(d, k)->nat_tolerance;
	return count;
}

/* Distinct usernames within the window, remembering this one. */
static uint32_t distinct_users(struct suspect *s, const char *user, uint32_t window_s, uint64_t ts_us)
{
	uint32_t h = (uint32_t)hash_bytes(user, strlen(user), 7), now_s = (uint32_t)(ts_us / 1000000);
	uint32_t n = 0, oldest = 0, found = USER_SET;
	for (uint32_t i = 0; i < s->n_uh; i++) {
		if (s->uh[i].hash == h)
			found = i;
		if (s->uh[i].time_s < s->uh[oldest].time_s)
			oldest = i;
	}
	if (found == USER_SET)
		found = s->n_uh < USER_SET ? s->n_uh++ : oldest;
	s->uh[found].hash = h;
	s->uh[found].time_s = now_s;
	for (uint32_t i = 0; i < s->n_uh; i++)
		if (now_s - s->uh[i].time_s < window_s)
			n++;
	return n;
}

static void count_failure(struct detect *d, struct suspect *s, struct win *w, const struct cfg_rule *rule,
                          enum detector det, const char *what, uint64_t ts_us)
{
	if (!rule->count)
		return;
	uint32_t n = win_add(w, rule->window_s, ts_us);
	uint32_t limit = threshold(d, &s->key, rule->count, ts_us);
	if (n < limit)
		return;
	win_reset(w);
	snprintf(d->reason, sizeof d->reason, "%u %s in %u s", n, what, rule->window_s);
	fire(d, OBS_FIRE, det, &s->key, ts_us, n, rule->window_s, &s->ev);
}

static void failed(struct detect *d, const struct txn *t, const struct sip_msg *m, uint64_t ts_us)
{
	const struct cfg_rules *r = rules_of(d, &t->client);
	bool created;
	struct suspect *s = atab_get(d->suspects, &t->client, &created);
	if (!s)
		return;
	struct evidence *ev = &s->ev;
	if (!ev->user_agent[0] && t->ua[0])
		slice_copy(ev->user_agent, sizeof ev->user_agent, (struct slice){ t->ua, strlen(t->ua) });
	evd_add_user(ev, (struct slice){ t->user, strlen(t->user) });
	evd_add_code(ev, m->status);
	if (t->method < 32)
		ev->methods |= 1u << t->method;
	bool creds = t->has_auth && !m->challenge_stale;
	bool auth_fail = (m->status == 401 || m->status == 407) && creds;
	if (t->method == SIP_M_REGISTER && (m->status == 403 || m->status == 404 || auth_fail))
		count_failure(d, s, &s->badreg, &r->bad_registrations, DET_BAD_REGISTRATION,
		              "failed registrations", ts_us);
	if (t->method == SIP_M_INVITE && (m->status == 403 || m->status == 404 || m->status == 484 || auth_fail))
		count_failure(d, s, &s->badinv, &r->bad_invites, DET_BAD_INVITE, "failed calls", ts_us);
	/* a challenge to a request without credentials is how every phone
	 * starts (an office rebooting 60 phones behind one NAT): not a failure */
	bool challenge = (m->status == 401 || m->status == 407) && !t->has_auth;
	if (r->enumeration.count && t->user[0] && !challenge) {
		uint32_t n = distinct_users(s, t->user, r->enumeration.window_s, ts_us);
		uint32_t limit = threshold(d, &t->client, r->enumeration.count, ts_us);
		if (n >= limit) {
			s->n_uh = 0;
			snprintf(d->reason, sizeof d->reason, "%u usernames tried in %u s", n, r->enumeration.window_s);
			fire(d, OBS_FIRE, DET_ENUMERATION, &t->client, ts_us, n, r->enumeration.window_s, ev);
		}
	}
}

void det_response(struct detect *d, const struct sip_msg *m, uint64_t ts_us)
{
	d->st.responses++;
	if (m->status < 200)
		return;
	const struct txn *t = txn_match(d->txns, m, ts_us);
	if (!t) {
		d->st.unmatched++;
		return;
	}
	d->st.matched++;
	if (m->status < 300) {
		if (t->method == SIP_M_REGISTER) {
			struct dstate *s = atab_find(d->addrs, &t->client);
			if (s)
				s->last_ok_s = (uint32_t)(ts_us / 1000000);
		}
		return;
	}
	if (m->status >= 400)
		failed(d, t, m, ts_us);
}

void det_stats_get(const struct detect *d, struct det_stats *out)
{
	*out = d->st;
	out->tracked = atab_count(d->addrs);
	out->evicted = atab_evictions(d->addrs);
}
