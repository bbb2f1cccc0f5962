/* daemon: the live process.  Main thread: capture, engine, signals, tick,
 * and the requests that the control thread (ctlsrv.c) and the HTTP thread
 * hand over (handoff.c), a few per loop round.  Workers: firewall (batched),
 * store (batched transactions), notifications (notify.c: intake and sender
 * threads). */
#include "daemon.h"
#include "api.h"
#include "ct.h"
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FW_QUEUE 262144
#define FW_BATCH 4096
#define STORE_QUEUE 262144 /* 792-byte items, touched only as used: a 100k-block storm fits */
#define STORE_BATCH 4096
#define PURGE_EVERY_US (3600ULL * 1000000)
#define MAX_POLL 64
#define HANDOFF_QUEUE 64   /* requests of the control and HTTP threads waiting for the main thread */
#define HANDOFF_PER_ROUND 1 /* run per poll round, then the capture again */

struct fw_op {
	bool unblock;
	bool allow;                 /* no entry: apply d->allow if it changed */
	struct fw_entry e;
};

struct store_item {
	struct event e;
	struct evidence ev;
	char instance[CFG_NAME_LEN];
	bool has_ev;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sipwarden: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t daemon_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- workers ---- */

void daemon_fw_error(struct daemon *d, char *buf, size_t n)
{
	pthread_mutex_lock(&d->fw_mu);
	snprintf(buf, n, "%s", d->fw_last_error);
	pthread_mutex_unlock(&d->fw_mu);
}

static void fw_error(struct daemon *d, const char *what, const char *err)
{
	d->fw_errors++;
	pthread_mutex_lock(&d->fw_mu);
	snprintf(d->fw_last_error, sizeof d->fw_last_error, "%s: %s", what, err);
	pthread_mutex_unlock(&d->fw_mu);
	logf_("firewall %s failed: %s", what, err);
}

/* Applies one run of blocks in one transaction, then hands the hosts to the
 * conntrack worker: its table walk (milliseconds) never delays the next
 * firewall batch. */
static void fw_apply_blocks(struct daemon *d, const struct fw_entry *v, size_t n)
{
	char err[512];
	if (fw_block(d->fw, v, n, err, sizeof err) != 0)
		fw_error(d, "block", err);
	for (size_t i = 0; i < n; i++)
		if (v[i].ip.plen == 128 && !worker_push(d->ct_w, &v[i].ip.addr))
			fw_error(d, "queue", "conntrack queue full, flush skipped");
}

static void ct_batch(void *ctx, void *items, size_t n)
{
	struct daemon *d = ctx;
	char err[512];
	if (ct_flush(d->ct, items, n, NULL, err, sizeof err) != 0)
		fw_error(d, "conntrack flush", err);
}

void daemon_allow_sync(struct daemon *d)
{
	const struct cfg_prefixes *wl = &d->cfg->whitelist;
	if (!d->fw)
		return; /* no firewall (yet): fw_open's caller syncs */
	struct ipprefix *v = malloc((wl->n ? wl->n : 1) * sizeof *v);
	if (!v) {
		fw_error(d, "whitelist", "out of memory");
		return;
	}
	memcpy(v, wl->v, wl->n * sizeof *v);
	pthread_mutex_lock(&d->fw_mu);
	free(d->allow);
	d->allow = v;
	d->n_allow = wl->n;
	d->allow_dirty = true;
	pthread_mutex_unlock(&d->fw_mu);
	struct fw_op op = { .allow = true };
	if (d->fw_w && !worker_push(d->fw_w, &op))
		fw_error(d, "queue", "firewall queue full, whitelist update waits for the next batch");
}

/* The firewall's accept set = d->allow, when it changed. */
static void fw_apply_allow(struct daemon *d)
{
	char err[512];
	pthread_mutex_lock(&d->fw_mu);
	struct ipprefix *v = d->allow_dirty ? d->allow : NULL;
	size_t n = d->n_allow;
	if (v) {
		d->allow = NULL;
		d->n_allow = 0;
		d->allow_dirty = false;
	}
	pthread_mutex_unlock(&d->fw_mu);
	if (v && fw_allow(d->fw, v, n, err, sizeof err) != 0)
		fw_error(d, "whitelist", err);
	free(v);
}

/* Applies a batch in order, as runs of blocks and runs of unblocks, so a
 * block queued after an unblock of the same address stays in force; a
 * changed whitelist first. */
static void fw_batch(void *ctx, void *items, size_t n)
{
	struct daemon *d = ctx;
	struct fw_op *ops = items;
	static struct fw_entry blocks[FW_BATCH];
	static struct ipprefix unblocks[FW_BATCH];
	char err[512];
	fw_apply_allow(d);
	for (size_t i = 0; i < n;) {
		size_t k = 0;
		if (ops[i].allow) {
			i++;
		} else if (!ops[i].unblock) {
			while (i < n && !ops[i].unblock && !ops[i].allow)
				blocks[k++] = ops[i++].e;
			fw_apply_blocks(d, blocks, k);
		} else {
			while (i < n && ops[i].unblock && !ops[i].allow)
				unblocks[k++] = ops[i++].e.ip;
			if (fw_unblock(d->fw, unblocks, k, err, sizeof err) != 0)
				fw_error(d, "unblock", err);
		}
	}
	d->fw_ops += n;
}

static void store_batch(void *ctx, void *items, size_t n)
{
	struct daemon *d = ctx;
	struct store_item *it = items;
	if (store_begin(d->wstore) != 0) {
		d->store_errors++;
		logf_("store: %s", store_error(d->wstore));
	}
	for (size_t i = 0; i < n; i++) {
		it[i].e.instance = it[i].instance[0] ? it[i].instance : NULL;
		it[i].e.ev = it[i].has_ev ? &it[i].ev : NULL;
		if (store_event(d->wstore, &it[i].e) != 0) {
			d->store_errors++;
			logf_("store: %s", store_error(d->wstore));
		}
	}
	if (store_commit(d->wstore) != 0) {
		d->store_errors++;
		logf_("store: %s", store_error(d->wstore));
	}
}

/* Engine events: log, firewall, store. Runs on the main thread. */
static void on_event(void *ctx, const struct event *e)
{
	struct daemon *d = ctx;
	char line[4096];
	evt_json(e, line, sizeof line);
	logf_("%s", line);
	if (e->type == EVT_BLOCK || e->type == EVT_UNBLOCK) {
		struct fw_op op = { e->type == EVT_UNBLOCK, false, { e->ip, e->duration_s > 0 ? (uint32_t)e->duration_s : 0 } };
		if (!worker_push(d->fw_w, &op))
			fw_error(d, "queue", "firewall queue full, operation dropped");
	}
	struct store_item it = { .e = *e, .has_ev = e->ev != NULL };
	if (e->ev)
		it.ev = *e->ev;
	if (e->instance)
		snprintf(it.instance, sizeof it.instance, "%s", e->instance);
	if (!worker_push(d->store_w, &it))
		d->store_errors++;
	if (d->ntf)
		ntf_event(d->ntf, e);
	if (d->api)
		api_event(d->api, e);
}

/* ---- start-up ---- */

static int mkdir_parent(const char *path, mode_t mode)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", path);
	char *dir = dirname(tmp);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return (mkdir(dir, mode) != 0 && errno != EEXIST) ? -1 : 0;
}

