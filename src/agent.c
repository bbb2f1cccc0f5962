/* agent: the blocked User-Agent list, matched by whole tokens (agent.h). */
#include "agent.h"

#include <string.h>

static inline unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 16-bit hash of 4 lowercased bytes packed little-endian. */
static inline uint16_t hash4(uint32_t w)
{
	return (uint16_t)((w * 2654435761u) >> 16);
}

static uint32_t pack4(const char *p)
{
	return (uint32_t)lc((unsigned char)p[0]) | (uint32_t)lc((unsigned char)p[1]) << 8 |
	       (uint32_t)lc((unsigned char)p[2]) << 16 | (uint32_t)lc((unsigned char)p[3]) << 24;
}

/* The pattern without its anchors: its first byte and length. */
static size_t body(const char *pat, bool *start, bool *end, const char **b)
{
	size_t n = strlen(pat);
	*start = n && pat[0] == '^';
	*b = pat + *start;
	n -= *start;
	*end = n && (*b)[n - 1] == '$';
	return n - *end;
}

const char *agent_check(const char *pat)
{
	bool s, e;
	const char *b;
	if (!body(pat, &s, &e, &b))
		return "a blocked user agent is only an anchor (^ or $) with no text";
	return NULL;
}

void agent_build(struct agent_set *set, const char (*list)[CFG_AGENT_LEN], unsigned n)
{
	memset(set, 0, sizeof *set);
	for (unsigned k = 0; k < n && k < CFG_MAX_AGENTS; k++) {
		struct agent_pat *p = &set->p[set->n];
		const char *b;
		size_t len = body(list[k], &p->start, &p->end, &b);
		if (!len)
			continue; /* refused by agent_check; never matches */
		for (size_t i = 0; i < len; i++)
			p->s[i] = (char)lc((unsigned char)b[i]);
		p->len = (uint8_t)len;
		p->idx = (uint8_t)k;
		unsigned char c0 = (unsigned char)p->s[0], u0 = c0 >= 'a' && c0 <= 'z' ? (unsigned char)(c0 - 32) : c0;
		set->first[c0 / 64] |= 1ull << (c0 % 64);
		set->first[u0 / 64] |= 1ull << (u0 % 64);
		set->lens |= 1ull << len;
		if (len < 4) {
			set->shorts |= 1ull << set->n;
		} else {
			p->gram = hash4(pack4(p->s));
			set->gram[p->gram >> 3] |= (uint8_t)(1u << (p->gram & 7));
		}
		set->n++;
	}
}

/* Whether p occurs in s at i, a token start (the caller's), with its end
 * on a token boundary. */
static bool match_at(const struct agent_pat *p, struct slice s, size_t i)
{
	if ((p->start && i) || i + p->len > s.len || (p->end && i + p->len != s.len))
		return false;
	const unsigned char *u = (const unsigned char *)s.p;
	size_t e = i + p->len;
	if (e < s.len && alnum(u[e - 1]) && alnum(u[e]))
		return false;
	for (size_t j = 0; j < p->len; j++)
		if (lc(u[i + j]) != (unsigned char)p->s[j])
			return false;
	return true;
}

static int shorts_at(const struct agent_set *set, struct slice s, size_t i)
{
	for (uint64_t m = set->shorts; m; m &= m - 1) {
		int k = __builtin_ctzll(m);
		if (match_at(&set->p[k], s, i))
			return set->p[k].idx;
	}
	return -1;
}

int agent_match_ua(const struct agent_set *set, struct slice s)
{
	const unsigned char *u = (const unsigned char *)s.p;
	for (size_t i = 0; i < s.len; i++) {
		/* no pattern starts with this byte; or inside a token: a pattern
		 * starting here starts with a letter or digit too, so it would
		 * begin mid-token */
		if (!(set->first[u[i] / 64] >> (u[i] % 64) & 1) || (i && alnum(u[i]) && alnum(u[i - 1])))
			continue;
		if (set->shorts) {
			int k = shorts_at(set, s, i);
			if (k >= 0)
				return k;
		}
		if (i + 4 > s.len)
			continue;
		uint16_t g = hash4(pack4(s.p + i));
		if (!(set->gram[g >> 3] & (1u << (g & 7))))
			continue;
		for (unsigned k = 0; k < set->n; k++)
			if (set->p[k].len >= 4 && set->p[k].gram == g && match_at(&set->p[k], s, i))
				return set->p[k].idx;
	}
	return -1;
}

int agent_match_name(const struct agent_set *set, struct slice s)
{
	if (s.len >= 64 || !(set->lens >> s.len & 1))
		return -1;
	for (unsigned k = 0; k < set->n; k++) {
		const struct agent_pat *p = &set->p[k];
		if (p->len != s.len)
			continue;
		size_t j = 0;
		while (j < s.len && lc((unsigned char)s.p[j]) == (unsigned char)p->s[j])
			j++;
		if (j == s.len)
			return p->idx;
	}
	return -1;
}
