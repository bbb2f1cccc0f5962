/* gen_pcap: writes a deterministic pcap of synthetic SIP-over-UDP traffic (and
 * TFTP and DNS, --mode services) for the replay benchmark (see
 * bench/README.md).
 *
 *   gen_pcap [--mode mixed|spoofed|scanners|services] [--messages N] [--seed S]
 *            [--phones P] [--guessers G] [--duration SECONDS]
 *            [--interval US] OUT.pcap
 *
 * mixed:   phones register (401 challenge, then with credentials), send
 *          OPTIONS keep-alives and re-REGISTER; guessers try passwords for
 *          extensions 100-999 and get 403 (or 401) back.  Every request and
 *          every response is one packet; the file has exactly N packets.
 * spoofed: N lone OPTIONS/REGISTER requests, each from a different IPv6
 *          source address (each in its own /64), no responses.
 * scanners: N lone OPTIONS from N distinct addresses with User-Agent
 *          friendly-scanner (sipvicious svmap), one every --interval µs:
 *          every sender is blocked on its first packet (bench/live.sh).
 * services: mixed SIP traffic for 80% of the packets (what --mode mixed
 *          writes for 0.8 N messages, with N/20 phones and N/2000
 *          guessers), plus 10% TFTP (booting phones fetch their
 *          configuration files; sweepers request MAC-named files and get
 *          ERROR 1) and 10% DNS (phones resolve the registrar; ANY floods
 *          and version.bind probes) to and from the same server.
 *
 * Output: classic pcap, LINKTYPE_ETHERNET, microsecond timestamps, written
 * to OUT.pcap.tmp and renamed.  Needs nothing but libc. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#define EPOCH_S     1705312800u  /* 2024-01-15 10:00:00 UTC: packet time zero */
#define SIP_PORT    5060
#define REALM       "pbx.example.com"
#define MAX_SIP     2048         /* generated messages are far smaller */
#define OUTBUF      (8u << 20)
#define NAT_PHONES  100          /* phones behind one NATed office address */
#define NELEM(a)    (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- helpers */

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "gen_pcap: ");
	fprintf(stderr, fmt, arg ? arg : "");
	fputc('\n', stderr);
	exit(1);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A hash of (seed, actor, purpose, index): every random-looking field is one
 * of these, so a response can recompute its request's branch, tag, Call-ID. */
static uint64_t hx(uint64_t key, uint32_t purpose, uint64_t idx)
{
	return mix64(key ^ mix64(((uint64_t)purpose << 40) ^ idx));
}

/* Uniform double in [0, 1) from a hash. */
static double unit(uint64_t h)
{
	return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

enum { H_BRANCH = 1, H_FTAG, H_TTAG, H_CALLID, H_NONCE, H_RESP, H_CNONCE,
       H_RTT, H_THINK, H_JITTER, H_IID, H_MISC, H_SVC };

/* A SIP message being written into the output buffer. */
struct sb {
	char *p;
	size_t n;
};

/* Appends printf-formatted text to b. */
__attribute__((format(printf, 2, 3)))
static void add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->n, MAX_SIP - b->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= MAX_SIP - b->n)
		die("internal error: message over %s bytes", "MAX_SIP");
	b->n += (size_t)n;
}

/* 40 hex digits (a nonce) from hashes; out has room for 41 bytes. */
static void hex40(char *out, uint64_t key, uint64_t idx)
{
	snprintf(out, 41, "%016" PRIx64 "%016" PRIx64 "%08" PRIx64,
	         hx(key, H_NONCE, idx), hx(key, H_NONCE, idx ^ (1ull << 62)),
	         hx(key, H_NONCE, idx ^ (1ull << 61)) & 0xffffffffu);
}

/* ----------------------------------------------------------------- actors */

enum actor_kind { A_PHONE, A_GUESSER, A_SPOOF };

struct actor {
	uint8_t ip[16];      /* v4 in ip[12..15] */
	bool v6;
	bool nat;            /* IPv4 phone behind a NAT: LAN address in Via */
	bool answers_401;    /* guesser whose failures come back as 401 */
	uint8_t ua;
	uint16_t sport;      /* source port on the wire */
	uint16_t lport;      /* port the UA writes in Via/Contact */
	uint32_t user;       /* phone extension; guesser's first username */
	uint32_t count;      /* keep-alives (phone) or attempts (guesser) */
	double start;        /* phone: registers at start * half the capture */
	uint64_t key;        /* hash key of this actor */
	char addr[40];       /* public source address, text, no brackets */
	char host[48];       /* host the UA writes in Via/Contact ([v6]) */
};

static const char *const phone_ua[] = {
	"Yealink SIP-T46S 66.85.0.5",
	"Grandstream GXP2170 1.0.11.23",
	"PolycomVVX-VVX_411-UA/6.3.1",
	"Linphone/5.0",
};
static const char *const guesser_ua[] = {
	"friendly-scanner", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "pplsip",
	"Linphone/5.0",  /* some copy a phone's User-Agent */
};

static void set_text(struct actor *a, const uint8_t *lan_v4)
{
	if (a->v6) {
		inet_ntop(AF_INET6, a->ip, a->addr, sizeof a->addr);
		snprintf(a->host, sizeof a->host, "[%s]", a->addr);
	} else {
		inet_ntop(AF_INET, a->ip + 12, a->addr, sizeof a->addr);
		if (lan_v4)
			inet_ntop(AF_INET, lan_v4, a->host, sizeof a->host);
		else
			memcpy(a->host, a->addr, sizeof a->addr);
	}
}

static void set_v4(struct actor *a, unsigned a0, unsigned a1, unsigned a2, unsigned a3)
{
	memset(a->ip, 0, 16);
	a->ip[12] = (uint8_t)a0; a->ip[13] = (uint8_t)a1;
	a->ip[14] = (uint8_t)a2; a->ip[15] = (uint8_t)a3;
	a->v6 = false;
}

