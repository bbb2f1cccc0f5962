/* http: libmicrohttpd glue, the routes served here (page, login, logout,
 * session, metrics gate) and the checks in front of the daemon's API.  The
 * reply, JSON and query helpers of http.h are in http_json.c.
 *
 * MHD runs one internal polling thread; every callback below runs on it, so
 * the session table needs no lock.  Only the password hash is shared with
 * the daemon's thread (http_set_password_hash), under a mutex. */
#include "http.h"

#include "auth.h"
#include "util.h"
#include "webassets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONN_LIMIT 64u        /* connections at once */
#define PER_IP_LIMIT 16u      /* connections at once from one address */
#define CONN_TIMEOUT_S 30u    /* an idle connection is closed after this */
#define CONN_MEMORY ((size_t)64 * 1024) /* per connection: request line and headers */
#define MAX_PEM (1u << 20)
#define MAX_PASSWORD 1024
#define COOKIE "sw_session"
#define CSP "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#define NO_PASSWORD "no admin password is set yet: set one on the server with `sipwarden passwd`"

struct http {
	struct MHD_Daemon *d;
	struct http_api api;
	struct auth_sessions *sessions; /* the server thread only */
	pthread_mutex_t mu;             /* guards hash */
	char hash[AUTH_HASH_MAX];
	bool tls, metrics_auth;
	char *cert, *key;               /* PEM text, kept while MHD runs */
	uint16_t port;
};

/* One request, from its first line to its end (MHD's per-request pointer). */
struct req {
	bool started, too_large;
	char *body;                     /* NUL-terminated, wiped when done */
	size_t len, cap;
	char query[];                   /* the raw query string */
};

/* What one handler call needs. */
struct call {
	struct http *h;
	struct MHD_Connection *c;
	const char *method;
	struct req *r;
	char ip[IP_STRLEN];
	int64_t now;
};

/* A response to queue. */
struct out {
	int status;
	const char *type, *cache;       /* cache NULL: no-store */
	const void *data;
	size_t len;
	bool persistent;                /* data outlives the response */
	const char *cookie;             /* Set-Cookie, or NULL */
	const char *hname, *hval;       /* one more header, or NULL */
};

static const char internal_error[] = "{\"error\":\"internal error\"}";

static void reply_init(struct http_reply *r, const char *type)
{
	memset(r, 0, sizeof *r);
	r->status = 200;
	snprintf(r->content_type, sizeof r->content_type, "%s", type);
}

/* ---- responses ---- */

static enum MHD_Result respond(struct call *x, const struct out *o)
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
	enum MHD_Result ret = respond(x, &o);
	free(r->body);
	r->body = NULL;
	return ret;
}

static enum MHD_Result send_error(struct call *x, int status, const char *message, const char *field)
{
	struct http_reply r;
	reply_init(&r, "application/json");
	http_reply_json_error(&r, status, message, field);
	return send_reply(x, &r, NULL);
}

static enum MHD_Result not_allowed(struct call *x, const char *allow)
{
	struct http_reply r;
	reply_init(&r, "application/json");
	http_reply_json_error(&r, 405, "method not allowed", NULL);
	struct out o = { .status = 405, .type = r.content_type, .data = r.body ? r.body : "",
	                 .len = r.len, .hname = "Allow", .hval = allow };
	enum MHD_Result ret = respond(x, &o);
	free(r.body);
	return ret;
}

/* ---- sessions and passwords ---- */

static bool is_get(const char *method)
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

