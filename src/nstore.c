/* nstore: notification tables in SQLite.  Statements are prepared once and
 * reused; values are always bound, never formatted into SQL. */
#include "nstore.h"
#include "sqlu.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS outbox ("
	" id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, created_us INTEGER NOT NULL,"
	" next_us INTEGER NOT NULL, tries INTEGER NOT NULL DEFAULT 0,"
	" rcpts TEXT NOT NULL, body BLOB NOT NULL, last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS outbox_due ON outbox (kind, next_us);"
	"CREATE TABLE IF NOT EXISTS notify_digest ("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, ip TEXT NOT NULL,"
	" detector TEXT NOT NULL, reason TEXT NOT NULL, instance TEXT NOT NULL,"
	" user_agent TEXT NOT NULL, duration_s INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS notify_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

/* Attacks: block and alert events, except blocks an administrator asked for. */
#define ATTACK "event IN ('block', 'alert') AND detector NOT IN ('manual', 'blacklist')"
#define SPAN "time_us >= ?1 AND time_us < ?2"

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_ENQUEUE, Q_DUE, Q_DONE, Q_RETRY_AT, Q_RETRY_ALL, Q_EXPIRE, Q_COUNT, Q_COUNT_ALL, Q_NEXT,
	Q_DIGEST_ADD, Q_DIGEST_GET, Q_DIGEST_DEL, Q_DIGEST_COUNT,
	Q_STATE_GET, Q_STATE_SET,
	Q_SUM_EVENTS, Q_SUM_HOURLY, Q_SUM_TOP, Q_SUM_USERS, Q_SUM_ACTIVE,
	Q__COUNT
};

static const char *const sql[Q__COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_ENQUEUE] = "INSERT INTO outbox (kind, created_us, next_us, rcpts, body) VALUES (?1, ?2, ?2, ?3, ?4)",
	[Q_DUE] = "SELECT id, kind, created_us, next_us, tries, rcpts, body FROM outbox"
	          " WHERE kind = ?1 AND next_us <= ?2 ORDER BY next_us, id LIMIT 1",
	[Q_DONE] = "DELETE FROM outbox WHERE id = ?1",
	[Q_RETRY_AT] = "UPDATE outbox SET tries = tries + 1, next_us = ?2, last_error = ?3 WHERE id = ?1",
	[Q_RETRY_ALL] = "UPDATE outbox SET next_us = ?1 WHERE next_us > ?1",
	[Q_EXPIRE] = "DELETE FROM outbox WHERE created_us < ?1",
	[Q_COUNT] = "SELECT count(*) FROM outbox WHERE kind = ?1",
	[Q_COUNT_ALL] = "SELECT count(*) FROM outbox",
	[Q_NEXT] = "SELECT min(next_us) FROM outbox",
	[Q_DIGEST_ADD] = "INSERT INTO notify_digest (ts_us, ip, detector, reason, instance, user_agent, duration_s)"
	                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_DIGEST_GET] = "SELECT ts_us, ip, detector, reason, instance, user_agent, duration_s"
	                 " FROM notify_digest ORDER BY id",
	[Q_DIGEST_DEL] = "DELETE FROM notify_digest",
	[Q_DIGEST_COUNT] = "SELECT count(*) FROM notify_digest",
	[Q_STATE_GET] = "SELECT value FROM notify_state WHERE key = ?1",
	[Q_STATE_SET] = "INSERT OR REPLACE INTO notify_state (key, value) VALUES (?1, ?2)",
	[Q_SUM_EVENTS] = "SELECT event, detector, count(*),"
	                 " sum(event = 'block' AND json_extract(json, '$.duration_s') = 0)"
	                 " FROM events WHERE " SPAN " GROUP BY event, detector",
	[Q_SUM_HOURLY] = "SELECT (time_us - ?1) / 3600000000, count(*) FROM events"
	                 " WHERE " SPAN " AND " ATTACK " GROUP BY 1",
	[Q_SUM_TOP] = "SELECT ip, count(*), group_concat(DISTINCT detector), min(time_us), max(time_us)"
	              " FROM events WHERE " SPAN " AND " ATTACK
	              " GROUP BY ip ORDER BY 2 DESC, 4 LIMIT 10",
	[Q_SUM_USERS] = "SELECT u.value, count(*) FROM events,"
	                " json_each(events.json, '$.evidence.usernames') AS u"
	                " WHERE " SPAN " AND " ATTACK " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
	[Q_SUM_ACTIVE] = "SELECT count(*) FROM blocks WHERE start_us < ?2 AND (permanent <> 0 OR end_us > ?2)"
	                 " AND ?1 = ?1",
};

