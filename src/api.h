/* api: the daemon side of the admin page's HTTP API (src/web/app.js names
 * every endpoint and its JSON).  The HTTP server's thread hands each request,
 * once it has been read whole, to the main thread (d->ho, as the control
 * socket's thread does) and waits; the handlers then read and change the
 * daemon's state, so the engine needs no locks, and write the answer into a
 * buffer that the HTTP thread sends.  Also the admin_login rule: failed
 * logins from one address within [http] admin_login block it. */
#ifndef SW_API_H
#define SW_API_H

#include "daemon.h"
#include "http.h"

struct api;

/* Starts the HTTP server on d->cfg->http.listen; d->ho must exist.  Returns
 * NULL with a message in err. */
struct api *api_start(struct daemon *d, char *err, size_t errlen);
/* Stops the server (after handoff_stop: a request that waits gives up). */
void api_stop(struct api *a);
/* A block or unblock event: the HTTP server refuses blocked addresses
 * itself (whatever the firewall covers).  Other events are ignored. */
void api_event(struct api *a, const struct event *e);
/* After a reload: the new password hash, server names and trusted proxies. */
void api_set_config(struct api *a, const struct config *cfg);

/* The handlers behind the server (one request, main thread): every /api/
 * path but login, logout and session.  Returns 0, or -1 for a 500. */
int api_handle(struct daemon *d, const char *method, const char *path, const char *query,
               const char *body, size_t len, struct http_reply *out);
/* GET /metrics: Prometheus text (metrics.c). */
int api_metrics(struct daemon *d, struct http_reply *out);

#endif
