/* Tests for config: defaults, every key, errors with file:line. */
#include "config.h"
#include "t.h"

#include <stdlib.h>

static char path[] = "/tmp/sipwarden-test-config.XXXXXX";

/* Writes text to a temporary file and loads it; errors go to errbuf. */
static struct config *load(const char *text, char *errbuf, size_t n)
{
	int fd = mkstemp(path);
	if (fd < 0) { perror("mkstemp"); exit(2); }
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) { perror("write"); exit(2); }
	close(fd);
	FILE *errs = fmemopen(errbuf, n, "w");
	struct config *c = cfg_load(path, errs);
	fclose(errs);
	unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
	return c;
}

static bool port(const struct cfg_instance *in, unsigned p) { return cfg_port_test(in->ports, (uint16_t)p); }

struct bad_case { const char *text, *want; };

/* Each text is refused with its want in the error output. */
static void expect_errors(const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char errs[2048] = "";
		struct config *c = load(cases[i].text, errs, sizeof errs);
		CHECK_MSG(c == NULL, "case %zu accepted: %s", i, cases[i].text);
		CHECK_MSG(strstr(errs, cases[i].want) != NULL, "case %zu: want '%s', got '%s'", i, cases[i].want, errs);
		cfg_free(c);
	}
}

static void test_defaults(void)
{
	struct config *c = cfg_defaults();
	CHECK(c->n_inst == 1 && !strcmp(c->inst[0].name, "default"));
	const struct cfg_rules *r = &c->inst[0].rules;
	CHECK(r->bad_registrations.count == 10 && r->bad_registrations.window_s == 60);
	CHECK(r->bad_invites.count == 10 && r->enumeration.count == 20);
	CHECK(r->anomalies.count == 5 && r->flood.count == 200 && r->flood.window_s == 10);
	CHECK(r->nat_tolerance == 3 && r->block_time_s == 3600);
	CHECK(r->n_agents == 11 && !strcmp(r->agents[0], "friendly-scanner") && !strcmp(r->agents[8], "PortSIP VoIP SDK"));
	CHECK(!strcmp(r->agents[10], "^pplsip"));
	CHECK(port(&c->inst[0], 5060) && !port(&c->inst[0], 5061));
	CHECK(c->udp && c->tcp && c->n_ifaces == 1 && !strcmp(c->ifaces[0], "any"));
	CHECK(c->max_tracked == 1000000 && c->block_threshold == 0);
	struct ipaddr a;
	ip_parse(&a, "127.0.0.5");
	CHECK(cfg_prefixes_match(&c->whitelist, &a));
	ip_parse(&a, "::1");
	CHECK(cfg_prefixes_match(&c->whitelist, &a));
	ip_parse(&a, "198.51.100.66");
	CHECK(!cfg_prefixes_match(&c->whitelist, &a));
	CHECK(c->blacklist.n == 0);
	cfg_free(c);
}

