/* sip_int.h: private to sip.c (sip_parse()), sip_light.c (sip_parse_light())
 * and sip_hdr.c (the header-field value parsers).  Not part of the sip
 * contract; nothing else includes it.
 *
 * Speed: the scanners below look at sixteen bytes at a time (SSE2) and may
 * load past the end of the span they scan, but never past the end of the
 * caller's buffer (sip_ps.end): bytes past the span are masked off.  Near the
 * end of the buffer, and without SSE2, they go byte by byte. */
#ifndef SW_SIP_INT_H
#define SW_SIP_INT_H

#include "sip.h"

#include <limits.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define SIP_SSE2 1
#else
#define SIP_SSE2 0
#endif

/* Parser state for one sip_parse() call. */
struct sip_ps {
	struct sip_msg *m;
	const char *buf; /* start of the buffer */
	const char *end; /* end of the buffer */
	uint32_t seen;   /* bit per header kind met (sip.c) */
	uint32_t skip;   /* header kinds whose values are not parsed (light) */
	size_t fields;   /* header fields met */
	bool lf;         /* the last line scanned ended with an LF */
	bool light;      /* sip_parse_light(): fields passed over unread */
};

#define SIP_FLAG(s, a) ((s)->m->anomalies |= 1u << (a))

/* One step of work (a header line, a Via value, a parameter): false, and
 * SIP_A_WORK_BUDGET, once SIP_MAX_WORK are spent; the loop then stops. */
static inline bool sip_step(struct sip_ps *s)
{
	if (s->m->work >= SIP_MAX_WORK) {
		SIP_FLAG(s, SIP_A_WORK_BUDGET);
		return false;
	}
	s->m->work++;
	return true;
}

/* Byte classes, one table lookup per byte in the hot loops:
 *   SC_T  token character (RFC 3261: alphanum and -.!%*_+`'~)
 *   SC_W  linear white space inside a field value (folds keep their CR LF)
 *   SC_P  ends an unquoted parameter value: SC_W, ';' and ','
 *   SC_U  not allowed in a URI: controls, SP, DEL, '<', '>', '"'
 *   SC_D  ends the display-name scan of a name-addr: '<', ';', ',', '"'
 *   SC_Q  special inside a quoted string: '"' and '\'
 *   SC_A  '@'
 *   SC_H  ends the host of a sip URI: ':', ';', '?' */
enum { SC_T = 1, SC_W = 2, SC_P = 4, SC_U = 8, SC_D = 16, SC_Q = 32, SC_A = 64, SC_H = 128 };

#define SC_ISTOK(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
	((c) >= '0' && (c) <= '9') || (c) == '-' || (c) == '.' || (c) == '!' || (c) == '%' || \
	(c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || (c) == '\'' || (c) == '~')
#define SC_ISWS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define SC_OF(c) ((SC_ISTOK(c) ? SC_T : 0) | \
	(SC_ISWS(c) ? SC_W | SC_P : 0) | \
	((c) == ';' || (c) == ',' ? SC_P : 0) | \
	((c) <= ' ' || (c) == 0x7f || (c) == '<' || (c) == '>' || (c) == '"' ? SC_U : 0) | \
	((c) == '<' || (c) == ';' || (c) == ',' || (c) == '"' ? SC_D : 0) | \
	((c) == '"' || (c) == '\\' ? SC_Q : 0) | \
	((c) == '@' ? SC_A : 0) | \
	((c) == ':' || (c) == ';' || (c) == '?' ? SC_H : 0))
#define SC_4(c) SC_OF(c), SC_OF((c) + 1), SC_OF((c) + 2), SC_OF((c) + 3)
#define SC_16(c) SC_4(c), SC_4((c) + 4), SC_4((c) + 8), SC_4((c) + 12)

/* Bytes from 0x80 up (UTF-8) are in no class. */
static const unsigned char sip_cls[256] = {
	SC_16(0x00), SC_16(0x10), SC_16(0x20), SC_16(0x30),
	SC_16(0x40), SC_16(0x50), SC_16(0x60), SC_16(0x70),
};

