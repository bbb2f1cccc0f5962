/* ctl: control socket client and the daemon's command handlers. */
#include "ctl.h"
#include "ctlsrv.h"
#include "daemon.h"
#include "dops.h"
#include "text.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQ CTLSRV_MAX_REQ
#define MAX_ARGS 32

/* ---- shared ---- */

struct req {
	int argc;
	char *argv[MAX_ARGS];
	bool json;
	const char *reason, *comment, *since;
	unsigned limit;
};

/* ---- server side ---- */

/* s in text_safe's form for mode (someone else's string: a reason, a
 * comment, an error text, a config value), written to o. */
static void put_safe(FILE *o, const char *s, enum text_mode mode)
{
	char buf[2048], *big = NULL;
	size_t n = strlen(s), k = text_safe(buf, sizeof buf, s, n, mode);
	if (k >= sizeof buf && (big = malloc(k + 1)) != NULL)
		text_safe(big, k + 1, s, n, mode);
	fputs(big ? big : buf, o);
	free(big);
}

static void json_str(FILE *o, const char *s)
{
	fputc('"', o);
	put_safe(o, s, TEXT_JSON);
	fputc('"', o);
}

static void fmt_duration(uint64_t s, char *buf, size_t n)
{
	if (s >= 86400)
		snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, n, "%lluh%02llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, n, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else
		snprintf(buf, n, "%llus", (unsigned long long)s);
}

static void notify_json(struct daemon *d, FILE *o)
{
	struct notify_stats ns;
	ntf_stats(d->ntf, &ns);
	const struct cfg_notify *c = &d->cfg->notify;
	fprintf(o, "\"notify\":{\"recipients\":[");
	for (unsigned i = 0; i < c->n_rcpts; i++) {
		if (i)
			fputc(',', o);
		json_str(o, c->rcpts[i]);
	}
	fprintf(o, "],\"per_attack\":%s,\"daily_summary\":%s,\"webhook\":%s,\"syslog\":%s,"
	           "\"outbox\":%ld,\"digest_pending\":%ld,\"mails_sent\":%llu,\"webhooks_sent\":%llu,"
	           "\"given_up\":%llu,\"dropped\":%llu,\"syslog_errors\":%llu,\"last_error\":",
	        c->per_attack ? "true" : "false", c->daily_summary ? "true" : "false",
	        c->webhook_url[0] ? "true" : "false", c->syslog ? "true" : "false", ns.outbox, ns.digest,
	        (unsigned long long)ns.mails_sent, (unsigned long long)ns.webhooks_sent,
	        (unsigned long long)ns.given_up, (unsigned long long)ns.dropped,
	        (unsigned long long)ns.syslog_errors);
	json_str(o, ns.last_error);
	fprintf(o, ",\"last_error_us\":%llu}", (unsigned long long)ns.last_error_us);
}

static void notify_text(struct daemon *d, FILE *o)
{
	struct notify_stats ns;
	ntf_stats(d->ntf, &ns);
	fprintf(o, "notifications:  %u recipient(s), %ld in the outbox, %ld held for the digest, "
	           "%llu mails and %llu webhook posts sent, %llu given up, %llu dropped\n",
	        d->cfg->notify.n_rcpts, ns.outbox, ns.digest, (unsigned long long)ns.mails_sent,
	        (unsigned long long)ns.webhooks_sent, (unsigned long long)ns.given_up,
	        (unsigned long long)ns.dropped);
	if (ns.last_error[0]) {
		fputs("last notification error: ", o);
		put_safe(o, ns.last_error, TEXT_PLAIN);
		fputc('\n', o);
	}
}

