/* fw_nft: the nftables backend, through libnftables (netlink, no helper
 * process).
 *
 * Our table "inet T" holds six sets and one chain:
 *   v4, v6        host addresses: hash sets with per-element timeouts;
 *   v4net, v6net  prefixes: interval sets with per-element timeouts;
 *   allow4, allow6  the whitelist: interval sets, no timeouts;
 *   prerouting    hook prerouting, priority raw (-300), policy accept, first
 *                 "saddr @allow4 accept" and "saddr @allow6 accept" (so a
 *                 blocked prefix stays one element with whitelisted holes),
 *                 then one "saddr @set counter drop" rule per set (scope all), or
 *                 per set a rule restricted to the protected protocols and
 *                 ports plus one for non-first fragments (scope services).
 * Hosts and prefixes live apart because nft 1.0.x handles interval sets in
 * user space (it reads the whole set for each change): a 100,000-element
 * interval set fills at ~4,000/s and slows every later batch, while a hash
 * set takes >200,000/s; and an interval set refuses an address inside a
 * blocked prefix ("interval overlaps").
 *
 * Re-blocking: an element's timeout is set only when it is created (kernels
 * before 6.12 ignore a new timeout on "add element"), and "delete element"
 * of an absent element fails the whole transaction.  So a block is, in one
 * transaction, "add element S { e }; delete element S { e }; add element S
 * { e timeout N }": the first add makes e present whatever its state, the
 * delete then always succeeds, the last add creates it afresh with the new
 * timeout.  No read first, no race with the kernel expiring e meanwhile.
 * Prefix sets do this only for prefixes already present (listed first),
 * because deletes in interval sets are slow in nft 1.0.x; absent prefixes
 * get a plain add. */
#include "fw_int.h"

#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_V4, S_V6, S_V4NET, S_V6NET, S__COUNT };
static const char *const set_name[S__COUNT] = { "v4", "v6", "v4net", "v6net" };

struct nft {
	struct nft_ctx *ctx;
	struct fw_buf cmd;
	struct ipprefix *allow;     /* the allowed prefixes, re-added by setup() */
	size_t n_allow;
};

static int set_of(const struct ipprefix *p)
{
	return (fw_is_v4(p) ? S_V4 : S_V6) + (fw_is_host(p) ? 0 : 2);
}

/* Runs one batch of commands (json: list output as JSON, in *out).
 * Returns 0, or -1 with nft's first error line in err. */
static int run(struct fw *f, const char *cmd, bool json, const char **out, char *err, size_t errlen)
{
	struct nft *n = f->priv;
	nft_ctx_output_set_flags(n->ctx, json ? NFT_CTX_OUTPUT_JSON : 0);
	int rc = nft_run_cmd_from_buffer(n->ctx, cmd);
	const char *o = nft_ctx_get_output_buffer(n->ctx);
	const char *e = nft_ctx_get_error_buffer(n->ctx);
	if (rc != 0) {
		fw_set_err(err, errlen, "nftables", e && *e ? e : "command failed");
		return -1;
	}
	if (out)
		*out = o ? o : "";
	return 0;
}

/* Runs the text in n->cmd; fails on a formatting error (no memory). */
static int run_cmd(struct fw *f, char *err, size_t errlen)
{
	struct nft *n = f->priv;
	if (n->cmd.failed) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		return -1;
	}
	return n->cmd.len ? run(f, n->cmd.p, false, NULL, err, errlen) : 0;
}

/* ---- table, sets and rules ---- */

/* "flush set" of both allow sets and "add element" of the allowed prefixes. */
static void allow_text(struct fw *f, struct fw_buf *b)
{
	struct nft *n = f->priv;
	char buf[IP_STRLEN];
	for (int v6 = 0; v6 < 2; v6++) {
		bool open = false;
		fwb_printf(b, "flush set inet %s allow%d\n", f->cfg.table, v6 ? 6 : 4);
		for (size_t i = 0; i < n->n_allow; i++) {
			if (fw_is_v4(&n->allow[i]) == (v6 != 0))
				continue;
			if (!open)
				fwb_printf(b, "add element inet %s allow%d { ", f->cfg.table, v6 ? 6 : 4);
			fwb_printf(b, "%s%s", open ? ", " : "", prefix_format(&n->allow[i], buf));
			open = true;
		}
		if (open)
			fwb_printf(b, " }\n");
	}
}

