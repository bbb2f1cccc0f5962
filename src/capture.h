/* capture: where frames come from.  Replay reads pcap and pcapng files with
 * libpcap; live capture (later) uses the same frame callback. */
#ifndef SW_CAPTURE_H
#define SW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One frame: DLT link type, captured bytes, timestamp in microseconds. */
typedef void (*cap_frame_fn)(void *ctx, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us);

/* Reads every frame of the pcap/pcapng file at path and hands it to fn.
 * When progress is non-NULL and reading takes longer than a second, writes a
 * progress line there now and then.  Returns 0 when the whole file was read;
 * otherwise -1 with a message in err (missing, unreadable, truncated file or
 * an unsupported link type); frames read before a truncation were delivered. */
int cap_replay_file(const char *path, cap_frame_fn fn, void *ctx, FILE *progress,
                    char *err, size_t errlen);

/* Live capture on one or more interfaces ("any" included): the kernel's
 * block ring with a 1 ms timeout, a buffer of buffer_mb MiB, non-blocking,
 * and the BPF filter. */
struct cap_live;

struct cap_live *cap_live_open(char ifaces[][32], unsigned n_ifaces, unsigned buffer_mb,
                               const char *filter, char *err, size_t errlen);
void cap_live_close(struct cap_live *c);
/* The file descriptors to poll; returns how many (at most max). */
int cap_live_fds(const struct cap_live *c, int *fds, int max);
/* Reads what is waiting on handle i (its fd polled readable); returns the
 * number of frames, or -1 with a message in err when the handle failed. */
int cap_live_dispatch(struct cap_live *c, int i, cap_frame_fn fn, void *ctx, char *err, size_t errlen);
/* Frames received and dropped by the kernel, over all handles. */
void cap_live_stats(struct cap_live *c, uint64_t *received, uint64_t *dropped);

/* Builds the BPF filter text for the protected ports: the given protocols on
 * the ports in the 8192-byte bitmap, plus IP fragments (which carry no
 * ports after the first), plus TFTP answers from any port when asked.
 * Returns 0, or -1 when buf is too small. */
int cap_filter(const uint8_t *ports, bool udp, bool tcp, bool tftp_answers, char *buf, size_t n);

#endif
