/* mail: composes the notification mails (attack, digest, daily summary, test)
 * as complete MIME messages: CRLF line ends, quoted-printable text and HTML
 * parts, RFC 2047 subjects when they are not ASCII.
 *
 * Every string that did not come from this file (network data, config
 * values, names in the caller's structs) passes through sanitise() before it
 * is written, and through put_esc() in the HTML part.  Each part is composed
 * as plain UTF-8 with LF line ends into a struct doc, then encoded. */
#include "mail.h"
#include "text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAN_MAX 1024  /* longest sanitised value, bytes */
#define QP_LINE 76    /* longest quoted-printable line, soft break included */
#define TBUF 64       /* formatted times and durations */
#define BAR_TEXT 40   /* widest ASCII bar, characters */
#define BAR_HTML 300  /* widest HTML bar, pixels */
#define BAR_COLOUR "#c0392b"

/* ---- output buffer ---- */

/* A writer over a mail_buf with a sticky out-of-memory flag: composers write
 * freely and look at the flag once. */
struct wr {
	struct mail_buf *b;
	bool oom;
};

void mail_buf_free(struct mail_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Makes room for n more bytes and a NUL; false when out of memory. */
static bool reserve(struct wr *w, size_t n)
{
	struct mail_buf *b = w->b;
	w->oom = w->oom || n > SIZE_MAX / 4 - b->len;
	if (w->oom || b->len + n < b->cap)
		return !w->oom;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap <= b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	w->oom = !p;
	if (p) {
		b->p = p;
		b->cap = cap;
	}
	return p != NULL;
}

static void put(struct wr *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->b->p + w->b->len, s, n);
	w->b->len += n;
	w->b->p[w->b->len] = '\0';
}

static void puts_(struct wr *w, const char *s) { put(w, s, strlen(s)); }

/* printf for what this file builds from safe data: numbers, times, markup. */
static __attribute__((format(printf, 2, 3))) void putf(struct wr *w, const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	int k = vsnprintf(NULL, 0, fmt, ap);
	if (k >= 0 && reserve(w, (size_t)k)) {
		vsnprintf(w->b->p + w->b->len, (size_t)k + 1, fmt, aq);
		w->b->len += (size_t)k;
	}
	va_end(aq);
	va_end(ap);
}

/* ---- sanitising ---- */

/* text_safe's plain form of s (at most smax bytes read; NULL reads as "")
 * into dst (size n > 0): valid UTF-8, controls (CR and LF included) and
 * characters that hide or disguise text shown as visible escapes, cut
 * between whole characters.  Returns the length written. */
static size_t sanitise(char *dst, size_t n, const char *s, size_t smax)
{
	s = s ? s : "";
	size_t k = text_safe(dst, n, s, strnlen(s, smax), TEXT_PLAIN);
	return k < n ? k : strlen(dst);
}

/* Sanitises a fixed-size field of a caller's struct into a local array. */
#define SAN(dst, field) sanitise(dst, sizeof(dst), field, sizeof(field))

/* Writes s (already sanitised) with & < > " ' escaped for HTML. */
static void put_esc(struct wr *w, const char *s)
{
	static const char set[] = "&<>\"'", *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	for (size_t k; *s; s += k + (s[k] != '\0')) {
		k = strcspn(s, set);
		put(w, s, k);
		if (s[k])
			puts_(w, ent[strchr(set, s[k]) - set]);
	}
}

/* Sanitised text, cut to bound bytes; in HTML also escaped. */
static void put_text(struct wr *w, const char *s, size_t bound, bool html)
{
	char tmp[SAN_MAX];
	sanitise(tmp, bound < sizeof tmp ? bound + 1 : sizeof tmp, s, SAN_MAX * 4);
	if (html)
		put_esc(w, tmp);
	else
		puts_(w, tmp);
}

/* ---- formatting ---- */

