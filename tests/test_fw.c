/* Tests for fw (nftables and ipset backends, none) and ct against the real
 * kernel firewall.  Changes the firewall of the network namespace it runs
 * in, so it runs only when tests/e2e/test_fw.sh starts it inside a test
 * namespace (SIPWARDEN_NETNS_TEST=1, and never in the namespace of pid 1);
 * otherwise it prints a skip line and succeeds.  It also refuses to run
 * unless it is in the namespace named by SIPWARDEN_SERVER_NS.
 *
 * Environment from the script: SIPWARDEN_CLIENT_NS, the client namespace
 * (addresses 198.51.100.66, .67, .130 and 2001:db8:100::66, ::130); we are
 * the server, 198.51.100.1 and 2001:db8:100::1. */
#include "ct.h"
#include "fw.h"
#include "t.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define TABLE "swtest"
#define SRV4 "198.51.100.1"
#define SRV6 "2001:db8:100::1"

static const char *cli_ns;
static uint8_t ports[8192];

/* ---- helpers ---- */

static struct ipprefix P(const char *s)
{
	struct ipprefix p;
	if (!prefix_parse(&p, s)) {
		fprintf(stderr, "bad prefix in test: %s\n", s);
		exit(2);
	}
	return p;
}

static struct fw_entry E(const char *s, uint32_t t)
{
	return (struct fw_entry){ P(s), t };
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Output of a shell command (malloc'ed, NUL-terminated). */
static char *out_of(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	if (!p || !buf)
		exit(2);
	size_t k;
	while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += k;
		if (cap - len < 2) {
			buf = realloc(buf, cap *= 2);
			if (!buf)
				exit(2);
		}
	}
	buf[len] = '\0';
	pclose(p);
	return buf;
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned count_of(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Our rules: nft rules in our chain, or iptables+ip6tables rules in our
 * chain plus the jumps to it. */
static unsigned rule_count(bool nft)
{
	char *o;
	unsigned n;
	if (nft) {
		o = out_of("nft -j list chain inet " TABLE " prerouting 2>/dev/null");
		n = count_of(o, "{\"rule\":");
	} else {
		o = out_of("(iptables -w -t raw -S; ip6tables -w -t raw -S) 2>/dev/null");
		n = count_of(o, "-A " TABLE " ") + count_of(o, "-A PREROUTING -j " TABLE);
	}
	free(o);
	return n;
}

/* Sum of the packet counters of our drop rules. */
static uint64_t drops(bool nft)
{
	uint64_t sum = 0;
	char *o = nft ? out_of("nft -j list chain inet " TABLE " prerouting 2>/dev/null")
	              : out_of("(iptables -w -t raw -L " TABLE " -v -x -n; ip6tables -w -t raw -L " TABLE
	                       " -v -x -n) 2>/dev/null");
	if (nft) {
		for (const char *p = o; (p = strstr(p, "\"packets\": ")); p += 11)
			sum += strtoull(p + 11, NULL, 10);
	} else {
		for (char *save = NULL, *l = strtok_r(o, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			while (*l == ' ')
				l++;
			if (*l >= '0' && *l <= '9')
				sum += strtoull(l, NULL, 10);
		}
	}
	free(o);
	return sum;
}

/* ---- fw_list into an array ---- */

struct got {
	struct fw_entry v[64];
	size_t n, total;
};

static void on_entry(void *ctx, const struct fw_entry *e)
{
	struct got *g = ctx;
	if (g->n < ARRAY_LEN(g->v))
		g->v[g->n++] = *e;
	g->total++;
}

static int list(struct fw *f, struct got *g)
{
	char err[256];
	g->n = g->total = 0;
	int rc = fw_list(f, on_entry, g, err, sizeof err);
	if (rc)
		fprintf(stderr, "fw_list: %s\n", err);
	return rc;
}

/* The remaining timeout of s in the listing, or -1 when absent. */
static long listed(struct fw *f, const char *s)
{
	struct got g;
	struct ipprefix p = P(s);
	if (list(f, &g) != 0)
		return -2;
	for (size_t i = 0; i < g.n; i++)
		if (g.v[i].ip.plen == p.plen && ip_eq(&g.v[i].ip.addr, &p.addr))
			return g.v[i].timeout_s;
	return -1;
}

static int block(struct fw *f, const struct fw_entry *v, size_t n)
{
	char err[512] = "";
	int rc = fw_block(f, v, n, err, sizeof err);
	if (rc)
		fprintf(stderr, "fw_block: %s\n", err);
	return rc;
}

static int unblock(struct fw *f, const struct ipprefix *v, size_t n)
{
	char err[512] = "";
	int rc = fw_unblock(f, v, n, err, sizeof err);
	if (rc)
		fprintf(stderr, "fw_unblock: %s\n", err);
	return rc;
}

/* ---- the timeout the kernel set on an element, to the second ---- */

/* Blocks e alone and reads back the timeout its element got.  nftables
 * lists it ("timeout", next to the "expires" countdown).  ipset lists only
 * the seconds left, rounded down: read between 20 ms and 1 s after the add,
 * that is the timeout minus 1 exactly (tried again when the machine was too
 * slow to read within the second).  -1: absent or unreadable. */
static long kernel_timeout(struct fw *f, bool nft, struct fw_entry e)
{
	char addr[IP_STRLEN], needle[128];
	bool v6 = !ip_is_v4(&e.ip.addr);
	ip_format(&e.ip.addr, addr);
	bool host = e.ip.plen == 128;
	unsigned len = v6 ? e.ip.plen : e.ip.plen - 96;
	for (int attempt = 0; attempt < 5; attempt++) {
		double t0 = now_s();
		if (block(f, &e, 1) != 0)
			return -1;
		usleep(20000);
		char *o;
		if (nft) {
			o = out_of("nft -j list set inet " TABLE " %s%s 2>/dev/null", v6 ? "v6" : "v4", host ? "" : "net");
			if (host)
				snprintf(needle, sizeof needle, "\"val\": \"%s\", \"timeout\": ", addr);
			else
				snprintf(needle, sizeof needle, "\"addr\": \"%s\", \"len\": %u}}, \"timeout\": ", addr, len);
		} else {
			o = out_of("ipset save " TABLE "%s 2>/dev/null", v6 ? "6" : "4");
			snprintf(needle, sizeof needle, host ? " %s timeout " : " %s/%u timeout ", addr, len);
		}
		bool in_time = now_s() - t0 < 1.0;
		const char *p = strstr(o, needle);
		long t = p ? strtol(p + strlen(needle), NULL, 10) : -1;
		free(o);
		if (nft || t < 0)
			return t;
		if (in_time)
			return t + 1;
	}
	return -1;
}

static void test_exact_timeout(struct fw *f, bool nft)
{
	const struct fw_entry v[] = { E("198.51.100.66", 600), E("2001:db8:100::66", 3600), E("198.51.100.72", 7),
	                              E("198.51.100.73", 86401), E("203.0.113.0/24", 300), E("2001:db8:200::/48", 90),
	                              E("198.51.100.66", 120), E("198.51.100.66", 3000) };
	char err[256];
	CHECK(fw_flush(f, err, sizeof err) == 0);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		long t = kernel_timeout(f, nft, v[i]);
		CHECK_MSG(t == (long)v[i].timeout_s, "entry %zu: block_time %u, the kernel set %ld", i, v[i].timeout_s, t);
	}
	CHECK(fw_flush(f, err, sizeof err) == 0);
}

/* ---- traffic ---- */

enum { PORT_SIP, PORT_5081, PORT_OTHER, NPORT };
static const unsigned port_no[NPORT] = { 5060, 5081, 5070 };
static int rx[2][NPORT]; /* [v6][port] sockets of the server */

static void open_receivers(void)
{
	for (int v6 = 0; v6 < 2; v6++) {
		for (int i = 0; i < NPORT; i++) {
			int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;
			struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port_no[i]) };
			struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port_no[i]) };
			if (v6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
			if (fd < 0 || bind(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
			                   v6 ? sizeof a6 : sizeof a4) != 0) {
				perror("receiver");
				exit(2);
			}
			rx[v6][i] = fd;
		}
	}
}

