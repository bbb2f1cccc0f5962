/* sipwarden: command line entry point. */
#include "capture.h"
#include "config.h"
#include "auth.h"
#include "cfgedit.h"
#include "ctl.h"
#include "store.h"
#include "daemon.h"
#include "engine.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>


static const char usage[] =
	"usage: sipwarden COMMAND [OPTIONS]\n"
	"\n"
	"Protects SIP servers: watches SIP traffic, detects attacks, blocks attackers.\n"
	"\n"
	"commands:\n"
	"  replay [-c FILE] [--db DB] [--server ADDR]... PCAP...\n"
	"                             run the engine over pcap/pcapng files, packet time as\n"
	"                             the clock; events as JSON lines on stdout, a summary\n"
	"                             on stderr; --db also records them in database DB;\n"
	"                             --server names a protected server (else [instance]\n"
	"                             address, else inferred: who sends challenges and\n"
	"                             answers to REGISTER)\n"
	"  run [-c FILE]              run the daemon in the foreground: live capture,\n"
	"                             firewall blocking, control socket (root)\n"
	"  ctl [-s SOCK] COMMAND...   control a running daemon: status, list, block,\n"
	"                             unblock, whitelist, blacklist, events, reload,\n"
	"                             notify test|summary\n"
	"                             (--json for machine-readable output)\n"
	"  check-config [-c FILE]     validate a configuration file\n"
	"  passwd [-c FILE]           set the admin page's password (stored as an\n"
	"                             argon2id hash in [http] password_hash)\n"
	"\n"
	"options:\n"
	"  -c, --config FILE          configuration file (default: " CFG_DEFAULT_PATH "\n"
	"                             when it exists, else the built-in defaults)\n"
	"  -h, --help                 this help\n"
	"  -V, --version              the version\n";

struct replay_ctx {
	struct engine *eng;
	FILE *out;
	struct store *db;       /* --db: events are recorded here too */
	unsigned in_txn;        /* events in the open transaction */
	bool db_failed;
	bool started;
	char line[4096];
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_event(void *ctx, const struct event *e)
{
	struct replay_ctx *r = ctx;
	size_t n = evt_json(e, r->line, sizeof r->line - 1);
	r->line[n++] = '\n';
	fwrite(r->line, 1, n, r->out);
	if (!r->db || r->db_failed)
		return;
	if (r->in_txn == 0 && store_begin(r->db) != 0)
		r->db_failed = true;
	if (store_event(r->db, e) != 0 || (++r->in_txn == 4096 && store_commit(r->db) != 0))
		r->db_failed = true;
	if (r->in_txn == 4096)
		r->in_txn = 0;
	if (r->db_failed)
		fprintf(stderr, "sipwarden replay: database: %s\n", store_error(r->db));
}

static void replay_frame(void *ctx, int link, const uint8_t *frame, size_t caplen, uint64_t ts_us)
{
	struct replay_ctx *r = ctx;
	if (!r->started) {
		eng_start(r->eng, ts_us);
		r->started = true;
	}
	eng_frame(r->eng, link, frame, caplen, ts_us);
}

/* Loads -c FILE, else the default path when it exists, else the defaults. */
static struct config *load_config(const char *path)
{
	if (path)
		return cfg_load(path, stderr);
	if (access(CFG_DEFAULT_PATH, F_OK) == 0)
		return cfg_load(CFG_DEFAULT_PATH, stderr);
	return cfg_defaults();
}

/* replay's own options. */
struct replay_opts {
	const char *db;                    /* --db */
	const char *server[ENG_MAX_SERVERS]; /* --server, repeatable */
	unsigned n_server;
};

/* Parses -c (and --db, --server where ro is not NULL) and leaves optind at
 * the first operand; returns -1 on a bad option. */
static int parse_opts(int argc, char **argv, const char **cfg_path, struct replay_opts *ro)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': *cfg_path = optarg; break;
		case 'd':
			if (!ro)
				return -1;
			ro->db = optarg;
			break;
		case 's':
			if (!ro || ro->n_server == ENG_MAX_SERVERS)
				return -1;
			ro->server[ro->n_server++] = optarg;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: return -1;
		}
	}
	return 0;
}

