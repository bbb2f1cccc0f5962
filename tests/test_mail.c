/* Tests for mail: every message is parsed back (lines, headers, MIME parts,
 * quoted-printable, RFC 2047) and its decoded content checked; hostile
 * network strings must neither add a header nor markup. */
#include "mail.h"
#include "t.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#define T0 1795766400000000ULL /* 2026-11-27T08:00:00Z, a Friday */
#define SEC 1000000ULL
#define HOSTILE_UA "evil\r\nBcc: victim@example.com\r\n<script>alert(1)</script>"

static const char *const rcpts2[] = { "admin@example.com", "noc@example.com" };

/* ---- a small parser for what mail.c produces ---- */

struct hdr {
	char name[32];
	char *value;
};

struct msg {
	struct hdr h[16];
	int nh;
	char *text, *html; /* decoded parts */
};

static void msg_free(struct msg *m)
{
	for (int i = 0; i < m->nh; i++)
		free(m->h[i].value);
	free(m->text);
	free(m->html);
	memset(m, 0, sizeof *m);
}

static const char *hval(const struct msg *m, const char *name)
{
	for (int i = 0; i < m->nh; i++)
		if (!strcasecmp(m->h[i].name, name))
			return m->h[i].value;
	return NULL;
}

/* Every line ends with CRLF, is shorter than 998 bytes, all bytes 7-bit, no NUL. */
static bool lines_ok(const char *p, size_t n)
{
	size_t col = 0;
	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0 || c >= 0x80)
			return false;
		if (c == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return false;
		if (c == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
		col = c == '\n' ? 0 : col + 1;
		if (col >= 998)
			return false;
	}
	return true;
}

/* Unfolds the header block (a line starting with space or tab continues the
 * previous one) and splits "Name: value".  False on any malformed line. */
static bool parse_headers(struct msg *m, const char *p, size_t n)
{
	const char *end = p + n;
	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		if (!eol || eol > end)
			eol = end;
		if (*p == ' ' || *p == '\t') {
			if (!m->nh)
				return false;
			char **v = &m->h[m->nh - 1].value;
			size_t a = strlen(*v), b = (size_t)(eol - p);
			*v = realloc(*v, a + b + 1);
			memcpy(*v + a, p, b);
			(*v)[a + b] = '\0';
		} else {
			const char *colon = memchr(p, ':', (size_t)(eol - p));
			if (!colon || colon == p || colon - p >= 32 || colon[1] != ' ' || m->nh == 16)
				return false;
			for (const char *q = p; q < colon; q++)
				if (*q <= ' ' || *q >= 0x7f)
					return false;
			struct hdr *h = &m->h[m->nh++];
			memcpy(h->name, p, (size_t)(colon - p));
			h->name[colon - p] = '\0';
			h->value = strndup(colon + 2, (size_t)(eol - colon - 2));
		}
		p = eol + 2;
	}
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable, checking the encoding rules on the way: lines of
 * at most 76 bytes, only printable ASCII, no trailing white space, '='
 * followed by two upper-case hex digits or ending the line.  NULL if broken. */
