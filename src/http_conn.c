/* http_conn: the admin page's connections, counted per address, and a
 * watchdog that enforces deadlines per request rather than per byte
 * (libmicrohttpd's idle timeout restarts with every byte, so a client
 * trickling one header byte a second would hold its slot for ever). */
#include "http_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define TICK_MS 250

struct hconn {
	int fd;                         /* -1 = free */
	struct ipaddr ip;
	enum hphase phase;
	int64_t since_ms;               /* start of the current request */
	bool shut;
};

struct hconns {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	unsigned limit, per_ip, n;
	int64_t header_ms, request_ms;
	uint64_t refused, shed;
	struct hconn v[];
};

static void watch(struct hconns *t, int64_t now)
{
	for (unsigned i = 0; i < t->limit; i++) {
		struct hconn *c = &t->v[i];
		int64_t limit = c->phase == HP_HEADERS ? t->header_ms : c->phase == HP_BODY ? t->request_ms : 0;
		if (c->fd < 0 || c->shut || !limit || now - c->since_ms < limit)
			continue;
		/* MHD sees the end of the stream and closes the connection itself. */
		shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
		t->shed++;
	}
}

static void *watchdog(void *arg)
{
	struct hconns *t = arg;
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
		watch(t, http_now_ms());
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct hconns *hconns_new(unsigned limit, unsigned per_ip, unsigned header_s, unsigned request_s)
{
	struct hconns *t = calloc(1, sizeof *t + limit * sizeof t->v[0]);
	pthread_condattr_t ca;
	if (!t)
		return NULL;
	t->limit = limit;
	t->per_ip = per_ip;
	t->header_ms = (int64_t)header_s * 1000;
	t->request_ms = (int64_t)request_s * 1000;
	for (unsigned i = 0; i < limit; i++)
		t->v[i].fd = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->th, NULL, watchdog, t) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return NULL;
	}
	return t;
}

void hconns_free(struct hconns *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}

bool hconns_accept(struct hconns *t, const struct ipaddr *ip, bool exempt)
{
	pthread_mutex_lock(&t->mu);
	unsigned mine = 0;
	for (unsigned i = 0; i < t->limit; i++)
		mine += t->v[i].fd >= 0 && ip_eq(&t->v[i].ip, ip);
	unsigned cap = t->n * 4 >= t->limit * 3 ? (t->per_ip + 1) / 2 : t->per_ip;
	bool ok = t->n < t->limit && (exempt || mine < cap);
	if (!ok)
		t->refused++;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

static struct hconn *find(struct hconns *t, int fd)
{
	for (unsigned i = 0; i < t->limit; i++)
		if (t->v[i].fd == fd)
			return &t->v[i];
	return NULL;
}

void hconns_started(struct hconns *t, int fd, const struct ipaddr *ip)
{
	pthread_mutex_lock(&t->mu);
	struct hconn *c = find(t, -1);
	if (c) {
		*c = (struct hconn){ .fd = fd, .ip = *ip, .phase = HP_HEADERS, .since_ms = http_now_ms() };
		t->n++;
	}
	pthread_mutex_unlock(&t->mu);
}

void hconns_closed(struct hconns *t, int fd)
{
	pthread_mutex_lock(&t->mu);
	struct hconn *c = fd >= 0 ? find(t, fd) : NULL;
	if (c) {
		c->fd = -1;
		t->n--;
	}
	pthread_mutex_unlock(&t->mu);
}

void hconns_phase(struct hconns *t, int fd, enum hphase phase)
{
	pthread_mutex_lock(&t->mu);
	struct hconn *c = fd >= 0 ? find(t, fd) : NULL;
	if (c && !c->shut) {
		if (phase == HP_HEADERS || c->phase == HP_ANSWER)
			c->since_ms = http_now_ms();
		c->phase = phase;
	}
	pthread_mutex_unlock(&t->mu);
}

void hconns_counts(struct hconns *t, uint64_t *refused, uint64_t *shed)
{
	pthread_mutex_lock(&t->mu);
	*refused = t->refused;
	*shed = t->shed;
	pthread_mutex_unlock(&t->mu);
}