static void add_rules(struct fw *f, struct fw_buf *b)
{
	const char *t = f->cfg.table;
	fwb_printf(b, "add rule inet %s prerouting ip saddr @allow4 accept\n", t);
	fwb_printf(b, "add rule inet %s prerouting ip6 saddr @allow6 accept\n", t);
	for (int s = 0; s < S__COUNT; s++) {
		const char *fam = s == S_V4 || s == S_V4NET ? "ip" : "ip6";
		if (f->cfg.scope == FW_SCOPE_ALL) {
			fwb_printf(b, "add rule inet %s prerouting %s saddr @%s counter drop\n", t, fam, set_name[s]);
			continue;
		}
		fwb_printf(b, "add rule inet %s prerouting meta l4proto %s th dport { ", t,
		           f->cfg.udp && f->cfg.tcp ? "{ udp, tcp }" : f->cfg.udp ? "udp" : "tcp");
		unsigned pos = 0, lo, hi;
		for (int i = 0; fw_port_range(f->ports, &pos, &lo, &hi); i++) {
			if (lo == hi)
				fwb_printf(b, "%s%u", i ? ", " : "", lo);
			else
				fwb_printf(b, "%s%u-%u", i ? ", " : "", lo, hi);
		}
		fwb_printf(b, " } %s saddr @%s counter drop\n", fam, set_name[s]);
		/* a non-first fragment has no ports: drop them all from blocked
		 * sources (without defragmentation before us, the datagram's
		 * first fragment went through the rule above) */
		fwb_printf(b, "add rule inet %s prerouting %s %s saddr @%s counter drop\n", t,
		           s == S_V6 || s == S_V6NET ? "frag frag-off != 0" : "ip frag-off & 0x1fff != 0",
		           fam, set_name[s]);
	}
}

/* Creates what is missing and replaces our rules, in one transaction.  The
 * add commands leave existing objects (and set elements) alone. */
static int setup(struct fw *f, char *err, size_t errlen)
{
	struct nft *n = f->priv;
	const char *t = f->cfg.table;
	struct fw_buf *b = &n->cmd;
	fwb_reset(b);
	fwb_printf(b, "add table inet %s\n", t);
	for (int s = 0; s < S__COUNT; s++)
		fwb_printf(b, "add set inet %s %s { type %s; flags %stimeout; }\n", t, set_name[s],
		           s == S_V4 || s == S_V4NET ? "ipv4_addr" : "ipv6_addr", s >= S_V4NET ? "interval, " : "");
	fwb_printf(b, "add set inet %s allow4 { type ipv4_addr; flags interval; }\n", t);
	fwb_printf(b, "add set inet %s allow6 { type ipv6_addr; flags interval; }\n", t);
	allow_text(f, b);
	fwb_printf(b, "add chain inet %s prerouting { type filter hook prerouting priority raw; policy accept; }\n", t);
	fwb_printf(b, "flush chain inet %s prerouting\n", t);
	add_rules(f, b);
	return run_cmd(f, err, errlen);
}

static int nft_open(struct fw *f, char *err, size_t errlen)
{
	struct nft *n = calloc(1, sizeof *n);
	if (!n || !(n->ctx = nft_ctx_new(NFT_CTX_DEFAULT))) {
		free(n);
		fw_set_err(err, errlen, "nftables", "cannot create a libnftables context");
		return -1;
	}
	nft_ctx_buffer_output(n->ctx);
	nft_ctx_buffer_error(n->ctx);
	f->priv = n;
	if (setup(f, err, errlen) != 0) {
		if (strstr(err, "File exists")) {
			size_t k = strlen(err);
			snprintf(err + k, errlen - k, " (table inet %s has other definitions: "
			         "\"nft delete table inet %s\" removes it)", f->cfg.table, f->cfg.table);
		}
		fwb_free(&n->cmd);
		nft_ctx_free(n->ctx);
		free(n);
		f->priv = NULL;
		return -1;
	}
	return 0;
}

