/* decode: link layer, IPv4/IPv6 headers, UDP, and the TCP header; fragment
 * reassembly lives in dec_frag.c and stream reassembly in dec_tcp.c.  This
 * file also holds the index-linked table both of those use. */
#include "dec_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_MAX_TAGS 8

static const char *const anomaly_names[DEC_A__COUNT] = {
	[DEC_A_TRUNCATED] = "truncated",
	[DEC_A_BAD_IP_HEADER] = "bad_ip_header",
	[DEC_A_FRAG_OVERLAP] = "frag_overlap",
	[DEC_A_FRAG_OVERSIZE] = "frag_oversize",
	[DEC_A_FRAG_TIMEOUT] = "frag_timeout",
	[DEC_A_TCP_OVERFLOW] = "tcp_overflow",
	[DEC_A_TCP_DESYNC] = "tcp_desync",
};

const char *dec_anomaly_name(enum dec_anomaly a)
{
	if ((int)a <= 0 || (int)a >= DEC_A__COUNT)
		return "unknown";
	return anomaly_names[a];
}

bool dec_link_supported(int link)
{
	switch (link) {
	case DEC_LINK_NULL: case DEC_LINK_EN10MB: case DEC_LINK_RAW:
	case DEC_LINK_RAW12: case DEC_LINK_RAW14: case DEC_LINK_LOOP:
	case DEC_LINK_SLL: case DEC_LINK_SLL2: case DEC_LINK_IPV4:
	case DEC_LINK_IPV6:
		return true;
	default:
		return false;
	}
}

void dec_anomaly(struct dec *d, uint64_t ts, const struct ipaddr *src,
                 enum dec_anomaly what)
{
	d->st.anomalies[what]++;
	if (d->cb.anomaly)
		d->cb.anomaly(d->cb.ctx, ts, src, what);
}

/* ---- index-linked tables ---------------------------------------------- */

bool dec_table_init(struct dec_table *t, uint32_t cap)
{
	uint32_t nb = 16;
	while (nb < cap * 2u)
		nb *= 2;
	t->lnk = calloc(cap, sizeof *t->lnk);
	t->bucket = malloc((size_t)nb * sizeof *t->bucket);
	if (!t->lnk || !t->bucket)
		return false;
	for (uint32_t i = 0; i < nb; i++)
		t->bucket[i] = DEC_NIL;
	for (uint32_t i = 0; i < cap; i++)
		t->lnk[i].next = i + 1 < cap ? i + 1 : DEC_NIL;
	t->mask = nb - 1;
	t->cap = cap;
	t->used = 0;
	t->free_head = 0;
	t->age.head = t->age.tail = DEC_NIL;
	return true;
}

void dec_table_fini(struct dec_table *t)
{
	free(t->lnk);
	free(t->bucket);
	t->lnk = NULL;
	t->bucket = NULL;
}

static void age_unlink(struct dec_table *t, uint32_t i)
{
	struct dec_lnk *l = &t->lnk[i];
	if (l->prev != DEC_NIL)
		t->lnk[l->prev].next = l->next;
	else
		t->age.head = l->next;
	if (l->next != DEC_NIL)
		t->lnk[l->next].prev = l->prev;
	else
		t->age.tail = l->prev;
}

static void age_append(struct dec_table *t, uint32_t i)
{
	t->lnk[i].prev = t->age.tail;
	t->lnk[i].next = DEC_NIL;
	if (t->age.tail != DEC_NIL)
		t->lnk[t->age.tail].next = i;
	else
		t->age.head = i;
	t->age.tail = i;
}

uint32_t dec_table_take(struct dec_table *t, uint64_t h)
{
	uint32_t i = t->free_head;
	if (i == DEC_NIL)
		return DEC_NIL;
	t->free_head = t->lnk[i].next;
	t->lnk[i].hnext = t->bucket[h & t->mask];
	t->bucket[h & t->mask] = i;
	age_append(t, i);
	t->used++;
	return i;
}

