/* The RFC 4475 torture messages (tests/rfc4475/, section 3 of the RFC)
 * through sip_parse() and sip_parse_light().
 *
 * Valid messages (3.1.1, and those of 3.2 and 3.3 whose trouble is for a
 * transaction or an application to see, not a parser) must have no anomaly
 * at all: an anomaly counts towards a block.  Each invalid message must have
 * the anomalies named for it, or say below why the parser accepts it. */
#include "sip.h"
#include "t.h"

#include <stdlib.h>

#define A(x) (1u << SIP_A_##x)

struct tcase {
	const char *name;
	uint32_t want;      /* anomalies it must have; 0: none at all */
	const char *why_ok; /* an invalid message accepted: why */
};

static const struct tcase cases[] = {
	/* 3.1.1 valid messages */
	{ "wsinv", 0, NULL },
	{ "intmeth", 0, NULL },   /* NUL, BEL and DEL as quoted-pairs in a display name */
	{ "esc01", 0, NULL },
	{ "escnull", 0, NULL },
	{ "esc02", 0, NULL },
	{ "lwsdisp", 0, NULL },
	{ "longreq", 0, NULL },   /* 34 Via fields */
	{ "dblreq", 0, NULL },    /* a second request after the first in the datagram */
	{ "semiuri", 0, NULL },
	{ "transports", 0, NULL },
	{ "mpart01", 0, NULL },   /* binary body: NUL, bare CR and LF */
	{ "unreason", 0, NULL },
	{ "noreason", 0, NULL },
	/* 3.1.2 invalid messages */
	{ "badinv01", A(BAD_VIA), NULL },
	{ "clerr", A(CONTENT_LENGTH_MISMATCH), NULL },
	{ "scalar02", A(BAD_NUMBER), NULL },
	{ "scalarlg", A(BAD_NUMBER), NULL },
	{ "quotbal", A(UNBALANCED), NULL },
	{ "ltgtruri", A(BAD_URI), NULL },
	{ "lwsruri", A(BAD_URI), NULL },
	{ "lwsstart", A(BAD_START_LINE), NULL },
	{ "trws", A(BAD_START_LINE), NULL },
	{ "escruri", A(BAD_URI), NULL },
	{ "baddate", 0, "the Date field is not read: nothing sipwarden decides depends on it, "
			"and a time zone name harms no one" },
	{ "regbadct", A(BAD_URI), NULL },
	{ "badaspec", A(BAD_URI), NULL },
	{ "baddn", A(BAD_URI), NULL }, /* the comma ends the value before its <uri> */
	{ "badvers", A(BAD_VERSION), NULL },
	{ "mismatch01", A(CSEQ_METHOD), NULL },
	{ "mismatch02", A(CSEQ_METHOD), NULL },
	{ "bigcode", A(BAD_NUMBER), NULL },
	{ "ncl", A(BAD_NUMBER), NULL },
	/* 3.2 transaction layer: a branch of the magic cookie alone is the
	 * transaction layer's business, the message parses */
	{ "badbranch", 0, NULL },
	/* 3.3 application layer */
	{ "insuf", A(MISSING_FROM) | A(MISSING_TO) | A(MISSING_CALL_ID) | A(MISSING_MAX_FORWARDS), NULL },
	{ "unkscm", 0, NULL },
	{ "novelsc", 0, NULL },
	{ "unksm2", 0, NULL },
	{ "bext01", 0, NULL },
	{ "invut", 0, NULL },
	{ "regaut01", 0, NULL },
	{ "multi01", A(DUPLICATE_HEADER), NULL },
	{ "mcl01", A(DUPLICATE_HEADER), NULL },
	{ "bcast", 0, NULL },
	{ "zeromf", 0, NULL },
	{ "cparam01", 0, NULL },
	{ "cparam02", 0, NULL },
	{ "regescrt", 0, NULL },
	{ "sdp01", 0, NULL },
	/* 3.4 an RFC 2543 request: no Max-Forwards, which RFC 3261 makes
	 * mandatory; it stays an anomaly (as for any request without one) */
	{ "inv2543", A(MISSING_MAX_FORWARDS), NULL },
};

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "tests/rfc4475/%s.dat", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the source tree)\n", path);
		exit(2);
	}
	static char buf[8192];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

