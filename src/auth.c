/* auth: argon2id password hashes and a bounded table of login sessions. */
#include "auth.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(AUTH_HASH_MAX == crypto_pwhash_STRBYTES, "hash string size");

struct slot {
	struct auth_session s;
	bool used;
};

struct auth_sessions {
	unsigned max;
	uint32_t idle_s, absolute_s;
	struct slot *v;
};

int auth_hash(const char *password, char *out, size_t outlen)
{
	char buf[crypto_pwhash_STRBYTES];
	if (sodium_init() < 0 || outlen < sizeof buf)
		return -1;
	if (crypto_pwhash_str_alg(buf, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                          crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	memcpy(out, buf, sizeof buf);
	return 0;
}

bool auth_verify(const char *hash, const char *password)
{
	char buf[crypto_pwhash_STRBYTES] = { 0 };
	size_t n = strnlen(hash, sizeof buf);
	if (sodium_init() < 0 || n == 0 || n == sizeof buf || strncmp(hash, "$argon2id$", 10))
		return false;
	memcpy(buf, hash, n);
	return crypto_pwhash_str_verify(buf, password, strlen(password)) == 0;
}

struct auth_sessions *auth_sessions_new(unsigned max, uint32_t idle_s, uint32_t absolute_s)
{
	if (sodium_init() < 0)
		return NULL;
	struct auth_sessions *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->max = max ? max : AUTH_MAX_SESSIONS;
	s->idle_s = idle_s ? idle_s : 30 * 60;
	s->absolute_s = absolute_s ? absolute_s : 12 * 3600;
	s->v = calloc(s->max, sizeof *s->v);
	if (!s->v) {
		free(s);
		return NULL;
	}
	return s;
}

void auth_sessions_free(struct auth_sessions *s)
{
	if (!s)
		return;
	sodium_memzero(s->v, s->max * sizeof *s->v);
	free(s->v);
	free(s);
}

static bool expired(const struct auth_sessions *s, const struct slot *sl, int64_t now)
{
	return now - sl->s.last_used >= (int64_t)s->idle_s || now - sl->s.created >= (int64_t)s->absolute_s;
}

static void clear(struct slot *sl)
{
	sodium_memzero(sl, sizeof *sl);
}

static void random_hex(char out[AUTH_TOKEN_LEN])
{
	unsigned char bin[(AUTH_TOKEN_LEN - 1) / 2];
	randombytes_buf(bin, sizeof bin);
	sodium_bin2hex(out, AUTH_TOKEN_LEN, bin, sizeof bin);
	sodium_memzero(bin, sizeof bin);
}

/* A free or expired slot, else the one that logged in first. */
static struct slot *pick(struct auth_sessions *s, int64_t now)
{
	struct slot *oldest = &s->v[0];
	for (unsigned i = 0; i < s->max; i++) {
		struct slot *sl = &s->v[i];
		if (!sl->used || expired(s, sl, now))
			return sl;
		if (sl->s.created < oldest->s.created)
			oldest = sl;
	}
	return oldest;
}

const struct auth_session *auth_login(struct auth_sessions *s, int64_t now)
{
	struct slot *sl = pick(s, now);
	clear(sl);
	random_hex(sl->s.token);
	random_hex(sl->s.csrf);
	sl->s.created = sl->s.last_used = now;
	sl->used = true;
	return &sl->s;
}

/* The slot holding token (looked at in every slot, constant time per slot). */
static struct slot *find(struct auth_sessions *s, const char *token)
{
	struct slot *hit = NULL;
	if (!token || strnlen(token, AUTH_TOKEN_LEN) != AUTH_TOKEN_LEN - 1)
		return NULL;
	for (unsigned i = 0; i < s->max; i++) {
		struct slot *sl = &s->v[i];
		bool same = sodium_memcmp(sl->s.token, token, AUTH_TOKEN_LEN - 1) == 0;
		if (same && sl->used)
			hit = sl;
	}
	return hit;
}

const struct auth_session *auth_check(struct auth_sessions *s, const char *token, int64_t now)
{
	struct slot *sl = find(s, token);
	if (!sl)
		return NULL;
	if (expired(s, sl, now)) {
		clear(sl);
		return NULL;
	}
	sl->s.last_used = now;
	return &sl->s;
}

bool auth_logout(struct auth_sessions *s, const char *token)
{
	struct slot *sl = find(s, token);
	if (sl)
		clear(sl);
	return sl != NULL;
}

bool auth_csrf_ok(const struct auth_session *se, const char *given)
{
	if (!se || !given || strnlen(given, AUTH_TOKEN_LEN) != AUTH_TOKEN_LEN - 1)
		return false;
	return sodium_memcmp(se->csrf, given, AUTH_TOKEN_LEN - 1) == 0;
}

unsigned auth_count(const struct auth_sessions *s, int64_t now)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->max; i++)
		n += s->v[i].used && !expired(s, &s->v[i], now);
	return n;
}
