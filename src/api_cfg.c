/* api_cfg: GET and PUT /api/config, and the validate, write and reload path
 * that the other handlers share.
 *
 * The config reader is the only judge of a value: each one is written as
 * "[section]\nkey = value\n" into a private temporary directory and loaded
 * with cfg_load; then an edited copy of the whole file is loaded too, before
 * the real file is touched.  Values are formatted back from struct config in
 * one canonical form (shortest duration, compressed port ranges), which the
 * reader reads back to the same setting; two values are the same setting
 * when their canonical forms are equal. */
#include "api_cfg.h"
#include "cfgedit.h"
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VAL_MAX 8192       /* a formatted value (64 agents, 32 recipients, ports) */
#define SHORT 63           /* longest number, duration, rule... (no reader truncates it) */
#define LONG 4095          /* config.c keeps at most this much of a value */
#define MAX_LINE_LEN 65536    /* config.c's longest line */
#define MAX_MEMBERS 64     /* members of a PUT body */

enum kind { K_PROTOCOLS, K_PORTS, K_DURATION, K_U32, K_RULE, K_BOOL, K_CLOCK, K_AGENTS, K_RCPTS, K_PREFIXES };

struct field {
	const char *section, *key;
	enum kind kind;
	size_t off;            /* of the value in struct config */
	size_t max;            /* longest value config.c reads whole (it truncates silently) */
	bool page;             /* a setting of the page: GET and PUT (else apicfg_apply only) */
};

#define OFF(m) offsetof(struct config, m)
#define RULE(k) { "sip", #k, K_RULE, OFF(inst[0].rules.k), SHORT, true }
#define BOOL(s, k, m) { s, #k, K_BOOL, OFF(m), SHORT, true }

static const struct field fields[] = {
	{ "general", "protocols", K_PROTOCOLS, 0, SHORT, true },
	{ "general", "sip_ports", K_PORTS, OFF(inst[0].ports), 511, true },
	{ "general", "block_time", K_DURATION, OFF(inst[0].rules.block_time_s), SHORT, true },
	{ "general", "block_threshold", K_U32, OFF(block_threshold), SHORT, true },
	RULE(bad_registrations), RULE(bad_invites), RULE(enumeration), RULE(anomalies), RULE(flood),
	{ "sip", "nat_tolerance", K_U32, OFF(inst[0].rules.nat_tolerance), SHORT, true },
	{ "sip", "blocked_user_agents", K_AGENTS, OFF(inst[0].rules), LONG, true },
	BOOL("tftp", enabled, tftp.enabled),
	BOOL("dns", enabled, dns.enabled),
	BOOL("notify", daily_summary, notify.daily_summary),
	BOOL("notify", per_attack, notify.per_attack),
	{ "notify", "daily_summary_time", K_CLOCK, OFF(notify.summary_minute), SHORT, true },
	{ "notify", "max_mails_per_hour", K_U32, OFF(notify.max_mails_per_hour), SHORT, true },
	{ "notify", "recipients", K_RCPTS, OFF(notify), LONG, true },
	{ "lists", "whitelist", K_PREFIXES, OFF(whitelist), LONG, false },
	{ "lists", "blacklist", K_PREFIXES, OFF(blacklist), LONG, false },
};

#define NFIELDS ARRAY_LEN(fields)

static const struct field *find_field(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		size_t sl = strlen(fields[i].section);
		if (!strncmp(name, fields[i].section, sl) && name[sl] == '.' && !strcmp(name + sl + 1, fields[i].key))
			return &fields[i];
	}
	return NULL;
}

/* ---- canonical values ---- */

/* A string being built; len == cap once it overflowed. */
struct sbuf {
	char *p;
	size_t cap, len;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = n < 0 || (size_t)n >= b->cap - b->len ? b->cap : b->len + (size_t)n;
}

