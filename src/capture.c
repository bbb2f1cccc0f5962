/* capture: pcap/pcapng files through libpcap. */
#include "capture.h"
#include "decode.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PROGRESS_EVERY 65536 /* frames between clock checks */

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_progress(FILE *out, const char *path, pcap_t *p, off_t size, double started)
{
	FILE *f = pcap_file(p);
	long pos = f ? ftell(f) : -1;
	if (pos >= 0 && size > 0)
		fprintf(out, "\r%s: %3.0f%% (%.1f s)", path, 100.0 * (double)pos / (double)size, mono_now() - started);
}

int cap_replay_file(const char *path, cap_frame_fn fn, void *ctx, FILE *progress,
                    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, stat(path, &sb) != 0 ? strerror(errno) : "not a regular file");
		return -1;
	}
	/* our own FILE with a large buffer: fewer, larger reads */
	static char iobuf[1 << 20];
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof iobuf);
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		fclose(fp);
		snprintf(err, errlen, "%s: not a pcap or pcapng file we can read (%s)", path, perr);
		return -1;
	}
	int link = pcap_datalink(p);
	if (!dec_link_supported(link)) {
		snprintf(err, errlen, "%s: unsupported link type %s (%d)", path,
		         pcap_datalink_val_to_name(link) ? pcap_datalink_val_to_name(link) : "?", link);
		pcap_close(p);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	uint64_t n = 0;
	double started = mono_now(), last_shown = started;
	bool shown = false;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		fn(ctx, link, data, h->caplen, ts);
		if (++n % PROGRESS_EVERY == 0 && progress) {
			double now = mono_now();
			if (now - started > 1.0 && now - last_shown > 0.25) {
				show_progress(progress, path, p, sb.st_size, started);
				last_shown = now;
				shown = true;
			}
		}
	}
	if (shown)
		fprintf(progress, "\r%s: 100%% (%.1f s)\n", path, mono_now() - started);
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s (after %llu frames)", path, pcap_geterr(p), (unsigned long long)n);
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

/* ---- live capture ---- */

#define MAX_HANDLES 16

struct live_handle {
	pcap_t *p;
	int link;
	cap_frame_fn fn;
	void *ctx;
};

struct cap_live {
	int n;
	struct live_handle h[MAX_HANDLES];
};

static pcap_t *open_one(const char *ifname, unsigned buffer_mb, const char *filter, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(ifname, perr);
	if (!p) {
		snprintf(err, errlen, "%s: %s", ifname, perr);
		return NULL;
	}
	pcap_set_snaplen(p, 65535);
	pcap_set_promisc(p, 0);
	/* Not immediate mode: that gives a ring of fixed frames sized for the
	 * snaplen (with offloads, 64 KiB each: 64 MiB holds ~1000 packets).
	 * The block ring (TPACKET_V3) with a 1 ms timeout holds far more and
	 * adds at most a millisecond (bench/live: no drops at 650k pps). */
	pcap_set_timeout(p, 1);
	pcap_set_buffer_size(p, (int)(buffer_mb << 20));
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
	int rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	struct bpf_program prog;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
		snprintf(err, errlen, "%s: filter '%s': %s", ifname, filter, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(p, 1, perr) != 0 || !dec_link_supported(pcap_datalink(p))) {
		snprintf(err, errlen, "%s: %s", ifname, perr[0] ? perr : "unsupported link type");
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct cap_live *cap_live_open(char ifaces[][32], unsigned n_ifaces, unsigned buffer_mb,
                               const char *filter, char *err, size_t errlen)
{
	struct cap_live *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < n_ifaces && i < MAX_HANDLES; i++) {
		pcap_t *p = open_one(ifaces[i], buffer_mb, filter, err, errlen);
		if (!p) {
			cap_live_close(c);
			return NULL;
		}
		c->h[c->n].p = p;
		c->h[c->n++].link = pcap_datalink(p);
	}
	return c;
}

void cap_live_close(struct cap_live *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++)
		pcap_close(c->h[i].p);
	free(c);
}

int cap_live_fds(const struct cap_live *c, int *fds, int max)
{
	int k = 0;
	for (int i = 0; i < c->n && k < max; i++)
		fds[k++] = pcap_get_selectable_fd(c->h[i].p);
	return k;
}

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_handle *lh = (struct live_handle *)user;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
	lh->fn(lh->ctx, lh->link, data, h->caplen, ts);
}

int cap_live_dispatch(struct cap_live *c, int i, cap_frame_fn fn, void *ctx, char *err, size_t errlen)
{
	struct live_handle *lh = &c->h[i];
	lh->fn = fn;
	lh->ctx = ctx;
	/* a few hundred frames per call keep the control socket answered */
	int n = pcap_dispatch(lh->p, 512, live_cb, (u_char *)lh);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "capture: %s", pcap_geterr(lh->p));
		return -1;
	}
	return n < 0 ? 0 : n;
}

void cap_live_stats(struct cap_live *c, uint64_t *received, uint64_t *dropped)
{
	*received = *dropped = 0;
	for (int i = 0; i < c->n; i++) {
		struct pcap_stat ps;
		if (pcap_stats(c->h[i].p, &ps) == 0) {
			*received += ps.ps_recv;
			*dropped += ps.ps_drop + ps.ps_ifdrop;
		}
	}
}

/* Appends "a or b" style port terms: "port 5060" / "portrange 5080-5082". */
static int port_terms(const uint8_t *ports, char *buf, size_t n)
{
	size_t len = 0;
	int terms = 0;
	for (unsigned p = 1; p < 65536; p++) {
		if (!(ports[p >> 3] & (1u << (p & 7))))
			continue;
		unsigned q = p;
		while (q + 1 < 65536 && (ports[(q + 1) >> 3] & (1u << ((q + 1) & 7))))
			q++;
		int k = q == p ? snprintf(buf + len, n - len, "%sport %u", terms ? " or " : "", p)
		               : snprintf(buf + len, n - len, "%sportrange %u-%u", terms ? " or " : "", p, q);
		if (k < 0 || (size_t)k >= n - len)
			return -1;
		len += (size_t)k;
		terms++;
		p = q;
	}
	return terms ? 0 : -1;
}

int cap_filter(const uint8_t *ports, bool udp, bool tcp, bool tftp_answers, char *buf, size_t n)
{
	char terms[2048];
	if (port_terms(ports, terms, sizeof terms) != 0)
		return -1;
	const char *proto = udp && tcp ? "(udp or tcp)" : udp ? "udp" : "tcp";
	/* fragments: IPv4 with MF set or an offset; IPv6 with a fragment header
	 * right after the fixed header (the common case) */
	/* TFTP answers come from the server's transfer port: match their opcode
	 * (DATA, ACK, ERROR, OACK; RTP and most else start otherwise) */
	int k = snprintf(buf, n, "(%s and (%s)) or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)%s",
	                 proto, terms, tftp_answers ? " or (udp and udp[8:2] >= 3 and udp[8:2] <= 6)" : "");
	return (k < 0 || (size_t)k >= n) ? -1 : 0;
}
