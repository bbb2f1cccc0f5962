/* config: the INI configuration file, its defaults and its validation.
 *
 * cfg_load() reads a whole file into a new struct config, or reports every
 * error as "file:line: message" and returns NULL, so a caller that already
 * runs with a config keeps it.  Sections: [general] [sip] [lists]
 * [firewall] [tftp] [dns] [notify] [http] [instance NAME]; the [notify] and
 * [http] keys are read in cfg_notify.c. */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdio.h>

#include "util.h"

#define CFG_MAX_AGENTS 64
#define CFG_AGENT_LEN 64
#define CFG_MAX_INSTANCES 32
#define CFG_MAX_INST_ADDRS 16
#define CFG_MAX_INST_PEERS 64
#define CFG_MAX_IFACES 16
#define CFG_NAME_LEN 32
#define CFG_DEFAULT_PATH "/etc/sipwarden/sipwarden.conf"
#define CFG_DEFAULT_DB "/var/lib/sipwarden/sipwarden.db"
#define CFG_DEFAULT_SOCKET "/run/sipwarden/ctl.sock"

/* "COUNT/WINDOW": fires at COUNT events within WINDOW seconds; count 0 = off. */
struct cfg_rule {
	uint32_t count;
	uint32_t window_s;
};

#define CFG_MAX_DESTS 32
#define CFG_DEST_LEN 32

/* Rules that an instance may override. */
struct cfg_rules {
	struct cfg_rule bad_registrations, bad_invites, enumeration, anomalies, flood;
	struct cfg_rule invite_sweep;          /* distinct failed call destinations */
	struct cfg_rule distributed_guessing;  /* addresses failing on one username */
	uint32_t nat_tolerance;
	uint32_t block_time_s;
	unsigned n_agents;
	char agents[CFG_MAX_AGENTS][CFG_AGENT_LEN];
	/* toll-fraud destination patterns: "00*" is a prefix, "123" exact */
	unsigned n_dests;
	char dests[CFG_MAX_DESTS][CFG_DEST_LEN];
};

/* [tftp]: phone provisioning server protection. */
struct cfg_tftp {
	bool enabled, allow_write;
	uint8_t ports[8192];
	struct cfg_rule bad_requests, distinct_files;
};

/* [dns]: protection of a DNS server on the host. */
struct cfg_dns {
	bool enabled, block_zone_transfer, block_fingerprinting;
	uint8_t ports[8192];
	struct cfg_rule any_queries, queries, refused;
};

#define CFG_MAX_RCPTS 32
#define CFG_MAIL_LEN 128

enum cfg_starttls { CFG_TLS_AUTO, CFG_TLS_REQUIRED, CFG_TLS_NO };

/* [notify]: mail, webhook and syslog notifications. */
struct cfg_notify {
	unsigned n_rcpts;
	char rcpts[CFG_MAX_RCPTS][CFG_MAIL_LEN];
	bool per_attack, daily_summary, syslog;
	uint32_t summary_minute;          /* daily_summary_time, minutes after local midnight */
	char smtp_url[256];
	enum cfg_starttls smtp_starttls;
	char smtp_user[128];
	char smtp_password_file[256];
	char smtp_ca_file[256];           /* PEM CA bundle for the server's certificate; "" = system */
	char from[CFG_MAIL_LEN];          /* "" = sipwarden@<hostname> */
	uint32_t max_mails_per_hour;
	uint32_t digest_interval_s;       /* the "hour" of max_mails_per_hour */
	char webhook_url[512];
	char syslog_socket[108];
};

/* [http]: the admin page and JSON API. */
struct cfg_http {
	char listen[64];                  /* "" = off */
	char tls_cert[256], tls_key[256];
	char password_hash[256];          /* argon2id; "" = not set yet */
	bool metrics_auth;
	struct cfg_rule admin_login;      /* failed logins that block an address */
	char server_name[512];            /* other names of the page, space separated */
	unsigned n_trusted_proxies;       /* X-Forwarded-For is read only from these */
	struct ipprefix trusted_proxies[16];
};

struct cfg_prefixes {
	struct ipprefix *v;
	size_t n, cap;
};

/* One protected SIP server. */
struct cfg_instance {
	char name[CFG_NAME_LEN];
	unsigned n_addrs;                 /* 0 = any address */
	struct ipprefix addrs[CFG_MAX_INST_ADDRS];
	uint8_t ports[8192];              /* bitmap of SIP ports */
	struct cfg_rules rules;
	/* peers = trunks and SBCs of this instance (added to [general] peers) */
	unsigned n_peers;
	struct ipprefix peers[CFG_MAX_INST_PEERS];
	int line;                         /* where the section starts (0 = implicit) */
};

