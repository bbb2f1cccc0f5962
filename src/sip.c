/* sip: SIP message parser (RFC 3261), see sip.h.
 *
 * One pass over the header part: a vector (SSE2, else word-at-a-time) scan
 * finds line ends and control bytes together; each header field (folded
 * lines joined) is dispatched on its name's length and first letter and its
 * value parsed in place (sip_hdr.c).  Field values keep their folding
 * (CR LF SP) inside the slices: the value parsers treat CR and LF as linear
 * white space.  Nothing is allocated and nothing outside *m is written. */
#include "sip_int.h"

#include <limits.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FLAG SIP_FLAG

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

/* Returns the first byte in [p,e) below 0x20 or equal to 0x7f, or e.
 * Sixteen bytes at a time with SSE2, else eight with plain integer
 * arithmetic (the lowest flagged byte of a word is exact: borrows only run
 * upwards); the tail byte by byte. */
static const char *scan_ctl(const char *p, const char *e)
{
#if defined(__SSE2__)
	const __m128i c1f = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v), _mm_cmpeq_epi8(v, del));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	while (e - p >= 8) {
		uint64_t x, y, t;
		memcpy(&x, p, 8);
		y = x ^ (ones * 0x7f);
		t = ((x - ones * 0x20) & ~x & highs) | ((y - ones) & ~y & highs);
		if (t)
			return p + (__builtin_ctzll(t) >> 3);
		p += 8;
	}
#endif
	while (p < e && (unsigned char)*p >= 0x20 && *p != 0x7f)
		p++;
	return p;
}

/* Finds the end of the line that starts at p: *eol is set past its last
 * content byte (before CR LF, or a bare LF) and the start of the next line
 * is returned.  Control bytes on the way are flagged.  Without an LF the line
 * runs to the end of the buffer (a trailing CR dropped) and s->lf is cleared. */
static const char *line_end(struct sip_ps *s, const char *p, const char **eol)
{
	const char *start = p, *e = s->end;
	for (;;) {
		p = scan_ctl(p, e);
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
		if (*p != '\t' && *p != '\r')
			SIP_FLAG(s, SIP_A_CONTROL_CHAR);
		p++;
	}
	*eol = (e > start && e[-1] == '\r') ? e - 1 : e;
	s->lf = false;
	return e;
}

/* ---- start line ---- */

static bool is_v20(const char *p, const char *e)
{
	return e - p == 7 && sip_ieq(p, "sip/2.0", 7);
}

static int status_line(struct sip_ps *s, const char *p, const char *e)
{
	struct sip_msg *m = s->m;
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

/* Method SP Request-URI SP SIP-Version.  A line whose last word does not
 * start with "SIP/" is not SIP at all (-1). */
static int request_line(struct sip_ps *s, const char *p, const char *e)
{
	struct sip_msg *m = s->m;
	const char *v = e > p ? memrchr(p, ' ', (size_t)(e - p)) : NULL;
	if (!v || e - v < 5 || !sip_ieq(v + 1, "sip/", 4)) {
		FLAG(s, SIP_A_BAD_START_LINE);
		return -1;
	}
	if (!is_v20(v + 1, e))
		FLAG(s, SIP_A_BAD_VERSION);
	m->is_request = true;
	const char *t = sip_token_end(p, v);
	m->method_s = sip_mk(p, t);
	m->method = sip_method_from(m->method_s);
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
	else if (!sip_uri_parts(m->ruri, &m->ruri_user, &m->ruri_host))
		FLAG(s, SIP_A_BAD_URI);
	return 0;
}

/* A status line may end in SP (empty reason); a request line may not. */
static int start_line(struct sip_ps *s, const char *p, const char *e)
{
	if (e - p >= 4 && sip_ieq(p, "sip/", 4))
		return status_line(s, p, e);
	if (e > p && sip_is_wsp(e[-1])) {
		FLAG(s, SIP_A_BAD_START_LINE);
		while (e > p && sip_is_wsp(e[-1]))
			e--;
	}
	return request_line(s, p, e);
}

/* ---- header fields ---- */

static enum hdr compact(unsigned char c)
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

#define IS(lit, h) (sip_tok_ieq(n, lit, sizeof(lit) - 1) ? (h) : H_OTHER)

/* Dispatches a header name on its length and first letter. */
static enum hdr hdr_id(const char *n, size_t len)
{
	unsigned char c = (unsigned char)(n[0] | 0x20);
	switch (len) {
	case 1: return compact(c);
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

/* A field without the seen/duplicate bookkeeping. */
static void dispatch(struct sip_ps *s, enum hdr h, struct slice v, bool first)
{
	struct sip_msg *m = s->m;
	if (s->light && (h == H_FROM || h == H_TO || h == H_CONTACT || h == H_AUTHORIZATION ||
	                 h == H_PROXY_AUTHORIZATION))
		return;
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
		sip_hdr_auth(s, v, false);
		break;
	case H_WWW_AUTHENTICATE:
	case H_PROXY_AUTHENTICATE:
		m->has_challenge = true;
		sip_hdr_auth(s, v, true);
		break;
	case H_OTHER: break;
	}
}

/* End of the header name at p, as sip_token_end(): sixteen bytes at a time
 * over the letters and '-' that make up nearly every name. */
static const char *name_end(const char *p, const char *e)
{
#if defined(__SSE2__)
	const __m128i a = _mm_set1_epi8('a'), z = _mm_set1_epi8(25);
	const __m128i dash = _mm_set1_epi8('-'), low = _mm_set1_epi8(0x20);
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i t = _mm_sub_epi8(_mm_or_si128(v, low), a);
		__m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(t, z), t), _mm_cmpeq_epi8(v, dash));
		unsigned other = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
		if (other) {
			p += __builtin_ctz(other);
			break;
		}
		p += 16;
	}
