/* ct: dump the conntrack table, collect the entries of our addresses, then
 * delete them (a handle cannot run a query from inside its own dump
 * callback).  Collection is bounded per pass; a table holding more of them
 * takes more passes. */
#include "ct.h"

#include <errno.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CT_PASS_MAX 4096 /* entries collected per dump */
#define CT_PASSES 64
#define CT_RCVBUF (4 << 20)

struct collect {
	const struct ipaddr *v; /* sorted */
	size_t n;
	struct nf_conntrack **hit;
	size_t nhit;
	bool more; /* a match did not fit: another pass */
};

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ipaddr));
}

static bool wanted(const struct collect *c, const struct ipaddr *a)
{
	return bsearch(a, c->v, c->n, sizeof *c->v, addr_cmp) != NULL;
}

/* The original source and reply destination of ct as 16-byte addresses;
 * returns false for other families. */
static bool ct_addrs(const struct nf_conntrack *ct, struct ipaddr *src, struct ipaddr *rdst)
{
	switch (nfct_get_attr_u8(ct, ATTR_L3PROTO)) {
	case AF_INET:
		ip_from_v4(src, nfct_get_attr(ct, ATTR_ORIG_IPV4_SRC));
		ip_from_v4(rdst, nfct_get_attr(ct, ATTR_REPL_IPV4_DST));
		return true;
	case AF_INET6:
		ip_from_v6(src, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC));
		ip_from_v6(rdst, nfct_get_attr(ct, ATTR_REPL_IPV6_DST));
		return true;
	}
	return false;
}

static int on_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct collect *c = data;
	struct ipaddr src, rdst;
	(void)type;
	if (!ct_addrs(ct, &src, &rdst) || (!wanted(c, &src) && !wanted(c, &rdst)))
		return NFCT_CB_CONTINUE;
	if (c->nhit == CT_PASS_MAX) {
		c->more = true;
		return NFCT_CB_CONTINUE;
	}
	c->hit[c->nhit++] = ct;
	return NFCT_CB_STOLEN; /* ours now: nfct_destroy later */
}

/* No conntrack in this kernel (or namespace): nothing to flush. */
static bool no_conntrack(int e)
{
	return e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == EAFNOSUPPORT;
}

/* One pass: dump (retried when the table changed under the dump), then
 * delete what was collected.  Returns 0 or -1 (errno set). */
static int pass(struct nfct_handle *h, struct collect *c, size_t *deleted)
{
	uint32_t family = AF_UNSPEC;
	int rc = -1;
	for (int tries = 0; tries < 3 && rc != 0; tries++) {
		for (size_t i = 0; i < c->nhit; i++)
			nfct_destroy(c->hit[i]);
		c->nhit = 0;
		c->more = false;
		rc = nfct_query(h, NFCT_Q_DUMP, &family);
		if (rc != 0 && errno != EINTR)
			break;
	}
	int e = errno;
	for (size_t i = 0; i < c->nhit; i++) {
		if (rc == 0 && nfct_query(h, NFCT_Q_DESTROY, c->hit[i]) == 0)
			(*deleted)++;
		nfct_destroy(c->hit[i]);
	}
	c->nhit = 0;
	errno = e;
	return rc;
}

struct ct {
	struct nfct_handle *h; /* NULL: no conntrack here */
	struct collect c;
};

struct ct *ct_open(char *err, size_t errlen)
{
	struct ct *c = calloc(1, sizeof *c);
	if (c)
		c->c.hit = malloc(CT_PASS_MAX * sizeof *c->c.hit);
	if (!c || !c->c.hit) {
		snprintf(err, errlen, "conntrack: out of memory");
		ct_close(c);
		return NULL;
	}
	c->h = nfct_open(CONNTRACK, 0);
	if (!c->h) {
		if (no_conntrack(errno))
			return c;
		snprintf(err, errlen, "conntrack: open: %s", strerror(errno));
		ct_close(c);
		return NULL;
	}
	int rcvbuf = CT_RCVBUF; /* a big dump arrives faster than we read it */
	setsockopt(nfct_fd(c->h), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	nfct_callback_register(c->h, NFCT_T_ALL, on_entry, &c->c);
	return c;
}

void ct_close(struct ct *c)
{
	if (!c)
		return;
	if (c->h)
		nfct_close(c->h);
	free(c->c.hit);
	free(c);
}

/* Connections tracked in this network namespace; -1 when unknown. */
static long tracked_now(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_count", "r");
	long n = -1;
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

int ct_flush(struct ct *c, const struct ipaddr *v, size_t n, size_t *deleted, char *err, size_t errlen)
{
	size_t del = 0;
	int rc = 0;
	if (deleted)
		*deleted = 0;
	if (n == 0 || !c->h || tracked_now() == 0)
		return 0;
	struct ipaddr *sorted = malloc(n * sizeof *sorted);
	if (!sorted) {
		snprintf(err, errlen, "conntrack: out of memory");
		return -1;
	}
	memcpy(sorted, v, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, addr_cmp);
	c->c.v = sorted;
	c->c.n = n;
	c->c.more = false;
	for (int i = 0; i < CT_PASSES && rc == 0 && (i == 0 || c->c.more); i++)
		rc = pass(c->h, &c->c, &del);
	if (rc != 0 && no_conntrack(errno))
		rc = 0;
	else if (rc != 0)
		snprintf(err, errlen, "conntrack: dump: %s", strerror(errno));
	free(sorted);
	if (deleted)
		*deleted = del;
	return rc;
}

int ct_flush_addrs(const struct ipaddr *v, size_t n, size_t *deleted, char *err, size_t errlen)
{
	if (deleted)
		*deleted = 0;
	if (n == 0)
		return 0;
	struct ct *c = ct_open(err, errlen);
	if (!c)
		return -1;
	int rc = ct_flush(c, v, n, deleted, err, errlen);
	ct_close(c);
	return rc;
}

int ct_flush_addr(const struct ipaddr *a, char *err, size_t errlen)
{
	return ct_flush_addrs(a, 1, NULL, err, errlen);
}
