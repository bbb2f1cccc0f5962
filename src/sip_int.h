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
};

#define SIP_FLAG(s, a) ((s)->m->anomalies |= 1u << (a))

/* Byte classes: SC_T token (alphanum and -.!%*_+`'~, RFC 3261), SC_W linear white
 * space inside a field value (folds keep their CR LF), SC_P a byte that
 * ends an unquoted parameter value (SC_W, ';' and ','). */
enum { SC_T = 1, SC_W = 2, SC_P = 4 };
static const unsigned char sip_cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, SC_W|SC_P, SC_W|SC_P, 0, 0, SC_W|SC_P, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	SC_W|SC_P, SC_T, 0, 0, 0, SC_T, 0, SC_T, 0, 0, SC_T, SC_T, SC_P, SC_T, SC_T, 0,
	SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, 0, SC_P, 0, 0, 0, 0,
	0, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T,
	SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, 0, 0, 0, 0, SC_T,
	SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T,
	SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, SC_T, 0, 0, 0, SC_T, 0,
};

static inline bool sip_is_token(char c)
{
	return sip_cls[(unsigned char)c] & SC_T;
}

static inline bool sip_is_lws(char c)
{
	return sip_cls[(unsigned char)c] & SC_W;
}

/* Ends an unquoted parameter value. */
static inline bool sip_is_pstop(char c)
{
	return sip_cls[(unsigned char)c] & SC_P;
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
		unsigned char c = (unsigned char)p[i];
		if ((unsigned)(c - 'A') < 26u)
			c |= 0x20;
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

static inline bool sip_slice_is(struct slice s, const char *lit, size_t n)
{
	return s.len == n && sip_ieq(s.p, lit, n);
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
