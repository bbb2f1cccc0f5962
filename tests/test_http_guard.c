/* test_http_guard: the pure checks in front of the admin page: Host and
 * Origin, the client behind trusted proxies, query argument counts, the
 * login lockout table and the blocked set. */
#include "http_guard.h"
#include "t.h"

#include <stdlib.h>

static void test_names(void)
{
	struct hg_names n;
	CHECK(hg_names_init(&n, "198.51.100.1:8080", NULL));
	CHECK(!n.loopback && !n.wildcard && n.port == 8080);
	CHECK(hg_host_ok(&n, "198.51.100.1:8080"));
	CHECK(hg_host_ok(&n, "198.51.100.1"));
	CHECK(!hg_host_ok(&n, "198.51.100.1:8081"));
	CHECK(!hg_host_ok(&n, "198.51.100.2:8080"));
	CHECK(!hg_host_ok(&n, "localhost:8080"));
	CHECK(!hg_host_ok(&n, "127.0.0.1:8080"));
	CHECK(!hg_host_ok(&n, "evil.example:8080"));
	CHECK(!hg_host_ok(&n, NULL));
	CHECK(!hg_host_ok(&n, ""));
	CHECK(!hg_host_ok(&n, "198.51.100.1:80800"));
	CHECK(!hg_host_ok(&n, "198.51.100.1:8080x"));
	CHECK(!hg_host_ok(&n, "198.51.100.1 :8080"));

	CHECK(hg_names_init(&n, "127.0.0.1:8080", "pbx.example.net, Admin.Example.NET"));
	CHECK(n.loopback && n.n == 2);
	CHECK(hg_host_ok(&n, "127.0.0.1:8080"));
	CHECK(hg_host_ok(&n, "localhost:8080"));
	CHECK(hg_host_ok(&n, "LOCALHOST:8080"));
	CHECK(hg_host_ok(&n, "[::1]:8080"));
	CHECK(hg_host_ok(&n, "127.0.0.2:8080"));
	CHECK(!hg_host_ok(&n, "localhost:9090"));
	CHECK(hg_host_ok(&n, "pbx.example.net"));
	CHECK(hg_host_ok(&n, "pbx.example.net.:443"));
	CHECK(hg_host_ok(&n, "admin.example.net:8443"));
	CHECK(!hg_host_ok(&n, "pbx.example.net.evil.example"));
	CHECK(!hg_host_ok(&n, "evil.example"));
	CHECK(!hg_host_ok(&n, "localhost.evil.example:8080"));

	CHECK(hg_names_init(&n, "[2001:db8::1]:8443", NULL));
	CHECK(hg_host_ok(&n, "[2001:db8::1]:8443"));
	CHECK(hg_host_ok(&n, "[2001:DB8:0::1]:8443"));
	CHECK(!hg_host_ok(&n, "[2001:db8::2]:8443"));
	CHECK(!hg_host_ok(&n, "2001:db8::1"));
	CHECK(!hg_host_ok(&n, "[::1]:8443"));

	CHECK(hg_names_init(&n, "0.0.0.0:8080", NULL));
	CHECK(n.wildcard && hg_host_ok(&n, "203.0.113.9:8080") && !hg_host_ok(&n, "rebind.example:8080"));

	CHECK(!hg_names_init(&n, "localhost:8080", NULL));
	CHECK(!hg_names_init(&n, "127.0.0.1:8080", "a:80"));
	CHECK(!hg_names_init(&n, "127.0.0.1:8080", "a b c d e f g h i"));
}

