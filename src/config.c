/* config: INI file into struct config, with file:line errors.
 * The INI reader is our own (about 60 lines): Debian's libinih is built with a
 * 200-byte line limit, too short for address lists, and cannot give the line
 * of each key, which every error message needs. */
#include "config.h"
#include "cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_OVERRIDES 64

struct override {
	char key[32];
	char value[512];
	int line;
};

/* Parser state for one cfg_load() call. */
struct loader {
	struct config *c;
	const char *path;
	FILE *errs;
	int errors;
	int line;             /* current line, counted by the reader */
	FILE *fp;
	char section[64];     /* current section name, "" before the first */
	int inst;             /* current [instance] index, -1 elsewhere */
	bool in_known;        /* the current section is one we know */
	bool general_ports;   /* [general] sip_ports was given */
	uint8_t gen_ports[8192];
	unsigned n_ov[CFG_MAX_INSTANCES];
	struct override ov[CFG_MAX_INSTANCES][MAX_OVERRIDES];
	bool inst_ports[CFG_MAX_INSTANCES];
};

static void err(struct loader *L, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(L->errs, "%s:%d: ", L->path, line);
	va_start(ap, fmt);
	vfprintf(L->errs, fmt, ap);
	va_end(ap);
	fputc('\n', L->errs);
	L->errors++;
}

/* ---- keys of [sip] (also allowed in [instance]) ---- */

static const char *set_rules_key(struct cfg_rules *r, const char *k, const char *v, bool *known)
{
	*known = true;
	if (!strcmp(k, "bad_registrations")) return cfg_parse_rule(v, &r->bad_registrations);
	if (!strcmp(k, "bad_invites")) return cfg_parse_rule(v, &r->bad_invites);
	if (!strcmp(k, "enumeration")) return cfg_parse_rule(v, &r->enumeration);
	if (!strcmp(k, "anomalies")) return cfg_parse_rule(v, &r->anomalies);
	if (!strcmp(k, "flood")) return cfg_parse_rule(v, &r->flood);
	if (!strcmp(k, "nat_tolerance")) {
		const char *m = cfg_parse_u32(v, &r->nat_tolerance);
		return m ? m : (r->nat_tolerance == 0 || r->nat_tolerance > 100) ? "nat_tolerance must be 1 to 100" : NULL;
	}
	if (!strcmp(k, "blocked_user_agents")) return cfg_parse_agents(v, r);
	if (!strcmp(k, "blocked_destinations")) return cfg_parse_dests(v, r);
	if (!strcmp(k, "invite_sweep")) return cfg_parse_rule(v, &r->invite_sweep);
	if (!strcmp(k, "distributed_guessing")) return cfg_parse_rule(v, &r->distributed_guessing);
	if (!strcmp(k, "block_time")) {
		const char *m = cfg_parse_duration(v, &r->block_time_s);
		if (m)
			return m;
		return r->block_time_s == 0 ? "block_time must be at least 1s" :
		       r->block_time_s > 365 * 86400 ? "block_time must be at most 365d" : NULL;
	}
	*known = false;
	return NULL;
}