/* The shortest form: the largest unit that divides it ("1h", "90s", "2d"). */
static void fmt_duration(struct sbuf *b, uint32_t s)
{
	static const struct { uint32_t mul; char unit; } u[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' } };
	for (size_t i = 0; i < ARRAY_LEN(u); i++)
		if (s && s % u[i].mul == 0) {
			sb_add(b, "%u%c", s / u[i].mul, u[i].unit);
			return;
		}
	sb_add(b, "%us", s);
}

static void fmt_ports(struct sbuf *b, const uint8_t *map, const char *sep)
{
	const char *s = "";
	for (uint32_t p = 0; p <= 65535; p++) {
		if (!cfg_port_test(map, (uint16_t)p))
			continue;
		uint32_t hi = p;
		while (hi < 65535 && cfg_port_test(map, (uint16_t)(hi + 1)))
			hi++;
		if (hi > p)
			sb_add(b, "%s%u-%u", s, p, hi);
		else
			sb_add(b, "%s%u", s, p);
		s = sep;
		p = hi;
	}
}

/* n strings of stride bytes each, joined by sep. */
static void fmt_strings(struct sbuf *b, const char *v, size_t stride, unsigned n, const char *sep)
{
	for (unsigned i = 0; i < n; i++)
		sb_add(b, "%s%s", i ? sep : "", v + i * stride);
}

static void fmt_prefixes(struct sbuf *b, const struct cfg_prefixes *l, const char *sep)
{
	for (size_t i = 0; i < l->n; i++) {
		char ip[IP_STRLEN];
		sb_add(b, "%s%s", i ? sep : "", prefix_format(&l->v[i], ip));
	}
}

static void fmt_value(struct sbuf *b, const struct config *c, const struct field *f, const char *sep)
{
	const void *at = (const char *)c + f->off;
	const uint32_t *u = at;
	const struct cfg_rule *r = at;
	const struct cfg_rules *rs = at;
	const struct cfg_notify *nt = at;
	switch (f->kind) {
	case K_PROTOCOLS: sb_add(b, "%s", c->udp && c->tcp ? "udp, tcp" : c->udp ? "udp" : "tcp"); break;
	case K_PORTS: fmt_ports(b, at, sep); break;
	case K_DURATION: fmt_duration(b, *u); break;
	case K_U32: sb_add(b, "%u", *u); break;
	case K_RULE:
		if (!r->count) {
			sb_add(b, "off");
			break;
		}
		sb_add(b, "%u/", r->count);
		fmt_duration(b, r->window_s);
		break;
	case K_BOOL: sb_add(b, "%s", *(const bool *)at ? "yes" : "no"); break;
	case K_CLOCK: sb_add(b, "%02u:%02u", *u / 60, *u % 60); break;
	case K_AGENTS: fmt_strings(b, rs->agents[0], sizeof rs->agents[0], rs->n_agents, sep); break;
	case K_RCPTS: fmt_strings(b, nt->rcpts[0], sizeof nt->rcpts[0], nt->n_rcpts, sep); break;
	case K_PREFIXES: fmt_prefixes(b, at, sep); break;
	}
}

/* The value of f in c as it would be written in the file, into out
 * (VAL_MAX bytes): lists joined by ", ", or by "," where that is too long
 * for the reader. */
static void canon(const struct config *c, const struct field *f, char *out)
{
	struct sbuf b = { out, VAL_MAX, 0 };
	out[0] = '\0';
	fmt_value(&b, c, f, ", ");
	if (b.len > f->max) {
		b.len = 0;
		out[0] = '\0';
		fmt_value(&b, c, f, ",");
	}
}

/* ---- a private temporary directory ---- */

struct ws {
	char dir[40];
};

static int ws_open(struct ws *w)
{
	snprintf(w->dir, sizeof w->dir, "/tmp/sipwarden-cfg.XXXXXX");
	if (mkdtemp(w->dir))
		return 0;
	w->dir[0] = '\0';
	return -1;
}

static void ws_path(const struct ws *w, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", w->dir, name);
}

/* Removes the directory with whatever is in it (cfgedit's temporary and
 * backup files included). */
static void ws_close(struct ws *w)
{
	if (!w->dir[0])
		return;
	DIR *d = opendir(w->dir);
	struct dirent *de;
	char p[320];
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			ws_path(w, de->d_name, p, sizeof p);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(w->dir);
	w->dir[0] = '\0';
}

/* ---- the reader ---- */

/* cfg_load with its messages in *msgs (malloc'd or NULL; free it). */
static struct config *load_quiet(const char *path, char **msgs)
{
	size_t n;
	*msgs = NULL;
	FILE *f = open_memstream(msgs, &n);
	if (!f)
		return NULL;
	struct config *c = cfg_load(path, f);
	fclose(f);
	return c;
}

/* The first message of msgs without its "path:line: " into out; *line is
 * the line, or 0. */
static void reader_msg(const char *msgs, const char *path, char *out, size_t n, int *line)
{
	const char *m = msgs ? msgs : "";
	size_t pl = strlen(path);
	*line = 0;
	if (!strncmp(m, path, pl) && m[pl] == ':') {
		char *end;
		m += pl + 1;
		long ln = strtol(m, &end, 10);
		if (end != m && *end == ':') {
			*line = (int)ln;
			m = end + 1;
		}
		while (*m == ' ')
			m++;
	}
	int len = (int)strcspn(m, "\n");
	snprintf(out, n, "%.*s", len, len ? m : "the configuration could not be read");
}

static int write_text(FILE *fp, const char *section, const char *key, const char *value)
{
	return fprintf(fp, "[%s]\n%s = %s\n", section, key, value) < 0 ? -1 : 0;
}

/* The [general], [sip], ... values of the file at cfg_path, read as if it had
 * no [instance] sections (for comparison, and for GET with instances);
 * NULL when that fails. */
static struct config *load_base(const struct ws *w, const char *cfg_path)
{
	char err[256], path[64], *v = malloc(MAX_LINE_LEN), *msgs;
	struct cfge *e = v ? cfge_open(cfg_path, err, sizeof err) : NULL;
	ws_path(w, "base", path, sizeof path);
	FILE *fp = e ? fopen(path, "w") : NULL;
	bool ok = fp != NULL;
	for (size_t i = 0; ok && i < NFIELDS; i++)
		if (cfge_get(e, fields[i].section, fields[i].key, v, MAX_LINE_LEN))
			ok = write_text(fp, fields[i].section, fields[i].key, v) == 0;
	if (fp && fclose(fp) != 0)
		ok = false;
	cfge_close(e);
	free(v);
	if (!ok)
		return NULL;
	struct config *c = load_quiet(path, &msgs);
	free(msgs);
	return c;
}

/* ---- one request ---- */

struct job {
	struct daemon *d;
	struct http_reply *out;
	bool page_only;                /* PUT: the page's settings only */
	size_t n;
	const char *const *keys, *const *values;
	const struct field *f[NFIELDS];
	bool changed[NFIELDS];         /* differs from the file */
	struct ws ws;
	struct config *base;           /* the file's values; NULL: unknown */
	struct cfge *scratch;          /* an empty editor: does cfgedit take a value? */
	char *val;                     /* 2 * VAL_MAX */
};

static int fail(struct job *j, int status, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct job *j, int status, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	http_reply_json_error(j->out, status, msg, field);
	return -1;
}

/* keys[i] names a known setting, given once. */
static int check_name(struct job *j, size_t i)
{
	const char *k = j->keys[i];
	const struct field *f = find_field(k);
	if (!f || (j->page_only && !f->page))
		return fail(j, 400, k, "unknown setting");
	for (size_t p = 0; p < i && p < NFIELDS; p++)
		if (j->f[p] == f)
			return fail(j, 400, k, "given twice");
	if (i >= NFIELDS) /* cannot happen: some key above was new or unknown */
		return fail(j, 400, k, "too many settings");
	j->f[i] = f;
	return 0;
}

/* No control characters, not too long for the reader, and cfgedit can write
 * it so that the reader reads it back unchanged. */
static int check_text(struct job *j, size_t i)
{
	const char *v = j->values[i];
	const struct field *f = j->f[i];
	char err[512];
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(j, 400, j->keys[i], "%s: control characters are not allowed", f->key);
	if (strlen(v) > f->max)
		return fail(j, 400, j->keys[i], "%s: value too long (at most %zu characters)", f->key, f->max);
	if (cfge_set(j->scratch, f->section, f->key, v, err, sizeof err) != 0) {
		const char *m = strstr(err, "] ");
		return fail(j, 400, j->keys[i], "%s", m ? m + 2 : err);
	}
	return 0;
}

/* The reader's verdict on the value alone; notes whether it changes the file. */
static int check_reader(struct job *j, size_t i)
{
	const struct field *f = j->f[i];
	char path[64], msg[512], *msgs;
	int line;
	ws_path(&j->ws, "field", path, sizeof path);
	FILE *fp = fopen(path, "w");
	bool ok = fp && write_text(fp, f->section, f->key, j->values[i]) == 0;
	if ((fp && fclose(fp) != 0) || !ok)
		return fail(j, 500, NULL, "cannot write a temporary file in %s", j->ws.dir);
	struct config *c = load_quiet(path, &msgs);
	if (!c) {
		reader_msg(msgs, path, msg, sizeof msg, &line);
		free(msgs);
		return fail(j, 400, j->keys[i], "%s", msg);
	}
	free(msgs);
	j->changed[i] = true;
	if (j->base) {
		canon(c, f, j->val);
		canon(j->base, f, j->val + VAL_MAX);
		j->changed[i] = strcmp(j->val, j->val + VAL_MAX) != 0;
	}
	cfg_free(c);
	return 0;
}

/* Sets the changed keys in the file at path and writes it (cfgedit). */
static int edit(const struct job *j, const char *path, char *err, size_t errlen)
{
	struct cfge *e = cfge_open(path, err, errlen);
	if (!e)
		return -1;
	int rc = 0;
	for (size_t i = 0; !rc && i < j->n; i++)
		if (j->changed[i])
			rc = cfge_set(e, j->f[i]->section, j->f[i]->key, j->values[i], err, errlen);
	if (!rc)
		rc = cfge_write(e, err, errlen);
	cfge_close(e);
	return rc;
}

/* Copies the file from (missing: empty) to the new file to. */
static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "r");
	bool missing = !in && errno == ENOENT;
	FILE *out = fopen(to, "w");
	int rc = out && (in || missing) ? 0 : -1;
	while (!rc && in && (n = fread(buf, 1, sizeof buf, in)) > 0)
		rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
	if (in && ferror(in))
		rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	if (rc)
		snprintf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
	return rc;
}