/* The control socket's own counters: its clients, and those it dropped. */
static void ctlsrv_out(struct daemon *d, bool json, FILE *o)
{
	struct ctlsrv_stats cs;
	ctlsrv_stats(d->ctl, &cs);
	fprintf(o, json ? ",\"ctl\":{\"clients\":%u,\"served\":%llu,\"request_timeouts\":%llu,"
	                  "\"reply_timeouts\":%llu,\"refused\":%llu,\"too_long\":%llu,\"busy\":%llu}"
	                : "control:        %u connected, %llu served, dropped: %llu slow requests, "
	                  "%llu slow readers, %llu over the client limit, %llu too long, %llu while busy\n",
	        cs.clients, (unsigned long long)cs.served, (unsigned long long)cs.request_timeouts,
	        (unsigned long long)cs.reply_timeouts, (unsigned long long)cs.refused,
	        (unsigned long long)cs.too_long, (unsigned long long)cs.busy);
}

static int cmd_status(struct daemon *d, const struct req *r, FILE *o)
{
	struct eng_stats st;
	eng_stats_get(d->eng, &st);
	uint64_t recv = 0, drop = 0;
	cap_live_stats(d->cap, &recv, &drop);
	uint64_t now = daemon_now(), up = (now - d->started_us) / 1000000;
	const struct cfg_rules *rules = &d->cfg->inst[0].rules;
	size_t fw_pending = worker_pending(d->fw_w), st_pending = worker_pending(d->store_w);
	char fw_err[1024];
	daemon_fw_error(d, fw_err, sizeof fw_err);
	if (r->json) {
		fprintf(o, "{\"version\":\"%s\",\"uptime_s\":%llu,\"interfaces\":[", SW_VERSION_STR, (unsigned long long)up);
		for (unsigned i = 0; i < d->cfg->n_ifaces; i++) {
			if (i)
				fputc(',', o);
			json_str(o, d->cfg->ifaces[i]);
		}
		fprintf(o, "],\"packets\":%llu,\"kernel_received\":%llu,\"kernel_drops\":%llu,"
		           "\"sip_messages\":%llu,\"requests\":%llu,\"responses\":%llu,\"anomalies\":%llu,"
		           "\"spoofed_own\":%llu,"
		           "\"active_blocks\":%llu,\"blocks\":%llu,\"unblocks\":%llu,\"alerts\":%llu,\"detectors\":{",
		        (unsigned long long)st.frames, (unsigned long long)recv, (unsigned long long)drop,
		        (unsigned long long)st.sip_messages, (unsigned long long)st.requests,
		        (unsigned long long)st.responses, (unsigned long long)(st.malformed + st.not_sip),
		        (unsigned long long)st.spoofed_own,
		        (unsigned long long)st.vrd.active, (unsigned long long)st.vrd.blocks,
		        (unsigned long long)st.vrd.unblocks, (unsigned long long)st.vrd.alerts);
		for (int i = 0; i < DET__COUNT; i++)
			fprintf(o, "%s\"%s\":{\"fired\":%llu,\"blocks\":%llu}", i ? "," : "", det_name((enum detector)i),
			        (unsigned long long)st.det.fired[i], (unsigned long long)st.vrd.by_det[i]);
		fprintf(o, "},\"firewall\":{\"backend\":\"%s\",\"table\":\"%s\",\"pending\":%zu,\"operations\":%llu,\"errors\":%llu,\"last_error\":",
		        fw_backend_name(d->fw), d->cfg->fw_table, fw_pending, (unsigned long long)d->fw_ops,
		        (unsigned long long)d->fw_errors);
		json_str(o, fw_err);
		fprintf(o, "},\"store\":{\"database\":");
		json_str(o, d->cfg->database);
		fprintf(o, ",\"pending\":%zu,\"errors\":%llu},", st_pending, (unsigned long long)d->store_errors);
		notify_json(d, o);
		fprintf(o, ",\"http\":{\"listen\":");
		json_str(o, d->cfg->http.listen);
		fprintf(o, ",\"running\":%s,\"error\":", d->api ? "true" : "false");
		json_str(o, d->http_error);
		fputc('}', o);
		ctlsrv_out(d, true, o);
		fprintf(o, ",\"config\":{\"path\":");
		json_str(o, d->cfg_path ? d->cfg_path : "");
		fprintf(o, ",\"block_time_s\":%u,\"block_threshold\":%u,\"bad_registrations\":\"%u/%us\","
		           "\"blocked_user_agents\":[",
		        rules->block_time_s, d->cfg->block_threshold, rules->bad_registrations.count,
		        rules->bad_registrations.window_s);
		for (unsigned i = 0; i < rules->n_agents; i++) {
			if (i)
				fputc(',', o);
			json_str(o, rules->agents[i]);
		}
		fprintf(o, "],\"whitelist\":%zu,\"blacklist\":%zu}}\n", d->cfg->whitelist.n, d->cfg->blacklist.n);
		return 0;
	}
	char ups[32];
	fmt_duration(up, ups, sizeof ups);
	fprintf(o, "sipwarden %s, up %s\n", SW_VERSION_STR, ups);
	fprintf(o, "interfaces:     ");
	for (unsigned i = 0; i < d->cfg->n_ifaces; i++)
		fprintf(o, "%s%s", i ? ", " : "", d->cfg->ifaces[i]);
	fprintf(o, "\npackets:        %llu captured, %llu dropped by the kernel\n",
	        (unsigned long long)st.frames, (unsigned long long)drop);
	fprintf(o, "SIP messages:   %llu (%llu requests, %llu responses)\n", (unsigned long long)st.sip_messages,
	        (unsigned long long)st.requests, (unsigned long long)st.responses);
	fprintf(o, "anomalies:      %llu malformed, %llu not SIP, %llu forged from the host's own address\n",
	        (unsigned long long)st.malformed, (unsigned long long)st.not_sip, (unsigned long long)st.spoofed_own);
	fprintf(o, "active blocks:  %llu (%llu blocks, %llu unblocks, %llu alerts since start)\n",
	        (unsigned long long)st.vrd.active, (unsigned long long)st.vrd.blocks,
	        (unsigned long long)st.vrd.unblocks, (unsigned long long)st.vrd.alerts);
	fprintf(o, "blocks by detector:");
	for (int i = 0; i < DET__COUNT; i++)
		fprintf(o, " %s %llu", det_name((enum detector)i), (unsigned long long)st.vrd.by_det[i]);
	fprintf(o, "\nfirewall:       %s, table %s, %zu pending, %llu errors%s%s\n", fw_backend_name(d->fw),
	        d->cfg->fw_table, fw_pending, (unsigned long long)d->fw_errors,
	        fw_err[0] ? ", last: " : "", fw_err);
	fprintf(o, "store:          %s, %zu pending, %llu errors\n", d->cfg->database, st_pending,
	        (unsigned long long)d->store_errors);
	notify_text(d, o);
	if (d->cfg->http.listen[0])
		fprintf(o, "admin page:     %s%s\n", d->api ? "listening on " : "not running: ",
		        d->api ? d->cfg->http.listen : d->http_error);
	ctlsrv_out(d, false, o);
	return 0;
}

