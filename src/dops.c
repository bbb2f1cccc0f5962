/* dops: block, unblock and list changes for ctl and the HTTP API. */
#include "dops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dop_block(struct daemon *d, const struct ipprefix *p, uint32_t duration_s, const char *reason,
              char *err, size_t errlen)
{
	char ip[IP_STRLEN];
	if (cfg_prefixes_match(&d->cfg->whitelist, &p->addr)) {
		snprintf(err, errlen, "%s is whitelisted: remove it from the whitelist first", prefix_format(p, ip));
		return -1;
	}
	int rc = vrd_block_manual(eng_verdict(d->eng), p, duration_s, reason && *reason ? reason : "blocked by hand",
	                          daemon_now());
	if (rc < 0) {
		snprintf(err, errlen, "block table full");
		return -1;
	}
	worker_flush(d->fw_w);
	return rc == 0 ? 0 : 1;
}

unsigned dop_unblock(struct daemon *d, const struct ipprefix *p, const char *reason)
{
	unsigned n = vrd_unblock(eng_verdict(d->eng), p, reason && *reason ? reason : "unblocked by hand",
	                         daemon_now());
	worker_flush(d->fw_w);
	return n;
}

static const char *list_name(bool white) { return white ? "whitelist" : "blacklist"; }

int dop_list_add(struct daemon *d, bool white, const struct ipprefix *p, const char *comment,
                 char *err, size_t errlen)
{
	struct cfg_prefixes *l = white ? &d->cfg->whitelist : &d->cfg->blacklist;
	uint64_t now = daemon_now();
	if (store_list_add(d->rstore, list_name(white), p, comment ? comment : "", now) != 0 ||
	    cfg_prefixes_add(l, p) != 0) {
		snprintf(err, errlen, "cannot save: %s", store_error(d->rstore));
		return -1;
	}
	vrd_sync_lists(eng_verdict(d->eng), now);
	if (white)
		daemon_allow_sync(d);
	worker_flush(d->fw_w);
	return 0;
}

int dop_list_del(struct daemon *d, bool white, const struct ipprefix *p, char *err, size_t errlen)
{
	struct cfg_prefixes *l = white ? &d->cfg->whitelist : &d->cfg->blacklist;
	char ip[IP_STRLEN];
	store_list_del(d->rstore, list_name(white), p);
	if (!cfg_prefixes_del(l, p)) {
		snprintf(err, errlen, "%s is not on the %s", prefix_format(p, ip), list_name(white));
		return -1;
	}
	vrd_sync_lists(eng_verdict(d->eng), daemon_now());
	if (white)
		daemon_allow_sync(d);
	worker_flush(d->fw_w);
	return 0;
}

struct each_ctx {
	void (*fn)(void *ctx, const struct dop_list_entry *e);
	void *ctx;
	struct cfg_prefixes seen; /* the runtime entries */
};

static void each_runtime(void *ctx, const struct store_list_entry *se)
{
	struct each_ctx *c = ctx;
	struct dop_list_entry e = { se->ip, se->comment, se->added_us, true };
	c->fn(c->ctx, &e);
	cfg_prefixes_add(&c->seen, &se->ip);
}

int dop_list_each(struct daemon *d, bool white, void (*fn)(void *ctx, const struct dop_list_entry *e),
                  void *ctx)
{
	const struct cfg_prefixes *l = white ? &d->cfg->whitelist : &d->cfg->blacklist;
	struct each_ctx c = { fn, ctx, { 0 } };
	int rc = store_list_get(d->rstore, list_name(white), each_runtime, &c);
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		if (cfg_prefixes_find(&c.seen, &l->v[i]) >= 0)
			continue;
		struct dop_list_entry e = { l->v[i], "", 0, false };
		fn(ctx, &e);
	}
	free(c.seen.v);
	return rc;
}
