/* test_decode: hand-built frames through the decoder; checks delivered
 * payloads, anomalies and counters.  `test_decode --corpus DIR` instead
 * writes the fuzz seed corpus: records of [index into fuzz_links[]][frame],
 * several joined by fuzz_sep, as fuzz/fuzz_decode.c reads them. */
#include "dec_t.h"

static const int fuzz_links[] = { 0, 1, 101, 12, 14, 108, 113, 276, 228, 229 };
static const uint8_t fuzz_sep[4] = { 0xde, 0xc0, 0xfe, 0xed };

/* Generic extension header (hop-by-hop, routing, destination options). */
static size_t ext(uint8_t *o, uint8_t next, size_t len)
{
	memset(o, 0, len);
	o[0] = next;
	o[1] = (uint8_t)(len / 8 - 1);
	return len;
}

static size_t fraghdr(uint8_t *o, uint8_t next, unsigned off, bool more, uint32_t id)
{
	o[0] = next;
	o[1] = 0;
	put16(o + 2, off | more);
	put32(o + 4, id);
	return 8;
}

/* UDP sport -> SIP over IPv4 or IPv6, no extension headers. */
static size_t udp_pkt(uint8_t *o, bool v6, uint16_t sp, const char *s)
{
	uint8_t l4[2048];
	size_t n = udp(l4, sp, SIP, s, strlen(s));
	if (v6)
		return ip6(o, 17, NULL, 0, l4, n);
	return ip4(o, &(struct v4){ .proto = 17 }, l4, n);
}

enum { W_ETH, W_VLAN, W_QINQ, W_Q9100, W_SLL, W_SLL2, W_NULL_LE, W_NULL_BE,
       W_LOOP, W_RAW, W_RAW12, W_RAW14, W_IPV, W__N };

/* Wraps an IP packet in link header w; returns the frame length. */
static size_t wrap(int w, bool v6, const uint8_t *l3, size_t n, uint8_t *o, int *dlt)
{
	unsigned et = v6 ? 0x86dd : 0x0800;
	size_t h = 0;
	if (w <= W_Q9100) {
		*dlt = DEC_LINK_EN10MB;
		memset(o, 0xaa, 12);
		h = 12;
		if (w == W_QINQ || w == W_Q9100) {
			put16(o + h, w == W_QINQ ? 0x88a8 : 0x9100);
			put16(o + h + 2, 100);
			h += 4;
		}
		if (w != W_ETH) {
			put16(o + h, 0x8100);
			put16(o + h + 2, 200);
			h += 4;
		}
		put16(o + h, et);
		h += 2;
	} else if (w == W_SLL || w == W_SLL2) {
		*dlt = w == W_SLL ? DEC_LINK_SLL : DEC_LINK_SLL2;
		h = w == W_SLL ? 16 : 20;
		memset(o, 0, h);
		put16(o + (w == W_SLL ? 14 : 0), et);
		put16(o + (w == W_SLL ? 2 : 6), 1);     /* ARPHRD_ETHER */
	} else if (w == W_NULL_LE || w == W_NULL_BE || w == W_LOOP) {
		*dlt = w == W_LOOP ? DEC_LINK_LOOP : DEC_LINK_NULL;
		uint8_t fam = !v6 ? 2 : w == W_NULL_LE ? 10 : w == W_NULL_BE ? 30 : 24;
		memset(o, 0, 4);
		o[w == W_NULL_LE ? 0 : 3] = fam;
		h = 4;
	} else {
		static const int raw[] = { DEC_LINK_RAW, DEC_LINK_RAW12, DEC_LINK_RAW14 };
		*dlt = w == W_IPV ? (v6 ? DEC_LINK_IPV6 : DEC_LINK_IPV4) : raw[w - W_RAW];
	}
	memcpy(o + h, l3, n);
	return h + n;
}


