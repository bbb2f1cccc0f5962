/* dec_int: private to the decode module (decode.c, dec_frag.c, dec_tcp.c).
 * The decoder context, the parsed-IP view passed between the layers, and
 * the index-linked list and hash-chain helpers both tables use. */
#ifndef SW_DEC_INT_H
#define SW_DEC_INT_H

#include "decode.h"

#define DEC_NIL UINT32_MAX
#define DEC_FRAG_RANGES 16      /* disjoint byte ranges per datagram being reassembled */
#define DEC_FRAG_BUF 65535u     /* bytes of fragmentable payload per datagram */
#define DEC_OOO_MAX 8           /* out-of-order ranges per TCP flow direction */

/* One IP packet (or a reassembled datagram) after the network layer. */
struct dec_ip {
	struct ipaddr src, dst;
	const uint8_t *p;       /* transport header and payload (or fragment data) */
	size_t len;
	uint8_t proto;          /* transport protocol, or the fragment's next header */
	bool v6;
	bool frag_more;         /* fragment: more fragments follow */
	uint32_t frag_id;
	uint32_t frag_off;      /* fragment: byte offset of p in the datagram */
	uint32_t frag_hdr;      /* fragment: header bytes counted in the 65535 limit */
};

/* One TCP segment after its header. */
struct dec_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;           /* advertised window, unscaled */
	uint8_t flags;
	uint8_t wscale;         /* SYN: window scale option, DEC_WS_NONE if absent */
	const uint8_t *data;
	size_t len;
};

#define DEC_TCP_FIN 0x01
#define DEC_TCP_SYN 0x02
#define DEC_TCP_RST 0x04
#define DEC_TCP_ACK 0x10
#define DEC_WS_NONE 0xff
#define DEC_WS_MAX 14           /* RFC 7323; also assumed when the handshake was not seen */

/* Links of one table entry: hash chain and age-ordered list (oldest first). */
struct dec_lnk {
	uint32_t hnext, prev, next;
};

struct dec_list {
	uint32_t head, tail;
};

struct dec_frag {
	struct ipaddr src, dst;
	uint32_t id;
	uint8_t proto;
	bool v6, ignore, have_last;
	uint8_t nr;             /* ranges received, disjoint and sorted */
	uint32_t total;         /* datagram length once the last fragment came */
	uint32_t r[DEC_FRAG_RANGES][2];
	uint64_t first_ts;
};

/* Handshake of the connection, kept in the direction that sent the SYN. */
enum dec_hs {
	DEC_HS_NONE,            /* no SYN seen from this direction */
	DEC_HS_SYN,             /* SYN seen, waiting for the SYN-ACK */
	DEC_HS_SYNACK,          /* SYN-ACK seen (the other direction's isn) */
	DEC_HS_DONE,            /* this side acknowledged isn+1: verified */
	DEC_HS_BAD,             /* wrong ACK or two different SYN-ACKs: never verified */
};

/* One direction of a TCP connection.  The rcv_* fields are what the
 * receiver (the other direction's sender) told us in its ACKs. */
struct dec_flow {
	struct ipaddr src, dst;
	uint16_t sport, dport;
	uint32_t rev;           /* the reverse direction's entry, or DEC_NIL */
	uint32_t next_seq;      /* sequence number of buf[len] */
	uint32_t len;           /* contiguous unconsumed bytes at the buffer start */
	uint32_t fin_seq;
	uint32_t isn;
	uint32_t snd_max;       /* end of the furthest segment taken (SYN and FIN count) */
	uint32_t rcv_ack;       /* receiver's latest ACK (valid when ack_seen) */
	uint32_t rcv_right;     /* furthest right window edge the receiver offered */
	uint32_t far_next;      /* no ACK yet: where the last far segment ended */
	bool fin_pending, syn_seen, ack_seen, verified;
	bool dropped;           /* a segment the receiver may accept was not stored */
	bool desync;            /* DEC_A_TCP_DESYNC reported */
	uint8_t hs;             /* enum dec_hs */
	uint8_t wopt;           /* window scale option of our SYN, DEC_WS_NONE if none */
	uint8_t far_n;          /* consecutive far segments continuing each other */
	uint8_t nooo;
	uint8_t dir;            /* enum dec_dir: of its first segment, OUT once one was sent by the host */
	uint32_t ooo[DEC_OOO_MAX][2]; /* [seq, end) ahead of next_seq, stored in place */
	uint64_t last_ts;
};

struct dec_table {
	struct dec_lnk *lnk;
	uint32_t *bucket;
	uint32_t mask;          /* bucket count - 1 */
	uint32_t cap, used;
	uint32_t free_head;     /* free entries chained through lnk.next */
	struct dec_list age;
};

struct dec {
	struct dec_config cfg;
	struct dec_callbacks cb;
	struct dec_stats st;
	struct hash_key seed;   /* of both tables' hashes */
	struct dec_table ft;    /* fragments */
	struct dec_frag *frags;
	uint8_t *frag_buf;      /* cap * DEC_FRAG_BUF bytes, touched lazily */
	struct dec_table tt;    /* TCP flow directions */
	struct dec_flow *flows;
	uint8_t *flow_buf;      /* cap * cfg.flow_buf bytes, touched lazily */
	uint8_t own_mac[DEC_MAX_MACS][6];
	unsigned n_mac;
	uint8_t dir;            /* enum dec_dir of the frame being decoded */
};

/* decode.c */
void dec_anomaly(struct dec *d, uint64_t ts, const struct ipaddr *src,
                 enum dec_anomaly what);
void dec_reassembled(struct dec *d, struct dec_ip *ip, uint64_t ts);

static inline bool dec_port_ok(const struct dec *d, uint16_t port)
{
	const uint8_t *m = d->cfg.port_map;
	return m == NULL || (m[port >> 3] & (1u << (port & 7))) != 0;
}

static inline uint16_t dec_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dec_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sequence-space difference a - b, for comparisons across wrap-around. */
static inline int32_t dec_seqdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* Index-linked table shared by the fragment and flow tables (decode.c). */
bool dec_table_init(struct dec_table *t, uint32_t cap);
void dec_table_fini(struct dec_table *t);
/* Takes a free entry (NIL when full), links it into bucket h and at the tail
 * of the age list. */
uint32_t dec_table_take(struct dec_table *t, uint64_t h);
/* Unlinks entry i (hashed as h) and returns it to the free list. */
void dec_table_put(struct dec_table *t, uint32_t i, uint64_t h);
/* Moves entry i to the tail of the age list (most recently used). */
void dec_table_touch(struct dec_table *t, uint32_t i);

static inline uint32_t dec_table_first(const struct dec_table *t, uint64_t h)
{
	return t->bucket[h & t->mask];
}

/* Adds [lo, hi) to the sorted, disjoint ranges r[0..*n), merging any that
 * overlap or touch it.  Returns false (r unchanged) when max ranges are used. */
bool dec_ranges_add(uint32_t (*r)[2], uint8_t *n, unsigned max, uint32_t lo, uint32_t hi);

/* dec_frag.c */
bool dec_frag_init(struct dec *d);
void dec_frag_fini(struct dec *d);
void dec_frag_add(struct dec *d, const struct dec_ip *ip, uint64_t ts);
void dec_frag_expire(struct dec *d, uint64_t now_us);

/* dec_tcp.c */
bool dec_tcp_init(struct dec *d);
void dec_tcp_fini(struct dec *d);
void dec_tcp_segment(struct dec *d, const struct dec_ip *ip,
                     const struct dec_seg *s, uint64_t ts);
void dec_tcp_expire(struct dec *d, uint64_t now_us);

#endif
