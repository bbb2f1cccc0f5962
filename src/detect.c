/* detect: per-address sliding-window counters and the SIP rules. */
#include "detect.h"
#include "agent.h"
#include "echo.h"
#include "guess.h"
#include "txn.h"
#include "win.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAT_MEMORY_S 3600   /* a successful REGISTER earns NAT tolerance for an hour */
#define ANOMALY_LINES 10    /* anomaly event lines per address per minute */
#define SHELTER_S 3600      /* a successful authentication shelters for an hour */
#define ECHO_CAP 16384      /* challenge nonces remembered (echo.h): 256 KiB */
#define ECHO_TTL_S 3600
#define GUESS_USERS 4096    /* usernames watched for distributed guessing */
#define GUESS_MARK_S 3600   /* half thresholds on an attacked username for an hour */
#define TXN_CAP 65536
#define TXN_TTL_MS 64000    /* 64 * T1: a transaction cannot live longer */


/* A count of verified evidence in a tumbling window (8 bytes, so the
 * per-address state stays small): across a window boundary it may reach
 * twice the limit before it fires, a burst's worth, never a rate's. */
struct tally {
	uint32_t start_s, n;
};

/* State for every address seen (kept small: there may be a million). */
struct dstate {
	struct akey key;
	uint32_t last_ok_s;         /* NAT tolerance: last successful REGISTER, packet-time seconds */
	uint32_t authed_s;          /* shelter: last 2xx to credentials over a nonce the server sent */
	struct win flood, anom, anom_lines;
	struct tally flood_v, anom_v; /* the same, verified evidence only */
};


/* State for addresses that failed something: counters and evidence. */
struct suspect {
	struct akey key;
	struct win badreg, badinv;
	struct dset users, dests;   /* usernames tried, call destinations failed */
	struct tally badreg_v, badinv_v; /* the same, verified failures only */
	struct dset users_v, dests_v;
	struct evidence ev;
};

struct detect {
	const struct config *cfg;
	struct agent_set *filters;    /* the blocked agents, one set per instance */
	det_observe_fn fn;
	void *ctx;
	struct atab *addrs, *suspects;
	struct txtab *txns;
	struct echo *echo;
	struct guess *guess;
	struct hash_key key;          /* of the distinct sets */
	struct det_stats st;
	char reason[128];
	struct evidence scratch;
};

static void build_filters(struct detect *d);

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
	d->echo = echo_new(ECHO_CAP, ECHO_TTL_S);
	d->guess = guess_new(GUESS_USERS);
	d->key = hash_key_new();
	d->filters = malloc(CFG_MAX_INSTANCES * sizeof *d->filters);
	if (!d->addrs || !d->suspects || !d->txns || !d->echo || !d->guess || !d->filters) {
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
	echo_free(d->echo);
	guess_free(d->guess);
	free(d->filters);
	free(d);
}

static void build_filters(struct detect *d)
{
	for (unsigned i = 0; i < d->cfg->n_inst; i++)
		agent_build(&d->filters[i], d->cfg->inst[i].rules.agents, d->cfg->inst[i].rules.n_agents);
}

void det_set_config(struct detect *d, const struct config *cfg)
{
	d->cfg = cfg;
	build_filters(d);
}

static const struct cfg_rules *rules_of(const struct detect *d, const struct akey *k)
{
	unsigned i = k->inst < d->cfg->n_inst ? k->inst : 0;
	return &d->cfg->inst[i].rules;
}

bool det_sheltered(struct detect *d, const struct akey *k, uint64_t ts_us)
{
	struct dstate *s = atab_find(d->addrs, k);
	return s && s->authed_s && (uint32_t)(ts_us / 1000000) - s->authed_s <= SHELTER_S;
}

/* Reports an observation; forgeable marks evidence that needs no answer of
 * the server to have reached the address, so a forged source address could
 * have produced it. */
