/* cfg_notify: the [notify] and [http] sections of the configuration. */
#include "cfg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void cfg_notify_defaults(struct config *c)
{
	struct cfg_notify *n = &c->notify;
	memset(n, 0, sizeof *n);
	n->per_attack = n->daily_summary = n->syslog = true;
	n->summary_minute = 7 * 60;
	strcpy(n->smtp_url, "smtp://localhost:25");
	n->smtp_starttls = CFG_TLS_AUTO;
	n->max_mails_per_hour = 20;
	n->digest_interval_s = 3600;
	strcpy(n->syslog_socket, "/dev/log");
	struct cfg_http *h = &c->http;
	memset(h, 0, sizeof *h);
	strcpy(h->listen, "127.0.0.1:8080");
	h->admin_login = (struct cfg_rule){ 5, 600 };
}

/* A plain mail address: local@domain, printable, no spaces, commas, quotes
 * or angle brackets (it goes into SMTP commands and headers as is). */
bool cfg_mail_address_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t n = strlen(a);
	if (!at || at == a || !at[1] || strchr(at + 1, '@') || n >= CFG_MAIL_LEN)
		return false;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>,;:\"\\()[]", *p))
			return false;
	return true;
}

enum cfg_starttls cfg_smtp_tls(const struct cfg_notify *n)
{
	bool creds = n->smtp_user[0] || n->smtp_password_file[0];
	return n->smtp_starttls == CFG_TLS_AUTO && creds ? CFG_TLS_REQUIRED : n->smtp_starttls;
}

const char *cfg_smtp_tls_note(const struct cfg_notify *n)
{
	if (n->smtp_starttls != CFG_TLS_AUTO || cfg_smtp_tls(n) != CFG_TLS_REQUIRED)
		return NULL;
	return "smtp_starttls = auto acts as required because SMTP credentials are set: "
	       "a server that offers no STARTTLS gets no mail (and no password)";
}

static const char *parse_rcpts(const char *v, struct cfg_notify *n)
{
	char buf[4096];
	if (strlen(v) >= sizeof buf)
		return "value too long";
	snprintf(buf, sizeof buf, "%s", v);
	n->n_rcpts = 0;
	for (char *s, *t = strtok_r(buf, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
		while (isspace((unsigned char)*t))
			t++;
		size_t len = strlen(t);
		while (len && isspace((unsigned char)t[len - 1]))
			t[--len] = '\0';
		if (!len)
			continue;
		if (!cfg_mail_address_ok(t))
			return "recipients must be mail addresses such as admin@example.com";
		if (n->n_rcpts == CFG_MAX_RCPTS)
			return "too many recipients (at most 32)";
		snprintf(n->rcpts[n->n_rcpts++], CFG_MAIL_LEN, "%s", t);
	}
	return NULL;
}

/* "HH:MM", local time. */
static const char *parse_clock(const char *v, uint32_t *minute)
{
	unsigned h, m;
	char end;
	if (sscanf(v, "%2u:%2u%c", &h, &m, &end) != 2 || h > 23 || m > 59)
		return "expected a time of day such as 07:00";
	*minute = h * 60 + m;
	return NULL;
}

static const char *parse_url(const char *v, char *out, size_t n, const char *const *schemes)
{
	if (!*v) {
		out[0] = '\0';
		return NULL;
	}
	if (strlen(v) >= n)
		return "URL too long";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return "URL must not contain spaces or control characters";
	for (; *schemes; schemes++)
		if (!strncasecmp(v, *schemes, strlen(*schemes)) && v[strlen(*schemes)]) {
			snprintf(out, n, "%s", v);
			return NULL;
		}
	return "unsupported URL scheme";
}

const char *cfg_set_notify(struct config *c, const char *k, const char *v, bool *known)
{
	static const char *const smtp[] = { "smtp://", "smtps://", NULL };
	static const char *const http[] = { "http://", "https://", NULL };
	struct cfg_notify *n = &c->notify;
	*known = true;
	if (!strcmp(k, "recipients")) return parse_rcpts(v, n);
	if (!strcmp(k, "per_attack")) return cfg_parse_bool(v, &n->per_attack);
	if (!strcmp(k, "daily_summary")) return cfg_parse_bool(v, &n->daily_summary);
	if (!strcmp(k, "daily_summary_time")) return parse_clock(v, &n->summary_minute);
	if (!strcmp(k, "syslog")) return cfg_parse_bool(v, &n->syslog);
	if (!strcmp(k, "syslog_socket")) return cfg_parse_path(v, n->syslog_socket, sizeof n->syslog_socket);
	if (!strcmp(k, "smtp_url")) {
		if (!*v)
			return "smtp_url must not be empty (smtp://host:port or smtps://host:port)";
		return parse_url(v, n->smtp_url, sizeof n->smtp_url, smtp);
	}
	if (!strcmp(k, "smtp_starttls")) {
		if (!strcmp(v, "auto")) n->smtp_starttls = CFG_TLS_AUTO;
		else if (!strcmp(v, "required")) n->smtp_starttls = CFG_TLS_REQUIRED;
		else if (!strcmp(v, "no")) n->smtp_starttls = CFG_TLS_NO;
		else return "smtp_starttls must be auto, required or no";
		return NULL;
	}
	if (!strcmp(k, "smtp_user")) {
		if (strlen(v) >= sizeof n->smtp_user)
			return "smtp_user too long";
		snprintf(n->smtp_user, sizeof n->smtp_user, "%s", v);
		return NULL;
	}
	if (!strcmp(k, "smtp_password_file")) {
		if (!*v) {
			n->smtp_password_file[0] = '\0';
			return NULL;
		}
		return cfg_parse_path(v, n->smtp_password_file, sizeof n->smtp_password_file);
	}
	if (!strcmp(k, "smtp_ca_file")) {
		if (!*v) {
			n->smtp_ca_file[0] = '\0';
			return NULL;
		}
		return cfg_parse_path(v, n->smtp_ca_file, sizeof n->smtp_ca_file);
	}
	if (!strcmp(k, "smtp_password"))
		return "the password does not belong in this file: put it in a file of its own (mode 0600) and name that in smtp_password_file";
	if (!strcmp(k, "from")) {
		if (*v && !cfg_mail_address_ok(v))
			return "from must be a mail address such as sipwarden@pbx1.example.com";
		snprintf(n->from, sizeof n->from, "%s", v);
		return NULL;
	}
	if (!strcmp(k, "max_mails_per_hour")) {
		const char *m = cfg_parse_u32(v, &n->max_mails_per_hour);
		return m ? m : n->max_mails_per_hour > 10000 ? "max_mails_per_hour must be 0 to 10000" : NULL;
	}
	if (!strcmp(k, "digest_interval")) {
		const char *m = cfg_parse_duration(v, &n->digest_interval_s);
		return m ? m : (n->digest_interval_s < 1 || n->digest_interval_s > 86400) ? "digest_interval must be 1s to 1d" : NULL;
	}
	if (!strcmp(k, "webhook_url")) return parse_url(v, n->webhook_url, sizeof n->webhook_url, http);
	*known = false;
	return NULL;
}

/* "HOST:PORT" with an IPv4 address or a bracketed IPv6 address, or "". */
static const char *parse_listen(const char *v, char *out, size_t n)
{
	if (!*v) {
		out[0] = '\0';
		return NULL;
	}
	const char *colon = strrchr(v, ':');
	unsigned port;
	char end;
	if (!colon || colon == v || sscanf(colon + 1, "%5u%c", &port, &end) != 1 || port == 0 || port > 65535)
		return "expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080";
	char host[64];
	size_t hl = (size_t)(colon - v);
	if (hl >= sizeof host || strlen(v) >= n)
		return "address too long";
	memcpy(host, v, hl);
	host[hl] = '\0';
	struct ipprefix p;
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return "expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080";
		host[hl - 1] = '\0';
		if (!prefix_parse(&p, host + 1) || p.plen != 128 || ip_is_v4(&p.addr))
			return "bad IPv6 address in brackets";
	} else if (!prefix_parse(&p, host) || p.plen != 128 || !ip_is_v4(&p.addr)) {
		return "expected ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080";
	}
	snprintf(out, n, "%s", v);
	return NULL;
}