static void test_links(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	uint8_t l3[256], fr[300];
	for (int v6 = 0; v6 < 2; v6++) {
		struct ipaddr src;
		if (v6)
			ip_from_v6(&src, A6);
		else
			ip_from_v4(&src, A4);
		for (int w = 0; w < W__N; w++) {
			char msg[32];
			int dlt;
			snprintf(msg, sizeof msg, "link %d/%d", v6, w);
			size_t n = wrap(w, v6, l3, udp_pkt(l3, v6, 40000, msg), fr, &dlt);
			r->n = 0;
			r->calls = 0;
			CHECK(dec_link_supported(dlt));
			CHECK(dec_frame(d, dlt, fr, n, T0) == 0);
			CHECK_MSG(r->calls == 1 && rec_is(r, msg), "%s", msg);
			CHECK(r->last.sport == 40000 && r->last.dport == SIP && r->last.proto == 17);
			CHECK(ip_eq(&r->last.src, &src));
		}
	}
	/* NULL: every IPv6 family value in both byte orders; LOOP is big-endian only */
	static const uint8_t fams[] = { 10, 24, 28, 30 };
	size_t n = udp_pkt(l3, true, 40000, "fam");
	for (size_t i = 0; i < 2 * ARRAY_LEN(fams); i++) {
		memset(fr, 0, 4);
		fr[i % 2 ? 3 : 0] = fams[i / 2];
		memcpy(fr + 4, l3, n);
		r->calls = 0;
		dec_frame(d, DEC_LINK_NULL, fr, n + 4, T0);
		CHECK(r->calls == 1);
	}
	fr[0] = 2;
	fr[3] = 0;
	r->calls = 0;
	n = udp_pkt(l3, false, 40000, "le");
	memcpy(fr + 4, l3, n);
	dec_frame(d, DEC_LINK_LOOP, fr, n + 4, T0);
	CHECK(r->calls == 0 && stats(d).not_ip == 1);
	/* ARP over Ethernet, IPv6 in a v4-only link type, unsupported link type */
	memset(fr, 0, 60);
	put16(fr + 12, 0x0806);
	dec_frame(d, DEC_LINK_EN10MB, fr, 60, T0);
	CHECK(stats(d).not_ip == 2);
	n = udp_pkt(l3, true, 40000, "v6");
	dec_frame(d, DEC_LINK_IPV4, l3, n, T0);
	CHECK(r->calls == 0 && r->an[DEC_A_BAD_IP_HEADER] == 1);
	CHECK(dec_frame(d, 147, l3, n, T0) == -1 && !dec_link_supported(147));
	dec_free(d);
	free(r);
}

static void test_ip4(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	uint8_t l4[64], l3[128], fr[200];
	size_t n4 = udp(l4, 1000, SIP, "opts", 4);
	/* options (IHL 8) */
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .optlen = 12 }, l4, n4), T0);
	CHECK(r->calls == 1 && rec_is(r, "opts"));
	/* Ethernet padding after the IP total length is ignored */
	int dlt;
	size_t n = wrap(W_ETH, false, l3, ip4(l3, &(struct v4){ .proto = 17 }, l4, n4), fr, &dlt);
	memset(fr + n, 0xee, 20);
	dec_frame(d, dlt, fr, n + 20, T0);
	CHECK(r->calls == 2 && rec_is(r, "optsopts"));
	/* bad IHL, bad version, total length below IHL, total length past caplen */
	size_t m = ip4(l3, &(struct v4){ .proto = 17 }, l4, n4);
	l3[0] = 0x44;
	send_raw(d, l3, m, T0);
	l3[0] = 0x45;
	dec_frame(d, DEC_LINK_IPV4, (const uint8_t *)"\x55", 1, T0);
	memcpy(fr, l3, m);
	fr[0] = 0x55;
	dec_frame(d, DEC_LINK_IPV4, fr, m, T0);
	put16(l3 + 2, 19);
	send_raw(d, l3, m, T0);
	put16(l3 + 2, (unsigned)m + 1);
	send_raw(d, l3, m, T0);
	CHECK(r->an[DEC_A_BAD_IP_HEADER] == 3 && r->an[DEC_A_TRUNCATED] == 2);
	/* UDP length past the IP payload, and below 8 */
	size_t k = ip4(l3, &(struct v4){ .proto = 17 }, l4, n4);
	put16(l3 + 24, 13);
	send_raw(d, l3, k, T0);
	put16(l3 + 24, 7);
	send_raw(d, l3, k, T0);
	CHECK(r->an[DEC_A_TRUNCATED] == 3 && r->an[DEC_A_BAD_IP_HEADER] == 4);
	/* ICMP is not interesting; a port not in the map is not either */
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 1 }, l4, n4), T0);
	n4 = udp(l4, 1000, 80, "web", 3);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17 }, l4, n4), T0);
	CHECK(r->calls == 2 && stats(d).not_interesting == 2);
	CHECK(stats(d).udp == 3 && stats(d).frames == 11);
	dec_free(d);
	free(r);
}

