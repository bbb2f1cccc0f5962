/* dns: DNS message parser (RFC 1035, EDNS RFC 6891), see dns.h.
 *
 * The header, then every question and resource record of all four sections
 * is walked with bounds checks; the first question's name is decoded into
 * m->qname.  A walk that cannot find where a record ends (a record cut
 * short, a bad label in the record's own bytes) stops there; an anomaly
 * whose record end is still known (a bad pointer, a name too long) is
 * flagged and the walk goes on, so later sections are checked too.
 *
 * Names.  The 255-byte limit is RFC 1035's: the wire form (length bytes,
 * labels and the final root byte, after decompression), so the dotted text
 * in qname is at most 253 characters.  A compression pointer must point
 * strictly before the start of the run of labels it ends (the name itself,
 * or the previous pointer's target): so the targets of one name strictly
 * decrease and a loop is impossible; a self or forward pointer breaks that
 * rule and is POINTER_LOOP, as is a chain of over MAX_JUMPS pointers.  A
 * pointer into the header or past the message is BAD_POINTER.  Once a name
 * is known to be too long, only its end in the record is looked for.
 *
 * qname is lower-cased (ASCII).  Bytes that the dotted form cannot carry
 * unambiguously -- control bytes, DEL, and '.' inside a label -- become
 * '?'; they are legal in DNS and are not anomalies.
 *
 * The names inside the RDATA of NS, CNAME, PTR, MX and SOA records (the
 * types that may be compressed, RFC 3597 section 4) are walked too: a name
 * that does not fit its RDATA is SHORT.  OPT options must fit the RDATA
 * (else BAD_EDNS).  Nothing is allocated and nothing outside *m is written.
 *
 * Work.  Each step (a label, a pointer followed, a question or record, an
 * EDNS option) is counted in m->work; the step that would pass DNS_MAX_WORK
 * is not taken: WORK_BUDGET is flagged and the walk stops, keeping what was
 * read (header, first question).  Per name the pointers were already
 * bounded, but not per message: 64 KiB of questions each ending in the
 * same chain of 128 pointers walked 1.4 million steps (1.6 ms). */
#include "dns.h"

#include <string.h>

#define FLAG(s, a) ((s)->m->anomalies |= 1u << (a))

#define HDR_LEN   12
#define WIRE_MAX  255 /* a name's wire form, RFC 1035 3.1 */
#define MAX_JUMPS 128

enum { DNS_TYPE_CNAME = 5, DNS_TYPE_PTR = 12, DNS_TYPE_MX = 15 };
enum sect { S_AN, S_NS, S_AR };

struct dns_ps {
	const uint8_t *b;
	size_t len, pos;
	struct dns_msg *m;
	unsigned opts; /* OPT records seen */
};

