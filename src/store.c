/* store: persistence in SQLite (WAL).  Every statement is prepared once in
 * store_open and reused (reset and cleared after each use); values are
 * always bound, never formatted into SQL. */
#include "store.h"
#include "sqlu.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 1
#define LINE_SIZE 4096 /* one event's JSON line */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS blocks ("
	" ip TEXT PRIMARY KEY, detector TEXT NOT NULL, reason TEXT NOT NULL,"
	" instance TEXT, evidence TEXT, start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL, permanent INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS block_history ("
	" ip TEXT PRIMARY KEY, dynamic_blocks INTEGER NOT NULL,"
	" permanent_blocks INTEGER NOT NULL, first_us INTEGER NOT NULL,"
	" last_us INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events ("
	" id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, event TEXT NOT NULL,"
	" ip TEXT NOT NULL, detector TEXT NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_time ON events (time_us);"
	"CREATE INDEX IF NOT EXISTS events_detector_time ON events (detector, time_us);"
	"CREATE INDEX IF NOT EXISTS events_ip_time ON events (ip, time_us);"
	"CREATE TABLE IF NOT EXISTS lists ("
	" list TEXT NOT NULL CHECK (list IN ('whitelist', 'blacklist')),"
	" ip TEXT NOT NULL, comment TEXT NOT NULL, added_us INTEGER NOT NULL,"
	" PRIMARY KEY (list, ip));"
	"PRAGMA user_version = 1;"; /* = SCHEMA_VERSION */

enum {
	Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO, Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_EVENT_ADD, Q_BLOCK_ADD, Q_HISTORY_ADD, Q_BLOCK_DEL,
	Q_BLOCKS_ACTIVE, Q_HISTORY,
	Q_LIST_ADD, Q_LIST_DEL, Q_LIST_GET,
	/* the four event queries, in this order: + 1 with a detector, + 2 with an ip */
	Q_EVENTS, Q_EVENTS_DET, Q_EVENTS_IP, Q_EVENTS_DET_IP,
	Q_PURGE, Q_PURGE_BLOCKS, Q_ATTACKERS, Q_HOURLY,
	Q__COUNT
};

#define EVENTS_TAIL " time_us >= ?1 ORDER BY time_us DESC, id DESC LIMIT ?4"

static const char *const sql[Q__COUNT] = {
	[Q_SAVEPOINT] = "SAVEPOINT store_event",
	[Q_RELEASE] = "RELEASE store_event",
	[Q_ROLLBACK_TO] = "ROLLBACK TO store_event",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_EVENT_ADD] = "INSERT INTO events (time_us, event, ip, detector, json)"
	                " VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_BLOCK_ADD] = "INSERT OR REPLACE INTO blocks (ip, detector, reason, instance,"
	                " evidence, start_us, end_us, permanent)"
	                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_HISTORY_ADD] = "INSERT INTO block_history (ip, dynamic_blocks, permanent_blocks,"
	                  " first_us, last_us) VALUES (?1, ?2, ?3, ?4, ?4)"
	                  " ON CONFLICT (ip) DO UPDATE SET"
	                  " dynamic_blocks = dynamic_blocks + excluded.dynamic_blocks,"
	                  " permanent_blocks = permanent_blocks + excluded.permanent_blocks,"
	                  " first_us = min(first_us, excluded.first_us),"
	                  " last_us = max(last_us, excluded.last_us)",
	[Q_BLOCK_DEL] = "DELETE FROM blocks WHERE ip = ?1",
	[Q_BLOCKS_ACTIVE] = "SELECT ip, detector, reason, instance, evidence, start_us, end_us,"
	                    " permanent FROM blocks WHERE permanent <> 0 OR end_us > ?1"
	                    " ORDER BY start_us, ip",
	[Q_HISTORY] = "SELECT ip, dynamic_blocks FROM block_history ORDER BY ip",
	[Q_LIST_ADD] = "INSERT OR REPLACE INTO lists (list, ip, comment, added_us)"
	               " VALUES (?1, ?2, ?3, ?4)",
	[Q_LIST_DEL] = "DELETE FROM lists WHERE list = ?1 AND ip = ?2",
	[Q_LIST_GET] = "SELECT ip, comment, added_us FROM lists WHERE list = ?1"
	               " ORDER BY added_us, rowid",
	/* Each uses ?4 so that all four parameters can always be bound. */
	[Q_EVENTS] = "SELECT json FROM events WHERE" EVENTS_TAIL,
	[Q_EVENTS_DET] = "SELECT json FROM events WHERE detector = ?2 AND" EVENTS_TAIL,
	[Q_EVENTS_IP] = "SELECT json FROM events WHERE ip = ?3 AND" EVENTS_TAIL,
	[Q_EVENTS_DET_IP] = "SELECT json FROM events WHERE detector = ?2 AND ip = ?3 AND" EVENTS_TAIL,
	[Q_PURGE] = "DELETE FROM events WHERE time_us < ?1",
	[Q_PURGE_BLOCKS] = "DELETE FROM blocks WHERE permanent = 0 AND end_us < ?1",
	/* attacks: block and alert events, not an administrator's own blocks */
	[Q_ATTACKERS] = "SELECT ip, count(*) FROM events WHERE time_us >= ?1 AND event IN ('block', 'alert')"
	                " AND detector NOT IN ('manual', 'blacklist') GROUP BY ip ORDER BY 2 DESC, ip LIMIT ?2",
	[Q_HOURLY] = "SELECT (time_us - ?1) / 3600000000, count(*) FROM events WHERE time_us >= ?1"
	             " AND time_us < ?2 AND event IN ('block', 'alert')"
	             " AND detector NOT IN ('manual', 'blacklist') GROUP BY 1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *q[Q__COUNT];
	char err[256];
};

