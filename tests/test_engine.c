/* Tests for the engine: real frames through decode, sip, detect and verdict.
 * Each scenario builds SIP traffic between clients and the protected server
 * (198.51.100.1:5060) and checks the events. */
#include "echo.h"
#include "engine.h"
#include "t.h"

#include <stdarg.h>
#include <stdlib.h>

#define T0 1795766400000000ULL /* 2026-11-27T08:00:00Z in microseconds */
#define SEC 1000000ULL

struct rec_event {
	enum evt_type type;
	enum detector det;
	char ip[IP_STRLEN];
	uint32_t count;
	int64_t duration_s;
	uint64_t ts_us;
	char instance[32];
	char reason[128];
	char users[128];
	char lines[EVD_MAX_LINES * EVD_LINE_LEN]; /* evidence request lines, '|' after each */
	unsigned n_lines;
	uint64_t first_us;
	char json[1024];         /* the event line */
};

static struct rec_event evs[4096];
static unsigned nevs;

static void on_event(void *ctx, const struct event *e)
{
	(void)ctx;
	if (nevs == ARRAY_LEN(evs))
		return;
	struct rec_event *r = &evs[nevs++];
	r->type = e->type;
	r->det = e->det;
	prefix_format(&e->ip, r->ip);
	r->count = e->count;
	r->duration_s = e->duration_s;
	r->ts_us = e->ts_us;
	snprintf(r->instance, sizeof r->instance, "%s", e->instance ? e->instance : "");
	snprintf(r->reason, sizeof r->reason, "%s", e->reason);
	r->users[0] = r->lines[0] = '\0';
	r->n_lines = 0;
	r->first_us = e->ev ? e->ev->first_us : 0;
	evt_json(e, r->json, sizeof r->json);
	if (e->ev) {
		for (unsigned i = 0; i < e->ev->n_users; i++)
			snprintf(r->users + strlen(r->users), sizeof r->users - strlen(r->users), "%s,", e->ev->users[i]);
		for (unsigned i = 0; i < e->ev->n_lines; i++)
			snprintf(r->lines + strlen(r->lines), sizeof r->lines - strlen(r->lines), "%s|", e->ev->lines[i]);
		r->n_lines = e->ev->n_lines;
	}
}

/* Counts recorded events of a type (and detector, ip when given). */
static unsigned count_ev(enum evt_type type, int det, const char *ip)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nevs; i++)
		if (evs[i].type == type && (det < 0 || evs[i].det == (enum detector)det) && (!ip || !strcmp(evs[i].ip, ip)))
			n++;
	return n;
}

static const struct rec_event *find_ev(enum evt_type type, const char *ip)
{
	for (unsigned i = 0; i < nevs; i++)
		if (evs[i].type == type && !strcmp(evs[i].ip, ip))
			return &evs[i];
	return NULL;
}

/* ---- frame building ---- */

static struct engine *eng;
static const char *server = "198.51.100.1";
static unsigned server_port = 5060;
static unsigned client_port = 5062;

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* The source MAC of the frames sent (zeros when NULL). */
static const uint8_t *frame_mac;

/* Sends an Ethernet/IPv4-or-IPv6/UDP frame carrying plen bytes of payload. */
static void send_udp_bin(uint64_t ts, const char *src, unsigned sport, const char *dst, unsigned dport,
                         const void *payload, size_t plen)
{
	static uint8_t f[70000];
	struct ipaddr s, d;
	if (!ip_parse(&s, src) || !ip_parse(&d, dst))
		abort();
	size_t off = 14;
	memset(f, 0, 14);
	if (frame_mac)
		memcpy(f + 6, frame_mac, 6);
	bool v4 = ip_is_v4(&s);
	put16(f + 12, v4 ? 0x0800 : 0x86dd);
	if (v4) {
		uint8_t *ip = f + off;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + 8 + plen));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, s.b + 12, 4);
		memcpy(ip + 16, d.b + 12, 4);
		off += 20;
	} else {
		uint8_t *ip = f + off;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(8 + plen));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, s.b, 16);
		memcpy(ip + 24, d.b, 16);
		off += 40;
	}
	put16(f + off, sport);
	put16(f + off + 2, dport);
	put16(f + off + 4, (unsigned)(8 + plen));
	f[off + 6] = f[off + 7] = 0;
	memcpy(f + off + 8, payload, plen);
	eng_frame(eng, DEC_LINK_EN10MB, f, off + 8 + plen, ts);
}

static void send_udp(uint64_t ts, const char *src, unsigned sport, const char *dst, unsigned dport,
                     const char *payload)
{
	send_udp_bin(ts, src, sport, dst, dport, payload, strlen(payload));
}

struct req {
	const char *method, *user, *ua, *auth_user, *display;
	unsigned seq;
};

/* The nonce credentials carry; NULL: the one the server sends the address. */
static const char *cred_nonce;
/* The digest response credentials carry; NULL: a fixed one. */
static const char *cred_response;
/* The nonce a 401 carries; NULL: the server's for the address. */
static const char *chal_nonce;

static char last_req[4096];

/* The server's address for client ip: a frame has one family, so an IPv6
 * client talks to the server's IPv6 address. */
static const char *server_for(const char *ip)
{
	return strchr(ip, ':') && !strchr(server, ':') ? "2001:db8::1" : server;
}

/* A request from client ip (no answer yet). */
static void pending(uint64_t ts, const char *ip, const struct req *r)
{
	char auth[256] = "", via_host[80], nonce[80];
	bool v6 = strchr(ip, ':') != NULL;
	snprintf(via_host, sizeof via_host, v6 ? "[%s]" : "%s", ip);
	snprintf(nonce, sizeof nonce, "n-%s", ip); /* the server's nonce for this address */
	if (r->auth_user)
		snprintf(auth, sizeof auth,
		         "Authorization: Digest username=\"%s\", realm=\"sipwarden.test\", nonce=\"%s\", "
		         "uri=\"sip:198.51.100.1\", response=\"%s\"\r\n", r->auth_user,
		         cred_nonce ? cred_nonce : nonce, cred_response ? cred_response : "0123456789abcdef0123456789abcdef");
	snprintf(last_req, sizeof last_req,
	         "%s sip:%s@198.51.100.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP %s:5062;branch=z9hG4bK-%s-%u;rport\r\n"
	         "Max-Forwards: 70\r\n"
	         "From: %s%s<sip:%s@198.51.100.1>;tag=t%u\r\n"
	         "To: <sip:%s@198.51.100.1>\r\n"
	         "Call-ID: c%u-%s@%s\r\n"
	         "CSeq: %u %s\r\n"
	         "Contact: <sip:%s@%s:5062>\r\n"
	         "%s%s%s%s"
	         "Content-Length: 0\r\n\r\n",
	         r->method, r->user, via_host, r->user, r->seq,
	         r->display ? r->display : "", r->display ? " " : "", r->user, r->seq,
	         r->user, r->seq, r->user, ip, r->seq, r->method, r->user, via_host,
	         auth, r->ua ? "User-Agent: " : "", r->ua ? r->ua : "", r->ua ? "\r\n" : "");
	send_udp(ts, ip, client_port, server_for(ip), server_port, last_req);
}

/* The server's final response to request r of client ip, sent to address
 * to; 401 carries a challenge (stale=true when stale). */
static void answer_to(uint64_t ts, const char *ip, const char *to, const struct req *r, int status, bool stale)
{
	char via_host[80], nonce[80], chal[160] = "";
	snprintf(via_host, sizeof via_host, strchr(ip, ':') ? "[%s]" : "%s", ip);
	snprintf(nonce, sizeof nonce, "%s%s", chal_nonce ? "" : "n-", chal_nonce ? chal_nonce : ip);
	if (status == 401)
		snprintf(chal, sizeof chal, "WWW-Authenticate: Digest realm=\"sipwarden.test\", nonce=\"%s\"%s\r\n",
		         nonce, stale ? ", stale=true" : "");
	char resp[4096];
	snprintf(resp, sizeof resp,
	         "SIP/2.0 %d Whatever\r\n"
	         "Via: SIP/2.0/UDP %s:5062;branch=z9hG4bK-%s-%u;rport=5062\r\n"
	         "From: <sip:%s@198.51.100.1>;tag=t%u\r\n"
	         "To: <sip:%s@198.51.100.1>;tag=srv\r\n"
	         "Call-ID: c%u-%s@%s\r\n"
	         "CSeq: %u %s\r\n"
	         "%s"
	         "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
	         "Content-Length: 0\r\n\r\n",
	         status, via_host, r->user, r->seq, r->user, r->seq, r->user, r->seq, r->user, ip,
	         r->seq, r->method, chal);
	send_udp(ts, server_for(ip), server_port, to, client_port, resp);
}

static void answer(uint64_t ts, const char *ip, const struct req *r, int status, bool stale)
{
	answer_to(ts, ip, ip, r, status, stale);
}

/* A request from client ip and, unless status is 0, its final response. */
static void txn(uint64_t ts, const char *ip, const struct req *r, int status, bool stale)
{
	pending(ts, ip, r);
	if (status)
		answer(ts + 1000, ip, r, status, stale);
}

/* A phone: challenge (401), then authenticated REGISTER (200). */
static void phone_register(uint64_t ts, const char *ip, const char *user, unsigned seq)
{
	struct req r = { "REGISTER", user, "Yealink SIP-T46S 66.85.0.5", NULL, NULL, seq };
	txn(ts, ip, &r, 401, false);
	r.auth_user = user;
	r.seq = seq + 1;
	txn(ts + 20000, ip, &r, 200, false);
}

/* A wrong password, over the nonce of a first challenge (as a guessing
 * tool that reads the server's answers does). */
static void guess(uint64_t ts, const char *ip, const char *user, unsigned seq, int status)
{
	struct req c = { "REGISTER", user, "pbx-client/1.0", NULL, NULL, seq + 100000 };
	txn(ts - 500, ip, &c, 401, false);
	struct req r = { "REGISTER", user, "pbx-client/1.0", user, NULL, seq };
	txn(ts, ip, &r, status, false);
}

static struct config *cfg;

