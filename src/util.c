/* util: slices, addresses, hashing, time formatting. */
#include "util.h"
#include "text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

bool ip_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
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

#define HASH_MUL 0x100000001b3ULL
#define HASH_MIX(h, w) ((h) = ((h) ^ (w)) * HASH_MUL, (h) ^= (h) >> 29)

static inline uint64_t ld8(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* Sixteen bytes at a time in two independent lanes (half the latency of
 * one); then eight; the last 1 to 7 bytes as one more word (the last eight
 * bytes, overlapping, or for a short input its first and last bytes).  The
 * length is mixed in first, so that the overlap cannot make two inputs of
 * different lengths alike. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = (0xcbf29ce484222325ULL ^ seed) + n * 0x9e3779b97f4a7c15ULL, w;
	size_t i = 0;
	if (n >= 16) {
		uint64_t g = h ^ 0x6a09e667f3bcc909ULL;
		for (; i + 16 <= n; i += 16) {
			HASH_MIX(h, ld8(b + i));
			HASH_MIX(g, ld8(b + i + 8));
		}
		h ^= g * 0xff51afd7ed558ccdULL;
	}
	if (i + 8 <= n) {
		HASH_MIX(h, ld8(b + i));
		i += 8;
	}
	if (i < n) {
		if (n >= 8) {
			w = ld8(b + n - 8);
		} else if (n >= 4) {
			uint32_t lo, hi;
			memcpy(&lo, b, 4);
			memcpy(&hi, b + n - 4, 4);
			w = (uint64_t)hi << 32 | lo;
		} else {
			w = (uint64_t)b[0] | (uint64_t)b[n / 2] << 8 | (uint64_t)b[n - 1] << 16;
		}
		HASH_MIX(h, w);
	}
	/* murmur3 finaliser */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
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
