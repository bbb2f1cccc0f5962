/* event: JSON line formatting of events. */
#include "event.h"
#include "sip.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[EVT__COUNT] = { "block", "unblock", "anomaly", "alert" };
static const char *const det_names[DET__COUNT] = {
	"bad_registration", "scanner", "enumeration", "bad_invite",
	"anomaly", "flood", "blacklist", "manual",
	"toll_fraud", "distributed_guessing", "aggregate",
	"tftp_bruteforce", "dns_abuse", "admin_login",
};

const char *evt_type_name(enum evt_type t) { return t < EVT__COUNT ? type_names[t] : "?"; }
const char *det_name(enum detector d) { return d < DET__COUNT ? det_names[d] : "?"; }

/* Output into p (n bytes); once something does not fit, nothing more is
 * written and the caller gets the line up to there. */
struct out {
	char *p;
	size_t n, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t k)
{
	if (!o->full && o->len + k < o->n) {
		memcpy(o->p + o->len, s, k);
		o->len += k;
	} else {
		o->full = true;
	}
}

static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k > 0)
		put(o, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* A JSON string: text_safe's JSON form, so the line is valid UTF-8 and shows
 * control and bidi characters as visible escapes. */
static void put_str(struct out *o, const char *s)
{
	put(o, "\"", 1);
	if (o->full)
		return;
	size_t k = text_safe(o->p + o->len, o->n - o->len, s, strlen(s), TEXT_JSON);
	o->full = o->len + k >= o->n;
	o->len += o->full ? strlen(o->p + o->len) : k;
	put(o, "\"", 1);
}

static void put_key(struct out *o, const char *key)
{
	put(o, ",\"", 2);
	put(o, key, strlen(key));
	put(o, "\":", 2);
}

/* A JSON array member "key":[...] of n addresses or prefixes. */
static void put_addrs(struct out *o, bool first, const char *key, const struct ipaddr *a,
                      const struct ipprefix *p, unsigned n)
{
	char ip[IP_STRLEN];
	putf(o, "%s\"%s\":[", first ? "" : ",", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		put_str(o, a ? ip_format(&a[i], ip) : prefix_format(&p[i], ip));
	}
	put(o, "]", 1);
}

/* members: the addresses are an aggregate block's members */
static void put_evidence(struct out *o, const struct evidence *ev, bool members)
{
	put_key(o, "evidence");
	put(o, "{", 1);
	bool first = true;
	if (ev->user_agent[0]) {
		put(o, "\"user_agent\":", 13);
		put_str(o, ev->user_agent);
		first = false;
	}
	if (ev->display_name[0]) {
		put(o, first ? "\"display_name\":" : ",\"display_name\":", first ? 15 : 16);
		put_str(o, ev->display_name);
		first = false;
	}
	if (ev->n_users) {
		put(o, first ? "\"usernames\":[" : ",\"usernames\":[", first ? 13 : 14);
		for (unsigned i = 0; i < ev->n_users; i++) {
			if (i)
				put(o, ",", 1);
			put_str(o, ev->users[i]);
		}
		put(o, "]", 1);
		first = false;
	}
	if (ev->methods) {
		put(o, first ? "\"methods\":[" : ",\"methods\":[", first ? 11 : 12);
		bool f = true;
		for (int m = SIP_M_OTHER; m < SIP_M__COUNT; m++) {
			if (!(ev->methods & (1u << m)))
				continue;
			if (!f)
				put(o, ",", 1);
			put_str(o, sip_method_name((enum sip_method)m));
			f = false;
		}
		put(o, "]", 1);
		first = false;
	}
	if (ev->n_codes) {
		put(o, first ? "\"responses\":[" : ",\"responses\":[", first ? 13 : 14);
		for (unsigned i = 0; i < ev->n_codes; i++)
			putf(o, i ? ",%u" : "%u", ev->codes[i]);
		put(o, "]", 1);
		first = false;
	}
	if (ev->anomaly[0]) {
		put(o, first ? "\"anomaly\":" : ",\"anomaly\":", first ? 10 : 11);
		put_str(o, ev->anomaly);
		first = false;
	}
	if (ev->n_addrs) {
		put_addrs(o, first, members ? "members" : "addresses", ev->addrs, NULL, ev->n_addrs);
		first = false;
	}
	if (ev->n_except) {
		put_addrs(o, first, "exceptions", NULL, ev->except, ev->n_except);
		first = false;
	}
	if (ev->n_lines) {
		put(o, first ? "\"requests\":[" : ",\"requests\":[", first ? 12 : 13);
		for (unsigned i = 0; i < ev->n_lines; i++) {
			if (i)
				put(o, ",", 1);
			put_str(o, ev->lines[i]);
		}
		put(o, "]", 1);
		first = false;
	}
	if (ev->first_us) {
		char t[32];
		put(o, first ? "\"first_seen\":" : ",\"first_seen\":", first ? 13 : 14);
		put_str(o, time_format_iso(ev->first_us, t));
	}
	put(o, "}", 1);
}

size_t evt_json(const struct event *e, char *buf, size_t n)
{
	struct out o = { buf, n, 0, false };
	char tbuf[32], ibuf[IP_STRLEN];
	if (n == 0)
		return 0;
	put(&o, "{\"time\":", 8);
	put_str(&o, time_format_iso(e->ts_us, tbuf));
	put_key(&o, "event");
	put_str(&o, evt_type_name(e->type));
	put_key(&o, "ip");
	put_str(&o, prefix_format(&e->ip, ibuf));
	put_key(&o, "detector");
	put_str(&o, det_name(e->det));
	if (e->reason[0]) {
		put_key(&o, "reason");
		put_str(&o, e->reason);
	}
	if (e->count) {
		put_key(&o, "count");
		putf(&o, "%u", e->count);
	}
	if (e->window_s) {
		put_key(&o, "window_s");
		putf(&o, "%u", e->window_s);
	}
	if (e->duration_s >= 0) {
		put_key(&o, "duration_s");
		putf(&o, "%lld", (long long)e->duration_s);
	}
	if (e->instance) {
		put_key(&o, "instance");
		put_str(&o, e->instance);
	}
	if (e->ev)
		put_evidence(&o, e->ev, e->det == DET_AGGREGATE);
	put(&o, "}", 1);
	if (o.full) { /* a cut line fills the buffer, as the callers expect */
		memset(buf + o.len, ' ', n - 1 - o.len);
		o.len = n - 1;
	}
	buf[o.len] = '\0';
	return o.len;
}

void evd_add_user(struct evidence *ev, struct slice user)
{
	char tmp[sizeof ev->users[0]];
	if (user.len == 0 || ev->n_users >= EVD_MAX_USERS)
		return;
	slice_copy(tmp, sizeof tmp, user);
	for (unsigned i = 0; i < ev->n_users; i++)
		if (strcmp(ev->users[i], tmp) == 0)
			return;
	memcpy(ev->users[ev->n_users++], tmp, sizeof tmp);
}

void evd_add_code(struct evidence *ev, int code)
{
	if (code <= 0 || code > 999)
		return;
	for (unsigned i = 0; i < ev->n_codes; i++)
		if (ev->codes[i] == code)
			return;
	if (ev->n_codes < EVD_MAX_CODES)
		ev->codes[ev->n_codes++] = (uint16_t)code;
}

void evd_add_line(struct evidence *ev, struct slice line, int code, uint64_t ts_us)
{
	if (!ev->first_us)
		ev->first_us = ts_us;
	if (line.len == 0)
		return;
	if (ev->n_lines == EVD_MAX_LINES) {
		memmove(ev->lines[0], ev->lines[1], sizeof ev->lines[0] * (EVD_MAX_LINES - 1));
		ev->n_lines--;
	}
	char *dst = ev->lines[ev->n_lines++];
	char suffix[16] = "";
	if (code > 0 && code <= 999)
		snprintf(suffix, sizeof suffix, " -> %d", code);
	size_t room = EVD_LINE_LEN - strlen(suffix);
	slice_copy(dst, room, line);
	strcat(dst, suffix);
}