static void test_ip6(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	uint8_t l4[64], e[128], l3[256];
	size_t n4 = udp(l4, 1000, SIP, "ext", 3), el = 0;
	el += ext(e + el, 43, 8);               /* hop-by-hop -> routing */
	el += ext(e + el, 60, 16);              /* routing -> dstopts */
	el += ext(e + el, 51, 8);               /* dstopts -> AH */
	e[el] = 44;                             /* AH (24 bytes) -> atomic fragment */
	e[el + 1] = 24 / 4 - 2;
	memset(e + el + 2, 0, 22);
	el += 24;
	el += fraghdr(e + el, 17, 0, false, 7); /* atomic fragment -> UDP */
	send_raw(d, l3, ip6(l3, 0, e, el, l4, n4), T0);
	CHECK(r->calls == 1 && rec_is(r, "ext"));
	CHECK(stats(d).fragments == 0);
	/* ESP and no-next-header stop the chain */
	ext(e, 50, 8);
	send_raw(d, l3, ip6(l3, 60, e, 8, l4, n4), T0);
	ext(e, 59, 8);
	send_raw(d, l3, ip6(l3, 60, e, 8, l4, n4), T0);
	CHECK(r->calls == 1 && stats(d).not_interesting == 2);
	/* extension header longer than the payload; payload length past caplen */
	ext(e, 17, 8);
	e[1] = 5;
	send_raw(d, l3, ip6(l3, 60, e, 8, l4, n4), T0);
	size_t m = ip6(l3, 17, NULL, 0, l4, n4);
	send_raw(d, l3, m - 1, T0);
	CHECK(r->an[DEC_A_TRUNCATED] == 2 && r->calls == 1);
	dec_free(d);
	free(r);
}

/* ---- fragments -------------------------------------------------------- */

/* Sends UDP datagram `msg` as IPv4 fragments of `step` bytes in `order`. */
static void frag4(struct dec *d, uint16_t id, const char *msg, size_t step,
                  const int *order, int cnt, uint64_t ts)
{
	uint8_t l4[4096], l3[4200];
	size_t n = udp(l4, 1000, SIP, msg, strlen(msg));
	for (int i = 0; i < cnt; i++) {
		size_t off = (size_t)order[i] * step, len = n - off < step ? n - off : step;
		struct v4 h = { .proto = 17, .id = id, .off = (uint16_t)off, .mf = off + len < n };
		send_raw(d, l3, ip4(l3, &h, l4 + off, len), ts);
	}
}

static void frag6(struct dec *d, uint32_t id, const char *msg, size_t step,
                  const int *order, int cnt, uint64_t ts)
{
	uint8_t l4[4096], l3[4200], e[16];
	size_t n = ext(l4, 17, 8);              /* dstopts inside the fragmentable part */
	n += udp(l4 + n, 1000, SIP, msg, strlen(msg));
	for (int i = 0; i < cnt; i++) {
		size_t off = (size_t)order[i] * step, len = n - off < step ? n - off : step;
		fraghdr(e, 60, (unsigned)off, off + len < n, id);
		send_raw(d, l3, ip6(l3, 44, e, 8, l4 + off, len), ts);
	}
}

static void test_frag(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ .max_frag_datagrams = 4 });
	char big[3001];
	for (int i = 0; i < 3000; i++)
		big[i] = (char)('a' + i % 26);
	big[3000] = 0;
	static const int fwd[] = { 0, 1, 2 }, rev[] = { 2, 1, 0 }, mid[] = { 1, 2, 0 };
	frag4(d, 1, big, 1480, fwd, 3, T0);
	CHECK(r->calls == 1 && rec_is(r, big));
	r->n = 0;
	frag4(d, 2, big, 1480, rev, 3, T0);
	CHECK(r->calls == 2 && rec_is(r, big));
	r->n = 0;
	frag6(d, 3, big, 1232, mid, 3, T0);
	CHECK(r->calls == 3 && rec_is(r, big));
	r->n = 0;
	frag6(d, 4, big, 1008, rev, 3, T0);   /* last fragment is short */
	CHECK(r->calls == 4 && rec_is(r, big));
	struct dec_stats s = stats(d);
	CHECK(s.fragments == 12 && s.reassembled == 4);
	/* a repeated fragment with the same bytes is fine */
	static const int dup[] = { 0, 0, 1 };
	frag4(d, 5, "0123456789abcdefXYZ", 16, dup, 3, T0);
	CHECK(r->calls == 5 && r->an[DEC_A_FRAG_OVERLAP] == 0);
	/* overlap with different bytes: anomaly, nothing delivered */
	uint8_t l4[64], l3[128];
	size_t n = udp(l4, 1000, SIP, "0123456789abcdefXYZ", 19);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 6, .mf = 1 }, l4, 16), T0);
	l4[8] = '#';
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 6, .off = 8, .mf = 1 }, l4 + 8, 16), T0);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 6, .off = 24 }, l4 + 24, n - 24), T0);
	CHECK(r->calls == 5 && r->an[DEC_A_FRAG_OVERLAP] == 1);
	/* oversize: v4 at the largest offset, v6 too */
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 7, .off = 0xfff8 }, l4, 16), T0);
	uint8_t e[8];
	fraghdr(e, 17, 0xfff8, false, 8);
	send_raw(d, l3, ip6(l3, 44, e, 8, l4, 16), T0);
	CHECK(r->an[DEC_A_FRAG_OVERSIZE] == 2);
	/* a non-final fragment whose length is not a multiple of 8 */
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 9, .mf = 1 }, l4, 12), T0);
	CHECK(r->an[DEC_A_BAD_IP_HEADER] == 1);
	dec_free(d);
	free(r);
}

