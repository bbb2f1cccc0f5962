/* api: hand-over from the HTTP thread to the main thread, the admin_login
 * rule, and the handlers of the admin page's API (settings in api_cfg.c,
 * metrics in metrics.c). */
#include "api.h"
#include "api_cfg.h"
#include "dops.h"
#include "version.h"
#include "win.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOGIN_TRACK 256       /* addresses with recent failed logins */
#define EVENTS_MAX 1000
#define BLOCKS_MAX 10000

enum call_kind { CALL_HANDLE, CALL_METRICS, CALL_LOGIN_FAILED };

/* One request for the main thread, from the HTTP server's thread, which
 * waits for it (handoff_call). */
struct call {
	enum call_kind kind;
	const char *method, *path, *query, *body, *client_ip;
	size_t len;
	struct http_reply *out;
	int rc;
	struct api *a;
	struct handoff_call hc;
};

struct login_fail {
	struct ipaddr ip;
	struct win w;
	uint64_t last_us;
};

struct api {
	struct daemon *d;
	struct http *http;
	struct login_fail fails[LOGIN_TRACK];
};

/* ---- hand-over ---- */

static void run_call(void *arg);

static int call_main(struct api *a, struct call *c)
{
	c->a = a;
	c->hc = (struct handoff_call){ .fn = run_call, .arg = c };
	return handoff_call(a->d->ho, &c->hc) == 0 ? c->rc : -1;
}

static int on_handle(void *ctx, const char *method, const char *path, const char *query,
                     const char *body, size_t len, const char *client_ip, struct http_reply *out)
{
	struct call c = { CALL_HANDLE, method, path, query, body, client_ip, len, out, 0, NULL, { 0 } };
	return call_main(ctx, &c);
}

static int on_metrics(void *ctx, struct http_reply *out)
{
	struct call c = { .kind = CALL_METRICS, .out = out };
	return call_main(ctx, &c);
}

static void on_login_failed(void *ctx, const char *client_ip)
{
	struct call c = { .kind = CALL_LOGIN_FAILED, .client_ip = client_ip };
	call_main(ctx, &c);
}

/* Failed logins of one address within the admin_login window block it
 * like any other attack (detector admin_login). */
static void login_failed(struct api *a, const char *client_ip)
{
	const struct cfg_rule *rule = &a->d->cfg->http.admin_login;
	struct ipaddr ip;
	uint64_t now = daemon_now();
	if (!ip_parse(&ip, client_ip) || !rule->count)
		return;
	struct login_fail *f = NULL, *oldest = &a->fails[0];
	for (int i = 0; i < LOGIN_TRACK && !f; i++) {
		if (a->fails[i].last_us && ip_eq(&a->fails[i].ip, &ip))
			f = &a->fails[i];
		else if (a->fails[i].last_us < oldest->last_us)
			oldest = &a->fails[i];
	}
	if (!f) {
		f = oldest;
		memset(f, 0, sizeof *f);
		f->ip = ip;
	}
	f->last_us = now;
	uint32_t n = win_add(&f->w, rule->window_s, now);
	fprintf(stderr, "sipwarden: http: failed admin login from %s (%u in %u s)\n", client_ip, n, rule->window_s);
	if (n < rule->count)
		return;
	win_reset(&f->w);
	char reason[128];
	snprintf(reason, sizeof reason, "%u failed admin logins in %u s", n, rule->window_s);
	struct observation o = { .kind = OBS_FIRE, .det = DET_ADMIN_LOGIN, .key = { ip, 0 }, .ts_us = now,
	                         .count = n, .window_s = rule->window_s, .reason = reason };
	vrd_observe(eng_verdict(a->d->eng), &o);
	worker_flush(a->d->fw_w);
}

/* Runs one request on the main thread. */
static void run_call(void *arg)
{
	struct call *c = arg;
	if (c->kind == CALL_HANDLE)
		c->rc = api_handle(c->a->d, c->method, c->path, c->query, c->body, c->len, c->out);
	else if (c->kind == CALL_METRICS)
		c->rc = api_metrics(c->a->d, c->out);
	else
		login_failed(c->a, c->client_ip);
	fflush(stderr);
}

static void http_conf_of(const struct config *cfg, struct http_conf *hc)
{
	*hc = (struct http_conf){
		.listen = cfg->http.listen, .tls_cert = cfg->http.tls_cert, .tls_key = cfg->http.tls_key,
		.password_hash = cfg->http.password_hash, .metrics_auth = cfg->http.metrics_auth,
		.server_name = cfg->http.server_name, .trusted_proxies = cfg->http.trusted_proxies,
		.n_trusted_proxies = cfg->http.n_trusted_proxies,
		.login_fails = cfg->http.admin_login.count, .login_window_s = cfg->http.admin_login.window_s,
	};
}

