/* http_guard: Host/Origin names, X-Forwarded-For, login lockout and the
 * blocked set of the HTTP layer.  Pure: no MHD, no I/O, no clock. */
#include "http_guard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Host and Origin ---- */

/* "host", "host:port", "[v6]" or "[v6]:port" of s[0..len) into host (the
 * brackets kept, one trailing dot dropped) and *port (-1 when none). */
static bool split_host(const char *s, size_t len, char host[HG_NAME_LEN], long *port)
{
	size_t hl;
	*port = -1;
	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);
		if (!rb)
			return false;
		hl = (size_t)(rb - s) + 1;
	} else {
		const char *colon = memchr(s, ':', len);
		hl = colon ? (size_t)(colon - s) : len;
	}
	if (hl == 0 || hl >= HG_NAME_LEN)
		return false;
	if (hl < len) {
		if (s[hl] != ':' || len - hl < 2 || len - hl > 6)
			return false;
		long p = 0;
		for (size_t i = hl + 1; i < len; i++) {
			if (!isdigit((unsigned char)s[i]))
				return false;
			p = p * 10 + (s[i] - '0');
		}
		if (p > 65535)
			return false;
		*port = p;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl > 1 && host[hl - 1] == '.')
		host[hl - 1] = '\0';
	for (size_t i = 0; host[i]; i++)
		if ((unsigned char)host[i] <= ' ' || (unsigned char)host[i] >= 0x7f)
			return false;
	return true;
}

/* The address of an IP literal host ("198.51.100.1", "[2001:db8::1]"). */
static bool host_ip(const char *host, struct ipaddr *a)
{
	char buf[HG_NAME_LEN];
	size_t n = strlen(host);
	if (host[0] != '[')
		return strchr(host, ':') == NULL && ip_parse(a, host) && ip_is_v4(a);
	if (n < 3 || host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	return ip_parse(a, buf) && !ip_is_v4(a);
}

static bool is_loopback(const struct ipaddr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	return (ip_is_v4(a) && a->b[12] == 127) || !memcmp(a->b, v6lo, 16);
}

static bool is_any(const struct ipaddr *a)
{
	static const uint8_t zero[16];
	return (ip_is_v4(a) && !memcmp(a->b + 12, zero, 4)) || !memcmp(a->b, zero, 16);
}

bool hg_names_init(struct hg_names *n, const char *listen, const char *server_names)
{
	char host[HG_NAME_LEN];
	long port;
	struct ipaddr a;
	memset(n, 0, sizeof *n);
	if (!listen || !split_host(listen, strlen(listen), host, &port) || port < 0 || !host_ip(host, &a))
		return false;
	snprintf(n->listen, sizeof n->listen, "%s", host);
	n->port = (uint16_t)port;
	n->loopback = is_loopback(&a);
	n->wildcard = is_any(&a);
	for (const char *p = server_names ? server_names : ""; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		if (n->n == HG_MAX_NAMES || !split_host(p, len, n->server[n->n], &port) || port >= 0)
			return false;
		n->n++;
		p += len;
	}
	return true;
}

static bool host_eq(const char *a, const char *b)
{
	struct ipaddr x, y;
	if (host_ip(a, &x) && host_ip(b, &y))
		return ip_eq(&x, &y);
	return !strcasecmp(a, b);
}

static bool authority_ok(const struct hg_names *n, const char *s, size_t len)
{
	char host[HG_NAME_LEN];
	long port;
	struct ipaddr a;
	if (!split_host(s, len, host, &port))
		return false;
	for (unsigned i = 0; i < n->n; i++)
		if (!strcasecmp(host, n->server[i]))
			return true;
	if (port >= 0 && port != n->port)
		return false;
	if (host_eq(host, n->listen))
		return true;
	bool lit = host_ip(host, &a);
	if (n->loopback && ((lit && is_loopback(&a)) || !strcasecmp(host, "localhost")))
		return true;
	return n->wildcard && lit;
}

bool hg_host_ok(const struct hg_names *n, const char *host)
{
	return host && authority_ok(n, host, strlen(host));
}

bool hg_origin_ok(const struct hg_names *n, const char *origin)
{
	if (!origin)
		return false;
	const char *p = origin;
	if (!strncasecmp(p, "http://", 7))
		p += 7;
	else if (!strncasecmp(p, "https://", 8))
		p += 8;
	else
		return false;
	size_t len = strcspn(p, "/?#");
	if (memchr(p, '@', len))
		return false;
	return authority_ok(n, p, len);
}

/* ---- X-Forwarded-For ---- */

bool hg_trusted(const struct ipprefix *t, size_t n, const struct ipaddr *a)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_contains(&t[i], a))
			return true;
	return false;
}