static void print_summary(const struct eng_stats *s, int files, double elapsed)
{
	fprintf(stderr, "sipwarden replay: %d file%s, %llu packets, %llu SIP messages (%llu requests, %llu responses)\n",
	        files, files == 1 ? "" : "s", (unsigned long long)s->frames,
	        (unsigned long long)s->sip_messages, (unsigned long long)s->requests,
	        (unsigned long long)s->responses);
	fprintf(stderr, "  parse anomalies: %llu malformed SIP, %llu not SIP, %llu unframed TCP",
	        (unsigned long long)s->malformed, (unsigned long long)s->not_sip,
	        (unsigned long long)s->tcp_unframed);
	for (int i = 0; i < SIP_A__COUNT; i++)
		if (s->anomaly_reasons[i])
			fprintf(stderr, "%s %s %llu", i ? "," : ";", sip_anomaly_name((enum sip_anomaly)i),
			        (unsigned long long)s->anomaly_reasons[i]);
	fputc('\n', stderr);
	fprintf(stderr, "  decode: %llu IP fragments, %llu reassembled, %llu TCP segments, %llu retransmitted\n",
	        (unsigned long long)s->dec.fragments, (unsigned long long)s->dec.reassembled,
	        (unsigned long long)s->dec.tcp_segments, (unsigned long long)s->dec.tcp_retrans);
	fprintf(stderr, "  tcp: %llu verified connections, %llu segments outside the receiver's window ignored, "
	        "%llu capture gaps skipped, %llu flows desynchronised\n",
	        (unsigned long long)s->dec.tcp_verified, (unsigned long long)s->dec.tcp_ignored,
	        (unsigned long long)s->dec.tcp_gaps, (unsigned long long)s->dec.anomalies[DEC_A_TCP_DESYNC]);
	if (s->spoofed_own)
		fprintf(stderr, "  %llu packets from the host's own address arrived from outside (forged): ignored\n",
		        (unsigned long long)s->spoofed_own);
	fprintf(stderr, "  events: %llu block, %llu unblock, %llu anomaly, %llu alert\n",
	        (unsigned long long)s->events[EVT_BLOCK], (unsigned long long)s->events[EVT_UNBLOCK],
	        (unsigned long long)s->events[EVT_ANOMALY], (unsigned long long)s->events[EVT_ALERT]);
	fprintf(stderr, "  blocks by detector:");
	for (int d = 0; d < DET__COUNT; d++)
		fprintf(stderr, " %s %llu", det_name((enum detector)d), (unsigned long long)s->vrd.by_det[d]);
	fputc('\n', stderr);
	fprintf(stderr, "  transactions: %llu final answers matched, %llu repeated answers ignored (retransmissions)\n",
	        (unsigned long long)s->det.matched, (unsigned long long)s->det.repeats);
	if (s->vrd.inside_prefix)
		fprintf(stderr, "  not blocked on their own, inside a blocked prefix: %llu\n",
		        (unsigned long long)s->vrd.inside_prefix);
	fprintf(stderr, "  addresses tracked: %llu (evicted %llu)\n",
	        (unsigned long long)s->det.tracked, (unsigned long long)s->det.evicted);
	fprintf(stderr, "  elapsed %.3f s, %.0f messages/s\n", elapsed,
	        elapsed > 0 ? (double)s->sip_messages / elapsed : 0.0);
}

/* --server ADDR: the host's own addresses in replay (protected, never
 * blocked), as the daemon's interfaces are live.  -1 on a bad address. */
static int add_servers(struct config *cfg, const struct replay_opts *ro)
{
	for (unsigned i = 0; i < ro->n_server; i++) {
		struct ipprefix p;
		if (!prefix_parse(&p, ro->server[i]) || cfg_prefixes_add(&cfg->own, &p) != 0) {
			fprintf(stderr, "sipwarden replay: --server %s: not an address or prefix\n", ro->server[i]);
			return -1;
		}
	}
	return 0;
}