/* The whole file with the changes must load: 400 without field if not. */
static int check_whole(struct job *j)
{
	char path[64], err[512], msg[512], *msgs;
	int line;
	ws_path(&j->ws, "whole", path, sizeof path);
	if (copy_file(j->d->cfg_path, path, err, sizeof err) != 0 || edit(j, path, err, sizeof err) != 0)
		return fail(j, 500, NULL, "cannot check the edited file: %s", err);
	struct config *c = load_quiet(path, &msgs);
	if (c) {
		cfg_free(c);
		free(msgs);
		return 0;
	}
	reader_msg(msgs, path, msg, sizeof msg, &line);
	free(msgs);
	if (line)
		return fail(j, 400, NULL, "%s:%d (as edited): %s", j->d->cfg_path, line, msg);
	return fail(j, 400, NULL, "%s", msg);
}

/* Puts PATH.bak (the file before cfge_write) back in place. */
static bool restore(const char *cfg_path)
{
	char target[PATH_MAX], bak[PATH_MAX + 8];
	if (!realpath(cfg_path, target))
		return false;
	snprintf(bak, sizeof bak, "%s.bak", target);
	return rename(bak, target) == 0;
}

/* Writes the changed keys into the real file and reloads the daemon. */
static int commit(struct job *j)
{
	char err[512], *msgs = NULL;
	size_t len;
	bool any = false;
	for (size_t i = 0; i < j->n; i++)
		any |= j->changed[i];
	FILE *errs = open_memstream(&msgs, &len);
	if (!errs)
		return fail(j, 500, NULL, "out of memory");
	if (any && edit(j, j->d->cfg_path, err, sizeof err) != 0) {
		fclose(errs);
		free(msgs);
		return fail(j, 500, NULL, "cannot write the configuration: %s", err);
	}
	int rc = daemon_reload(j->d, errs);
	fclose(errs);
	if (rc == 0) {
		free(msgs);
		j->out->status = 200;
		http_reply_printf(j->out, "{\"ok\":true}");
		return 0;
	}
	bool back = any && restore(j->d->cfg_path);
	len = msgs ? strlen(msgs) : 0;
	while (len && msgs[len - 1] == '\n')
		msgs[--len] = '\0';
	fail(j, 500, NULL, "the settings did not apply%s: %s",
	     !any ? "" : back ? " (the previous file is back)" : " and the previous file could not be put back",
	     msgs ? msgs : "reload failed");
	free(msgs);
	return -1;
}

