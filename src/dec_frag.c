/* dec_frag: IPv4 and IPv6 fragment reassembly.
 *
 * Datagrams are keyed on (src, dst, id, proto, family) in a preallocated
 * table of cfg.max_frag_datagrams entries, each with a 64 KiB buffer in one
 * lazily-touched arena.  The age list is in creation order: the oldest is
 * evicted when the table is full and dec_frag_expire() walks it from the
 * front.  Only UDP and TCP (or, for IPv6, an extension header that may lead
 * to them) are reassembled; when the first fragment shows ports of no
 * interest the datagram is tracked without copying and dropped quietly. */
#include "dec_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t frag_hash(const struct dec *d, const struct ipaddr *src,
                          const struct ipaddr *dst, uint32_t id, uint8_t proto,
                          bool v6)
{
	uint8_t k[38];
	memcpy(k, src->b, 16);
	memcpy(k + 16, dst->b, 16);
	memcpy(k + 32, &id, 4);
	k[36] = proto;
	k[37] = v6;
	return hash_bytes(k, sizeof k, d->seed);
}

bool dec_frag_init(struct dec *d)
{
	uint32_t cap = d->cfg.max_frag_datagrams;
	if (!dec_table_init(&d->ft, cap))
		return false;
	d->frags = calloc(cap, sizeof *d->frags);
	d->frag_buf = malloc((size_t)cap * DEC_FRAG_BUF);
	return d->frags && d->frag_buf;
}

void dec_frag_fini(struct dec *d)
{
	dec_table_fini(&d->ft);
	free(d->frags);
	free(d->frag_buf);
	d->frags = NULL;
	d->frag_buf = NULL;
}

static uint32_t frag_find(const struct dec *d, const struct dec_ip *ip, uint64_t h)
{
	for (uint32_t i = dec_table_first(&d->ft, h); i != DEC_NIL; i = d->ft.lnk[i].hnext) {
		const struct dec_frag *f = &d->frags[i];
		if (f->id == ip->frag_id && f->proto == ip->proto && f->v6 == ip->v6 &&
		    ip_eq(&f->src, &ip->src) && ip_eq(&f->dst, &ip->dst))
			return i;
	}
	return DEC_NIL;
}

static void frag_drop(struct dec *d, uint32_t i)
{
	const struct dec_frag *f = &d->frags[i];
	dec_table_put(&d->ft, i, frag_hash(d, &f->src, &f->dst, f->id, f->proto, f->v6));
}

/* Starts a datagram, evicting the oldest one when the table is full. */
static uint32_t frag_new(struct dec *d, const struct dec_ip *ip, uint64_t h, uint64_t ts)
{
	uint32_t i = dec_table_take(&d->ft, h);
	if (i == DEC_NIL) {
		frag_drop(d, d->ft.age.head);
		i = dec_table_take(&d->ft, h);
	}
	struct dec_frag *f = &d->frags[i];
	memset(f, 0, sizeof *f);
	f->src = ip->src;
	f->dst = ip->dst;
	f->id = ip->frag_id;
	f->proto = ip->proto;
	f->v6 = ip->v6;
	f->first_ts = ts;
	return i;
}

/* Is a fragment of this protocol worth reassembling? */
static bool frag_wanted(uint8_t proto, bool v6)
{
	if (proto == 6 || proto == 17)
		return true;
	return v6 && (proto == 0 || proto == 43 || proto == 60 || proto == 51);
}

/* The first fragment carries the ports: mark the datagram as uninteresting
 * when neither is in the port map. */
static void frag_check_ports(const struct dec *d, struct dec_frag *f,
                             const struct dec_ip *ip)
{
	if ((ip->proto != 6 && ip->proto != 17) || ip->len < 4 || (ip->proto == 17 && d->cfg.udp_all))
		return;
	if (!dec_port_ok(d, dec_be16(ip->p)) && !dec_port_ok(d, dec_be16(ip->p + 2)))
		f->ignore = true;
}

/* Checks [lo, hi) against the datagram's end; records the end when this is
 * the last fragment.  Returns false for an inconsistent end. */
