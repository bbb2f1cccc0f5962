/* http_login: the replies, the login (argon2id on the hashing worker,
 * the lockout), logout, session, the /metrics gate and the API routes
 * behind the session and CSRF checks.  Runs on the server's thread. */
#include "http_int.h"

#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PASSWORD HTTP_MAX_PASSWORD
#define COOKIE "sw_session"
#define CSP "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#define NO_PASSWORD "no admin password is set yet: set one on the server with `sipwarden passwd`"

static const char internal_error[] = "{\"error\":\"internal error\"}";

void http_reply_init(struct http_reply *r, const char *type)
{
	memset(r, 0, sizeof *r);
	r->status = 200;
	snprintf(r->content_type, sizeof r->content_type, "%s", type);
}

/* ---- responses ---- */

enum MHD_Result http_respond(struct call *x, const struct out *o)
{
	struct MHD_Response *rs = MHD_create_response_from_buffer(
		o->len, (void *)o->data, o->persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (!rs)
		return MHD_NO;
	MHD_add_response_header(rs, "Content-Type", o->type);
	MHD_add_response_header(rs, "Content-Security-Policy", CSP);
	MHD_add_response_header(rs, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(rs, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(rs, "X-Frame-Options", "DENY");
	MHD_add_response_header(rs, "Cache-Control", o->cache ? o->cache : "no-store");
	if (o->cookie)
		MHD_add_response_header(rs, "Set-Cookie", o->cookie);
	if (o->hname)
		MHD_add_response_header(rs, o->hname, o->hval);
	enum MHD_Result ret = MHD_queue_response(x->c, (unsigned)o->status, rs);
	MHD_destroy_response(rs);
	return ret;
}

/* Sends r (a 500 when it failed) and frees its body. */
static enum MHD_Result send_reply(struct call *x, struct http_reply *r, const char *cookie)
{
	struct out o = { .status = r->status, .type = r->content_type, .data = r->body ? r->body : "",
	                 .len = r->len, .cookie = cookie };
	if (r->failed || r->status < 100 || r->status > 599)
		o = (struct out){ .status = 500, .type = "application/json", .data = internal_error,
		                  .len = sizeof internal_error - 1, .persistent = true };
	enum MHD_Result ret = http_respond(x, &o);
	free(r->body);
	r->body = NULL;
	return ret;
}

enum MHD_Result http_send_error(struct call *x, int status, const char *message, const char *field)
{
	struct http_reply r;
	http_reply_init(&r, "application/json");
	http_reply_json_error(&r, status, message, field);
	return send_reply(x, &r, NULL);
}

enum MHD_Result http_not_allowed(struct call *x, const char *allow)
{
	struct http_reply r;
	http_reply_init(&r, "application/json");
	http_reply_json_error(&r, 405, "method not allowed", NULL);
	struct out o = { .status = 405, .type = r.content_type, .data = r.body ? r.body : "",
	                 .len = r.len, .hname = "Allow", .hval = allow };
	enum MHD_Result ret = http_respond(x, &o);
	free(r.body);
	return ret;
}

/* ---- sessions and passwords ---- */

bool http_is_get(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static void copy_hash(struct http *h, char out[AUTH_HASH_MAX])
{
	pthread_mutex_lock(&h->mu);
	memcpy(out, h->hash, AUTH_HASH_MAX);
	pthread_mutex_unlock(&h->mu);
}

static bool password_set(struct http *h)
{
	char hash[AUTH_HASH_MAX];
	copy_hash(h, hash);
	return hash[0] != '\0';
}

static const char *cookie_token(struct call *x)
{
	return MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND, COOKIE);
}

static const struct auth_session *session(struct call *x)
{
	const char *tok = cookie_token(x);
	return tok ? auth_check(x->h->sessions, tok, x->now) : NULL;
}

static void report_failure(struct call *x)
{
	if (x->h->api.login_failed)
		x->h->api.login_failed(x->h->api.ctx, x->ip);
}

enum vres { V_OK, V_WRONG, V_WAIT, V_BUSY, V_LOCKED };

/* The lockout key: an IPv4 address, or the /64 of an IPv6 one (a host has
 * a whole /64 to pick source addresses from). */
static struct ipaddr lock_key(const struct ipaddr *a)
{
	struct ipaddr k = *a;
	if (!ip_is_v4(&k))
		memset(k.b + 8, 0, 8);
	return k;
}

/* Checks pw against hash without running argon2id on this thread: a
 * locked client or an exhausted budget is answered at once (*wait: seconds
 * to Retry-After); else the check is queued and the connection suspended
 * (V_WAIT): MHD calls the handler again when the worker is done, and this
 * call returns the result and counts a failure. */
static enum vres verify(struct call *x, const char *hash, const char *pw, uint32_t *wait)
{
	struct http *h = x->h;
	struct hjob *j = &x->r->job;
	struct ipaddr key = lock_key(&x->r->client);
	if (atomic_load(&j->state) == 2) {
		atomic_store(&j->state, 0);
		if (j->ok) {
			hg_locks_ok(h->locks, &key);
			return V_OK;
		}
		hg_locks_fail(h->locks, &key, x->now);
		report_failure(x);
		return V_WRONG;
	}
	if ((*wait = hg_locks_wait(h->locks, &key, x->now)) > 0) {
		atomic_fetch_add(&h->n_locked, 1);
		return V_LOCKED;
	}
	if (!hpool_reserve(h->pool, http_now_ms())) {
		atomic_fetch_add(&h->n_busy, 1);
		*wait = 1;
		return V_BUSY;
	}
	j->c = x->c;
	snprintf(j->hash, sizeof j->hash, "%s", hash);
	snprintf(j->pw, sizeof j->pw, "%s", pw);
	MHD_suspend_connection(x->c);
	hpool_submit(h->pool, j);
	return V_WAIT;
}

/* 429 (locked) or 503 (budget) with Retry-After. */
static enum MHD_Result send_limited(struct call *x, enum vres v, uint32_t wait)
{
	char msg[96], after[16];
	struct http_reply r;
	if (v == V_LOCKED)
		snprintf(msg, sizeof msg, "too many failed logins: try again in %u s", wait);
	else
		snprintf(msg, sizeof msg, "too many password checks at once: try again shortly");
	snprintf(after, sizeof after, "%u", wait);
	http_reply_init(&r, "application/json");
	http_reply_json_error(&r, v == V_LOCKED ? 429 : 503, msg, NULL);
	struct out o = { .status = r.status, .type = r.content_type, .data = r.body ? r.body : "",
	                 .len = r.len, .hname = "Retry-After", .hval = after };
	enum MHD_Result ret = r.failed ? MHD_NO : http_respond(x, &o);
	free(r.body);
	return ret;
}

/* POST /api/login {"password": "..."} */
static enum MHD_Result do_login(struct call *x)
{
	char hash[AUTH_HASH_MAX], pw[MAX_PASSWORD], cookie[160];
	uint32_t wait = 0;
	copy_hash(x->h, hash);
	if (!hash[0])
		return http_send_error(x, 403, NO_PASSWORD, NULL);
	int got = http_json_get(x->r->body ? x->r->body : "", x->r->len, "password", pw, sizeof pw);
	enum vres v = got == 1 ? verify(x, hash, pw, &wait) : V_WRONG;
	explicit_bzero(pw, sizeof pw);
	if (got != 1)
		return http_send_error(x, 400, "expected a JSON body {\"password\": \"...\"}", "password");
	if (v == V_WAIT)
		return MHD_YES;
	if (v == V_LOCKED || v == V_BUSY)
		return send_limited(x, v, wait);
	if (v != V_OK)
		return http_send_error(x, 401, "wrong password", "password");
	if (cookie_token(x))
		auth_logout(x->h->sessions, cookie_token(x));
	const struct auth_session *se = auth_login(x->h->sessions, x->now);
	snprintf(cookie, sizeof cookie, COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/%s", se->token,
	         x->h->tls ? "; Secure" : "");
	struct http_reply r;
	http_reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"csrf\":\"%s\"}", se->csrf);
	return send_reply(x, &r, cookie);
}

/* POST /api/logout: ends the session (its CSRF token needed) and clears the cookie. */
static enum MHD_Result do_logout(struct call *x)
{
	const struct auth_session *se = session(x);
	if (se && !auth_csrf_ok(se, MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token")))
		return http_send_error(x, 403, "missing or wrong X-CSRF-Token header", NULL);
	if (se)
		auth_logout(x->h->sessions, cookie_token(x));
	struct http_reply r;
	http_reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"ok\":true}");
	return send_reply(x, &r, COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

/* GET /api/session: {"logged_in":bool,"csrf":string|null,"password_set":bool} */
static enum MHD_Result do_session(struct call *x)
{
	const struct auth_session *se = session(x);
	struct http_reply r;
	http_reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"logged_in\":%s,\"csrf\":", se ? "true" : "false");
	http_reply_json_str(&r, se ? se->csrf : NULL);
	http_reply_printf(&r, ",\"password_set\":%s}", password_set(x->h) ? "true" : "false");
	return send_reply(x, &r, NULL);
}

/* HTTP Basic auth with the admin password (any user name), for scrapers;
 * V_WRONG when the request has none. */
static enum vres basic_check(struct call *x, uint32_t *wait)
{
	char *pass = NULL, hash[AUTH_HASH_MAX];
	char *user = MHD_basic_auth_get_username_password(x->c, &pass);
	enum vres v = V_WRONG;
	if (pass) {
		copy_hash(x->h, hash);
		if (hash[0] && strlen(pass) < MAX_PASSWORD)
			v = verify(x, hash, pass, wait);
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return v;
}

/* The HTTP layer's own counters, after the daemon's metrics. */
static void own_metrics(struct http *h, struct http_reply *r)
{
	static const char *const why[] = { "blocked", "host", "origin", "query", "locked", "busy" };
	uint64_t shed, refused, n[6] = {
		atomic_load(&h->n_blocked), atomic_load(&h->n_host), atomic_load(&h->n_origin),
		atomic_load(&h->n_query), atomic_load(&h->n_locked), atomic_load(&h->n_busy) };
	hconns_counts(h->conns, &refused, &shed);
	http_reply_printf(r, "# HELP sipwarden_http_password_checks_total Admin password checks (argon2id) run.\n"
	                  "# TYPE sipwarden_http_password_checks_total counter\n"
	                  "sipwarden_http_password_checks_total %llu\n"
	                  "# HELP sipwarden_http_refused_total Requests the admin page refused before any work, by reason.\n"
	                  "# TYPE sipwarden_http_refused_total counter\n",
	                  (unsigned long long)hpool_runs(h->pool));
	for (size_t i = 0; i < ARRAY_LEN(why); i++)
		http_reply_printf(r, "sipwarden_http_refused_total{reason=\"%s\"} %llu\n", why[i], (unsigned long long)n[i]);
	http_reply_printf(r, "# HELP sipwarden_http_connections_shed_total Connections refused at accept (limits) or shut at a deadline.\n"
	                  "# TYPE sipwarden_http_connections_shed_total counter\n"
	                  "sipwarden_http_connections_shed_total{reason=\"limit\"} %llu\n"
	                  "sipwarden_http_connections_shed_total{reason=\"deadline\"} %llu\n"
	                  "# HELP sipwarden_http_blocked_set_full_total Blocked addresses the HTTP layer could not hold.\n"
	                  "# TYPE sipwarden_http_blocked_set_full_total counter\n"
	                  "sipwarden_http_blocked_set_full_total %llu\n",
	                  (unsigned long long)refused, (unsigned long long)shed, (unsigned long long)atomic_load(&h->n_full));
}

enum MHD_Result http_do_metrics(struct call *x)
{
	static const char need[] = "login or HTTP Basic auth with the admin password required\n";
	uint32_t wait = 0;
	if (!http_is_get(x->method))
		return http_not_allowed(x, "GET, HEAD");
	if (!x->h->api.metrics)
		return http_send_error(x, 404, "not found", NULL);
	enum vres v = x->h->metrics_auth && !session(x) ? basic_check(x, &wait) : V_OK;
	if (v == V_WAIT)
		return MHD_YES;
	if (v == V_LOCKED || v == V_BUSY)
		return send_limited(x, v, wait);
	if (v != V_OK) {
		struct out o = { .status = 401, .type = "text/plain; charset=utf-8", .data = need,
		                 .len = sizeof need - 1, .persistent = true,
		                 .hname = "WWW-Authenticate", .hval = "Basic realm=\"sipwarden\", charset=\"UTF-8\"" };
		return http_respond(x, &o);
	}
	struct http_reply r;
	http_reply_init(&r, "text/plain; version=0.0.4; charset=utf-8");
	if (x->h->api.metrics(x->h->api.ctx, &r) != 0)
		r.failed = true;
	own_metrics(x->h, &r);
	return send_reply(x, &r, NULL);
}

/* ---- the API routes: login, logout, session, then the session and CSRF checks ---- */

static enum MHD_Result call_api(struct call *x, const char *url)
{
	if (!x->h->api.handle)
		return http_send_error(x, 404, "not found", NULL);
	struct http_reply r;
	http_reply_init(&r, "application/json");
	int rc = x->h->api.handle(x->h->api.ctx, x->method, url, x->r->query,
	                          x->r->body ? x->r->body : "", x->r->len, x->ip, &r);
	if (rc != 0)
		r.failed = true;
	return send_reply(x, &r, NULL);
}

enum MHD_Result http_route_api(struct call *x, const char *url)
{
	bool post = !strcmp(x->method, "POST");
	if (!strcmp(url, "/api/login"))
		return post ? do_login(x) : http_not_allowed(x, "POST");
	if (!strcmp(url, "/api/logout"))
		return post ? do_logout(x) : http_not_allowed(x, "POST");
	if (!strcmp(url, "/api/session"))
		return http_is_get(x->method) ? do_session(x) : http_not_allowed(x, "GET, HEAD");
	const struct auth_session *se = session(x);
	if (!se)
		return http_send_error(x, 401, "login required", NULL);
	if (!http_is_get(x->method) &&
	    !auth_csrf_ok(se, MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token")))
		return http_send_error(x, 403, "missing or wrong X-CSRF-Token header", NULL);
	return call_api(x, url);
}
