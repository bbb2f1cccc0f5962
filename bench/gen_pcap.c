/* gen_pcap: writes a deterministic pcap of synthetic SIP-over-UDP traffic for
 * the replay benchmark (see bench/README.md).
 *
 *   gen_pcap [--mode mixed|spoofed|scanners] [--messages N] [--seed S]
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
       H_RTT, H_THINK, H_JITTER, H_IID, H_MISC };

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
	uint16_t ip_id;
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
                       uint8_t ttl, uint16_t id, size_t udplen)
{
	ip[0] = 0x45;
	ip[1] = 0x68;                     /* DSCP CS3, as phones mark SIP */
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
                       uint8_t hops, size_t udplen)
{
	put16(ip, 0x6680);                /* version 6, traffic class CS3 */
	put16(ip + 2, 0);
	put16(ip + 4, (uint32_t)udplen);
	ip[6] = 17;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

/* Wraps the plen bytes written at pkt_payload() into a pcap record with
 * Ethernet, IPv4/IPv6 and UDP headers (valid checksums). */
static void pkt_finish(struct out *o, const struct actor *a, bool to_server,
                       uint64_t ts_us, size_t plen)
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
		ip6_header(ip, src, dst, to_server ? 52 : 64, udplen);
	else
		ip4_header(ip, src, dst, to_server ? 52 : 64, o->ip_id++, udplen);
	put16(udp, to_server ? a->sport : SIP_PORT);
	put16(udp + 2, to_server ? SIP_PORT : a->sport);
	put16(udp + 4, (uint32_t)udplen);
	put16(udp + 6, 0);
	uint64_t sum = csum_add(csum_add(17 + udplen, src, alen), dst, alen);
	uint16_t c = csum_fold(csum_add(sum, udp, udplen));
	put16(udp + 6, c ? c : 0xffff);
	o->len += 16 + frame;
	o->packets++;
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

/* Registration in the first half of the capture, then a->count keep-alives
 * (every 4th a re-REGISTER, the others OPTIONS) spread over the rest. */
static void plan_phone(struct sched *s, const struct actor *a, uint32_t id, uint64_t dur)
{
	uint64_t t = (uint64_t)(a->start * (double)(dur / 2));
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

enum mode { M_MIXED, M_SPOOFED, M_SCANNERS };

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

static void gen_mixed(struct out *o, const struct opts *op, const struct budget *bu)
{
	uint64_t n = op->messages, dur = op->duration_s * 1000000;
	uint32_t np = bu->phones, ng = bu->guessers;
	uint64_t keep = bu->keep, attempts = bu->attempts;
	struct actor *act = calloc((size_t)np + ng, sizeof *act);
	struct sched s = { .cap = n };
	s.ev = malloc(n * sizeof *s.ev);
	if (!act || !s.ev)
		die("out of memory%s", NULL);
	for (uint32_t i = 0; i < np; i++) {
		init_phone(&act[i], i, np, op->seed);
		act[i].count = (uint32_t)(keep / np + (i < keep % np));
		plan_phone(&s, &act[i], i, dur);
	}
	for (uint32_t g = 0; g < ng; g++) {
		struct actor *a = &act[np + g];
		init_guesser(a, g, ng, op->seed);
		a->count = (uint32_t)(attempts / ng + (g < attempts % ng));
		plan_guesser(&s, a, np + g, dur);
	}
	if (bu->lone)   /* an odd total: one last OPTIONS whose answer is not captured */
		ev_add(&s, dur - 200000, 0, E_P_OPT, act[0].count);
	qsort(s.ev, s.n, sizeof *s.ev, ev_cmp);
	for (size_t i = 0; i < s.n; i++)
		write_event(o, act, &s.ev[i]);
	fprintf(stderr, "gen_pcap: mixed: %u phones (%u IPv6, %u IPv4 behind NAT), "
	        "%u guessers (%u IPv4, %u IPv6), %" PRIu64 " keep-alive and %" PRIu64
	        " guessing transactions over %" PRIu64 " s\n",
	        np, np - np / 2, np / 2, ng, ng / 2 < 254 ? ng / 2 : 254,
	        ng - (ng / 2 < 254 ? ng / 2 : 254), keep, attempts, op->duration_s);
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
	        "usage: gen_pcap [--mode mixed|spoofed|scanners] [--messages N] [--seed S]\n"
	        "                [--phones P] [--guessers G] [--duration SECONDS]\n"
	        "                [--interval US] OUT.pcap\n"
	        "defaults: mixed, 1000000 messages, seed 1, phones = N/20, guessers = N/2000,\n"
	        "          3600 s (mixed; spoofed is always 10000 packets/s),\n"
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