static void setup(const char *conf_text)
{
	if (eng)
		eng_free(eng);
	cfg_free(cfg);
	if (conf_text) {
		char path[] = "/tmp/sipwarden-test-engine.XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, conf_text, strlen(conf_text)) < 0)
			abort();
		close(fd);
		cfg = cfg_load(path, stderr);
		unlink(path);
	} else {
		cfg = cfg_defaults();
	}
	if (!cfg)
		abort();
	nevs = 0;
	eng = eng_new(cfg, on_event, NULL);
	if (!eng)
		abort();
	eng_start(eng, T0);
}

/* ---- scenarios ---- */

static void test_phone_and_guesser(void)
{
	setup(NULL);
	for (unsigned i = 0; i < 30; i++)
		phone_register(T0 + i * 60 * SEC, "198.51.100.10", "1003", 100 + 2 * i);
	/* a phone that mistypes its password twice, then gets it right */
	guess(T0 + 5 * SEC, "198.51.100.11", "1004", 1, 403);
	guess(T0 + 6 * SEC, "198.51.100.11", "1004", 2, 403);
	phone_register(T0 + 7 * SEC, "198.51.100.11", "1004", 3);
	/* a guesser: 12 wrong passwords in 12 s, each after a first challenge */
	for (unsigned i = 0; i < 12; i++) {
		struct req plain = { "REGISTER", "1001", "pbx-client/1.0", NULL, NULL, 200 + i };
		txn(T0 + 100 * SEC + i * SEC - 100000, "198.51.100.66", &plain, 401, false);
		guess(T0 + 100 * SEC + i * SEC, "198.51.100.66", "1001", 10 + i, 403);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.11") == 0);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "198.51.100.66") == 1);
	const struct rec_event *b = find_ev(EVT_BLOCK, "198.51.100.66");
	CHECK(b && b->count == 10 && b->duration_s == 3600 && !strcmp(b->instance, "default"));
	CHECK(b && b->ts_us == T0 + 109 * SEC + 1000); /* the 10th failure's response */
	CHECK(b && strstr(b->users, "1001,"));
	/* evidence: the last 5 counted failures as request lines, oldest first,
	 * and when the first failure was seen */
	CHECK(b && b->n_lines == EVD_MAX_LINES && strstr(b->lines, "REGISTER sip:") && strstr(b->lines, " -> 403|"));
	CHECK(b && !strstr(b->lines, "-> 401"));
	CHECK(b && b->first_us == T0 + 100 * SEC + 1000);
	CHECK(nevs == 1);
	/* a guesser sending from port 5060 to 5060: responses still go to it */
	client_port = 5060;
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + 200 * SEC + i * SEC, "2001:db8:bad::5060", "1001", 50 + i, 403);
	client_port = 5062;
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "2001:db8:bad::5060") == 1);
}

static void test_challenges(void)
{
	setup(NULL);
	/* 401 to credential-less REGISTERs never counts */
	for (unsigned i = 0; i < 20; i++) {
		struct req r = { "REGISTER", "1003", "Linphone/5.0", NULL, NULL, i };
		txn(T0 + i * SEC, "198.51.100.12", &r, 401, false);
	}
	/* 401 stale=true with credentials never counts */
	for (unsigned i = 0; i < 20; i++) {
		struct req r = { "REGISTER", "1003", "Linphone/5.0", "1003", NULL, 100 + i };
		txn(T0 + i * SEC, "198.51.100.13", &r, 401, true);
	}
	/* 401 / 407 to REGISTERs with credentials count */
	for (unsigned i = 0; i < 10; i++) {
		struct req r = { "REGISTER", "1003", "Linphone/5.0", "1003", NULL, 200 + i };
		txn(T0 + i * SEC, "198.51.100.14", &r, i % 2 ? 401 : 407, false);
	}
	/* responses without a seen request are not charged to anyone */
	for (unsigned i = 0; i < 20; i++)
		send_udp(T0 + 30 * SEC + i, server, 5060, "198.51.100.15", 5062,
		         "SIP/2.0 403 Forbidden\r\nVia: SIP/2.0/UDP 198.51.100.15;branch=z9hG4bKx\r\n"
		         "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: nope\r\nCSeq: 1 REGISTER\r\n"
		         "Content-Length: 0\r\n\r\n");
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.12") == 0);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.13") == 0);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "198.51.100.14") == 1);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.15") == 0);
}

static void test_nat_tolerance(void)
{
	setup(NULL);
	phone_register(T0, "203.0.113.20", "1003", 1);
	/* 25 failures in a minute from the office NAT: tolerated (limit 30) */
	for (unsigned i = 0; i < 25; i++)
		guess(T0 + 10 * SEC + i * SEC, "203.0.113.20", "1005", 10 + i, 403);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.20") == 0);
	/* 30 within the window: blocked */
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + 40 * SEC + i * 100000, "203.0.113.20", "1005", 100 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.20") == 1);
	/* more than an hour after the success, the normal threshold applies */
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + 3700 * SEC + i * SEC, "203.0.113.21", "1005", 300 + i, 403);
	phone_register(T0 + 3800 * SEC, "203.0.113.22", "1003", 1);
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + 7500 * SEC + i * SEC, "203.0.113.22", "1005", 400 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.21") == 1);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.22") == 1);
}

