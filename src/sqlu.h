/* sqlu: small SQLite helpers shared by store.c and nstore.c. */
#ifndef SW_SQLU_H
#define SW_SQLU_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* An unsigned time or count as a SQLite integer (saturating). */
static inline sqlite3_int64 sqlu_i64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* An integer column as unsigned (negative becomes 0). */
static inline uint64_t sqlu_u64(sqlite3_stmt *st, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(st, col);
	return v < 0 ? 0 : (uint64_t)v;
}

/* Copies a text column into dst (size n, always terminated), cutting at a
 * UTF-8 character boundary when it does not fit.  NULL becomes "".
 * Returns false when the text was cut. */
static inline bool sqlu_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);
	size_t k = t && len > 0 ? (size_t)len : 0;
	bool whole = k < n;
	if (!whole) {
		k = n - 1;
		while (k > 0 && (t[k] & 0xc0) == 0x80)
			k--;
	}
	if (k)
		memcpy(dst, t, k);
	dst[k] = '\0';
	return whole;
}

/* Prepares the n statements of sql[] into q[] (persistent); 0, or -1 with
 * the reason in sqlite3_errmsg(db).  q[] must start zeroed. */
static inline int sqlu_prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **q, int n)
{
	for (int i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q[i], NULL) != SQLITE_OK)
			return -1;
	return 0;
}

/* Finalizes the n statements of q[] (NULL ones too) and closes db. */
static inline void sqlu_close(sqlite3 *db, sqlite3_stmt **q, int n)
{
	for (int i = 0; i < n; i++)
		sqlite3_finalize(q[i]);
	sqlite3_close(db);
}

/* Resets a statement after use and clears its bindings. */
static inline void sqlu_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

#endif