/* IPv6 2001:db8:<p3>:<p4>:<64-bit interface id>. */
static void set_v6(struct actor *a, uint16_t p3, uint16_t p4, uint64_t iid)
{
	static const uint8_t pre[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	memcpy(a->ip, pre, 4);
	a->ip[4] = (uint8_t)(p3 >> 8); a->ip[5] = (uint8_t)p3;
	a->ip[6] = (uint8_t)(p4 >> 8); a->ip[7] = (uint8_t)p4;
	for (int i = 0; i < 8; i++)
		a->ip[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
	a->v6 = true;
}

/* Phones: the first half IPv6, each in its own /64 of 2001:db8:1::/48
 * (2001:db8:2::/48 and up past 65,536 of them); the rest IPv4 behind NATed
 * offices in 198.51.100.2-254, NAT_PHONES (or more when needed) per public
 * address, each with its own public source port and a 192.168.x.y LAN
 * address in Via/Contact. */
static void init_phone(struct actor *a, uint32_t i, uint32_t nphones, uint64_t seed)
{
	uint32_t n6 = nphones - nphones / 2;
	a->key = mix64(seed ^ (0x100000000ull + i));
	a->user = 10000 + i;
	a->ua = (uint8_t)(hx(a->key, H_MISC, 1) % 4);
	a->lport = SIP_PORT;
	if (i < n6) {
		set_v6(a, (uint16_t)(1 + (i >> 16)), (uint16_t)i, hx(a->key, H_IID, 0) | 1);
		a->start = unit(hx(a->key, H_MISC, 10));
		a->sport = SIP_PORT;
		set_text(a, NULL);
		return;
	}
	uint32_t k = i - n6, n4 = nphones / 2;
	uint32_t per = n4 / 253 + 1 > NAT_PHONES ? n4 / 253 + 1 : NAT_PHONES;
	uint32_t office = k / per, slot = k % per;
	uint8_t lan[4] = { 192, 168, (uint8_t)(1 + slot / 200), (uint8_t)(10 + slot % 200) };
	/* An office's phones register one after another, not in bursts. */
	a->start = (slot + unit(hx(a->key, H_MISC, 10))) / per;
	set_v4(a, 198, 51, 100, 2 + office);
	a->nat = true;
	a->sport = (uint16_t)(1024 + (slot * 7919u + office * 131u) % 64000u);
	set_text(a, lan);
}

/* Guessers: half (at most 254) in 203.0.113.0/24, the rest each in its own
 * /64 of 2001:db8:666::/48.  A quarter get 401 answers instead of 403. */
static void init_guesser(struct actor *a, uint32_t g, uint32_t nguess, uint64_t seed)
{
	uint32_t n4 = nguess / 2 < 254 ? nguess / 2 : 254;
	a->key = mix64(seed ^ (0x200000000ull + g));
	a->user = 100 + (uint32_t)(hx(a->key, H_MISC, 1) % 900);
	a->ua = (uint8_t)(hx(a->key, H_MISC, 2) % NELEM(guesser_ua));
	a->sport = a->lport = (uint16_t)(5060 + hx(a->key, H_MISC, 3) % 20);
	a->answers_401 = g % 4 == 3;
	if (g < n4)
		set_v4(a, 203, 0, 113, 1 + g);
	else
		set_v6(a, 0x666, (uint16_t)(g - n4), hx(a->key, H_IID, 0) | 1);
	set_text(a, NULL);
}

/* ----------------------------------------------------------- SIP messages */

/* One transaction: everything a request and its response share. */
struct txn {
	const struct actor *a;
	enum actor_kind kind;
	bool options;        /* OPTIONS, else REGISTER */
	uint32_t cseq;
	uint32_t user;       /* From/To user */
	uint64_t idx;        /* transaction number within the actor */
	uint64_t branch, ftag, ttag;
	const char *domain;  /* in From/To and the Request-URI */
	char callid[96];
};

/* Call-ID in the style of each User-Agent (sipvicious: a number). */
static void make_callid(struct txn *t, uint64_t c)
{
	const char *host = t->a->host;
	uint64_t c2 = mix64(c);
	size_t n = sizeof t->callid;
	if (t->kind != A_PHONE)
		snprintf(t->callid, n, "%" PRIu64, (uint64_t)(c % 10000000000u));
	else if (t->a->ua == 0)
		snprintf(t->callid, n, "0_%" PRIu64 "@%s", c & 0xffffffffu, host);
	else if (t->a->ua == 1)
		snprintf(t->callid, n, "%016" PRIx64 "%016" PRIx64 "@%s", c, c2, host);
	else if (t->a->ua == 2)
		snprintf(t->callid, n, "%08" PRIx64 "-%08" PRIx64 "-%08" PRIx64,
		         c >> 32, c & 0xffffffffu, c2 & 0xffffffffu);
	else
		snprintf(t->callid, n, "%012" PRIx64 "-%012" PRIx64, c >> 16, c2 >> 16);
}

static void txn_init(struct txn *t, const struct actor *a, enum actor_kind kind,
                     bool options, uint64_t idx)
{
	uint64_t salt = (options ? 1ull << 40 : 0) | idx;
	/* A phone keeps one Call-ID and From tag for all its registrations. */
	uint64_t dialog = kind == A_PHONE && !options ? 0 : salt;
	t->a = a;
	t->kind = kind;
	t->options = options;
	t->cseq = 1;
	t->user = a->user;
	t->idx = idx;
	t->branch = hx(a->key, H_BRANCH, salt);
	t->ftag = hx(a->key, H_FTAG, dialog);
	t->ttag = hx(a->key, H_TTAG, salt);
	t->domain = kind == A_PHONE ? REALM : a->v6 ? "[2001:db8::1]" : "198.51.100.1";
	make_callid(t, hx(a->key, H_CALLID, dialog));
}

/* Via, From, To, Call-ID and CSeq: what a response copies from its request
 * (adding rport/received to the Via and a tag to the To). */
static void hdr_common(struct sb *b, const struct txn *t, bool resp)
{
	const struct actor *a = t->a;
	add(b, "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%016" PRIx64 ";rport",
	    a->host, a->lport, t->branch);
	if (resp)
		add(b, "=%u%s%s", a->sport, a->nat ? ";received=" : "", a->nat ? a->addr : "");
	add(b, "\r\nFrom: \"%u\" <sip:%u@%s>;tag=%0*" PRIx64 "\r\nTo: ",
	    t->user, t->user, t->domain, t->kind == A_PHONE ? 10 : 8,
	    (uint64_t)(t->ftag & (t->kind == A_PHONE ? 0xffffffffffu : 0xffffffffu)));
	if (t->options && t->kind == A_PHONE)
		add(b, "<sip:%s>", t->domain);
	else
		add(b, "\"%u\" <sip:%u@%s>", t->user, t->user, t->domain);
	if (resp)
		add(b, ";tag=%016" PRIx64, t->ttag);
	add(b, "\r\nCall-ID: %s\r\nCSeq: %u %s\r\n", t->callid, t->cseq,
	    t->options ? "OPTIONS" : "REGISTER");
}

static void hdr_contact(struct sb *b, const struct txn *t)
{
	add(b, "Contact: <sip:%u@%s:%u;transport=udp>", t->user, t->a->host, t->a->lport);
}

/* Digest credentials: with nc, qop=auth as phones send them; without, the
 * bare RFC 2069 form sipvicious sends. */
static void hdr_auth(struct sb *b, const struct txn *t, uint64_t nonce_idx, uint32_t nc)
{
	const struct actor *a = t->a;
	char nonce[41];
	hex40(nonce, a->key, nonce_idx);
	add(b, "Authorization: Digest username=\"%u\", realm=\"" REALM "\", nonce=\"%s\", "
	    "uri=\"sip:%s\", response=\"%016" PRIx64 "%016" PRIx64 "\", algorithm=MD5",
	    t->user, nonce, t->domain, hx(a->key, H_RESP, t->idx),
	    hx(a->key, H_RESP, t->idx ^ (1ull << 63)));
	if (nc)
		add(b, ", cnonce=\"%016" PRIx64 "\", qop=auth, nc=%08x",
		    hx(a->key, H_CNONCE, t->idx), nc);
	add(b, "\r\n");
}

/* A phone's REGISTER; reg 0 has no credentials, reg >= 1 answers the
 * challenge of reg 0 (same nonce, nonce count reg). */
static void phone_register(struct sb *b, const struct txn *t, uint32_t reg)
{
	add(b, "REGISTER sip:" REALM " SIP/2.0\r\n");
	hdr_common(b, t, false);
	hdr_contact(b, t);
	if (t->a->ua >= 2)   /* Polycom and Linphone send an instance id */
		add(b, ";reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-%012" PRIx64 ">\"",
		    t->a->key >> 16);
	add(b, "\r\n");
	if (reg > 0)
		hdr_auth(b, t, 0, reg);
	add(b, "Max-Forwards: 70\r\nUser-Agent: %s\r\nExpires: 3600\r\n"
	    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, SUBSCRIBE, UPDATE, MESSAGE\r\n"
	    "Supported: path, gruu, outbound\r\nContent-Length: 0\r\n\r\n", phone_ua[t->a->ua]);
}

static void phone_options(struct sb *b, const struct txn *t)
{
	add(b, "OPTIONS sip:" REALM " SIP/2.0\r\n");
	hdr_common(b, t, false);
	hdr_contact(b, t);
	add(b, "\r\nMax-Forwards: 70\r\nUser-Agent: %s\r\nAccept: application/sdp\r\n"
	    "Content-Length: 0\r\n\r\n", phone_ua[t->a->ua]);
}

/* A guesser's REGISTER with made-up credentials (sipvicious svcrack style),
 * or, for the spoofed flood, a bare OPTIONS / REGISTER. */
static void guess_request(struct sb *b, const struct txn *t, bool auth, uint64_t nonce_idx)
{
	if (t->options)
		add(b, "OPTIONS sip:%u@%s SIP/2.0\r\n", t->user, t->domain);
	else
		add(b, "REGISTER sip:%s SIP/2.0\r\n", t->domain);
	hdr_common(b, t, false);
	hdr_contact(b, t);
	add(b, "\r\nMax-Forwards: 70\r\nUser-Agent: %s\r\n", guesser_ua[t->a->ua]);
	if (auth)
		hdr_auth(b, t, nonce_idx, 0);
	add(b, "%sAccept: application/sdp\r\nContent-Length: 0\r\n\r\n",
	    t->options ? "" : "Expires: 3600\r\n");
}

/* The server's answer: 401 (with a challenge carrying nonce nonce_idx), 403,
 * or 200 (to a REGISTER or an OPTIONS). */
static void response(struct sb *b, const struct txn *t, int code, uint64_t nonce_idx,
                     uint64_t ts_us)
{
	add(b, "SIP/2.0 %d %s\r\n", code,
	    code == 401 ? "Unauthorized" : code == 403 ? "Forbidden" : "OK");
	hdr_common(b, t, true);
	if (code == 401) {
		char nonce[41];
		hex40(nonce, t->a->key, nonce_idx);
		add(b, "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"%s\", "
		    "qop=\"auth\", algorithm=MD5\r\n", nonce);
	} else if (code == 200 && !t->options) {
		time_t s = (time_t)(ts_us / 1000000);
		struct tm tm;
		char date[40];
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&s, &tm));
		hdr_contact(b, t);
		add(b, ";expires=3600\r\nDate: %s\r\n", date);
	} else if (code == 200) {
		add(b, "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, "
		    "PUBLISH, MESSAGE\r\nAccept: application/sdp\r\nAccept-Language: en\r\n"
		    "Supported: path, outbound, gruu\r\n");
	}
	add(b, "Server: Kamailio (5.7.4 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n");
}

/* ---------------------------------------------------------------- packets */

struct out {
	FILE *f;
	uint8_t *buf;
	size_t len;
	uint64_t packets, bytes;   /* bytes: flushed to the file */
	uint16_t ip_id;            /* IPv4 ID of the SIP packets */
	uint16_t svc_ip_id;        /* and of the TFTP and DNS packets */
};

#define PKT_MAX (16 + 14 + 40 + 8 + MAX_SIP)

static void out_flush(struct out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		die("write: %s", strerror(errno));
	o->bytes += o->len;
	o->len = 0;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32h(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);  /* pcap fields are in the writer's byte order */
}