static char *qp_decode(const char *p, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	const char *end = p + n;
	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		if (!eol || eol > end)
			eol = end;
		bool soft = false;
		if (eol - p > 76 || (eol > p && (eol[-1] == ' ' || eol[-1] == '\t')))
			goto bad;
		for (const char *q = p; q < eol; q++) {
			if (*q == '=' && q + 1 == eol) {
				soft = true;
			} else if (*q == '=') {
				if (q + 2 >= eol + 1 || hexval(q[1]) < 0 || hexval(q[2]) < 0)
					goto bad;
				*o++ = (char)(hexval(q[1]) * 16 + hexval(q[2]));
				q += 2;
			} else if ((*q >= ' ' && *q < 0x7f) || *q == '\t') {
				*o++ = *q;
			} else {
				goto bad;
			}
		}
		if (!soft && eol < end)
			*o++ = '\n';
		p = eol + 2;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The text part has a line "label:   value" (any run of spaces between). */
static bool has_kv(const char *text, const char *label, const char *value)
{
	char head[64];
	snprintf(head, sizeof head, "\n%s: ", label);
	for (const char *p = text; (p = strstr(p, head)) != NULL; p++) {
		const char *v = p + strlen(head);
		v += strspn(v, " ");
		if (!strncmp(v, value, strlen(value)) && v[strlen(value)] == '\n')
			return true;
	}
	return false;
}

/* One MIME part "Content-Type: <type>; charset=utf-8" in quoted-printable. */
static char *parse_part(const char *p, size_t n, const char *type)
{
	struct msg ph = { 0 };
	const char *sep = strstr(p, "\r\n\r\n");
	char want[64];
	char *res = NULL;
	snprintf(want, sizeof want, "%s; charset=utf-8", type);
	if (sep && sep < p + n && parse_headers(&ph, p, (size_t)(sep - p)) && ph.nh == 2 &&
	    hval(&ph, "Content-Type") && !strcmp(hval(&ph, "Content-Type"), want) &&
	    hval(&ph, "Content-Transfer-Encoding") &&
	    !strcmp(hval(&ph, "Content-Transfer-Encoding"), "quoted-printable"))
		res = qp_decode(sep + 4, (size_t)(p + n - sep - 4));
	msg_free(&ph);
	return res;
}

/* Parses a whole message: lines, the header set (each known name exactly
 * once, nothing else), the multipart/alternative body and its two parts. */
static bool parse(struct msg *m, const char *p, size_t n)
{
	static const char *const known[] = { "Date", "From", "To", "Subject", "Message-ID",
	                                     "Auto-Submitted", "MIME-Version", "Content-Type" };
	memset(m, 0, sizeof *m);
	CHECK_MSG(lines_ok(p, n), "bad line in message");
	const char *sep = strstr(p, "\r\n\r\n");
	if (!sep || !parse_headers(m, p, (size_t)(sep - p) + 2))
		return false;
	CHECK(m->nh == (int)ARRAY_LEN(known));
	for (size_t i = 0; i < ARRAY_LEN(known); i++) {
		int k = 0;
		for (int j = 0; j < m->nh; j++)
			k += !strcmp(m->h[j].name, known[i]);
		CHECK_MSG(k == 1, "header %s present %d times", known[i], k);
	}
	const char *ct = hval(m, "Content-Type"), *b = ct ? strstr(ct, "boundary=\"") : NULL;
	if (!b || strncmp(ct, "multipart/alternative;", 22))
		return false;
	char bnd[100], delim[110];
	snprintf(bnd, sizeof bnd, "%.*s", (int)strcspn(b + 10, "\""), b + 10);
	snprintf(delim, sizeof delim, "\r\n--%s", bnd);
	const char *body = sep + 2; /* keep the CRLF so the first delimiter matches */
	CHECK(count(body, bnd) == 3); /* two parts and the close, nowhere else */
	const char *d1 = strstr(body, delim), *d2 = d1 ? strstr(d1 + 1, delim) : NULL;
	const char *d3 = d2 ? strstr(d2 + 1, delim) : NULL;
	if (!d3 || strncmp(d3 + strlen(delim), "--\r\n", 4) || d3 + strlen(delim) + 4 != p + n)
		return false;
	const char *s1 = d1 + strlen(delim) + 2, *s2 = d2 + strlen(delim) + 2;
	m->text = parse_part(s1, (size_t)(d2 - s1), "text/plain");
	m->html = parse_part(s2, (size_t)(d3 - s2), "text/html");
	return m->text && m->html;
}

/* Parses out and checks the common headers; returns false when unparsable. */
static bool parse_checked(struct msg *m, const struct mail_buf *out)
{
	bool ok = out->p && parse(m, out->p, out->len);
	CHECK(ok);
	if (!ok) {
		msg_free(m);
		return false;
	}
	const char *id = hval(m, "Message-ID");
	CHECK(!strcmp(hval(m, "MIME-Version"), "1.0") && id[0] == '<' && id[strlen(id) - 1] == '>');
	CHECK(!strcmp(hval(m, "Auto-Submitted"), "auto-generated"));
	CHECK(strcasestr(m->html, "<script") == NULL);
	CHECK(strstr(m->html, "<style") == NULL && strstr(m->html, "class=") == NULL);
	CHECK(strstr(m->html, "<img") == NULL && strstr(m->html, "http") == NULL);
	CHECK(strchr(m->text, '\r') == NULL);
	return true;
}

/* ---- test data ---- */

static struct mail_ctx ctx(const char *host, uint64_t seq)
{
	struct mail_ctx c = { .from = "sipwarden@pbx1.example.com", .hostname = host,
	                      .rcpts = rcpts2, .n_rcpts = 2, .now_us = T0, .seq = seq,
	                      .unblock_cmd = "sipwarden ctl unblock" };
	return c;
}

static struct evidence evidence(const char *ua, const char *user3)
{
	struct evidence ev;
	memset(&ev, 0, sizeof ev);
	snprintf(ev.user_agent, sizeof ev.user_agent, "%s", ua);
	const char *users[] = { "100", "101", user3 };
	for (size_t i = 0; i < ARRAY_LEN(users); i++)
		evd_add_user(&ev, (struct slice){ users[i], strlen(users[i]) });
	evd_add_code(&ev, 401);
	evd_add_code(&ev, 403);
	for (int i = 0; i < 7; i++) {
		char line[80];
		int k = snprintf(line, sizeof line, "REGISTER sip:pbx%d.example.com SIP/2.0", i);
		evd_add_line(&ev, (struct slice){ line, (size_t)k }, 403, T0 - 50 * SEC + (uint64_t)i * SEC);
	}
	return ev;
}

static struct event event(enum evt_type type, const char *ip, enum detector det,
                          int64_t dur, const char *inst, const struct evidence *ev)
{
	struct event e;
	memset(&e, 0, sizeof e);
	e.type = type;
	e.ts_us = T0;
	prefix_parse(&e.ip, ip);
	e.det = det;
	snprintf(e.reason, sizeof e.reason, "12 failed registrations in 60 s");
	e.count = 12;
	e.window_s = 60;
	e.duration_s = dur;
	e.instance = inst;
	e.ev = ev;
	return e;
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* ---- attack mails ---- */

static void test_attack(void)
{
	struct mail_ctx c = ctx("pbx1", 1);
	struct evidence ev = evidence("friendly-scanner", "admin");
	struct event e = event(EVT_BLOCK, "198.51.100.66", DET_BAD_REGISTRATION, 3600, "default", &ev);
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_attack(&out, &c, &e) == 0);
	if (!parse_checked(&m, &out))
		return;
	CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] blocked 198.51.100.66 (bad_registration) on pbx1"));
	CHECK(!strcmp(hval(&m, "Date"), "Fri, 27 Nov 2026 08:00:00 +0000"));
	CHECK(!strcmp(hval(&m, "From"), "sipwarden@pbx1.example.com"));
	CHECK(!strcmp(hval(&m, "To"), "admin@example.com, noc@example.com"));
	CHECK(strstr(hval(&m, "Message-ID"), "@pbx1>") != NULL);
	const char *t = m.text;
	CHECK(strstr(t, "198.51.100.66") && strstr(t, "bad_registration"));
	CHECK(strstr(t, "12 failed registrations in 60 s") && strstr(t, "12 in 60 s"));
	CHECK(has_kv(t, "Address", "198.51.100.66") && has_kv(t, "Detector", "bad_registration"));
	CHECK(has_kv(t, "First seen", "2026-11-27 07:59:10 +0000"));
	CHECK(has_kv(t, "Last seen", "2026-11-27 08:00:00 +0000"));
	CHECK(has_kv(t, "Blocked for", "1 h, until 2026-11-27 09:00:00 +0000"));
	CHECK(has_kv(t, "Instance", "default") && has_kv(t, "Usernames", "100, 101, admin"));
	CHECK(has_kv(t, "User agent", "friendly-scanner") && has_kv(t, "Responses", "401, 403"));
	/* the last 5 request lines, oldest first; the first two are gone */
	CHECK(!strstr(t, "pbx1.example.com SIP/2.0") && !strstr(t, "pbx0.example.com"));
	const char *l2 = strstr(t, "  REGISTER sip:pbx2.example.com SIP/2.0 -> 403\n");
	const char *l6 = strstr(t, "  REGISTER sip:pbx6.example.com SIP/2.0 -> 403\n");
	CHECK(l2 && l6 && l2 < l6);
	CHECK(count(t, "\n  sipwarden ctl unblock 198.51.100.66\n") == 1);
	CHECK(count(m.html, ">sipwarden ctl unblock 198.51.100.66<") == 1);
	CHECK(strstr(m.html, "REGISTER sip:pbx6.example.com SIP/2.0 -&gt; 403") != NULL);
	CHECK(strstr(m.html, "<td style=\"padding:2px 12px 2px 0;vertical-align:top\">friendly-scanner</td>") != NULL);
	msg_free(&m);

	/* a second message appends; its Message-ID differs (seq) */
	size_t first = out.len;
	c.seq = 2;
	CHECK(mail_attack(&out, &c, &e) == 0 && out.len > first && strlen(out.p) == out.len);
	struct msg m1, m2;
	bool ok1 = parse_checked(&m1, &(struct mail_buf){ out.p, first, 0 });
	bool ok2 = parse_checked(&m2, &(struct mail_buf){ out.p + first, out.len - first, 0 });
	if (ok1 && ok2)
		CHECK(strcmp(hval(&m1, "Message-ID"), hval(&m2, "Message-ID")) != 0);
	msg_free(&m1);
	msg_free(&m2);
	mail_buf_free(&out);
	CHECK(out.p == NULL && out.len == 0 && out.cap == 0);
}

