/* Tests for api_cfg: GET /api/config values that round-trip through the
 * config reader, PUT validation (the field named, nothing changed), the
 * edit of the real file (only changed lines, comments kept, .bak), the live
 * reload, and apicfg_apply for the recipients and lists endpoints.  A struct
 * daemon is set up by hand with what daemon_reload touches: the config, a
 * store (runtime lists), an engine (no capture) and, in one test, notify. */
#include "api_cfg.h"
#include "config.h"
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>

static char dir[64], conf[128], db[128];

static const char *const names[] = {
	"general.protocols", "general.sip_ports", "general.block_time", "general.block_threshold",
	"sip.bad_registrations", "sip.bad_invites", "sip.enumeration", "sip.anomalies", "sip.flood",
	"sip.nat_tolerance", "sip.blocked_user_agents", "tftp.enabled", "dns.enabled",
	"notify.daily_summary", "notify.per_attack", "notify.daily_summary_time",
	"notify.max_mails_per_hour", "notify.recipients",
};
#define NNAMES (sizeof names / sizeof names[0])

static const char rich[] =
	"; sipwarden test configuration\n"
	"[general]\n"
	"interfaces = any\n"
	"protocols = udp\n"
	"sip_ports = 5060,5080-5082, 6000\n"
	"block_time = 7200   ; two hours\n"
	"block_threshold = 3\n"
	"\n"
	"[sip]\n"
	"# the rules\n"
	"bad_registrations = 5/30s\n"
	"bad_invites = off\n"
	"enumeration = 0/5m\n"
	"anomalies = 7/120\n"
	"flood = 1000/1m\n"
	"nat_tolerance = 4\n"
	"blocked_user_agents = Evil Bot,x-scan , \"quoted\"\\agent\n"
	"\n"
	"[tftp]\n"
	"enabled = no\n"
	"[dns]\n"
	"enabled = false\n"
	"[notify]\n"
	"daily_summary = no\n"
	"per_attack = yes\n"
	"daily_summary_time = 6:05\n"
	"max_mails_per_hour = 7\n"
	"recipients = a@example.com,b@example.org\n"
	"smtp_url = smtp://127.0.0.1:1\n"
	"syslog = no\n";

/* ---- helpers ---- */

static void put_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		exit(2);
	}
}

