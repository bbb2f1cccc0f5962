/* mail: composes the notification mails as complete RFC 5322 / MIME messages
 * (CRLF line ends, 7-bit safe: quoted-printable bodies, RFC 2047 encoded
 * subjects when needed; multipart/alternative with text/plain and text/html).
 *
 * Pure: no I/O and no clock (times come in); it allocates only the output
 * buffer.  Everything that came from the network (User-Agent, usernames,
 * request lines, reasons, instance names) is sanitised by text_safe before
 * use: invalid UTF-8 becomes U+FFFD, control bytes (CR and LF included) and
 * bidi controls become visible escapes, values are cut to a bounded length,
 * and HTML is escaped, so an attacker cannot add a header or markup. */
#ifndef SW_MAIL_H
#define SW_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* A growing output buffer; the composers append to it and keep p NUL-terminated
 * (len excludes the NUL).  Free with mail_buf_free. */
struct mail_buf {
	char *p;
	size_t len, cap;
};
void mail_buf_free(struct mail_buf *b);

struct mail_ctx {
	const char *from;            /* From: address, e.g. "sipwarden@pbx1" */
	const char *hostname;        /* the host named in subjects: "... on pbx1" */
	const char *const *rcpts;    /* To: addresses */
	unsigned n_rcpts;
	uint64_t now_us;             /* Date: header (local time with its offset) */
	uint64_t seq;                /* makes the Message-ID unique with now_us */
	const char *unblock_cmd;     /* prefix of the unblock command, e.g. "sipwarden ctl unblock" */
};

/* One attack in a digest mail (owned copies; raw, sanitised by the composer). */
struct mail_item {
	char ip[IP_STRLEN];
	char detector[24];
	char reason[128];
	char instance[32];
	char user_agent[96];
	uint64_t ts_us;
	int64_t duration_s;          /* 0 permanent, -1 not a block (alert) */
};

#define MAIL_TOP 10
struct mail_sum_addr {
	char ip[IP_STRLEN];
	uint32_t count;              /* attacks (block and alert events) */
	uint32_t det_mask;           /* bit (1 << enum detector) per detector seen */
	uint64_t first_us, last_us;
};
struct mail_sum_user {
	char name[40];
	uint32_t count;              /* attacks whose evidence lists this username */
};

/* The daily attack summary's figures over [from_us, to_us). */
struct mail_summary {
	uint64_t from_us, to_us;
	uint32_t by_det[DET__COUNT]; /* attacks (block and alert events) per detector */
	uint32_t attacks, blocks, unblocks, permanent, alerts, anomalies;
	uint32_t active_blocks;      /* blocks still in force at to_us */
	uint32_t hourly[24];         /* attacks per hour; [0] is the hour starting at from_us */
	unsigned n_top;
	struct mail_sum_addr top[MAIL_TOP];   /* most attacks first */
	unsigned n_users;
	struct mail_sum_user users[MAIL_TOP]; /* most targeted first */
};

/* Each composer appends one whole message to out and returns 0, or -1 when
 * out of memory.  e must be a block or alert event (its evidence may be NULL). */
int mail_attack(struct mail_buf *out, const struct mail_ctx *c, const struct event *e);
/* One mail for attacks held back by the hourly mail limit, listing all n. */
int mail_digest(struct mail_buf *out, const struct mail_ctx *c, const struct mail_item *items,
                size_t n, uint64_t from_us, uint64_t to_us);
/* The daily summary, with an attacks-per-hour bar chart as an HTML table. */
int mail_summary(struct mail_buf *out, const struct mail_ctx *c, const struct mail_summary *s);
/* A short mail that proves delivery works (`sipwarden ctl notify test`). */
int mail_test(struct mail_buf *out, const struct mail_ctx *c);

#endif
