/* win: counting in sliding windows, for the detectors.  A window counts
 * events in WIN_SLOTS slots: the sum covers between 7/8 of the window and
 * the whole window, so a count never includes an event older than the
 * window.  A dset counts distinct strings (by hash) seen within a window. */
#ifndef SW_WIN_H
#define SW_WIN_H

#include "util.h"

#define WIN_SLOTS 8
#define DSET 64 /* distinct strings remembered */

struct win {
	uint64_t last;              /* slot number of the newest slot */
	uint16_t slot[WIN_SLOTS];
};

struct dset {
	uint32_t n;
	struct { uint32_t hash, time_s; } e[DSET];
};

/* Counts one event at ts_us; returns the events within window_s. */
uint32_t win_add(struct win *w, uint32_t window_s, uint64_t ts_us);
void win_reset(struct win *w);
/* Remembers str at ts_us; returns how many distinct strings were seen
 * within window_s (at most DSET: the oldest is forgotten first).  Strings
 * are told apart by a 32-bit hash under key, which must be secret (from
 * hash_key_new()): with a known one, a few seconds of search find strings
 * that count as one. */
uint32_t dset_add(struct dset *set, struct hash_key key, const char *str, uint32_t window_s, uint64_t ts_us);

#endif