static void test_full_file(void)
{
	char errs[2048] = "";
	struct config *c = load(
		"; comment\n"
		"# another\n"
		"[general]\n"
		"interfaces = eth0, eth1\n"
		"protocols = udp\n"
		"sip_ports = 5060, 5080-5082   ; inline comment\n"
		"block_time = 2h\n"
		"block_threshold = 3\n"
		"max_tracked = 50000\n"
		"[sip]\n"
		"bad_registrations = 5/30s\n"
		"bad_invites = off\n"
		"enumeration = 0\n"
		"anomalies = 7/2m\n"
		"flood = 1000/1m\n"
		"nat_tolerance = 4\n"
		"blocked_user_agents = Evil Bot, x-scan\n"
		"[lists]\n"
		"whitelist = 198.51.100.0/24, 2001:db8:1::/48\n"
		"blacklist = 203.0.113.66, 2001:db8:666::1\n",
		errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (!c)
		return;
	CHECK(c->n_ifaces == 2 && !strcmp(c->ifaces[1], "eth1"));
	CHECK(c->udp && !c->tcp);
	const struct cfg_instance *in = &c->inst[0];
	CHECK(port(in, 5060) && port(in, 5080) && port(in, 5081) && port(in, 5082) && !port(in, 5083));
	CHECK(in->rules.block_time_s == 7200 && c->block_threshold == 3 && c->max_tracked == 50000);
	CHECK(in->rules.bad_registrations.count == 5 && in->rules.bad_registrations.window_s == 30);
	CHECK(in->rules.bad_invites.count == 0 && in->rules.enumeration.count == 0);
	CHECK(in->rules.anomalies.count == 7 && in->rules.anomalies.window_s == 120);
	CHECK(in->rules.flood.count == 1000 && in->rules.flood.window_s == 60);
	CHECK(in->rules.nat_tolerance == 4);
	CHECK(in->rules.n_agents == 2 && !strcmp(in->rules.agents[0], "Evil Bot"));
	struct ipaddr a;
	ip_parse(&a, "198.51.100.7");
	CHECK(cfg_prefixes_match(&c->whitelist, &a));
	ip_parse(&a, "127.0.0.1");
	CHECK(!cfg_prefixes_match(&c->whitelist, &a)); /* replaced, not merged */
	ip_parse(&a, "2001:db8:666::1");
	CHECK(cfg_prefixes_match(&c->blacklist, &a));
	CHECK(c->blacklist.n == 2);
	cfg_free(c);
}

static void test_issue4_keys(void)
{
	char errs[2048] = "";
	struct config *c = cfg_defaults();
	CHECK(c->aggregate_after == 5 && c->aggregate_v4 == 24 && c->aggregate_v6 == 64);
	CHECK(c->tftp.enabled && !c->tftp.allow_write && cfg_port_test(c->tftp.ports, 69));
	CHECK(c->tftp.bad_requests.count == 10 && c->tftp.distinct_files.count == 20 && c->tftp.distinct_files.window_s == 600);
	CHECK(c->dns.enabled && c->dns.block_zone_transfer && c->dns.block_fingerprinting && cfg_port_test(c->dns.ports, 53));
	CHECK(c->dns.any_queries.count == 10 && c->dns.queries.count == 100 && c->dns.queries.window_s == 10 && c->dns.refused.count == 50);
	CHECK(c->inst[0].rules.invite_sweep.count == 10 && c->inst[0].rules.distributed_guessing.count == 20 &&
	      c->inst[0].rules.distributed_guessing.window_s == 600 && c->inst[0].rules.n_dests == 0);
	cfg_free(c);
	c = load("[general]\naggregate_after = 0\naggregate_v4 = 16\naggregate_v6 = 48\n"
	         "[sip]\nblocked_destinations = 00*, 011*, +*, 900123\ninvite_sweep = 5/1m\ndistributed_guessing = 30/15m\n"
	         "[tftp]\nenabled = no\nports = 69, 6969\nbad_requests = 3/1m\ndistinct_files = off\nallow_write = yes\n"
	         "[dns]\nenabled = yes\nports = 53, 5353\nany_queries = 2/1m\nqueries = 50/5s\nrefused = off\n"
	         "block_zone_transfer = no\nblock_fingerprinting = no\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c) {
		CHECK(c->aggregate_after == 0 && c->aggregate_v4 == 16 && c->aggregate_v6 == 48);
		CHECK(c->inst[0].rules.n_dests == 4 && !strcmp(c->inst[0].rules.dests[3], "900123"));
		CHECK(c->inst[0].rules.invite_sweep.count == 5 && c->inst[0].rules.distributed_guessing.window_s == 900);
		CHECK(!c->tftp.enabled && c->tftp.allow_write && cfg_port_test(c->tftp.ports, 6969) && c->tftp.distinct_files.count == 0);
		CHECK(cfg_port_test(c->dns.ports, 5353) && c->dns.queries.window_s == 5 && !c->dns.block_zone_transfer);
		cfg_free(c);
	}
	static const struct bad_case bad[] = {
		{ "[sip]\nblocked_destinations = 0*0\n", ":2: blocked_destinations:" },
		{ "[sip]\nblocked_destinations = *\n", ":2: blocked_destinations:" },
		{ "[general]\naggregate_v4 = 40\n", ":2: aggregate_v4:" },
		{ "[tftp]\nallow_write = maybe\n", ":2: allow_write:" },
		{ "[dns]\nfoo = 1\n", ":2: unknown key 'foo' in [dns]" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		errs[0] = '\0';
		c = load(bad[i].text, errs, sizeof errs);
		CHECK_MSG(c == NULL && strstr(errs, bad[i].want), "case %zu: %s", i, errs);
		cfg_free(c);
	}
}

static void test_instances(void)
{
	char errs[2048] = "";
	struct config *c = load(
		"[general]\nblock_time = 10m\n"
		"[sip]\nbad_registrations = 8/1m\n"
		"[instance pbx1]\naddress = 198.51.100.1\nsip_ports = 5060\n"
		"[instance pbx2]\naddress = 198.51.100.2, 2001:db8::2\nsip_ports = 5070\nbad_registrations = 3/1m\nblock_time = 1d\n",
		errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (!c)
		return;
	CHECK(c->n_inst == 2);
	CHECK(!strcmp(c->inst[0].name, "pbx1") && !strcmp(c->inst[1].name, "pbx2"));
	CHECK(c->inst[0].rules.bad_registrations.count == 8 && c->inst[0].rules.block_time_s == 600);
	CHECK(c->inst[1].rules.bad_registrations.count == 3 && c->inst[1].rules.block_time_s == 86400);
	struct ipaddr a;
	ip_parse(&a, "198.51.100.2");
	CHECK(cfg_instance_for(c, &a, 5070) == 1);
	CHECK(cfg_instance_for(c, &a, 5060) == -1);
	ip_parse(&a, "2001:db8::2");
	CHECK(cfg_instance_for(c, &a, 5070) == 1);
	ip_parse(&a, "198.51.100.1");
	CHECK(cfg_instance_for(c, &a, 5060) == 0);
	uint8_t map[8192];
	cfg_port_union(c, map);
	CHECK(cfg_port_test(map, 5060) && cfg_port_test(map, 5070) && !cfg_port_test(map, 5080));
	cfg_free(c);
}

/* Each bad file must fail and name the right line. */
/* Every numeric key has a range; a value too large to hold (one that would
 * wrap when multiplied by its unit) is an error at its line, not a small
 * number. */
static void test_ranges(void)
{
	static const struct bad_case bad[] = {
		{ "[general]\ncapture_buffer = 18014398509481985G\n", ":2: capture_buffer:" },
		{ "[general]\ncapture_buffer = 18446744073709551617M\n", ":2: capture_buffer:" },
		{ "[general]\ncapture_buffer = 4097M\n", ":2: capture_buffer:" },
		{ "[general]\ncapture_buffer = 5G\n", ":2: capture_buffer:" },
		{ "[general]\ncapture_buffer = 0\n", ":2: capture_buffer:" },
		{ "[general]\nmax_tracked = 4294967297\n", ":2: max_tracked:" },
		{ "[general]\nmax_tracked = 100000001\n", ":2: max_tracked:" },
		{ "[general]\nblock_threshold = 4294967296\n", ":2: block_threshold:" },
		{ "[general]\nblock_threshold = 1001\n", ":2: block_threshold:" },
		{ "[general]\nblock_time = 213503982334601d\n", ":2: block_time:" },
		{ "[general]\nblock_time = 366d\n", ":2: block_time:" },
		{ "[general]\nblock_time = 0\n", ":2: block_time:" },
		{ "[instance a]\nblock_time = 49711d\n", ":2: block_time:" },
		{ "[general]\nretention = 3651d\n", ":2: retention:" },
		{ "[general]\nretention = 18446744073709551616s\n", ":2: retention:" },
		{ "[general]\naggregate_after = 4294967553\n", ":2: aggregate_after:" },
		{ "[general]\naggregate_v4 = 4294967320\n", ":2: aggregate_v4:" },
		{ "[general]\naggregate_v6 = 129\n", ":2: aggregate_v6:" },
		{ "[general]\nsip_ports = 4294967296\n", ":2: sip_ports:" },
		{ "[general]\nsip_ports = 5060-4294972356\n", ":2: sip_ports:" },
		{ "[sip]\nnat_tolerance = 4294967297\n", ":2: nat_tolerance:" },
		{ "[sip]\nflood = 4294967496/10s\n", ":2: flood:" },
		{ "[sip]\nflood = 65536/10s\n", ":2: flood:" },
		{ "[sip]\nflood = 10/1537228672809129302m\n", ":2: flood:" },
		{ "[sip]\nflood = 10/2d\n", ":2: flood:" },
		{ "[notify]\nmax_mails_per_hour = 4294967297\n", ":2: max_mails_per_hour:" },
		{ "[notify]\ndigest_interval = 49711d\n", ":2: digest_interval:" },
		{ "[notify]\ndaily_summary_time = 4294967319:00\n", ":2: daily_summary_time:" },
		{ "[notify]\ndaily_summary_time = -1:00\n", ":2: daily_summary_time:" },
		{ "[http]\nlisten = 127.0.0.1:4294967376\n", ":2: listen:" },
		{ "[http]\nadmin_login = 5/4294967297s\n", ":2: admin_login:" },
		{ "[tftp]\nports = 69-65536\n", ":2: ports:" },
	};
	expect_errors(bad, ARRAY_LEN(bad));
	/* the ends of each range are accepted */
	char errs[2048] = "";
	struct config *c = load("[general]\ncapture_buffer = 4G\nmax_tracked = 100000000\nblock_threshold = 1000\n"
				"block_time = 365d\nretention = 3650d\n[sip]\nflood = 65535/1d\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c) {
		CHECK(c->capture_buffer_mb == 4096 && c->max_tracked == 100000000 && c->block_threshold == 1000);
		CHECK(c->inst[0].rules.block_time_s == 365u * 86400 && c->retention_s == 3650u * 86400);
		CHECK(c->inst[0].rules.flood.count == 65535 && c->inst[0].rules.flood.window_s == 86400);
	}
	cfg_free(c);
	c = load("[general]\ncapture_buffer = 1\nblock_time = 1s\nretention = 1h\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c)
		CHECK(c->capture_buffer_mb == 1 && c->inst[0].rules.block_time_s == 1 && c->retention_s == 3600);
	cfg_free(c);
}

static void test_errors(void)
{
	static const struct bad_case cases[] = {
		{ "[general]\nblock_time = 5x\n", ":2: block_time:" },
		{ "[general]\nfoo = 1\n", ":2: unknown key 'foo' in [general]" },
		{ "[bogus]\nx = 1\n", ":1: unknown section [bogus]" },
		{ "[sip]\nbad_registrations = ten\n", ":2: bad_registrations:" },
		{ "[sip]\nflood = 10/0s\n", ":2: flood:" },
		{ "[general]\nsip_ports = 70000\n", ":2: sip_ports:" },
		{ "[general]\nsip_ports = 5070-5060\n", ":2: sip_ports:" },
		{ "[general]\nprotocols = sctp\n", ":2: protocols:" },
		{ "[lists]\nwhitelist = 198.51.100.1/24\n", ":2: whitelist:" },
		{ "[lists]\nblacklist = not-an-ip\n", ":2: blacklist:" },
		{ "[general]\njust words\n", ":2: expected 'key = value'" },
		{ "x = 1\n", ":1: key 'x' outside of any section" },
		{ "[sip\n", ":1: bad section header" },
		{ "[sip]\nblock_time = 1h\n", ":2: unknown key 'block_time' in [sip]" },
		{ "[sip]\nnat_tolerance = 0\n", ":2: nat_tolerance:" },
		{ "[general]\nmax_tracked = 10\n", ":2: max_tracked:" },
		{ "[instance a]\naddress = 198.51.100.1\n[instance b]\naddress = 198.51.100.0/24\n", ":3: instance 'b' overlaps instance 'a'" },
		{ "[instance a]\n[instance a]\n", ":2: instance 'a' defined twice" },
		{ "[instance a]\nbad_invites = nope\n", ":2: bad_invites:" },
		{ "[instance bad name!]\n", ":1: instance name" },
		{ "[general]\npeers = 203.0.113.5/24\n", ":2: peers:" },
		{ "[instance a]\npeers = trunk.example\n", ":2: peers:" },
	};
	expect_errors(cases, ARRAY_LEN(cases));
	/* every error is reported, not only the first */
	char errs[2048] = "";
	struct config *c = load("[general]\nblock_time = x\nfoo = 1\n[sip]\nflood = y\n", errs, sizeof errs);
	CHECK(c == NULL);
	CHECK(strstr(errs, ":2:") && strstr(errs, ":3:") && strstr(errs, ":5:"));
	/* a missing file */
	FILE *e = fmemopen(errs, sizeof errs, "w");
	c = cfg_load("/nonexistent/sipwarden.conf", e);
	fclose(e);
	CHECK(c == NULL && strstr(errs, "/nonexistent/sipwarden.conf: cannot open"));
}

static void test_notify_http(void)
{
	struct config *d = cfg_defaults();
	CHECK(d->notify.per_attack && d->notify.daily_summary && d->notify.syslog);
	CHECK(d->notify.summary_minute == 7 * 60 && d->notify.max_mails_per_hour == 20);
	CHECK(d->notify.digest_interval_s == 3600 && d->notify.n_rcpts == 0);
	CHECK(!strcmp(d->notify.smtp_url, "smtp://localhost:25") && d->notify.smtp_starttls == CFG_TLS_AUTO);
	CHECK(!strcmp(d->http.listen, "127.0.0.1:8080") && d->http.admin_login.count == 5 &&
	      d->http.admin_login.window_s == 600);
	cfg_free(d);
	char errs[2048] = "";
	struct config *c = load("[notify]\nrecipients = a@example.net, noc@example.org ; two\n"
	                        "per_attack = no\ndaily_summary_time = 23:45\nsmtp_url = smtps://mail.example.net:465\n"
	                        "smtp_starttls = required\nsmtp_user = pbx\nsmtp_password_file = /etc/sipwarden/smtp.pw\n"
	                        "from = guard@example.net\nmax_mails_per_hour = 5\ndigest_interval = 10m\n"
	                        "webhook_url = https://siem.example.net/hook?x=1\nsyslog = no\n"
	                        "[http]\nlisten = [::1]:8443\ntls_cert = /etc/c.pem\ntls_key = /etc/k.pem\n"
	                        "metrics_auth = yes\nadmin_login = 3/5m\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c) {
		const struct cfg_notify *n = &c->notify;
		CHECK(n->n_rcpts == 2 && !strcmp(n->rcpts[0], "a@example.net") && !strcmp(n->rcpts[1], "noc@example.org"));
		CHECK(!n->per_attack && n->summary_minute == 23 * 60 + 45 && !n->syslog);
		CHECK(!strcmp(n->smtp_url, "smtps://mail.example.net:465") && n->smtp_starttls == CFG_TLS_REQUIRED);
		CHECK(!strcmp(n->smtp_user, "pbx") && !strcmp(n->smtp_password_file, "/etc/sipwarden/smtp.pw"));
		CHECK(!strcmp(n->from, "guard@example.net") && n->max_mails_per_hour == 5 && n->digest_interval_s == 600);
		CHECK(!strcmp(n->webhook_url, "https://siem.example.net/hook?x=1"));
		CHECK(!strcmp(c->http.listen, "[::1]:8443") && c->http.metrics_auth);
		CHECK(!strcmp(c->http.tls_cert, "/etc/c.pem") && c->http.admin_login.count == 3);
	}
	cfg_free(c);
	static const struct bad_case bad[] = {
		{ "[notify]\nrecipients = admin\n", ":2: recipients:" },
		{ "[notify]\nrecipients = a@b.c, x y@z\n", ":2: recipients:" },
		{ "[notify]\nrecipients = a@b.c\r\nBcc: x@y\n", ":" },
		{ "[notify]\ndaily_summary_time = 25:00\n", ":2: daily_summary_time:" },
		{ "[notify]\nsmtp_url = http://x\n", ":2: smtp_url: unsupported URL scheme" },
		{ "[notify]\nsmtp_starttls = maybe\n", ":2: smtp_starttls:" },
		{ "[notify]\nsmtp_password = hunter2\n", ":2: smtp_password: the password does not belong" },
		{ "[notify]\nsmtp_password_file = pw.txt\n", ":2: smtp_password_file:" },
		{ "[notify]\nfrom = <evil>\n", ":2: from:" },
		{ "[notify]\nwebhook_url = ftp://x\n", ":2: webhook_url:" },
		{ "[notify]\ndigest_interval = 0s\n", ":2: digest_interval:" },
		{ "[notify]\nbogus = 1\n", ":2: unknown key 'bogus' in [notify]" },
		{ "[http]\nlisten = localhost:80\n", ":2: listen:" },
		{ "[http]\nlisten = 127.0.0.1:0\n", ":2: listen:" },
		{ "[http]\npassword_hash = plain\n", ":2: password_hash:" },
	};
	/* values longer than the reader keeps are refused, never cut */
	static char longv[8192];
	snprintf(longv, sizeof longv, "[general]\nsip_ports = 5060");
	for (int i = 0; i < 150; i++)
		strcat(longv, ", 5061");
	strcat(longv, "\n[sip]\nblocked_user_agents = x");
	for (int i = 0; i < 900; i++)
		strcat(longv, ", abcd");
	strcat(longv, "\n");
	char le[2048] = "";
	struct config *lc = load(longv, le, sizeof le);
	CHECK_MSG(lc == NULL && strstr(le, ":2: sip_ports: value too long") && strstr(le, ":4: blocked_user_agents: value too long"),
	          "%s", le);
	cfg_free(lc);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char e[2048] = "";
		struct config *x = load(bad[i].text, e, sizeof e);
		CHECK_MSG(x == NULL, "notify case %zu accepted", i);
		CHECK_MSG(strstr(e, bad[i].want) != NULL, "notify case %zu: want '%s', got '%s'", i, bad[i].want, e);
		cfg_free(x);
	}
}

/* [http] server_name and trusted_proxies. */
static void test_http_guard_keys(void)
{
	char errs[2048] = "";
	struct config *c = load("[http]\nserver_name = pbx.example.net, Admin.Example.NET\n"
	                        "trusted_proxies = 127.0.0.1, 2001:db8::/64\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c) {
		struct ipaddr in, out;
		ip_parse(&in, "2001:db8::7");
		ip_parse(&out, "2001:db8:1::7");
		CHECK(!strcmp(c->http.server_name, "pbx.example.net Admin.Example.NET"));
		CHECK(c->http.n_trusted_proxies == 2 && c->http.trusted_proxies[0].plen == 128);
		CHECK(prefix_contains(&c->http.trusted_proxies[1], &in) && !prefix_contains(&c->http.trusted_proxies[1], &out));
	}
	cfg_free(c);
	static const struct bad_case bad[] = {
		{ "[http]\nserver_name = pbx.example.net:8080\n", ":2: server_name: host names only" },
		{ "[http]\nserver_name = a b c d e f g h i\n", ":2: server_name: at most 8 names" },
		{ "[http]\ntrusted_proxies = proxy.example\n", ":2: trusted_proxies: expected addresses" },
		{ "[http]\ntrusted_proxies = 10.0.0.1/8\n", ":2: trusted_proxies:" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char e[2048] = "";
		struct config *x = load(bad[i].text, e, sizeof e);
		CHECK_MSG(x == NULL && strstr(e, bad[i].want), "http case %zu: want '%s', got '%s'", i, bad[i].want, e);
		cfg_free(x);
	}
}

/* peers: [general] for every instance, [instance] for its own */
static void test_peers(void)
{
	char errs[2048] = "";
	struct config *c = load("[general]\npeers = 203.0.113.5, 2001:db8:5::/48\n"
	                        "[instance a]\naddress = 198.51.100.1\npeers = 198.51.100.64/28\n"
	                        "[instance b]\naddress = 198.51.100.2\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (!c)
		return;
	struct ipaddr g, g6, a, out;
	ip_parse(&g, "203.0.113.5");
	ip_parse(&g6, "2001:db8:5:1::9");
	ip_parse(&a, "198.51.100.70");
	ip_parse(&out, "198.51.100.80");
	CHECK(c->n_inst == 2 && c->inst[0].n_peers == 1 && c->inst[1].n_peers == 0);
	CHECK(cfg_is_peer(c, 0, &g) && cfg_is_peer(c, 1, &g) && cfg_is_peer(c, 1, &g6));
	CHECK(cfg_is_peer(c, 0, &a) && !cfg_is_peer(c, 1, &a) && !cfg_is_peer(c, 0, &out));
	cfg_free(c);
	c = load("[general]\n", errs, sizeof errs);
	CHECK(c && c->peers.n == 0 && !cfg_is_peer(c, 0, &g));
	cfg_free(c);
	/* empty lists in an instance (found by fuzz_config: the copy of an empty
	 * list read from a NULL array, undefined behaviour) */
	c = load("[instance a]\naddress = 198.51.100.1\naddress =\npeers = 198.51.100.9\npeers =\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	CHECK(c && c->n_inst == 1 && c->inst[0].n_addrs == 0 && c->inst[0].n_peers == 0);
	cfg_free(c);
}

/* Blocked agents keep their anchors as written; a bare anchor is refused. */
static void test_agent_anchors(void)
{
	char errs[2048] = "";
	struct config *c = load("[sip]\nblocked_user_agents = ^pplsip, Elite$, ^Evil Bot$, x\n", errs, sizeof errs);
	CHECK_MSG(c != NULL, "%s", errs);
	if (c) {
		const struct cfg_rules *r = &c->inst[0].rules;
		CHECK(r->n_agents == 4 && !strcmp(r->agents[0], "^pplsip") && !strcmp(r->agents[1], "Elite$") &&
		      !strcmp(r->agents[2], "^Evil Bot$") && !strcmp(r->agents[3], "x"));
	}
	cfg_free(c);
	static const char *const bare[] = { "^", "$", "^$", "sipcli, ^" };
	for (size_t i = 0; i < ARRAY_LEN(bare); i++) {
		char text[128];
		snprintf(text, sizeof text, "[sip]\nblocked_user_agents = %s\n", bare[i]);
		errs[0] = 0;
		c = load(text, errs, sizeof errs);
		CHECK_MSG(c == NULL && strstr(errs, ":2: blocked_user_agents: a blocked user agent is only an anchor"),
		          "'%s': %s", bare[i], errs);
		cfg_free(c);
	}
}

int main(void)
{
	test_agent_anchors();
	test_http_guard_keys();
	test_notify_http();
	test_defaults();
	test_full_file();
	test_instances();
	test_issue4_keys();
	test_errors();
	test_ranges();
	test_peers();
	return T_DONE();
}