#endif
	return sip_token_end(p, e);
}

/* One header field [p,e), folded lines included. */
static void field(struct sip_ps *s, const char *p, const char *e)
{
	struct sip_msg *m = s->m;
	if (m->header_count < UINT16_MAX)
		m->header_count++;
	if ((size_t)(e - p) > SIP_MAX_HEADER)
		FLAG(s, SIP_A_OVERSIZE_HEADER);
	const char *n = name_end(p, e), *c = n;
	while (c < e && sip_is_wsp(*c))
		c++;
	if (n == p || c == e || *c != ':') {
		FLAG(s, SIP_A_BAD_HEADER);
		return;
	}
	enum hdr h = hdr_id(p, (size_t)(n - p));
	if (h == H_OTHER)
		return;
	bool first = !(s->seen & BIT(h));
	s->seen |= BIT(h);
	if (!first && (ONCE & BIT(h))) {
		FLAG(s, SIP_A_DUPLICATE_HEADER);
		return;
	}
	dispatch(s, h, sip_trim(c + 1, e), first);
}

/* Header lines from p up to the blank line.  Returns the start of the body;
 * s->lf is false when the buffer ended first. */
static const char *headers(struct sip_ps *s, const char *p)
{
	const char *e = s->end, *eol;
	while (p < e) {
		const char *nx = line_end(s, p, &eol);
		if (eol == p) {
			if (s->lf)
				return nx;
			break;
		}
		if (sip_is_wsp(*p)) {
			FLAG(s, SIP_A_BAD_HEADER); /* continuation without a field */
			p = nx;
			continue;
		}
		while (nx < e && sip_is_wsp(*nx))
			nx = line_end(s, nx, &eol);
		field(s, p, eol);
		p = nx;
	}
	s->lf = false;
	return e;
}

/* Mandatory fields and their consistency. */
static void check_fields(struct sip_ps *s)
{
	struct sip_msg *m = s->m;
	if (!(s->seen & BIT(H_VIA)))
		FLAG(s, SIP_A_MISSING_VIA);
	if (!(s->seen & BIT(H_FROM)))
		FLAG(s, SIP_A_MISSING_FROM);
	if (!(s->seen & BIT(H_TO)))
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
	if (!(s->seen & BIT(H_MAX_FORWARDS)))
		FLAG(s, SIP_A_MISSING_MAX_FORWARDS);
	struct slice a = m->cseq_method_s, b = m->method_s;
	if ((s->seen & BIT(H_CSEQ)) && (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)))
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
	struct sip_ps s = { .m = m, .light = light };
	memset(m, 0, sizeof(*m));
	m->max_forwards = -1;
	m->expires = -1;
	m->content_length = -1;
	if (!len) {
		FLAG(&s, SIP_A_BAD_START_LINE);
		return -1;
	}
	s.end = buf + len;
	const char *p = buf + sip_frame_skip_ws(buf, len), *eol;
	const char *nx = line_end(&s, p, &eol);
	if (start_line(&s, p, eol) < 0)
		return -1;
	const char *body = s.lf ? headers(&s, nx) : s.end;
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
	const char *n = name_end(p, e), *d;
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
	const char *p = (const char *)memchr(s, '\n', (size_t)(hend - s)) + 1;
	for (; p < hend; p = (const char *)memchr(p, '\n', (size_t)(hend - p)) + 1)
		if (!frame_cl(p, hend, &cl))
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
	"duplicate_header",
};

const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_M__COUNT ? method_names[m] : "?";
}

/* Methods are case-sensitive (RFC 3261 7.1): dispatched on length and
 * first letter, then compared exactly. */
enum sip_method sip_method_from(struct slice s)
{
	static const unsigned char by_len[10][4] = {
		[3] = { SIP_M_ACK, SIP_M_BYE }, [4] = { SIP_M_INFO },
		[5] = { SIP_M_PRACK, SIP_M_REFER },
		[6] = { SIP_M_INVITE, SIP_M_CANCEL, SIP_M_NOTIFY, SIP_M_UPDATE },
		[7] = { SIP_M_OPTIONS, SIP_M_PUBLISH, SIP_M_MESSAGE },
		[8] = { SIP_M_REGISTER }, [9] = { SIP_M_SUBSCRIBE },
	};
	if (!s.len || sip_token_end(s.p, s.p + s.len) != s.p + s.len)
		return SIP_M_NONE;
	if (s.len < ARRAY_LEN(by_len))
		for (int i = 0; i < 4 && by_len[s.len][i]; i++) {
			const char *n = method_names[by_len[s.len][i]];
			if (n[0] == s.p[0] && memcmp(n, s.p, s.len) == 0)
				return (enum sip_method)by_len[s.len][i];
		}
	return SIP_M_OTHER;
}

const char *sip_anomaly_name(enum sip_anomaly a)
{
	return (unsigned)a < SIP_A__COUNT ? anomaly_names[a] : "unknown";
}
