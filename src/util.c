/* util: slices, addresses, keyed hashing, time formatting. */
#include "util.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool slice_eq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.p, lit, n) == 0;
}

bool slice_ieq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

bool slice_icontains(struct slice hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return true;
	if (hay.len < n)
		return false;
	unsigned char first = lower((unsigned char)needle[0]);
	for (size_t i = 0; i + n <= hay.len; i++) {
		if (lower((unsigned char)hay.p[i]) != first)
			continue;
		size_t j = 1;
		while (j < n && lower((unsigned char)hay.p[i + j]) == lower((unsigned char)needle[j]))
			j++;
		if (j == n)
			return true;
	}
	return false;
}

char *slice_copy(char *dst, size_t n, struct slice s)
{
	text_safe(dst, n, s.p, s.len, TEXT_PLAIN);
	return dst;
}

void ip_from_v4(struct ipaddr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4mapped, 12);
	memcpy(a->b + 12, v4, 4);
}

void ip_from_v6(struct ipaddr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool ip_is_v4(const struct ipaddr *a)
{
	return memcmp(a->b, v4mapped, 12) == 0;
}

bool ip_parse(struct ipaddr *a, const char *s)
{
	uint8_t buf[16];
	if (inet_pton(AF_INET, s, buf) == 1) {
		ip_from_v4(a, buf);
		return true;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		ip_from_v6(a, buf);
		return true;
	}
	return false;
}

bool prefix_parse(struct ipprefix *p, const char *s)
{
	char tmp[IP_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof tmp)
		return false;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (!ip_parse(&p->addr, tmp))
		return false;
	unsigned max = ip_is_v4(&p->addr) ? 32 : 128;
	unsigned bits = max;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return false;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (*end || v > max)
			return false;
		bits = (unsigned)v;
	}
	p->plen = (uint8_t)(bits + (128 - max));
	/* host bits must be zero */
	for (unsigned i = p->plen; i < 128; i++)
		if (p->addr.b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool prefix_contains(const struct ipprefix *p, const struct ipaddr *a)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;
	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr.b[full] & mask) == (a->b[full] & mask);
}

char *ip_format(const struct ipaddr *a, char *buf)
{
	if (ip_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, IP_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, buf, IP_STRLEN);
	return buf;
}

char *prefix_format(const struct ipprefix *p, char *buf)
{
	ip_format(&p->addr, buf);
	if (p->plen < 128) {
		size_t n = strlen(buf);
		snprintf(buf + n, IP_STRLEN - n, "/%u",
		         ip_is_v4(&p->addr) ? p->plen - 96u : p->plen);
	}
	return buf;
}

/* SipHash-1-3 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): one compression round per 8-byte word, three to finalise, as
 * Python, Rust and Linux (hsiphash) use for their hash tables.  Written
 * from the paper: the state is four words initialised from the key and the
 * constants "somepseudorandomlygeneratedbytes"; each little-endian word m
 * is xored into v3, mixed, and xored into v0; the last word holds the
 * remaining bytes and the length modulo 256 in its top byte. */
#define ROTL(x, b) ((x) << (b) | (x) >> (64 - (b)))
#define SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static inline uint64_t ld64le(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

#define SIP_ST(k) uint64_t v0 = (k).k0 ^ 0x736f6d6570736575ULL, v1 = (k).k1 ^ 0x646f72616e646f6dULL, \
	v2 = (k).k0 ^ 0x6c7967656e657261ULL, v3 = (k).k1 ^ 0x7465646279746573ULL
#define SIP_WORD(m) do { uint64_t m_ = (m); v3 ^= m_; SIPROUND(v0, v1, v2, v3); v0 ^= m_; } while (0)
#define SIP_END() do { v2 ^= 0xff; SIPROUND(v0, v1, v2, v3); SIPROUND(v0, v1, v2, v3); \
	SIPROUND(v0, v1, v2, v3); } while (0)

/* The bytes of b[j..len) (fewer than 8) as a little-endian word: past the
 * first word, in one load ending at len. */
static inline uint64_t tail_word(const uint8_t *b, size_t j, size_t len)
{
	uint64_t m = 0;
	if (j == len)
		return 0;
	if (len >= 8)
		return ld64le(b + len - 8) >> (8 * (8 - (len - j)));
	for (size_t q = 0; j + q < len; q++)
		m |= (uint64_t)b[j + q] << (8 * q);
	return m;
}

uint64_t hash_bytes(const void *p, size_t n, struct hash_key k)
{
	const uint8_t *b = p;
	SIP_ST(k);
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		SIP_WORD(ld64le(b + i));
	SIP_WORD((uint64_t)n << 56 | tail_word(b, i, n));
	SIP_END();
	return v0 ^ v1 ^ v2 ^ v3;
}

/* hash_slices: SipHash-1-3 of an encoding of the list, each slice as a
 * little-endian word holding its length, then its bytes zero-padded to
 * whole words: the length says how many words follow, so the encoding
 * names one list of slices only. */
uint64_t hash_slices(const struct slice *v, size_t n, struct hash_key k)
{
	SIP_ST(k);
	uint64_t words = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = (const uint8_t *)v[i].p;
		size_t len = v[i].p ? v[i].len : 0, j = 0;
		words += 1 + (len + 7) / 8;
		SIP_WORD((uint64_t)len);
		for (; j + 8 <= len; j += 8)
			SIP_WORD(ld64le(b + j));
		if (j < len)
			SIP_WORD(tail_word(b, j, len));
	}
	SIP_WORD((words * 8) << 56); /* SipHash's last word: no bytes left, the length */
	SIP_END();
	return v0 ^ v1 ^ v2 ^ v3;
}

/* splitmix64 (Steele, Lea, Flood): spreads a small number over 64 bits. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct hash_key hash_key_new(void)
{
	struct hash_key k;
	const char *fixed = getenv("SIPWARDEN_HASH_SEED");
	if (fixed && *fixed) {
		uint64_t s = strtoull(fixed, NULL, 0);
		k.k0 = mix64(s);
		k.k1 = mix64(k.k0);
		return k;
	}
	ssize_t got;
	do
		got = getrandom(&k, sizeof k, 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof k) {
		/* no getrandom (kernel before 3.17): the best we have */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k.k0 = mix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid());
		k.k1 = mix64(k.k0 ^ (uint64_t)(uintptr_t)&k);
	}
	return k;
}

char *time_format_iso(uint64_t ts_us, char *buf)
{
	time_t secs = (time_t)(ts_us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03uZ", (unsigned)((ts_us / 1000) % 1000));
	return buf;
}

bool time_parse_iso(const char *s, uint64_t *ts_us)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return false;
	uint64_t frac = 0, scale = 100000;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += (uint64_t)(*end - '0') * scale;
	}
	if (*end && strcmp(end, "Z"))
		return false;
	*ts_us = (uint64_t)timegm(&tm) * 1000000 + frac;
	return true;
}