static uint64_t csum_add(uint64_t s, const uint8_t *p, size_t n)
{
	for (; n >= 2; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t csum_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Where the SIP text of a packet from/to actor a starts in the output. */
static struct sb pkt_payload(struct out *o, const struct actor *a)
{
	if (OUTBUF - o->len < PKT_MAX)
		out_flush(o);
	size_t off = 16 + 14 + (a->v6 ? 40 : 20) + 8;
	return (struct sb){ (char *)o->buf + o->len + off, 0 };
}

static void ip4_header(uint8_t *ip, const uint8_t *src, const uint8_t *dst,
                       uint8_t ttl, uint16_t id, size_t udplen, uint8_t tos)
{
	ip[0] = 0x45;
	ip[1] = tos;                      /* SIP: DSCP CS3, as phones mark it */
	put16(ip + 2, (uint32_t)(20 + udplen));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000);            /* DF */
	ip[8] = ttl;
	ip[9] = 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
}

static void ip6_header(uint8_t *ip, const uint8_t *src, const uint8_t *dst,
                       uint8_t hops, size_t udplen, uint8_t tclass)
{
	put16(ip, 0x6000u | (uint32_t)tclass << 4);   /* version 6, traffic class */
	put16(ip + 2, 0);
	put16(ip + 4, (uint32_t)udplen);
	ip[6] = 17;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

/* Wraps the plen bytes written at pkt_payload() into a pcap record with
 * Ethernet, IPv4/IPv6 and UDP headers (valid checksums), between actor a at
 * port cport and the server at port srv_port.  SIP is marked DSCP CS3 and
 * numbered with o->ip_id; TFTP and DNS (sip false) are best effort and have
 * their own IPv4 ID counter, so the SIP packets of a services capture are
 * byte for byte those of the mixed capture it contains. */
static void pkt_wrap(struct out *o, const struct actor *a, bool to_server, uint64_t ts_us,
                     size_t plen, uint16_t cport, uint16_t srv_port, bool sip)
{
	static const uint8_t srv4[4] = { 198, 51, 100, 1 };
	static const uint8_t srv6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t mac_gw[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *rec = o->buf + o->len, *eth = rec + 16, *ip = eth + 14;
	size_t alen = a->v6 ? 16 : 4, udplen = 8 + plen;
	size_t frame = 14 + (a->v6 ? 40 : 20) + udplen;
	uint8_t *udp = ip + (a->v6 ? 40 : 20);
	const uint8_t *cli = a->v6 ? a->ip : a->ip + 12, *srv = a->v6 ? srv6 : srv4;
	const uint8_t *src = to_server ? cli : srv, *dst = to_server ? srv : cli;

	put32h(rec, (uint32_t)(ts_us / 1000000));
	put32h(rec + 4, (uint32_t)(ts_us % 1000000));
	put32h(rec + 8, (uint32_t)frame);
	put32h(rec + 12, (uint32_t)frame);
	memcpy(eth, to_server ? mac_srv : mac_gw, 6);
	memcpy(eth + 6, to_server ? mac_gw : mac_srv, 6);
	put16(eth + 12, a->v6 ? 0x86dd : 0x0800);
	if (a->v6)
		ip6_header(ip, src, dst, to_server ? 52 : 64, udplen, sip ? 0x68 : 0);
	else
		ip4_header(ip, src, dst, to_server ? 52 : 64, sip ? o->ip_id++ : o->svc_ip_id++,
		           udplen, sip ? 0x68 : 0);
	put16(udp, to_server ? cport : srv_port);
	put16(udp + 2, to_server ? srv_port : cport);
	put16(udp + 4, (uint32_t)udplen);
	put16(udp + 6, 0);
	uint64_t sum = csum_add(csum_add(17 + udplen, src, alen), dst, alen);
	uint16_t c = csum_fold(csum_add(sum, udp, udplen));
	put16(udp + 6, c ? c : 0xffff);
	o->len += 16 + frame;
	o->packets++;
}

/* A SIP packet between a (at a->sport) and the server's port 5060. */
static void pkt_finish(struct out *o, const struct actor *a, bool to_server,
                       uint64_t ts_us, size_t plen)
{
	pkt_wrap(o, a, to_server, ts_us, plen, a->sport, SIP_PORT, true);
}

/* --------------------------------------------------------------- schedule */

/* One packet to write: at time t (µs after EPOCH_S), for actor, of kind
 * what >> 28 with transaction number what & EV_IDX. */
struct ev {
	uint64_t t;
	uint32_t actor;
	uint32_t what;
};

enum { E_P_REG, E_P_REG_RESP, E_P_OPT, E_P_OPT_RESP, E_G_REG, E_G_RESP };
#define EV_IDX 0x0fffffffu

struct sched {
	struct ev *ev;
	size_t n, cap;
};

static void ev_add(struct sched *s, uint64_t t, uint32_t actor, uint32_t kind, uint32_t idx)
{
	if (s->n == s->cap)
		die("internal error: schedule overflow%s", NULL);
	s->ev[s->n++] = (struct ev){ t, actor, kind << 28 | (idx & EV_IDX) };
}

static int ev_cmp(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->actor != b->actor)
		return a->actor < b->actor ? -1 : 1;
	return a->what < b->what ? -1 : a->what > b->what;
}

/* Network round trip 2-40 ms, or a phone's think time 10-60 ms. */
static uint64_t rtt(const struct actor *a, uint64_t i)
{
	return 2000 + hx(a->key, H_RTT, i) % 38000;
}

static uint64_t think(const struct actor *a, uint64_t i)
{
	return 10000 + hx(a->key, H_THINK, i) % 50000;
}

/* When a phone sends its first REGISTER (µs). */
static uint64_t phone_reg_time(const struct actor *a, uint64_t dur)
{
	return (uint64_t)(a->start * (double)(dur / 2));
}

/* Registration in the first half of the capture, then a->count keep-alives
 * (every 4th a re-REGISTER, the others OPTIONS) spread over the rest. */
static void plan_phone(struct sched *s, const struct actor *a, uint32_t id, uint64_t dur)
{
	uint64_t t = phone_reg_time(a, dur);
	ev_add(s, t, id, E_P_REG, 0);
	t += rtt(a, 0);
	ev_add(s, t, id, E_P_REG_RESP, 0);
	t += think(a, 0);
	ev_add(s, t, id, E_P_REG, 1);
	t += rtt(a, 1);
	ev_add(s, t, id, E_P_REG_RESP, 1);
	t += 100000;
	if (!a->count)
		return;
	double step = (double)(dur - 1000000 - t) / a->count;
	for (uint32_t j = 0; j < a->count; j++) {
		double u = unit(hx(a->key, H_JITTER, j));
		uint64_t tj = t + (uint64_t)((j + 0.2 + 0.6 * u) * step);
		if (j % 4 == 3) {
			ev_add(s, tj, id, E_P_REG, 2 + j / 4);
			ev_add(s, tj + rtt(a, 2 + j), id, E_P_REG_RESP, 2 + j / 4);
		} else {
			ev_add(s, tj, id, E_P_OPT, j);
			ev_add(s, tj + rtt(a, 2 + j), id, E_P_OPT_RESP, j);
		}
	}
}

/* a->count attempts at 12-90 per minute (faster if they would not fit in
 * 90% of the capture), starting at a random time. */
static void plan_guesser(struct sched *s, const struct actor *a, uint32_t id, uint64_t dur)
{
	if (!a->count)
		return;
	double per_min = 12 + 78 * unit(hx(a->key, H_MISC, 11));
	double span = a->count * 60e6 / per_min;
	if (span > 0.9 * (double)dur)
		span = 0.9 * (double)dur;
	uint64_t start = (uint64_t)(unit(hx(a->key, H_MISC, 12)) * ((double)dur - span - 1e6));
	double step = span / a->count;
	for (uint32_t j = 0; j < a->count; j++) {
		double u = unit(hx(a->key, H_JITTER, j));
		uint64_t tj = start + (uint64_t)((j + 0.1 + 0.8 * u) * step);
		ev_add(s, tj, id, E_G_REG, j);
		ev_add(s, tj + rtt(a, j), id, E_G_RESP, j);
	}
}

/* ------------------------------------------------------------------ write */

/* Username of a guesser's attempt j: 1-5 passwords per extension, then the
 * next extension, wrapping within 100-999. */
static uint32_t guess_user(const struct actor *a, uint32_t j)
{
	uint32_t per_user = 1 + (uint32_t)(hx(a->key, H_MISC, 13) % 5);
	return 100 + (a->user - 100 + j / per_user) % 900;
}

static void write_event(struct out *o, const struct actor *act, const struct ev *e)
{
	const struct actor *a = &act[e->actor];
	uint32_t kind = e->what >> 28, idx = e->what & EV_IDX;
	uint64_t ts = (uint64_t)EPOCH_S * 1000000 + e->t;
	struct sb b = pkt_payload(o, a);
	struct txn t;
	bool to_server = kind == E_P_REG || kind == E_P_OPT || kind == E_G_REG;
	switch (kind) {
	case E_P_REG:
	case E_P_REG_RESP:
		txn_init(&t, a, A_PHONE, false, idx);
		t.cseq = idx + 1;
		if (kind == E_P_REG)
			phone_register(&b, &t, idx);
		else
			response(&b, &t, idx ? 200 : 401, 0, ts);
		break;
	case E_P_OPT:
	case E_P_OPT_RESP:
		txn_init(&t, a, A_PHONE, true, idx);
		t.cseq = idx + 1;
		if (kind == E_P_OPT)
			phone_options(&b, &t);
		else
			response(&b, &t, 200, 0, ts);
		break;
	default:
		txn_init(&t, a, A_GUESSER, false, idx);
		t.cseq = 1;
		t.user = guess_user(a, idx);
		if (kind == E_G_REG)
			guess_request(&b, &t, true, a->answers_401 ? idx : 0);
		else
			response(&b, &t, a->answers_401 ? 401 : 403, idx + 1, ts);
		break;
	}
	pkt_finish(o, a, to_server, ts, b.n);
}

enum mode { M_MIXED, M_SPOOFED, M_SCANNERS, M_SERVICES };

struct opts {
	enum mode mode;
	uint64_t messages, seed, duration_s, interval_us;
	long phones, guessers;   /* -1: scaled from messages */
	const char *out;
};

/* How the N messages of a mixed capture are shared out. */
struct budget {
	uint32_t phones, guessers;
	uint64_t keep, attempts, lone;
};

/* Phones register (4 messages each), guessers get a fifth of the traffic,
 * keep-alives the rest; an odd N ends with one unanswered OPTIONS. */
static void plan_budget(const struct opts *op, struct budget *bu)
{
	uint64_t n = op->messages;
	bu->phones = (uint32_t)(op->phones >= 0 ? op->phones : (long)(n / 20 ? n / 20 : 1));
	bu->guessers = (uint32_t)(op->guessers >= 0 ? op->guessers : (long)(n / 2000 ? n / 2000 : 1));
	if (bu->phones == 0)
		die("mixed mode needs at least one phone%s", NULL);
	uint64_t gmsg = bu->guessers ? (n / 5) & ~1ull : 0;
	if (4ull * bu->phones + gmsg > n)
		die("too few --messages for this many phones (4 each are needed)%s", NULL);
	uint64_t rest = n - 4ull * bu->phones - gmsg;
	bu->lone = rest & 1;
	bu->keep = rest / 2;
	bu->attempts = gmsg / 2;
	if (bu->keep / bu->phones + 1 > EV_IDX / 2 ||
	    (bu->guessers && bu->attempts / bu->guessers + 1 > EV_IDX))
		die("too many messages per actor%s", NULL);
}

/* The actors of a mixed capture of op->messages messages (phones, then
 * guessers, then extra zeroed slots for the caller) and its schedule,
 * sorted. */
static struct actor *plan_mixed(const struct opts *op, const struct budget *bu, uint32_t extra,
                                struct sched *s)
{
	uint64_t n = op->messages, dur = op->duration_s * 1000000;
	uint32_t np = bu->phones, ng = bu->guessers;
	uint64_t keep = bu->keep, attempts = bu->attempts;
	struct actor *act = calloc((size_t)np + ng + extra, sizeof *act);
	*s = (struct sched){ .cap = n };
	s->ev = malloc(n * sizeof *s->ev);
	if (!act || !s->ev)
		die("out of memory%s", NULL);
	for (uint32_t i = 0; i < np; i++) {
		init_phone(&act[i], i, np, op->seed);
		act[i].count = (uint32_t)(keep / np + (i < keep % np));
		plan_phone(s, &act[i], i, dur);
	}
	for (uint32_t g = 0; g < ng; g++) {
		struct actor *a = &act[np + g];
		init_guesser(a, g, ng, op->seed);
		a->count = (uint32_t)(attempts / ng + (g < attempts % ng));
		plan_guesser(s, a, np + g, dur);
	}
	if (bu->lone)   /* an odd total: one last OPTIONS whose answer is not captured */
		ev_add(s, dur - 200000, 0, E_P_OPT, act[0].count);
	qsort(s->ev, s->n, sizeof *s->ev, ev_cmp);
	return act;
}

static void mixed_summary(const char *what, const struct opts *op, const struct budget *bu)
{
	uint32_t np = bu->phones, ng = bu->guessers, ng4 = ng / 2 < 254 ? ng / 2 : 254;
	fprintf(stderr, "gen_pcap: %s: %u phones (%u IPv6, %u IPv4 behind NAT), "
	        "%u guessers (%u IPv4, %u IPv6), %" PRIu64 " keep-alive and %" PRIu64
	        " guessing transactions over %" PRIu64 " s\n",
	        what, np, np - np / 2, np / 2, ng, ng4, ng - ng4, bu->keep, bu->attempts, op->duration_s);
}

static void gen_mixed(struct out *o, const struct opts *op, const struct budget *bu)
{
	struct sched s;
	struct actor *act = plan_mixed(op, bu, 0, &s);
	for (size_t i = 0; i < s.n; i++)
		write_event(o, act, &s.ev[i]);
	mixed_summary("mixed", op, bu);
	free(s.ev);
	free(act);
}

/* --------------------------------------------------------------- services */

/* --mode services: the SIP traffic of a mixed capture (80% of the packets)
 * plus the TFTP (10%) and DNS (10%) traffic of the same server: phones that
 * boot fetch their configuration over TFTP and resolve the registrar, and a
 * few attackers sweep MAC-named files or abuse the DNS server. */

#define TFTP_PORT 69
#define DNS_PORT  53
#define FILE_MAX  8192   /* largest generated configuration file */

/* Actors of a services capture: act[0, np) are the phones and the guessers
 * follow, as in mixed; then the attackers of the services, each kind in
 * its own addresses (192.0.2.0/24 and 2001:db8:bad::/48, used nowhere else):
 *   sweepers  192.0.2.1-99,    2001:db8:bad:<k>::/64
 *   ANY       192.0.2.101-199, 2001:db8:bad:<0x4000 + k>::/64
 *   probers   192.0.2.201-250, 2001:db8:bad:<0x8000 + k>::/64 */
enum svc_role { R_SWEEPER, R_ANY, R_PROBE, R__COUNT, R_PHONE, R_GUESSER };

struct svc_plan {
	uint32_t np, ng;
	uint32_t first[R__COUNT], count[R__COUNT];
	uint64_t tftp_pk, dns_pk;                 /* packet budgets */
	uint64_t xfers, tftp_phones, sweeps;      /* transfers, phones, sweep requests */
	uint64_t queries, dns_phones, nx, anyq;   /* phone queries, phones, NXDOMAIN, ANY queries */
	bool sweep_lone, any_lone;                /* a last request without its answer */
};

static enum svc_role role_of(const struct svc_plan *sp, uint32_t actor)
{
	if (actor < sp->np)
		return R_PHONE;
	for (int r = 0; r < R__COUNT; r++)
		if (actor >= sp->first[r] && actor - sp->first[r] < sp->count[r])
			return (enum svc_role)r;
	return R_GUESSER;
}

/* One TFTP or DNS packet to write, at time t: of kind, for transfer,
 * request or query idx of the actor (block blk of a TFTP transfer). */
enum { S_RRQ, S_OACK, S_ACK, S_DATA, S_ERROR, S_QUERY, S_ANSWER };

struct sev {
	uint64_t t;
	uint32_t actor, idx;
	uint16_t kind, blk;
};

struct ssched {
	struct sev *ev;
	size_t n, cap;
};

static void sev_add(struct ssched *s, uint64_t t, uint32_t actor, uint32_t idx, unsigned kind,
                    unsigned blk)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		if (!(s->ev = realloc(s->ev, s->cap * sizeof *s->ev)))
			die("out of memory%s", NULL);
	}
	s->ev[s->n++] = (struct sev){ t, actor, idx, (uint16_t)kind, (uint16_t)blk };
}

