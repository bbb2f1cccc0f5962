/* fuzz_decode: libFuzzer harness for the decoder.  The first input byte picks
 * the link type (index into links[], as the seed writer in
 * tests/test_decode.c numbers them), the rest is one frame.  An input may
 * hold several such [link][frame] records separated by FRAME_SEP, so one
 * input can carry a whole fragment train or TCP exchange.  The decoder is
 * created once with small tables, so fragments and TCP flows also carry over
 * between inputs and the eviction, overflow and expiry paths run.
 * Seeds: fuzz/corpus/decode/ (written by `test_decode --corpus DIR`). */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

static const int links[] = { 0, 1, 101, 12, 14, 108, 113, 276, 228, 229 };
static const uint8_t FRAME_SEP[4] = { 0xde, 0xc0, 0xfe, 0xed };

struct fuzz_state {
	struct dec *d;
	uint8_t ports[8192];    /* even ports are of interest (5060 among them) */
	uint64_t ts;
	unsigned n;
	unsigned sink;
};

/* Reads every byte (so ASan sees any bad slice) and consumes a varying,
 * data-dependent amount, including 0 and more than offered. */
static size_t fz_deliver(void *ctx, const struct packet *p)
{
	struct fuzz_state *s = ctx;
	unsigned acc = p->sport ^ p->dport ^ p->proto ^ p->tcp_fin ^ (unsigned)p->tcp_verified << 3;
	if (p->tcp_verified && p->proto != 6)
		abort();        /* only a TCP handshake verifies */
	for (size_t i = 0; i < p->len; i++)
		acc = acc * 31 + p->data[i];
	acc ^= p->src.b[15] ^ p->dst.b[0];
	s->sink += acc;
	switch (acc % 4) {
	case 0: return 0;
	case 1: return p->len;
	case 2: return p->len + 7;
	default: return p->len ? acc % p->len : 0;
	}
}

static void fz_anomaly(void *ctx, uint64_t ts, const struct ipaddr *src,
                       enum dec_anomaly what)
{
	struct fuzz_state *s = ctx;
	s->sink += (unsigned)(ts + what) + (src ? src->b[15] : 0);
	if (dec_anomaly_name(what)[0] == 'u')
		abort();        /* every reported anomaly has a name */
}

/* Decodes one [link][frame] record from a copy that ends exactly where the
 * frame does, so ASan catches any read past caplen. */
static void fz_frame(struct fuzz_state *st, const uint8_t *rec, size_t n)
{
	if (n < 1)
		return;
	int link = links[rec[0] % (sizeof links / sizeof links[0])];
	uint8_t *frame = malloc(n - 1 ? n - 1 : 1);
	if (!frame)
		return;
	memcpy(frame, rec + 1, n - 1);
	st->ts += 1000 + rec[0];
	if (dec_frame(st->d, link, frame, n - 1, st->ts) != 0)
		abort();
	free(frame);
	if (++st->n % 64 == 0)
		dec_expire(st->d, st->ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_state st;
	if (!st.d) {
		memset(st.ports, 0x55, sizeof st.ports);
		struct dec_config c = {
			.port_map = st.ports, .max_frag_datagrams = 8, .frag_timeout_ms = 50,
			.max_flows = 16, .flow_buf = 512, .reorder_window = 256,
			.flow_idle_ms = 200,
		};
		struct dec_callbacks cb = { fz_deliver, fz_anomaly, &st };
		st.d = dec_new(&c, &cb);
		st.ts = 1700000000000000ULL;
		if (!st.d)
			abort();
	}
	while (size > 0) {
		const uint8_t *sep = memmem(data, size, FRAME_SEP, sizeof FRAME_SEP);
		size_t n = sep ? (size_t)(sep - data) : size;
		fz_frame(&st, data, n);
		if (!sep)
			break;
		data += n + sizeof FRAME_SEP;
		size -= n + sizeof FRAME_SEP;
	}
	return 0;
}
