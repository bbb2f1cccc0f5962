/* fw: backend choice, argument checks shared by every backend, the "none"
 * backend, and small helpers for the backends (fw_int.h). */
#include "fw_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the "none" backend: detect and report only ---- */

static int none_open(struct fw *f, char *err, size_t errlen)
{
	(void)f, (void)err, (void)errlen;
	return 0;
}

static int none_block(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen)
{
	(void)f, (void)v, (void)n, (void)err, (void)errlen;
	return 0;
}

static int none_unblock(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	(void)f, (void)v, (void)n, (void)err, (void)errlen;
	return 0;
}

static int none_list(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen)
{
	(void)f, (void)fn, (void)ctx, (void)err, (void)errlen;
	return 0;
}

static int none_flush(struct fw *f, char *err, size_t errlen)
{
	(void)f, (void)err, (void)errlen;
	return 0;
}

static void none_close(struct fw *f, bool remove)
{
	(void)f, (void)remove;
}

static const struct fw_backend fw_none_backend = {
	"none", none_open, none_block, none_unblock, none_list, none_flush, none_close, none_unblock,
};

static const struct fw_backend *const backends[] = {
	&fw_nft_backend, &fw_ipset_backend, &fw_none_backend,
};

/* ---- helpers for the backends ---- */

void fwb_append(struct fw_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void fwb_printf(struct fw_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->failed = true; /* every caller formats short pieces */
		return;
	}
	fwb_append(b, tmp, (size_t)n);
}

void fwb_reset(struct fw_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->p)
		b->p[0] = '\0';
}

void fwb_free(struct fw_buf *b)
{
	free(b->p);
	*b = (struct fw_buf){ 0 };
}

bool fw_port_range(const uint8_t map[8192], unsigned *pos, unsigned *lo, unsigned *hi)
{
	unsigned p = *pos;
	while (p < 65536 && !(map[p >> 3] & (1u << (p & 7))))
		p++;
	if (p >= 65536)
		return false;
	*lo = p;
	while (p < 65536 && (map[p >> 3] & (1u << (p & 7))))
		p++;
	*hi = p - 1;
	*pos = p;
	return true;
}

bool fw_is_v4(const struct ipprefix *p)
{
	return ip_is_v4(&p->addr);
}

void fw_set_err(char *err, size_t errlen, const char *what, const char *msg)
{
	if (!err || errlen == 0)
		return;
	const char *nl = strchr(msg, '\n');
	int n = nl ? (int)(nl - msg) : (int)strlen(msg);
	if (what)
		snprintf(err, errlen, "%s: %.*s", what, n, msg);
	else
		snprintf(err, errlen, "%.*s", n, msg);
}

/* ---- checks shared by every backend ---- */

/* Letters, digits, '_' and '-', starting with a letter or '_': safe inside
 * nft command text and as ipset/iptables names. */
static bool table_name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* A prefix we can hand to a backend: at most 128 bits, an IPv4 prefix
 * within the v4-mapped range, host bits zero, and not everything (/0). */