static void test_origin(void)
{
	struct hg_names n;
	CHECK(hg_names_init(&n, "198.51.100.1:8080", "pbx.example.net"));
	CHECK(hg_origin_ok(&n, "http://198.51.100.1:8080"));
	CHECK(hg_origin_ok(&n, "http://198.51.100.1:8080/login?x=1"));
	CHECK(hg_origin_ok(&n, "HTTPS://pbx.example.net"));
	CHECK(hg_origin_ok(&n, "https://pbx.example.net/#a"));
	CHECK(!hg_origin_ok(&n, "http://evil.example"));
	CHECK(!hg_origin_ok(&n, "http://198.51.100.1:8081"));
	CHECK(!hg_origin_ok(&n, "null"));
	CHECK(!hg_origin_ok(&n, "ftp://198.51.100.1:8080"));
	CHECK(!hg_origin_ok(&n, "http://evil.example@198.51.100.1:8080"));
	CHECK(!hg_origin_ok(&n, "http://198.51.100.1:8080@evil.example"));
	CHECK(!hg_origin_ok(&n, "http://"));
	CHECK(!hg_origin_ok(&n, NULL));
}

static struct ipaddr A(const char *s)
{
	struct ipaddr a;
	if (!ip_parse(&a, s))
		abort();
	return a;
}

static bool client_is(const char *peer, const char *xff, const struct ipprefix *t, size_t nt, const char *want)
{
	struct ipaddr p = A(peer), w = A(want), got = hg_client(&p, xff, t, nt);
	char buf[IP_STRLEN];
	if (!ip_eq(&got, &w))
		fprintf(stderr, "  client(%s, %s) = %s, want %s\n", peer, xff ? xff : "NULL", ip_format(&got, buf), want);
	return ip_eq(&got, &w);
}

static void test_xff(void)
{
	struct ipprefix t[2];
	CHECK(prefix_parse(&t[0], "127.0.0.1") && prefix_parse(&t[1], "198.51.100.0/24"));
	/* not from a proxy: the header is ignored */
	CHECK(client_is("203.0.113.5", "192.0.2.1", t, 2, "203.0.113.5"));
	CHECK(client_is("203.0.113.5", "192.0.2.1", t, 0, "203.0.113.5"));
	/* from a proxy: the right-most entry that is not a proxy */
	CHECK(client_is("127.0.0.1", "192.0.2.1", t, 2, "192.0.2.1"));
	CHECK(client_is("127.0.0.1", "6.6.6.6, 192.0.2.1", t, 2, "192.0.2.1"));
	CHECK(client_is("127.0.0.1", "6.6.6.6, 192.0.2.1, 198.51.100.7", t, 2, "192.0.2.1"));
	CHECK(client_is("127.0.0.1", " [2001:db8::5] ", t, 2, "2001:db8::5"));
	CHECK(client_is("127.0.0.1", NULL, t, 2, "127.0.0.1"));
	/* every entry a proxy: the left-most */
	CHECK(client_is("127.0.0.1", "198.51.100.9,198.51.100.8", t, 2, "198.51.100.9"));
	/* an unreadable entry stops at the proxy that wrote it */
	CHECK(client_is("127.0.0.1", "192.0.2.1, junk", t, 2, "127.0.0.1"));
	CHECK(client_is("127.0.0.1", "192.0.2.1, junk, 198.51.100.8", t, 2, "198.51.100.8"));
	CHECK(client_is("127.0.0.1", "", t, 2, "127.0.0.1"));
	CHECK(client_is("127.0.0.1", ",", t, 2, "127.0.0.1"));
}

static void test_query_args(void)
{
	CHECK(hg_query_args("", 0) == 0);
	CHECK(hg_query_args("a=1", 3) == 1);
	CHECK(hg_query_args("a=1&b=2;c", 9) == 3);
	CHECK(hg_query_args("&&&", 3) == 4);
}

