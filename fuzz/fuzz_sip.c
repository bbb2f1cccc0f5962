/* fuzz_sip: libFuzzer harness for the SIP parser and stream framer.
 * The input is one buffer as it would come off the wire.  It is parsed as a
 * datagram and as a stream, and framed; every returned slice must lie inside
 * the input (each is also read, so ASan sees a bad one), msg_len must not
 * exceed the input, and sip_parse() must agree with sip_frame() on the length
 * of a framed message.  Any violation traps.
 * Seeds: fuzz/corpus/sip/; dictionary: fuzz/sip.dict. */
#include "sip.h"

#include <stdint.h>
#include <stdlib.h>

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

static void check_na(const struct sip_nameaddr *a, const char *b, size_t n)
{
	check_slice(a->display, b, n);
	check_slice(a->uri, b, n);
	check_slice(a->user, b, n);
	check_slice(a->host, b, n);
	check_slice(a->tag, b, n);
}

static int parse_checked(const char *b, size_t n, bool stream, struct sip_msg *m)
{
	int r = sip_parse(b, n, stream, m);
	REQUIRE(r == 0 || r == -1);
	REQUIRE(m->msg_len <= n);
	REQUIRE(m->anomalies < (1u << SIP_A__COUNT));
	REQUIRE((unsigned)m->method < SIP_M__COUNT && (unsigned)m->cseq_method < SIP_M__COUNT);
	const struct slice sl[] = {
		m->method_s, m->ruri, m->ruri_user, m->ruri_host, m->reason,
		m->via_transport, m->via_sent_by, m->via_branch, m->via_received,
		m->call_id, m->cseq_method_s, m->content_type, m->user_agent,
		m->server, m->auth_username, m->auth_realm, m->body,
	};
	for (size_t i = 0; i < sizeof(sl) / sizeof(sl[0]); i++)
		check_slice(sl[i], b, n);
	check_na(&m->from, b, n);
	check_na(&m->to, b, n);
	check_na(&m->contact, b, n);
	if (r == 0) {
		REQUIRE(m->body.p + m->body.len == b + m->msg_len);
		REQUIRE(m->status == 0 || (m->status >= 100 && m->status <= 699));
		REQUIRE(m->max_forwards >= -1 && m->max_forwards <= 255);
	}
	sip_method_name(m->method);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data;
	struct sip_msg m;
	parse_checked(b, size, false, &m);
	parse_checked(b, size, true, &m);

	size_t ws = sip_frame_skip_ws(b, size);
	REQUIRE(ws <= size);
	long n = sip_frame(b, size);
	REQUIRE(n >= -1 && n <= (long)size);
	if (n > 0) {
		REQUIRE(sip_frame(b, (size_t)n) == n);
		REQUIRE(sip_frame(b, (size_t)n - 1) == 0);
		if (parse_checked(b, (size_t)n, true, &m) == 0) {
			REQUIRE(m.msg_len == (size_t)n);
			REQUIRE(!(m.anomalies & (1u << SIP_A_CONTENT_LENGTH_MISSING)));
			REQUIRE(!(m.anomalies & (1u << SIP_A_TRUNCATED)));
		}
	}
	return 0;
}