static int sev_cmp(const void *x, const void *y)
{
	const struct sev *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->actor != b->actor)
		return a->actor < b->actor ? -1 : 1;
	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	if (a->blk != b->blk)
		return a->blk < b->blk ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

/* Hashes of the services' fields of actor a: purpose p, item i. */
enum { SH_MAC = 1, SH_CPORT, SH_SPORT, SH_DPORT, SH_ID, SH_SIZE, SH_PW, SH_RTT, SH_JIT,
       SH_DELAY, SH_START, SH_RATE };

static uint64_t sh(const struct actor *a, uint32_t p, uint64_t i)
{
	return hx(a->key, H_SVC, (uint64_t)p << 40 ^ i);
}

/* An ephemeral port (Linux's range 32768-60999). */
static uint16_t eph(uint64_t h)
{
	return (uint16_t)(32768 + h % (61000 - 32768));
}

/* The capture is taken at the server: an answer leaves srv_delay() after
 * its request arrived, and the client's next packet arrives one network
 * round trip (the actor's 2-40 ms, +-5%) after that. */
static uint64_t srv_delay(const struct actor *a, uint64_t i, uint32_t lo, uint32_t span)
{
	return lo + sh(a, SH_DELAY, i) % span;
}

static uint64_t net_rtt(const struct actor *a, uint64_t i)
{
	uint64_t base = 2000 + sh(a, SH_RTT, 0) % 38000;
	return base - base / 20 + sh(a, SH_JIT, i) % (base / 10 + 1);
}

/* ---- TFTP: phones' configuration files ---- */

/* Files a phone fetches when it boots: a Yealink the model's common file
 * and its own, a Polycom the master file and its own, a Grandstream its
 * own, Linphone (a softphone) none. */
static unsigned phone_nfiles(const struct actor *a)
{
	return a->ua == 3 ? 0 : a->ua == 1 ? 1 : 2;
}

static void phone_mac(const struct actor *a, char out[13])
{
	static const char *const oui[] = { "805ec0", "000b82", "0004f2", "00005e" };
	snprintf(out, 13, "%s%06" PRIx64, oui[a->ua & 3], sh(a, SH_MAC, 0) & 0xffffff);
}

/* File f of phone a: its name; returns the block size the phone asks for. */
static uint32_t phone_file(const struct actor *a, unsigned f, char *name, size_t n)
{
	char mac[13];
	phone_mac(a, mac);
	if (a->ua == 0) {
		snprintf(name, n, f == 0 ? "y000000000028.cfg" : "%s.cfg", mac);
		return 1024;
	}
	if (a->ua == 1) {
		snprintf(name, n, "cfg%s.xml", mac);
		return 512;
	}
	snprintf(name, n, f == 0 ? "000000000000.cfg" : "%s-phone.cfg", mac);
	return 1428;
}

/* A configuration file being written. */
struct tb {
	char *p;
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void tadd(struct tb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->n, FILE_MAX - b->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= FILE_MAX - b->n)
		die("internal error: file over %s bytes", "FILE_MAX");
	b->n += (size_t)n;
}

/* The text of file f of phone a (FILE_MAX bytes at buf); returns its size.
 * Common files are the same for every phone of a model; a phone's own file
 * holds its account and 0-23 (Yealink), 0-39 (Grandstream) or 0-29
 * (Polycom) busy-lamp keys. */