/* ---- small helpers ---- */

static int fail(struct store *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

static int fail_msg(struct store *s, const char *what, const char *msg)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, msg);
	return -1;
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}


/* Steps a statement that returns no rows, then resets it.  Returns 0 or -1. */
static int run(struct store *s, int q, const char *what)
{
	int rc = sqlite3_step(s->q[q]);
	int ret = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, what);
	sqlu_done(s->q[q]);
	return ret;
}

static int bind_fail(struct store *s, int q, const char *what)
{
	fail(s, what);
	sqlu_done(s->q[q]);
	return -1;
}

/* Gets a query statement for iteration; NULL when it is already being
 * iterated (a callback called back into the same query). */
static sqlite3_stmt *query(struct store *s, int q, const char *what)
{
	if (sqlite3_stmt_busy(s->q[q])) {
		fail_msg(s, what, "called again from its own callback");
		return NULL;
	}
	return s->q[q];
}

/* Ends an iteration: rc is the last sqlite3_step result. */
static int query_end(struct store *s, sqlite3_stmt *st, int rc, const char *what)
{
	int ret = rc == SQLITE_DONE ? 0 : fail(s, what);
	sqlu_done(st);
	return ret;
}

/* ---- open / close ---- */

static void set_err(char *err, size_t errlen, const char *path, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, msg);
}