struct list_ctx {
	FILE *o;
	bool json;
	int n;
	uint64_t now;
};

static void list_one(void *ctx, const struct store_block *b)
{
	struct list_ctx *l = ctx;
	char ip[IP_STRLEN], left[32] = "permanent";
	prefix_format(&b->ip, ip);
	if (!b->permanent)
		fmt_duration(b->end_us > l->now ? (b->end_us - l->now) / 1000000 : 0, left, sizeof left);
	if (l->json) {
		fprintf(l->o, "%s{\"ip\":\"%s\",\"detector\":\"%s\",\"reason\":", l->n ? "," : "", ip, b->detector);
		json_str(l->o, b->reason);
		fprintf(l->o, ",\"instance\":");
		json_str(l->o, b->instance);
		fprintf(l->o, ",\"start_us\":%llu,\"remaining_s\":%lld,\"permanent\":%s}", (unsigned long long)b->start_us,
		        b->permanent ? 0LL : (long long)((b->end_us > l->now ? b->end_us - l->now : 0) / 1000000),
		        b->permanent ? "true" : "false");
	} else {
		if (l->n == 0)
			fprintf(l->o, "%-40s %-17s %-10s %s\n", "ADDRESS", "DETECTOR", "REMAINING", "REASON");
		char det[64];
		text_safe(det, sizeof det, b->detector, strlen(b->detector), TEXT_PLAIN);
		fprintf(l->o, "%-40s %-17s %-10s ", ip, det, left);
		put_safe(l->o, b->reason, TEXT_PLAIN);
		fputc('\n', l->o);
	}
	l->n++;
}