static size_t file_text(const struct actor *a, unsigned f, char *buf)
{
	struct tb b = { buf, 0 };
	char mac[13], pw[17];
	unsigned u = a->user, keys = (unsigned)(sh(a, SH_SIZE, f) % 40);
	phone_mac(a, mac);
	snprintf(pw, sizeof pw, "%016" PRIx64, sh(a, SH_PW, 0));
	if (a->ua == 0 && f == 0) {
		tadd(&b, "#!version:1.0.0.1\n## y000000000028.cfg: common settings of every SIP-T46S "
		     "on " REALM "\n\n"
		     "static.auto_provision.server.url = tftp://198.51.100.1/\n"
		     "static.auto_provision.repeat.enable = 1\nstatic.auto_provision.repeat.minutes = 1440\n"
		     "static.auto_provision.dhcp_option.enable = 1\nstatic.network.lldp.enable = 1\n"
		     "static.network.vlan.internet_port_enable = 0\nlocal_time.time_zone = +1\n"
		     "local_time.time_zone_name = Germany(Berlin)\nlocal_time.ntp_server1 = 0.pool.ntp.org\n"
		     "local_time.ntp_server2 = 1.pool.ntp.org\nlocal_time.interval = 1000\n"
		     "lang.gui = English\nlang.wui = English\nvoice.tone.country = Germany\n"
		     "phone_setting.backlight_time = 60\nphone_setting.inactive_backlight_level = 1\n"
		     "features.call_waiting.enable = 1\nfeatures.dnd.enable = 0\nfeatures.intercom.allow = 1\n"
		     "sip.listen_port = 5060\nsip.rfc2543_hold = 0\n");
		static const char *const codec[] = { "opus", "g722", "pcma", "pcmu", "g729", "g726_32" };
		for (unsigned i = 0; i < NELEM(codec); i++)
			tadd(&b, "account.1.codec.%s.enable = %u\naccount.1.codec.%s.priority = %u\n",
			     codec[i], i < 4, codec[i], i < 4 ? i + 1 : 0);
		for (unsigned k = 1; k <= 27; k++)
			tadd(&b, "linekey.%u.type = %u\nlinekey.%u.line = 1\n", k, k <= 2 ? 15 : 0, k);
	} else if (a->ua == 0) {
		tadd(&b, "#!version:1.0.0.1\n## %s.cfg: extension %u\n\naccount.1.enable = 1\n"
		     "account.1.label = %u\naccount.1.display_name = Extension %u\naccount.1.auth_name = %u\n"
		     "account.1.user_name = %u\naccount.1.password = %s\n"
		     "account.1.sip_server.1.address = " REALM "\naccount.1.sip_server.1.port = 5060\n"
		     "account.1.sip_server.1.transport_type = 3\naccount.1.sip_server.1.expires = 3600\n"
		     "account.1.sip_server.1.retry_counts = 3\naccount.1.nat.udp_update_enable = 1\n"
		     "account.1.nat.udp_update_time = 30\naccount.1.subscribe_mwi = 1\n"
		     "account.1.subscribe_mwi_to_vm = 1\nvoice_mail.number.1 = *97\n",
		     mac, u, u, u, u, u, pw);
		for (unsigned k = 0; k < keys * 24 / 40; k++)
			tadd(&b, "linekey.%u.type = 16\nlinekey.%u.value = %u\nlinekey.%u.label = %u\n"
			     "linekey.%u.line = 1\n", k + 3, k + 3, u + 1 + k, k + 3, u + 1 + k, k + 3);
	} else if (a->ua == 1) {
		tadd(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
		     "<!-- cfg%s.xml: GXP2170, extension %u -->\n<gs_provision version=\"1\">\n"
		     "  <mac>%s</mac>\n  <config version=\"1\">\n"
		     "    <P271>1</P271>\n    <P270>Extension %u</P270>\n    <P47>" REALM "</P47>\n"
		     "    <P35>%u</P35>\n    <P36>%u</P36>\n    <P34>%s</P34>\n    <P3>Extension %u</P3>\n"
		     "    <P103>2</P103>\n    <P52>2</P52>\n    <P32>60</P32>\n    <P40>5060</P40>\n"
		     "    <P64>CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00</P64>\n"
		     "    <P30>pool.ntp.org</P30>\n    <P1362>en</P1362>\n    <P212>0</P212>\n"
		     "    <P237>198.51.100.1</P237>\n    <P194>1</P194>\n    <P193>1440</P193>\n",
		     mac, u, mac, u, u, u, pw, u);
		for (unsigned k = 0; k < keys; k++)
			tadd(&b, "    <P%u>1</P%u>\n    <P%u>0</P%u>\n    <P%u>%u</P%u>\n    <P%u>%u</P%u>\n",
			     23000 + 5 * k, 23000 + 5 * k, 23001 + 5 * k, 23001 + 5 * k, 23002 + 5 * k, u + 1 + k,
			     23002 + 5 * k, 23003 + 5 * k, u + 1 + k, 23003 + 5 * k);
		tadd(&b, "  </config>\n</gs_provision>\n");
	} else if (f == 0) {
		tadd(&b, "<?xml version=\"1.0\" standalone=\"yes\"?>\n<!-- Default Master SIP Configuration File -->\n"
		     "<APPLICATION APP_FILE_PATH=\"sip.ld\" CONFIG_FILES=\"[PHONE_MAC_ADDRESS]-phone.cfg, site.cfg\" "
		     "MISC_FILES=\"\" LOG_FILE_DIRECTORY=\"\" OVERRIDES_DIRECTORY=\"\" CONTACTS_DIRECTORY=\"\" "
		     "LICENSE_DIRECTORY=\"\" USER_PROFILES_DIRECTORY=\"\" CALL_LISTS_DIRECTORY=\"\">\n"
		     "  <APPLICATION_VVX411 APP_FILE_PATH_VVX411=\"sip.ld\" CONFIG_FILES_VVX411=\"\"/>\n"
		     "</APPLICATION>\n");
	} else {
		tadd(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		     "<!-- %s-phone.cfg: VVX 411, extension %u -->\n<PHONE_CONFIG>\n  <ALL\n"
		     "    reg.1.address=\"%u\"\n    reg.1.label=\"%u\"\n    reg.1.displayName=\"Extension %u\"\n"
		     "    reg.1.auth.userId=\"%u\"\n    reg.1.auth.password=\"%s\"\n"
		     "    reg.1.server.1.address=\"" REALM "\"\n    reg.1.server.1.port=\"5060\"\n"
		     "    reg.1.server.1.transport=\"DNSnaptr\"\n    reg.1.server.1.expires=\"3600\"\n"
		     "    tcpIpApp.sntp.address=\"pool.ntp.org\"\n    tcpIpApp.sntp.gmtOffset=\"3600\"\n"
		     "    device.set=\"1\"\n    device.prov.serverName=\"198.51.100.1\"\n"
		     "    device.prov.serverType=\"TFTP\"\n    msg.mwi.1.callBackMode=\"contact\"\n"
		     "    msg.mwi.1.callBack=\"*97\"\n", mac, u, u, u, u, u, pw);
		for (unsigned k = 0; k < keys * 30 / 40; k++)
			tadd(&b, "    attendant.resourceList.%u.address=\"%u@" REALM "\"\n"
			     "    attendant.resourceList.%u.label=\"%u\"\n", k + 1, u + 1 + k, k + 1, u + 1 + k);
		tadd(&b, "  />\n</PHONE_CONFIG>\n");
	}
	return b.n;
}

/* DATA blocks of a file: the last one is shorter than bs (empty when the
 * size is a multiple of it). */
static uint32_t file_blocks(size_t size, uint32_t bs)
{
	return (uint32_t)(size / bs + 1);
}

/* Packets of a phone's provisioning: per file RRQ, OACK, ACK 0, and each
 * DATA block with its ACK. */
static uint64_t phone_tftp_packets(const struct actor *a)
{
	static char buf[FILE_MAX];
	char name[64];
	uint64_t n = 0;
	for (unsigned f = 0; f < phone_nfiles(a); f++) {
		uint32_t bs = phone_file(a, f, name, sizeof name);
		n += 3 + 2ull * file_blocks(file_text(a, f, buf), bs);
	}
	return n;
}

/* Eight seconds before its first REGISTER, a booting phone fetches its
 * files one after the other, each from a new client port; the server
 * answers from a new transfer port (OACK, then DATA), the phone ACKs. */
static void plan_tftp_phone(struct ssched *s, const struct actor *a, uint32_t id, uint64_t treg)
{
	static char buf[FILE_MAX];
	char name[64];
	uint64_t t = treg - 8000000 + sh(a, SH_START, 1) % 1000000;
	for (unsigned f = 0; f < phone_nfiles(a); f++) {
		uint32_t bs = phone_file(a, f, name, sizeof name);
		uint32_t k = file_blocks(file_text(a, f, buf), bs);
		uint64_t x = (uint64_t)f << 20;
		sev_add(s, t, id, f, S_RRQ, 0);
		t += srv_delay(a, x, 200, 1000);       /* tftpd forks a transfer process */
		sev_add(s, t, id, f, S_OACK, 0);
		for (uint32_t blk = 0; blk <= k; blk++) {
			t += net_rtt(a, x | blk);
			sev_add(s, t, id, f, S_ACK, blk);
			if (blk == k)
				break;
			t += srv_delay(a, x | 1 << 19 | blk, 30, 120);
			sev_add(s, t, id, f, S_DATA, blk + 1);
		}
		t += net_rtt(a, x | 1 << 18) + 5000 + sh(a, SH_START, 2 + f) % 45000;
	}
}

/* ---- TFTP: sweepers ---- */

/* Request j of sweeper k: the next MAC address of a vendor's naming
 * scheme, from a random start. */
static void sweep_file(const struct actor *a, uint32_t k, uint32_t j, char *name, size_t n)
{
	uint32_t m = (uint32_t)((sh(a, SH_MAC, 0) + j) & 0xffffff);
	switch (k % 4) {
	case 0: snprintf(name, n, "805ec0%06x.cfg", m); break;           /* Yealink */
	case 1: snprintf(name, n, "SEP001B54%06X.cnf.xml", m); break;    /* Cisco */
	case 2: snprintf(name, n, "cfg000b82%06x.xml", m); break;        /* Grandstream */
	default: snprintf(name, n, "0004f2%06x.cfg", m); break;          /* Polycom */
	}
}

