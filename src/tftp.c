/* tftp: TFTP packet parser (RFC 1350, options RFC 2347/2348/2349/7440),
 * see tftp.h.
 *
 * One pass over the datagram.  The strings of a packet (filename, mode,
 * option names and values, error message) are NUL-terminated; a string the
 * packet ends inside is returned up to the end and flagged NO_NUL, while a
 * field the packet ends before (nothing of it at all) is flagged SHORT and
 * left as SLICE_NULL.  Option names are case-insensitive; the known ones
 * (blksize, timeout, tsize, windowsize) must carry a decimal value in range,
 * unknown ones are kept as they are.  Options past TFTP_MAX_OPTIONS are
 * still checked but not stored, up to TFTP_MAX_WORK: past that WORK_BUDGET
 * is flagged and the rest of the packet is not read.  Nothing is allocated
 * and nothing outside *m is written. */
#include "tftp.h"

#include <string.h>

#define FLAG(m, a) ((m)->anomalies |= 1u << (a))

#define MAX_PACKET 65507u  /* largest UDP payload over IPv4 */
#define MAX_DATA   65464u  /* largest blksize (RFC 2348) */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct slice mk(const uint8_t *p, size_t len)
{
	return (struct slice){ (const char *)p, len };
}

/* The NUL-terminated string at *p (before e): returns its slice and moves
 * *p past its NUL.  Without a NUL the string runs to e (*p = e) and NO_NUL
 * is flagged.  The caller makes sure *p < e. */
static struct slice str(struct tftp_msg *m, const uint8_t **p, const uint8_t *e)
{
	const uint8_t *s = *p, *z = memchr(s, 0, (size_t)(e - s));
	if (!z) {
		FLAG(m, TFTP_A_NO_NUL);
		*p = e;
		return mk(s, (size_t)(e - s));
	}
	*p = z + 1;
	return mk(s, (size_t)(z - s));
}

/* A decimal value in [lo, hi]: digits only, not empty. */
static bool num_in(struct slice v, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	if (v.len == 0 || v.len > 20)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned)(unsigned char)v.p[i] - '0';
		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	return n >= lo && n <= hi;
}

/* Checks the value of a known option; unknown options take any value. */
static bool option_ok(struct slice name, struct slice value)
{
	if (slice_ieq(name, "blksize"))
		return num_in(value, 8, MAX_DATA);
	if (slice_ieq(name, "timeout"))
		return num_in(value, 1, 255);
	if (slice_ieq(name, "tsize"))
		return num_in(value, 0, UINT64_MAX);
	if (slice_ieq(name, "windowsize"))
		return num_in(value, 1, 65535);
	return true;
}

/* Option name/value pairs from p to e (RRQ/WRQ after the mode, OACK). */
static void options(struct tftp_msg *m, const uint8_t *p, const uint8_t *e)
{
	while (p < e) {
		if (m->work == TFTP_MAX_WORK) {
			FLAG(m, TFTP_A_WORK_BUDGET);
			return;
		}
		m->work++;
		struct slice name = str(m, &p, e), value = SLICE_NULL;
		bool ok = name.len > 0;
		if (p < e)
			value = str(m, &p, e);
		else
			ok = false; /* no value at all */
		if (ok)
			ok = option_ok(name, value);
		if (!ok)
			FLAG(m, TFTP_A_BAD_OPTION);
		if (m->n_options < TFTP_MAX_OPTIONS) {
			m->options[m->n_options].name = name;
			m->options[m->n_options].value = value;
			m->n_options++;
		}
	}
}

static bool filename_ok(struct slice f)
{
	if (f.len == 0 || f.len > TFTP_MAX_NAME)
		return false;
	for (size_t i = 0; i < f.len; i++) {
		unsigned char c = (unsigned char)f.p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* RRQ/WRQ: filename NUL mode NUL, then options. */
static void request(struct tftp_msg *m, const uint8_t *p, const uint8_t *e)
{
	if (p == e) {
		FLAG(m, TFTP_A_SHORT);
		return;
	}
	m->filename = str(m, &p, e);
	if (!filename_ok(m->filename))
		FLAG(m, TFTP_A_BAD_FILENAME);
	if (p == e) {
		FLAG(m, TFTP_A_SHORT); /* no mode */
		return;
	}
	m->mode = str(m, &p, e);
	if (!slice_ieq(m->mode, "octet") && !slice_ieq(m->mode, "netascii") && !slice_ieq(m->mode, "mail"))
		FLAG(m, TFTP_A_BAD_MODE);
	options(m, p, e);
}

/* ERROR: code, then a NUL-terminated message. */
static void error_packet(struct tftp_msg *m, const uint8_t *p, const uint8_t *e)
{
	if (e - p < 2) {
		FLAG(m, TFTP_A_SHORT);
		return;
	}
	m->error_code = be16(p);
	if (m->error_code > 8)
		FLAG(m, TFTP_A_BAD_ERROR_CODE);
	p += 2;
	if (p == e)
		FLAG(m, TFTP_A_SHORT); /* no message, not even its NUL */
	else
		m->error_msg = str(m, &p, e);
}

int tftp_parse(const uint8_t *buf, size_t len, struct tftp_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len > MAX_PACKET)
		FLAG(m, TFTP_A_OVERSIZE);
	if (len < 2) {
		FLAG(m, TFTP_A_SHORT);
		return -1;
	}
	uint16_t op = be16(buf);
	if (op < TFTP_RRQ || op > TFTP_OACK) {
		FLAG(m, TFTP_A_BAD_OPCODE);
		return -1;
	}
	m->op = (enum tftp_op)op;
	const uint8_t *p = buf + 2, *e = buf + len;
	switch (m->op) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		request(m, p, e);
		break;
	case TFTP_DATA:
	case TFTP_ACK:
		if (len < 4) {
			FLAG(m, TFTP_A_SHORT);
			break;
		}
		m->block = be16(p);
		if (m->op == TFTP_DATA) {
			m->data = mk(p + 2, len - 4);
			if (m->data.len > MAX_DATA)
				FLAG(m, TFTP_A_OVERSIZE);
		}
		break;
	case TFTP_ERROR:
		error_packet(m, p, e);
		break;
	case TFTP_OACK:
		if (p == e)
			FLAG(m, TFTP_A_SHORT); /* an OACK carries at least one option */
		options(m, p, e);
		break;
	case TFTP_NONE:
		break;
	}
	return 0;
}

static const char *const anomaly_names[TFTP_A__COUNT] = {
	"short", "bad_opcode", "no_nul", "bad_mode", "bad_option",
	"bad_filename", "oversize", "bad_error_code", "work_budget",
};

const char *tftp_anomaly_name(enum tftp_anomaly a)
{
	return (unsigned)a < TFTP_A__COUNT ? anomaly_names[a] : "unknown";
}
