/* worker: ring buffer under a mutex, one consumer thread. */
#include "worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
	pthread_mutex_t mu;
	pthread_cond_t more, done;
	pthread_t thread;
	size_t item_size, cap, max_batch;
	size_t head, count;          /* ring: items [head, head + count) */
	uint64_t pushed, handled, dropped;
	bool stopping;
	worker_batch_fn fn;
	void *ctx;
	uint8_t *ring, *batch;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->count == 0 && !w->stopping)
			pthread_cond_wait(&w->more, &w->mu);
		if (w->count == 0 && w->stopping)
			break;
		size_t n = 0;
		while (n < w->max_batch && w->count) {
			memcpy(w->batch + n * w->item_size, w->ring + w->head * w->item_size, w->item_size);
			w->head = (w->head + 1) % w->cap;
			w->count--;
			n++;
		}
		pthread_mutex_unlock(&w->mu);
		w->fn(w->ctx, w->batch, n);
		pthread_mutex_lock(&w->mu);
		w->handled += n;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct worker *worker_start(size_t item_size, size_t cap, size_t max_batch,
                            worker_batch_fn fn, void *ctx)
{
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->item_size = item_size;
	w->cap = cap;
	w->max_batch = max_batch;
	w->fn = fn;
	w->ctx = ctx;
	w->ring = malloc(item_size * cap); /* touched only as far as used */
	w->batch = malloc(item_size * max_batch);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->done, &ca);
	pthread_condattr_destroy(&ca);
	if (!w->ring || !w->batch || pthread_create(&w->thread, NULL, run, w) != 0) {
		free(w->ring);
		free(w->batch);
		free(w);
		return NULL;
	}
	return w;
}

bool worker_push(struct worker *w, const void *item)
{
	pthread_mutex_lock(&w->mu);
	if (w->count == w->cap) {
		w->dropped++;
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	memcpy(w->ring + ((w->head + w->count) % w->cap) * w->item_size, item, w->item_size);
	w->count++;
	w->pushed++;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	return true;
}

bool worker_flush(struct worker *w)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += WORKER_FLUSH_MAX_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&w->mu);
	uint64_t target = w->pushed;
	while (w->handled < target && pthread_cond_timedwait(&w->done, &w->mu, &until) == 0)
		;
	bool all = w->handled >= target;
	pthread_mutex_unlock(&w->mu);
	return all;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->done);
	free(w->ring);
	free(w->batch);
	free(w);
}

size_t worker_pending(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->count;
	pthread_mutex_unlock(&w->mu);
	return n;
}

uint64_t worker_dropped(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	uint64_t n = w->dropped;
	pthread_mutex_unlock(&w->mu);
	return n;
}
