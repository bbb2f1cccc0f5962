/* fuzz_httpreq: libFuzzer harness for everything the admin server does
 * before authentication, on whole HTTP requests: libmicrohttpd's request
 * reader, then ours (the Host/Origin checks, X-Forwarded-For from a trusted
 * proxy, the query and body limits, the static page, the login JSON with
 * its lockout and hashing pool, logout, the session and cookie checks, the
 * CSRF check, /metrics with Basic auth).  The server is the real one
 * (http_start) on 127.0.0.1, port chosen by the kernel; each input is
 * written raw to a new loopback connection, whose write side is then shut,
 * and the reply read to its end.  Loopback is the only way to reach the
 * callbacks libmicrohttpd calls: they take its connection object.
 *
 * The password is 32 random bytes nobody knows, so no request can log in:
 * the API's handler and the metrics callback must never run (either traps,
 * as would a reply that does not start "HTTP/1.").  Seeds:
 * fuzz/corpus/httpreq/; dictionary: fuzz/httpreq.dict. */
#include "auth.h"
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static int handle(void *ctx, const char *method, const char *path, const char *query, const char *body,
                  size_t body_len, const char *client_ip, struct http_reply *out)
{
	(void)ctx, (void)method, (void)path, (void)query, (void)body, (void)body_len, (void)client_ip, (void)out;
	__builtin_trap(); /* an API call without a login */
}

static int metrics(void *ctx, struct http_reply *out)
{
	(void)ctx, (void)out;
	__builtin_trap(); /* metrics_auth is on: never without a login */
}

static void login_failed(void *ctx, const char *client_ip)
{
	(void)ctx;
	REQUIRE(client_ip && strlen(client_ip) < 64);
}

static struct http *start(void)
{
	unsigned char pw[32];
	FILE *r = fopen("/dev/urandom", "rb");
	REQUIRE(r && fread(pw, 1, sizeof pw, r) == sizeof pw);
	fclose(r);
	char pws[65], hash[AUTH_HASH_MAX];
	for (size_t i = 0; i < sizeof pw; i++)
		snprintf(pws + 2 * i, 3, "%02x", pw[i]);
	REQUIRE(auth_hash(pws, hash, sizeof hash) == 0);
	static struct ipprefix proxies[1];
	REQUIRE(prefix_parse(&proxies[0], "127.0.0.1"));
	struct http_conf conf = {
		.listen = "127.0.0.1:0", .password_hash = hash, .metrics_auth = true,
		.server_name = "pbx.example.net", .trusted_proxies = proxies, .n_trusted_proxies = 1,
		.login_fails = 3, .login_window_s = 60, .hash_per_s = 1, .header_s = 2, .request_s = 3,
	};
	static const struct http_api api = { NULL, handle, metrics, login_failed };
	char err[512];
	struct http *h = http_start(&conf, &api, err, sizeof err);
	if (!h)
		fprintf(stderr, "fuzz_httpreq: %s\n", err);
	REQUIRE(h);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http *h;
	static char reply[1 << 20];
	if (!h)
		h = start();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(http_port(h)) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return 0;
	}
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server may close early (413, a bad request) */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof reply && (n = recv(fd, reply + got, sizeof reply - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	if (got >= 8)
		REQUIRE(!memcmp(reply, "HTTP/1.", 7));
	return 0;
}
