/* test_tftp: the TFTP parser.
 *
 * The realistic vectors were captured on the loopback interface from the
 * tftp-hpa client and tftpd-hpa 5.2 (the option request was sent by hand,
 * the way PXE ROMs and phones send it).  The crafted vectors each state the
 * exact anomaly set expected.  Every parse reads from a guard-paged copy
 * (t_guarded), so an over-read crashes. */
#include "tftp.h"
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define A(x) (1u << TFTP_A_##x)

/* ---- captured vectors ---- */

/* tftp_rrq_sep: 32 bytes */
static const char tftp_rrq_sep[] =
	"\x00\x01SEP001122334455.cnf.xml\x00octet\x00";
/* tftpd_data1: 516 bytes */
static const char tftpd_data1[] =
	"\x00\x03\x00\x01hello phone config\x0ahello phone config\x0ahello phone config\x0ahello"
	" phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0ahell"
	"o phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0ahel"
	"lo phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0ahe"
	"llo phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0ah"
	"ello phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0a"
	"hello phone config\x0ahello phone config\x0ahello phone config\x0ahello phone config";
/* tftp_ack1: 4 bytes */
static const char tftp_ack1[] =
	"\x00\x04\x00\x01";
/* tftpd_data3: 120 bytes */
static const char tftpd_data3[] =
	"\x00\x03\x00\x03g\x0ahello phone config\x0ahello phone config\x0ahello phone config\x0a"
	"hello phone config\x0ahello phone config\x0ahello phone config\x0a";
/* tftp_rrq_netascii: 28 bytes */
static const char tftp_rrq_netascii[] =
	"\x00\x01" "001565aabbcc.cfg\x00netascii\x00";
/* tftp_rrq_phone: 34 bytes */
static const char tftp_rrq_phone[] =
	"\x00\x01" "0004f2aabbcc-phone.cfg\x00netascii\x00";
/* tftpd_error_nf: 19 bytes */
static const char tftpd_error_nf[] =
	"\x00\x05\x00\x01" "File not found\x00";
/* tftp_wrq: 15 bytes */
static const char tftp_wrq[] =
	"\x00\x02up.txt\x00octet\x00";
/* rrq_options: 76 bytes */
static const char rrq_options[] =
	"\x00\x01SEP001122334455.cnf.xml\x00octet\x00tsize\x00" "0\x00" "blksize\x00" "1432\x00t"
	"imeout\x00" "5\x00windowsize\x00" "4\x00";
/* tftpd_oack: 36 bytes */
static const char tftpd_oack[] =
	"\x00\x06tsize\x00" "1140\x00" "blksize\x00" "1432\x00timeout\x00" "5\x00";
/* tftp_error_abort: 5 bytes */
static const char tftp_error_abort[] =
	"\x00\x05\x00\x08\x00";

/* ---- helpers ---- */

static const char *names(uint32_t a)
{
	static char out[256];
	out[0] = '\0';
	for (int i = 0; i < TFTP_A__COUNT; i++)
		if (a & (1u << i)) {
			strcat(out, tftp_anomaly_name((enum tftp_anomaly)i));
			strcat(out, " ");
		}
	return out;
}

static const uint8_t *g_buf;

static int parse(const void *b, size_t n, struct tftp_msg *m)
{
	g_buf = t_guarded(b, n);
	return tftp_parse(g_buf, n, m);
}

static bool S(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static bool inside(struct slice s, const uint8_t *b, size_t n)
{
	const char *c = (const char *)b;
	if (!s.p)
		return s.len == 0;
	return s.p >= c && s.p <= c + n && s.len <= (size_t)(c + n - s.p);
}

/* Every slice of m lies in b[0..n). */
static bool all_inside(const struct tftp_msg *m, const uint8_t *b, size_t n)
{
	if (m->n_options > TFTP_MAX_OPTIONS)
		return false;
	for (unsigned i = 0; i < m->n_options; i++)
		if (!inside(m->options[i].name, b, n) || !inside(m->options[i].value, b, n))
			return false;
	return inside(m->filename, b, n) && inside(m->mode, b, n) && inside(m->data, b, n) &&
	       inside(m->error_msg, b, n);
}

/* ---- realistic packets ---- */

struct rvec {
	const char *name, *buf;
	size_t len;
	enum tftp_op op;
	const char *filename, *mode; /* NULL: not there */
	unsigned n_options;
	uint16_t block;
	size_t data_len;
	uint16_t error_code;
	const char *error_msg;
};

#define RV(v) #v, v, sizeof(v) - 1

static const struct rvec rvecs[] = {
	{ RV(tftp_rrq_sep), TFTP_RRQ, "SEP001122334455.cnf.xml", "octet", 0, 0, 0, 0, NULL },
	{ RV(tftp_rrq_netascii), TFTP_RRQ, "001565aabbcc.cfg", "netascii", 0, 0, 0, 0, NULL },
	{ RV(tftp_rrq_phone), TFTP_RRQ, "0004f2aabbcc-phone.cfg", "netascii", 0, 0, 0, 0, NULL },
	{ RV(tftp_wrq), TFTP_WRQ, "up.txt", "octet", 0, 0, 0, 0, NULL },
	{ RV(rrq_options), TFTP_RRQ, "SEP001122334455.cnf.xml", "octet", 4, 0, 0, 0, NULL },
	{ RV(tftpd_oack), TFTP_OACK, NULL, NULL, 3, 0, 0, 0, NULL },
	{ RV(tftpd_data1), TFTP_DATA, NULL, NULL, 0, 1, 512, 0, NULL },
	{ RV(tftpd_data3), TFTP_DATA, NULL, NULL, 0, 3, 116, 0, NULL },
	{ RV(tftp_ack1), TFTP_ACK, NULL, NULL, 0, 1, 0, 0, NULL },
	{ RV(tftpd_error_nf), TFTP_ERROR, NULL, NULL, 0, 0, 0, 1, "File not found" },
	{ RV(tftp_error_abort), TFTP_ERROR, NULL, NULL, 0, 0, 0, 8, "" },
};

static bool opt_slice(struct slice s, const char *want)
{
	return want ? S(s, want) : (s.p == NULL && s.len == 0);
}

static void test_realistic(void)
{
	for (size_t i = 0; i < ARRAY_LEN(rvecs); i++) {
		const struct rvec *v = &rvecs[i];
		struct tftp_msg m;
		int r = parse(v->buf, v->len, &m);
		CHECK_MSG(r == 0 && m.anomalies == 0, "%s: %d [%s]", v->name, r, names(m.anomalies));
		CHECK_MSG(m.op == v->op, "%s: op %d", v->name, m.op);
		CHECK_MSG(opt_slice(m.filename, v->filename) && opt_slice(m.mode, v->mode), "%s: filename/mode", v->name);
		CHECK_MSG(m.n_options == v->n_options, "%s: %u options", v->name, m.n_options);
		CHECK_MSG(m.block == v->block && m.data.len == v->data_len, "%s: block %u data %zu", v->name, m.block, m.data.len);
		if (v->op == TFTP_DATA)
			CHECK_MSG(m.data.p == (const char *)g_buf + 4, "%s: data slice", v->name);
		CHECK_MSG(m.error_code == v->error_code && opt_slice(m.error_msg, v->error_msg), "%s: error", v->name);
		CHECK_MSG(all_inside(&m, g_buf, v->len), "%s: slices", v->name);
	}

	struct tftp_msg m;
	CHECK(parse(rrq_options, sizeof rrq_options - 1, &m) == 0 && m.n_options == 4);
	CHECK(S(m.options[0].name, "tsize") && S(m.options[0].value, "0"));
	CHECK(S(m.options[1].name, "blksize") && S(m.options[1].value, "1432"));
	CHECK(S(m.options[2].name, "timeout") && S(m.options[2].value, "5"));
	CHECK(S(m.options[3].name, "windowsize") && S(m.options[3].value, "4"));
	CHECK(parse(tftpd_oack, sizeof tftpd_oack - 1, &m) == 0 && m.n_options == 3);
	CHECK(S(m.options[0].name, "tsize") && S(m.options[0].value, "1140"));
	CHECK(S(m.options[2].name, "timeout") && S(m.options[2].value, "5"));
	CHECK(parse(tftpd_data3, sizeof tftpd_data3 - 1, &m) == 0 && m.data.len == 116 && m.data.p[0] == 'g');
}

/* ---- crafted vectors ---- */

struct avec {
	const char *name, *msg;
	size_t len;
	int ret;
	uint32_t anom; /* the exact set expected */
};

#define V(name, lit, ret, anom) { name, lit, sizeof(lit) - 1, ret, anom }
#define RRQ "\x00\x01"
#define WRQ "\x00\x02"
#define F "SEP001122334455.cnf.xml\0"
#define OCT F "octet\0"

static const struct avec avecs[] = {
	V("empty", "", -1, A(SHORT)),
	V("one byte", "\x00", -1, A(SHORT)),
	V("opcode 0", "\x00\x00" OCT, -1, A(BAD_OPCODE)),
	V("opcode 7", "\x00\x07" OCT, -1, A(BAD_OPCODE)),
	V("opcode 0x0100", "\x01\x00\x00\x01", -1, A(BAD_OPCODE)),
	V("opcode only", "\xff\xff", -1, A(BAD_OPCODE)),
	V("RRQ alone", RRQ, 0, A(SHORT)),
	V("RRQ filename without NUL", RRQ "SEP001122334455.cnf.xml", 0, A(NO_NUL) | A(SHORT)),
	V("RRQ without mode", RRQ F, 0, A(SHORT)),
	V("RRQ mode without NUL", RRQ F "octet", 0, A(NO_NUL)),
	V("RRQ mode cut", RRQ F "oct", 0, A(NO_NUL) | A(BAD_MODE)),
	V("RRQ mode binary", RRQ F "binary\0", 0, A(BAD_MODE)),
	V("RRQ mode empty", RRQ F "\0", 0, A(BAD_MODE)),
	V("RRQ mode with a space", RRQ F "octet \0", 0, A(BAD_MODE)),
	V("RRQ OCTET", RRQ F "OCTET\0", 0, 0),
	V("RRQ NetAscii", RRQ F "NetAscii\0", 0, 0),
	V("WRQ mail", WRQ F "mail\0", 0, 0),
	V("RRQ empty filename", RRQ "\0octet\0", 0, A(BAD_FILENAME)),
	V("RRQ control byte in filename", RRQ "a\x01" "b\0octet\0", 0, A(BAD_FILENAME)),
	V("RRQ DEL in filename", RRQ "a\x7f\0octet\0", 0, A(BAD_FILENAME)),
	V("RRQ newline in filename", RRQ "a\nb\0octet\0", 0, A(BAD_FILENAME)),
	V("RRQ traversal is not an anomaly here", RRQ "../../etc/passwd\0octet\0", 0, 0),
	V("RRQ UTF-8 filename", RRQ "t\xc3\xa9l\xc3\xa9phone.cfg\0octet\0", 0, 0),
	V("blksize 8", RRQ OCT "blksize\0" "8\0", 0, 0),
	V("blksize 65464", RRQ OCT "blksize\0" "65464\0", 0, 0),
	V("blksize 7", RRQ OCT "blksize\0" "7\0", 0, A(BAD_OPTION)),
	V("blksize 65465", RRQ OCT "blksize\0" "65465\0", 0, A(BAD_OPTION)),
	V("blksize hex", RRQ OCT "blksize\0" "0x400\0", 0, A(BAD_OPTION)),
	V("blksize empty", RRQ OCT "blksize\0\0", 0, A(BAD_OPTION)),
	V("blksize signed", RRQ OCT "blksize\0+512\0", 0, A(BAD_OPTION)),
	V("blksize space", RRQ OCT "blksize\0 512\0", 0, A(BAD_OPTION)),
	V("BLKSIZE upper case", RRQ OCT "BLKSIZE\0" "1024\0", 0, 0),
	V("blksize leading zeros", RRQ OCT "blksize\0" "0001024\0", 0, 0),
	V("blksize without value", RRQ OCT "blksize\0", 0, A(BAD_OPTION)),
	V("blksize without NUL", RRQ OCT "blksize", 0, A(NO_NUL) | A(BAD_OPTION)),
	V("blksize value without NUL", RRQ OCT "blksize\0" "1432", 0, A(NO_NUL)),
	V("timeout 1", RRQ OCT "timeout\0" "1\0", 0, 0),
	V("timeout 255", RRQ OCT "timeout\0" "255\0", 0, 0),
	V("timeout 0", RRQ OCT "timeout\0" "0\0", 0, A(BAD_OPTION)),
	V("timeout 256", RRQ OCT "timeout\0" "256\0", 0, A(BAD_OPTION)),
	V("tsize 0", RRQ OCT "tsize\0" "0\0", 0, 0),
	V("tsize 2^64-1", RRQ OCT "tsize\0" "18446744073709551615\0", 0, 0),
	V("tsize 2^64", RRQ OCT "tsize\0" "18446744073709551616\0", 0, A(BAD_OPTION)),
	V("tsize 21 digits", RRQ OCT "tsize\0" "000000000000000000001\0", 0, A(BAD_OPTION)),
	V("tsize -1", RRQ OCT "tsize\0-1\0", 0, A(BAD_OPTION)),
	V("windowsize 1", RRQ OCT "windowsize\0" "1\0", 0, 0),
	V("windowsize 65535", RRQ OCT "windowsize\0" "65535\0", 0, 0),
	V("windowsize 0", RRQ OCT "windowsize\0" "0\0", 0, A(BAD_OPTION)),
	V("windowsize 65536", RRQ OCT "windowsize\0" "65536\0", 0, A(BAD_OPTION)),
	V("unknown option", RRQ OCT "multicast\0\0", 0, 0),
	V("unknown option with value", RRQ OCT "x-vendor\0abc def\0", 0, 0),
	V("empty option name", RRQ OCT "\0" "5\0", 0, A(BAD_OPTION)),
	V("NUL padding", RRQ OCT "\0", 0, A(BAD_OPTION)),
	V("DATA cut", "\x00\x03\x00", 0, A(SHORT)),
	V("DATA opcode only", "\x00\x03", 0, A(SHORT)),
	V("DATA empty", "\x00\x03\x00\x07", 0, 0),
	V("ACK cut", "\x00\x04\x01", 0, A(SHORT)),
	V("ACK block 0", "\x00\x04\x00\x00", 0, 0),
	V("ERROR cut", "\x00\x05\x00", 0, A(SHORT)),
	V("ERROR without message", "\x00\x05\x00\x01", 0, A(SHORT)),
	V("ERROR message without NUL", "\x00\x05\x00\x02" "Access violation", 0, A(NO_NUL)),
	V("ERROR code 0", "\x00\x05\x00\x00" "custom\0", 0, 0),
	V("ERROR code 9", "\x00\x05\x00\x09" "x\0", 0, A(BAD_ERROR_CODE)),
	V("ERROR code 0xffff", "\x00\x05\xff\xff" "x", 0, A(BAD_ERROR_CODE) | A(NO_NUL)),
	V("OACK empty", "\x00\x06", 0, A(SHORT)),
	V("OACK blksize 0", "\x00\x06" "blksize\0" "0\0", 0, A(BAD_OPTION)),
	V("OACK option without value", "\x00\x06" "tsize\0", 0, A(BAD_OPTION)),
	V("several at once", RRQ "a\x01\0bin\0blksize\0" "1\0tsize", 0,
	  A(BAD_FILENAME) | A(BAD_MODE) | A(BAD_OPTION) | A(NO_NUL)),
};

static void test_anomaly_vectors(void)
{
	for (size_t i = 0; i < ARRAY_LEN(avecs); i++) {
		const struct avec *v = &avecs[i];
		struct tftp_msg m;
		int r = parse(v->msg, v->len, &m);
		CHECK_MSG(r == v->ret, "%s: returned %d", v->name, r);
		CHECK_MSG(m.anomalies == v->anom, "%s: got [%s]", v->name, names(m.anomalies));
		CHECK_MSG(all_inside(&m, g_buf, v->len), "%s: slices", v->name);
		CHECK_MSG(r == 0 || m.op == TFTP_NONE, "%s: op %d", v->name, m.op);
	}
}

/* What the parser returns from packets with problems. */
static void test_fields(void)
{
	struct tftp_msg m;
	static const char nonul[] = "\x00\x05\x00\x02" "Access violation";
	CHECK(parse(nonul, sizeof nonul - 1, &m) == 0 && m.op == TFTP_ERROR && m.error_code == 2);
	CHECK(S(m.error_msg, "Access violation")); /* no NUL, still returned */

	static const char modecut[] = RRQ F "oct";
	CHECK(parse(modecut, sizeof modecut - 1, &m) == 0 && S(m.filename, "SEP001122334455.cnf.xml") && S(m.mode, "oct"));
	static const char nomode[] = RRQ F;
	CHECK(parse(nomode, sizeof nomode - 1, &m) == 0 && m.mode.p == NULL && m.mode.len == 0);
	CHECK(parse(RRQ, 2, &m) == 0 && m.op == TFTP_RRQ && m.filename.p == NULL);

	static const char novalue[] = RRQ OCT "tsize\0" "0\0blksize\0";
	CHECK(parse(novalue, sizeof novalue - 1, &m) == 0 && m.n_options == 2 && m.anomalies == A(BAD_OPTION));
	CHECK(S(m.options[1].name, "blksize") && m.options[1].value.p == NULL);

	static const char unknown[] = RRQ OCT "x-vendor\0abc def\0Tsize\0" "0\0";
	CHECK(parse(unknown, sizeof unknown - 1, &m) == 0 && m.n_options == 2 && m.anomalies == 0);
	CHECK(S(m.options[0].name, "x-vendor") && S(m.options[0].value, "abc def") && S(m.options[1].name, "Tsize"));

	static const char ack[] = "\x00\x04\xbe\xef";
	CHECK(parse(ack, 4, &m) == 0 && m.op == TFTP_ACK && m.block == 0xbeef && m.data.p == NULL);
	static const char data[] = "\x00\x03\xff\xff" "x";
	CHECK(parse(data, 5, &m) == 0 && m.block == 0xffff && S(m.data, "x"));
	CHECK(parse("\x00\x07", 2, &m) == -1 && m.op == TFTP_NONE);
}

/* Limits: filename length, DATA payload and packet size, option count. */
static void test_limits(void)
{
	static uint8_t b[70000];
	struct tftp_msg m;
	size_t n;

	for (size_t flen = TFTP_MAX_NAME; flen <= TFTP_MAX_NAME + 1; flen++) {
		n = 0;
		b[n++] = 0;
		b[n++] = 1;
		memset(b + n, 'a', flen);
		n += flen;
		memcpy(b + n, "\0octet\0", 7);
		n += 7;
		CHECK(parse(b, n, &m) == 0 && m.filename.len == flen);
		CHECK_MSG(m.anomalies == (flen > TFTP_MAX_NAME ? A(BAD_FILENAME) : 0), "filename %zu: [%s]", flen, names(m.anomalies));
	}

	memset(b, 'd', sizeof b);
	b[0] = 0;
	b[1] = 3;
	b[2] = 0;
	b[3] = 9;
	CHECK(parse(b, 4 + 65464, &m) == 0 && m.anomalies == 0 && m.data.len == 65464 && m.block == 9);
	CHECK(parse(b, 4 + 65465, &m) == 0 && m.anomalies == A(OVERSIZE) && m.data.len == 65465);
	CHECK(parse(b, 65508, &m) == 0 && m.anomalies == A(OVERSIZE));
	b[1] = 4;
	CHECK(parse(b, 65507, &m) == 0 && m.anomalies == 0 && m.op == TFTP_ACK); /* trailing bytes after an ACK pass */
	CHECK(parse(b, 65508, &m) == 0 && m.anomalies == A(OVERSIZE));
	b[1] = 9;
	CHECK(parse(b, 65508, &m) == -1 && m.anomalies == (A(OVERSIZE) | A(BAD_OPCODE)));

	/* options past TFTP_MAX_OPTIONS are checked, not kept */
	for (unsigned extra = 0; extra <= 1; extra++) {
		n = 0;
		memcpy(b, RRQ OCT, sizeof(RRQ OCT) - 1);
		n = sizeof(RRQ OCT) - 1;
		for (unsigned i = 0; i < TFTP_MAX_OPTIONS + 4; i++) {
			bool bad = extra && i == TFTP_MAX_OPTIONS + 3;
			n += (size_t)sprintf((char *)b + n, "%s", bad ? "blksize" : "opt");
			b[n++] = 0;
			n += (size_t)sprintf((char *)b + n, "%s", bad ? "1" : "v");
			b[n++] = 0;
		}
		CHECK(parse(b, n, &m) == 0 && m.n_options == TFTP_MAX_OPTIONS && all_inside(&m, g_buf, n));
		CHECK(m.anomalies == (extra ? A(BAD_OPTION) : 0));
	}
}

/* ---- robustness ---- */

/* Every prefix of the captured packets parses on a guarded buffer; each
 * proper prefix of a request without options or of an ERROR is flagged. */
static void test_prefixes(void)
{
	int bad = 0;
	for (size_t v = 0; v < ARRAY_LEN(rvecs); v++) {
		const struct rvec *r = &rvecs[v];
		bool strict = r->n_options == 0 && (r->op == TFTP_RRQ || r->op == TFTP_WRQ || r->op == TFTP_ERROR);
		for (size_t k = 0; k <= r->len; k++) {
			struct tftp_msg m;
			int ret = parse(r->buf, k, &m);
			if (ret != (k < 2 ? -1 : 0) || !all_inside(&m, g_buf, k))
				bad++;
			else if (k >= 2 && m.op != r->op)
				bad++;
			else if (strict && k < r->len && m.anomalies == 0)
				bad++;
		}
	}
	CHECK_MSG(bad == 0, "%d prefix parses misbehaved", bad);
}

/* ---- work per packet ---- */

/* Options are read up to TFTP_MAX_WORK: a request padded with 16,000 tiny
 * ones is cut there, flagged, its filename and first options kept. */
static void test_work_budget(void)
{
	static uint8_t b[65507];
	struct tftp_msg m;
	size_t n = 0;
	memcpy(b, "\x00\x01" "SEP001122334455.cnf.xml\x00octet\x00", 32);
	n = 32;
	while (n + 4 <= sizeof b) {
		memcpy(b + n, "x\x00" "1\x00", 4);
		n += 4;
	}
	CHECK(parse(b, n, &m) == 0 && m.op == TFTP_RRQ && S(m.filename, "SEP001122334455.cnf.xml"));
	CHECK_MSG(m.anomalies == A(WORK_BUDGET), "[%s]", names(m.anomalies));
	CHECK(m.work == TFTP_MAX_WORK && m.n_options == TFTP_MAX_OPTIONS && all_inside(&m, g_buf, n));
	/* exactly TFTP_MAX_WORK options are fine */
	n = 32 + 4 * TFTP_MAX_WORK;
	CHECK(parse(b, n, &m) == 0 && m.anomalies == 0 && m.work == TFTP_MAX_WORK);
	/* an OACK too */
	b[1] = 6;
	CHECK(parse(b, sizeof b, &m) == 0 && (m.anomalies & A(WORK_BUDGET)) && m.work == TFTP_MAX_WORK);
}

/* ---- names ---- */

static void test_names(void)
{
	static const char *const want[TFTP_A__COUNT] = {
		"short", "bad_opcode", "no_nul", "bad_mode", "bad_option",
		"bad_filename", "oversize", "bad_error_code", "work_budget",
	};
	for (int i = 0; i < TFTP_A__COUNT; i++)
		CHECK_MSG(strcmp(tftp_anomaly_name((enum tftp_anomaly)i), want[i]) == 0, "anomaly %d", i);
	CHECK(tftp_anomaly_name(TFTP_A__COUNT) != NULL && tftp_anomaly_name((enum tftp_anomaly)99) != NULL);
}

/* Every anomaly code is produced by at least one vector. */
static void test_anomaly_coverage(void)
{
	uint32_t seen = A(OVERSIZE) | A(WORK_BUDGET); /* test_limits, test_work_budget */
	for (size_t i = 0; i < ARRAY_LEN(avecs); i++)
		seen |= avecs[i].anom;
	for (int i = 0; i < TFTP_A__COUNT; i++)
		CHECK_MSG(seen & (1u << i), "no vector for %s", tftp_anomaly_name((enum tftp_anomaly)i));
}

int main(void)
{
	test_realistic();
	test_anomaly_vectors();
	test_fields();
	test_limits();
	test_prefixes();
	test_work_budget();
	test_names();
	test_anomaly_coverage();
	return T_DONE();
}