/* count requests (of kind) at per_min a minute (faster when they would not
 * fit in 90% of the capture) from a random start, each answered (answer)
 * after 0.2-1.2 ms; lone: one more request, without its answer. */
static void plan_burst(struct ssched *s, const struct actor *a, uint32_t id, uint64_t count, bool lone,
                       double per_min, unsigned kind, unsigned answer, uint64_t dur)
{
	double span = (double)count * 60e6 / per_min;
	if (span > 0.9 * (double)dur)
		span = 0.9 * (double)dur;
	uint64_t start = (uint64_t)(unit(sh(a, SH_START, 0)) * ((double)dur - span - 1e6));
	double step = count ? span / (double)count : 60e6 / per_min;
	for (uint64_t j = 0; j < count; j++) {
		uint64_t tj = start + (uint64_t)(((double)j + 0.1 + 0.8 * unit(sh(a, SH_JIT, j))) * step);
		sev_add(s, tj, id, (uint32_t)j, kind, 0);
		sev_add(s, tj + srv_delay(a, j, 200, 1000), id, (uint32_t)j, answer, 0);
	}
	if (lone) {
		uint64_t tl = start + (uint64_t)(((double)count + 0.5) * step);
		sev_add(s, tl < dur - 1000 ? tl : dur - 1000, id, (uint32_t)count, kind, 0);
	}
}

/* Writes TFTP packet e into b; sets the ports and the direction. */
static void tftp_packet(struct sb *b, const struct actor *a, enum svc_role r, uint32_t k,
                        const struct sev *e, uint16_t *cport, uint16_t *sport, bool *to_server)
{
	static char text[FILE_MAX];
	char name[64], num[24];
	uint32_t bs = 0;
	size_t size = 0;
	if (r == R_PHONE) {
		bs = phone_file(a, e->idx, name, sizeof name);
		*cport = eph(sh(a, SH_CPORT, e->idx));
		if (e->kind == S_OACK || e->kind == S_DATA)
			size = file_text(a, e->idx, text);
	} else {
		sweep_file(a, k, e->idx, name, sizeof name);
		*cport = a->sport;
	}
	*sport = e->kind == S_RRQ ? TFTP_PORT : eph(sh(a, SH_SPORT, e->idx));
	*to_server = e->kind == S_RRQ || e->kind == S_ACK;
	add(b, "%c%c", 0, e->kind == S_RRQ ? 1 : e->kind == S_OACK ? 6 : e->kind == S_ACK ? 4
	    : e->kind == S_DATA ? 3 : 5);
	switch (e->kind) {
	case S_RRQ:
	case S_OACK:
		if (e->kind == S_RRQ)
			add(b, "%s%coctet%c", name, 0, 0);
		if (r != R_PHONE)
			break;   /* the sweepers' tools send no options */
		snprintf(num, sizeof num, "%zu", e->kind == S_RRQ ? (size_t)0 : size);
		if (a->ua == 0)
			add(b, "tsize%c%s%cblksize%c%u%c", 0, num, 0, 0, bs, 0);
		else
			add(b, "blksize%c%u%ctsize%c%s%c", 0, bs, 0, 0, num, 0);
		break;
	case S_ACK:
	case S_DATA:
		add(b, "%c%c", e->blk >> 8, e->blk & 0xff);
		if (e->kind == S_DATA) {
			size_t off = (size_t)(e->blk - 1) * bs, n = size - off < bs ? size - off : bs;
			memcpy(b->p + b->n, text + off, n);
			b->n += n;
		}
		break;
	default:
		add(b, "%c%cFile not found%c", 0, 1, 0);
	}
}

/* ---- DNS ---- */

enum { T_A = 1, T_NS = 2, T_SOA = 6, T_HINFO = 13, T_TXT = 16, T_AAAA = 28, T_SRV = 33,
       T_OPT = 41, T_ANY = 255, C_IN = 1, C_CH = 3 };

/* One DNS query and how the server answers it. */
struct dnsq {
	char name[64];       /* dotted, without the final dot */
	uint16_t id, port, type, cls, edns;   /* edns: the OPT's UDP size, 0 for none */
	bool nx;             /* the name does not exist */
};

/* A phone's lookup of its registrar: a Yealink asks for the SRV record,
 * then the target's address; a Grandstream for the domain's address; a
 * Polycom for SRV, A and AAAA; Linphone for _sips._tcp (no such name),
 * then _sip._udp and the address.  Query q of phone a into *d; returns the
 * number of queries of the lookup. */
static unsigned phone_query(const struct actor *a, unsigned q, struct dnsq *d)
{
	static const struct { const char *pre; uint16_t type; bool nx; } plan[4][3] = {
		{ { "_sip._udp.", T_SRV, false }, { "sip1.", 0, false } },
		{ { "", 0, false } },
		{ { "_sip._udp.", T_SRV, false }, { "sip1.", T_A, false }, { "sip1.", T_AAAA, false } },
		{ { "_sips._tcp.", T_SRV, true }, { "_sip._udp.", T_SRV, false }, { "sip1.", 0, false } },
	};
	static const unsigned nq[4] = { 2, 1, 3, 3 }, edns[4] = { 1232, 0, 1232, 4096 };
	unsigned ua = a->ua & 3;
	if (d && q < nq[ua]) {
		snprintf(d->name, sizeof d->name, "%s" REALM, plan[ua][q].pre);
		d->type = plan[ua][q].type ? plan[ua][q].type : a->v6 ? T_AAAA : T_A;
		d->cls = C_IN;
		d->edns = (uint16_t)edns[ua];
		d->nx = plan[ua][q].nx;
		d->id = (uint16_t)sh(a, SH_ID, q);
		d->port = eph(sh(a, SH_DPORT, q));
	}
	return nq[ua];
}

/* Query idx of a DNS attacker: ANY for the domain (EDNS 4096, as
 * amplifiers ask), or nmap's version.bind probe (ID 6, CHAOS TXT). */
static void attack_query(const struct actor *a, enum svc_role r, uint32_t k, uint32_t idx, struct dnsq *d)
{
	memset(d, 0, sizeof *d);
	d->port = eph(sh(a, SH_DPORT, idx));
	if (r == R_ANY) {
		snprintf(d->name, sizeof d->name, "%s", k % 2 ? "example.com" : REALM);
		d->type = T_ANY;
		d->cls = C_IN;
		d->edns = 4096;
		d->id = (uint16_t)sh(a, SH_ID, idx);
	} else {
		snprintf(d->name, sizeof d->name, "version.bind");
		d->type = T_TXT;
		d->cls = C_CH;
		d->id = 6;
	}
}

static void b16(struct sb *b, uint32_t v)
{
	add(b, "%c%c", (v >> 8) & 0xff, v & 0xff);
}

static void b32(struct sb *b, uint32_t v)
{
	b16(b, v >> 16);
	b16(b, v & 0xffff);
}

/* A name as labels, uncompressed; off[i] is where label i starts.  Returns
 * the number of labels. */
static unsigned put_name(struct sb *b, const char *name, uint16_t *off, unsigned max)
{
	unsigned n = 0;
	while (*name) {
		size_t len = strcspn(name, ".");
		if (n < max)
			off[n] = (uint16_t)b->n;
		n++;
		add(b, "%c%.*s", (int)len, (int)len, name);
		name += len + (name[len] == '.');
	}
	add(b, "%c", 0);
	return n;
}

/* Owner (a compression pointer), type, class and TTL of a record; returns
 * where its RDLENGTH is, for rr_end(). */
static size_t rr(struct sb *b, uint16_t owner, uint16_t type, uint16_t cls, uint32_t ttl)
{
	b16(b, 0xc000u | owner);
	b16(b, type);
	b16(b, cls);
	b32(b, ttl);
	b16(b, 0);
	return b->n - 2;
}

static void rr_end(struct sb *b, size_t at)
{
	size_t len = b->n - at - 2;
	b->p[at] = (char)(len >> 8);
	b->p[at + 1] = (char)(len & 0xff);
}

/* The query d, or the server's answer to it: authoritative for
 * pbx.example.com, whose registrar sip1 is 198.51.100.1 and 2001:db8::1.
 * Answers point back at the question's name (0xc00c and its suffixes). */