/* Which addresses were taken as the protected servers, and why. */
static void print_servers(const struct config *cfg, const struct engine *eng)
{
	char buf[IP_STRLEN];
	struct eng_servers sv;
	eng_servers_get(eng, &sv);
	fprintf(stderr, "  protected servers:");
	for (size_t i = 0; i < cfg->own.n; i++)
		fprintf(stderr, " %s (--server)", prefix_format(&cfg->own.v[i], buf));
	for (unsigned i = 0; i < cfg->n_inst; i++)
		for (unsigned k = 0; k < cfg->inst[i].n_addrs; k++)
			fprintf(stderr, " %s ([instance %s] address)", prefix_format(&cfg->inst[i].addrs[k], buf),
			        cfg->inst[i].name);
	for (unsigned i = 0; sv.inferring && !sv.overflow && i < sv.n; i++)
		fprintf(stderr, " %s (inferred: %s%s%s)", ip_format(&sv.ip[i], buf),
		        sv.why[i] & ENG_SRV_CHALLENGE ? "sent challenges" : "",
		        sv.why[i] == (ENG_SRV_CHALLENGE | ENG_SRV_REGISTER) ? ", " : "",
		        sv.why[i] & ENG_SRV_REGISTER ? "answered REGISTER" : "");
	if (sv.inferring && sv.overflow)
		fprintf(stderr, " every address (more than %d sent challenges or answered REGISTER: name them with --server)",
		        ENG_MAX_SERVERS);
	else if (sv.inferring && !sv.n)
		fprintf(stderr, " every address (none sent a challenge or answered a REGISTER)");
	fputc('\n', stderr);
}

