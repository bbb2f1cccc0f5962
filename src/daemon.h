/* daemon: `sipwarden run`: live capture into the engine, with the firewall
 * and the store fed by worker threads, the control socket and the HTTP
 * server on threads of their own (their requests run on the main thread,
 * handed over through d->ho), signals and a 100 ms tick.  The engine runs
 * on the main thread only. */
#ifndef SW_DAEMON_H
#define SW_DAEMON_H

#include <pthread.h>
#include <stdio.h>

#include "capture.h"
#include "ct.h"
#include "config.h"
#include "ctlsrv.h"
#include "engine.h"
#include "fw.h"
#include "handoff.h"
#include "notify.h"
#include "store.h"
#include "worker.h"

struct api;

struct daemon {
	const char *cfg_path;       /* NULL: built-in defaults */
	struct config *cfg;
	struct engine *eng;
	struct store *rstore;       /* main thread: reads, list changes */
	struct store *wstore;       /* the store worker's connection */
	struct fw *fw;              /* used by the firewall worker only */
	struct ct *ct;              /* used by the conntrack worker only */
	struct worker *fw_w, *ct_w, *store_w;
	struct notify *ntf;         /* mail, webhook, syslog (its own threads) */
	struct api *api;            /* the admin page and API ([http]), or NULL */
	char http_error[512];       /* why the admin page did not start, or "" */
	struct cap_live *cap;
	struct handoff *ho;         /* requests of the control and HTTP threads for the main thread */
	struct ctlsrv *ctl;         /* the control socket's thread */
	int sig_fd, timer_fd;
	uint64_t started_us, last_purge_us;
	uint64_t kernel_recv, kernel_drop;
	_Atomic uint64_t fw_ops, fw_errors, store_errors;
	pthread_mutex_t fw_mu;      /* guards fw_last_error, allow, allow_dirty */
	char fw_last_error[1024];   /* written by the firewall worker */
	struct ipprefix *allow;     /* the whitelist, for the firewall worker */
	size_t n_allow;
	bool allow_dirty;           /* allow changed: the worker applies it */
	bool running;
};

/* Runs the daemon until SIGTERM/SIGINT; returns the exit status. */
int daemon_main(const char *cfg_path);

/* Re-reads the config file; on errors (written to errs) keeps the running
 * config and returns -1. */
int daemon_reload(struct daemon *d, FILE *errs);
/* Hands the current whitelist to the firewall worker, which makes the
 * firewall's accept set match it.  Call whenever the whitelist changes. */
void daemon_allow_sync(struct daemon *d);
/* Copies the firewall worker's last error message into buf. */
void daemon_fw_error(struct daemon *d, char *buf, size_t n);
/* Wall clock in microseconds. */
uint64_t daemon_now(void);

#endif
