/* sip: SIP message parser (RFC 3261), see sip.h.
 *
 * One pass over the header part.  sip_parse(): the first 32 bytes of each
 * line are loaded once (SSE2) for its control bytes, its end and its colon;
 * the name is matched against a table of the usual names with one vector
 * compare (name_fast()), anything unusual goes the general way
 * (sip_name_slow()).  Each field (folded lines joined) is then parsed in
 * place (sip_hdr.c).  sip_parse_light() reads less (sip_light.c); both
 * start and end in parse().  Field values keep their folding (CR LF SP)
 * inside the slices: the value parsers treat CR and LF as linear white
 * space.  Nothing is allocated and nothing outside *m is written.
 *
 * Vector code may load up to 16 bytes past a span, never past the buffer:
 * every fast path either reads exactly what the general code would, or
 * gives up before writing anything, and the general code decides. */
#include "sip_int.h"

#define FLAG SIP_FLAG

/* ---- lines ---- */

/* The first control byte at or after p, or the end of the buffer: sixteen
 * bytes at a time, the last few as the sixteen that end the buffer (when it
 * is that long), else byte by byte. */
static const char *ctl_scan(const struct sip_ps *s, const char *p)
{
	const char *e = s->end;
#if SIP_SSE2
	for (; e - p >= 16; p += 16) {
		unsigned m = sip_vctl(sip_vld(p));
		if (m)
			return p + __builtin_ctz(m);
	}
	if (p < e && e - s->buf >= 16) {
		unsigned m = sip_vctl(sip_vld(e - 16)) >> (16 - (e - p));
		return m ? p + __builtin_ctz(m) : e;
	}
#endif
	while (p < e && (unsigned char)*p >= 0x20 && *p != 0x7f)
		p++;
	return p;
}

/* Where line_end() has looked for quoted strings: bytes before c are read,
 * q is true inside a quoted string. */
struct qstate {
	const char *c;
	bool q;
};

/* True when the control byte at p is the second byte of a quoted-pair
 * ("\" and any byte but CR and LF, RFC 3261 25.1) inside a quoted string
 * that opened on this line: the display name "BEL:\<07>" is valid.  Reads
 * each byte of a line once however many control bytes it holds. */
static bool quoted_pair(struct qstate *st, const char *p)
{
	const char *c = st->c;
	bool q = st->q;
	for (; c < p; c++) {
		if (*c == '"')
			q = !q;
		else if (*c == '\\' && q)
			c++; /* the escaped byte: c == p + 1 when it is p */
	}
	bool escaped = c > p;
	st->c = p + 1;
	st->q = q;
	return escaped;
}

/* The rest of the line from p once a control byte in it is flagged: only
 * its end matters now (an LF always ends a line), not more control bytes. */
static const char *line_rest(struct sip_ps *s, const char *start, const char *p, const char **eol)
{
	const char *e = s->end, *nl = memchr(p, '\n', (size_t)(e - p));
	s->lf = nl != NULL;
	if (!nl) {
		*eol = (e > start && e[-1] == '\r') ? e - 1 : e;
		return e;
	}
	*eol = nl[-1] == '\r' ? nl - 1 : nl;
	return nl + 1;
}

/* Finds the end of the line that starts at p: *eol is set past its last
 * content byte (before CR LF, or a bare LF) and the start of the next line
 * is returned.  Control bytes on the way are flagged, but for those escaped
 * in a quoted string.  Without an LF the line runs to the end of the buffer
 * (a trailing CR dropped) and s->lf is cleared. */
static const char *line_end(struct sip_ps *s, const char *p, const char **eol)
{
	const char *start = p, *e = s->end;
	struct qstate qs = { p, false };
	for (;;) {
		p = ctl_scan(s, p);
		if (p == e)
			break;
		if (*p == '\r' && e - p >= 2 && p[1] == '\n') {
			*eol = p;
			s->lf = true;
			return p + 2;
		}
		if (*p == '\n') {
			*eol = p;
			s->lf = true;
			return p + 1;
		}
		if (*p != '\t' && *p != '\r' && !quoted_pair(&qs, p)) {
			SIP_FLAG(s, SIP_A_CONTROL_CHAR);
			return line_rest(s, start, p + 1, eol);
		}
		p++;
	}
	*eol = (e > start && e[-1] == '\r') ? e - 1 : e;
	s->lf = false;
	return e;
}