/* Sends one UDP datagram of len bytes from src (in the client namespace) to
 * the server's port.  Returns 0 when it was sent. */
static int send_from(const char *src, unsigned port, size_t len)
{
	bool v6 = strchr(src, ':') != NULL;
	pid_t pid = fork();
	if (pid == 0) {
		char path[256];
		snprintf(path, sizeof path, "/var/run/netns/%s", cli_ns);
		int nfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nfd < 0 || setns(nfd, CLONE_NEWNET) != 0)
			_exit(2);
		struct sockaddr_in s4 = { .sin_family = AF_INET }, d4 = { .sin_family = AF_INET, .sin_port = htons(port) };
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 },
		                    d6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
		inet_pton(AF_INET, v6 ? "0.0.0.0" : src, &s4.sin_addr);
		inet_pton(AF_INET, SRV4, &d4.sin_addr);
		inet_pton(AF_INET6, v6 ? src : "::", &s6.sin6_addr);
		inet_pton(AF_INET6, SRV6, &d6.sin6_addr);
		int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0), dont = IP_PMTUDISC_DONT;
		if (!v6)
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof dont);
		static char buf[65000];
		memset(buf, 'x', sizeof buf);
		if (fd < 0 || bind(fd, v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4, v6 ? sizeof s6 : sizeof s4))
			_exit(3);
		if (sendto(fd, buf, len, 0, v6 ? (struct sockaddr *)&d6 : (struct sockaddr *)&d4,
		           v6 ? sizeof d6 : sizeof d4) != (ssize_t)len)
			_exit(4);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void drain(void)
{
	char buf[65536];
	for (int v6 = 0; v6 < 2; v6++)
		for (int i = 0; i < NPORT; i++)
			while (recv(rx[v6][i], buf, sizeof buf, 0) > 0)
				;
}

