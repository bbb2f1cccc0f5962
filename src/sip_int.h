/* sip_int.h: private to sip.c and sip_hdr.c (the header-field value parsers).
 * Not part of the sip contract; nothing else includes it. */
#ifndef SW_SIP_INT_H
#define SW_SIP_INT_H

#include "sip.h"

#include <string.h>

/* Parser state for one sip_parse() call. */
struct sip_ps {
	struct sip_msg *m;
	const char *end; /* end of the buffer */
	uint32_t seen;   /* bit per header kind met (sip.c) */
	bool lf;         /* the last line scanned ended with an LF */
	bool light;      /* sip_parse_light(): skip what matching does not need */
};

#define SIP_FLAG(s, a) ((s)->m->anomalies |= 1u << (a))

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

/* sip_hdr.c */

/* Digits only, at most max; -1 (and SIP_A_BAD_NUMBER) otherwise. */
long sip_number(struct sip_ps *s, struct slice v, uint64_t max);
/* Splits a URI into user and host; false when it is not a URI. */
bool sip_uri_parts(struct slice u, struct slice *user, struct slice *host);
/* Field values, already trimmed of surrounding white space. */
void sip_hdr_via(struct sip_ps *s, struct slice v);
void sip_hdr_fromto(struct sip_ps *s, struct slice v, struct sip_nameaddr *na);
void sip_hdr_contact(struct sip_ps *s, struct slice v);
void sip_hdr_cseq(struct sip_ps *s, struct slice v);
void sip_hdr_auth(struct sip_ps *s, struct slice v, bool challenge);

#endif