/* POST /api/login {"password": "..."} */
static enum MHD_Result do_login(struct call *x)
{
	char hash[AUTH_HASH_MAX], pw[MAX_PASSWORD], cookie[160];
	copy_hash(x->h, hash);
	if (!hash[0])
		return send_error(x, 403, NO_PASSWORD, NULL);
	int got = http_json_get(x->r->body ? x->r->body : "", x->r->len, "password", pw, sizeof pw);
	bool ok = got == 1 && auth_verify(hash, pw);
	explicit_bzero(pw, sizeof pw);
	if (got != 1)
		return send_error(x, 400, "expected a JSON body {\"password\": \"...\"}", "password");
	if (!ok) {
		report_failure(x);
		return send_error(x, 401, "wrong password", "password");
	}
	if (cookie_token(x))
		auth_logout(x->h->sessions, cookie_token(x));
	const struct auth_session *se = auth_login(x->h->sessions, x->now);
	snprintf(cookie, sizeof cookie, COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/%s", se->token,
	         x->h->tls ? "; Secure" : "");
	struct http_reply r;
	reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"csrf\":\"%s\"}", se->csrf);
	return send_reply(x, &r, cookie);
}

/* POST /api/logout: ends the session (its CSRF token needed) and clears the cookie. */
static enum MHD_Result do_logout(struct call *x)
{
	const struct auth_session *se = session(x);
	if (se && !auth_csrf_ok(se, MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token")))
		return send_error(x, 403, "missing or wrong X-CSRF-Token header", NULL);
	if (se)
		auth_logout(x->h->sessions, cookie_token(x));
	struct http_reply r;
	reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"ok\":true}");
	return send_reply(x, &r, COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

/* GET /api/session: {"logged_in":bool,"csrf":string|null,"password_set":bool} */
static enum MHD_Result do_session(struct call *x)
{
	const struct auth_session *se = session(x);
	struct http_reply r;
	reply_init(&r, "application/json");
	http_reply_printf(&r, "{\"logged_in\":%s,\"csrf\":", se ? "true" : "false");
	http_reply_json_str(&r, se ? se->csrf : NULL);
	http_reply_printf(&r, ",\"password_set\":%s}", password_set(x->h) ? "true" : "false");
	return send_reply(x, &r, NULL);
}

/* HTTP Basic auth with the admin password (any user name), for scrapers. */
static bool basic_ok(struct call *x)
{
	char *pass = NULL, hash[AUTH_HASH_MAX];
	char *user = MHD_basic_auth_get_username_password(x->c, &pass);
	bool ok = false;
	if (pass) {
		copy_hash(x->h, hash);
		ok = hash[0] && auth_verify(hash, pass);
		if (!ok)
			report_failure(x);
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result do_metrics(struct call *x)
{
	static const char need[] = "login or HTTP Basic auth with the admin password required\n";
	if (!is_get(x->method))
		return not_allowed(x, "GET, HEAD");
	if (!x->h->api.metrics)
		return send_error(x, 404, "not found", NULL);
	if (x->h->metrics_auth && !session(x) && !basic_ok(x)) {
		struct out o = { .status = 401, .type = "text/plain; charset=utf-8", .data = need,
		                 .len = sizeof need - 1, .persistent = true,
		                 .hname = "WWW-Authenticate", .hval = "Basic realm=\"sipwarden\", charset=\"UTF-8\"" };
		return respond(x, &o);
	}
	struct http_reply r;
	reply_init(&r, "text/plain; version=0.0.4; charset=utf-8");
	if (x->h->api.metrics(x->h->api.ctx, &r) != 0)
		r.failed = true;
	return send_reply(x, &r, NULL);
}

/* ---- routing ---- */

static enum MHD_Result call_api(struct call *x, const char *url)
{
	if (!x->h->api.handle)
		return send_error(x, 404, "not found", NULL);
	struct http_reply r;
	reply_init(&r, "application/json");
	int rc = x->h->api.handle(x->h->api.ctx, x->method, url, x->r->query,
	                          x->r->body ? x->r->body : "", x->r->len, x->ip, &r);
	if (rc != 0)
		r.failed = true;
	return send_reply(x, &r, NULL);
}

static enum MHD_Result route_api(struct call *x, const char *url)
{
	bool post = !strcmp(x->method, "POST");
	if (!strcmp(url, "/api/login"))
		return post ? do_login(x) : not_allowed(x, "POST");
	if (!strcmp(url, "/api/logout"))
		return post ? do_logout(x) : not_allowed(x, "POST");
	if (!strcmp(url, "/api/session"))
		return is_get(x->method) ? do_session(x) : not_allowed(x, "GET, HEAD");
	const struct auth_session *se = session(x);
	if (!se)
		return send_error(x, 401, "login required", NULL);
	if (!is_get(x->method) &&
	    !auth_csrf_ok(se, MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token")))
		return send_error(x, 403, "missing or wrong X-CSRF-Token header", NULL);
	return call_api(x, url);
}

static enum MHD_Result do_static(struct call *x, const char *url)
{
	static const char nf[] = "not found\n";
	struct web_asset a;
	if (!web_asset_find(url, &a)) {
		struct out o = { .status = 404, .type = "text/plain; charset=utf-8", .data = nf,
		                 .len = sizeof nf - 1, .persistent = true };
		return respond(x, &o);
	}
	if (!is_get(x->method))
		return not_allowed(x, "GET, HEAD");
	struct out o = { .status = 200, .type = a.type, .cache = "no-cache", .data = a.data,
	                 .len = a.len, .persistent = true };
	return respond(x, &o);
}

static void client_ip(struct MHD_Connection *c, char out[IP_STRLEN])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct ipaddr a;
	snprintf(out, IP_STRLEN, "unknown");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, ci->client_addr, sizeof sin);
		ip_from_v4(&a, (const uint8_t *)&sin.sin_addr);
	} else if (ci->client_addr->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, ci->client_addr, sizeof sin6);
		ip_from_v6(&a, sin6.sin6_addr.s6_addr);
	} else {
		return;
	}
	ip_format(&a, out);
}

static int64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static enum MHD_Result route(struct http *h, struct MHD_Connection *c, const char *url,
                             const char *method, struct req *r)
{
	struct call x = { .h = h, .c = c, .method = method, .r = r, .now = now_s() };
	client_ip(c, x.ip);
	if (!strncmp(url, "/api/", 5))
		return route_api(&x, url);
	if (!strcmp(url, "/metrics"))
		return do_metrics(&x);
	return do_static(&x, url);
}

/* ---- MHD callbacks ---- */

static void wipe_free(char *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
	free(p);
}

/* Appends upload data, or marks the request too large. */
static void take_body(struct req *r, const char *p, size_t n)
{
	if (r->too_large || n > HTTP_MAX_BODY - r->len) {
		r->too_large = true;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		size_t ncap = r->cap ? r->cap : 4096;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		char *nb = malloc(ncap);
		if (!nb) {
			r->too_large = true;
			return;
		}
		if (r->len)
			memcpy(nb, r->body, r->len);
		wipe_free(r->body, r->cap);
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
}

static bool declared_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl && strtoull(cl, NULL, 10) > HTTP_MAX_BODY;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct req *r = *con_cls;
	(void)version;
	if (!r)
		return MHD_NO; /* out of memory in on_uri: drop the connection */
	if (!r->started) {
		r->started = true;
		if (declared_too_large(c)) {
			struct call x = { .h = h, .c = c, .method = method, .r = r };
			return send_error(&x, 413, "request body too large", NULL);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		take_body(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_large) {
		struct call x = { .h = h, .c = c, .method = method, .r = r };
		return send_error(&x, 413, "request body too large", NULL);
	}
	return route(h, c, url, method, r);
}

/* Called with the request line, before the handler: keeps the raw query. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	const char *q = strchr(uri, '?');
	q = q ? q + 1 : "";
	size_t n = strcspn(q, "#");
	struct req *r = calloc(1, sizeof *r + n + 1);
	if (r)
		memcpy(r->query, q, n);
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		wipe_free(r->body, r->cap);
		free(r);
		*con_cls = NULL;
	}
}

/* ---- start and stop ---- */

/* "198.51.100.1:8080" or "[2001:db8::1]:8080" into ss. */
static bool parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	char *end;
	if (!colon || !isdigit((unsigned char)colon[1]))
		return false;
	unsigned long port = strtoul(colon + 1, &end, 10);
	size_t hl = (size_t)(colon - s);
	if (*end || port > 65535 || hl >= sizeof host || hl < 2)
		return false;
	memset(ss, 0, sizeof *ss);
	*v6 = s[0] == '[';
	if (*v6) {
		if (s[hl - 1] != ']')
			return false;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1;
}

/* The whole file as a NUL-terminated string, or NULL (errno set). */
static char *read_pem(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (size_t)st.st_size < MAX_PEM &&
	    (buf = calloc(1, (size_t)st.st_size + 1))) {
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			free(buf);
			buf = NULL;
			errno = n < 0 ? errno : EIO;
		}
	} else if (!buf) {
		errno = errno ? errno : EINVAL;
	}
	close(fd);
	return buf;
}

static int load_tls(struct http *h, const struct http_conf *conf, char *err, size_t errlen)
{
	bool cert = conf->tls_cert && *conf->tls_cert, key = conf->tls_key && *conf->tls_key;
	if (!cert && !key)
		return 0;
	if (!cert || !key) {
		snprintf(err, errlen, "http: TLS needs both tls_cert and tls_key");
		return -1;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "http: this libmicrohttpd has no TLS support");
		return -1;
	}
	errno = 0;
	if (!(h->cert = read_pem(conf->tls_cert))) {
		snprintf(err, errlen, "http: %s: %s", conf->tls_cert, strerror(errno));
		return -1;
	}
	if (!(h->key = read_pem(conf->tls_key))) {
		snprintf(err, errlen, "http: %s: %s", conf->tls_key, strerror(errno));
		return -1;
	}
	h->tls = true;
	return 0;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static struct MHD_Daemon *start_mhd(struct http *h, struct sockaddr_storage *ss, bool v6)
{
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (!h->tls)
		tls[0].option = MHD_OPTION_END;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	                 (v6 ? MHD_USE_IPv6 : 0) | (h->tls ? MHD_USE_TLS : 0);
	uint16_t port = ntohs(v6 ? ((struct sockaddr_in6 *)ss)->sin6_port : ((struct sockaddr_in *)ss)->sin_port);
	return MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
		MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
}

struct http *http_start(const struct http_conf *conf, const struct http_api *api,
                        char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6;
	if (!parse_listen(conf->listen, &ss, &v6)) {
		snprintf(err, errlen, "http: listen '%s': expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080",
		         conf->listen ? conf->listen : "");
		return NULL;
	}
	struct http *h = calloc(1, sizeof *h);
	if (!h || !(h->sessions = auth_sessions_new(0, conf->idle_s, conf->absolute_s))) {
		snprintf(err, errlen, "http: out of memory (or libsodium failed to start)");
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->api = *api;
	h->metrics_auth = conf->metrics_auth;
	snprintf(h->hash, sizeof h->hash, "%s", conf->password_hash ? conf->password_hash : "");
	if (load_tls(h, conf, err, errlen) < 0) {
		http_stop(h);
		return NULL;
	}
	errno = 0;
	h->d = start_mhd(h, &ss, v6);
	if (!h->d) {
		snprintf(err, errlen, "http: cannot serve on %s%s%s", conf->listen,
		         errno ? ": " : " (TLS certificate or key unusable?)", errno ? strerror(errno) : "");
		http_stop(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : 0;
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	auth_sessions_free(h->sessions);
	if (h->key)
		wipe_free(h->key, strlen(h->key));
	free(h->cert);
	explicit_bzero(h->hash, sizeof h->hash);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

uint16_t http_port(const struct http *h)
{
	return h->port;
}

void http_set_password_hash(struct http *h, const char *hash)
{
	pthread_mutex_lock(&h->mu);
	snprintf(h->hash, sizeof h->hash, "%s", hash ? hash : "");
	pthread_mutex_unlock(&h->mu);
}
