/* Tests for http: the real server (libmicrohttpd) driven by libcurl over
 * the loopback of a network namespace this test creates (it never binds in
 * the machine's own namespace; without root it prints one SKIP line and
 * exits 77, a counted skip, unless the helper checks failed).  The API
 * callbacks are real functions that record what reached them.  Also the
 * JSON and query helpers of http.h. */
#include "auth.h"
#include "http.h"
#include "t.h"

#include <curl/curl.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define PASSWORD "s3cret pass \xc3\xa9"  /* with a non-ASCII character */
#define COOKIE_NAME "sw_session"

static char hash[AUTH_HASH_MAX];

/* ---- what reached the API callbacks ---- */

struct rec {
	pthread_mutex_t mu;
	int calls, failed, metrics;
	char method[16], path[256], query[256], ip[64], failed_ip[64];
	char body[512];
	size_t body_len;
	bool body_nul;
};

static struct rec rec = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int t_handle(void *ctx, const char *method, const char *path, const char *query,
                    const char *body, size_t body_len, const char *ip, struct http_reply *out)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->calls++;
	snprintf(r->method, sizeof r->method, "%s", method);
	snprintf(r->path, sizeof r->path, "%s", path);
	snprintf(r->query, sizeof r->query, "%s", query);
	snprintf(r->ip, sizeof r->ip, "%s", ip);
	snprintf(r->body, sizeof r->body, "%.*s", (int)(body_len < 511 ? body_len : 511), body);
	r->body_len = body_len;
	r->body_nul = body[body_len] == '\0';
	pthread_mutex_unlock(&r->mu);
	if (!strcmp(path, "/api/fail"))
		return -1;
	if (!strcmp(path, "/api/config") && !strcmp(method, "PUT")) {
		http_reply_json_error(out, 400, "expected a duration such as 30s, 10m, 1h or 2d", "general.block_time");
		return 0;
	}
	if (!strcmp(path, "/api/big")) {
		for (int i = 0; i < 100000; i++)
			http_reply_printf(out, "%09d\n", i);
		return 0;
	}
	out->status = !strcmp(method, "POST") ? 201 : 200;
	http_reply_printf(out, "{\"path\":");
	http_reply_json_str(out, path);
	http_reply_printf(out, ",\"len\":%zu}", body_len);
	return 0;
}

static int t_metrics(void *ctx, struct http_reply *out)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->metrics++;
	pthread_mutex_unlock(&r->mu);
	return http_reply_printf(out, "# TYPE sipwarden_up gauge\nsipwarden_up 1\n");
}

static void t_login_failed(void *ctx, const char *ip)
{
	struct rec *r = ctx;
	pthread_mutex_lock(&r->mu);
	r->failed++;
	snprintf(r->failed_ip, sizeof r->failed_ip, "%s", ip);
	pthread_mutex_unlock(&r->mu);
}

static const struct http_api api = { &rec, t_handle, t_metrics, t_login_failed };

static int calls(void)
{
	pthread_mutex_lock(&rec.mu);
	int n = rec.calls;
	pthread_mutex_unlock(&rec.mu);
	return n;
}

static int failures(void)
{
	pthread_mutex_lock(&rec.mu);
	int n = rec.failed;
	pthread_mutex_unlock(&rec.mu);
	return n;
}

/* ---- the client ---- */

struct rq {
	const char *method, *path, *body;
	size_t blen;                  /* 0: strlen(body) */
	const char *cookie, *csrf, *userpwd;
	const char *header;           /* one extra request header */
	bool chunked;
};

/* The last response (each request replaces it). */
static struct {
	long status;
	char *body;
	size_t len;
	char hdr[8192];
	size_t hlen;
	CURLcode rc;
} R;

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
	(void)u;
	char *nb = realloc(R.body, R.len + sz * n + 1);
	if (!nb)
		return 0;
	R.body = nb;
	memcpy(R.body + R.len, p, sz * n);
	R.len += sz * n;
	R.body[R.len] = '\0';
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u)
{
	(void)u;
	size_t k = sz * n;
	if (R.hlen + k < sizeof R.hdr) {
		memcpy(R.hdr + R.hlen, p, k);
		R.hlen += k;
		R.hdr[R.hlen] = '\0';
	}
	return k;
}

static void setup_curl(CURL *c, const char *base, const struct rq *q, struct curl_slist **hl, char *url)
{
	snprintf(url, 1024, "%s%s", base, q->path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method ? q->method : "GET");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (q->method && !strcmp(q->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (q->body && !q->chunked) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->blen ? q->blen : strlen(q->body)));
	}
	if (q->cookie)
		curl_easy_setopt(c, CURLOPT_COOKIE, q->cookie);
	if (q->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, q->userpwd);
	}
	char csrf[128];
	if (q->csrf) {
		snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s", q->csrf);
		*hl = curl_slist_append(*hl, csrf);
	}
	if (q->header)
		*hl = curl_slist_append(*hl, q->header);
	*hl = curl_slist_append(*hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hl);
}

