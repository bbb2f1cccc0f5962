/* ctlsrv: the control socket's thread.  Each client has a slot that goes
 * READING -> WAITING (its request queued for the main thread) -> WRITING ->
 * FREE; the thread polls the listening socket, the clients and an eventfd
 * that the main thread writes when a request is done. */
#include "ctlsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_ROOM 6 /* room for "error\n" or "ok\n" in front of the output */

enum slot_state { S_FREE, S_READING, S_WAITING, S_WRITING };

struct reply {
	char *p;
	size_t len, cap, max, sent;
	bool over;
};

struct slot {
	struct ctlsrv *srv;
	enum slot_state st;
	int fd;
	uint64_t deadline_ms;
	char req[CTLSRV_MAX_REQ + 1];
	size_t len;
	struct handoff_call call;
	struct reply out;
};

struct ctlsrv {
	int lfd, wake_fd;
	struct ctlsrv_limits lim;
	struct handoff *h;
	ctlsrv_fn fn;
	void *ctx;
	pthread_t th;
	atomic_bool stop;
	struct slot *slots;
	_Atomic unsigned clients;
	_Atomic uint64_t accepted, served, refused, request_timeouts, reply_timeouts, too_long, busy;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the reply buffer: a stdio stream that refuses to grow past max ---- */

static ssize_t reply_write(void *cookie, const char *buf, size_t n)
{
	struct reply *r = cookie;
	if (r->over || r->len + n > r->max) {
		r->over = true;
		return -1;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n)
			cap *= 2;
		char *p = realloc(r->p, cap);
		if (!p) {
			r->over = true;
			return -1;
		}
		r->p = p;
		r->cap = cap;
	}
	memcpy(r->p + r->len, buf, n);
	r->len += n;
	return (ssize_t)n;
}

static void reply_reset(struct reply *r, size_t max)
{
	free(r->p);
	*r = (struct reply){ .max = max };
}

/* Replaces the reply by a status line and a message. */
static void reply_message(struct reply *r, bool ok, const char *msg)
{
	reply_reset(r, HEAD_ROOM + strlen(msg));
	static const char pad[HEAD_ROOM] = "";
	reply_write(r, pad, HEAD_ROOM);
	reply_write(r, msg, strlen(msg));
	r->sent = HEAD_ROOM - (ok ? 3 : 6);
	memcpy(r->p + r->sent, ok ? "ok\n" : "error\n", HEAD_ROOM - r->sent);
}

/* ---- main thread ---- */

/* Runs the request of one slot (the handoff call's function). */
static void run_request(void *arg)
{
	struct slot *sl = arg;
	struct reply *r = &sl->out;
	static const cookie_io_functions_t io = { .write = reply_write };
	reply_reset(r, sl->srv->lim.reply_max + HEAD_ROOM);
	static const char pad[HEAD_ROOM] = "";
	FILE *o = reply_write(r, pad, HEAD_ROOM) == HEAD_ROOM ? fopencookie(r, "w", io) : NULL;
	if (!o) {
		reply_message(r, false, "out of memory\n");
		return;
	}
	int rc = sl->srv->fn(sl->srv->ctx, sl->req, o);
	if (fclose(o) != 0 || r->over) {
		char msg[96];
		snprintf(msg, sizeof msg, "the reply is larger than %zu bytes\n", sl->srv->lim.reply_max);
		reply_message(r, false, msg);
		return;
	}
	r->sent = HEAD_ROOM - (rc == 0 ? 3 : 6);
	memcpy(r->p + r->sent, rc == 0 ? "ok\n" : "error\n", HEAD_ROOM - r->sent);
}

/* ---- the control thread ---- */

static void slot_close(struct ctlsrv *s, struct slot *sl)
{
	close(sl->fd);
	reply_reset(&sl->out, 0);
	sl->st = S_FREE;
	sl->fd = -1;
	s->clients--;
}

static void start_writing(struct ctlsrv *s, struct slot *sl)
{
	sl->st = S_WRITING;
	sl->deadline_ms = mono_ms() + s->lim.reply_ms;
}

static void on_accept(struct ctlsrv *s)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		s->accepted++;
		struct slot *sl = NULL;
		for (unsigned k = 0; k < s->lim.max_clients && !sl; k++)
			if (s->slots[k].st == S_FREE)
				sl = &s->slots[k];
		if (!sl) {
			static const char full[] = "error\ntoo many control clients at once; try again\n";
			s->refused++;
			if (send(fd, full, sizeof full - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				errno = 0;
			close(fd);
			continue;
		}
		*sl = (struct slot){ .srv = s, .st = S_READING, .fd = fd, .deadline_ms = mono_ms() + s->lim.request_ms,
		                     .out = { .max = s->lim.reply_max } };
		s->clients++;
	}
}

/* The request is complete (or the client stopped sending): queue it. */
static void submit(struct ctlsrv *s, struct slot *sl)
{
	sl->req[sl->len] = '\0';
	sl->call = (struct handoff_call){ .fn = run_request, .arg = sl, .wake_fd = s->wake_fd };
	sl->st = S_WAITING;
	if (!handoff_submit(s->h, &sl->call)) {
		s->busy++;
		reply_message(&sl->out, false, "the daemon is busy; try again\n");
		start_writing(s, sl);
	}
}