static void test_scanner_enumeration_invite(void)
{
	setup(NULL);
	struct req r = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	txn(T0, "203.0.113.66", &r, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.66") == 1);
	/* the From display name counts too; case does not matter */
	struct req r2 = { "INVITE", "100", NULL, NULL, "\"SIPVicious\"", 1 };
	txn(T0, "203.0.113.67", &r2, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.67") == 1);
	/* blocked once only */
	txn(T0 + SEC, "203.0.113.66", &r, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.66") == 1);
	/* a scanner that pads its User-Agent before its name is still found */
	static char padded[1200];
	size_t np = (size_t)snprintf(padded, sizeof padded, "Mozilla/5.0 ");
	while (np < 1000)
		padded[np++] = 'x';
	snprintf(padded + np, sizeof padded - np, " friendly-scanner");
	struct req rp = { "OPTIONS", "100", padded, NULL, NULL, 1 };
	txn(T0, "203.0.113.65", &rp, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.65") == 1);

	/* enumeration: OPTIONS to 25 distinct users answered 404 */
	for (unsigned i = 0; i < 25; i++) {
		char user[16];
		snprintf(user, sizeof user, "%u", 2000 + i);
		struct req e = { "OPTIONS", user, "probe/1.0", NULL, NULL, i };
		txn(T0 + i * SEC, "203.0.113.68", &e, 404, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_ENUMERATION, "203.0.113.68") == 1);
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.68");
	CHECK(b && b->count == 20);

	/* 60 phones of one office registering at once (challenges): no enumeration */
	for (unsigned i = 0; i < 60; i++) {
		char user[16];
		snprintf(user, sizeof user, "%u", 3000 + i);
		phone_register(T0 + i * 100000, "203.0.113.71", user, 2 * i);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.71") == 0);

	/* bad_invite: authenticated INVITEs answered 403 */
	for (unsigned i = 0; i < 10; i++) {
		struct req v = { "INVITE", "0044123456", "tollbot", "1001", NULL, i };
		txn(T0 + i * SEC, "203.0.113.69", &v, 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_BAD_INVITE, "203.0.113.69") == 1);
	/* 484 and 404 to INVITE count too */
	for (unsigned i = 0; i < 10; i++) {
		struct req v = { "INVITE", "0099", "tollbot", NULL, NULL, i };
		txn(T0 + i * SEC, "203.0.113.70", &v, i % 2 ? 484 : 404, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_BAD_INVITE, "203.0.113.70") == 1);
}

static void test_flood_and_anomalies(void)
{
	setup(NULL);
	for (unsigned i = 0; i < 250; i++) {
		struct req r = { "OPTIONS", "100", "ok/1.0", NULL, NULL, i };
		txn(T0 + i * 10000, "203.0.113.80", &r, 200, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_FLOOD, "203.0.113.80") == 1);
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.80");
	CHECK(b && b->count == 200);
	/* 199 requests per 10 s is not a flood */
	for (unsigned i = 0; i < 199; i++) {
		struct req r = { "OPTIONS", "100", "ok/1.0", NULL, NULL, i };
		txn(T0 + 20 * SEC + i * 50000, "203.0.113.81", &r, 200, false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.81") == 0);

	/* malformed messages: anomaly lines (at most 10 a minute) and a block at 5 */
	for (unsigned i = 0; i < 50; i++)
		send_udp(T0 + i * 100000, "203.0.113.82", 5062, server, 5060,
		         "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n"
		         "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		         "Content-Length: 0\r\n\r\n"); /* no Via */
	CHECK(count_ev(EVT_ANOMALY, DET_ANOMALY, "203.0.113.82") == 10);
	CHECK(count_ev(EVT_BLOCK, DET_ANOMALY, "203.0.113.82") == 1);
	/* not SIP at all counts as malformed; keep-alives do not */
	for (unsigned i = 0; i < 3; i++) {
		send_udp(T0 + i, "203.0.113.83", 5062, server, 5060, "\r\n\r\n");
		send_udp(T0 + i, "203.0.113.83", 5062, server, 5060, "hello world this is not sip");
	}
	CHECK(count_ev(EVT_ANOMALY, DET_ANOMALY, "203.0.113.83") == 3);
	struct eng_stats st;
	eng_stats_get(eng, &st);
	CHECK(st.keepalives == 3 && st.not_sip == 3);
	CHECK(st.anomaly_reasons[SIP_A_MISSING_VIA] == 50);
}

static void test_lists_and_threshold(void)
{
	setup("[general]\nblock_time = 60s\nblock_threshold = 2\n"
	      "[lists]\nwhitelist = 198.51.100.10\nblacklist = 203.0.113.0/28, 2001:db8:666::1\n");
	CHECK(count_ev(EVT_BLOCK, DET_BLACKLIST, "203.0.113.0/28") == 1);
	CHECK(count_ev(EVT_BLOCK, DET_BLACKLIST, "2001:db8:666::1") == 1);
	const struct rec_event *bl = find_ev(EVT_BLOCK, "203.0.113.0/28");
	CHECK(bl && bl->duration_s == 0 && bl->ts_us == T0);
	/* a blacklisted address attacking makes no new event */
	struct req s = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	txn(T0 + SEC, "203.0.113.5", &s, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.5") == 0);
	/* the whitelisted address gets one alert per minute, never a block */
	for (unsigned i = 0; i < 30; i++)
		txn(T0 + i * SEC, "198.51.100.10", &s, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	CHECK(count_ev(EVT_ALERT, DET_SCANNER, "198.51.100.10") == 1);
	/* block, unblock after 60 s, block, unblock, then the third is permanent */
	uint64_t t = T0 + 100 * SEC;
	for (unsigned round = 0; round < 3; round++) {
		txn(t, "198.51.100.66", &s, 0, false);
		t += 61 * SEC;
		txn(t, "198.51.100.99", &(struct req){ "OPTIONS", "1", "x", NULL, NULL, round }, 200, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "198.51.100.66") == 3);
	CHECK(count_ev(EVT_UNBLOCK, DET_SCANNER, "198.51.100.66") == 2);
	unsigned permanent = 0, timed = 0;
	for (unsigned i = 0; i < nevs; i++)
		if (evs[i].type == EVT_BLOCK && !strcmp(evs[i].ip, "198.51.100.66"))
			evs[i].duration_s == 0 ? permanent++ : timed++;
	CHECK(permanent == 1 && timed == 2);
	const struct rec_event *u = find_ev(EVT_UNBLOCK, "198.51.100.66");
	CHECK(u && u->ts_us == T0 + 160 * SEC + 1000 - 1000); /* exactly at block end */
}

static void test_spoofed_flood(void)
{
	setup("[general]\nmax_tracked = 1024\nblock_time = 10m\n");
	for (unsigned i = 0; i < 5; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.100.%u", 200 + i);
		struct req s = { "OPTIONS", "100", "sipcli/1.0", NULL, NULL, i };
		txn(T0, ip, &s, 0, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, NULL) == 5);
	/* 100,000 spoofed sources, one request each */
	for (unsigned i = 0; i < 100000; i++) {
		char ip[64];
		snprintf(ip, sizeof ip, "2001:db8:ffff::%x:%x", i >> 16, i & 0xffff);
		send_udp(T0 + SEC + i, ip, 5062, server, 5060,
		         "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		         "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
		         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	}
	struct eng_stats st;
	eng_stats_get(eng, &st);
	CHECK(st.det.tracked <= 1024 && st.det.evicted > 90000);
	/* the blocked ones stay blocked (no second block) and are unblocked on time */
	struct req s = { "OPTIONS", "100", "sipcli/1.0", NULL, NULL, 99 };
	txn(T0 + 200 * SEC, "198.51.100.200", &s, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.200") == 1);
	txn(T0 + 601 * SEC, "198.51.100.9", &(struct req){ "OPTIONS", "1", "x", NULL, NULL, 1 }, 200, false);
	CHECK(count_ev(EVT_UNBLOCK, DET_SCANNER, NULL) == 5);
}

static void test_ipv6_and_instances(void)
{
	setup("[instance pbx1]\naddress = 198.51.100.1\n"
	      "[instance pbx2]\naddress = 2001:db8::1\nsip_ports = 5070\nbad_registrations = 3/1m\n");
	server = "2001:db8::1";
	/* pbx2 listens on 5070 only: traffic to its port 5060 is not its concern */
	for (unsigned i = 0; i < 4; i++)
		guess(T0 + i * SEC, "2001:db8:bad::66", "1001", i, 403);
	CHECK(count_ev(EVT_BLOCK, -1, "2001:db8:bad::66") == 0);
	server_port = 5070;
	for (unsigned i = 0; i < 3; i++)
		guess(T0 + 10 * SEC + i * SEC, "2001:db8:bad::66", "1001", 10 + i, 403);
	const struct rec_event *b6 = find_ev(EVT_BLOCK, "2001:db8:bad::66");
	CHECK(b6 && b6->det == DET_BAD_REGISTRATION && b6->count == 3 && !strcmp(b6->instance, "pbx2"));
	server_port = 5060;
	server = "198.51.100.1";
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + i * SEC, "198.51.100.67", "1001", i, 403);
	const struct rec_event *b = find_ev(EVT_BLOCK, "198.51.100.67");
	CHECK(b && !strcmp(b->instance, "pbx1") && b->count == 10);
}


/* Ten failed registrations over the address's own nonce: a block on
 * verified evidence. */
static void guesser(uint64_t t, const char *ip)
{
	for (unsigned i = 0; i < 10; i++)
		guess(t + i * 100000, ip, "1001", 900 + i, 403);
}

static void test_aggregation(void)
{
	setup("[general]\naggregate_after = 5\n[lists]\nwhitelist = 203.0.113.10, 2001:db8:5::10\n");
	for (unsigned i = 0; i < 4; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.100.%u", 50 + i);
		guesser(T0 + i * SEC, ip);
	}
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, NULL) == 0);
	guesser(T0 + 5 * SEC, "198.51.100.54");
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, "198.51.100.0/24") == 1);
	const struct rec_event *a = find_ev(EVT_BLOCK, "198.51.100.0/24");
	CHECK(a && a->count == 5 && a->duration_s == 3600);
	CHECK(nevs == 6 && evs[4].det == DET_BAD_REGISTRATION && evs[5].det == DET_AGGREGATE); /* host first */
	CHECK(a && strstr(a->json, "\"members\":[\"198.51.100.50\",\"198.51.100.51\",\"198.51.100.52\","
	                      "\"198.51.100.53\",\"198.51.100.54\"]") && !strstr(a->json, "exceptions"));
	/* a host inside the blocked prefix gets no block of its own */
	struct vrd_stats vs;
	guesser(T0 + 10 * SEC, "198.51.100.77");
	vrd_stats_get(eng_verdict(eng), &vs);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.77") == 0 && vs.inside_prefix == 1);
	/* a whitelisted address inside: one block of the whole prefix, the
	 * address named as an exception (the firewall lets it through) */
	for (unsigned i = 0; i < 5; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "203.0.113.%u", 100 + i);
		guesser(T0 + i * SEC, ip);
	}
	a = find_ev(EVT_BLOCK, "203.0.113.0/24");
	CHECK(a && a->det == DET_AGGREGATE && a->count == 5);
	CHECK(a && strstr(a->json, "\"members\":[\"203.0.113.100\",\"203.0.113.101\",\"203.0.113.102\","
	                           "\"203.0.113.103\",\"203.0.113.104\"],\"exceptions\":[\"203.0.113.10\"]"));
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, NULL) == 2);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.10") == 0);
	/* IPv6: /64, with a whitelisted address inside too */
	for (unsigned i = 0; i < 5; i++) {
		char ip[64];
		snprintf(ip, sizeof ip, "2001:db8:5::%x", 0x100 + i);
		guesser(T0 + i * SEC, ip);
	}
	a = find_ev(EVT_BLOCK, "2001:db8:5::/64");
	CHECK(a && a->det == DET_AGGREGATE && strstr(a->json, "\"members\":[\"2001:db8:5::100\",") &&
	      strstr(a->json, "\"exceptions\":[\"2001:db8:5::10\"]"));
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, NULL) == 3);
	/* once the prefix block is gone, a host inside is blocked again */
	struct ipprefix p24;
	CHECK(prefix_parse(&p24, "198.51.100.0/24"));
	CHECK(vrd_unblock(eng_verdict(eng), &p24, "by hand", T0 + 20 * SEC) == 6);
	/* (after the transactions of its first round are gone: the same requests
	 * within 64 s are retransmissions, counted once) */
	guesser(T0 + 100 * SEC, "198.51.100.77");
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "198.51.100.77") == 1);
	/* five blocks on forgeable evidence (scanner packets) do not take the prefix */
	struct req sc = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	for (unsigned i = 0; i < 5; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.18.0.%u", 20 + i);
		txn(T0 + i * SEC, ip, &sc, 0, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, NULL) == 5 && count_ev(EVT_BLOCK, DET_AGGREGATE, "198.18.0.0/24") == 0);
	/* never a prefix holding the protected server (found by fuzz_engine:
	 * the /24 of two blocked neighbours took the server's own address) */
	setup("[general]\naggregate_after = 5\n[instance pbx]\naddress = 198.51.100.1\n");
	for (unsigned i = 0; i < 6; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.100.%u", 50 + i);
		guesser(T0 + i * SEC, ip);
	}
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, NULL) == 6 && count_ev(EVT_BLOCK, DET_AGGREGATE, NULL) == 0);
	for (unsigned i = 0; i < 5; i++) { /* the neighbouring /24 still aggregates */
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.101.%u", 50 + i);
		guesser(T0 + i * SEC, ip);
	}
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, "198.51.101.0/24") == 1);
	/* aggregation off */
	setup("[general]\naggregate_after = 0\n");
	for (unsigned i = 0; i < 8; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.100.%u", 50 + i);
		guesser(T0 + i * SEC, ip);
	}
	CHECK(count_ev(EVT_BLOCK, DET_AGGREGATE, NULL) == 0);
}

static void test_spoof_resistance(void)
{
	setup(NULL);
	phone_register(T0, "198.51.100.10", "1003", 1);
	/* a forged scanner packet with the phone's address: alert, not block */
	struct req s = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 7 };
	txn(T0 + 10 * SEC, "198.51.100.10", &s, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	CHECK(count_ev(EVT_ALERT, DET_SCANNER, "198.51.100.10") == 1);
	/* a forged flood too */
	for (unsigned i = 0; i < 250; i++) {
		struct req f = { "OPTIONS", "100", "ok/1.0", NULL, NULL, 100 + i };
		txn(T0 + 20 * SEC + i * 1000, "198.51.100.10", &f, 0, false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	/* evidence that needs the server's answers still counts (with NAT tolerance) */
	for (unsigned i = 0; i < 30; i++)
		guess(T0 + 40 * SEC + i * 100000, "198.51.100.10", "1005", 500 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "198.51.100.10") == 1);
	/* an hour later the proof has expired */
	txn(T0 + 3700 * SEC, "198.51.100.12", &s, 0, false);
	phone_register(T0 + 100 * SEC, "198.51.100.13", "1004", 1);
	txn(T0 + 3800 * SEC, "198.51.100.13", &s, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "198.51.100.13") == 1);
}