/* Chunked upload source: the body of the request in progress. */
static struct {
	const char *p;
	size_t left;
} up;

static size_t on_read(char *buf, size_t sz, size_t n, void *u)
{
	(void)u;
	size_t k = sz * n < up.left ? sz * n : up.left;
	memcpy(buf, up.p, k);
	up.p += k;
	up.left -= k;
	return k;
}

static long request(const char *base, const struct rq *q)
{
	char url[1024];
	struct curl_slist *hl = NULL;
	free(R.body);
	memset(&R, 0, sizeof R);
	CURL *c = curl_easy_init();
	setup_curl(c, base, q, &hl, url);
	if (q->chunked) {
		up.p = q->body;
		up.left = q->blen;
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	}
	R.rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &R.status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	if (!R.body)
		R.body = calloc(1, 1);
	return R.status;
}

/* The value of response header name (first one), or "" . */
static const char *header(const char *name)
{
	static char v[1024];
	size_t n = strlen(name);
	v[0] = '\0';
	for (const char *l = R.hdr; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		if (!strncasecmp(l, name, n) && l[n] == ':') {
			const char *s = l + n + 1;
			while (*s == ' ')
				s++;
			size_t k = strcspn(s, "\r\n");
			snprintf(v, sizeof v, "%.*s", (int)k, s);
			return v;
		}
	}
	return v;
}

static bool body_has(const char *s)
{
	return R.body && strstr(R.body, s) != NULL;
}

/* A logged-in client: the cookie header value and the CSRF token. */
struct client {
	char cookie[128], csrf[80];
};

static bool login(const char *base, struct client *cl)
{
	struct rq q = { .method = "POST", .path = "/api/login", .body = "{\"password\": \"" PASSWORD "\"}" };
	memset(cl, 0, sizeof *cl);
	if (request(base, &q) != 200)
		return false;
	const char *sc = header("Set-Cookie");
	size_t n = strcspn(sc, ";");
	snprintf(cl->cookie, sizeof cl->cookie, "%.*s", (int)n, sc);
	return http_json_get(R.body, R.len, "csrf", cl->csrf, sizeof cl->csrf) == 1;
}

static struct http *start(const struct http_conf *conf, char *base, size_t n)
{
	char err[256] = "";
	struct http *h = http_start(conf, &api, err, sizeof err);
	CHECK_MSG(h != NULL, "http_start: %s", err);
	if (!h)
		exit(1);
	bool v6 = conf->listen[0] == '[';
	snprintf(base, n, "%s://%s:%u", conf->tls_cert ? "https" : "http", v6 ? "[::1]" : "127.0.0.1", http_port(h));
	return h;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];
	*len = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

/* ---- tests against a running server ---- */

static void test_static(const char *base)
{
	size_t flen;
	const char *file = slurp("src/web/index.html", &flen);
	CHECK(request(base, &(struct rq){ .path = "/" }) == 200);
	CHECK(!strcmp(header("Content-Type"), "text/html; charset=utf-8"));
	CHECK(strstr(header("Content-Security-Policy"), "default-src 'self'") != NULL);
	CHECK(strstr(header("Content-Security-Policy"), "frame-ancestors 'none'") != NULL);
	CHECK(!strcmp(header("X-Content-Type-Options"), "nosniff"));
	CHECK(!strcmp(header("Referrer-Policy"), "no-referrer"));
	CHECK(!strcmp(header("Cache-Control"), "no-cache"));
	CHECK(flen > 0 && R.len == flen && !memcmp(R.body, file, flen));
	CHECK(body_has("id=\"tab-general\"") && body_has("sipwarden passwd"));
	CHECK(request(base, &(struct rq){ .path = "/app.js" }) == 200);
	CHECK(!strcmp(header("Content-Type"), "text/javascript; charset=utf-8") && body_has("X-CSRF-Token"));
	CHECK(request(base, &(struct rq){ .path = "/style.css" }) == 200);
	CHECK(!strcmp(header("Content-Type"), "text/css; charset=utf-8"));
	CHECK(request(base, &(struct rq){ .method = "HEAD", .path = "/index.html" }) == 200 && R.len == 0);
	CHECK(request(base, &(struct rq){ .path = "/nothing" }) == 404);
	CHECK(strstr(header("Content-Security-Policy"), "default-src 'self'") != NULL);
	CHECK(request(base, &(struct rq){ .path = "/../src/http.c" }) == 404);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/", .body = "x" }) == 405);
	CHECK(!strcmp(header("Allow"), "GET, HEAD"));
	CHECK(calls() == 0);
}

