/* sip_light: sip_parse_light(), see sip.h.  Responses from the protected
 * server are only matched to their requests: the lines of the header part
 * are found from a bit map of its LF bytes, computed at once, and only the
 * fields matching needs (Via, Call-ID, CSeq, Content-Length, challenges)
 * are read, by the value parsers sip_parse() uses (sip_hdr.c).  Control
 * bytes are not looked for.  The entry point and the body framing are
 * sip.c's parse(). */
#include "sip_int.h"

#define FLAG SIP_FLAG

/* The first LF at or after p, or the end of the buffer (as ctl_scan()). */
static const char *lf_scan(const struct sip_ps *s, const char *p)
{
	const char *e = s->end;
#if SIP_SSE2
	for (; e - p >= 16; p += 16) {
		unsigned m = sip_vbits(sip_veq(sip_vld(p), '\n'));
		if (m)
			return p + __builtin_ctz(m);
	}
	if (p < e && e - s->buf >= 16) {
		unsigned m = sip_vbits(sip_veq(sip_vld(e - 16), '\n')) >> (16 - (e - p));
		return m ? p + __builtin_ctz(m) : e;
	}
#endif
	while (p < e && *p != '\n')
		p++;
	return p;
}

/* First letters of the names sip_parse_light() reads (Via, Call-ID, CSeq,
 * Content-Length, the challenges; compact forms too). */
#define LIGHT_FIRST (1u << ('v' & 31) | 1u << ('c' & 31) | 1u << ('i' & 31) | 1u << ('l' & 31) | \
		     1u << ('w' & 31) | 1u << ('p' & 31))

/* The name of a field whose first letter sip_parse_light() looks at, as
 * nearly every sender writes it, checked 8 bytes at a time (20 readable at
 * p): sets *h and returns its length, or returns 0 for sip_name_slow().  The
 * letters of each literal are folded (fold: 0x20 at letters), nothing else:
 * what it accepts, sip_name_slow() would read the same way. */
static inline size_t name_light(const char *p, enum hdr *h)
{
#define W(o, l, f) (sip_ld8(p + (o)) | sip_ld8(f)) == sip_ld8(l)
#define F8 "\x20\x20\x20\x20\x20\x20\x20\x20"
#define M7 "\xff\xff\xff\xff\xff\xff\xff\0"
	switch (*p | 0x20) {
	case 'v':
		if ((sip_ld4(p) | sip_ld4("\x20\x20\x20\0")) == sip_ld4("via:")) {
			*h = H_VIA;
			return 3;
		}
		break;
	case 'c':
		if (W(0, "call-id:", "\x20\x20\x20\x20\0\x20\x20\0")) {
			*h = H_CALL_ID;
			return 7;
		}
		if ((sip_ld4(p) | sip_ld4(F8)) == sip_ld4("cseq") && p[4] == ':') {
			*h = H_CSEQ;
			return 4;
		}
		if (W(0, "contact:", "\x20\x20\x20\x20\x20\x20\x20\0")) {
			*h = H_CONTACT;
			return 7;
		}
		if (W(0, "content-", "\x20\x20\x20\x20\x20\x20\x20\0")) {
			if (((sip_ld8(p + 8) | sip_ld8("\x20\x20\x20\x20\x20\x20\0\0")) & sip_ld8(M7)) ==
			    (sip_ld8("length:") & sip_ld8(M7))) {
				*h = H_CONTENT_LENGTH;
				return 14;
			}
			if (((sip_ld8(p + 8) | sip_ld8("\x20\x20\x20\x20\0\0\0\0")) & sip_ld8("\xff\xff\xff\xff\xff\0\0")) ==
			    (sip_ld8("type:\0\0") & sip_ld8("\xff\xff\xff\xff\xff\0\0"))) {
				*h = H_CONTENT_TYPE;
				return 12;
			}
		}
		break;
	case 'p':
		if (W(0, "proxy-au", "\x20\x20\x20\x20\x20\0\x20\x20")) {
			if (W(8, "thentica", F8) && (p[16] | 0x20) == 't' && (p[17] | 0x20) == 'e' && p[18] == ':') {
				*h = H_PROXY_AUTHENTICATE;
				return 18;
			}
			if (W(8, "thorizat", F8) && (sip_ld4(p + 16) | sip_ld4("\x20\x20\x20\0")) == sip_ld4("ion:")) {
				*h = H_PROXY_AUTHORIZATION;
				return 19;
			}
		}
		break;
	}
	if (p[1] == ':' && sip_is_alpha(p[0])) {
		*h = sip_compact((unsigned char)(p[0] | 0x20));
		return 1;
	}
	return 0;
#undef W
#undef F8
#undef M7
}

/* A field sip_parse_light() may read: from p to f, folds included. */
static void field_light(struct sip_ps *s, const char *p, const char *f)
{
	enum hdr h;
	size_t n = s->end - p >= 20 ? name_light(p, &h) : 0;
	const char *c = p + n;
	if (n || (c = sip_name_slow(s, p, f, &h)))
		sip_field_value(s, h, c, f);
}

/* Joins continuation lines from nx to a field (light): returns the start of
 * the next line, sets *eol to the field's end. */
static const char *fold_light(struct sip_ps *s, const char *nx, const char **eol)
{
	const char *e = s->end;
	while (nx < e && sip_is_wsp(*nx)) {
		const char *lf = lf_scan(s, nx);
		*eol = lf > nx && lf[-1] == '\r' ? lf - 1 : lf;
		nx = lf < e ? lf + 1 : e;
	}
	return nx;
}

