/* worst_msg: the cost of the worst messages an attacker can send to the
 * parsers, next to normal ones.
 *
 *   build/bench/worst_msg [--ms N]
 *
 * Builds normal and worst-case DNS, SIP and TFTP messages in memory (the
 * worst cases are those of the unit tests: 64 KiB of compression-pointer
 * chains, of one-byte labels, of empty records, of EDNS options; 64 KiB of
 * tiny header lines, of Via parameters or values, of credentials'
 * parameters; a TFTP request padded with options), parses each over and
 * over for about N ms (100) of one core, best of 5 rounds, and prints
 * nanoseconds per message, the ratio to the normal message of the same
 * protocol and the anomalies raised.  Informational: speed is never checked
 * by the test suite. */
#include "dns.h"
#include "sip.h"
#include "tftp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXMSG 65535

enum proto { P_DNS, P_SIP, P_SIP_LIGHT, P_TFTP };

struct msg {
	const char *name;
	enum proto proto;
	bool normal;            /* the reference of its protocol */
	uint8_t *b;
	size_t n;
};

/* ---- building ---- */

struct wb {
	uint8_t *b;
	size_t n;
};

static void put(struct wb *w, const void *p, size_t n)
{
	if (w->n + n <= MAXMSG) {
		memcpy(w->b + w->n, p, n);
		w->n += n;
	}
}

static void put16(struct wb *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(w, b, 2);
}

static void dns_header(struct wb *w, unsigned flags, unsigned qd, unsigned an, unsigned ar)
{
	w->n = 0;
	put16(w, 0x1234);
	put16(w, flags);
	put16(w, qd);
	put16(w, an);
	put16(w, 0);
	put16(w, ar);
}

#define TTL "\x00\x00\x0e\x10"
#define RR_A "\x00\x01\x00\x01" TTL "\x00\x04\xc6\x33\x64\x07"