static void names(uint32_t bits, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int a = 0; a < SIP_A__COUNT && o < n; a++)
		if (bits & (1u << a))
			o += (size_t)snprintf(out + o, n - o, " %s", sip_anomaly_name((enum sip_anomaly)a));
}

/* The light parser reads a subset and finds a subset of the anomalies, and
 * agrees on what it reads. */
static void check_light(const struct tcase *c, const char *p, size_t len, const struct sip_msg *full)
{
	struct sip_msg l;
	int rc = sip_parse_light(t_guarded(p, len), len, false, &l);
	CHECK_MSG(rc == 0, "%s: light rc %d", c->name, rc);
	CHECK_MSG((l.anomalies & ~full->anomalies) == 0, "%s: light anomalies %#x, full %#x", c->name,
		  l.anomalies, full->anomalies);
	CHECK_MSG(l.msg_len == full->msg_len && l.status == full->status && l.via_count == full->via_count &&
		  l.cseq == full->cseq && l.call_id.len == full->call_id.len,
		  "%s: light and full parsers disagree", c->name);
}

static void run_case(const struct tcase *c)
{
	size_t len;
	const char *p = slurp(c->name, &len);
	struct sip_msg m;
	int rc = sip_parse(t_guarded(p, len), len, false, &m);
	char got[512];
	names(m.anomalies, got, sizeof got);
	CHECK_MSG(rc == 0, "%s: not parsed as SIP (%s)", c->name, got);
	if (c->want || c->why_ok)
		CHECK_MSG((m.anomalies & c->want) == c->want, "%s: wants %#x, has%s", c->name, c->want, got);
	else
		CHECK_MSG(m.anomalies == 0, "%s: a valid message with anomalies:%s", c->name, got);
	if (c->why_ok)
		CHECK_MSG(m.anomalies == 0, "%s: accepted above (%s) but has%s", c->name, c->why_ok, got);
	check_light(c, p, len, &m);
	if (!c->want && !c->why_ok) { /* over TCP too, framed by its Content-Length */
		struct sip_msg t;
		sip_parse(t_guarded(p, len), len, true, &t);
		names(t.anomalies, got, sizeof got);
		CHECK_MSG(t.anomalies == 0, "%s: on a stream, anomalies:%s", c->name, got);
		CHECK_MSG(sip_frame(p, len) == (long)t.msg_len, "%s: framed as %ld, parsed as %zu", c->name,
			  sip_frame(p, len), t.msg_len);
	}
	if (getenv("RFC4475_VERBOSE"))
		printf("%-10s %4zu bytes, msg_len %4zu, work %3u:%s\n", c->name, len, m.msg_len, m.work, got);
}

/* What the messages carry is read, not only passed: a few fields. */
static void check_fields(void)
{
	size_t len;
	struct sip_msg m;
	const char *p = slurp("longreq", &len);
	sip_parse(p, len, false, &m);
	CHECK(m.via_count == 34 && m.max_forwards == 70 && m.content_length == 150 && m.body.len == 150);
	CHECK(m.via_sent_by.len == 17 && !memcmp(m.via_sent_by.p, "sip33.example.com", 17));
	p = slurp("intmeth", &len);
	sip_parse(p, len, false, &m);
	CHECK(m.method == SIP_M_OTHER && m.cseq == 139122385 && m.max_forwards == 255);
	CHECK(m.to.display.len == 20 && m.to.display.p[5] == '\x07' && m.to.display.p[12] == '\0');
	p = slurp("dblreq", &len);
	sip_parse(p, len, true, &m);
	CHECK(m.method == SIP_M_REGISTER && m.body.len == 0 && m.msg_len < len &&
	      !memcmp(p + m.msg_len, "INVITE ", 7));
	p = slurp("wsinv", &len);
	sip_parse(p, len, true, &m);
	CHECK(m.anomalies == 0 && m.cseq == 9 && m.max_forwards == 68 && m.via_count == 3);
	p = slurp("clerr", &len);
	sip_parse(p, len, true, &m); /* on a stream it waits for the rest */
	CHECK(m.anomalies & A(TRUNCATED));
	p = slurp("unreason", &len);
	sip_parse(p, len, false, &m);
	CHECK(m.status == 200 && m.reason.len > 20);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		run_case(&cases[i]);
	CHECK(ARRAY_LEN(cases) == 49);
	check_fields();
	return T_DONE();
}