static void test_toll_fraud_and_distributed(void)
{
	setup("[sip]\nblocked_destinations = 00*, +*, 011*\n");
	/* a call to a blocked destination from an address that never authenticated */
	struct req v = { "INVITE", "0044201234567", "pbx/1.0", NULL, NULL, 1 };
	txn(T0, "203.0.113.90", &v, 407, false);
	CHECK(count_ev(EVT_BLOCK, DET_TOLL_FRAUD, "203.0.113.90") == 1);
	/* the same call from an authenticated phone is its own business */
	phone_register(T0, "198.51.100.10", "1003", 1);
	struct req ok = { "INVITE", "0044201234567", "Yealink", "1003", NULL, 9 };
	txn(T0 + SEC, "198.51.100.10", &ok, 200, false);
	txn(T0 + 2 * SEC, "198.51.100.10", &v, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	/* not a blocked destination */
	struct req local = { "INVITE", "1002", "pbx/1.0", NULL, NULL, 1 };
	txn(T0, "203.0.113.91", &local, 0, false);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.91") == 0);
	/* an INVITE sweep: 10 distinct destinations answered 404 */
	for (unsigned i = 0; i < 10; i++) {
		char dest[16];
		snprintf(dest, sizeof dest, "9%05u", i);
		struct req w = { "INVITE", dest, "sweeper", NULL, NULL, i };
		txn(T0 + i * SEC, "203.0.113.92", &w, i < 5 ? 404 : 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.92") == 1);
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.92");
	CHECK(b && (b->det == DET_TOLL_FRAUD || b->det == DET_BAD_INVITE));

	/* distributed guessing: user 1001 fails from 25 addresses, 2 tries each */
	setup(NULL);
	for (unsigned i = 0; i < 25; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "203.0.113.%u", 20 + i);
		guess(T0 + i * 10 * SEC, ip, "1001", 2 * i, 403);
		guess(T0 + i * 10 * SEC + SEC, ip, "1001", 2 * i + 1, 403);
	}
	CHECK(count_ev(EVT_ALERT, DET_DISTRIBUTED_GUESSING, NULL) == 1);
	const struct rec_event *a = NULL;
	for (unsigned i = 0; i < nevs; i++)
		if (evs[i].type == EVT_ALERT && evs[i].det == DET_DISTRIBUTED_GUESSING)
			a = &evs[i];
	CHECK(a && a->count == 20 && !strcmp(a->ip, "203.0.113.39") && strstr(a->users, "1001,"));
	CHECK(count_ev(EVT_BLOCK, -1, NULL) == 0);
	/* for an hour, half the threshold on that username: 5 failures block */
	for (unsigned i = 0; i < 5; i++)
		guess(T0 + 300 * SEC + i * SEC, "203.0.113.200", "1001", 100 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.200") == 1);
	/* another username keeps the full threshold */
	for (unsigned i = 0; i < 5; i++)
		guess(T0 + 300 * SEC + i * SEC, "203.0.113.201", "1002", 200 + i, 403);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.201") == 0);
}

/* ---- TFTP and DNS ---- */

static size_t tftp_rq(uint8_t *b, int op, const char *file)
{
	size_t n = 0;
	b[n++] = 0;
	b[n++] = (uint8_t)op;
	memcpy(b + n, file, strlen(file) + 1);
	n += strlen(file) + 1;
	memcpy(b + n, "octet", 6);
	return n + 6;
}

static void test_tftp(void)
{
	setup(NULL);
	uint8_t b[600];
	/* a sweep of MAC-named files, each answered "file not found" */
	for (unsigned i = 0; i < 12; i++) {
		char file[64];
		snprintf(file, sizeof file, "SEP0011223344%02X.cnf.xml", i);
		send_udp_bin(T0 + i * SEC, "203.0.113.50", 40000 + i, server, 69, b, tftp_rq(b, 1, file));
		uint8_t err[] = { 0, 5, 0, 1, 'F', 'i', 'l', 'e', ' ', 'n', 'o', 't', ' ', 'f', 'o', 'u', 'n', 'd', 0 };
		send_udp_bin(T0 + i * SEC + 1000, server, 50000 + i, "203.0.113.50", 40000 + i, err, sizeof err);
	}
	CHECK(count_ev(EVT_BLOCK, DET_TFTP_BRUTEFORCE, "203.0.113.50") == 1);
	const struct rec_event *t = find_ev(EVT_BLOCK, "203.0.113.50");
	CHECK(t && t->count == 10);
	/* a phone fetching its two files (DATA answers): fine */
	const char *files[] = { "SEP001122334455.cnf.xml", "SEPDefault.cnf.xml" };
	for (unsigned i = 0; i < 2; i++) {
		send_udp_bin(T0 + i * SEC, "198.51.100.10", 41000 + i, server, 69, b, tftp_rq(b, 1, files[i]));
		uint8_t data[] = { 0, 3, 0, 1, '<', 'x', '>' };
		send_udp_bin(T0 + i * SEC + 1000, server, 51000 + i, "198.51.100.10", 41000 + i, data, sizeof data);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	/* 20 distinct files without answers */
	for (unsigned i = 0; i < 20; i++) {
		char file[64];
		snprintf(file, sizeof file, "0004f2%06x-phone.cfg", i);
		send_udp_bin(T0 + i * SEC, "203.0.113.51", 42000 + i, server, 69, b, tftp_rq(b, 1, file));
	}
	CHECK(count_ev(EVT_BLOCK, DET_TFTP_BRUTEFORCE, "203.0.113.51") == 1);
	/* an upload */
	send_udp_bin(T0, "203.0.113.52", 43000, server, 69, b, tftp_rq(b, 2, "evil.cfg"));
	CHECK(count_ev(EVT_BLOCK, DET_TFTP_BRUTEFORCE, "203.0.113.52") == 1);
	/* malformed: an unknown opcode is an anomaly line */
	uint8_t junk[] = { 0, 9, 'x', 0 };
	send_udp_bin(T0, "203.0.113.53", 43001, server, 69, junk, sizeof junk);
	CHECK(count_ev(EVT_ANOMALY, DET_ANOMALY, "203.0.113.53") == 1);
}

static size_t dns_q(uint8_t *b, uint16_t id, const char *name, uint16_t qtype, uint16_t qclass, bool qr, int rcode)
{
	size_t n = 12;
	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = qr ? 0x81 : 0x01;
	b[3] = (uint8_t)(qr ? 0x80 | rcode : 0);
	b[5] = 1;
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		b[n++] = (uint8_t)l;
		memcpy(b + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = (uint8_t)(qtype >> 8);
	b[n++] = (uint8_t)qtype;
	b[n++] = (uint8_t)(qclass >> 8);
	b[n++] = (uint8_t)qclass;
	return n;
}

static void test_dns(void)
{
	setup(NULL);
	uint8_t b[512];
	for (unsigned i = 0; i < 12; i++)
		send_udp_bin(T0 + i * SEC, "203.0.113.60", 30000 + i, server, 53, b, dns_q(b, (uint16_t)i, "example.com", 255, 1, false, 0));
	CHECK(count_ev(EVT_BLOCK, DET_DNS_ABUSE, "203.0.113.60") == 1);
	send_udp_bin(T0, "203.0.113.61", 30000, server, 53, b, dns_q(b, 1, "version.bind", 16, 3, false, 0));
	CHECK(count_ev(EVT_BLOCK, DET_DNS_ABUSE, "203.0.113.61") == 1);
	send_udp_bin(T0, "203.0.113.62", 30000, server, 53, b, dns_q(b, 1, "pbx.example", 252, 1, false, 0));
	CHECK(count_ev(EVT_BLOCK, DET_DNS_ABUSE, "203.0.113.62") == 1);
	/* ordinary look-ups, answered */
	for (unsigned i = 0; i < 50; i++) {
		send_udp_bin(T0 + i * SEC, "198.51.100.10", 30000 + i, server, 53, b, dns_q(b, (uint16_t)i, "sip.example.com", 1, 1, false, 0));
		send_udp_bin(T0 + i * SEC + 500, server, 53, "198.51.100.10", 30000 + i, b, dns_q(b, (uint16_t)i, "sip.example.com", 1, 1, true, 0));
	}
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.10") == 0);
	/* 50 REFUSED answers */
	for (unsigned i = 0; i < 50; i++) {
		send_udp_bin(T0 + i * 100000, "203.0.113.63", 30000 + i, server, 53, b, dns_q(b, (uint16_t)i, "x.example", 1, 1, false, 0));
		send_udp_bin(T0 + i * 100000 + 500, server, 53, "203.0.113.63", 30000 + i, b, dns_q(b, (uint16_t)i, "x.example", 1, 1, true, 5));
	}
	CHECK(count_ev(EVT_BLOCK, DET_DNS_ABUSE, "203.0.113.63") == 1);
	/* a query flood: 100 in 10 s */
	for (unsigned i = 0; i < 100; i++)
		send_udp_bin(T0 + i * 50000, "203.0.113.64", 30000, server, 53, b, dns_q(b, (uint16_t)i, "a.example", 1, 1, false, 0));
	CHECK(count_ev(EVT_BLOCK, DET_DNS_ABUSE, "203.0.113.64") == 1);
	/* malformed: a compression pointer loop */
	uint8_t loop[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	send_udp_bin(T0, "203.0.113.65", 30000, server, 53, loop, sizeof loop);
	CHECK(count_ev(EVT_ANOMALY, DET_ANOMALY, "203.0.113.65") == 1);
	/* disabled */
	setup("[dns]\nenabled = no\n[tftp]\nenabled = no\n");
	send_udp_bin(T0, "203.0.113.61", 30000, server, 53, b, dns_q(b, 1, "version.bind", 16, 3, false, 0));
	send_udp_bin(T0, "203.0.113.52", 43000, server, 69, b, tftp_rq(b, 2, "evil.cfg"));
	CHECK(nevs == 0);
}

/* ---- every counting rule fires at exactly its count ---- */

/* One event of a rule from ip (the i-th; distinct where the rule counts
 * distinct things), at ts. */
typedef void (*one_fn)(unsigned i, uint64_t ts, const char *ip);

static void one_badreg(unsigned i, uint64_t ts, const char *ip) { guess(ts, ip, "1001", 10 + i, 403); }
static void one_badinv(unsigned i, uint64_t ts, const char *ip)
{
	struct req v = { "INVITE", "0044123456", "Zoiper rv2.10.19.6", "1001", NULL, i };
	txn(ts, ip, &v, 403, false);
}
static void one_sweep(unsigned i, uint64_t ts, const char *ip)
{
	char dest[16];
	snprintf(dest, sizeof dest, "9%05u", i);
	struct req w = { "INVITE", dest, "MicroSIP/3.21.3", NULL, NULL, i };
	txn(ts, ip, &w, 404, false);
}
static void one_enum(unsigned i, uint64_t ts, const char *ip)
{
	char user[16];
	snprintf(user, sizeof user, "%u", 2000 + i);
	struct req e = { "OPTIONS", user, "Linphone/5.2", NULL, NULL, i };
	txn(ts, ip, &e, 404, false);
}
static void one_flood(unsigned i, uint64_t ts, const char *ip)
{
	struct req r = { "OPTIONS", "100", "Asterisk PBX 20.5.0", NULL, NULL, i };
	txn(ts, ip, &r, 200, false);
}
static void one_anomaly(unsigned i, uint64_t ts, const char *ip)
{
	(void)i;
	send_udp(ts, ip, 5062, server, 5060,
	         "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
	         "Call-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
}
static void one_tftp_bad(unsigned i, uint64_t ts, const char *ip)
{
	uint8_t b[128], err[] = { 0, 5, 0, 1, 'n', 'o', 0 };
	send_udp_bin(ts, ip, 40000 + i, server, 69, b, tftp_rq(b, 1, "SEP001122334455.cnf.xml"));
	send_udp_bin(ts + 1000, server, 50000 + i, ip, 40000 + i, err, sizeof err);
}
static void one_tftp_files(unsigned i, uint64_t ts, const char *ip)
{
	uint8_t b[128];
	char file[64];
	snprintf(file, sizeof file, "0004f2%06x-phone.cfg", i);
	send_udp_bin(ts, ip, 42000 + i, server, 69, b, tftp_rq(b, 1, file));
}
static void one_dns_any(unsigned i, uint64_t ts, const char *ip)
{
	uint8_t b[512];
	send_udp_bin(ts, ip, 30000 + i, server, 53, b, dns_q(b, (uint16_t)i, "example.com", 255, 1, false, 0));
}
static void one_dns_query(unsigned i, uint64_t ts, const char *ip)
{
	uint8_t b[512];
	send_udp_bin(ts, ip, 30000, server, 53, b, dns_q(b, (uint16_t)i, "a.example", 1, 1, false, 0));
}
static void one_dns_refused(unsigned i, uint64_t ts, const char *ip)
{
	uint8_t b[512];
	send_udp_bin(ts, ip, 30000 + i, server, 53, b, dns_q(b, (uint16_t)i, "x.example", 1, 1, false, 0));
	send_udp_bin(ts + 500, server, 53, ip, 30000 + i, b, dns_q(b, (uint16_t)i, "x.example", 1, 1, true, 5));
}
/* distributed guessing: the i-th address fails once on 1001 */
static void one_distributed(unsigned i, uint64_t ts, const char *ip)
{
	(void)ip;
	char a[32];
	snprintf(a, sizeof a, "203.0.113.%u", 100 + i);
	guess(ts, a, "1001", i, 403);
}

struct exact_rule {
	const char *name, *conf;
	enum detector det;
	enum evt_type type;
	one_fn one;
	uint32_t count, window_s; /* the defaults (config.c), and so the rule's figures */
	bool distinct;            /* counts distinct things: a set, not a sliding window */
};

static const struct exact_rule exact_rules[] = {
	{ "bad_registrations", NULL, DET_BAD_REGISTRATION, EVT_BLOCK, one_badreg, 10, 60, false },
	{ "bad_invites", NULL, DET_BAD_INVITE, EVT_BLOCK, one_badinv, 10, 60, false },
	{ "invite_sweep", "[sip]\nbad_invites = 0\n", DET_TOLL_FRAUD, EVT_BLOCK, one_sweep, 10, 60, true },
	{ "enumeration", NULL, DET_ENUMERATION, EVT_BLOCK, one_enum, 20, 60, true },
	{ "flood", NULL, DET_FLOOD, EVT_BLOCK, one_flood, 200, 10, false },
	{ "anomalies", NULL, DET_ANOMALY, EVT_BLOCK, one_anomaly, 5, 60, false },
	{ "tftp bad_requests", NULL, DET_TFTP_BRUTEFORCE, EVT_BLOCK, one_tftp_bad, 10, 60, false },
	{ "tftp distinct_files", NULL, DET_TFTP_BRUTEFORCE, EVT_BLOCK, one_tftp_files, 20, 600, true },
	{ "dns any_queries", NULL, DET_DNS_ABUSE, EVT_BLOCK, one_dns_any, 10, 60, false },
	{ "dns queries", NULL, DET_DNS_ABUSE, EVT_BLOCK, one_dns_query, 100, 10, false },
	{ "dns refused", NULL, DET_DNS_ABUSE, EVT_BLOCK, one_dns_refused, 50, 60, false },
	{ "distributed_guessing", NULL, DET_DISTRIBUTED_GUESSING, EVT_ALERT, one_distributed, 20, 600, true },
};

/* The events of rule r whatever the address (distributed guessing names
 * its last address). */
static unsigned rule_events(const struct exact_rule *r)
{
	return count_ev(r->type, (int)r->det, NULL);
}

/* count - 1 events inside the window: nothing; the count-th: one event
 * saying count.  Then the window's edge: count - 1 events, and the last one
 * a whole window after the first, is not count within the window. */
static void test_exact_thresholds(void)
{
	const char *ip = "203.0.113.77";
	for (size_t k = 0; k < ARRAY_LEN(exact_rules); k++) {
		const struct exact_rule *r = &exact_rules[k];
		uint64_t step = (uint64_t)r->window_s * SEC / (2 * r->count); /* all within half the window */
		setup(r->conf);
		for (unsigned i = 0; i + 1 < r->count; i++)
			r->one(i, T0 + SEC + i * step, ip);
		CHECK_MSG(rule_events(r) == 0, "%s: an event after %u of %u", r->name, r->count - 1, r->count);
		r->one(r->count - 1, T0 + SEC + (r->count - 1) * step, ip);
		const struct rec_event *e = NULL;
		for (unsigned i = 0; i < nevs; i++)
			if (evs[i].type == r->type && evs[i].det == r->det)
				e = &evs[i];
		CHECK_MSG(rule_events(r) == 1 && e && e->count == r->count,
		          "%s: %u events at the %u-th, count %u", r->name, rule_events(r), r->count, e ? e->count : 0);

		/* the first of count events a whole window (plus half a slot for
		 * the sliding windows, which move a slot at a time) before the last */
		setup(r->conf);
		uint64_t edge = (uint64_t)r->window_s * SEC + (r->distinct ? 0 : r->window_s * SEC / 16);
		r->one(0, T0 + SEC, ip);
		for (unsigned i = 1; i + 1 < r->count; i++)
			r->one(i, T0 + SEC + edge - (r->count - i) * 1000, ip);
		r->one(r->count - 1, T0 + SEC + edge, ip);
		CHECK_MSG(rule_events(r) == 0, "%s: %u events over %u s and %.3f s fired", r->name, r->count,
		          r->window_s, (double)(edge % SEC) / 1e6);
		r->one(r->count, T0 + SEC + edge + 1000, ip);
		CHECK_MSG(rule_events(r) == 1, "%s: %u within the window did not fire", r->name, r->count);
	}
}

/* The protected host is never blocked, and its own look-ups elsewhere are
 * not inspected. */
static void test_own_addresses(void)
{
	setup("[instance pbx]\naddress = 198.51.100.1\n");
	uint8_t b[512];
	for (unsigned i = 0; i < 60; i++) {
		send_udp_bin(T0 + i * 100000, "198.51.100.1", 30000 + i, "198.51.100.53", 53, b,
		             dns_q(b, (uint16_t)i, "4.3.2.1.e164.arpa", 35, 1, false, 0));
		send_udp_bin(T0 + i * 100000 + 500, "198.51.100.53", 53, "198.51.100.1", 30000 + i, b,
		             dns_q(b, (uint16_t)i, "4.3.2.1.e164.arpa", 35, 1, true, 3));
	}
	CHECK(nevs == 0);
	/* even a rule firing on the host's own address is only an alert */
	struct req sc = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	server = "198.51.100.1";
	send_udp(T0, "198.51.100.1", 5062, "198.51.100.1", 5060,
	         "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1:5062;branch=z9hG4bKown\r\n"
	         "Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: own\r\nCSeq: 1 OPTIONS\r\n"
	         "User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n");
	(void)sc;
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.1") == 0 && count_ev(EVT_ALERT, DET_SCANNER, "198.51.100.1") == 1);
}

/* ---- trust: shelter and verified evidence (docs/architecture.md) ---- */

/* An Ethernet/IPv4/TCP segment (flags: 0x02 SYN, 0x10 ACK, 0x18 PSH|ACK). */
static void send_tcp(uint64_t ts, const char *src, unsigned sport, const char *dst, unsigned dport,
                     unsigned flags, uint32_t seq, uint32_t ack, const char *payload)
{
	static uint8_t f[4096];
	struct ipaddr s, d;
	size_t plen = strlen(payload);
	if (!ip_parse(&s, src) || !ip_parse(&d, dst) || plen > 4000)
		abort();
	memset(f, 0, 14 + 40);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *t = f + 34;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(40 + plen));
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, s.b + 12, 4);
	memcpy(ip + 16, d.b + 12, 4);
	put16(t, sport);
	put16(t + 2, dport);
	put16(t + 4, seq >> 16);
	put16(t + 6, seq & 0xffff);
	put16(t + 8, ack >> 16);
	put16(t + 10, ack & 0xffff);
	t[12] = 5 << 4;
	t[13] = (uint8_t)flags;
	put16(t + 14, 65535);
	memcpy(t + 20, payload, plen);
	eng_frame(eng, DEC_LINK_EN10MB, f, 54 + plen, ts);
}

static const char tcp_register[] =
	"REGISTER sip:198.51.100.1 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.66:5062;branch=z9hG4bK-tcp1\r\n"
	"Max-Forwards: 70\r\nFrom: <sip:1001@198.51.100.1>;tag=1\r\nTo: <sip:1001@198.51.100.1>\r\n"
	"Call-ID: tcp-1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

/* A forged TCP segment (no handshake: tcp_verified is false) earns no
 * shelter, whether it is a bare data segment or a SYN with data. */
static void test_forged_tcp_no_shelter(void)
{
	struct req sc = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	setup(NULL);
	send_tcp(T0, "203.0.113.66", 40000, server, 5060, 0x18, 1000, 1, tcp_register);
	txn(T0 + SEC, "203.0.113.66", &sc, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.66") == 1);
	CHECK(count_ev(EVT_ALERT, -1, "203.0.113.66") == 0);
	setup(NULL);
	send_tcp(T0, "203.0.113.66", 40001, server, 5060, 0x02, 1000, 0, tcp_register);
	send_tcp(T0 + 1000, "203.0.113.66", 40001, server, 5060, 0x18, 1001, 1, tcp_register);
	txn(T0 + SEC, "203.0.113.66", &sc, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.66") == 1);
	/* talking earns nothing: an answered OPTIONS, a REGISTER answered 200
	 * without credentials (an open registrar), a failed login */
	setup(NULL);
	struct req opt = { "OPTIONS", "100", "Linphone/5.0", NULL, NULL, 1 };
	struct req reg = { "REGISTER", "1003", "Linphone/5.0", NULL, NULL, 2 };
	txn(T0, "203.0.113.67", &opt, 200, false);
	txn(T0, "203.0.113.68", &reg, 200, false);
	guess(T0, "203.0.113.69", "1003", 3, 403);
	txn(T0 + SEC, "203.0.113.67", &sc, 0, false);
	txn(T0 + SEC, "203.0.113.68", &sc, 0, false);
	txn(T0 + SEC, "203.0.113.69", &sc, 0, false);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, NULL) == 3 && count_ev(EVT_ALERT, -1, NULL) == 0);
}

/* An authenticated phone: forged UDP scanner packets with its address are
 * alerts that say why; the same agent in a request echoing the nonce the
 * server sent it blocks. */
static void test_shelter_and_echo(void)
{
	setup(NULL);
	const char *ph = "198.51.100.10";
	phone_register(T0, ph, "1003", 1);
	struct req sc = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 7 };
	txn(T0 + 10 * SEC, ph, &sc, 0, false);
	const struct rec_event *a = find_ev(EVT_ALERT, ph);
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0 && a && a->det == DET_SCANNER);
	CHECK(a && strstr(a->reason, "scanner User-Agent") &&
	      strstr(a->reason, "; not blocked: the address authenticated successfully in the last hour"));
	/* credentials over a nonce the server never sent it: still forgeable */
	struct req scf = { "OPTIONS", "100", "friendly-scanner", "1003", NULL, 8 };
	cred_nonce = "guessed";
	txn(T0 + 20 * SEC, ph, &scf, 0, false);
	cred_nonce = NULL;
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0);
	/* over its own nonce: only a receiver of the server's answers knows it */
	scf.seq = 9;
	txn(T0 + 30 * SEC, ph, &scf, 0, false);
	const struct rec_event *b = find_ev(EVT_BLOCK, ph);
	CHECK(b && b->det == DET_SCANNER && !strstr(b->reason, "not blocked"));

	/* a forged flood, and forged failures from the phone's address
	 * (fabricated credentials: the server's 403s go to the phone) */
	setup(NULL);
	phone_register(T0, ph, "1003", 1);
	for (unsigned i = 0; i < 250; i++) {
		struct req f = { "OPTIONS", "100", "ok/1.0", NULL, NULL, 100 + i };
		txn(T0 + 20 * SEC + i * 1000, ph, &f, 0, false);
	}
	cred_nonce = "fabricated";
	for (unsigned i = 0; i < 40; i++) {
		struct req g = { "REGISTER", "1005", "pbx-client/1.0", "1005", NULL, 500 + i };
		txn(T0 + 40 * SEC + i * 100000, ph, &g, 403, false);
	}
	/* the same from an address that never authenticated is blocked */
	for (unsigned i = 0; i < 10; i++) {
		struct req g = { "REGISTER", "1005", "pbx-client/1.0", "1005", NULL, 600 + i };
		txn(T0 + 40 * SEC + i * 100000, "198.51.100.77", &g, 403, false);
	}
	cred_nonce = NULL;
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0);
	CHECK(count_ev(EVT_ALERT, DET_FLOOD, ph) == 1 && count_ev(EVT_ALERT, DET_BAD_REGISTRATION, ph) == 1);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "198.51.100.77") == 1);
	/* forged failures cannot top up the phone's real (verified) ones: 40
	 * forged and 1 real stay under the limit of real ones (30, NAT tolerance) */
	guess(T0 + 50 * SEC, ph, "1003", 700, 403);
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0);
	/* its own failures over its nonce count in full */
	for (unsigned i = 0; i < 29; i++)
		guess(T0 + 51 * SEC + i * 100000, ph, "1003", 701 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, ph) == 1);
}