static void nft_close(struct fw *f, bool remove)
{
	struct nft *n = f->priv;
	if (remove) {
		char cmd[128], err[256];
		snprintf(cmd, sizeof cmd, "delete table inet %s\n", f->cfg.table);
		run(f, cmd, false, NULL, err, sizeof err);
	}
	fwb_free(&n->cmd);
	nft_ctx_free(n->ctx);
	free(n->allow);
	free(n);
}

/* True when our chain is still there (someone may have run "nft flush
 * ruleset", e.g. a reload of nftables.service). */
static bool table_present(struct fw *f)
{
	char cmd[128], err[64];
	snprintf(cmd, sizeof cmd, "list chain inet %s prerouting\n", f->cfg.table);
	return run(f, cmd, false, NULL, err, sizeof err) == 0;
}

/* ---- reading sets: just enough JSON for "nft -j list set" ---- */

struct jp {
	const char *p, *e;
	int depth;
};

struct elem {
	struct ipprefix ip;
	bool have_ip;
	uint64_t timeout, expires;
};

struct lister {
	fw_list_fn fn;
	void *ctx;
};

static void jws(struct jp *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool jch(struct jp *j, char c)
{
	jws(j);
	if (j->p < j->e && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool jpeek(struct jp *j, char c)
{
	jws(j);
	return j->p < j->e && *j->p == c;
}

/* A string into out (cut to n-1 bytes; escapes kept as their letter). */
static bool jstr(struct jp *j, char *out, size_t n)
{
	size_t k = 0;
	if (!jch(j, '"'))
		return false;
	while (j->p < j->e && *j->p != '"') {
		if (*j->p == '\\' && ++j->p == j->e)
			return false;
		if (k + 1 < n)
			out[k++] = *j->p;
		j->p++;
	}
	if (n)
		out[k] = '\0';
	return jch(j, '"');
}

static bool jnum(struct jp *j, uint64_t *v)
{
	jws(j);
	const char *s = j->p;
	*v = 0;
	while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
		*v = *v * 10 + (uint64_t)(*j->p++ - '0');
	return j->p > s;
}

typedef bool (*jmember_fn)(struct jp *j, const char *key, void *ctx);
typedef bool (*jitem_fn)(struct jp *j, void *ctx);

static bool jskip(struct jp *j);

/* An object: calls fn for each member, which must consume the value. */
static bool jobj(struct jp *j, jmember_fn fn, void *ctx)
{
	char key[32];
	if (++j->depth > 32 || !jch(j, '{'))
		return false;
	if (!jch(j, '}')) {
		do {
			if (!jstr(j, key, sizeof key) || !jch(j, ':') || !(fn ? fn(j, key, ctx) : jskip(j)))
				return false;
		} while (jch(j, ','));
		if (!jch(j, '}'))
			return false;
	}
	j->depth--;
	return true;
}

static bool jarr(struct jp *j, jitem_fn fn, void *ctx)
{
	if (++j->depth > 32 || !jch(j, '['))
		return false;
	if (!jch(j, ']')) {
		do {
			if (!(fn ? fn(j, ctx) : jskip(j)))
				return false;
		} while (jch(j, ','));
		if (!jch(j, ']'))
			return false;
	}
	j->depth--;
	return true;
}

static bool jskip(struct jp *j)
{
	jws(j);
	if (j->p == j->e)
		return false;
	if (*j->p == '{')
		return jobj(j, NULL, NULL);
	if (*j->p == '[')
		return jarr(j, NULL, NULL);
	if (*j->p == '"')
		return jstr(j, NULL, 0);
	const char *s = j->p; /* number, true, false, null */
	while (j->p < j->e && strchr("+-.0123456789eEtrufalsn", *j->p))
		j->p++;
	return j->p > s;
}

static bool prefix_member(struct jp *j, const char *key, void *ctx)
{
	char **addr_len = ctx; /* [0]: address buffer, [1]: length text */
	uint64_t v;
	if (!strcmp(key, "addr"))
		return jstr(j, addr_len[0], IP_STRLEN);
	if (!strcmp(key, "len")) {
		if (!jnum(j, &v) || v > 128)
			return false;
		snprintf(addr_len[1], 8, "/%u", (unsigned)v);
		return true;
	}
	return jskip(j);
}

static bool elem_member(struct jp *j, const char *key, void *ctx);

/* A value: "address", {"prefix": ...}, {"elem": {...}} or {"range": ...}
 * (ranges are not ours: skipped). */
static bool elem_value(struct jp *j, struct elem *el)
{
	char a[IP_STRLEN + 8];
	if (jpeek(j, '"')) {
		if (!jstr(j, a, sizeof a))
			return false;
		el->have_ip = prefix_parse(&el->ip, a);
		return true;
	}
	return jobj(j, elem_member, el);
}

static bool elem_member(struct jp *j, const char *key, void *ctx)
{
	struct elem *el = ctx;
	if (!strcmp(key, "prefix")) {
		char a[IP_STRLEN + 8] = "", l[8] = "";
		char *al[2] = { a, l };
		if (!jobj(j, prefix_member, al))
			return false;
		strncat(a, l, sizeof a - strlen(a) - 1);
		el->have_ip = prefix_parse(&el->ip, a);
		return true;
	}
	if (!strcmp(key, "elem"))
		return jobj(j, elem_member, el);
	if (!strcmp(key, "val"))
		return elem_value(j, el);
	if (!strcmp(key, "timeout"))
		return jnum(j, &el->timeout);
	if (!strcmp(key, "expires"))
		return jnum(j, &el->expires);
	return jskip(j);
}

static bool elem_item(struct jp *j, void *ctx)
{
	struct lister *l = ctx;
	struct elem el = { 0 };
	if (!elem_value(j, &el))
		return false;
	if (el.have_ip) {
		uint64_t left = el.timeout ? (el.expires ? el.expires : 1) : 0;
		struct fw_entry e = { el.ip, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left };
		l->fn(l->ctx, &e);
	}
	return true;
}

static bool set_member(struct jp *j, const char *key, void *ctx)
{
	return !strcmp(key, "elem") ? jarr(j, elem_item, ctx) : jskip(j);
}

static bool cmd_member(struct jp *j, const char *key, void *ctx)
{
	return !strcmp(key, "set") ? jobj(j, set_member, ctx) : jskip(j);
}

static bool cmd_item(struct jp *j, void *ctx)
{
	return jobj(j, cmd_member, ctx);
}

static bool top_member(struct jp *j, const char *key, void *ctx)
{
	return !strcmp(key, "nftables") ? jarr(j, cmd_item, ctx) : jskip(j);
}

/* Calls fn for every element of set s. */
static int list_set(struct fw *f, int s, fw_list_fn fn, void *ctx, char *err, size_t errlen)
{
	char cmd[128];
	const char *out;
	snprintf(cmd, sizeof cmd, "list set inet %s %s\n", f->cfg.table, set_name[s]);
	if (run(f, cmd, true, &out, err, errlen) != 0)
		return -1;
	struct lister l = { fn, ctx };
	struct jp j = { out, out + strlen(out), 0 };
	if (!jobj(&j, top_member, &l)) {
		fw_set_err(err, errlen, "nftables", "cannot parse the JSON listing of a set");
		return -1;
	}
	return 0;
}

static int nft_list(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen)
{
	for (int s = 0; s < S__COUNT; s++)
		if (list_set(f, s, fn, ctx, err, errlen) != 0)
			return -1;
	return 0;
}

/* ---- changing sets ---- */

struct present {
	struct fw_entry *v;
	size_t n, cap;
	bool failed;
};

static void collect(void *ctx, const struct fw_entry *e)
{
	struct present *p = ctx;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct fw_entry *nv = realloc(p->v, ncap * sizeof *nv);
		if (!nv) {
			p->failed = true;
			return;
		}
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = *e;
}

/* The elements of both prefix sets, when any prefix is among v[0..n). */
static int prefixes_present(struct fw *f, const struct ipprefix *v, size_t stride, size_t n,
                            struct present *p, char *err, size_t errlen)
{
	bool any = false;
	for (size_t i = 0; i < n && !any; i++)
		any = !fw_is_host((const struct ipprefix *)((const char *)v + i * stride));
	if (!any)
		return 0;
	if (list_set(f, S_V4NET, collect, p, err, errlen) != 0 || list_set(f, S_V6NET, collect, p, err, errlen) != 0)
		return -1;
	if (p->failed) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		return -1;
	}
	return 0;
}

static const struct fw_entry *find(const struct present *p, const struct ipprefix *ip)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].ip.plen == ip->plen && ip_eq(&p->v[i].ip.addr, &ip->addr))
			return &p->v[i];
	return NULL;
}