static void dns_msg(struct sb *b, const struct dnsq *d, bool answer, uint64_t *nx)
{
	static const uint8_t v4[4] = { 198, 51, 100, 1 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const char version[] = "9.18.28-1~deb12u2-Debian";
	uint16_t off[8];
	unsigned an = 0, ns = 0, ar = d->edns ? 1 : 0, rcode = 0;
	if (answer) {
		if (d->nx)
			rcode = 3, ns = 1;
		else
			an = 1, ns = d->cls == C_CH;
		if (d->type == T_SRV && !d->nx)
			ar += 2;
	}
	b16(b, d->id);
	b16(b, answer ? 0x8580u | rcode : 0x0100u);   /* QR AA RD RA, or RD */
	b16(b, 1);
	b16(b, an);
	b16(b, ns);
	b16(b, ar);
	unsigned nl = put_name(b, d->name, off, 8);
	b16(b, d->type);
	b16(b, d->cls);
	if (answer && d->nx) {
		/* NXDOMAIN with the zone's SOA; example.com is the name's last two labels */
		uint16_t zone = off[nl - 2];
		size_t at = rr(b, zone, T_SOA, C_IN, 300);
		add(b, "%c%s", 3, "ns1");
		b16(b, 0xc000u | zone);
		add(b, "%c%s", 10, "hostmaster");
		b16(b, 0xc000u | zone);
		b32(b, 2024011501);
		b32(b, 7200);
		b32(b, 3600);
		b32(b, 1209600);
		b32(b, 300);
		rr_end(b, at);
		(*nx)++;
	} else if (answer && d->type == T_SRV) {
		size_t at = rr(b, 12, T_SRV, C_IN, 3600);
		b16(b, 10);
		b16(b, 100);
		b16(b, SIP_PORT);
		uint16_t target = (uint16_t)b->n;   /* sip1 + the pbx.example.com of the question */
		add(b, "%c%s", 4, "sip1");
		b16(b, 0xc000u | off[nl - 3]);
		rr_end(b, at);
		at = rr(b, target, T_A, C_IN, 3600);
		memcpy(b->p + b->n, v4, 4), b->n += 4;
		rr_end(b, at);
		at = rr(b, target, T_AAAA, C_IN, 3600);
		memcpy(b->p + b->n, v6, 16), b->n += 16;
		rr_end(b, at);
	} else if (answer && (d->type == T_A || d->type == T_AAAA)) {
		size_t at = rr(b, 12, d->type, C_IN, 300);
		memcpy(b->p + b->n, d->type == T_A ? v4 : v6, d->type == T_A ? 4 : 16);
		b->n += d->type == T_A ? 4 : 16;
		rr_end(b, at);
	} else if (answer && d->type == T_ANY) {
		size_t at = rr(b, 12, T_HINFO, C_IN, 3600);   /* RFC 8482: a minimal answer */
		add(b, "%c%s%c", 7, "RFC8482", 0);
		rr_end(b, at);
	} else if (answer) {
		size_t at = rr(b, 12, T_TXT, C_CH, 0);        /* version.bind */
		add(b, "%c%s", (int)strlen(version), version);
		rr_end(b, at);
		at = rr(b, 12, T_NS, C_CH, 0);
		b16(b, 0xc00c);
		rr_end(b, at);
	}
	if (d->edns) {
		add(b, "%c", 0);
		b16(b, T_OPT);
		b16(b, answer ? 1232 : d->edns);
		b32(b, 0);
		b16(b, 0);
	}
}

/* ---- plan and write ---- */

/* Attacker k of role r. */
static void init_attacker(struct actor *a, enum svc_role r, uint32_t k, uint64_t seed)
{
	static const unsigned v4_first[R__COUNT] = { 1, 101, 201 }, v4_max[R__COUNT] = { 99, 99, 50 };
	a->key = mix64(seed ^ (0x500000000ull + ((uint64_t)r << 24) + k));
	if (k % 2 == 0 && k / 2 < v4_max[r])
		set_v4(a, 192, 0, 2, v4_first[r] + k / 2);
	else
		set_v6(a, 0xbad, (uint16_t)(0x4000 * r + k), hx(a->key, H_IID, 0) | 1);
	a->sport = a->lport = eph(sh(a, SH_CPORT, 0));
	set_text(a, NULL);
}

static uint32_t clamp_u32(uint64_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Plans the TFTP and DNS packets of a services capture into *s: exactly
 * sp->tftp_pk and sp->dns_pk of them. */
static void plan_services(const struct opts *op, struct actor *act, struct svc_plan *sp, struct ssched *s)
{
	uint64_t dur = op->duration_s * 1000000, np = sp->np;
	/* Phones in a scrambled order boot (TFTP, 90% of the TFTP packets) and
	 * look up the registrar (DNS, what the attackers leave) before they
	 * register; a phone that registers in the first 10 s does not. */
	uint64_t stride = (uint64_t)((double)np * 0.6180339887) | 1, first = mix64(op->seed ^ 0x600000000ull) % np;
	while (gcd(stride, np) != 1)
		stride++;
	uint64_t tftp_goal = sp->tftp_pk - sp->tftp_pk / 10, tftp_used = 0;
	uint64_t probe_pk = 2ull * sp->count[R_PROBE] <= sp->dns_pk ? 2ull * sp->count[R_PROBE] : sp->dns_pk & ~1ull;
	uint64_t any_min = sp->dns_pk / 25, dns_used = 0;
	uint64_t dns_goal = sp->dns_pk - probe_pk > any_min ? sp->dns_pk - probe_pk - any_min : 0;
	bool tftp_done = false, dns_done = false;
	sp->count[R_PROBE] = (uint32_t)(probe_pk / 2);
	for (uint64_t i = 0; i < np && !(tftp_done && dns_done); i++) {
		uint32_t id = (uint32_t)((first + i * stride) % np);
		const struct actor *a = &act[id];
		uint64_t treg = phone_reg_time(a, dur);
		if (treg < 10000000)
			continue;
		if (!tftp_done && phone_nfiles(a)) {
			uint64_t pk = phone_tftp_packets(a);
			if (tftp_used + pk > tftp_goal) {
				tftp_done = true;
			} else {
				plan_tftp_phone(s, a, id, treg);
				tftp_used += pk;
				sp->xfers += phone_nfiles(a);
				sp->tftp_phones++;
			}
		}
		unsigned nq = phone_query(a, 0, NULL);
		if (!dns_done && dns_used + 2 * nq > dns_goal) {
			dns_done = true;
		} else if (!dns_done) {
			uint64_t t = treg - 1500000 + sh(a, SH_START, 10) % 300000;
			for (unsigned q = 0; q < nq; q++) {
				sev_add(s, t, id, q, S_QUERY, 0);
				t += srv_delay(a, 1000 + q, 50, 250);
				sev_add(s, t, id, q, S_ANSWER, 0);
				t += net_rtt(a, 1000 + q) + sh(a, SH_START, 20 + q) % 2000;
			}
			dns_used += 2 * nq;
			sp->queries += nq;
			sp->dns_phones++;
		}
	}
	/* The rest: sweepers at 30-240 requests a minute, ANY senders at 20-60
	 * a minute, one version.bind probe per prober at a random time. */
	uint64_t rest = sp->tftp_pk - tftp_used, nsw = sp->count[R_SWEEPER];
	sp->sweeps = rest / 2;
	sp->sweep_lone = rest & 1;
	for (uint32_t k = 0; k < nsw; k++) {
		const struct actor *a = &act[sp->first[R_SWEEPER] + k];
		plan_burst(s, a, sp->first[R_SWEEPER] + k, sp->sweeps / nsw + (k < sp->sweeps % nsw),
		           k == 0 && sp->sweep_lone, 30 + 210 * unit(sh(a, SH_RATE, 0)), S_RRQ, S_ERROR, dur);
	}
	rest = sp->dns_pk - dns_used - probe_pk;
	uint64_t nany = sp->count[R_ANY];
	sp->anyq = rest / 2;
	sp->any_lone = rest & 1;
	for (uint32_t k = 0; k < nany; k++) {
		const struct actor *a = &act[sp->first[R_ANY] + k];
		plan_burst(s, a, sp->first[R_ANY] + k, sp->anyq / nany + (k < sp->anyq % nany),
		           k == 0 && sp->any_lone, 20 + 40 * unit(sh(a, SH_RATE, 0)), S_QUERY, S_ANSWER, dur);
	}
	for (uint32_t k = 0; k < sp->count[R_PROBE]; k++) {
		const struct actor *a = &act[sp->first[R_PROBE] + k];
		uint64_t t = 1000000 + (uint64_t)(unit(sh(a, SH_START, 0)) * (double)(dur - 2000000));
		sev_add(s, t, sp->first[R_PROBE] + k, 0, S_QUERY, 0);
		sev_add(s, t + srv_delay(a, 0, 50, 250), sp->first[R_PROBE] + k, 0, S_ANSWER, 0);
	}
	if (s->n != sp->tftp_pk + sp->dns_pk)
		die("internal error: services packet count%s", NULL);
	qsort(s->ev, s->n, sizeof *s->ev, sev_cmp);
}

static void write_svc(struct out *o, const struct actor *act, struct svc_plan *sp, const struct sev *e)
{
	const struct actor *a = &act[e->actor];
	enum svc_role r = role_of(sp, e->actor);
	uint32_t k = r < R__COUNT ? e->actor - sp->first[r] : 0;
	struct sb b = pkt_payload(o, a);
	uint16_t cport, sport = DNS_PORT;
	bool to_server;
	if (e->kind < S_QUERY) {
		tftp_packet(&b, a, r, k, e, &cport, &sport, &to_server);
	} else {
		struct dnsq d;
		if (r == R_PHONE)
			phone_query(a, e->idx, &d);
		else
			attack_query(a, r, k, e->idx, &d);
		to_server = e->kind == S_QUERY;
		cport = d.port;
		dns_msg(&b, &d, !to_server, &sp->nx);
	}
	pkt_wrap(o, a, to_server, (uint64_t)EPOCH_S * 1000000 + e->t, b.n, cport, sport, false);
}

/* A mixed capture of 80% of the messages (phones and guessers as many as
 * for a mixed capture of all of them), merged with the services' packets. */
static void gen_services(struct out *o, const struct opts *op)
{
	uint64_t n = op->messages;
	struct svc_plan sp = { .tftp_pk = n / 10, .dns_pk = n / 10 };
	struct opts sip = *op;
	struct budget bu;
	sip.messages = n - sp.tftp_pk - sp.dns_pk;
	sip.phones = op->phones >= 0 ? op->phones : (long)(n / 20 ? n / 20 : 1);
	sip.guessers = op->guessers >= 0 ? op->guessers : (long)(n / 2000 ? n / 2000 : 1);
	plan_budget(&sip, &bu);
	sp.np = bu.phones;
	sp.ng = bu.guessers;
	sp.count[R_SWEEPER] = clamp_u32(n / 100000, 2, 1000);
	sp.count[R_ANY] = clamp_u32(n / 250000, 2, 1000);
	sp.count[R_PROBE] = clamp_u32(n / 200000, 2, 1000);
	uint32_t extra = sp.count[R_SWEEPER] + sp.count[R_ANY] + sp.count[R_PROBE];
	struct sched s;
	struct ssched ss = { 0 };
	struct actor *act = plan_mixed(&sip, &bu, extra, &s);
	uint32_t next = sp.np + sp.ng;
	for (int r = 0; r < R__COUNT; r++) {
		sp.first[r] = next;
		for (uint32_t k = 0; k < sp.count[r]; k++)
			init_attacker(&act[next + k], (enum svc_role)r, k, op->seed);
		next += sp.count[r];
	}
	plan_services(op, act, &sp, &ss);
	size_t i = 0, j = 0;
	while (i < s.n || j < ss.n) {
		if (j == ss.n || (i < s.n && s.ev[i].t <= ss.ev[j].t))
			write_event(o, act, &s.ev[i++]);
		else
			write_svc(o, act, &sp, &ss.ev[j++]);
	}
	mixed_summary("services: SIP", &sip, &bu);
	fprintf(stderr, "gen_pcap: services: SIP packets are those of --mode mixed --messages %" PRIu64
	        " --phones %u --guessers %u\n", sip.messages, sp.np, sp.ng);
	fprintf(stderr, "gen_pcap: services: TFTP %" PRIu64 " packets: %" PRIu64 " transfers by %" PRIu64
	        " phones; %u sweepers, %" PRIu64 " requests answered File not found%s\n", sp.tftp_pk,
	        sp.xfers, sp.tftp_phones, sp.count[R_SWEEPER], sp.sweeps,
	        sp.sweep_lone ? " and 1 unanswered" : "");
	fprintf(stderr, "gen_pcap: services: DNS %" PRIu64 " packets: %" PRIu64 " queries by %" PRIu64
	        " phones (%" PRIu64 " NXDOMAIN); %u ANY senders, %" PRIu64 " queries%s; %u version.bind probes\n",
	        sp.dns_pk, sp.queries, sp.dns_phones, sp.nx, sp.count[R_ANY], sp.anyq,
	        sp.any_lone ? " and 1 unanswered" : "", sp.count[R_PROBE]);
	free(ss.ev);
	free(s.ev);
	free(act);
}

/* N lone requests at 10,000 per second, each from its own IPv6 address in
 * 2001:db8:1000::/36: 2001:db8:<0x1000 + (i & 0xfff)>:<i >> 12>:<random>,
 * so no two share a /64 and they spread over 4,096 /48s. */
static void gen_spoofed(struct out *o, const struct opts *op)
{
	struct actor a;
	memset(&a, 0, sizeof a);
	for (uint64_t i = 0; i < op->messages; i++) {
		a.key = mix64(op->seed ^ (0x300000000ull + i));
		set_v6(&a, (uint16_t)(0x1000 + (i & 0xfff)), (uint16_t)(i >> 12),
		       hx(a.key, H_IID, 0) | 1);
		a.sport = a.lport = (uint16_t)(1024 + hx(a.key, H_MISC, 3) % 64000);
		a.ua = (uint8_t)(hx(a.key, H_MISC, 2) % NELEM(guesser_ua));
		a.user = 100 + (uint32_t)(hx(a.key, H_MISC, 1) % 900);
		set_text(&a, NULL);
		struct txn t;
		txn_init(&t, &a, A_SPOOF, i % 2 == 0, 0);
		t.cseq = 1;
		struct sb b = pkt_payload(o, &a);
		guess_request(&b, &t, false, 0);
		uint64_t ts = (uint64_t)EPOCH_S * 1000000 + i * 100 + hx(a.key, H_JITTER, 0) % 100;
		pkt_finish(o, &a, true, ts, b.n);
	}
	fprintf(stderr, "gen_pcap: spoofed: %" PRIu64 " requests from as many IPv6 "
	        "sources over %.1f s\n", op->messages, (double)op->messages / 10000);
}

/* Scanner i's source: every 4th of the first 1,000 is IPv4 in
 * 203.0.113.1-.250, the others IPv6 2001:db8:<0xba00 + (k >> 16)>:<k &
 * 0xffff>:<random> (k counts the IPv6 ones): each in its own /64 of
 * 2001:db8:ba00::/40, apart from every other generated range. */
static void scanner_addr(struct actor *a, uint64_t i)
{
	if (i % 4 == 0 && i / 4 < 250) {
		set_v4(a, 203, 0, 113, (unsigned)(1 + i / 4));
		return;
	}
	uint64_t k = i - (i < 1000 ? i / 4 + 1 : 250);
	set_v6(a, (uint16_t)(0xba00 + (k >> 16)), (uint16_t)k, hx(a->key, H_IID, 0) | 1);
}

/* N lone OPTIONS, as svmap sends them (User-Agent friendly-scanner), each
 * from its own address, one every op->interval_us. */
static void gen_scanners(struct out *o, const struct opts *op)
{
	struct actor a;
	uint64_t n4 = 0;
	memset(&a, 0, sizeof a);
	for (uint64_t i = 0; i < op->messages; i++) {
		a.key = mix64(op->seed ^ (0x400000000ull + i));
		scanner_addr(&a, i);
		n4 += !a.v6;
		a.sport = a.lport = 5060;
		a.ua = 0;    /* friendly-scanner */
		a.user = 100 + (uint32_t)(hx(a.key, H_MISC, 1) % 900);
		set_text(&a, NULL);
		struct txn t;
		txn_init(&t, &a, A_SPOOF, true, 0);
		struct sb b = pkt_payload(o, &a);
		guess_request(&b, &t, false, 0);
		pkt_finish(o, &a, true, (uint64_t)EPOCH_S * 1000000 + i * op->interval_us, b.n);
	}
	fprintf(stderr, "gen_pcap: scanners: %" PRIu64 " OPTIONS from as many sources (%" PRIu64
	        " IPv4, %" PRIu64 " IPv6), one every %" PRIu64 " us\n", op->messages, n4,
	        op->messages - n4, op->interval_us);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: gen_pcap [--mode mixed|spoofed|scanners|services] [--messages N] [--seed S]\n"
	        "                [--phones P] [--guessers G] [--duration SECONDS]\n"
	        "                [--interval US] OUT.pcap\n"
	        "defaults: mixed, 1000000 messages, seed 1, phones = N/20, guessers = N/2000,\n"
	        "          3600 s (mixed and services; spoofed is always 10000 packets/s),\n"
	        "          interval 2000 us (scanners)\n");
	exit(2);
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		die("bad number for %s", what);
	return v;
}

static void parse(int argc, char **argv, struct opts *op)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "messages", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "phones", required_argument, NULL, 'p' },
		{ "guessers", required_argument, NULL, 'g' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*op = (struct opts){ .messages = 1000000, .seed = 1, .duration_s = 3600,
	                     .interval_us = 2000, .phones = -1, .guessers = -1 };
	int c;
	while ((c = getopt_long(argc, argv, "m:n:s:p:g:d:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "mixed"))
				op->mode = M_MIXED;
			else if (!strcmp(optarg, "spoofed"))
				op->mode = M_SPOOFED;
			else if (!strcmp(optarg, "scanners"))
				op->mode = M_SCANNERS;
			else if (!strcmp(optarg, "services"))
				op->mode = M_SERVICES;
			else
				die("unknown mode %s", optarg);
			break;
		case 'n': op->messages = num(optarg, "--messages"); break;
		case 's': op->seed = num(optarg, "--seed"); break;
		case 'p': op->phones = (long)num(optarg, "--phones"); break;
		case 'g': op->guessers = (long)num(optarg, "--guessers"); break;
		case 'd': op->duration_s = num(optarg, "--duration"); break;
		case 'i': op->interval_us = num(optarg, "--interval"); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	op->out = argv[optind];
	if (op->messages == 0 || op->messages > 200000000)
		die("--messages must be 1..200000000%s", NULL);
	if (op->phones > 2000000 || op->guessers > 60000)
		die("too many phones or guessers%s", NULL);
	if (op->duration_s < 10 || op->duration_s > 86400 * 365)
		die("--duration must be 10 s .. 1 year%s", NULL);
	if (op->interval_us > 60000000)
		die("--interval must be 0 .. 60000000 us%s", NULL);
	if (op->mode == M_SCANNERS && op->messages > 250 + 65536ull * 256)
		die("--messages: too many scanners for 2001:db8:ba00::/40%s", NULL);
}

int main(int argc, char **argv)
{
	struct opts op;
	struct budget bu = { 0 };
	parse(argc, argv, &op);
	if (op.mode == M_MIXED)
		plan_budget(&op, &bu);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	size_t tl = strlen(op.out) + 5;
	char *tmp = malloc(tl);
	struct out o = { .buf = malloc(OUTBUF) };
	if (!tmp || !o.buf)
		die("out of memory%s", NULL);
	snprintf(tmp, tl, "%s.tmp", op.out);
	if (!(o.f = fopen(tmp, "wb")))
		die("%s", strerror(errno));
	/* pcap file header: microsecond magic, version 2.4, zone 0, sigfigs 0,
	 * snaplen 262144, LINKTYPE_ETHERNET; in the writer's byte order. */
	const struct { uint32_t magic; uint16_t major, minor; uint32_t zone, sigfigs, snaplen, link; }
		gh = { 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1 };
	memcpy(o.buf, &gh, sizeof gh);
	o.len = sizeof gh;
	if (op.mode == M_SPOOFED)
		gen_spoofed(&o, &op);
	else if (op.mode == M_SCANNERS)
		gen_scanners(&o, &op);
	else if (op.mode == M_SERVICES)
		gen_services(&o, &op);
	else
		gen_mixed(&o, &op, &bu);
	out_flush(&o);
	if (fclose(o.f) != 0)
		die("close: %s", strerror(errno));
	if (rename(tmp, op.out) != 0)
		die("rename: %s", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "gen_pcap: wrote %s: %" PRIu64 " packets, %" PRIu64
	        " bytes (%.1f MB), %.2f s\n", op.out, o.packets, o.bytes,
	        (double)o.bytes / 1e6, secs);
	free(o.buf);
	free(tmp);
	return 0;
}