static void test_attack_kinds(void)
{
	struct mail_ctx c = ctx("pbx1", 3);
	struct evidence ev = evidence("sipvicious", "admin");
	ip_parse(&ev.addrs[0], "203.0.113.7");
	ip_parse(&ev.addrs[1], "2001:db8::7");
	ev.n_addrs = 2;
	struct event e = event(EVT_ALERT, "198.51.100.66", DET_DISTRIBUTED_GUESSING, -1, NULL, &ev);
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_attack(&out, &c, &e) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] alert 198.51.100.66 (distributed_guessing) on pbx1"));
		CHECK(strstr(m.text, "not blocked") && !strstr(m.text, "ctl unblock"));
		CHECK(strstr(m.text, "203.0.113.7, 2001:db8::7") != NULL);
		CHECK(has_kv(m.text, "Instance", "-"));
		CHECK(has_kv(m.text, "Other addresses", "203.0.113.7, 2001:db8::7"));
		msg_free(&m);
	}
	mail_buf_free(&out);

	/* permanent block of a prefix, no evidence at all */
	e = event(EVT_BLOCK, "2001:db8:66::/48", DET_AGGREGATE, 0, "default", NULL);
	CHECK(mail_attack(&out, &c, &e) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(strstr(hval(&m, "Subject"), "blocked 2001:db8:66::/48 (aggregate)") != NULL);
		CHECK(has_kv(m.text, "Blocked for", "permanent"));
		CHECK(strstr(m.text, "\n  sipwarden ctl unblock 2001:db8:66::/48\n") != NULL);
		CHECK(!strstr(m.text, "First seen") && !strstr(m.text, "User agent"));
		msg_free(&m);
	}
	mail_buf_free(&out);
}

