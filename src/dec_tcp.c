/* dec_tcp: per-direction TCP stream reassembly that follows the receiver.
 *
 * A flow direction is keyed on (src, dst, sport, dport) in a preallocated
 * table of cfg.max_flows entries kept in LRU order (the least recently used
 * is evicted when full; dec_tcp_expire() drops idle ones from the front).
 * The two directions of a connection point at each other (`rev`, found by
 * hashing the reversed key once, when an entry is made).  Each direction
 * has cfg.flow_buf bytes in one lazily-touched arena:
 *
 *   buf[0 .. len)                 in-order bytes the consumer has not used;
 *                                 buf[len] is sequence number next_seq
 *   buf[len + lo .. len + hi)     out-of-order range [next_seq+lo, next_seq+hi)
 *
 * Out-of-order data is written in place, so when the gap fills len just
 * grows.  Ranges are offsets from next_seq (so wrap-around needs no care)
 * and are shifted whenever next_seq moves.
 *
 * Rules (an attacker can send any segment it likes, so no single segment
 * may move the stream):
 *
 * - Handshake.  A connection (both directions) is verified
 *   (packet.tcp_verified) once we saw the client's SYN, the server's SYN-ACK
 *   acknowledging it (ISN S), and then a client segment whose ACK lies in
 *   [S+1, what the server sent].  A
 *   wrong ACK, or a second SYN-ACK with another ISN, makes the connection
 *   unverifiable; data on the SYN, bare segments and flows picked up
 *   mid-stream are delivered unverified.
 * - Receiver.  Every ACK of the other direction tells how far the receiver
 *   took this stream and how far its window reaches (scaled when both SYNs
 *   carried the option, assumed 2^14 when we missed the handshake).  An ACK
 *   is believed only if it does not go back and does not pass the furthest
 *   window edge offered (the first one: not past what this side sent); the
 *   window edge never moves back.  A segment starting past that edge, or
 *   ending far behind the ACK, is ignored (tcp_ignored).  When the receiver
 *   acknowledges bytes we never had (capture loss), the hole is skipped
 *   (tcp_gaps).
 * - Closing.  A RST is taken only where a data segment would be, a FIN
 *   also not behind the stream: a blind one does not end the flow (which
 *   would come back unverified, picked up at the next segment).
 * - No receiver seen yet (a one-way capture, or the first segments of a
 *   pickup).  A segment further than the reorder window either way is
 *   dropped (tcp_ignored); only DEC_FAR_RESTART such segments in a row, each
 *   continuing the last, restart the stream there.  The first ACK then
 *   moves a pickup that started far from it back to what the receiver took.
 * - Limits.  Out-of-order data beyond the reorder window or the buffer is
 *   dropped, never a restart; with DEC_OOO_MAX ranges in use a nearer
 *   segment evicts the furthest range.  A flow that cannot be followed (the
 *   receiver took bytes we had dropped, or a restart) is reported once as
 *   DEC_A_TCP_DESYNC with its sender's address. */
#include "dec_int.h"

#include <stdlib.h>
#include <string.h>

#define DEC_FAR_RESTART 4       /* no ACK seen: far segments in a row that restart */

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

static uint32_t flow_lookup(const struct dec *d, const struct ipaddr *src,
                            const struct ipaddr *dst, uint16_t sport, uint16_t dport)
{
	uint64_t h = flow_hash(d, src, dst, sport, dport);
	for (uint32_t i = dec_table_first(&d->tt, h); i != DEC_NIL; i = d->tt.lnk[i].hnext) {
		const struct dec_flow *f = &d->flows[i];
		if (f->sport == sport && f->dport == dport &&
		    ip_eq(&f->src, src) && ip_eq(&f->dst, dst))
			return i;
	}
	return DEC_NIL;
}

static void flow_free(struct dec *d, uint32_t i)
{
	const struct dec_flow *f = &d->flows[i];
	if (f->rev != DEC_NIL)
		d->flows[f->rev].rev = DEC_NIL;
	dec_table_put(&d->tt, i, flow_hash(d, &f->src, &f->dst, f->sport, f->dport));
}

/* Forgets everything buffered and continues at sequence number seq. */
static void flow_restart(struct dec_flow *f, uint32_t seq)
{
	f->len = 0;
	f->nooo = 0;
	f->far_n = 0;
	f->fin_pending = false;
	f->next_seq = seq;
}