struct nstore {
	sqlite3 *db;
	sqlite3_stmt *q[Q__COUNT];
	char err[256];
};

static int fail(struct nstore *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* Steps a statement that returns no rows (or one ignored row). */
static int run(struct nstore *s, int q, const char *what)
{
	int rc = sqlite3_step(s->q[q]);
	int ret = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, what);
	sqlu_done(s->q[q]);
	return ret;
}

/* Steps a statement returning one integer; -1 on error. */
static long long scalar(struct nstore *s, int q, const char *what)
{
	int rc = sqlite3_step(s->q[q]);
	long long v = rc == SQLITE_ROW ? sqlite3_column_int64(s->q[q], 0) : rc == SQLITE_DONE ? 0 : -1;
	if (v < 0 && rc != SQLITE_ROW)
		fail(s, what);
	sqlu_done(s->q[q]);
	return v;
}

struct nstore *nst_open(const char *path, char *err, size_t errlen)
{
	struct nstore *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
		goto error;
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		goto error;
	if (sqlu_prepare_all(s->db, sql, s->q, Q__COUNT) != 0)
		goto error;
	return s;
error:
	snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
	nst_close(s);
	return NULL;
}

void nst_close(struct nstore *s)
{
	if (!s)
		return;
	sqlu_close(s->db, s->q, Q__COUNT);
	free(s);
}

int nst_begin(struct nstore *s) { return run(s, Q_BEGIN, "begin"); }

int nst_commit(struct nstore *s)
{
	if (run(s, Q_COMMIT, "commit") == 0)
		return 0;
	sqlite3_step(s->q[Q_ROLLBACK]);
	sqlu_done(s->q[Q_ROLLBACK]);
	return -1;
}

const char *nst_error(const struct nstore *s) { return s->err; }

void nst_msg_free(struct nst_msg *m)
{
	free(m->rcpts);
	free(m->body);
	memset(m, 0, sizeof *m);
}

int nst_enqueue(struct nstore *s, enum nst_kind kind, const char *rcpts, const char *body,
                size_t len, uint64_t now_us)
{
	sqlite3_stmt *st = s->q[Q_ENQUEUE];
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, sqlu_i64(now_us));
	sqlite3_bind_text(st, 3, rcpts, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 4, body, len, SQLITE_STATIC);
	return run(s, Q_ENQUEUE, "outbox insert");
}

static char *dup_col(sqlite3_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = '\0';
	}
	if (len)
		*len = n;
	return d;
}

int nst_due(struct nstore *s, enum nst_kind kind, uint64_t now_us, struct nst_msg *out)
{
	sqlite3_stmt *st = s->q[Q_DUE];
	memset(out, 0, sizeof *out);
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, sqlu_i64(now_us));
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->kind = (enum nst_kind)sqlite3_column_int(st, 1);
		out->created_us = sqlu_u64(st, 2);
		out->next_us = sqlu_u64(st, 3);
		out->tries = (uint32_t)sqlite3_column_int(st, 4);
		out->rcpts = dup_col(st, 5, NULL);
		out->body = dup_col(st, 6, &out->body_len);
		ret = out->rcpts && out->body ? 1 : -1;
		if (ret < 0) {
			snprintf(s->err, sizeof s->err, "outbox: out of memory");
			nst_msg_free(out);
		}
	} else if (rc != SQLITE_DONE) {
		ret = fail(s, "outbox select");
	}
	sqlu_done(st);
	return ret;
}

