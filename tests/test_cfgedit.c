/* Tests for cfgedit: in-place edits of the INI config file and its atomic
 * write.  Every test works on real files in a mkdtemp directory under /tmp,
 * removed at the end; edited files are read back with cfg_load too. */
#include "cfgedit.h"
#include "config.h"
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

static char dir[64], path[128];

/* ---- helpers ---- */

static void put_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		exit(2);
	}
}

/* The whole file into a static buffer ("" when missing). */
static const char *slurp(const char *p)
{
	static char buf[65536];
	buf[0] = '\0';
	FILE *f = fopen(p, "r");
	if (!f)
		return buf;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct cfge *open_text(const char *text)
{
	char err[256] = "";
	put_file(path, text);
	struct cfge *e = cfge_open(path, err, sizeof err);
	CHECK_MSG(e != NULL, "%s", err);
	if (!e)
		exit(1);
	return e;
}

static void set(struct cfge *e, const char *sec, const char *key, const char *val)
{
	char err[256] = "";
	int rc = cfge_set(e, sec, key, val, err, sizeof err);
	CHECK_MSG(rc == 0, "set [%s] %s: %s", sec, key, err);
}

static void write_ok(struct cfge *e)
{
	char err[256] = "";
	int rc = cfge_write(e, err, sizeof err);
	CHECK_MSG(rc == 0, "write: %s", err);
}

/* Writes e and compares the file with want. */
static void expect_file(struct cfge *e, const char *want)
{
	write_ok(e);
	const char *got = slurp(path);
	CHECK_MSG(!strcmp(got, want), "file is\n---\n%s---\nwanted\n---\n%s---", got, want);
}

static const char *get(struct cfge *e, const char *sec, const char *key)
{
	static char v[256];
	return cfge_get(e, sec, key, v, sizeof v) ? v : NULL;
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- tests ---- */

static const char *BASE =
	"# sipwarden test config\n"
	"\n"
	"[general]\n"
	"  protocols = udp, tcp\n"
	"\tblock_time = 1h   ; how long a block lasts\n"
	"block_threshold=0\n"
	"\n"
	"[sip]\n"
	"bad_registrations = 10/1m # per minute\n"
	"blocked_user_agents = friendly-scanner, sipvicious\n"
	"; trailing comment of sip\n"
	"\n"
	"[lists]\n"
	"whitelist = 127.0.0.0/8, ::1\n";

static void test_get(void)
{
	struct cfge *e = open_text(
		"[general]\n"
		"a = 1 ; c\n"
		"b = x;y\n"
		"c = ;only a comment\n"
		"d =\n"
		"e = v\t# tab comment\n"
		"a = 2\n"
		"f = crlf\r\n"
		"[ instance \t pbx1 ]\n"
		"a = 3\n");
	CHECK(streq(get(e, "general", "a"), "2")); /* last occurrence wins */
	CHECK(streq(get(e, "general", "b"), "x;y"));
	CHECK(streq(get(e, "general", "c"), ""));
	CHECK(streq(get(e, "general", "d"), ""));
	CHECK(streq(get(e, "general", "e"), "v"));
	CHECK(streq(get(e, "general", "f"), "crlf"));
	CHECK(streq(get(e, "instance pbx1", "a"), "3"));
	CHECK(get(e, "general", "zz") == NULL);
	CHECK(get(e, "sip", "a") == NULL);
	cfge_close(e);
}

static void test_set_existing(void)
{
	struct cfge *e = open_text(BASE);
	set(e, "general", "block_time", "2h");
	set(e, "general", "protocols", "udp");
	set(e, "general", "block_threshold", "  5  ");
	set(e, "sip", "bad_registrations", "5/30s");
	expect_file(e,
		"# sipwarden test config\n"
		"\n"
		"[general]\n"
		"  protocols = udp\n"
		"\tblock_time = 2h   ; how long a block lasts\n"
		"block_threshold=5\n"
		"\n"
		"[sip]\n"
		"bad_registrations = 5/30s # per minute\n"
		"blocked_user_agents = friendly-scanner, sipvicious\n"
		"; trailing comment of sip\n"
		"\n"
		"[lists]\n"
		"whitelist = 127.0.0.0/8, ::1\n");
	CHECK(streq(get(e, "general", "block_time"), "2h"));
	cfge_close(e);
}

static void test_set_empty_values(void)
{
	struct cfge *e = open_text(
		"[sip]\n"
		"a =\n"
		"b = ; keep me\n"
		"c = \r\n"
		"d = x ; old\n");
	set(e, "sip", "a", "1");
	set(e, "sip", "b", "2");
	set(e, "sip", "c", "3");
	set(e, "sip", "d", "");
	expect_file(e,
		"[sip]\n"
		"a = 1\n"
		"b = 2 ; keep me\n"
		"c = 3\r\n"
		"d =  ; old\n");
	CHECK(streq(get(e, "sip", "b"), "2"));
	CHECK(streq(get(e, "sip", "d"), ""));
	cfge_close(e);
}

static void test_add_key(void)
{
	struct cfge *e = open_text(BASE);
	set(e, "general", "sip_ports", "5060, 5080");
	set(e, "sip", "flood", "100/10s");
	set(e, "lists", "blacklist", "203.0.113.0/24");
	expect_file(e,
		"# sipwarden test config\n"
		"\n"
		"[general]\n"
		"  protocols = udp, tcp\n"
		"\tblock_time = 1h   ; how long a block lasts\n"
		"block_threshold=0\n"
		"sip_ports = 5060, 5080\n"
		"\n"
		"[sip]\n"
		"bad_registrations = 10/1m # per minute\n"
		"blocked_user_agents = friendly-scanner, sipvicious\n"
		"flood = 100/10s\n"
		"; trailing comment of sip\n"
		"\n"
		"[lists]\n"
		"whitelist = 127.0.0.0/8, ::1\n"
		"blacklist = 203.0.113.0/24\n");
	cfge_close(e);

	/* a section with only its header; a file without a final newline */
	e = open_text("[tftp]\n# nothing yet\n[dns]\nenabled = no");
	set(e, "tftp", "enabled", "yes");
	set(e, "dns", "ports", "53");
	expect_file(e, "[tftp]\nenabled = yes\n# nothing yet\n[dns]\nenabled = no\nports = 53\n");
	cfge_close(e);
}

static void test_new_section(void)
{
	struct cfge *e = open_text(BASE);
	set(e, "http", "listen", "127.0.0.1:8080");
	set(e, "http", "password", "$argon2id$v=19$m=65536,t=2,p=1$abc$def");
	set(e, "instance pbx1", "address", "198.51.100.1");
	char want[2048];
	snprintf(want, sizeof want, "%s%s", BASE,
		"\n[http]\n"
		"listen = 127.0.0.1:8080\n"
		"password = $argon2id$v=19$m=65536,t=2,p=1$abc$def\n"
		"\n[instance pbx1]\n"
		"address = 198.51.100.1\n");
	expect_file(e, want);
	cfge_close(e);
}

static void test_instance(void)
{
	const char *text =
		"[general]\nblock_time = 1h\n\n"
		"[instance  pbx1]\naddress = 198.51.100.1\nblock_time = 1d ; long\n\n"
		"[instance pbx2]\naddress = 198.51.100.2\n";
	struct cfge *e = open_text(text);
	set(e, "instance pbx1", "block_time", "2d");
	set(e, "instance pbx2", "flood", "off");
	CHECK(cfge_del(e, "instance pbx1", "address") == 1);
	expect_file(e,
		"[general]\nblock_time = 1h\n\n"
		"[instance  pbx1]\nblock_time = 2d ; long\n\n"
		"[instance pbx2]\naddress = 198.51.100.2\nflood = off\n");
	CHECK(streq(get(e, "instance pbx2", "flood"), "off"));
	CHECK(streq(get(e, "general", "block_time"), "1h"));
	cfge_close(e);
}

static void test_delete(void)
{
	struct cfge *e = open_text("[a]\nk = 1\nx = 2 ; c\nk = 3\n[b]\nk = 4\n");
	CHECK(cfge_del(e, "a", "k") == 2);
	CHECK(cfge_del(e, "a", "missing") == 0);
	CHECK(cfge_del(e, "nosection", "k") == 0);
	expect_file(e, "[a]\nx = 2 ; c\n[b]\nk = 4\n");
	cfge_close(e);
}

static void test_bad_values(void)
{
	char err[256];
	struct cfge *e = open_text(BASE);
	CHECK(cfge_set(e, "general", "block_time", "1h ; sneaky", err, sizeof err) < 0);
	CHECK(strstr(err, "comment") != NULL);
	CHECK(cfge_set(e, "general", "block_time", "; x", err, sizeof err) < 0);
	CHECK(cfge_set(e, "general", "block_time", "1h\n[lists]", err, sizeof err) < 0);
	CHECK(cfge_set(e, "general", "bad key", "1", err, sizeof err) < 0);
	CHECK(cfge_set(e, "general", "k=v", "1", err, sizeof err) < 0);
	CHECK(cfge_set(e, "gen]eral", "k", "1", err, sizeof err) < 0);
	CHECK(cfge_set(e, "", "k", "1", err, sizeof err) < 0);
	CHECK(cfge_set(e, "general\t", "k", "1", err, sizeof err) < 0);
	CHECK(cfge_set(e, " general", "k", "1", err, sizeof err) < 0);
	/* ';' and '#' not after a blank are plain characters */
	CHECK(cfge_set(e, "sip", "blocked_destinations", "00*,+*,#31#", err, sizeof err) == 0);
	CHECK(streq(get(e, "sip", "blocked_destinations"), "00*,+*,#31#"));
	cfge_close(e);
}

static void test_backup_and_mode(void)
{
	char bak[160], err[256];
	snprintf(bak, sizeof bak, "%s.bak", path);
	struct cfge *e = open_text(BASE);
	chmod(path, 0640);
	set(e, "general", "block_time", "3h");
	write_ok(e);
	CHECK(!strcmp(slurp(bak), BASE));
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(stat(bak, &st) == 0 && (st.st_mode & 07777) == 0640);
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	CHECK(access(tmp, F_OK) < 0);
	/* a second write keeps the first edit as the backup */
	set(e, "general", "block_time", "4h");
	write_ok(e);
	CHECK(strstr(slurp(bak), "block_time = 3h") != NULL);
	CHECK(strstr(slurp(path), "block_time = 4h") != NULL);
	cfge_close(e);

	/* a missing file is empty and is created with mode 0600 */
	unlink(path);
	unlink(bak);
	e = cfge_open(path, err, sizeof err);
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(get(e, "general", "block_time") == NULL);
	set(e, "http", "listen", "[::1]:8080");
	expect_file(e, "[http]\nlisten = [::1]:8080\n");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(access(bak, F_OK) < 0);
	cfge_close(e);
}

/* The written file never gets more permission bits than the old one had. */
static void test_mode_never_widens(void)
{
	struct stat st;
	struct cfge *e = open_text(BASE);
	CHECK(chmod(path, 04604) == 0); /* set-uid: dropped */
	set(e, "general", "block_time", "5h");
	write_ok(e);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0604);
	CHECK(chmod(path, 0600) == 0);
	set(e, "general", "block_time", "6h");
	write_ok(e);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	cfge_close(e);
}

/* `sipwarden passwd` (the binary next to the tests' directory, password on
 * stdin) on a file of mode MODE (0 = no file): its exit status, and the
 * file's mode after it; *warned when it printed a warning. */
static int run_passwd(mode_t mode, mode_t *after, bool *warned)
{
	char exe[PATH_MAX], bin[PATH_MAX + 32], cmd[2 * PATH_MAX + 200], errf[160];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k <= 0)
		return -1;
	exe[k] = '\0';
	snprintf(bin, sizeof bin, "%s/../sipwarden", dirname(exe));
	unlink(path);
	if (mode) {
		put_file(path, BASE);
		chmod(path, mode);
	}
	snprintf(errf, sizeof errf, "%s/passwd.err", dir);
	snprintf(cmd, sizeof cmd, "printf 'correct horse\\n' | %s passwd -c %s >/dev/null 2>%s", bin, path, errf);
	int rc = system(cmd);
	struct stat st;
	*after = stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
	*warned = strstr(slurp(errf), "warning") != NULL;
	CHECK(strstr(slurp(path), "password_hash = $argon2id$") != NULL);
	return rc;
}

