/* dec_tcp: per-direction TCP stream reassembly.
 *
 * A flow direction is keyed on (src, dst, sport, dport) in a preallocated
 * table of cfg.max_flows entries kept in LRU order (the least recently used
 * is evicted when full; dec_tcp_expire() drops idle ones from the front).
 * Each has cfg.flow_buf bytes in one lazily-touched arena:
 *
 *   buf[0 .. len)                 in-order bytes the consumer has not used;
 *                                 buf[len] is sequence number next_seq
 *   buf[len + lo .. len + hi)     out-of-order range [next_seq+lo, next_seq+hi)
 *
 * Out-of-order data is written in place, so when the gap fills len just
 * grows.  Ranges are offsets from next_seq (so wrap-around needs no care)
 * and are shifted whenever next_seq moves.  Data that fits neither the
 * reorder window nor the buffer, or a ninth hole, means bytes were lost:
 * the flow restarts at that segment, like a mid-stream pickup. */
#include "dec_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t flow_hash(const struct dec *d, const struct ipaddr *src,
                          const struct ipaddr *dst, uint16_t sport, uint16_t dport)
{
	uint8_t k[36];
	memcpy(k, src->b, 16);
	memcpy(k + 16, dst->b, 16);
	k[32] = (uint8_t)(sport >> 8);
	k[33] = (uint8_t)sport;
	k[34] = (uint8_t)(dport >> 8);
	k[35] = (uint8_t)dport;
	return hash_bytes(k, sizeof k, d->seed);
}

bool dec_tcp_init(struct dec *d)
{
	uint32_t cap = d->cfg.max_flows;
	if (!dec_table_init(&d->tt, cap))
		return false;
	d->flows = calloc(cap, sizeof *d->flows);
	d->flow_buf = malloc((size_t)cap * d->cfg.flow_buf);
	return d->flows && d->flow_buf;
}

void dec_tcp_fini(struct dec *d)
{
	dec_table_fini(&d->tt);
	free(d->flows);
	free(d->flow_buf);
	d->flows = NULL;
	d->flow_buf = NULL;
}

static uint8_t *flow_data(const struct dec *d, uint32_t i)
{
	return d->flow_buf + (size_t)i * d->cfg.flow_buf;
}

static uint32_t flow_find(const struct dec *d, const struct dec_ip *ip,
                          const struct dec_seg *s, uint64_t h)
{
	for (uint32_t i = dec_table_first(&d->tt, h); i != DEC_NIL; i = d->tt.lnk[i].hnext) {
		const struct dec_flow *f = &d->flows[i];
		if (f->sport == s->sport && f->dport == s->dport &&
		    ip_eq(&f->src, &ip->src) && ip_eq(&f->dst, &ip->dst))
			return i;
	}
	return DEC_NIL;
}

static void flow_free(struct dec *d, uint32_t i)
{
	const struct dec_flow *f = &d->flows[i];
	dec_table_put(&d->tt, i, flow_hash(d, &f->src, &f->dst, f->sport, f->dport));
}

/* Forgets everything buffered and continues at sequence number seq. */
static void flow_restart(struct dec_flow *f, uint32_t seq)
{
	f->len = 0;
	f->nooo = 0;
	f->fin_pending = false;
	f->next_seq = seq;
}

/* Starts a flow direction, evicting the least recently used when full. */
static uint32_t flow_new(struct dec *d, const struct dec_ip *ip,
                         const struct dec_seg *s, uint64_t h)
{
	uint32_t i = dec_table_take(&d->tt, h);
	if (i == DEC_NIL) {
		flow_free(d, d->tt.age.head);
		d->st.flows_evicted++;
		i = dec_table_take(&d->tt, h);
	}
	struct dec_flow *f = &d->flows[i];
	memset(f, 0, sizeof *f);
	f->src = ip->src;
	f->dst = ip->dst;
	f->sport = s->sport;
	f->dport = s->dport;
	f->next_seq = s->seq;
	return i;
}

/* Offers the in-order bytes to the consumer, again as long as it takes
 * some, then moves what is left (and the out-of-order data) to the front. */
static void flow_deliver(struct dec *d, uint32_t i, uint64_t ts, bool fin)
{
	struct dec_flow *f = &d->flows[i];
	uint8_t *buf = flow_data(d, i);
	uint32_t off = 0;
	struct packet pkt = {
		.ts_us = ts, .src = f->src, .dst = f->dst, .sport = f->sport,
		.dport = f->dport, .proto = 6, .tcp_fin = fin,
	};
	while (off < f->len) {
		pkt.data = buf + off;
		pkt.len = f->len - off;
		size_t c = d->cb.deliver ? d->cb.deliver(d->cb.ctx, &pkt) : pkt.len;
		if (c == 0)
			break;
		off += c < pkt.len ? (uint32_t)c : (uint32_t)pkt.len;
	}
	if (off == 0)
		return;
	uint32_t extent = f->len + (f->nooo ? f->ooo[f->nooo - 1][1] : 0);
	memmove(buf, buf + off, extent - off);
	f->len -= off;
}

static void flow_overflow(struct dec *d, struct dec_flow *f, uint64_t ts)
{
	dec_anomaly(d, ts, &f->src, DEC_A_TCP_OVERFLOW);
	f->len = 0;
	f->nooo = 0;
}

