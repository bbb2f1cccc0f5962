/* http: libmicrohttpd glue, the static page, the checks in front of every
 * request, and start and stop.  The replies, login, logout, session,
 * metrics gate and the API routes are in http_login.c; the reply, JSON and
 * query helpers of http.h in http_json.c.
 *
 * MHD runs one internal polling thread; every callback below runs on it, so
 * the session and lockout tables need no lock.  Shared with other threads:
 * the password hash (http_set_password_hash) and the blocked set
 * (http_block), each under a mutex; password checks run on the hashing
 * worker (http_hash.c) while their connection is suspended; the deadlines
 * of the connections are kept by the watchdog of http_conn.c.
 *
 * In front of every request, before its body is read: the client address
 * (X-Forwarded-For only from trusted proxies), the blocked set (403), the
 * Host (421) and, on any method but GET and HEAD, the Origin or Referer
 * (403). */
#include "http.h"

#include "auth.h"
#include "http_guard.h"
#include "http_int.h"
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
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONN_LIMIT 64u        /* connections at once */
#define PER_IP_LIMIT 6u       /* connections at once from one address (3 when nearly full) */
#define CONN_TIMEOUT_S 30u    /* an idle connection is closed after this */
#define HEADER_S 10u          /* request line and headers complete within this */
#define REQUEST_S 30u         /* the whole request (body too) within this */
#define HASH_PER_S 8u         /* password checks a second, at most */
#define LOCK_TRACK 4096u      /* client addresses with failed logins */
#define CONN_MEMORY ((size_t)64 * 1024) /* per connection: request line and headers */
#define MAX_PEM (1u << 20)

static enum MHD_Result do_static(struct call *x, const char *url)
{
	static const char nf[] = "not found\n";
	struct web_asset a;
	if (!web_asset_find(url, &a)) {
		struct out o = { .status = 404, .type = "text/plain; charset=utf-8", .data = nf,
		                 .len = sizeof nf - 1, .persistent = true };
		return http_respond(x, &o);
	}
	if (!http_is_get(x->method))
		return http_not_allowed(x, "GET, HEAD");
	struct out o = { .status = 200, .type = a.type, .cache = "no-cache", .data = a.data,
	                 .len = a.len, .persistent = true };
	return http_respond(x, &o);
}

static bool sockaddr_ip(const struct sockaddr *sa, struct ipaddr *a)
{
	if (sa && sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof sin);
		ip_from_v4(a, (const uint8_t *)&sin.sin_addr);
		return true;
	}
	if (sa && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof sin6);
		ip_from_v6(a, sin6.sin6_addr.s6_addr);
		return true;
	}
	memset(a, 0, sizeof *a);
	return false;
}

static void peer_ip(struct MHD_Connection *c, struct ipaddr *a)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sockaddr_ip(ci ? ci->client_addr : NULL, a);
}

