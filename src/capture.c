/* capture: pcap/pcapng files through libpcap (classic pcap files in the
 * host's byte order read in place, see read_mapped()); live capture. */
#include "capture.h"
#include "decode.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_EVERY 65536 /* frames between clock checks */

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct replay {
	cap_frame_fn fn;
	void *ctx;
	int link;
	uint64_t n; /* frames delivered */
	FILE *progress;
	const char *path;
	off_t size;
	double started, last_shown;
	bool shown;
};

/* Every PROGRESS_EVERY frames: a progress line now and then. */
static void progress_tick(struct replay *r, long pos)
{
	double now = mono_now();
	if (now - r->started > 1.0 && now - r->last_shown > 0.25) {
		if (pos >= 0 && r->size > 0)
			fprintf(r->progress, "\r%s: %3.0f%% (%.1f s)", r->path, 100.0 * (double)pos / (double)r->size,
			        now - r->started);
		r->last_shown = now;
		r->shown = true;
	}
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct replay *r = (struct replay *)user;
	r->n++;
	r->fn(r->ctx, r->link, data, h->caplen, (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec);
}

/* ---- classic pcap files, read in place ---- */

#define MAGIC_US 0xa1b2c3d4u   /* the file header's magic in the host's order */
#define MAGIC_NS 0xa1b23c4du   /* the same with nanosecond time stamps */
#define MAX_CAPLEN 262144u     /* libpcap's limit for the link types we decode */
#define WINDOW ((size_t)2 << 20) /* mapped bytes prefaulted ahead, dropped behind */
#define PREFETCH 2048          /* bytes of the next frames asked for into the cache */

/* A classic pcap file mapped read-only, and what of it is mapped in. */
struct mapped {
	const uint8_t *p;
	size_t size, page;
	size_t ahead, behind; /* prefaulted up to, dropped up to */
	size_t pf;            /* prefetched up to */
};

/* Around off: the next window prefaulted (best effort: without it, page
 * faults), what lies more than a window behind dropped. */
static void map_window(struct mapped *m, size_t off)
{
	if (off >= m->ahead && m->ahead < m->size) {
		size_t a = m->ahead & ~(m->page - 1), n = m->size - a < WINDOW ? m->size - a : WINDOW;
#ifdef MADV_POPULATE_READ
		(void)madvise((void *)(m->p + a), n, MADV_POPULATE_READ);
#endif
		m->ahead = a + n;
	}
	if (off - m->behind >= 2 * WINDOW) {
		size_t n = (off - WINDOW - m->behind) & ~(m->page - 1);
		(void)madvise((void *)(m->p + m->behind), n, MADV_DONTNEED);
		m->behind += n;
	}
}

/* A file truncated by someone else while it is mapped: reading a page past
 * its new end raises SIGBUS.  The handler puts a zero page there (so the
 * frame being read is garbage, not a crash) and raises the flag; the loop
 * then stops with an error.  Signal state only: the flag and the range of
 * the one mapping being read (replay is single-threaded). */
static volatile sig_atomic_t bus_hit;
static const uint8_t *volatile bus_lo, *volatile bus_hi;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	const uint8_t *a = si->si_addr;
	long page = sysconf(_SC_PAGESIZE);
	if (bus_lo && a >= bus_lo && a < bus_hi && page > 0) {
		void *pg = (void *)((uintptr_t)a & ~(uintptr_t)(page - 1));
		if (mmap(pg, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			bus_hit = 1;
			return;
		}
	}
	signal(sig, SIG_DFL); /* not ours: the default action, once more */
	raise(sig);
}

/* The record header at off into h (seconds, fraction, caplen, len), with
 * libpcap's checks: 0, or -1 with libpcap's message in msg. */
static int record(const struct mapped *m, size_t off, uint32_t snaplen, uint32_t h[4],
                  char *msg, size_t msglen)
{
	if (m->size - off < 16) {
		snprintf(msg, msglen, "truncated dump file; tried to read %d header bytes, only got %zu", 16,
		         m->size - off);
		return -1;
	}
	memcpy(h, m->p + off, 16);
	uint32_t caplen = h[2];
	size_t avail = m->size - off - 16;
	if (caplen > MAX_CAPLEN) {
		if (caplen > snaplen)
			snprintf(msg, msglen, "invalid packet capture length %u, bigger than snaplen of %d", caplen,
			         (int)snaplen);
		else
			snprintf(msg, msglen, "invalid packet capture length %u, bigger than maximum of %u", caplen,
			         MAX_CAPLEN);
		return -1;
	}
	if (caplen > avail) { /* past a cut to snaplen, libpcap reads on to discard */
		snprintf(msg, msglen, "truncated dump file; tried to read %u captured bytes, only got %zu",
		         caplen > snaplen && avail < snaplen ? snaplen : caplen, avail);
		return -1;
	}
	return 0;
}

/* A classic pcap file (format 2.4, the host's byte order) is read from a
 * read-only mapping instead of through stdio: read() copying every byte
 * into the stdio buffer, and fread() again into libpcap's, were a sixth of
 * the replay time on the 1M mixed benchmark.  libpcap has opened the file
 * and checked its header; each record gets libpcap's checks and messages
 * (sf-pcap.c pcap_next_packet()) and its time stamp conversion.  The
 * mapping is prefaulted a window ahead and dropped a window behind, so the
 * resident size stays small, and the next frames are prefetched into the
 * cache while this one is handled (another 6%: the hardware prefetcher
 * stops at page boundaries).  A file truncated under us raises SIGBUS:
 * on_sigbus() makes that an error for this file; one that grows is read as
 * it was when opened.  Returns 1 when
 * the file is not such a file (libpcap reads it), 0 when it was read, -1
 * with the reason in msg. */
static int read_mapped(pcap_t *p, FILE *fp, struct replay *r, char *msg, size_t msglen)
{
	struct stat sb;
	if (pcap_is_swapped(p) || pcap_major_version(p) != 2 || pcap_minor_version(p) != 4 ||
	    fstat(fileno(fp), &sb) != 0 || sb.st_size < 24 || (uint64_t)sb.st_size > SIZE_MAX)
		return 1;
	long page = sysconf(_SC_PAGESIZE);
	struct mapped m = { NULL, (size_t)sb.st_size, page > 0 ? (size_t)page : 4096, 0, 0, 0 };
	void *map = mmap(NULL, m.size, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
	if (map == MAP_FAILED)
		return 1;
	m.p = map;
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old_sa;
	sigemptyset(&sa.sa_mask);
	bus_hit = 0;
	bus_lo = m.p;
	bus_hi = m.p + m.size;
	sigaction(SIGBUS, &sa, &old_sa);
	uint32_t magic, snaplen = (uint32_t)pcap_snapshot(p), h[4];
	memcpy(&magic, m.p, 4);
	int rc = magic == MAGIC_US || magic == MAGIC_NS ? 0 : 1;
	for (size_t off = 24; rc == 0 && !bus_hit && off < m.size; off += 16 + h[2]) {
		map_window(&m, off);
		if ((rc = record(&m, off, snaplen, h, msg, msglen)) != 0)
			break;
		for (; m.pf < off + 16 + h[2] + PREFETCH && m.pf < m.size; m.pf += 64)
			__builtin_prefetch(m.p + m.pf); /* each line once */
		long frac = (int32_t)h[1]; /* as libpcap: signed, scaled down from ns */
		if (magic == MAGIC_NS)
			frac /= 1000;
		r->n++;
		r->fn(r->ctx, r->link, m.p + off + 16, h[2] < snaplen ? h[2] : snaplen,
		      (uint64_t)(time_t)(int32_t)h[0] * 1000000 + (uint64_t)frac);
		if (r->n % PROGRESS_EVERY == 0 && r->progress)
			progress_tick(r, (long)(off + 16 + h[2]));
	}
	sigaction(SIGBUS, &old_sa, NULL);
	bus_lo = bus_hi = NULL;
	if (bus_hit && rc == 0) {
		snprintf(msg, msglen, "the file was truncated while it was being read");
		rc = -1;
	}
	munmap(map, m.size);
	return rc;
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
	/* our own FILE with a larger buffer than stdio's: fewer reads, yet
	 * small enough to stay in the L2 cache with the tables of the packet
	 * path (measured on the 1M mixed benchmark: 128 KiB replays about 6%
	 * faster than 1 MiB, which pushes those tables out) */
	static char iobuf[1 << 17];
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
	double now = mono_now();
	struct replay r = { fn, ctx, link, 0, progress, path, sb.st_size, now, now, false };
	char msg[PCAP_ERRBUF_SIZE];
	int rc = read_mapped(p, fp, &r, msg, sizeof msg);
	if (rc > 0) {
		/* pcap_dispatch() hands over frames in batches: cheaper per
		 * frame than pcap_next_ex(), which goes through a one-shot
		 * callback */
		while ((rc = pcap_dispatch(p, PROGRESS_EVERY, on_frame, (u_char *)&r)) > 0)
			if (progress)
				progress_tick(&r, pcap_file(p) ? ftell(pcap_file(p)) : -1);
		if (rc == PCAP_ERROR)
			snprintf(msg, sizeof msg, "%s", pcap_geterr(p));
	}
	if (r.shown)
		fprintf(progress, "\r%s: 100%% (%.1f s)\n", path, mono_now() - r.started);
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s (after %llu frames)", path, msg, (unsigned long long)r.n);
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