/* ---- start line ---- */

/* "SIP/" (letters in any case) at p, which has 4 bytes. */
static bool is_sip_slash(const char *p)
{
	return (sip_ld4(p) | sip_ld4("\x20\x20\x20\0")) == sip_ld4("sip/");
}

static bool is_v20(const char *p, const char *e)
{
	return e - p == 7 && is_sip_slash(p) && sip_ld4(p + 3) == sip_ld4("/2.0");
}

static int status_line(struct sip_ps *s, const char *p, const char *e)
{
	struct sip_msg *m = s->m;
	/* the usual "SIP/2.0 NNN " at once */
	if (e - p >= 12 && is_v20(p, p + 7) && p[7] == ' ' && sip_is_digit(p[8]) && sip_is_digit(p[9]) &&
	    sip_is_digit(p[10]) && p[11] == ' ') {
		int n = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
		if (n >= 100 && n <= 699)
			m->status = n;
		else
			FLAG(s, SIP_A_BAD_NUMBER);
		m->reason = sip_mk(p + 12, e);
		return 0;
	}
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	if (!is_v20(p, sp ? sp : e))
		FLAG(s, SIP_A_BAD_VERSION);
	if (!sp) {
		FLAG(s, SIP_A_BAD_START_LINE);
		return 0;
	}
	const char *c = sp + 1, *ce = c;
	while (ce < e && *ce != ' ')
		ce++;
	if (ce == c) {
		FLAG(s, SIP_A_BAD_START_LINE);
	} else {
		long n = ce - c == 3 ? sip_number(s, sip_mk(c, ce), 999) : -1;
		if (n >= 100 && n <= 699)
			m->status = (int)n;
		else
			FLAG(s, SIP_A_BAD_NUMBER);
	}
	m->reason = ce < e ? sip_mk(ce + 1, e) : sip_mk(e, e);
	return 0;
}

/* A sip or sips URI with headers ('?' after the user part), which a
 * Request-URI may not have (RFC 3261 19.1.1). */
static bool uri_headers(struct slice u)
{
	const char *p = u.p, *e = p + u.len;
	if (u.len >= 4 && (sip_ld4(p) | sip_ld4("\x20\x20\x20\0")) == sip_ld4("sip:"))
		p += 4;
	else if (u.len >= 5 && sip_ieq(p, "sips:", 5))
		p += 5;
	else
		return false;
	const char *at = memchr(p, '@', (size_t)(e - p)); /* '?' may be in the user part */
	p = at ? at + 1 : p;
	return memchr(p, '?', (size_t)(e - p)) != NULL;
}

/* Method SP Request-URI SP SIP-Version.  A line whose last word does not
 * start with "SIP/" is not SIP at all (-1). */
