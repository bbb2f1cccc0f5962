/* notify: the intake worker (events into syslog lines, outbox rows and
 * digest entries) and the sender thread (outbox delivery, digest, daily
 * summary).  Each thread has its own SQLite connection and its own nsend. */
#include "notify.h"
#include "mail.h"
#include "nsend.h"
#include "nstore.h"
#include "worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 65536                        /* items are touched only as used */
#define BATCH 512
#define GIVE_UP_US (24ULL * 3600 * 1000000) /* retry for a day, then give up */
#define BACKOFF_MIN_US (30ULL * 1000000)
#define BACKOFF_MAX_US (3600ULL * 1000000)
#define SLICE_US (2ULL * 1000000)           /* delivery time per kind per round */
#define STOP_GRACE_US (3ULL * 1000000)
#define US 1000000ULL

enum item_kind { IT_EVENT, IT_TEST, IT_SUMMARY };

struct item {
	uint8_t kind;
	bool has_ev;
	struct event e;
	struct evidence ev;
	char instance[CFG_NAME_LEN];
};

/* What the threads need of the configuration (copied under mu). */
struct conf {
	struct cfg_notify c;
	char from[CFG_MAIL_LEN];
	char password[256];
	char unblock_cmd[160];
};

struct notify {
	pthread_mutex_t mu;        /* guards conf, the rate window, last_error, wake */
	pthread_cond_t wake;
	struct conf conf;
	char hostname[64];
	struct worker *intake;
	struct nstore *in_db, *out_db;
	struct nsend *in_net, *out_net;
	pthread_t sender;
	bool sender_started, stopping, kicked;
	/* max_mails_per_hour: mails in the window that started at win_start_us */
	uint64_t win_start_us;
	uint32_t win_mails;
	long digest_pending;
	uint64_t seq;
	uint64_t sched_us;         /* the summary schedule time already handled */
	uint64_t pause_us[2];      /* per kind: no attempt before (server down) */
	uint64_t last_expire_us;
	_Atomic uint64_t dropped, mails_sent, given_up, webhooks_sent, syslog_errors;
	_Atomic long outbox;
	char last_error[256];
	uint64_t last_error_us;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * US + (uint64_t)ts.tv_nsec / 1000;
}

static void note_error(struct notify *n, const char *fmt, const char *what, const char *err)
{
	pthread_mutex_lock(&n->mu);
	snprintf(n->last_error, sizeof n->last_error, fmt, what, err);
	n->last_error_us = now_us();
	pthread_mutex_unlock(&n->mu);
	fprintf(stderr, "sipwarden: notify: ");
	fprintf(stderr, fmt, what, err);
	fputc('\n', stderr);
}

static void conf_copy(struct notify *n, struct conf *out)
{
	pthread_mutex_lock(&n->mu);
	*out = n->conf;
	pthread_mutex_unlock(&n->mu);
}

static void mail_ctx_init(struct notify *n, const struct conf *c, struct mail_ctx *m, const char **rcpts)
{
	for (unsigned i = 0; i < c->c.n_rcpts; i++)
		rcpts[i] = c->c.rcpts[i];
	*m = (struct mail_ctx){
		.from = c->from, .hostname = n->hostname, .rcpts = rcpts, .n_rcpts = c->c.n_rcpts,
		.now_us = now_us(), .seq = ++n->seq, .unblock_cmd = c->unblock_cmd,
	};
}

static void rcpt_csv(const struct conf *c, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < c->c.n_rcpts && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", c->c.rcpts[i]);
}

/* Queues a composed mail (rc is the composer's result) to every recipient. */
static void enqueue_mail(struct notify *n, struct nstore *db, const struct conf *c, struct mail_buf *b, int rc)
{
	char rcpts[CFG_MAX_RCPTS * CFG_MAIL_LEN];
	rcpt_csv(c, rcpts, sizeof rcpts);
	if (rc != 0)
		note_error(n, "%s: %s", "mail", "out of memory composing a message");
	else if (nst_enqueue(db, NST_MAIL, rcpts, b->p, b->len, now_us()) != 0)
		note_error(n, "%s: %s", "outbox", nst_error(db));
	mail_buf_free(b);
}