static int prepare(struct job *j)
{
	char path[64], err[256];
	j->val = malloc(2 * VAL_MAX);
	if (!j->val || ws_open(&j->ws) != 0)
		return fail(j, 500, NULL, "cannot create a temporary directory under /tmp");
	ws_path(&j->ws, "none", path, sizeof path);
	j->scratch = cfge_open(path, err, sizeof err);
	if (!j->scratch)
		return fail(j, 500, NULL, "%s", err);
	if (j->d->cfg_path)
		j->base = load_base(&j->ws, j->d->cfg_path);
	return 0;
}

static int apply(struct job *j)
{
	if (prepare(j) != 0)
		return -1;
	for (size_t i = 0; i < j->n; i++)
		if (check_name(j, i) || check_text(j, i) || check_reader(j, i))
			return -1;
	if (!j->d->cfg_path)
		return fail(j, 409, NULL, "sipwarden runs on its built-in defaults: start it with -c FILE to save settings");
	if (check_whole(j) != 0)
		return -1;
	return commit(j);
}

static int run(struct daemon *d, bool page_only, size_t n, const char *const keys[],
               const char *const values[], struct http_reply *out)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		out->failed = true;
		return -1;
	}
	*j = (struct job){ .d = d, .out = out, .page_only = page_only, .n = n, .keys = keys, .values = values };
	apply(j);
	ws_close(&j->ws);
	cfge_close(j->scratch);
	cfg_free(j->base);
	free(j->val);
	free(j);
	return out->failed ? -1 : 0;
}

