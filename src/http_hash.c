/* http_hash: the admin password's argon2id checks on a worker thread of
 * their own, so that a login flood neither stalls the pages nor costs more
 * than per_s verifications a second. */
#include "http_int.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hpool {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hjob *q[HPOOL_QUEUE];
	unsigned head, n;
	bool stop;
	unsigned per_s;
	double tokens;                  /* serving thread only */
	int64_t refill_ms;
	atomic_uint_fast64_t runs;
};

int64_t http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run(struct hpool *p, struct hjob *j)
{
	j->ok = auth_verify(j->hash, j->pw);
	explicit_bzero(j->pw, sizeof j->pw);
	atomic_fetch_add(&p->runs, 1);
	atomic_store(&j->state, 2);
	MHD_resume_connection(j->c);
}

static void *worker(void *arg)
{
	struct hpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->n && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->n)
			break;
		struct hjob *j = p->q[p->head];
		p->head = (p->head + 1) % HPOOL_QUEUE;
		p->n--;
		pthread_mutex_unlock(&p->mu);
		run(p, j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct hpool *hpool_new(unsigned per_s)
{
	struct hpool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->per_s = per_s ? per_s : 1;
	p->tokens = p->per_s;
	p->refill_ms = http_now_ms();
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, worker, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		return NULL;
	}
	return p;
}

void hpool_stop(struct hpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	bool was = p->stop;
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (!was)
		pthread_join(p->th, NULL);
}

void hpool_free(struct hpool *p)
{
	if (!p)
		return;
	hpool_stop(p);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

bool hpool_reserve(struct hpool *p, int64_t now_ms)
{
	double add = (double)(now_ms - p->refill_ms) * p->per_s / 1000.0;
	p->refill_ms = now_ms;
	p->tokens = p->tokens + add > p->per_s ? p->per_s : p->tokens + add;
	pthread_mutex_lock(&p->mu);
	bool room = p->n < HPOOL_QUEUE && !p->stop;
	pthread_mutex_unlock(&p->mu);
	if (!room || p->tokens < 1.0)
		return false;
	p->tokens -= 1.0;
	return true;
}

void hpool_submit(struct hpool *p, struct hjob *j)
{
	atomic_store(&j->state, 1);
	pthread_mutex_lock(&p->mu);
	if (p->stop) {
		pthread_mutex_unlock(&p->mu);
		run(p, j);
		return;
	}
	p->q[(p->head + p->n) % HPOOL_QUEUE] = j;
	p->n++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

uint64_t hpool_runs(struct hpool *p)
{
	return atomic_load(&p->runs);
}