static void enqueue_summary(struct notify *n, struct nstore *db, const struct conf *c,
                            uint64_t from_us, uint64_t to_us)
{
	struct mail_summary s;
	if (nst_summary(db, from_us, to_us, &s) != 0) {
		note_error(n, "%s: %s", "summary", nst_error(db));
		return;
	}
	const char *rcpts[CFG_MAX_RCPTS];
	struct mail_ctx m;
	struct mail_buf b = { 0 };
	mail_ctx_init(n, c, &m, rcpts);
	enqueue_mail(n, db, c, &b, mail_summary(&b, &m, &s));
}

/* ---- intake ---- */

static bool is_attack(const struct event *e)
{
	return (e->type == EVT_BLOCK || e->type == EVT_ALERT) && e->det != DET_MANUAL && e->det != DET_BLACKLIST;
}

/* Takes one slot of max_mails_per_hour, or false: hold the attack for the digest. */
static bool mail_slot(struct notify *n, const struct conf *c, uint64_t now)
{
	bool ok;
	pthread_mutex_lock(&n->mu);
	uint64_t interval = (uint64_t)c->c.digest_interval_s * US;
	if (!n->win_start_us || (now >= n->win_start_us + interval && n->digest_pending == 0)) {
		n->win_start_us = now;
		n->win_mails = 0;
	}
	ok = c->c.max_mails_per_hour == 0 || n->win_mails < c->c.max_mails_per_hour;
	if (ok)
		n->win_mails++;
	else
		n->digest_pending++;
	pthread_mutex_unlock(&n->mu);
	return ok;
}

static void to_item(const struct item *it, struct mail_item *m)
{
	memset(m, 0, sizeof *m);
	prefix_format(&it->e.ip, m->ip);
	snprintf(m->detector, sizeof m->detector, "%s", det_name(it->e.det));
	snprintf(m->reason, sizeof m->reason, "%s", it->e.reason);
	snprintf(m->instance, sizeof m->instance, "%s", it->instance);
	if (it->has_ev)
		snprintf(m->user_agent, sizeof m->user_agent, "%s", it->ev.user_agent);
	m->ts_us = it->e.ts_us;
	m->duration_s = it->e.type == EVT_BLOCK ? it->e.duration_s : -1;
}

static void attack_mail(struct notify *n, const struct conf *c, struct item *it)
{
	if (!mail_slot(n, c, now_us())) {
		struct mail_item m;
		to_item(it, &m);
		if (nst_digest_add(n->in_db, &m) != 0)
			note_error(n, "%s: %s", "digest", nst_error(n->in_db));
		return;
	}
	const char *rcpts[CFG_MAX_RCPTS];
	struct mail_ctx m;
	struct mail_buf b = { 0 };
	mail_ctx_init(n, c, &m, rcpts);
	enqueue_mail(n, n->in_db, c, &b, mail_attack(&b, &m, &it->e));
}

static void intake_event(struct notify *n, const struct conf *c, struct item *it)
{
	char line[4096], err[256];
	it->e.instance = it->instance[0] ? it->instance : NULL;
	it->e.ev = it->has_ev ? &it->ev : NULL;
	size_t len = evt_json(&it->e, line, sizeof line);
	if (c->c.syslog) {
		int sev = it->e.type == EVT_BLOCK ? LOG_WARNING : it->e.type == EVT_UNBLOCK ? LOG_NOTICE : LOG_INFO;
		if (nsend_syslog(n->in_net, c->c.syslog_socket, sev, line, err, sizeof err) != 0 &&
		    n->syslog_errors++ == 0)
			note_error(n, "%s: %s", "syslog", err); /* reported once; counted always */
	}
	if (c->c.webhook_url[0] &&
	    nst_enqueue(n->in_db, NST_WEBHOOK, c->c.webhook_url, line, len, now_us()) != 0)
		note_error(n, "%s: %s", "outbox", nst_error(n->in_db));
	if (is_attack(&it->e) && c->c.per_attack && c->c.n_rcpts)
		attack_mail(n, c, it);
}

