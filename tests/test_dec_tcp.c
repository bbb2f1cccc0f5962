/* test_dec_tcp: the TCP reassembler against segments an attacker chooses:
 * which flows count as verified (handshake seen, the client's ACK covering
 * the server's ISN), junk segments far ahead and bursts of hole-making junk
 * before a real stream, the receiver's ACKs skipping capture gaps, forged
 * ACKs, window scaling, and the desync report. */
#include "dec_t.h"

#define CLI 40000
#define MB (1u << 20)

/* One TCP segment client (A4:cport) -> server (B4:5060), or the reverse
 * when srv; ws is the window scale option plus one (0: no option). */
struct ts {
	bool srv;
	uint32_t seq, ack;
	uint8_t fl, ws;
	uint16_t win;
	const char *s;
};

static void tx(struct dec *d, uint16_t cport, struct ts t)
{
	static uint8_t l4[2048], l3[2100];
	size_t n = t.s ? strlen(t.s) : 0, hl = t.ws ? 24 : 20;
	memset(l4, 0, hl);
	put16(l4, t.srv ? SIP : cport);
	put16(l4 + 2, t.srv ? cport : SIP);
	put32(l4 + 4, t.seq);
	put32(l4 + 8, t.ack);
	l4[12] = (uint8_t)(hl / 4 << 4);
	l4[13] = t.fl;
	put16(l4 + 14, t.win);
	if (t.ws) {
		l4[20] = 1;             /* NOP, then kind 3 length 3 */
		l4[21] = 3;
		l4[22] = 3;
		l4[23] = (uint8_t)(t.ws - 1);
	}
	memcpy(l4 + hl, t.s ? t.s : "", n);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 6, .rev = t.srv }, l4, hl + n), T0);
}

/* Client ISN 1000, server ISN 5000. */
#define SYN { .seq = 1000, .fl = F_SYN, .win = 65535 }
#define SYNACK { .srv = true, .seq = 5000, .ack = 1001, .fl = F_SYN | F_ACK, .win = 65535 }
#define REG(a) { .seq = 1001, .ack = (a), .fl = F_ACK, .win = 65535, .s = "REGISTER\n" }

static void handshake(struct dec *d, uint16_t cp)
{
	tx(d, cp, (struct ts)SYN);
	tx(d, cp, (struct ts)SYNACK);
	tx(d, cp, (struct ts){ .seq = 1001, .ack = 5001, .fl = F_ACK, .win = 65535 });
}

/* Client data at seq with the ACK of a completed handshake. */
static void cdata(struct dec *d, uint16_t cp, uint32_t seq, const char *s)
{
	tx(d, cp, (struct ts){ .seq = seq, .ack = 5001, .fl = F_ACK, .win = 65535, .s = s });
}

/* The server's pure ACK of the client's bytes up to ack. */
static void sack(struct dec *d, uint16_t cp, uint32_t ack, uint16_t win)
{
	tx(d, cp, (struct ts){ .srv = true, .seq = 5001, .ack = ack, .fl = F_ACK, .win = win });
}

static const struct vcase {
	const char *name;
	struct ts steps[5];
	bool want;
} vcases[] = {
	{ "handshake seen", { SYN, SYNACK, REG(5001) }, true },
	{ "SYN-ACK retransmitted", { SYN, SYNACK, SYNACK, REG(5001) }, true },
	{ "ACK covers server data", { SYN, SYNACK,
	  { .srv = true, .seq = 5001, .ack = 1001, .fl = F_ACK, .win = 65535, .s = "hi\n" },
	  REG(5004) }, true },
	{ "SYN carrying data", { { .seq = 1000, .fl = F_SYN, .win = 65535, .s = "REGISTER\n" } }, false },
	{ "bare data segment", { REG(5001) }, false },
	{ "client ACK of the server ISN itself", { SYN, SYNACK, REG(5000) }, false },
	{ "client ACK past what the server sent", { SYN, SYNACK, REG(5002) }, false },
	{ "SYN-ACK not acknowledging the SYN", { SYN,
	  { .srv = true, .seq = 5000, .ack = 999, .fl = F_SYN | F_ACK, .win = 65535 }, REG(5001) }, false },
	{ "wrong ACK, then the right one", { SYN, SYNACK,
	  { .seq = 1001, .ack = 7777, .fl = F_ACK, .win = 65535 }, REG(5001) }, false },
	{ "two SYN-ACKs with different ISNs", { SYN, SYNACK,
	  { .srv = true, .seq = 6000, .ack = 1001, .fl = F_SYN | F_ACK, .win = 65535 }, REG(5001) }, false },
	{ "no SYN, both directions mid-stream", {
	  { .srv = true, .seq = 4000, .ack = 1001, .fl = F_ACK, .win = 65535, .s = "x\n" },
	  REG(4002) }, false },
};