/* The local time of us, and its offset as "+0100" in off (16 bytes). */
static struct tm local(uint64_t us, char *off)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm);
	long m = tm.tm_gmtoff / 60;
	snprintf(off, 16, "%c%02ld%02ld", m < 0 ? '-' : '+', labs(m) / 60 % 100, labs(m) % 60);
	return tm;
}

/* "2026-11-27 08:00:00 +0100", local time with its offset; only "08:00" when hm. */
static char *fmt_time_hm(uint64_t us, char *buf, bool hm)
{
	char off[16];
	struct tm tm = local(us, off);
	if (hm)
		snprintf(buf, TBUF, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, TBUF, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
	return buf;
}
#define fmt_time(us, buf) fmt_time_hm(us, buf, false)
#define fmt_hm(us, buf) fmt_time_hm(us, buf, true)

/* "1 d 2 h 30 min", "permanent" (0), "alert" (negative: not a block). */
static char *fmt_dur(int64_t s, char *buf)
{
	static const int64_t secs[] = { 86400, 3600, 60, 1 };
	static const char *const unit[] = { "d", "h", "min", "s" };
	size_t o = 0;
	snprintf(buf, TBUF, "%s", s ? "alert" : "permanent");
	for (size_t i = 0; i < 4 && s > 0 && o < TBUF; s %= secs[i++])
		if (s / secs[i])
			o += (size_t)snprintf(buf + o, TBUF - o, "%s%lld %s", o ? " " : "",
			                      (long long)(s / secs[i]), unit[i]);
	return buf;
}

/* The host name for subjects and texts: sanitised, bounded, never empty. */
static char *host_name(const struct mail_ctx *c, char *buf)
{
	if (!sanitise(buf, TBUF, c->hostname, SAN_MAX))
		snprintf(buf, TBUF, "localhost");
	return buf;
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* ---- twin text and HTML parts ---- */

struct doc {
	struct mail_buf tb, hb;
	struct wr t, h;  /* text part (UTF-8, LF) and HTML part */
};

#define TD "<td style=\"padding:2px 12px 2px 0;vertical-align:top\">"
#define TDR "<td style=\"padding:2px 12px 2px 0;vertical-align:top;text-align:right\">"
#define TH "<th style=\"padding:2px 12px 2px 0;text-align:left;border-bottom:1px solid #999\">"
#define TABLE "<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"border-collapse:collapse;font-size:13px\">\n"

/* s, sanitised here, in both parts, each part with its own prefix and suffix. */
static void twin(struct doc *d, const char *tp, const char *ts, const char *hp, const char *hs,
                 const char *s)
{
	puts_(&d->t, tp);
	put_text(&d->t, s, SAN_MAX, false);
	puts_(&d->t, ts);
	puts_(&d->h, hp);
	put_text(&d->h, s, SAN_MAX, true);
	puts_(&d->h, hs);
}

static void doc_para(struct doc *d, const char *s)
{
	twin(d, "", "\n\n", "<p style=\"margin:0 0 12px\">", "</p>\n", s);
}

/* Starts both parts: the HTML head (title) and the lead paragraph. */
static void doc_open(struct doc *d, const char *title, const char *lead)
{
	memset(d, 0, sizeof *d);
	d->t.b = &d->tb;
	d->h.b = &d->hb;
	puts_(&d->h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	put_text(&d->h, title, 300, true);
	puts_(&d->h, "</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;"
	             "font-size:14px;color:#222\">\n");
	doc_para(d, lead);
}

static void doc_close(struct doc *d, const struct mail_ctx *c)
{
	char host[TBUF];
	twin(d, "\n-- \nsipwarden on ", "\n", "<p style=\"color:#777;font-size:12px;margin-top:24px\">"
	     "sipwarden on ", "</p>\n</body></html>\n", host_name(c, host));
}

/* A heading (ASCII): underlined in the text part, <h3> in the HTML part. */
static void doc_head(struct doc *d, const char *s)
{
	char line[128] = "\n";
	size_t n = strlen(s) < sizeof line - 3 ? strlen(s) : sizeof line - 3;
	memset(line + 1, '-', n);
	line[n + 1] = '\n';
	twin(d, "\n", line, "<h3 style=\"font-size:15px;margin:20px 0 6px\">", "</h3>\n", s);
}

/* A "label: value" row (label from this file); value is sanitised here. */
static void doc_kv(struct doc *d, const char *label, const char *value)
{
	char tp[64], hp[256];
	int pad = 18 - (int)strlen(label);
	snprintf(tp, sizeof tp, "%s:%*s", label, pad > 1 ? pad : 1, "");
	snprintf(hp, sizeof hp, "<tr>" TD "<b>%s</b></td>" TD, label);
	twin(d, tp, "\n", hp, "</td></tr>\n", value);
}

/* Indented lines in the text part, a <pre> block in the HTML part (n > 0). */
static void doc_pre(struct doc *d, const char *const *lines, size_t n)
{
	puts_(&d->h, "<pre style=\"font-family:monospace;font-size:13px;background:#f4f4f4;"
	             "padding:6px 8px;white-space:pre-wrap\">");
	for (size_t i = 0; i < n; i++)
		twin(d, "  ", "\n", "", i + 1 < n ? "\n" : "</pre>\n", lines[i]);
}

/* Opens an HTML table with a header row of the n column names. */
static void h_table(struct wr *h, const char *const *cols, size_t n)
{
	puts_(h, TABLE "<tr>");
	for (size_t i = 0; i < n; i++)
		putf(h, TH "%s</th>", cols[i]);
	puts_(h, "</tr>\n");
}

/* Closes an HTML table of n rows; says so when it is empty. */
static void h_end(struct doc *d, unsigned n, const char *none)
{
	puts_(&d->h, "</table>\n");
	if (!n)
		doc_para(d, none);
}

/* One HTML table row; cell i is right-aligned when bit i of right is set. */
static void h_row(struct wr *h, const char *const *cells, size_t n, unsigned right)
{
	puts_(h, "<tr>");
	for (size_t i = 0; i < n; i++) {
		puts_(h, right >> i & 1 ? TDR : TD);
		put_text(h, cells[i], SAN_MAX, true);
		puts_(h, "</td>");
	}
	puts_(h, "</tr>\n");
}

/* ---- the message ---- */

/* Quoted-printable (RFC 2045) of LF-terminated text, with CRLF line ends and
 * lines of at most QP_LINE bytes.  A '.' or "From " at a line start is
 * encoded too, so no transport can mangle it. */
static void qp_encode(struct wr *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n') {
			put(w, "\r\n", 2);
			col = 0;
			continue;
		}
		bool eol = i + 1 == n || s[i + 1] == '\n';
		bool lit = (ch > ' ' && ch < 0x7f && ch != '=') || ((ch == ' ' || ch == '\t') && !eol);
		if (col + (lit ? 1 : 3) > QP_LINE - 1) {
			put(w, "=\r\n", 3);
			col = 0;
		}
		if (col == 0 && (ch == '.' || (ch == 'F' && n - i >= 5 && !memcmp(s + i, "From ", 5))))
			lit = false;
		char enc[3] = { '=', hex[ch >> 4], hex[ch & 15] };
		put(w, lit ? (const char *)&ch : enc, lit ? 1 : 3);
		col += lit ? 1 : 3;
	}
	if (col)
		put(w, "\r\n", 2);
}

static void b64(struct wr *w, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		char q[4] = { a[v >> 18], a[(v >> 12) & 63], i + 1 < n ? a[(v >> 6) & 63] : '=',
		              i + 2 < n ? a[v & 63] : '=' };
		put(w, q, 4);
	}
}