static void dns_query(struct wb *w)
{
	dns_header(w, 0x0120, 1, 0, 1);
	put(w, "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01", 21);
	put(w, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
}

static void dns_answer(struct wb *w)
{
	dns_header(w, 0x8180, 1, 4, 1);
	put(w, "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01", 21);
	put(w, "\xc0\x0c\x00\x05\x00\x01" TTL "\x00\x07\x04host\xc0\x10", 19);
	for (int i = 0; i < 3; i++) {
		put(w, "\xc0\x2d", 2);
		put(w, RR_A, 14);
	}
	put(w, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
}

/* Records that each end in the longest allowed chain of pointers (128
 * jumps): 127 backward pointers in the first answer's RDATA. */
static void dns_chains(struct wb *w)
{
	dns_header(w, 0x8180, 1, 0xffff, 0);
	put(w, "\x00\x00\x01\x00\x01", 5);
	put(w, "\x00\x00\x63\x00\x01" TTL, 9);
	put16(w, 2 * 127);
	put16(w, 0xc000 | 12);
	for (unsigned i = 1; i < 127; i++)
		put16(w, 0xc000 | (28 + 2 * (i - 1)));
	while (w->n + 12 <= MAXMSG) {
		put16(w, 0xc000 | (28 + 2 * 126));
		put(w, "\x00\x63\x00\x01" TTL "\x00\x00", 10);
	}
}

static void dns_labels(struct wb *w)
{
	dns_header(w, 0x0100, 1, 0, 0);
	while (w->n + 2 < MAXMSG - 5)
		put(w, "\x01x", 2);
	put(w, "\x00\x00\x01\x00\x01", 5);
}

static void dns_records(struct wb *w)
{
	dns_header(w, 0x8180, 1, 0xffff, 0);
	put(w, "\x01" "b\x00\x00\x01\x00\x01", 7);
	while (w->n + 11 <= MAXMSG)
		put(w, "\x00\x00\x01\x00\x01" TTL "\x00\x00", 11);
}

static void dns_options(struct wb *w)
{
	dns_header(w, 0x0100, 1, 0, 1);
	put(w, "\x01" "c\x00\x00\x01\x00\x01", 7);
	put(w, "\x00\x00\x29\x10\x00" TTL, 9);
	size_t n = (MAXMSG - w->n - 2) / 4;
	put16(w, (unsigned)(4 * n));
	for (size_t i = 0; i < n; i++)
		put(w, "\x00\x0a\x00\x00", 4);
}

#define SIP_HDRS "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776asdhds;rport\r\n" \
	"From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n" \
	"To: <sip:100@example.com>\r\nCall-ID: a84b4c76e66710@203.0.113.5\r\nCSeq: 2 INVITE\r\n" \
	"Max-Forwards: 70\r\n"

static void sip_invite(struct wb *w)
{
	static const char m[] = "INVITE sip:100@example.com SIP/2.0\r\n" SIP_HDRS
		"Contact: <sip:alice@203.0.113.5:5060;transport=udp>\r\n"
		"Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"5f2b1c\", "
		"uri=\"sip:100@example.com\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5\r\n"
		"User-Agent: Yealink SIP-T46S 66.86.0.15\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
		"Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n";
	w->n = 0;
	put(w, m, sizeof m - 1);
}

static void sip_ok(struct wb *w)
{
	static const char m[] = "SIP/2.0 200 OK\r\n" SIP_HDRS "Contact: <sip:100@198.51.100.1:5060>\r\n"
		"Server: Kamailio\r\nContent-Length: 0\r\n\r\n";
	w->n = 0;
	put(w, m, sizeof m - 1);
}

/* A request whose field `head` is followed by `rep` until 64 KiB. */
static void sip_fill(struct wb *w, const char *head, const char *rep)
{
	static const char rl[] = "OPTIONS sip:100@example.com SIP/2.0\r\n";
	w->n = 0;
	put(w, rl, sizeof rl - 1);
	put(w, head, strlen(head));
	size_t r = strlen(rep);
	while (w->n + r + 4 <= MAXMSG)
		put(w, rep, r);
	put(w, "\r\n\r\n", 4);
}

static void tftp_rrq(struct wb *w)
{
	static const char m[] = "\x00\x01SEP001122334455.cnf.xml\x00octet\x00tsize\x00" "0\x00"
		"blksize\x00" "1432\x00";
	w->n = 0;
	put(w, m, sizeof m - 1);
}

static void tftp_options(struct wb *w)
{
	tftp_rrq(w);
	while (w->n + 4 <= 65507)
		put(w, "x\x00" "1\x00", 4);
}

/* ---- measuring ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t parse_once(const struct msg *m)
{
	static struct dns_msg d;
	static struct sip_msg s;
	static struct tftp_msg t;
	switch (m->proto) {
	case P_DNS: dns_parse(m->b, m->n, &d); return d.anomalies;
	case P_SIP: sip_parse((const char *)m->b, m->n, false, &s); return s.anomalies;
	case P_SIP_LIGHT: sip_parse_light((const char *)m->b, m->n, false, &s); return s.anomalies;
	case P_TFTP: tftp_parse(m->b, m->n, &t); return t.anomalies;
	}
	return 0;
}

/* Best nanoseconds per parse over 5 rounds of about ms milliseconds. */
static double measure(const struct msg *m, unsigned ms)
{
	uint64_t iters = 1;
	for (;;) { /* calibrate: a round of about ms */
		uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++)
			parse_once(m);
		if (now_ns() - t0 >= (uint64_t)ms * 1000000u / 4)
			break;
		iters *= 2;
	}
	iters *= 4;
	double best = 1e300;
	for (int r = 0; r < 5; r++) {
		uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++)
			parse_once(m);
		double ns = (double)(now_ns() - t0) / (double)iters;
		if (ns < best)
			best = ns;
	}
	return best;
}