static inline bool sip_is(char c, unsigned cls)
{
	return sip_cls[(unsigned char)c] & cls;
}

static inline bool sip_is_token(char c)
{
	return sip_is(c, SC_T);
}

static inline bool sip_is_lws(char c)
{
	return sip_is(c, SC_W);
}

static inline bool sip_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool sip_is_digit(char c)
{
	return (unsigned)((unsigned char)c - '0') < 10u;
}

static inline bool sip_is_alpha(char c)
{
	return (unsigned)(((unsigned char)c | 0x20) - 'a') < 26u;
}

static inline struct slice sip_mk(const char *p, const char *e)
{
	return (struct slice){ p, (size_t)(e - p) };
}

/* Compares n bytes at p with the lower-case literal lit: ASCII letters
 * case-insensitively, every other byte exactly. */
static inline bool sip_ieq(const char *p, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i], l = (unsigned char)lit[i];
		if (c != l && ((c | 0x20) != l || (unsigned)(l - 'a') >= 26u))
			return false;
	}
	return true;
}

static inline uint64_t sip_ld8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint32_t sip_ld4(const char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

/* sip_ieq() for a p known to hold token characters only: there OR-ing 0x20
 * folds case and maps nothing else onto a letter, '-', '.' or a digit, so
 * whole words compare at once (overlapping at the end). */
static inline bool sip_tok_ieq(const char *p, const char *lit, size_t n)
{
	const uint64_t f8 = 0x2020202020202020ull;
	const uint32_t f4 = 0x20202020u;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if ((sip_ld8(p + i) | f8) != sip_ld8(lit + i))
				return false;
		return (sip_ld8(p + n - 8) | f8) == sip_ld8(lit + n - 8);
	}
	if (n >= 4)
		return (sip_ld4(p) | f4) == sip_ld4(lit) && (sip_ld4(p + n - 4) | f4) == sip_ld4(lit + n - 4);
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] | 0x20) != (unsigned char)lit[i])
			return false;
	return true;
}

static inline bool sip_slice_is(struct slice s, const char *lit, size_t n)
{
	return s.len == n && sip_ieq(s.p, lit, n);
}

/* The same for a slice of token characters (a parameter name). */
static inline bool sip_name_is(struct slice s, const char *lit, size_t n)
{
	return s.len == n && sip_tok_ieq(s.p, lit, n);
}

static inline const char *sip_skip_lws(const char *p, const char *e)
{
	while (p < e && sip_is_lws(*p))
		p++;
	return p;
}

static inline const char *sip_token_end(const char *p, const char *e)
{
	while (p < e && sip_is_token(*p))
		p++;
	return p;
}

static inline struct slice sip_trim(const char *p, const char *e)
{
	p = sip_skip_lws(p, e);
	while (e > p && sip_is_lws(e[-1]))
		e--;
	return sip_mk(p, e);
}

/* ---- sixteen bytes at a time ---- */

#if SIP_SSE2
static inline __m128i sip_vld(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline __m128i sip_veq(__m128i v, char c)
{
	return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}

/* Bytes <= c, unsigned. */
static inline __m128i sip_vle(__m128i v, unsigned char c)
{
	return _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8((char)c)), v);
}

static inline unsigned sip_vbits(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(v);
}

/* Letters, digits, '-' and '.': the token characters nearly every token is
 * made of (the others are checked byte by byte). */