void dec_table_put(struct dec_table *t, uint32_t i, uint64_t h)
{
	uint32_t *pp = &t->bucket[h & t->mask];
	while (*pp != DEC_NIL && *pp != i)
		pp = &t->lnk[*pp].hnext;
	if (*pp == i)
		*pp = t->lnk[i].hnext;
	age_unlink(t, i);
	t->lnk[i].next = t->free_head;
	t->free_head = i;
	t->used--;
}

void dec_table_touch(struct dec_table *t, uint32_t i)
{
	if (t->age.tail == i)
		return;
	age_unlink(t, i);
	age_append(t, i);
}

bool dec_ranges_add(uint32_t (*r)[2], uint8_t *n, unsigned max, uint32_t lo, uint32_t hi)
{
	unsigned cnt = *n, i = 0, j;
	while (i < cnt && r[i][1] < lo)
		i++;
	for (j = i; j < cnt && r[j][0] <= hi; j++) {
		if (r[j][0] < lo)
			lo = r[j][0];
		if (r[j][1] > hi)
			hi = r[j][1];
	}
	if (i == j) {
		if (cnt == max)
			return false;
		memmove(&r[i + 1], &r[i], (cnt - i) * sizeof r[0]);
		cnt++;
	} else {
		memmove(&r[i + 1], &r[j], (cnt - j) * sizeof r[0]);
		cnt -= j - i - 1;
	}
	r[i][0] = lo;
	r[i][1] = hi;
	*n = (uint8_t)cnt;
	return true;
}

/* ---- transport -------------------------------------------------------- */

static void dec_udp(struct dec *d, const struct dec_ip *ip, uint64_t ts)
{
	if (ip->len < 8) {
		dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
		return;
	}
	const uint8_t *p = ip->p;
	size_t ulen = dec_be16(p + 4);
	if (ulen < 8) {
		dec_anomaly(d, ts, &ip->src, DEC_A_BAD_IP_HEADER);
		return;
	}
	if (ulen > ip->len) {
		dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
		return;
	}
	d->st.udp++;
	struct packet pkt = {
		.ts_us = ts, .src = ip->src, .dst = ip->dst, .proto = 17,
		.sport = dec_be16(p), .dport = dec_be16(p + 2),
		.dir = d->dir, .data = p + 8, .len = ulen - 8,
	};
	if (!d->cfg.udp_all && !dec_port_ok(d, pkt.sport) && !dec_port_ok(d, pkt.dport)) {
		d->st.not_interesting++;
		return;
	}
	if (d->cb.deliver)
		d->cb.deliver(d->cb.ctx, &pkt);
}

/* The window scale option (kind 3) among n bytes of TCP options, capped at
 * DEC_WS_MAX; DEC_WS_NONE when absent or the options are malformed. */
static uint8_t tcp_wscale(const uint8_t *o, size_t n)
{
	size_t i = 0;
	while (i < n && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return DEC_WS_NONE;
		if (o[i] == 3 && o[i + 1] == 3)
			return o[i + 2] > DEC_WS_MAX ? DEC_WS_MAX : o[i + 2];
		i += o[i + 1];
	}
	return DEC_WS_NONE;
}

static void dec_tcp(struct dec *d, const struct dec_ip *ip, uint64_t ts)
{
	if (ip->len < 20) {
		dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
		return;
	}
	const uint8_t *p = ip->p;
	size_t off = (size_t)(p[12] >> 4) * 4;
	if (off < 20) {
		dec_anomaly(d, ts, &ip->src, DEC_A_BAD_IP_HEADER);
		return;
	}
	if (off > ip->len) {
		dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
		return;
	}
	d->st.tcp_segments++;
	struct dec_seg s = {
		.sport = dec_be16(p), .dport = dec_be16(p + 2),
		.seq = dec_be32(p + 4), .ack = dec_be32(p + 8), .win = dec_be16(p + 14),
		.flags = p[13] & 0x17, .wscale = DEC_WS_NONE,
		.data = p + off, .len = ip->len - off,
	};
	if (!dec_port_ok(d, s.sport) && !dec_port_ok(d, s.dport)) {
		d->st.not_interesting++;
		return;
	}
	if (s.flags & DEC_TCP_SYN)
		s.wscale = tcp_wscale(p + 20, off - 20);
	dec_tcp_segment(d, ip, &s, ts);
}

