/* fw_ipset: the fallback backend for hosts without nftables: two ipsets and
 * iptables/ip6tables rules, through the ipset and iptables programs (run with
 * an explicit argv, no shell; batches go to "ipset restore" on stdin).
 *
 *   T4, T6   hash:net sets (family inet / inet6) created with "timeout 0":
 *            per-element timeouts, timeout 0 = permanent; hosts and
 *            prefixes share a set and may overlap.
 *   Tw4, Tw6 hash:net sets of the whitelist (no timeouts), matched by an
 *            ACCEPT rule ahead of the DROP rules, so a blocked prefix stays
 *            one element with whitelisted holes in it;
 *   T        a chain of ours in the raw table of iptables and ip6tables,
 *            with a jump to it at the top of raw PREROUTING, so removing us
 *            is "delete the jump, the chain, the sets".
 * In the chain: "-m set --match-set T4 src -j DROP" (scope all), or the same
 * per protocol with multiport --dports (15 ports a rule), plus non-first
 * IPv4 fragments (-f) and every IPv6 fragment (ip6tables cannot match a
 * fragment offset; the first one of an unprotected port is lost too).
 *
 * "add ... -exist" updates the timeout of an element already present, so
 * a re-block needs no delete.  ipset keeps at most 2147483 s (24.8 days)
 * per element: longer timeouts are cut to that.  ipset restore is not one
 * transaction: lines before a failing one stay applied (we check entries
 * first, so only a broken system makes one fail). */
#include "fw_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define IPSET_MAX_TIMEOUT 2147483u
#define IPSET_MAXELEM 1048576u
#define MULTIPORT_SLOTS 15

enum { P_IPSET, P_IPT4, P_IPT6, P_RESTORE4, P_RESTORE6, P__COUNT };
static const char *const prog_name[P__COUNT] = {
	"ipset", "iptables", "ip6tables", "iptables-restore", "ip6tables-restore",
};

struct ips {
	char path[P__COUNT][256];
	char set4[40], set6[40];
	char allow4[40], allow6[40];
	struct fw_buf in, out;
};

/* ---- running a program ---- */

/* Finds name in $PATH, then in the sbin directories a daemon's PATH may lack. */
static bool find_prog(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	char dirs[1024];
	snprintf(dirs, sizeof dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, outlen, "%s/%s", d, name) < outlen && access(out, X_OK) == 0)
			return true;
	}
	return false;
}

struct child_io {
	int in, out, err;  /* our ends, -1 when unused or done */
	const struct fw_buf *inbuf;
	size_t inpos;
	struct fw_buf *outbuf;
	char ebuf[512];
	size_t elen;
};

/* Moves data between us and the child until its stdout and stderr close. */
static void pump(struct child_io *io)
{
	while (io->out >= 0 || io->err >= 0) {
		struct pollfd pf[3] = { { io->in, POLLOUT, 0 }, { io->out, POLLIN, 0 }, { io->err, POLLIN, 0 } };
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (io->in >= 0 && pf[0].revents) {
			ssize_t k = send(io->in, io->inbuf->p + io->inpos, io->inbuf->len - io->inpos,
			                 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0)
				io->inpos += (size_t)k;
			if ((k < 0 && errno != EAGAIN && errno != EINTR) || io->inpos == io->inbuf->len) {
				close(io->in); /* EOF for the child (or it stopped reading) */
				io->in = -1;
			}
		}
		char buf[8192];
		if (io->out >= 0 && pf[1].revents) {
			ssize_t k = read(io->out, buf, sizeof buf);
			if (k > 0)
				fwb_append(io->outbuf, buf, (size_t)k);
			else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(io->out);
				io->out = -1;
			}
		}
		if (io->err >= 0 && pf[2].revents) {
			ssize_t k = read(io->err, buf, sizeof buf);
			if (k > 0) {
				size_t c = sizeof io->ebuf - 1 - io->elen;
				c = (size_t)k < c ? (size_t)k : c;
				memcpy(io->ebuf + io->elen, buf, c);
				io->elen += c;
			} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(io->err);
				io->err = -1;
			}
		}
	}
	if (io->in >= 0)
		close(io->in);
	io->ebuf[io->elen] = '\0';
}

