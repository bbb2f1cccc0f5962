/* auth: the admin password (argon2id through libsodium) and login sessions
 * for the HTTP admin page.
 *
 * Sessions live in a bounded table (the oldest is evicted when it is full),
 * each with a random token for the cookie and a separate random CSRF token.
 * No clock inside: callers pass the time in seconds (any monotonic origin).
 * A table is not thread-safe: one thread (the HTTP server's) uses it.
 * Failed logins are not counted here: the HTTP server reports them. */
#ifndef SW_AUTH_H
#define SW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX 128   /* an argon2id hash string with its NUL */
#define AUTH_TOKEN_LEN 65   /* 32 random bytes in hex, with the NUL */
#define AUTH_MAX_SESSIONS 64

struct auth_session {
	char token[AUTH_TOKEN_LEN];  /* the cookie value */
	char csrf[AUTH_TOKEN_LEN];   /* the X-CSRF-Token value */
	int64_t created, last_used;  /* seconds */
};

struct auth_sessions;

/* Hashes password into out (argon2id, interactive limits: about 64 MiB and a
 * few tens of ms).  Returns 0, or -1 (out too small, out of memory). */
int auth_hash(const char *password, char *out, size_t outlen);
/* True when password matches the hash string (false for "" or a bad hash). */
bool auth_verify(const char *hash, const char *password);

/* A table of at most max sessions (0: AUTH_MAX_SESSIONS); a session ends
 * idle_s after its last use or absolute_s after its login (0: 30 min, 12 h).
 * Returns NULL when out of memory or libsodium cannot start. */
struct auth_sessions *auth_sessions_new(unsigned max, uint32_t idle_s, uint32_t absolute_s);
void auth_sessions_free(struct auth_sessions *s);

/* Creates a session, evicting an expired or else the oldest one when the
 * table is full.  Returns it (valid until the next call on s). */
const struct auth_session *auth_login(struct auth_sessions *s, int64_t now);
/* The live session of token, its last use set to now, or NULL (unknown or
 * expired: an expired one is removed).  Compares in constant time. */
const struct auth_session *auth_check(struct auth_sessions *s, const char *token, int64_t now);
/* Ends the session of token; false when there was none. */
bool auth_logout(struct auth_sessions *s, const char *token);
/* True when given (a header value, may be NULL) is the session's CSRF
 * token; constant time. */
bool auth_csrf_ok(const struct auth_session *se, const char *given);
/* Number of live sessions at now. */
unsigned auth_count(const struct auth_sessions *s, int64_t now);

#endif