/* One entry of X-Forwarded-For: an address, optionally in brackets. */
static bool xff_entry(const char *s, size_t len, struct ipaddr *a)
{
	char buf[IP_STRLEN];
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		s++, len -= 2;
	if (!len || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return ip_parse(a, buf);
}

struct ipaddr hg_client(const struct ipaddr *peer, const char *xff,
                        const struct ipprefix *trusted, size_t ntrusted)
{
	struct ipaddr last = *peer, a;
	if (!xff || !hg_trusted(trusted, ntrusted, peer))
		return *peer;
	size_t end = strlen(xff);
	for (;;) {
		size_t start = end;
		while (start && xff[start - 1] != ',')
			start--;
		if (!xff_entry(xff + start, end - start, &a))
			return last;
		if (!hg_trusted(trusted, ntrusted, &a))
			return a;
		last = a;
		if (!start)
			return last;
		end = start - 1;
	}
}

size_t hg_query_args(const char *query, size_t len)
{
	size_t n = len ? 1 : 0;
	for (size_t i = 0; i < len; i++)
		n += query[i] == '&' || query[i] == ';';
	return n;
}

/* ---- open addressing keyed by address (linear probing, backward-shift
 * deletion); every record starts with struct oslot ---- */

struct oslot {
	struct ipaddr ip;
	bool used;
};

struct otab {
	char *v;
	size_t esz, mask, n;
	struct hash_key key;
};

static bool otab_init(struct otab *t, size_t max, size_t esz, struct hash_key key)
{
	size_t cap = 16;
	while (cap < 2 * max)
		cap *= 2;
	*t = (struct otab){ .v = calloc(cap, esz), .esz = esz, .mask = cap - 1, .key = key };
	return t->v != NULL;
}

static struct oslot *oat(const struct otab *t, size_t i)
{
	return (struct oslot *)(void *)(t->v + i * t->esz);
}

static size_t ohome(const struct otab *t, const struct ipaddr *a)
{
	return (size_t)hash_bytes(a->b, 16, t->key) & t->mask;
}

/* The slot of a, or of the free slot where it would go (NULL when full). */
static struct oslot *ofind(const struct otab *t, const struct ipaddr *a)
{
	for (size_t i = ohome(t, a), k = 0; k <= t->mask; i = (i + 1) & t->mask, k++) {
		struct oslot *s = oat(t, i);
		if (!s->used || ip_eq(&s->ip, a))
			return s;
	}
	return NULL;
}

static void odel(struct otab *t, struct oslot *s)
{
	size_t i = (size_t)((char *)s - t->v) / t->esz, j = i;
	for (;;) {
		oat(t, i)->used = false;
		for (;;) {
			j = (j + 1) & t->mask;
			struct oslot *o = oat(t, j);
			if (!o->used) {
				t->n--;
				return;
			}
			size_t k = ohome(t, &o->ip);
			bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
			if (!stays)
				break;
		}
		memcpy(oat(t, i), oat(t, j), t->esz);
		i = j;
	}
}

/* ---- login lockout ---- */

struct lrec {
	struct oslot k;
	uint32_t fails, locks;
	int64_t first_fail, last_fail, locked_until;
};

struct hg_locks {
	struct otab t;
	size_t max;
	unsigned count, window_s;
	uint64_t evicted;
};

struct hg_locks *hg_locks_new(unsigned max, unsigned count, unsigned window_s, struct hash_key key)
{
	struct hg_locks *l = calloc(1, sizeof *l);
	if (!l || !otab_init(&l->t, max ? max : 1, sizeof(struct lrec), key)) {
		free(l);
		return NULL;
	}
	l->max = max ? max : 1;
	l->count = count ? count : 1;
	l->window_s = window_s ? window_s : 1;
	return l;
}

void hg_locks_free(struct hg_locks *l)
{
	if (l)
		free(l->t.v);
	free(l);
}

static struct lrec *lfind(const struct hg_locks *l, const struct ipaddr *ip)
{
	struct lrec *r = (struct lrec *)ofind(&l->t, ip);
	return r && r->k.used ? r : NULL;
}

uint32_t hg_locks_wait(const struct hg_locks *l, const struct ipaddr *ip, int64_t now)
{
	const struct lrec *r = lfind(l, ip);
	return r && r->locked_until > now ? (uint32_t)(r->locked_until - now) : 0;
}

/* Unlocked records go first (oldest failure), then the lock ending first. */
static void evict_one(struct hg_locks *l, int64_t now)
{
	struct lrec *victim = NULL;
	for (size_t i = 0; i <= l->t.mask; i++) {
		struct lrec *r = (struct lrec *)oat(&l->t, i);
		if (!r->k.used)
			continue;
		bool rl = r->locked_until > now;
		if (!victim) {
			victim = r;
			continue;
		}
		bool vl = victim->locked_until > now;
		if ((vl && !rl) || (!vl && !rl && r->last_fail < victim->last_fail) ||
		    (vl && rl && r->locked_until < victim->locked_until))
			victim = r;
	}
	if (victim) {
		odel(&l->t, &victim->k);
		l->evicted++;
	}
}

uint32_t hg_locks_fail(struct hg_locks *l, const struct ipaddr *ip, int64_t now)
{
	struct lrec *r = lfind(l, ip);
	if (!r) {
		if (l->t.n >= l->max)
			evict_one(l, now);
		r = (struct lrec *)ofind(&l->t, ip);
		memset(r, 0, sizeof *r);
		r->k.ip = *ip;
		r->k.used = true;
		r->first_fail = now;
		l->t.n++;
	}
	if (r->last_fail && now - r->last_fail > 24 * 3600)
		r->locks = 0;
	if (now - r->first_fail >= (int64_t)l->window_s || r->fails == 0) {
		r->fails = 0;
		r->first_fail = now;
	}
	r->last_fail = now;
	if (++r->fails < l->count)
		return 0;
	uint32_t dur = HG_LOCK_BASE_S << (r->locks < 16 ? r->locks : 16);
	if (dur > HG_LOCK_MAX_S || dur < HG_LOCK_BASE_S)
		dur = HG_LOCK_MAX_S;
	r->locks++;
	r->fails = 0;
	r->locked_until = now + dur;
	return dur;
}

void hg_locks_ok(struct hg_locks *l, const struct ipaddr *ip)
{
	struct lrec *r = lfind(l, ip);
	if (r)
		odel(&l->t, &r->k);
}

uint64_t hg_locks_evicted(const struct hg_locks *l)
{
	return l->evicted;
}

/* ---- blocked addresses ---- */

struct hg_blocked {
	struct otab hosts;
	size_t nprefix;
	struct ipprefix prefix[HG_BLOCKED_PREFIXES];
};

struct hg_blocked *hg_blocked_new(struct hash_key key)
{
	struct hg_blocked *b = calloc(1, sizeof *b);
	if (!b || !otab_init(&b->hosts, HG_BLOCKED_HOSTS, sizeof(struct oslot), key)) {
		free(b);
		return NULL;
	}
	return b;
}

void hg_blocked_free(struct hg_blocked *b)
{
	if (b)
		free(b->hosts.v);
	free(b);
}

static bool prefix_set(struct hg_blocked *b, const struct ipprefix *p, bool on)
{
	for (size_t i = 0; i < b->nprefix; i++) {
		if (b->prefix[i].plen != p->plen || !ip_eq(&b->prefix[i].addr, &p->addr))
			continue;
		if (!on)
			b->prefix[i] = b->prefix[--b->nprefix];
		return true;
	}
	if (!on)
		return true;
	if (b->nprefix == HG_BLOCKED_PREFIXES)
		return false;
	b->prefix[b->nprefix++] = *p;
	return true;
}

bool hg_blocked_set(struct hg_blocked *b, const struct ipprefix *p, bool on)
{
	if (p->plen < 128)
		return prefix_set(b, p, on);
	struct oslot *s = ofind(&b->hosts, &p->addr);
	if (s && s->used) {
		if (!on)
			odel(&b->hosts, s);
		return true;
	}
	if (!on)
		return true;
	if (!s || b->hosts.n >= HG_BLOCKED_HOSTS)
		return false;
	s->ip = p->addr;
	s->used = true;
	b->hosts.n++;
	return true;
}

bool hg_blocked_has(const struct hg_blocked *b, const struct ipaddr *a)
{
	if (b->hosts.n) {
		const struct oslot *s = ofind(&b->hosts, a);
		if (s && s->used)
			return true;
	}
	for (size_t i = 0; i < b->nprefix; i++)
		if (prefix_contains(&b->prefix[i], a))
			return true;
	return false;
}

void hg_blocked_clear(struct hg_blocked *b)
{
	memset(b->hosts.v, 0, (b->hosts.mask + 1) * b->hosts.esz);
	b->hosts.n = 0;
	b->nprefix = 0;
}