/* Takes one step of work; false (and WORK_BUDGET) when the budget is spent. */
static bool step(struct dns_ps *s)
{
	if (s->m->work >= DNS_MAX_WORK) {
		FLAG(s, DNS_A_WORK_BUDGET);
		return false;
	}
	s->m->work++;
	return true;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Appends one label to the dotted name out (o bytes so far). */
static size_t put_label(char *out, size_t o, const uint8_t *l, size_t n)
{
	if (o + 1 + n >= DNS_NAME_MAX)
		return o; /* cannot happen within WIRE_MAX; kept for safety */
	if (o)
		out[o++] = '.';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = l[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c | 0x20);
		else if (c < 0x20 || c == 0x7f || c == '.')
			c = '?';
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

/* Walks the name at s->pos, whose own labels must end before lim; pointer
 * targets may be anywhere before.  Decodes it into out (DNS_NAME_MAX bytes,
 * already "") unless out is NULL.  Returns true with s->pos past the name
 * when its end in the record is known (anomalies may be flagged), false
 * when it is not and the walk must stop. */
static bool name(struct dns_ps *s, size_t lim, char *out)
{
	const uint8_t *b = s->b;
	size_t p = s->pos, start = p, end = 0, wire = 0, o = 0;
	unsigned jumps = 0;
	bool too_long = false;
	for (;;) {
		if (!step(s))
			return false;
		if (p >= lim) {
			FLAG(s, DNS_A_SHORT);
			break;
		}
		unsigned c = b[p];
		if (c == 0) {
			if (!end)
				end = p + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (p + 2 > lim) {
				FLAG(s, DNS_A_SHORT);
				break;
			}
			size_t t = (size_t)(c & 0x3f) << 8 | b[p + 1];
			if (!end)
				end = p + 2;
			if (t < HDR_LEN || t >= s->len) {
				FLAG(s, DNS_A_BAD_POINTER);
				break;
			}
			if (t >= start || ++jumps > MAX_JUMPS) {
				FLAG(s, DNS_A_POINTER_LOOP);
				break;
			}
			if (too_long)
				break; /* the end is known, nothing left to decode */
			p = start = t;
			lim = s->len;
			continue;
		}
		if (c & 0xc0) {
			FLAG(s, DNS_A_BAD_LABEL);
			break;
		}
		if (c + 1 > lim - p) {
			FLAG(s, DNS_A_SHORT);
			break;
		}
		wire += 1 + c;
		if (!too_long && wire + 1 > WIRE_MAX) {
			FLAG(s, DNS_A_NAME_TOO_LONG);
			too_long = true;
			if (end)
				break;
		}
		if (out && !too_long)
			o = put_label(out, o, b + p + 1, c);
		p += 1 + c;
	}
	if (!end)
		return false;
	s->pos = end;
	return true;
}

/* The names in the RDATA [p, e) of the record types that carry them.  An
 * empty RDATA is fine (RFC 2136 uses it with CLASS ANY). */
static void rdata_names(struct dns_ps *s, uint16_t type, size_t p, size_t e)
{
	struct dns_ps r = *s;
	unsigned n = 1;
	size_t fixed = 0;
	if (p == e)
		return; /* no RDATA: a prerequisite or a deletion in an UPDATE */
	if (type == DNS_TYPE_MX)
		p += 2;
	else if (type == DNS_TYPE_SOA) {
		n = 2;
		fixed = 20; /* serial, refresh, retry, expire, minimum */
	} else if (type != DNS_TYPE_NS && type != DNS_TYPE_CNAME && type != DNS_TYPE_PTR)
		return;
	r.pos = p;
	for (; n > 0; n--)
		if (r.pos > e || !name(&r, e, NULL))
			goto short_;
	if (e - r.pos >= fixed)
		return;
short_:
	if (!(s->m->anomalies & 1u << DNS_A_WORK_BUDGET))
		FLAG(s, DNS_A_SHORT);
}

/* OPT: where it is, how often, its name; its options must fit its RDATA. */
static void opt(struct dns_ps *s, enum sect sec, bool root, uint16_t cls, size_t p, size_t e)
{
	if (sec != S_AR || s->opts++ || !root)
		FLAG(s, DNS_A_BAD_EDNS);
	if (sec == S_AR && !s->m->edns) {
		s->m->edns = true;
		s->m->edns_size = cls;
	}
	while (e - p >= 4) {
		if (!step(s))
			return;
		size_t olen = be16(s->b + p + 2);
		p += 4;
		if (olen > e - p)
			break;
		p += olen;
	}
	if (p != e && s->m->work < DNS_MAX_WORK)
		FLAG(s, DNS_A_BAD_EDNS);
}

/* count records of section sec.  Returns false when the walk must stop. */
static bool records(struct dns_ps *s, enum sect sec, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (s->pos == s->len) {
			FLAG(s, DNS_A_BAD_COUNTS);
			return false;
		}
		if (!step(s))
			return false;
		bool root = s->b[s->pos] == 0;
		if (!name(s, s->len, NULL))
			return false;
		if (s->len - s->pos < 10) {
			FLAG(s, DNS_A_SHORT);
			return false;
		}
		const uint8_t *f = s->b + s->pos;
		uint16_t type = be16(f), cls = be16(f + 2);
		size_t rdlen = be16(f + 8), rd = s->pos + 10;
		if (rdlen > s->len - rd) {
			FLAG(s, DNS_A_SHORT);
			return false;
		}
		if (type == DNS_TYPE_OPT)
			opt(s, sec, root, cls, rd, rd + rdlen);
		else
			rdata_names(s, type, rd, rd + rdlen);
		if (s->m->work >= DNS_MAX_WORK && (s->m->anomalies & 1u << DNS_A_WORK_BUDGET))
			return false;
		s->pos = s->m->msg_len = rd + rdlen;
	}
	return true;
}

static bool questions(struct dns_ps *s)
{
	struct dns_msg *m = s->m;
	for (unsigned i = 0; i < m->qdcount; i++) {
		if (s->pos == s->len) {
			FLAG(s, DNS_A_BAD_COUNTS);
			return false;
		}
		if (!step(s) || !name(s, s->len, i == 0 ? m->qname : NULL))
			return false;
		if (s->len - s->pos < 4) {
			FLAG(s, DNS_A_SHORT);
			return false;
		}
		if (i == 0) {
			m->qtype = be16(s->b + s->pos);
			m->qclass = be16(s->b + s->pos + 2);
		}
		s->pos = m->msg_len = s->pos + 4;
	}
	return true;
}

int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m)
{
	struct dns_ps s = { .b = buf, .len = len, .pos = HDR_LEN, .m = m };
	memset(m, 0, sizeof(*m));
	if (len < HDR_LEN) {
		FLAG(&s, DNS_A_SHORT);
		return -1;
	}
	uint16_t flags = be16(buf + 2);
	m->id = be16(buf);
	m->qr = flags >> 15;
	m->opcode = (uint8_t)(flags >> 11 & 0xf);
	m->rcode = (uint8_t)(flags & 0xf);
	m->qdcount = be16(buf + 4);
	m->ancount = be16(buf + 6);
	m->nscount = be16(buf + 8);
	m->arcount = be16(buf + 10);
	m->msg_len = HDR_LEN;
	if (m->qdcount == 0 && !m->qr && m->opcode == 0)
		FLAG(&s, DNS_A_BAD_COUNTS);
	if (questions(&s) && records(&s, S_AN, m->ancount) && records(&s, S_NS, m->nscount) &&
	    records(&s, S_AR, m->arcount) && s.pos < len)
		FLAG(&s, DNS_A_TRAILING);
	return 0;
}

size_t dns_frame(const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	size_t n = 2 + (size_t)be16(buf);
	return n <= len ? n : 0;
}

static const char *const anomaly_names[DNS_A__COUNT] = {
	"short", "bad_label", "name_too_long", "pointer_loop", "bad_pointer",
	"bad_counts", "trailing", "bad_edns", "work_budget",
};

const char *dns_anomaly_name(enum dns_anomaly a)
{
	return (unsigned)a < DNS_A__COUNT ? anomaly_names[a] : "unknown";
}
