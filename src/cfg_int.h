/* cfg_int: value parsers shared by config.c and the section readers in
 * cfg_notify.c.  Each returns NULL on success or an error message. */
#ifndef SW_CFG_INT_H
#define SW_CFG_INT_H

#include "config.h"

const char *cfg_parse_bool(const char *v, bool *out);
const char *cfg_parse_u32(const char *v, uint32_t *out);
const char *cfg_parse_path(const char *v, char *out, size_t n);
const char *cfg_parse_rule(const char *v, struct cfg_rule *r);

/* [notify] and [http] keys; *known is false for a key they do not have. */
const char *cfg_set_notify(struct config *c, const char *k, const char *v, bool *known);
const char *cfg_set_http(struct config *c, const char *k, const char *v, bool *known);
/* Their defaults, set by cfg_defaults. */
void cfg_notify_defaults(struct config *c);

#endif
