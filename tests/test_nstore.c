/* Tests for nstore: the outbox, the digest, the notification state and the
 * daily summary's figures, on a real SQLite file that store.c created and
 * filled with events. */
#include "nstore.h"
#include "store.h"
#include "t.h"

#include <stdlib.h>

#define T0 1795766400000000ULL /* 2026-11-27T08:00:00Z */
#define SEC 1000000ULL
#define HOUR (3600 * SEC)

static char dir[64], dbpath[128];

static struct ipprefix pfx(const char *txt)
{
	struct ipprefix p;
	memset(&p, 0, sizeof p);
	if (!prefix_parse(&p, txt))
		exit(2);
	return p;
}

/* Records one event through store.c, as the daemon does. */
static void add_event(struct store *s, enum evt_type type, const char *ip, enum detector det,
                      uint64_t ts, int64_t dur, const char *user)
{
	struct evidence ev;
	memset(&ev, 0, sizeof ev);
	if (user)
		evd_add_user(&ev, (struct slice){ user, strlen(user) });
	struct event e = { .type = type, .ts_us = ts, .ip = pfx(ip), .det = det, .count = 1,
	                   .duration_s = dur, .instance = "default", .ev = user ? &ev : NULL };
	snprintf(e.reason, sizeof e.reason, "test");
	CHECK(store_event(s, &e) == 0);
}

static void test_outbox(struct nstore *n)
{
	struct nst_msg m;
	CHECK(nst_count(n, -1) == 0 && nst_next_due(n) == 0);
	CHECK(nst_due(n, NST_MAIL, T0, &m) == 0);
	CHECK(nst_enqueue(n, NST_MAIL, "a@example.net,b@example.org", "mail one", 8, T0) == 0);
	CHECK(nst_enqueue(n, NST_WEBHOOK, "http://127.0.0.1/h", "{\"x\":1}", 7, T0 + 1) == 0);
	CHECK(nst_enqueue(n, NST_MAIL, "a@example.net", "mail two", 8, T0 + 2) == 0);
	CHECK(nst_count(n, NST_MAIL) == 2 && nst_count(n, NST_WEBHOOK) == 1 && nst_count(n, -1) == 3);
	/* oldest first, per kind, with its body and recipients */
	CHECK(nst_due(n, NST_MAIL, T0 + 10, &m) == 1);
	CHECK(!strcmp(m.rcpts, "a@example.net,b@example.org") && m.body_len == 8 && !memcmp(m.body, "mail one", 8));
	CHECK(m.tries == 0 && m.created_us == T0);
	int64_t first = m.id;
	/* a failure postpones it: the next due mail is the second one */
	CHECK(nst_retry_at(n, first, T0 + 30 * SEC, "connection refused") == 0);
	nst_msg_free(&m);
	CHECK(nst_due(n, NST_MAIL, T0 + 10, &m) == 1 && !memcmp(m.body, "mail two", 8));
	CHECK(nst_done(n, m.id) == 0);
	nst_msg_free(&m);
	CHECK(nst_due(n, NST_MAIL, T0 + 10, &m) == 0);
	CHECK(nst_next_due(n) == T0 + 1); /* the webhook post */
	CHECK(nst_due(n, NST_MAIL, T0 + 31 * SEC, &m) == 1 && m.id == first && m.tries == 1);
	nst_msg_free(&m);
	/* a restart makes everything due at once */
	CHECK(nst_retry_at(n, first, T0 + HOUR, "again") == 0);
	CHECK(nst_retry_all(n, T0 + 40 * SEC) == 0);
	CHECK(nst_due(n, NST_MAIL, T0 + 40 * SEC, &m) == 1 && m.tries == 2);
	nst_msg_free(&m);
	/* messages older than the cut-off are given up */
	CHECK(nst_expire(n, T0 + 1) == 1); /* the first mail, created at T0 */
	CHECK(nst_count(n, NST_MAIL) == 0 && nst_count(n, NST_WEBHOOK) == 1);
	CHECK(nst_due(n, NST_WEBHOOK, T0 + 2, &m) == 1 && !strcmp(m.rcpts, "http://127.0.0.1/h"));
	CHECK(nst_done(n, m.id) == 0);
	nst_msg_free(&m);
	CHECK(nst_count(n, -1) == 0);
}

static void test_digest_state(struct nstore *n)
{
	struct mail_item it = { .ts_us = T0, .duration_s = 3600 }, *v = NULL;
	CHECK(nst_digest_count(n) == 0);
	for (int i = 0; i < 300; i++) {
		snprintf(it.ip, sizeof it.ip, "203.0.113.%d", i % 250);
		snprintf(it.detector, sizeof it.detector, "scanner");
		snprintf(it.user_agent, sizeof it.user_agent, "agent %d\r\n", i);
		it.ts_us = T0 + (uint64_t)i;
		CHECK(nst_digest_add(n, &it) == 0);
	}
	CHECK(nst_digest_count(n) == 300);
	CHECK(nst_digest_take(n, &v) == 300);
	CHECK(v && v[0].ts_us == T0 && v[299].ts_us == T0 + 299 && !strcmp(v[299].ip, "203.0.113.49"));
	CHECK(v && !strcmp(v[7].user_agent, "agent 7\r\n") && v[7].duration_s == 3600);
	free(v);
	CHECK(nst_digest_count(n) == 0 && nst_digest_take(n, &v) == 0);
	free(v);
	int64_t x = 0;
	CHECK(nst_state_get(n, "summary_last_us", &x) == 0);
	CHECK(nst_state_set(n, "summary_last_us", 42) == 0 && nst_state_get(n, "summary_last_us", &x) == 1 && x == 42);
	CHECK(nst_state_set(n, "summary_last_us", 43) == 0 && nst_state_get(n, "summary_last_us", &x) == 1 && x == 43);
}