/* Shelter is earned by credentials over a nonce the server sent: a 200 to
 * credentials over an invented nonce (a forged or lax answer) earns none. */
static void test_shelter_needs_nonce(void)
{
	setup(NULL);
	const char *ip = "198.51.100.20";
	struct req r = { "REGISTER", "1003", "Yealink SIP-T46S", "1003", NULL, 1 };
	cred_nonce = "invented-by-the-client";
	txn(T0, ip, &r, 200, false);
	cred_nonce = NULL;
	struct req sc = { "OPTIONS", "100", "Friendly-Scanner", NULL, NULL, 2 };
	txn(T0 + 10 * SEC, ip, &sc, 0, false);
	const struct rec_event *b = find_ev(EVT_BLOCK, ip);
	CHECK_MSG(b && b->det == DET_SCANNER && count_ev(EVT_ALERT, -1, ip) == 0,
	          "a 200 over an invented nonce sheltered %s", ip);
}

/* A nonce the server sent to two addresses (time-based nonces) proves
 * nothing; a 401 to nobody's request records no nonce. */
static void test_shared_nonce(void)
{
	setup(NULL);
	const char *ph = "198.51.100.10";
	phone_register(T0, ph, "1003", 1);
	/* the server sends the phone's nonce to another address too */
	struct req c = { "REGISTER", "1009", "x", NULL, NULL, 40 };
	cred_nonce = "n-198.51.100.10";
	txn(T0 + SEC, "203.0.113.50", &c, 0, false);
	send_udp(T0 + SEC + 1000, server, 5060, "203.0.113.50", 5062,
	         "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 203.0.113.50:5062;branch=z9hG4bK-1009-40;rport=5062\r\n"
	         "From: <sip:1009@198.51.100.1>;tag=t40\r\nTo: <sip:1009@198.51.100.1>;tag=srv\r\n"
	         "Call-ID: c40-1009@203.0.113.50\r\nCSeq: 40 REGISTER\r\n"
	         "WWW-Authenticate: Digest realm=\"sipwarden.test\", nonce=\"n-198.51.100.10\"\r\n"
	         "Content-Length: 0\r\n\r\n");
	struct req scf = { "OPTIONS", "100", "friendly-scanner", "1003", NULL, 8 };
	txn(T0 + 2 * SEC, ph, &scf, 0, false);
	cred_nonce = NULL;
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0 && count_ev(EVT_ALERT, DET_SCANNER, ph) == 1);
	/* a forged "challenge" matching no request: no nonce recorded */
	setup(NULL);
	phone_register(T0, ph, "1003", 1);
	send_udp(T0 + SEC, server, 5060, ph, 5062,
	         "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK-nobody\r\n"
	         "From: <sip:1@b>;tag=1\r\nTo: <sip:1@b>;tag=2\r\nCall-ID: nobody\r\nCSeq: 1 REGISTER\r\n"
	         "WWW-Authenticate: Digest realm=\"x\", nonce=\"chosen\"\r\nContent-Length: 0\r\n\r\n");
	cred_nonce = "chosen";
	txn(T0 + 2 * SEC, ph, &scf, 0, false);
	cred_nonce = NULL;
	CHECK(count_ev(EVT_BLOCK, -1, ph) == 0);
}