/* Appends "VERB element inet T SET { e, ... }" for the entries of set s
 * whose mark has a bit of want, with their timeouts when timeouts. */
static void elements(struct fw *f, struct fw_buf *b, const char *verb, int s, const struct fw_entry *v,
                     const uint8_t *mark, size_t n, uint8_t want, bool timeouts)
{
	bool open = false;
	char buf[IP_STRLEN];
	for (size_t i = 0; i < n; i++) {
		if (set_of(&v[i].ip) != s || !(mark[i] & want))
			continue;
		if (!open)
			fwb_printf(b, "%s element inet %s %s { ", verb, f->cfg.table, set_name[s]);
		fwb_printf(b, "%s%s", open ? ", " : "", prefix_format(&v[i].ip, buf));
		if (timeouts && v[i].timeout_s)
			fwb_printf(b, " timeout %ud%us", v[i].timeout_s / 86400, v[i].timeout_s % 86400);
		open = true;
	}
	if (open)
		fwb_printf(b, " }\n");
}

enum { M_ADD = 1, M_RENEW = 2, M_SKIP = 4 };

/* Builds the block transaction for v[0..n) into n->cmd. */
static void block_text(struct fw *f, const struct fw_entry *v, const uint8_t *mark, size_t n)
{
	struct fw_buf *b = &((struct nft *)f->priv)->cmd;
	fwb_reset(b);
	for (int s = 0; s < S__COUNT; s++) {
		elements(f, b, "add", s, v, mark, n, M_RENEW, false);
		elements(f, b, "delete", s, v, mark, n, M_RENEW, false);
		elements(f, b, "add", s, v, mark, n, M_RENEW | M_ADD, true);
	}
}