static int request_line(struct sip_ps *s, const char *p, const char *e)
{
	struct sip_msg *m = s->m;
	/* the usual "METHOD SP uri SP SIP/2.0": the last SP before "SIP/2.0" */
	const char *v = e - p >= 16 && e[-8] == ' ' && is_v20(e - 7, e) ? e - 8 :
			e > p ? memrchr(p, ' ', (size_t)(e - p)) : NULL;
	if (!v || e - v < 5 || !is_sip_slash(v + 1)) {
		FLAG(s, SIP_A_BAD_START_LINE);
		return -1;
	}
	if (!is_v20(v + 1, e))
		FLAG(s, SIP_A_BAD_VERSION);
	m->is_request = true;
	const char *t = NULL;
	enum sip_method k = SIP_M_NONE;
	for (int n = 8; n >= 3 && !t; n--) /* the usual methods at once */
		if (v - p > n && p[n] == ' ' && (k = sip_method_is(p, p + n)) != SIP_M_NONE)
			t = p + n;
	if (!t) {
		t = sip_tok_end(p, v, s->end);
		k = sip_method_tok(p, (size_t)(t - p));
	}
	m->method_s = sip_mk(p, t);
	m->method = k;
	if (t == p || *t != ' ')
		FLAG(s, SIP_A_BAD_START_LINE);
	const char *u = t < v ? t + 1 : v, *ue = v;
	if ((u < ue && *u == ' ') || (ue > u && ue[-1] == ' ')) {
		FLAG(s, SIP_A_BAD_START_LINE); /* more than one SP */
		while (u < ue && *u == ' ')
			u++;
		while (ue > u && ue[-1] == ' ')
			ue--;
	}
	m->ruri = sip_mk(u, ue);
	if (u == ue)
		FLAG(s, SIP_A_BAD_START_LINE);
	else if (!sip_uri_parts(m->ruri, s->end, &m->ruri_user, &m->ruri_host) || uri_headers(m->ruri))
		FLAG(s, SIP_A_BAD_URI);
	return 0;
}

/* A status line may end in SP (empty reason); a request line may not. */
int sip_start_line(struct sip_ps *s, const char *p, const char *e)
{
	if (e - p >= 4 && is_sip_slash(p))
		return status_line(s, p, e);
	if (e > p && sip_is_wsp(e[-1])) {
		FLAG(s, SIP_A_BAD_START_LINE);
		while (e > p && sip_is_wsp(e[-1]))
			e--;
	}
	return request_line(s, p, e);
}

/* ---- header names ---- */

#define IS(lit, h) (sip_tok_ieq(n, lit, sizeof(lit) - 1) ? (h) : H_OTHER)

/* Dispatches a header name on its length and first letter. */
static enum hdr hdr_id(const char *n, size_t len)
{
	unsigned char c = (unsigned char)(n[0] | 0x20);
	switch (len) {
	case 1: return sip_compact(c);
	case 2: return IS("to", H_TO);
	case 3: return IS("via", H_VIA);
	case 4: return c == 'f' ? IS("from", H_FROM) : IS("cseq", H_CSEQ);
	case 6: return IS("server", H_SERVER);
	case 7:
		if (c == 'e')
			return IS("expires", H_EXPIRES);
		return (n[1] | 0x20) == 'a' ? IS("call-id", H_CALL_ID) : IS("contact", H_CONTACT);
	case 10: return IS("user-agent", H_USER_AGENT);
	case 12: return c == 'm' ? IS("max-forwards", H_MAX_FORWARDS) : IS("content-type", H_CONTENT_TYPE);
	case 13: return IS("authorization", H_AUTHORIZATION);
	case 14: return IS("content-length", H_CONTENT_LENGTH);
	case 16: return IS("www-authenticate", H_WWW_AUTHENTICATE);
	case 18: return IS("proxy-authenticate", H_PROXY_AUTHENTICATE);
	case 19: return IS("proxy-authorization", H_PROXY_AUTHORIZATION);
	default: return H_OTHER;
	}
}

#undef IS

#if SIP_SSE2
/* Names read at once, as nearly every sender writes them: lower case, the
 * colon right after the name, zero-padded (16-byte loads); keep has a bit
 * for each byte of the name and colon in the last 16 bytes.  Compact forms
 * are all here; some fields sip_parse does not look into are too, only to
 * be passed over quickly. */
struct known {
	char lit[32];
	uint16_t keep;
	unsigned char h;
};