/* "pbx.example.net, admin.example.net": host names (letters, digits, '-',
 * '.'), stored space separated. */
static const char *parse_names(const char *v, char *out, size_t n)
{
	size_t o = 0, count = 0;
	for (const char *p = v; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.')
				return "host names only (letters, digits, '-' and '.'), separated by commas";
		if (len >= 128 || ++count > 8 || o + len + 2 > n)
			return "at most 8 names of under 128 characters each";
		if (o)
			out[o++] = ' ';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	out[o] = '\0';
	return NULL;
}

/* Addresses or prefixes, separated by commas or spaces. */
static const char *parse_proxies(const char *v, struct cfg_http *h)
{
	char tok[64];
	h->n_trusted_proxies = 0;
	for (const char *p = v; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		if (h->n_trusted_proxies == ARRAY_LEN(h->trusted_proxies))
			return "at most 16 entries";
		if (len >= sizeof tok)
			return "address too long";
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (!prefix_parse(&h->trusted_proxies[h->n_trusted_proxies++], tok))
			return "expected addresses or prefixes such as 127.0.0.1, 2001:db8::/64";
		p += len;
	}
	return NULL;
}

const char *cfg_set_http(struct config *c, const char *k, const char *v, bool *known)
{
	struct cfg_http *h = &c->http;
	*known = true;
	if (!strcmp(k, "listen")) return parse_listen(v, h->listen, sizeof h->listen);
	if (!strcmp(k, "tls_cert")) return *v ? cfg_parse_path(v, h->tls_cert, sizeof h->tls_cert) : (h->tls_cert[0] = '\0', NULL);
	if (!strcmp(k, "tls_key")) return *v ? cfg_parse_path(v, h->tls_key, sizeof h->tls_key) : (h->tls_key[0] = '\0', NULL);
	if (!strcmp(k, "metrics_auth")) return cfg_parse_bool(v, &h->metrics_auth);
	if (!strcmp(k, "admin_login")) return cfg_parse_rule(v, &h->admin_login);
	if (!strcmp(k, "server_name")) return parse_names(v, h->server_name, sizeof h->server_name);
	if (!strcmp(k, "trusted_proxies")) return parse_proxies(v, h);
	if (!strcmp(k, "password_hash")) {
		if (*v && strncmp(v, "$argon2id$", 10))
			return "password_hash must be an argon2id hash: set it with `sipwarden passwd`";
		if (strlen(v) >= sizeof h->password_hash)
			return "password_hash too long";
		snprintf(h->password_hash, sizeof h->password_hash, "%s", v);
		return NULL;
	}
	*known = false;
	return NULL;
}