static void test_attack_hostile(void)
{
	struct mail_ctx c = ctx("pbx1\r\nBcc: host@example.com", 4);
	struct evidence ev = evidence(HOSTILE_UA, "x\r\nBcc: user@example.com\"'<b>&");
	strcat(ev.user_agent, "\xff\xc3"); /* invalid UTF-8 */
	struct event e = event(EVT_BLOCK, "198.51.100.66", DET_SCANNER, 86400 + 7200 + 60,
	                       "in\r\nBcc: inst@example.com\r\n", &ev);
	snprintf(e.reason, sizeof e.reason, "agent\r\nBcc: reason@example.com <i>x</i>");
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_attack(&out, &c, &e) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(hval(&m, "Bcc") == NULL);
		const char *s = hval(&m, "Subject");
		CHECK(!strcmp(s, "[sipwarden] blocked 198.51.100.66 (scanner) on pbx1\\r\\nBcc: host@example.com"));
		/* the subject is one physical line */
		const char *raw = strstr(out.p, "\r\nSubject: ");
		CHECK(raw && strncmp(strstr(raw + 2, "\r\n") + 2, " ", 1) != 0);
		CHECK(strstr(m.text, "evil\\r\\nBcc: victim@example.com\\r\\n<script>alert(1)</script>") != NULL);
		CHECK(strstr(m.html, "evil\\r\\nBcc: victim@example.com\\r\\n&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
		CHECK(strstr(m.html, "x\\r\\nBcc: user@example.com&quot;&#39;&lt;b&gt;&amp;") != NULL);
		CHECK(strstr(m.html, "agent\\r\\nBcc: reason@example.com &lt;i&gt;x&lt;/i&gt;") != NULL);
		CHECK(has_kv(m.text, "Instance", "in\\r\\nBcc: inst@example.com\\r\\n"));
		CHECK(strstr(m.text, "1 d 2 h 1 min, until 2026-11-28 10:01:00 +0000") != NULL);
		CHECK(strstr(m.text, "\nBcc") == NULL && strstr(m.html, "\nBcc") == NULL);
		CHECK(strstr(m.text, "</script>\xef\xbf\xbd\xef\xbf\xbd\n") && !strstr(m.text, "\xff") && !strstr(m.text, "\xc3"));
		msg_free(&m);
	}
	mail_buf_free(&out);
}

/* Decodes an RFC 2047 B-encoded subject ("=?UTF-8?B?...?=" words) into dst. */
static bool rfc2047_decode(const char *s, char *dst, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	while (*s == ' ')
		s++;
	while (*s) {
		if (strncmp(s, "=?UTF-8?B?", 10))
			return false;
		s += 10;
		uint32_t v = 0;
		int bits = 0;
		for (; *s && *s != '?'; s++) {
			if (*s == '=')
				continue;
			const char *q = strchr(a, *s);
			if (!q || o + 1 >= n)
				return false;
			v = v << 6 | (uint32_t)(q - a);
			bits += 6;
			if (bits >= 8) {
				dst[o++] = (char)(v >> (bits - 8));
				bits -= 8;
			}
		}
		if (strncmp(s, "?=", 2))
			return false;
		s += 2;
		while (*s == ' ') /* folding white space between words is dropped */
			s++;
	}
	dst[o] = '\0';
	return true;
}

static void test_subject_utf8(void)
{
	/* "pbx-zürich" with a right-to-left override (U+202E) that must go */
	struct mail_ctx c = ctx("pbx-z\xc3\xbcrich-\xe2\x80\xae" "evil-\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 5);
	struct mail_buf out = { 0 };
	struct msg m;
	char dec[512];
	CHECK(mail_test(&out, &c) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(rfc2047_decode(hval(&m, "Subject"), dec, sizeof dec));
		CHECK(!strcmp(dec, "[sipwarden] test mail from pbx-z\xc3\xbcrich-<U+202E>evil-\xe2\x82\xac\xe2\x82\xac"
		                   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"));
		CHECK(strstr(m.text, "sipwarden on pbx-z\xc3\xbcrich-<U+202E>evil-") != NULL);
		msg_free(&m);
	}
	mail_buf_free(&out);
}

/* An event whose strings hold invalid UTF-8, a right-to-left override and
 * terminal escapes gives a mail whose every part is valid UTF-8 and shows
 * them as visible escapes. */
static void test_attack_utf8(void)
{
	static const char bad[] = "scan\xff\xc0\xaf\xe2\x80\xae" "gpj.exe\x1b[2J\xed\xa0\x80\xf0\x9f";
	struct mail_ctx c = ctx("pbx\xe2\x80\xae" "1\xfe", 12);
	struct evidence ev = evidence(bad, bad); /* a raw User-Agent; the username through slice_copy */
	evd_add_line(&ev, (struct slice){ bad, sizeof bad - 1 }, 403, T0);
	struct event e = event(EVT_BLOCK, "198.51.100.66", DET_SCANNER, 3600, bad, &ev);
	snprintf(e.reason, sizeof e.reason, "reason %s", bad);
	struct mail_buf out = { 0 };
	struct msg m;
	char dec[512];
	CHECK(mail_attack(&out, &c, &e) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(rfc2047_decode(hval(&m, "Subject"), dec, sizeof dec));
		CHECK(t_valid_utf8((const unsigned char *)dec, strlen(dec)) && strstr(dec, "pbx<U+202E>1\xef\xbf\xbd"));
		const char *parts[] = { m.text, m.html };
		for (size_t i = 0; i < 2; i++) {
			CHECK(t_valid_utf8((const unsigned char *)parts[i], strlen(parts[i])));
			CHECK(!strstr(parts[i], "\x1b") && !strstr(parts[i], "\xe2\x80\xae"));
			CHECK(count(parts[i], "scan\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") >= 4 &&
			      count(parts[i], "U+202E>gpj.exe\\x1b[2J") + count(parts[i], "U+202E&gt;gpj.exe\\x1b[2J") >= 4);
		}
		msg_free(&m);
	}
	mail_buf_free(&out);
}

static void test_offsets(void)
{
	static const struct { const char *tz, *date, *until; } v[] = {
		{ "CET-1", "Fri, 27 Nov 2026 09:00:00 +0100", "until 2026-11-27 10:00:00 +0100" },
		{ "EST5", "Fri, 27 Nov 2026 03:00:00 -0500", "until 2026-11-27 04:00:00 -0500" },
		{ "IST-5:30", "Fri, 27 Nov 2026 13:30:00 +0530", "until 2026-11-27 14:30:00 +0530" },
	};
	struct mail_ctx c = ctx("pbx1", 6);
	struct event e = event(EVT_BLOCK, "198.51.100.66", DET_FLOOD, 3600, "default", NULL);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		struct mail_buf out = { 0 };
		struct msg m;
		set_tz(v[i].tz);
		CHECK(mail_attack(&out, &c, &e) == 0);
		if (parse_checked(&m, &out)) {
			CHECK_MSG(!strcmp(hval(&m, "Date"), v[i].date), "%s", hval(&m, "Date"));
			CHECK(strstr(m.text, v[i].until) != NULL);
			msg_free(&m);
		}
		mail_buf_free(&out);
	}
	set_tz("UTC");
}

/* Many recipients (folded To:), none, and the test mail itself. */
static void test_recipients(void)
{
	const char *r[40];
	char names[40][40];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i], "operator%02d@example.com", i);
		r[i] = names[i];
	}
	r[7] = "x@example.com\r\nBcc: rcpt@example.com";
	struct mail_ctx c = ctx("pbx1", 7);
	c.rcpts = r;
	c.n_rcpts = 40;
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_test(&out, &c) == 0);
	if (parse_checked(&m, &out)) {
		const char *to = hval(&m, "To");
		CHECK(strstr(to, "operator00@example.com") && strstr(to, "operator39@example.com"));
		CHECK(count(to, ",") == 39 && strstr(to, "x@example.com\\r\\nBcc: rcpt@example.com"));
		CHECK(count(strstr(out.p, "\r\nTo:"), "\r\n ") >= 5); /* folded */
		CHECK(strstr(m.text, "operator39@example.com") && strstr(m.html, "operator00@example.com"));
		msg_free(&m);
	}
	mail_buf_free(&out);

	c.n_rcpts = 0; /* never sent like this, but still a valid message */
	CHECK(mail_test(&out, &c) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(!strcmp(hval(&m, "To"), "undisclosed-recipients:;"));
		msg_free(&m);
	}
	mail_buf_free(&out);

	c = ctx("pbx1", 8);
	CHECK(mail_test(&out, &c) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] test mail from pbx1"));
		CHECK(strstr(m.text, "Notifications work") && strstr(m.text, "admin@example.com, noc@example.com"));
		CHECK(strstr(m.html, "Notifications work") != NULL);
		msg_free(&m);
	}
	mail_buf_free(&out);
}