#define K(s, h) { s ":", (uint16_t)((2u << ((sizeof(s) - 1) & 15)) - 1), h }
static const struct known known[] = {
	K("", H_OTHER), /* index 0: none */
	K("a", H_OTHER), K("b", H_OTHER), K("c", H_CONTENT_TYPE), K("d", H_OTHER),
	K("e", H_OTHER), K("f", H_FROM), K("g", H_OTHER), K("h", H_OTHER),
	K("i", H_CALL_ID), K("j", H_OTHER), K("k", H_OTHER), K("l", H_CONTENT_LENGTH),
	K("m", H_CONTACT), K("n", H_OTHER), K("o", H_OTHER), K("p", H_OTHER),
	K("q", H_OTHER), K("r", H_OTHER), K("s", H_OTHER), K("t", H_TO),
	K("u", H_OTHER), K("v", H_VIA), K("w", H_OTHER), K("x", H_OTHER),
	K("y", H_OTHER), K("z", H_OTHER),
#define K_LONG 27
	K("to", H_TO), K("via", H_VIA), K("from", H_FROM), K("cseq", H_CSEQ),
	K("date", H_OTHER), K("allow", H_OTHER), K("route", H_OTHER),
	K("server", H_SERVER), K("accept", H_OTHER), K("expires", H_EXPIRES),
	K("call-id", H_CALL_ID), K("contact", H_CONTACT), K("subject", H_OTHER),
	K("require", H_OTHER), K("supported", H_OTHER), K("user-agent", H_USER_AGENT),
	K("max-forwards", H_MAX_FORWARDS), K("content-type", H_CONTENT_TYPE),
	K("record-route", H_OTHER), K("allow-events", H_OTHER),
	K("authorization", H_AUTHORIZATION), K("content-length", H_CONTENT_LENGTH),
	K("www-authenticate", H_WWW_AUTHENTICATE), K("proxy-authenticate", H_PROXY_AUTHENTICATE),
	K("proxy-authorization", H_PROXY_AUTHORIZATION),
};
#undef K

/* known[] by name length and first letter (its low five bits): at most one
 * candidate each, but for call-id and contact.  0: none. */
#define AT(len, c, i) [len][(c) & 31] = K_LONG + (i)
static const unsigned char known_at[32][32] = {
	AT(2, 't', 0), AT(3, 'v', 1), AT(4, 'f', 2), AT(4, 'c', 3), AT(4, 'd', 4),
	AT(5, 'a', 5), AT(5, 'r', 6), AT(6, 's', 7), AT(6, 'a', 8), AT(7, 'e', 9),
	AT(7, 'c', 10), AT(7, 's', 12), AT(7, 'r', 13), AT(9, 's', 14), AT(10, 'u', 15),
	AT(12, 'm', 16), AT(12, 'c', 17), AT(12, 'r', 18), AT(12, 'a', 19),
	AT(13, 'a', 20), AT(14, 'c', 21), AT(16, 'w', 22), AT(18, 'p', 23), AT(19, 'p', 24),
	[1] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
		20, 21, 22, 23, 24, 25, 26 }, /* the compact forms: 'a' & 31 == 1 */
};
#undef AT
#endif

/* The common case of a header name: a name of known[] with its colon right
 * after it, within the first 32 bytes (colon: where their colons are), and
 * no control byte (the first is at q) up to the colon.  Returns the name's
 * length and sets *h, or returns 0 for sip_name_slow() to look closer.  What
 * it accepts, sip_name_slow() would read the same way: OR-ing 0x20 folds a
 * letter's case and could only turn a control byte into '-' or ':', and
 * there is none. */
static inline size_t name_fast(const char *p, const char *q, uint32_t colon, enum hdr *h)
{
#if SIP_SSE2
	const __m128i low = _mm_set1_epi8(0x20);
	size_t n = (size_t)__builtin_ctz(colon | 0x80000000u);
	if ((ptrdiff_t)n >= q - p)
		return 0;
	unsigned k = known_at[n][p[0] & 31];
	if (k == K_LONG + 10 && (p[1] | 0x20) != 'a')
		k++; /* contact, not call-id */
	const struct known *w = &known[k];
	unsigned eq = sip_vbits(_mm_cmpeq_epi8(_mm_or_si128(sip_vld(p), low), sip_vld(w->lit)));
	if (n >= 16) {
		if (eq != 0xffff)
			return 0;
		eq = sip_vbits(_mm_cmpeq_epi8(_mm_or_si128(sip_vld(p + 16), low), sip_vld(w->lit + 16)));
	}
	if ((eq & w->keep) != w->keep || !k)
		return 0;
	*h = (enum hdr)w->h;
	return n;
#else
	(void)p, (void)q, (void)colon, (void)h;
	return 0;
#endif
}