static void dec_l4(struct dec *d, const struct dec_ip *ip, uint64_t ts)
{
	if (ip->proto == 17)
		dec_udp(d, ip, ts);
	else if (ip->proto == 6)
		dec_tcp(d, ip, ts);
	else
		d->st.not_interesting++;
}

/* ---- network layer ---------------------------------------------------- */

/* Walks IPv6 extension headers from ip->proto over ip->p; `unfrag` counts
 * the extension bytes already passed.  A fragment header goes to the
 * reassembler unless in_frag (the data came out of reassembly). */
static void dec_ip6_chain(struct dec *d, struct dec_ip *ip, uint64_t ts,
                          uint32_t unfrag, bool in_frag)
{
	for (;;) {
		size_t hl;
		uint8_t nh = ip->proto;
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44) {
			dec_l4(d, ip, ts);
			return;
		}
		if (ip->len < 8) {
			dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
			return;
		}
		const uint8_t *p = ip->p;
		if (nh == 44) {
			uint16_t fo = dec_be16(p + 2);
			if (in_frag) {
				dec_anomaly(d, ts, &ip->src, DEC_A_BAD_IP_HEADER);
				return;
			}
			if ((fo & 0xfff9) != 0) {   /* a real fragment, not an atomic one */
				ip->proto = p[0];
				ip->frag_off = fo & 0xfff8u;
				ip->frag_more = fo & 1;
				ip->frag_id = dec_be32(p + 4);
				ip->frag_hdr = unfrag;
				ip->p += 8;
				ip->len -= 8;
				dec_frag_add(d, ip, ts);
				return;
			}
			hl = 8;
		} else if (nh == 51) {
			hl = ((size_t)p[1] + 2) * 4;
		} else {
			hl = ((size_t)p[1] + 1) * 8;
		}
		if (hl > ip->len) {
			dec_anomaly(d, ts, &ip->src, DEC_A_TRUNCATED);
			return;
		}
		ip->proto = p[0];
		ip->p += hl;
		ip->len -= hl;
		unfrag += (uint32_t)hl;
	}
}

void dec_reassembled(struct dec *d, struct dec_ip *ip, uint64_t ts)
{
	if (ip->v6)
		dec_ip6_chain(d, ip, ts, 0, true);
	else
		dec_l4(d, ip, ts);
}

static void dec_ip4(struct dec *d, const uint8_t *p, size_t n, uint64_t ts)
{
	if (n < 20) {
		dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
		return;
	}
	struct dec_ip ip = { .proto = p[9] };
	ip_from_v4(&ip.src, p + 12);
	ip_from_v4(&ip.dst, p + 16);
	size_t hl = (size_t)(p[0] & 15) * 4, tot = dec_be16(p + 2);
	if ((p[0] >> 4) != 4 || hl < 20 || tot < hl) {
		dec_anomaly(d, ts, &ip.src, DEC_A_BAD_IP_HEADER);
		return;
	}
	if (tot > n) {
		dec_anomaly(d, ts, &ip.src, DEC_A_TRUNCATED);
		return;
	}
	d->st.ip_packets++;
	ip.p = p + hl;
	ip.len = tot - hl;
	uint16_t fo = dec_be16(p + 6);
	ip.frag_more = (fo & 0x2000) != 0;
	ip.frag_off = (uint32_t)(fo & 0x1fff) * 8;
	if (ip.frag_more || ip.frag_off) {
		ip.frag_id = dec_be16(p + 4);
		ip.frag_hdr = (uint32_t)hl;
		dec_frag_add(d, &ip, ts);
		return;
	}
	dec_l4(d, &ip, ts);
}

