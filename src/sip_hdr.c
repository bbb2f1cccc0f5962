/* sip_hdr: value parsers for the SIP header fields sip.c looks into (Via,
 * From/To/Contact, CSeq, Authorization and challenges) and for URIs.
 * Each works on one field value in place and reports problems as anomaly
 * bits; none reads outside the buffer the value lies in (the scanners of
 * sip_int.h may look past the value, never past s->end). */
#include "sip_int.h"

#define FLAG SIP_FLAG

/* Returns the first ',' in [p,e) outside quotes and angle brackets, or e. */
static const char *list_next(struct sip_ps *s, const char *p, const char *e)
{
	bool angle = false;
	for (; p < e; p++) {
		if (*p == '"') {
			const char *q = sip_quoted_end(p, e, s->end);
			if (!q) {
				FLAG(s, SIP_A_UNBALANCED);
				return e;
			}
			p = q;
		} else if (*p == '<') {
			angle = true;
		} else if (*p == '>') {
			angle = false;
		} else if (*p == ',' && !angle) {
			return p;
		}
	}
	if (angle)
		FLAG(s, SIP_A_UNBALANCED);
	return e;
}

/* A parameter value at p: a quoted string (slice without the quotes), an
 * <...> reference (kept whole, commas inside do not split a list) or a run
 * of bytes up to white space, ';' or ','.  Returns its end. */
static const char *pvalue(struct sip_ps *s, const char *p, const char *e, struct slice *v)
{
	if (p < e && (*p == '"' || *p == '<')) {
		const char *q = *p == '"' ? sip_quoted_end(p, e, s->end) : sip_scan_c(p + 1, e, s->end, '>');
		if (!q || q == e) {
			FLAG(s, SIP_A_UNBALANCED);
			*v = sip_mk(p + (*p == '"'), e);
			return e;
		}
		*v = *p == '"' ? sip_mk(p + 1, q) : sip_mk(p, q + 1);
		return q + 1;
	}
	const char *q = sip_scan_p(p, e, s->end);
	*v = sip_mk(p, q);
	return q;
}

/* After a parameter name: "= value" and white space around.  Returns the
 * position after it. */
static inline const char *param_rest(struct sip_ps *s, const char *p, const char *e, struct slice *val)
{
	*val = SLICE_NULL;
	p = sip_skip_lws(p, e);
	if (p < e && *p == '=')
		p = pvalue(s, sip_skip_lws(p + 1, e), e, val);
	return sip_skip_lws(p, e);
}

/* p is at ';': parses "name [= value]", returns the position after it and
 * after any white space. */
static const char *param(struct sip_ps *s, const char *p, const char *e,
			 struct slice *name, struct slice *val)
{
	p = sip_skip_lws(p + 1, e);
	const char *q = sip_tok_end(p, e, s->end);
	*name = sip_mk(p, q);
	return param_rest(s, q, e, val);
}

/* ---- URIs ---- */