/* Configured peers: sheltered from forgeable evidence without
 * authenticating, blocked on verified evidence (unlike the whitelist). */
static void test_peers(void)
{
	setup("[general]\npeers = 203.0.113.5, 198.51.100.0/28\n");
	struct req sc = { "OPTIONS", "100", "friendly-scanner", NULL, NULL, 1 };
	txn(T0, "203.0.113.5", &sc, 0, false);
	txn(T0, "198.51.100.14", &sc, 0, false);
	txn(T0, "198.51.100.16", &sc, 0, false);
	const struct rec_event *a = find_ev(EVT_ALERT, "203.0.113.5");
	CHECK(a && strstr(a->reason, "; not blocked: configured peer"));
	CHECK(count_ev(EVT_ALERT, DET_SCANNER, "198.51.100.14") == 1 && count_ev(EVT_BLOCK, -1, "198.51.100.14") == 0);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "198.51.100.16") == 1);
	/* verified evidence: a peer's failures over its own nonces block it */
	for (unsigned i = 0; i < 10; i++)
		guess(T0 + SEC + i * 100000, "203.0.113.5", "1001", 10 + i, 403);
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.5") == 1);
	/* per instance */
	setup("[instance a]\naddress = 198.51.100.1\npeers = 203.0.113.9\n");
	txn(T0, "203.0.113.9", &sc, 0, false);
	txn(T0, "203.0.113.5", &sc, 0, false);
	CHECK(count_ev(EVT_ALERT, DET_SCANNER, "203.0.113.9") == 1 && count_ev(EVT_BLOCK, -1, "203.0.113.9") == 0);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.5") == 1);
}