static void test_frag_table(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ .max_frag_datagrams = 2,
	                                               .frag_timeout_ms = 30000 });
	static const int first[] = { 0 }, rest[] = { 1 };
	const char *msg = "0123456789abcdefXYZ";
	frag4(d, 1, msg, 16, first, 1, T0);
	frag4(d, 2, msg, 16, first, 1, T0 + 1);
	frag4(d, 3, msg, 16, first, 1, T0 + 2);     /* evicts id 1 */
	frag4(d, 1, msg, 16, rest, 1, T0 + 3);      /* evicts id 2, stays incomplete */
	frag4(d, 3, msg, 16, rest, 1, T0 + 4);
	CHECK(r->calls == 1 && rec_is(r, msg));
	dec_expire(d, T0 + 29999999);
	CHECK(r->an[DEC_A_FRAG_TIMEOUT] == 0);
	dec_expire(d, T0 + 30000003);
	CHECK(r->an[DEC_A_FRAG_TIMEOUT] == 1);
	/* ports not of interest: tracked, never delivered, no timeout anomaly */
	uint8_t l4[64], l3[128];
	size_t n = udp(l4, 1000, 80, "0123456789abcdefXYZ", 19);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 10, .mf = 1 }, l4, 16), T0);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 10, .off = 16 }, l4 + 16, n - 16), T0);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 11, .mf = 1 }, l4, 16), T0);
	dec_expire(d, T0 + 60000000);
	CHECK(r->calls == 1 && r->an[DEC_A_FRAG_TIMEOUT] == 1);
	/* a TCP segment in fragments */
	uint8_t t4[64];
	size_t tn = tcp(t4, 2000, SIP, 1, F_ACK, "fragmented tcp\n", 15);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 6, .id = 12, .off = 16 }, t4 + 16, tn - 16), T0);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 6, .id = 12, .mf = 1 }, t4, 16), T0);
	CHECK(r->calls == 2 && rec_is(r, "0123456789abcdefXYZfragmented tcp\n"));
	dec_free(d);
	free(r);
}

/* ---- TCP -------------------------------------------------------------- */

static void test_tcp_basic(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	/* split message after a SYN */
	seg(d, 2000, 1000, F_SYN, "", T0);
	seg(d, 2000, 1001, 0, "hel", T0);
	CHECK(r->calls == 1 && r->n == 0);
	seg(d, 2000, 1004, 0, "lo\n", T0);
	CHECK(rec_is(r, "hello\n") && r->last.sport == 2000);
	/* two and a half messages in one segment; the rest comes later */
	seg(d, 2000, 1007, 0, "one\ntwo\nthr", T0);
	CHECK(rec_is(r, "hello\none\ntwo\n"));
	seg(d, 2000, 1018, 0, "ee\n", T0);
	CHECK(rec_is(r, "hello\none\ntwo\nthree\n"));
	/* exact and partial retransmissions are not delivered again */
	int calls = r->calls;
	seg(d, 2000, 1018, 0, "ee\n", T0);
	CHECK(r->calls == calls && stats(d).tcp_retrans == 1);
	seg(d, 2000, 1019, 0, "e\nfour\n", T0);
	CHECK(rec_is(r, "hello\none\ntwo\nthree\nfour\n") && stats(d).tcp_retrans == 2);
	/* a repeated SYN does not reset the stream */
	seg(d, 2000, 1000, F_SYN, "", T0);
	seg(d, 2000, 1026, 0, "five\n", T0);
	CHECK(rec_is(r, "hello\none\ntwo\nthree\nfour\nfive\n"));
	/* FIN: final delivery flagged, flow freed */
	r->n = 0;
	CHECK(stats(d).flows_active == 1);
	seg(d, 2000, 1031, F_FIN, "bye", T0);
	CHECK(r->fins == 1 && r->last.tcp_fin && stats(d).flows_active == 0);
	/* mid-stream pickup, then RST */
	seg(d, 2001, 123456, 0, "mid\npart", T0);
	CHECK(rec_is(r, "mid\n") && stats(d).flows_active == 1);
	seg(d, 2001, 5, F_RST, "", T0);         /* a blind reset far off: ignored */
	CHECK(r->fins == 1 && stats(d).flows_active == 1 && stats(d).tcp_ignored == 1);
	seg(d, 2001, 123464, F_RST, "", T0);
	CHECK(r->fins == 2 && stats(d).flows_active == 0);
	/* pure ACKs do not create flows; ports not of interest are ignored */
	seg(d, 2002, 5, 0, "", T0);
	uint8_t l4[64], l3[128];
	size_t n = tcp(l4, 2003, 80, 1, F_ACK, "x\n", 2);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 6 }, l4, n), T0);
	CHECK(stats(d).flows_active == 0 && stats(d).not_interesting == 1);
	dec_free(d);
	free(r);
}

