/* capture: where frames come from.  Replay reads pcap and pcapng files with
 * libpcap; live capture (later) uses the same frame callback. */
#ifndef SW_CAPTURE_H
#define SW_CAPTURE_H

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

#endif