/* True when a datagram of len bytes from src reaches the server's port. */
static bool reaches(const char *src, int port, size_t len)
{
	char buf[65536];
	int fd = rx[strchr(src, ':') != NULL][port];
	drain();
	if (send_from(src, port_no[port], len) != 0) {
		fprintf(stderr, "cannot send from %s\n", src);
		return false;
	}
	struct pollfd pf = { fd, POLLIN, 0 };
	if (poll(&pf, 1, 400) <= 0)
		return false;
	return recv(fd, buf, sizeof buf, 0) == (ssize_t)len;
}

/* ---- the scenarios ---- */

static struct fw *open_fw(const char *be, enum fw_scope scope)
{
	struct fw_config c = { .scope = scope, .ports = ports, .udp = true, .tcp = true };
	char err[512] = "";
	snprintf(c.backend, sizeof c.backend, "%s", be);
	snprintf(c.table, sizeof c.table, "%s", TABLE);
	struct fw *f = fw_open(&c, err, sizeof err);
	if (!f)
		fprintf(stderr, "fw_open(%s): %s\n", be, err);
	return f;
}

static void test_bad_config(void)
{
	struct fw_config c = { .scope = FW_SCOPE_ALL, .ports = ports, .udp = true };
	char err[256] = "";
	strcpy(c.backend, "bogus");
	strcpy(c.table, TABLE);
	CHECK(fw_open(&c, err, sizeof err) == NULL && strstr(err, "unknown firewall backend"));
	strcpy(c.backend, "nftables");
	strcpy(c.table, "x; flush ruleset");
	CHECK(fw_open(&c, err, sizeof err) == NULL && strstr(err, "invalid table name"));
	strcpy(c.table, TABLE);
	uint8_t none[8192] = { 0 };
	c.scope = FW_SCOPE_SERVICES;
	c.ports = none;
	CHECK(fw_open(&c, err, sizeof err) == NULL && strstr(err, "services"));
	strcpy(c.backend, "ipset");
	strcpy(c.table, "a_name_that_is_far_too_long_x");
	c.scope = FW_SCOPE_ALL;
	CHECK(fw_open(&c, err, sizeof err) == NULL && strstr(err, "28"));
}

static void test_none(void)
{
	struct fw *f = open_fw("none", FW_SCOPE_ALL);
	struct got g;
	char err[64];
	CHECK(f && !strcmp(fw_backend_name(f), "none"));
	if (!f)
		return;
	struct fw_entry e = E("198.51.100.66", 60);
	CHECK(block(f, &e, 1) == 0);
	CHECK(unblock(f, &e.ip, 1) == 0);
	CHECK(list(f, &g) == 0 && g.total == 0);
	CHECK(fw_flush(f, err, sizeof err) == 0);
	fw_close(f, true);
	CHECK(!strcmp(fw_backend_name(NULL), "none"));
}

/* open, reopen, rules, and that nothing outside our table is touched. */
static struct fw *test_open(const char *be, bool nft)
{
	if (nft)
		sh("nft -f - <<'EOF'\nadd table inet other\nadd chain inet other c\nadd rule inet other c counter\nEOF");
	else
		sh("iptables -w -t raw -A PREROUTING -s 192.0.2.99 -j ACCEPT");
	struct fw *f = open_fw(be, FW_SCOPE_ALL);
	CHECK(f != NULL);
	if (!f)
		return NULL;
	CHECK(!strcmp(fw_backend_name(f), be));
	unsigned want = 6; /* nft: 2 accept rules + 4 sets x 1 rule; ipset: 2 accept + 2 drop rules + 2 jumps */
	CHECK_MSG(rule_count(nft) == want, "%u rules", rule_count(nft));
	if (nft) {
		char *o = out_of("nft list table inet " TABLE);
		CHECK(strstr(o, "set v4 {") && strstr(o, "set v6 {") && strstr(o, "set v4net {") && strstr(o, "set v6net {"));
		CHECK(strstr(o, "hook prerouting priority raw; policy accept;") != NULL);
		CHECK(strstr(o, "ip saddr @v4 counter packets 0 bytes 0 drop") != NULL);
		free(o);
	} else {
		CHECK(sh("ipset list -n | grep -qx " TABLE "4 && ipset list -n | grep -qx " TABLE "6") == 0);
	}
	struct fw_entry e = E("198.51.100.99", 1000);
	CHECK(block(f, &e, 1) == 0);
	/* a second open (a restart) adds no rules and keeps the elements */
	struct fw *g = open_fw(be, FW_SCOPE_ALL);
	CHECK(g != NULL);
	CHECK_MSG(rule_count(nft) == want, "%u rules after a second open", rule_count(nft));
	fw_close(g, false);
	fw_close(f, false);
	f = open_fw(be, FW_SCOPE_ALL);
	CHECK(f != NULL);
	if (!f)
		return NULL;
	CHECK_MSG(rule_count(nft) == want, "%u rules after reopen", rule_count(nft));
	long t = listed(f, "198.51.100.99");
	CHECK_MSG(t > 990 && t <= 1000, "timeout %ld", t);
	return f;
}