static void intake(void *ctx, void *items, size_t count)
{
	struct notify *n = ctx;
	struct item *v = items;
	struct conf c;
	conf_copy(n, &c);
	if (nst_begin(n->in_db) != 0)
		note_error(n, "%s: %s", "outbox", nst_error(n->in_db));
	for (size_t i = 0; i < count; i++) {
		if (v[i].kind == IT_EVENT) {
			intake_event(n, &c, &v[i]);
		} else if (v[i].kind == IT_TEST) {
			const char *rcpts[CFG_MAX_RCPTS];
			struct mail_ctx m;
			struct mail_buf b = { 0 };
			mail_ctx_init(n, &c, &m, rcpts);
			enqueue_mail(n, n->in_db, &c, &b, mail_test(&b, &m));
		} else {
			uint64_t now = now_us();
			enqueue_summary(n, n->in_db, &c, now - 24 * 3600 * US, now);
		}
	}
	if (nst_commit(n->in_db) != 0)
		note_error(n, "%s: %s", "outbox", nst_error(n->in_db));
	n->outbox = nst_count(n->in_db, -1);
	pthread_mutex_lock(&n->mu);
	n->kicked = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->mu);
}

/* ---- sender ---- */

uint64_t ntf_last_schedule(uint64_t now_us_, uint32_t minute)
{
	time_t now = (time_t)(now_us_ / US);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = (int)(minute / 60);
	tm.tm_min = (int)(minute % 60);
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t > now) {
		localtime_r(&now, &tm);
		tm.tm_mday--;
		tm.tm_hour = (int)(minute / 60);
		tm.tm_min = (int)(minute % 60);
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return (uint64_t)t * US;
}

/* The daily summary when its time has come (once per schedule time, also
 * when that time passed while the daemon was down). */
static void schedule_summary(struct notify *n, const struct conf *c, uint64_t now)
{
	if (!c->c.daily_summary || !c->c.n_rcpts)
		return;
	uint64_t t = ntf_last_schedule(now, c->c.summary_minute);
	if (t == n->sched_us)
		return;
	int64_t last;
	int r = nst_state_get(n->out_db, "summary_last_us", &last);
	if (r < 0)
		return;
	if (r == 1 && (uint64_t)last < t) {
		enqueue_summary(n, n->out_db, c, t - 24 * 3600 * US, t);
		fprintf(stderr, "sipwarden: notify: daily summary for the 24 hours before %llu queued\n",
		        (unsigned long long)(t / US));
	}
	if (r == 0 || (uint64_t)last < t)
		nst_state_set(n->out_db, "summary_last_us", (int64_t)t);
	n->sched_us = t;
}

/* The digest of held-back attacks when the rate window has ended. */
static void flush_digest(struct notify *n, const struct conf *c, uint64_t now)
{
	pthread_mutex_lock(&n->mu);
	uint64_t start = n->win_start_us, interval = (uint64_t)c->c.digest_interval_s * US;
	bool due = n->digest_pending > 0 && now >= start + interval;
	pthread_mutex_unlock(&n->mu);
	if (!due)
		return;
	struct mail_item *items;
	if (nst_begin(n->out_db) != 0)
		return;
	long k = nst_digest_take(n->out_db, &items);
	if (k > 0) {
		const char *rcpts[CFG_MAX_RCPTS];
		struct mail_ctx m;
		struct mail_buf b = { 0 };
		mail_ctx_init(n, c, &m, rcpts);
		enqueue_mail(n, n->out_db, c, &b, mail_digest(&b, &m, items, (size_t)k, start, now));
	}
	free(items);
	if (k < 0 || nst_commit(n->out_db) != 0) {
		note_error(n, "%s: %s", "digest", nst_error(n->out_db));
		return;
	}
	pthread_mutex_lock(&n->mu);
	n->digest_pending = 0;
	n->win_start_us = now;
	n->win_mails = 0;
	pthread_mutex_unlock(&n->mu);
}

static uint64_t backoff(uint32_t tries)
{
	uint64_t b = BACKOFF_MIN_US << (tries < 10 ? tries : 10);
	return b < BACKOFF_MAX_US ? b : BACKOFF_MAX_US;
}

/* Delivers due messages of one kind for at most SLICE_US; after a failure
 * the kind pauses until that message's next attempt (the server is down). */
