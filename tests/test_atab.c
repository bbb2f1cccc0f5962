/* Tests for atab (bounded LRU address table) and the event JSON lines. */
#include "atab.h"
#include "event.h"
#include "t.h"

struct rec {
	struct akey key;
	int value;
	bool pin;
};

static bool is_pinned(const void *r) { return ((const struct rec *)r)->pin; }

static struct akey key4(uint32_t n, uint32_t inst)
{
	uint8_t b[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	struct akey k = { .inst = inst };
	ip_from_v4(&k.ip, b);
	return k;
}

static void test_basic(void)
{
	struct atab *t = atab_new(100, sizeof(struct rec), is_pinned);
	bool created;
	struct akey k = key4(0xc6336442, 0);
	struct rec *r = atab_get(t, &k, &created);
	CHECK(r && created && r->value == 0 && ip_eq(&r->key.ip, &k.ip));
	r->value = 42;
	struct rec *r2 = atab_get(t, &k, &created);
	CHECK(r2 == r && !created && r2->value == 42);
	struct akey other = key4(0xc6336442, 1); /* same address, other instance */
	CHECK(atab_find(t, &other) == NULL);
	CHECK(atab_find(t, &k) == r);
	atab_del(t, r);
	CHECK(atab_find(t, &k) == NULL && atab_count(t) == 0);
	atab_free(t);
}

static void test_lru_and_pins(void)
{
	struct atab *t = atab_new(1000, sizeof(struct rec), is_pinned);
	bool created;
	/* pin the first 10, then flood with 100,000 distinct addresses */
	for (uint32_t i = 0; i < 10; i++) {
		struct akey k = key4(i, 0);
		struct rec *r = atab_get(t, &k, &created);
		r->pin = true;
		r->value = (int)i;
	}
	unsigned refused = 0;
	for (uint32_t i = 1000; i < 101000; i++) {
		struct akey k = key4(i, 0);
		refused += atab_get(t, &k, &created) == NULL;
	}
	CHECK(refused == 0);
	CHECK(atab_count(t) == 1000);
	CHECK(atab_evictions(t) == 100000 - 990);
	for (uint32_t i = 0; i < 10; i++) {
		struct akey k = key4(i, 0);
		struct rec *r = atab_find(t, &k);
		CHECK_MSG(r && r->pin && r->value == (int)i, "pinned %u survived", i);
	}
	/* the most recent ones are there, the oldest unpinned are gone */
	struct akey recent = key4(100999, 0), old = key4(1000, 0);
	CHECK(atab_find(t, &recent) != NULL && atab_find(t, &old) == NULL);
	atab_free(t);

	/* a table full of pinned records refuses new ones instead of evicting */
	t = atab_new(50, sizeof(struct rec), is_pinned);
	for (uint32_t i = 0; i < 50; i++) {
		struct akey k = key4(i, 0);
		((struct rec *)atab_get(t, &k, &created))->pin = true;
	}
	struct akey k = key4(999, 0);
	CHECK(atab_get(t, &k, &created) == NULL);
	atab_free(t);
}

static void test_event_json(void)
{
	struct evidence ev = { 0 };
	snprintf(ev.user_agent, sizeof ev.user_agent, "friendly \"scanner\"\\x");
	evd_add_user(&ev, (struct slice){ "100", 3 });
	evd_add_user(&ev, (struct slice){ "100", 3 });
	evd_add_user(&ev, (struct slice){ "a\nb", 3 });
	evd_add_code(&ev, 403);
	evd_add_code(&ev, 403);
	evd_add_code(&ev, 404);
	ev.methods = 1u << 6; /* REGISTER */
	struct event e = {
		.type = EVT_BLOCK, .ts_us = 1795766400123456ULL, .det = DET_BAD_REGISTRATION,
		.count = 12, .window_s = 60, .duration_s = 3600, .instance = "default", .ev = &ev,
	};
	prefix_parse(&e.ip, "198.51.100.66");
	snprintf(e.reason, sizeof e.reason, "12 failed registrations in 60 s");
	char buf[1024];
	evt_json(&e, buf, sizeof buf);
	const char *want = "{\"time\":\"2026-11-27T08:00:00.123Z\",\"event\":\"block\",\"ip\":\"198.51.100.66\","
		"\"detector\":\"bad_registration\",\"reason\":\"12 failed registrations in 60 s\",\"count\":12,"
		"\"window_s\":60,\"duration_s\":3600,\"instance\":\"default\",\"evidence\":{\"user_agent\":"
		"\"friendly \\\"scanner\\\"\\\\x\",\"usernames\":[\"100\",\"a\\\\nb\"],\"methods\":[\"REGISTER\"],"
		"\"responses\":[403,404]}}";
	CHECK_MSG(strcmp(buf, want) == 0, "\n got %s\nwant %s", buf, want);
	/* a prefix, permanent, no evidence */
	struct event p = { .type = EVT_BLOCK, .ts_us = 0, .det = DET_BLACKLIST, .duration_s = 0 };
	prefix_parse(&p.ip, "2001:db8:666::/48");
	evt_json(&p, buf, sizeof buf);
	CHECK_MSG(strstr(buf, "\"ip\":\"2001:db8:666::/48\",\"detector\":\"blacklist\",\"duration_s\":0}") != NULL, "%s", buf);
	/* truncation is safe */
	char small[40];
	size_t n = evt_json(&e, small, sizeof small);
	CHECK(n < sizeof small && small[n] == '\0');
	/* invalid UTF-8, a bidi override and an escape from the packet: the
	 * line is valid UTF-8 and shows them */
	struct evidence bad = { 0 };
	slice_copy(bad.user_agent, sizeof bad.user_agent, (struct slice){ "x\xff\xe2\x80\xae\x1b[2J", 9 });
	e.ev = &bad;
	snprintf(e.reason, sizeof e.reason, "r\xc0\xaf\xe2\x81\xa6");
	evt_json(&e, buf, sizeof buf);
	CHECK_MSG(strstr(buf, "\"reason\":\"r\xef\xbf\xbd\xef\xbf\xbd<U+2066>\"") &&
	          strstr(buf, "\"user_agent\":\"x\xef\xbf\xbd<U+202E>\\\\x1b[2J\""), "%s", buf);
	/* a cut line holds no stray bytes: padded with spaces after the cut */
	n = evt_json(&e, small, sizeof small);
	CHECK(n == sizeof small - 1 && strlen(small) == n && small[n - 1] == ' ');
}

/* util's ISO times, both ways (ctl events --since, the API's since=). */
static void test_iso_time(void)
{
	uint64_t us = 0;
	char buf[32];
	CHECK(time_parse_iso("2026-11-27T08:00:00Z", &us) && us == 1795766400000000ULL);
	CHECK(time_parse_iso("2026-11-27T08:00:00", &us) && us == 1795766400000000ULL);
	CHECK(time_parse_iso("2026-11-27T08:00:00.123Z", &us) && us == 1795766400123000ULL);
	CHECK(time_parse_iso("2026-11-27T08:00:00.1234567Z", &us) && us == 1795766400123456ULL);
	CHECK(!strcmp(time_format_iso(1795766400123000ULL, buf), "2026-11-27T08:00:00.123Z"));
	CHECK(time_parse_iso(buf, &us) && us == 1795766400123000ULL);
	CHECK(!time_parse_iso("2026-11-27", &us));
	CHECK(!time_parse_iso("2026-11-27T08:00:00+01:00", &us));
	CHECK(!time_parse_iso("1h", &us));
}

int main(void)
{
	test_iso_time();
	test_basic();
	test_lru_and_pins();
	test_event_json();
	return T_DONE();
}