static void merge_list_entry(void *ctx, const struct store_list_entry *e)
{
	cfg_prefixes_add(ctx, &e->ip);
}

/* A link address of the host's (not the loopback's zeros), once. */
static void add_own_mac(struct config *c, const struct sockaddr_ll *ll)
{
	static const uint8_t zero[6];
	if (ll->sll_halen != 6 || !memcmp(ll->sll_addr, zero, 6) || c->n_own_mac == CFG_MAX_MACS)
		return;
	for (unsigned k = 0; k < c->n_own_mac; k++)
		if (!memcmp(c->own_mac[k], ll->sll_addr, 6))
			return;
	memcpy(c->own_mac[c->n_own_mac++], ll->sll_addr, 6);
}

/* The host's own addresses: never blocked, and the servers that the TFTP
 * and DNS rules protect; and its link addresses (capture direction). */
static void add_own_addresses(struct config *c)
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct ipprefix p = { .plen = 128 };
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_PACKET) {
			add_own_mac(c, (const struct sockaddr_ll *)(const void *)i->ifa_addr);
			continue;
		}
		if (i->ifa_addr->sa_family == AF_INET)
			ip_from_v4(&p.addr, (const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			ip_from_v6(&p.addr, (const uint8_t *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr);
		else
			continue;
		cfg_prefixes_add(&c->own, &p);
	}
	freeifaddrs(ifa);
}

/* Adds the lists changed at run time (ctl) to a freshly loaded config. */
static void merge_runtime_lists(struct daemon *d, struct config *c)
{
	store_list_get(d->rstore, "whitelist", merge_list_entry, &c->whitelist);
	store_list_get(d->rstore, "blacklist", merge_list_entry, &c->blacklist);
}

static enum detector det_from_name(const char *name)
{
	for (int i = 0; i < DET__COUNT; i++)
		if (!strcmp(det_name((enum detector)i), name))
			return (enum detector)i;
	return DET_MANUAL;
}

static int inst_from_name(const struct config *c, const char *name)
{
	for (unsigned i = 0; i < c->n_inst; i++)
		if (!strcmp(c->inst[i].name, name))
			return (int)i;
	return 0;
}

struct restore_ctx {
	struct daemon *d;
	uint64_t now_us;
	struct fw_entry *v;
	size_t n, cap;
};

/* Makes room for one more element in a growing array; false when out of memory. */
static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 1024;
	void *nv = realloc(*v, ncap * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

static void restore_block(void *ctx, const struct store_block *b)
{
	struct restore_ctx *r = ctx;
	vrd_restore(eng_verdict(r->d->eng), &b->ip, det_from_name(b->detector),
	            (uint32_t)inst_from_name(r->d->cfg, b->instance), b->permanent ? 0 : b->end_us);
	if (!grow((void **)&r->v, &r->cap, r->n, sizeof *r->v))
		return;
	uint32_t left = b->permanent ? 0 : (uint32_t)((b->end_us - r->now_us + 999999) / 1000000);
	r->v[r->n++] = (struct fw_entry){ b->ip, left ? left : (b->permanent ? 0 : 1) };
}

static void restore_history(void *ctx, const struct ipprefix *ip, uint32_t n)
{
	vrd_set_history(eng_verdict(((struct daemon *)ctx)->eng), ip, n);
}

/* Orders fw entries by prefix, for bsearch. */
static int entry_cmp(const void *a, const void *b)
{
	const struct fw_entry *x = a, *y = b;
	int c = memcmp(x->ip.addr.b, y->ip.addr.b, 16);
	return c ? c : (int)x->ip.plen - (int)y->ip.plen;
}

struct stale_ctx {
	const struct restore_ctx *active; /* sorted by entry_cmp */
	struct ipprefix *v;
	size_t n, cap;
};

static void collect_stale(void *ctx, const struct fw_entry *e)
{
	struct stale_ctx *s = ctx;
	if (s->active->n && bsearch(e, s->active->v, s->active->n, sizeof *e, entry_cmp))
		return; /* (bsearch must not get the NULL of an empty table) */
	if (grow((void **)&s->v, &s->cap, s->n, sizeof *s->v))
		s->v[s->n++] = e->ip;
}

/* Restores blocks and history from the store and makes the kernel sets
 * agree: unknown elements out, active blocks in with their remaining time. */
static int restore_state(struct daemon *d, uint64_t now_us)
{
	struct restore_ctx r = { .d = d, .now_us = now_us };
	char err[512];
	int rc = 0;
	store_history(d->rstore, restore_history, d);
	store_blocks_active(d->rstore, now_us, restore_block, &r);
	if (r.n)
		qsort(r.v, r.n, sizeof *r.v, entry_cmp);
	struct stale_ctx s = { .active = &r };
	if (fw_list(d->fw, collect_stale, &s, err, sizeof err) != 0) {
		logf_("firewall list failed: %s", err);
		rc = -1;
	}
	if (s.n && fw_unblock(d->fw, s.v, s.n, err, sizeof err) != 0) {
		logf_("firewall reconcile (remove) failed: %s", err);
		rc = -1;
	}
	for (size_t i = 0; i < r.n; i += FW_BATCH) {
		size_t k = r.n - i < FW_BATCH ? r.n - i : FW_BATCH;
		if (fw_block(d->fw, r.v + i, k, err, sizeof err) != 0) {
			logf_("firewall reconcile (add) failed: %s", err);
			rc = -1;
		}
	}
	logf_("restored %zu active blocks, removed %zu unknown firewall elements", r.n, s.n);
	free(r.v);
	free(s.v);
	return rc;
}

static int open_ctl_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path || mkdir_parent(path, 0750) != 0)
		return -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void daemon_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

static int setup_signals_and_timer(struct daemon *d)
{
	sigset_t set;
	daemon_sigset(&set);
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { { 0, 100000000 }, { 0, 100000000 } }; /* 100 ms */
	if (d->sig_fd < 0 || d->timer_fd < 0 || timerfd_settime(d->timer_fd, 0, &its, NULL) != 0)
		return -1;
	return 0;
}

/* A control request, handed over by the control thread (main thread). */
static int on_ctl(void *ctx, char *req, FILE *o)
{
	return ctl_run(ctx, req, o);
}

static void sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	if (n >= sizeof sa.sun_path)
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

static int open_capture(struct daemon *d, char *err, size_t errlen)
{
	uint8_t ports[8192];
	char filter[4096];
	engine_ports(d->cfg, ports);
	/* DNS needs UDP and TCP whatever the SIP protocols are */
	bool dns = d->cfg->dns.enabled;
	if (cap_filter(ports, d->cfg->udp || dns || d->cfg->tftp.enabled, d->cfg->tcp || dns, d->cfg->tftp.enabled,
	               filter, sizeof filter) != 0) {
		snprintf(err, errlen, "too many port ranges for a capture filter");
		return -1;
	}
	d->cap = cap_live_open(d->cfg->ifaces, d->cfg->n_ifaces, d->cfg->capture_buffer_mb, filter, err, errlen);
	if (d->cap)
		logf_("capturing on %s%s with filter: %s", d->cfg->ifaces[0], d->cfg->n_ifaces > 1 ? ", ..." : "", filter);
	return d->cap ? 0 : -1;
}

static int start(struct daemon *d)
{
	char err[512];
	struct fw_config fc = { .scope = d->cfg->fw_scope_services ? FW_SCOPE_SERVICES : FW_SCOPE_ALL,
	                        .udp = d->cfg->udp, .tcp = d->cfg->tcp };
	static uint8_t ports[8192];
	engine_ports(d->cfg, ports);
	fc.ports = ports;
	snprintf(fc.backend, sizeof fc.backend, "%s", d->cfg->fw_backend);
	snprintf(fc.table, sizeof fc.table, "%s", d->cfg->fw_table);
	if (mkdir_parent(d->cfg->database, 0750) != 0) {
		logf_("cannot create the directory of %s: %s", d->cfg->database, strerror(errno));
		return -1;
	}
	d->rstore = store_open(d->cfg->database, err, sizeof err);
	d->wstore = d->rstore ? store_open(d->cfg->database, err, sizeof err) : NULL;
	if (!d->wstore) {
		logf_("database: %s", err);
		return -1;
	}
	merge_runtime_lists(d, d->cfg);
	add_own_addresses(d->cfg);
	d->fw = fw_open(&fc, err, sizeof err);
	if (!d->fw) {
		logf_("firewall (%s): %s", fc.backend, err);
		return -1;
	}
	daemon_allow_sync(d); /* no worker yet: applied here */
	fw_apply_allow(d);
	d->eng = eng_new(d->cfg, on_event, d);
	d->ct = ct_open(err, sizeof err);
	if (!d->ct) {
		logf_("%s", err);
		return -1;
	}
	d->ct_w = worker_start(sizeof(struct ipaddr), FW_QUEUE, FW_BATCH, ct_batch, d);
	d->fw_w = worker_start(sizeof(struct fw_op), FW_QUEUE, FW_BATCH, fw_batch, d);
	d->store_w = worker_start(sizeof(struct store_item), STORE_QUEUE, STORE_BATCH, store_batch, d);
	if (!d->eng || !d->ct_w || !d->fw_w || !d->store_w) {
		logf_("out of memory");
		return -1;
	}
	d->ntf = ntf_start(d->cfg, d->cfg->database, err, sizeof err);
	if (!d->ntf) {
		logf_("notifications: %s", err);
		return -1;
	}
	uint64_t now = daemon_now();
	d->started_us = d->last_purge_us = now;
	restore_state(d, now);
	if (open_capture(d, err, sizeof err) != 0) {
		logf_("capture: %s", err);
		return -1;
	}
	eng_start(d->eng, now);
	d->ho = handoff_new(HANDOFF_QUEUE);
	if (!d->ho) {
		logf_("hand-over queue: %s", strerror(errno));
		return -1;
	}
	int lfd = open_ctl_socket(d->cfg->ctl_socket);
	if (lfd < 0) {
		logf_("control socket %s: %s", d->cfg->ctl_socket, strerror(errno));
		return -1;
	}
	d->ctl = ctlsrv_start(lfd, NULL, d->ho, on_ctl, d, err, sizeof err);
	if (!d->ctl) {
		close(lfd);
		unlink(d->cfg->ctl_socket);
		logf_("control socket %s: %s", d->cfg->ctl_socket, err);
		return -1;
	}
	if (d->cfg->http.listen[0]) {
		d->api = api_start(d, err, sizeof err);
		if (!d->api) {
			/* protection matters more than the page: run without it */
			snprintf(d->http_error, sizeof d->http_error, "%s", err);
			logf_("admin page (http %s) not started: %s; running without it", d->cfg->http.listen, err);
		} else {
			logf_("admin page on %s://%s%s", d->cfg->http.tls_cert[0] ? "https" : "http", d->cfg->http.listen,
		      d->cfg->http.password_hash[0] ? "" : " (no admin password yet: set one with `sipwarden passwd`)");
		}
	}
	if (setup_signals_and_timer(d) != 0) {
		logf_("signals/timer: %s", strerror(errno));
		return -1;
	}
	logf_("running: firewall %s (table %s), database %s, control %s", fw_backend_name(d->fw),
	      d->cfg->fw_table, d->cfg->database, d->cfg->ctl_socket);
	return 0;
}

/* ---- running ---- */

int daemon_reload(struct daemon *d, FILE *errs)
{
	if (!d->cfg_path) {
		fprintf(errs, "no configuration file (running on built-in defaults)\n");
		return -1;
	}
	struct config *c = cfg_load(d->cfg_path, errs);
	if (!c)
		return -1;
	if (c->max_tracked != d->cfg->max_tracked || strcmp(c->fw_backend, d->cfg->fw_backend) ||
	    strcmp(c->fw_table, d->cfg->fw_table) || strcmp(c->database, d->cfg->database))
		fprintf(errs, "note: max_tracked, [firewall] and database changes take effect at restart\n");
	c->max_tracked = d->cfg->max_tracked;
	merge_runtime_lists(d, c);
	add_own_addresses(c);
	eng_set_config(d->eng, c);
	if (d->ntf)
		ntf_set_config(d->ntf, c);
	if (d->api)
		api_set_config(d->api, c);
	if (strcmp(c->http.listen, d->cfg->http.listen) || strcmp(c->http.tls_cert, d->cfg->http.tls_cert) ||
	    strcmp(c->http.tls_key, d->cfg->http.tls_key))
		fprintf(errs, "note: [http] listen and TLS changes take effect at restart\n");
	cfg_free(d->cfg);
	d->cfg = c;
	daemon_allow_sync(d);
	logf_("configuration reloaded from %s", d->cfg_path);
	return 0;
}

static void on_frame(void *ctx, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	eng_frame(ctx, link, frame, caplen, ts_us);
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			if (daemon_reload(d, stderr) != 0)
				logf_("reload failed: keeping the running configuration");
		} else {
			logf_("signal %u: stopping", si.ssi_signo);
			d->running = false;
		}
	}
}

