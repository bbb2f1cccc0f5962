/* Tests for store: the SQLite database (WAL) of blocks, block history,
 * events and runtime lists.  Every test works on a real database file in a
 * mkdtemp directory under /tmp, removed at the end. */
#include "store.h"
#include "t.h"

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define T0 1795766400000000ULL /* 2026-11-27T08:00:00Z */
#define SEC 1000000ULL

static char dir[64], dbpath[128];

/* ---- helpers ---- */

static struct store *open_db(void)
{
	char err[256] = "";
	struct store *s = store_open(dbpath, err, sizeof err);
	CHECK_MSG(s != NULL, "%s", err);
	if (!s)
		exit(1);
	return s;
}

static struct ipprefix pfx(const char *txt)
{
	struct ipprefix p;
	memset(&p, 0, sizeof p);
	if (!prefix_parse(&p, txt)) {
		fprintf(stderr, "bad prefix in test: %s\n", txt);
		exit(2);
	}
	return p;
}

static struct event ev_make(enum evt_type type, const char *ip, enum detector det,
                            uint64_t ts, int64_t duration_s)
{
	struct event e;
	memset(&e, 0, sizeof e);
	e.type = type;
	e.ts_us = ts;
	e.ip = pfx(ip);
	e.det = det;
	e.duration_s = duration_s;
	snprintf(e.reason, sizeof e.reason, "%s %s", evt_type_name(type), ip);
	e.instance = "pbx1";
	return e;
}

static int put(struct store *s, enum evt_type type, const char *ip, enum detector det,
               uint64_t ts, int64_t duration_s)
{
	struct event e = ev_make(type, ip, det, ts, duration_s);
	return store_event(s, &e);
}

/* Runs one SQL query on a second, independent connection and returns the
 * first column of its first row as an integer (text into out when given). */
