/* capture: pcap/pcapng files through libpcap. */
#include "capture.h"
#include "decode.h"

#include <errno.h>
#include <pcap/pcap.h>
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
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
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