static void on_read(struct ctlsrv *s, struct slot *sl)
{
	ssize_t k = read(sl->fd, sl->req + sl->len, CTLSRV_MAX_REQ - sl->len);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k < 0 || (k == 0 && sl->len == 0)) {
		slot_close(s, sl);
		return;
	}
	size_t from = sl->len ? sl->len - 1 : 0; /* a "\n\n" ending in the new bytes */
	sl->len += (size_t)k;
	sl->req[sl->len] = '\0';
	char *end = strstr(sl->req + from, "\n\n");
	if (end) {
		sl->len = (size_t)(end - sl->req) + 2;
		submit(s, sl);
	} else if (k == 0) {
		submit(s, sl); /* as before: what was sent, up to the end of the stream */
	} else if (sl->len == CTLSRV_MAX_REQ) {
		s->too_long++;
		reply_message(&sl->out, false, "request too long\n");
		start_writing(s, sl);
	}
}

static void on_write(struct ctlsrv *s, struct slot *sl)
{
	struct reply *r = &sl->out;
	while (r->sent < r->len) {
		ssize_t k = send(sl->fd, r->p + r->sent, r->len - r->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0) {
			slot_close(s, sl); /* the client went away */
			return;
		}
		r->sent += (size_t)k;
	}
	s->served++;
	slot_close(s, sl);
}

/* Drops the clients past their deadline; returns the poll timeout (ms) to
 * the next deadline, or -1. */
static int expire(struct ctlsrv *s)
{
	uint64_t now = mono_ms(), next = UINT64_MAX;
	for (unsigned k = 0; k < s->lim.max_clients; k++) {
		struct slot *sl = &s->slots[k];
		if (sl->st != S_READING && sl->st != S_WRITING)
			continue;
		if (now >= sl->deadline_ms) {
			if (sl->st == S_READING)
				s->request_timeouts++;
			else
				s->reply_timeouts++;
			slot_close(s, sl);
		} else if (sl->deadline_ms < next) {
			next = sl->deadline_ms;
		}
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/* The main thread has answered: the waiting slots start writing. */
static void on_wake(struct ctlsrv *s)
{
	uint64_t v;
	if (read(s->wake_fd, &v, sizeof v) < 0)
		return;
	for (unsigned k = 0; k < s->lim.max_clients; k++) {
		struct slot *sl = &s->slots[k];
		if (sl->st == S_WAITING && handoff_done(s->h, &sl->call)) {
			start_writing(s, sl);
			on_write(s, sl);
		}
	}
}

static void *serve(void *arg)
{
	struct ctlsrv *s = arg;
	struct pollfd *pfd = calloc(s->lim.max_clients + 2, sizeof *pfd);
	struct slot **who = calloc(s->lim.max_clients + 2, sizeof *who);
	while (pfd && who && !s->stop) {
		int timeout = expire(s);
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){ s->wake_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		for (unsigned k = 0; k < s->lim.max_clients; k++) {
			struct slot *sl = &s->slots[k];
			if (sl->st == S_READING || sl->st == S_WRITING) {
				who[n] = sl;
				pfd[n++] = (struct pollfd){ sl->fd, sl->st == S_READING ? POLLIN : POLLOUT, 0 };
			}
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			on_wake(s);
		for (nfds_t i = 2; i < n; i++) {
			if (!pfd[i].revents || who[i]->fd != pfd[i].fd)
				continue;
			if (who[i]->st == S_READING)
				on_read(s, who[i]);
			else if (who[i]->st == S_WRITING)
				on_write(s, who[i]);
		}
		if (pfd[1].revents & POLLIN)
			on_accept(s);
	}
	free(pfd);
	free(who);
	return NULL;
}

struct ctlsrv *ctlsrv_start(int lfd, const struct ctlsrv_limits *lim, struct handoff *h,
                            ctlsrv_fn fn, void *ctx, char *err, size_t errlen)
{
	struct ctlsrv *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->lfd = lfd;
	s->lim = lim ? *lim : CTLSRV_LIMITS_DEFAULT;
	s->h = h;
	s->fn = fn;
	s->ctx = ctx;
	if (s->lim.max_clients == 0)
		s->lim.max_clients = 1;
	s->slots = calloc(s->lim.max_clients, sizeof *s->slots);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e = 0, fl = fcntl(lfd, F_GETFL);
	if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) != 0)
		e = errno;
	if (e || !s->slots || s->wake_fd < 0 || (e = pthread_create(&s->th, NULL, serve, s)) != 0) {
		snprintf(err, errlen, "control thread: %s", !s->slots ? "out of memory" : strerror(e ? e : errno));
		if (s->wake_fd >= 0)
			close(s->wake_fd);
		free(s->slots);
		free(s);
		return NULL;
	}
	return s;
}

void ctlsrv_stop(struct ctlsrv *s)
{
	if (!s)
		return;
	uint64_t one = 1;
	s->stop = true;
	if (write(s->wake_fd, &one, sizeof one) < 0)
		errno = 0;
	pthread_join(s->th, NULL);
	for (unsigned k = 0; k < s->lim.max_clients; k++)
		if (s->slots[k].st != S_FREE)
			slot_close(s, &s->slots[k]);
	close(s->lfd);
	close(s->wake_fd);
	free(s->slots);
	free(s);
}

void ctlsrv_stats(struct ctlsrv *s, struct ctlsrv_stats *st)
{
	*st = (struct ctlsrv_stats){ s->clients, s->accepted, s->served, s->refused, s->request_timeouts,
	                             s->reply_timeouts, s->too_long, s->busy };
}