#define CFG_MAX_MACS 32

struct config {
	char path[256];                   /* "" for built-in defaults */
	unsigned n_ifaces;
	char ifaces[CFG_MAX_IFACES][32];
	bool udp, tcp;
	uint32_t block_threshold;         /* 0 = never permanent */
	uint32_t max_tracked;
	uint32_t capture_buffer_mb;       /* kernel capture buffer, MiB */
	uint32_t retention_s;             /* events older than this are purged */
	char database[256];
	char ctl_socket[108];
	struct cfg_prefixes whitelist, blacklist;
	/* configured peers (trunks, SBCs): sheltered from forgeable evidence,
	 * unlike the whitelist still blocked on verified evidence */
	struct cfg_prefixes peers;
	/* the host's own addresses, found at run time (the daemon reads its
	 * interfaces); not from the file */
	struct cfg_prefixes own;
	/* and their link (MAC) addresses: an Ethernet frame from one was sent
	 * by the host (capture direction) */
	uint8_t own_mac[CFG_MAX_MACS][6];
	unsigned n_own_mac;
	/* [firewall] */
	char fw_backend[16];              /* nftables | ipset | none */
	char fw_table[32];
	bool fw_scope_services;           /* scope = services (else all) */
	bool keep_blocks_on_exit;
	/* subnet aggregation: block a prefix when this many of its addresses
	 * are blocked at once (0 = off); prefix lengths, 0 disables a family */
	uint32_t aggregate_after, aggregate_v4, aggregate_v6;
	struct cfg_tftp tftp;
	struct cfg_dns dns;
	struct cfg_notify notify;
	struct cfg_http http;
	/* Instances; without [instance] sections there is one, "default", built
	 * from [general] and [sip]. */
	unsigned n_inst;
	struct cfg_instance inst[CFG_MAX_INSTANCES];
};

/* Returns a new config holding the built-in defaults. */
struct config *cfg_defaults(void);
/* Loads path over the defaults.  On errors writes each as "path:line: msg"
 * to errs and returns NULL. */
struct config *cfg_load(const char *path, FILE *errs);
void cfg_free(struct config *c);

/* Fills an 8192-byte bitmap with every port any instance protects. */
void cfg_port_union(const struct config *c, uint8_t map[8192]);
/* The instance that protects addr:port, or -1. */
int cfg_instance_for(const struct config *c, const struct ipaddr *addr, uint16_t port);
bool cfg_prefixes_match(const struct cfg_prefixes *l, const struct ipaddr *a);
/* Adds p unless present (0, or -1 out of memory); deletes an exact entry
 * (true when it was there). */
int cfg_prefixes_add(struct cfg_prefixes *l, const struct ipprefix *p);
/* The index of the entry equal to p (same prefix, not containment), or -1. */
long cfg_prefixes_find(const struct cfg_prefixes *l, const struct ipprefix *p);
bool cfg_prefixes_del(struct cfg_prefixes *l, const struct ipprefix *p);
/* True when a is an address of the protected host: an instance address or
 * one of the host's own (never blocked). */
bool cfg_is_own(const struct config *c, const struct ipaddr *a);
/* True when a is a configured peer of instance inst ([general] peers, or
 * the instance's own peers). */
bool cfg_is_peer(const struct config *c, uint32_t inst, const struct ipaddr *a);
/* True when a is a server these rules protect: an instance address or the
 * host's own; when neither is known (replay without instance addresses),
 * every address. */
bool cfg_is_protected(const struct config *c, const struct ipaddr *a);
/* Where the inline comment of a value starts (a ';' or '#' after a blank),
 * or len when it has none: the one rule of the reader and of cfgedit. */
size_t cfg_comment_at(const char *v, size_t len);
/* True for a plain mail address (local@domain, printable, none of <>,;:"()[]\\). */
bool cfg_mail_address_ok(const char *a);
/* The STARTTLS policy in effect: auto is required when SMTP credentials are
 * set (smtp_user or smtp_password_file), so a man in the middle who strips
 * STARTTLS never gets the password in clear. */
enum cfg_starttls cfg_smtp_tls(const struct cfg_notify *n);
/* The one line saying so, for check-config and start-up; NULL when auto was
 * not made required. */
const char *cfg_smtp_tls_note(const struct cfg_notify *n);
/* Parses "90", "30s", "10m", "1h", "2d" into seconds; NULL or a message. */
const char *cfg_parse_duration(const char *v, uint32_t *out);

static inline bool cfg_port_test(const uint8_t map[8192], uint16_t port)
{
	return map[port >> 3] & (1u << (port & 7));
}

#endif