static void test_verified(void)
{
	struct rec *r = malloc(sizeof *r);
	for (size_t c = 0; c < ARRAY_LEN(vcases); c++) {
		struct dec *d = mkdec(r, (struct dec_config){ 0 });
		r->mode = C_LINE;
		for (size_t k = 0; k < ARRAY_LEN(vcases[c].steps) && vcases[c].steps[k].fl; k++)
			tx(d, CLI, vcases[c].steps[k]);
		bool got = r->last.tcp_verified;
		CHECK_MSG(r->last.sport == CLI && r->n >= 9 &&
		          memcmp(r->data + r->n - 9, "REGISTER\n", 9) == 0, "%s: delivered", vcases[c].name);
		CHECK_MSG(got == vcases[c].want, "%s: verified %d", vcases[c].name, got);
		CHECK_MSG(stats(d).tcp_verified == vcases[c].want, "%s: counted", vcases[c].name);
		dec_free(d);
	}
	/* after a verified handshake the server's answers are verified too, and
	 * a new SYN with another ISN starts an unverified connection */
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	handshake(d, CLI);
	cdata(d, CLI, 1001, "REGISTER\n");
	tx(d, CLI, (struct ts){ .srv = true, .seq = 5001, .ack = 1010, .fl = F_ACK, .win = 65535,
	                        .s = "SIP/2.0 401\n" });
	CHECK(r->last.sport == SIP && r->last.tcp_verified && r->verified == 2);
	tx(d, CLI, (struct ts){ .seq = 90000, .fl = F_SYN, .win = 65535 });
	tx(d, CLI, (struct ts){ .seq = 90001, .ack = 5013, .fl = F_ACK, .win = 65535, .s = "again\n" });
	CHECK(rec_is(r, "REGISTER\nSIP/2.0 401\nagain\n") && !r->last.tcp_verified);
	dec_free(d);
	free(r);
}

#define STREAM "REGISTER sip:a SIP/2.0\nREGISTER sip:b SIP/2.0\nREGISTER sip:c SIP/2.0\n"

/* The three lines of STREAM from seq 1001, each followed by the server's
 * ACK when acks. */
static void real_stream(struct dec *d, uint16_t cp, bool acks)
{
	uint32_t seq = 1001;
	const char *p = STREAM;
	while (*p) {
		char line[64];
		size_t n = (size_t)(strchr(p, '\n') - p) + 1;
		memcpy(line, p, n);
		line[n] = 0;
		cdata(d, cp, seq, line);
		seq += (uint32_t)n;
		p += n;
		if (acks)
			sack(d, cp, seq, 65535);
	}
}

/* How the junk comes before the real stream. */
enum { J_ONE_FAR, J_FAR_BURST, J_NEAR_BURST, J__N };

static void junk(struct dec *d, uint16_t cp, int kind)
{
	for (uint32_t k = 0; k < (kind == J_ONE_FAR ? 1u : 10u); k++) {
		uint32_t at = kind == J_NEAR_BURST ? 20000 + k * 1000 : MB + k * 5000;
		cdata(d, cp, 1001 + at, "JUNK\n");
	}
}