static void fire(struct detect *d, enum obs_kind kind, enum detector det, const struct akey *k,
                 uint64_t ts_us, uint32_t count, uint32_t window_s, const struct evidence *ev,
                 bool forgeable)
{
	struct observation o = {
		.kind = kind, .det = det, .key = *k, .ts_us = ts_us, .count = count,
		.window_s = window_s, .reason = d->reason, .ev = ev, .forgeable = forgeable,
		.sheltered = forgeable && det_sheltered(d, k, ts_us),
	};
	if (kind == OBS_FIRE)
		d->st.fired[det]++;
	d->fn(d->ctx, &o);
}

/* A destination pattern ("00*" prefix, or exact) that user matches. */
static const char *blocked_dest(const struct cfg_rules *r, struct slice user)
{
	for (unsigned i = 0; i < r->n_dests && user.len; i++) {
		const char *p = r->dests[i];
		size_t n = strlen(p);
		bool prefix = p[n - 1] == '*';
		if (prefix ? (user.len >= n - 1 && !memcmp(user.p, p, n - 1)) : slice_eq(user, p))
			return p;
	}
	return NULL;
}

static uint32_t tally_add(struct tally *t, uint32_t window_s, uint64_t ts_us)
{
	uint32_t now_s = (uint32_t)(ts_us / 1000000);
	if (!t->n || now_s - t->start_s >= window_s) {
		t->start_s = now_s;
		t->n = 0;
	}
	return ++t->n;
}

/* Counts one event in the window of all evidence and, when verified, in
 * the tally of verified evidence alone.  Returns the count that reached
 * limit (verified first: a spoofer's packets cannot top up the count of an
 * address's real ones), or 0; *forgeable says which count it was. */
static uint32_t count2(struct win *all, struct tally *ver, bool verified, uint32_t limit, uint32_t window_s,
                       uint64_t ts_us, bool *forgeable)
{
	uint32_t n = win_add(all, window_s, ts_us);
	if (verified) {
		uint32_t v = tally_add(ver, window_s, ts_us);
		if (v >= limit) {
			win_reset(all);
			ver->n = 0;
			*forgeable = false;
			return v;
		}
	}
	if (n < limit)
		return 0;
	win_reset(all);
	*forgeable = true;
	return n;
}

/* count2() for distinct strings (usernames, destinations). */
static uint32_t dcount2(struct hash_key key, struct dset *all, struct dset *ver, bool verified, const char *str,
                        uint32_t limit, uint32_t window_s, uint64_t ts_us, bool *forgeable)
{
	uint32_t n = dset_add(all, key, str, window_s, ts_us);
	if (verified) {
		uint32_t v = dset_add(ver, key, str, window_s, ts_us);
		if (v >= limit) {
			all->n = ver->n = 0;
			*forgeable = false;
			return v;
		}
	}
	if (n < limit)
		return 0;
	all->n = 0;
	*forgeable = true;
	return n;
}

static struct dstate *state_of(struct detect *d, const struct akey *k)
{
	bool created;
	return atab_get(d->addrs, k, &created);
}

/* The blocked agent entry the User-Agent matches by whole tokens, or else
 * the one the whole From display name equals (*by_name then set); NULL: none. */
static const char *blocked_agent(const struct detect *d, const struct akey *k, const struct sip_msg *m,
                                 bool *by_name)
{
	const struct cfg_rules *r = rules_of(d, k);
	const struct agent_set *f = &d->filters[k->inst < d->cfg->n_inst ? k->inst : 0];
	int i = agent_match_ua(f, m->user_agent);
	*by_name = i < 0;
	if (i < 0)
		i = agent_match_name(f, m->from.display);
	return i < 0 ? NULL : r->agents[i];
}

static void evidence_from_msg(struct evidence *ev, const struct sip_msg *m)
{
	if (!ev->user_agent[0])
		slice_copy(ev->user_agent, sizeof ev->user_agent, m->user_agent);
	if (m->method > SIP_M_NONE && m->method < 32)
		ev->methods |= 1u << m->method;
	evd_add_user(ev, m->has_auth && m->auth_username.len ? m->auth_username
	                 : m->to.user.len ? m->to.user : m->ruri_user);
}

/* Opens the request's transaction, so that its answer can be charged;
 * returns whether its path is verified. */
