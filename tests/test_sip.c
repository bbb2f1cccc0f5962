/* test_sip: the SIP parser and stream framer.
 *
 * Vectors are written with bare LF for readability and turned into CR LF
 * (unless marked raw); "@CL@" in the header part becomes the body length.
 * Every parse reads from a guard-paged copy, so an over-read crashes. */
#include "sip.h"
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define A(x) (1u << SIP_A_##x)
#define DGRAM false
#define STREAM true

static char tmp[200000];

/* Prepares a vector (see the top comment) and returns its guarded copy. */
static const char *prep(const char *s, size_t len, bool raw, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 2 < sizeof(tmp); i++) {
		if (!raw && s[i] == '\n')
			tmp[k++] = '\r';
		tmp[k++] = s[i];
	}
	const char *sep = raw ? "\n\n" : "\r\n\r\n";
	char *cl = memmem(tmp, k, "@CL@", 4);
	char *he = cl ? memmem(cl, k - (size_t)(cl - tmp), sep, strlen(sep)) : NULL;
	if (cl && he) {
		size_t blen = k - (size_t)(he - tmp) - strlen(sep);
		char num[24];
		int w = snprintf(num, sizeof(num), "%zu", blen);
		memmove(cl + w, cl + 4, k - (size_t)(cl + 4 - tmp));
		memcpy(cl, num, (size_t)w);
		k = k - 4 + (size_t)w;
	}
	*n = k;
	return t_guarded(tmp, k);
}

/* The guarded buffer of the last parse, to check slices against. */
static const char *g_buf;
static size_t g_len;

static int parse_n(const char *s, size_t len, bool raw, bool stream, struct sip_msg *m)
{
	g_buf = prep(s, len, raw, &g_len);
	return sip_parse(g_buf, g_len, stream, m);
}

static int parse(const char *s, bool stream, struct sip_msg *m)
{
	return parse_n(s, strlen(s), false, stream, m);
}