static void on_tick(struct daemon *d)
{
	uint64_t expirations;
	if (read(d->timer_fd, &expirations, sizeof expirations) < 0)
		return;
	uint64_t now = daemon_now();
	eng_tick(d->eng, now);
	if (now - d->last_purge_us >= PURGE_EVERY_US) {
		long n = store_purge(d->rstore, now - (uint64_t)d->cfg->retention_s * 1000000);
		if (n > 0)
			logf_("purged %ld events older than %u days", n, d->cfg->retention_s / 86400);
		d->last_purge_us = now;
	}
}

static void loop(struct daemon *d)
{
	struct pollfd pfd[MAX_POLL];
	int capfds[16];
	int ncap = cap_live_fds(d->cap, capfds, 16);
	d->running = true;
	sd_notify_ready();
	while (d->running) {
		int n = 0;
		for (int i = 0; i < ncap; i++)
			pfd[n++] = (struct pollfd){ capfds[i], POLLIN, 0 };
		pfd[n++] = (struct pollfd){ d->sig_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ d->timer_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ handoff_fd(d->ho), POLLIN, 0 };
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			logf_("poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < ncap; i++) {
			char err[512];
			if ((pfd[i].revents & (POLLIN | POLLERR)) &&
			    cap_live_dispatch(d->cap, i, on_frame, d->eng, err, sizeof err) < 0) {
				logf_("%s", err);
				d->running = false;
			}
		}
		if (pfd[ncap].revents)
			on_signal(d);
		if (pfd[ncap + 1].revents)
			on_tick(d);
		/* control and API requests: a few per round, so that a flood of
		 * them cannot keep the capture waiting */
		if (pfd[ncap + 2].revents & POLLIN)
			handoff_run(d->ho, HANDOFF_PER_ROUND);
		fflush(stderr);
	}
}

