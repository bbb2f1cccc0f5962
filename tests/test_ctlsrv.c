/* test_ctlsrv: the control socket's thread (ctlsrv.c) and the hand-over to
 * the main thread (handoff.c), over a real Unix socket.  A "main" thread of
 * the test runs the handed-over requests; the test itself is the client.
 * Deadlines are short here so the slow clients are dropped quickly; what is
 * checked is who gets answered and who is dropped, never how fast. */
#include "ctlsrv.h"
#include "handoff.h"
#include "t.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static char sock_path[108];
static atomic_bool pumping;
static _Atomic unsigned handled;

/* The handler: "big N" writes N bytes, anything else echoes the request. */
static int handler(void *ctx, char *req, FILE *out)
{
	(void)ctx;
	handled++;
	if (!strncmp(req, "big\n", 4)) {
		long n = strtol(req + 4, NULL, 10);
		for (long i = 0; i < n; i++)
			fputc('x', out);
		return 0;
	}
	fprintf(out, "got[%s]", req);
	return strncmp(req, "fail\n", 5) ? 0 : -1;
}

/* The daemon's main loop in miniature. */
static void *pump(void *arg)
{
	struct handoff *h = arg;
	while (pumping) {
		struct pollfd p = { handoff_fd(h), POLLIN, 0 };
		if (poll(&p, 1, 20) > 0)
			handoff_run(h, 2);
	}
	return NULL;
}

static pthread_t pump_th;
static void pump_start(struct handoff *h) { pumping = true; pthread_create(&pump_th, NULL, pump, h); }
static void pump_stop(void) { pumping = false; pthread_join(pump_th, NULL); }

static int open_listener(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sock_path, sizeof sock_path, "/tmp/test_ctlsrv.%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	unlink(sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0)
		return -1;
	return fd;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until EOF (at most n - 1 bytes kept); a generous limit so a broken
 * server fails the test instead of hanging it. */
static size_t read_all(int fd, char *buf, size_t n)
{
	size_t len = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) <= 0)
			break;
		char tmp[4096];
		ssize_t k = read(fd, tmp, sizeof tmp);
		if (k <= 0)
			break;
		size_t c = (size_t)k < n - 1 - len ? (size_t)k : n - 1 - len;
		memcpy(buf + len, tmp, c);
		len += c;
	}
	buf[len] = '\0';
	return len;
}