static bool frag_check_end(struct dec_frag *f, const struct dec_ip *ip, uint32_t hi)
{
	if (f->have_last)
		return hi <= f->total && (ip->frag_more || hi == f->total);
	if (ip->frag_more)
		return true;
	if (f->nr && f->r[f->nr - 1][1] > hi)
		return false;
	f->have_last = true;
	f->total = hi;
	return true;
}

/* Returns true when the bytes of [lo, hi) already received equal data. */
static bool frag_same(const struct dec_frag *f, const uint8_t *buf,
                      uint32_t lo, uint32_t hi, const uint8_t *data)
{
	for (unsigned k = 0; k < f->nr; k++) {
		uint32_t a = f->r[k][0] > lo ? f->r[k][0] : lo;
		uint32_t b = f->r[k][1] < hi ? f->r[k][1] : hi;
		if (a < b && memcmp(buf + a, data + (a - lo), b - a) != 0)
			return false;
	}
	return true;
}

static void frag_done(struct dec *d, uint32_t i, const uint8_t *buf, uint64_t ts)
{
	const struct dec_frag *f = &d->frags[i];
	if (f->ignore) {
		d->st.not_interesting++;
	} else {
		struct dec_ip ip = {
			.src = f->src, .dst = f->dst, .proto = f->proto, .v6 = f->v6,
			.p = buf, .len = f->total,
		};
		d->st.reassembled++;
		dec_reassembled(d, &ip, ts);
	}
	frag_drop(d, i);
}

/* Reports an anomaly and forgets the datagram (i may be NIL). */
static void frag_fail(struct dec *d, uint32_t i, const struct dec_ip *ip,
                      uint64_t ts, enum dec_anomaly what)
{
	dec_anomaly(d, ts, &ip->src, what);
	if (i != DEC_NIL)
		frag_drop(d, i);
}

void dec_frag_add(struct dec *d, const struct dec_ip *ip, uint64_t ts)
{
	d->st.fragments++;
	if (!frag_wanted(ip->proto, ip->v6)) {
		d->st.not_interesting++;
		return;
	}
	uint32_t lo = ip->frag_off, hi = lo + (uint32_t)ip->len;
	uint64_t h = frag_hash(d, &ip->src, &ip->dst, ip->frag_id, ip->proto, ip->v6);
	uint32_t i = frag_find(d, ip, h);
	if ((uint64_t)hi + ip->frag_hdr > 65535) {
		frag_fail(d, i, ip, ts, DEC_A_FRAG_OVERSIZE);
		return;
	}
	if (ip->len == 0 || (ip->frag_more && (ip->len & 7) != 0)) {
		frag_fail(d, i, ip, ts, DEC_A_BAD_IP_HEADER);
		return;
	}
	if (i == DEC_NIL)
		i = frag_new(d, ip, h, ts);
	struct dec_frag *f = &d->frags[i];
	uint8_t *buf = d->frag_buf + (size_t)i * DEC_FRAG_BUF;
	if (lo == 0)
		frag_check_ports(d, f, ip);
	if (!frag_check_end(f, ip, hi)) {
		frag_fail(d, i, ip, ts, DEC_A_BAD_IP_HEADER);
		return;
	}
	if (!f->ignore) {
		if (!frag_same(f, buf, lo, hi, ip->p)) {
			frag_fail(d, i, ip, ts, DEC_A_FRAG_OVERLAP);
			return;
		}
		memcpy(buf + lo, ip->p, ip->len);
	}
	if (!dec_ranges_add(f->r, &f->nr, DEC_FRAG_RANGES, lo, hi)) {
		frag_drop(d, i);        /* too many holes: give up on it */
		return;
	}
	if (f->have_last && f->nr == 1 && f->r[0][0] == 0 && f->r[0][1] == f->total)
		frag_done(d, i, buf, ts);
}

void dec_frag_expire(struct dec *d, uint64_t now_us)
{
	uint64_t timeout = (uint64_t)d->cfg.frag_timeout_ms * 1000;
	uint32_t i;
	while ((i = d->ft.age.head) != DEC_NIL) {
		const struct dec_frag *f = &d->frags[i];
		if (now_us < f->first_ts || now_us - f->first_ts < timeout)
			break;
		if (!f->ignore)
			dec_anomaly(d, now_us, &f->src, DEC_A_FRAG_TIMEOUT);
		frag_drop(d, i);
	}
}