static void dec_ip6(struct dec *d, const uint8_t *p, size_t n, uint64_t ts)
{
	if (n < 40) {
		dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
		return;
	}
	struct dec_ip ip = { .proto = p[6], .v6 = true };
	ip_from_v6(&ip.src, p + 8);
	ip_from_v6(&ip.dst, p + 24);
	if ((p[0] >> 4) != 6) {
		dec_anomaly(d, ts, &ip.src, DEC_A_BAD_IP_HEADER);
		return;
	}
	size_t plen = dec_be16(p + 4);
	if (40 + plen > n) {
		dec_anomaly(d, ts, &ip.src, DEC_A_TRUNCATED);
		return;
	}
	d->st.ip_packets++;
	ip.p = p + 40;
	ip.len = plen;
	dec_ip6_chain(d, &ip, ts, 0, false);
}

/* ---- link layer ------------------------------------------------------- */

/* Dispatches on an EtherType, skipping 802.1Q / 802.1ad / QinQ tags. */
static void dec_ethertype(struct dec *d, uint16_t type, const uint8_t *p,
                          size_t n, uint64_t ts)
{
	for (int tags = 0; tags <= ETH_MAX_TAGS; tags++) {
		if (type == ETH_IPV4) {
			dec_ip4(d, p, n, ts);
			return;
		}
		if (type == ETH_IPV6) {
			dec_ip6(d, p, n, ts);
			return;
		}
		if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
			break;
		if (n < 4) {
			dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
			return;
		}
		type = dec_be16(p + 2);
		p += 4;
		n -= 4;
	}
	d->st.not_ip++;
}

/* Address family of the NULL/LOOP header: 4, 6, or 0 for anything else. */
static int af_family(uint32_t af)
{
	if (af == 2)
		return 4;
	if (af == 10 || af == 24 || af == 28 || af == 30)
		return 6;
	return 0;
}

/* NULL (host byte order of the capturing machine: accept either) or LOOP
 * (network byte order only). */
static void dec_null(struct dec *d, const uint8_t *p, size_t n, uint64_t ts,
                     bool either_order)
{
	if (n < 4) {
		dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
		return;
	}
	uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	int fam = af_family(dec_be32(p));
	if (fam == 0 && either_order)
		fam = af_family(le);
	if (fam == 4)
		dec_ip4(d, p + 4, n - 4, ts);
	else if (fam == 6)
		dec_ip6(d, p + 4, n - 4, ts);
	else
		d->st.not_ip++;
}

static void dec_raw(struct dec *d, const uint8_t *p, size_t n, uint64_t ts)
{
	if (n < 1) {
		dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
		return;
	}
	if ((p[0] >> 4) == 4)
		dec_ip4(d, p, n, ts);
	else if ((p[0] >> 4) == 6)
		dec_ip6(d, p, n, ts);
	else
		d->st.not_ip++;
}

/* Skips a fixed link header of hl bytes whose EtherType sits at type_at. */
static void dec_fixed(struct dec *d, const uint8_t *p, size_t n, uint64_t ts,
                      size_t hl, size_t type_at)
{
	if (n < hl) {
		dec_anomaly(d, ts, NULL, DEC_A_TRUNCATED);
		return;
	}
	dec_ethertype(d, dec_be16(p + type_at), p + hl, n - hl, ts);
}

void dec_set_own_macs(struct dec *d, const uint8_t (*macs)[6], unsigned n)
{
	d->n_mac = n < DEC_MAX_MACS ? n : DEC_MAX_MACS;
	if (d->n_mac)
		memcpy(d->own_mac, macs, d->n_mac * sizeof d->own_mac[0]);
}

#define SLL_OUTGOING 4      /* PACKET_OUTGOING */
#define ARPHRD_LOOPBACK_ 772

/* The frame's direction from its link header (n: the bytes captured).  On
 * the loopback device every packet is both sent and received: unknown. */