static void anomaly_names(const struct msg *m, uint32_t a, char *out, size_t n)
{
	out[0] = '\0';
	int count = m->proto == P_DNS ? DNS_A__COUNT : m->proto == P_TFTP ? TFTP_A__COUNT : SIP_A__COUNT;
	for (int i = 0; i < count; i++) {
		if (!(a & 1u << i))
			continue;
		const char *name = m->proto == P_DNS ? dns_anomaly_name((enum dns_anomaly)i)
		                 : m->proto == P_TFTP ? tftp_anomaly_name((enum tftp_anomaly)i)
		                 : sip_anomaly_name((enum sip_anomaly)i);
		size_t k = strlen(out);
		snprintf(out + k, n - k, "%s%s", k ? "," : "", name);
	}
	if (!out[0])
		snprintf(out, n, "-");
}

int main(int argc, char **argv)
{
	unsigned ms = 100;
	if (argc == 3 && !strcmp(argv[1], "--ms") && atoi(argv[2]) > 0)
		ms = (unsigned)atoi(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: worst_msg [--ms N]\n");
		return 2;
	}
	struct {
		const char *name;
		enum proto proto;
		bool normal;
		void (*build)(struct wb *);
		const char *head, *rep;
	} cases[] = {
		{ "dns query (www.example.com A, EDNS)", P_DNS, true, dns_query, NULL, NULL },
		{ "dns answer (CNAME + 3 A, EDNS)", P_DNS, false, dns_answer, NULL, NULL },
		{ "dns 64K: records ending in 128-jump pointer chains", P_DNS, false, dns_chains, NULL, NULL },
		{ "dns 64K: one name of one-byte labels", P_DNS, false, dns_labels, NULL, NULL },
		{ "dns 64K: empty answer records", P_DNS, false, dns_records, NULL, NULL },
		{ "dns 64K: EDNS options", P_DNS, false, dns_options, NULL, NULL },
		{ "sip INVITE with credentials", P_SIP, true, sip_invite, NULL, NULL },
		{ "sip 200 OK (light parse)", P_SIP_LIGHT, false, sip_ok, NULL, NULL },
		{ "sip 64K: tiny header lines", P_SIP, false, NULL, SIP_HDRS "a:1", "\r\na:1" },
		{ "sip 64K: Via parameters", P_SIP, false, NULL, "Call-ID: x\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1", ";a" },
		{ "sip 64K: Via values", P_SIP, false, NULL, "Call-ID: x\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1", ",SIP/2.0/UDP h" },
		{ "sip 64K: From parameters", P_SIP, false, NULL, "Call-ID: x\r\nFrom: <sip:a@b>;tag=1", ";a" },
		{ "sip 64K: credentials parameters", P_SIP, false, NULL, SIP_HDRS "Authorization: Digest username=\"a\"", ",a=b" },
		{ "sip 64K: tiny header lines (light parse)", P_SIP_LIGHT, false, NULL, "Call-ID: x\r\na:1", "\r\na:1" },
		{ "tftp RRQ (tsize, blksize)", P_TFTP, true, tftp_rrq, NULL, NULL },
		{ "tftp 64K: RRQ padded with options", P_TFTP, false, tftp_options, NULL, NULL },
	};
	double ref[4] = { 0, 0, 0, 0 };
	printf("%-50s %7s %12s %9s  %s\n", "message", "bytes", "ns/message", "x normal", "anomalies");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wb w = { malloc(MAXMSG), 0 };
		if (!w.b)
			return 1;
		if (cases[i].build)
			cases[i].build(&w);
		else
			sip_fill(&w, cases[i].head, cases[i].rep);
		struct msg m = { cases[i].name, cases[i].proto, cases[i].normal, w.b, w.n };
		char an[256];
		anomaly_names(&m, parse_once(&m), an, sizeof an);
		double ns = measure(&m, ms);
		enum proto family = m.proto == P_SIP_LIGHT ? P_SIP : m.proto;
		if (m.normal)
			ref[family] = ns;
		printf("%-50s %7zu %12.1f %9.1f  %s\n", m.name, m.n, ns, ref[family] ? ns / ref[family] : 0.0, an);
		free(w.b);
	}
	return 0;
}