/* The general case: name, white space, colon.  Returns the colon, or NULL
 * (and SIP_A_BAD_HEADER) when there is none where it belongs. */
const char *sip_name_slow(struct sip_ps *s, const char *p, const char *e, enum hdr *h)
{
	const char *n = sip_tok_end(p, e, s->end), *c = n;
	while (c < e && sip_is_wsp(*c))
		c++;
	if (n == p || c == e || *c != ':') {
		FLAG(s, SIP_A_BAD_HEADER);
		return NULL;
	}
	*h = hdr_id(p, (size_t)(n - p));
	return c;
}

/* ---- header fields ---- */

/* One header field [p,e), folded lines included; q is its first control
 * byte (or e), colon has a bit for each colon in its first 32 bytes (none
 * when fewer are in the buffer). */
static inline void field(struct sip_ps *s, const char *p, const char *e, const char *q, uint32_t colon)
{
	if ((size_t)(e - p) > SIP_MAX_HEADER)
		FLAG(s, SIP_A_OVERSIZE_HEADER);
	enum hdr h;
	size_t n = colon ? name_fast(p, q, colon, &h) : 0;
	const char *c = p + n;
	if (!n && !(c = sip_name_slow(s, p, e, &h)))
		return;
	sip_field_value(s, h, c, e);
}

/* Joins the continuation lines from nx (one at least) to the field whose
 * line ended at *eol: returns the start of the next line. */
static const char *fold(struct sip_ps *s, const char *nx, const char **eol)
{
	const char *e = s->end;
	while (nx < e && sip_is_wsp(*nx))
		nx = line_end(s, nx, eol);
	return nx;
}

/* Header lines from p up to the blank line.  Returns the start of the body;
 * s->lf is false when the buffer ended first.  The first 32 bytes of a line
 * are looked at once for its name, colon and control bytes; a line ending
 * in CR LF with no control byte before is the case taken first. */
static const char *headers(struct sip_ps *s, const char *p)
{
	const char *e = s->end;
	size_t fields = 0;
	while (p < e) {
		const char *eol, *nx, *q;
		uint32_t colon = 0;
		if (!sip_step(s))
			return sip_skip_headers(s, p, fields);
#if SIP_SSE2
		if (e - p >= 32) {
			__m128i v0 = sip_vld(p), v1 = sip_vld(p + 16);
			uint32_t c = sip_vctl(v0) | sip_vctl(v1) << 16;
			colon = sip_vbits(sip_veq(v0, ':')) | sip_vbits(sip_veq(v1, ':')) << 16;
			if (c) {
				q = p + __builtin_ctz(c);
			} else {
				for (q = p + 32; e - q >= 16; q += 16)
					if ((c = sip_vctl(sip_vld(q))) != 0)
						break;
				q = c ? q + __builtin_ctz(c) : ctl_scan(s, q);
			}
		} else {
			q = ctl_scan(s, p);
			if (e - p >= 16)
				colon = sip_vbits(sip_veq(sip_vld(p), ':'));
		}
#else
		q = ctl_scan(s, p);
#endif
		if (e - q >= 2 && q[0] == '\r' && q[1] == '\n') {
			eol = q;
			nx = q + 2;
			if (q == p) {
				s->lf = true;
				s->fields = fields;
				return nx;
			}
		} else {
			nx = line_end(s, p, &eol);
			if (eol == p) {
				if (!s->lf)
					break;
				s->fields = fields;
				return nx;
			}
		}
		if (sip_is_wsp(*p)) {
			FLAG(s, SIP_A_BAD_HEADER); /* continuation without a field */
			p = nx;
			continue;
		}
		if (nx < e && sip_is_wsp(*nx))
			nx = fold(s, nx, &eol);
		fields++;
		field(s, p, eol, q, colon);
		p = nx;
	}
	s->lf = false;
	s->fields = fields;
	return e;
}

