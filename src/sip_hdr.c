/* sip_hdr: value parsers for the SIP header fields sip.c looks into (Via,
 * From/To/Contact, CSeq, Authorization and challenges) and for URIs.
 * Each works on one field value in place and reports problems as anomaly
 * bits; none reads outside the value it is given. */
#include "sip_int.h"

#define FLAG SIP_FLAG

long sip_number(struct sip_ps *s, struct slice v, uint64_t max)
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
	FLAG(s, SIP_A_BAD_NUMBER);
	return -1;
}

/* p is at an opening quote: returns the closing one (backslash escapes
 * honoured), or NULL when the string is not closed before e. */
static const char *quoted_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (!sip_is(*p, SC_Q))
			continue;
		if (*p == '"')
			return p;
		if (++p == e) /* a backslash escapes the next byte */
			break;
	}
	return NULL;
}

/* Returns the first ',' in [p,e) outside quotes and angle brackets, or e. */
static const char *list_next(struct sip_ps *s, const char *p, const char *e)
{
	bool angle = false;
	for (; p < e; p++) {
		if (*p == '"') {
			const char *q = quoted_end(p, e);
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
		const char *q = *p == '"' ? quoted_end(p, e) : memchr(p, '>', (size_t)(e - p));
		if (!q) {
			FLAG(s, SIP_A_UNBALANCED);
			*v = sip_mk(p + (*p == '"'), e);
			return e;
		}
		*v = *p == '"' ? sip_mk(p + 1, q) : sip_mk(p, q + 1);
		return q + 1;
	}
	const char *q = p;
	while (q < e && !sip_is(*q, SC_P))
		q++;
	*v = sip_mk(p, q);
	return q;
}

/* p is at ';': parses "name [= value]", returns the position after it and
 * after any white space. */
static const char *param(struct sip_ps *s, const char *p, const char *e,
			 struct slice *name, struct slice *val)
{
	p = sip_skip_lws(p + 1, e);
	const char *q = sip_token_end(p, e);
	*name = sip_mk(p, q);
	*val = SLICE_NULL;
	p = sip_skip_lws(q, e);
	if (p < e && *p == '=')
		p = pvalue(s, sip_skip_lws(p + 1, e), e, val);
	return sip_skip_lws(p, e);
}

/* ---- URIs ---- */

static bool is_scheme_char(char c)
{
	return sip_is_alpha(c) || sip_is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* Host of a sip URI from h: up to he (the first ':', ';' or '?' after h, or
 * NULL), or an [IPv6 reference] without its brackets.  False if empty or the
 * bracket is not closed. */
static bool uri_host(const char *h, const char *he, const char *e, struct slice *host)
{
	if (h < e && *h == '[') {
		const char *q = memchr(h, ']', (size_t)(e - h));
		if (!q || q == h + 1)
			return false;
		*host = sip_mk(h + 1, q);
		return true;
	}
	*host = sip_mk(h, he ? he : e);
	return host->len > 0;
}

/* One pass over a sip/sips URI after "scheme:": user is the userinfo up to
 * ':' (password) or ';' (user parameters), host follows '@' (no '@': no
 * user) up to ':' (port), ';' or '?'. */
static bool uri_sip(const char *r, const char *e, struct slice *user, struct slice *host)
{
	const char *at = NULL, *ue = NULL, *he = NULL;
	for (const char *q = r; q < e; q++) {
		unsigned c = sip_cls[(unsigned char)*q];
		if (!(c & (SC_U | SC_A | SC_H)))
			continue;
		if (c & SC_U)
			return false;
		if (c & SC_A) {
			if (!at) {
				at = q;
				he = NULL;
			}
		} else {
			if (!he)
				he = q;
			if (!at && !ue && *q != '?')
				ue = q;
		}
	}
	if (at) {
		*user = sip_mk(r, ue && ue < at ? ue : at);
		r = at + 1;
	}
	return uri_host(r, he, e, host);
}

/* sip/sips: see uri_sip().  tel: the number is the user.  Other schemes
 * only need "scheme:" and no bytes a URI cannot hold. */
bool sip_uri_parts(struct slice u, struct slice *user, struct slice *host)
{
	const char *p = u.p, *e = p + u.len, *q = p;
	if (!u.len || !sip_is_alpha(*p))
		return false;
	while (++q < e && is_scheme_char(*q))
		;
	if (q == e || *q != ':')
		return false;
	size_t slen = (size_t)(q - p);
	const char *r = q + 1;
	if ((slen == 3 && sip_ieq(p, "sip", 3)) || (slen == 4 && sip_ieq(p, "sips", 4)))
		return uri_sip(r, e, user, host);
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
static const char *via_proto(const char *p, const char *e, struct slice *tr)
{
	for (int i = 0; i < 3; i++) {
		if (i) {
			p = sip_skip_lws(p, e);
			if (p == e || *p != '/')
				return NULL;
			p = sip_skip_lws(p + 1, e);
		}
		const char *t = p;
		p = sip_token_end(p, e);
		if (p == t)
			return NULL;
		*tr = sip_mk(t, p);
	}
	return p;
}

/* sent-by: host [COLON port], the host maybe an [IPv6 reference].  Returns
 * the end, or NULL when malformed. */
static const char *via_sent_by(const char *p, const char *e, struct slice *by)
{
	const char *h = p;
	if (p < e && *p == '[') {
		for (p++; p < e && (sip_is_digit(*p) || sip_is_alpha(*p) || *p == ':' || *p == '.'); p++)
			;
		if (p == e || *p != ']')
			return NULL;
		p++;
	} else {
		p = sip_token_end(p, e);
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
	const char *q = via_proto(sip_skip_lws(p, e), e, &tr), *h;
	if (q && (h = sip_skip_lws(q, e)) > q)
		q = via_sent_by(h, e, &by);
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
	for (p = sip_skip_lws(q, e); p < e && *p == ';';) {
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
	if (p < e && *p != ',') {
		FLAG(s, SIP_A_BAD_VIA);
		p = list_next(s, p, e);
	}
	return p;
}

/* Counts every via-parm of the field; the very first one is the top Via. */
void sip_hdr_via(struct sip_ps *s, struct slice v)
{
	struct sip_msg *m = s->m;
	const char *p = v.p, *e = p + v.len;
	for (;;) {
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
		const char *c = quoted_end(q, e);
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
	while (q < e && !sip_is(*q, SC_D))
		q++;
	if (q < e && *q == '<') {
		if (q > p)
			na->display = sip_trim(p, q);
		return q;
	}
	return p;
}

/* One name-addr or addr-spec with its header parameters (tag).  Returns the
 * ',' that ends it, or e. */
static const char *nameaddr(struct sip_ps *s, const char *p, const char *e, struct sip_nameaddr *na)
{
	struct slice n, v;
	const char *q = display(s, sip_skip_lws(p, e), e, na);
	if (!q)
		return list_next(s, p, e);
	if (q < e && *q == '<') {
		const char *c = memchr(q + 1, '>', (size_t)(e - q - 1));
		if (!c) {
			FLAG(s, SIP_A_UNBALANCED);
			c = e;
		}
		na->uri = sip_mk(q + 1, c);
		p = c < e ? c + 1 : e;
	} else {
		for (p = q; p < e && !sip_is(*p, SC_P); p++)
			;
		na->uri = sip_mk(q, p); /* addr-spec: parameters are the header's */
	}
	if (!sip_uri_parts(na->uri, &na->user, &na->host))
		FLAG(s, SIP_A_BAD_URI);
	for (p = sip_skip_lws(p, e); p < e && *p == ';';) {
		p = param(s, p, e, &n, &v);
		if (sip_name_is(n, "tag", 3))
			na->tag = v;
	}
	if (p < e && *p != ',') {
		FLAG(s, SIP_A_BAD_URI);
		p = list_next(s, p, e);
	}
	return p;
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
	const char *p = v.p, *e = p + v.len, *d = p;
	while (d < e && sip_is_digit(*d))
		d++;
	long n = sip_number(s, sip_mk(p, d), 0x7fffffff);
	if (n >= 0)
		m->cseq = (uint32_t)n;
	if (d < e && !sip_is_lws(*d))
		FLAG(s, SIP_A_BAD_NUMBER);
	p = sip_skip_lws(d, e);
	const char *q = sip_token_end(p, e);
	m->cseq_method_s = sip_mk(p, q);
	m->cseq_method = sip_method_from(m->cseq_method_s);
	if (q == p || q != e)
		FLAG(s, SIP_A_CSEQ_METHOD);
}

/* ---- Authorization and challenges ---- */

static void auth_param(struct sip_ps *s, struct slice n, struct slice v, bool challenge)
{
	struct sip_msg *m = s->m;
	if (challenge) {
		if (sip_name_is(n, "stale", 5) && sip_slice_is(v, "true", 4))
			m->challenge_stale = true;
	} else if (sip_name_is(n, "username", 8)) {
		if (!m->auth_username.p)
			m->auth_username = v;
	} else if (sip_name_is(n, "realm", 5)) {
		if (!m->auth_realm.p)
			m->auth_realm = v;
	}
}

/* credentials or challenge: the scheme, then name=value pairs separated
 * by commas, values quoted or not, white space anywhere between.  The first
 * username and realm seen over all such fields are kept. */
void sip_hdr_auth(struct sip_ps *s, struct slice v, bool challenge)
{
	const char *e = v.p + v.len, *p = sip_token_end(v.p, e);
	while (p < e) {
		struct slice name, val = SLICE_NULL;
		const char *n = sip_skip_lws(p, e);
		p = sip_token_end(n, e);
		name = sip_mk(n, p);
		p = sip_skip_lws(p, e);
		if (p < e && *p == '=')
			p = sip_skip_lws(pvalue(s, sip_skip_lws(p + 1, e), e, &val), e);
		if (p < e && (*p == ',' || (!name.len && !val.p)))
			p++; /* the separator, or a stray byte */
		if (name.len)
			auth_param(s, name, val, challenge);
	}
}