static void test_no_session(const char *base)
{
	CHECK(request(base, &(struct rq){ .path = "/api/status" }) == 401);
	CHECK(!strcmp(header("Content-Type"), "application/json"));
	CHECK(!strcmp(R.body, "{\"error\":\"login required\"}"));
	CHECK(!strcmp(header("Cache-Control"), "no-store"));
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/blocks", .body = "{}" }) == 401);
	/* a made-up cookie is no session */
	char fake[128];
	snprintf(fake, sizeof fake, COOKIE_NAME "=%064d", 7);
	CHECK(request(base, &(struct rq){ .path = "/api/status", .cookie = fake }) == 401);
	CHECK(request(base, &(struct rq){ .path = "/api/session" }) == 200);
	CHECK(!strcmp(R.body, "{\"logged_in\":false,\"csrf\":null,\"password_set\":true}"));
	CHECK(calls() == 0);
}

static void test_login(const char *base, struct client *cl)
{
	int f0 = failures();
	struct rq bad = { .method = "POST", .path = "/api/login", .body = "{\"password\":\"guess\"}" };
	CHECK(request(base, &bad) == 401);
	CHECK(body_has("wrong password") && header("Set-Cookie")[0] == '\0');
	CHECK(failures() == f0 + 1);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.failed_ip, "127.0.0.1"));
	pthread_mutex_unlock(&rec.mu);
	/* not a password at all: 400, not counted as a guess */
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/login", .body = "password=x" }) == 400);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/login", .body = "{\"pass\":\"x\"}" }) == 400);
	CHECK(failures() == f0 + 1);
	CHECK(request(base, &(struct rq){ .path = "/api/login" }) == 405);

	CHECK(login(base, cl));
	const char *sc = header("Set-Cookie");
	CHECK(!strncmp(sc, COOKIE_NAME "=", 11));
	CHECK(strstr(sc, "; HttpOnly") && strstr(sc, "; SameSite=Strict") && strstr(sc, "; Path=/"));
	CHECK(!strstr(sc, "Secure"));
	CHECK(strlen(cl->csrf) == 64 && strlen(cl->cookie) == 11 + 64);
	CHECK(strcmp(cl->csrf, cl->cookie + 11) != 0);
	CHECK(request(base, &(struct rq){ .path = "/api/session", .cookie = cl->cookie }) == 200);
	char want[160];
	snprintf(want, sizeof want, "{\"logged_in\":true,\"csrf\":\"%s\",\"password_set\":true}", cl->csrf);
	CHECK(!strcmp(R.body, want));
	CHECK(calls() == 0);
}

static void test_api_calls(const char *base, const struct client *cl)
{
	int n0 = calls();
	CHECK(request(base, &(struct rq){ .path = "/api/blocks?q=203.0&limit=5&x=a%2Fb", .cookie = cl->cookie }) == 200);
	CHECK(calls() == n0 + 1);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.method, "GET") && !strcmp(rec.path, "/api/blocks"));
	CHECK(!strcmp(rec.query, "q=203.0&limit=5&x=a%2Fb"));
	CHECK(!strcmp(rec.ip, "127.0.0.1") && rec.body_len == 0 && rec.body_nul);
	pthread_mutex_unlock(&rec.mu);
	CHECK(!strcmp(R.body, "{\"path\":\"/api/blocks\",\"len\":0}"));
	CHECK(!strcmp(header("Content-Type"), "application/json"));

	/* state-changing without, or with a wrong, CSRF token: refused, no call */
	struct rq post = { .method = "POST", .path = "/api/blocks", .cookie = cl->cookie,
	                   .body = "{\"address\":\"203.0.113.9\",\"duration\":\"1h\"}" };
	CHECK(request(base, &post) == 403);
	CHECK(body_has("X-CSRF-Token"));
	post.csrf = cl->cookie + 11; /* the session token is not the CSRF token */
	CHECK(request(base, &post) == 403);
	struct rq del = { .method = "DELETE", .path = "/api/blocks/2001%3Adb8%3A%3A1", .cookie = cl->cookie };
	CHECK(request(base, &del) == 403);
	CHECK(calls() == n0 + 1);

	post.csrf = cl->csrf;
	CHECK(request(base, &post) == 201);
	CHECK(calls() == n0 + 2);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.method, "POST") && !strcmp(rec.body, post.body));
	CHECK(rec.body_len == strlen(post.body) && rec.body_nul);
	pthread_mutex_unlock(&rec.mu);

	del.csrf = cl->csrf;
	CHECK(request(base, &del) == 200);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.method, "DELETE") && !strcmp(rec.path, "/api/blocks/2001:db8::1"));
	pthread_mutex_unlock(&rec.mu);
	del.path = "/api/blocks/203.0.113.0%2F24";
	CHECK(request(base, &del) == 200);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.path, "/api/blocks/203.0.113.0/24"));
	pthread_mutex_unlock(&rec.mu);

	/* replies pass through: an error with its field, a failure, a large body */
	struct rq put = { .method = "PUT", .path = "/api/config", .cookie = cl->cookie, .csrf = cl->csrf,
	                  .body = "{\"general.block_time\":\"soon\"}" };
	CHECK(request(base, &put) == 400);
	CHECK(!strcmp(R.body, "{\"error\":\"expected a duration such as 30s, 10m, 1h or 2d\",\"field\":\"general.block_time\"}"));
	CHECK(request(base, &(struct rq){ .path = "/api/fail", .cookie = cl->cookie }) == 500);
	CHECK(!strcmp(R.body, "{\"error\":\"internal error\"}"));
	CHECK(request(base, &(struct rq){ .path = "/api/big", .cookie = cl->cookie }) == 200);
	CHECK(R.len == 100000 * 10 && !strncmp(R.body + 99999 * 10, "000099999\n", 10));
}