static bool S(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static const char *names(uint32_t a)
{
	static char out[512];
	out[0] = '\0';
	for (int i = 0; i < SIP_A__COUNT; i++)
		if (a & (1u << i)) {
			strcat(out, sip_anomaly_name((enum sip_anomaly)i));
			strcat(out, " ");
		}
	return out;
}

static bool inside(struct slice s, const char *b, size_t n)
{
	if (!s.p)
		return s.len == 0;
	return s.p >= b && s.p <= b + n && s.len <= (size_t)(b + n - s.p);
}

static bool na_inside(const struct sip_nameaddr *a, const char *b, size_t n)
{
	return inside(a->display, b, n) && inside(a->uri, b, n) && inside(a->user, b, n) &&
	       inside(a->host, b, n) && inside(a->tag, b, n);
}

/* Every slice of m lies in b[0..n) and msg_len <= n. */
static bool all_inside(const struct sip_msg *m, const char *b, size_t n)
{
	const struct slice sl[] = {
		m->method_s, m->ruri, m->ruri_user, m->ruri_host, m->reason,
		m->via_transport, m->via_sent_by, m->via_branch, m->via_received,
		m->call_id, m->cseq_method_s, m->content_type, m->user_agent,
		m->server, m->auth_username, m->auth_realm, m->auth_nonce, m->creds, m->challenge_nonce, m->body,
	};
	for (size_t i = 0; i < ARRAY_LEN(sl); i++)
		if (!inside(sl[i], b, n))
			return false;
	return na_inside(&m->from, b, n) && na_inside(&m->to, b, n) &&
	       na_inside(&m->contact, b, n) && m->msg_len <= n;
}

/* ---- building blocks ---- */

#define RL   "OPTIONS sip:b@example.com SIP/2.0\n"
#define VIA  "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1\n"
#define FROM "From: <sip:a@example.com>;tag=1\n"
#define TO   "To: <sip:b@example.com>\n"
#define CID  "Call-ID: c1@203.0.113.5\n"
#define CSEQ "CSeq: 1 OPTIONS\n"
#define MF   "Max-Forwards: 70\n"
#define CL0  "Content-Length: 0\n"
#define HDRS VIA FROM TO CID CSEQ MF
#define SL   "SIP/2.0 200 OK\n"

/* ---- one vector per anomaly (and a few variants) ---- */

struct avec {
	const char *name, *msg;
	size_t len; /* 0: strlen */
	bool raw, stream;
	int ret;
	uint32_t anom; /* exact set expected */
};

static const struct avec avecs[] = {
	{ "valid base", RL HDRS "\n", 0, false, DGRAM, 0, 0 },
	{ "valid base stream", RL HDRS CL0 "\n", 0, false, STREAM, 0, 0 },
	{ "double SP", "OPTIONS  sip:b@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_START_LINE) },
	{ "trailing SP", "OPTIONS sip:b@example.com SIP/2.0 \n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_START_LINE) },
	{ "no request URI", "OPTIONS SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_START_LINE) },
	{ "tab in request line", "OPTIONS\tsip:b@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_START_LINE) },
	{ "status no code", "SIP/2.0\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_START_LINE) },
	{ "not SIP: HTTP", "GET / HTTP/1.1\nHost: example.com\n\n", 0, false, DGRAM, -1, A(BAD_START_LINE) },
	{ "not SIP: keep-alive", "\n\n", 0, false, DGRAM, -1, A(BAD_START_LINE) },
	{ "not SIP: binary", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, true, DGRAM, -1, A(BAD_START_LINE) | A(CONTROL_CHAR) },
	{ "not SIP: empty", "", 0, true, DGRAM, -1, A(BAD_START_LINE) },
	{ "bad version", "OPTIONS sip:b@example.com SIP/3.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_VERSION) },
	{ "bad version resp", "SIP/1.0 200 OK\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_VERSION) },
	{ "missing via", RL FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(MISSING_VIA) },
	{ "missing from", RL VIA TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(MISSING_FROM) },
	{ "missing to", RL VIA FROM CID CSEQ MF "\n", 0, false, DGRAM, 0, A(MISSING_TO) },
	{ "missing call-id", RL VIA FROM TO CSEQ MF "\n", 0, false, DGRAM, 0, A(MISSING_CALL_ID) },
	{ "empty call-id", RL VIA FROM TO "Call-ID:  \n" CSEQ MF "\n", 0, false, DGRAM, 0, A(MISSING_CALL_ID) },
	{ "missing cseq", RL VIA FROM TO CID MF "\n", 0, false, DGRAM, 0, A(MISSING_CSEQ) },
	{ "missing max-forwards", RL VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(MISSING_MAX_FORWARDS) },
	{ "response needs no max-forwards", SL VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, 0 },
	{ "cseq method differs", RL VIA FROM TO CID "CSeq: 1 INVITE\n" MF "\n", 0, false, DGRAM, 0, A(CSEQ_METHOD) },
	{ "cseq method case", RL VIA FROM TO CID "CSeq: 1 options\n" MF "\n", 0, false, DGRAM, 0, A(CSEQ_METHOD) },
	{ "cseq without method", RL VIA FROM TO CID "CSeq: 1\n" MF "\n", 0, false, DGRAM, 0, A(CSEQ_METHOD) },
	{ "cseq trailing junk", RL VIA FROM TO CID "CSeq: 1 OPTIONS x\n" MF "\n", 0, false, DGRAM, 0, A(CSEQ_METHOD) },
	{ "ACK cseq ACK", "ACK sip:b@example.com SIP/2.0\n" VIA FROM TO CID "CSeq: 1 ACK\n" MF "\n", 0, false, DGRAM, 0, 0 },
	{ "CANCEL cseq CANCEL", "CANCEL sip:b@example.com SIP/2.0\n" VIA FROM TO CID "CSeq: 1 CANCEL\n" MF "\n", 0, false, DGRAM, 0, 0 },
	{ "ACK cseq INVITE", "ACK sip:b@example.com SIP/2.0\n" VIA FROM TO CID "CSeq: 1 INVITE\n" MF "\n", 0, false, DGRAM, 0, A(CSEQ_METHOD) },
	{ "content-length missing on stream", RL HDRS "\n", 0, false, STREAM, 0, A(CONTENT_LENGTH_MISSING) },
	{ "content-length missing on datagram is fine", RL HDRS "\nbody", 0, false, DGRAM, 0, 0 },
	{ "content-length mismatch", RL HDRS "Content-Length: 10\n\nabc", 0, false, DGRAM, 0, A(CONTENT_LENGTH_MISMATCH) },
	{ "content-length shorter than datagram", RL HDRS "Content-Length: 2\n\nabc", 0, false, DGRAM, 0, 0 },
	{ "stream body cut short", RL HDRS "Content-Length: 10\n\nabc", 0, false, STREAM, 0, A(TRUNCATED) },
	{ "cseq too large", RL VIA FROM TO CID "CSeq: 2147483648 OPTIONS\n" MF "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "cseq huge", RL VIA FROM TO CID "CSeq: 36893488147419103232 OPTIONS\n" MF "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "cseq not a number", RL VIA FROM TO CID "CSeq: one OPTIONS\n" MF "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) | A(CSEQ_METHOD) },
	{ "cseq glued", RL VIA FROM TO CID "CSeq: 1OPTIONS\n" MF "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "max-forwards 256", RL VIA FROM TO CID CSEQ "Max-Forwards: 256\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "max-forwards text", RL VIA FROM TO CID CSEQ "Max-Forwards: seventy\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "max-forwards empty", RL VIA FROM TO CID CSEQ "Max-Forwards:\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "expires huge", RL HDRS "Expires: 10000000000000000000000\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "expires negative", RL HDRS "Expires: -1\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "content-length negative", RL HDRS "Content-Length: -1\n\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "content-length hex", RL HDRS "Content-Length: 0x10\n\n", 0, false, STREAM, 0, A(BAD_NUMBER) },
	{ "status 700", "SIP/2.0 700 Huh\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "status 099", "SIP/2.0 099 Huh\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "status 2000", "SIP/2.0 2000 OK\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "status text", "SIP/2.0 OK OK\n" VIA FROM TO CID CSEQ "\n", 0, false, DGRAM, 0, A(BAD_NUMBER) },
	{ "ruri no scheme", "OPTIONS b@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "ruri with space", "OPTIONS sip:b c@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "ruri in brackets", "OPTIONS <sip:b@example.com> SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "ruri no host", "OPTIONS sip:b@ SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "ruri control byte", "OPTIONS sip:b\x01@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) | A(CONTROL_CHAR) },
	{ "from without uri", RL VIA "From: Bob;tag=1\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "to display only", RL VIA FROM "To: \"Bob\"\n" CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "to empty", RL VIA FROM "To:\n" CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "from tokens then uri", RL VIA "From: Bob sip:a@example.com\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "open quote", RL VIA "From: \"Bob <sip:a@example.com>;tag=1\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(UNBALANCED) },
	{ "open angle", RL VIA FROM "To: <sip:b@example.com\n" CID CSEQ MF "\n", 0, false, DGRAM, 0, A(UNBALANCED) },
	{ "open quote in auth", RL HDRS "Authorization: Digest realm=\"x\", username=\"bob\n\n", 0, false, DGRAM, 0, A(UNBALANCED) },
	{ "open quote in via param", RL "Via: SIP/2.0/UDP h;branch=z9hG4bK1;x=\"a\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(UNBALANCED) },
	{ "NUL in header", RL HDRS "Subject: a\0b\n\n", sizeof(RL HDRS "Subject: a\0b\n\n") - 1, false, DGRAM, 0, A(CONTROL_CHAR) },
	{ "DEL in header", RL HDRS "Subject: a\x7f\n\n", 0, false, DGRAM, 0, A(CONTROL_CHAR) },
	{ "ESC in header name", RL HDRS "X-\x1b: a\n\n", 0, false, DGRAM, 0, A(CONTROL_CHAR) | A(BAD_HEADER) },
	{ "quoted-pair BEL and DEL", RL VIA "From: \"a\\\x07 b\\\x7f\" <sip:a@example.com>;tag=1\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, 0 },
	{ "escaped NUL outside quotes", RL HDRS "Subject: a\\\0b\n\n", sizeof(RL HDRS "Subject: a\\\0b\n\n") - 1, false, DGRAM, 0, A(CONTROL_CHAR) },
	{ "unescaped BEL in quotes", RL VIA "From: \"a\x07\" <sip:a@example.com>;tag=1\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(CONTROL_CHAR) },
	{ "BEL after a closed quote", RL VIA "From: \"a\\\"\" <sip:a@example.com>;tag=1\\\x07\n" TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(CONTROL_CHAR) },
	{ "ruri headers", "OPTIONS sip:b@example.com?Route=%3Csip:x%3E SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "ruri '?' in the user part", "OPTIONS sip:b?c@example.com SIP/2.0\n" HDRS "\n", 0, false, DGRAM, 0, 0 },
	{ "addr-spec with '?'", RL VIA FROM "To: sip:b@example.com?Route=x\n" CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_URI) },
	{ "control in body is fine", RL HDRS "\n\x01\x02\x00", sizeof(RL HDRS "\n\x01\x02\x00") - 1, false, DGRAM, 0, 0 },
	{ "no colon", RL HDRS "NoColonHere\n\n", 0, false, DGRAM, 0, A(BAD_HEADER) },
	{ "empty name", RL HDRS ": value\n\n", 0, false, DGRAM, 0, A(BAD_HEADER) },
	{ "space in name", RL HDRS "Bad Name: x\n\n", 0, false, DGRAM, 0, A(BAD_HEADER) },
	{ "folded start line", RL " continued\n" HDRS "\n", 0, false, DGRAM, 0, A(BAD_HEADER) },
	{ "via no transport", RL "Via: SIP/2.0 203.0.113.5;branch=z9hG4bK1\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via no sent-by", RL "Via: SIP/2.0/UDP\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via no space", RL "Via: SIP/2.0/UDP;branch=z9hG4bK1\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via junk", RL "Via: SIP/2.0/UDP 203.0.113.5 junk\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via empty", RL "Via:\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via empty element", RL "Via: SIP/2.0/UDP h1;branch=z9hG4bK1,,SIP/2.0/UDP h2\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via bad port", RL "Via: SIP/2.0/UDP h1:;branch=z9hG4bK1\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "via open bracket", RL "Via: SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1\n" FROM TO CID CSEQ MF "\n", 0, false, DGRAM, 0, A(BAD_VIA) },
	{ "truncated after headers", RL HDRS, 0, false, DGRAM, 0, A(TRUNCATED) },
	{ "truncated mid header", RL VIA FROM TO CID "CSeq: 1 OPT", 0, false, DGRAM, 0, A(TRUNCATED) | A(CSEQ_METHOD) | A(MISSING_MAX_FORWARDS) },
	{ "truncated start line", "OPTIONS sip:b@example.com SIP/2.0", 0, false, DGRAM, 0,
	  A(TRUNCATED) | A(MISSING_VIA) | A(MISSING_FROM) | A(MISSING_TO) | A(MISSING_CALL_ID) | A(MISSING_CSEQ) | A(MISSING_MAX_FORWARDS) },
	{ "truncated on stream", RL HDRS CL0, 0, false, STREAM, 0, A(TRUNCATED) },
	{ "two call-ids", RL HDRS "Call-ID: other\n\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
	{ "two content-lengths", RL HDRS "Content-Length: 0\nl: 5\n\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
	{ "two cseqs", RL HDRS "CSeq: 2 OPTIONS\n\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
	{ "two max-forwards", RL HDRS "Max-Forwards: 69\n\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
	{ "compact duplicate", RL HDRS "f: <sip:c@example.com>\n\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
	{ "two values in To", RL VIA FROM "To: <sip:b@example.com>, <sip:c@example.com>\n" CID CSEQ MF "\n", 0, false, DGRAM, 0, A(DUPLICATE_HEADER) },
};

static void test_anomaly_vectors(void)
{
	for (size_t i = 0; i < ARRAY_LEN(avecs); i++) {
		const struct avec *v = &avecs[i];
		struct sip_msg m;
		int r = parse_n(v->msg, v->len ? v->len : strlen(v->msg), v->raw, v->stream, &m);
		CHECK_MSG(r == v->ret, "%s: returned %d", v->name, r);
		CHECK_MSG(m.anomalies == v->anom, "%s: got [%s]", v->name, names(m.anomalies));
		CHECK_MSG(all_inside(&m, g_buf, g_len), "%s: slice outside", v->name);
	}
}

/* Scratch for the messages built at run time (before prep() doubles LFs). */
static char big[200000];

static void test_big_anomalies(void)
{
	struct sip_msg m;
	size_t k;
	/* oversize message: a 66000-byte body with a matching Content-Length */
	k = (size_t)sprintf(big, RL HDRS "Content-Length: 66000\n\n");
	memset(big + k, 'x', 66000);
	parse_n(big, k + 66000, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == A(OVERSIZE_MESSAGE), "oversize: [%s]", names(m.anomalies));
	CHECK(m.body.len == 66000);
	/* on a stream, a declared huge body is oversize (and cut short) */
	parse(RL HDRS "Content-Length: 4000000000\n\nabc", STREAM, &m);
	CHECK_MSG(m.anomalies == (A(OVERSIZE_MESSAGE) | A(TRUNCATED)), "oversize stream: [%s]", names(m.anomalies));
	CHECK(m.content_length == 4000000000L);

	/* oversize header: 9000 bytes in one field, folded lines count too */
	k = (size_t)sprintf(big, RL HDRS "X-Long: ");
	for (int i = 0; i < 90; i++)
		k += (size_t)sprintf(big + k, "%s%.98s", i ? "\n " : "", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789");
	k += (size_t)sprintf(big + k, "\n\n");
	parse_n(big, k, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == A(OVERSIZE_HEADER), "oversize header: [%s]", names(m.anomalies));

	/* a long header just within the limit is fine */
	k = (size_t)sprintf(big, RL HDRS "X-Long: ");
	memset(big + k, 'a', 8000);
	k += 8000;
	k += (size_t)sprintf(big + k, "\n\n");
	parse_n(big, k, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == 0, "long header: [%s]", names(m.anomalies));

	/* too many headers */
	k = (size_t)sprintf(big, RL HDRS);
	for (int i = 0; i < 130; i++)
		k += (size_t)sprintf(big + k, "X-H%d: %d\n", i, i);
	k += (size_t)sprintf(big + k, "\n");
	parse_n(big, k, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == A(TOO_MANY_HEADERS), "too many headers: [%s]", names(m.anomalies));
	CHECK(m.header_count == 136);

	/* too many Vias: 71 over one comma list and another header */
	k = (size_t)sprintf(big, RL "Via: SIP/2.0/UDP h0;branch=z9hG4bK0");
	for (int i = 1; i < 68; i++)
		k += (size_t)sprintf(big + k, ", SIP/2.0/UDP h%d;branch=z9hG4bK%d", i, i);
	k += (size_t)sprintf(big + k, "\nv: SIP/2.0/TCP a, SIP/2.0/TCP b,SIP/2.0/TCP c\n" FROM TO CID CSEQ MF "\n");
	parse_n(big, k, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == A(TOO_MANY_VIAS), "too many vias: [%s]", names(m.anomalies));
	CHECK(m.via_count == 71);
	CHECK(S(m.via_sent_by, "h0") && S(m.via_branch, "z9hG4bK0"));

	/* 70 Vias are fine: as many proxies as Max-Forwards' usual 70 allows */
	k = (size_t)sprintf(big, RL);
	for (int i = 0; i < 70; i++)
		k += (size_t)sprintf(big + k, "Via: SIP/2.0/UDP h%d;branch=z9hG4bK%d\n", i, i);
	k += (size_t)sprintf(big + k, FROM TO CID CSEQ MF "\n");
	parse_n(big, k, false, DGRAM, &m);
	CHECK_MSG(m.anomalies == 0 && m.via_count == 70, "70 vias: [%s]", names(m.anomalies));
}

/* ---- work per message ---- */

/* A worst case in big[0..k): parsed full and light, the budget is spent to
 * the step and flagged, what came before it is kept and the body is still
 * found after the blank line. */
static void budget_case(size_t k, const char *what, bool call_id_first)
{
	static struct sip_msg m;
	k += (size_t)sprintf(big + k, "\nbody");
	CHECK_MSG(parse_n(big, k, false, DGRAM, &m) == 0 && (m.anomalies & A(WORK_BUDGET)), "%s: [%s]", what,
	          names(m.anomalies));
	CHECK_MSG(m.work == SIP_MAX_WORK, "%s: %u steps", what, m.work);
	CHECK_MSG(S(m.body, "body") && m.msg_len == g_len, "%s: body %zu bytes", what, m.body.len);
	if (call_id_first)
		CHECK_MSG(S(m.call_id, "c1@203.0.113.5") && m.cseq == 1, "%s: fields before", what);
	CHECK_MSG(sip_parse_light(g_buf, g_len, false, &m) == 0 && m.work <= SIP_MAX_WORK && S(m.body, "body"),
	          "%s: light", what);
}

static void test_work_budget(void)
{
	struct sip_msg m;
	size_t k;
	/* 16,000 tiny header lines */
	k = (size_t)sprintf(big, RL CID CSEQ VIA FROM TO MF);
	while (k < 64000)
		k += (size_t)sprintf(big + k, "a:\n");
	budget_case(k, "tiny headers", true);
	CHECK(parse_n(big, k, false, DGRAM, &m) == 0 && m.header_count < SIP_MAX_WORK);
	/* on a stream, a header part of more lines than the budget is not
	 * framed (the caller parses what it has, with the budget) */
	for (int lines = SIP_MAX_WORK - 10; lines <= SIP_MAX_WORK + 10; lines += 20) {
		k = (size_t)sprintf(big, RL HDRS CL0);
		for (int i = 0; i < lines; i++)
			k += (size_t)sprintf(big + k, "a:\n");
		k += (size_t)sprintf(big + k, "\n");
		const char *b = prep(big, k, false, &k);
		CHECK_MSG(sip_frame(b, k) == (lines < SIP_MAX_WORK ? (long)k : -1), "%d lines", lines);
	}

	/* one Via with 30,000 parameters: the top Via's branch was read first */
	k = (size_t)sprintf(big, RL CID CSEQ "Via: SIP/2.0/UDP h;branch=z9hG4bKtop");
	while (k < 64000)
		k += (size_t)sprintf(big + k, ";a");
	k += (size_t)sprintf(big + k, "\n" FROM TO MF);
	budget_case(k, "via parameters", true);
	CHECK(parse_n(big, k, false, DGRAM, &m) == 0 && S(m.via_branch, "z9hG4bKtop") && !(m.anomalies & A(BAD_VIA)));

	/* 4,000 Via values in one field */
	k = (size_t)sprintf(big, RL CID CSEQ "Via: SIP/2.0/UDP h0;branch=z9hG4bK0");
	while (k < 64000)
		k += (size_t)sprintf(big + k, ",SIP/2.0/UDP h");
	k += (size_t)sprintf(big + k, "\n" FROM TO MF);
	budget_case(k, "via values", true);

	/* From with 30,000 parameters, and credentials with 15,000 */
	k = (size_t)sprintf(big, RL VIA CID CSEQ "From: <sip:a@example.com>;tag=1");
	while (k < 64000)
		k += (size_t)sprintf(big + k, ";a");
	k += (size_t)sprintf(big + k, "\n" TO MF);
	budget_case(k, "from parameters", true);
	CHECK(parse_n(big, k, false, DGRAM, &m) == 0 && S(m.from.tag, "1") && !(m.anomalies & A(DUPLICATE_HEADER)));
	k = (size_t)sprintf(big, RL HDRS "Authorization: Digest username=\"1000\"");
	while (k < 64000)
		k += (size_t)sprintf(big + k, ",a=b");
	budget_case(k + (size_t)sprintf(big + k, "\n"), "credentials", true);
	CHECK(parse_n(big, k, false, DGRAM, &m) == 0 && S(m.auth_username, "1000"));

	/* an honest INVITE takes a few dozen steps */
	k = (size_t)sprintf(big, "INVITE sip:100@example.com SIP/2.0\n"
	        "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1;rport\n"
	        "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK2;received=198.51.100.8\n"
	        "From: \"Alice\" <sip:alice@example.com>;tag=a1\nTo: <sip:100@example.com>\n"
	        CID "CSeq: 1 INVITE\n" MF "Contact: <sip:alice@203.0.113.5:5060;transport=udp>;expires=60\n"
	        "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n\", "
	        "uri=\"sip:100@example.com\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5\n"
	        "User-Agent: phone\nContent-Type: application/sdp\nContent-Length: 0\n\n");
	CHECK(parse_n(big, k, false, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK_MSG(m.work < SIP_MAX_WORK / 16, "INVITE: %u steps", m.work);
}

/* ---- valid but tricky messages: no anomaly at all ---- */

struct vvec {
	const char *name, *msg;
	bool raw, stream;
};

static const struct vvec vvecs[] = {
	{ "odd whitespace and folding (after RFC 4475 wsinv)",
	  "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
	  "TO :\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
	  "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8\n"
	  "MaX-fOrWaRdS: 0068\n"
	  "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
	  "Content-Length   : @CL@\n"
	  "cseq: 0009\n  INVITE\n"
	  "Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;rport;branch=390skdjuw\n"
	  "s :\n"
	  "NewFangledHeader:   newfangled value\n continued newfangled value\n"
	  "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
	  "Content-Type: application/sdp\n"
	  "Route:\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
	  "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ,\n"
	  " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n z9hG4bK30239\n"
	  "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\n      newvalue ;\n"
	  "  secondparam ; q = 0.33\n"
	  "\n"
	  "v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.3\ns=-\nc=IN IP4 192.0.2.4\nt=0 0\n"
	  "m=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC\n", false, false },
	{ "unknown method with odd token characters (after intmeth)",
	  "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\n"
	  "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
	  "To: \"BEL:\\ NUL:\\ DEL:\\\\\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n"
	  "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\";tag=_token~1'+`*%!-.\n"
	  "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
	  "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
	  "Max-Forwards: 255\n"
	  "extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\n"
	  "Content-Length: 0\n\n", false, false },
	{ "escaped URIs (after esc01)",
	  "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
	  "To: sip:%75se%72@example.com\n"
	  "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
	  "Max-Forwards: 87\n"
	  "i: esc01.239409asdfakjkn23onasd0-3234\n"
	  "CSeq: 234234 INVITE\n"
	  "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
	  "C: application/sdp\n"
	  "Contact:\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
	  "Content-Length: @CL@\n\n"
	  "v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	  "m=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC\n", false, false },
	{ "escaped NUL in URIs (after escnull)",
	  "REGISTER sip:example.com SIP/2.0\n"
	  "To: sip:null-%00-null@example.com\n"
	  "From: sip:null-%00-null@example.com;tag=839923423\n"
	  "Max-Forwards: 70\n"
	  "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
	  "CSeq: 14398234 REGISTER\n"
	  "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
	  "Contact: <sip:%00@host5.example.com>\n"
	  "Contact: <sip:%00%00@host5.example.com>\n"
	  "L:0\n\n", false, false },
	{ "percent in method (after esc02)",
	  "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
	  "To: \"%Z%45\" <sip:resource@example.com>\n"
	  "From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23\n"
	  "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
	  "Via: SIP/2.0/TCP host.example.com;rport;branch=z9hG4bK209793\n"
	  "Max-Forwards: 70\n"
	  "Contact: <sip:alias1@host1.example.com>\n"
	  "CSeq: 3882340 RE%47IST%45R\n"
	  "Content-Length: 0\n\n", false, false },
	{ "no LWS between display name and < (lwsdisp)",
	  "OPTIONS sip:user@example.com SIP/2.0\n"
	  "To: sip:user@example.com\n"
	  "From: caller<sip:caller@example.com>;tag=323\n"
	  "Max-Forwards: 70\n"
	  "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
	  "CSeq: 60 OPTIONS\n"
	  "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
	  "l: 0\n\n", false, false },
	{ "semicolon in URI user part (semiuri)",
	  "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
	  "To: sip:j_user@example.com\n"
	  "From: sip:caller@example.org;tag=33242\n"
	  "Max-Forwards: 3\n"
	  "Call-ID: semiuri.0ha0isndaksdj\n"
	  "CSeq: 8 OPTIONS\n"
	  "Accept: application/sdp, application/pkcs7-mime,\n        multipart/mixed, multipart/signed,\n"
	  "        message/sip, message/sipfrag\n"
	  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
	  "l: 0\n\n", false, false },
	{ "varied transports (transports)",
	  "OPTIONS sip:user@example.com SIP/2.0\n"
	  "To: sip:user@example.com\n"
	  "From: <sip:caller@example.com>;tag=323\n"
	  "Max-Forwards: 70\n"
	  "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
	  "Accept: application/sdp\n"
	  "CSeq: 60 OPTIONS\n"
	  "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
	  "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
	  "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
	  "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
	  "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
	  "l: 0\n\n", false, false },
	{ "multipart body (mpart01)",
	  "MESSAGE sip:kumiko@example.org SIP/2.0\n"
	  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\n"
	  "Max-Forwards: 70\n"
	  "Route: <sip:127.0.0.1:5080>\n"
	  "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\n"
	  "Contact: <sip:fluffy@127.0.0.1:5070>\n"
	  "To: <sip:kumiko@example.org>\n"
	  "From: <sip:fluffy@example.com>;tag=2fb0dcc9\n"
	  "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\n"
	  "CSeq: 1 MESSAGE\n"
	  "Content-Transfer-Encoding: binary\n"
	  "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\n"
	  "Date: Sat, 15 Oct 2005 04:44:56 GMT\n"
	  "User-Agent: SIPimp.org/0.2.5 (curses)\n"
	  "Content-Length: @CL@\n\n"
	  "--7a9cbec02ceef655\nContent-Type: text/plain\nContent-Transfer-Encoding: binary\n\nHello\n"
	  "--7a9cbec02ceef655\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
	  "\x30\x82\x01\x52\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x82\x01\x43\n"
	  "--7a9cbec02ceef655--\n", false, false },
	{ "unusual reason phrase (unreason)",
	  "SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe - \xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5\n"
	  "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
	  "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
	  "CSeq: 35 INVITE\n"
	  "From: sip:user@example.com;tag=11141343\n"
	  "To: sip:user@example.edu;tag=2229\n"
	  "Content-Length: @CL@\n"
	  "Content-Type: application/sdp\n"
	  "Contact: <sip:user@host198.example.com>\n\n"
	  "v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.198\ns=-\nc=IN IP4 192.0.2.198\nt=0 0\n"
	  "m=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC\n", false, false },
	{ "empty reason phrase (noreason)",
	  "SIP/2.0 100 \n"
	  "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
	  "Call-ID: noreason.asndj203insdf99223ndf\n"
	  "CSeq: 35 INVITE\n"
	  "From: <sip:user@example.com>;tag=39ansfi3\n"
	  "To: <sip:user@example.edu>;tag=902jndnke3\n"
	  "Content-Length: 0\n"
	  "Contact: <sip:user@host105.example.com>\n\n", false, false },
	{ "IPv6 everywhere",
	  "REGISTER sip:[2001:db8::10] SIP/2.0\n"
	  "To: sip:user@[2001:db8::10]\n"
	  "From: sip:user@[2001:db8::10];tag=81x2\n"
	  "Via: SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3-111\n"
	  "Call-ID: SSG9559905523997077@hlau_4100\n"
	  "Max-Forwards: 70\n"
	  "Contact: \"Caller\" <sip:caller@[2001:db8::1]:5060;transport=udp>;expires=3600\n"
	  "CSeq: 98176 REGISTER\n"
	  "Content-Length: 0\n\n", false, false },
	{ "unknown URI schemes",
	  "OPTIONS tel:+1-201-555-0123;phone-context=example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKtel\n"
	  "To: <urn:service:sos>\n"
	  "From: \"X\" <x-custom.scheme+1:whatever/you=like>;tag=7\n"
	  "Contact: <im:alice@example.com>\n"
	  "Call-ID: schemes@203.0.113.5\n"
	  "CSeq: 5 OPTIONS\n"
	  "Max-Forwards: 70\n\n", false, false },
	{ "lower-case names, SP and tabs before colon",
	  "bye sip:bob@example.com SIP/2.0\n"
	  "via\t: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKlc\n"
	  "from :<sip:alice@example.com>;tag=a\n"
	  "to  \t:   <sip:bob@example.com>;tag=b\n"
	  "call-id:lc@203.0.113.5\n"
	  "cseq:2 bye\n"
	  "max-forwards:70\n"
	  "content-length:0\n\n", false, true },
	{ "bare LF line endings",
	  "OPTIONS sip:b@example.com SIP/2.0\n" HDRS "Content-Length: 3\n\nabc", true, false },
	{ "mixed line endings",
	  "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n" FROM TO CID CSEQ MF "\r\n", true, false },
	{ "request with body on a stream, keep-alives before it",
	  "\n\nINVITE sip:bob@example.com SIP/2.0\n"
	  "Via: SIP/2.0/TCP 203.0.113.5:5060;branch=z9hG4bKb\n"
	  "From: \"Alice\" <sip:alice@example.com>;tag=1\n"
	  "To: \"Bob\" <sip:bob@example.com>\n"
	  "Call-ID: body@203.0.113.5\n"
	  "CSeq: 314159 INVITE\n"
	  "Max-Forwards: 70\n"
	  "Contact: <sip:alice@203.0.113.5;transport=tcp>\n"
	  "Content-Type: application/sdp\n"
	  "Content-Length: @CL@\n\n"
	  "v=0\no=alice 2890844526 2890844526 IN IP4 203.0.113.5\ns=-\nc=IN IP4 203.0.113.5\nt=0 0\n"
	  "m=audio 49170 RTP/AVP 0\n", false, true },
	{ "register wildcard contact",
	  "REGISTER sip:example.com SIP/2.0\n" VIA
	  "From: <sip:alice@example.com>;tag=w\nTo: <sip:alice@example.com>\n" CID
	  "CSeq: 3 REGISTER\n" MF "Contact: *\nExpires: 0\nContent-Length: 0\n\n", false, true },
	{ "display names with escapes and empty display",
	  RL VIA "From: \"\\\"Bob\\\" the \\\\ builder\" <sip:bob@example.com>;tag=1\n"
	  "To: \"\" <sip:b@example.com>\n" CID CSEQ MF "\n", false, false },
	{ "several Via headers and comma lists",
	  RL "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\n"
	  "Via: SIP/2.0/TCP p3.example.com:5070;branch=z9hG4bK3;x=\"a,b\"\n"
	  "v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK4,SIP/2.0/UDP p5;branch=z9hG4bK5\n"
	  FROM TO CID CSEQ MF "\n", false, false },
	{ "response 180 without Max-Forwards",
	  "SIP/2.0 180 Ringing\n"
	  "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK1;received=203.0.113.5;rport=5060\n"
	  "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
	  "From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>;tag=2\n" CID "CSeq: 1 INVITE\n"
	  "Contact: <sip:b@198.51.100.7>\nContent-Length: 0\n\n", false, true },
	{ "authorization with digest credentials",
	  "REGISTER sip:example.com SIP/2.0\n" VIA
	  "From: <sip:alice@example.com>;tag=w\nTo: <sip:alice@example.com>\n" CID
	  "CSeq: 4 REGISTER\n" MF
	  "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\",\n"
	  "  uri=\"sip:example.com\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5,\n"
	  "  qop=auth, nc=00000001, cnonce=\"xyz\"\n"
	  "Content-Length: 0\n\n", false, false },
	{ "datagram with bytes after the body",
	  RL HDRS "Content-Length: 3\n\nabcTRAILING", false, false },
	{ "leading zeros and status bounds",
	  "SIP/2.0 699 Anything\n" VIA FROM TO CID "CSeq: 00000000000000000001 OPTIONS\nContent-Length: 0000\n\n", false, true },
	{ "compact forms for every letter",
	  "INVITE sip:bob@example.com SIP/2.0\n"
	  "v: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKc\n"
	  "f: Alice <sip:alice@example.com>;tag=a1\n"
	  "t: <sip:bob@example.com>\n"
	  "i: cid-compact\n"
	  "CSeq: 1 INVITE\n"
	  "Max-Forwards: 70\n"
	  "m: <sip:alice@203.0.113.5>\n"
	  "c: text/plain\n"
	  "k: 100rel\n"
	  "s: hello\n"
	  "e: identity\n"
	  "o: presence\n"
	  "u: presence, dialog\n"
	  "r: <sip:carol@example.com>\n"
	  "x: 1800;refresher=uac\n"
	  "y: abc\n"
	  "j: *;audio\n"
	  "b: <sip:referrer@example.com>\n"
	  "d: proxy, recurse\n"
	  "l: 4\n\nabcd", false, true },
};

/* The vector whose name starts with prefix. */
static const char *vmsg(const char *prefix)
{
	for (size_t i = 0; i < ARRAY_LEN(vvecs); i++)
		if (strncmp(vvecs[i].name, prefix, strlen(prefix)) == 0)
			return vvecs[i].msg;
	abort();
}

static void test_valid_vectors(void)
{
	CHECK(ARRAY_LEN(vvecs) >= 15);
	for (size_t i = 0; i < ARRAY_LEN(vvecs); i++) {
		const struct vvec *v = &vvecs[i];
		struct sip_msg m;
		int r = parse_n(v->msg, strlen(v->msg), v->raw, v->stream, &m);
		CHECK_MSG(r == 0, "%s: returned %d", v->name, r);
		CHECK_MSG(m.anomalies == 0, "%s: got [%s]", v->name, names(m.anomalies));
		CHECK_MSG(all_inside(&m, g_buf, g_len), "%s: slice outside", v->name);
	}
}

/* ---- extracted fields ---- */

static void test_request_fields(void)
{
	struct sip_msg m;
	int r = parse("REGISTER sip:example.com;transport=udp SIP/2.0\n"
		      "Via: SIP/2.0/UDP 203.0.113.5:5060;rport;branch=z9hG4bK776asdhds;received=198.51.100.9\n"
		      "Max-Forwards: 70\n"
		      "To: Bob <sip:bob@example.com>\n"
		      "From: Bob <sip:bob@example.com>;tag=456248\n"
		      "Call-ID: 843817637684230@998sdasdh09\n"
		      "CSeq: 1826 REGISTER\n"
		      "Contact: <sip:bob@192.0.2.4>;expires=7200\n"
		      "Expires: 7200\n"
		      "User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\n"
		      "Content-Type: text/plain\n"
		      "Content-Length: 5\n\nhello", STREAM, &m);
	CHECK(r == 0 && m.anomalies == 0);
	CHECK(m.is_request && m.method == SIP_M_REGISTER && S(m.method_s, "REGISTER"));
	CHECK(S(m.ruri, "sip:example.com;transport=udp"));
	CHECK(m.ruri_user.len == 0 && S(m.ruri_host, "example.com"));
	CHECK(m.status == 0);
	CHECK(S(m.via_transport, "UDP") && S(m.via_sent_by, "203.0.113.5:5060"));
	CHECK(S(m.via_branch, "z9hG4bK776asdhds") && S(m.via_received, "198.51.100.9") && m.via_rport);
	CHECK(m.via_count == 1);
	CHECK(S(m.to.display, "Bob") && S(m.to.uri, "sip:bob@example.com") && m.to.tag.p == NULL);
	CHECK(S(m.from.user, "bob") && S(m.from.host, "example.com") && S(m.from.tag, "456248"));
	CHECK(S(m.call_id, "843817637684230@998sdasdh09"));
	CHECK(m.cseq == 1826 && m.cseq_method == SIP_M_REGISTER && S(m.cseq_method_s, "REGISTER"));
	CHECK(S(m.contact.uri, "sip:bob@192.0.2.4") && S(m.contact.host, "192.0.2.4"));
	CHECK(m.max_forwards == 70 && m.expires == 7200 && m.content_length == 5);
	CHECK(S(m.user_agent, "Linphone/5.2.0 (belle-sip/5.2.0)") && S(m.content_type, "text/plain"));
	CHECK(S(m.body, "hello") && m.msg_len == g_len);
	CHECK(m.header_count == 11);
	CHECK(!m.has_auth && !m.has_challenge);

	/* absent numbers stay -1 */
	parse(SL VIA FROM TO CID CSEQ "\n", DGRAM, &m);
	CHECK(m.max_forwards == -1 && m.expires == -1 && m.content_length == -1);
	CHECK(!m.is_request && m.status == 200 && S(m.reason, "OK") && m.method == SIP_M_NONE);
	CHECK(m.body.len == 0 && m.msg_len == g_len);
}

static void test_compact_forms(void)
{
	struct sip_msg m;
	int r = parse(vmsg("compact forms"), STREAM, &m);
	CHECK(r == 0 && m.anomalies == 0);
	CHECK(S(m.via_sent_by, "203.0.113.5") && S(m.via_branch, "z9hG4bKc"));
	CHECK(S(m.from.display, "Alice") && S(m.from.user, "alice") && S(m.from.tag, "a1"));
	CHECK(S(m.to.uri, "sip:bob@example.com"));
	CHECK(S(m.call_id, "cid-compact"));
	CHECK(S(m.contact.user, "alice") && S(m.contact.host, "203.0.113.5"));
	CHECK(S(m.content_type, "text/plain"));
	CHECK(m.content_length == 4 && S(m.body, "abcd"));
	CHECK(m.header_count == 20);

	/* upper-case compact letters work too */
	parse("OPTIONS sip:b@example.com SIP/2.0\nV: SIP/2.0/UDP h;branch=z9hG4bKu\nF: <sip:a@example.com>;tag=1\n"
	      "T: <sip:b@example.com>\nI: up\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nM: <sip:a@h>\nC: a/b\nL: 0\n\n", STREAM, &m);
	CHECK(m.anomalies == 0 && S(m.call_id, "up") && S(m.content_type, "a/b") && m.content_length == 0);
	CHECK(S(m.contact.host, "h") && S(m.via_sent_by, "h"));
}

static void test_folding(void)
{
	struct sip_msg m;
	parse("OPTIONS sip:b@example.com SIP/2.0\n"
	      "Subject: I know you're there,\n pick up the phone\n   and talk to me!\n"
	      "Via: SIP/2.0/UDP\n  203.0.113.5:5060\n\t;branch=z9hG4bKf\n"
	      "CSeq:\n 7\n OPTIONS\n"
	      "From:\n \"Folded\n Name\" <sip:a@example.com>\n ;tag=9\n"
	      "To: <sip:b@example.com>\n"
	      "Call-ID:\n\tfold@x\n"
	      "Max-Forwards: 70\n"
	      "User-Agent: Foo/1.0\n  (Linux)\n\n", DGRAM, &m);
	CHECK_MSG(m.anomalies == 0, "[%s]", names(m.anomalies));
	CHECK(S(m.via_sent_by, "203.0.113.5:5060") && S(m.via_branch, "z9hG4bKf"));
	CHECK(m.cseq == 7 && m.cseq_method == SIP_M_OPTIONS);
	CHECK(S(m.from.display, "Folded\r\n Name") && S(m.from.tag, "9"));
	CHECK(S(m.call_id, "fold@x"));
	CHECK(S(m.user_agent, "Foo/1.0\r\n  (Linux)"));
	CHECK(m.header_count == 8);
}

static void test_repeated_headers(void)
{
	struct sip_msg m;
	parse(vmsg("several Via"), DGRAM, &m);
	CHECK_MSG(m.anomalies == 0, "[%s]", names(m.anomalies));
	CHECK(m.via_count == 5);
	CHECK(S(m.via_sent_by, "p1.example.com") && S(m.via_branch, "z9hG4bK1"));

	/* several Contact headers and lists: the first one is kept */
	parse(RL HDRS "Contact: \"A, B\" <sip:one@h1>;q=0.5, <sip:two@h2>\nContact: <sip:three@h3>\n\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && S(m.contact.user, "one") && S(m.contact.display, "A, B"));
	/* repeated User-Agent and unknown headers are fine; the first wins */
	parse(RL HDRS "User-Agent: one\nUser-Agent: two\nX-A: 1\nX-A: 2\n\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && S(m.user_agent, "one"));
	/* a comma inside a quoted Via parameter does not split */
	parse(RL "Via: SIP/2.0/UDP h;branch=z9hG4bK1;x=\"1,2,3\"\n" FROM TO CID CSEQ MF "\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && m.via_count == 1);
	/* nor does one inside <> */
	parse(RL "Via: SIP/2.0/UDP h;branch=z9hG4bK1;x=<sip:a,b>, SIP/2.0/UDP h2\n" FROM TO CID CSEQ MF "\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && m.via_count == 2);
	parse(RL "Via: SIP/2.0/UDP h;branch=z9hG4bK1;x=<sip:a,b\n" FROM TO CID CSEQ MF "\n", DGRAM, &m);
	CHECK(m.anomalies == A(UNBALANCED) && m.via_count == 1);
	/* a Contact parameter holding <...> with a comma stays one value */
	parse(RL HDRS "Contact: <sip:a@h>;+sip.instance=<urn:uuid:1,2>;expires=60\n\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && S(m.contact.host, "h"));
}

static void test_via(void)
{
	static const struct {
		const char *via, *tr, *by, *branch, *recv;
		bool rport;
		uint16_t count;
	} v[] = {
		{ "SIP/2.0/UDP 203.0.113.5", "UDP", "203.0.113.5", NULL, NULL, false, 1 },
		{ "SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9", "TCP", "client.example.com:5060", "z9hG4bK74bf9", NULL, false, 1 },
		{ "SIP/2.0/TLS [2001:db8::1]:5061;rport=5061;received=2001:db8::2;branch=z9hG4bKx", "TLS", "[2001:db8::1]:5061", "z9hG4bKx", "2001:db8::2", true, 1 },
		{ "SIP/2.0/WSS df7jal23ls0d.invalid;rport;branch=z9hG4bKhjhs8ass877", "WSS", "df7jal23ls0d.invalid", "z9hG4bKhjhs8ass877", NULL, true, 1 },
		{ "sip / 2.0 / udp  h.example.com : 5060 ; BRANCH = z9hG4bKsp ; Received = 198.51.100.1 ; RPORT", "udp", "h.example.com : 5060", "z9hG4bKsp", "198.51.100.1", true, 1 },
		{ "SIP/2.0/UDP a;branch=z9hG4bK1;received=192.0.2.1, SIP/2.0/UDP b;rport", "UDP", "a", "z9hG4bK1", "192.0.2.1", false, 2 },
		{ "SIP/2.0/UDP a;maddr=239.255.255.1;ttl=15;branch=\"z9hG4bKq\"", "UDP", "a", "z9hG4bKq", NULL, false, 1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char msg[1024];
		struct sip_msg m;
		snprintf(msg, sizeof(msg), RL "Via: %s\n" FROM TO CID CSEQ MF "\n", v[i].via);
		parse(msg, DGRAM, &m);
		CHECK_MSG(m.anomalies == 0, "via %zu: [%s]", i, names(m.anomalies));
		CHECK_MSG(S(m.via_transport, v[i].tr) && S(m.via_sent_by, v[i].by), "via %zu: tr/by", i);
		CHECK_MSG(v[i].branch ? S(m.via_branch, v[i].branch) : !m.via_branch.p, "via %zu: branch", i);
		CHECK_MSG(v[i].recv ? S(m.via_received, v[i].recv) : !m.via_received.p, "via %zu: received", i);
		CHECK_MSG(m.via_rport == v[i].rport && m.via_count == v[i].count, "via %zu: rport/count", i);
	}
}

static void test_nameaddr(void)
{
	static const struct {
		const char *val, *display, *uri, *user, *host, *tag;
		uint32_t anom;
	} v[] = {
		{ "\"Bob\" <sip:bob@example.com>;tag=1", "Bob", "sip:bob@example.com", "bob", "example.com", "1", 0 },
		{ "Bob Smith <sip:bob@example.com>", "Bob Smith", "sip:bob@example.com", "bob", "example.com", NULL, 0 },
		{ "<sip:bob@example.com>;tag=x", NULL, "sip:bob@example.com", "bob", "example.com", "x", 0 },
		{ "sip:bob@example.com;tag=abc", NULL, "sip:bob@example.com", "bob", "example.com", "abc", 0 },
		{ "sip:bob@example.com ; tag = abc ; other", NULL, "sip:bob@example.com", "bob", "example.com", "abc", 0 },
		{ "\"B \\\"Q\\\" S\" <sip:bob:secret@example.com;transport=tcp>;tag=2", "B \\\"Q\\\" S",
		  "sip:bob:secret@example.com;transport=tcp", "bob", "example.com", "2", 0 },
		{ "<sips:[2001:db8::1]:5061>", NULL, "sips:[2001:db8::1]:5061", "", "2001:db8::1", NULL, 0 },
		{ "<sip:alice@[2001:db8::7]>;tag=v6", NULL, "sip:alice@[2001:db8::7]", "alice", "2001:db8::7", "v6", 0 },
		{ "<sip:example.com>", NULL, "sip:example.com", "", "example.com", NULL, 0 },
		{ "<SIP:Carol@Example.COM:5070>", NULL, "SIP:Carol@Example.COM:5070", "Carol", "Example.COM", NULL, 0 },
		{ "<tel:+1-201-555-0123;phone-context=x>", NULL, "tel:+1-201-555-0123;phone-context=x", "+1-201-555-0123", "", NULL, 0 },
		{ "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>", NULL, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "", "", NULL, 0 },
		{ "\"\" <sip:a@b>", "", "sip:a@b", "a", "b", NULL, 0 },
		{ "<sip:user;par=u%40example.net@example.com>", NULL, "sip:user;par=u%40example.net@example.com", "user", "example.com", NULL, 0 },
		{ "Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", "Anonymous", "sip:c8oqz84zk7z@privacy.org", "c8oqz84zk7z", "privacy.org", "hyh8", 0 },
		{ "<sip:%61lice@example.com>;tag=\"q;r\"", NULL, "sip:%61lice@example.com", "%61lice", "example.com", "q;r", 0 },
		{ "\"\xc3\xa9\" <sip:u@h?subject=x>", "\xc3\xa9", "sip:u@h?subject=x", "u", "h", NULL, 0 },
		{ "Bob", NULL, "Bob", "", "", NULL, A(BAD_URI) },
		{ "<>", NULL, "", "", "", NULL, A(BAD_URI) },
		{ "<sip:a@[2001:db8::1>", NULL, "sip:a@[2001:db8::1", "a", "", NULL, A(BAD_URI) },
		{ "\"Bob\" junk <sip:b@h>", "Bob", NULL, "", "", NULL, A(BAD_URI) },
		{ "<sip:b@h> junk", NULL, "sip:b@h", "b", "h", NULL, A(BAD_URI) },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char msg[1024];
		struct sip_msg m;
		snprintf(msg, sizeof(msg), RL VIA FROM "To: %s\n" CID CSEQ MF "\n", v[i].val);
		parse(msg, DGRAM, &m);
		const struct sip_nameaddr *a = &m.to;
		CHECK_MSG(m.anomalies == v[i].anom, "to %zu: [%s]", i, names(m.anomalies));
		CHECK_MSG(v[i].display ? S(a->display, v[i].display) : !a->display.p, "to %zu: display", i);
		CHECK_MSG(v[i].uri ? S(a->uri, v[i].uri) : !a->uri.p, "to %zu: uri", i);
		CHECK_MSG(S(a->user, v[i].user) && S(a->host, v[i].host), "to %zu: user/host", i);
		CHECK_MSG(v[i].tag ? S(a->tag, v[i].tag) : !a->tag.p, "to %zu: tag", i);
	}
}

static void test_auth(void)
{
	static const struct {
		const char *hdr, *user, *realm, *nonce;
	} v[] = {
		{ "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", response=\"0\"", "alice", "example.com", "abc" },
		{ "Authorization: Digest realm=\"r\",username=\"bob\",nonce=\"n\"", "bob", "r", "n" },
		{ "Authorization:   Digest  username = \"carol\" ,\n\trealm=\t\"r2\" , nonce=x", "carol", "r2", "x" },
		{ "Authorization: digest username=dave, realm=r3", "dave", "r3", NULL },
		{ "Authorization: Digest nonce=\"a,b\", USERNAME=\"e\\\"f\", Realm=\"x,y\"", "e\\\"f", "x,y", "a,b" },
		{ "Proxy-Authorization: Digest username=\"1000\",realm=\"198.51.100.1\",nonce=\"Y2Ft\",uri=\"sip:198.51.100.1\",response=\"5f0f\",algorithm=MD5", "1000", "198.51.100.1", "Y2Ft" },
		{ "Authorization: Digest username=\"\", realm=\"\"", "", "", NULL },
		{ "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", NULL, NULL, NULL },
		{ "Authorization: Digest username=\"first\", realm=\"r\", NONCE=\"n1\"\nProxy-Authorization: Digest username=\"second\", realm=\"q\", nonce=\"n2\"", "first", "r", "n1" },
		{ "Authorization: Digest cnonce=\"c\", nonces=\"no\", username=\"u\", nonce = \"yes\"", "u", NULL, "yes" },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char msg[1024];
		struct sip_msg m;
		snprintf(msg, sizeof(msg), RL HDRS "%s\n\n", v[i].hdr);
		parse(msg, DGRAM, &m);
		CHECK_MSG(m.anomalies == 0 && m.has_auth && !m.has_challenge, "auth %zu: [%s]", i, names(m.anomalies));
		CHECK_MSG(v[i].user ? S(m.auth_username, v[i].user) : !m.auth_username.p, "auth %zu: username", i);
		CHECK_MSG(v[i].realm ? S(m.auth_realm, v[i].realm) : !m.auth_realm.p, "auth %zu: realm", i);
		CHECK_MSG(v[i].nonce ? S(m.auth_nonce, v[i].nonce) : !m.auth_nonce.p, "auth %zu: nonce", i);
		CHECK_MSG(!m.challenge_nonce.p, "auth %zu: no challenge nonce", i);
	}
}

static void test_challenge(void)
{
	static const struct {
		const char *hdr;
		bool stale;
		const char *nonce;
	} v[] = {
		{ "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", algorithm=MD5, qop=\"auth\"", false, "abc" },
		{ "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", stale=true", true, "abc" },
		{ "WWW-Authenticate: Digest realm=\"example.com\", stale=TRUE, nonce=\"abd\"", true, "abd" },
		{ "WWW-Authenticate: Digest stale=\"true\",realm=\"x\"", true, NULL },
		{ "Proxy-Authenticate: Digest realm=\"x\" , stale = True , nonce=\"n\"", true, "n" },
		{ "WWW-Authenticate: Digest realm=\"x\", stale=false", false, NULL },
		{ "WWW-Authenticate: Digest realm=\"stale=true\", nonce=\"n\"", false, "n" },
		{ "WWW-Authenticate: Digest realm=\"x\", stale=truest", false, NULL },
		{ "WWW-Authenticate: Digest realm=\"nonce=\\\"no\\\"\", Nonce=Zm9v", false, "Zm9v" },
		{ "WWW-Authenticate: Digest nonce=\"first\", algorithm=SHA-256\nWWW-Authenticate: Digest nonce=\"second\"", false, "first" },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char msg[1024];
		struct sip_msg m, l;
		snprintf(msg, sizeof(msg), "SIP/2.0 401 Unauthorized\n" VIA FROM TO CID CSEQ "%s\n\n", v[i].hdr);
		parse(msg, DGRAM, &m);
		CHECK_MSG(m.anomalies == 0 && m.has_challenge && !m.has_auth, "challenge %zu: [%s]", i, names(m.anomalies));
		CHECK_MSG(m.challenge_stale == v[i].stale, "challenge %zu: stale", i);
		CHECK_MSG(v[i].nonce ? S(m.challenge_nonce, v[i].nonce) : !m.challenge_nonce.p, "challenge %zu: nonce", i);
		CHECK_MSG(!m.auth_nonce.p, "challenge %zu: no credentials nonce", i);
		/* the light parser reads the same */
		const char *g = t_guarded(msg, strlen(msg));
		CHECK_MSG(sip_parse_light(g, strlen(msg), false, &l) == 0 && l.challenge_stale == v[i].stale &&
		          (v[i].nonce ? S(l.challenge_nonce, v[i].nonce) : !l.challenge_nonce.p), "challenge %zu: light", i);
	}
}

/* ---- realistic traffic ---- */

static const char svmap[] =
	"OPTIONS sip:100@198.51.100.1 SIP/2.0\n"
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-1780127347;rport\n"
	"Max-Forwards: 70\n"
	"To: \"sipvicious\"<sip:100@1.1.1.1>\n"
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6663373236333837313333640131353730353834353738\n"
	"User-Agent: friendly-scanner\n"
	"Call-ID: 146722366427428386906436\n"
	"Contact: sip:100@203.0.113.66:5060\n"
	"CSeq: 1 OPTIONS\n"
	"Accept: application/sdp\n"
	"Content-Length: 0\n\n";

static const char svwar[] =
	"REGISTER sip:1000@198.51.100.1 SIP/2.0\n"
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2960929932;rport\n"
	"Max-Forwards: 70\n"
	"To: \"1000\"<sip:1000@198.51.100.1>\n"
	"From: \"1000\"<sip:1000@198.51.100.1>;tag=3838623834333833\n"
	"User-Agent: friendly-scanner\n"
	"Call-ID: 1193429476\n"
	"Contact: sip:1000@203.0.113.66:5060\n"
	"CSeq: 1 REGISTER\n"
	"Accept: application/sdp\n"
	"Content-Length: 0\n\n";

static const char svcrack[] =
	"REGISTER sip:198.51.100.1 SIP/2.0\n"
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-3412890;rport\n"
	"Max-Forwards: 70\n"
	"To: \"1000\" <sip:1000@198.51.100.1>\n"
	"From: \"1000\" <sip:1000@198.51.100.1>;tag=3134353930373733\n"
	"User-Agent: friendly-scanner\n"
	"Call-ID: 1356789012\n"
	"Contact: sip:1000@203.0.113.66:5060\n"
	"CSeq: 2 REGISTER\n"
	"Authorization: Digest username=\"1000\",realm=\"198.51.100.1\",nonce=\"ZWdjY2VkZGQ3YjcwN2ZlOGE0ZWQ1YjU3ZTE1MDk5ZDk=\",uri=\"sip:198.51.100.1\",response=\"5f0f9c3b0f0f2d9b1b52a8a3c4cd3e11\",algorithm=MD5\n"
	"Content-Length: 0\n\n";

static const char sipsak[] =
	"OPTIONS sip:alice@198.51.100.1 SIP/2.0\n"
	"Via: SIP/2.0/UDP 203.0.113.7:46520;branch=z9hG4bK.0e4c0b4a;rport;alias\n"
	"From: sip:sipsak@203.0.113.7:46520;tag=7a7b3c1d\n"
	"To: sip:alice@198.51.100.1\n"
	"Call-ID: 2054918989@203.0.113.7\n"
	"CSeq: 1 OPTIONS\n"
	"Contact: sip:sipsak@203.0.113.7:46520\n"
	"Content-Length: 0\n"
	"Max-Forwards: 70\n"
	"User-Agent: sipsak 0.9.8.1\n"
	"Accept: text/plain\n\n";

static const char kam401[] =
	"SIP/2.0 401 Unauthorized\n"
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2960929932;rport=5060;received=203.0.113.66\n"
	"To: \"1000\"<sip:1000@198.51.100.1>;tag=b27e1a1d33761e85846fc98f5f3a7e58.7e5d\n"
	"From: \"1000\"<sip:1000@198.51.100.1>;tag=3838623834333833\n"
	"Call-ID: 1193429476\n"
	"CSeq: 1 REGISTER\n"
	"WWW-Authenticate: Digest realm=\"198.51.100.1\", nonce=\"ZWdjY2VkZGQ3YjcwN2ZlOGE0ZWQ1YjU3ZTE1MDk5ZDk=\"\n"
	"Server: kamailio (5.6.3 (x86_64/linux))\n"
	"Content-Length: 0\n\n";

static const char kam200[] =
	"SIP/2.0 200 OK\n"
	"Via: SIP/2.0/UDP 198.51.100.20:5060;rport=5060;received=198.51.100.20;branch=z9hG4bK.RpT2wAbpQ\n"
	"From: <sip:alice@198.51.100.1>;tag=xfH3Lk0Uj\n"
	"To: <sip:alice@198.51.100.1>;tag=b27e1a1d33761e85846fc98f5f3a7e58.a2b1\n"
	"CSeq: 21 REGISTER\n"
	"Call-ID: o0lZ1U9Kr4\n"
	"Contact: <sip:alice@198.51.100.20:5060;transport=udp>;expires=3600;received=\"sip:198.51.100.20:5060\"\n"
	"Server: kamailio (5.6.3 (x86_64/linux))\n"
	"Content-Length: 0\n\n";

static const char kam404[] =
	"SIP/2.0 404 Not Found\n"
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-1780127347;rport=5060;received=203.0.113.66\n"
	"To: \"sipvicious\"<sip:100@1.1.1.1>;tag=b27e1a1d33761e85846fc98f5f3a7e58.0b2e\n"
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6663373236333837313333640131353730353834353738\n"
	"Call-ID: 146722366427428386906436\n"
	"CSeq: 1 OPTIONS\n"
	"Server: kamailio (5.6.3 (x86_64/linux))\n"
	"Content-Length: 0\n\n";

static void test_realistic(void)
{
	struct sip_msg m;
	CHECK(parse(svmap, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(m.method == SIP_M_OPTIONS && S(m.user_agent, "friendly-scanner"));
	CHECK(S(m.ruri_user, "100") && S(m.ruri_host, "198.51.100.1"));
	CHECK(S(m.from.display, "sipvicious") && S(m.from.host, "1.1.1.1") && S(m.to.user, "100"));
	CHECK(S(m.contact.uri, "sip:100@203.0.113.66:5060") && S(m.contact.host, "203.0.113.66"));
	CHECK(S(m.via_sent_by, "203.0.113.66:5060") && m.via_rport);

	CHECK(parse(svwar, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(m.method == SIP_M_REGISTER && S(m.to.user, "1000") && S(m.ruri_user, "1000"));

	CHECK(parse(svcrack, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(m.has_auth && S(m.auth_username, "1000") && S(m.auth_realm, "198.51.100.1") && m.cseq == 2);

	CHECK(parse(sipsak, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(S(m.user_agent, "sipsak 0.9.8.1") && S(m.from.user, "sipsak") && S(m.from.tag, "7a7b3c1d"));
	CHECK(S(m.from.uri, "sip:sipsak@203.0.113.7:46520") && S(m.to.host, "198.51.100.1"));

	CHECK(parse(kam401, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(!m.is_request && m.status == 401 && S(m.reason, "Unauthorized"));
	CHECK(m.has_challenge && !m.challenge_stale && m.cseq_method == SIP_M_REGISTER);
	CHECK(S(m.server, "kamailio (5.6.3 (x86_64/linux))") && S(m.via_received, "203.0.113.66"));

	CHECK(parse(kam200, STREAM, &m) == 0 && m.anomalies == 0);
	CHECK(m.status == 200 && S(m.contact.user, "alice") && S(m.via_branch, "z9hG4bK.RpT2wAbpQ"));

	CHECK(parse(kam404, DGRAM, &m) == 0 && m.anomalies == 0);
	CHECK(m.status == 404 && S(m.reason, "Not Found") && S(m.to.tag, "b27e1a1d33761e85846fc98f5f3a7e58.0b2e"));
}

/* ---- stream framing ---- */

static long frame(const char *s, size_t len)
{
	size_t n;
	const char *g = prep(s, len, true, &n);
	return sip_frame(g, n);
}

static void test_frame_split(void)
{
	char two[4096];
	size_t n1, n2, skip;
	const char *m1 = "INVITE sip:bob@example.com SIP/2.0\r\n" "Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
			 "Content-Length: 4\r\n\r\nabcd";
	const char *m2 = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl:0\r\n\r\n";
	n1 = strlen(m1);
	n2 = strlen(m2);
	memcpy(two, m1, n1);
	memcpy(two + n1, m2, n2);
	int bad = 0;
	for (size_t k = 0; k <= n1 + n2; k++) {
		long r = frame(two, k);
		if (r != (k < n1 ? 0 : (long)n1))
			bad++;
	}
	CHECK_MSG(bad == 0, "%d prefixes framed wrongly", bad);
	bad = 0;
	for (size_t k = 0; k <= n2; k++)
		if (frame(two + n1, k) != (k < n2 ? 0 : (long)n2))
			bad++;
	CHECK_MSG(bad == 0, "%d prefixes of the second framed wrongly", bad);

	/* keep-alive CRLFs: skipped first, or counted in when not skipped */
	memcpy(two, "\r\n\r\n", 4);
	memcpy(two + 4, m2, n2);
	size_t len;
	const char *g = prep(two, n2 + 4, true, &len);
	skip = sip_frame_skip_ws(g, len);
	CHECK(skip == 4);
	CHECK(sip_frame(g + skip, len - skip) == (long)n2);
	CHECK(sip_frame(g, len) == (long)(n2 + 4));
	g = prep("\r\n\r\n", 4, true, &len);
	CHECK(sip_frame_skip_ws(g, len) == 4 && sip_frame(g, len) == 0);
	g = prep("\n\rX", 3, true, &len);
	CHECK(sip_frame_skip_ws(g, len) == 2);
	CHECK(sip_frame_skip_ws(g, 0) == 0 && sip_frame(g, 0) == 0);

	/* sip_parse agrees with the framer */
	struct sip_msg m;
	g = prep(two, n2 + 4, true, &len);
	CHECK(sip_parse(g, len, STREAM, &m) == 0 && m.msg_len == n2 + 4 && m.status == 200);
}

static void test_frame_cases(void)
{
	static const struct {
		const char *msg;
		long ret; /* -2: the full length */
	} v[] = {
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nCONTENT-LENGTH  :  2\r\n\r\nab", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nL:1\r\n\r\nx", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\nl: 1\n\nx", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n  3\r\n\r\nxyz", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n \r\n\r\nxyz", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nx", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nX-Content-Length: 1\r\nContent-Length: 0\r\n\r\n", -2 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nab", 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n", 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 65536\r\n\r\n", -1 },
		{ "OPTIONS sip:a@b SIP/2.0\r\n Content-Length: 1\r\n\r\n", -1 },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		size_t n = strlen(v[i].msg);
		long want = v[i].ret == -2 ? (long)n : v[i].ret;
		long r = frame(v[i].msg, n);
		CHECK_MSG(r == want, "frame %zu: %ld, want %ld", i, r, want);
	}
	/* a header block over the limit without its end */
	size_t k = (size_t)sprintf(big, "OPTIONS sip:a@b SIP/2.0\r\n");
	while (k < 70000)
		k += (size_t)sprintf(big + k, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	CHECK(frame(big, k) == -1);
	CHECK(frame(big, 60000) == 0);
}

/* ---- robustness ---- */

static void test_prefixes(void)
{
	const char *vs[] = { vmsg("odd whitespace"), vmsg("request with body"), svcrack, kam200 };
	int bad = 0;
	for (size_t v = 0; v < ARRAY_LEN(vs); v++) {
		size_t full;
		prep(vs[v], strlen(vs[v]), false, &full);
		char copy[8192];
		memcpy(copy, tmp, full);
		for (size_t k = 0; k <= full; k++) {
			for (int st = 0; st < 2; st++) {
				struct sip_msg m;
				const char *g = t_guarded(copy, k);
				int r = sip_parse(g, k, st, &m);
				if ((r != 0 && r != -1) || !all_inside(&m, g, k))
					bad++;
				if (k > 0 && k < full && r == 0 && !(m.anomalies & A(TRUNCATED)) &&
				    !(m.anomalies & A(CONTENT_LENGTH_MISMATCH)))
					bad++; /* every proper prefix is incomplete */
			}
			const char *g = t_guarded(copy, k);
			long f = sip_frame(g, k);
			if (f < -1 || f > (long)k || (k < full && f > 0))
				bad++;
		}
	}
	CHECK_MSG(bad == 0, "%d prefix parses misbehaved", bad);
}

static void test_names(void)
{
	for (int i = SIP_M_INVITE; i < SIP_M__COUNT; i++) {
		const char *n = sip_method_name((enum sip_method)i);
		CHECK_MSG(sip_method_from((struct slice){ n, strlen(n) }) == (enum sip_method)i, "method %s", n);
	}
	CHECK(strcmp(sip_method_name(SIP_M_REGISTER), "REGISTER") == 0);
	CHECK(sip_method_from((struct slice){ "invite", 6 }) == SIP_M_OTHER);
	CHECK(sip_method_from((struct slice){ "FOOBAR", 6 }) == SIP_M_OTHER);
	CHECK(sip_method_from((struct slice){ "INVITEX", 7 }) == SIP_M_OTHER);
	CHECK(sip_method_from((struct slice){ "IN VITE", 7 }) == SIP_M_NONE);
	CHECK(sip_method_from(SLICE_NULL) == SIP_M_NONE);
	CHECK(sip_method_name((enum sip_method)99) != NULL);

	for (int i = 0; i < SIP_A__COUNT; i++) {
		const char *n = sip_anomaly_name((enum sip_anomaly)i);
		bool snake = n && *n;
		for (const char *c = n; snake && *c; c++)
			snake = (*c >= 'a' && *c <= 'z') || *c == '_';
		CHECK_MSG(snake, "anomaly %d name", i);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(n, sip_anomaly_name((enum sip_anomaly)j)) != 0);
	}
	CHECK(strcmp(sip_anomaly_name(SIP_A_BAD_START_LINE), "bad_start_line") == 0);
	CHECK(strcmp(sip_anomaly_name(SIP_A_MISSING_VIA), "missing_via") == 0);
	CHECK(strcmp(sip_anomaly_name(SIP_A_CSEQ_METHOD), "cseq_method") == 0);
	CHECK(strcmp(sip_anomaly_name(SIP_A_CONTENT_LENGTH_MISSING), "content_length_missing") == 0);
	CHECK(strcmp(sip_anomaly_name(SIP_A_CONTROL_CHAR), "control_char") == 0);
	CHECK(strcmp(sip_anomaly_name(SIP_A_TRUNCATED), "truncated") == 0);
	CHECK(sip_anomaly_name(SIP_A__COUNT) != NULL);
}

/* Every anomaly code is produced by at least one vector. */
static void test_anomaly_coverage(void)
{
	uint32_t seen = 0;
	for (size_t i = 0; i < ARRAY_LEN(avecs); i++)
		seen |= avecs[i].anom;
	seen |= A(OVERSIZE_MESSAGE) | A(OVERSIZE_HEADER) | A(TOO_MANY_HEADERS) | A(TOO_MANY_VIAS); /* test_big_anomalies */
	seen |= A(WORK_BUDGET); /* test_work_budget */
	for (int i = 0; i < SIP_A__COUNT; i++)
		CHECK_MSG(seen & (1u << i), "no vector for %s", sip_anomaly_name((enum sip_anomaly)i));
}

/* sip_parse_light: the matching fields equal sip_parse's, the rest is skipped. */
static void test_light(void)
{
	static const char resp[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bK-light;rport=5060\r\n"
		"From: \"1001\" <sip:1001@198.51.100.1>;tag=abc\r\n"
		"To: <sip:1001@198.51.100.1>;tag=srv\r\n"
		"Call-ID: light-1@198.51.100.66\r\n"
		"CSeq: 7 REGISTER\r\n"
		"WWW-Authenticate: Digest realm=\"x\", nonce=\"n\", stale=TRUE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg full, light;
	const char *g = t_guarded(resp, sizeof resp - 1);
	CHECK(sip_parse(g, sizeof resp - 1, false, &full) == 0);
	g = t_guarded(resp, sizeof resp - 1);
	CHECK(sip_parse_light(g, sizeof resp - 1, false, &light) == 0);
	CHECK(light.status == 401 && full.status == 401);
	CHECK(light.call_id.len == full.call_id.len && light.cseq == 7 && light.cseq_method == SIP_M_REGISTER);
	CHECK(light.via_branch.len == full.via_branch.len && light.via_branch.len == 13);
	CHECK(light.has_challenge && light.challenge_stale && S(light.challenge_nonce, "n"));
	CHECK(light.anomalies == 0 && full.anomalies == 0);
	CHECK(light.from.user.len == 0 && full.from.user.len == 4);
	CHECK(light.msg_len == full.msg_len);
}

/* What sip_parse_light() fills for matching equals sip_parse's, and its
 * anomalies are a subset of sip_parse's (sip.h). */
static bool light_agrees(const char *b, size_t n, bool stream)
{
	struct sip_msg full, light;
	int rf = sip_parse(b, n, stream, &full), rl = sip_parse_light(b, n, stream, &light);
	if (rf != rl || (light.anomalies & ~full.anomalies) || !all_inside(&light, b, n))
		return false;
	if (rf < 0)
		return true;
	return light.is_request == full.is_request && light.method == full.method &&
	       light.status == full.status && S(light.reason, "") == S(full.reason, "") &&
	       light.reason.p == full.reason.p && light.reason.len == full.reason.len &&
	       light.via_branch.p == full.via_branch.p && light.via_branch.len == full.via_branch.len &&
	       light.via_sent_by.p == full.via_sent_by.p && light.via_count == full.via_count &&
	       light.call_id.p == full.call_id.p && light.call_id.len == full.call_id.len &&
	       light.cseq == full.cseq && light.cseq_method == full.cseq_method &&
	       light.content_length == full.content_length && light.header_count == full.header_count &&
	       light.has_challenge == full.has_challenge && light.challenge_stale == full.challenge_stale &&
	       light.challenge_nonce.p == full.challenge_nonce.p && light.challenge_nonce.len == full.challenge_nonce.len &&
	       light.body.p == full.body.p && light.body.len == full.body.len && light.msg_len == full.msg_len;
}

static void test_light_contract(void)
{
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(avecs); i++) {
		const struct avec *v = &avecs[i];
		size_t n;
		const char *g = prep(v->msg, v->len ? v->len : strlen(v->msg), v->raw, &n);
		for (int st = 0; st < 2; st++)
			if (!light_agrees(g, n, st)) {
				bad++;
				fprintf(stderr, "light disagrees: %s (stream %d)\n", v->name, st);
			}
	}
	for (size_t i = 0; i < ARRAY_LEN(vvecs); i++) {
		const struct vvec *v = &vvecs[i];
		size_t n;
		const char *g = prep(v->msg, strlen(v->msg), v->raw, &n);
		for (int st = 0; st < 2; st++)
			if (!light_agrees(g, n, st)) {
				bad++;
				fprintf(stderr, "light disagrees: %s (stream %d)\n", v->name, st);
			}
	}
	CHECK_MSG(bad == 0, "%d vectors", bad);

	/* every prefix, at the very end of the buffer */
	const char *vs[] = { kam401, kam200, kam404, vmsg("odd whitespace"), vmsg("compact forms") };
	bad = 0;
	for (size_t v = 0; v < ARRAY_LEN(vs); v++) {
		size_t full;
		prep(vs[v], strlen(vs[v]), false, &full);
		char copy[8192];
		memcpy(copy, tmp, full);
		for (size_t k = 0; k <= full; k++)
			for (int st = 0; st < 2; st++)
				if (!light_agrees(t_guarded(copy, k), k, st))
					bad++;
	}
	CHECK_MSG(bad == 0, "%d prefixes", bad);

	/* light reads no From, To or Max-Forwards, and no control bytes */
	static const char r1[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n"
				 "CSeq: 1 OPTIONS\r\nServer: a\x01\r\n\r\n";
	static const char r2[] = "SIP/2.0 401 U\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n"
				 "CSeq: 1 REGISTER\r\n"
				 "Proxy-Authenticate: Digest realm=\"x\", nonce=\"n\", STALE = \"TRUE\"\r\n\r\n";
	struct sip_msg m;
	const char *g = t_guarded(r1, sizeof r1 - 1);
	CHECK(sip_parse_light(g, sizeof r1 - 1, false, &m) == 0 && m.anomalies == 0 && S(m.call_id, "c"));
	CHECK(sip_parse(g, sizeof r1 - 1, false, &m) == 0 &&
	      m.anomalies == (A(MISSING_FROM) | A(MISSING_TO) | A(CONTROL_CHAR)));
	/* a challenge is only read when it may say stale */
	g = t_guarded(r2, sizeof r2 - 1);
	CHECK(sip_parse_light(g, sizeof r2 - 1, false, &m) == 0 && m.has_challenge && m.challenge_stale);
}

/* The fast paths (the usual shapes of names and values, read at once) give
 * up on anything else: what is parsed must be what the general code says. */
static void test_fast_path_edges(void)
{
	static const struct {
		const char *hdr;
		const char *branch, *by, *user, *host, *tag;
		uint32_t anom;
	} v[] = {
		/* Via: long parameters, odd ones, quoted values, white space, IPv6, no port */
		{ "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;rport=5060;received=203.0.113.77;x-very-long-parameter=yes",
		  "z9hG4bKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "203.0.113.5:5060", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;BRANCH=z9hG4bK2;RPort;Received=1.2.3.4", "z9hG4bK2", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;x=\"a;branch=no\";branch=z9hG4bK3", "z9hG4bK3", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h ;branch=z9hG4bK4", "z9hG4bK4", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;branch=z9hG4bK5 ;rport", "z9hG4bK5", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP [2001:db8::5]:5061;branch=z9hG4bK6,SIP/2.0/TCP b", "z9hG4bK6", "[2001:db8::5]:5061", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;branch;branch=z9hG4bK7", "z9hG4bK7", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;branch=z9hG4bK8;branch", NULL, "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h;bra(nch=z9hG4bK9", NULL, "h", NULL, NULL, NULL, A(BAD_VIA) },
		{ "Via: SIP/2.0/UDP h;branch=\"z9hG4bKq", "z9hG4bKq", "h", NULL, NULL, NULL, A(UNBALANCED) },
		{ "Via: sip/2.0/udp h;branch=z9hG4bK10", "z9hG4bK10", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP  h;branch=z9hG4bK11", "z9hG4bK11", "h", NULL, NULL, NULL, 0 },
		{ "Via: SIP/2.0/UDP h:123456;branch=z9hG4bK12", NULL, NULL, NULL, NULL, NULL, A(BAD_VIA) },
		/* To: name-addr shapes around the fast path */
		{ "To: \"a\\\"b\" <sip:u@h>;tag=1", NULL, NULL, "u", "h", "1", 0 },
		{ "To: \"a\"  <sip:u@h>;tag=2", NULL, NULL, "u", "h", "2", 0 },
		{ "To: <sip:user;par=1@host.example.com:5060;transport=udp>;tag=3", NULL, NULL, "user", "host.example.com", "3", 0 },
		{ "To: <sip:averyveryverylonguserpartthatgoesonandon@averyveryverylonghost.example.com:5060>;tag=4",
		  NULL, NULL, "averyveryverylonguserpartthatgoesonandon", "averyveryverylonghost.example.com", "4", 0 },
		{ "To: <sip:u@[2001:db8::9]:5060>;TAG=5", NULL, NULL, "u", "2001:db8::9", "5", 0 },
		{ "To: <sip:u@[2001:db8::9>;tag=6", NULL, NULL, "u", "", "6", A(BAD_URI) },
		{ "To: <sip:u@>;tag=7", NULL, NULL, "u", "", "7", A(BAD_URI) },
		{ "To: <sips:u@h>;tag=8", NULL, NULL, "u", "h", "8", 0 },
		{ "To: <sip:u@h;x=<y>>;tag=9", NULL, NULL, "", "", NULL, A(BAD_URI) },
		{ "To: <sip:u:pw@h?x=1>;tag=10", NULL, NULL, "u", "h", "10", 0 },
		{ "To: <sip:u@h>;tag=\"11\"", NULL, NULL, "u", "h", "11", 0 },
		{ "To: <sip:u@h> ;tag=12 ;x", NULL, NULL, "u", "h", "12", 0 },
	};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char msg[1024];
		struct sip_msg m;
		bool to = v[i].hdr[0] == 'T';
		snprintf(msg, sizeof(msg), "OPTIONS sip:b@example.com SIP/2.0\n%s%s\n" FROM "%s" CID CSEQ MF "\n",
			 to ? VIA : "", v[i].hdr, to ? "" : TO);
		parse(msg, DGRAM, &m);
		CHECK_MSG(m.anomalies == v[i].anom, "fast %zu: [%s]", i, names(m.anomalies));
		if (!to) {
			CHECK_MSG(v[i].branch ? S(m.via_branch, v[i].branch) : !m.via_branch.len, "fast %zu: branch", i);
			CHECK_MSG(!v[i].by || S(m.via_sent_by, v[i].by), "fast %zu: sent-by", i);
		} else {
			CHECK_MSG(S(m.to.user, v[i].user) && S(m.to.host, v[i].host), "fast %zu: user/host", i);
			CHECK_MSG(v[i].tag ? S(m.to.tag, v[i].tag) : !m.to.tag.len, "fast %zu: tag", i);
		}
		CHECK_MSG(light_agrees(g_buf, g_len, false), "fast %zu: light", i);
	}

	/* Via parameters that end the buffer (found by fuzzing: the 8-byte
	 * name compares must not read past it): a last name of 1 to 9 bytes,
	 * after sections of every length to 64 */
	for (int len = 2; len <= 64; len++) {
		for (int last = 1; last <= 9 && last + 2 <= len; last++) {
			char b[256];
			int k = snprintf(b, sizeof b, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;");
			for (int i = 0; i < len - last - 2; i++)
				b[k++] = 'x';
			b[k++] = ';';
			for (int i = 0; i < last; i++)
				b[k++] = "rportbranc"[i];
			struct sip_msg t;
			const char *tg = t_guarded(b, (size_t)k);
			CHECK_MSG(sip_parse(tg, (size_t)k, false, &t) == 0 && all_inside(&t, tg, (size_t)k) &&
				  sip_parse_light(tg, (size_t)k, false, &t) == 0, "via tail %d %d", len, last);
		}
	}

	/* Digest parameter names in any case and spacing; a name ending the buffer */
	struct sip_msg m;
	parse(RL HDRS "Authorization: Digest USERNAME=\"u1\",REALM=\"r1\", Uri=\"sip:x\" ,NC=1,Algorithm=MD5,CNonce=\"c\"\n\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && S(m.auth_username, "u1") && S(m.auth_realm, "r1"));
	parse(RL HDRS "Authorization: Digest usernamex=\"no\", realmy=\"no\", username=\"u2\"\n\n", DGRAM, &m);
	CHECK(m.anomalies == 0 && S(m.auth_username, "u2") && !m.auth_realm.p);
	/* creds: from the first credentials value to the end of the last, so a
	 * second field (another realm, a second response) is inside it */
	parse(RL HDRS "Authorization: Digest username=\"a\"\nX-Y: z\nProxy-Authorization: Digest response=\"b\"\n\n",
	      DGRAM, &m);
	CHECK(S(m.creds, "Digest username=\"a\"\r\nX-Y: z\r\nProxy-Authorization: Digest response=\"b\"") &&
	      S(m.auth_username, "a"));
	parse(RL HDRS "l: 0\n\n", DGRAM, &m);
	CHECK(!m.creds.p && !m.creds.len);
	size_t n;
	const char *g = prep(RL HDRS "l: 0\n\n", strlen(RL HDRS "l: 0\n\n"), false, &n);
	CHECK(sip_parse(g, n, STREAM, &m) == 0 && m.anomalies == 0 && m.content_length == 0);
	CHECK(sip_parse_light(g, n, STREAM, &m) == 0 && m.content_length == 0);
	g = prep(RL HDRS "Content-Length:0\n\n", strlen(RL HDRS "Content-Length:0\n\n"), false, &n);
	CHECK(sip_parse(g, n, STREAM, &m) == 0 && m.anomalies == 0 && m.content_length == 0);
	/* the usual names, and the same with a control byte inside */
	parse(RL VIA FROM TO CID CSEQ "Max-Forwards: 70\nCall\rID: x\n\n", DGRAM, &m); /* a lone CR is no control */
	CHECK(m.anomalies == A(BAD_HEADER) && S(m.call_id, "c1@203.0.113.5"));
	parse(RL VIA FROM TO CID CSEQ "Max\x1d" "Forwards: 70\n\n", DGRAM, &m);
	CHECK(m.anomalies & A(MISSING_MAX_FORWARDS));
}

int main(void)
{
	test_light();
	test_light_contract();
	test_fast_path_edges();
	test_anomaly_vectors();
	test_big_anomalies();
	test_work_budget();
	test_valid_vectors();
	test_request_fields();
	test_compact_forms();
	test_folding();
	test_repeated_headers();
	test_via();
	test_nameaddr();
	test_auth();
	test_challenge();
	test_realistic();
	test_frame_split();
	test_frame_cases();
	test_prefixes();
	test_names();
	test_anomaly_coverage();
	return T_DONE();
}