static int cmd_replay(int argc, char **argv)
{
	const char *cfg_path = NULL;
	struct replay_opts ro = { 0 };
	if (parse_opts(argc, argv, &cfg_path, &ro) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	const char *db_path = ro.db;
	if (optind >= argc) {
		fprintf(stderr, "sipwarden replay: no pcap file given\n");
		return 2;
	}
	struct config *cfg = load_config(cfg_path);
	if (!cfg)
		return 2;
	if (add_servers(cfg, &ro) != 0) {
		cfg_free(cfg);
		return 2;
	}
	static char outbuf[1 << 16];
	struct replay_ctx r = { .out = stdout };
	if (db_path) {
		char err[512];
		r.db = store_open(db_path, err, sizeof err);
		if (!r.db) {
			fprintf(stderr, "sipwarden replay: database %s\n", err);
			cfg_free(cfg);
			return 1;
		}
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	r.eng = eng_new(cfg, print_event, &r);
	if (!r.eng) {
		fprintf(stderr, "sipwarden replay: out of memory\n");
		cfg_free(cfg);
		return 1;
	}
	int rc = 0, files = 0;
	double t0 = mono_now();
	FILE *progress = isatty(STDERR_FILENO) ? stderr : NULL;
	for (int i = optind; i < argc; i++) {
		char err[512];
		if (cap_replay_file(argv[i], replay_frame, &r, progress, err, sizeof err) != 0) {
			fprintf(stderr, "sipwarden replay: %s\n", err);
			rc = 1;
		}
		files++;
	}
	fflush(stdout);
	if (r.db) {
		if (r.in_txn && !r.db_failed && store_commit(r.db) != 0)
			r.db_failed = true;
		if (r.db_failed) {
			fprintf(stderr, "sipwarden replay: database: %s\n", store_error(r.db));
			rc = 1;
		}
		store_close(r.db);
	}
	struct eng_stats st;
	eng_stats_get(r.eng, &st);
	print_summary(&st, files, mono_now() - t0);
	print_servers(cfg, r.eng);
	eng_free(r.eng);
	cfg_free(cfg);
	return rc;
}

static int cmd_check_config(int argc, char **argv)
{
	const char *cfg_path = NULL;
	if (parse_opts(argc, argv, &cfg_path, NULL) < 0 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!cfg_path && access(CFG_DEFAULT_PATH, F_OK) != 0) {
		fprintf(stderr, "no configuration file: %s does not exist (the built-in defaults apply)\n",
		        CFG_DEFAULT_PATH);
		return 0;
	}
	struct config *cfg = load_config(cfg_path);
	if (!cfg)
		return 1;
	printf("%s: ok (%u instance%s)\n", cfg->path, cfg->n_inst, cfg->n_inst == 1 ? "" : "s");
	if (cfg_smtp_tls_note(&cfg->notify))
		printf("%s: note: %s\n", cfg->path, cfg_smtp_tls_note(&cfg->notify));
	cfg_free(cfg);
	return 0;
}

/* Reads one line into buf without its newline; on a terminal with the
 * prompt shown and echo off.  False at end of input. */
static bool read_secret(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fputs(prompt, stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	bool ok = fgets(buf, (int)n, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

/* sipwarden passwd [-c FILE]: the admin page's password, stored as an
 * argon2id hash in [http] password_hash (the file is edited in place). */
/* The config file holds the admin password's hash: at most 0640, and owner
 * root, group sipwarden where that group exists (when run as root).  Before
 * the write (when it exists) a wider mode is tightened with a warning, so
 * the backup, a hard link, is tightened too; after the write a new file is
 * given 0640. */
#define CONF_MODE 0640
static void conf_secure(const char *path, bool before)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	mode_t m = st.st_mode & 07777, want = before ? m & CONF_MODE : CONF_MODE;
	if (before && m != want)
		fprintf(stderr, "sipwarden passwd: warning: %s was mode %04o (%s); made %04o\n", path,
		        (unsigned)m, m & 0007 ? "open to every user" : "writable by its group or executable",
		        (unsigned)want);
	if (m != want && chmod(path, want) != 0)
		fprintf(stderr, "sipwarden passwd: cannot chmod %s: %s\n", path, strerror(errno));
	struct group *g = geteuid() == 0 ? getgrnam("sipwarden") : NULL;
	if (g && (st.st_uid != 0 || st.st_gid != g->gr_gid) && chown(path, 0, g->gr_gid) != 0)
		fprintf(stderr, "sipwarden passwd: cannot chown %s: %s\n", path, strerror(errno));
}

static int cmd_passwd(int argc, char **argv)
{
	const char *path = CFG_DEFAULT_PATH;
	char pw[256], again[256], hash[AUTH_HASH_MAX], err[512];
	if (parse_opts(argc, argv, &path, NULL) < 0 || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!read_secret("New admin password: ", pw, sizeof pw))
		return fputs("sipwarden passwd: no password given\n", stderr), 1;
	if (isatty(STDIN_FILENO) && (!read_secret("Again: ", again, sizeof again) || strcmp(pw, again))) {
		fputs("sipwarden passwd: the passwords differ; nothing changed\n", stderr);
		return 1;
	}
	if (strlen(pw) < 8) {
		fputs("sipwarden passwd: use at least 8 characters; nothing changed\n", stderr);
		return 1;
	}
	int rc = auth_hash(pw, hash, sizeof hash);
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(again, sizeof again);
	if (rc != 0)
		return fputs("sipwarden passwd: cannot hash the password (out of memory?)\n", stderr), 1;
	bool existed = access(path, F_OK) == 0;
	if (existed)
		conf_secure(path, true);
	struct cfge *e = cfge_open(path, err, sizeof err);
	if (!e || cfge_set(e, "http", "password_hash", hash, err, sizeof err) != 0 ||
	    cfge_write(e, err, sizeof err) != 0) {
		fprintf(stderr, "sipwarden passwd: %s\n", err);
		cfge_close(e);
		return 1;
	}
	cfge_close(e);
	if (!existed)
		conf_secure(path, false);
	printf("admin password set in %s; a running daemon takes it with `sipwarden ctl reload`\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("sipwarden %s\n", SW_VERSION_STR);
		return 0;
	}
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "run")) {
		const char *cfg_path = NULL;
		if (parse_opts(argc - 1, argv + 1, &cfg_path, NULL) < 0 || optind != argc - 1) {
			fputs(usage, stderr);
			return 2;
		}
		if (!cfg_path && access(CFG_DEFAULT_PATH, F_OK) == 0)
			cfg_path = CFG_DEFAULT_PATH;
		return daemon_main(cfg_path);
	}
	if (!strcmp(cmd, "ctl"))
		return ctl_client(argc - 1, argv + 1);
	if (!strcmp(cmd, "check-config"))
		return cmd_check_config(argc - 1, argv + 1);
	if (!strcmp(cmd, "passwd"))
		return cmd_passwd(argc - 1, argv + 1);
	fprintf(stderr, "sipwarden: unknown command '%s' (try sipwarden --help)\n", cmd);
	return 2;
}