static void test_elements(struct fw *f, bool nft)
{
	char err[512];
	struct fw_entry v[] = {
		E("198.51.100.66", 3600), E("2001:db8:100::66", 600), E("203.0.113.0/24", 0),
		E("2001:db8:200::/48", 100), E("198.51.100.70", 0),
		E("198.51.100.71", 50), E("198.51.100.71", 70), /* the last one wins */
	};
	CHECK(fw_flush(f, err, sizeof err) == 0);
	CHECK(block(f, v, ARRAY_LEN(v)) == 0);
	struct got g;
	CHECK(list(f, &g) == 0 && g.total == 6);
	long t;
	t = listed(f, "198.51.100.66");
	CHECK_MSG(t > 3590 && t <= 3600, "%ld", t);
	t = listed(f, "2001:db8:100::66");
	CHECK_MSG(t > 590 && t <= 600, "%ld", t);
	CHECK(listed(f, "203.0.113.0/24") == 0);
	t = listed(f, "2001:db8:200::/48");
	CHECK_MSG(t > 90 && t <= 100, "%ld", t);
	CHECK(listed(f, "198.51.100.70") == 0);
	t = listed(f, "198.51.100.71");
	CHECK_MSG(t > 60 && t <= 70, "%ld", t);

	/* re-block: the new timeout applies, longer, shorter or permanent */
	struct fw_entry r1 = E("198.51.100.66", 100), r2 = E("198.51.100.66", 0), r3 = E("198.51.100.66", 4000);
	CHECK(block(f, &r1, 1) == 0);
	t = listed(f, "198.51.100.66");
	CHECK_MSG(t > 90 && t <= 100, "%ld", t);
	CHECK(block(f, &r2, 1) == 0 && listed(f, "198.51.100.66") == 0);
	CHECK(block(f, &r3, 1) == 0);
	t = listed(f, "198.51.100.66");
	CHECK_MSG(t > 3990 && t <= 4000, "%ld", t);
	struct fw_entry p1 = E("203.0.113.0/24", 500), p2 = E("203.0.113.0/24", 0), p3 = E("2001:db8:200::/48", 0);
	CHECK(block(f, &p1, 1) == 0);
	t = listed(f, "203.0.113.0/24");
	CHECK_MSG(t > 490 && t <= 500, "%ld", t);
	CHECK(block(f, &p2, 1) == 0 && listed(f, "203.0.113.0/24") == 0);
	CHECK(block(f, &p2, 1) == 0 && listed(f, "203.0.113.0/24") == 0);
	CHECK(block(f, &p3, 1) == 0 && listed(f, "2001:db8:200::/48") == 0);
	/* present and absent in one batch; a long timeout */
	struct fw_entry mix[] = { E("198.51.100.66", 200), E("198.51.100.72", 300), E("2001:db8:100::66", 0),
	                          E("198.51.100.73", 4000000000u) };
	CHECK(block(f, mix, ARRAY_LEN(mix)) == 0);
	t = listed(f, "198.51.100.66");
	CHECK_MSG(t > 190 && t <= 200, "%ld", t);
	t = listed(f, "198.51.100.72");
	CHECK_MSG(t > 290 && t <= 300, "%ld", t);
	CHECK(listed(f, "2001:db8:100::66") == 0);
	t = listed(f, "198.51.100.73");
	CHECK_MSG(nft ? t > 3999999000 : t > 2147000 && t <= 2147483, "%ld", t);

	/* a host inside a blocked prefix, and an overlapping prefix */
	struct fw_entry in[] = { E("203.0.113.5", 60), E("198.51.100.0/25", 60) };
	CHECK(block(f, in, ARRAY_LEN(in)) == 0);
	CHECK(listed(f, "203.0.113.5") > 0 && listed(f, "198.51.100.0/25") > 0);
	struct fw_entry ov[] = { E("203.0.113.0/25", 60), E("198.51.100.74", 60) };
	err[0] = '\0';
	int rc = fw_block(f, ov, ARRAY_LEN(ov), err, sizeof err);
	if (nft) /* interval sets refuse overlaps: reported, the rest applied */
		CHECK_MSG(rc == -1 && strstr(err, "1 of 1 prefixes refused"), "rc %d: %s", rc, err);
	else /* hash:net takes both */
		CHECK_MSG(rc == 0 && listed(f, "203.0.113.0/25") > 0, "rc %d: %s", rc, err);
	CHECK(listed(f, "198.51.100.74") > 0);

	/* unblock: present and absent, hosts and prefixes, duplicates */
	struct ipprefix u[] = { P("198.51.100.66"), P("198.51.100.99"), P("203.0.113.0/24"), P("192.0.2.0/24"),
	                        P("2001:db8:100::66"), P("2001:db8:999::/48"), P("198.51.100.66") };
	CHECK(unblock(f, u, ARRAY_LEN(u)) == 0);
	CHECK(listed(f, "198.51.100.66") == -1 && listed(f, "203.0.113.0/24") == -1);
	CHECK(listed(f, "2001:db8:100::66") == -1 && listed(f, "198.51.100.72") > 0);
	CHECK(unblock(f, u, ARRAY_LEN(u)) == 0);

	/* bad entries are refused before anything changes */
	struct fw_entry bad[] = { E("198.51.100.75", 60), { { P("198.51.100.66").addr, 120 }, 100 } };
	CHECK(fw_block(f, bad, 2, err, sizeof err) == -1 && strstr(err, "invalid prefix"));
	struct fw_entry all = { P("0.0.0.0/1"), 0 };
	all.ip.plen = 96;
	CHECK(fw_block(f, &all, 1, err, sizeof err) == -1);
	CHECK(listed(f, "198.51.100.75") == -1);

	/* the kernel expires elements by itself */
	struct fw_entry x = E("198.51.100.76", 2), x6 = E("2001:db8:100::76", 2), xp = E("192.0.2.0/24", 2);
	CHECK(block(f, &x, 1) == 0 && block(f, &x6, 1) == 0 && block(f, &xp, 1) == 0);
	CHECK(listed(f, "198.51.100.76") > 0 && listed(f, "192.0.2.0/24") > 0);
	sleep(3);
	CHECK(listed(f, "198.51.100.76") == -1 && listed(f, "2001:db8:100::76") == -1);
	CHECK(listed(f, "192.0.2.0/24") == -1);
	/* an expired prefix can be blocked again (add, not re-block) */
	CHECK(block(f, &xp, 1) == 0 && listed(f, "192.0.2.0/24") > 0);

	CHECK(fw_flush(f, err, sizeof err) == 0);
	CHECK(list(f, &g) == 0 && g.total == 0);
}