static void test_tcp_order(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	r->mode = C_LINE;
	seg(d, 2000, 100, 0, "1\n", T0);
	seg(d, 2000, 104, 0, "3\n", T0);
	seg(d, 2000, 106, 0, "4\n", T0);
	seg(d, 2000, 104, 0, "3\n", T0);        /* retransmitted out-of-order segment */
	CHECK(rec_is(r, "1\n") && stats(d).tcp_out_of_order == 2 && stats(d).tcp_retrans == 1);
	seg(d, 2000, 102, 0, "2\n", T0);
	CHECK(rec_is(r, "1\n2\n3\n4\n"));
	/* reversed segments across sequence wrap-around, after a SYN */
	r->n = 0;
	seg(d, 2001, 0xfffffff9u, F_SYN, "", T0);
	seg(d, 2001, 0x00000002u, 0, "ij\n", T0);
	seg(d, 2001, 0xfffffffeu, 0, "efgh", T0);
	seg(d, 2001, 0xfffffffau, 0, "abcd", T0);
	CHECK(rec_is(r, "abcdefghij\n"));
	/* a segment past the reorder window is dropped; the stream goes on */
	r->n = 0;
	seg(d, 2002, 0, 0, "a", T0);
	seg(d, 2002, 70000, 0, "late\n", T0);
	seg(d, 2002, 1, 0, "b\n", T0);
	CHECK(rec_is(r, "ab\n") && stats(d).tcp_ignored == 1);
	dec_free(d);
	free(r);
}

static void test_tcp_limits(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ .max_flows = 2, .flow_buf = 64,
	                                               .flow_idle_ms = 1000 });
	r->mode = C_LINE;
	seg(d, 2001, 10, 0, "AB", T0);
	seg(d, 2002, 10, 0, "AB", T0);
	seg(d, 2003, 10, 0, "AB", T0);          /* evicts 2001 */
	CHECK(stats(d).flows_evicted == 1 && stats(d).flows_active == 2);
	seg(d, 2001, 12, 0, "\n", T0);          /* picked up again; evicts 2002 */
	seg(d, 2003, 12, 0, "\n", T0);
	CHECK(rec_is(r, "\nAB\n") && stats(d).flows_evicted == 2);
	/* idle expiry */
	dec_expire(d, T0 + 999999);
	CHECK(stats(d).flows_active == 2);
	dec_expire(d, T0 + 1000000);
	CHECK(stats(d).flows_active == 0);
	/* a consumer that takes nothing from a full buffer: overflow */
	r->mode = C_NONE;
	char chunk[41];
	memset(chunk, 'x', 40);
	chunk[40] = 0;
	seg(d, 2004, 0, 0, chunk, T0);
	CHECK(r->an[DEC_A_TCP_OVERFLOW] == 0);
	seg(d, 2004, 40, 0, chunk, T0);
	CHECK(r->an[DEC_A_TCP_OVERFLOW] == 1);
	/* a message bigger than the buffer reaches a consumer that keeps up */
	r->mode = C_ALL;
	r->n = 0;
	char big[201];
	for (int i = 0; i < 200; i++)
		big[i] = (char)('A' + i % 26);
	big[200] = 0;
	seg(d, 2005, 0, 0, big, T0);
	CHECK(rec_is(r, big) && r->an[DEC_A_TCP_OVERFLOW] == 1);
	/* out-of-order data that would not fit the buffer is dropped */
	r->mode = C_LINE;
	r->n = 0;
	seg(d, 2006, 0, 0, "a", T0);
	seg(d, 2006, 60, 0, "0123456789\n", T0);
	seg(d, 2006, 1, 0, "b\n", T0);
	CHECK(rec_is(r, "ab\n") && stats(d).tcp_ignored == 1);
	dec_free(d);
	free(r);
}