static int conn_fd(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

/* Every X-Forwarded-For header of a request, joined by commas; when too
 * long, the right-most part (which the nearest proxies wrote) from its
 * first whole entry. */
struct xff {
	char v[2048];
	size_t n;
	bool cut;
};

static enum MHD_Result xff_add(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct xff *x = cls;
	(void)kind;
	if (!key || !value || strcasecmp(key, "X-Forwarded-For"))
		return MHD_YES;
	size_t n = strlen(value), cap = sizeof x->v - 2;
	if (n > cap) {
		value += n - cap;
		n = cap;
		x->n = 0;
		x->cut = true;
	}
	if (x->n + n + 1 > cap) {
		size_t drop = x->n + n + 1 - cap;
		memmove(x->v, x->v + drop, x->n - drop);
		x->n -= drop;
		x->cut = true;
	}
	if (x->n)
		x->v[x->n++] = ',';
	memcpy(x->v + x->n, value, n);
	x->n += n;
	x->v[x->n] = '\0';
	return MHD_YES;
}

static void find_client(struct http *h, struct MHD_Connection *c, struct req *r)
{
	struct ipaddr peer;
	struct xff x = { .n = 0 };
	peer_ip(c, &peer);
	r->client = peer;
	if (h->ntrusted && hg_trusted(h->trusted, h->ntrusted, &peer)) {
		MHD_get_connection_values(c, MHD_HEADER_KIND, xff_add, &x);
		const char *v = x.cut ? x.v + strcspn(x.v, ",") + (strchr(x.v, ',') ? 1 : 0) : x.v;
		if (x.n)
			r->client = hg_client(&peer, v, h->trusted, h->ntrusted);
	}
	ip_format(&r->client, r->ip);
}

enum verdict { PASS, BLOCKED, BAD_HOST, BAD_ORIGIN };

/* The client, then the blocked set, Host and Origin, under the mutex that
 * guards them against reloads and block events. */
static enum verdict check(struct http *h, struct MHD_Connection *c, const char *method, struct req *r)
{
	struct ipaddr peer;
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (!origin)
		origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Referer");
	peer_ip(c, &peer);
	pthread_mutex_lock(&h->bmu);
	find_client(h, c, r);
	enum verdict v = PASS;
	if (hg_blocked_has(h->blocked, &peer) || hg_blocked_has(h->blocked, &r->client))
		v = BLOCKED;
	else if (!hg_host_ok(&h->names, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
		v = BAD_HOST;
	else if (!http_is_get(method) && origin && !hg_origin_ok(&h->names, origin))
		v = BAD_ORIGIN;
	pthread_mutex_unlock(&h->bmu);
	return v;
}

static bool declared_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl && strtoull(cl, NULL, 10) > HTTP_MAX_BODY;
}

/* The checks once the headers are in, before any body or password: true
 * when the request was answered (*ret) here. */
static bool refused(struct http *h, struct MHD_Connection *c, const char *method, struct req *r,
                    enum MHD_Result *ret)
{
	struct call x = { .h = h, .c = c, .method = method, .r = r, .ip = r->ip };
	enum verdict v = check(h, c, method, r);
	if (v == BLOCKED) {
		atomic_fetch_add(&h->n_blocked, 1);
		*ret = http_send_error(&x, 403, "your address is blocked", NULL);
	} else if (v == BAD_HOST) {
		atomic_fetch_add(&h->n_host, 1);
		*ret = http_send_error(&x, 421, "unknown Host: reach the page by its listen address or a server_name", NULL);
	} else if (v == BAD_ORIGIN) {
		atomic_fetch_add(&h->n_origin, 1);
		*ret = http_send_error(&x, 403, "cross-origin request refused", NULL);
	} else if (declared_too_large(c)) {
		*ret = http_send_error(&x, 413, "request body too large", NULL);
	} else {
		return false;
	}
	return true;
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
	struct call x = { .h = h, .c = c, .method = method, .r = r, .ip = r->ip, .now = now_s() };
	if (!strncmp(url, "/api/", 5))
		return http_route_api(&x, url);
	if (!strcmp(url, "/metrics"))
		return http_do_metrics(&x);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct req *r = *con_cls;
	(void)version;
	if (!r || r->long_query)
		return MHD_NO; /* out of memory in on_uri, or refused there: drop the connection */
	if (!r->started) {
		enum MHD_Result ret;
		r->started = true;
		if (refused(h, c, method, r, &ret)) {
			hconns_phase(h->conns, conn_fd(c), HP_ANSWER);
			return ret;
		}
		hconns_phase(h->conns, conn_fd(c), HP_BODY);
		return MHD_YES;
	}
	if (*upload_size) {
		take_body(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	hconns_phase(h->conns, conn_fd(c), HP_ANSWER);
	if (r->too_large) {
		struct call x = { .h = h, .c = c, .method = method, .r = r, .ip = r->ip };
		return http_send_error(&x, 413, "request body too large", NULL);
	}
	return route(h, c, url, method, r);
}

/* A query string too long or with too many arguments: answered 414 on the
 * socket itself and the connection ended.  libmicrohttpd would parse every
 * argument into the connection's memory and, once that is full, leave the
 * connection hanging until its timeout. */
static void refuse_query(struct http *h, struct MHD_Connection *c)
{
	static const char body[] = "{\"error\":\"query string too long or with too many arguments\"}";
	char resp[256];
	int fd = conn_fd(c);
	int n = snprintf(resp, sizeof resp, "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 sizeof body - 1, body);
	atomic_fetch_add(&h->n_query, 1);
	if (fd < 0)
		return;
	if (!h->tls && send(fd, resp, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		errno = 0;
	shutdown(fd, SHUT_WR);
}

/* Each connection's socket context is a slot holding its request: MHD
 * tells on_done only about requests that reached the handler, so one that
 * ends earlier (its connection shut while the headers came in) is freed
 * when its connection closes. */
static struct req **req_slot(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void free_req(struct req *r)
{
	if (r) {
		wipe_free(r->body, r->cap);
		explicit_bzero(&r->job, sizeof r->job);
		free(r);
	}
}

/* Called with the request line, before the handler: keeps the raw query. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http *h = cls;
	const char *q = strchr(uri, '?');
	q = q ? q + 1 : "";
	size_t n = strcspn(q, "#");
	bool too_long = n > HG_MAX_QUERY_LEN || hg_query_args(q, n) > HG_MAX_QUERY_ARGS;
	struct req *r = calloc(1, sizeof *r + (too_long ? 0 : n) + 1);
	if (r && !too_long)
		memcpy(r->query, q, n);
	if (r && too_long) {
		r->long_query = true;
		refuse_query(h, c);
	}
	struct req **slot = req_slot(c);
	if (slot) {
		free_req(*slot);
		*slot = r;
	}
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *r = *con_cls;
	(void)toe;
	hconns_phase(h->conns, conn_fd(c), HP_HEADERS);
	struct req **slot = req_slot(c);
	if (slot && *slot == r)
		*slot = NULL;
	free_req(r);
	*con_cls = NULL;
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

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct ipaddr ip;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		peer_ip(c, &ip);
		hconns_started(h->conns, conn_fd(c), &ip);
		*socket_context = calloc(1, sizeof(struct req *));
	} else {
		hconns_closed(h->conns, conn_fd(c));
		struct req **slot = *socket_context;
		if (slot)
			free_req(*slot);
		free(slot);
		*socket_context = NULL;
	}
}

/* Per-address limits (trusted proxies count only in the total). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct http *h = cls;
	struct ipaddr ip;
	(void)len;
	if (!sockaddr_ip(sa, &ip))
		return MHD_NO;
	pthread_mutex_lock(&h->bmu);
	bool proxy = hg_trusted(h->trusted, h->ntrusted, &ip);
	pthread_mutex_unlock(&h->bmu);
	return hconns_accept(h->conns, &ip, proxy) ? MHD_YES : MHD_NO;
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
	/* poll, not epoll: libmicrohttpd 0.9.75 with epoll leaves a connection
	 * it gave up on (its memory full) open until the timeout. */
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
	                 (v6 ? MHD_USE_IPv6 : 0) | (h->tls ? MHD_USE_TLS : 0);
	uint16_t port = ntohs(v6 ? ((struct sockaddr_in6 *)ss)->sin6_port : ((struct sockaddr_in *)ss)->sin_port);
	return MHD_start_daemon(flags, port, on_accept, h, on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
		MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
		MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
		MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
}

static int setup_guard(struct http *h, const struct http_conf *conf, char *err, size_t errlen)
{
	if (!hg_names_init(&h->names, conf->listen, conf->server_name)) {
		snprintf(err, errlen, "http: server_name: at most %d names of under %d characters each",
		         HG_MAX_NAMES, HG_NAME_LEN);
		return -1;
	}
	h->ntrusted = conf->n_trusted_proxies < HG_MAX_PROXIES ? conf->n_trusted_proxies : HG_MAX_PROXIES;
	if (h->ntrusted)
		memcpy(h->trusted, conf->trusted_proxies, h->ntrusted * sizeof h->trusted[0]);
	h->locks = hg_locks_new(LOCK_TRACK, conf->login_fails ? conf->login_fails : 5,
	                        conf->login_window_s ? conf->login_window_s : 600, hash_key_new());
	h->blocked = hg_blocked_new(hash_key_new());
	h->pool = hpool_new(conf->hash_per_s ? conf->hash_per_s : HASH_PER_S);
	h->conns = hconns_new(CONN_LIMIT, PER_IP_LIMIT, conf->header_s ? conf->header_s : HEADER_S,
	                      conf->request_s ? conf->request_s : REQUEST_S);
	if (!h->locks || !h->blocked || !h->pool || !h->conns) {
		snprintf(err, errlen, "http: out of memory (or no thread)");
		return -1;
	}
	return 0;
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
	pthread_mutex_init(&h->bmu, NULL);
	if (setup_guard(h, conf, err, errlen) < 0) {
		http_stop(h);
		return NULL;
	}
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
	h->names.port = h->port; /* listen port 0: the one bound, before anyone knows it */
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	hpool_stop(h->pool); /* resumes every suspended connection first */
	if (h->d)
		MHD_stop_daemon(h->d);
	hpool_free(h->pool);
	hconns_free(h->conns);
	hg_locks_free(h->locks);
	hg_blocked_free(h->blocked);
	pthread_mutex_destroy(&h->bmu);
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

bool http_block(struct http *h, const struct ipprefix *p, bool on)
{
	pthread_mutex_lock(&h->bmu);
	bool ok = hg_blocked_set(h->blocked, p, on);
	pthread_mutex_unlock(&h->bmu);
	if (!ok)
		atomic_fetch_add(&h->n_full, 1);
	return ok;
}

bool http_set_names(struct http *h, const char *server_name, const struct ipprefix *trusted, size_t n)
{
	char listen[HG_NAME_LEN + 8];
	struct hg_names nn;
	snprintf(listen, sizeof listen, "%s:%u", h->names.listen, h->port);
	if (!hg_names_init(&nn, listen, server_name))
		return false;
	pthread_mutex_lock(&h->bmu);
	h->names = nn;
	h->ntrusted = n < HG_MAX_PROXIES ? n : HG_MAX_PROXIES;
	if (h->ntrusted)
		memcpy(h->trusted, trusted, h->ntrusted * sizeof h->trusted[0]);
	pthread_mutex_unlock(&h->bmu);
	return true;
}