/* After a failed block with prefixes in it (most likely one overlapping a
 * prefix in the set or in the batch): hosts in one transaction, then each
 * prefix on its own, so one bad prefix does not hold up the rest. */
static int block_split(struct fw *f, const struct fw_entry *v, const uint8_t *mark, size_t n,
                       size_t nprefix, char *err, size_t errlen)
{
	char first[IP_STRLEN + 288] = "", tmp[224];
	size_t bad = 0;
	uint8_t *m = calloc(n, 1);
	if (!m) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		m[i] = fw_is_host(&v[i].ip) ? mark[i] : 0;
	block_text(f, v, m, n);
	int rc = run_cmd(f, err, errlen);
	for (size_t i = 0; i < n; i++) {
		if (fw_is_host(&v[i].ip))
			continue;
		memset(m, 0, n);
		m[i] = mark[i];
		block_text(f, v, m, n);
		if (run_cmd(f, tmp, sizeof tmp) != 0 && bad++ == 0) {
			char buf[IP_STRLEN];
			snprintf(first, sizeof first, "%s: %s", prefix_format(&v[i].ip, buf), tmp);
		}
	}
	free(m);
	if (rc == 0 && bad) {
		snprintf(err, errlen, "%zu of %zu prefixes refused, first %s", bad, nprefix, first);
		rc = -1;
	}
	return rc;
}

