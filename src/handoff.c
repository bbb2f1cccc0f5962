/* handoff: a bounded queue of calls for the main thread, signalled through
 * an eventfd. */
#include "handoff.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	bool stopping;
	size_t cap, head, n;
	uint64_t refused;
	struct handoff_call **q;
};

struct handoff *handoff_new(size_t cap)
{
	struct handoff *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->cap = cap ? cap : 1;
	h->q = calloc(h->cap, sizeof *h->q);
	h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!h->q || h->efd < 0) {
		if (h->efd >= 0)
			close(h->efd);
		free(h->q);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	return h;
}

void handoff_stop(struct handoff *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	h->n = 0;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void handoff_free(struct handoff *h)
{
	if (!h)
		return;
	close(h->efd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->q);
	free(h);
}

static void poke(int fd)
{
	uint64_t one = 1;
	/* an eventfd counter cannot overflow here: a failed write only means
	 * it is already readable */
	if (write(fd, &one, sizeof one) < 0 && errno != EAGAIN)
		return;
}

/* Queues c; the caller holds the mutex. */
static bool push_locked(struct handoff *h, struct handoff_call *c)
{
	if (h->stopping || h->n == h->cap) {
		h->refused++;
		return false;
	}
	c->done = false;
	h->q[(h->head + h->n++) % h->cap] = c;
	poke(h->efd);
	return true;
}

bool handoff_submit(struct handoff *h, struct handoff_call *c)
{
	pthread_mutex_lock(&h->mu);
	bool ok = push_locked(h, c);
	pthread_mutex_unlock(&h->mu);
	return ok;
}

int handoff_call(struct handoff *h, struct handoff_call *c)
{
	c->wake_fd = -1;
	pthread_mutex_lock(&h->mu);
	bool ok = push_locked(h, c);
	while (ok && !c->done && !h->stopping)
		pthread_cond_wait(&h->cv, &h->mu);
	ok = ok && c->done;
	pthread_mutex_unlock(&h->mu);
	return ok ? 0 : -1;
}

bool handoff_done(struct handoff *h, const struct handoff_call *c)
{
	pthread_mutex_lock(&h->mu);
	bool done = c->done;
	pthread_mutex_unlock(&h->mu);
	return done;
}

int handoff_fd(const struct handoff *h) { return h->efd; }

size_t handoff_run(struct handoff *h, size_t max)
{
	uint64_t v;
	size_t ran = 0;
	if (read(h->efd, &v, sizeof v) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&h->mu);
	while (ran < max && h->n && !h->stopping) {
		struct handoff_call *c = h->q[h->head];
		h->head = (h->head + 1) % h->cap;
		h->n--;
		pthread_mutex_unlock(&h->mu);
		c->fn(c->arg);
		ran++;
		pthread_mutex_lock(&h->mu);
		c->done = true;
		if (c->wake_fd >= 0)
			poke(c->wake_fd);
		pthread_cond_broadcast(&h->cv);
	}
	if (h->n)
		poke(h->efd); /* the rest in the next loop round, after the capture */
	pthread_mutex_unlock(&h->mu);
	return ran;
}

uint64_t handoff_refused(struct handoff *h)
{
	pthread_mutex_lock(&h->mu);
	uint64_t n = h->refused;
	pthread_mutex_unlock(&h->mu);
	return n;
}