static int cmd_list(struct daemon *d, const struct req *r, FILE *o)
{
	struct list_ctx l = { o, r->json, 0, daemon_now() };
	worker_flush(d->store_w);
	if (r->json)
		fputc('[', o);
	int rc = store_blocks_active(d->rstore, l.now, list_one, &l);
	if (r->json)
		fputs("]\n", o);
	else if (l.n == 0)
		fputs("no active blocks\n", o);
	return rc;
}

static int parse_addr(const char *s, struct ipprefix *p, FILE *o)
{
	if (prefix_parse(p, s))
		return 0;
	fprintf(o, "not an address or prefix (host bits zero): %s\n", s);
	return -1;
}

static int cmd_block(struct daemon *d, const struct req *r, FILE *o)
{
	struct ipprefix p;
	uint32_t dur = d->cfg->inst[0].rules.block_time_s;
	if (r->argc < 2 || r->argc > 3) {
		fputs("usage: block ADDR [DURATION|permanent] [--reason TEXT]\n", o);
		return -1;
	}
	if (parse_addr(r->argv[1], &p, o))
		return -1;
	if (r->argc == 3) {
		const char *m = NULL;
		if (!strcmp(r->argv[2], "permanent"))
			dur = 0;
		else if ((m = cfg_parse_duration(r->argv[2], &dur)) != NULL || dur == 0) {
			fprintf(o, "bad duration '%s': %s\n", r->argv[2], m ? m : "must be at least 1s");
			return -1;
		}
	}
	char err[256];
	int rc = dop_block(d, &p, dur, r->reason, err, sizeof err);
	if (rc < 0) {
		fprintf(o, "%s\n", err);
		return -1;
	}
	if (r->json)
		fprintf(o, "{\"ip\":\"%s\",\"blocked\":%s}\n", r->argv[1], rc == 0 ? "true" : "false");
	else
		fprintf(o, rc == 0 ? "blocked %s\n" : "%s is already blocked\n", r->argv[1]);
	return 0;
}

static int cmd_unblock(struct daemon *d, const struct req *r, FILE *o)
{
	struct ipprefix p;
	if (r->argc != 2) {
		fputs("usage: unblock ADDR\n", o);
		return -1;
	}
	if (parse_addr(r->argv[1], &p, o))
		return -1;
	unsigned n = dop_unblock(d, &p, r->reason);
	if (r->json)
		fprintf(o, "{\"ip\":\"%s\",\"unblocked\":%u}\n", r->argv[1], n);
	else if (n)
		fprintf(o, "unblocked %s%s\n", r->argv[1], cfg_prefixes_match(&d->cfg->blacklist, &p.addr)
		        ? " (it is on the blacklist: it will be blocked again at the next reload)" : "");
	else
		fprintf(o, "%s is not blocked\n", r->argv[1]);
	return 0;
}

struct lists_ctx {
	FILE *o;
	bool json;
	int n;
};