static void test_locks(void)
{
	struct hg_locks *l = hg_locks_new(4, 3, 60, (struct hash_key){ 42, 1 });
	struct ipaddr a = A("127.0.0.1"), b = A("::1");
	CHECK(l != NULL);
	CHECK(hg_locks_wait(l, &a, 0) == 0);
	CHECK(hg_locks_fail(l, &a, 0) == 0 && hg_locks_fail(l, &a, 1) == 0);
	CHECK(hg_locks_wait(l, &a, 1) == 0);
	CHECK(hg_locks_fail(l, &a, 2) == HG_LOCK_BASE_S);
	CHECK(hg_locks_wait(l, &a, 2) == HG_LOCK_BASE_S);
	CHECK(hg_locks_wait(l, &a, 2 + HG_LOCK_BASE_S - 1) == 1);
	CHECK(hg_locks_wait(l, &a, 2 + HG_LOCK_BASE_S) == 0);
	CHECK(hg_locks_wait(l, &b, 3) == 0);
	/* the next lock doubles */
	int64_t t = 100;
	hg_locks_fail(l, &a, t);
	hg_locks_fail(l, &a, t);
	CHECK(hg_locks_fail(l, &a, t) == 2 * HG_LOCK_BASE_S);
	/* failures outside the window do not add up */
	CHECK(hg_locks_fail(l, &b, 0) == 0 && hg_locks_fail(l, &b, 61) == 0 && hg_locks_fail(l, &b, 122) == 0);
	CHECK(hg_locks_fail(l, &b, 123) == 0);
	CHECK(hg_locks_fail(l, &b, 124) == HG_LOCK_BASE_S);
	/* a success forgets */
	hg_locks_ok(l, &b);
	CHECK(hg_locks_wait(l, &b, 125) == 0);
	/* full: the unlocked record with the oldest failure goes, locks stay */
	char ip[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i);
		struct ipaddr x = A(ip);
		hg_locks_fail(l, &x, 130 + i);
	}
	CHECK(hg_locks_wait(l, &a, 150) > 0);
	CHECK(hg_locks_evicted(l) >= 16);
	uint32_t last = 0;
	hg_locks_free(l);

	/* the lock doubles up to HG_LOCK_MAX_S */
	l = hg_locks_new(8, 1, 60, (struct hash_key){ 7, 1 });
	for (int k = 0; k < 12; k++)
		last = hg_locks_fail(l, &a, 10 * k);
	CHECK(last == HG_LOCK_MAX_S);
	hg_locks_free(l);
}

static void test_blocked(void)
{
	struct hg_blocked *b = hg_blocked_new((struct hash_key){ 1234, 1 });
	struct ipprefix p, q;
	struct ipaddr in = A("198.51.100.77"), out = A("198.51.101.1"), h = A("2001:db8::5");
	CHECK(b != NULL);
	CHECK(!hg_blocked_has(b, &in));
	CHECK(prefix_parse(&p, "198.51.100.0/24") && hg_blocked_set(b, &p, true));
	CHECK(hg_blocked_has(b, &in) && !hg_blocked_has(b, &out));
	CHECK(prefix_parse(&q, "2001:db8::5") && hg_blocked_set(b, &q, true));
	CHECK(hg_blocked_has(b, &h));
	CHECK(hg_blocked_set(b, &q, true)); /* again: still one */
	CHECK(hg_blocked_set(b, &q, false) && !hg_blocked_has(b, &h));
	CHECK(hg_blocked_set(b, &p, false) && !hg_blocked_has(b, &in));
	/* many hosts in and out: every one found exactly while it is in */
	char ip[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof ip, "2001:db8::%x", i);
		CHECK(prefix_parse(&q, ip) && hg_blocked_set(b, &q, true));
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(ip, sizeof ip, "2001:db8::%x", i);
		prefix_parse(&q, ip);
		hg_blocked_set(b, &q, false);
	}
	int wrong = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof ip, "2001:db8::%x", i);
		struct ipaddr x = A(ip);
		wrong += hg_blocked_has(b, &x) != (i % 2 == 1);
	}
	CHECK(wrong == 0);
	hg_blocked_clear(b);
	CHECK(!hg_blocked_has(b, &h));
	hg_blocked_free(b);
}

int main(void)
{
	test_names();
	test_origin();
	test_xff();
	test_query_args();
	test_locks();
	test_blocked();
	return T_DONE();
}