static void seed_blocked(void *ctx, const struct vrd_active *b)
{
	http_block(ctx, &b->ip, true);
}

struct api *api_start(struct daemon *d, char *err, size_t errlen)
{
	struct api *a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->d = d;
	struct http_conf hc;
	http_conf_of(d->cfg, &hc);
	struct http_api cb = { a, on_handle, on_metrics, on_login_failed };
	if (!(a->http = http_start(&hc, &cb, err, errlen))) {
		api_stop(a);
		return NULL;
	}
	vrd_foreach_active(eng_verdict(d->eng), seed_blocked, a->http);
	return a;
}

/* Block and unblock events (main thread): the HTTP server's own view. */
void api_event(struct api *a, const struct event *e)
{
	if (e->type == EVT_BLOCK || e->type == EVT_UNBLOCK)
		http_block(a->http, &e->ip, e->type == EVT_BLOCK);
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	http_stop(a->http);
	free(a);
}

void api_set_config(struct api *a, const struct config *cfg)
{
	http_set_password_hash(a->http, cfg->http.password_hash);
	http_set_names(a->http, cfg->http.server_name, cfg->http.trusted_proxies, cfg->http.n_trusted_proxies);
}

/* ---- handlers ---- */

struct req {
	struct daemon *d;
	const char *method, *path, *query, *body;
	size_t len;
	struct http_reply *out;
};

static int bad(struct http_reply *out, int status, const char *msg, const char *field)
{
	http_reply_json_error(out, status, msg, field);
	return 0;
}

static const char *iso(uint64_t us, char *buf)
{
	return time_format_iso(us, buf);
}

struct top_ctx {
	struct http_reply *out;
	int n;
};

static void top_one(void *ctx, const char *ip, uint64_t count)
{
	struct top_ctx *t = ctx;
	http_reply_printf(t->out, "%s{\"ip\":", t->n++ ? "," : "");
	http_reply_json_str(t->out, ip);
	http_reply_printf(t->out, ",\"count\":%llu}", (unsigned long long)count);
}

static int h_status(struct req *r)
{
	struct daemon *d = r->d;
	struct eng_stats st;
	struct notify_stats ns;
	uint64_t recv = 0, drop = 0, now = daemon_now();
	eng_stats_get(d->eng, &st);
	cap_live_stats(d->cap, &recv, &drop);
	ntf_stats(d->ntf, &ns);
	worker_flush(d->store_w);
	http_reply_printf(r->out, "{\"version\":\"%s\",\"uptime_s\":%llu,\"active_blocks\":%llu,"
	                  "\"kernel_drops\":%llu,\"packets\":%llu,\"sip_messages\":%llu,\"firewall\":\"%s\","
	                  "\"outbox\":%ld,\"top_attackers\":[",
	                  SW_VERSION_STR, (unsigned long long)((now - d->started_us) / 1000000),
	                  (unsigned long long)st.vrd.active, (unsigned long long)drop,
	                  (unsigned long long)st.frames, (unsigned long long)st.sip_messages,
	                  fw_backend_name(d->fw), ns.outbox);
	struct top_ctx t = { r->out, 0 };
	if (store_attackers(d->rstore, now - 7 * 86400ULL * 1000000, 10, top_one, &t) != 0)
		return bad(r->out, 500, store_error(d->rstore), NULL);
	http_reply_printf(r->out, "]}");
	return 0;
}

/* ---- blocks ---- */

struct blocks_ctx {
	struct http_reply *out;
	const char *q;
	unsigned limit, total, shown;
};

static void block_one(void *ctx, const struct store_block *b)
{
	struct blocks_ctx *c = ctx;
	char ip[IP_STRLEN], t[32];
	prefix_format(&b->ip, ip);
	if (c->q[0] && !strstr(ip, c->q))
		return;
	if (c->total++ >= c->limit)
		return;
	http_reply_printf(c->out, "%s{\"ip\":\"%s\",\"detector\":", c->shown++ ? "," : "", ip);
	http_reply_json_str(c->out, b->detector);
	http_reply_printf(c->out, ",\"reason\":");
	http_reply_json_str(c->out, b->reason);
	http_reply_printf(c->out, ",\"instance\":");
	http_reply_json_str(c->out, b->instance);
	http_reply_printf(c->out, ",\"start\":\"%s\",\"end\":", iso(b->start_us, t));
	if (b->permanent)
		http_reply_printf(c->out, "null,\"permanent\":true}");
	else
		http_reply_printf(c->out, "\"%s\",\"permanent\":false}", iso(b->end_us, t));
}

