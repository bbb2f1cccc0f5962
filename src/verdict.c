/* verdict: block table (atab, active blocks pinned) and an expiry heap. */
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_EVERY_S 60 /* one alert per address and detector per minute */
#define PREFIX_KEY 256

struct vblock {
	struct akey key;         /* a block covers the address: inst is 0 for a
	                          * host, PREFIX_KEY + plen for a prefix */
	uint8_t plen;
	uint64_t end_us;         /* active dynamic block ends here */
	uint32_t nblocks;        /* dynamic blocks so far */
	uint32_t last_alert_s[DET__COUNT];
	uint8_t det, inst;
	bool active, permanent;
	bool forgeable;          /* blocked on forgeable evidence only */
};

struct heap_ent {
	uint64_t end_us;
	struct vblock *b;
};

/* Active host blocks per aggregation prefix (/24, /64 by default). */
struct aggcount {
	struct akey key;         /* the prefix's network; inst = its plen */
	uint32_t count;
};

struct verdict {
	const struct config *cfg;
	vrd_event_fn fn;
	void *ctx;
	struct atab *tab;
	struct atab *agg;
	struct heap_ent *heap;
	uint32_t heap_n, heap_cap;
	uint32_t prefix_active[128]; /* active prefix blocks per prefix length */
	struct vrd_stats st;
};

static bool pinned(const void *rec)
{
	return ((const struct vblock *)rec)->active;
}

static bool agg_pinned(const void *rec)
{
	return ((const struct aggcount *)rec)->count > 0;
}

struct verdict *vrd_new(const struct config *cfg, vrd_event_fn fn, void *ctx)
{
	struct verdict *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->cfg = cfg;
	v->fn = fn;
	v->ctx = ctx;
	v->tab = atab_new(cfg->max_tracked, sizeof(struct vblock), pinned);
	v->agg = atab_new(cfg->max_tracked, sizeof(struct aggcount), agg_pinned);
	v->heap_cap = cfg->max_tracked + 1024;
	v->heap = malloc((size_t)v->heap_cap * sizeof *v->heap);
	if (!v->tab || !v->agg || !v->heap) {
		vrd_free(v);
		return NULL;
	}
	return v;
}

void vrd_free(struct verdict *v)
{
	if (!v)
		return;
	atab_free(v->tab);
	atab_free(v->agg);
	free(v->heap);
	free(v);
}

void vrd_set_config(struct verdict *v, const struct config *cfg)
{
	v->cfg = cfg;
}

/* ---- expiry heap (min-heap on end_us; stale entries skipped lazily) ---- */

static void heap_swap(struct heap_ent *a, struct heap_ent *b)
{
	struct heap_ent t = *a;
	*a = *b;
	*b = t;
}

static void heap_down(struct verdict *v, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < v->heap_n && v->heap[l].end_us < v->heap[m].end_us) m = l;
		if (r < v->heap_n && v->heap[r].end_us < v->heap[m].end_us) m = r;
		if (m == i)
			return;
		heap_swap(&v->heap[i], &v->heap[m]);
		i = m;
	}
}

