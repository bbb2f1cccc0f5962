/* test_worker: the bounded queue and its consumer thread; worker_flush gives
 * up on a worker that is stuck instead of waiting for it. */
#include "t.h"
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool released;
static _Atomic unsigned sum;

/* Adds the items, but only once the test releases it. */
static void batch(void *ctx, void *items, size_t n)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < n; i++)
		sum += ((unsigned *)items)[i];
}

int main(void)
{
	struct worker *w = worker_start(sizeof(unsigned), 4, 2, batch, NULL);
	CHECK(w != NULL);
	unsigned v[6] = { 1, 2, 3, 4, 5, 6 };
	for (int i = 0; i < 6; i++)
		worker_push(w, &v[i]);
	/* the queue holds 4 and the worker at most one batch of 2: the last
	 * items pushed are the ones dropped, none or up to two of them */
	CHECK(worker_pending(w) >= 2);
	CHECK_MSG(!worker_flush(w), "a stuck worker: flush gives up and says so");
	CHECK(sum == 0);
	pthread_mutex_lock(&mu);
	released = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	bool all = false;
	for (int i = 0; i < 100 && !all; i++) /* each try waits at most WORKER_FLUSH_MAX_MS */
		all = worker_flush(w);
	CHECK(all);
	CHECK(worker_pending(w) == 0);
	unsigned kept = 6 - (unsigned)worker_dropped(w);
	CHECK_MSG(sum == kept * (kept + 1) / 2, "sum %u, dropped %llu", (unsigned)sum,
	          (unsigned long long)worker_dropped(w));
	CHECK(worker_dropped(w) <= 2);
	worker_stop(w);
	return T_DONE();
}