int apicfg_apply(struct daemon *d, size_t n, const char *const keys[], const char *const values[],
                 struct http_reply *out)
{
	return run(d, false, n, keys, values, out);
}

/* ---- GET ---- */

int apicfg_get(struct daemon *d, struct http_reply *out)
{
	struct ws w = { "" };
	struct config *base = NULL;
	char *v = malloc(VAL_MAX);
	/* with [instance] sections inst[0] is the first instance, overrides
	 * included: show what [general] and [sip] say */
	if (v && d->cfg_path && d->cfg->inst[0].line != 0 && ws_open(&w) == 0)
		base = load_base(&w, d->cfg_path);
	const struct config *c = base ? base : d->cfg;
	out->status = 200;
	http_reply_printf(out, "{");
	for (size_t i = 0, first = 1; v && i < NFIELDS; i++) {
		if (!fields[i].page)
			continue;
		canon(c, &fields[i], v);
		http_reply_printf(out, "%s\"%s.%s\":", first ? "" : ",", fields[i].section, fields[i].key);
		http_reply_json_str(out, v);
		first = 0;
	}
	http_reply_printf(out, "}");
	if (!v)
		out->failed = true;
	cfg_free(base);
	ws_close(&w);
	free(v);
	return out->failed ? -1 : 0;
}

/* ---- PUT: the flat JSON object ---- */

/* Raw spans of one member: the key and, when str, the value, both with
 * their quotes. */
