/* dec_t.h: what the decoder tests share: a recording consumer, frame
 * builders (IPv4/IPv6, UDP, TCP) and one-segment senders. */
#ifndef SW_DEC_T_H
#define SW_DEC_T_H

#include "decode.h"
#include "t.h"

#include <stdlib.h>

#define SIP 5060
#define T0 1700000000000000ULL

static const uint8_t A4[4] = { 198, 51, 100, 1 }, B4[4] = { 203, 0, 113, 5 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 2 };

enum { C_ALL, C_LINE, C_NONE };

struct rec {
	int mode, calls, fins, verified;   /* verified: deliveries with tcp_verified */
	int an[DEC_A__COUNT];
	struct ipaddr an_src;               /* of the last anomaly */
	struct packet last;
	size_t n;
	char data[140000];
};

static inline size_t rec_deliver(void *ctx, const struct packet *p)
{
	struct rec *r = ctx;
	size_t take = p->len;
	r->calls++;
	r->fins += p->tcp_fin;
	r->verified += p->tcp_verified;
	r->last = *p;
	r->last.data = NULL;
	if (p->proto == 6 && r->mode == C_NONE)
		take = 0;
	if (p->proto == 6 && r->mode == C_LINE) {
		const uint8_t *nl = memchr(p->data, '\n', p->len);
		take = nl ? (size_t)(nl - p->data) + 1 : 0;
	}
	if (r->n + take <= sizeof r->data) {
		memcpy(r->data + r->n, p->data, take);
		r->n += take;
	}
	return take;
}

static inline void rec_anomaly(void *ctx, uint64_t ts, const struct ipaddr *src,
                        enum dec_anomaly what)
{
	struct rec *r = ctx;
	(void)ts;
	if (src)
		r->an_src = *src;
	r->an[what]++;
}

static inline bool rec_is(const struct rec *r, const char *s)
{
	return r->n == strlen(s) && memcmp(r->data, s, r->n) == 0;
}

static inline const uint8_t *portmap(void)
{
	static uint8_t m[8192];
	m[SIP >> 3] |= 1u << (SIP & 7);
	return m;
}

static inline struct dec *mkdec(struct rec *r, struct dec_config c)
{
	memset(r, 0, sizeof *r);
	c.port_map = portmap();
	struct dec_callbacks cb = { rec_deliver, rec_anomaly, r };
	struct dec *d = dec_new(&c, &cb);
	if (!d)
		_exit(2);
	return d;
}

static inline struct dec_stats stats(const struct dec *d)
{
	struct dec_stats s;
	dec_stats_get(d, &s);
	return s;
}

/* ---- frame builders --------------------------------------------------- */

static inline void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static inline size_t udp(uint8_t *o, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	put16(o, sp);
	put16(o + 2, dp);
	put16(o + 4, (unsigned)(8 + n));
	put16(o + 6, 0);
	memcpy(o + 8, pl, n);
	return 8 + n;
}

#define F_FIN 1
#define F_SYN 2
#define F_RST 4
#define F_ACK 16

static inline size_t tcp(uint8_t *o, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t fl,
                  const void *pl, size_t n)
{
	memset(o, 0, 20);
	put16(o, sp);
	put16(o + 2, dp);
	put32(o + 4, seq);
	o[12] = 5 << 4;
	o[13] = fl;
	memcpy(o + 20, pl, n);
	return 20 + n;
}

struct v4 { uint16_t id, off; bool mf, rev; uint8_t optlen, proto; };  /* rev: B4 -> A4 */

static inline size_t ip4(uint8_t *o, const struct v4 *h, const void *l4, size_t n)
{
	size_t hl = 20u + h->optlen;
	memset(o, 0, hl);
	o[0] = (uint8_t)(0x40 | hl / 4);
	put16(o + 2, (unsigned)(hl + n));
	put16(o + 4, h->id);
	put16(o + 6, (unsigned)(h->off / 8 | (h->mf ? 0x2000 : 0)));
	o[8] = 64;
	o[9] = h->proto;
	memcpy(o + 12, h->rev ? B4 : A4, 4);
	memcpy(o + 16, h->rev ? A4 : B4, 4);
	memset(o + 20, 1, h->optlen);   /* NOP options */
	memcpy(o + hl, l4, n);
	return hl + n;
}

static inline size_t ip6(uint8_t *o, uint8_t nh, const uint8_t *ext, size_t elen,
                  const void *l4, size_t n)
{
	memset(o, 0, 40);
	o[0] = 0x60;
	put16(o + 4, (unsigned)(elen + n));
	o[6] = nh;
	o[7] = 64;
	memcpy(o + 8, A6, 16);
	memcpy(o + 24, B6, 16);
	if (elen)
		memcpy(o + 40, ext, elen);
	memcpy(o + 40 + elen, l4, n);
	return 40 + elen + n;
}

static inline void send_raw(struct dec *d, const uint8_t *l3, size_t n, uint64_t ts)
{
	CHECK(dec_frame(d, DEC_LINK_RAW, l3, n, ts) == 0);
}

/* One TCP segment sport -> SIP over IPv4, raw link. */
static inline void seg(struct dec *d, uint16_t sp, uint32_t seq, uint8_t fl, const char *s,
                uint64_t ts)
{
	uint8_t l4[4096], l3[4200];
	size_t n = tcp(l4, sp, SIP, seq, fl | F_ACK, s, strlen(s));
	send_raw(d, l3, ip4(l3, &(struct v4){ .proto = 6 }, l4, n), ts);
}

/* ---- link and network layer ------------------------------------------- */

#endif