/* Runs a one-off statement and copies the first column of its first row. */
static int pragma(sqlite3 *db, const char *q, char *out, size_t n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (out && n) {
		out[0] = '\0';
		if (rc == SQLITE_ROW)
			sqlu_text(out, n, st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int setup(struct store *s, const char *path, char *err, size_t errlen)
{
	char v[32];
	if (pragma(s->db, "PRAGMA busy_timeout = 5000", NULL, 0) ||
	    pragma(s->db, "PRAGMA journal_mode = WAL", v, sizeof v))
		goto db_error;
	if (strcmp(v, "wal") != 0) {
		set_err(err, errlen, path, "cannot use WAL journal mode");
		return -1;
	}
	if (pragma(s->db, "PRAGMA synchronous = NORMAL", NULL, 0) ||
	    pragma(s->db, "PRAGMA foreign_keys = ON", NULL, 0) ||
	    pragma(s->db, "PRAGMA user_version", v, sizeof v))
		goto db_error;
	long version = strtol(v, NULL, 10);
	if (version > SCHEMA_VERSION) {
		char msg[96];
		snprintf(msg, sizeof msg, "schema version %ld is newer than this program's (%d)",
		         version, SCHEMA_VERSION);
		set_err(err, errlen, path, msg);
		return -1;
	}
	if (version < SCHEMA_VERSION) {
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			goto db_error;
		if (sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			set_err(err, errlen, path, sqlite3_errmsg(s->db));
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (sqlu_prepare_all(s->db, sql, s->q, Q__COUNT) != 0)
		goto db_error;
	return 0;
db_error:
	set_err(err, errlen, path, sqlite3_errmsg(s->db));
	return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s) {
		set_err(err, errlen, path, "out of memory");
		return NULL;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		set_err(err, errlen, path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return NULL;
	}
	if (setup(s, path, err, errlen) != 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlu_close(s->db, s->q, Q__COUNT);
	free(s);
}

const char *store_error(const struct store *s)
{
	if (!s)
		return "no store";
	return s->err[0] ? s->err : sqlite3_errmsg(s->db);
}

/* ---- transactions ---- */

int store_begin(struct store *s)
{
	return run(s, Q_BEGIN, "begin");
}

int store_commit(struct store *s)
{
	if (run(s, Q_COMMIT, "commit") == 0)
		return 0;
	if (!sqlite3_get_autocommit(s->db)) {
		char keep[sizeof s->err];
		memcpy(keep, s->err, sizeof keep);
		run(s, Q_ROLLBACK, "rollback");
		memcpy(s->err, keep, sizeof keep);
	}
	return -1;
}

/* ---- events ---- */

/* The event's JSON line.  When it does not fit, the evidence and then the
 * instance are left out of the line so that it stays valid JSON (without
 * both it is far below LINE_SIZE). */
static size_t event_line(const struct event *e, char *buf, size_t n)
{
	struct event c = *e;
	size_t len = evt_json(&c, buf, n);
	if (len + 1 >= n && c.ev) {
		c.ev = NULL;
		len = evt_json(&c, buf, n);
	}
	if (len + 1 >= n && c.instance) {
		c.instance = NULL;
		len = evt_json(&c, buf, n);
	}
	return len;
}

static int add_event_row(struct store *s, const struct event *e, const char *ip,
                         const char *line, size_t len)
{
	sqlite3_stmt *st = s->q[Q_EVENT_ADD];
	if (sqlite3_bind_int64(st, 1, sqlu_i64(e->ts_us)) ||
	    bind_text(st, 2, evt_type_name(e->type)) || bind_text(st, 3, ip) ||
	    bind_text(st, 4, det_name(e->det)) ||
	    sqlite3_bind_text(st, 5, line, (int)len, SQLITE_STATIC))
		return bind_fail(s, Q_EVENT_ADD, "store_event");
	return run(s, Q_EVENT_ADD, "store_event");
}

static int add_block(struct store *s, const struct event *e, const char *ip,
                     const char *line, size_t len)
{
	/* The evidence object is the last member of the line: from the key to
	 * the line's closing brace.  ,"evidence": cannot occur inside an escaped
	 * string (a quote there is always preceded by a backslash). */
	static const char key[] = ",\"evidence\":{";
	const char *evp = e->ev ? strstr(line, key) : NULL;
	int evlen = 0;
	if (evp) {
		evp += sizeof key - 2; /* at the '{' */
		evlen = (int)(line + len - 1 - evp);
	}
	bool perm = e->duration_s == 0;
	sqlite3_int64 start = sqlu_i64(e->ts_us), end = 0;
	if (!perm)
		end = (uint64_t)e->duration_s > (uint64_t)(INT64_MAX - start) / 1000000
		              ? INT64_MAX : start + (sqlite3_int64)e->duration_s * 1000000;
	sqlite3_stmt *st = s->q[Q_BLOCK_ADD];
	if (bind_text(st, 1, ip) || bind_text(st, 2, det_name(e->det)) ||
	    bind_text(st, 3, e->reason) || bind_text(st, 4, e->instance) ||
	    (evp ? sqlite3_bind_text(st, 5, evp, evlen, SQLITE_STATIC)
	         : sqlite3_bind_text(st, 5, "", 0, SQLITE_STATIC)) ||
	    sqlite3_bind_int64(st, 6, start) || sqlite3_bind_int64(st, 7, end) ||
	    sqlite3_bind_int(st, 8, perm))
		return bind_fail(s, Q_BLOCK_ADD, "store_event");
	if (run(s, Q_BLOCK_ADD, "store_event"))
		return -1;
	st = s->q[Q_HISTORY_ADD];
	/* block_threshold counts the detectors' dynamic blocks, as the verdict
	 * does: a block by hand or from the blacklist is not one */
	bool dynamic = !perm && e->det != DET_MANUAL && e->det != DET_BLACKLIST;
	if (bind_text(st, 1, ip) || sqlite3_bind_int(st, 2, dynamic) ||
	    sqlite3_bind_int(st, 3, perm) || sqlite3_bind_int64(st, 4, start))
		return bind_fail(s, Q_HISTORY_ADD, "store_event");
	return run(s, Q_HISTORY_ADD, "store_event");
}

static int del_block(struct store *s, const char *ip)
{
	if (bind_text(s->q[Q_BLOCK_DEL], 1, ip))
		return bind_fail(s, Q_BLOCK_DEL, "store_event");
	return run(s, Q_BLOCK_DEL, "store_event");
}

int store_event(struct store *s, const struct event *e)
{
	char line[LINE_SIZE], ip[IP_STRLEN];
	if (e->type >= EVT__COUNT)
		return fail_msg(s, "store_event", "unknown event type");
	if (e->type == EVT_BLOCK && e->duration_s < 0)
		return fail_msg(s, "store_event", "block without a duration");
	size_t len = event_line(e, line, sizeof line);
	prefix_format(&e->ip, ip);
	/* A savepoint makes the rows of one event all-or-nothing, inside or
	 * outside a store_begin transaction. */
	if (run(s, Q_SAVEPOINT, "store_event"))
		return -1;
	int ret = add_event_row(s, e, ip, line, len);
	if (ret == 0 && e->type == EVT_BLOCK)
		ret = add_block(s, e, ip, line, len);
	else if (ret == 0 && e->type == EVT_UNBLOCK)
		ret = del_block(s, ip);
	if (ret == 0)
		return run(s, Q_RELEASE, "store_event");
	char keep[sizeof s->err];
	memcpy(keep, s->err, sizeof keep);
	run(s, Q_ROLLBACK_TO, "store_event");
	run(s, Q_RELEASE, "store_event");
	memcpy(s->err, keep, sizeof keep);
	return -1;
}

int store_events(struct store *s, uint64_t since_us, unsigned limit, const char *detector,
                 const char *ip, void (*fn)(void *ctx, const char *json), void *ctx)
{
	static const char what[] = "store_events";
	char norm[IP_STRLEN];
	struct ipprefix p;
	if (ip && prefix_parse(&p, ip)) /* "2001:DB8::1" finds "2001:db8::1" */
		ip = prefix_format(&p, norm);
	int q = Q_EVENTS + (detector ? 1 : 0) + (ip ? 2 : 0);
	sqlite3_stmt *st = query(s, q, what);
	if (!st)
		return -1;
	if (sqlite3_bind_int64(st, 1, sqlu_i64(since_us)) || bind_text(st, 2, detector) ||
	    bind_text(st, 3, ip) || sqlite3_bind_int64(st, 4, limit ? (sqlite3_int64)limit : -1))
		return bind_fail(s, q, what);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = (const char *)sqlite3_column_text(st, 0);
		fn(ctx, json ? json : "");
	}
	return query_end(s, st, rc, what);
}

long store_purge(struct store *s, uint64_t before_us)
{
	/* Blocks that expired while the daemon was down never get an unblock
	 * event; without this their rows would stay forever. */
	if (sqlite3_bind_int64(s->q[Q_PURGE_BLOCKS], 1, sqlu_i64(before_us)))
		return bind_fail(s, Q_PURGE_BLOCKS, "store_purge");
	if (run(s, Q_PURGE_BLOCKS, "store_purge"))
		return -1;
	if (sqlite3_bind_int64(s->q[Q_PURGE], 1, sqlu_i64(before_us)))
		return bind_fail(s, Q_PURGE, "store_purge");
	if (run(s, Q_PURGE, "store_purge"))
		return -1;
	return (long)sqlite3_changes64(s->db);
}

int store_attackers(struct store *s, uint64_t since_us, unsigned limit,
                    void (*fn)(void *ctx, const char *ip, uint64_t count), void *ctx)
{
	static const char what[] = "store_attackers";
	sqlite3_stmt *st = query(s, Q_ATTACKERS, what);
	if (!st)
		return -1;
	if (sqlite3_bind_int64(st, 1, sqlu_i64(since_us)) || sqlite3_bind_int(st, 2, (int)limit))
		return bind_fail(s, Q_ATTACKERS, what);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlu_u64(st, 1));
	return query_end(s, st, rc, what);
}

int store_hourly(struct store *s, uint64_t from_us, unsigned hours, uint32_t *counts)
{
	static const char what[] = "store_hourly";
	sqlite3_stmt *st = query(s, Q_HOURLY, what);
	if (!st)
		return -1;
	memset(counts, 0, hours * sizeof *counts);
	if (sqlite3_bind_int64(st, 1, sqlu_i64(from_us)) ||
	    sqlite3_bind_int64(st, 2, sqlu_i64(from_us + (uint64_t)hours * 3600000000ULL)))
		return bind_fail(s, Q_HOURLY, what);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 h = sqlite3_column_int64(st, 0);
		if (h >= 0 && (uint64_t)h < hours)
			counts[h] = (uint32_t)sqlite3_column_int64(st, 1);
	}
	return query_end(s, st, rc, what);
}

/* ---- blocks and history ---- */

int store_blocks_active(struct store *s, uint64_t now_us,
                        void (*fn)(void *ctx, const struct store_block *b), void *ctx)
{
	static const char what[] = "store_blocks_active";
	sqlite3_stmt *st = query(s, Q_BLOCKS_ACTIVE, what);
	if (!st)
		return -1;
	if (sqlite3_bind_int64(st, 1, sqlu_i64(now_us)))
		return bind_fail(s, Q_BLOCKS_ACTIVE, what);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_block b;
		char ip[IP_STRLEN];
		memset(&b, 0, sizeof b);
		if (!sqlu_text(ip, sizeof ip, st, 0) || !prefix_parse(&b.ip, ip))
			continue; /* not an address: written by someone else, skip it */
		sqlu_text(b.detector, sizeof b.detector, st, 1);
		sqlu_text(b.reason, sizeof b.reason, st, 2);
		sqlu_text(b.instance, sizeof b.instance, st, 3);
		if (!sqlu_text(b.evidence, sizeof b.evidence, st, 4))
			b.evidence[0] = '\0'; /* never half a JSON object */
		b.start_us = sqlu_u64(st, 5);
		b.end_us = sqlu_u64(st, 6);
		b.permanent = sqlite3_column_int(st, 7) != 0;
		fn(ctx, &b);
	}
	return query_end(s, st, rc, what);
}

int store_history(struct store *s, void (*fn)(void *ctx, const struct ipprefix *ip, uint32_t n),
                  void *ctx)
{
	static const char what[] = "store_history";
	sqlite3_stmt *st = query(s, Q_HISTORY, what);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ipprefix p;
		char ip[IP_STRLEN];
		if (!sqlu_text(ip, sizeof ip, st, 0) || !prefix_parse(&p, ip))
			continue;
		uint64_t n = sqlu_u64(st, 1);
		fn(ctx, &p, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
	}
	return query_end(s, st, rc, what);
}

/* ---- runtime lists ---- */

static bool list_ok(struct store *s, const char *list, const char *what)
{
	if (list && (strcmp(list, "whitelist") == 0 || strcmp(list, "blacklist") == 0))
		return true;
	fail_msg(s, what, "list must be \"whitelist\" or \"blacklist\"");
	return false;
}

int store_list_add(struct store *s, const char *list, const struct ipprefix *ip,
                   const char *comment, uint64_t now_us)
{
	static const char what[] = "store_list_add";
	char buf[IP_STRLEN];
	if (!list_ok(s, list, what))
		return -1;
	sqlite3_stmt *st = s->q[Q_LIST_ADD];
	if (bind_text(st, 1, list) || bind_text(st, 2, prefix_format(ip, buf)) ||
	    bind_text(st, 3, comment ? comment : "") || sqlite3_bind_int64(st, 4, sqlu_i64(now_us)))
		return bind_fail(s, Q_LIST_ADD, what);
	return run(s, Q_LIST_ADD, what);
}

int store_list_del(struct store *s, const char *list, const struct ipprefix *ip)
{
	static const char what[] = "store_list_del";
	char buf[IP_STRLEN];
	if (!list_ok(s, list, what))
		return -1;
	sqlite3_stmt *st = s->q[Q_LIST_DEL];
	if (bind_text(st, 1, list) || bind_text(st, 2, prefix_format(ip, buf)))
		return bind_fail(s, Q_LIST_DEL, what);
	return run(s, Q_LIST_DEL, what);
}

int store_list_get(struct store *s, const char *list,
                   void (*fn)(void *ctx, const struct store_list_entry *e), void *ctx)
{
	static const char what[] = "store_list_get";
	if (!list_ok(s, list, what))
		return -1;
	sqlite3_stmt *st = query(s, Q_LIST_GET, what);
	if (!st)
		return -1;
	if (bind_text(st, 1, list))
		return bind_fail(s, Q_LIST_GET, what);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_list_entry e;
		char ip[IP_STRLEN];
		memset(&e, 0, sizeof e);
		if (!sqlu_text(ip, sizeof ip, st, 0) || !prefix_parse(&e.ip, ip))
			continue;
		sqlu_text(e.comment, sizeof e.comment, st, 1);
		e.added_us = sqlu_u64(st, 2);
		fn(ctx, &e);
	}
	return query_end(s, st, rc, what);
}
