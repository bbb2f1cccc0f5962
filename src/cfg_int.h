/* cfg_int: the value parsers (cfg_value.c) shared by config.c and the
 * section readers in cfg_notify.c.  Each returns NULL on success or an
 * error message. */
#ifndef SW_CFG_INT_H
#define SW_CFG_INT_H

#include "config.h"

/* Trims blanks at both ends in place; returns the start. */
char *cfg_trim(char *s);
const char *cfg_parse_bool(const char *v, bool *out);          /* yes/no, true/false, on/off, 1/0 */
const char *cfg_parse_u32(const char *v, uint32_t *out);
const char *cfg_parse_path(const char *v, char *out, size_t n); /* absolute */
const char *cfg_parse_size_mb(const char *v, uint32_t *out);   /* 64, 64M, 1G -> MiB */
const char *cfg_parse_rule(const char *v, struct cfg_rule *r); /* COUNT/WINDOW or off */
const char *cfg_parse_ports(const char *v, uint8_t map[8192]);  /* 5060, 5080-5082 */
const char *cfg_parse_prefixes(const char *v, struct cfg_prefixes *l); /* appends */
const char *cfg_parse_agents(const char *v, struct cfg_rules *r);
const char *cfg_parse_dests(const char *v, struct cfg_rules *r); /* 00*, 011*, +*, exact */

/* [notify] and [http] keys; *known is false for a key they do not have. */
const char *cfg_set_notify(struct config *c, const char *k, const char *v, bool *known);
const char *cfg_set_http(struct config *c, const char *k, const char *v, bool *known);
/* Their defaults, set by cfg_defaults. */
void cfg_notify_defaults(struct config *c);

#endif
