/* http_int: the pieces of the HTTP server shared by http.c, http_hash.c
 * and http_conn.c (not for other modules). */
#ifndef SW_HTTP_INT_H
#define SW_HTTP_INT_H

#include "auth.h"
#include "http.h"
#include "http_guard.h"
#include "util.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define HTTP_MAX_PASSWORD 1024

struct MHD_Connection;

/* ---- password checks off the serving thread (http_hash.c) ---- */

/* One argon2id verification; lives in the request, which stays suspended
 * until the worker resumes its connection. */
struct hjob {
	struct MHD_Connection *c;
	char hash[AUTH_HASH_MAX];
	char pw[HTTP_MAX_PASSWORD];
	atomic_int state;             /* 0 none, 1 queued, 2 done */
	bool ok;
};

struct hpool;
/* A worker thread that runs at most per_s verifications a second (a token
 * bucket with a burst of per_s) from a queue of HPOOL_QUEUE jobs.  NULL when
 * the thread cannot start. */
#define HPOOL_QUEUE 8u
struct hpool *hpool_new(unsigned per_s);
/* Finishes the queued jobs (resuming their connections) and stops the
 * thread; a job submitted later runs at once on the caller's thread. */
void hpool_stop(struct hpool *p);
void hpool_free(struct hpool *p);
/* True when a job may be submitted now (a token and a queue slot); takes
 * the token.  Serving thread only. */
bool hpool_reserve(struct hpool *p, int64_t now_ms);
/* Queues j (after hpool_reserve said yes and the connection was suspended). */
void hpool_submit(struct hpool *p, struct hjob *j);
/* Verifications run so far. */
uint64_t hpool_runs(struct hpool *p);

/* ---- connections: limits and deadlines (http_conn.c) ---- */

enum hphase { HP_HEADERS, HP_BODY, HP_ANSWER };

struct hconns;
/* A table of at most limit connections with a watchdog thread that shuts
 * down a connection whose request line and headers are not complete
 * header_s seconds after it started waiting for them, or whose body is not
 * complete request_s seconds after that.  NULL when out of memory. */
struct hconns *hconns_new(unsigned limit, unsigned per_ip, unsigned header_s, unsigned request_s);
void hconns_free(struct hconns *t);
/* Whether to take a new connection from ip: fewer per address when the
 * table is three quarters full; exempt addresses count only in the total. */
bool hconns_accept(struct hconns *t, const struct ipaddr *ip, bool exempt);
void hconns_started(struct hconns *t, int fd, const struct ipaddr *ip);
void hconns_closed(struct hconns *t, int fd);
/* Moves fd's current request to phase (HP_HEADERS restarts the clock). */
void hconns_phase(struct hconns *t, int fd, enum hphase phase);
/* Connections refused by hconns_accept, and shut at a deadline. */
void hconns_counts(struct hconns *t, uint64_t *refused, uint64_t *shed);

int64_t http_now_ms(void);

/* ---- the server (http.c) and its routes (http_login.c) ---- */

struct http {
	struct MHD_Daemon *d;
	struct http_api api;
	struct auth_sessions *sessions; /* the server thread only */
	pthread_mutex_t mu;             /* guards hash */
	char hash[AUTH_HASH_MAX];
	bool tls, metrics_auth;
	char *cert, *key;               /* PEM text, kept while MHD runs */
	uint16_t port;
	struct hg_names names;
	struct ipprefix trusted[HG_MAX_PROXIES];
	size_t ntrusted;
	struct hg_locks *locks;         /* the server thread only */
	struct hpool *pool;
	struct hconns *conns;
	pthread_mutex_t bmu;            /* guards blocked, names, trusted */
	struct hg_blocked *blocked;
	atomic_uint_fast64_t n_blocked, n_host, n_origin, n_query, n_locked, n_busy, n_full;
};

/* One request, from its first line to its end (MHD's per-request pointer). */
struct req {
	bool started, too_large, long_query;
	char ip[IP_STRLEN];             /* the client (behind trusted proxies: theirs) */
	struct ipaddr client;
	struct hjob job;                /* a password check in progress or done */
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
	const char *ip;
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

void http_reply_init(struct http_reply *r, const char *type);
/* Queues o; the MHD result of the handler. */
enum MHD_Result http_respond(struct call *x, const struct out *o);
/* {"error": message, "field": field} with status. */
enum MHD_Result http_send_error(struct call *x, int status, const char *message, const char *field);
/* 405 with Allow. */
enum MHD_Result http_not_allowed(struct call *x, const char *allow);
bool http_is_get(const char *method);
/* Every /api/ path: login, logout, session, then the daemon's handlers
 * behind the session and CSRF checks. */
enum MHD_Result http_route_api(struct call *x, const char *url);
/* GET /metrics: the daemon's metrics and the server's own counters. */
enum MHD_Result http_do_metrics(struct call *x);

#endif