/* The first LF at or after p that ends a blank line (LF LF or LF CR LF),
 * or NULL.  Sixteen bytes at a time, the LF and CR bits of the bytes one
 * and two further on lined up with them: a header part of 13,000 tiny lines
 * costs no more than one of a few long ones. */
static const char *blank_line(const char *p, const char *e)
{
#if SIP_SSE2
	for (; e - p >= 18; p += 16) {
		__m128i v1 = sip_vld(p + 1);
		unsigned m = sip_vbits(sip_veq(sip_vld(p), '\n')) &
			     (sip_vbits(sip_veq(v1, '\n')) |
			      (sip_vbits(sip_veq(v1, '\r')) & sip_vbits(sip_veq(sip_vld(p + 2), '\n'))));
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	for (; e - p >= 2; p++)
		if (*p == '\n' && (p[1] == '\n' || (p[1] == '\r' && e - p >= 3 && p[2] == '\n')))
			return p;
	return NULL;
}

static bool frame_cl(const char *p, const char *e, long *cl);

const char *sip_skip_headers(struct sip_ps *s, const char *p, size_t fields)
{
	const char *b = blank_line(p - 1, s->end); /* p follows an LF */
	s->fields = fields;
	s->lf = b != NULL;
	if (!b)
		return s->end;
	/* the Content-Length still frames the message as sip_frame() does
	 * (one name compare a line), so body and length stay right */
	long cl = s->m->content_length;
	for (const char *q = p; q <= b; q = (const char *)memchr(q, '\n', (size_t)(b + 1 - q)) + 1)
		if (!frame_cl(q, b + 1, &cl))
			break;
	s->m->content_length = cl;
	return b + (b[1] == '\n' ? 2 : 3);
}

/* a and b hold the same bytes. */
static bool same(struct slice a, struct slice b)
{
	size_t n = a.len;
	if (n != b.len)
		return false;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (sip_ld8(a.p + i) != sip_ld8(b.p + i))
				return false;
		return sip_ld8(a.p + n - 8) == sip_ld8(b.p + n - 8);
	}
	if (n >= 4)
		return sip_ld4(a.p) == sip_ld4(b.p) && sip_ld4(a.p + n - 4) == sip_ld4(b.p + n - 4);
	for (size_t i = 0; i < n; i++)
		if (a.p[i] != b.p[i])
			return false;
	return true;
}

/* Mandatory fields and their consistency. */
static void check_fields(struct sip_ps *s)
{
	struct sip_msg *m = s->m;
	if (!(s->seen & BIT(H_VIA)))
		FLAG(s, SIP_A_MISSING_VIA);
	if (!(s->seen & BIT(H_FROM)) && !s->light)
		FLAG(s, SIP_A_MISSING_FROM);
	if (!(s->seen & BIT(H_TO)) && !s->light)
		FLAG(s, SIP_A_MISSING_TO);
	if (!m->call_id.len)
		FLAG(s, SIP_A_MISSING_CALL_ID);
	if (!(s->seen & BIT(H_CSEQ)))
		FLAG(s, SIP_A_MISSING_CSEQ);
	if (m->header_count > SIP_MAX_HEADERS)
		FLAG(s, SIP_A_TOO_MANY_HEADERS);
	if (m->via_count > SIP_MAX_VIAS)
		FLAG(s, SIP_A_TOO_MANY_VIAS);
	if (!m->is_request)
		return;
	if (!(s->seen & BIT(H_MAX_FORWARDS)) && !s->light)
		FLAG(s, SIP_A_MISSING_MAX_FORWARDS);
	struct slice a = m->cseq_method_s, b = m->method_s;
	if ((s->seen & BIT(H_CSEQ)) && !same(a, b))
		FLAG(s, SIP_A_CSEQ_METHOD);
}