static void flow_desync(struct dec *d, struct dec_flow *f, uint64_t ts)
{
	if (f->desync)
		return;
	f->desync = true;
	dec_anomaly(d, ts, &f->src, DEC_A_TCP_DESYNC);
}

/* Starts a flow direction, evicting the least recently used when full, and
 * pairs it with its reverse direction if that is known. */
static uint32_t flow_new(struct dec *d, const struct dec_ip *ip, const struct dec_seg *s)
{
	uint64_t h = flow_hash(d, &ip->src, &ip->dst, s->sport, s->dport);
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
	f->snd_max = s->seq;
	f->wopt = DEC_WS_NONE;
	f->dir = d->dir;
	f->rev = flow_lookup(d, &ip->dst, &ip->src, s->dport, s->sport);
	if (f->rev == i)        /* a connection to itself: no pair */
		f->rev = DEC_NIL;
	if (f->rev != DEC_NIL)
		d->flows[f->rev].rev = i;
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
		.dport = f->dport, .proto = 6, .tcp_fin = fin, .tcp_verified = f->verified, .dir = f->dir,
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

/* Delivers, and drops the buffer if the consumer leaves it full. */
static void flow_flush(struct dec *d, uint32_t i, uint64_t ts)
{
	flow_deliver(d, i, ts, false);
	if (d->flows[i].len == d->cfg.flow_buf)
		flow_overflow(d, &d->flows[i], ts);
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

/* The receiver took everything before next_seq + rel, so the hole at
 * next_seq will never come: deliver what is complete, drop the unfinished
 * rest, and jump to the data after the hole (or to next_seq + rel). */
static void flow_skip(struct dec *d, uint32_t i, uint32_t rel, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	flow_deliver(d, i, ts, false);
	d->st.tcp_gaps++;
	if (f->dropped)
		flow_desync(d, f, ts);
	uint32_t hole = f->nooo && f->ooo[0][0] < rel ? f->ooo[0][0] : rel;
	if (f->nooo) {
		uint8_t *buf = flow_data(d, i);
		memmove(buf, buf + f->len + hole, f->ooo[f->nooo - 1][1] - hole);
		for (unsigned r = 0; r < f->nooo; r++) {
			f->ooo[r][0] -= hole;
			f->ooo[r][1] -= hole;
		}
	}
	f->len = 0;
	f->next_seq += hole;
	flow_advance(f, 0);
}

/* Shift of the windows the sender of s (entry y, maybe DEC_NIL) offers to
 * x: RFC 7323 scales them only when both SYNs carried the option; after a
 * handshake we did not see, any shift is possible, so assume the largest. */
static uint8_t win_shift(const struct dec *d, uint32_t y, const struct dec_flow *x,
                         const struct dec_seg *s)
{
	if (s->flags & DEC_TCP_SYN)
		return 0;
	if (y == DEC_NIL || !d->flows[y].syn_seen || !x->syn_seen)
		return DEC_WS_MAX;
	uint8_t w = d->flows[y].wopt;
	return w != DEC_WS_NONE && x->wopt != DEC_WS_NONE ? w : 0;
}

/* An ACK from the receiver of direction x (segment s, from entry y). */
static void flow_ack(struct dec *d, uint32_t xi, uint32_t y, const struct dec_seg *s,
                     uint64_t ts)
{
	struct dec_flow *x = &d->flows[xi];
	uint32_t ack = s->ack;
	bool first = !x->ack_seen;
	if (first ? dec_seqdiff(ack, x->snd_max) > 0
	          : dec_seqdiff(ack, x->rcv_ack) < 0 || dec_seqdiff(ack, x->rcv_right) > 0)
		return;         /* stale, or past anything the receiver could take */
	uint32_t right = ack + ((uint32_t)s->win << win_shift(d, y, x, s));
	if (first || dec_seqdiff(right, x->rcv_right) > 0)
		x->rcv_right = right;
	x->rcv_ack = ack;
	x->ack_seen = true;
	if (first && !x->syn_seen &&
	    dec_seqdiff(x->next_seq, ack) > (int32_t)d->cfg.reorder_window) {
		/* picked up at a segment far from what the receiver took */
		d->st.tcp_gaps++;
		flow_restart(x, ack);
		return;
	}
	if (dec_seqdiff(ack, x->next_seq) <= 0)
		return;
	do
		flow_skip(d, xi, ack - x->next_seq, ts);
	while (dec_seqdiff(ack, x->next_seq) > 0);
	flow_flush(d, xi, ts);
}

/* Appends in-order data; when it does not fit, lets the consumer make room
 * and drops the buffer if it will not. */
static void flow_append(struct dec *d, uint32_t i, const uint8_t *data,
                        uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	uint32_t cap = d->cfg.flow_buf;
	f->far_n = 0;
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

/* No receiver seen: a segment far from the stream is dropped, unless it is
 * the DEC_FAR_RESTART-th in a row continuing the last one. */
static void flow_far(struct dec *d, uint32_t i, uint32_t seq, const uint8_t *data,
                     uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	f->far_n = f->far_n && seq == f->far_next ? (uint8_t)(f->far_n + 1) : 1;
	f->far_next = seq + n;
	if (f->far_n < DEC_FAR_RESTART) {
		d->st.tcp_ignored++;
		return;
	}
	flow_desync(d, f, ts);
	flow_restart(f, seq);
	if (dec_seqdiff(seq + n, f->snd_max) > 0)
		f->snd_max = seq + n;
	flow_append(d, i, data, n, ts);
}

/* Adds out-of-order range [lo, hi); with every range in use, a range
 * nearer than the furthest one takes its place. */
static bool ooo_add(struct dec_flow *f, uint32_t lo, uint32_t hi)
{
	if (dec_ranges_add(f->ooo, &f->nooo, DEC_OOO_MAX, lo, hi))
		return true;
	if (hi >= f->ooo[f->nooo - 1][0])
		return false;
	f->nooo--;
	f->dropped = true;
	return dec_ranges_add(f->ooo, &f->nooo, DEC_OOO_MAX, lo, hi);
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
	    !ooo_add(f, rel, hi)) {
		if (!f->ack_seen) {
			flow_far(d, i, f->next_seq + rel, data, n, ts);
			return;
		}
		f->dropped = true;      /* a desync if the receiver takes it */
		d->st.tcp_ignored++;
		return;
	}
	memcpy(flow_data(d, i) + f->len + rel, data, n);
	d->st.tcp_out_of_order++;
	d->st.tcp_bytes += n;
}

/* Whether the receiver would look at a segment [seq, seq + n): with its
 * ACKs known, one that starts inside its window and does not end more than
 * the reorder window before its ACK; else one within the reorder window of
 * the stream, either way. */
static bool flow_plausible(const struct dec *d, const struct dec_flow *f, uint32_t seq,
                           uint32_t n)
{
	int32_t win = (int32_t)d->cfg.reorder_window;
	if (f->ack_seen)
		return dec_seqdiff(seq, f->rcv_right) <= 0 &&
		       dec_seqdiff(seq + n, f->rcv_ack) >= -win;
	int32_t rel = dec_seqdiff(seq, f->next_seq);
	return rel <= win && rel >= -win;
}

/* Places segment data starting at sequence number seq. */
static void flow_place(struct dec *d, uint32_t i, uint32_t seq,
                       const uint8_t *data, uint32_t n, uint64_t ts)
{
	struct dec_flow *f = &d->flows[i];
	int32_t rel = dec_seqdiff(seq, f->next_seq);
	if (!flow_plausible(d, f, seq, n)) {
		if (f->ack_seen)
			d->st.tcp_ignored++;
		else
			flow_far(d, i, seq, data, n, ts);
		return;
	}
	if (dec_seqdiff(seq + n, f->snd_max) > 0)
		f->snd_max = seq + n;
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

/* Starts a new connection in this direction at a SYN. */
static void flow_syn(struct dec_flow *f, const struct dec_seg *s, uint8_t hs)
{
	flow_restart(f, s->seq + 1);
	f->syn_seen = true;
	f->isn = s->seq;
	f->snd_max = s->seq + 1;
	f->wopt = s->wscale;
	f->ack_seen = f->verified = f->dropped = f->desync = false;
	f->hs = hs;
}

/* Handles a SYN or SYN-ACK of entry i (c: the reverse direction or NULL).
 * A repeated SYN with the same ISN is ignored; a client's SYN with another
 * ISN starts a new connection.  A SYN-ACK acknowledging c's SYN moves the
 * handshake on; one with another ISN while c waits for the ACK is a forgery
 * or a confusion, so the connection will not be verified. */
static void tcp_syn(struct dec *d, uint32_t i, const struct dec_seg *s, bool created)
{
	struct dec_flow *f = &d->flows[i];
	struct dec_flow *c = f->rev != DEC_NIL ? &d->flows[f->rev] : NULL;
	bool same = !created && f->syn_seen && f->isn == s->seq;
	if (!(s->flags & DEC_TCP_ACK)) {
		if (same)
			return;
		flow_syn(f, s, DEC_HS_SYN);
		if (c)
			c->verified = false;
		return;
	}
	if (c && c->hs >= DEC_HS_SYNACK && f->syn_seen) {
		if (!same && c->hs == DEC_HS_SYNACK)
			c->hs = DEC_HS_BAD;
		return;
	}
	if (same)
		return;
	flow_syn(f, s, DEC_HS_NONE);
	if (c && c->hs == DEC_HS_SYN && dec_seqdiff(s->ack, c->isn + 1) >= 0 &&
	    dec_seqdiff(s->ack, c->snd_max) <= 0)
		c->hs = DEC_HS_SYNACK;
}

/* The first ACK of the SYN's sender after the SYN-ACK: it verifies the
 * connection only if it acknowledges the other side's ISN. */
static void tcp_hs_ack(struct dec *d, struct dec_flow *f, uint32_t ack)
{
	struct dec_flow *srv = f->rev != DEC_NIL ? &d->flows[f->rev] : NULL;
	if (srv && srv->syn_seen && dec_seqdiff(ack, srv->isn + 1) >= 0 &&
	    dec_seqdiff(ack, srv->snd_max) <= 0) {
		f->hs = DEC_HS_DONE;
		f->verified = srv->verified = true;
		d->st.tcp_verified++;
	} else {
		f->hs = DEC_HS_BAD;
	}
}

/* A segment without data or SYN from a direction we do not track: its ACK
 * still tells about the reverse direction. */
static void tcp_orphan_ack(struct dec *d, const struct dec_ip *ip,
                           const struct dec_seg *s, uint64_t ts)
{
	if (!(s->flags & DEC_TCP_ACK))
		return;
	uint32_t x = flow_lookup(d, &ip->dst, &ip->src, s->dport, s->sport);
	if (x != DEC_NIL)
		flow_ack(d, x, DEC_NIL, s, ts);
}

void dec_tcp_segment(struct dec *d, const struct dec_ip *ip,
                     const struct dec_seg *s, uint64_t ts)
{
	uint32_t i = flow_lookup(d, &ip->src, &ip->dst, s->sport, s->dport);
	bool syn = s->flags & DEC_TCP_SYN, created = false;
	if (i == DEC_NIL) {
		if (s->flags & DEC_TCP_RST)
			return;
		if (s->len == 0 && !syn) {
			tcp_orphan_ack(d, ip, s, ts);
			return;
		}
		i = flow_new(d, ip, s);
		created = true;
	} else {
		dec_table_touch(&d->tt, i);
	}
	struct dec_flow *f = &d->flows[i];
	f->last_ts = ts;
	if (d->dir == DEC_DIR_OUT)
		f->dir = DEC_DIR_OUT; /* the host's: inbound segments forged in its name do not undo it */
	if (s->flags & DEC_TCP_RST) {
		if (!flow_plausible(d, f, s->seq, 0)) {
			d->st.tcp_ignored++;    /* a blind reset does not end the flow */
			return;
		}
		flow_deliver(d, i, ts, true);
		flow_free(d, i);
		return;
	}
	if (syn)
		tcp_syn(d, i, s, created);
	else if (f->hs == DEC_HS_SYNACK && (s->flags & DEC_TCP_ACK))
		tcp_hs_ack(d, f, s->ack);
	if ((s->flags & DEC_TCP_ACK) && f->rev != DEC_NIL)
		flow_ack(d, f->rev, i, s, ts);
	uint32_t seq = s->seq + syn, before = f->next_seq;
	if (s->len)
		flow_place(d, i, seq, s->data, (uint32_t)s->len, ts);
	uint32_t end = seq + (uint32_t)s->len;
	if ((s->flags & DEC_TCP_FIN) && dec_seqdiff(end, f->next_seq) >= 0 &&
	    flow_plausible(d, f, seq, (uint32_t)s->len)) {
		f->fin_pending = true;  /* a FIN behind the stream or outside it is not */
		f->fin_seq = end;
		if (dec_seqdiff(end + 1, f->snd_max) > 0)
			f->snd_max = end + 1;
	}
	if (f->fin_pending && dec_seqdiff(f->next_seq, f->fin_seq) >= 0) {
		flow_deliver(d, i, ts, true);
		flow_free(d, i);
		return;
	}
	if (f->next_seq != before)
		flow_flush(d, i, ts);
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