static void test_summary(struct nstore *n, struct store *s)
{
	CHECK(store_begin(s) == 0);
	/* before the window: not counted */
	add_event(s, EVT_BLOCK, "198.51.100.9", DET_SCANNER, T0 - SEC, 3600, "old");
	/* hour 0: two scanners; hour 3: a guesser twice (the second permanent) */
	add_event(s, EVT_BLOCK, "198.51.100.1", DET_SCANNER, T0 + 10 * SEC, 3600, "100");
	add_event(s, EVT_BLOCK, "198.51.100.2", DET_SCANNER, T0 + 20 * SEC, 3600, "100");
	add_event(s, EVT_UNBLOCK, "198.51.100.1", DET_SCANNER, T0 + HOUR + 10 * SEC, -1, NULL);
	add_event(s, EVT_BLOCK, "203.0.113.7", DET_BAD_REGISTRATION, T0 + 3 * HOUR, 3600, "alice");
	add_event(s, EVT_BLOCK, "203.0.113.7", DET_BAD_REGISTRATION, T0 + 3 * HOUR + 5 * SEC, 0, "alice");
	/* an alert, an anomaly, a manual block (not an attack) */
	add_event(s, EVT_ALERT, "198.51.100.50", DET_DISTRIBUTED_GUESSING, T0 + 23 * HOUR, -1, "alice");
	add_event(s, EVT_ANOMALY, "198.51.100.60", DET_ANOMALY, T0 + 5 * HOUR, -1, NULL);
	add_event(s, EVT_BLOCK, "198.51.100.70", DET_MANUAL, T0 + 6 * HOUR, 600, NULL);
	/* at the end of the window: not counted */
	add_event(s, EVT_BLOCK, "198.51.100.8", DET_SCANNER, T0 + 24 * HOUR, 3600, "late");
	CHECK(store_commit(s) == 0);

	struct mail_summary m;
	CHECK(nst_summary(n, T0, T0 + 24 * HOUR, &m) == 0);
	CHECK(m.from_us == T0 && m.to_us == T0 + 24 * HOUR);
	CHECK_MSG(m.attacks == 5, "attacks %u", m.attacks);
	CHECK(m.blocks == 5 && m.permanent == 1 && m.unblocks == 1 && m.alerts == 1 && m.anomalies == 1);
	CHECK(m.by_det[DET_SCANNER] == 2 && m.by_det[DET_BAD_REGISTRATION] == 2);
	CHECK(m.by_det[DET_DISTRIBUTED_GUESSING] == 1 && m.by_det[DET_MANUAL] == 0);
	CHECK(m.hourly[0] == 2 && m.hourly[3] == 2 && m.hourly[23] == 1 && m.hourly[6] == 0 && m.hourly[5] == 0);
	CHECK(m.n_top == 4 && !strcmp(m.top[0].ip, "203.0.113.7") && m.top[0].count == 2);
	CHECK(m.top[0].det_mask == 1u << DET_BAD_REGISTRATION);
	CHECK(m.top[0].first_us == T0 + 3 * HOUR && m.top[0].last_us == T0 + 3 * HOUR + 5 * SEC);
	CHECK(m.n_users == 2 && !strcmp(m.users[0].name, "alice") && m.users[0].count == 3);
	CHECK(!strcmp(m.users[1].name, "100") && m.users[1].count == 2);
	/* in force at the end: only the permanent block (the 1 h and 10 min
	 * blocks ended, the late scanner's starts at the end) */
	CHECK_MSG(m.active_blocks == 1, "active %u", m.active_blocks);
	/* an empty window */
	CHECK(nst_summary(n, T0 + 100 * HOUR, T0 + 124 * HOUR, &m) == 0);
	CHECK(m.attacks == 0 && m.n_top == 0 && m.n_users == 0);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/sipwarden-test-nstore.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(dbpath, sizeof dbpath, "%s/sw.db", dir);
	char err[256] = "";
	struct store *s = store_open(dbpath, err, sizeof err);
	struct nstore *n = s ? nst_open(dbpath, err, sizeof err) : NULL;
	CHECK_MSG(s && n, "%s", err);
	if (s && n) {
		test_outbox(n);
		test_digest_state(n);
		test_summary(n, s);
	}
	nst_close(n);
	store_close(s);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	return T_DONE();
}