static unsigned query_uint(const char *query, const char *name, unsigned def, unsigned max)
{
	char v[16];
	if (!http_query_param(query, name, v, sizeof v) || !v[0])
		return def;
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	return *end || x == 0 ? def : x > max ? max : (unsigned)x;
}

static int h_blocks_get(struct req *r)
{
	char q[64] = "";
	http_query_param(r->query, "q", q, sizeof q);
	struct blocks_ctx c = { r->out, q, query_uint(r->query, "limit", 1000, BLOCKS_MAX), 0, 0 };
	worker_flush(r->d->store_w);
	http_reply_printf(r->out, "{\"blocks\":[");
	if (store_blocks_active(r->d->rstore, daemon_now(), block_one, &c) != 0)
		return bad(r->out, 500, store_error(r->d->rstore), NULL);
	http_reply_printf(r->out, "],\"total\":%u}", c.total);
	return 0;
}

/* Reads member name of the body as an address or prefix. */
static bool body_prefix(struct req *r, const char *name, struct ipprefix *p)
{
	char v[IP_STRLEN];
	return http_json_get(r->body, r->len, name, v, sizeof v) == 1 && prefix_parse(p, v);
}

static int h_blocks_post(struct req *r)
{
	struct ipprefix p;
	char dur[32] = "", reason[128] = "", err[256];
	uint32_t secs = r->d->cfg->inst[0].rules.block_time_s;
	if (!body_prefix(r, "address", &p))
		return bad(r->out, 400, "not an address or prefix (host bits zero)", "address");
	if (http_json_get(r->body, r->len, "duration", dur, sizeof dur) < 0)
		return bad(r->out, 400, "duration: expected a string such as 1h or permanent", "duration");
	if (!strcmp(dur, "permanent")) {
		secs = 0;
	} else if (dur[0]) {
		const char *m = cfg_parse_duration(dur, &secs);
		if (m || secs == 0)
			return bad(r->out, 400, m ? m : "duration must be at least 1s", "duration");
	}
	if (http_json_get(r->body, r->len, "reason", reason, sizeof reason) < 0)
		return bad(r->out, 400, "reason: expected a short text", "reason");
	int rc = dop_block(r->d, &p, secs, reason, err, sizeof err);
	if (rc < 0)
		return bad(r->out, 409, err, "address");
	http_reply_printf(r->out, "{\"ok\":true,\"blocked\":%s}", rc == 0 ? "true" : "false");
	return 0;
}

static int h_blocks_delete(struct req *r, const char *addr)
{
	struct ipprefix p;
	if (!prefix_parse(&p, addr))
		return bad(r->out, 400, "not an address or prefix (host bits zero)", "address");
	if (dop_unblock(r->d, &p, "unblocked from the admin page") == 0)
		return bad(r->out, 404, "not blocked", "address");
	http_reply_printf(r->out, "{\"ok\":true}");
	return 0;
}

/* ---- whitelist and blacklist ---- */

struct lists_ctx {
	struct http_reply *out;
	int n;
};

static void list_one(void *ctx, const struct dop_list_entry *e)
{
	struct lists_ctx *l = ctx;
	char ip[IP_STRLEN], t[32];
	http_reply_printf(l->out, "%s{\"address\":\"%s\",\"comment\":", l->n++ ? "," : "", prefix_format(&e->ip, ip));
	http_reply_json_str(l->out, e->comment);
	if (e->runtime)
		http_reply_printf(l->out, ",\"added\":\"%s\",\"source\":\"runtime\"}", iso(e->added_us, t));
	else
		http_reply_printf(l->out, ",\"added\":null,\"source\":\"config\"}");
}

static int h_list_get(struct req *r, bool white)
{
	struct lists_ctx c = { r->out, 0 };
	http_reply_printf(r->out, "{\"entries\":[");
	if (dop_list_each(r->d, white, list_one, &c) != 0)
		return bad(r->out, 500, store_error(r->d->rstore), NULL);
	http_reply_printf(r->out, "]}");
	return 0;
}