static bool prefix_ok(const struct ipprefix *p)
{
	if (p->plen > 128)
		return false;
	if (ip_is_v4(&p->addr) ? p->plen <= 96 : p->plen == 0)
		return false;
	for (unsigned i = p->plen; i < 128; i++)
		if (p->addr.b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

struct keyed {
	struct fw_entry e;
	size_t idx;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = memcmp(x->e.ip.addr.b, y->e.ip.addr.b, 16);
	if (c)
		return c;
	if (x->e.ip.plen != y->e.ip.plen)
		return x->e.ip.plen < y->e.ip.plen ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Checks n entries (ips alone when v is NULL) and returns a new array with
 * each prefix once (the last occurrence wins), its length in *out_n.
 * Returns NULL with a message on a bad entry or no memory. */
static struct keyed *dedup(const struct fw_entry *v, const struct ipprefix *ips, size_t n,
                           size_t *out_n, char *err, size_t errlen)
{
	struct keyed *k = malloc(n * sizeof *k);
	if (!k) {
		fw_set_err(err, errlen, NULL, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		k[i].e = v ? v[i] : (struct fw_entry){ ips[i], 0 };
		k[i].idx = i;
		if (!prefix_ok(&k[i].e.ip)) {
			char buf[IP_STRLEN];
			snprintf(err, errlen, "invalid prefix %s (length %u)",
			         ip_format(&k[i].e.ip.addr, buf), k[i].e.ip.plen);
			free(k);
			return NULL;
		}
	}
	qsort(k, n, sizeof *k, keyed_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool last = i + 1 == n || k[i + 1].e.ip.plen != k[i].e.ip.plen ||
		            !ip_eq(&k[i + 1].e.ip.addr, &k[i].e.ip.addr);
		if (last)
			k[m++] = k[i];
	}
	*out_n = m;
	return k;
}

/* ---- the interface ---- */

struct fw *fw_open(const struct fw_config *c, char *err, size_t errlen)
{
	const struct fw_backend *be = NULL;
	if (!memchr(c->backend, '\0', sizeof c->backend) || !memchr(c->table, '\0', sizeof c->table)) {
		snprintf(err, errlen, "firewall backend or table name too long");
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_LEN(backends); i++)
		if (!strcmp(c->backend, backends[i]->name))
			be = backends[i];
	if (!be) {
		snprintf(err, errlen, "unknown firewall backend \"%.16s\" (nftables, ipset or none)", c->backend);
		return NULL;
	}
	if (be != &fw_none_backend && !table_name_ok(c->table)) {
		snprintf(err, errlen, "invalid table name \"%.32s\" (letters, digits, _ and -)", c->table);
		return NULL;
	}
	if (be != &fw_none_backend && c->scope == FW_SCOPE_SERVICES) {
		unsigned pos = 0, lo, hi;
		if (!c->ports || !fw_port_range(c->ports, &pos, &lo, &hi) || (!c->udp && !c->tcp)) {
			snprintf(err, errlen, "scope services needs protected ports and udp or tcp");
			return NULL;
		}
	}
	struct fw *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->be = be;
	f->cfg = *c;
	if (c->ports)
		memcpy(f->ports, c->ports, sizeof f->ports);
	f->cfg.ports = f->ports;
	if (be->open(f, err, errlen) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

int fw_block(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	size_t m;
	struct keyed *k = dedup(v, NULL, n, &m, err, errlen);
	if (!k)
		return -1;
	struct fw_entry *e = malloc(m * sizeof *e);
	int rc = -1;
	if (e) {
		for (size_t i = 0; i < m; i++)
			e[i] = k[i].e;
		rc = f->be->block(f, e, m, err, errlen);
	} else {
		fw_set_err(err, errlen, NULL, "out of memory");
	}
	free(e);
	free(k);
	return rc;
}

int fw_unblock(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	size_t m;
	struct keyed *k = dedup(NULL, v, n, &m, err, errlen);
	if (!k)
		return -1;
	struct ipprefix *p = malloc(m * sizeof *p);
	int rc = -1;
	if (p) {
		for (size_t i = 0; i < m; i++)
			p[i] = k[i].e.ip;
		rc = f->be->unblock(f, p, m, err, errlen);
	} else {
		fw_set_err(err, errlen, NULL, "out of memory");
	}
	free(p);
	free(k);
	return rc;
}

/* a lies inside b (or is b) */
static bool within(const struct ipprefix *a, const struct ipprefix *b)
{
	return b->plen <= a->plen && prefix_contains(b, &a->addr);
}

int fw_allow(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	struct ipprefix *p = malloc((n ? n : 1) * sizeof *p);
	size_t m = 0;
	if (!p) {
		fw_set_err(err, errlen, NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct ipprefix x = v[i];
		for (unsigned b = x.plen; b < 128; b++) /* host bits off */
			x.addr.b[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		if (!prefix_ok(&x)) {
			char buf[IP_STRLEN];
			snprintf(err, errlen, "invalid prefix %s (length %u)", ip_format(&x.addr, buf), x.plen);
			free(p);
			return -1;
		}
		p[m++] = x;
	}
	/* interval sets refuse overlaps: keep only the outermost prefixes */
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		bool inner = false;
		for (size_t j = 0; j < m && !inner; j++)
			inner = j != i && within(&p[i], &p[j]) && (!within(&p[j], &p[i]) || j < i);
		if (!inner)
			p[k++] = p[i];
	}
	int rc = f->be->allow(f, p, k, err, errlen);
	free(p);
	return rc;
}

int fw_list(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen)
{
	return f->be->list(f, fn, ctx, err, errlen);
}

int fw_flush(struct fw *f, char *err, size_t errlen)
{
	return f->be->flush(f, err, errlen);
}

void fw_close(struct fw *f, bool remove)
{
	if (!f)
		return;
	f->be->close(f, remove);
	free(f);
}

const char *fw_backend_name(const struct fw *f)
{
	return f ? f->be->name : "none";
}