/* Body and message length.  Datagram: the rest of the buffer, cut to a
 * shorter Content-Length (RFC 3261 18.3).  Stream: Content-Length bytes. */
static void frame_body(struct sip_ps *s, const char *buf, const char *body, bool stream)
{
	struct sip_msg *m = s->m;
	size_t hlen = (size_t)(body - buf), avail = (size_t)(s->end - body), blen = avail;
	uint64_t want = avail;
	if (!s->lf) {
		FLAG(s, SIP_A_TRUNCATED);
		blen = 0;
	} else if (m->content_length >= 0) {
		want = (uint64_t)m->content_length;
		if (want > avail)
			FLAG(s, stream ? SIP_A_TRUNCATED : SIP_A_CONTENT_LENGTH_MISMATCH);
		else
			blen = (size_t)want;
	} else if (stream) {
		if (!(s->seen & BIT(H_CONTENT_LENGTH)))
			FLAG(s, SIP_A_CONTENT_LENGTH_MISSING);
		blen = 0;
	}
	if (hlen + (want > blen ? want : blen) > SIP_MAX_MESSAGE)
		FLAG(s, SIP_A_OVERSIZE_MESSAGE);
	m->body = (struct slice){ body, blen };
	m->msg_len = hlen + blen;
}

static int parse(const char *buf, size_t len, bool stream, bool light, struct sip_msg *m)
{
	struct sip_ps s = { .m = m, .buf = buf, .light = light };
	size_t sz = sizeof(*m);
	__asm__("" : "+r"(sz)); /* libc's memset: faster than an inline rep stos */
	memset(m, 0, sz);
	m->max_forwards = -1;
	m->expires = -1;
	m->content_length = -1;
	if (!len) {
		FLAG(&s, SIP_A_BAD_START_LINE);
		return -1;
	}
	s.end = buf + len;
	const char *p = buf + sip_frame_skip_ws(buf, len), *eol, *body;
	if (light) {
		int rc;
		body = sip_message_light(&s, p, &rc);
		if (rc < 0)
			return -1;
	} else {
		const char *nx = line_end(&s, p, &eol);
		if (sip_start_line(&s, p, eol) < 0)
			return -1;
		body = s.lf ? headers(&s, nx) : s.end;
	}
	m->header_count = s.fields < UINT16_MAX ? (uint16_t)s.fields : UINT16_MAX;
	check_fields(&s);
	frame_body(&s, buf, body, stream);
	return 0;
}

int sip_parse(const char *buf, size_t len, bool stream, struct sip_msg *m)
{
	return parse(buf, len, stream, false, m);
}

int sip_parse_light(const char *buf, size_t len, bool stream, struct sip_msg *m)
{
	return parse(buf, len, stream, true, m);
}

/* ---- stream framing ---- */

/* Skips white space inside a field value as sip_trim() sees it: SP, HT,
 * CR, and LF when a fold (SP/HT) follows. */
static const char *skip_sws(const char *p, const char *e)
{
	while (p < e && (sip_is_wsp(*p) || *p == '\r' || (*p == '\n' && p + 1 < e && sip_is_wsp(p[1]))))
		p++;
	return p;
}

/* Returns the end of the header block (after its blank line) that follows
 * the start line at p, or NULL when it is not in [p,e) yet. */
static const char *frame_hend(const char *p, const char *e)
{
	const char *nl;
	while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		p = nl + 1;
		if (p < e && *p == '\n')
			return p + 1;
		if (e - p >= 2 && p[0] == '\r' && p[1] == '\n')
			return p + 2;
	}
	return NULL;
}

/* If the line at p is a Content-Length field, parses its value into *cl:
 * returns false when the value is bad or differs from an earlier one. */