/* Scope all: blocked sources are dropped before the socket, others pass. */
static void test_traffic_all(struct fw *f, bool nft)
{
	char err[256];
	CHECK(fw_flush(f, err, sizeof err) == 0);
	CHECK(reaches("198.51.100.66", PORT_SIP, 100) && reaches("2001:db8:100::66", PORT_SIP, 100));
	struct fw_entry b[] = { E("198.51.100.66", 600), E("2001:db8:100::66", 600) };
	CHECK(block(f, b, 2) == 0);
	uint64_t d0 = drops(nft);
	CHECK(!reaches("198.51.100.66", PORT_SIP, 100));
	CHECK(!reaches("198.51.100.66", PORT_OTHER, 100));
	CHECK(!reaches("2001:db8:100::66", PORT_SIP, 100));
	uint64_t d1 = drops(nft);
	CHECK_MSG(d1 >= d0 + 3, "drop counter %llu -> %llu", (unsigned long long)d0, (unsigned long long)d1);
	CHECK(reaches("198.51.100.130", PORT_SIP, 100));
	CHECK(reaches("198.51.100.67", PORT_SIP, 100));
	CHECK(reaches("2001:db8:100::130", PORT_SIP, 100));
	CHECK(drops(nft) == d1);
	/* prefixes */
	struct ipprefix u[] = { b[0].ip, b[1].ip };
	struct fw_entry p[] = { E("198.51.100.64/28", 600), E("2001:db8:100::/120", 600) };
	CHECK(unblock(f, u, 2) == 0 && block(f, p, 2) == 0);
	CHECK(!reaches("198.51.100.66", PORT_SIP, 100) && !reaches("198.51.100.67", PORT_SIP, 100));
	CHECK(!reaches("2001:db8:100::66", PORT_SIP, 100));
	CHECK(reaches("198.51.100.130", PORT_SIP, 100) && reaches("2001:db8:100::130", PORT_SIP, 100));
	CHECK(drops(nft) >= d1 + 3);
	struct ipprefix up[] = { p[0].ip, p[1].ip };
	CHECK(unblock(f, up, 2) == 0);
	CHECK(reaches("198.51.100.67", PORT_SIP, 100) && reaches("2001:db8:100::66", PORT_SIP, 100));
}

/* A blocked prefix with whitelisted holes: the holes pass (accept rule
 * ahead of the drop sets), a neighbour inside the prefix does not; the
 * prefix stays one element; a new allow list replaces the old one. */