static int nft_block(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen)
{
	struct present p = { 0 };
	uint8_t *mark = malloc(n);
	int rc = -1;
	if (!mark) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		return -1;
	}
	if (prefixes_present(f, &v[0].ip, sizeof *v, n, &p, err, errlen) != 0 &&
	    (table_present(f) || setup(f, err, errlen) != 0 ||
	     prefixes_present(f, &v[0].ip, sizeof *v, n, &p, err, errlen) != 0))
		goto out;
	size_t nprefix = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fw_entry *old = fw_is_host(&v[i].ip) ? NULL : find(&p, &v[i].ip);
		nprefix += !fw_is_host(&v[i].ip);
		mark[i] = fw_is_host(&v[i].ip) ? M_RENEW : !old ? M_ADD
		        : old->timeout_s == 0 && v[i].timeout_s == 0 ? M_SKIP : M_RENEW;
	}
	block_text(f, v, mark, n);
	rc = run_cmd(f, err, errlen);
	if (rc != 0 && !table_present(f) && setup(f, err, errlen) == 0) {
		block_text(f, v, mark, n); /* our table went away: recreated, again */
		rc = run_cmd(f, err, errlen);
	}
	if (rc != 0 && nprefix)
		rc = block_split(f, v, mark, n, nprefix, err, errlen);
out:
	free(p.v);
	free(mark);
	return rc;
}

/* Unblock: "add; delete" of each host and of each prefix present, in one
 * transaction (the add makes the delete succeed for an absent host or a
 * prefix that expired since the listing). */
static int nft_unblock(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	struct present p = { 0 };
	struct fw_entry *e = malloc(n * sizeof *e);
	uint8_t *mark = malloc(n);
	int rc = -1;
	if (!e || !mark) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		goto out;
	}
	if (prefixes_present(f, v, sizeof *v, n, &p, err, errlen) != 0) {
		if (!table_present(f))
			rc = setup(f, err, errlen); /* gone with our table: recreated empty */
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		e[i] = (struct fw_entry){ v[i], 0 };
		mark[i] = fw_is_host(&v[i]) || find(&p, &v[i]) ? M_RENEW : 0;
	}
	struct fw_buf *b = &((struct nft *)f->priv)->cmd;
	fwb_reset(b);
	for (int s = 0; s < S__COUNT; s++) {
		elements(f, b, "add", s, e, mark, n, M_RENEW, false);
		elements(f, b, "delete", s, e, mark, n, M_RENEW, false);
	}
	rc = run_cmd(f, err, errlen);
	if (rc != 0 && !table_present(f))
		rc = setup(f, err, errlen); /* gone with our table: recreated empty */
out:
	free(p.v);
	free(e);
	free(mark);
	return rc;
}

static int nft_flush(struct fw *f, char *err, size_t errlen)
{
	struct fw_buf *b = &((struct nft *)f->priv)->cmd;
	fwb_reset(b);
	for (int s = 0; s < S__COUNT; s++)
		fwb_printf(b, "flush set inet %s %s\n", f->cfg.table, set_name[s]);
	return run_cmd(f, err, errlen);
}

/* Replaces both allow sets in one transaction (recreating our table when
 * it went away). */
static int nft_allow(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	struct nft *nf = f->priv;
	struct ipprefix *copy = malloc((n ? n : 1) * sizeof *copy);
	if (!copy) {
		fw_set_err(err, errlen, "nftables", "out of memory");
		return -1;
	}
	memcpy(copy, v, n * sizeof *copy);
	free(nf->allow);
	nf->allow = copy;
	nf->n_allow = n;
	if (!table_present(f))
		return setup(f, err, errlen);
	fwb_reset(&nf->cmd);
	allow_text(f, &nf->cmd);
	return run_cmd(f, err, errlen);
}

const struct fw_backend fw_nft_backend = {
	"nftables", nft_open, nft_block, nft_unblock, nft_list, nft_flush, nft_close, nft_allow,
};
