/* cfg_value: the value parsers of the configuration reader: numbers,
 * durations, booleans, paths, sizes, COUNT/WINDOW rules, port lists,
 * address lists, user agents and call destinations.  Each returns NULL on
 * success or a message for "file:line: key: message". */
#include "agent.h"
#include "cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *cfg_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

const char *cfg_parse_u32(const char *v, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return "expected a whole number";
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || x > UINT32_MAX)
		return "number out of range";
	if (*end)
		return "expected a whole number";
	*out = (uint32_t)x;
	return NULL;
}

const char *cfg_parse_duration(const char *v, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return "expected a duration such as 30s, 10m, 1h or 2d";
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	unsigned long long mul = 1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return "expected a duration such as 30s, 10m, 1h or 2d";
	}
	if (*end && end[1])
		return "expected a duration such as 30s, 10m, 1h or 2d";
	if (errno || x * mul > UINT32_MAX || x > UINT32_MAX)
		return "duration out of range";
	*out = (uint32_t)(x * mul);
	return NULL;
}

const char *cfg_parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return "expected yes or no";
	return NULL;
}

const char *cfg_parse_path(const char *v, char *out, size_t n)
{
	if (*v != '/')
		return "expected an absolute path";
	if (strlen(v) >= n)
		return "path too long";
	snprintf(out, n, "%s", v);
	return NULL;
}

/* A size in MiB: "64", "64M", "1G". */
const char *cfg_parse_size_mb(const char *v, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return "expected a size such as 64M or 1G";
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	unsigned long long mul = 1;
	if (*end == 'G' || *end == 'g')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	if (*end)
		return "expected a size such as 64M or 1G";
	if (errno || x > (1u << 20) / mul) /* checked before multiplying: no wrap */
		return "size out of range";
	*out = (uint32_t)(x * mul);
	return NULL;
}

const char *cfg_parse_rule(const char *v, struct cfg_rule *r)
{
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		r->count = 0;
		r->window_s = 60;
		return NULL;
	}
	char tmp[64];
	const char *slash = strchr(v, '/');
	if (!slash || (size_t)(slash - v) >= sizeof tmp)
		return "expected COUNT/WINDOW such as 10/1m, or off";
	memcpy(tmp, v, (size_t)(slash - v));
	tmp[slash - v] = '\0';
	uint32_t count, win;
	if (cfg_parse_u32(cfg_trim(tmp), &count) || count > 65535)
		return "rule count must be a number from 0 to 65535";
	char wtmp[64];
	if (strlen(slash + 1) >= sizeof wtmp)
		return "rule window must be a duration from 1s to 1d";
	snprintf(wtmp, sizeof wtmp, "%s", slash + 1);
	if (cfg_parse_duration(cfg_trim(wtmp), &win) || win == 0 || win > 86400)
		return "rule window must be a duration from 1s to 1d";
	r->count = count;
	r->window_s = win;
	return NULL;
}

const char *cfg_parse_ports(const char *v, uint8_t map[8192])
{
	char buf[512];
	if (strlen(v) >= sizeof buf)
		return "value too long";
	snprintf(buf, sizeof buf, "%s", v);
	memset(map, 0, 8192);
	bool any = false;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = cfg_trim(tok);
		char *dash = strchr(tok, '-');
		uint32_t lo, hi;
		if (dash) {
			*dash = '\0';
			if (cfg_parse_u32(cfg_trim(tok), &lo) || cfg_parse_u32(cfg_trim(dash + 1), &hi))
				return "expected ports such as 5060, 5080-5082";
		} else if (cfg_parse_u32(tok, &lo)) {
			return "expected ports such as 5060, 5080-5082";
		} else {
			hi = lo;
		}
		if (lo == 0 || hi > 65535 || lo > hi)
			return "port out of range (1-65535, low-high)";
		for (uint32_t p = lo; p <= hi; p++)
			map[p >> 3] |= (uint8_t)(1u << (p & 7));
		any = true;
	}
	return any ? NULL : "at least one port is needed";
}

const char *cfg_parse_prefixes(const char *v, struct cfg_prefixes *l)
{
	char *buf = strdup(v);
	const char *msg = NULL;
	if (!buf)
		return "out of memory";
	l->n = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok && !msg; tok = strtok_r(NULL, ",", &save)) {
		tok = cfg_trim(tok);
		struct ipprefix p;
		if (!*tok)
			continue;
		if (!prefix_parse(&p, tok)) {
			msg = "expected addresses or CIDR prefixes (host bits zero), comma-separated";
			break;
		}
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 16;
			struct ipprefix *nv = realloc(l->v, ncap * sizeof *nv);
			if (!nv) {
				msg = "out of memory";
				break;
			}
			l->v = nv;
			l->cap = ncap;
		}
		l->v[l->n++] = p;
	}
	free(buf);
	return msg;
}

const char *cfg_parse_agents(const char *v, struct cfg_rules *r)
{
	char buf[4096];
	if (strlen(v) >= sizeof buf)
		return "value too long";
	snprintf(buf, sizeof buf, "%s", v);
	r->n_agents = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = cfg_trim(tok);
		if (!*tok)
			continue;
		if (r->n_agents == CFG_MAX_AGENTS)
			return "too many blocked user agents (at most 64)";
		if (strlen(tok) >= CFG_AGENT_LEN)
			return "a blocked user agent is longer than 63 characters";
		const char *err = agent_check(tok);
		if (err)
			return err;
		snprintf(r->agents[r->n_agents++], CFG_AGENT_LEN, "%s", tok);
	}
	return NULL;
}

/* "00*, 011*, +*": prefixes (trailing '*') or exact numbers. */
const char *cfg_parse_dests(const char *v, struct cfg_rules *r)
{
	char buf[2048];
	if (strlen(v) >= sizeof buf)
		return "value too long";
	snprintf(buf, sizeof buf, "%s", v);
	r->n_dests = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = cfg_trim(tok);
		if (!*tok)
			continue;
		size_t n = strlen(tok);
		if (r->n_dests == CFG_MAX_DESTS)
			return "too many blocked destinations (at most 32)";
		if (n >= CFG_DEST_LEN || strspn(tok, "0123456789+*#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != n ||
		    (strchr(tok, '*') && strchr(tok, '*') != tok + n - 1) || !strcmp(tok, "*"))
			return "destinations are numbers or prefixes ending in '*' (such as 00*, 011*, +*)";
		snprintf(r->dests[r->n_dests++], CFG_DEST_LEN, "%s", tok);
	}
	return NULL;
}