static bool is_scheme_char(char c)
{
	return sip_is_alpha(c) || sip_is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* Host of a sip URI from h: up to he (the first ':', ';' or '?' after h, or
 * NULL), or an [IPv6 reference] without its brackets.  False if empty or the
 * bracket is not closed. */
static bool uri_host(const char *h, const char *he, const char *e, const char *lim, struct slice *host)
{
	if (h < e && *h == '[') {
		const char *q = sip_scan_c(h + 1, e, lim, ']');
		if (q == e || q == h + 1)
			return false;
		*host = sip_mk(h + 1, q);
		return true;
	}
	*host = sip_mk(h, he ? he : e);
	return host->len > 0;
}

/* One byte of a sip URI for uri_sip(): returns -1 when it may not be in a
 * URI, 1 once the first '@' and a host end after it are known (the rest
 * only needs checking for such bytes), else 0. */
static inline int uri_step(const char *q, const char **at, const char **ue, const char **he)
{
	unsigned c = sip_cls[(unsigned char)*q];
	if (c & SC_U)
		return -1;
	if (c & SC_A) {
		if (!*at) {
			*at = q;
			*he = NULL;
		}
	} else if (c & SC_H) {
		if (!*he)
			*he = q;
		if (!*at && !*ue && *q != '?')
			*ue = q;
	}
	return *at && *he;
}

#if SIP_SSE2
/* Candidates for SC_U, SC_A or SC_H: controls, SP to '"', ':' to '@', DEL
 * (so also '!' and '='). */
static inline unsigned uri_special16(__m128i v)
{
	__m128i a = sip_vle(v, '"');
	__m128i b = sip_vle(_mm_sub_epi8(v, _mm_set1_epi8(':')), '@' - ':');
	return sip_vbits(_mm_or_si128(_mm_or_si128(a, b), sip_veq(v, 0x7f)));
}

/* Exactly SC_U: controls and SP, '"', '<', '>', DEL. */
static inline unsigned uri_bad16(__m128i v)
{
	__m128i a = _mm_or_si128(sip_vle(v, ' '), sip_veq(v, '"'));
	__m128i b = _mm_or_si128(sip_veq(_mm_or_si128(v, _mm_set1_epi8(2)), '>'), sip_veq(v, 0x7f));
	return sip_vbits(_mm_or_si128(a, b));
}
#endif

/* True when [p,e) holds no SC_U byte. */
static bool uri_clean(const char *p, const char *e, const char *lim)
{
#if SIP_SSE2
	for (; p < e && lim - p >= 16; p += 16) {
		unsigned m = uri_bad16(sip_vld(p));
		if (e - p < 16)
			m &= (1u << (e - p)) - 1;
		if (m)
			return false;
	}
#else
	(void)lim;
#endif
	for (; p < e; p++)
		if (sip_is(*p, SC_U))
			return false;
	return true;
}

/* One pass over a sip/sips URI after "scheme:": user is the userinfo up to
 * ':' (password) or ';' (user parameters), host follows '@' (no '@': no
 * user) up to ':' (port), ';' or '?'.  Sixteen bytes at a time, looking
 * only at the bytes that may matter; once '@' and the end of the host are
 * known, the rest is only checked for bytes a URI cannot hold. */
static bool uri_sip(const char *r, const char *e, const char *lim, struct slice *user, struct slice *host)
{
	const char *at = NULL, *ue = NULL, *he = NULL, *q = r, *x = NULL;
	int st = 0;
#if SIP_SSE2
	for (; !x && q < e && lim - q >= 16; q += 16) {
		unsigned m = uri_special16(sip_vld(q));
		if (e - q < 16)
			m &= (1u << (e - q)) - 1;
		for (; m; m &= m - 1)
			if ((st = uri_step(q + __builtin_ctz(m), &at, &ue, &he)) != 0) {
				x = q + __builtin_ctz(m);
				break;
			}
	}
#endif
	for (; !x && q < e; q++)
		if ((st = uri_step(q, &at, &ue, &he)) != 0)
			x = q;
	if (x && (st < 0 || !uri_clean(x + 1, e, lim)))
		return false;
	if (at) {
		*user = sip_mk(r, ue && ue < at ? ue : at);
		r = at + 1;
	}
	return uri_host(r, he, e, lim, host);
}

/* sip/sips: see uri_sip().  tel: the number is the user.  Other schemes
 * only need "scheme:" and no bytes a URI cannot hold. */
bool sip_uri_parts(struct slice u, const char *lim, struct slice *user, struct slice *host)
{
	const char *p = u.p, *e = p + u.len, *q = p;
	if (u.len >= 4 && (sip_ld4(p) | sip_ld4("\x20\x20\x20\0")) == sip_ld4("sip:"))
		return uri_sip(p + 4, e, lim, user, host);
	if (!u.len || !sip_is_alpha(*p))
		return false;
	while (++q < e && is_scheme_char(*q))
		;
	if (q == e || *q != ':')
		return false;
	size_t slen = (size_t)(q - p);
	const char *r = q + 1;
	if ((slen == 3 && sip_ieq(p, "sip", 3)) || (slen == 4 && sip_ieq(p, "sips", 4)))
		return uri_sip(r, e, lim, user, host);
	for (q = r; q < e; q++)
		if (sip_is(*q, SC_U))
			return false;
	if (slen == 3 && sip_ieq(p, "tel", 3)) {
		for (q = r; q < e && *q != ';'; q++)
			;
		*user = sip_mk(r, q);
	}
	return true;
}

/* ---- Via ---- */

/* sent-protocol: name SLASH version SLASH transport (white space allowed
 * around the slashes).  Sets *tr to the transport; returns the end, or NULL
 * when malformed. */
static const char *via_proto(const char *p, const char *e, const char *lim, struct slice *tr)
{
	if (e - p >= 8 && (sip_ld8(p) | sip_ld8("\x20\x20\x20\0\0\0\0")) == sip_ld8("sip/2.0/")) {
		const char *t = sip_skip_lws(p + 8, e);
		p = sip_tok_end(t, e, lim); /* the common "SIP/2.0/" */
		*tr = sip_mk(t, p);
		return p == t ? NULL : p;
	}
	for (int i = 0; i < 3; i++) {
		if (i) {
			p = sip_skip_lws(p, e);
			if (p == e || *p != '/')
				return NULL;
			p = sip_skip_lws(p + 1, e);
		}
		const char *t = p;
		p = sip_tok_end(p, e, lim);
		if (p == t)
			return NULL;
		*tr = sip_mk(t, p);
	}
	return p;
}

/* The end of the letters, digits, ':' and '.' of an IPv6 reference. */
static const char *v6_end(const char *p, const char *e, const char *lim)
{
#if SIP_SSE2
#define V6_NOT(v) (~sip_vbits(_mm_or_si128(_mm_or_si128( \
	sip_vle(_mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')), 25), \
	sip_vle(_mm_sub_epi8(v, _mm_set1_epi8('0')), 9)), \
	_mm_or_si128(sip_veq(v, ':'), sip_veq(v, '.')))) & 0xffffu)
	SIP_SCAN16(V6_NOT, SIP_YES)
#undef V6_NOT
#else
	(void)lim;
#endif
	while (p < e && (sip_is_digit(*p) || sip_is_alpha(*p) || *p == ':' || *p == '.'))
		p++;
	return p;
}

/* sent-by: host [COLON port], the host maybe an [IPv6 reference].  Returns
 * the end, or NULL when malformed. */
static const char *via_sent_by(const char *p, const char *e, const char *lim, struct slice *by)
{
	const char *h = p;
	if (p < e && *p == '[') {
		p = v6_end(p + 1, e, lim);
		if (p == e || *p != ']')
			return NULL;
		p++;
	} else {
		p = sip_tok_end(p, e, lim);
	}
	if (p == h)
		return NULL;
	const char *q = sip_skip_lws(p, e);
	if (q < e && *q == ':') {
		const char *d = sip_skip_lws(q + 1, e);
		for (q = d; q < e && sip_is_digit(*q); q++)
			;
		if (q == d || q - d > 5)
			return NULL;
		p = q;
	}
	*by = sip_mk(h, p);
	return p;
}

/* One via-parm from p, filling the top-Via fields when top.  Returns the
 * ',' that ends it, or e. */
static const char *via_parm(struct sip_ps *s, const char *p, const char *e, bool top)
{
	struct sip_msg *m = s->m;
	struct slice tr = SLICE_NULL, by = SLICE_NULL, n, v;
	const char *q = via_proto(sip_skip_lws(p, e), e, s->end, &tr), *h;
	if (q && (h = sip_skip_lws(q, e)) > q)
		q = via_sent_by(h, e, s->end, &by);
	else
		q = NULL; /* no protocol, or no white space before sent-by */
	if (!q) {
		FLAG(s, SIP_A_BAD_VIA);
		return list_next(s, p, e);
	}
	if (top) {
		m->via_transport = tr;
		m->via_sent_by = by;
	}
	for (p = sip_skip_lws(q, e); p < e && *p == ';' && sip_step(s);) {
		p = param(s, p, e, &n, &v);
		if (!top)
			continue;
		if (sip_name_is(n, "branch", 6))
			m->via_branch = v;
		else if (sip_name_is(n, "received", 8))
			m->via_received = v;
		else if (sip_name_is(n, "rport", 5))
			m->via_rport = true;
	}
	if (p < e && *p != ',' && *p != ';') {
		FLAG(s, SIP_A_BAD_VIA);
		p = list_next(s, p, e);
	}
	return p < e && *p == ';' ? e : p; /* ';': the budget ran out */
}

/* The top-Via parameters via_fast() keeps, until the whole via-parm is
 * accepted. */
enum { VP_OTHER, VP_BRANCH, VP_RECEIVED, VP_RPORT };
struct via_params {
	struct slice br, rc;
	bool got_br, got_rc, rport;
};

static int via_param_id(struct slice name)
{
	return sip_name_is(name, "branch", 6) ? VP_BRANCH : sip_name_is(name, "received", 8) ? VP_RECEIVED :
	       sip_name_is(name, "rport", 5) ? VP_RPORT : VP_OTHER;
}

static void via_param_set(struct via_params *vp, int id, struct slice val)
{
	if (id == VP_BRANCH) {
		vp->br = val;
		vp->got_br = true;
	} else if (id == VP_RECEIVED) {
		vp->rc = val;
		vp->got_rc = true;
	} else if (id == VP_RPORT) {
		vp->rport = true;
	}
}

/* The top via-parm as nearly every sender writes it: "SIP/2.0/" transport
 * SP host [":" port] (";" name ["=" value])*, with no other white space and
 * no quoted or <> values, then ',' or the end.  Sets the top-Via fields and
 * returns its end, or returns NULL (nothing set) for via_parm() to read it;
 * what it accepts, via_parm() would read the same way. */
static const char *via_fast(struct sip_ps *s, const char *p, const char *e)
{
	const char *lim = s->end, *q, *t = p + 8, *h;
	if (e - p < 16 || lim - p < 16 ||
	    (sip_ld8(p) | sip_ld8("\x20\x20\x20\0\0\0\0")) != sip_ld8("sip/2.0/"))
		return NULL;
	uint32_t tr4 = sip_ld4(t) | sip_ld4("\x20\x20\x20\0");
	if (tr4 == sip_ld4("udp ") || tr4 == sip_ld4("tcp ") || tr4 == sip_ld4("tls "))
		q = t + 3; /* the usual transports, then SP */
	else
		for (q = t; q < e && sip_is_token(*q); q++)
			;
	if (q == t || e - q < 2 || *q != ' ' || sip_is_lws(q[1]))
		return NULL;
	struct slice tr = sip_mk(t, q);
	struct via_params vp = { SLICE_NULL, SLICE_NULL, false, false, false };
	h = q + 1;
	if (*h == '[') {
		q = v6_end(h + 1, e, lim);
		if (q == e || *q != ']')
			return NULL;
		q++;
	} else if ((q = sip_tok_end(h, e, lim)) == h) {
		return NULL;
	}
	if (q < e && *q == ':') {
		const char *d = ++q;
		while (q < e && sip_is_digit(*q))
			q++;
		if (q == d || q - d > 5)
			return NULL;
	}
	struct slice by = sip_mk(h, q);
#if SIP_SSE2
	/* Parameters without controls, white space, '!', '"', ',' or '<'
	 * anywhere, in 64 bytes: a value ends at the next ';' (as pvalue()
	 * reads it). */
	if (q < e && *q == ';' && e - q <= 64 && lim - q >= 64) {
		uint64_t semi = 0, odd = 0, keep = e - q == 64 ? ~0ull : (1ull << (e - q)) - 1;
		for (int i = 0; i < 64; i += 16) {
			__m128i v = sip_vld(q + i);
			semi |= (uint64_t)sip_vbits(sip_veq(v, ';')) << i;
			odd |= (uint64_t)sip_vbits(_mm_or_si128(sip_vle(v, '"'),
					      _mm_or_si128(sip_veq(v, ','), sip_veq(v, '<')))) << i;
		}
		if (!(odd & keep)) {
			semi &= keep;
			const char *b = q;
			while (semi) {
				const char *n = b + __builtin_ctzll(semi) + 1, *ne, *v = NULL, *end;
				semi &= semi - 1;
				end = semi ? b + __builtin_ctzll(semi) : e;
				int id = VP_OTHER;
				bool w8 = lim - n >= 8; /* the names are compared 8 bytes at once */
				if (w8 && end - n >= 7 && sip_w8(n, "branch=", "\x20\x20\x20\x20\x20\x20\0", "\xff\xff\xff\xff\xff\xff\xff")) {
					ne = n + 6;
					id = VP_BRANCH;
				} else if (w8 && end - n >= 5 && sip_w8(n, "rport\0\0", "\x20\x20\x20\x20\x20\0\0", "\xff\xff\xff\xff\xff\0\0") &&
					   (end == n + 5 || n[5] == '=')) {
					ne = n + 5;
					id = VP_RPORT;
				} else if (w8 && end - n >= 9 && sip_w8(n, "received", "\x20\x20\x20\x20\x20\x20\x20\x20", "\xff\xff\xff\xff\xff\xff\xff\xff") &&
					   n[8] == '=') {
					ne = n + 8;
					id = VP_RECEIVED;
				} else {
					for (ne = n; ne < end && sip_is_token(*ne); ne++)
						;
					id = via_param_id(sip_mk(n, ne));
				}
				if (ne < end) {
					if (*ne != '=')
						return NULL;
					v = ne + 1;
				}
				via_param_set(&vp, id, v ? sip_mk(v, end) : SLICE_NULL);
			}
			q = e;
		}
	}
#endif
	while (q < e && *q == ';') {
		const char *n = q + 1, *ne, *v = NULL;
		int id = VP_OTHER;
		if (!sip_step(s)) {
			q = e; /* the rest is not read */
			break;
		}
		if (e - n >= 8 && sip_w8(n, "branch=", "\x20\x20\x20\x20\x20\x20\0", "\xff\xff\xff\xff\xff\xff\xff")) {
			ne = n + 6;
			id = VP_BRANCH;
		} else if (e - n >= 8 && sip_w8(n, "rport\0\0", "\x20\x20\x20\x20\x20\0\0", "\xff\xff\xff\xff\xff\0\0") &&
			   !sip_is_token(n[5])) {
			ne = n + 5;
			id = VP_RPORT;
		} else {
			for (ne = n; ne < e && sip_is_token(*ne); ne++)
				;
			id = via_param_id(sip_mk(n, ne));
		}
		q = ne;
		if (q < e && *q == '=') {
			v = q + 1;
			if (v < e && (*v == '"' || *v == '<'))
				return NULL;
			q = sip_scan_p(v, e, lim);
		}
		if (q < e && *q != ';' && *q != ',')
			return NULL;
		via_param_set(&vp, id, v ? sip_mk(v, q) : SLICE_NULL);
	}
	if (q < e && *q != ',')
		return NULL;
	struct sip_msg *m = s->m;
	m->via_transport = tr;
	m->via_sent_by = by;
	if (vp.got_br)
		m->via_branch = vp.br;
	if (vp.got_rc)
		m->via_received = vp.rc;
	if (vp.rport)
		m->via_rport = true;
	return q;
}

/* Counts every via-parm of the field; the very first one is the top Via. */
void sip_hdr_via(struct sip_ps *s, struct slice v)
{
	struct sip_msg *m = s->m;
	const char *p = v.p, *e = p + v.len, *q;
	if (m->via_count == 0 && (q = via_fast(s, p, e)) != NULL) {
		m->via_count = 1;
		if (q == e)
			return;
		p = q + 1;
	}
	while (sip_step(s)) {
		p = via_parm(s, p, e, m->via_count == 0);
		if (m->via_count < UINT16_MAX)
			m->via_count++;
		if (p >= e)
			break;
		p++;
	}
}

/* ---- From, To, Contact ---- */

/* Display name (quoted, or tokens before '<') and the position of '<',
 * or of where an addr-spec starts.  NULL when nothing more can be read. */
static const char *display(struct sip_ps *s, const char *p, const char *e, struct sip_nameaddr *na)
{
	const char *q = p;
	if (q < e && *q == '"') {
		const char *c = sip_quoted_end(q, e, s->end);
		if (!c) {
			FLAG(s, SIP_A_UNBALANCED);
			return NULL;
		}
		na->display = sip_mk(q + 1, c);
		q = sip_skip_lws(c + 1, e);
		if (q == e || *q != '<') {
			FLAG(s, SIP_A_BAD_URI); /* a display name but no <uri> */
			return NULL;
		}
		return q;
	}
	q = sip_scan_d(q, e, s->end);
	if (q < e && *q == '<') {
		if (q > p)
			na->display = sip_trim(p, q);
		return q;
	}
	return p;
}

/* The address part of a name-addr as nearly every sender writes it:
 * ["display" SP] "<sip:" URI ">", the URI within 64 bytes.  Sixteen bytes
 * at a time, bit masks give the closing '>' and what uri_sip() looks for.
 * Fills na and returns the position after '>', or returns NULL (nothing
 * set, nothing flagged) for nameaddr() to read it: what it accepts,
 * nameaddr() would read the same way. */
static const char *addr_fast(struct sip_ps *s, const char *q, const char *e, struct sip_nameaddr *na)
{
#if SIP_SSE2
	const char *lim = s->end, *ds = NULL, *de = NULL;
	if (q < e && *q == '"') {
		const char *c = sip_scan_q(q + 1, e, lim);
		if (e - c < 3 || *c != '"' || c[1] != ' ' || c[2] != '<')
			return NULL;
		ds = q + 1;
		de = c;
		q = c + 2;
	} else if (q == e || *q != '<') {
		return NULL;
	}
	const char *u = q + 1, *r = u + 4;
	if (e - u < 5 || (sip_ld4(u) | sip_ld4("\x20\x20\x20\0")) != sip_ld4("sip:"))
		return NULL;
	uint64_t gt = 0, bad = 0, at = 0, cs = 0, h = 0, rb = 0;
	for (int i = 0; i < 64 && !gt; i += 16) {
		if (lim - (r + i) < 16)
			return NULL;
		__m128i v = sip_vld(r + i), c = _mm_or_si128(sip_veq(v, ':'), sip_veq(v, ';'));
		gt |= (uint64_t)sip_vbits(sip_veq(v, '>')) << i;
		bad |= (uint64_t)uri_bad16(v) << i;
		at |= (uint64_t)sip_vbits(sip_veq(v, '@')) << i;
		cs |= (uint64_t)sip_vbits(c) << i;
		h |= (uint64_t)sip_vbits(_mm_or_si128(c, sip_veq(v, '?'))) << i;
		rb |= (uint64_t)sip_vbits(sip_veq(v, ']')) << i;
	}
	unsigned g = gt ? (unsigned)__builtin_ctzll(gt) : 64;
	if (g >= 64 || (ptrdiff_t)g >= e - r)
		return NULL;
	uint64_t keep = (1ull << g) - 1;
	if (bad & keep)
		return NULL;
	struct slice user = SLICE_NULL, host;
	unsigned hs = 0; /* where the host starts */
	at &= keep;
	h &= keep;
	if (at) {
		unsigned a = (unsigned)__builtin_ctzll(at);
		uint64_t below = (1ull << a) - 1, c = cs & below;
		user = sip_mk(r, r + (c ? (unsigned)__builtin_ctzll(c) : a));
		hs = a + 1;
		h &= ~(below | 1ull << a);
	}
	if (r[hs] == '[') {
		uint64_t b = rb & keep & ~((2ull << hs) - 1);
		if (!b || (unsigned)__builtin_ctzll(b) == hs + 1)
			return NULL;
		host = sip_mk(r + hs + 1, r + __builtin_ctzll(b));
	} else {
		host = sip_mk(r + hs, r + (h ? (unsigned)__builtin_ctzll(h) : g));
		if (!host.len)
			return NULL;
	}
	if (ds)
		na->display = sip_mk(ds, de);
	na->uri = sip_mk(u, r + g);
	if (at)
		na->user = user;
	na->host = host;
	return r + g + 1;
#else
	(void)s, (void)q, (void)e, (void)na;
	return NULL;
#endif
}

/* One name-addr or addr-spec with its header parameters (tag).  Returns the
 * ',' that ends it, or e. */
static const char *nameaddr(struct sip_ps *s, const char *p, const char *e, struct sip_nameaddr *na)
{
	struct slice n, v;
	const char *q = sip_skip_lws(p, e), *f = addr_fast(s, q, e, na);
	if (f) {
		p = f;
		goto params;
	}
	if ((q == e || *q != '<') && !(q = display(s, q, e, na)))
		return list_next(s, p, e);
	if (q < e && *q == '<') {
		const char *c = sip_scan_c(q + 1, e, s->end, '>');
		if (c == e)
			FLAG(s, SIP_A_UNBALANCED);
		na->uri = sip_mk(q + 1, c);
		p = c < e ? c + 1 : e;
	} else {
		p = sip_scan_p(q, e, s->end);
		na->uri = sip_mk(q, p); /* addr-spec: parameters are the header's */
		if (memchr(q, '?', (size_t)(p - q)))
			FLAG(s, SIP_A_BAD_URI); /* a URI with '?' must be in <> (RFC 3261 20) */
	}
	if (!sip_uri_parts(na->uri, s->end, &na->user, &na->host))
		FLAG(s, SIP_A_BAD_URI);
params:
	for (p = sip_skip_lws(p, e); p < e && *p == ';' && sip_step(s);) {
		if (e - p >= 9 && s->end - p >= 9 && sip_w8(p + 1, "tag=\0\0\0", "\x20\x20\x20\0\0\0\0", "\xff\xff\xff\xff\0\0\0")) {
			p = param_rest(s, p + 4, e, &na->tag);
			continue;
		}
		p = param(s, p, e, &n, &v);
		if (sip_name_is(n, "tag", 3))
			na->tag = v;
	}
	if (p < e && *p != ',' && *p != ';') {
		FLAG(s, SIP_A_BAD_URI);
		p = list_next(s, p, e);
	}
	return p < e && *p == ';' ? e : p; /* ';': the budget ran out */
}

/* From and To take exactly one name-addr: a second value is a duplicate. */
void sip_hdr_fromto(struct sip_ps *s, struct slice v, struct sip_nameaddr *na)
{
	if (nameaddr(s, v.p, v.p + v.len, na) < v.p + v.len)
		FLAG(s, SIP_A_DUPLICATE_HEADER);
}

/* Contact: the first value only; "*" is the wildcard (uri "*", no parts). */
void sip_hdr_contact(struct sip_ps *s, struct slice v)
{
	if (v.len == 1 && v.p[0] == '*')
		s->m->contact.uri = v;
	else
		nameaddr(s, v.p, v.p + v.len, &s->m->contact);
}

/* ---- CSeq ---- */

/* number LWS method, the number below 2^31. */
void sip_hdr_cseq(struct sip_ps *s, struct slice v)
{
	struct sip_msg *m = s->m;
	const char *p = v.p, *e = p + v.len, *d = p, *q;
	uint64_t n = 0;
	for (; d < e && sip_is_digit(*d); d++)
		if (n <= 0x7fffffff)
			n = n * 10 + (uint64_t)(*d - '0');
	if (d == p || n > 0x7fffffff)
		FLAG(s, SIP_A_BAD_NUMBER); /* as sip_number() */
	else
		m->cseq = (uint32_t)n;
	if (d < e && !sip_is_lws(*d))
		FLAG(s, SIP_A_BAD_NUMBER);
	p = sip_skip_lws(d, e);
	enum sip_method k = sip_method_is(p, e);
	if (k != SIP_M_NONE) {
		q = e; /* a known method, up to the end */
	} else {
		q = sip_tok_end(p, e, s->end);
		k = sip_method_tok(p, (size_t)(q - p));
	}
	m->cseq_method_s = sip_mk(p, q);
	m->cseq_method = k;
	if (q == p || q != e)
		FLAG(s, SIP_A_CSEQ_METHOD);
}

/* ---- Authorization and challenges ---- */

enum { AU_OTHER, AU_USERNAME, AU_REALM, AU_STALE, AU_NONCE, AU_RESPONSE };

#define W8(p, l, f, m) sip_w8(p, l, f, m)
#define F8 "\x20\x20\x20\x20\x20\x20\x20\x20"

/* The end of the parameter name at n, and which it is (AU_*): the names of
 * Digest are matched with their '=' at once (8 readable bytes), others are
 * scanned as tokens. */
static const char *auth_name(struct sip_ps *s, const char *n, const char *e, int *id)
{
	*id = AU_OTHER;
	if (e - n >= 10 && s->end - n >= 16) {
		switch (*n | 0x20) {
		case 'u':
			if (W8(n, "username", F8, "\xff\xff\xff\xff\xff\xff\xff\xff") && n[8] == '=') {
				*id = AU_USERNAME;
				return n + 8;
			}
			if (W8(n, "uri=\0\0\0", "\x20\x20\x20\0\0\0\0", "\xff\xff\xff\xff\0\0\0"))
				return n + 3;
			break;
		case 'r':
			if (W8(n, "realm=\0", "\x20\x20\x20\x20\x20\0\0", "\xff\xff\xff\xff\xff\xff\0")) {
				*id = AU_REALM;
				return n + 5;
			}
			if (W8(n, "response", F8, "\xff\xff\xff\xff\xff\xff\xff\xff") && n[8] == '=') {
				*id = AU_RESPONSE;
				return n + 8;
			}
			break;
		case 'n':
			if (W8(n, "nonce=\0", "\x20\x20\x20\x20\x20\0\0", "\xff\xff\xff\xff\xff\xff\0")) {
				*id = AU_NONCE;
				return n + 5;
			}
			if (W8(n, "nc=\0\0\0\0", "\x20\x20\0\0\0\0\0", "\xff\xff\xff\0\0\0\0"))
				return n + 2;
			break;
		case 'a':
			if (W8(n, "algorith", F8, "\xff\xff\xff\xff\xff\xff\xff\xff") &&
			    (n[8] | 0x20) == 'm' && n[9] == '=')
				return n + 9;
			break;
		case 'c':
			if (W8(n, "cnonce=", "\x20\x20\x20\x20\x20\x20\0", "\xff\xff\xff\xff\xff\xff\xff"))
				return n + 6;
			break;
		case 'q':
			if (W8(n, "qop=\0\0\0", "\x20\x20\x20\0\0\0\0", "\xff\xff\xff\xff\0\0\0"))
				return n + 3;
			break;
		case 'o':
			if (W8(n, "opaque=", "\x20\x20\x20\x20\x20\x20\0", "\xff\xff\xff\xff\xff\xff\xff"))
				return n + 6;
			break;
		case 's':
			if (W8(n, "stale=\0", "\x20\x20\x20\x20\x20\0\0", "\xff\xff\xff\xff\xff\xff\0")) {
				*id = AU_STALE;
				return n + 5;
			}
			break;
		}
	}
	const char *p = sip_tok_end(n, e, s->end);
	struct slice name = sip_mk(n, p);
	*id = sip_name_is(name, "username", 8) ? AU_USERNAME : sip_name_is(name, "realm", 5) ? AU_REALM :
	      sip_name_is(name, "stale", 5) ? AU_STALE : sip_name_is(name, "nonce", 5) ? AU_NONCE :
	      sip_name_is(name, "response", 8) ? AU_RESPONSE : AU_OTHER;
	return p;
}

#undef W8
#undef F8

static void auth_param(struct sip_ps *s, int id, struct slice v, bool challenge)
{
	struct sip_msg *m = s->m;
	if (challenge) {
		if (id == AU_STALE && sip_slice_is(v, "true", 4))
			m->challenge_stale = true;
		else if (id == AU_NONCE && !m->challenge_nonce.p)
			m->challenge_nonce = v;
	} else if (id == AU_NONCE) {
		if (!m->auth_nonce.p)
			m->auth_nonce = v;
	} else if (id == AU_USERNAME) {
		if (!m->auth_username.p)
			m->auth_username = v;
		else
			m->creds_many = true;
	} else if (id == AU_RESPONSE) {
		if (!m->auth_response.p)
			m->auth_response = v;
		else
			m->creds_many = true;
	} else if (id == AU_REALM) {
		if (!m->auth_realm.p)
			m->auth_realm = v;
	}
}

/* credentials or challenge: the scheme, then name=value pairs separated
 * by commas, values quoted or not, white space anywhere between.  The first
 * username, realm and nonce seen over all such fields are kept. */
void sip_hdr_auth(struct sip_ps *s, struct slice v, bool challenge)
{
	const char *e = v.p + v.len, *p = sip_tok_end(v.p, e, s->end);
	while (p < e && sip_step(s)) {
		struct slice val = SLICE_NULL;
		int id;
		const char *n = sip_skip_lws(p, e);
		p = auth_name(s, n, e, &id);
		bool named = p > n;
		p = sip_skip_lws(p, e);
		if (p < e && *p == '=')
			p = sip_skip_lws(pvalue(s, sip_skip_lws(p + 1, e), e, &val), e);
		if (p < e && (*p == ',' || (!named && !val.p)))
			p++; /* the separator, or a stray byte */
		if (named)
			auth_param(s, id, val, challenge);
	}
}