static bool track(struct detect *d, const struct akey *client, const struct sip_msg *m, bool tcp_verified,
                  uint64_t ts_us)
{
	/* credentials over a nonce the server sent to this address alone: the
	 * sender reads the server's answers there (no spoofer does) */
	enum echo_res echo = m->has_auth ? echo_check(d->echo, m->auth_nonce, &client->ip, ts_us) : ECHO_NONE;
	bool verified = tcp_verified || echo == ECHO_OWN;
	if (m->method != SIP_M_ACK)
		txn_put(d->txns, m, client, (uint8_t)((verified ? TXN_VERIFIED : 0) | (echo ? TXN_NONCE_ISSUED : 0)),
		        ts_us);
	return verified;
}

void det_pending(struct detect *d, const struct akey *client, const struct sip_msg *m, bool tcp_verified,
                 uint64_t ts_us)
{
	track(d, client, m, tcp_verified, ts_us);
}

void det_request(struct detect *d, const struct akey *client, const struct sip_msg *m, bool tcp_verified,
                 uint64_t ts_us)
{
	const struct cfg_rules *r = rules_of(d, client);
	struct dstate *s = state_of(d, client);
	d->st.requests++;
	bool verified = track(d, client, m, tcp_verified, ts_us);
	bool by_name;
	const char *agent = blocked_agent(d, client, m, &by_name);
	if (agent) {
		memset(&d->scratch, 0, sizeof d->scratch);
		evidence_from_msg(&d->scratch, m);
		if (by_name)
			slice_copy(d->scratch.display_name, sizeof d->scratch.display_name, m->from.display);
		char line[EVD_LINE_LEN];
		int k = snprintf(line, sizeof line, "%.*s %.*s", (int)(m->method_s.len < 32 ? m->method_s.len : 32),
		                 m->method_s.p ? m->method_s.p : "", (int)(m->ruri.len < 80 ? m->ruri.len : 80),
		                 m->ruri.p ? m->ruri.p : "");
		evd_add_line(&d->scratch, (struct slice){ line, k < 0 ? 0 : (size_t)k < sizeof line ? (size_t)k : sizeof line - 1 },
		             0, ts_us);
		snprintf(d->reason, sizeof d->reason, "scanner %s matches \"%s\"",
		         by_name ? "From display name" : "User-Agent", agent);
		fire(d, OBS_FIRE, DET_SCANNER, client, ts_us, 1, 0, &d->scratch, !verified);
	}
	const char *dest = m->method == SIP_M_INVITE && r->n_dests && (!s || !s->authed_s)
	                   ? blocked_dest(r, m->ruri_user) : NULL;
	if (dest) {
		memset(&d->scratch, 0, sizeof d->scratch);
		evidence_from_msg(&d->scratch, m);
		snprintf(d->reason, sizeof d->reason, "call to a blocked destination (%s) without authentication", dest);
		fire(d, OBS_FIRE, DET_TOLL_FRAUD, client, ts_us, 1, 0, &d->scratch, !verified);
	}
	bool forgeable;
	uint32_t n = s && r->flood.count ? count2(&s->flood, &s->flood_v, verified, r->flood.count,
	                                          r->flood.window_s, ts_us, &forgeable) : 0;
	if (n) {
		memset(&d->scratch, 0, sizeof d->scratch);
		evidence_from_msg(&d->scratch, m);
		snprintf(d->reason, sizeof d->reason, "%u requests in %u s", n, r->flood.window_s);
		fire(d, OBS_FIRE, DET_FLOOD, client, ts_us, n, r->flood.window_s, &d->scratch, forgeable);
	}
}