static void test_allow(struct fw *f, bool nft)
{
	char err[256] = "";
	struct got g;
	CHECK(fw_flush(f, err, sizeof err) == 0);
	struct fw_entry p[] = { E("198.51.100.0/24", 600), E("2001:db8:100::/64", 600) };
	/* the hole as a host (twice), a prefix with an address inside (folded),
	 * a prefix with host bits set */
	struct ipprefix allow[] = { P("198.51.100.66"), P("2001:db8:100::66"), P("198.51.100.70"),
	                            P("198.51.100.68/30"), P("198.51.100.66") };
	allow[3].addr.b[15] |= 1; /* 198.51.100.69/30: host bits are cleared */
	CHECK_MSG(fw_allow(f, allow, ARRAY_LEN(allow), err, sizeof err) == 0, "%s", err);
	CHECK(block(f, p, 2) == 0);
	CHECK(list(f, &g) == 0 && g.total == 2);
	CHECK(reaches("198.51.100.66", PORT_SIP, 100) && reaches("2001:db8:100::66", PORT_SIP, 100));
	CHECK(!reaches("198.51.100.67", PORT_SIP, 100) && !reaches("198.51.100.130", PORT_SIP, 100));
	CHECK(!reaches("2001:db8:100::130", PORT_SIP, 100));
	/* a new list replaces the old one: .66 is dropped now, .130 passes */
	struct ipprefix allow2[] = { P("198.51.100.130") };
	CHECK_MSG(fw_allow(f, allow2, 1, err, sizeof err) == 0, "%s", err);
	CHECK(!reaches("198.51.100.66", PORT_SIP, 100) && !reaches("2001:db8:100::66", PORT_SIP, 100));
	CHECK(reaches("198.51.100.130", PORT_SIP, 100));
	/* bad input is refused; the empty list lets nobody through */
	struct ipprefix bad[] = { { .plen = 0 } };
	CHECK(fw_allow(f, bad, 1, err, sizeof err) == -1 && strstr(err, "invalid prefix"));
	CHECK_MSG(fw_allow(f, NULL, 0, err, sizeof err) == 0, "%s", err);
	CHECK(!reaches("198.51.100.130", PORT_SIP, 100));
	if (nft)
		CHECK(sh("nft list chain inet " TABLE " prerouting | head -4 | grep -q 'saddr @allow4 accept'") == 0);
	else
		CHECK(sh("iptables -w -t raw -S " TABLE " | sed -n 2p | grep -q 'match-set " TABLE "w4 src -j ACCEPT'") == 0);
	CHECK(fw_flush(f, err, sizeof err) == 0);
	CHECK(reaches("198.51.100.67", PORT_SIP, 100));
}

/* Scope services: only the protected ports (and fragments) are dropped. */
static void test_traffic_services(const char *be, bool nft)
{
	struct fw *f = open_fw(be, FW_SCOPE_SERVICES);
	CHECK(f != NULL);
	if (!f)
		return;
	/* nft: 2 accept rules + (ports + fragments) x 4 sets; ipset: accept, udp, tcp, fragments x 2 + 2 jumps */
	CHECK_MSG(rule_count(nft) == 10, "%u rules", rule_count(nft));
	if (nft) {
		char *o = out_of("nft list chain inet " TABLE " prerouting");
		CHECK(strstr(o, "th dport { 5060, 5080-5082 }") != NULL);
		free(o);
	} else {
		CHECK(sh("iptables -w -t raw -S " TABLE " | grep -q -- '--dports 5060,5080:5082'") == 0);
	}
	struct fw_entry b[] = { E("198.51.100.66", 600), E("2001:db8:100::66", 600) };
	CHECK(block(f, b, 2) == 0);
	uint64_t d0 = drops(nft);
	CHECK(!reaches("198.51.100.66", PORT_SIP, 100) && !reaches("198.51.100.66", PORT_5081, 100));
	CHECK(!reaches("2001:db8:100::66", PORT_SIP, 100) && !reaches("2001:db8:100::66", PORT_5081, 100));
	CHECK(reaches("198.51.100.66", PORT_OTHER, 100) && reaches("2001:db8:100::66", PORT_OTHER, 100));
	CHECK(reaches("198.51.100.130", PORT_SIP, 100) && reaches("2001:db8:100::130", PORT_SIP, 100));
	uint64_t d1 = drops(nft);
	CHECK_MSG(d1 == d0 + 4, "drop counter %llu -> %llu", (unsigned long long)d0, (unsigned long long)d1);
	/* fragmented datagrams: to a protected port the first fragment is
	 * dropped; to another port the later ones are (no ports in them) */
	CHECK(!reaches("198.51.100.66", PORT_SIP, 3000) && !reaches("2001:db8:100::66", PORT_SIP, 3000));
	CHECK(!reaches("198.51.100.66", PORT_OTHER, 3000));
	CHECK(!reaches("2001:db8:100::66", PORT_OTHER, 3000));
	CHECK(reaches("198.51.100.130", PORT_OTHER, 3000) && reaches("2001:db8:100::130", PORT_SIP, 3000));
	CHECK(drops(nft) > d1 + 4);
	/* back to scope all: the rules are replaced, not added to */
	fw_close(f, false);
	f = open_fw(be, FW_SCOPE_ALL);
	CHECK(f != NULL && rule_count(nft) == 6);
	CHECK(!reaches("198.51.100.66", PORT_OTHER, 100));
	fw_close(f, false);
}