static void deliver(struct notify *n, const struct conf *c, enum nst_kind kind, uint64_t deadline)
{
	struct nst_msg m;
	char err[512];
	uint64_t now = now_us();
	if (now < n->pause_us[kind])
		return;
	while (now < deadline && nst_due(n->out_db, kind, now, &m) == 1) {
		int rc = kind == NST_MAIL
			? nsend_mail(n->out_net, &c->c, c->from, c->password, m.rcpts, m.body, m.body_len, err, sizeof err)
			: nsend_webhook(n->out_net, m.rcpts, m.body, m.body_len, err, sizeof err);
		now = now_us();
		if (rc == 0) {
			nst_done(n->out_db, m.id);
			if (kind == NST_MAIL)
				n->mails_sent++;
			else
				n->webhooks_sent++;
		} else {
			uint64_t next = now + backoff(m.tries);
			nst_retry_at(n->out_db, m.id, next, err);
			n->pause_us[kind] = next;
			note_error(n, "%s: %s (kept in the outbox)", kind == NST_MAIL ? "mail" : "webhook", err);
			nst_msg_free(&m);
			break;
		}
		nst_msg_free(&m);
	}
}

static void expire(struct notify *n, uint64_t now)
{
	if (now - n->last_expire_us < 60 * US)
		return;
	n->last_expire_us = now;
	long k = nst_expire(n->out_db, now - GIVE_UP_US);
	if (k > 0) {
		char what[64];
		snprintf(what, sizeof what, "%ld message(s)", k);
		n->given_up += (uint64_t)k;
		note_error(n, "%s: %s", what, "not accepted for 24 hours: given up");
	}
}

static void *sender(void *arg)
{
	struct notify *n = arg;
	struct conf c;
	uint64_t stop_at = 0;
	for (;;) {
		conf_copy(n, &c);
		uint64_t now = now_us();
		expire(n, now);
		flush_digest(n, &c, now);
		schedule_summary(n, &c, now);
		deliver(n, &c, NST_WEBHOOK, now + SLICE_US);
		deliver(n, &c, NST_MAIL, now_us() + SLICE_US);
		pthread_mutex_lock(&n->mu);
		if (n->stopping && !stop_at)
			stop_at = now_us() + STOP_GRACE_US;
		uint64_t next = nst_next_due(n->out_db);
		n->outbox = nst_count(n->out_db, -1);
		if (stop_at && (now_us() >= stop_at || !next || next > now_us())) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		uint64_t wait = now_us() + US;
		if (next && next > now_us() && next < wait)
			wait = next;
		struct timespec ts = { (time_t)(wait / US), (long)(wait % US) * 1000 };
		while (!n->kicked && !n->stopping &&
		       pthread_cond_timedwait(&n->wake, &n->mu, &ts) != ETIMEDOUT)
			;
		n->kicked = false;
		pthread_mutex_unlock(&n->mu);
	}
	return NULL;
}

/* ---- public ---- */

static void conf_from(struct notify *n, const struct config *cfg, struct conf *c)
{
	memset(c, 0, sizeof *c);
	c->c = cfg->notify;
	if (cfg->notify.from[0])
		snprintf(c->from, sizeof c->from, "%s", cfg->notify.from);
	else
		snprintf(c->from, sizeof c->from, "sipwarden@%s", n->hostname);
	if (!strcmp(cfg->ctl_socket, CFG_DEFAULT_SOCKET))
		snprintf(c->unblock_cmd, sizeof c->unblock_cmd, "sipwarden ctl unblock");
	else
		snprintf(c->unblock_cmd, sizeof c->unblock_cmd, "sipwarden ctl -s %s unblock", cfg->ctl_socket);
	if (cfg_smtp_tls_note(&cfg->notify))
		fprintf(stderr, "sipwarden: notify: %s\n", cfg_smtp_tls_note(&cfg->notify));
	if (cfg->notify.smtp_password_file[0]) {
		FILE *f = fopen(cfg->notify.smtp_password_file, "r");
		if (!f || !fgets(c->password, sizeof c->password, f))
			fprintf(stderr, "sipwarden: notify: cannot read smtp_password_file %s: %s\n",
			        cfg->notify.smtp_password_file, f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		c->password[strcspn(c->password, "\r\n")] = '\0';
	}
}

void ntf_set_config(struct notify *n, const struct config *cfg)
{
	struct conf c;
	conf_from(n, cfg, &c);
	pthread_mutex_lock(&n->mu);
	n->conf = c;
	n->sched_us = 0; /* a new daily_summary_time is looked at again */
	n->kicked = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->mu);
	explicit_bzero(&c, sizeof c);
}

