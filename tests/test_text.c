/* Tests for text_safe, the one sanitiser of attacker-chosen strings:
 * vectors for every kind of bad input in every mode, cuts at the buffer's
 * end, and random bytes checked against an independent UTF-8 validator. */
#include "text.h"
#include "t.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct vec {
	const char *in;
	size_t n; /* 0: strlen(in) */
	enum text_mode mode;
	const char *want;
};

#define FFFD "\xef\xbf\xbd"

static const struct vec vecs[] = {
	{ "friendly-scanner", 0, TEXT_PLAIN, "friendly-scanner" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, TEXT_PLAIN, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	/* stray and impossible bytes */
	{ "a\x80z", 0, TEXT_PLAIN, "a" FFFD "z" },
	{ "a\xffz\xfe", 0, TEXT_PLAIN, "a" FFFD "z" FFFD },
	{ "\xc0\xaf", 0, TEXT_PLAIN, FFFD FFFD },                  /* overlong '/' */
	{ "\xe0\x80\xaf", 0, TEXT_PLAIN, FFFD FFFD FFFD },         /* overlong, 3 bytes */
	{ "\xf0\x80\x80\xaf", 0, TEXT_PLAIN, FFFD FFFD FFFD FFFD },/* overlong, 4 bytes */
	{ "\xed\xa0\x80", 0, TEXT_PLAIN, FFFD FFFD FFFD },         /* surrogate U+D800 */
	{ "\xed\xbf\xbfx", 0, TEXT_PLAIN, FFFD FFFD FFFD "x" },    /* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", 0, TEXT_PLAIN, FFFD FFFD FFFD FFFD },/* above U+10FFFF */
	{ "\xf0\x9f\x98", 0, TEXT_PLAIN, FFFD },                   /* truncated at the end */
	{ "\xf0\x9f\x98z", 0, TEXT_PLAIN, FFFD "z" },              /* truncated before ASCII */
	{ "\xe2\x82" "\xe2\x82\xac", 0, TEXT_PLAIN, FFFD "\xe2\x82\xac" },
	/* controls, bidi and invisible characters */
	{ "\x1b[2Jcleared", 0, TEXT_PLAIN, "\\x1b[2Jcleared" },
	{ "a\tb\nc\rd\x7f", 0, TEXT_PLAIN, "a\\tb\\nc\\rd\\x7f" },
	{ "a\0b", 3, TEXT_PLAIN, "a\\x00b" },
	{ "\xc2\x9b" "31m", 0, TEXT_PLAIN, "<U+009B>31m" },           /* 8-bit CSI */
	{ "evil\xe2\x80\xaegpj.exe", 0, TEXT_PLAIN, "evil<U+202E>gpj.exe" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", 0, TEXT_PLAIN, "<U+2066>x<U+2069>" },
	{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0, TEXT_PLAIN, "<U+200E><U+200F><U+061C>" },
	{ "a\xe2\x80\x8b" "b\xef\xbb\xbf", 0, TEXT_PLAIN, "a<U+200B>b<U+FEFF>" },
	{ "\xf3\xa0\x80\x81" "x", 0, TEXT_PLAIN, "<U+E0001>x" },       /* tag character */
	/* the plain form of an escape is itself: sanitising twice changes nothing */
	{ "\\x1b<U+202E>" FFFD, 0, TEXT_PLAIN, "\\x1b<U+202E>" FFFD },
	/* JSON: the plain form with " and \ escaped */
	{ "say \"hi\" \\o/", 0, TEXT_JSON, "say \\\"hi\\\" \\\\o/" },
	{ "\x1b[2J\n", 0, TEXT_JSON, "\\\\x1b[2J\\\\n" },
	{ "\xff\xe2\x80\xae", 0, TEXT_JSON, FFFD "<U+202E>" },
	/* terminal lines: LF and TAB kept, the rest as in plain */
	{ "a\tb\nc\x1b[2J\r", 0, TEXT_LINES, "a\tb\nc\\x1b[2J\\r" },
	{ "", 0, TEXT_JSON, "" },
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		size_t n = v->n ? v->n : strlen(v->in);
		char out[256];
		/* on a guard page: a read past the input's end crashes */
		const char *in = t_guarded(v->in, n);
		size_t len = text_safe(out, sizeof out, in, n, v->mode);
		CHECK_MSG(strcmp(out, v->want) == 0 && len == strlen(v->want), "vector %zu: got '%s' want '%s'",
		          i, out, v->want);
	}
}

/* Cuts fall between whole characters and escapes, never inside one. */
static void test_cuts(void)
{
	char out[16];
	/* "ab" then a 3-byte character: with 4 bytes of room only "ab" fits */
	size_t len = text_safe(out, 5, "ab\xe2\x82\xac", 5, TEXT_PLAIN);
	CHECK(len == 5 && strcmp(out, "ab\xe2\x82\xac") != 0 && strcmp(out, "ab") == 0);
	len = text_safe(out, 6, "ab\xe2\x82\xac", 5, TEXT_PLAIN);
	CHECK(len == 5 && strcmp(out, "ab\xe2\x82\xac") == 0);
	/* an escape is never split */
	len = text_safe(out, 4, "a\x1b", 2, TEXT_PLAIN);
	CHECK(len == 5 && strcmp(out, "a") == 0);
	len = text_safe(out, 8, "x\xe2\x80\xae", 4, TEXT_PLAIN);
	CHECK(len == 9 && strcmp(out, "x") == 0);
	/* after a cut nothing more is written, even what would fit */
	len = text_safe(out, 5, "abc\xe2\x82\xac" "d", 7, TEXT_PLAIN);
	CHECK(len == 7 && strcmp(out, "abc") == 0);
	/* room 1: only the NUL; room 0: nothing written */
	out[0] = 'q';
	CHECK(text_safe(out, 1, "abc", 3, TEXT_PLAIN) == 3 && out[0] == '\0');
	out[0] = 'q';
	CHECK(text_safe(out, 0, "abc", 3, TEXT_PLAIN) == 3 && out[0] == 'q');
	/* the worst case fits TEXT_SAFE_MAX */
	char big[TEXT_SAFE_MAX(4)];
	CHECK(text_safe(big, sizeof big, "\x01\x02\x03\x04", 4, TEXT_JSON) == 20 &&
	      strcmp(big, "\\\\x01\\\\x02\\\\x03\\\\x04") == 0);
}

/* Neither a control byte nor a bidi or C1 character survives. */
static bool visible(const char *s, enum text_mode mode)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && !(mode == TEXT_LINES && (*p == '\n' || *p == '\t'))) || *p == 0x7f)
			return false;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
			return false;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return false;
	}
	return true;
}