static void heap_push_raw(struct verdict *v, uint64_t end_us, struct vblock *b)
{
	uint32_t i = v->heap_n++;
	v->heap[i] = (struct heap_ent){ end_us, b };
	while (i && v->heap[(i - 1) / 2].end_us > v->heap[i].end_us) {
		heap_swap(&v->heap[i], &v->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void collect_active(void *rec, void *ctx)
{
	struct vblock *b = rec;
	struct verdict *v = ctx;
	if (b->active && !b->permanent && v->heap_n < v->heap_cap)
		heap_push_raw(v, b->end_us, b);
}

static void heap_push(struct verdict *v, uint64_t end_us, struct vblock *b)
{
	if (v->heap_n == v->heap_cap) {
		/* only stale entries can fill it: rebuild from the active blocks */
		v->heap_n = 0;
		atab_foreach(v->tab, collect_active, v);
	}
	heap_push_raw(v, end_us, b);
}

/* ---- events ---- */

static void emit(struct verdict *v, enum evt_type type, const struct observation *o,
                 const struct ipprefix *ip, int64_t duration_s)
{
	struct event e = {
		.type = type, .ts_us = o->ts_us, .ip = *ip, .det = o->det,
		.count = o->count, .window_s = o->window_s, .duration_s = duration_s,
		.instance = v->cfg->inst[o->key.inst < v->cfg->n_inst ? o->key.inst : 0].name,
		.ev = o->ev,
	};
	snprintf(e.reason, sizeof e.reason, "%s", o->reason ? o->reason : "");
	v->fn(v->ctx, &e);
}

static struct ipprefix host_prefix(const struct ipaddr *a)
{
	return (struct ipprefix){ *a, 128 };
}

static void alert(struct verdict *v, const struct observation *o)
{
	struct akey k = { o->key.ip, 0 };
	bool created;
	struct vblock *b = atab_get(v->tab, &k, &created);
	uint32_t now_s = (uint32_t)(o->ts_us / 1000000);
	if (b && b->last_alert_s[o->det] && now_s - b->last_alert_s[o->det] < ALERT_EVERY_S)
		return;
	if (b)
		b->last_alert_s[o->det] = now_s ? now_s : 1;
	struct ipprefix ip = host_prefix(&o->key.ip);
	v->st.alerts++;
	emit(v, EVT_ALERT, o, &ip, -1);
}

static struct akey block_key(const struct ipprefix *ip)
{
	return (struct akey){ ip->addr, ip->plen == 128 ? 0 : PREFIX_KEY + ip->plen };
}

static struct ipprefix block_prefix(const struct vblock *b)
{
	return (struct ipprefix){ b->key.ip, b->plen };
}

static void prefix_active_add(struct verdict *v, const struct vblock *b, int delta)
{
	if (b->plen < 128)
		v->prefix_active[b->plen] += (uint32_t)delta;
}

/* True when an active prefix block covers the address a. */
static bool inside_blocked_prefix(const struct verdict *v, const struct ipaddr *a)
{
	for (unsigned len = 0; len < 128; len++) {
		if (!v->prefix_active[len])
			continue;
		struct ipprefix p = { *a, (uint8_t)len };
		for (unsigned i = len; i < 128; i++)
			p.addr.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		struct akey k = block_key(&p);
		const struct vblock *b = atab_find(v->tab, &k);
		if (b && b->active)
			return true;
	}
	return false;
}

/* Makes b an active block of duration_s (0 = permanent) and emits the event. */
static void aggregate_count(struct verdict *v, const struct vblock *b, int delta, const struct observation *o);

static void activate(struct verdict *v, struct vblock *b, const struct observation *o, uint32_t duration_s)
{
	b->permanent = duration_s == 0;
	b->active = true;
	b->det = (uint8_t)o->det;
	b->inst = (uint8_t)o->key.inst;
	b->forgeable = o->forgeable;
	prefix_active_add(v, b, +1);
	v->st.blocks++;
	v->st.by_det[o->det]++;
	v->st.active++;
	struct ipprefix ip = block_prefix(b);
	if (b->permanent) {
		v->st.permanent++;
	} else {
		b->end_us = o->ts_us + (uint64_t)duration_s * 1000000;
		heap_push(v, b->end_us, b);
	}
	emit(v, EVT_BLOCK, o, &ip, duration_s);
	aggregate_count(v, b, +1, o); /* after the event: the host first, then its prefix */
}

/* The block record for ip, created when missing; NULL when the table is full. */
static struct vblock *record(struct verdict *v, const struct ipprefix *ip)
{
	struct akey k = block_key(ip);
	bool created;
	struct vblock *b = atab_get(v->tab, &k, &created);
	if (!b)
		v->st.table_full++; /* every tracked address is blocked */
	else
		b->plen = ip->plen;
	return b;
}

static void block(struct verdict *v, const struct observation *o)
{
	struct ipprefix ip = host_prefix(&o->key.ip);
	struct vblock *b = record(v, &ip);
	if (!b || b->active)
		return; /* while blocked, an address is not blocked again */
	if (inside_blocked_prefix(v, &o->key.ip)) {
		v->st.inside_prefix++; /* the prefix's block already drops it */
		return;
	}
	const struct cfg_rules *r = &v->cfg->inst[o->key.inst < v->cfg->n_inst ? o->key.inst : 0].rules;
	uint32_t thr = v->cfg->block_threshold;
	bool permanent = thr && b->nblocks >= thr;
	if (!permanent)
		b->nblocks++;
	activate(v, b, o, permanent ? 0 : r->block_time_s);
}

void vrd_observe(struct verdict *v, const struct observation *o)
{
	if (o->kind == OBS_ANOMALY) {
		struct ipprefix ip = host_prefix(&o->key.ip);
		v->st.anomalies++;
		emit(v, EVT_ANOMALY, o, &ip, -1);
		return;
	}
	if (o->kind == OBS_ALERT) {
		alert(v, o);
		return;
	}
	if (cfg_prefixes_match(&v->cfg->blacklist, &o->key.ip))
		return; /* blocked permanently since the start */
	if (cfg_prefixes_match(&v->cfg->whitelist, &o->key.ip) || cfg_is_own(v->cfg, &o->key.ip)) {
		alert(v, o);
	} else if (o->forgeable && (o->sheltered || cfg_is_peer(v->cfg, o->key.inst, &o->key.ip))) {
		/* shelter: forgeable evidence must not block a customer who
		 * authenticated, nor a configured peer; verified evidence does */
		char reason[192];
		struct observation a = *o;
		snprintf(reason, sizeof reason, "%s; not blocked: %s", o->reason ? o->reason : "",
		         cfg_is_peer(v->cfg, o->key.inst, &o->key.ip) ? "configured peer"
		         : "the address authenticated successfully in the last hour");
		a.reason = reason;
		alert(v, &a);
	} else {
		block(v, o);
	}
}

/* ---- subnet aggregation ---- */

struct members {
	const struct ipprefix *p;
	struct evidence *ev;
};

static void collect_member(void *rec, void *ctx)
{
	const struct vblock *b = rec;
	struct members *m = ctx;
	if (b->active && b->plen == 128 && !b->forgeable && prefix_contains(m->p, &b->key.ip) &&
	    m->ev->n_addrs < EVD_MAX_ADDRS)
		m->ev->addrs[m->ev->n_addrs++] = b->key.ip;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ipaddr));
}

/* True when p and q share an address (one holds the other). */
static bool overlap(const struct ipprefix *p, const struct ipprefix *q)
{
	return prefix_contains(p, &q->addr) || prefix_contains(q, &p->addr);
}

/* True when p holds an address of the protected host: an instance address
 * or one of the host's own.  Such a prefix is never blocked by aggregation:
 * the firewall would drop the server's own packets (prerouting sees them on
 * lo too) for its neighbours' sake. */
static bool holds_server(const struct config *c, const struct ipprefix *p)
{
	for (size_t i = 0; i < c->own.n; i++)
		if (overlap(p, &c->own.v[i]))
			return true;
	for (unsigned i = 0; i < c->n_inst; i++)
		for (unsigned k = 0; k < c->inst[i].n_addrs; k++)
			if (overlap(p, &c->inst[i].addrs[k]))
				return true;
	return false;
}

/* Blocks the prefix p as one element, with one event naming its members
 * (the blocked hosts that made it) and its exceptions (whitelisted prefixes
 * inside, which the firewall lets through ahead of the drop rules).  A prefix
 * inside a whitelisted one, or holding the protected host, is not blocked
 * (its hosts stay blocked one by one). */
static void block_aggregate(struct verdict *v, const struct ipprefix *p, const struct observation *o,
                            uint32_t duration_s)
{
	const struct cfg_prefixes *wl = &v->cfg->whitelist;
	struct evidence ev = { 0 };
	if (holds_server(v->cfg, p))
		return;
	for (size_t i = 0; i < wl->n; i++) {
		if (wl->v[i].plen <= p->plen && prefix_contains(&wl->v[i], &p->addr))
			return; /* wholly whitelisted */
		if (prefix_contains(p, &wl->v[i].addr) && ev.n_except < EVD_MAX_ADDRS)
			ev.except[ev.n_except++] = wl->v[i];
	}
	struct vblock *b = record(v, p);
	if (!b || b->active)
		return;
	struct members m = { p, &ev };
	atab_foreach(v->tab, collect_member, &m);
	qsort(ev.addrs, ev.n_addrs, sizeof ev.addrs[0], addr_cmp);
	struct observation a = *o;
	a.ev = &ev;
	activate(v, b, &a, duration_s);
}

/* The aggregation prefix of a host, or false when aggregation is off for it. */
static bool agg_prefix(const struct verdict *v, const struct ipaddr *a, struct ipprefix *p)
{
	bool v4 = ip_is_v4(a);
	uint32_t bits = v4 ? v->cfg->aggregate_v4 : v->cfg->aggregate_v6;
	if (!v->cfg->aggregate_after || !bits)
		return false;
	p->plen = (uint8_t)(v4 ? 96 + bits : bits);
	p->addr = *a;
	for (unsigned i = p->plen; i < 128; i++)
		p->addr.b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return true;
}

/* Counts active host blocks per prefix; at aggregate_after blocks at once
 * (o != NULL: a new block, not a restore) the prefix is blocked. */
static void aggregate_count(struct verdict *v, const struct vblock *b, int delta, const struct observation *o)
{
	struct ipprefix p;
	/* blocks on forgeable evidence do not count: five forged packets must
	 * not take a customer's whole prefix (spoof resistance) */
	if (b->plen != 128 || b->forgeable || !agg_prefix(v, &b->key.ip, &p))
		return;
	struct akey k = { p.addr, p.plen };
	bool created;
	struct aggcount *c = delta > 0 ? atab_get(v->agg, &k, &created) : atab_find(v->agg, &k);
	if (!c)
		return;
	if (delta < 0) {
		if (c->count && --c->count == 0)
			atab_del(v->agg, c);
		return;
	}
	c->count++;
	if (!o || o->det == DET_BLACKLIST || c->count != v->cfg->aggregate_after)
		return;
	char reason[128], ps[IP_STRLEN];
	snprintf(reason, sizeof reason, "%u addresses of %s blocked at once", c->count, prefix_format(&p, ps));
	struct observation a = { .kind = OBS_FIRE, .det = DET_AGGREGATE, .key = o->key, .ts_us = o->ts_us,
	                         .count = c->count, .reason = reason };
	const struct cfg_rules *r = &v->cfg->inst[o->key.inst < v->cfg->n_inst ? o->key.inst : 0].rules;
	block_aggregate(v, &p, &a, r->block_time_s);
}

static void deactivate(struct verdict *v, struct vblock *b, const char *reason, uint64_t ts_us)
{
	aggregate_count(v, b, -1, NULL);
	prefix_active_add(v, b, -1);
	b->active = false;
	v->st.unblocks++;
	v->st.active--;
	struct observation o = {
		.det = (enum detector)b->det, .key = { b->key.ip, b->inst }, .ts_us = ts_us,
		.reason = reason,
	};
	struct ipprefix ip = block_prefix(b);
	emit(v, EVT_UNBLOCK, &o, &ip, -1);
}

void vrd_tick(struct verdict *v, uint64_t now_us)
{
	while (v->heap_n && v->heap[0].end_us <= now_us) {
		struct heap_ent top = v->heap[0];
		v->heap[0] = v->heap[--v->heap_n];
		heap_down(v, 0);
		struct vblock *b = top.b;
		if (!b->active || b->permanent || b->end_us != top.end_us)
			continue; /* stale: unblocked or re-blocked since */
		deactivate(v, b, "block time over", top.end_us);
	}
}

void vrd_restore(struct verdict *v, const struct ipprefix *ip, enum detector det, uint32_t inst, uint64_t end_us)
{
	struct vblock *b = record(v, ip);
	if (!b || b->active)
		return;
	b->active = true;
	b->permanent = end_us == 0;
	b->det = (uint8_t)det;
	b->inst = (uint8_t)inst;
	b->end_us = end_us;
	prefix_active_add(v, b, +1);
	v->st.active++;
	aggregate_count(v, b, +1, NULL);
	if (!b->permanent)
		heap_push(v, end_us, b);
}

void vrd_set_history(struct verdict *v, const struct ipprefix *ip, uint32_t n)
{
	struct vblock *b = record(v, ip);
	if (b)
		b->nblocks = n;
}

int vrd_block_manual(struct verdict *v, const struct ipprefix *ip, uint32_t duration_s,
                     const char *reason, uint64_t now_us)
{
	struct vblock *b = record(v, ip);
	if (!b)
		return -1;
	if (b->active)
		return 1;
	struct observation o = { .kind = OBS_FIRE, .det = DET_MANUAL, .ts_us = now_us, .reason = reason };
	activate(v, b, &o, duration_s);
	return 0;
}

struct unblock_walk {
	struct verdict *v;
	const struct ipprefix *within;
	const struct cfg_prefixes *list; /* or: inside any of these */
	bool blacklist_only;             /* only blacklist blocks not in list */
	const char *reason;
	uint64_t now_us;
	unsigned n;
};

static void unblock_one(void *rec, void *ctx)
{
	struct vblock *b = rec;
	struct unblock_walk *w = ctx;
	if (!b->active)
		return;
	struct ipprefix ip = block_prefix(b);
	bool hit;
	if (w->blacklist_only) {
		hit = b->det == DET_BLACKLIST;
		for (size_t i = 0; hit && i < w->list->n; i++)
			hit = !(w->list->v[i].plen == ip.plen && ip_eq(&w->list->v[i].addr, &ip.addr));
	} else if (w->within) {
		hit = w->within->plen <= ip.plen && prefix_contains(w->within, &ip.addr);
	} else {
		hit = false;
		for (size_t i = 0; !hit && i < w->list->n; i++)
			hit = w->list->v[i].plen <= ip.plen && prefix_contains(&w->list->v[i], &ip.addr);
	}
	if (hit) {
		deactivate(w->v, b, w->reason, w->now_us);
		w->n++;
	}
}

unsigned vrd_unblock(struct verdict *v, const struct ipprefix *ip, const char *reason, uint64_t now_us)
{
	struct unblock_walk w = { .v = v, .within = ip, .reason = reason, .now_us = now_us };
	if (ip->plen == 128) { /* the common case: no walk */
		struct akey k = block_key(ip);
		struct vblock *b = atab_find(v->tab, &k);
		if (b && b->active) {
			deactivate(v, b, reason, now_us);
			return 1;
		}
		return 0;
	}
	atab_foreach(v->tab, unblock_one, &w);
	return w.n;
}

void vrd_sync_lists(struct verdict *v, uint64_t now_us)
{
	struct unblock_walk w = { .v = v, .list = &v->cfg->whitelist, .reason = "address is whitelisted", .now_us = now_us };
	atab_foreach(v->tab, unblock_one, &w);
	w = (struct unblock_walk){ .v = v, .list = &v->cfg->blacklist, .blacklist_only = true,
	                           .reason = "removed from the blacklist", .now_us = now_us };
	atab_foreach(v->tab, unblock_one, &w);
	for (size_t i = 0; i < v->cfg->blacklist.n; i++) {
		struct vblock *b = record(v, &v->cfg->blacklist.v[i]);
		if (!b || b->active)
			continue;
		struct observation o = { .kind = OBS_FIRE, .det = DET_BLACKLIST, .ts_us = now_us,
		                         .reason = "address is on the blacklist" };
		activate(v, b, &o, 0);
	}
}

struct active_walk {
	void (*fn)(void *ctx, const struct vrd_active *a);
	void *ctx;
};

static void active_one(void *rec, void *ctx)
{
	struct vblock *b = rec;
	struct active_walk *w = ctx;
	if (!b->active)
		return;
	struct vrd_active a = { block_prefix(b), (enum detector)b->det, b->inst, b->permanent ? 0 : b->end_us };
	w->fn(w->ctx, &a);
}

void vrd_foreach_active(struct verdict *v, void (*fn)(void *ctx, const struct vrd_active *a), void *ctx)
{
	struct active_walk w = { fn, ctx };
	atab_foreach(v->tab, active_one, &w);
}

void vrd_stats_get(const struct verdict *v, struct vrd_stats *out)
{
	*out = v->st;
}