static void test_body_limits(const char *base, const struct client *cl)
{
	size_t big = HTTP_MAX_BODY + 1;
	char *body = malloc(big + 1);
	memset(body, 'a', big);
	body[big] = '\0';
	int n0 = calls();
	struct rq q = { .method = "POST", .path = "/api/echo", .cookie = cl->cookie, .csrf = cl->csrf,
	                .body = body, .blen = big, .header = "Expect:" };
	CHECK_MSG(request(base, &q) == 413, "status %ld curl %d", R.status, (int)R.rc);
	CHECK(body_has("too large"));
	q.header = "Expect: 100-continue";
	CHECK_MSG(request(base, &q) == 413, "status %ld curl %d", R.status, (int)R.rc);
	q.header = NULL;
	q.chunked = true;
	CHECK_MSG(request(base, &q) == 413, "status %ld curl %d", R.status, (int)R.rc);
	CHECK(calls() == n0);
	/* exactly the limit is fine, chunked or not */
	q.blen = HTTP_MAX_BODY;
	CHECK(request(base, &q) == 201);
	CHECK(calls() == n0 + 1);
	pthread_mutex_lock(&rec.mu);
	CHECK(rec.body_len == HTTP_MAX_BODY && rec.body_nul);
	pthread_mutex_unlock(&rec.mu);
	q.chunked = false;
	CHECK(request(base, &q) == 201);
	/* the server still answers afterwards */
	CHECK(request(base, &(struct rq){ .path = "/api/x", .cookie = cl->cookie }) == 200);
	free(body);
}