/* The whole file, malloc'd ("" when missing). */
static char *slurp(const char *p)
{
	char *buf = calloc(1, 1 << 17);
	FILE *f = fopen(p, "r");
	if (!buf)
		exit(2);
	if (f) {
		size_t n = fread(buf, 1, (1 << 17) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void on_event(void *ctx, const struct event *e)
{
	(void)ctx;
	(void)e;
}

/* A daemon with conf holding text (NULL: built-in defaults, no file). */
static struct daemon *dm_new(const char *text)
{
	char err[256];
	struct daemon *d = calloc(1, sizeof *d);
	if (!d)
		exit(2);
	if (text) {
		put_file(conf, text);
		d->cfg_path = conf;
		d->cfg = cfg_load(conf, stderr);
	} else {
		d->cfg = cfg_defaults();
	}
	d->rstore = store_open(db, err, sizeof err);
	if (!d->cfg || !d->rstore) {
		fprintf(stderr, "set-up: %s\n", d->rstore ? "config" : err);
		exit(2);
	}
	d->eng = eng_new(d->cfg, on_event, NULL);
	if (!d->eng)
		exit(2);
	return d;
}

static void dm_free(struct daemon *d)
{
	char p[160];
	ntf_stop(d->ntf);
	eng_free(d->eng);
	store_close(d->rstore);
	cfg_free(d->cfg);
	free(d);
	unlink(conf);
	snprintf(p, sizeof p, "%s.bak", conf);
	unlink(p);
	unlink(db);
	snprintf(p, sizeof p, "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	unlink(p);
}

static void reply_free(struct http_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* Member name of the reply body ("" when absent). */
static const char *member(const struct http_reply *r, const char *name)
{
	static char buf[8192];
	if (!r->body || http_json_get(r->body, r->len, name, buf, sizeof buf) != 1)
		buf[0] = '\0';
	return buf;
}

static int put(struct daemon *d, const char *body, struct http_reply *r)
{
	memset(r, 0, sizeof *r);
	return apicfg_put(d, body, strlen(body), r);
}

/* Appends "name": "value" (JSON-escaped) to the object being built in out. */
static void add_json(char *out, size_t n, const char *name, const char *value)
{
	size_t o = strlen(out);
	o += (size_t)snprintf(out + o, n - o, "%s\"%s\":\"", o > 1 ? "," : "", name);
	for (const char *p = value; *p && o + 8 < n; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	snprintf(out + o, n - o, "\"");
}

/* s with its first from replaced by to (malloc'd). */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out = malloc(strlen(s) + strlen(to) + 1);
	if (!at || !out)
		exit(2);
	sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

static bool same_rule(const struct cfg_rule *a, const struct cfg_rule *b)
{
	return a->count == b->count && (!a->count || a->window_s == b->window_s);
}

/* The page's settings of a and b are the same. */
static bool same_settings(const struct config *a, const struct config *b)
{
	const struct cfg_rules *x = &a->inst[0].rules, *y = &b->inst[0].rules;
	const struct cfg_notify *m = &a->notify, *n = &b->notify;
	bool ok = a->udp == b->udp && a->tcp == b->tcp && !memcmp(a->inst[0].ports, b->inst[0].ports, 8192) &&
	          x->block_time_s == y->block_time_s && a->block_threshold == b->block_threshold &&
	          same_rule(&x->bad_registrations, &y->bad_registrations) &&
	          same_rule(&x->bad_invites, &y->bad_invites) && same_rule(&x->enumeration, &y->enumeration) &&
	          same_rule(&x->anomalies, &y->anomalies) && same_rule(&x->flood, &y->flood) &&
	          x->nat_tolerance == y->nat_tolerance && x->n_agents == y->n_agents &&
	          a->tftp.enabled == b->tftp.enabled && a->dns.enabled == b->dns.enabled &&
	          m->daily_summary == n->daily_summary && m->per_attack == n->per_attack &&
	          m->summary_minute == n->summary_minute && m->max_mails_per_hour == n->max_mails_per_hour &&
	          m->n_rcpts == n->n_rcpts;
	for (unsigned i = 0; ok && i < x->n_agents; i++)
		ok = !strcmp(x->agents[i], y->agents[i]);
	for (unsigned i = 0; ok && i < m->n_rcpts; i++)
		ok = !strcmp(m->rcpts[i], n->rcpts[i]);
	return ok;
}

/* GET, then every value written into a new file and loaded: the same
 * settings as d->cfg.  Returns the GET body (malloc'd). */
static char *get_roundtrip(struct daemon *d)
{
	struct http_reply r = { 0 };
	char path[160];
	CHECK(apicfg_get(d, &r) == 0 && r.status == 200 && r.body);
	if (!r.body)
		exit(1);
	snprintf(path, sizeof path, "%s/roundtrip.conf", dir);
	FILE *f = fopen(path, "w");
	for (size_t i = 0; i < NNAMES; i++) {
		char val[8192], sec[32];
		int got = http_json_get(r.body, r.len, names[i], val, sizeof val);
		CHECK_MSG(got == 1, "%s missing", names[i]);
		snprintf(sec, sizeof sec, "%.*s", (int)strcspn(names[i], "."), names[i]);
		fprintf(f, "[%s]\n%s = %s\n", sec, names[i] + strlen(sec) + 1, val);
	}
	fclose(f);
	char val[64];
	CHECK(http_json_get(r.body, r.len, "lists.whitelist", val, sizeof val) == 0);
	struct config *c = cfg_load(path, stderr);
	CHECK(c && same_settings(c, d->cfg));
	cfg_free(c);
	unlink(path);
	char *body = strdup(r.body);
	reply_free(&r);
	return body;
}

/* ---- tests ---- */

static void test_get_rich(void)
{
	struct daemon *d = dm_new(rich);
	char *body = get_roundtrip(d);
	struct http_reply r = { .body = body, .len = strlen(body) };
	CHECK(!strcmp(member(&r, "general.protocols"), "udp"));
	CHECK(!strcmp(member(&r, "general.sip_ports"), "5060, 5080-5082, 6000"));
	CHECK(!strcmp(member(&r, "general.block_time"), "2h"));
	CHECK(!strcmp(member(&r, "general.block_threshold"), "3"));
	CHECK(!strcmp(member(&r, "sip.bad_registrations"), "5/30s"));
	CHECK(!strcmp(member(&r, "sip.bad_invites"), "off"));
	CHECK(!strcmp(member(&r, "sip.enumeration"), "off"));
	CHECK(!strcmp(member(&r, "sip.anomalies"), "7/2m"));
	CHECK(!strcmp(member(&r, "sip.flood"), "1000/1m"));
	CHECK(!strcmp(member(&r, "sip.nat_tolerance"), "4"));
	CHECK(!strcmp(member(&r, "sip.blocked_user_agents"), "Evil Bot, x-scan, \"quoted\"\\agent"));
	CHECK(!strcmp(member(&r, "tftp.enabled"), "no") && !strcmp(member(&r, "dns.enabled"), "no"));
	CHECK(!strcmp(member(&r, "notify.daily_summary"), "no") && !strcmp(member(&r, "notify.per_attack"), "yes"));
	CHECK(!strcmp(member(&r, "notify.daily_summary_time"), "06:05"));
	CHECK(!strcmp(member(&r, "notify.max_mails_per_hour"), "7"));
	CHECK(!strcmp(member(&r, "notify.recipients"), "a@example.com, b@example.org"));
	free(body);
	dm_free(d);
}

static void test_get_defaults(void)
{
	struct daemon *d = dm_new(NULL);
	char *body = get_roundtrip(d);
	struct http_reply r = { .body = body, .len = strlen(body) };
	CHECK(!strcmp(member(&r, "general.protocols"), "udp, tcp"));
	CHECK(!strcmp(member(&r, "general.sip_ports"), "5060"));
	CHECK(!strcmp(member(&r, "general.block_time"), "1h"));
	CHECK(!strcmp(member(&r, "sip.flood"), "200/10s"));
	CHECK(!strcmp(member(&r, "sip.bad_registrations"), "10/1m"));
	CHECK(!strncmp(member(&r, "sip.blocked_user_agents"), "friendly-scanner, sipvicious, ", 30));
	CHECK(!strcmp(member(&r, "notify.daily_summary_time"), "07:00"));
	CHECK(!strcmp(member(&r, "notify.recipients"), ""));
	free(body);
	dm_free(d);
}

/* Shortest durations, and lists too long for ", " that fall back to ",". */
static void test_get_forms(void)
{
	static const struct { const char *in, *out; } dur[] = {
		{ "90", "90s" }, { "1800", "30m" }, { "172800", "2d" }, { "3660", "61m" },
		{ "86401", "86401s" }, { "24h", "1d" }, { "3600s", "1h" },
	};
	char text[8192], val[64];
	for (size_t i = 0; i < sizeof dur / sizeof dur[0]; i++) {
		snprintf(text, sizeof text, "[general]\nblock_time = %s\n[sip]\nflood = 9/%s\n", dur[i].in,
		         strcmp(dur[i].in, "172800") && strcmp(dur[i].in, "86401") ? dur[i].in : "1d");
		struct daemon *d = dm_new(text);
		char *body = get_roundtrip(d);
		CHECK(http_json_get(body, strlen(body), "general.block_time", val, sizeof val) == 1);
		CHECK_MSG(!strcmp(val, dur[i].out), "%s gave %s", dur[i].in, val);
		free(body);
		dm_free(d);
	}
	/* 85 odd ports without spaces (510 bytes): ", " would not fit in 511 */
	size_t o = (size_t)snprintf(text, sizeof text, "[general]\nsip_ports = ");
	for (int p = 10001; p < 10001 + 2 * 85; p += 2)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s%d", p > 10001 ? "," : "", p);
	o += (size_t)snprintf(text + o, sizeof text - o, "\n[sip]\nblocked_user_agents = ");
	for (int a = 0; a < 64; a++)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s%062d%c", a ? "," : "", a, 'x');
	snprintf(text + o, sizeof text - o, "\n");
	struct daemon *d = dm_new(text);
	CHECK(d->cfg->inst[0].rules.n_agents == 64);
	char *body = get_roundtrip(d);
	CHECK(strstr(body, "\"general.sip_ports\":\"10001,10003,") != NULL);
	free(body);
	dm_free(d);
}

static void test_put_bad(void)
{
	struct daemon *d = dm_new(rich);
	struct config *before = d->cfg;
	struct http_reply r;
	char bak[160];
	snprintf(bak, sizeof bak, "%s.bak", conf);
	CHECK(put(d, "{\"sip.flood\": \"5/1m\", \"general.block_time\": \"soon\"}", &r) == 0);
	CHECK(r.status == 400);
	CHECK(!strcmp(member(&r, "field"), "general.block_time"));
	CHECK_MSG(!strcmp(member(&r, "error"), "block_time: expected a duration such as 30s, 10m, 1h or 2d"),
	          "%s", member(&r, "error"));
	CHECK(!strstr(r.body, "/tmp"));
	reply_free(&r);
	put(d, "{\"general.block_time\": \"0\"}", &r);
	CHECK(r.status == 400 && !strcmp(member(&r, "error"), "block_time: block_time must be at least 1s"));
	reply_free(&r);
	put(d, "{\"sip.flood\": \"5/2d\"}", &r);
	CHECK(r.status == 400 && !strcmp(member(&r, "field"), "sip.flood"));
	CHECK(!strcmp(member(&r, "error"), "flood: rule window must be a duration from 1s to 1d"));
	reply_free(&r);
	char *now = slurp(conf);
	CHECK(!strcmp(now, rich));
	CHECK(!exists(bak));
	CHECK(d->cfg == before && d->cfg->inst[0].rules.block_time_s == 7200);
	CHECK(d->cfg->inst[0].rules.flood.count == 1000);
	free(now);
	dm_free(d);
}

/* Every way a body or a value is refused, each with its field. */
static void test_put_refused(void)
{
	static const struct { const char *body, *field; } bad[] = {
		{ "{\"general.foo\": \"1\"}", "general.foo" },
		{ "{\"lists.whitelist\": \"198.51.100.0/24\"}", "lists.whitelist" },
		{ "{\"general.block_threshold\": 5}", "general.block_threshold" },
		{ "{\"general.block_threshold\": {\"a\": \"b\"}}", "general.block_threshold" },
		{ "{\"general.block_threshold\": null}", "general.block_threshold" },
		{ "{\"sip.flood\": \"5/1m\", \"sip.flood\": \"6/1m\"}", "sip.flood" },
		{ "{\"sip.blocked_user_agents\": \"a\\u0001b\"}", "sip.blocked_user_agents" },
		{ "{\"sip.blocked_user_agents\": \"a\\nb\"}", "sip.blocked_user_agents" },
		{ "{\"sip.blocked_user_agents\": \"a\\tb\"}", "sip.blocked_user_agents" },
		{ "{\"sip.blocked_user_agents\": \"evil ;bot\"}", "sip.blocked_user_agents" },
		{ "{\"sip.blocked_user_agents\": \"#bot\"}", "sip.blocked_user_agents" },
		{ "{\"sip.blocked_user_agents\": \"a\\u0000b\"}", "sip.blocked_user_agents" },
		{ "{\"general.protocols\": \"sctp\"}", "general.protocols" },
		{ "{\"general.sip_ports\": \"0\"}", "general.sip_ports" },
		{ "{\"sip.nat_tolerance\": \"101\"}", "sip.nat_tolerance" },
		{ "{\"tftp.enabled\": \"maybe\"}", "tftp.enabled" },
		{ "{\"notify.daily_summary_time\": \"25:00\"}", "notify.daily_summary_time" },
		{ "{\"notify.max_mails_per_hour\": \"-1\"}", "notify.max_mails_per_hour" },
		{ "{\"notify.recipients\": \"root\"}", "notify.recipients" },
		{ "{\"general.block_threshold\": \"99999999999999999999999999999999999999999999999999999999999999999\"}",
		  "general.block_threshold" },
		{ "{", NULL }, { "", NULL }, { "[]", NULL }, { "{\"a\": \"b\"} x", NULL },
		{ "{\"a\" \"b\"}", NULL }, { "{\"a\": \"b\",}", NULL }, { "{\"bad\\q\": \"b\"}", NULL },
	};
	struct daemon *d = dm_new(rich);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct http_reply r;
		CHECK(put(d, bad[i].body, &r) == 0);
		CHECK_MSG(r.status == 400, "%s: %d", bad[i].body, r.status);
		CHECK_MSG(!strcmp(member(&r, "field"), bad[i].field ? bad[i].field : ""), "%s: %s", bad[i].body, r.body);
		CHECK_MSG(member(&r, "error")[0] != '\0', "%s", bad[i].body);
		reply_free(&r);
	}
	char *now = slurp(conf);
	CHECK(!strcmp(now, rich));
	free(now);
	dm_free(d);
}

/* The page sends every field; only block_time and the agents change. */
static void test_put_ok(void)
{
	struct daemon *d = dm_new(rich);
	struct http_reply r = { 0 };
	char body[16384] = "{", bak[160];
	snprintf(bak, sizeof bak, "%s.bak", conf);
	apicfg_get(d, &r);
	for (size_t i = 0; i < NNAMES; i++) {
		const char *v = member(&r, names[i]);
		if (!strcmp(names[i], "general.block_time"))
			v = "30m";
		else if (!strcmp(names[i], "sip.blocked_user_agents"))
			v = "friendly-scanner, EvilBot";
		add_json(body, sizeof body, names[i], v);
	}
	strcat(body, "}");
	reply_free(&r);
	CHECK(put(d, body, &r) == 0);
	CHECK_MSG(r.status == 200 && !strcmp(r.body, "{\"ok\":true}"), "%d %s", r.status, r.body);
	reply_free(&r);
	char *now = slurp(conf), *old = slurp(bak);
	CHECK(!strcmp(old, rich));
	/* the same file but for those two lines, comments kept */
	char *exp = replace(rich, "block_time = 7200", "block_time = 30m");
	char *full = replace(exp, "Evil Bot,x-scan , \"quoted\"\\agent", "friendly-scanner, EvilBot");
	CHECK_MSG(!strcmp(now, full), "got:\n%s", now);
	CHECK(strstr(now, "block_time = 30m   ; two hours\n") != NULL);
	CHECK(d->cfg->inst[0].rules.block_time_s == 1800);
	CHECK(d->cfg->inst[0].rules.n_agents == 2 && !strcmp(d->cfg->inst[0].rules.agents[1], "EvilBot"));
	CHECK(d->cfg->inst[0].rules.nat_tolerance == 4 && !d->cfg->tcp);
	free(exp);
	free(full);
	free(now);
	free(old);
	/* the same values again: 200, the file not written */
	unlink(bak);
	now = slurp(conf);
	CHECK(put(d, "{\"general.block_time\": \"1800s\", \"sip.enumeration\": \"0\", "
	             "\"notify.daily_summary_time\": \"6:5\"}", &r) == 0);
	CHECK(r.status == 200);
	reply_free(&r);
	char *again = slurp(conf);
	CHECK(!strcmp(again, now) && !exists(bak));
	free(again);
	free(now);
	dm_free(d);
}

static void test_no_file(void)
{
	struct daemon *d = dm_new(NULL);
	struct http_reply r;
	CHECK(put(d, "{\"general.block_time\": \"2h\"}", &r) == 0);
	CHECK(r.status == 409);
	CHECK(!strcmp(member(&r, "error"), "sipwarden runs on its built-in defaults: start it with -c FILE to save settings"));
	reply_free(&r);
	put(d, "{\"general.block_time\": \"never\"}", &r);
	CHECK(r.status == 400 && !strcmp(member(&r, "field"), "general.block_time"));
	reply_free(&r);
	CHECK(d->cfg->inst[0].rules.block_time_s == 3600);
	dm_free(d);
}

/* The recipients and lists endpoints, with notify running. */
static void test_apply(void)
{
	char err[256];
	struct daemon *d = dm_new("[general]\nblock_time = 1h\n\n[notify]\nsyslog = no\ndaily_summary = no\n"
	                          "smtp_url = smtp://127.0.0.1:1\n");
	d->ntf = ntf_start(d->cfg, db, err, sizeof err);
	CHECK_MSG(d->ntf != NULL, "%s", err);
	const char *key = "notify.recipients", *val = "ops@example.com, noc@example.net";
	struct http_reply r = { 0 };
	CHECK(apicfg_apply(d, 1, &key, &val, &r) == 0 && r.status == 200);
	reply_free(&r);
	CHECK(d->cfg->notify.n_rcpts == 2 && !strcmp(d->cfg->notify.rcpts[1], "noc@example.net"));
	char *now = slurp(conf);
	CHECK_MSG(!strcmp(now, "[general]\nblock_time = 1h\n\n[notify]\nsyslog = no\ndaily_summary = no\n"
	                       "smtp_url = smtp://127.0.0.1:1\nrecipients = ops@example.com, noc@example.net\n"),
	          "%s", now);
	free(now);
	val = "ops@example.com, nobody";
	CHECK(apicfg_apply(d, 1, &key, &val, &r) == 0 && r.status == 400);
	CHECK(!strcmp(member(&r, "field"), "notify.recipients"));
	CHECK(!strcmp(member(&r, "error"), "recipients: recipients must be mail addresses such as admin@example.com"));
	reply_free(&r);
	CHECK(d->cfg->notify.n_rcpts == 2);
	const char *keys[] = { "lists.whitelist", "notify.recipients" };
	const char *vals[] = { "198.51.100.0/24, 2001:db8::/32", "" };
	CHECK(apicfg_apply(d, 2, keys, vals, &r) == 0 && r.status == 200);
	reply_free(&r);
	struct ipaddr a;
	ip_parse(&a, "198.51.100.7");
	CHECK(cfg_prefixes_match(&d->cfg->whitelist, &a) && d->cfg->notify.n_rcpts == 0);
	now = slurp(conf);
	CHECK(strstr(now, "\n[lists]\nwhitelist = 198.51.100.0/24, 2001:db8::/32\n") != NULL);
	CHECK(strstr(now, "recipients =\n") || strstr(now, "recipients = \n"));
	free(now);
	dm_free(d);
}

/* With [instance] sections: GET shows [sip], edits go to [general]/[sip],
 * and a cross-field error is refused without a field. */
static void test_instances(void)
{
	static const char text[] =
		"[general]\nsip_ports = 5060\n[sip]\nbad_registrations = 5/30s\n"
		"[instance a]\naddress = 198.51.100.1\nbad_registrations = 3/1m\n"
		"[instance b]\naddress = 198.51.100.1\nsip_ports = 5070\n";
	struct daemon *d = dm_new(text);
	struct http_reply r = { 0 };
	CHECK(apicfg_get(d, &r) == 0);
	CHECK(!strcmp(member(&r, "sip.bad_registrations"), "5/30s"));
	CHECK(!strcmp(member(&r, "general.sip_ports"), "5060"));
	reply_free(&r);
	put(d, "{\"general.sip_ports\": \"5060, 5070\"}", &r);
	CHECK(r.status == 400 && !strcmp(member(&r, "field"), ""));
	CHECK_MSG(strstr(member(&r, "error"), "overlaps") && strstr(member(&r, "error"), conf) &&
	          !strstr(r.body, "/tmp/sipwarden-cfg"), "%s", r.body);
	reply_free(&r);
	char *now = slurp(conf);
	CHECK(!strcmp(now, text));
	free(now);
	put(d, "{\"sip.bad_registrations\": \"4/1m\", \"general.sip_ports\": \"5060\"}", &r);
	CHECK(r.status == 200);
	reply_free(&r);
	CHECK(d->cfg->n_inst == 2 && d->cfg->inst[0].rules.bad_registrations.count == 3);
	CHECK(d->cfg->inst[1].rules.bad_registrations.count == 4);
	now = slurp(conf);
	CHECK(strstr(now, "[sip]\nbad_registrations = 4/1m\n[instance a]") != NULL);
	free(now);
	dm_free(d);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/sipwarden-test-apicfg.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(conf, sizeof conf, "%s/sipwarden.conf", dir);
	snprintf(db, sizeof db, "%s/sipwarden.db", dir);
	test_get_rich();
	test_get_defaults();
	test_get_forms();
	test_put_bad();
	test_put_refused();
	test_put_ok();
	test_no_file();
	test_apply();
	test_instances();
	rmdir(dir);
	return T_DONE();
}