/* LF bits of the first LIGHT_SPAN bytes of the header part: enough for
 * nearly every response; lines past them are scanned on their own. */
#define LIGHT_WORDS 32
#define LIGHT_SPAN (64 * LIGHT_WORDS)

/* Fills w[] with the LF bits of [p, p+n), n <= LIGHT_SPAN; returns the
 * number of words. */
static size_t lf_bits(const struct sip_ps *s, const char *p, size_t n, uint64_t *w)
{
	size_t i = 0, nw = (n + 63) / 64;
#if SIP_SSE2
	const __m128i nl = _mm_set1_epi8('\n');
	for (; i + 64 <= n; i += 64)
		w[i / 64] = (uint64_t)sip_vbits(_mm_cmpeq_epi8(sip_vld(p + i), nl)) |
			    (uint64_t)sip_vbits(_mm_cmpeq_epi8(sip_vld(p + i + 16), nl)) << 16 |
			    (uint64_t)sip_vbits(_mm_cmpeq_epi8(sip_vld(p + i + 32), nl)) << 32 |
			    (uint64_t)sip_vbits(_mm_cmpeq_epi8(sip_vld(p + i + 48), nl)) << 48;
	if (i < n) {
		uint64_t m = 0;
		size_t j = i;
		for (; j + 16 <= n; j += 16)
			m |= (uint64_t)sip_vbits(_mm_cmpeq_epi8(sip_vld(p + j), nl)) << (j - i);
		if (j < n && s->end - s->buf >= 16) {
			const char *t = p + n - 16; /* the sixteen that end the span */
			m |= (uint64_t)(sip_vbits(_mm_cmpeq_epi8(sip_vld(t), nl)) >> (16 - (n - j))) << (j - i);
			j = n;
		}
		for (; j < n; j++)
			if (p[j] == '\n')
				m |= 1ull << (j - i);
		w[i / 64] = m;
	}
#else
	(void)s;
	for (; i < nw; i++)
		w[i] = 0;
	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			w[i / 64] |= 1ull << (i % 64);
#endif
	return nw;
}

/* The LF bits of sip_parse_light(): from base, span bytes, nw words. */
struct lfmap {
	const char *base;
	size_t span, nw;
	uint64_t w[LIGHT_WORDS];
};

/* The first LF at or after p, or the end of the buffer. */
static inline const char *lf_next(const struct sip_ps *s, const struct lfmap *l, const char *p)
{
	size_t off = (size_t)(p - l->base), wi = off / 64;
	uint64_t m = wi < l->nw ? l->w[wi] >> (off % 64) : 0;
	while (!m && ++wi < l->nw) {
		m = l->w[wi];
		off = wi * 64;
	}
	if (m)
		return l->base + off + __builtin_ctzll(m);
	if (l->span == (size_t)(s->end - l->base))
		return s->end;
	return lf_scan(s, p > l->base + l->span ? p : l->base + l->span);
}

/* headers() for sip_parse_light(): lines end at their LF (control bytes are
 * not looked for), and only fields whose name may be one matching needs are
 * read at all. */
static const char *headers_light(struct sip_ps *s, const struct lfmap *l, const char *p)
{
	const char *e = s->end;
	size_t fields = 0;
	while (p < e) {
		if (!sip_step(s))
			return sip_skip_headers(s, p, fields);
		const char *lf = lf_next(s, l, p);
		const char *eol = lf > p && lf[-1] == '\r' ? lf - 1 : lf, *nx = lf < e ? lf + 1 : e;
		if (eol == p) {
			if (lf == e)
				break;
			s->lf = true;
			s->fields = fields;
			return nx;
		}
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' && sip_is_wsp((char)c)) {
			FLAG(s, SIP_A_BAD_HEADER); /* continuation without a field */
			p = nx;
			continue;
		}
		const char *f = eol;
		if (nx < e && (unsigned char)*nx <= ' ' && sip_is_wsp(*nx))
			nx = fold_light(s, nx, &f);
		fields++;
		if ((size_t)(f - p) > SIP_MAX_HEADER)
			FLAG(s, SIP_A_OVERSIZE_HEADER);
		if (LIGHT_FIRST & 1u << (c & 31) && (unsigned)((c | 0x20) - 'a') < 26u)
			field_light(s, p, f);
		p = nx;
	}
	s->lf = false;
	s->fields = fields;
	return e;
}

/* parse() for sip_parse_light(), from the start line at p: its lines are
 * found by their LF bits too. */
const char *sip_message_light(struct sip_ps *s, const char *p, int *rc)
{
	struct lfmap l;
	const char *e = s->end;
	l.base = p;
	l.span = (size_t)(e - p) < LIGHT_SPAN ? (size_t)(e - p) : LIGHT_SPAN;
	l.nw = lf_bits(s, p, l.span, l.w);
	const char *lf = lf_next(s, &l, p);
	const char *eol = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
	s->lf = lf < e;
	if ((*rc = sip_start_line(s, p, eol)) < 0)
		return e;
	s->skip = ~(BIT(H_VIA) | BIT(H_CALL_ID) | BIT(H_CSEQ) | BIT(H_CONTENT_LENGTH) |
		    BIT(H_WWW_AUTHENTICATE) | BIT(H_PROXY_AUTHENTICATE));
	return s->lf ? headers_light(s, &l, lf + 1) : e;
}