static uint8_t frame_dir(const struct dec *d, int link, const uint8_t *f, size_t n)
{
	unsigned type, hatype;
	switch (link) {
	case DEC_LINK_SLL: /* packet type, ARPHRD type, ... */
		if (n < 16)
			return DEC_DIR_UNKNOWN;
		type = dec_be16(f);
		hatype = dec_be16(f + 2);
		break;
	case DEC_LINK_SLL2: /* protocol, reserved, ifindex, ARPHRD type, packet type, ... */
		if (n < 20)
			return DEC_DIR_UNKNOWN;
		hatype = dec_be16(f + 8);
		type = f[10];
		break;
	case DEC_LINK_EN10MB:
		if (n < 14 || !d->n_mac)
			return DEC_DIR_UNKNOWN;
		for (unsigned i = 0; i < d->n_mac; i++)
			if (!memcmp(f + 6, d->own_mac[i], 6))
				return DEC_DIR_OUT;
		return DEC_DIR_IN;
	default:
		return DEC_DIR_UNKNOWN;
	}
	if (hatype == ARPHRD_LOOPBACK_ || type > SLL_OUTGOING)
		return DEC_DIR_UNKNOWN;
	return type == SLL_OUTGOING ? DEC_DIR_OUT : DEC_DIR_IN;
}

int dec_frame(struct dec *d, int link, const uint8_t *frame, size_t caplen,
              uint64_t ts_us)
{
	if (!dec_link_supported(link))
		return -1;
	d->st.frames++;
	d->dir = frame_dir(d, link, frame, caplen);
	switch (link) {
	case DEC_LINK_EN10MB: dec_fixed(d, frame, caplen, ts_us, 14, 12); break;
	case DEC_LINK_SLL:    dec_fixed(d, frame, caplen, ts_us, 16, 14); break;
	case DEC_LINK_SLL2:   dec_fixed(d, frame, caplen, ts_us, 20, 0); break;
	case DEC_LINK_NULL:   dec_null(d, frame, caplen, ts_us, true); break;
	case DEC_LINK_LOOP:   dec_null(d, frame, caplen, ts_us, false); break;
	case DEC_LINK_IPV4:   dec_ip4(d, frame, caplen, ts_us); break;
	case DEC_LINK_IPV6:   dec_ip6(d, frame, caplen, ts_us); break;
	default:              dec_raw(d, frame, caplen, ts_us); break;
	}
	return 0;
}

/* ---- lifetime --------------------------------------------------------- */

static void dec_defaults(struct dec_config *c)
{
	if (c->max_frag_datagrams == 0)
		c->max_frag_datagrams = 1024;
	if (c->max_frag_datagrams > (1u << 16))
		c->max_frag_datagrams = 1u << 16;
	if (c->frag_timeout_ms == 0)
		c->frag_timeout_ms = 30000;
	if (c->max_flows == 0)
		c->max_flows = 4096;
	if (c->max_flows > (1u << 22))
		c->max_flows = 1u << 22;
	if (c->flow_buf == 0)
		c->flow_buf = 65536;
	if (c->flow_buf > (1u << 24))
		c->flow_buf = 1u << 24;
	if (c->flow_idle_ms == 0)
		c->flow_idle_ms = 300000;
	if (c->reorder_window == 0 || c->reorder_window > c->flow_buf)
		c->reorder_window = c->flow_buf;
}

struct dec *dec_new(const struct dec_config *cfg, const struct dec_callbacks *cb)
{
	struct dec *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	if (cb)
		d->cb = *cb;
	dec_defaults(&d->cfg);
	d->seed = hash_key_new();
	if (!dec_frag_init(d) || !dec_tcp_init(d)) {
		dec_free(d);
		return NULL;
	}
	return d;
}

void dec_free(struct dec *d)
{
	if (!d)
		return;
	dec_frag_fini(d);
	dec_tcp_fini(d);
	free(d);
}

void dec_expire(struct dec *d, uint64_t now_us)
{
	dec_frag_expire(d, now_us);
	dec_tcp_expire(d, now_us);
}

void dec_stats_get(const struct dec *d, struct dec_stats *out)
{
	*out = d->st;
	out->flows_active = d->tt.used;
}