struct member {
	const char *k, *v;
	size_t kl, vl;
	bool str;
};

static const char *jws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *jstr_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == e)
			return NULL;
	}
	return NULL;
}

/* One member at *pp; false when malformed.  A value that is not a string is
 * left unscanned (the caller stops there). */
static bool jmember(const char **pp, const char *e, struct member *m)
{
	const char *p = *pp;
	if (p == e || *p != '"' || !(m->k = p, p = jstr_end(p, e)))
		return false;
	m->kl = (size_t)(p - m->k);
	p = jws(p, e);
	if (p == e || *p++ != ':')
		return false;
	p = jws(p, e);
	if (p == e)
		return false;
	m->v = p;
	m->str = *p == '"';
	if (m->str && !(p = jstr_end(p, e)))
		return false;
	m->vl = m->str ? (size_t)(p - m->v) : 0;
	*pp = p;
	return true;
}

/* Splits the object body[0..len) into m[]: the count, -1 when malformed,
 * -2 when more than max.  Stops after a member whose value is no string. */
static int split_members(const char *body, size_t len, struct member *m, int max)
{
	const char *e = body + len, *p = jws(body, e);
	int n = 0;
	if (p == e || *p++ != '{')
		return -1;
	p = jws(p, e);
	if (p < e && *p == '}')
		return jws(p + 1, e) == e ? 0 : -1;
	for (;;) {
		if (n == max)
			return -2;
		if (!jmember(&p, e, &m[n]))
			return -1;
		if (!m[n++].str)
			return n;
		p = jws(p, e);
		if (p < e && *p == ',') {
			p = jws(p + 1, e);
			continue;
		}
		return p < e && *p == '}' && jws(p + 1, e) == e ? n : -1;
	}
}

/* Decodes the JSON string raw[0..len) (quotes included) into out, which has
 * len bytes (the decoded text is shorter). */
static bool jdecode(const char *raw, size_t len, char *out)
{
	char *obj = malloc(len + 8);
	if (!obj)
		return false;
	memcpy(obj, "{\"v\":", 5);
	memcpy(obj + 5, raw, len);
	obj[5 + len] = '}';
	int rc = http_json_get(obj, len + 6, "v", out, len);
	free(obj);
	return rc == 1;
}

/* Decodes the members into buf (len + 1 bytes: never more than the body). */
static int decode_members(const struct member *m, int n, char *buf, const char *keys[],
                          const char *vals[], struct http_reply *out)
{
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		char *k = buf + used;
		if (!jdecode(m[i].k, m[i].kl, k)) {
			http_reply_json_error(out, 400, "malformed JSON: a member name is not a valid string", NULL);
			return -1;
		}
		used += strlen(k) + 1;
		if (!m[i].str) {
			http_reply_json_error(out, 400, "the value must be a string", k);
			return -1;
		}
		char *v = buf + used;
		if (!jdecode(m[i].v, m[i].vl, v)) {
			http_reply_json_error(out, 400, "malformed JSON string (or a NUL character)", k);
			return -1;
		}
		used += strlen(v) + 1;
		keys[i] = k;
		vals[i] = v;
	}
	return 0;
}

int apicfg_put(struct daemon *d, const char *body, size_t len, struct http_reply *out)
{
	struct member m[MAX_MEMBERS];
	const char *keys[MAX_MEMBERS], *vals[MAX_MEMBERS];
	int n = split_members(body, len, m, MAX_MEMBERS);
	if (n < 0) {
		http_reply_json_error(out, 400, n == -2 ? "too many settings" :
		                      "malformed JSON: expected one flat object of strings", NULL);
		return out->failed ? -1 : 0;
	}
	char *buf = malloc(len + 1);
	if (!buf) {
		out->failed = true;
		return -1;
	}
	int rc = 0;
	if (decode_members(m, n, buf, keys, vals, out) == 0)
		rc = run(d, true, (size_t)n, keys, vals, out);
	free(buf);
	return rc < 0 || out->failed ? -1 : 0;
}