int nst_done(struct nstore *s, int64_t id)
{
	sqlite3_bind_int64(s->q[Q_DONE], 1, id);
	return run(s, Q_DONE, "outbox delete");
}

int nst_retry_at(struct nstore *s, int64_t id, uint64_t next_us, const char *err)
{
	sqlite3_stmt *st = s->q[Q_RETRY_AT];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, sqlu_i64(next_us));
	sqlite3_bind_text(st, 3, err ? err : "", -1, SQLITE_STATIC);
	return run(s, Q_RETRY_AT, "outbox update");
}

int nst_retry_all(struct nstore *s, uint64_t now_us)
{
	sqlite3_bind_int64(s->q[Q_RETRY_ALL], 1, sqlu_i64(now_us));
	return run(s, Q_RETRY_ALL, "outbox update");
}

long nst_expire(struct nstore *s, uint64_t before_us)
{
	sqlite3_bind_int64(s->q[Q_EXPIRE], 1, sqlu_i64(before_us));
	if (run(s, Q_EXPIRE, "outbox expire") != 0)
		return -1;
	return sqlite3_changes(s->db);
}

long nst_count(struct nstore *s, int kind)
{
	if (kind < 0)
		return (long)scalar(s, Q_COUNT_ALL, "outbox count");
	sqlite3_bind_int(s->q[Q_COUNT], 1, kind);
	return (long)scalar(s, Q_COUNT, "outbox count");
}

uint64_t nst_next_due(struct nstore *s)
{
	long long v = scalar(s, Q_NEXT, "outbox next");
	return v > 0 ? (uint64_t)v : 0;
}

int nst_digest_add(struct nstore *s, const struct mail_item *it)
{
	sqlite3_stmt *st = s->q[Q_DIGEST_ADD];
	sqlite3_bind_int64(st, 1, sqlu_i64(it->ts_us));
	sqlite3_bind_text(st, 2, it->ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->detector, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, it->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->user_agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it->duration_s);
	return run(s, Q_DIGEST_ADD, "digest insert");
}

long nst_digest_take(struct nstore *s, struct mail_item **items)
{
	sqlite3_stmt *st = s->q[Q_DIGEST_GET];
	struct mail_item *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	*items = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mail_item *nv = realloc(v, nc * sizeof *v);
			if (!nv) {
				free(v);
				sqlu_done(st);
				snprintf(s->err, sizeof s->err, "digest: out of memory");
				return -1;
			}
			v = nv;
			cap = nc;
		}
		struct mail_item *it = &v[n++];
		memset(it, 0, sizeof *it);
		it->ts_us = sqlu_u64(st, 0);
		sqlu_text(it->ip, sizeof it->ip, st, 1);
		sqlu_text(it->detector, sizeof it->detector, st, 2);
		sqlu_text(it->reason, sizeof it->reason, st, 3);
		sqlu_text(it->instance, sizeof it->instance, st, 4);
		sqlu_text(it->user_agent, sizeof it->user_agent, st, 5);
		it->duration_s = sqlite3_column_int64(st, 6);
	}
	sqlu_done(st);
	if (rc != SQLITE_DONE || run(s, Q_DIGEST_DEL, "digest delete") != 0) {
		if (rc != SQLITE_DONE)
			fail(s, "digest select");
		free(v);
		return -1;
	}
	*items = v;
	return (long)n;
}

long nst_digest_count(struct nstore *s)
{
	return (long)scalar(s, Q_DIGEST_COUNT, "digest count");
}

int nst_state_get(struct nstore *s, const char *key, int64_t *v)
{
	sqlite3_stmt *st = s->q[Q_STATE_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = fail(s, "state select");
	}
	sqlu_done(st);
	return ret;
}