static long long peek(const char *q, char *out, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;
	if (out && n)
		out[0] = '\0';
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			if (out && n && sqlite3_column_text(st, 0))
				snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static bool file_exists(const char *suffix)
{
	char p[160];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", dbpath, suffix);
	return stat(p, &st) == 0;
}

static void remove_db(void)
{
	char p[160];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < ARRAY_LEN(sfx); i++) {
		snprintf(p, sizeof p, "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[400];
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* collectors for the callbacks */
struct blocks {
	int n;
	struct store_block b[16];
};

static void on_block(void *ctx, const struct store_block *b)
{
	struct blocks *c = ctx;
	if (c->n < (int)ARRAY_LEN(c->b))
		c->b[c->n] = *b;
	c->n++;
}

static const struct store_block *find_block(const struct blocks *c, const char *ip)
{
	struct ipprefix p = pfx(ip);
	for (int i = 0; i < c->n && i < (int)ARRAY_LEN(c->b); i++)
		if (c->b[i].ip.plen == p.plen && ip_eq(&c->b[i].ip.addr, &p.addr))
			return &c->b[i];
	return NULL;
}

static int active(struct store *s, uint64_t now, struct blocks *c)
{
	memset(c, 0, sizeof *c);
	int rc = store_blocks_active(s, now, on_block, c);
	CHECK(rc == 0);
	return c->n;
}

struct hist {
	int n;
	struct { struct ipprefix ip; uint32_t n; } h[16];
};

static void on_hist(void *ctx, const struct ipprefix *ip, uint32_t n)
{
	struct hist *c = ctx;
	if (c->n < (int)ARRAY_LEN(c->h)) {
		c->h[c->n].ip = *ip;
		c->h[c->n].n = n;
	}
	c->n++;
}

static long hist_of(const struct hist *c, const char *ip)
{
	struct ipprefix p = pfx(ip);
	for (int i = 0; i < c->n && i < (int)ARRAY_LEN(c->h); i++)
		if (c->h[i].ip.plen == p.plen && ip_eq(&c->h[i].ip.addr, &p.addr))
			return c->h[i].n;
	return -1;
}

struct lines {
	int n;
	char l[16][1024];
};

static void on_line(void *ctx, const char *json)
{
	struct lines *c = ctx;
	if (c->n < (int)ARRAY_LEN(c->l))
		snprintf(c->l[c->n], sizeof c->l[0], "%s", json);
	c->n++;
}

static int events(struct store *s, uint64_t since, unsigned limit, const char *det,
                  const char *ip, struct lines *c)
{
	memset(c, 0, sizeof *c);
	int rc = store_events(s, since, limit, det, ip, on_line, c);
	CHECK(rc == 0);
	return c->n;
}

static void on_count(void *ctx, const char *json)
{
	(void)json;
	++*(long *)ctx;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- tests ---- */

static void test_open_schema(void)
{
	struct store *s = open_db();
	char txt[64];
	CHECK(peek("PRAGMA journal_mode", txt, sizeof txt) >= 0 && strcmp(txt, "wal") == 0);
	CHECK(peek("PRAGMA user_version", NULL, 0) == 1);
	CHECK(peek("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	           " ('blocks', 'block_history', 'events', 'lists')", NULL, 0) == 4);
	CHECK(peek("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"
	           " ('events_time', 'events_detector_time', 'events_ip_time')", NULL, 0) == 3);
	CHECK(put(s, EVT_ANOMALY, "198.51.100.1", DET_ANOMALY, T0, -1) == 0);
	CHECK(file_exists("-wal")); /* written through the write-ahead log */
	store_close(s);
	/* opening again keeps the schema (no error on an existing one) */
	s = open_db();
	CHECK(peek("SELECT count(*) FROM events", NULL, 0) == 1);
	store_close(s);
	remove_db();
}

static void test_blocks(void)
{
	struct store *s = open_db();
	struct blocks c;
	CHECK(put(s, EVT_BLOCK, "198.51.100.7", DET_BAD_REGISTRATION, T0, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "2001:db8::66", DET_SCANNER, T0 + 1, 3600) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.0/24", DET_FLOOD, T0 + 2, 600) == 0);
	CHECK(put(s, EVT_BLOCK, "2001:db8:1::/48", DET_ENUMERATION, T0 + 3, 600) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.9", DET_BAD_INVITE, T0 + 4, 0) == 0);
	CHECK(put(s, EVT_ANOMALY, "198.51.100.8", DET_ANOMALY, T0, -1) == 0);
	CHECK(put(s, EVT_ALERT, "198.51.100.10", DET_SCANNER, T0, -1) == 0);

	CHECK(active(s, T0, &c) == 5);
	const struct store_block *b = find_block(&c, "198.51.100.7");
	CHECK(b && !b->permanent && b->start_us == T0 && b->end_us == T0 + 60 * SEC);
	CHECK(b && strcmp(b->detector, "bad_registration") == 0 &&
	      strcmp(b->reason, "block 198.51.100.7") == 0 && strcmp(b->instance, "pbx1") == 0);
	CHECK(b && b->ip.plen == 128 && ip_is_v4(&b->ip.addr));
	b = find_block(&c, "2001:db8::66");
	CHECK(b && b->end_us == T0 + 1 + 3600 * SEC && strcmp(b->detector, "scanner") == 0);
	b = find_block(&c, "203.0.113.0/24");
	CHECK(b && b->ip.plen == 96 + 24 && strcmp(b->detector, "flood") == 0);
	b = find_block(&c, "2001:db8:1::/48");
	CHECK(b && b->ip.plen == 48);
	b = find_block(&c, "198.51.100.9");
	CHECK(b && b->permanent && b->end_us == 0 && b->start_us == T0 + 4);
	CHECK(find_block(&c, "198.51.100.8") == NULL && find_block(&c, "198.51.100.10") == NULL);
	CHECK(peek("SELECT count(*) FROM blocks", NULL, 0) == 5);
	CHECK(peek("SELECT count(*) FROM events", NULL, 0) == 7);

	/* expiry: active means end_us > now */
	CHECK(active(s, T0 + 60 * SEC - 1, &c) == 5);
	CHECK(active(s, T0 + 60 * SEC, &c) == 4 && !find_block(&c, "198.51.100.7"));
	CHECK(active(s, T0 + 3 + 600 * SEC, &c) == 2);
	CHECK(find_block(&c, "2001:db8::66") && find_block(&c, "198.51.100.9"));
	CHECK(active(s, T0 + 3601 * SEC, &c) == 1 && find_block(&c, "198.51.100.9"));
	CHECK(active(s, UINT64_MAX, &c) == 1);

	/* a new block of the same address replaces the old one */
	CHECK(put(s, EVT_BLOCK, "198.51.100.7", DET_FLOOD, T0 + 100 * SEC, 60) == 0);
	CHECK(active(s, T0 + 100 * SEC, &c) == 5);
	b = find_block(&c, "198.51.100.7");
	CHECK(b && strcmp(b->detector, "flood") == 0 && b->end_us == T0 + 160 * SEC);
	CHECK(peek("SELECT count(*) FROM blocks", NULL, 0) == 5);

	/* unblock ends the active block, the event log keeps both lines */
	CHECK(put(s, EVT_UNBLOCK, "2001:db8::66", DET_SCANNER, T0 + 200 * SEC, -1) == 0);
	CHECK(put(s, EVT_UNBLOCK, "203.0.113.0/24", DET_FLOOD, T0 + 200 * SEC, -1) == 0);
	CHECK(put(s, EVT_UNBLOCK, "192.0.2.99", DET_MANUAL, T0 + 200 * SEC, -1) == 0); /* none */
	CHECK(active(s, T0 + 200 * SEC, &c) == 2);
	CHECK(!find_block(&c, "2001:db8::66") && !find_block(&c, "203.0.113.0/24"));
	CHECK(find_block(&c, "2001:db8:1::/48") && find_block(&c, "198.51.100.9"));
	CHECK(peek("SELECT count(*) FROM events WHERE event = 'unblock'", NULL, 0) == 3);

	/* a block event without a duration is refused and writes nothing */
	CHECK(put(s, EVT_BLOCK, "198.51.100.77", DET_FLOOD, T0, -1) == -1);
	CHECK(strstr(store_error(s), "duration") != NULL);
	CHECK(peek("SELECT count(*) FROM events WHERE ip = '198.51.100.77'", NULL, 0) == 0);
	store_close(s);
	remove_db();
}

static void test_history(void)
{
	struct store *s = open_db();
	struct hist h = { 0 };
	for (int i = 0; i < 3; i++)
		CHECK(put(s, EVT_BLOCK, "198.51.100.20", DET_BAD_REGISTRATION, T0 + (uint64_t)i * 1000 * SEC, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.20", DET_BAD_REGISTRATION, T0 + 5000 * SEC, 0) == 0);
	CHECK(put(s, EVT_BLOCK, "2001:db8::20", DET_SCANNER, T0, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.21", DET_SCANNER, T0, 0) == 0);
	CHECK(put(s, EVT_UNBLOCK, "2001:db8::20", DET_SCANNER, T0 + 60 * SEC, -1) == 0);
	CHECK(put(s, EVT_ANOMALY, "198.51.100.22", DET_ANOMALY, T0, -1) == 0);
	/* blocks by hand do not count towards block_threshold */
	CHECK(put(s, EVT_BLOCK, "198.51.100.23", DET_MANUAL, T0, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.23", DET_MANUAL, T0 + 100 * SEC, 60) == 0);
	CHECK(store_history(s, on_hist, &h) == 0);
	CHECK(h.n == 4);
	CHECK(hist_of(&h, "198.51.100.23") == 0);
	CHECK(hist_of(&h, "198.51.100.20") == 3); /* dynamic blocks only */
	CHECK(hist_of(&h, "2001:db8::20") == 1);  /* an unblock does not undo history */
	CHECK(hist_of(&h, "198.51.100.21") == 0); /* permanent only */
	CHECK(peek("SELECT permanent_blocks FROM block_history WHERE ip = '198.51.100.20'", NULL, 0) == 1);
	CHECK(peek("SELECT permanent_blocks FROM block_history WHERE ip = '198.51.100.21'", NULL, 0) == 1);
	CHECK(peek("SELECT first_us FROM block_history WHERE ip = '198.51.100.20'", NULL, 0) == (long long)T0);
	CHECK(peek("SELECT last_us FROM block_history WHERE ip = '198.51.100.20'", NULL, 0) ==
	      (long long)(T0 + 5000 * SEC));
	store_close(s);
	remove_db();
}

static void on_list(void *ctx, const struct store_list_entry *e)
{
	struct { int n; struct store_list_entry e[8]; } *c = ctx;
	if (c->n < 8)
		c->e[c->n] = *e;
	c->n++;
}

static void test_lists(void)
{
	struct store *s = open_db();
	struct { int n; struct store_list_entry e[8]; } c;
	struct ipprefix a = pfx("198.51.100.5"), b = pfx("2001:db8::/32"), n = pfx("203.0.113.0/24");
	CHECK(store_list_add(s, "whitelist", &b, "office v6", T0 + 2) == 0);
	CHECK(store_list_add(s, "whitelist", &a, "alice's \"phone\"", T0 + 1) == 0);
	CHECK(store_list_add(s, "blacklist", &n, NULL, T0) == 0);
	CHECK(store_list_add(s, "greylist", &a, "x", T0) == -1);
	CHECK(strstr(store_error(s), "whitelist") != NULL);

	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "whitelist", on_list, &c) == 0 && c.n == 2);
	/* ordered by added_us */
	CHECK(ip_eq(&c.e[0].ip.addr, &a.addr) && c.e[0].ip.plen == 128 &&
	      strcmp(c.e[0].comment, "alice's \"phone\"") == 0 && c.e[0].added_us == T0 + 1);
	CHECK(ip_eq(&c.e[1].ip.addr, &b.addr) && c.e[1].ip.plen == 32 &&
	      strcmp(c.e[1].comment, "office v6") == 0);
	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "blacklist", on_list, &c) == 0 && c.n == 1);
	CHECK(c.e[0].ip.plen == 120 && c.e[0].comment[0] == '\0');

	/* adding again replaces the comment and time */
	CHECK(store_list_add(s, "whitelist", &a, "alice, desk", T0 + 10) == 0);
	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "whitelist", on_list, &c) == 0 && c.n == 2);
	CHECK(strcmp(c.e[1].comment, "alice, desk") == 0 && c.e[1].added_us == T0 + 10);

	/* the same address in both lists are separate entries; del removes one */
	CHECK(store_list_add(s, "blacklist", &a, "", T0 + 20) == 0);
	CHECK(store_list_del(s, "whitelist", &a) == 0);
	CHECK(store_list_del(s, "whitelist", &n) == 0); /* not there: no error */
	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "whitelist", on_list, &c) == 0 && c.n == 1 &&
	      ip_eq(&c.e[0].ip.addr, &b.addr));
	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "blacklist", on_list, &c) == 0 && c.n == 2);

	/* a long comment is cut, not overflowed */
	char longc[400];
	memset(longc, 'c', sizeof longc - 1);
	longc[sizeof longc - 1] = '\0';
	CHECK(store_list_add(s, "whitelist", &n, longc, T0 + 30) == 0);
	memset(&c, 0, sizeof c);
	CHECK(store_list_get(s, "whitelist", on_list, &c) == 0 && c.n == 2);
	CHECK(strlen(c.e[1].comment) == sizeof c.e[1].comment - 1);
	store_close(s);
	remove_db();
}

static void test_events_query(void)
{
	struct store *s = open_db();
	struct lines c;
	/* 8 events: times T0+0..T0+6 s, two at T0+3 s */
	CHECK(put(s, EVT_ANOMALY, "198.51.100.1", DET_ANOMALY, T0 + 0 * SEC, -1) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.1", DET_BAD_REGISTRATION, T0 + 1 * SEC, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "2001:db8::1", DET_SCANNER, T0 + 2 * SEC, 60) == 0);
	CHECK(put(s, EVT_ALERT, "198.51.100.2", DET_SCANNER, T0 + 3 * SEC, -1) == 0);
	CHECK(put(s, EVT_ANOMALY, "2001:db8::1", DET_ANOMALY, T0 + 3 * SEC, -1) == 0);
	CHECK(put(s, EVT_UNBLOCK, "198.51.100.1", DET_BAD_REGISTRATION, T0 + 4 * SEC, -1) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.1", DET_SCANNER, T0 + 5 * SEC, 60) == 0);
	/* logged out of order: still sorted by time */
	CHECK(put(s, EVT_ANOMALY, "203.0.113.9", DET_ANOMALY, T0 + 6 * SEC - 1, -1) == 0);

	CHECK(events(s, 0, 0, NULL, NULL, &c) == 8);
	CHECK(strstr(c.l[0], "\"ip\":\"203.0.113.9\"") && strstr(c.l[0], "\"time\":\"2026-11-27T08:00:05.999Z\""));
	CHECK(strstr(c.l[1], "\"event\":\"block\"") && strstr(c.l[1], "\"detector\":\"scanner\""));
	/* same time: the later insert first */
	CHECK(strstr(c.l[3], "\"event\":\"anomaly\"") && strstr(c.l[3], "2001:db8::1"));
	CHECK(strstr(c.l[4], "\"event\":\"alert\""));
	CHECK(strstr(c.l[7], "\"time\":\"2026-11-27T08:00:00.000Z\""));
	for (int i = 0; i < 8; i++)
		CHECK(c.l[i][0] == '{' && c.l[i][strlen(c.l[i]) - 1] == '}');

	CHECK(events(s, T0 + 3 * SEC, 0, NULL, NULL, &c) == 5);            /* since, inclusive */
	CHECK(events(s, T0 + 3 * SEC + 1, 0, NULL, NULL, &c) == 3);
	CHECK(events(s, 0, 2, NULL, NULL, &c) == 2 && strstr(c.l[0], "203.0.113.9"));
	CHECK(events(s, 0, 1, NULL, NULL, &c) == 1);
	CHECK(events(s, 0, 0, "scanner", NULL, &c) == 3);
	CHECK(strstr(c.l[0], "08:00:05.000Z") && strstr(c.l[2], "08:00:02.000Z"));
	CHECK(events(s, 0, 0, "anomaly", NULL, &c) == 3);
	CHECK(events(s, 0, 0, "manual", NULL, &c) == 0);
	CHECK(events(s, 0, 0, NULL, "198.51.100.1", &c) == 4);
	CHECK(strstr(c.l[0], "08:00:05.000Z") && strstr(c.l[3], "08:00:00.000Z"));
	CHECK(events(s, 0, 0, NULL, "2001:DB8:0::1", &c) == 2); /* normalised */
	CHECK(events(s, 0, 0, "scanner", "198.51.100.1", &c) == 1);
	CHECK(events(s, T0 + 1 * SEC, 2, "bad_registration", "198.51.100.1", &c) == 2);
	CHECK(strstr(c.l[0], "\"event\":\"unblock\""));
	CHECK(events(s, 0, 0, NULL, "not an address", &c) == 0);

	/* purge */
	CHECK(store_purge(s, T0 + 3 * SEC) == 3);
	CHECK(events(s, 0, 0, NULL, NULL, &c) == 5);
	CHECK(strstr(c.l[4], "08:00:03.000Z") != NULL);
	CHECK(store_purge(s, T0 + 3 * SEC) == 0);
	/* blocks still running are kept (ends T0+62 s and T0+65 s) */
	struct blocks b;
	CHECK(active(s, T0 + 6 * SEC, &b) == 2);
	CHECK(peek("SELECT count(*) FROM blocks", NULL, 0) == 2);
	CHECK(store_purge(s, UINT64_MAX) == 5);
	CHECK(events(s, 0, 0, NULL, NULL, &c) == 0);
	store_close(s);
	remove_db();
}

/* Blocks that expired without an unblock (daemon down) are forgotten by
 * purge; permanent and running blocks stay. */
struct top {
	char ip[64][IP_STRLEN];
	uint64_t n[64];
	int k;
};

static void top_one(void *ctx, const char *ip, uint64_t count)
{
	struct top *t = ctx;
	if (t->k < 64) {
		snprintf(t->ip[t->k], IP_STRLEN, "%s", ip);
		t->n[t->k++] = count;
	}
}

/* store_attackers and store_hourly (the admin page's dashboard): attacks are
 * block and alert events except manual and blacklist blocks. */
static void test_attack_stats(void)
{
	snprintf(dbpath + strlen(dir), sizeof dbpath - strlen(dir), "/stats.db");
	struct store *s = open_db();
	uint64_t H = 3600 * SEC;
	CHECK(put(s, EVT_BLOCK, "203.0.113.1", DET_SCANNER, T0 + 10 * SEC, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.1", DET_BAD_REGISTRATION, T0 + H + 10 * SEC, 60) == 0);
	CHECK(put(s, EVT_ALERT, "203.0.113.1", DET_SCANNER, T0 + 2 * H, -1) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.2", DET_FLOOD, T0 + 2 * H + 5 * SEC, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.3", DET_MANUAL, T0 + 2 * H, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.4", DET_BLACKLIST, T0 + 2 * H, 0) == 0);
	CHECK(put(s, EVT_UNBLOCK, "203.0.113.2", DET_FLOOD, T0 + 3 * H, -1) == 0);
	CHECK(put(s, EVT_ANOMALY, "203.0.113.5", DET_ANOMALY, T0 + 3 * H, -1) == 0);
	CHECK(put(s, EVT_BLOCK, "203.0.113.6", DET_SCANNER, T0 - 10 * SEC, 60) == 0);
	struct top t = { .k = 0 };
	CHECK(store_attackers(s, T0, 10, top_one, &t) == 0);
	CHECK(t.k == 2 && !strcmp(t.ip[0], "203.0.113.1") && t.n[0] == 3 && !strcmp(t.ip[1], "203.0.113.2") && t.n[1] == 1);
	t.k = 0;
	CHECK(store_attackers(s, T0, 1, top_one, &t) == 0 && t.k == 1);
	uint32_t c[5];
	CHECK(store_hourly(s, T0, 5, c) == 0);
	CHECK(c[0] == 1 && c[1] == 1 && c[2] == 2 && c[3] == 0 && c[4] == 0);
	CHECK(store_hourly(s, T0 + H, 1, c) == 0 && c[0] == 1);
	store_close(s);
	snprintf(dbpath + strlen(dir), sizeof dbpath - strlen(dir), "/sipwarden.db");
}

static void test_purge_blocks(void)
{
	struct store *s = open_db();
	struct blocks c;
	CHECK(put(s, EVT_BLOCK, "198.51.100.90", DET_FLOOD, T0, 60) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.91", DET_FLOOD, T0, 0) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.92", DET_FLOOD, T0, 7200) == 0);
	CHECK(store_purge(s, T0 + 60 * SEC) == 3); /* the events; a block ending at T0+60 s stays */
	CHECK(peek("SELECT count(*) FROM blocks", NULL, 0) == 3);
	CHECK(store_purge(s, T0 + 3600 * SEC) == 0);
	CHECK(peek("SELECT count(*) FROM blocks", NULL, 0) == 2);
	CHECK(active(s, T0 + 3600 * SEC, &c) == 2 && find_block(&c, "198.51.100.91") &&
	      find_block(&c, "198.51.100.92"));
	struct hist h = { 0 };
	CHECK(store_history(s, on_hist, &h) == 0 && h.n == 3); /* history stays */
	store_close(s);
	remove_db();
}

static void test_evidence(void)
{
	struct store *s = open_db();
	struct evidence ev;
	memset(&ev, 0, sizeof ev);
	snprintf(ev.user_agent, sizeof ev.user_agent, "friendly-scanner \"x\"");
	evd_add_user(&ev, (struct slice){ "100", 3 });
	evd_add_user(&ev, (struct slice){ "admin", 5 });
	evd_add_code(&ev, 401);
	evd_add_code(&ev, 403);
	struct event e = ev_make(EVT_BLOCK, "198.51.100.30", DET_BAD_REGISTRATION, T0, 60);
	e.ev = &ev;
	e.count = 20;
	e.window_s = 60;
	char line[4096];
	size_t len = evt_json(&e, line, sizeof line);
	CHECK(store_event(s, &e) == 0);

	struct blocks c;
	CHECK(active(s, T0, &c) == 1);
	const char *got = c.b[0].evidence;
	const char *want = strstr(line, "\"evidence\":") + strlen("\"evidence\":");
	CHECK(strlen(got) == (size_t)(line + len - 1 - want) && strncmp(got, want, strlen(got)) == 0);
	CHECK(strcmp(got, "{\"user_agent\":\"friendly-scanner \\\"x\\\"\",\"usernames\":[\"100\",\"admin\"],"
	                  "\"responses\":[401,403]}") == 0);
	struct lines l;
	CHECK(events(s, 0, 0, NULL, NULL, &l) == 1 && strcmp(l.l[0], line) == 0);

	/* no evidence: "" */
	CHECK(put(s, EVT_BLOCK, "198.51.100.31", DET_SCANNER, T0, 60) == 0);
	CHECK(active(s, T0, &c) == 2 && find_block(&c, "198.51.100.31")->evidence[0] == '\0');

	/* a line too long for 4096 bytes drops evidence and instance from the
	 * line, stays valid JSON, and the block is still stored */
	char inst[3000];
	memset(inst, '"', sizeof inst - 1);
	inst[sizeof inst - 1] = '\0';
	e = ev_make(EVT_BLOCK, "198.51.100.32", DET_SCANNER, T0 + 1, 60);
	e.ev = &ev;
	e.instance = inst;
	CHECK(store_event(s, &e) == 0);
	CHECK(events(s, T0 + 1, 0, NULL, NULL, &l) == 1);
	CHECK(l.l[0][strlen(l.l[0]) - 1] == '}' && !strstr(l.l[0], "evidence") && !strstr(l.l[0], "instance"));
	CHECK(active(s, T0, &c) == 3);
	const struct store_block *b = find_block(&c, "198.51.100.32");
	CHECK(b && b->evidence[0] == '\0' && strlen(b->instance) == sizeof b->instance - 1);
	store_close(s);
	remove_db();
}

/* Everything written survives close and open (a daemon restart). */
static void test_reopen(void)
{
	struct store *s = open_db();
	struct ipprefix w = pfx("198.51.100.40");
	CHECK(put(s, EVT_BLOCK, "198.51.100.41", DET_FLOOD, T0, 600) == 0);
	CHECK(put(s, EVT_BLOCK, "2001:db8::41", DET_SCANNER, T0, 0) == 0);
	CHECK(put(s, EVT_BLOCK, "198.51.100.42", DET_SCANNER, T0, 30) == 0);
	CHECK(put(s, EVT_UNBLOCK, "198.51.100.42", DET_SCANNER, T0 + 30 * SEC, -1) == 0);
	CHECK(store_list_add(s, "whitelist", &w, "gateway", T0) == 0);
	store_close(s);
	CHECK(!file_exists("-wal")); /* a clean close checkpoints */

	s = open_db();
	struct blocks c;
	struct hist h = { 0 };
	struct lines l;
	struct { int n; struct store_list_entry e[8]; } le = { 0 };
	CHECK(active(s, T0 + 60 * SEC, &c) == 2);
	CHECK(find_block(&c, "198.51.100.41") && find_block(&c, "2001:db8::41")->permanent);
	CHECK(store_history(s, on_hist, &h) == 0 && h.n == 3 && hist_of(&h, "198.51.100.42") == 1);
	CHECK(events(s, 0, 0, NULL, NULL, &l) == 4);
	CHECK(store_list_get(s, "whitelist", on_list, &le) == 0 && le.n == 1 &&
	      strcmp(le.e[0].comment, "gateway") == 0);
	store_close(s);
	remove_db();
}

/* A writer killed without store_close: what it committed is there after
 * reopening, what it had not committed is not. */
static void test_crash(bool kill9)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		exit(2);
	}
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		close(fds[0]);
		struct store *s = store_open(dbpath, err, sizeof err);
		if (!s)
			_exit(3);
		if (store_begin(s) || put(s, EVT_BLOCK, "198.51.100.50", DET_FLOOD, T0, 600) ||
		    put(s, EVT_BLOCK, "2001:db8::50", DET_FLOOD, T0, 0) || store_commit(s))
			_exit(4);
		if (store_begin(s) || put(s, EVT_BLOCK, "198.51.100.51", DET_FLOOD, T0, 600))
			_exit(5); /* never committed */
		if (write(fds[1], "x", 1) != 1)
			_exit(6);
		if (!kill9)
			_exit(0);
		for (;;)
			pause();
	}
	close(fds[1]);
	char x;
	CHECK(read(fds[0], &x, 1) == 1);
	close(fds[0]);
	if (kill9)
		kill(pid, SIGKILL);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(kill9 ? (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
	            : (WIFEXITED(status) && WEXITSTATUS(status) == 0));
	CHECK(file_exists("-wal")); /* the committed data is only in the log */

	struct store *s = open_db();
	struct blocks c;
	CHECK(active(s, T0, &c) == 2);
	CHECK(find_block(&c, "198.51.100.50") && find_block(&c, "2001:db8::50"));
	CHECK(!find_block(&c, "198.51.100.51"));
	CHECK(peek("SELECT count(*) FROM events", NULL, 0) == 2);
	/* and the database takes writes again */
	CHECK(put(s, EVT_UNBLOCK, "198.51.100.50", DET_FLOOD, T0 + 600 * SEC, -1) == 0);
	CHECK(active(s, T0, &c) == 1);
	store_close(s);
	remove_db();
}

/* A reader on its own connection is not blocked by a writer's open
 * transaction and sees only committed data. */
static void test_reader_writer(void)
{
	struct store *w = open_db(), *r = open_db();
	struct blocks c;
	CHECK(put(w, EVT_BLOCK, "198.51.100.60", DET_FLOOD, T0, 600) == 0);
	CHECK(store_begin(w) == 0);
	CHECK(put(w, EVT_BLOCK, "198.51.100.61", DET_FLOOD, T0, 600) == 0);
	double t = now_ms();
	CHECK(active(r, T0, &c) == 1);
	CHECK(now_ms() - t < 1000); /* did not wait for the writer's lock */
	CHECK(store_begin(w) == -1); /* already in a transaction */
	CHECK(store_commit(w) == 0);
	CHECK(active(r, T0, &c) == 2);
	store_close(r);
	store_close(w);
	remove_db();
}

static void nested(void *ctx, const struct store_block *b)
{
	struct store *s = ctx;
	struct blocks inner;
	memset(&inner, 0, sizeof inner);
	(void)b;
	/* the same query from its own callback is refused; others work */
	CHECK(store_blocks_active(s, T0, on_block, &inner) == -1);
	CHECK(strstr(store_error(s), "callback") != NULL);
	struct lines l;
	CHECK(events(s, 0, 0, NULL, NULL, &l) == 1);
}

static void test_reentry(void)
{
	struct store *s = open_db();
	CHECK(put(s, EVT_BLOCK, "198.51.100.70", DET_FLOOD, T0, 600) == 0);
	CHECK(store_blocks_active(s, T0, nested, s) == 0);
	struct blocks c;
	CHECK(active(s, T0, &c) == 1); /* the statement is usable again */
	store_close(s);
	remove_db();
}

static void test_batch(void)
{
	struct store *s = open_db();
	char ip[IP_STRLEN];
	double t = now_ms();
	CHECK(store_begin(s) == 0);
	int bad = 0;
	for (int i = 0; i < 10000; i++) {
		snprintf(ip, sizeof ip, "198.51.%d.%d", 100 + (i >> 8) % 4, i & 255);
		enum evt_type ty = i % 10 == 0 ? EVT_BLOCK : EVT_ANOMALY;
		bad += put(s, ty, ip, ty == EVT_BLOCK ? DET_FLOOD : DET_ANOMALY, T0 + (uint64_t)i, 600) != 0;
	}
	CHECK(store_commit(s) == 0);
	double ms = now_ms() - t;
	CHECK(bad == 0);
	long n = 0;
	CHECK(store_events(s, 0, 0, NULL, NULL, on_count, &n) == 0 && n == 10000);
	n = 0;
	CHECK(store_events(s, 0, 0, "flood", NULL, on_count, &n) == 0 && n == 1000);
	printf("store: 10000 events in one transaction: %.1f ms (%.1f us/event)\n", ms, ms * 1000 / 10000);

	/* for comparison: each event its own transaction */
	t = now_ms();
	for (int i = 0; i < 1000; i++)
		bad += put(s, EVT_ANOMALY, "203.0.113.1", DET_ANOMALY, T0 + 20000 + (uint64_t)i, -1) != 0;
	ms = now_ms() - t;
	CHECK(bad == 0);
	printf("store: 1000 events, one transaction each: %.1f ms (%.1f us/event)\n", ms, ms * 1000 / 1000);
	CHECK(store_purge(s, T0 + 5000) == 5000);
	store_close(s);
	remove_db();
}

static void test_bad_input(void)
{
	char err[256] = "";
	char p[200];
	snprintf(p, sizeof p, "%s/missing/sw.db", dir);
	CHECK(store_open(p, err, sizeof err) == NULL);
	CHECK_MSG(strstr(err, p) && strstr(err, "unable to open"), "%s", err);

	/* a file that is not a database */
	FILE *f = fopen(dbpath, "w");
	CHECK(f != NULL);
	for (int i = 0; f && i < 200; i++)
		fputs("this is not an SQLite database, just a text file\n", f);
	if (f)
		fclose(f);
	err[0] = '\0';
	CHECK(store_open(dbpath, err, sizeof err) == NULL);
	CHECK_MSG(strstr(err, "not a database") != NULL, "%s", err);
	remove_db();

	/* a database from a newer version of the program */
	sqlite3 *db;
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	CHECK(store_open(dbpath, err, sizeof err) == NULL);
	CHECK_MSG(strstr(err, "schema version 2") != NULL, "%s", err);
	remove_db();

	/* no room for the message: still NULL, no overflow */
	CHECK(store_open(p, NULL, 0) == NULL);
	CHECK(store_open(p, err, 1) == NULL && err[0] == '\0');

	/* a row another program wrote with a bad address is skipped */
	struct store *s = open_db();
	CHECK(put(s, EVT_BLOCK, "198.51.100.80", DET_FLOOD, T0, 600) == 0);
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO blocks VALUES ('garbage', 'x', 'y', NULL, NULL, 0, 0, 1)",
	                   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	struct blocks c;
	CHECK(active(s, T0, &c) == 1);
	store_close(s);
	remove_db();
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/sw-store.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(dbpath, sizeof dbpath, "%s/sipwarden.db", dir);
	test_open_schema();
	test_blocks();
	test_history();
	test_lists();
	test_events_query();
	test_purge_blocks();
	test_evidence();
	test_reopen();
	test_crash(true);
	test_crash(false);
	test_reader_writer();
	test_reentry();
	test_batch();
	test_bad_input();
	test_attack_stats();
	remove_dir();
	return T_DONE();
}
