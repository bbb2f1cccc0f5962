/* fuzz_config: libFuzzer harness for the config reader on arbitrary text,
 * as a reload meets it.  The input is the file (a memfd, read through
 * /proc/self/fd/N by cfg_load as any path).  Checked:
 *  - a rejected file gives at least one error, and every error line is
 *    "PATH:LINE: message" with LINE within the file's lines;
 *  - an accepted file gives no error line and a config within its bounds;
 *  - the running config is kept untouched when the new one is rejected,
 *    and an accepted one is applied to a running engine as a reload does
 *    (eng_set_config, same max_tracked), then a few packets go through.
 * Any violation traps.  Seeds: fuzz/corpus/config/ (the example and test
 * configs); dictionary: fuzz/config.dict. */
#include "config.h"
#include "engine.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static void on_event(void *ctx, const struct event *ev)
{
	(void)ctx;
	(void)ev;
}

/* Every line of errs is "path:N: text" with 1 <= N <= lines. */
static void check_errors(const char *errs, size_t n, const char *path, size_t lines)
{
	size_t plen = strlen(path);
	const char *p = errs, *end = errs + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		REQUIRE(nl);
		REQUIRE((size_t)(nl - p) > plen + 1 && !memcmp(p, path, plen) && p[plen] == ':');
		char *num_end;
		unsigned long line = strtoul(p + plen + 1, &num_end, 10);
		REQUIRE(num_end > p + plen + 1 && num_end + 1 < nl && num_end[0] == ':' && num_end[1] == ' ');
		REQUIRE(line >= 1 && line <= lines);
		p = nl + 1;
	}
}

static void check_config(const struct config *c)
{
	REQUIRE(c->n_inst >= 1 && c->n_inst <= CFG_MAX_INSTANCES);
	REQUIRE(c->n_ifaces <= CFG_MAX_IFACES);
	REQUIRE(c->max_tracked >= 1024);
	REQUIRE(c->whitelist.n <= c->whitelist.cap && c->blacklist.n <= c->blacklist.cap);
	REQUIRE(c->http.n_trusted_proxies <= 16 && c->notify.n_rcpts <= CFG_MAX_RCPTS);
	for (unsigned i = 0; i < c->n_inst; i++) {
		const struct cfg_instance *in = &c->inst[i];
		REQUIRE(memchr(in->name, '\0', sizeof in->name) && in->name[0]);
		REQUIRE(in->n_addrs <= CFG_MAX_INST_ADDRS && in->n_peers <= CFG_MAX_INST_PEERS);
		REQUIRE(in->rules.n_agents <= CFG_MAX_AGENTS && in->rules.n_dests <= CFG_MAX_DESTS);
		for (unsigned k = 0; k < in->rules.n_agents; k++)
			REQUIRE(memchr(in->rules.agents[k], '\0', CFG_AGENT_LEN));
		for (unsigned k = 0; k < in->n_addrs; k++)
			REQUIRE(in->addrs[k].plen <= 128);
	}
	REQUIRE(memchr(c->database, '\0', sizeof c->database) && memchr(c->fw_backend, '\0', sizeof c->fw_backend));
}

/* A SIP REGISTER from a scanner to every instance address (or one), so the
 * reloaded rules and lists are used at once. */
static void packets(struct engine *e, const struct config *c, uint64_t now)
{
	static const char sip[] = "REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bK1\r\n"
	                          "From: <sip:1@x>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: 1\r\nCSeq: 1 REGISTER\r\n"
	                          "User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";
	uint8_t f[20 + 8 + sizeof sip] = { 0x45 };
	size_t n = sizeof f - 1;
	f[2] = (uint8_t)(n >> 8), f[3] = (uint8_t)n, f[8] = 64, f[9] = 17;
	memcpy(f + 12, (uint8_t[]){ 203, 0, 113, 9 }, 4);
	memcpy(f + 16, (uint8_t[]){ 198, 51, 100, 1 }, 4);
	const struct cfg_instance *in = &c->inst[0];
	if (in->n_addrs && ip_is_v4(&in->addrs[0].addr))
		memcpy(f + 16, in->addrs[0].addr.b + 12, 4);
	f[20] = f[22] = 5060 >> 8;
	f[21] = f[23] = 5060 & 0xff;
	f[24] = (uint8_t)((n - 20) >> 8), f[25] = (uint8_t)(n - 20);
	memcpy(f + 28, sip, sizeof sip - 1);
	for (int i = 0; i < 3; i++)
		eng_frame(e, DEC_LINK_RAW, f, n, now + (uint64_t)i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *running;
	static struct engine *eng;
	static uint64_t now = 1700000000ull * 1000000;
	if (!running) {
		running = cfg_defaults();
		REQUIRE(running);
		running->max_tracked = 1024;
		eng = eng_new(running, on_event, NULL);
		REQUIRE(eng);
		eng_start(eng, now);
	}
	int fd = memfd_create("config", 0);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, data, size) == (ssize_t)size);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	size_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		lines++;

	char *errs = NULL;
	size_t errlen = 0;
	FILE *ef = open_memstream(&errs, &errlen);
	REQUIRE(ef);
	struct config before = *running;
	struct config *c = cfg_load(path, ef);
	fclose(ef);
	close(fd);
	now += 60000000;
	if (!c) {
		REQUIRE(errlen > 0);
		check_errors(errs, errlen, path, lines);
		REQUIRE(!memcmp(&before, running, sizeof before)); /* the old config is kept */
	} else {
		REQUIRE(errlen == 0);
		check_config(c);
		c->max_tracked = running->max_tracked;
		eng_set_config(eng, c);
		cfg_free(running);
		running = c;
	}
	packets(eng, running, now);
	free(errs);
	return 0;
}