static const char *set_general(struct loader *L, const char *k, const char *v, bool *known)
{
	struct config *c = L->c;
	*known = true;
	if (!strcmp(k, "interfaces")) {
		char buf[512];
		if (strlen(v) >= sizeof buf)
			return "value too long";
		snprintf(buf, sizeof buf, "%s", v);
		c->n_ifaces = 0;
		for (char *s, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
			t = cfg_trim(t);
			if (!*t)
				continue;
			if (c->n_ifaces == CFG_MAX_IFACES || strlen(t) >= sizeof c->ifaces[0])
				return "too many interfaces or a name too long";
			snprintf(c->ifaces[c->n_ifaces++], sizeof c->ifaces[0], "%s", t);
		}
		return c->n_ifaces ? NULL : "at least one interface (or any) is needed";
	}
	if (!strcmp(k, "protocols")) {
		char buf[64];
		if (strlen(v) >= sizeof buf)
			return "value too long";
		snprintf(buf, sizeof buf, "%s", v);
		c->udp = c->tcp = false;
		for (char *s, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
			t = cfg_trim(t);
			if (!strcasecmp(t, "udp")) c->udp = true;
			else if (!strcasecmp(t, "tcp")) c->tcp = true;
			else return "protocols must be udp, tcp or both";
		}
		return (c->udp || c->tcp) ? NULL : "protocols must be udp, tcp or both";
	}
	if (!strcmp(k, "sip_ports")) {
		L->general_ports = true;
		return cfg_parse_ports(v, L->gen_ports);
	}
	if (!strcmp(k, "block_time"))
		return set_rules_key(&c->inst[0].rules, k, v, known);
	if (!strcmp(k, "block_threshold")) {
		const char *m = cfg_parse_u32(v, &c->block_threshold);
		return m ? m : c->block_threshold > 1000 ? "block_threshold must be 0 (never) to 1000" : NULL;
	}
	if (!strcmp(k, "database")) return cfg_parse_path(v, c->database, sizeof c->database);
	if (!strcmp(k, "aggregate_after")) {
		const char *m = cfg_parse_u32(v, &c->aggregate_after);
		return m ? m : c->aggregate_after > 256 ? "aggregate_after must be 0 (off) to 256" : NULL;
	}
	if (!strcmp(k, "aggregate_v4")) {
		const char *m = cfg_parse_u32(v, &c->aggregate_v4);
		return m ? m : (c->aggregate_v4 && (c->aggregate_v4 < 8 || c->aggregate_v4 > 31)) ? "aggregate_v4 must be 0 (off) or 8 to 31" : NULL;
	}
	if (!strcmp(k, "aggregate_v6")) {
		const char *m = cfg_parse_u32(v, &c->aggregate_v6);
		return m ? m : (c->aggregate_v6 && (c->aggregate_v6 < 16 || c->aggregate_v6 > 127)) ? "aggregate_v6 must be 0 (off) or 16 to 127" : NULL;
	}
	if (!strcmp(k, "ctl_socket")) return cfg_parse_path(v, c->ctl_socket, sizeof c->ctl_socket);
	if (!strcmp(k, "peers")) return cfg_parse_prefixes(v, &c->peers);
	if (!strcmp(k, "retention")) {
		const char *m = cfg_parse_duration(v, &c->retention_s);
		return m ? m : (c->retention_s < 3600 || c->retention_s > 3650u * 86400) ? "retention must be 1h to 3650d" : NULL;
	}
	if (!strcmp(k, "capture_buffer")) {
		const char *m = cfg_parse_size_mb(v, &c->capture_buffer_mb);
		return m ? m : (c->capture_buffer_mb < 1 || c->capture_buffer_mb > 4096) ? "capture_buffer must be 1M to 4096M" : NULL;
	}
	if (!strcmp(k, "max_tracked")) {
		const char *m = cfg_parse_u32(v, &c->max_tracked);
		return m ? m : (c->max_tracked < 1024 || c->max_tracked > 100000000) ? "max_tracked must be 1024 to 100000000" : NULL;
	}
	*known = false;
	return NULL;
}

static const char *set_firewall(struct loader *L, const char *k, const char *v, bool *known)
{
	struct config *c = L->c;
	*known = true;
	if (!strcmp(k, "backend")) {
		if (strcmp(v, "nftables") && strcmp(v, "ipset") && strcmp(v, "none"))
			return "backend must be nftables, ipset or none";
		snprintf(c->fw_backend, sizeof c->fw_backend, "%s", v);
		return NULL;
	}
	if (!strcmp(k, "table")) {
		if (!*v || strlen(v) > 24 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(v))
			return "table must be 1-24 letters, digits or '_'";
		snprintf(c->fw_table, sizeof c->fw_table, "%s", v);
		return NULL;
	}
	if (!strcmp(k, "scope")) {
		if (strcmp(v, "all") && strcmp(v, "services"))
			return "scope must be all or services";
		c->fw_scope_services = !strcmp(v, "services");
		return NULL;
	}
	if (!strcmp(k, "keep_blocks_on_exit"))
		return cfg_parse_bool(v, &c->keep_blocks_on_exit);
	*known = false;
	return NULL;
}

static const char *set_tftp(struct loader *L, const char *k, const char *v, bool *known)
{
	struct cfg_tftp *t = &L->c->tftp;
	*known = true;
	if (!strcmp(k, "enabled")) return cfg_parse_bool(v, &t->enabled);
	if (!strcmp(k, "ports")) return cfg_parse_ports(v, t->ports);
	if (!strcmp(k, "bad_requests")) return cfg_parse_rule(v, &t->bad_requests);
	if (!strcmp(k, "distinct_files")) return cfg_parse_rule(v, &t->distinct_files);
	if (!strcmp(k, "allow_write")) return cfg_parse_bool(v, &t->allow_write);
	*known = false;
	return NULL;
}

