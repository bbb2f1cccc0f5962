/* event: the verdicts and findings the engine emits, and their JSON line form
 * (a stable contract: users feed these lines to their SIEM). */
#ifndef SW_EVENT_H
#define SW_EVENT_H

#include "util.h"

enum evt_type { EVT_BLOCK, EVT_UNBLOCK, EVT_ANOMALY, EVT_ALERT, EVT__COUNT };

enum detector {
	DET_BAD_REGISTRATION, DET_SCANNER, DET_ENUMERATION, DET_BAD_INVITE,
	DET_ANOMALY, DET_FLOOD, DET_BLACKLIST, DET_MANUAL,
	DET_TOLL_FRAUD, DET_DISTRIBUTED_GUESSING, DET_AGGREGATE,
	DET_TFTP_BRUTEFORCE, DET_DNS_ABUSE, DET_ADMIN_LOGIN,
	DET__COUNT
};

#define EVD_MAX_USERS 10
#define EVD_MAX_CODES 8
#define EVD_MAX_ADDRS 10
#define EVD_MAX_LINES 5
#define EVD_LINE_LEN 120

/* What made a detector fire: owned copies, safe to keep. */
struct evidence {
	char user_agent[96];
	char display_name[64];         /* the From display name, when it is the evidence */
	char users[EVD_MAX_USERS][40]; /* usernames tried, first 10 */
	uint8_t n_users;
	uint8_t n_codes;
	uint16_t codes[EVD_MAX_CODES]; /* distinct response codes seen */
	uint32_t methods;              /* bit (1 << enum sip_method) per method seen */
	char anomaly[32];              /* anomaly reason code, for anomaly events */
	uint8_t n_addrs;
	struct ipaddr addrs[EVD_MAX_ADDRS]; /* other addresses involved (distributed guessing);
	                                     * for an aggregate block, its members: the
	                                     * blocked hosts that made it */
	uint8_t n_except;              /* aggregate block: whitelisted prefixes inside */
	uint64_t first_us;             /* first offending message seen (0 = unknown) */
	uint8_t n_lines;               /* the last offending requests, oldest first */
	union { /* an aggregate block has no request lines: its exceptions use their room */
		char lines[EVD_MAX_LINES][EVD_LINE_LEN]; /* "REGISTER sip:pbx SIP/2.0 -> 403", sanitised */
		struct ipprefix except[EVD_MAX_ADDRS]; /* whitelisted prefixes inside (they pass) */
	};
};

struct event {
	enum evt_type type;
	uint64_t ts_us;
	struct ipprefix ip;
	enum detector det;
	char reason[128];
	uint32_t count, window_s;
	int64_t duration_s;      /* block length; 0 = permanent; -1 = not applicable */
	const char *instance;    /* instance name, or NULL */
	const struct evidence *ev; /* or NULL */
};

/* Formats e as one JSON object (no newline) into buf; returns the length
 * written.  Every string is in text_safe's JSON form, so the line is valid
 * UTF-8.  When n is too small the line is cut between members or whole
 * characters, padded with spaces to n - 1 bytes, and n - 1 is returned. */
size_t evt_json(const struct event *e, char *buf, size_t n);
const char *evt_type_name(enum evt_type t);
const char *det_name(enum detector d);

/* Adds a username / response code / method to ev, without duplicates and
 * within the fixed bounds. */
void evd_add_user(struct evidence *ev, struct slice user);
void evd_add_code(struct evidence *ev, int code);
/* Appends an offending request line (sanitised by slice_copy, cut), with the
 * response code when code > 0; keeps the last EVD_MAX_LINES.  Sets first_us
 * on the first call. */
void evd_add_line(struct evidence *ev, struct slice line, int code, uint64_t ts_us);

#endif