static void test_passwd_mode(void)
{
	mode_t m;
	bool warned;
	char bak[160];
	struct stat st;
	snprintf(bak, sizeof bak, "%s.bak", path);
	CHECK(run_passwd(0644, &m, &warned) == 0 && m == 0640 && warned);
	CHECK(stat(bak, &st) == 0 && (st.st_mode & 0007) == 0); /* the old hash is not left readable */
	CHECK(run_passwd(0666, &m, &warned) == 0 && m == 0640 && warned);
	CHECK(run_passwd(0660, &m, &warned) == 0 && m == 0640 && warned);
	CHECK(run_passwd(0640, &m, &warned) == 0 && m == 0640 && !warned);
	CHECK(run_passwd(0600, &m, &warned) == 0 && m == 0600 && !warned); /* tighter: kept */
	unlink(bak);
	CHECK(run_passwd(0, &m, &warned) == 0 && m == 0640 && !warned);  /* a new file */
}

static void test_write_errors(void)
{
	char err[256] = "", tmp[160];
	struct cfge *e = cfge_open("/nonexistent-sipwarden-dir/x.conf", err, sizeof err);
	CHECK(e != NULL);
	if (e) {
		set(e, "general", "block_time", "1h");
		CHECK(cfge_write(e, err, sizeof err) < 0);
		CHECK_MSG(strstr(err, "/nonexistent-sipwarden-dir/x.conf.tmp") != NULL, "%s", err);
		cfge_close(e);
	}
	/* PATH.tmp.PID cannot be created (a directory is in the way) */
	e = open_text(BASE);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	CHECK(mkdir(tmp, 0700) == 0);
	set(e, "general", "block_time", "9h");
	err[0] = '\0';
	CHECK(cfge_write(e, err, sizeof err) < 0);
	CHECK_MSG(strstr(err, ".tmp") != NULL, "%s", err);
	CHECK(!strcmp(slurp(path), BASE));
	rmdir(tmp);
	cfge_close(e);
	/* reading a directory fails with a message */
	e = cfge_open(dir, err, sizeof err);
	CHECK(e == NULL && err[0]);
	cfge_close(e);
}