static const char *set_dns(struct loader *L, const char *k, const char *v, bool *known)
{
	struct cfg_dns *d = &L->c->dns;
	*known = true;
	if (!strcmp(k, "enabled")) return cfg_parse_bool(v, &d->enabled);
	if (!strcmp(k, "ports")) return cfg_parse_ports(v, d->ports);
	if (!strcmp(k, "any_queries")) return cfg_parse_rule(v, &d->any_queries);
	if (!strcmp(k, "queries")) return cfg_parse_rule(v, &d->queries);
	if (!strcmp(k, "refused")) return cfg_parse_rule(v, &d->refused);
	if (!strcmp(k, "block_zone_transfer")) return cfg_parse_bool(v, &d->block_zone_transfer);
	if (!strcmp(k, "block_fingerprinting")) return cfg_parse_bool(v, &d->block_fingerprinting);
	*known = false;
	return NULL;
}

static const char *set_instance(struct loader *L, const char *k, const char *v, bool *known)
{
	struct cfg_instance *in = &L->c->inst[L->inst];
	*known = true;
	if (!strcmp(k, "address")) {
		struct cfg_prefixes l = { 0 };
		const char *m = cfg_parse_prefixes(v, &l);
		if (!m && l.n > CFG_MAX_INST_ADDRS)
			m = "too many addresses for one instance (at most 16)";
		if (!m) {
			if (l.n) /* an empty list has no array (memcpy from NULL is undefined) */
				memcpy(in->addrs, l.v, l.n * sizeof *l.v);
			in->n_addrs = (unsigned)l.n;
		}
		free(l.v);
		return m;
	}
	if (!strcmp(k, "peers")) {
		struct cfg_prefixes l = { 0 };
		const char *m = cfg_parse_prefixes(v, &l);
		if (!m && l.n > CFG_MAX_INST_PEERS)
			m = "too many peers for one instance (at most 64; list more in [general])";
		if (!m) {
			if (l.n) /* an empty list has no array (memcpy from NULL is undefined) */
				memcpy(in->peers, l.v, l.n * sizeof *l.v);
			in->n_peers = (unsigned)l.n;
		}
		free(l.v);
		return m;
	}
	if (!strcmp(k, "sip_ports")) {
		L->inst_ports[L->inst] = true;
		return cfg_parse_ports(v, in->ports);
	}
	/* rule overrides are applied after the whole file is read */
	struct cfg_rules scratch;
	set_rules_key(&scratch, k, "off", known);
	if (!*known)
		return NULL;
	unsigned *n = &L->n_ov[L->inst];
	if (*n == MAX_OVERRIDES)
		return "too many keys in this instance";
	struct override *o = &L->ov[L->inst][(*n)++];
	snprintf(o->key, sizeof o->key, "%s", k);
	snprintf(o->value, sizeof o->value, "%s", v);
	o->line = L->line;
	return NULL;
}

static void handler(struct loader *L, const char *section, const char *name, const char *value)
{
	char v[4096];
	const char *msg = NULL;
	bool known = false;
	if (!L->in_known)
		return; /* already reported at the section line */
	if (strlen(value) >= sizeof v) {
		err(L, L->line, "%s: value too long (at most %zu characters)", name, sizeof v - 1);
		return;
	}
	snprintf(v, sizeof v, "%s", value);
	char *tv = cfg_trim(v);
	if (!strcmp(section, "general")) {
		msg = set_general(L, name, tv, &known);
	} else if (!strcmp(section, "sip")) {
		msg = set_rules_key(&L->c->inst[0].rules, name, tv, &known);
		if (!strcmp(name, "block_time"))
			known = false; /* block_time belongs to [general] or an instance */
	} else if (!strcmp(section, "lists")) {
		known = true;
		if (!strcmp(name, "whitelist")) msg = cfg_parse_prefixes(tv, &L->c->whitelist);
		else if (!strcmp(name, "blacklist")) msg = cfg_parse_prefixes(tv, &L->c->blacklist);
		else known = false;
	} else if (!strcmp(section, "firewall")) {
		msg = set_firewall(L, name, tv, &known);
	} else if (!strcmp(section, "tftp")) {
		msg = set_tftp(L, name, tv, &known);
	} else if (!strcmp(section, "dns")) {
		msg = set_dns(L, name, tv, &known);
	} else if (!strcmp(section, "notify")) {
		msg = cfg_set_notify(L->c, name, tv, &known);
	} else if (!strcmp(section, "http")) {
		msg = cfg_set_http(L->c, name, tv, &known);
	} else if (L->inst >= 0) {
		msg = set_instance(L, name, tv, &known);
	}
	if (!known)
		err(L, L->line, "unknown key '%s' in [%s]", name, section);
	else if (msg)
		err(L, L->line, "%s: %s", name, msg);
}