static void test_tcp_v6(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	uint8_t l4[128], l3[256];
	size_t n = tcp(l4, 2000, SIP, 77, F_ACK | F_FIN, "v6 data", 7);
	send_raw(d, l3, ip6(l3, 6, NULL, 0, l4, n), T0);
	struct ipaddr a;
	ip_from_v6(&a, A6);
	CHECK(rec_is(r, "v6 data") && r->fins == 1 && ip_eq(&r->last.src, &a));
	dec_free(d);
	free(r);
}

/* ---- truncation ------------------------------------------------------- */

static void truncations(struct dec *d, struct rec *r, int dlt, const uint8_t *fr, size_t n)
{
	for (size_t len = 0; len < n; len++) {
		int before = r->an[DEC_A_TRUNCATED], calls = r->calls;
		dec_frame(d, dlt, t_guarded(fr, len), len, T0);
		CHECK_MSG(r->calls == calls && r->an[DEC_A_TRUNCATED] == before + 1,
		          "link %d len %zu of %zu", dlt, len, n);
	}
	int calls = r->calls;
	dec_frame(d, dlt, t_guarded(fr, n), n, T0);
	CHECK_MSG(r->calls == calls + 1, "link %d full frame", dlt);
}

static void test_truncated(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	uint8_t l4[128], e[64], l3[256], fr[300];
	int dlt;
	for (int w = 0; w < W__N; w++) {
		for (int v6 = 0; v6 < 2; v6++) {
			size_t n = wrap(w, v6, l3, udp_pkt(l3, v6, 1000, "INVITE"), fr, &dlt);
			truncations(d, r, dlt, fr, n);
		}
	}
	size_t n4 = tcp(l4, 2000, SIP, 1, F_ACK, "data\n", 5), el = 0;
	el += ext(e, 60, 8);
	el += ext(e + el, 6, 16);
	size_t n = wrap(W_QINQ, true, l3, ip6(l3, 0, e, el, l4, n4), fr, &dlt);
	truncations(d, r, dlt, fr, n);
	n4 = tcp(l4, 2001, SIP, 1, F_ACK, "data\n", 5);
	n = wrap(W_SLL, false, l3, ip4(l3, &(struct v4){ .proto = 6, .optlen = 8 }, l4, n4), fr, &dlt);
	truncations(d, r, dlt, fr, n);
	dec_free(d);
	free(r);
}

static void test_misc(void)
{
	CHECK(strcmp(dec_anomaly_name(DEC_A_TRUNCATED), "truncated") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_BAD_IP_HEADER), "bad_ip_header") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_FRAG_OVERLAP), "frag_overlap") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_FRAG_OVERSIZE), "frag_oversize") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_FRAG_TIMEOUT), "frag_timeout") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_TCP_OVERFLOW), "tcp_overflow") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A_TCP_DESYNC), "tcp_desync") == 0);
	CHECK(strcmp(dec_anomaly_name(DEC_A__COUNT), "unknown") == 0);
	struct dec *d = dec_new(NULL, NULL);    /* defaults, no callbacks */
	uint8_t l3[128];
	CHECK(d != NULL);
	dec_frame(d, DEC_LINK_RAW, l3, udp_pkt(l3, false, 1, "x"), T0);
	dec_frame(d, DEC_LINK_RAW, l3, 3, T0);
	CHECK(stats(d).udp == 1 && stats(d).anomalies[DEC_A_TRUNCATED] == 1);
	dec_free(d);
}

/* ---- fuzz seed corpus ------------------------------------------------- */

struct seed {
	size_t n;
	uint8_t b[8192];
};

static void seed_add(struct seed *s, int dlt, const uint8_t *fr, size_t n)
{
	uint8_t idx = 0;
	while (fuzz_links[idx] != dlt)
		idx++;
	if (s->n) {
		memcpy(s->b + s->n, fuzz_sep, sizeof fuzz_sep);
		s->n += sizeof fuzz_sep;
	}
	s->b[s->n++] = idx;
	memcpy(s->b + s->n, fr, n);
	s->n += n;
}

static void seed_write(const char *dir, const char *name, struct seed *s)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	s->n = 0;
}

static void seed_tcp(struct seed *s, uint32_t seq, uint8_t fl, const char *msg)
{
	uint8_t l4[512], l3[600];
	size_t n = tcp(l4, 40000, SIP, seq, fl | F_ACK, msg, strlen(msg));
	seed_add(s, DEC_LINK_RAW, l3, ip4(l3, &(struct v4){ .proto = 6 }, l4, n));
}

/* A segment of a connection 40000 <-> SIP with ACK number and window,
 * from the server when srv; ws > 0 adds a window scale option ws - 1. */
