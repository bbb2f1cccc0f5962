/* fuzz_tftp: libFuzzer harness for the TFTP parser.
 * The input is one UDP payload.  Every returned slice must lie inside the
 * input (each is also read, so ASan sees a bad one); the return value, the
 * opcode and the anomaly bits must agree; a string slice never holds a NUL
 * and, unless no_nul is flagged, is followed by one; a DATA payload is the
 * rest of the packet.  Any violation traps.
 * Seeds: fuzz/corpus/tftp/. */
#include "tftp.h"

#include <stdint.h>
#include <string.h>

static unsigned sink;

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_slice(struct slice s, const char *b, size_t n)
{
	if (!s.p) {
		REQUIRE(s.len == 0);
		return;
	}
	REQUIRE(s.p >= b && s.p <= b + n && s.len <= (size_t)(b + n - s.p));
	for (size_t i = 0; i < s.len; i++)
		sink += (unsigned char)s.p[i];
}

/* A string field: no NUL inside; a NUL right after it unless the packet
 * was flagged for a missing one. */
static void check_str(struct slice s, const char *b, size_t n, uint32_t anom)
{
	check_slice(s, b, n);
	if (!s.p)
		return;
	REQUIRE(!memchr(s.p, 0, s.len));
	const char *e = s.p + s.len;
	REQUIRE((e < b + n && *e == 0) || (anom & (1u << TFTP_A_NO_NUL)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data;
	struct tftp_msg m;
	int r = tftp_parse(data, size, &m);
	uint32_t a = m.anomalies;
	REQUIRE(r == 0 || r == -1);
	REQUIRE(a < (1u << TFTP_A__COUNT));
	if (r == -1) {
		REQUIRE(m.op == TFTP_NONE);
		REQUIRE(a & ((1u << TFTP_A_SHORT) | (1u << TFTP_A_BAD_OPCODE)));
		REQUIRE(size < 2 || (a & (1u << TFTP_A_BAD_OPCODE)));
	} else {
		REQUIRE(size >= 2 && m.op >= TFTP_RRQ && m.op <= TFTP_OACK);
		REQUIRE((unsigned)m.op == ((unsigned)data[0] << 8 | data[1]));
		REQUIRE(!(a & (1u << TFTP_A_BAD_OPCODE)));
	}
	REQUIRE(!!(a & (1u << TFTP_A_OVERSIZE)) ==
	        (size > 65507 || (m.op == TFTP_DATA && m.data.len > 65464)));
	REQUIRE(m.n_options <= TFTP_MAX_OPTIONS);
	check_str(m.filename, b, size, a);
	check_str(m.mode, b, size, a);
	check_str(m.error_msg, b, size, a);
	for (unsigned i = 0; i < m.n_options; i++) {
		check_str(m.options[i].name, b, size, a);
		check_str(m.options[i].value, b, size, a);
	}
	check_slice(m.data, b, size);
	if (m.op == TFTP_DATA && size >= 4)
		REQUIRE(m.data.p == b + 4 && m.data.len == size - 4);
	else
		REQUIRE(m.data.p == NULL && m.data.len == 0);
	if (m.op != TFTP_RRQ && m.op != TFTP_WRQ)
		REQUIRE(!m.filename.p && !m.mode.p);
	if (m.op != TFTP_ERROR)
		REQUIRE(!m.error_code && !m.error_msg.p);
	if (m.filename.p && m.filename.len == 0)
		REQUIRE(a & (1u << TFTP_A_BAD_FILENAME));
	for (int i = 0; i < TFTP_A__COUNT; i++)
		if (a & (1u << i))
			REQUIRE(tftp_anomaly_name((enum tftp_anomaly)i)[0] != '\0');
	return 0;
}