/* ---- digest ---- */

static void test_digest(void)
{
	enum { N = 1000 };
	struct mail_item *items = calloc(N, sizeof *items);
	for (int i = 0; i < N; i++) {
		snprintf(items[i].ip, sizeof items[i].ip, "2001:db8::%x", i + 1);
		snprintf(items[i].detector, sizeof items[i].detector, "%s", det_name((enum detector)(i % DET__COUNT)));
		snprintf(items[i].reason, sizeof items[i].reason, "reason %d", i);
		snprintf(items[i].instance, sizeof items[i].instance, "default");
		snprintf(items[i].user_agent, sizeof items[i].user_agent, "%s", i == 500 ? HOSTILE_UA : "sipvicious");
		items[i].ts_us = T0 + 2 * 3600 * SEC + (uint64_t)i * SEC;
		items[i].duration_s = i % 3 == 0 ? 0 : i % 3 == 1 ? 3600 : -1;
	}
	snprintf(items[7].detector, sizeof items[7].detector, "x\r\nBcc: d@example.co<i>");
	struct mail_ctx c = ctx("pbx1", 9);
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_digest(&out, &c, items, N, T0 + 2 * 3600 * SEC, T0 + 3 * 3600 * SEC) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] digest: 1000 attacks on pbx1 (10:00-11:00)"));
		CHECK(hval(&m, "Bcc") == NULL);
		const char *pt = m.text, *ph = m.html;
		int found_t = 0, found_h = 0;
		for (int i = 0; i < N; i++) {
			char nt[64], nh[64];
			snprintf(nt, sizeof nt, "  2001:db8::%x  ", i + 1);
			snprintf(nh, sizeof nh, ">2001:db8::%x</td>", i + 1);
			const char *qt = strstr(pt, nt), *qh = strstr(ph, nh);
			found_t += qt != NULL; /* in order: each search starts after the previous hit */
			found_h += qh != NULL;
			pt = qt ? qt : pt;
			ph = qh ? qh : ph;
		}
		CHECK_MSG(found_t == N && found_h == N, "%d %d", found_t, found_h);
		CHECK(count(m.html, "<tr>") == N + 1);
		CHECK(strstr(m.text, "2026-11-27 10:00:00 +0000  2001:db8::1    ") != NULL);
		CHECK(strstr(m.text, "permanent") && strstr(m.text, "1 h") && strstr(m.text, "alert"));
		CHECK(strstr(m.html, "evil\\r\\nBcc: victim@example.com\\r\\n&lt;script&gt;") != NULL);
		CHECK(strstr(m.html, ">x\\r\\nBcc: d@example.co&lt;<") && strstr(m.text, "x\\r\\nBcc: d@example.co< "));
		msg_free(&m);
	}
	mail_buf_free(&out);
	free(items);

	CHECK(mail_digest(&out, &c, NULL, 0, T0, T0 + 3600 * SEC) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] digest: 0 attacks on pbx1 (08:00-09:00)"));
		msg_free(&m);
	}
	mail_buf_free(&out);
}

