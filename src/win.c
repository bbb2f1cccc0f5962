/* win: sliding-window counters and distinct sets. */
#include "win.h"
#include "util.h"

#include <string.h>

uint32_t win_add(struct win *w, uint32_t window_s, uint64_t ts_us)
{
	uint64_t slot_us = (uint64_t)window_s * 1000000 / WIN_SLOTS;
	uint64_t cur = ts_us / (slot_us ? slot_us : 1);
	if (cur > w->last) {
		if (cur - w->last >= WIN_SLOTS)
			memset(w->slot, 0, sizeof w->slot);
		else
			for (uint64_t s = w->last + 1; s <= cur; s++)
				w->slot[s % WIN_SLOTS] = 0;
		w->last = cur;
	}
	/* summed before the increment: reading the slots right after writing
	 * one of them stalls the load (measured 7-9% of a replay) */
	uint32_t sum = 0;
	for (int i = 0; i < WIN_SLOTS; i++)
		sum += w->slot[i];
	/* an event older than the newest slot (reordered capture) counts there */
	uint16_t *c = &w->slot[w->last % WIN_SLOTS];
	if (*c < UINT16_MAX) {
		(*c)++;
		sum++;
	}
	return sum;
}

void win_reset(struct win *w)
{
	memset(w->slot, 0, sizeof w->slot);
}

uint32_t dset_add(struct dset *set, struct hash_key key, const char *str, uint32_t window_s, uint64_t ts_us)
{
	uint32_t h = (uint32_t)hash_bytes(str, strlen(str), key), now_s = (uint32_t)(ts_us / 1000000);
	uint32_t n = 0, oldest = 0, found = DSET;
	for (uint32_t i = 0; i < set->n; i++) {
		if (set->e[i].hash == h)
			found = i;
		if (set->e[i].time_s < set->e[oldest].time_s)
			oldest = i;
	}
	if (found == DSET)
		found = set->n < DSET ? set->n++ : oldest;
	set->e[found].hash = h;
	set->e[found].time_s = now_s;
	for (uint32_t i = 0; i < set->n; i++)
		if (now_s - set->e[i].time_s < window_s)
			n++;
	return n;
}