static void seed_conn(struct seed *s, bool srv, uint32_t seq, uint32_t ack, uint8_t fl,
                      uint8_t ws, const char *msg)
{
	uint8_t pl[512], l4[600], l3[700];
	size_t o = ws ? 4 : 0, n = strlen(msg);
	memcpy(pl, "\x01\x03\x03", 3);
	pl[3] = (uint8_t)(ws - 1);
	memcpy(pl + o, msg, n);
	size_t m = tcp(l4, srv ? SIP : 40000, srv ? 40000 : SIP, seq, fl, pl, o + n);
	put32(l4 + 8, ack);
	put16(l4 + 14, 512);
	l4[12] = (uint8_t)((5 + o / 4) << 4);
	seed_add(s, DEC_LINK_RAW, l3, ip4(l3, &(struct v4){ .proto = 6, .rev = srv }, l4, m));
}

static int write_corpus(const char *dir)
{
	static const char *names[W__N] = { "eth", "vlan", "qinq", "q9100", "sll", "sll2",
	                                   "null_le", "null_be", "loop", "raw", "raw12",
	                                   "raw14", "ipv" };
	static const char sip[] = "OPTIONS sip:100@203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n";
	struct seed *s = calloc(1, sizeof *s);
	uint8_t l4[256], e[32], l3[512], fr[600];
	char name[64];
	int dlt = 0;
	for (int w = 0; w < W__N; w++) {
		bool v6 = w % 2;
		size_t n = wrap(w, v6, l3, udp_pkt(l3, v6, 5060, sip), fr, &dlt);
		seed_add(s, dlt, fr, n);
		snprintf(name, sizeof name, "%s_udp%d", names[w], v6 ? 6 : 4);
		seed_write(dir, name, s);
	}
	size_t n = ext(e, 51, 8);               /* hop-by-hop -> AH -> UDP */
	e[n] = 17;
	e[n + 1] = 2;
	memset(e + n + 2, 0, 14);
	n = ip6(l3, 0, e, n + 16, l4, udp(l4, 40000, SIP, sip, sizeof sip - 1));
	seed_add(s, DEC_LINK_IPV6, l3, n);
	seed_write(dir, "ipv6_ext", s);
	/* fragment trains, last fragment first */
	n = udp(l4, 40000, SIP, sip, sizeof sip - 1);
	seed_add(s, DEC_LINK_RAW, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 9, .off = 48 }, l4 + 48, n - 48));
	seed_add(s, DEC_LINK_RAW, l3, ip4(l3, &(struct v4){ .proto = 17, .id = 9, .mf = 1 }, l4, 48));
	seed_write(dir, "frag4_pair", s);
	fraghdr(e, 17, 48, false, 99);
	seed_add(s, DEC_LINK_RAW, l3, ip6(l3, 44, e, 8, l4 + 48, n - 48));
	fraghdr(e, 17, 0, true, 99);
	seed_add(s, DEC_LINK_RAW, l3, ip6(l3, 44, e, 8, l4, 48));
	seed_write(dir, "frag6_pair", s);
	/* a TCP exchange: SYN, out-of-order data, a retransmission, the gap, FIN */
	seed_tcp(s, 1000, F_SYN, "");
	seed_tcp(s, 1011, 0, "Via: x\r\n\r\n");
	seed_tcp(s, 1001, 0, "OPTIONS si");
	seed_tcp(s, 1001, 0, "OPTIONS si");
	seed_tcp(s, 1021, F_FIN, "OPTIONS sip:a SIP/2.0\r\n\r\n");
	seed_write(dir, "tcp_stream", s);
	/* a verified connection with window scaling, the server's answers and
	 * ACKs, junk far ahead, a capture gap the server's ACK skips, a reset */
	seed_conn(s, false, 1000, 0, F_SYN, 8, "");
	seed_conn(s, true, 5000, 1001, F_SYN | F_ACK, 8, "");
	seed_conn(s, false, 1001, 5001, F_ACK, 0, "REGISTER sip:a SIP/2.0\r\n\r\n");
	seed_conn(s, true, 5001, 1027, F_ACK, 0, "SIP/2.0 401 x\r\n\r\n");
	seed_conn(s, false, 1001 + (1u << 20), 5019, F_ACK, 0, "junk");
	seed_conn(s, false, 1037, 5019, F_ACK, 0, "after a gap\r\n");
	seed_conn(s, true, 5019, 1050, F_ACK, 0, "");
	seed_conn(s, false, 1050, 5019, F_RST | F_ACK, 0, "");
	seed_write(dir, "tcp_verified", s);
	free(s);
	return 0;
}

/* ---- direction ---------------------------------------------------------- */

/* A UDP or TCP (sport 3000) packet over IPv4 behind a Linux cooked header
 * (SLL, or SLL2 when v2) with packet type `type` and ARPHRD type hatype. */
