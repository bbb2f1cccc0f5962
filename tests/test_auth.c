/* Tests for auth: argon2id hashes through libsodium and the session table
 * (tokens, CSRF tokens, idle and absolute expiry, the eviction bound).
 * Time is passed in, so the tests move it by hand. */
#include "auth.h"
#include "t.h"

#include <ctype.h>

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

static void test_hash(void)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX], small[64];
	CHECK(auth_hash("correct horse", h1, sizeof h1) == 0);
	CHECK(!strncmp(h1, "$argon2id$v=19$", 15));
	CHECK(auth_verify(h1, "correct horse"));
	CHECK(!auth_verify(h1, "correct horse "));
	CHECK(!auth_verify(h1, ""));
	CHECK(!auth_verify(h1, "Correct horse"));
	/* salted: the same password hashes differently, both verify */
	CHECK(auth_hash("correct horse", h2, sizeof h2) == 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK(auth_verify(h2, "correct horse"));
	CHECK(auth_hash("x", small, sizeof small) == -1);
	/* an empty or broken hash never verifies */
	CHECK(!auth_verify("", ""));
	CHECK(!auth_verify("$argon2id$garbage", "x"));
	CHECK(!auth_verify("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA", "x"));
	char long_hash[300];
	memset(long_hash, 'a', sizeof long_hash - 1);
	long_hash[sizeof long_hash - 1] = '\0';
	memcpy(long_hash, "$argon2id$", 10);
	CHECK(!auth_verify(long_hash, "x"));
	/* an empty password can be hashed (the daemon refuses it earlier) */
	CHECK(auth_hash("", h2, sizeof h2) == 0 && auth_verify(h2, "") && !auth_verify(h2, "x"));
}

static void test_sessions(void)
{
	struct auth_sessions *s = auth_sessions_new(8, 60, 600);
	CHECK(s != NULL);
	if (!s)
		return;
	const struct auth_session *a = auth_login(s, 1000);
	char tok[AUTH_TOKEN_LEN], csrf[AUTH_TOKEN_LEN];
	strcpy(tok, a->token);
	strcpy(csrf, a->csrf);
	CHECK(is_hex64(tok) && is_hex64(csrf));
	CHECK(strcmp(tok, csrf) != 0);
	const struct auth_session *b = auth_login(s, 1000);
	CHECK(strcmp(b->token, tok) != 0 && strcmp(b->csrf, csrf) != 0);
	CHECK(auth_count(s, 1000) == 2);

	const struct auth_session *c = auth_check(s, tok, 1030);
	CHECK(c != NULL && !strcmp(c->csrf, csrf));
	CHECK(auth_csrf_ok(c, csrf));
	CHECK(!auth_csrf_ok(c, tok));
	CHECK(!auth_csrf_ok(c, NULL));
	CHECK(!auth_csrf_ok(c, ""));
	char near[AUTH_TOKEN_LEN];
	strcpy(near, csrf);
	near[63] = near[63] == '0' ? '1' : '0';
	CHECK(!auth_csrf_ok(c, near));
	/* unknown, truncated, too long or NULL tokens */
	strcpy(near, tok);
	near[0] = near[0] == '0' ? '1' : '0';
	CHECK(auth_check(s, near, 1030) == NULL);
	near[63] = '\0';
	CHECK(auth_check(s, near, 1030) == NULL);
	char longer[80];
	snprintf(longer, sizeof longer, "%s0", tok);
	CHECK(auth_check(s, longer, 1030) == NULL);
	CHECK(auth_check(s, NULL, 1030) == NULL);
	CHECK(auth_check(s, "", 1030) == NULL);
	CHECK(auth_check(s, csrf, 1030) == NULL); /* the CSRF token is no session */

	/* idle: used at 1030, ends at 1090; each use pushes it on */
	CHECK(auth_check(s, tok, 1089) != NULL);
	CHECK(auth_check(s, tok, 1148) != NULL);
	CHECK(auth_check(s, tok, 1208) == NULL);
	CHECK(auth_check(s, tok, 1209) == NULL); /* removed */
	CHECK(auth_count(s, 1000) == 1);
	auth_sessions_free(s);
}

static void test_absolute(void)
{
	struct auth_sessions *s = auth_sessions_new(4, 60, 300);
	const struct auth_session *a = auth_login(s, 0);
	char tok[AUTH_TOKEN_LEN];
	strcpy(tok, a->token);
	int64_t t;
	for (t = 50; t < 300; t += 50)
		CHECK(auth_check(s, tok, t) != NULL);
	CHECK(auth_check(s, tok, 299) != NULL);
	CHECK(auth_check(s, tok, 300) == NULL);
	auth_sessions_free(s);

	/* defaults: 30 min idle, 12 h absolute */
	s = auth_sessions_new(0, 0, 0);
	a = auth_login(s, 0);
	strcpy(tok, a->token);
	CHECK(auth_check(s, tok, 1799) != NULL);
	for (t = 1799 + 1700; t < 12 * 3600; t += 1700)
		CHECK(auth_check(s, tok, t) != NULL);
	CHECK(auth_check(s, tok, 12 * 3600) == NULL);
	a = auth_login(s, 100000);
	strcpy(tok, a->token);
	CHECK(auth_check(s, tok, 100000 + 1800) == NULL);
	auth_sessions_free(s);
}

static void test_logout_and_eviction(void)
{
	struct auth_sessions *s = auth_sessions_new(4, 60, 600);
	char tok[6][AUTH_TOKEN_LEN];
	for (int i = 0; i < 4; i++)
		strcpy(tok[i], auth_login(s, 10 + i)->token);
	CHECK(auth_count(s, 20) == 4);
	CHECK(auth_logout(s, tok[1]));
	CHECK(!auth_logout(s, tok[1]));
	CHECK(auth_check(s, tok[1], 20) == NULL);
	CHECK(auth_count(s, 20) == 3);
	/* the freed slot is reused, nothing evicted */
	strcpy(tok[4], auth_login(s, 20)->token);
	for (int i = 0; i < 5; i++)
		CHECK((auth_check(s, tok[i], 21) != NULL) == (i != 1));
	/* full: the session that logged in first (tok[0]) goes */
	strcpy(tok[5], auth_login(s, 22)->token);
	CHECK(auth_count(s, 22) == 4);
	CHECK(auth_check(s, tok[0], 22) == NULL);
	CHECK(auth_check(s, tok[2], 22) != NULL);
	CHECK(auth_check(s, tok[5], 22) != NULL);
	/* an expired session is replaced before a live one */
	auth_sessions_free(s);
	s = auth_sessions_new(2, 60, 600);
	strcpy(tok[0], auth_login(s, 0)->token);
	strcpy(tok[1], auth_login(s, 50)->token);
	CHECK(auth_check(s, tok[1], 100) != NULL);
	strcpy(tok[2], auth_login(s, 100)->token); /* tok[0] idle since 0: expired */
	CHECK(auth_check(s, tok[1], 101) != NULL);
	CHECK(auth_check(s, tok[2], 101) != NULL);
	/* many logins never grow the table */
	for (int i = 0; i < 1000; i++)
		auth_login(s, 200 + i);
	CHECK(auth_count(s, 1199) == 2);
	auth_sessions_free(s);
	auth_sessions_free(NULL);
}

int main(void)
{
	test_hash();
	test_sessions();
	test_absolute();
	test_logout_and_eviction();
	return T_DONE();
}