struct notify *ntf_start(const struct config *cfg, const char *db_path, char *err, size_t errlen)
{
	struct notify *n = calloc(1, sizeof *n);
	if (!n || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(err, errlen, "notify: out of memory");
		free(n);
		return NULL;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->wake, NULL);
	if (gethostname(n->hostname, sizeof n->hostname - 1) != 0 || !n->hostname[0])
		strcpy(n->hostname, "localhost");
	conf_from(n, cfg, &n->conf);
	n->in_db = nst_open(db_path, err, errlen);
	n->out_db = n->in_db ? nst_open(db_path, err, errlen) : NULL;
	n->in_net = nsend_new();
	n->out_net = nsend_new();
	if (!n->out_db || !n->in_net || !n->out_net)
		goto fail;
	uint64_t now = now_us();
	nst_retry_all(n->out_db, now); /* a restart is a good moment to try again */
	n->digest_pending = nst_digest_count(n->out_db);
	if (n->digest_pending < 0)
		n->digest_pending = 0;
	n->win_start_us = now;
	n->intake = worker_start(sizeof(struct item), QUEUE, BATCH, intake, n);
	if (!n->intake || pthread_create(&n->sender, NULL, sender, n) != 0) {
		snprintf(err, errlen, "notify: cannot start threads");
		goto fail;
	}
	n->sender_started = true;
	return n;
fail:
	if (!err[0])
		snprintf(err, errlen, "notify: out of memory");
	ntf_stop(n);
	return NULL;
}

void ntf_stop(struct notify *n)
{
	if (!n)
		return;
	if (n->intake)
		worker_stop(n->intake);
	if (n->sender_started) {
		pthread_mutex_lock(&n->mu);
		n->stopping = true;
		pthread_cond_signal(&n->wake);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->sender, NULL);
	}
	nst_close(n->in_db);
	nst_close(n->out_db);
	nsend_free(n->in_net);
	nsend_free(n->out_net);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->wake);
	explicit_bzero(&n->conf, sizeof n->conf);
	free(n);
	curl_global_cleanup();
}

void ntf_event(struct notify *n, const struct event *e)
{
	struct item it = { .kind = IT_EVENT, .e = *e, .has_ev = e->ev != NULL };
	if (e->ev)
		it.ev = *e->ev;
	if (e->instance)
		snprintf(it.instance, sizeof it.instance, "%s", e->instance);
	it.e.instance = NULL;
	it.e.ev = NULL;
	if (!worker_push(n->intake, &it))
		n->dropped++;
}

static bool command(struct notify *n, enum item_kind kind, char *msg, size_t len)
{
	pthread_mutex_lock(&n->mu);
	unsigned rcpts = n->conf.c.n_rcpts;
	pthread_mutex_unlock(&n->mu);
	if (!rcpts) {
		snprintf(msg, len, "no recipients: set recipients in [notify]");
		return false;
	}
	struct item it = { .kind = (uint8_t)kind };
	if (!worker_push(n->intake, &it)) {
		snprintf(msg, len, "the notification queue is full; try again");
		return false;
	}
	snprintf(msg, len, "queued for %u recipient(s)", rcpts);
	return true;
}

bool ntf_test_mail(struct notify *n, char *msg, size_t len) { return command(n, IT_TEST, msg, len); }
bool ntf_summary_now(struct notify *n, char *msg, size_t len) { return command(n, IT_SUMMARY, msg, len); }

void ntf_stats(struct notify *n, struct notify_stats *out)
{
	memset(out, 0, sizeof *out);
	out->dropped = n->dropped;
	out->mails_sent = n->mails_sent;
	out->given_up = n->given_up;
	out->webhooks_sent = n->webhooks_sent;
	out->syslog_errors = n->syslog_errors;
	out->outbox = n->outbox;
	pthread_mutex_lock(&n->mu);
	snprintf(out->last_error, sizeof out->last_error, "%s", n->last_error);
	out->last_error_us = n->last_error_us;
	out->digest = n->digest_pending;
	pthread_mutex_unlock(&n->mu);
}