static void test_metrics(const char *base, const struct client *cl)
{
	CHECK(request(base, &(struct rq){ .path = "/metrics" }) == 200);
	CHECK(!strcmp(header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"));
	CHECK(body_has("sipwarden_up 1\n"));
	CHECK(request(base, &(struct rq){ .path = "/metrics", .cookie = cl->cookie }) == 200);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/metrics", .body = "" }) == 405);
}

static void test_logout(const char *base)
{
	struct client cl;
	CHECK(login(base, &cl));
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/logout", .cookie = cl.cookie }) == 403);
	CHECK(request(base, &(struct rq){ .path = "/api/x", .cookie = cl.cookie }) == 200);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/logout", .cookie = cl.cookie, .csrf = cl.csrf }) == 200);
	CHECK(strstr(header("Set-Cookie"), "Max-Age=0") != NULL);
	CHECK(request(base, &(struct rq){ .path = "/api/x", .cookie = cl.cookie }) == 401);
	/* logging out without a session just clears the cookie */
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/logout" }) == 200);
}

/* ---- tests with their own servers ---- */

static void test_metrics_auth(void)
{
	char base[80], userpwd[160];
	struct http_conf conf = { .listen = "127.0.0.1:0", .password_hash = hash, .metrics_auth = true };
	struct http *h = start(&conf, base, sizeof base);
	int f0 = failures();
	pthread_mutex_lock(&rec.mu);
	int m0 = rec.metrics;
	pthread_mutex_unlock(&rec.mu);
	CHECK(request(base, &(struct rq){ .path = "/metrics" }) == 401);
	CHECK(strstr(header("WWW-Authenticate"), "Basic") != NULL);
	CHECK(request(base, &(struct rq){ .path = "/metrics", .userpwd = "prometheus:nope" }) == 401);
	CHECK(failures() == f0 + 1);
	snprintf(userpwd, sizeof userpwd, "prometheus:%s", PASSWORD);
	CHECK(request(base, &(struct rq){ .path = "/metrics", .userpwd = userpwd }) == 200 && body_has("sipwarden_up 1"));
	struct client cl;
	CHECK(login(base, &cl));
	CHECK(request(base, &(struct rq){ .path = "/metrics", .cookie = cl.cookie }) == 200);
	pthread_mutex_lock(&rec.mu);
	CHECK(rec.metrics == m0 + 2);
	pthread_mutex_unlock(&rec.mu);
	http_stop(h);
}

/* The value of one line of /metrics (the last response), or -1. */
static long long metric(const char *line)
{
	const char *p = R.body ? strstr(R.body, line) : NULL;
	return p ? strtoll(p + strlen(line), NULL, 10) : -1;
}

static long long checks_run(const char *base, const char *cookie)
{
	request(base, &(struct rq){ .path = "/metrics", .cookie = cookie });
	return metric("\nsipwarden_http_password_checks_total ");
}

/* Blocked clients, lockout, X-Forwarded-For, Host, Origin, long queries. */
static void test_guard(void)
{
	char base[80], path[600], xff[64];
	const char *wrong = "{\"password\": \"nope\"}", *right = "{\"password\": \"" PASSWORD "\"}";
	struct ipprefix tp, blk;
	prefix_parse(&tp, "127.0.0.1");
	struct http_conf conf = { .listen = "127.0.0.1:0", .password_hash = hash, .login_fails = 3,
	                          .login_window_s = 60, .trusted_proxies = &tp, .n_trusted_proxies = 1,
	                          .server_name = "pbx.example.net" };
	struct http *h = start(&conf, base, sizeof base);
	struct client cl;
	CHECK(login(base, &cl));
	long long c0 = checks_run(base, cl.cookie);
	CHECK(c0 == 1);
	int f0 = failures();
	struct rq bad = { .method = "POST", .path = "/api/login", .body = wrong };
	struct rq good = { .method = "POST", .path = "/api/login", .body = right };
	for (int i = 0; i < 3; i++)
		CHECK(request(base, &bad) == 401);
	CHECK(failures() == f0 + 3);
	CHECK(request(base, &good) == 429 && atoi(header("Retry-After")) > 0);
	CHECK(request(base, &bad) == 429);
	CHECK(failures() == f0 + 3);
	CHECK(checks_run(base, cl.cookie) == c0 + 3);
	CHECK(metric("sipwarden_http_refused_total{reason=\"locked\"} ") == 2);
	/* another client behind the trusted proxy still logs in */
	good.header = "X-Forwarded-For: 192.0.2.9";
	CHECK(request(base, &good) == 200);
	/* a blocked client is refused before its password is checked */
	prefix_parse(&blk, "192.0.2.0/28");
	CHECK(http_block(h, &blk, true));
	long long c1 = checks_run(base, cl.cookie);
	for (int i = 0; i < 5; i++)
		CHECK(request(base, &good) == 403 && body_has("blocked"));
	snprintf(xff, sizeof xff, "X-Forwarded-For: 192.0.2.200");
	good.header = xff;
	CHECK(request(base, &good) == 200);
	CHECK(checks_run(base, cl.cookie) == c1 + 1);
	CHECK(metric("sipwarden_http_refused_total{reason=\"blocked\"} ") == 5);
	CHECK(http_block(h, &blk, false));
	good.header = "X-Forwarded-For: 192.0.2.9";
	CHECK(request(base, &good) == 200);
	/* Host and Origin */
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: rebind.example:8080" }) == 421);
	CHECK(request(base, &(struct rq){ .path = "/metrics", .header = "Host: rebind.example" }) == 421);
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: pbx.example.net" }) == 200);
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: localhost" }) == 200);
	bad.header = "Origin: http://evil.example";
	CHECK(request(base, &bad) == 403 && body_has("cross-origin"));
	bad.header = "Referer: http://evil.example/x";
	CHECK(request(base, &bad) == 403);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/logout", .cookie = cl.cookie,
	                                  .csrf = cl.csrf, .header = "Origin: null" }) == 403);
	bad.header = "Origin: https://pbx.example.net";
	CHECK(request(base, &bad) == 429); /* past the Origin check, to the lock of 127.0.0.1 */
	/* too many query arguments: 414 at once */
	size_t n = (size_t)snprintf(path, sizeof path, "/api/blocks?");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(path + n, sizeof path - n, "a=%d&", i % 10);
	CHECK(request(base, &(struct rq){ .path = path, .cookie = cl.cookie }) == 414);
	CHECK(request(base, &(struct rq){ .path = "/api/blocks?q=1&limit=5", .cookie = cl.cookie }) == 200);
	/* a reload's new names and proxies */
	CHECK(!http_set_names(h, "a:1", NULL, 0));
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: pbx.example.net" }) == 200);
	CHECK(http_set_names(h, "admin.example.org", NULL, 0));
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: pbx.example.net" }) == 421);
	CHECK(request(base, &(struct rq){ .path = "/", .header = "Host: admin.example.org" }) == 200);
	good.header = "X-Forwarded-For: 192.0.2.77"; /* no proxy any more: 127.0.0.1 itself, locked */
	CHECK(request(base, &good) == 429);
	http_stop(h);

	/* X-Forwarded-For from an address that is not a trusted proxy: ignored */
	prefix_parse(&tp, "198.51.100.1");
	h = start(&conf, base, sizeof base);
	bad.header = "X-Forwarded-For: 192.0.2.1";
	good.header = "X-Forwarded-For: 192.0.2.2";
	for (int i = 0; i < 3; i++)
		CHECK(request(base, &bad) == 401);
	CHECK(request(base, &good) == 429);
	http_stop(h);
}