/* Runs path with argv; in (or nothing) on its stdin, its stdout into out
 * (or discarded).  Returns 0 when it exits with status 0; otherwise -1 with
 * its first line of stderr (or status) in err. */
static int run(const char *path, char *const argv[], const struct fw_buf *in, struct fw_buf *out,
               char *err, size_t errlen)
{
	int sin[2] = { -1, -1 }, sout[2] = { -1, -1 }, serr[2] = { -1, -1 };
	struct child_io io = { -1, -1, -1, in, 0, out, "", 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int rc = -1, st = -1; /* -1: not a normal exit */
	if ((in && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sin) != 0) ||
	    (out && pipe2(sout, O_CLOEXEC) != 0) || pipe2(serr, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
		goto close_all;
	}
	posix_spawn_file_actions_init(&fa);
	if (in)
		posix_spawn_file_actions_adddup2(&fa, sin[1], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_adddup2(&fa, sout[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, serr[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none); /* our threads may block signals */
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int e = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		goto close_all;
	}
	close(sin[1]), close(sout[1]), close(serr[1]);
	sin[1] = sout[1] = serr[1] = -1;
	io.in = in ? sin[0] : -1;
	io.out = out ? sout[0] : -1;
	io.err = serr[0];
	sin[0] = sout[0] = serr[0] = -1;
	if (io.in >= 0 && in->len == 0) {
		close(io.in);
		io.in = -1;
	}
	if (io.in >= 0)
		fcntl(io.in, F_SETFL, O_NONBLOCK);
	pump(&io);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !(out && out->failed))
		rc = 0;
	else if (out && out->failed)
		snprintf(err, errlen, "%s: out of memory", argv[0]);
	else if (io.elen)
		fw_set_err(err, errlen, NULL, io.ebuf);
	else
		snprintf(err, errlen, "%s failed (status %d)", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (rc != 0 && WIFEXITED(st))
		rc = -1 - WEXITSTATUS(st); /* -2: exit status 1 (iptables -C: no such rule) */
close_all:
	for (int i = 0; i < 2; i++) {
		if (sin[i] >= 0)
			close(sin[i]);
		if (sout[i] >= 0)
			close(sout[i]);
		if (serr[i] >= 0)
			close(serr[i]);
	}
	return rc;
}

/* "ipset -exist restore" with the text in s->in. */
static int ipset_restore(struct fw *f, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	char *argv[] = { "ipset", "-exist", "restore", NULL };
	if (s->in.failed) {
		snprintf(err, errlen, "ipset: out of memory");
		return -1;
	}
	return run(s->path[P_IPSET], argv, &s->in, NULL, err, errlen) == 0 ? 0 : -1;
}

/* iptables (v6: ip6tables) -w -t raw OP CHAIN [-j TARGET]. */
static int ipt(struct fw *f, bool v6, const char *op, const char *chain, const char *target,
               char *err, size_t errlen)
{
	struct ips *s = f->priv;
	char *argv[] = { (char *)prog_name[v6 ? P_IPT6 : P_IPT4], "-w", "-t", "raw", (char *)op, (char *)chain,
	                 target ? "-j" : NULL, (char *)target, NULL };
	return run(s->path[v6 ? P_IPT6 : P_IPT4], argv, NULL, NULL, err, errlen);
}

/* ---- sets and rules ---- */

static void create_sets(struct fw *f)
{
	struct ips *s = f->priv;
	fwb_printf(&s->in, "create %s hash:net family inet timeout 0 maxelem %u\n", s->set4, IPSET_MAXELEM);
	fwb_printf(&s->in, "create %s hash:net family inet6 timeout 0 maxelem %u\n", s->set6, IPSET_MAXELEM);
	fwb_printf(&s->in, "create %s hash:net family inet\n", s->allow4);
	fwb_printf(&s->in, "create %s hash:net family inet6\n", s->allow6);
}

/* The iptables-restore text for our chain in one family: declaring the
 * chain creates it or empties it, so this replaces our rules atomically. */
static void chain_text(struct fw *f, bool v6, struct fw_buf *b)
{
	struct ips *s = f->priv;
	const char *t = f->cfg.table, *set = v6 ? s->set6 : s->set4;
	fwb_printf(b, "*raw\n:%s - [0:0]\n", t);
	fwb_printf(b, "-A %s -m set --match-set %s src -j ACCEPT\n", t, v6 ? s->allow6 : s->allow4);
	if (f->cfg.scope == FW_SCOPE_ALL) {
		fwb_printf(b, "-A %s -m set --match-set %s src -j DROP\nCOMMIT\n", t, set);
		return;
	}
	for (int proto = 0; proto < 2; proto++) {
		if (!(proto ? f->cfg.tcp : f->cfg.udp))
			continue;
		unsigned pos = 0, lo, hi, slots = 0;
		while (fw_port_range(f->ports, &pos, &lo, &hi)) {
			unsigned need = lo == hi ? 1 : 2;
			if (slots + need > MULTIPORT_SLOTS) {
				fwb_printf(b, " -m set --match-set %s src -j DROP\n", set);
				slots = 0;
			}
			if (slots == 0)
				fwb_printf(b, "-A %s -p %s -m multiport --dports ", t, proto ? "tcp" : "udp");
			fwb_printf(b, lo == hi ? "%s%u" : "%s%u:%u", slots ? "," : "", lo, hi);
			slots += need;
		}
		fwb_printf(b, " -m set --match-set %s src -j DROP\n", set);
	}
	fwb_printf(b, "-A %s %s -m set --match-set %s src -j DROP\nCOMMIT\n", t,
	           v6 ? "-m frag --fragid 0:4294967295" : "-f", set);
}

static int setup_family(struct fw *f, bool v6, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	char *argv[] = { (char *)prog_name[v6 ? P_RESTORE6 : P_RESTORE4], "-w", "--noflush", NULL };
	fwb_reset(&s->in);
	chain_text(f, v6, &s->in);
	if (s->in.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (run(s->path[v6 ? P_RESTORE6 : P_RESTORE4], argv, &s->in, NULL, err, errlen) != 0)
		return -1;
	/* the jump, unless it is there already (-C exits 1 when missing) */
	int rc = ipt(f, v6, "-C", "PREROUTING", f->cfg.table, err, errlen);
	if (rc == -2)
		rc = ipt(f, v6, "-I", "PREROUTING", f->cfg.table, err, errlen);
	return rc == 0 ? 0 : -1;
}

static int ipset_open(struct fw *f, char *err, size_t errlen)
{
	if (strlen(f->cfg.table) > 28) {
		snprintf(err, errlen, "ipset: table name \"%s\" is longer than 28 characters", f->cfg.table);
		return -1;
	}
	struct ips *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->priv = s;
	snprintf(s->set4, sizeof s->set4, "%s4", f->cfg.table);
	snprintf(s->set6, sizeof s->set6, "%s6", f->cfg.table);
	snprintf(s->allow4, sizeof s->allow4, "%sw4", f->cfg.table);
	snprintf(s->allow6, sizeof s->allow6, "%sw6", f->cfg.table);
	for (int i = 0; i < P__COUNT; i++) {
		if (!find_prog(prog_name[i], s->path[i], sizeof s->path[i])) {
			snprintf(err, errlen, "ipset backend: %s not found", prog_name[i]);
			goto fail;
		}
	}
	create_sets(f);
	if (ipset_restore(f, err, errlen) != 0 || setup_family(f, false, err, errlen) != 0 ||
	    setup_family(f, true, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	fwb_free(&s->in);
	free(s);
	f->priv = NULL;
	return -1;
}

static void ipset_close(struct fw *f, bool remove)
{
	struct ips *s = f->priv;
	char err[256];
	if (remove) {
		for (int v6 = 0; v6 < 2; v6++) {
			for (int i = 0; i < 8 && ipt(f, v6, "-D", "PREROUTING", f->cfg.table, err, sizeof err) == 0; i++)
				;
			ipt(f, v6, "-F", f->cfg.table, NULL, err, sizeof err);
			ipt(f, v6, "-X", f->cfg.table, NULL, err, sizeof err);
		}
		fwb_reset(&s->in);
		fwb_printf(&s->in, "destroy %s\ndestroy %s\ndestroy %s\ndestroy %s\n", s->set4, s->set6,
		           s->allow4, s->allow6);
		ipset_restore(f, err, sizeof err);
	}
	fwb_free(&s->in);
	fwb_free(&s->out);
	free(s);
}

/* ---- elements ---- */

static void element(struct fw *f, const char *verb, const struct ipprefix *p)
{
	struct ips *s = f->priv;
	char buf[IP_STRLEN];
	fwb_printf(&s->in, "%s %s %s", verb, fw_is_v4(p) ? s->set4 : s->set6, prefix_format(p, buf));
}

static int ipset_block(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	fwb_reset(&s->in);
	create_sets(f); /* in case someone destroyed them */
	for (size_t i = 0; i < n; i++) {
		element(f, "add", &v[i].ip);
		fwb_printf(&s->in, " timeout %u\n", v[i].timeout_s < IPSET_MAX_TIMEOUT ? v[i].timeout_s : IPSET_MAX_TIMEOUT);
	}
	return ipset_restore(f, err, errlen);
}

static int ipset_unblock(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	fwb_reset(&s->in);
	for (size_t i = 0; i < n; i++) {
		element(f, "del", &v[i]);
		fwb_printf(&s->in, "\n");
	}
	return ipset_restore(f, err, errlen);
}

/* Parses "add SET ADDR[/LEN] [timeout N] ..." lines of "ipset save". */
static void parse_save(const char *text, fw_list_fn fn, void *ctx)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char l[256], *save = NULL;
		if (len < sizeof l && !strncmp(line, "add ", 4)) {
			memcpy(l, line, len);
			l[len] = '\0';
			strtok_r(l, " ", &save);                 /* add */
			strtok_r(NULL, " ", &save);              /* set */
			const char *addr = strtok_r(NULL, " ", &save);
			struct fw_entry e = { .timeout_s = 0 };
			for (const char *w; (w = strtok_r(NULL, " ", &save));)
				if (!strcmp(w, "timeout") && (w = strtok_r(NULL, " ", &save)))
					e.timeout_s = (uint32_t)strtoul(w, NULL, 10);
			if (addr && prefix_parse(&e.ip, addr))
				fn(ctx, &e);
		}
		line += len + (nl != NULL);
	}
}

static int ipset_list(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	for (int v6 = 0; v6 < 2; v6++) {
		char *argv[] = { "ipset", "save", v6 ? s->set6 : s->set4, NULL };
		fwb_reset(&s->out);
		fwb_append(&s->out, "", 0);
		if (run(s->path[P_IPSET], argv, NULL, &s->out, err, errlen) != 0)
			return -1;
		parse_save(s->out.p, fn, ctx);
	}
	/* a listing of 100,000 entries is megabytes: do not keep it */
	fwb_free(&s->out);
	return 0;
}

static int ipset_flush(struct fw *f, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	fwb_reset(&s->in);
	fwb_printf(&s->in, "flush %s\nflush %s\n", s->set4, s->set6);
	return ipset_restore(f, err, errlen);
}

/* Replaces both whitelist sets (flush, then add: not atomic, so a
 * whitelisted address may be dropped for the moment in between). */
static int ipset_allow(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen)
{
	struct ips *s = f->priv;
	char buf[IP_STRLEN];
	fwb_reset(&s->in);
	create_sets(f);
	fwb_printf(&s->in, "flush %s\nflush %s\n", s->allow4, s->allow6);
	for (size_t i = 0; i < n; i++)
		fwb_printf(&s->in, "add %s %s\n", fw_is_v4(&v[i]) ? s->allow4 : s->allow6, prefix_format(&v[i], buf));
	return ipset_restore(f, err, errlen);
}

const struct fw_backend fw_ipset_backend = {
	"ipset", ipset_open, ipset_block, ipset_unblock, ipset_list, ipset_flush, ipset_close, ipset_allow,
};