static void test_symlink(void)
{
	char real[160], link_path[160];
	snprintf(real, sizeof real, "%s/real.conf", dir);
	snprintf(link_path, sizeof link_path, "%s/link.conf", dir);
	put_file(real, "[general]\nblock_time = 1h\n");
	CHECK(symlink("real.conf", link_path) == 0);
	char err[256] = "";
	struct cfge *e = cfge_open(link_path, err, sizeof err);
	CHECK(e != NULL);
	if (!e)
		return;
	set(e, "general", "block_time", "5h");
	write_ok(e);
	struct stat st;
	CHECK(lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(!strcmp(slurp(real), "[general]\nblock_time = 5h\n"));
	cfge_close(e);
	unlink(real);
	unlink(link_path);
	snprintf(real, sizeof real, "%s/real.conf.bak", dir);
	unlink(real);
}

/* The example config, edited, still loads, with the new values. */
static void test_roundtrip_example(void)
{
	char err[256] = "";
	FILE *src = fopen("examples/sipwarden.conf", "r");
	CHECK_MSG(src != NULL, "examples/sipwarden.conf: %s (run from the source tree's root)", strerror(errno));
	if (!src)
		return;
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, src);
	text[n] = '\0';
	fclose(src);
	struct cfge *e = open_text(text);
	set(e, "general", "block_time", "2h");
	set(e, "sip", "blocked_user_agents", "friendly-scanner, evil agent");
	set(e, "lists", "whitelist", "127.0.0.0/8, ::1, 198.51.100.7");
	set(e, "sip", "flood", "50/10s");
	write_ok(e);
	cfge_close(e);
	FILE *errs = tmpfile();
	struct config *c = cfg_load(path, errs);
	CHECK(c != NULL);
	if (c) {
		CHECK(c->inst[0].rules.block_time_s == 7200);
		CHECK(c->inst[0].rules.n_agents == 2 && !strcmp(c->inst[0].rules.agents[1], "evil agent"));
		CHECK(c->whitelist.n == 3);
		CHECK(c->inst[0].rules.flood.count == 50 && c->inst[0].rules.flood.window_s == 10);
		cfg_free(c);
	}
	fclose(errs);
	(void)err;
}

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/sw-cfgedit.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/sipwarden.conf", dir);
	test_get();
	test_set_existing();
	test_set_empty_values();
	test_add_key();
	test_new_section();
	test_instance();
	test_delete();
	test_bad_values();
	test_backup_and_mode();
	test_mode_never_widens();
	test_passwd_mode();
	test_write_errors();
	test_symlink();
	test_roundtrip_example();
	cleanup();
	return T_DONE();
}