static void test_expiry(void)
{
	char b1[80], b2[80];
	struct http_conf idle = { .listen = "127.0.0.1:0", .password_hash = hash, .idle_s = 2, .absolute_s = 3600 };
	struct http_conf abs = { .listen = "127.0.0.1:0", .password_hash = hash, .idle_s = 3600, .absolute_s = 3 };
	struct http *h1 = start(&idle, b1, sizeof b1), *h2 = start(&abs, b2, sizeof b2);
	struct client c1, c2;
	CHECK(login(b1, &c1) && login(b2, &c2));
	CHECK(request(b1, &(struct rq){ .path = "/api/x", .cookie = c1.cookie }) == 200);
	CHECK(request(b2, &(struct rq){ .path = "/api/x", .cookie = c2.cookie }) == 200);
	sleep(2);
	CHECK(request(b2, &(struct rq){ .path = "/api/x", .cookie = c2.cookie }) == 200); /* used, still young */
	sleep(2);
	CHECK(request(b1, &(struct rq){ .path = "/api/x", .cookie = c1.cookie }) == 401); /* idle 4 s */
	CHECK(request(b2, &(struct rq){ .path = "/api/x", .cookie = c2.cookie }) == 401); /* 4 s old */
	CHECK(request(b1, &(struct rq){ .path = "/api/session", .cookie = c1.cookie }) == 200 && body_has("\"logged_in\":false"));
	http_stop(h1);
	http_stop(h2);
}

static void test_no_password(void)
{
	char base[80];
	struct http_conf conf = { .listen = "127.0.0.1:0", .password_hash = "" };
	struct http *h = start(&conf, base, sizeof base);
	int f0 = failures();
	struct rq q = { .method = "POST", .path = "/api/login", .body = "{\"password\":\"anything\"}" };
	CHECK(request(base, &q) == 403);
	CHECK(body_has("sipwarden passwd") && header("Set-Cookie")[0] == '\0');
	CHECK(failures() == f0);
	CHECK(request(base, &(struct rq){ .path = "/api/session" }) == 200 && body_has("\"password_set\":false"));
	CHECK(request(base, &(struct rq){ .path = "/api/status" }) == 401);
	/* the daemon sets one (after `sipwarden passwd` and a reload) */
	http_set_password_hash(h, hash);
	struct client cl;
	CHECK(login(base, &cl));
	CHECK(request(base, &(struct rq){ .path = "/api/session", .cookie = cl.cookie }) == 200 && body_has("\"password_set\":true"));
	http_set_password_hash(h, NULL);
	CHECK(request(base, &q) == 403);
	http_stop(h);
}

static void test_ipv6(void)
{
	char base[80], err[256] = "";
	struct http_conf conf = { .listen = "[::1]:0", .password_hash = hash };
	struct http *h = http_start(&conf, &api, err, sizeof err);
	CHECK_MSG(h != NULL, "no IPv6 loopback in the test's namespace: %s", err);
	if (!h)
		return;
	snprintf(base, sizeof base, "http://[::1]:%u", http_port(h));
	CHECK(request(base, &(struct rq){ .path = "/" }) == 200);
	CHECK(request(base, &(struct rq){ .method = "POST", .path = "/api/login", .body = "{\"password\":\"x\"}" }) == 401);
	pthread_mutex_lock(&rec.mu);
	CHECK(!strcmp(rec.failed_ip, "::1"));
	pthread_mutex_unlock(&rec.mu);
	http_stop(h);
}

static void test_tls(void)
{
	char dir[] = "/tmp/sw-http-tls.XXXXXX", cert[96], key[96], cmd[512], base[80];
	if (!mkdtemp(dir)) {
		CHECK_MSG(0, "mkdtemp %s: %s", dir, strerror(errno));
		return;
	}
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
	         "-subj /CN=localhost >/dev/null 2>&1", key, cert);
	int made = system(cmd);
	CHECK_MSG(made == 0, "openssl could not make a test certificate (package openssl, scripts/deps.sh --test)");
	if (made != 0) {
		rmdir(dir);
		return;
	}
	struct http_conf conf = { .listen = "127.0.0.1:0", .password_hash = hash, .tls_cert = cert, .tls_key = key };
	struct http *h = start(&conf, base, sizeof base);
	CHECK(!strncmp(base, "https://", 8));
	CHECK(request(base, &(struct rq){ .path = "/" }) == 200);
	struct client cl;
	CHECK(login(base, &cl));
	CHECK(strstr(header("Set-Cookie"), "; Secure") != NULL);
	CHECK(request(base, &(struct rq){ .path = "/api/x", .cookie = cl.cookie }) == 200);
	char plain[80];
	snprintf(plain, sizeof plain, "http://127.0.0.1:%u", http_port(h));
	request(plain, &(struct rq){ .path = "/" });
	CHECK(R.status != 200);
	http_stop(h);
	/* a key file that does not exist */
	char err[256] = "";
	conf.tls_key = "/nonexistent/key.pem";
	CHECK(http_start(&conf, &api, err, sizeof err) == NULL && strstr(err, "/nonexistent/key.pem"));
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

