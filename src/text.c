/* text: valid, visible UTF-8 out of any bytes (see text.h). */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define BAD UINT32_MAX

/* Decodes the character at p (n > 0 bytes) into *cp; returns its length.  An
 * ill-formed sequence gives *cp = BAD and the length of its maximal subpart
 * (the longest prefix of a well-formed sequence, at least 1), as Unicode
 * recommends and as Python's errors='replace' and browsers do. */
static size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t k;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		lo = c == 0xe0 ? 0xa0 : lo; /* overlong */
		hi = c == 0xed ? 0x9f : hi; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		lo = c == 0xf0 ? 0x90 : lo; /* overlong */
		hi = c == 0xf4 ? 0x8f : hi; /* above U+10FFFF */
	} else {
		*cp = BAD;
		return 1;
	}
	uint32_t v = c & (0x7fu >> k);
	for (size_t i = 1; i < k; i++, lo = 0x80, hi = 0xbf) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*cp = BAD;
			return i;
		}
		v = v << 6 | (p[i] & 0x3fu);
	}
	*cp = v;
	return k;
}

/* C1 controls, bidi controls and characters that are invisible or hide
 * text: shown as their code point. */
static bool hidden(uint32_t cp)
{
	static const uint32_t r[][2] = {
		{ 0x80, 0x9f }, { 0xad, 0xad }, { 0x34f, 0x34f }, { 0x61c, 0x61c },
		{ 0x115f, 0x1160 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f }, { 0x200b, 0x200f },
		{ 0x2028, 0x202e }, { 0x2060, 0x206f }, { 0x3164, 0x3164 }, { 0xfeff, 0xfeff },
		{ 0xffa0, 0xffa0 }, { 0xfff9, 0xfffb }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe007f },
	};
	if (cp < 0x80)
		return false;
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		if (cp >= r[i][0] && cp <= r[i][1])
			return true;
	return false;
}

/* The plain form of one character (k source bytes at p) into u; returns
 * its length (at most 10). */
static size_t unit(char *u, const unsigned char *p, size_t k, uint32_t cp, enum text_mode mode)
{
	static const char hex[] = "0123456789abcdef", HEX[] = "0123456789ABCDEF";
	if (cp == BAD) {
		memcpy(u, "\xef\xbf\xbd", 3);
		return 3;
	}
	if (cp < 0x20 || cp == 0x7f) {
		if (mode == TEXT_LINES && (cp == '\n' || cp == '\t')) {
			u[0] = (char)cp;
			return 1;
		}
		const char *s = cp == '\t' ? "\\t" : cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : NULL;
		if (s) {
			memcpy(u, s, 2);
			return 2;
		}
		memcpy(u, "\\x", 2);
		u[2] = hex[cp >> 4];
		u[3] = hex[cp & 15];
		return 4;
	}
	if (hidden(cp)) {
		size_t o = 0, digits = cp > 0xffff ? 5 : 4;
		memcpy(u, "<U+", 3);
		o = 3;
		for (size_t i = digits; i-- > 0;)
			u[o++] = HEX[(cp >> (4 * i)) & 15];
		u[o++] = '>';
		return o;
	}
	memcpy(u, p, k);
	return k;
}

/* The output: what was written (o), what the whole would take (total);
 * once something did not fit, nothing more is written. */
struct sink {
	char *dst;
	size_t cap, o, total;
	bool full;
};

/* Appends m bytes: whole, or, when split is set (ASCII, every byte a
 * character), as many as fit; else nothing. */
static void emit(struct sink *k, const char *w, size_t m, bool split)
{
	size_t room = k->full ? 0 : k->cap - 1 - k->o, take = m <= room ? m : split ? room : 0;
	if (take)
		memcpy(k->dst + k->o, w, take);
	k->o += take;
	k->full = k->full || m > room;
	k->total += m;
}

static bool plain_ascii(unsigned char c, enum text_mode mode)
{
	return c >= 0x20 && c < 0x7f && !(mode == TEXT_JSON && (c == '"' || c == '\\'));
}

size_t text_safe(char *dst, size_t cap, const char *s, size_t n, enum text_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sink k = { dst, cap, 0, 0, cap == 0 };
	for (size_t i = 0; i < n;) {
		size_t r = i; /* a run of printable ASCII, the usual case: as it is */
		while (r < n && plain_ascii(p[r], mode))
			r++;
		if (r > i) {
			emit(&k, s + i, r - i, true);
			i = r;
			continue;
		}
		char pl[12], js[24];
		uint32_t cp;
		size_t len = decode(p + i, n - i, &cp), m = unit(pl, p + i, len, cp, mode), j = 0;
		i += len;
		if (mode != TEXT_JSON) {
			emit(&k, pl, m, false);
			continue;
		}
		for (size_t x = 0; x < m; x++) { /* escape " and \ of the plain form */
			if (pl[x] == '"' || pl[x] == '\\')
				js[j++] = '\\';
			js[j++] = pl[x];
		}
		emit(&k, js, j, false);
	}
	if (cap)
		dst[k.o] = '\0';
	return k.total;
}