/* Called for each [section] line seen by the reader. */
static void on_section(struct loader *L, const char *name)
{
	snprintf(L->section, sizeof L->section, "%s", name);
	L->inst = -1;
	L->in_known = true;
	if (!strcmp(name, "general") || !strcmp(name, "sip") || !strcmp(name, "lists") ||
	    !strcmp(name, "firewall") || !strcmp(name, "tftp") || !strcmp(name, "dns") ||
	    !strcmp(name, "notify") || !strcmp(name, "http"))
		return;
	if (!strncmp(name, "instance", 8) && (name[8] == ' ' || name[8] == '\t')) {
		const char *n = name + 9;
		while (*n == ' ' || *n == '\t')
			n++;
		struct config *c = L->c;
		if (!*n || strlen(n) >= CFG_NAME_LEN || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(n)) {
			err(L, L->line, "instance name must be 1-31 letters, digits, '_', '.' or '-'");
			L->in_known = false;
			return;
		}
		for (unsigned i = 1; i < c->n_inst; i++)
			if (!strcmp(c->inst[i].name, n)) {
				err(L, L->line, "instance '%s' defined twice (first at line %d)", n, c->inst[i].line);
				L->in_known = false;
				return;
			}
		if (c->n_inst == CFG_MAX_INSTANCES) {
			err(L, L->line, "too many instances (at most %d)", CFG_MAX_INSTANCES - 1);
			L->in_known = false;
			return;
		}
		struct cfg_instance *in = &c->inst[c->n_inst];
		memset(in, 0, sizeof *in);
		snprintf(in->name, sizeof in->name, "%s", n);
		in->line = L->line;
		L->inst = (int)c->n_inst++;
		return;
	}
	err(L, L->line, "unknown section [%s]", name);
	L->in_known = false;
}

#define MAX_LINE 65536

size_t cfg_comment_at(const char *v, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if ((v[i] == ';' || v[i] == '#') && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			return i;
	return len;
}

/* One line of the file: blank, comment, [section] or key = value. */
static void parse_line(struct loader *L, char *line)
{
	char *t = cfg_trim(line);
	if (!*t || *t == ';' || *t == '#')
		return;
	if (*t == '[') {
		char *end = strchr(t, ']');
		if (!end || cfg_trim(end + 1)[0] != '\0') {
			err(L, L->line, "bad section header (expected [name])");
			L->in_known = false;
			return;
		}
		*end = '\0';
		on_section(L, cfg_trim(t + 1));
		return;
	}
	char *eq = strchr(t, '=');
	if (!eq) {
		err(L, L->line, "expected 'key = value'");
		return;
	}
	*eq = '\0';
	char *key = cfg_trim(t), *value = eq + 1;
	value[cfg_comment_at(value, strlen(value))] = '\0';
	if (!*key) {
		err(L, L->line, "missing key before '='");
		return;
	}
	if (L->section[0] == '\0') {
		err(L, L->line, "key '%s' outside of any section", key);
		return;
	}
	handler(L, L->section, key, cfg_trim(value));
}

static void parse_file(struct loader *L)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, L->fp)) >= 0) {
		L->line++;
		if (n > MAX_LINE) {
			err(L, L->line, "line longer than %d bytes", MAX_LINE);
			continue;
		}
		if (memchr(line, '\0', (size_t)n)) {
			err(L, L->line, "NUL byte in line");
			continue;
		}
		parse_line(L, line);
	}
	free(line);
	if (ferror(L->fp))
		err(L, L->line, "read error");
}

/* ---- after parsing ---- */

static bool prefixes_overlap(const struct ipprefix *a, const struct ipprefix *b)
{
	return prefix_contains(a, &b->addr) || prefix_contains(b, &a->addr);
}