static void test_start_errors(void)
{
	char err[256] = "";
	struct http_conf conf = { .listen = "localhost:8080" };
	CHECK(http_start(&conf, &api, err, sizeof err) == NULL && strstr(err, "ADDRESS:PORT"));
	const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "[::1:80", "::1:80", "1.2.3.4:8x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		conf.listen = bad[i];
		CHECK_MSG(http_start(&conf, &api, err, sizeof err) == NULL, "%s", bad[i]);
	}
	conf.listen = NULL;
	CHECK(http_start(&conf, &api, err, sizeof err) == NULL);
	conf.listen = "127.0.0.1:0";
	conf.tls_cert = "/etc/cert.pem";
	CHECK(http_start(&conf, &api, err, sizeof err) == NULL && strstr(err, "tls_key"));
	/* a port in use */
	char base[80], listen[32];
	struct http_conf ok = { .listen = "127.0.0.1:0", .password_hash = hash };
	struct http *h = start(&ok, base, sizeof base);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", http_port(h));
	struct http_conf again = { .listen = listen };
	err[0] = '\0';
	CHECK(http_start(&again, &api, err, sizeof err) == NULL && strstr(err, listen));
	http_stop(h);
	http_stop(NULL);
}

/* ---- helpers without a server ---- */

static int jget(const char *json, const char *name, char *out, size_t n)
{
	return http_json_get(json, strlen(json), name, out, n);
}

