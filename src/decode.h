/* decode: link-layer frames in, transport payloads out.
 *
 * Handles Ethernet (with 802.1Q / QinQ tags), Linux cooked SLL and SLL2,
 * loopback/NULL (BSD and Linux byte orders) and raw IP; IPv4 (with options)
 * and IPv6 (with extension headers); IP fragment reassembly (both families,
 * bounded table, timeout); UDP; TCP with per-flow stream reassembly (bounded
 * number of flows and bytes per flow, idle expiry) that follows the
 * receiver's ACKs and window, so forged segments cannot move the stream, and
 * marks connections whose handshake it saw (packet.tcp_verified).
 *
 * All memory is allocated in dec_new(); the per-frame path allocates nothing. */
#ifndef SW_DECODE_H
#define SW_DECODE_H

#include "util.h"

/* DLT_ link types we accept (values as in pcap/dlt.h). */
enum {
	DEC_LINK_NULL = 0,
	DEC_LINK_EN10MB = 1,
	DEC_LINK_RAW = 101,     /* DLT_RAW on Linux (LINKTYPE_RAW) */
	DEC_LINK_RAW12 = 12,    /* DLT_RAW on some BSDs */
	DEC_LINK_RAW14 = 14,    /* DLT_RAW on OpenBSD */
	DEC_LINK_LOOP = 108,
	DEC_LINK_SLL = 113,
	DEC_LINK_SLL2 = 276,
	DEC_LINK_IPV4 = 228,
	DEC_LINK_IPV6 = 229,
};

/* Decoder-level anomalies (reported through dec_callbacks.anomaly). */
enum dec_anomaly {
	DEC_A_TRUNCATED = 1,     /* header shorter than its length fields say */
	DEC_A_BAD_IP_HEADER,     /* bad version, IHL, total length, ext header chain */
	DEC_A_FRAG_OVERLAP,      /* overlapping fragments with different data */
	DEC_A_FRAG_OVERSIZE,     /* reassembled datagram > 65535 bytes */
	DEC_A_FRAG_TIMEOUT,      /* incomplete datagram expired */
	DEC_A_TCP_OVERFLOW,      /* stream data beyond the per-flow buffer */
	DEC_A_TCP_DESYNC,        /* a TCP stream that cannot be followed: the receiver
	                          * took bytes we could not keep, or its ACKs disagree
	                          * with the stream (src: the stream's sender) */
	DEC_A__COUNT
};

/* One transport payload.  For UDP: one datagram (reassembled if it came in
 * fragments).  For TCP: the contiguous, in-order bytes of one direction of a
 * flow that the consumer has not yet consumed (see dec_callbacks.deliver). */
enum dec_dir {
	DEC_DIR_UNKNOWN, /* a saved Ethernet capture, raw IP, loopback... */
	DEC_DIR_IN,      /* arrived at the host from outside */
	DEC_DIR_OUT,     /* sent by the host */
};

struct packet {
	uint64_t ts_us;          /* capture time, microseconds since the epoch */
	struct ipaddr src, dst;
	uint16_t sport, dport;
	uint8_t proto;           /* 17 = UDP, 6 = TCP */
	bool tcp_fin;            /* TCP: the peer closed (FIN or RST) */
	bool tcp_verified;       /* TCP: this flow's handshake was seen and the
	                          * client's ACK acknowledged the server's initial
	                          * sequence number (an off-path spoofer cannot);
	                          * false for UDP and for flows picked up mid-stream */
	uint8_t dir;             /* enum dec_dir: which way the frame crossed the
	                          * capturing host's interface, when its link
	                          * header tells (the SLL packet type; the source
	                          * MAC of an Ethernet frame against the host's own) */
	const uint8_t *data;     /* payload; valid only during the callback */
	size_t len;
};

struct dec_callbacks {
	/* Called for each payload.  For UDP the return value is ignored.  For TCP
	 * it is how many bytes from the start of data the consumer used; if it
	 * used some but not all, the rest is offered again at once (so taking one
	 * message per call works), and once it returns 0 the rest is kept and
	 * offered again (with more bytes) when the stream grows.  A consumer that
	 * returns 0 while the flow buffer is full makes the decoder drop the
	 * buffer (DEC_A_TCP_OVERFLOW).  When a flow closes (FIN/RST) the bytes
	 * still unconsumed, if any, are offered with tcp_fin set. */
	size_t (*deliver)(void *ctx, const struct packet *pkt);
	/* Called for a decoder anomaly; src/sport are set where known. */
	void (*anomaly)(void *ctx, uint64_t ts_us, const struct ipaddr *src,
	                enum dec_anomaly what);
	void *ctx;
};

struct dec_config {
	const uint8_t *port_map;    /* 8192-byte bitmap: a bit per port of interest */
	bool udp_all;               /* deliver UDP on every port (TFTP answers come
	                             * from an ephemeral port); TCP still filtered */
	uint32_t max_frag_datagrams;/* datagrams being reassembled at once (default 1024) */
	uint32_t frag_timeout_ms;   /* default 30000 */
	uint32_t max_flows;         /* TCP flow directions tracked (default 4096) */
	uint32_t flow_buf;          /* bytes buffered per flow direction (default 65536) */
	uint32_t flow_idle_ms;      /* idle flows are dropped after this (default 300000) */
	uint32_t reorder_window;    /* bytes ahead of the stream kept out of order (default = flow_buf) */
};

struct dec_stats {
	uint64_t frames, ip_packets, udp, tcp_segments, not_ip, not_interesting;
	uint64_t fragments, reassembled, tcp_bytes, tcp_retrans, tcp_out_of_order;
	uint64_t flows_active, flows_evicted;
	uint64_t tcp_ignored;    /* segments outside what the receiver accepts, or odd
	                          * far segments of a flow whose receiver is unknown */
	uint64_t tcp_gaps;       /* holes skipped because the receiver acknowledged
	                          * bytes the capture never had */
	uint64_t tcp_verified;   /* connections whose handshake was verified */
	uint64_t anomalies[DEC_A__COUNT];
};

struct dec;

#define DEC_MAX_MACS 32
/* The host's own link addresses: an Ethernet frame from one of them was
 * sent by the host, any other arrived (at most DEC_MAX_MACS; none: the
 * direction of Ethernet frames is unknown, as in a saved capture). */
void dec_set_own_macs(struct dec *d, const uint8_t (*macs)[6], unsigned n);

/* Creates a decoder; cfg zero fields take the defaults above; port_map must
 * outlive the decoder (NULL means every port is of interest).  Returns NULL
 * on allocation failure. */
struct dec *dec_new(const struct dec_config *cfg, const struct dec_callbacks *cb);
void dec_free(struct dec *d);

/* Decodes one captured frame of link type `link` (DEC_LINK_*).  caplen is the
 * captured length.  Returns 0, or -1 for an unsupported link type. */
int dec_frame(struct dec *d, int link, const uint8_t *frame, size_t caplen,
              uint64_t ts_us);

/* Expires fragments and idle TCP flows older than now_us. Cheap when called
 * often; the engine calls it about once a second of packet time. */
void dec_expire(struct dec *d, uint64_t now_us);

/* Copies the counters. */
void dec_stats_get(const struct dec *d, struct dec_stats *out);

/* Returns true when `link` is a DEC_LINK_* type this decoder handles. */
bool dec_link_supported(int link);
const char *dec_anomaly_name(enum dec_anomaly a);

#endif