static inline unsigned sip_valnum(__m128i v)
{
	__m128i a = sip_vle(_mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')), 25);
	__m128i d = sip_vle(_mm_sub_epi8(v, _mm_set1_epi8('0')), 9);
	__m128i x = _mm_or_si128(sip_veq(v, '-'), sip_veq(v, '.'));
	return sip_vbits(_mm_or_si128(_mm_or_si128(a, d), x));
}

/* Control bytes: below 0x20, and DEL. */
static inline unsigned sip_vctl(__m128i v)
{
	return sip_vbits(_mm_or_si128(sip_vle(v, 0x1f), sip_veq(v, 0x7f)));
}

/* Candidates for the end of a token: anything but sip_valnum(). */
#define SIP_M_NTOK(v) (~sip_valnum(v) & 0xffffu)
/* Candidates for SC_P: SP and controls, ';' and ','. */
#define SIP_M_P(v) sip_vbits(_mm_or_si128(sip_vle(v, ' '), _mm_or_si128(sip_veq(v, ';'), sip_veq(v, ','))))
/* Exactly SC_Q. */
#define SIP_M_Q(v) sip_vbits(_mm_or_si128(sip_veq(v, '"'), sip_veq(v, '\\')))
/* Exactly SC_D. */
#define SIP_M_D(v) sip_vbits(_mm_or_si128(_mm_or_si128(sip_veq(v, '<'), sip_veq(v, ';')), \
	_mm_or_si128(sip_veq(v, ','), sip_veq(v, '"'))))

/* The body of a scanner: returns from the function at the first byte of
 * [p,e) that MASK marks and STOP confirms, or at e; falls through (p < e)
 * when fewer than 16 bytes are left in the buffer. */
#define SIP_SCAN16(MASK, STOP) \
	while (p < e && lim - p >= 16) { \
		unsigned m_ = MASK(sip_vld(p)); \
		if (e - p < 16) \
			m_ &= (1u << (e - p)) - 1; \
		for (; m_; m_ &= m_ - 1) { \
			const char *q_ = p + __builtin_ctz(m_); \
			if (STOP(*q_)) \
				return q_; \
		} \
		if (e - p <= 16) \
			return e; \
		p += 16; \
	}

#else
#define SIP_SCAN16(MASK, STOP) (void)lim;
#endif

/* The 8 bytes at p, where mask has 0xff, equal those of lit, letters in
 * any case: fold has 0x20 where lit has a letter.  All three are 8-byte
 * string literals, so the compiler folds them into constants. */
static inline bool sip_w8(const char *p, const char *lit, const char *fold, const char *mask)
{
	return ((sip_ld8(p) | sip_ld8(fold)) & sip_ld8(mask)) == (sip_ld8(lit) & sip_ld8(mask));
}

#define SIP_NOT_TOKEN(c) (!sip_is_token(c))
#define SIP_IS_P(c) sip_is(c, SC_P)
#define SIP_YES(c) ((void)(c), 1)

/* The scanners: each returns the first byte of [p,e) in its class, or e.
 * lim is the end of the buffer [p,e) lies in. */

/* First non-token byte (as sip_token_end()). */
static inline const char *sip_tok_end(const char *p, const char *e, const char *lim)
{
	SIP_SCAN16(SIP_M_NTOK, SIP_NOT_TOKEN)
	return sip_token_end(p, e);
}

/* First SC_P byte: the end of an unquoted parameter value. */
static inline const char *sip_scan_p(const char *p, const char *e, const char *lim)
{
	SIP_SCAN16(SIP_M_P, SIP_IS_P)
	while (p < e && !sip_is(*p, SC_P))
		p++;
	return p;
}

/* First '"' or '\'. */
static inline const char *sip_scan_q(const char *p, const char *e, const char *lim)
{
	SIP_SCAN16(SIP_M_Q, SIP_YES)
	while (p < e && !sip_is(*p, SC_Q))
		p++;
	return p;
}

/* First SC_D byte. */
static inline const char *sip_scan_d(const char *p, const char *e, const char *lim)
{
	SIP_SCAN16(SIP_M_D, SIP_YES)
	while (p < e && !sip_is(*p, SC_D))
		p++;
	return p;
}

/* First byte equal to c. */
static inline const char *sip_scan_c(const char *p, const char *e, const char *lim, char c)
{
#define SIP_M_C(v) sip_vbits(sip_veq(v, c))
	SIP_SCAN16(SIP_M_C, SIP_YES)
#undef SIP_M_C
	while (p < e && *p != c)
		p++;
	return p;
}