/* ---- daily summary ---- */

static struct mail_summary summary(void)
{
	static const uint32_t hourly[24] = { 3, 0, 12, 40, 7, 0, 0, 1, 2, 39, 0, 0,
	                                     0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 14 };
	struct mail_summary s;
	memset(&s, 0, sizeof s);
	s.from_us = T0;
	s.to_us = T0 + 24 * 3600 * SEC;
	s.by_det[DET_BAD_REGISTRATION] = 100;
	s.by_det[DET_SCANNER] = 23;
	s.attacks = 123, s.blocks = 45, s.unblocks = 40, s.permanent = 2;
	s.alerts = 3, s.anomalies = 17, s.active_blocks = 5;
	memcpy(s.hourly, hourly, sizeof hourly);
	const char *ips[] = { "203.0.113.5", "198.51.100.66", "2001:db8::66" };
	const uint32_t cnt[] = { 50, 20, 5 };
	for (unsigned i = 0; i < 3; i++) {
		snprintf(s.top[i].ip, sizeof s.top[i].ip, "%s", ips[i]);
		s.top[i].count = cnt[i];
		s.top[i].first_us = T0 + i * 3600 * SEC;
		s.top[i].last_us = T0 + (i + 5) * 3600 * SEC;
	}
	s.top[0].det_mask = 1u << DET_BAD_REGISTRATION | 1u << DET_SCANNER;
	s.top[1].det_mask = 1u << DET_SCANNER;
	s.top[2].det_mask = 1u << DET_BAD_REGISTRATION;
	s.n_top = s.n_users = 3;
	const char *users[] = { "admin", "operator", "<script>x</script>" };
	for (unsigned i = 0; i < 3; i++) {
		snprintf(s.users[i].name, sizeof s.users[i].name, "%s", users[i]);
		s.users[i].count = 30 - 10 * i;
	}
	return s;
}