static void ask(const char *req, char *buf, size_t n)
{
	int fd = client();
	buf[0] = '\0';
	if (fd < 0)
		return;
	/* a refusal may close the socket before the request is written (the
	 * write then fails with EPIPE): the answer is still there to read */
	if (write(fd, req, strlen(req)) < 0 && errno != EPIPE && errno != ECONNRESET) {
		close(fd);
		return;
	}
	read_all(fd, buf, n);
	close(fd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static struct ctlsrv_stats stats(struct ctlsrv *s)
{
	struct ctlsrv_stats st;
	ctlsrv_stats(s, &st);
	return st;
}

/* Waits (up to 10 s, polling) until cond holds: the server thread may be
 * slow on a loaded machine; the checks are about outcomes, not time. */
#define WAIT_FOR(cond) \
	do { \
		for (int w_ = 0; w_ < 1000 && !(cond); w_++) \
			sleep_ms(10); \
	} while (0)

static void test_answers_and_trickle(void)
{
	struct handoff *h = handoff_new(8);
	struct ctlsrv_limits lim = { 4, 1000, 1000, 1 << 20 };
	char err[128], buf[1 << 16];
	struct ctlsrv *s = ctlsrv_start(open_listener(), &lim, h, handler, NULL, err, sizeof err);
	CHECK(s != NULL);
	pump_start(h);
	ask("status\n--json\n\n", buf, sizeof buf);
	CHECK_MSG(!strcmp(buf, "ok\ngot[status\n--json\n\n]"), "%s", buf);
	ask("fail\n\n", buf, sizeof buf);
	CHECK_MSG(!strncmp(buf, "error\ngot[fail", 14), "%s", buf);
	/* two trickling clients: one byte every 100 ms, never a whole request,
	 * for up to 4 s: the 1 s deadline from accept must not restart with
	 * each byte, so the server closes them while they still trickle */
	int t1 = client(), t2 = client();
	CHECK(t1 >= 0 && t2 >= 0);
	bool closed = false;
	for (int i = 0; i < 40 && !closed; i++) {
		if (write(t1, "s", 1) != 1 || write(t2, "s", 1) != 1)
			closed = true;
		sleep_ms(100);
		if (i == 1) { /* meanwhile a normal client is answered */
			ask("status\n\n", buf, sizeof buf);
			CHECK_MSG(!strncmp(buf, "ok\n", 3), "answered while two clients trickle: %s", buf);
		}
		if (stats(s).request_timeouts == 2)
			closed = true;
	}
	CHECK_MSG(closed, "trickling clients still connected after 4 s of a 1 s request deadline");
	read_all(t1, buf, sizeof buf); /* returns at EOF: the server closed it */
	read_all(t2, buf, sizeof buf);
	close(t1);
	close(t2);
	CHECK_MSG(stats(s).request_timeouts == 2, "request timeouts %llu", (unsigned long long)stats(s).request_timeouts);
	CHECK(stats(s).served == 3);
	/* a trickler's bytes never reached the handler */
	CHECK(handled == 3);
	/* the limit on clients: 4 idle connections, the fifth is refused */
	int idle[4];
	for (int i = 0; i < 4; i++)
		idle[i] = client();
	WAIT_FOR(stats(s).clients == 4);
	ask("status\n\n", buf, sizeof buf);
	CHECK_MSG(!strncmp(buf, "error\ntoo many control clients", 30), "%s", buf);
	CHECK(stats(s).refused == 1);
	for (int i = 0; i < 4; i++)
		close(idle[i]);
	WAIT_FOR(stats(s).clients == 0);
	ask("status\n\n", buf, sizeof buf);
	CHECK_MSG(!strncmp(buf, "ok\n", 3), "answered once the idle clients left: %s", buf);
	/* too long: a full buffer without the final empty line */
	static char big[CTLSRV_MAX_REQ + 10];
	memset(big, 'a', sizeof big - 1);
	ask(big, buf, sizeof buf);
	CHECK_MSG(!strcmp(buf, "error\nrequest too long\n"), "%s", buf);
	CHECK(stats(s).too_long == 1);
	/* a reply over reply_max is an error, not a truncated reply */
	ask("big\n2000000\n\n", buf, sizeof buf);
	CHECK_MSG(!strncmp(buf, "error\nthe reply is larger than", 30), "%.40s", buf);
	/* a reader that never reads a 600 KB reply is dropped at the reply deadline */
	int slow = client();
	CHECK(write(slow, "big\n600000\n\n", 12) == 12);
	WAIT_FOR(stats(s).reply_timeouts >= 1);
	CHECK_MSG(stats(s).reply_timeouts == 1, "reply timeouts %llu", (unsigned long long)stats(s).reply_timeouts);
	close(slow);
	WAIT_FOR(stats(s).clients == 0);
	CHECK(stats(s).clients == 0);
	pump_stop();
	handoff_stop(h);
	ctlsrv_stop(s);
	handoff_free(h);
	unlink(sock_path);
}

/* A full queue: the main thread runs nothing for a while. */
static void test_busy(void)
{
	struct handoff *h = handoff_new(1);
	char err[128], buf[256];
	struct ctlsrv *s = ctlsrv_start(open_listener(), NULL, h, handler, NULL, err, sizeof err);
	int a = client(), b = client();
	CHECK(write(a, "one\n\n", 5) == 5);
	struct pollfd q = { handoff_fd(h), POLLIN, 0 };
	WAIT_FOR(poll(&q, 1, 0) == 1); /* "one" waits in the queue */
	CHECK(write(b, "two\n\n", 5) == 5);
	read_all(b, buf, sizeof buf);
	CHECK_MSG(!strncmp(buf, "error\nthe daemon is busy", 24), "%s", buf);
	CHECK(stats(s).busy == 1 && handoff_refused(h) == 1);
	pump_start(h);
	read_all(a, buf, sizeof buf);
	CHECK_MSG(!strcmp(buf, "ok\ngot[one\n\n]"), "%s", buf);
	close(a);
	close(b);
	pump_stop();
	handoff_stop(h);
	ctlsrv_stop(s);
	handoff_free(h);
	unlink(sock_path);
}

static _Atomic int ran;
static void count_call(void *arg) { (void)arg; ran++; }

struct waiter {
	struct handoff *h;
	struct handoff_call c;
	int rc;
};

static void *wait_call(void *arg)
{
	struct waiter *w = arg;
	w->c = (struct handoff_call){ .fn = count_call };
	w->rc = handoff_call(w->h, &w->c);
	return NULL;
}

/* The main thread runs at most max calls per round; a waiter whose call is
 * never run returns -1 when the hand-over stops. */
static void test_handoff(void)
{
	struct handoff *h = handoff_new(16);
	struct handoff_call c[10];
	for (int i = 0; i < 10; i++) {
		c[i] = (struct handoff_call){ .fn = count_call, .wake_fd = -1 };
		CHECK(handoff_submit(h, &c[i]));
	}
	CHECK(handoff_run(h, 3) == 3 && ran == 3);
	CHECK(handoff_done(h, &c[2]) && !handoff_done(h, &c[3]));
	struct pollfd p = { handoff_fd(h), POLLIN, 0 };
	CHECK_MSG(poll(&p, 1, 0) == 1, "still readable while calls wait");
	CHECK(handoff_run(h, 100) == 7 && ran == 10);
	CHECK(poll(&p, 1, 0) == 0);
	struct waiter w = { .h = h };
	pthread_t th;
	pthread_create(&th, NULL, wait_call, &w);
	sleep_ms(50);
	handoff_stop(h);
	pthread_join(th, NULL);
	CHECK(w.rc == -1 && ran == 10);
	CHECK(!handoff_submit(h, &c[0]));
	handoff_free(h);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_handoff();
	test_answers_and_trickle();
	test_busy();
	return T_DONE();
}