/* p is at an opening quote: returns the closing one (backslash escapes
 * honoured), or NULL when the string is not closed before e. */
static inline const char *sip_quoted_end(const char *p, const char *e, const char *lim)
{
	for (p++;; p += 2) {
		p = sip_scan_q(p, e, lim);
		if (p == e)
			return NULL;
		if (*p == '"')
			return p;
		if (e - p < 2) /* a backslash escapes the next byte */
			return NULL;
	}
}

/* Digits only, at most max; -1 (and SIP_A_BAD_NUMBER) otherwise. */
static inline long sip_number(struct sip_ps *s, struct slice v, uint64_t max)
{
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (!sip_is_digit(v.p[i]))
			goto bad;
		if (n <= max)
			n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (v.len && n <= max)
		return (long)n;
bad:
	SIP_FLAG(s, SIP_A_BAD_NUMBER);
	return -1;
}

/* Which of the usual methods [p,e) is, exactly (RFC 3261 methods are
 * case-sensitive); SIP_M_NONE for anything else, to be looked at closer. */
static inline enum sip_method sip_method_is(const char *p, const char *e)
{
	switch (e - p) {
	case 8: return sip_ld8(p) == sip_ld8("REGISTER") ? SIP_M_REGISTER : SIP_M_NONE;
	case 7: return sip_ld4(p) == sip_ld4("OPTI") && sip_ld4(p + 3) == sip_ld4("IONS") ? SIP_M_OPTIONS : SIP_M_NONE;
	case 6: return sip_ld4(p) == sip_ld4("INVI") && sip_ld4(p + 2) == sip_ld4("VITE") ? SIP_M_INVITE : SIP_M_NONE;
	case 3: return p[0] == 'A' && p[1] == 'C' && p[2] == 'K' ? SIP_M_ACK :
		       p[0] == 'B' && p[1] == 'Y' && p[2] == 'E' ? SIP_M_BYE : SIP_M_NONE;
	default: return SIP_M_NONE;
	}
}

/* sip_method_from() for a token known to be one. */
enum sip_method sip_method_tok(const char *p, size_t len);

/* sip_hdr.c */

/* Splits a URI into user and host; false when it is not a URI.  lim: the
 * end of the buffer u lies in. */
bool sip_uri_parts(struct slice u, const char *lim, struct slice *user, struct slice *host);
/* Field values, already trimmed of surrounding white space. */
void sip_hdr_via(struct sip_ps *s, struct slice v);
void sip_hdr_fromto(struct sip_ps *s, struct slice v, struct sip_nameaddr *na);
void sip_hdr_contact(struct sip_ps *s, struct slice v);
void sip_hdr_cseq(struct sip_ps *s, struct slice v);
void sip_hdr_auth(struct sip_ps *s, struct slice v, bool challenge);

/* ---- header fields (sip.c and sip_light.c) ---- */

/* Header fields we look into; everything else is H_OTHER. */
enum hdr {
	H_OTHER, H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_MAX_FORWARDS,
	H_CONTACT, H_EXPIRES, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_USER_AGENT,
	H_SERVER, H_AUTHORIZATION, H_PROXY_AUTHORIZATION, H_WWW_AUTHENTICATE,
	H_PROXY_AUTHENTICATE,
};

/* Largest Expires and Content-Length taken: 2^32-1 where a long holds it. */
#if LONG_MAX > 0xffffffff
#define NUM32_MAX 0xffffffffu
#else
#define NUM32_MAX 0x7fffffffu
#endif

#define BIT(h) (1u << (h))
/* Fields that must appear once: a second one is SIP_A_DUPLICATE_HEADER. */
#define ONCE (BIT(H_FROM) | BIT(H_TO) | BIT(H_CALL_ID) | BIT(H_CSEQ) | \
	      BIT(H_MAX_FORWARDS) | BIT(H_CONTENT_LENGTH))