/* 100,000 blocks in batches of 1,000, then 20,000 re-blocks in one call. */
static void test_bulk(struct fw *f, const char *be)
{
	enum { TOTAL = 100000, BATCH = 1000, ONE_CALL = 20000 };
	struct fw_entry *v = malloc(TOTAL * sizeof *v);
	char err[512];
	if (!v)
		exit(2);
	for (uint32_t i = 0; i < TOTAL; i++) {
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		ip_from_v4(&v[i].ip.addr, a);
		v[i].ip.plen = 128;
		v[i].timeout_s = 3600;
	}
	CHECK(fw_flush(f, err, sizeof err) == 0);
	double t0 = now_s();
	int fails = 0;
	for (size_t i = 0; i < TOTAL; i += BATCH)
		fails += block(f, v + i, BATCH) != 0;
	double t1 = now_s();
	struct got g;
	CHECK(fails == 0);
	CHECK(list(f, &g) == 0 && g.total == TOTAL);
	double t2 = now_s();
	for (size_t i = 0; i < ONE_CALL; i++)
		v[i].timeout_s = 60;
	CHECK(block(f, v, ONE_CALL) == 0);
	double t3 = now_s();
	CHECK(listed(f, "10.0.0.5") <= 60);
	printf("bench %s: %d new blocks in batches of %d: %.2f s (%.0f/s); list of %d: %.2f s; "
	       "%d re-blocks in one call: %.2f s (%.0f/s)\n", be, TOTAL, BATCH, t1 - t0, TOTAL / (t1 - t0),
	       TOTAL, t2 - t1, ONE_CALL, t3 - t2, ONE_CALL / (t3 - t2));
	t0 = now_s();
	CHECK(fw_flush(f, err, sizeof err) == 0);
	printf("bench %s: flush of %d: %.2f s\n", be, TOTAL, now_s() - t0);
	CHECK(list(f, &g) == 0 && g.total == 0);
	free(v);
}

/* The table vanished under us (nft flush ruleset): the next block recreates it. */
static void test_recreate(struct fw *f)
{
	sh("nft delete table inet " TABLE);
	struct fw_entry e = E("198.51.100.66", 60);
	CHECK(block(f, &e, 1) == 0);
	CHECK(listed(f, "198.51.100.66") > 0 && rule_count(true) == 6);
	sh("nft delete table inet " TABLE);
	struct fw_entry pe[] = { E("203.0.113.0/24", 60), E("198.51.100.67", 60) };
	CHECK(block(f, pe, 2) == 0 && listed(f, "203.0.113.0/24") > 0 && listed(f, "198.51.100.67") > 0);
	sh("nft delete table inet " TABLE);
	struct ipprefix u[] = { P("203.0.113.0/24"), P("198.51.100.67") };
	CHECK(unblock(f, u, 1) == 0 && rule_count(true) == 6);
	sh("nft delete table inet " TABLE);
	CHECK(unblock(f, u + 1, 1) == 0 && rule_count(true) == 6);
}

/* A table of the same name with other definitions is reported, not changed. */
static void test_conflict(void)
{
	char err[512] = "";
	sh("nft -f - <<'EOF'\nadd table inet " TABLE "\nadd set inet " TABLE " v4 { type ipv4_addr; flags interval; }\nEOF");
	struct fw_config c = { .scope = FW_SCOPE_ALL, .ports = ports, .udp = true };
	strcpy(c.backend, "nftables");
	strcpy(c.table, TABLE);
	CHECK_MSG(fw_open(&c, err, sizeof err) == NULL && strstr(err, "other definitions"), "%s", err);
	CHECK(sh("nft list set inet " TABLE " v4 | grep -q 'flags interval$'") == 0);
	sh("nft delete table inet " TABLE);
}

static void test_remove(struct fw *f, bool nft)
{
	fw_close(f, true);
	if (nft) {
		CHECK(sh("nft list table inet " TABLE " >/dev/null 2>&1") != 0);
		CHECK(sh("nft list table inet other | grep -q counter") == 0);
		sh("nft delete table inet other");
	} else {
		CHECK(sh("ipset list -n | grep -q " TABLE) != 0);
		CHECK(sh("(iptables -w -t raw -S; ip6tables -w -t raw -S) | grep -q " TABLE) != 0);
		CHECK(sh("iptables -w -t raw -S PREROUTING | grep -q 192.0.2.99") == 0);
		sh("iptables -w -t raw -D PREROUTING -s 192.0.2.99 -j ACCEPT");
	}
}

static void test_backend(const char *be)
{
	bool nft = !strcmp(be, "nftables");
	printf("== %s\n", be);
	struct fw *f = test_open(be, nft);
	if (!f)
		return;
	test_elements(f, nft);
	test_exact_timeout(f, nft);
	if (cli_ns) {
		test_traffic_all(f, nft);
		test_allow(f, nft);
	}
	test_bulk(f, be);
	if (nft)
		test_recreate(f);
	fw_close(f, false);
	if (cli_ns)
		test_traffic_services(be, nft);
	f = open_fw(be, FW_SCOPE_ALL);
	CHECK(f != NULL);
	if (f)
		test_remove(f, nft);
}