static int h_list_post(struct req *r, bool white)
{
	struct ipprefix p;
	char comment[128] = "", err[256];
	if (!body_prefix(r, "address", &p))
		return bad(r->out, 400, "not an address or prefix (host bits zero)", "address");
	if (http_json_get(r->body, r->len, "comment", comment, sizeof comment) < 0)
		return bad(r->out, 400, "comment: expected a short text", "comment");
	for (char *c = comment; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	if (dop_list_add(r->d, white, &p, comment, err, sizeof err) != 0)
		return bad(r->out, 500, err, NULL);
	http_reply_printf(r->out, "{\"ok\":true}");
	return 0;
}

static void runtime_one(void *ctx, const struct dop_list_entry *e)
{
	if (e->runtime)
		cfg_prefixes_add(ctx, &e->ip);
}

/* Removes an entry: one added at run time from the store; one of the
 * configuration file from its [lists] line (the file is rewritten). */
static int h_list_delete(struct req *r, bool white)
{
	struct ipprefix p;
	char v[IP_STRLEN], err[256];
	if (!http_query_param(r->query, "address", v, sizeof v) || !prefix_parse(&p, v))
		return bad(r->out, 400, "not an address or prefix (host bits zero)", "address");
	struct cfg_prefixes runtime = { 0 };
	dop_list_each(r->d, white, runtime_one, &runtime);
	bool is_runtime = cfg_prefixes_find(&runtime, &p) >= 0;
	free(runtime.v);
	const struct cfg_prefixes *l = white ? &r->d->cfg->whitelist : &r->d->cfg->blacklist;
	if (cfg_prefixes_find(l, &p) < 0)
		return bad(r->out, 404, white ? "not on the whitelist" : "not on the blacklist", "address");
	if (is_runtime) {
		if (dop_list_del(r->d, white, &p, err, sizeof err) != 0)
			return bad(r->out, 404, err, "address");
		http_reply_printf(r->out, "{\"ok\":true}");
		return 0;
	}
	char joined[8192] = "";
	size_t off = 0;
	for (size_t i = 0; i < l->n; i++) {
		char ip[IP_STRLEN];
		if (l->v[i].plen == p.plen && ip_eq(&l->v[i].addr, &p.addr))
			continue;
		off += (size_t)snprintf(joined + off, off < sizeof joined ? sizeof joined - off : 0, "%s%s",
		                        off ? ", " : "", prefix_format(&l->v[i], ip));
	}
	const char *key = white ? "lists.whitelist" : "lists.blacklist";
	const char *val = joined;
	return apicfg_apply(r->d, 1, &key, &val, r->out);
}

/* ---- recipients ---- */

static int h_recipients(struct req *r)
{
	const struct cfg_notify *n = &r->d->cfg->notify;
	if (!strcmp(r->method, "GET")) {
		http_reply_printf(r->out, "{\"recipients\":[");
		for (unsigned i = 0; i < n->n_rcpts; i++) {
			http_reply_printf(r->out, i ? "," : "");
			http_reply_json_str(r->out, n->rcpts[i]);
		}
		http_reply_printf(r->out, "]}");
		return 0;
	}
	char addr[CFG_MAIL_LEN] = "", joined[CFG_MAX_RCPTS * (CFG_MAIL_LEN + 2)] = "";
	bool post = !strcmp(r->method, "POST"), found = false;
	if (post ? http_json_get(r->body, r->len, "address", addr, sizeof addr) != 1
	         : !http_query_param(r->query, "address", addr, sizeof addr))
		return bad(r->out, 400, "a mail address such as admin@example.com is needed", "address");
	size_t off = 0;
	for (unsigned i = 0; i < n->n_rcpts; i++) {
		if (!strcasecmp(n->rcpts[i], addr)) {
			found = true;
			if (!post)
				continue;
		}
		off += (size_t)snprintf(joined + off, sizeof joined - off, "%s%s", off ? ", " : "", n->rcpts[i]);
	}
	if (post && !cfg_mail_address_ok(addr))
		return bad(r->out, 400, "not a mail address such as admin@example.com", "address");
	if (post && found)
		return bad(r->out, 409, "already a recipient", "address");
	if (!post && !found)
		return bad(r->out, 404, "not a recipient", "address");
	if (post)
		snprintf(joined + off, sizeof joined - off, "%s%s", off ? ", " : "", addr);
	const char *key = "notify.recipients";
	const char *val = joined;
	return apicfg_apply(r->d, 1, &key, &val, r->out);
}

static int h_notify_test(struct req *r)
{
	char msg[256];
	bool ok = ntf_test_mail(r->d->ntf, msg, sizeof msg);
	if (!ok)
		return bad(r->out, 409, msg, NULL);
	http_reply_printf(r->out, "{\"ok\":true,\"message\":");
	http_reply_json_str(r->out, msg);
	http_reply_printf(r->out, "}");
	return 0;
}

/* ---- events and statistics ---- */

struct ev_ctx {
	struct http_reply *out;
	int n;
};

static void event_one(void *ctx, const char *json)
{
	struct ev_ctx *e = ctx;
	http_reply_printf(e->out, "%s%s", e->n++ ? "," : "", json);
}

/* "2026-11-27T08:00:00Z" (fractions allowed) or a Unix time. */
static bool parse_time(const char *s, uint64_t *us)
{
	if (time_parse_iso(s, us))
		return true;
	char *e;
	unsigned long long v = strtoull(s, &e, 10);
	if (*e || !*s)
		return false;
	*us = v * 1000000;
	return true;
}

static int h_events(struct req *r)
{
	char since[48] = "", det[32] = "", ip[IP_STRLEN] = "";
	uint64_t since_us = 0;
	if (http_query_param(r->query, "since", since, sizeof since) && since[0] && !parse_time(since, &since_us))
		return bad(r->out, 400, "since: expected a time such as 2026-11-27T08:00:00Z", "since");
	http_query_param(r->query, "detector", det, sizeof det);
	http_query_param(r->query, "ip", ip, sizeof ip);
	struct ipprefix p;
	if (ip[0] && !prefix_parse(&p, ip))
		return bad(r->out, 400, "ip: not an address", "ip");
	worker_flush(r->d->store_w);
	struct ev_ctx e = { r->out, 0 };
	http_reply_printf(r->out, "{\"events\":[");
	if (store_events(r->d->rstore, since_us, query_uint(r->query, "limit", 100, EVENTS_MAX), det[0] ? det : NULL,
	                 ip[0] ? ip : NULL, event_one, &e) != 0)
		return bad(r->out, 500, store_error(r->d->rstore), NULL);
	http_reply_printf(r->out, "]}");
	return 0;
}

static int h_hourly(struct req *r)
{
	unsigned days = query_uint(r->query, "days", 7, 31), hours = days * 24;
	uint64_t hour = 3600ULL * 1000000, start = daemon_now() / hour * hour - (uint64_t)(hours - 1) * hour;
	uint32_t counts[31 * 24];
	char t[32];
	worker_flush(r->d->store_w);
	if (store_hourly(r->d->rstore, start, hours, counts) != 0)
		return bad(r->out, 500, store_error(r->d->rstore), NULL);
	http_reply_printf(r->out, "{\"start\":\"%s\",\"counts\":[", iso(start, t));
	for (unsigned i = 0; i < hours; i++)
		http_reply_printf(r->out, i ? ",%u" : "%u", counts[i]);
	http_reply_printf(r->out, "]}");
	return 0;
}

/* ---- routing ---- */

static bool is(const struct req *r, const char *method, const char *path)
{
	return !strcmp(r->method, method) && !strcmp(r->path, path);
}

int api_handle(struct daemon *d, const char *method, const char *path, const char *query,
               const char *body, size_t len, struct http_reply *out)
{
	struct req r = { d, method, path, query ? query : "", body ? body : "", len, out };
	static const char blocks[] = "/api/blocks/", lists[] = "/api/lists/";
	if (is(&r, "GET", "/api/status"))
		return h_status(&r);
	if (is(&r, "GET", "/api/config"))
		return apicfg_get(d, out);
	if (is(&r, "PUT", "/api/config"))
		return apicfg_put(d, r.body, len, out);
	if (is(&r, "GET", "/api/blocks"))
		return h_blocks_get(&r);
	if (is(&r, "POST", "/api/blocks"))
		return h_blocks_post(&r);
	if (!strcmp(method, "DELETE") && !strncmp(path, blocks, sizeof blocks - 1))
		return h_blocks_delete(&r, path + sizeof blocks - 1);
	if (!strncmp(path, lists, sizeof lists - 1)) {
		const char *name = path + sizeof lists - 1;
		bool white = !strcmp(name, "whitelist");
		if (!white && strcmp(name, "blacklist"))
			return bad(out, 404, "no such list: use whitelist or blacklist", NULL);
		if (!strcmp(method, "GET"))
			return h_list_get(&r, white);
		if (!strcmp(method, "POST"))
			return h_list_post(&r, white);
		if (!strcmp(method, "DELETE"))
			return h_list_delete(&r, white);
		return bad(out, 405, "method not allowed", NULL);
	}
	if (!strcmp(path, "/api/recipients")) {
		if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "DELETE"))
			return bad(out, 405, "method not allowed", NULL);
		return h_recipients(&r);
	}
	if (is(&r, "POST", "/api/notify/test"))
		return h_notify_test(&r);
	if (is(&r, "GET", "/api/events"))
		return h_events(&r);
	if (is(&r, "GET", "/api/stats/hourly"))
		return h_hourly(&r);
	return bad(out, 404, "no such API endpoint", NULL);
}
