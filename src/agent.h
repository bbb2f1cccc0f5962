/* agent: the blocked User-Agent list, matched by whole tokens.
 *
 * A User-Agent is read as tokens: runs of ASCII letters and digits, split
 * by anything else ("sipcli/v1.8" is sipcli, v1, 8).  A pattern matches
 * where its text occurs (ASCII case-insensitive) and neither of its ends
 * falls inside a token: "sipcli" matches "sipcli/v1.8" but not
 * "MySipClient"; a pattern with separators ("friendly-scanner",
 * "PortSIP VoIP SDK") matches the same tokens joined by the same
 * separators.  Anchors: a leading '^' ties the pattern to the start of the
 * header, a trailing '$' to its end ("^Elite$": the whole header).
 * A From display name matches only when it equals a pattern as a whole
 * (anchors aside), case-insensitive: "Elite" blocks "Elite", never
 * "Elite Dental".
 *
 * Matching is one pass over the header with a 4-byte prefilter: work is
 * bounded by the header length, no allocation, no system call. */
#ifndef SW_AGENT_H
#define SW_AGENT_H

#include "config.h"
#include "util.h"

struct agent_pat {
	char s[CFG_AGENT_LEN];        /* the pattern, lowercased, anchors removed */
	uint8_t len;
	bool start, end;              /* anchored at the header's start / end */
	uint16_t gram;                /* hash of its first 4 bytes */
	uint8_t idx;                  /* its place in the configured list */
};

struct agent_set {
	uint8_t gram[65536 / 8];      /* first-4-byte hashes of patterns of 4 or more */
	uint64_t shorts;              /* patterns under 4 bytes (bit per pattern) */
	uint64_t lens;                /* bit L: some pattern is L bytes long */
	uint64_t first[4];            /* bit c: some pattern starts with byte c (either case) */
	uint8_t n;
	struct agent_pat p[CFG_MAX_AGENTS];
};

/* A configured pattern's error, or NULL when it is usable. */
const char *agent_check(const char *pat);

/* Compiles the n patterns of list (as configured) into set. */
void agent_build(struct agent_set *set, const char (*list)[CFG_AGENT_LEN], unsigned n);

/* The list index of the first pattern matching a User-Agent, or -1. */
int agent_match_ua(const struct agent_set *set, struct slice ua);

/* The list index of the first pattern a display name equals, or -1. */
int agent_match_name(const struct agent_set *set, struct slice name);

#endif