void det_anomaly(struct detect *d, const struct akey *client, uint32_t anomalies,
                 const char *what, bool verified, uint64_t ts_us)
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
		fire(d, OBS_ANOMALY, DET_ANOMALY, client, ts_us, 1, 0, &d->scratch, !verified);
	}
	bool forgeable;
	uint32_t n = r->anomalies.count ? count2(&s->anom, &s->anom_v, verified, r->anomalies.count,
	                                         r->anomalies.window_s, ts_us, &forgeable) : 0;
	if (n) {
		snprintf(d->reason, sizeof d->reason, "%u malformed messages in %u s", n, r->anomalies.window_s);
		fire(d, OBS_FIRE, DET_ANOMALY, client, ts_us, n, r->anomalies.window_s, &d->scratch, forgeable);
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

/* Counts one failure (w: all, wv: verified only; verified: the request's
 * path was); halve: the username is under a distributed attack. */
static void count_failure(struct detect *d, struct suspect *s, struct win *w, struct tally *wv,
                          const struct cfg_rule *rule, enum detector det, const char *what, bool halve,
                          bool verified, uint64_t ts_us)
{
	if (!rule->count)
		return;
	uint32_t limit = threshold(d, &s->key, rule->count, ts_us);
	if (halve)
		limit = (limit + 1) / 2;
	bool forgeable;
	uint32_t n = count2(w, wv, verified, limit, rule->window_s, ts_us, &forgeable);
	if (!n)
		return;
	snprintf(d->reason, sizeof d->reason, "%u %s in %u s%s", n, what, rule->window_s,
	         halve ? " (username under distributed attack: half threshold)" : "");
	fire(d, OBS_FIRE, det, &s->key, ts_us, n, rule->window_s, &s->ev, forgeable);
}

/* One username failing authentication from many addresses: an alert once,
 * then half thresholds for failures on it. */
static void distributed(struct detect *d, const struct txn *t, const struct cfg_rules *r, uint64_t ts_us)
{
	const struct cfg_rule *rule = &r->distributed_guessing;
	uint32_t n = guess_fail(d->guess, t->user, &t->client.ip, rule->window_s, ts_us);
	if (n < rule->count)
		return;
	memset(&d->scratch, 0, sizeof d->scratch);
	evd_add_user(&d->scratch, (struct slice){ t->user, strlen(t->user) });
	if (!guess_mark(d->guess, t->user, rule->window_s, ts_us, ts_us + GUESS_MARK_S * 1000000ULL, &d->scratch))
		return;
	char user[TXN_USER_LEN];
	slice_copy(user, sizeof user, (struct slice){ t->user, strlen(t->user) });
	snprintf(d->reason, sizeof d->reason, "username \"%s\" failed from %u addresses in %u s", user, n,
	         rule->window_s);
	fire(d, OBS_ALERT, DET_DISTRIBUTED_GUESSING, &t->client, ts_us, n, rule->window_s, &d->scratch, false);
}

/* A failed INVITE: distinct destinations tried (toll-fraud sweeps). */
static void sweep(struct detect *d, struct suspect *s, const struct txn *t, const struct cfg_rules *r,
                  uint64_t ts_us)
{
	const struct cfg_rule *rule = &r->invite_sweep;
	if (!rule->count || !t->dest[0])
		return;
	bool forgeable;
	uint32_t n = dcount2(d->key, &s->dests, &s->dests_v, t->trust & TXN_VERIFIED, t->dest,
	                     threshold(d, &t->client, rule->count, ts_us), rule->window_s, ts_us, &forgeable);
	if (!n)
		return;
	snprintf(d->reason, sizeof d->reason, "%u call destinations failed in %u s", n, rule->window_s);
	fire(d, OBS_FIRE, DET_TOLL_FRAUD, &t->client, ts_us, n, rule->window_s, &s->ev, forgeable);
}

/* Answers that say what the callee did, not what the caller did wrong:
 * busy (486, 600), declined (603), unavailable (480), answered elsewhere or
 * cancelled (487).  A trunk hears them on every fourth call. */
static bool callee_outcome(int status)
{
	return status == 480 || status == 486 || status == 487 || status == 600 || status == 603;
}

static void failed(struct detect *d, const struct txn *t, const struct sip_msg *m, uint64_t ts_us)
{
	const struct cfg_rules *r = rules_of(d, &t->client);
	if (callee_outcome(m->status))
		return; /* no rule counts them (README, "Which answers count") */
	/* a challenge to a request without credentials is how every phone
	 * starts (an office rebooting 60 phones behind one NAT): not a failure,
	 * and no reason to start a suspect record (2.4 KB zeroed per phone) */
	bool challenge = (m->status == 401 || m->status == 407) && !t->has_auth, created;
	struct suspect *s = challenge ? atab_find(d->suspects, &t->client)
	                              : atab_get(d->suspects, &t->client, &created);
	if (!s)
		return;
	struct evidence *ev = &s->ev;
	if (!ev->user_agent[0] && t->ua[0])
		slice_copy(ev->user_agent, sizeof ev->user_agent, (struct slice){ t->ua, strlen(t->ua) });
	evd_add_user(ev, (struct slice){ t->user, strlen(t->user) });
	evd_add_code(ev, m->status);
	if (t->method < 32)
		ev->methods |= 1u << t->method;
	if (!challenge) {
		char line[EVD_LINE_LEN];
		int k = snprintf(line, sizeof line, "%s %s", sip_method_name((enum sip_method)t->method), t->ruri);
		evd_add_line(ev, (struct slice){ line, k < 0 ? 0 : (size_t)k < sizeof line ? (size_t)k : sizeof line - 1 },
		             m->status, ts_us);
	}
	bool creds = t->has_auth && !m->challenge_stale;
	bool auth_fail = (m->status == 401 || m->status == 407) && creds;
	bool halve = false;
	if (t->user[0] && r->distributed_guessing.count && (auth_fail || (m->status == 403 && creds))) {
		distributed(d, t, r, ts_us);
		halve = guess_marked(d->guess, t->user, ts_us);
	}
	/* failures of requests that a spoofer could have sent (the server's
	 * answer went to the address, not to the spoofer) are forgeable */
	bool verified = t->trust & TXN_VERIFIED;
	if (t->method == SIP_M_REGISTER && (m->status == 403 || m->status == 404 || auth_fail))
		count_failure(d, s, &s->badreg, &s->badreg_v, &r->bad_registrations, DET_BAD_REGISTRATION,
		              "failed registrations", halve, verified, ts_us);
	if (t->method == SIP_M_INVITE && (m->status == 403 || m->status == 404 || m->status == 484 || auth_fail))
		count_failure(d, s, &s->badinv, &s->badinv_v, &r->bad_invites, DET_BAD_INVITE, "failed calls", halve,
		              verified, ts_us);
	if (challenge)
		return;
	if (t->method == SIP_M_INVITE)
		sweep(d, s, t, r, ts_us);
	bool forgeable;
	uint32_t n = r->enumeration.count && t->user[0]
	             ? dcount2(d->key, &s->users, &s->users_v, verified, t->user, threshold(d, &t->client, r->enumeration.count, ts_us),
	                       r->enumeration.window_s, ts_us, &forgeable) : 0;
	if (n) {
		snprintf(d->reason, sizeof d->reason, "%u usernames tried in %u s", n, r->enumeration.window_s);
		fire(d, OBS_FIRE, DET_ENUMERATION, &t->client, ts_us, n, r->enumeration.window_s, ev, forgeable);
	}
}

void det_response(struct detect *d, const struct sip_msg *m, const struct ipaddr *to, uint64_t ts_us)
{
	d->st.responses++;
	if (m->status < 200)
		return;
	const struct txn *t = txn_match(d->txns, m, to, ts_us);
	if (!t) {
		d->st.unmatched++;
		return;
	}
	d->st.matched++;
	/* a challenge's nonce, to the address that sent the request (txn_match
	 * takes only those): only a receiver there can echo it */
	if (m->status == 401 || m->status == 407)
		echo_issued(d->echo, m->challenge_nonce, to, ts_us);
	if (m->status < 300) {
		struct dstate *s = atab_find(d->addrs, &t->client);
		uint32_t now_s = (uint32_t)(ts_us / 1000000);
		if (s && t->method == SIP_M_REGISTER)
			s->last_ok_s = now_s; /* NAT tolerance, not shelter */
		/* shelter: the server accepted credentials computed over its own
		 * nonce; an answered OPTIONS or REGISTER without them earns nothing */
		if (s && t->has_auth && (t->trust & TXN_NONCE_ISSUED))
			s->authed_s = now_s;
		return;
	}
	if (m->status >= 400)
		failed(d, t, m, ts_us);
}

void det_stats_get(const struct detect *d, struct det_stats *out)
{
	*out = d->st;
	out->repeats = txn_repeats(d->txns);
	out->tracked = atab_count(d->addrs);
	out->evicted = atab_evictions(d->addrs);
}
