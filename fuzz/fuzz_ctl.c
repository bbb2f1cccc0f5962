/* fuzz_ctl: libFuzzer harness for the control socket's protocol: the bytes
 * a client sends (arguments each ended by "\n", the request by "\n\n"),
 * framed as ctlsrv.c frames them (the first "\n\n" before a NUL ends the
 * request, else the end of the stream; more than CTLSRV_MAX_REQ bytes
 * without one is refused), then ctl_run: the request parser and every
 * command against a daemon assembled from real parts: the config, the
 * engine and verdict, an SQLite store in a temporary directory, the
 * firewall and store workers (no firewall backend: nothing reaches the
 * kernel), a config file for `reload`.  The daemon's events go straight
 * to the store.  `status` and `notify` need the capture, the control
 * thread and the notifier, which are not built here: inputs naming them
 * are skipped.  Checked: the handler returns 0 or -1, the reply to a request without
 * control bytes holds none but "\n" and "\t" (stored reasons and comments
 * of earlier requests are someone else's strings), and an address blocked by a reply "ok" is blocked.  Any
 * violation traps.  Seeds: fuzz/corpus/ctl/; dictionary: fuzz/ctl.dict. */
#include "ctl.h"
#include "ctlsrv.h"
#include "daemon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static void on_event(void *ctx, const struct event *e)
{
	struct daemon *d = ctx;
	store_event(d->rstore, e);
}

static void no_op(void *ctx, void *items, size_t n)
{
	(void)ctx, (void)items, (void)n;
}

static const char conf_text[] = "[general]\nblock_time = 10m\n[lists]\nwhitelist = 127.0.0.0/8, 203.0.113.200\n"
                                "blacklist = 203.0.113.202\n[instance pbx]\naddress = 198.51.100.1\n";

static char dir[] = "/tmp/fuzz_ctl.XXXXXX";

/* Removes the store's directory when the run ends. */
static void cleanup(void)
{
	static const char *const files[] = { "db", "db-wal", "db-shm", "db-journal" };
	char p[64];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static struct daemon *build(void)
{
	static struct daemon d;
	static char db[64], cfgp[64];
	REQUIRE(mkdtemp(dir));
	atexit(cleanup);
	snprintf(db, sizeof db, "%s/db", dir);
	int fd = memfd_create("sipwarden.conf", 0);
	REQUIRE(fd >= 0 && write(fd, conf_text, sizeof conf_text - 1) == (ssize_t)sizeof conf_text - 1);
	snprintf(cfgp, sizeof cfgp, "/proc/self/fd/%d", fd);
	d.cfg_path = cfgp;
	d.cfg = cfg_load(cfgp, stderr);
	REQUIRE(d.cfg);
	d.cfg->max_tracked = 1024;
	char err[512];
	d.rstore = store_open(db, err, sizeof err);
	REQUIRE(d.rstore);
	d.eng = eng_new(d.cfg, on_event, &d);
	REQUIRE(d.eng);
	d.fw_w = worker_start(64, 64, 16, no_op, NULL);
	d.store_w = worker_start(64, 64, 16, no_op, NULL);
	REQUIRE(d.fw_w && d.store_w);
	pthread_mutex_init(&d.fw_mu, NULL);
	d.started_us = daemon_now();
	eng_start(d.eng, d.started_us);
	return &d;
}

struct covered {
	struct ipaddr a;
	bool yes;
};

static void cover(void *ctx, const struct vrd_active *b)
{
	struct covered *c = ctx;
	c->yes |= prefix_contains(&b->ip, &c->a);
}

/* True when s holds no control byte but "\n" and "\t". */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			return false;
	return true;
}

/* True when one of the request's arguments is exactly s. */
static bool has_arg(const char *req, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = req; (p = strstr(p, s)); p += n)
		if ((p == req || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct daemon *d;
	if (!d)
		d = build();
	static char req[CTLSRV_MAX_REQ + 1];
	size_t len = size < CTLSRV_MAX_REQ ? size : CTLSRV_MAX_REQ;
	memcpy(req, data, len);
	req[len] = '\0';
	char *end = strstr(req, "\n\n");
	if (end)
		end[2] = '\0';
	else if (size >= CTLSRV_MAX_REQ)
		return 0; /* "request too long" */
	if (has_arg(req, "status") || has_arg(req, "notify"))
		return 0;
	bool block = !strncmp(req, "block\n", 6), clean = plain(req);
	char first[64] = "";
	if (block) { /* the address: the argument after "block", unless an option */
		char *nl = strchr(req + 6, '\n');
		if (nl && req[6] != '-' && (size_t)(nl - req - 6) < sizeof first)
			memcpy(first, req + 6, (size_t)(nl - req - 6));
	}

	char *out = NULL;
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);
	REQUIRE(o);
	int rc = ctl_run(d, req, o);
	fclose(o);
	REQUIRE(rc == 0 || rc == -1);
	/* Error messages echo the request's own arguments as they came (the
	 * ctl client shows the whole answer through text_safe); anything else,
	 * stored reasons and comments of earlier requests included, is safe. */
	if (clean)
		for (size_t i = 0; i < outlen; i++)
			REQUIRE((unsigned char)out[i] >= 0x20 || out[i] == '\n' || out[i] == '\t');
	struct ipprefix p;
	if (block && rc == 0 && prefix_parse(&p, first)) {
		struct covered c = { p.addr, false };
		vrd_foreach_active(eng_verdict(d->eng), cover, &c);
		REQUIRE(c.yes);
	}
	free(out);
	return 0;
}
