/* dns: DNS message parser (RFC 1035, EDNS RFC 6891), for UDP payloads and
 * TCP streams (2-byte length prefix).  Pure: no allocation, no I/O.  Name
 * decompression is bounded (pointer loops, forward pointers, label and name
 * length) and so is the work per message (DNS_MAX_WORK); problems are
 * anomaly bits, never fatal. */
#ifndef SW_DNS_H
#define SW_DNS_H

#include "util.h"

enum dns_anomaly {
	DNS_A_SHORT = 0,         /* shorter than the header or than its counts need */
	DNS_A_BAD_LABEL,         /* label over 63, reserved label type (0x40/0x80) */
	DNS_A_NAME_TOO_LONG,     /* over 255 bytes decoded */
	DNS_A_POINTER_LOOP,      /* a compression pointer that loops or points forward */
	DNS_A_BAD_POINTER,       /* a pointer outside the message */
	DNS_A_BAD_COUNTS,        /* QDCOUNT 0 in a query, or counts beyond the data */
	DNS_A_TRAILING,          /* bytes after the last record */
	DNS_A_BAD_EDNS,          /* OPT record not in the additional section, twice, or with a name */
	DNS_A_WORK_BUDGET,       /* over DNS_MAX_WORK steps: the walk stopped there */
	DNS_A__COUNT
};

#define DNS_NAME_MAX 256 /* decoded dotted name, with the NUL */
/* Work per message at most, in steps: a label read, a compression pointer
 * followed, a question or record, an EDNS option.  A 4 KiB answer takes a
 * few hundred to 1,500; 64 KiB of pointer chains took 1.4 million. */
#define DNS_MAX_WORK 4096

enum {
	DNS_TYPE_A = 1, DNS_TYPE_NS = 2, DNS_TYPE_SOA = 6, DNS_TYPE_TXT = 16, DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41, DNS_TYPE_IXFR = 251, DNS_TYPE_AXFR = 252, DNS_TYPE_ANY = 255,
	DNS_CLASS_IN = 1, DNS_CLASS_CH = 3, DNS_CLASS_ANY = 255,
	DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_REFUSED = 5,
};

struct dns_msg {
	uint16_t id;
	bool qr;                 /* a response */
	uint8_t opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount;
	/* the first question */
	char qname[DNS_NAME_MAX]; /* decoded, lower-cased, dotted, "" for the root */
	uint16_t qtype, qclass;
	bool edns;               /* an OPT record was present */
	uint16_t edns_size;      /* its UDP payload size */
	size_t msg_len;          /* bytes parsed */
	uint32_t work;           /* steps taken, at most DNS_MAX_WORK */
	uint32_t anomalies;      /* bit (1u << enum dns_anomaly) per problem */
};

/* Parses one DNS message of len bytes (a UDP payload, or one message of a
 * TCP stream without its length prefix).  Returns 0 when the header was
 * read (anomalies may be set), -1 when it is too short to be DNS. */
int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m);
/* TCP framing: the length of the first framed message in buf including its
 * 2-byte prefix, or 0 when more bytes are needed. */
size_t dns_frame(const uint8_t *buf, size_t len);
const char *dns_anomaly_name(enum dns_anomaly a);

#endif