static void test_junk(void)
{
	static const char *const jname[J__N] = { "one 1 MB ahead", "10 far holes", "10 near holes" };
	struct rec *r = malloc(sizeof *r);
	for (int hs = 0; hs < 2; hs++) {
		for (int j = 0; j < J__N; j++) {
			struct dec *d = mkdec(r, (struct dec_config){ 0 });
			r->mode = C_LINE;
			if (hs)
				handshake(d, CLI);
			else
				cdata(d, CLI, 1000, "\n");      /* picked up mid-stream at 1000 */
			junk(d, CLI, j);
			real_stream(d, CLI, hs);
			CHECK_MSG(rec_is(r, hs ? STREAM : "\n" STREAM), "%s, handshake %d: %.*s",
			          jname[j], hs, (int)r->n, r->data);
			CHECK_MSG(r->an[DEC_A_TCP_DESYNC] == 0, "%s, handshake %d: no desync", jname[j], hs);
			CHECK_MSG(r->verified == (hs ? 3 : 0), "%s, handshake %d: verified", jname[j], hs);
			dec_free(d);
		}
	}
	/* with the handshake, far junk is outside the receiver's window */
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	handshake(d, CLI);
	junk(d, CLI, J_FAR_BURST);
	CHECK(stats(d).tcp_ignored == 10 && stats(d).tcp_out_of_order == 0);
	dec_free(d);
	/* picked up at the junk: the receiver's first ACK brings the stream back */
	d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	cdata(d, CLI, 1001 + MB, "JUNK\n");
	sack(d, CLI, 1001, 65535);
	real_stream(d, CLI, true);
	CHECK(rec_is(r, "JUNK\n" STREAM) && stats(d).tcp_gaps == 1);
	dec_free(d);
	free(r);
}

/* No receiver seen: DEC_FAR_RESTART (4) far segments in a row, each
 * continuing the last, restart the stream (reported); fewer do not. */
static void test_far_restart(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	cdata(d, CLI, 1001, "a\n");
	for (uint32_t k = 0; k < 3; k++)
		cdata(d, CLI, 1001 + MB + 2 * k, "x\n");
	cdata(d, CLI, 1003, "b\n");
	CHECK(rec_is(r, "a\nb\n") && stats(d).tcp_ignored == 3 && r->an[DEC_A_TCP_DESYNC] == 0);
	for (uint32_t k = 0; k < 4; k++)
		cdata(d, CLI, 1001 + 2 * MB + 2 * k, "y\n");
	cdata(d, CLI, 1001 + 2 * MB + 8, "z\n");
	struct ipaddr a;
	ip_from_v4(&a, A4);
	CHECK(rec_is(r, "a\nb\ny\nz\n") && r->an[DEC_A_TCP_DESYNC] == 1 && ip_eq(&r->an_src, &a));
	dec_free(d);
	free(r);
}

static void test_gaps(void)
{
	struct rec *r = malloc(sizeof *r);
	/* "B\n" at 1003 never reaches the capture; "C\n" waits out of order
	 * until the server's ACK shows the hole was taken */
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	handshake(d, CLI);
	cdata(d, CLI, 1001, "A\n");
	cdata(d, CLI, 1005, "C\n");
	CHECK(rec_is(r, "A\n"));
	sack(d, CLI, 1007, 65535);
	cdata(d, CLI, 1007, "D\n");
	CHECK(rec_is(r, "A\nC\nD\n") && stats(d).tcp_gaps == 1);
	/* no data after the hole yet: the ACK moves the stream to it */
	sack(d, CLI, 1011, 65535);
	cdata(d, CLI, 1011, "F\n");
	CHECK(rec_is(r, "A\nC\nD\nF\n") && stats(d).tcp_gaps == 2);
	/* a forged ACK past any window the server offered is not believed,
	 * nor one that goes back */
	sack(d, CLI, 1013 + MB, 65535);
	sack(d, CLI, 1001, 0);
	cdata(d, CLI, 1013, "G\n");
	CHECK(rec_is(r, "A\nC\nD\nF\nG\n") && stats(d).tcp_gaps == 2);
	CHECK(r->an[DEC_A_TCP_DESYNC] == 0);
	dec_free(d);
	/* the receiver took bytes we had to drop: desync, reported once */
	d = mkdec(r, (struct dec_config){ .flow_buf = 64 });
	r->mode = C_LINE;
	handshake(d, CLI);
	cdata(d, CLI, 1001, "A\n");
	cdata(d, CLI, 1101, "far\n");
	CHECK(stats(d).tcp_ignored == 1 && r->an[DEC_A_TCP_DESYNC] == 0);
	sack(d, CLI, 1105, 65535);
	cdata(d, CLI, 1105, "on\n");
	struct ipaddr a;
	ip_from_v4(&a, A4);
	CHECK(rec_is(r, "A\non\n") && r->an[DEC_A_TCP_DESYNC] == 1 && ip_eq(&r->an_src, &a));
	dec_free(d);
	free(r);
}