static unsigned ct_count(const char *args)
{
	char *o = out_of("conntrack -L %s 2>/dev/null", args);
	unsigned n = count_of(o, "\n");
	free(o);
	return n;
}

/* ct_flush_addrs removes the entries of the given addresses only. */
static void test_ct(void)
{
	char err[256] = "";
	size_t n = 0;
	struct ipaddr a[2];
	printf("== conntrack\n");
	CHECK(sh("nft -f - <<'EOF'\nadd table inet swct\nadd chain inet swct c { type filter hook prerouting "
	         "priority 0; }\nadd rule inet swct c ct state new counter\nEOF") == 0);
	CHECK(reaches("198.51.100.66", PORT_SIP, 100) && reaches("198.51.100.66", PORT_OTHER, 100));
	CHECK(reaches("198.51.100.130", PORT_SIP, 100) && reaches("2001:db8:100::66", PORT_SIP, 100));
	CHECK_MSG(ct_count("-s 198.51.100.66") == 2, "%u", ct_count("-s 198.51.100.66"));
	CHECK(ct_count("-f ipv6 -s 2001:db8:100::66") == 1);
	ip_parse(&a[0], "198.51.100.66");
	ip_parse(&a[1], "2001:db8:100::66");
	CHECK_MSG(ct_flush_addrs(a, 2, &n, err, sizeof err) == 0 && n == 3, "n %zu: %s", n, err);
	CHECK(ct_count("-s 198.51.100.66") == 0 && ct_count("-f ipv6 -s 2001:db8:100::66") == 0);
	CHECK(ct_count("-s 198.51.100.130") == 1);
	CHECK(ct_flush_addr(&a[0], err, sizeof err) == 0);
	ip_parse(&a[0], "198.51.100.130");
	CHECK(ct_flush_addr(&a[0], err, sizeof err) == 0 && ct_count("-s 198.51.100.130") == 0);
	sh("nft delete table inet swct");
}

/* True when we run in the namespace named name (/var/run/netns/name, made
 * by the script) and not in the one of pid 1 (the machine's own). */
static bool in_test_netns(const char *name)
{
	struct stat self, want, init;
	char path[256];
	snprintf(path, sizeof path, "/var/run/netns/%s", name ? name : "");
	if (!name || !*name || strchr(name, '/') || stat("/proc/self/ns/net", &self) != 0 || stat(path, &want) != 0)
		return false;
	if (stat("/proc/1/ns/net", &init) == 0 && init.st_dev == self.st_dev && init.st_ino == self.st_ino)
		return false;
	return self.st_dev == want.st_dev && self.st_ino == want.st_ino;
}

/* Outside its namespace the test never touches the firewall: as root it
 * runs itself through tests/e2e/test_fw.sh (which makes the namespaces and
 * ends with "N passed, N failed"), otherwise it is a counted skip (77). */
static int run_in_namespace(void)
{
	char self[4096], script[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		printf("SKIP: test_fw: cannot find its own binary\n");
		return 77;
	}
	self[n] = '\0';
	/* build(-san)/tests/test_fw -> tests/e2e/test_fw.sh */
	snprintf(script, sizeof script, "%s/../../tests/e2e/test_fw.sh", dirname(strdup(self)));
	if (geteuid() != 0 || access(script, R_OK) != 0) {
		printf("SKIP: test_fw: needs root (network namespaces) and %s\n", script);
		return 77;
	}
	fflush(stdout);
	setenv("TEST_FW", self, 1);
	execl("/bin/bash", "bash", script, (char *)NULL);
	printf("test_fw: cannot run %s\n", script);
	return 1;
}

int main(void)
{
	const char *on = getenv("SIPWARDEN_NETNS_TEST");
	if (!on || strcmp(on, "1") != 0)
		return run_in_namespace();
	if (!in_test_netns(getenv("SIPWARDEN_SERVER_NS"))) {
		fprintf(stderr, "test_fw: refusing to run: not in the test namespace named by SIPWARDEN_SERVER_NS\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cli_ns = getenv("SIPWARDEN_CLIENT_NS");
	if (cli_ns && !*cli_ns)
		cli_ns = NULL;
	if (!cli_ns)
		printf("no SIPWARDEN_CLIENT_NS: traffic tests left out\n");
	const unsigned pl[] = { 5060, 5080, 5081, 5082 };
	for (size_t i = 0; i < ARRAY_LEN(pl); i++)
		ports[pl[i] >> 3] |= (uint8_t)(1u << (pl[i] & 7));
	if (cli_ns)
		open_receivers();
	test_bad_config();
	test_none();
	test_conflict();
	test_backend("nftables");
	test_backend("ipset");
	if (cli_ns)
		test_ct();
	return T_DONE();
}