/* The header field of a compact name (one letter, lower case). */
static inline enum hdr sip_compact(unsigned char c)
{
	switch (c) {
	case 'v': return H_VIA;
	case 'f': return H_FROM;
	case 't': return H_TO;
	case 'i': return H_CALL_ID;
	case 'm': return H_CONTACT;
	case 'l': return H_CONTENT_LENGTH;
	case 'c': return H_CONTENT_TYPE;
	default: return H_OTHER; /* k s e o u r x y j b d: nothing to extract */
	}
}

/* sip.c: the start line (-1: not SIP), and the general reading of a
 * header name (returns its colon, or NULL and SIP_A_BAD_HEADER). */
int sip_start_line(struct sip_ps *s, const char *p, const char *e);
/* The header part from the line at p on, once the budget is spent: only
 * its end (a blank line) is looked for.  Returns the start of the body, or
 * the end of the buffer (s->lf false) when there is none. */
const char *sip_skip_headers(struct sip_ps *s, const char *p, size_t fields);
const char *sip_name_slow(struct sip_ps *s, const char *p, const char *e, enum hdr *h);
/* sip_light.c: the start line and header part for sip_parse_light(), from
 * p; returns the start of the body, *rc as sip_start_line()'s. */
const char *sip_message_light(struct sip_ps *s, const char *p, int *rc);

/* A field's value, without the seen/duplicate bookkeeping. */
static inline void sip_dispatch(struct sip_ps *s, enum hdr h, struct slice v, bool first)
{
	struct sip_msg *m = s->m;
	switch (h) {
	case H_VIA: sip_hdr_via(s, v); break;
	case H_FROM: sip_hdr_fromto(s, v, &m->from); break;
	case H_TO: sip_hdr_fromto(s, v, &m->to); break;
	case H_CALL_ID: m->call_id = v; break;
	case H_CSEQ: sip_hdr_cseq(s, v); break;
	case H_MAX_FORWARDS: m->max_forwards = (int)sip_number(s, v, 255); break;
	case H_CONTENT_LENGTH: m->content_length = sip_number(s, v, NUM32_MAX); break;
	case H_EXPIRES:
		if (first)
			m->expires = sip_number(s, v, NUM32_MAX);
		break;
	case H_CONTACT: if (first) sip_hdr_contact(s, v); break;
	case H_CONTENT_TYPE: if (first) m->content_type = v; break;
	case H_USER_AGENT: if (first) m->user_agent = v; break;
	case H_SERVER: if (first) m->server = v; break;
	case H_AUTHORIZATION:
	case H_PROXY_AUTHORIZATION:
		m->has_auth = true;
		if (!m->creds.p)
			m->creds.p = v.p;
		else
			m->creds_many = true;
		m->creds.len = (size_t)(v.p + v.len - m->creds.p);
		sip_hdr_auth(s, v, false);
		break;
	case H_WWW_AUTHENTICATE:
	case H_PROXY_AUTHENTICATE:
		m->has_challenge = true;
		sip_hdr_auth(s, v, true); /* light too: the nonce is wanted */
		break;
	case H_OTHER: break;
	}
}

/* A field's bookkeeping and value: h its kind, c its colon, e its end. */
static inline void sip_field_value(struct sip_ps *s, enum hdr h, const char *c, const char *e)
{
	if (h == H_OTHER)
		return;
	uint32_t bit = BIT(h);
	bool first = !(s->seen & bit);
	s->seen |= bit;
	if (!first && (ONCE & bit)) {
		SIP_FLAG(s, SIP_A_DUPLICATE_HEADER);
		return;
	}
	if (bit & s->skip)
		return;
	const char *v = c + 1;
	if (v < e && *v == ' ')
		v++;
	if (v < e && sip_is_lws(*v))
		v = sip_skip_lws(v, e);
	while (e > v && sip_is_lws(e[-1]))
		e--;
	sip_dispatch(s, h, sip_mk(v, e), first);
}

#endif
