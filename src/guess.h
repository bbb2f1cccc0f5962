/* guess: distributed password guessing.  Remembers, per username, which
 * addresses failed authentication on it recently, so that one username
 * tried from many addresses (each below the per-address threshold) is seen.
 * Bounded: a fixed table of usernames, a fixed set of addresses each. */
#ifndef SW_GUESS_H
#define SW_GUESS_H

#include "event.h"

struct guess;

struct guess *guess_new(uint32_t cap);
void guess_free(struct guess *g);

/* Records that addr failed authentication as user at ts_us; returns how many
 * distinct addresses failed on user within window_s. */
uint32_t guess_fail(struct guess *g, const char *user, const struct ipaddr *addr,
                    uint32_t window_s, uint64_t ts_us);
/* Marks user as under a distributed attack until until_us and copies the
 * addresses that failed on it within window_s into ev (first 10).  Returns
 * false when it was already marked (the alert was raised before). */
bool guess_mark(struct guess *g, const char *user, uint32_t window_s, uint64_t ts_us,
                uint64_t until_us, struct evidence *ev);
/* True while user is marked. */
bool guess_marked(struct guess *g, const char *user, uint64_t ts_us);

#endif
