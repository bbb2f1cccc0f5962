/* fuzz_pcap: differential libFuzzer harness for the replay reader.  The
 * input is a capture file; cap_replay_file() reads it (classic pcap files in
 * the host's byte order from a mapping, the rest through libpcap) and so
 * does libpcap alone (pcap_next_ex()).  Both must hand over the same frames
 * (link type, bytes, time stamp) and fail, if they fail, after the same
 * frames with the same message.
 * Seeds: fuzz/corpus/pcap/ (small classic pcap files: microsecond and
 * nanosecond, both byte orders, cut short, a frame over the snaplen). */
#include "capture.h"
#include "decode.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct digest {
	uint64_t h, n;
};

static void add(struct digest *d, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	uint64_t h = d->h ^ ((uint64_t)(unsigned)link << 32) ^ caplen ^ (ts_us * 0x9e3779b97f4a7c15ULL);
	for (size_t i = 0; i < caplen; i++)
		h = (h ^ frame[i]) * 0x100000001b3ULL;
	d->h = h;
	d->n++;
}

static void on_frame(void *ctx, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	add(ctx, link, frame, caplen, ts_us);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz_pcap", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();

	struct digest a = { 0, 0 }, b = { 0, 0 };
	char err[1024], perr[PCAP_ERRBUF_SIZE];
	int rc = cap_replay_file(path, on_frame, &a, NULL, err, sizeof err);

	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p || !dec_link_supported(pcap_datalink(p))) {
		if (rc == 0 || a.n)
			abort(); /* read a file libpcap does not, or of a link type we refuse */
		if (p)
			pcap_close(p);
		return 0;
	}
	int link = pcap_datalink(p), prc;
	struct pcap_pkthdr *h;
	const u_char *frame;
	while ((prc = pcap_next_ex(p, &h, &frame)) == 1)
		add(&b, link, frame, h->caplen, (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec);
	if (a.n != b.n || a.h != b.h)
		abort(); /* different frames */
	if ((rc != 0) != (prc == PCAP_ERROR))
		abort(); /* one failed, the other did not */
	if (rc != 0) {
		char want[1024];
		snprintf(want, sizeof want, "%s: %s (after %llu frames)", path, pcap_geterr(p),
		         (unsigned long long)b.n);
		if (strcmp(err, want) != 0) {
			fprintf(stderr, "ours:    %s\nlibpcap: %s\n", err, want);
			abort(); /* a different message */
		}
	}
	pcap_close(p);
	return 0;
}