static void stop(struct daemon *d)
{
	handoff_stop(d->ho); /* first: requests waiting for this thread give up */
	ctlsrv_stop(d->ctl);
	api_stop(d->api);
	if (d->ctl)
		unlink(d->cfg->ctl_socket);
	handoff_free(d->ho);
	cap_live_close(d->cap);
	worker_stop(d->fw_w);
	worker_stop(d->ct_w);
	worker_stop(d->store_w);
	ntf_stop(d->ntf);
	ct_close(d->ct);
	if (d->fw) {
		if (!d->cfg->keep_blocks_on_exit)
			logf_("keep_blocks_on_exit = no: removing the firewall table");
		fw_close(d->fw, !d->cfg->keep_blocks_on_exit);
	}
	eng_free(d->eng);
	store_close(d->rstore);
	store_close(d->wstore);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	free(d->allow);
	cfg_free(d->cfg);
}

int daemon_main(const char *cfg_path)
{
	static struct daemon d;
	d.cfg_path = cfg_path;
	d.sig_fd = d.timer_fd = -1;
	pthread_mutex_init(&d.fw_mu, NULL);
	/* blocked before any thread starts, so every thread inherits the mask
	 * and the signals reach only the main thread's signalfd */
	sigset_t set;
	daemon_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.cfg = cfg_path ? cfg_load(cfg_path, stderr) : cfg_defaults();
	if (!d.cfg)
		return 2;
	/* log lines are written once per loop round, not one write per event */
	static char logbuf[1 << 16];
	setvbuf(stderr, logbuf, _IOFBF, sizeof logbuf);
	int rc = start(&d);
	if (rc == 0)
		loop(&d);
	stop(&d);
	logf_("stopped");
	fflush(stderr);
	return rc == 0 ? 0 : 1;
}