int nst_state_set(struct nstore *s, const char *key, int64_t v)
{
	sqlite3_stmt *st = s->q[Q_STATE_SET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return run(s, Q_STATE_SET, "state update");
}

/* ---- the daily summary ---- */

static int det_index(const char *name)
{
	for (int d = 0; d < DET__COUNT; d++)
		if (!strcmp(det_name((enum detector)d), name))
			return d;
	return -1;
}

static bool is_attack(const char *event, const char *det)
{
	return (!strcmp(event, "block") || !strcmp(event, "alert")) &&
	       strcmp(det, "manual") != 0 && strcmp(det, "blacklist") != 0;
}

static sqlite3_stmt *span(struct nstore *s, int q, uint64_t from_us, uint64_t to_us)
{
	sqlite3_bind_int64(s->q[q], 1, sqlu_i64(from_us));
	sqlite3_bind_int64(s->q[q], 2, sqlu_i64(to_us));
	return s->q[q];
}

static int sum_events(struct nstore *s, struct mail_summary *o)
{
	sqlite3_stmt *st = span(s, Q_SUM_EVENTS, o->from_us, o->to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ev = (const char *)sqlite3_column_text(st, 0);
		const char *det = (const char *)sqlite3_column_text(st, 1);
		uint32_t n = (uint32_t)sqlite3_column_int64(st, 2);
		if (!ev || !det)
			continue;
		if (is_attack(ev, det)) {
			int d = det_index(det);
			if (d >= 0)
				o->by_det[d] += n;
			o->attacks += n;
		}
		if (!strcmp(ev, "block")) {
			o->blocks += n;
			o->permanent += (uint32_t)sqlite3_column_int64(st, 3);
		} else if (!strcmp(ev, "unblock")) {
			o->unblocks += n;
		} else if (!strcmp(ev, "alert")) {
			o->alerts += n;
		} else if (!strcmp(ev, "anomaly")) {
			o->anomalies += n;
		}
	}
	sqlu_done(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "summary");
}

static int sum_hourly(struct nstore *s, struct mail_summary *o)
{
	sqlite3_stmt *st = span(s, Q_SUM_HOURLY, o->from_us, o->to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 h = sqlite3_column_int64(st, 0);
		if (h >= 0 && h < 24)
			o->hourly[h] += (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlu_done(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "summary hourly");
}

static int sum_top(struct nstore *s, struct mail_summary *o)
{
	sqlite3_stmt *st = span(s, Q_SUM_TOP, o->from_us, o->to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && o->n_top < MAIL_TOP) {
		struct mail_sum_addr *a = &o->top[o->n_top++];
		sqlu_text(a->ip, sizeof a->ip, st, 0);
		a->count = (uint32_t)sqlite3_column_int64(st, 1);
		const char *dets = (const char *)sqlite3_column_text(st, 2);
		char buf[512];
		snprintf(buf, sizeof buf, "%s", dets ? dets : "");
		for (char *sv, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
			int d = det_index(t);
			if (d >= 0)
				a->det_mask |= 1u << d;
		}
		a->first_us = sqlu_u64(st, 3);
		a->last_us = sqlu_u64(st, 4);
	}
	sqlu_done(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, "summary top");
}

static int sum_users(struct nstore *s, struct mail_summary *o)
{
	sqlite3_stmt *st = span(s, Q_SUM_USERS, o->from_us, o->to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && o->n_users < MAIL_TOP) {
		struct mail_sum_user *u = &o->users[o->n_users++];
		sqlu_text(u->name, sizeof u->name, st, 0);
		u->count = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlu_done(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, "summary users");
}

int nst_summary(struct nstore *s, uint64_t from_us, uint64_t to_us, struct mail_summary *out)
{
	memset(out, 0, sizeof *out);
	out->from_us = from_us;
	out->to_us = to_us;
	if (sum_events(s, out) || sum_hourly(s, out) || sum_top(s, out) || sum_users(s, out))
		return -1;
	span(s, Q_SUM_ACTIVE, from_us, to_us);
	long long n = scalar(s, Q_SUM_ACTIVE, "summary active");
	if (n < 0)
		return -1;
	out->active_blocks = (uint32_t)n;
	return 0;
}