/* The nonce table itself: own, shared, forgotten after its time. */
static void test_echo_table(void)
{
	struct echo *e = echo_new(1u << 20, 3600); /* two nonces share a slot once in a million runs */
	struct ipaddr a, b;
	if (!e || !ip_parse(&a, "198.51.100.10") || !ip_parse(&b, "2001:db8::10"))
		abort();
	struct slice n1 = { "nonce-1", 7 }, n2 = { "nonce-2", 7 };
	CHECK(echo_check(e, n1, &a, T0) == ECHO_NONE);
	echo_issued(e, n1, &a, T0);
	echo_issued(e, n2, &a, T0);
	CHECK(echo_check(e, n1, &a, T0 + SEC) == ECHO_OWN && echo_check(e, n1, &b, T0 + SEC) == ECHO_ISSUED);
	echo_issued(e, n2, &b, T0 + 2 * SEC); /* the same nonce to another address */
	CHECK(echo_check(e, n2, &a, T0 + 3 * SEC) == ECHO_ISSUED && echo_check(e, n2, &b, T0 + 3 * SEC) == ECHO_ISSUED);
	echo_issued(e, n2, &a, T0 + 4 * SEC); /* shared stays shared */
	CHECK(echo_check(e, n2, &a, T0 + 5 * SEC) == ECHO_ISSUED);
	CHECK(echo_check(e, n1, &a, T0 + 3600 * SEC) == ECHO_OWN && echo_check(e, n1, &a, T0 + 3602 * SEC) == ECHO_NONE);
	CHECK(echo_check(e, (struct slice){ "", 0 }, &a, T0) == ECHO_NONE);
	echo_free(e);
}

/* Detect and verdict driven directly, for what the decoder does not flag
 * yet: requests over a verified TCP flow. */
static struct detect *tdet;
static struct verdict *tvrd;

static void t_observe(void *ctx, const struct observation *o)
{
	(void)ctx;
	vrd_observe(tvrd, o);
}

static void d_msg(const char *from, const char *text, bool tcp_verified, uint64_t ts)
{
	struct sip_msg m;
	struct akey k = { .inst = 0 };
	if (!ip_parse(&k.ip, from) || sip_parse(text, strlen(text), tcp_verified, &m) < 0)
		abort();
	if (m.is_request)
		det_request(tdet, &k, &m, tcp_verified, ts);
	else
		det_response(tdet, &m, &k.ip, ts); /* from: where the response went */
}

#define D_HDRS(ip, id) "Via: SIP/2.0/TCP " ip ":5062;branch=z9hG4bK-" id "\r\nMax-Forwards: 70\r\n" \
	"From: <sip:1003@198.51.100.1>;tag=1\r\nTo: <sip:1003@198.51.100.1>\r\nCall-ID: " id "\r\n"

static void test_verified_tcp(void)
{
	setup(NULL);
	tdet = det_new(cfg, t_observe, NULL);
	tvrd = vrd_new(cfg, on_event, NULL);
	if (!tdet || !tvrd)
		abort();
	/* a client that completed its own handshake and had an OPTIONS answered,
	 * then scans over UDP (not verified) or TCP (verified): blocked */
	d_msg("203.0.113.70", "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.70", "o1")
	      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", true, T0);
	d_msg("203.0.113.70", "SIP/2.0 200 OK\r\n" D_HDRS("203.0.113.70", "o1") "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	      false, T0 + 1000);
	d_msg("203.0.113.70", "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.70", "o2")
	      "CSeq: 2 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n", false, T0 + SEC);
	d_msg("203.0.113.71", "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.71", "o3")
	      "CSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n", true, T0 + SEC);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.70") == 1);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.71") == 1);
	/* an authenticated phone (challenge, credentials over its nonce, 200) */
	d_msg("203.0.113.72", "REGISTER sip:198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.72", "r1")
	      "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n", true, T0);
	d_msg("203.0.113.72", "SIP/2.0 401 Unauthorized\r\n" D_HDRS("203.0.113.72", "r1") "CSeq: 1 REGISTER\r\n"
	      "WWW-Authenticate: Digest realm=\"r\", nonce=\"tcp-nonce-72\"\r\nContent-Length: 0\r\n\r\n", false, T0 + 1000);
	d_msg("203.0.113.72", "REGISTER sip:198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.72", "r2")
	      "CSeq: 2 REGISTER\r\nAuthorization: Digest username=\"1003\", realm=\"r\", nonce=\"tcp-nonce-72\", "
	      "response=\"00\"\r\nContent-Length: 0\r\n\r\n", true, T0 + 2000);
	d_msg("203.0.113.72", "SIP/2.0 200 OK\r\n" D_HDRS("203.0.113.72", "r2") "CSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n",
	      false, T0 + 3000);
	struct akey k72 = { .inst = 0 };
	ip_parse(&k72.ip, "203.0.113.72");
	CHECK(det_sheltered(tdet, &k72, T0 + SEC) && !det_sheltered(tdet, &k72, T0 + 3700 * SEC));
	/* forged UDP scanner packet: an alert; the same over its verified TCP flow: a block */
	d_msg("203.0.113.72", "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.72", "s1")
	      "CSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n", false, T0 + SEC);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.72") == 0 && count_ev(EVT_ALERT, DET_SCANNER, "203.0.113.72") == 1);
	d_msg("203.0.113.72", "OPTIONS sip:100@198.51.100.1 SIP/2.0\r\n" D_HDRS("203.0.113.72", "s2")
	      "CSeq: 2 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n", true, T0 + 2 * SEC);
	CHECK(count_ev(EVT_BLOCK, DET_SCANNER, "203.0.113.72") == 1);
	det_free(tdet);
	vrd_free(tvrd);
}


/* Scanner agents by whole User-Agent tokens, display names only whole; the
 * reason names the header that matched. */
static void test_agent_tokens(void)
{
	setup(NULL);
	static const struct { const char *ip, *ua, *display, *reason; } cases[] = {
		{ "203.0.113.90", "MySipClient/3.1", NULL, NULL },
		{ "203.0.113.91", "Asmap Telecom PBX", NULL, NULL },
		{ "203.0.113.92", "Yealink SIP-T46S", "\"Elite Dental\"", NULL },
		{ "203.0.113.93", "Yealink SIP-T46S", "\"Siwar Haddad\"", NULL },
		{ "203.0.113.94", "SIPCLI/v1.8", NULL, "scanner User-Agent matches \"sipcli\"" },
		{ "203.0.113.95", "Zoiper 5", "\"ELITE\"", "scanner From display name matches \"Elite\"" },
		{ "203.0.113.96", "PplSip", "\"Elite\"", "scanner User-Agent matches \"^pplsip\"" },
		{ "203.0.113.97", "Friendly-Scanner", NULL, "scanner User-Agent matches \"friendly-scanner\"" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct req r = { "OPTIONS", "100", cases[i].ua, NULL, cases[i].display, 1 };
		txn(T0 + i * SEC, cases[i].ip, &r, 0, false);
		const struct rec_event *b = find_ev(EVT_BLOCK, cases[i].ip);
		if (!cases[i].reason)
			CHECK_MSG(!b, "%s blocked: %s", cases[i].ua, b ? b->reason : "");
		else
			CHECK_MSG(b && b->det == DET_SCANNER && !strcmp(b->reason, cases[i].reason), "%s: %s", cases[i].ua,
			          b ? b->reason : "not blocked");
	}
}

/* ---- accuracy: retransmissions, the server's own requests, callee outcomes ---- */

/* n requests r from ip (CSeq first, first + 1, ...), each sent `sends`
 * times byte for byte and answered 403 each time, a second apart. */
static void resent(const char *ip, struct req *r, unsigned first, unsigned n, unsigned sends)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < sends; k++) {
			r->seq = first + i;
			txn(T0 + (sends * i + k) * SEC, ip, r, 403, false);
		}
}

/* A request resent byte for byte (UDP timers A and E) and answered again
 * is one failure; a request reusing the key with other bytes is another. */