static bool instances_overlap(const struct cfg_instance *a, const struct cfg_instance *b)
{
	bool ports = false;
	for (int i = 0; i < 8192 && !ports; i++)
		ports = (a->ports[i] & b->ports[i]) != 0;
	if (!ports)
		return false;
	if (a->n_addrs == 0 || b->n_addrs == 0)
		return true;
	for (unsigned i = 0; i < a->n_addrs; i++)
		for (unsigned j = 0; j < b->n_addrs; j++)
			if (prefixes_overlap(&a->addrs[i], &b->addrs[j]))
				return true;
	return false;
}

static void finish(struct loader *L)
{
	struct config *c = L->c;
	struct cfg_instance *def = &c->inst[0];
	if (L->general_ports)
		memcpy(def->ports, L->gen_ports, sizeof def->ports);
	if (c->n_inst == 1)
		return;
	/* Explicit instances replace the implicit default one. */
	for (unsigned i = 1; i < c->n_inst; i++) {
		struct cfg_instance *in = &c->inst[i];
		in->rules = def->rules;
		if (!L->inst_ports[i])
			memcpy(in->ports, def->ports, sizeof in->ports);
		for (unsigned k = 0; k < L->n_ov[i]; k++) {
			struct override *o = &L->ov[i][k];
			bool known;
			const char *m = set_rules_key(&in->rules, o->key, o->value, &known);
			if (m)
				err(L, o->line, "%s: %s", o->key, m);
		}
	}
	for (unsigned i = 1; i < c->n_inst; i++)
		for (unsigned j = i + 1; j < c->n_inst; j++)
			if (instances_overlap(&c->inst[i], &c->inst[j]))
				err(L, c->inst[j].line, "instance '%s' overlaps instance '%s' (line %d): same address and port",
				    c->inst[j].name, c->inst[i].name, c->inst[i].line);
	memmove(&c->inst[0], &c->inst[1], (c->n_inst - 1) * sizeof c->inst[0]);
	c->n_inst--;
}

static const char *const default_agents[] = {
	"friendly-scanner", "sipvicious", "sipcli", "sundayddr", "iWar",
	"SIPScan", "smap", "VaxSIPUserAgent", "PortSIP VoIP SDK", "Elite", "^pplsip",
};