static void list_entry(void *ctx, const struct dop_list_entry *e)
{
	struct lists_ctx *l = ctx;
	char ip[IP_STRLEN];
	prefix_format(&e->ip, ip);
	if (l->json) {
		fprintf(l->o, "%s{\"ip\":\"%s\",\"comment\":", l->n ? "," : "", ip);
		json_str(l->o, e->comment);
		fprintf(l->o, ",\"source\":\"%s\"}", e->runtime ? "ctl" : "config");
	} else if (e->runtime) {
		fprintf(l->o, "%-40s ctl     ", ip);
		put_safe(l->o, e->comment, TEXT_PLAIN);
		fputc('\n', l->o);
	} else {
		fprintf(l->o, "%-40s config\n", ip);
	}
	l->n++;
}

static int cmd_lists(struct daemon *d, const struct req *r, FILE *o)
{
	const char *name = r->argv[0];
	bool white = !strcmp(name, "whitelist");
	if (r->argc == 2 && !strcmp(r->argv[1], "list")) {
		struct lists_ctx lc = { o, r->json, 0 };
		if (r->json)
			fputc('[', o);
		dop_list_each(d, white, list_entry, &lc);
		if (r->json)
			fputs("]\n", o);
		else if (lc.n == 0)
			fprintf(o, "the %s is empty\n", name);
		return 0;
	}
	struct ipprefix p;
	if (r->argc != 3 || (strcmp(r->argv[1], "add") && strcmp(r->argv[1], "del"))) {
		fprintf(o, "usage: %s add|del|list [ADDR] [--comment TEXT]\n", name);
		return -1;
	}
	if (parse_addr(r->argv[2], &p, o))
		return -1;
	char err[256];
	bool add = !strcmp(r->argv[1], "add");
	if ((add ? dop_list_add(d, white, &p, r->comment, err, sizeof err) : dop_list_del(d, white, &p, err, sizeof err)) != 0) {
		fprintf(o, "%s\n", err);
		return -1;
	}
	if (r->json)
		fprintf(o, "{\"list\":\"%s\",\"ip\":\"%s\",\"%s\":true}\n", name, r->argv[2],
		        !strcmp(r->argv[1], "add") ? "added" : "removed");
	else
		fprintf(o, "%s %s %s\n", !strcmp(r->argv[1], "add") ? "added" : "removed", r->argv[2],
		        !strcmp(r->argv[1], "add") ? (white ? "to the whitelist" : "to the blacklist")
		                                    : (white ? "from the whitelist" : "from the blacklist"));
	return 0;
}

struct events_ctx {
	FILE *o;
	bool json;
	int n;
};

static void event_line(void *ctx, const char *json)
{
	struct events_ctx *e = ctx;
	fprintf(e->o, e->json ? "%s%s" : "%s%s\n", e->json && e->n ? "," : "", json);
	e->n++;
}

/* "2026-11-27T08:00:00Z", a Unix time, or an age such as 1h. */
static int parse_since(const char *s, uint64_t now, uint64_t *out)
{
	uint32_t age;
	if (time_parse_iso(s, out))
		return 0;
	if (!cfg_parse_duration(s, &age)) {
		if (strspn(s, "0123456789") == strlen(s) && strlen(s) >= 9) /* a Unix time */
			*out = (uint64_t)strtoull(s, NULL, 10) * 1000000;
		else
			*out = now - (uint64_t)age * 1000000;
		return 0;
	}
	return -1;
}

static int cmd_events(struct daemon *d, const struct req *r, FILE *o)
{
	uint64_t since = 0;
	if (r->since && parse_since(r->since, daemon_now(), &since) != 0) {
		fprintf(o, "bad --since '%s': use 2026-11-27T08:00:00Z, a Unix time or an age such as 1h\n", r->since);
		return -1;
	}
	worker_flush(d->store_w);
	struct events_ctx e = { o, r->json, 0 };
	if (r->json)
		fputc('[', o);
	int rc = store_events(d->rstore, since, r->limit ? r->limit : 100, NULL, NULL, event_line, &e);
	if (r->json)
		fputs("]\n", o);
	return rc;
}

