/* api_cfg: the settings of the admin page's General tab for the JSON API
 * (GET and PUT /api/config, and the recipients endpoints).
 *
 * Settings are named "section.key" and their values are strings exactly as
 * in the config file: general.protocols, general.sip_ports,
 * general.block_time, general.block_threshold, sip.bad_registrations,
 * sip.bad_invites, sip.enumeration, sip.anomalies, sip.flood,
 * sip.nat_tolerance, sip.blocked_user_agents, tftp.enabled, dns.enabled,
 * notify.daily_summary, notify.per_attack, notify.daily_summary_time,
 * notify.max_mails_per_hour, notify.recipients.
 *
 * Run on the daemon's main thread.  Each function fills out (status and
 * JSON body) and returns 0, or -1 when the reply could not be built (out of
 * memory: the caller sends a 500). */
#ifndef SW_API_CFG_H
#define SW_API_CFG_H

#include <stddef.h>

#include "daemon.h"
#include "http.h"

/* 200 with one flat object of every setting above, from the running config
 * (with [instance] sections: the [general]/[sip] values of the file). */
int apicfg_get(struct daemon *d, struct http_reply *out);

/* Body: a flat JSON object with some of the settings above, string values.
 * The same as apicfg_apply with its members. */
int apicfg_put(struct daemon *d, const char *body, size_t len, struct http_reply *out);

/* Sets keys[i] to values[i]: every value is first judged on its own by the
 * config reader (400 {"error", "field"}), then, with a config file (else 409),
 * the whole edited file (400 without field); only then the keys whose value
 * differs from the file are written (cfgedit: atomic, PATH.bak, comments
 * kept) and the daemon reloads (500 and the previous file restored if that
 * fails).  Any error leaves the file and the running config as they were.
 * Success: 200 {"ok":true}. */
int apicfg_apply(struct daemon *d, size_t n, const char *const keys[], const char *const values[],
                 struct http_reply *out);

#endif