struct config *cfg_defaults(void)
{
	struct config *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->n_ifaces = 1;
	strcpy(c->ifaces[0], "any");
	c->udp = c->tcp = true;
	c->max_tracked = 1000000;
	c->capture_buffer_mb = 64;
	c->retention_s = 90 * 86400;
	strcpy(c->database, CFG_DEFAULT_DB);
	strcpy(c->ctl_socket, CFG_DEFAULT_SOCKET);
	strcpy(c->fw_backend, "nftables");
	strcpy(c->fw_table, "sipwarden");
	c->keep_blocks_on_exit = true;
	c->aggregate_after = 5;
	c->aggregate_v4 = 24;
	c->aggregate_v6 = 64;
	c->tftp = (struct cfg_tftp){ .enabled = true, .bad_requests = { 10, 60 }, .distinct_files = { 20, 600 } };
	c->tftp.ports[69 >> 3] |= 1u << (69 & 7);
	c->dns = (struct cfg_dns){ .enabled = true, .block_zone_transfer = true, .block_fingerprinting = true,
	                           .any_queries = { 10, 60 }, .queries = { 100, 10 }, .refused = { 50, 60 } };
	c->dns.ports[53 >> 3] |= 1u << (53 & 7);
	cfg_notify_defaults(c);
	c->n_inst = 1;
	struct cfg_instance *in = &c->inst[0];
	strcpy(in->name, "default");
	in->ports[5060 >> 3] |= 1u << (5060 & 7);
	struct cfg_rules *r = &in->rules;
	r->bad_registrations = (struct cfg_rule){ 10, 60 };
	r->bad_invites = (struct cfg_rule){ 10, 60 };
	r->enumeration = (struct cfg_rule){ 20, 60 };
	r->anomalies = (struct cfg_rule){ 5, 60 };
	r->flood = (struct cfg_rule){ 200, 10 };
	r->invite_sweep = (struct cfg_rule){ 10, 60 };
	r->distributed_guessing = (struct cfg_rule){ 20, 600 };
	r->nat_tolerance = 3;
	r->block_time_s = 3600;
	for (unsigned i = 0; i < ARRAY_LEN(default_agents); i++)
		strcpy(r->agents[r->n_agents++], default_agents[i]);
	if (cfg_parse_prefixes("127.0.0.0/8, ::1", &c->whitelist)) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

struct config *cfg_load(const char *path, FILE *errs)
{
	struct loader *L = calloc(1, sizeof *L);
	struct config *c = cfg_defaults();
	if (!L || !c) {
		fprintf(errs, "%s: out of memory\n", path);
		free(L);
		cfg_free(c);
		return NULL;
	}
	L->c = c;
	L->path = path;
	L->errs = errs;
	L->inst = -1;
	L->in_known = false;
	snprintf(c->path, sizeof c->path, "%s", path);
	L->fp = fopen(path, "r");
	if (!L->fp) {
		fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		free(L);
		cfg_free(c);
		return NULL;
	}
	parse_file(L);
	fclose(L->fp);
	if (L->errors == 0)
		finish(L);
	int errors = L->errors;
	free(L);
	if (errors) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

void cfg_free(struct config *c)
{
	if (!c)
		return;
	free(c->whitelist.v);
	free(c->blacklist.v);
	free(c->peers.v);
	free(c->own.v);
	free(c);
}

void cfg_port_union(const struct config *c, uint8_t map[8192])
{
	memset(map, 0, 8192);
	for (unsigned i = 0; i < c->n_inst; i++)
		for (int b = 0; b < 8192; b++)
			map[b] |= c->inst[i].ports[b];
}

int cfg_instance_for(const struct config *c, const struct ipaddr *addr, uint16_t port)
{
	for (unsigned i = 0; i < c->n_inst; i++) {
		const struct cfg_instance *in = &c->inst[i];
		if (!cfg_port_test(in->ports, port))
			continue;
		if (in->n_addrs == 0)
			return (int)i;
		for (unsigned k = 0; k < in->n_addrs; k++)
			if (prefix_contains(&in->addrs[k], addr))
				return (int)i;
	}
	return -1;
}

bool cfg_prefixes_match(const struct cfg_prefixes *l, const struct ipaddr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (prefix_contains(&l->v[i], a))
			return true;
	return false;
}

long cfg_prefixes_find(const struct cfg_prefixes *l, const struct ipprefix *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].plen == p->plen && ip_eq(&l->v[i].addr, &p->addr))
			return (long)i;
	return -1;
}

int cfg_prefixes_add(struct cfg_prefixes *l, const struct ipprefix *p)
{
	if (cfg_prefixes_find(l, p) >= 0)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct ipprefix *nv = realloc(l->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *p;
	return 0;
}

bool cfg_prefixes_del(struct cfg_prefixes *l, const struct ipprefix *p)
{
	long i = cfg_prefixes_find(l, p);
	if (i < 0)
		return false;
	l->v[i] = l->v[--l->n];
	return true;
}

bool cfg_is_own(const struct config *c, const struct ipaddr *a)
{
	if (cfg_prefixes_match(&c->own, a))
		return true;
	for (unsigned i = 0; i < c->n_inst; i++)
		for (unsigned k = 0; k < c->inst[i].n_addrs; k++)
			if (c->inst[i].addrs[k].plen == 128 && ip_eq(&c->inst[i].addrs[k].addr, a))
				return true;
	return false;
}

bool cfg_is_peer(const struct config *c, uint32_t inst, const struct ipaddr *a)
{
	if (cfg_prefixes_match(&c->peers, a))
		return true;
	const struct cfg_instance *in = &c->inst[inst < c->n_inst ? inst : 0];
	for (unsigned k = 0; k < in->n_peers; k++)
		if (prefix_contains(&in->peers[k], a))
			return true;
	return false;
}

bool cfg_is_protected(const struct config *c, const struct ipaddr *a)
{
	bool known = c->own.n > 0;
	for (unsigned i = 0; i < c->n_inst && !known; i++)
		known = c->inst[i].n_addrs > 0;
	if (!known)
		return true;
	if (cfg_prefixes_match(&c->own, a))
		return true;
	for (unsigned i = 0; i < c->n_inst; i++)
		for (unsigned k = 0; k < c->inst[i].n_addrs; k++)
			if (prefix_contains(&c->inst[i].addrs[k], a))
				return true;
	return false;
}
