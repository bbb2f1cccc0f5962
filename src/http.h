/* http: the embedded HTTP server of the admin page and its JSON API
 * (libmicrohttpd, with its own polling thread; optional TLS).
 *
 * http.c itself serves the page (files embedded in the binary), login,
 * logout, the session and the cookie and CSRF checks.  Every other /api/
 * request of a logged-in user (with the X-CSRF-Token header on any method
 * but GET and HEAD) and GET /metrics go to the daemon's struct http_api.
 * The reply, JSON and query helpers at the end live in http_json.c.
 *
 * Threads: the callbacks of struct http_api run on the server's thread, one
 * request at a time, and may block (the daemon hands the work to its main
 * thread and waits); while one runs, no other request is served. */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HTTP_MAX_BODY (256 * 1024)     /* larger request bodies get 413 */
#define HTTP_MAX_REPLY (32u << 20)     /* a larger reply body becomes a 500 */

struct http_conf {
	const char *listen;            /* "127.0.0.1:8080" or "[::1]:8080"; port 0 = any free */
	const char *tls_cert, *tls_key; /* PEM file paths, both or neither (NULL or "") */
	const char *password_hash;     /* argon2id string; NULL or "" = no password set yet */
	bool metrics_auth;             /* /metrics needs a session or Basic auth */
	uint32_t idle_s, absolute_s;   /* session lifetimes; 0 = 30 min, 12 h */
	const char *server_name;       /* other names of the page ("a.example b.example"), or NULL */
	const struct ipprefix *trusted_proxies; /* X-Forwarded-For is read only from these */
	size_t n_trusted_proxies;
	unsigned login_fails, login_window_s; /* lock a client after so many failures (0: 5 in 600 s) */
	unsigned hash_per_s;           /* password checks a second at most (0: 8) */
	unsigned header_s, request_s;  /* deadlines: headers, whole request (0: 10 s, 30 s) */
};

/* A reply under construction; the server owns the body buffer. */
struct http_reply {
	int status;                    /* 200 unless set */
	char content_type[64];         /* "application/json" (text/plain for metrics) unless set */
	char *body;
	size_t len, cap;
	bool failed;                   /* out of memory or too large: sent as 500 */
};

struct http_api {
	void *ctx;
	/* Any other /api/ request: method ("GET", "POST", ...), path (decoded,
	 * such as "/api/blocks/2001:db8::1"), query (raw, percent-encoded, no
	 * '?', "" when none; read it with http_query_param), body (NUL-
	 * terminated, body_len bytes), client_ip ("198.51.100.7", "2001:db8::1").
	 * Fills out; returns 0, or -1 for a 500. */
	int (*handle)(void *ctx, const char *method, const char *path, const char *query,
	              const char *body, size_t body_len, const char *client_ip, struct http_reply *out);
	/* GET /metrics: the Prometheus text into out.  Returns 0 or -1. */
	int (*metrics)(void *ctx, struct http_reply *out);
	/* A login (or /metrics Basic auth) with a wrong password from client_ip. */
	void (*login_failed)(void *ctx, const char *client_ip);
};

struct http;

/* Starts serving; conf is copied (the PEM files are read now), api too.
 * Returns NULL with a message in err (bad address, port in use, TLS). */
struct http *http_start(const struct http_conf *conf, const struct http_api *api,
                        char *err, size_t errlen);
/* Stops the server: waits for the request in progress, closes everything. */
void http_stop(struct http *h);
/* The port the server listens on (useful with port 0). */
uint16_t http_port(const struct http *h);
/* Replaces the admin password hash ("" = none); existing sessions stay.
 * Thread-safe. */
void http_set_password_hash(struct http *h, const char *hash);
/* Replaces the server names and trusted proxies (after a reload); false
 * when server_name is unusable (then nothing changes).  Thread-safe. */
bool http_set_names(struct http *h, const char *server_name, const struct ipprefix *trusted, size_t n);
/* Marks a host or prefix blocked (on) or no longer blocked: the server
 * answers its requests 403 before reading a body or checking a password.
 * Thread-safe; false when the set is full (counted in the metrics). */
bool http_block(struct http *h, const struct ipprefix *p, bool on);

/* Appends formatted text to the reply body; returns 0 or -1 (then failed). */
int http_reply_printf(struct http_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string with its quotes (NULL appends null). */
int http_reply_json_str(struct http_reply *r, const char *s);
/* Replaces the reply by status and {"error":message,"field":field} (no
 * "field" when field is NULL). */
void http_reply_json_error(struct http_reply *r, int status, const char *message, const char *field);

/* Top-level member name of the flat JSON object in body[0..len): a string
 * is decoded (UTF-8, escapes), a number, true or false is copied as its
 * text, null counts as absent.  Returns 1 found, 0 absent, -1 malformed
 * JSON, a nested object or array, or a value longer than outlen - 1; out
 * is "" unless found. */
int http_json_get(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* Decodes parameter name of a raw query string ('+' and %XX) into out.
 * False when absent, too long, or holding a NUL. */
bool http_query_param(const char *query, const char *name, char *out, size_t outlen);

#endif