static void test_json_get(void)
{
	char v[64];
	CHECK(jget("{\"password\":\"abc\"}", "password", v, sizeof v) == 1 && !strcmp(v, "abc"));
	CHECK(jget(" { \"a\" : 1 , \"password\" : \"x\\\"y\\\\z\\/\" } ", "password", v, sizeof v) == 1 && !strcmp(v, "x\"y\\z/"));
	CHECK(jget("{\"p\":\"\\u00e9\\u20ac\\ud83d\\ude00\\n\\t\"}", "p", v, sizeof v) == 1 &&
	      !strcmp(v, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\t"));
	CHECK(jget("{\"p\":\"raw \xc3\xa9\"}", "p", v, sizeof v) == 1 && !strcmp(v, "raw \xc3\xa9"));
	CHECK(jget("{\"days\":7,\"on\":true,\"off\":false,\"n\":-1.5e3}", "days", v, sizeof v) == 1 && !strcmp(v, "7"));
	CHECK(jget("{\"days\":7,\"on\":true}", "on", v, sizeof v) == 1 && !strcmp(v, "true"));
	CHECK(jget("{\"days\":7,\"n\":-1.5e3}", "n", v, sizeof v) == 1 && !strcmp(v, "-1.5e3"));
	CHECK(jget("{\"p\":null}", "p", v, sizeof v) == 0);
	CHECK(jget("{\"q\":\"x\"}", "p", v, sizeof v) == 0 && v[0] == '\0');
	CHECK(jget("{}", "p", v, sizeof v) == 0);
	CHECK(jget("{\"p\":\"a\",\"p\":\"b\"}", "p", v, sizeof v) == 1 && !strcmp(v, "b"));
	CHECK(jget("{\"p\":\"\"}", "p", v, sizeof v) == 1 && v[0] == '\0');
	/* a key that merely starts like the name, and an escaped key */
	CHECK(jget("{\"passwordx\":\"1\",\"pass\\u0077ord\":\"2\"}", "password", v, sizeof v) == 1 && !strcmp(v, "2"));
	/* too long for out: an error, not a cut value */
	CHECK(jget("{\"p\":\"0123456789\"}", "p", v, 10) == -1);
	CHECK(jget("{\"p\":\"012345678\"}", "p", v, 10) == 1);
	CHECK(jget("{\"other\":\"0123456789012345678901234567890123456789\",\"p\":\"ok\"}", "p", v, 10) == 1 && !strcmp(v, "ok"));
	const char *bad[] = {
		"", "[]", "\"p\"", "{", "{\"p\"}", "{\"p\":}", "{\"p\":\"x}", "{\"p\":\"x\"", "{\"p\":\"x\",}",
		"{\"p\":\"x\"} x", "{\"p\":{\"a\":1}}", "{\"p\":[1]}", "{\"q\":[1],\"p\":\"x\"}", "{\"p\":\"\\u00\"}",
		"{\"p\":\"\\ud83d\"}", "{\"p\":\"\\ude00\"}", "{\"p\":\"\\u0000\"}", "{\"p\":\"\\x\"}",
		"{\"p\":\"a\nb\"}", "{\"p\":nul}", "{\"p\":truex}", "{\"p\":abc}", "{p:\"x\"}", "{'p':'x'}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_MSG(jget(bad[i], "p", v, sizeof v) == -1, "accepted: %s", bad[i]);
	/* a NUL byte inside the buffer is not JSON */
	CHECK(http_json_get("{\"p\":\"a\0b\"}", 11, "p", v, sizeof v) == -1);
	/* reads only len bytes (guard page right after the buffer) */
	const char *src = "{\"p\":\"xyz\"}";
	const char *g = t_guarded(src, strlen(src));
	CHECK(http_json_get(g, strlen(src), "p", v, sizeof v) == 1 && !strcmp(v, "xyz"));
	g = t_guarded(src, strlen(src) - 1);
	CHECK(http_json_get(g, strlen(src) - 1, "p", v, sizeof v) == -1);
	g = t_guarded("{\"p\":\"\\u12", 10);
	CHECK(http_json_get(g, 10, "p", v, sizeof v) == -1);
	g = t_guarded("{\"p\":tru", 8);
	CHECK(http_json_get(g, 8, "p", v, sizeof v) == -1);
}

static void test_query_param(void)
{
	char v[32];
	CHECK(http_query_param("since=2026-11-27T08%3A00%3A00Z&limit=50", "since", v, sizeof v) && !strcmp(v, "2026-11-27T08:00:00Z"));
	CHECK(http_query_param("since=x&limit=50", "limit", v, sizeof v) && !strcmp(v, "50"));
	CHECK(http_query_param("q=a+b%2Fc", "q", v, sizeof v) && !strcmp(v, "a b/c"));
	CHECK(http_query_param("address=a%40example.com", "address", v, sizeof v) && !strcmp(v, "a@example.com"));
	CHECK(http_query_param("ip=&x=1", "ip", v, sizeof v) && v[0] == '\0');
	CHECK(http_query_param("flag&x=1", "flag", v, sizeof v) && v[0] == '\0');
	CHECK(http_query_param("a=1&a=2", "a", v, sizeof v) && !strcmp(v, "1"));
	CHECK(http_query_param("bad=%zz%4", "bad", v, sizeof v) && !strcmp(v, "%zz%4"));
	CHECK(!http_query_param("limit=5", "lim", v, sizeof v));
	CHECK(!http_query_param("xlimit=5", "limit", v, sizeof v));
	CHECK(!http_query_param("", "limit", v, sizeof v));
	CHECK(!http_query_param(NULL, "limit", v, sizeof v));
	CHECK(!http_query_param("n=a%00b", "n", v, sizeof v));
	CHECK(!http_query_param("n=0123456789", "n", v, 10));
	CHECK(http_query_param("n=012345678", "n", v, 10));
}

static void test_reply(void)
{
	struct http_reply r = { .status = 200 };
	CHECK(http_reply_json_str(&r, "a\"b\\c\n\x01\xc3\xa9") == 0);
	CHECK(!strcmp(r.body, "\"a\\\"b\\\\c\\\\n\\\\x01\xc3\xa9\""));
	CHECK(http_reply_printf(&r, ",%d", 42) == 0 && http_reply_json_str(&r, NULL) == 0);
	CHECK(!strcmp(r.body + r.len - 8, "\",42null"));
	http_reply_json_error(&r, 404, "no such \"block\"", NULL);
	CHECK(r.status == 404 && !strcmp(r.body, "{\"error\":\"no such \\\"block\\\"\"}"));
	CHECK(!strcmp(r.content_type, "application/json") && !r.failed);
	free(r.body);
}

static void lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		perror("SIOCGIFFLAGS lo");
		exit(1);
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		perror("SIOCSIFFLAGS lo");
		exit(1);
	}
	close(fd);
}

int main(void)
{
	test_json_get();
	test_query_param();
	test_reply();
	/* Network safety: only ever bind inside a namespace of our own. */
	if (unshare(CLONE_NEWNET) < 0) {
		if (t_fail)
			return T_DONE();
		printf("SKIP: needs root (unshare(CLONE_NEWNET): %s); only the %d helper checks ran\n",
		       strerror(errno), t_pass);
		return 77;
	}
	lo_up();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (auth_hash(PASSWORD, hash, sizeof hash) < 0) {
		fprintf(stderr, "auth_hash failed\n");
		return 1;
	}
	char base[80];
	struct http_conf conf = { .listen = "127.0.0.1:0", .password_hash = hash };
	struct http *h = start(&conf, base, sizeof base);
	struct client cl;
	test_static(base);
	test_no_session(base);
	test_login(base, &cl);
	test_api_calls(base, &cl);
	test_body_limits(base, &cl);
	test_metrics(base, &cl);
	test_logout(base);
	http_stop(h);
	test_metrics_auth();
	test_guard();
	test_expiry();
	test_no_password();
	test_ipv6();
	test_tls();
	test_start_errors();
	free(R.body);
	curl_global_cleanup();
	return T_DONE();
}