/* Blind resets and FINs behind the stream do not end a verified flow (it
 * would come back unverified, picked up mid-stream); real ones do. */
static void test_forged_close(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	handshake(d, CLI);
	cdata(d, CLI, 1001, "A\n");
	tx(d, CLI, (struct ts){ .seq = 1003 + 5 * MB, .fl = F_RST });
	tx(d, CLI, (struct ts){ .seq = 1003 - MB, .ack = 5001, .fl = F_RST | F_ACK });
	tx(d, CLI, (struct ts){ .seq = 900, .ack = 5001, .fl = F_FIN | F_ACK, .win = 65535 });
	cdata(d, CLI, 1003, "B\n");
	CHECK(rec_is(r, "A\nB\n") && r->verified == 2 && r->fins == 0);
	CHECK(stats(d).tcp_ignored == 2 && stats(d).flows_active == 2);
	tx(d, CLI, (struct ts){ .seq = 1005, .ack = 5001, .fl = F_FIN | F_ACK, .win = 65535 });
	CHECK(stats(d).flows_active == 1);
	dec_free(d);
	free(r);
}

/* Window scaling: the server offers 100 << 7 = 12800 bytes when both SYNs
 * carried the option, 100 when only one did, and any shift is assumed for
 * a handshake we did not see. */
static void test_wscale(void)
{
	static const struct { uint8_t cws, sws; bool hs, far_ok; } c[] = {
		{ 8, 8, true, true }, { 8, 0, true, false }, { 0, 8, true, false },
		{ 0, 0, false, true },
	};
	struct rec *r = malloc(sizeof *r);
	for (size_t k = 0; k < ARRAY_LEN(c); k++) {
		struct dec *d = mkdec(r, (struct dec_config){ 0 });
		r->mode = C_LINE;
		if (c[k].hs) {
			tx(d, CLI, (struct ts){ .seq = 1000, .fl = F_SYN, .win = 1000, .ws = c[k].cws });
			tx(d, CLI, (struct ts){ .srv = true, .seq = 5000, .ack = 1001, .fl = F_SYN | F_ACK,
			                        .win = 1000, .ws = c[k].sws });
		}
		cdata(d, CLI, 1001, "A\n");
		sack(d, CLI, 1003, 100);
		cdata(d, CLI, 1003 + 10000, "in\n");        /* inside 12800, outside 1000 */
		cdata(d, CLI, 1003 + 13000, "out\n");       /* outside 12800 */
		struct dec_stats s = stats(d);
		uint64_t want_ign = c[k].far_ok ? (c[k].hs ? 1 : 0) : 2;
		CHECK_MSG(s.tcp_ignored == want_ign && s.tcp_out_of_order == 2 - want_ign,
		          "case %zu: ignored %llu", k, (unsigned long long)s.tcp_ignored);
		dec_free(d);
	}
	free(r);
}

int main(void)
{
	test_verified();
	test_junk();
	test_far_restart();
	test_gaps();
	test_forged_close();
	test_wscale();
	return T_DONE();
}