/* The text between the heading h and the next heading (or the end). */
static char *section(const char *doc, const char *h, const char *next)
{
	const char *a = strstr(doc, h), *b = a && next ? strstr(a, next) : NULL;
	if (!a)
		return strdup("");
	return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

static void check_positions(const char *sec, const char *const *names, size_t n)
{
	const char *prev = sec;
	for (size_t i = 0; i < n; i++) {
		const char *p = strstr(sec, names[i]);
		CHECK_MSG(p && p >= prev, "%s out of order", names[i]);
		prev = p ? p : prev;
	}
}

/* The bars of the 24 chart rows: in the text the '#' run and the count, in
 * the HTML the width of the coloured cell and the count cell. */
static void check_chart(const struct msg *m, const uint32_t *hourly)
{
	uint32_t max = 0;
	int tw[24], hw[24];
	for (int i = 0; i < 24; i++)
		max = hourly[i] > max ? hourly[i] : max;
	const char *t = strstr(m->text, "Attacks per hour\n----------------\n");
	const char *h = strstr(m->html, "Attacks per hour</h3>");
	CHECK(t && h);
	if (!t || !h)
		return;
	t += 34;
	for (int i = 0; i < 24; i++) {
		char label[16];
		snprintf(label, sizeof label, "%02d:00 ", (8 + i) % 24);
		CHECK_MSG(!strncmp(t, label, 6), "row %d: %.20s", i, t);
		t += 6;
		tw[i] = (int)strspn(t, "#");
		t += tw[i] + (tw[i] > 0);
		char *endp;
		CHECK((uint32_t)strtoul(t, &endp, 10) == hourly[i] && *endp == '\n');
		t = endp + 1;
		snprintf(label, sizeof label, ">%02d:00</td>", (8 + i) % 24);
		const char *row = strstr(h, label), *end = row ? strstr(row, "</td></tr>\n") : NULL;
		CHECK(row && end);
		if (!row || !end)
			return;
		const char *bar = strstr(row, "bgcolor=\"#");
		hw[i] = bar && bar < end ? atoi(strstr(bar, "width=\"") + 7) : 0;
		CHECK(!bar || bar > end || strstr(bar, "background-color:#") < end);
		const char *num = end;
		while (num[-1] != '>')
			num--;
		CHECK((uint32_t)atoi(num) == hourly[i]);
		h = end;
	}
	for (int i = 0; i < 24; i++) {
		CHECK((hourly[i] == 0) == (tw[i] == 0) && (hourly[i] == 0) == (hw[i] == 0));
		CHECK(!max || ((hourly[i] == max) == (tw[i] == 40) && (hourly[i] == max) == (hw[i] == 300)));
		for (int j = 0; j < 24; j++)
			if (hourly[i] < hourly[j])
				CHECK_MSG(tw[i] <= tw[j] && hw[i] < hw[j], "%d %d", i, j);
	}
}

static void test_summary(void)
{
	struct mail_summary s = summary();
	struct mail_ctx c = ctx("pbx1", 10);
	struct mail_buf out = { 0 };
	struct msg m;
	CHECK(mail_summary(&out, &c, &s) == 0);
	if (!parse_checked(&m, &out))
		return;
	CHECK(!strcmp(hval(&m, "Subject"), "[sipwarden] daily attack summary for pbx1: 123 attacks, 45 blocks"));
	CHECK(strstr(m.text, "from 2026-11-27 08:00:00 +0000 to 2026-11-28 08:00:00 +0000") != NULL);
	static const char *const totals[][2] = { { "Attacks", "123" }, { "Blocks", "45" },
		{ "Permanent blocks", "2" }, { "Unblocks", "40" }, { "Alerts", "3" },
		{ "Anomalies", "17" }, { "Active blocks now", "5" } };
	for (size_t i = 0; i < ARRAY_LEN(totals); i++)
		CHECK_MSG(has_kv(m.text, totals[i][0], totals[i][1]), "%s", totals[i][0]);
	char *dt = section(m.text, "Attacks by detector", "Top attacking");
	CHECK(has_kv(dt, "bad_registration", "100") && has_kv(dt, "scanner", "23"));
	CHECK(!strstr(dt, "flood") && !strstr(dt, "toll_fraud") && !strstr(dt, "manual"));
	free(dt);
	static const char *const ips[] = { "203.0.113.5", "198.51.100.66", "2001:db8::66" };
	static const char *const users[] = { "admin", "operator", "<script>x</script>" };
	static const char *const husers[] = { ">admin<", ">operator<", "&lt;script&gt;x&lt;/script&gt;" };
	char *ta = section(m.text, "Top attacking addresses", "Most targeted");
	char *ha = section(m.html, "Top attacking addresses", "Most targeted");
	check_positions(ta, ips, 3);
	check_positions(ha, ips, 3);
	CHECK(strstr(ta, " 1. 203.0.113.5      50 attacks  bad_registration, scanner\n"
	                 "    first 2026-11-27 08:00:00 +0000, last 2026-11-27 13:00:00 +0000\n") != NULL);
	CHECK(strstr(ha, ">bad_registration, scanner<") != NULL);
	free(ta);
	free(ha);
	char *tu = section(m.text, "Most targeted usernames", "Attacks per hour");
	char *hu = section(m.html, "Most targeted usernames", "Attacks per hour");
	check_positions(tu, users, 3);
	check_positions(hu, husers, 3);
	free(tu);
	free(hu);
	check_chart(&m, s.hourly);
	msg_free(&m);
	mail_buf_free(&out);

	memset(&s, 0, sizeof s); /* a quiet day */
	s.from_us = T0;
	CHECK(mail_summary(&out, &c, &s) == 0);
	if (parse_checked(&m, &out)) {
		CHECK(strstr(m.text, "No attacks.") && strstr(m.text, "None."));
		check_chart(&m, s.hourly);
		msg_free(&m);
	}
	mail_buf_free(&out);
}

/* ---- Python's email package reads the hostile message too (python3 is
 * installed by scripts/deps.sh --test; without it this check fails) ---- */

static void test_python(void)
{
	static const char script[] =
		"import email, sys\n"
		"from email import policy\n"
		"m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)\n"
		"assert not m.defects, m.defects\n"
		"assert sorted(m.keys()) == sorted(['Date', 'From', 'To', 'Subject', 'Message-ID',\n"
		"    'Auto-Submitted', 'MIME-Version', 'Content-Type']), m.keys()\n"
		"assert m.get_content_type() == 'multipart/alternative'\n"
		"p = list(m.iter_parts())\n"
		"assert [x.get_content_type() for x in p] == ['text/plain', 'text/html']\n"
		"assert not p[0].defects and not p[1].defects\n"
		"assert '\\n' not in str(m['subject']) and 'Bcc' in str(m['subject'])\n"
		"assert 'sipwarden ctl unblock 198.51.100.66' in p[0].get_content()\n"
		"assert '<script' not in p[1].get_content().lower()\n"
		"assert '&lt;script&gt;' in p[1].get_content()\n";
	CHECK_MSG(access("/usr/bin/python3", X_OK) == 0, "/usr/bin/python3 missing (scripts/deps.sh --test)");
	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	struct mail_ctx c = ctx("pbx1\r\nBcc: host@example.com", 11);
	struct evidence ev = evidence(HOSTILE_UA, "x\r\nBcc: user@example.com");
	struct event e = event(EVT_BLOCK, "198.51.100.66", DET_SCANNER, 3600, "in\r\nX: y", &ev);
	struct mail_buf out = { 0 };
	char msgf[] = "/tmp/sipwarden-test-mail.XXXXXX", pyf[] = "/tmp/sipwarden-test-mail-py.XXXXXX";
	int fm = mkstemp(msgf), fp = mkstemp(pyf);
	CHECK(fm >= 0 && fp >= 0 && mail_attack(&out, &c, &e) == 0);
	if (fm >= 0 && fp >= 0 && out.p) {
		CHECK(write(fm, out.p, out.len) == (ssize_t)out.len);
		CHECK(write(fp, script, strlen(script)) == (ssize_t)strlen(script));
		char cmd[256];
		snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", pyf, msgf);
		CHECK_MSG(system(cmd) == 0, "python's email package rejected the message");
	}
	if (fm >= 0)
		close(fm), unlink(msgf);
	if (fp >= 0)
		close(fp), unlink(pyf);
	mail_buf_free(&out);
}

int main(void)
{
	set_tz("UTC");
	test_attack();
	test_attack_kinds();
	test_attack_hostile();
	test_subject_utf8();
	test_attack_utf8();
	test_offsets();
	test_recipients();
	test_digest();
	test_summary();
	test_python();
	return T_DONE();
}