/* k in-order bytes were written at buf[len]: take them, and any
 * out-of-order ranges they reach, into the contiguous part. */
static void flow_advance(struct dec_flow *f, uint32_t k)
{
	uint32_t adv = k;
	unsigned drop = 0;
	while (drop < f->nooo && f->ooo[drop][0] <= adv) {
		if (f->ooo[drop][1] > adv)
			adv = f->ooo[drop][1];
		drop++;
	}
	f->nooo = (uint8_t)(f->nooo - drop);
	for (unsigned r = 0; r < f->nooo; r++) {
		f->ooo[r][0] = f->ooo[r + drop][0] - adv;
		f->ooo[r][1] = f->ooo[r + drop][1] - adv;
	}
	f->len += adv;
	f->next_seq += adv;
}

/* Appends in-order data; when it does not fit, lets the consumer make room
 * and drops the buffer if it will not. */
static void flow_append(struct dec *d, uint32_t i, const uint8_t *data,
                        uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	uint32_t cap = d->cfg.flow_buf;
	for (;;) {
		uint32_t k = n < cap - f->len ? n : cap - f->len;
		memcpy(flow_data(d, i) + f->len, data, k);
		flow_advance(f, k);
		d->st.tcp_bytes += k;
		data += k;
		n -= k;
		if (n == 0)
			return;
		flow_deliver(d, i, ts, false);
		if (f->len == cap)
			flow_overflow(d, f, ts);
	}
}

/* Stores data that starts rel > 0 bytes past next_seq. */
static void flow_ahead(struct dec *d, uint32_t i, uint32_t rel,
                       const uint8_t *data, uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	uint32_t hi = rel + n;
	for (unsigned r = 0; r < f->nooo; r++) {
		if (f->ooo[r][0] <= rel && hi <= f->ooo[r][1]) {
			d->st.tcp_retrans++;
			return;
		}
	}
	if ((uint64_t)hi > d->cfg.reorder_window || (uint64_t)f->len + hi > d->cfg.flow_buf ||
	    !dec_ranges_add(f->ooo, &f->nooo, DEC_OOO_MAX, rel, hi)) {
		flow_restart(f, f->next_seq + rel);
		flow_append(d, i, data, n, ts);
		return;
	}
	memcpy(flow_data(d, i) + f->len + rel, data, n);
	d->st.tcp_out_of_order++;
	d->st.tcp_bytes += n;
}

/* Places segment data starting at sequence number seq. */
static void flow_place(struct dec *d, uint32_t i, uint32_t seq,
                       const uint8_t *data, uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	int32_t rel = dec_seqdiff(seq, f->next_seq);
	if (rel < 0) {
		uint32_t old = f->next_seq - seq;
		d->st.tcp_retrans++;
		if (old >= n)
			return;
		data += old;
		n -= old;
		rel = 0;
	}
	if (rel > 0)
		flow_ahead(d, i, (uint32_t)rel, data, n, ts);
	else
		flow_append(d, i, data, n, ts);
}

/* Handles SYN: the stream starts at ISN+1.  A repeated SYN with the same
 * ISN is ignored; a different ISN means a new connection on these ports. */
static void flow_syn(struct dec_flow *f, uint32_t isn, bool created)
{
	if (!created && f->syn_seen && f->isn == isn)
		return;
	flow_restart(f, isn + 1);
	f->syn_seen = true;
	f->isn = isn;
}

void dec_tcp_segment(struct dec *d, const struct dec_ip *ip,
                     const struct dec_seg *s, uint64_t ts)
{
	uint64_t h = flow_hash(d, &ip->src, &ip->dst, s->sport, s->dport);
	uint32_t i = flow_find(d, ip, s, h);
	bool syn = s->flags & DEC_TCP_SYN, created = false;
	if (i == DEC_NIL) {
		if ((s->flags & DEC_TCP_RST) || (s->len == 0 && !syn))
			return;
		i = flow_new(d, ip, s, h);
		created = true;
	} else {
		dec_table_touch(&d->tt, i);
	}
	struct dec_flow *f = &d->flows[i];
	f->last_ts = ts;
	if (s->flags & DEC_TCP_RST) {
		flow_deliver(d, i, ts, true);
		flow_free(d, i);
		return;
	}
	if (syn)
		flow_syn(f, s->seq, created);
	uint32_t seq = s->seq + syn, before = f->next_seq;
	if (s->len)
		flow_place(d, i, seq, s->data, (uint32_t)s->len, ts);
	if (s->flags & DEC_TCP_FIN) {
		f->fin_pending = true;
		f->fin_seq = seq + (uint32_t)s->len;
	}
	if (f->fin_pending && dec_seqdiff(f->next_seq, f->fin_seq) >= 0) {
		flow_deliver(d, i, ts, true);
		flow_free(d, i);
		return;
	}
	if (f->next_seq != before) {
		flow_deliver(d, i, ts, false);
		if (f->len == d->cfg.flow_buf)
			flow_overflow(d, f, ts);
	}
}

void dec_tcp_expire(struct dec *d, uint64_t now_us)
{
	uint64_t idle = (uint64_t)d->cfg.flow_idle_ms * 1000;
	uint32_t i;
	while ((i = d->tt.age.head) != DEC_NIL) {
		const struct dec_flow *f = &d->flows[i];
		if (now_us < f->last_ts || now_us - f->last_ts < idle)
			break;
		flow_free(d, i);
	}
}