/* A JSON string's inside: every " is escaped (an odd run of \ before it). */
static bool json_closed(const char *s)
{
	size_t bs = 0;
	for (; *s; s++) {
		if (*s == '"' && bs % 2 == 0)
			return false;
		bs = *s == '\\' ? bs + 1 : 0;
	}
	return bs % 2 == 0;
}

static void test_random(void)
{
	static const unsigned char pick[] = { 0x00, 0x1b, 0x22, 0x5c, 0x7f, 0x80, 0x9b, 0xbf, 0xc0, 0xc2,
	                                      0xd8, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf3, 0xf4, 0xff, 'a' };
	unsigned seed = 12345, bad = 0;
	for (int round = 0; round < 20000; round++) {
		unsigned char in[64];
		size_t n = (size_t)(rand_r(&seed) % sizeof in);
		for (size_t i = 0; i < n; i++) /* biased towards bytes that make UTF-8 edge cases */
			in[i] = rand_r(&seed) % 2 ? pick[rand_r(&seed) % sizeof pick] : (unsigned char)rand_r(&seed);
		for (int m = TEXT_PLAIN; m <= TEXT_LINES; m++) {
			char out[TEXT_SAFE_MAX(64)], again[TEXT_SAFE_MAX(sizeof out)], cut[40];
			size_t len = text_safe(out, sizeof out, (const char *)in, n, (enum text_mode)m);
			bool ok = len == strlen(out) && t_valid_utf8((const unsigned char *)out, len) &&
			          visible(out, (enum text_mode)m);
			if (m == TEXT_JSON)
				ok = ok && json_closed(out);
			/* idempotent: the safe form sanitised again is itself */
			if (m != TEXT_JSON)
				ok = ok && text_safe(again, sizeof again, out, len, (enum text_mode)m) == len &&
				     strcmp(again, out) == 0;
			/* a cut output is a valid prefix of the whole one */
			size_t c = text_safe(cut, (size_t)(rand_r(&seed) % sizeof cut) + 1, (const char *)in, n,
			                     (enum text_mode)m);
			ok = ok && c == len && strncmp(cut, out, strlen(cut)) == 0 &&
			     t_valid_utf8((const unsigned char *)cut, strlen(cut));
			bad += !ok;
		}
	}
	CHECK_MSG(bad == 0, "%u random inputs gave unsafe output", bad);
}

int main(void)
{
	test_vectors();
	test_cuts();
	test_random();
	return T_DONE();
}