/* Subject: plain when ASCII, else RFC 2047 encoded words of whole UTF-8
 * characters (at most 36 bytes, so each line stays under 76), folded. */
static void hdr_subject(struct wr *w, const char *subject)
{
	char s[512];
	size_t n = sanitise(s, sizeof s, subject, SAN_MAX), i = 0;
	bool ascii = true;
	for (size_t k = 0; k < n; k++)
		ascii = ascii && (unsigned char)s[k] < 0x80;
	if (ascii) {
		putf(w, "Subject: %s\r\n", s);
		return;
	}
	puts_(w, "Subject:");
	while (i < n) {
		size_t k = n - i < 36 ? n - i : 36;
		while (i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		puts_(w, i ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
		b64(w, (const unsigned char *)s + i, k);
		puts_(w, "?=");
		i += k;
	}
	puts_(w, "\r\n");
}

/* To: every recipient, folded before a line would pass 76 bytes. */
static void hdr_to(struct wr *w, const struct mail_ctx *c)
{
	size_t col = 3;
	bool first = true;
	puts_(w, "To:");
	for (unsigned i = 0; i < c->n_rcpts; i++) {
		char a[256];
		size_t n = sanitise(a, sizeof a, c->rcpts ? c->rcpts[i] : NULL, SAN_MAX);
		if (n && !first) {
			bool fold = col + 2 + n > QP_LINE;
			puts_(w, fold ? ",\r\n" : ",");
			col = fold ? 0 : col + 1;
		}
		if (n)
			putf(w, " %s", a);
		col += n ? n + 1 : 0;
		first = first && !n;
	}
	puts_(w, first ? " undisclosed-recipients:;\r\n" : "\r\n");
}

/* Date: "Fri, 27 Nov 2026 08:00:00 +0100" (English names, any locale). */
static void hdr_date(struct wr *w, uint64_t us)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char off[16];
	struct tm tm = local(us, off);
	putf(w, "Date: %.3s, %d %.3s %04d %02d:%02d:%02d %s\r\n", days + 3 * (tm.tm_wday % 7),
	     tm.tm_mday, mons + 3 * (tm.tm_mon % 12), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	     tm.tm_sec, off);
}

/* The host name as a Message-ID domain: letters, digits, '.', '-' only. */
static char *msgid_host(const struct mail_ctx *c, char *buf)
{
	for (char *p = host_name(c, buf); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '-';
	return buf;
}

static void headers(struct wr *w, const struct mail_ctx *c, const char *subject, const char *bnd)
{
	char host[TBUF], from[256];
	msgid_host(c, host);
	hdr_date(w, c->now_us);
	if (!sanitise(from, sizeof from, c->from, SAN_MAX))
		snprintf(from, sizeof from, "sipwarden@%s", host);
	putf(w, "From: %s\r\n", from);
	hdr_to(w, c);
	hdr_subject(w, subject);
	putf(w, "Message-ID: <sipwarden.%llu.%llu@%s>\r\n", (unsigned long long)c->now_us,
	     (unsigned long long)c->seq, host);
	puts_(w, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
	putf(w, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", bnd);
}

/* A boundary from now_us and seq that neither encoded part contains (it
 * starts with "=_", which quoted-printable never produces; checked anyway). */
static void boundary(char *bnd, size_t n, const struct mail_ctx *c, const struct mail_buf *a,
                     const struct mail_buf *b)
{
	for (unsigned k = 0;; k++) {
		snprintf(bnd, n, "=_sipwarden_%llx_%llx_%u", (unsigned long long)c->now_us,
		         (unsigned long long)c->seq, k);
		if (!(a->len && memmem(a->p, a->len, bnd, strlen(bnd))) &&
		    !(b->len && memmem(b->p, b->len, bnd, strlen(bnd))))
			return;
	}
}

static void part(struct wr *w, const char *bnd, const char *type, const struct mail_buf *body)
{
	putf(w, "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: quoted-printable\r\n\r\n", bnd, type);
	if (body->len)
		put(w, body->p, body->len);
}

/* Closes and encodes both parts of d and appends the whole message to out; frees d.
 * On failure out is as it was. */
static int finish(struct mail_buf *out, const struct mail_ctx *c, const char *subject,
                  struct doc *d)
{
	struct mail_buf qt = { 0 }, qh = { 0 };
	struct wr wt = { &qt, false }, wh = { &qh, false };
	size_t start = out->len;
	char bnd[80];
	doc_close(d, c);
	qp_encode(&wt, d->tb.p, d->tb.len);
	qp_encode(&wh, d->hb.p, d->hb.len);
	struct wr w = { out, d->t.oom || d->h.oom || wt.oom || wh.oom };
	boundary(bnd, sizeof bnd, c, &qt, &qh);
	headers(&w, c, subject, bnd);
	puts_(&w, "This is a MIME message with a text and an HTML version.\r\n\r\n");
	part(&w, bnd, "text/plain", &qt);
	part(&w, bnd, "text/html", &qh);
	putf(&w, "--%s--\r\n", bnd);
	mail_buf_free(&qt);
	mail_buf_free(&qh);
	mail_buf_free(&d->tb);
	mail_buf_free(&d->hb);
	if (!w.oom)
		return 0;
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return -1;
}

/* ---- attack mail ---- */

/* Joins sanitised strings with ", " into dst (size n). */
static void join(char *dst, size_t n, const char *s)
{
	size_t o = strlen(dst);
	if (o && o + 2 < n) {
		memcpy(dst + o, ", ", 3);
		o += 2;
	}
	sanitise(dst + o, n - o, s, SAN_MAX);
}

static void attack_facts(struct doc *d, const struct event *e, const char *ip)
{
	char a[SAN_MAX], t[TBUF], u[TBUF];
	const struct evidence *ev = e->ev;
	doc_kv(d, "Address", ip);
	doc_kv(d, "Detector", det_name(e->det));
	SAN(a, e->reason);
	doc_kv(d, "Reason", a[0] ? a : "-");
	if (e->window_s)
		snprintf(a, sizeof a, "%u in %u s", e->count, e->window_s);
	else
		snprintf(a, sizeof a, "%u", e->count);
	doc_kv(d, "Count", a);
	if (ev && ev->first_us)
		doc_kv(d, "First seen", fmt_time(ev->first_us, t));
	doc_kv(d, "Last seen", fmt_time(e->ts_us, t));
	sanitise(a, 65, e->instance, SAN_MAX);
	doc_kv(d, "Instance", a[0] ? a : "-");
	if (e->type != EVT_BLOCK)
		snprintf(a, sizeof a, "not blocked (alert only)");
	else if (e->duration_s > 0)
		snprintf(a, sizeof a, "%s, until %s", fmt_dur(e->duration_s, t),
		         fmt_time(e->ts_us + (uint64_t)e->duration_s * 1000000, u));
	else
		snprintf(a, sizeof a, "permanent");
	doc_kv(d, "Blocked for", a);
}

static void attack_evidence(struct doc *d, const struct evidence *ev)
{
	char a[SAN_MAX] = "", ip[IP_STRLEN];
	for (unsigned i = 0; i < ev->n_users && i < EVD_MAX_USERS; i++)
		join(a, sizeof a, ev->users[i]);
	doc_kv(d, "Usernames", a[0] ? a : "-");
	SAN(a, ev->user_agent);
	doc_kv(d, "User agent", a[0] ? a : "-");
	a[0] = '\0';
	for (unsigned i = 0; i < ev->n_codes && i < EVD_MAX_CODES; i++)
		snprintf(a + strlen(a), sizeof a - strlen(a), "%s%u", i ? ", " : "", ev->codes[i]);
	doc_kv(d, "Responses", a[0] ? a : "-");
	if (SAN(a, ev->anomaly))
		doc_kv(d, "Anomaly", a);
	a[0] = '\0';
	for (unsigned i = 0; i < ev->n_addrs && i < EVD_MAX_ADDRS; i++)
		join(a, sizeof a, ip_format(&ev->addrs[i], ip));
	if (a[0])
		doc_kv(d, "Other addresses", a);
}

static void attack_lines(struct doc *d, const struct evidence *ev)
{
	char lines[EVD_MAX_LINES][EVD_LINE_LEN];
	const char *p[EVD_MAX_LINES];
	size_t n = ev->n_lines < EVD_MAX_LINES ? ev->n_lines : EVD_MAX_LINES;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		SAN(lines[i], ev->lines[i]);
		p[i] = lines[i];
	}
	doc_head(d, "Last offending requests (oldest first)");
	doc_pre(d, p, n);
}

int mail_attack(struct mail_buf *out, const struct mail_ctx *c, const struct event *e)
{
	char ip[IP_STRLEN], host[TBUF], subj[512], lead[512], cmd[256];
	const char *det = det_name(e->det);
	bool block = e->type == EVT_BLOCK;
	struct doc d;
	prefix_format(&e->ip, ip);
	host_name(c, host);
	snprintf(subj, sizeof subj, "[sipwarden] %s %s (%s) on %s", block ? "blocked" : "alert", ip,
	         det, host);
	if (block)
		snprintf(lead, sizeof lead, "sipwarden on %s blocked %s (%s).", host, ip, det);
	else
		snprintf(lead, sizeof lead, "sipwarden on %s saw an attack from %s (%s) and raised an "
		         "alert; the address was not blocked.", host, ip, det);
	doc_open(&d, subj, lead);
	puts_(&d.h, TABLE);
	attack_facts(&d, e, ip);
	if (e->ev)
		attack_evidence(&d, e->ev);
	puts_(&d.h, "</table>\n");
	if (e->ev)
		attack_lines(&d, e->ev);
	if (block) {
		sanitise(cmd, sizeof cmd - IP_STRLEN, c->unblock_cmd && c->unblock_cmd[0] ?
		         c->unblock_cmd : "sipwarden ctl unblock", SAN_MAX);
		snprintf(cmd + strlen(cmd), IP_STRLEN + 1, " %s", ip);
		doc_head(&d, "To unblock it now");
		doc_pre(&d, (const char *const[]){ cmd }, 1);
	}
	return finish(out, c, subj, &d);
}

/* ---- digest ---- */

static void digest_item(struct doc *d, const struct mail_item *it)
{
	char t[TBUF], dur[TBUF], ip[IP_STRLEN], det[24], reason[128], inst[32], ua[96];
	SAN(ip, it->ip);
	SAN(det, it->detector);
	SAN(reason, it->reason);
	SAN(inst, it->instance);
	SAN(ua, it->user_agent);
	fmt_time(it->ts_us, t);
	fmt_dur(it->duration_s, dur);
	putf(&d->t, "%s  %-15s  %-20s  %s\n    %s", t, ip, det, dur, reason[0] ? reason : "-");
	if (inst[0])
		putf(&d->t, "; instance %s", inst);
	if (ua[0])
		putf(&d->t, "; user agent \"%s\"", ua);
	puts_(&d->t, "\n");
	const char *cells[] = { t, ip, det, reason, inst, dur, ua };
	h_row(&d->h, cells, ARRAY_LEN(cells), 0);
}

int mail_digest(struct mail_buf *out, const struct mail_ctx *c, const struct mail_item *items,
                size_t n, uint64_t from_us, uint64_t to_us)
{
	static const char *const cols[] = { "Time", "Address", "Detector", "Reason", "Instance",
	                                    "Block", "User agent" };
	char host[TBUF], a[TBUF], b[TBUF], subj[512], lead[512];
	struct doc d;
	host_name(c, host);
	fmt_hm(from_us, a);
	fmt_hm(to_us, b);
	snprintf(subj, sizeof subj, "[sipwarden] digest: %zu attack%s on %s (%s-%s)", n,
	         plural(n), host, a, b);
	snprintf(lead, sizeof lead, "The hourly mail limit held back the mails for %zu attack%s "
	         "on %s between %s and %s. Every one is listed below.", n, plural(n), host,
	         fmt_time(from_us, a), fmt_time(to_us, b));
	doc_open(&d, subj, lead);
	h_table(&d.h, cols, ARRAY_LEN(cols));
	for (size_t i = 0; i < n && !d.h.oom; i++)
		digest_item(&d, &items[i]);
	h_end(&d, n > 0, "No attacks.");
	return finish(out, c, subj, &d);
}

/* ---- daily summary ---- */

static void summary_totals(struct doc *d, const struct mail_summary *s)
{
	static const char *const labels[] = { "Attacks", "Blocks", "Permanent blocks", "Unblocks",
	                                      "Alerts", "Anomalies", "Active blocks now" };
	const uint32_t v[] = { s->attacks, s->blocks, s->permanent, s->unblocks,
	                       s->alerts, s->anomalies, s->active_blocks };
	char a[TBUF];
	puts_(&d->h, TABLE);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		snprintf(a, sizeof a, "%u", v[i]);
		doc_kv(d, labels[i], a);
	}
	puts_(&d->h, "</table>\n");
	doc_head(d, "Attacks by detector");
	puts_(&d->h, TABLE);
	unsigned rows = 0;
	for (int i = 0; i < DET__COUNT; i++) {
		if (!s->by_det[i])
			continue;
		snprintf(a, sizeof a, "%u", s->by_det[i]);
		doc_kv(d, det_name((enum detector)i), a);
		rows++;
	}
	h_end(d, rows, "No attacks.");
}

static void summary_addr(struct doc *d, unsigned rank, const struct mail_sum_addr *a)
{
	char ip[IP_STRLEN], dets[SAN_MAX] = "", f[TBUF], l[TBUF], cnt[16], rk[16];
	SAN(ip, a->ip);
	for (int i = 0; i < DET__COUNT; i++)
		if (a->det_mask & (1u << i))
			join(dets, sizeof dets, det_name((enum detector)i));
	fmt_time(a->first_us, f);
	fmt_time(a->last_us, l);
	putf(&d->t, "%2u. %-15s  %u attack%s  %s\n    first %s, last %s\n", rank, ip, a->count,
	     plural(a->count), dets, f, l);
	snprintf(cnt, sizeof cnt, "%u", a->count);
	snprintf(rk, sizeof rk, "%u", rank);
	h_row(&d->h, (const char *const[]){ rk, ip, cnt, dets, f, l }, 6, 5);
}

static void summary_tops(struct doc *d, const struct mail_summary *s)
{
	static const char *const acols[] = { "#", "Address", "Attacks", "Detectors", "First seen",
	                                     "Last seen" };
	static const char *const ucols[] = { "#", "Username", "Attacks" };
	char name[40], cnt[16], rk[16];
	unsigned n = s->n_top < MAIL_TOP ? s->n_top : MAIL_TOP;
	doc_head(d, "Top attacking addresses");
	h_table(&d->h, acols, ARRAY_LEN(acols));
	for (unsigned i = 0; i < n; i++)
		summary_addr(d, i + 1, &s->top[i]);
	h_end(d, n, "None.");
	n = s->n_users < MAIL_TOP ? s->n_users : MAIL_TOP;
	doc_head(d, "Most targeted usernames");
	h_table(&d->h, ucols, ARRAY_LEN(ucols));
	for (unsigned i = 0; i < n; i++) {
		SAN(name, s->users[i].name);
		putf(&d->t, "%2u. %-24s %u\n", i + 1, name, s->users[i].count);
		snprintf(cnt, sizeof cnt, "%u", s->users[i].count);
		snprintf(rk, sizeof rk, "%u", i + 1);
		h_row(&d->h, (const char *const[]){ rk, name, cnt }, 3, 5);
	}
	h_end(d, n, "None.");
}

/* One hour of the chart: "08:00 ####### 12" and an HTML row whose bar is a
 * cell with a background colour and a width proportional to the count. */
static void chart_row(struct doc *d, const char *label, uint32_t v, uint32_t max)
{
	unsigned tw = max ? (unsigned)((uint64_t)v * BAR_TEXT / max) : 0;
	unsigned hw = max ? (unsigned)((uint64_t)v * BAR_HTML / max) : 0;
	static const char bar[] = "########################################"; /* BAR_TEXT */
	tw += v && !tw;
	hw += v && !hw;
	putf(&d->t, "%s %.*s%s%u\n", label, (int)tw, bar, tw ? " " : "", v);
	putf(&d->h, "<tr><td style=\"padding:1px 8px 1px 0;font-family:monospace\">%s</td>"
	            "<td width=\"%d\" style=\"width:%dpx;padding:1px 0\">", label, BAR_HTML, BAR_HTML);
	if (hw)
		putf(&d->h, "<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
		            "<td bgcolor=\"%s\" width=\"%u\" height=\"12\" style=\"width:%upx;height:12px;"
		            "background-color:%s;font-size:1px;line-height:1px\">&nbsp;</td></tr></table>",
		     BAR_COLOUR, hw, hw, BAR_COLOUR);
	putf(&d->h, "</td><td style=\"padding:1px 0 1px 8px;text-align:right\">%u</td></tr>\n", v);
}

static void summary_chart(struct doc *d, const struct mail_summary *s)
{
	uint32_t max = 0;
	char label[TBUF];
	for (int i = 0; i < 24; i++)
		max = s->hourly[i] > max ? s->hourly[i] : max;
	doc_head(d, "Attacks per hour");
	puts_(&d->h, TABLE);
	for (int i = 0; i < 24; i++)
		chart_row(d, fmt_hm(s->from_us + (uint64_t)i * 3600000000u, label), s->hourly[i], max);
	puts_(&d->h, "</table>\n");
}

int mail_summary(struct mail_buf *out, const struct mail_ctx *c, const struct mail_summary *s)
{
	char host[TBUF], a[TBUF], b[TBUF], subj[512], lead[512];
	struct doc d;
	host_name(c, host);
	snprintf(subj, sizeof subj, "[sipwarden] daily attack summary for %s: %u attack%s, "
	         "%u block%s", host, s->attacks, plural(s->attacks), s->blocks, plural(s->blocks));
	snprintf(lead, sizeof lead, "Attacks on %s from %s to %s.", host, fmt_time(s->from_us, a),
	         fmt_time(s->to_us, b));
	doc_open(&d, subj, lead);
	summary_totals(&d, s);
	summary_tops(&d, s);
	summary_chart(&d, s);
	return finish(out, c, subj, &d);
}

/* ---- test mail ---- */

int mail_test(struct mail_buf *out, const struct mail_ctx *c)
{
	char host[TBUF], t[TBUF], subj[512], lead[512], to[SAN_MAX] = "";
	struct doc d;
	host_name(c, host);
	for (unsigned i = 0; i < c->n_rcpts && c->rcpts; i++)
		if (c->rcpts[i] && c->rcpts[i][0])
			join(to, sizeof to, c->rcpts[i]);
	snprintf(subj, sizeof subj, "[sipwarden] test mail from %s", host);
	snprintf(lead, sizeof lead, "This is a test mail from sipwarden on %s, composed %s.", host,
	         fmt_time(c->now_us, t));
	doc_open(&d, subj, lead);
	doc_para(&d, "Notifications work: mails about attacks, the hourly digests and the daily "
	             "summary go to these addresses:");
	doc_pre(&d, (const char *const[]){ to[0] ? to : "(no recipients)" }, 1);
	return finish(out, c, subj, &d);
}