static void test_retransmissions(void)
{
	setup(NULL);
	phone_register(T0, "198.51.100.10", "1003", 1);
	struct req r = { "REGISTER", "1001", "pbx-client/1.0", "1001", NULL, 0 };
	/* 6 wrong passwords, each sent and answered 3 times: 6 failures */
	resent("203.0.113.51", &r, 10, 6, 3);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.51") == 0);
	/* INVITEs alike */
	struct req v = { "INVITE", "1004", "pbx-client/1.0", "1001", NULL, 0 };
	resent("203.0.113.52", &v, 30, 6, 3);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.52") == 0);
	/* 12 wrong passwords sent twice each: blocked at the 10th failure */
	resent("203.0.113.50", &r, 50, 12, 2);
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.50");
	CHECK(b && b->det == DET_BAD_REGISTRATION && b->count == 10);
	/* one key, other credentials each time: every answer counts */
	const char *users[] = { "a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1", "i1", "j1" };
	for (unsigned i = 0; i < 10; i++) {
		struct req w = { "REGISTER", "1001", "pbx-client/1.0", users[i], NULL, 77 };
		txn(T0 + i * SEC, "203.0.113.53", &w, 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.53") == 1);
	/* one key, one username, another password each time (the digest
	 * response differs): every answer counts */
	char resp[40];
	for (unsigned i = 0; i < 10; i++) {
		struct req w = { "REGISTER", "1001", "pbx-client/1.0", "1001", NULL, 79 };
		snprintf(resp, sizeof resp, "%032x", i + 1);
		cred_response = resp;
		txn(T0 + i * SEC, "203.0.113.56", &w, 403, false);
	}
	cred_response = NULL;
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.56") == 1);
	/* one key, the same credentials, only a header that is not evidence
	 * (User-Agent) changed: the same attempt, one failure */
	const char *uas[] = { "a/1", "b/1", "c/1", "d/1", "e/1", "f/1", "g/1", "h/1", "i/1", "j/1" };
	for (unsigned i = 0; i < 10; i++) {
		struct req w = { "REGISTER", "1001", uas[i], "1001", NULL, 78 };
		txn(T0 + i * SEC, "203.0.113.54", &w, 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.54") == 0);
	/* two requests under one key with other credentials, both sent before
	 * either answer: each answer counts (10 pairs: blocked) */
	for (unsigned i = 0; i < 5; i++) {
		struct req w1 = { "REGISTER", "1001", "pbx-client/1.0", users[2 * i], NULL, 90 + i };
		struct req w2 = { "REGISTER", "1001", "pbx-client/1.0", users[2 * i + 1], NULL, 90 + i };
		pending(T0 + i * SEC, "203.0.113.55", &w1);
		pending(T0 + i * SEC + 1000, "203.0.113.55", &w2);
		answer(T0 + i * SEC + 2000, "203.0.113.55", &w1, 403, false);
		answer(T0 + i * SEC + 3000, "203.0.113.55", &w2, 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, DET_BAD_REGISTRATION, "203.0.113.55") == 1);
	struct eng_stats st;
	eng_stats_get(eng, &st);
	CHECK(st.det.repeats == 6 * 2 + 6 * 2 + 12 + 9);
}

/* A response is the server's answer to a request only when it goes to the
 * request's sender.  Forged "server" answers sent elsewhere (to the server
 * host itself, where the capture sees them; they never reach the client)
 * neither charge the client with failures nor use up its transaction: the
 * real answer that follows still counts. */
static void test_answer_address(void)
{
	setup(NULL);
	/* forged 403s "from the server" to the server's own address for a
	 * victim's requests: no failure counted */
	struct req r = { "REGISTER", "1001", "pbx-client/1.0", "1001", NULL, 0 };
	for (unsigned i = 0; i < 12; i++) {
		r.seq = 200 + i;
		pending(T0 + i * SEC, "203.0.113.60", &r);
		answer_to(T0 + i * SEC + 1000, "203.0.113.60", server, &r, 403, false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.60") == 0);
	/* a guesser answering its own guesses with forged 200s to the server:
	 * the server's real 403s still count, and it is blocked at the 10th */
	for (unsigned i = 0; i < 10; i++) {
		r.seq = 300 + i;
		pending(T0 + i * SEC, "203.0.113.61", &r);
		answer_to(T0 + i * SEC + 1000, "203.0.113.61", server, &r, 200, false);
		answer(T0 + i * SEC + 2000, "203.0.113.61", &r, 403, false);
	}
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.61");
	CHECK(b && b->det == DET_BAD_REGISTRATION && b->count == 10);
	struct eng_stats st;
	eng_stats_get(eng, &st);
	CHECK(st.det.unmatched == 12 + 10);
}

/* On the server's own link a host can send frames to the server's MAC
 * carrying packets "from" the server's address to anyone: the capture sees
 * them arrive.  With the host's own addresses and link addresses known,
 * such packets are ignored and counted: they neither answer a guesser's
 * guesses (so the real 403s count) nor issue nonces (so forged requests
 * echoing one are not verified and do not get a phone blocked). */
static void test_forged_on_link(void)
{
	static const uint8_t srv_mac[6] = { 2, 0, 0, 0, 0, 1 }, other_mac[6] = { 2, 0, 0, 0, 0, 66 };
	setup(NULL);
	struct ipprefix own;
	CHECK(prefix_parse(&own, server));
	cfg_prefixes_add(&cfg->own, &own);
	memcpy(cfg->own_mac[0], srv_mac, 6);
	cfg->n_own_mac = 1;
	eng_set_config(eng, cfg);
	/* a phone registers (the server's frames from its own MAC) */
	frame_mac = srv_mac;
	phone_register(T0, "203.0.113.70", "1070", 1);
	frame_mac = NULL;
	/* a guesser answers each of its guesses with a forged 200 addressed to
	 * itself, ahead of the server's real 403 */
	struct req r = { "REGISTER", "1001", "pbx-client/1.0", "1001", NULL, 0 };
	for (unsigned i = 0; i < 10; i++) {
		r.seq = 400 + i;
		pending(T0 + i * SEC, "203.0.113.71", &r);
		frame_mac = other_mac;
		answer(T0 + i * SEC + 1000, "203.0.113.71", &r, 200, false);
		frame_mac = srv_mac;
		answer(T0 + i * SEC + 2000, "203.0.113.71", &r, 403, false);
		frame_mac = NULL;
	}
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.71");
	CHECK(b && b->det == DET_BAD_REGISTRATION && b->count == 10);
	/* nonce seeding: a forged request in the phone's name, a forged 401
	 * "from the server" with the attacker's nonce, then forged requests
	 * echoing it that the server refuses (403) */
	struct req f = { "REGISTER", "1070", "pbx-client/1.0", NULL, NULL, 500 };
	pending(T0 + 20 * SEC, "203.0.113.70", &f);
	frame_mac = other_mac;
	chal_nonce = "attackers-own";
	answer(T0 + 20 * SEC + 1000, "203.0.113.70", &f, 401, false);
	chal_nonce = NULL;
	cred_nonce = "attackers-own";
	f.auth_user = "1070";
	for (unsigned i = 0; i < 35; i++) { /* past the NAT tolerance of a registered address */
		f.seq = 501 + i;
		frame_mac = NULL;
		pending(T0 + (21 + i) * SEC, "203.0.113.70", &f);
		frame_mac = srv_mac;
		answer(T0 + (21 + i) * SEC + 1000, "203.0.113.70", &f, 403, false);
	}
	cred_nonce = NULL;
	frame_mac = NULL;
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.70") == 0);
	struct eng_stats st;
	eng_stats_get(eng, &st);
	CHECK(st.spoofed_own == 11);
}

/* The PBX rings 25 phones (INVITEs from the PBX, answered 487) and a
 * sweeper INVITEs 12 numbers at the PBX (404). */
static void pbx_day(uint64_t t)
{
	phone_register(t, "198.51.100.10", "1003", 1);
	server = "198.51.100.30"; /* the phones answer: txn() from the PBX to them */
	for (unsigned i = 0; i < 25; i++) {
		char ph[32], user[16];
		snprintf(ph, sizeof ph, "198.51.100.%u", 30 + i);
		snprintf(user, sizeof user, "20%02u", i);
		server = ph;
		struct req inv = { "INVITE", user, "Asterisk PBX", NULL, NULL, 500 + i };
		txn(t + SEC + i * 1000, "198.51.100.1", &inv, i ? 487 : 200, false);
	}
	server = "198.51.100.1";
	for (unsigned i = 0; i < 12; i++) {
		char dest[16];
		snprintf(dest, sizeof dest, "44%05u", i);
		struct req w = { "INVITE", dest, "sweeper", NULL, NULL, 600 + i };
		txn(t + 2 * SEC + i * SEC, "203.0.113.66", &w, 404, false);
	}
}

static void test_server_own_requests(void)
{
	struct eng_servers sv;
	/* inferred: the PBX challenged the phone and answered its REGISTER */
	setup(NULL);
	pbx_day(T0);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.1") == 0);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.66") == 1);
	eng_servers_get(eng, &sv);
	CHECK(sv.inferring && !sv.overflow && sv.n == 1);
	char buf[IP_STRLEN];
	CHECK(sv.n == 1 && !strcmp(ip_format(&sv.ip[0], buf), "198.51.100.1") &&
	      sv.why[0] == (ENG_SRV_CHALLENGE | ENG_SRV_REGISTER));
	/* named: the host's own address (replay's --server) */
	setup(NULL);
	struct ipprefix own;
	CHECK(prefix_parse(&own, "198.51.100.1") && cfg_prefixes_add(&cfg->own, &own) == 0);
	eng_set_config(eng, cfg);
	pbx_day(T0);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.1") == 0);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.66") == 1);
	eng_servers_get(eng, &sv);
	CHECK(!sv.inferring);
	/* named: an [instance] address */
	setup("[instance pbx]\naddress = 198.51.100.1\nsip_ports = 5060\n");
	pbx_day(T0);
	CHECK(count_ev(EVT_BLOCK, -1, "198.51.100.1") == 0);
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.66") == 1);
	/* more than ENG_MAX_SERVERS answer REGISTERs: inference gives up and
	 * every address is a server again (the summary says so) */
	setup(NULL);
	for (unsigned i = 0; i <= ENG_MAX_SERVERS; i++) {
		char srv[32];
		snprintf(srv, sizeof srv, "198.51.100.%u", 100 + i);
		server = srv;
		struct req r = { "REGISTER", "1003", "Yealink", NULL, NULL, 900 + i };
		txn(T0 + i * 1000, "198.51.100.10", &r, 200, false);
	}
	server = "198.51.100.1";
	eng_servers_get(eng, &sv);
	CHECK(sv.inferring && sv.overflow);
}

/* A trunk's calls answered busy, declined, unavailable or cancelled are no
 * failures of the trunk; a sweep answered 404 is. */
static void test_callee_outcomes(void)
{
	static const int outcome[] = { 486, 200, 600, 200, 603, 486, 480, 200, 487, 200 };
	setup(NULL);
	phone_register(T0, "198.51.100.10", "1003", 1);
	for (unsigned i = 0; i < 40; i++) {
		char dest[16];
		snprintf(dest, sizeof dest, "5550%03u", i);
		struct req c = { "INVITE", dest, "Sonus SBC", NULL, NULL, 100 + i };
		txn(T0 + SEC + i * 300000, "203.0.113.200", &c, outcome[i % 10], false);
	}
	CHECK(count_ev(EVT_BLOCK, -1, "203.0.113.200") == 0);
	for (unsigned i = 0; i < 10; i++) {
		char dest[16];
		snprintf(dest, sizeof dest, "44%05u", i);
		struct req w = { "INVITE", dest, "sweeper", NULL, NULL, 200 + i };
		txn(T0 + 20 * SEC + i * SEC, "203.0.113.77", &w, i % 2 ? 404 : 484, false);
	}
	const struct rec_event *b = find_ev(EVT_BLOCK, "203.0.113.77");
	CHECK(b && (b->det == DET_TOLL_FRAUD || b->det == DET_BAD_INVITE));
}

int main(void)
{
	test_phone_and_guesser();
	test_challenges();
	test_nat_tolerance();
	test_scanner_enumeration_invite();
	test_flood_and_anomalies();
	test_lists_and_threshold();
	test_spoofed_flood();
	test_ipv6_and_instances();
	test_aggregation();
	test_spoof_resistance();
	test_toll_fraud_and_distributed();
	test_tftp();
	test_dns();
	test_exact_thresholds();
	test_own_addresses();
	test_forged_tcp_no_shelter();
	test_shelter_and_echo();
	test_shelter_needs_nonce();
	test_shared_nonce();
	test_peers();
	test_verified_tcp();
	test_echo_table();
	test_agent_tokens();
	test_retransmissions();
	test_answer_address();
	test_forged_on_link();
	test_server_own_requests();
	test_callee_outcomes();
	eng_free(eng);
	cfg_free(cfg);
	return T_DONE();
}