static bool frame_cl(const char *p, const char *e, long *cl)
{
	const char *n = sip_tok_end(p, e, e), *d;
	size_t len = (size_t)(n - p);
	if (!(len == 1 && (*p | 0x20) == 'l') && !(len == 14 && sip_tok_ieq(p, "content-length", 14)))
		return true;
	while (n < e && sip_is_wsp(*n))
		n++;
	if (n == e || *n != ':')
		return true;
	long v = 0;
	for (d = n = skip_sws(n + 1, e); n < e && sip_is_digit(*n); n++) {
		v = v * 10 + (*n - '0');
		if (v > SIP_MAX_MESSAGE)
			return false;
	}
	n = skip_sws(n, e);
	if (n == d || n == e || *n != '\n' || (*cl >= 0 && *cl != v))
		return false;
	*cl = v;
	return true;
}

long sip_frame(const char *buf, size_t len)
{
	if (!len)
		return 0;
	const char *s = buf + sip_frame_skip_ws(buf, len), *e = buf + len;
	const char *hend = frame_hend(s, e);
	if (!hend)
		return e - s > SIP_MAX_MESSAGE ? -1 : 0;
	if (hend - s > SIP_MAX_MESSAGE)
		return -1;
	long cl = -1;
	unsigned lines = 0;
	const char *p = (const char *)memchr(s, '\n', (size_t)(hend - s)) + 1;
	for (; p < hend; p = (const char *)memchr(p, '\n', (size_t)(hend - p)) + 1)
		if (++lines > SIP_MAX_WORK || !frame_cl(p, hend, &cl))
			return -1;
	if (cl < 0 || (hend - s) + cl > SIP_MAX_MESSAGE)
		return -1;
	size_t total = (size_t)(hend - buf) + (size_t)cl;
	return total > len ? 0 : (long)total;
}

size_t sip_frame_skip_ws(const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* ---- names ---- */

static const char *const method_names[SIP_M__COUNT] = {
	"NONE", "OTHER", "INVITE", "ACK", "BYE", "CANCEL", "REGISTER",
	"OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER",
	"MESSAGE", "UPDATE",
};

static const char *const anomaly_names[SIP_A__COUNT] = {
	"bad_start_line", "bad_version", "missing_via", "missing_from",
	"missing_to", "missing_call_id", "missing_cseq", "missing_max_forwards",
	"cseq_method", "content_length_missing", "content_length_mismatch",
	"bad_number", "bad_uri", "unbalanced", "control_char",
	"oversize_message", "oversize_header", "too_many_headers",
	"too_many_vias", "bad_header", "bad_via", "truncated",
	"duplicate_header", "work_budget",
};

const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_M__COUNT ? method_names[m] : "?";
}

/* Methods are case-sensitive (RFC 3261 7.1): dispatched on length and
 * first letter, then compared exactly. */
enum sip_method sip_method_tok(const char *p, size_t len)
{
	enum sip_method k;
	switch (len) {
	case 0: return SIP_M_NONE;
	case 3: k = p[0] == 'A' ? SIP_M_ACK : SIP_M_BYE; break;
	case 4: k = SIP_M_INFO; break;
	case 5: k = p[0] == 'P' ? SIP_M_PRACK : SIP_M_REFER; break;
	case 6:
		k = p[0] == 'I' ? SIP_M_INVITE : p[0] == 'C' ? SIP_M_CANCEL :
		    p[0] == 'N' ? SIP_M_NOTIFY : SIP_M_UPDATE;
		break;
	case 7: k = p[0] == 'O' ? SIP_M_OPTIONS : p[0] == 'P' ? SIP_M_PUBLISH : SIP_M_MESSAGE; break;
	case 8: k = SIP_M_REGISTER; break;
	case 9: k = SIP_M_SUBSCRIBE; break;
	default: return SIP_M_OTHER;
	}
	return same((struct slice){ p, len }, (struct slice){ method_names[k], len }) ? k : SIP_M_OTHER;
}

enum sip_method sip_method_from(struct slice s)
{
	if (sip_token_end(s.p, s.p + s.len) != s.p + s.len)
		return SIP_M_NONE;
	return sip_method_tok(s.p, s.len);
}

const char *sip_anomaly_name(enum sip_anomaly a)
{
	return (unsigned)a < SIP_A__COUNT ? anomaly_names[a] : "unknown";
}
