/* fuzz_http: libFuzzer harness for the admin page's request readers: the
 * JSON body reader (http_json_get), the query reader (http_query_param),
 * the Host and Origin checks, the X-Forwarded-For choice, the query
 * argument count, and the lockout and blocked tables driven by a sequence
 * of operations.  The first byte picks the target, the rest is its input
 * (copied to a buffer of exactly its size, so ASan sees any over-read).
 * Cookies are parsed by libmicrohttpd, not here.  Any violated property
 * traps.  Seeds: fuzz/corpus/http/. */
#include "http.h"
#include "http_guard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static void json(const char *b, size_t n)
{
	static const char *const names[] = { "password", "duration", "reason", "", "a" };
	static const size_t sizes[] = { 1, 2, 8, 64, 1024 };
	char out[1024];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t outlen = sizes[i];
		memset(out, 'x', sizeof out);
		int rc = http_json_get(b, n, names[i], out, outlen);
		REQUIRE(rc >= -1 && rc <= 1);
		REQUIRE(memchr(out, '\0', outlen) != NULL);
		if (rc <= 0)
			REQUIRE(out[0] == '\0');
	}
}

static void query(const char *s)
{
	static const char *const names[] = { "q", "limit", "", "a b" };
	char out[64];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		memset(out, 'x', sizeof out);
		if (http_query_param(s, names[i], out, sizeof out))
			REQUIRE(strlen(out) < sizeof out);
	}
	REQUIRE(hg_query_args(s, strlen(s)) <= strlen(s) + 1);
}

/* A Host that passes also passes as an Origin's authority. */
static void names(const char *s)
{
	static struct hg_names lo, pub, any;
	static bool init;
	if (!init) {
		REQUIRE(hg_names_init(&lo, "127.0.0.1:8080", "pbx.example.net"));
		REQUIRE(hg_names_init(&pub, "[2001:db8::1]:443", NULL));
		REQUIRE(hg_names_init(&any, "0.0.0.0:8080", "a.example b.example"));
		init = true;
	}
	const struct hg_names *all[] = { &lo, &pub, &any };
	char origin[512];
	bool plain = strlen(s) < 400 && !strpbrk(s, "/?#@");
	snprintf(origin, sizeof origin, "http://%s", s);
	for (int i = 0; i < 3; i++) {
		bool h = hg_host_ok(all[i], s);
		bool o = hg_origin_ok(all[i], s);
		if (h && plain)
			REQUIRE(hg_origin_ok(all[i], origin));
		(void)o;
	}
	struct hg_names n;
	hg_names_init(&n, s, s);
}

static void xff(const char *s)
{
	struct ipprefix t[2];
	struct ipaddr peer, out;
	REQUIRE(prefix_parse(&t[0], "127.0.0.1") && prefix_parse(&t[1], "2001:db8::/32"));
	REQUIRE(ip_parse(&peer, "203.0.113.1"));
	out = hg_client(&peer, s, t, 2);
	REQUIRE(ip_eq(&out, &peer)); /* not a proxy: the header never counts */
	REQUIRE(ip_parse(&peer, "127.0.0.1"));
	out = hg_client(&peer, s, t, 2);
	(void)out;
}

/* Operations of 2 bytes: kind and an address from a small space (so that
 * records collide, get evicted and deleted in the middle of runs). */
static void tables(const uint8_t *d, size_t n)
{
	struct hg_locks *l = hg_locks_new(4, 2, 30, (struct hash_key){ 0, 1 });
	struct hg_blocked *b = hg_blocked_new((struct hash_key){ 0, 1 });
	REQUIRE(l && b);
	int64_t now = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		struct ipprefix p = { .plen = 128 };
		p.addr.b[10] = p.addr.b[11] = 0xff;
		p.addr.b[15] = d[i + 1] & 0x3f;
		now += d[i] >> 4;
		switch (d[i] & 7) {
		case 0: {
			uint32_t dur = hg_locks_fail(l, &p.addr, now);
			if (dur)
				REQUIRE(hg_locks_wait(l, &p.addr, now) == dur);
			break;
		}
		case 1:
			hg_locks_ok(l, &p.addr);
			REQUIRE(hg_locks_wait(l, &p.addr, now) == 0);
			break;
		case 2:
			REQUIRE(hg_locks_wait(l, &p.addr, now) <= HG_LOCK_MAX_S);
			break;
		case 3:
			REQUIRE(hg_blocked_set(b, &p, true) && hg_blocked_has(b, &p.addr));
			break;
		case 4:
			REQUIRE(hg_blocked_set(b, &p, false) && !hg_blocked_has(b, &p.addr));
			break;
		case 5:
			/* prefixes live in another /104 than the hosts above */
			p.addr.b[12] = 1;
			p.plen = (uint8_t)(104 + (d[i + 1] >> 3) % 24);
			hg_blocked_set(b, &p, d[i + 1] & 1);
			break;
		default:
			hg_blocked_has(b, &p.addr);
		}
	}
	hg_locks_free(l);
	hg_blocked_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	char *b = malloc(n + 1);
	if (!b)
		return 0;
	memcpy(b, data + 1, n);
	b[n] = '\0';
	switch (data[0] % 5) {
	case 0: {
		char *exact = malloc(n ? n : 1);
		memcpy(exact, data + 1, n);
		json(exact, n);
		free(exact);
		break;
	}
	case 1: query(b); break;
	case 2: names(b); break;
	case 3: xff(b); break;
	default: tables(data + 1, n);
	}
	free(b);
	return 0;
}
