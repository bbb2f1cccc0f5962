/* agent_match: the cost of matching the default blocked agents against a
 * User-Agent, per header, next to the substring search it replaced.
 *
 *   build/bench/agent_match [--ms N]
 *
 * Headers: an ordinary phone's, a scanner's, a scanner name after 1,000
 * bytes of padding, and 64 KiB built to hit the prefilter at every token
 * ("friendly-scannerx" over and over: each candidate compared, none
 * matching).  Each is matched for about N ms (100) of one core, best of 5
 * rounds; prints nanoseconds per header and per byte, and in substr* the
 * plain substring search of every pattern (no prefilter, no token rule: it
 * stops at the first substring, so it finds "friendly-scanner" at once in
 * the worst header, where tokens must look on).  Informational: speed
 * is never checked by the test suite. */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile int sink;

/* Best nanoseconds per call over 5 rounds of about ms milliseconds. */
static double time_it(const struct agent_set *set, const struct cfg_rules *r, struct slice s, bool old, double ms)
{
	double best = 1e18;
	for (int round = 0; round < 5; round++) {
		unsigned long n = 0;
		double t0 = now_ns(), t;
		do {
			for (int k = 0; k < 64; k++, n++) {
				if (!old) {
					sink += agent_match_ua(set, s);
					continue;
				}
				for (unsigned i = 0; i < r->n_agents; i++)
					if (slice_icontains(s, r->agents[i])) {
						sink += (int)i;
						break;
					}
			}
			t = now_ns();
		} while (t - t0 < ms * 1e6);
		if ((t - t0) / (double)n < best)
			best = (t - t0) / (double)n;
	}
	return best;
}

int main(int argc, char **argv)
{
	double ms = argc == 3 && !strcmp(argv[1], "--ms") ? atof(argv[2]) : 100;
	struct config *c = cfg_defaults();
	const struct cfg_rules *r = &c->inst[0].rules;
	static struct agent_set set;
	agent_build(&set, r->agents, r->n_agents);
	static char padded[1200], worst[65536];
	size_t n = (size_t)snprintf(padded, sizeof padded, "Mozilla/5.0 ");
	while (n < 1000)
		padded[n++] = 'x';
	snprintf(padded + n, sizeof padded - n, " friendly-scanner");
	for (n = 0; n + 17 <= sizeof worst; n += 17)
		memcpy(worst + n, "friendly-scannerx", 17);
	worst[n] = 0;
	const char *const hdr[][2] = { { "phone", "Yealink SIP-T46S 66.85.0.5" }, { "scanner", "sipcli/v1.8" },
	                               { "padded 1 KB", padded }, { "worst 64 KiB", worst } };
	printf("%-14s %10s %10s %12s %12s\n", "User-Agent", "bytes", "match", "ns/header", "substr*");
	for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
		struct slice s = { hdr[i][1], strlen(hdr[i][1]) };
		int k = agent_match_ua(&set, s);
		double t = time_it(&set, r, s, false, ms), t_old = time_it(&set, r, s, true, ms);
		printf("%-14s %10zu %10s %12.0f %12.0f   (%.2f ns/byte)\n", hdr[i][0], s.len, k < 0 ? "-" : r->agents[k],
		       t, t_old, t / (double)s.len);
	}
	cfg_free(c);
	return 0;
}