static void cooked(struct dec *d, bool v2, unsigned type, unsigned hatype, bool stream, uint32_t seq,
                   uint8_t fl, const char *s)
{
	uint8_t l4[512], l3[600], fr[700];
	size_t n4 = stream ? tcp(l4, 3000, SIP, seq, fl | F_ACK, s, strlen(s)) : udp(l4, 3000, SIP, s, strlen(s));
	size_t n3 = ip4(l3, &(struct v4){ .proto = stream ? 6 : 17 }, l4, n4), h = v2 ? 20 : 16;
	memset(fr, 0, h);
	if (v2) {
		put16(fr, 0x0800);
		put16(fr + 8, hatype);
		fr[10] = (uint8_t)type;
		fr[11] = 6;
	} else {
		put16(fr, type);
		put16(fr + 2, hatype);
		put16(fr + 4, 6);
		put16(fr + 14, 0x0800);
	}
	memcpy(fr + h, l3, n3);
	CHECK(dec_frame(d, v2 ? DEC_LINK_SLL2 : DEC_LINK_SLL, fr, h + n3, T0) == 0);
}

/* Which way a frame crossed the capturing host's interface: the SLL packet
 * type (PACKET_OUTGOING = 4 is the host's; host, broadcast, multicast and
 * other-host arrived), the source MAC of an Ethernet frame against the
 * host's own, unknown otherwise (and on the loopback device, where every
 * packet is both).  A TCP flow direction once sent by the host stays the
 * host's: inbound segments forged in its name do not undo it. */
static void test_direction(void)
{
	struct rec *r = malloc(sizeof *r);
	struct dec *d = mkdec(r, (struct dec_config){ 0 });
	static const struct { unsigned type, hatype; uint8_t dir; } cases[] = {
		{ 0, 1, DEC_DIR_IN }, { 1, 1, DEC_DIR_IN }, { 2, 1, DEC_DIR_IN }, { 3, 1, DEC_DIR_IN },
		{ 4, 1, DEC_DIR_OUT }, { 5, 1, DEC_DIR_UNKNOWN }, { 0, 772, DEC_DIR_UNKNOWN },
		{ 4, 772, DEC_DIR_UNKNOWN },
	};
	for (int v2 = 0; v2 < 2; v2++)
		for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
			r->calls = 0;
			cooked(d, v2, cases[i].type, cases[i].hatype, false, 0, 0, "x");
			CHECK_MSG(r->calls == 1 && r->last.dir == cases[i].dir, "sll%d type %u hatype %u: dir %u", v2 + 1,
			          cases[i].type, cases[i].hatype, r->last.dir);
		}
	/* Ethernet: unknown until the host's link addresses are known */
	uint8_t l4[64], l3[128], fr[200];
	int dlt;
	size_t n = wrap(W_ETH, false, l3, ip4(l3, &(struct v4){ .proto = 17 }, l4, udp(l4, 1000, SIP, "e", 1)), fr, &dlt);
	static const uint8_t own[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
	memcpy(fr + 6, own[1], 6);
	dec_frame(d, dlt, fr, n, T0);
	CHECK(r->last.dir == DEC_DIR_UNKNOWN);
	dec_set_own_macs(d, own, 2);
	dec_frame(d, dlt, fr, n, T0);
	CHECK(r->last.dir == DEC_DIR_OUT);
	fr[11] ^= 0x10;
	dec_frame(d, dlt, fr, n, T0);
	CHECK(r->last.dir == DEC_DIR_IN);
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 17 }, l4, udp(l4, 1000, SIP, "r", 1)), T0);
	CHECK(r->last.dir == DEC_DIR_UNKNOWN);
	/* TCP: a flow seen inbound, then sent by the host, stays the host's */
	r->mode = C_LINE;
	r->n = 0;
	cooked(d, false, 0, 1, true, 5000, F_SYN, "");
	cooked(d, false, 0, 1, true, 5001, 0, "a\n");
	CHECK(rec_is(r, "a\n") && r->last.dir == DEC_DIR_IN);
	cooked(d, false, 4, 1, true, 5003, 0, "b\n");
	CHECK(rec_is(r, "a\nb\n") && r->last.dir == DEC_DIR_OUT);
	cooked(d, false, 0, 1, true, 5005, 0, "c\n");
	CHECK(rec_is(r, "a\nb\nc\n") && r->last.dir == DEC_DIR_OUT);
	dec_free(d);
	free(r);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);
	test_links();
	test_ip4();
	test_ip6();
	test_frag();
	test_frag_table();
	test_tcp_basic();
	test_tcp_order();
	test_tcp_limits();
	test_tcp_v6();
	test_truncated();
	test_misc();
	test_direction();
	return T_DONE();
}
