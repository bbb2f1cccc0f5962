/* fuzz_dns: libFuzzer harness for the DNS parser and the TCP framer.
 * The input is parsed as one UDP payload and walked as a TCP stream (each
 * framed message parsed too).  msg_len must not exceed the input; qname
 * must be NUL-terminated, at most 253 characters (255 bytes in wire form)
 * and lower case; the header fields must match the bytes; a framed length
 * must be its prefix plus 2 and fit the input.  Any violation traps.
 * Seeds: fuzz/corpus/dns/. */
#include "dns.h"

#include <stdint.h>
#include <string.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void check(const uint8_t *b, size_t n)
{
	struct dns_msg m;
	int r = dns_parse(b, n, &m);
	uint32_t a = m.anomalies;
	REQUIRE(r == 0 || r == -1);
	REQUIRE(a < (1u << DNS_A__COUNT));
	REQUIRE(m.msg_len <= n);
	const char *z = memchr(m.qname, 0, DNS_NAME_MAX);
	REQUIRE(z && z - m.qname <= 253);
	for (const char *c = m.qname; c < z; c++)
		REQUIRE(!(*c >= 'A' && *c <= 'Z') && (unsigned char)*c >= 0x20 && *c != 0x7f);
	if (r == -1) {
		REQUIRE(n < 12 && a == (1u << DNS_A_SHORT) && m.msg_len == 0 && !m.qname[0]);
		return;
	}
	REQUIRE(n >= 12 && m.msg_len >= 12);
	REQUIRE(m.id == be16(b) && m.qr == (b[2] >> 7) && m.opcode == ((b[2] >> 3) & 0xf) &&
	        m.rcode == (b[3] & 0xf));
	REQUIRE(m.qdcount == be16(b + 4) && m.ancount == be16(b + 6) && m.nscount == be16(b + 8) &&
	        m.arcount == be16(b + 10));
	if (a == 0)
		REQUIRE(m.msg_len == n);
	if (a & (1u << DNS_A_TRAILING))
		REQUIRE(m.msg_len < n);
	if (!m.edns)
		REQUIRE(m.edns_size == 0);
	if (!m.qdcount)
		REQUIRE(!m.qname[0] && !m.qtype && !m.qclass);
	if (m.qdcount == 0 && !m.qr && m.opcode == 0)
		REQUIRE(a & (1u << DNS_A_BAD_COUNTS));
	for (int i = 0; i < DNS_A__COUNT; i++)
		if (a & (1u << i))
			REQUIRE(dns_anomaly_name((enum dns_anomaly)i)[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	size_t off = 0, f;
	while ((f = dns_frame(data + off, size - off)) > 0) {
		REQUIRE(f >= 2 && f <= size - off && f == 2 + be16(data + off));
		REQUIRE(dns_frame(data + off, f - 1) == 0);
		check(data + off + 2, f - 2);
		off += f;
	}
	REQUIRE(size - off < 2 || 2 + be16(data + off) > size - off);
	return 0;
}