/* notify test | notify summary */
static int cmd_notify(struct daemon *d, const struct req *r, FILE *o)
{
	char msg[256];
	bool ok;
	if (r->argc == 2 && !strcmp(r->argv[1], "test"))
		ok = ntf_test_mail(d->ntf, msg, sizeof msg);
	else if (r->argc == 2 && !strcmp(r->argv[1], "summary"))
		ok = ntf_summary_now(d->ntf, msg, sizeof msg);
	else {
		fputs("usage: notify test | notify summary\n", o);
		return -1;
	}
	if (r->json) {
		fprintf(o, "{\"queued\":%s,\"message\":", ok ? "true" : "false");
		json_str(o, msg);
		fputs("}\n", o);
	} else {
		fprintf(o, "%s\n", msg);
	}
	return ok ? 0 : -1;
}

static int cmd_reload(struct daemon *d, const struct req *r, FILE *o)
{
	int rc = daemon_reload(d, o);
	if (rc == 0)
		fprintf(o, r->json ? "{\"reloaded\":true}\n" : "configuration reloaded\n");
	return rc;
}

static int dispatch(struct daemon *d, const struct req *r, FILE *o)
{
	static const struct {
		const char *name;
		int (*fn)(struct daemon *, const struct req *, FILE *);
	} cmds[] = {
		{ "status", cmd_status }, { "list", cmd_list }, { "block", cmd_block },
		{ "unblock", cmd_unblock }, { "whitelist", cmd_lists }, { "blacklist", cmd_lists },
		{ "events", cmd_events }, { "reload", cmd_reload }, { "notify", cmd_notify },
	};
	if (r->argc == 0) {
		fputs("no command\n", o);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		if (!strcmp(r->argv[0], cmds[i].name))
			return cmds[i].fn(d, r, o);
	fprintf(o, "unknown command '%s'\n", r->argv[0]);
	return -1;
}

/* Splits the request ("arg\n" ... "\n") and pulls out the options. */
static int parse_request(char *buf, struct req *r, FILE *o)
{
	memset(r, 0, sizeof *r);
	char *args[MAX_ARGS];
	int n = 0;
	for (char *save, *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		if (n == MAX_ARGS) {
			fputs("too many arguments\n", o);
			return -1;
		}
		args[n++] = t;
	}
	for (int i = 0; i < n; i++) {
		const char **val = !strcmp(args[i], "--reason") ? &r->reason
		                 : !strcmp(args[i], "--comment") ? &r->comment
		                 : !strcmp(args[i], "--since") ? &r->since : NULL;
		if (!strcmp(args[i], "--json")) {
			r->json = true;
		} else if (val || !strcmp(args[i], "--limit")) {
			if (i + 1 == n) {
				fprintf(o, "%s needs a value\n", args[i]);
				return -1;
			}
			if (val) {
				*val = args[++i];
			} else {
				char *end;
				unsigned long v = strtoul(args[++i], &end, 10);
				if (*end || v == 0 || v > 100000) {
					fprintf(o, "--limit takes a number from 1 to 100000\n");
					return -1;
				}
				r->limit = (unsigned)v;
			}
		} else if (args[i][0] == '-' && args[i][1] == '-') {
			fprintf(o, "unknown option %s\n", args[i]);
			return -1;
		} else {
			r->argv[r->argc++] = args[i];
		}
	}
	return 0;
}

int ctl_run(struct daemon *d, char *req, FILE *o)
{
	struct req r;
	int rc = parse_request(req, &r, o);
	return rc == 0 ? dispatch(d, &r, o) : rc;
}

/* ---- client side ---- */

/* Writes the daemon's answer in text_safe's terminal form: whatever a stored
 * string holds, no escape sequence reaches the terminal and the output is
 * valid UTF-8.  Safe answers pass unchanged.  In pieces of at most
 * CTL_PIECE bytes, each ending at a line end (or, in a longer line, before a
 * character's continuation bytes), so a large answer needs no large buffer. */
#define CTL_PIECE 65536
static void write_safe(FILE *f, const char *p, size_t n)
{
	char *buf = malloc(TEXT_SAFE_MAX(CTL_PIECE));
	if (!buf) {
		fputs("sipwarden ctl: out of memory\n", stderr);
		return;
	}
	while (n) {
		size_t k = n < CTL_PIECE ? n : CTL_PIECE;
		const char *nl = k < n ? memrchr(p, '\n', k) : NULL;
		if (nl)
			k = (size_t)(nl - p) + 1;
		else
			while (k < n && k > CTL_PIECE - 4 && ((unsigned char)p[k] & 0xc0) == 0x80)
				k--;
		text_safe(buf, TEXT_SAFE_MAX(CTL_PIECE), p, k, TEXT_LINES);
		fputs(buf, f);
		p += k;
		n -= k;
	}
	free(buf);
}

int ctl_client(int argc, char **argv)
{
	const char *sock = NULL, *cfg_path = NULL;
	int i = 1;
	for (; i < argc; i++) {
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc)
			sock = argv[++i];
		else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			cfg_path = argv[++i];
		else
			break;
	}
	if (i == argc) {
		fputs("usage: sipwarden ctl [-s SOCKET] [-c CONFIG] COMMAND [ARGS] [--json]\n"
		      "commands: status, list, block ADDR [DURATION|permanent] [--reason TEXT], unblock ADDR,\n"
		      "          whitelist|blacklist add|del|list [ADDR] [--comment TEXT],\n"
		      "          events [--since T] [--limit N], reload\n", stderr);
		return 2;
	}
	char path[108];
	if (sock) {
		snprintf(path, sizeof path, "%s", sock);
	} else {
		struct config *c = cfg_path ? cfg_load(cfg_path, stderr)
		                 : access(CFG_DEFAULT_PATH, F_OK) == 0 ? cfg_load(CFG_DEFAULT_PATH, stderr) : cfg_defaults();
		if (!c)
			return 2;
		snprintf(path, sizeof path, "%s", c->ctl_socket);
		cfg_free(c);
	}
	char req[MAX_REQ];
	size_t len = 0;
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n == 0 || strchr(argv[i], '\n') || len + n + 2 >= sizeof req) {
			fprintf(stderr, "sipwarden ctl: bad or too long argument\n");
			return 2;
		}
		memcpy(req + len, argv[i], n);
		len += n;
		req[len++] = '\n';
	}
	req[len++] = '\n';
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "sipwarden ctl: cannot connect to %s: %s (is the daemon running?)\n", path,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* the daemon may refuse (too many clients) and close before the request
	 * is written: no SIGPIPE, and its answer is still there to read */
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len && errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "sipwarden ctl: write: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	/* the daemon answers within its reply deadline; never hang a script */
	struct timeval rto = { 30, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rto, sizeof rto);
	char *resp = NULL;
	size_t rlen = 0, cap = 0;
	for (;;) {
		if (rlen + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *nr = realloc(resp, cap);
			if (!nr)
				break;
			resp = nr;
		}
		ssize_t k = read(fd, resp + rlen, cap - rlen);
		if (k <= 0)
			break;
		rlen += (size_t)k;
	}
	close(fd);
	int rc = 1;
	if (resp && rlen >= 3 && !memcmp(resp, "ok\n", 3)) {
		write_safe(stdout, resp + 3, rlen - 3);
		rc = 0;
	} else if (resp && rlen >= 6 && !memcmp(resp, "error\n", 6)) {
		fputs("sipwarden ctl: ", stderr);
		write_safe(stderr, resp + 6, rlen - 6);
	} else {
		fprintf(stderr, "sipwarden ctl: no answer from the daemon\n");
	}
	free(resp);
	return rc;
}
