/* http_json: the JSON and query-string helpers of http.h: building reply
 * bodies, reading one member of a flat JSON object, reading one query
 * parameter.  Pure functions on caller buffers (no MHD, no I/O). */
#include "http.h"
#include "text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ---- */

static int reply_reserve(struct http_reply *r, size_t more)
{
	if (r->failed)
		return -1;
	if (more > HTTP_MAX_REPLY - r->len) {
		r->failed = true;
		return -1;
	}
	size_t need = r->len + more + 1;
	if (need <= r->cap)
		return 0;
	size_t ncap = r->cap ? r->cap : 1024;
	while (ncap < need)
		ncap *= 2;
	char *nb = realloc(r->body, ncap);
	if (!nb) {
		r->failed = true;
		return -1;
	}
	r->body = nb;
	r->cap = ncap;
	return 0;
}

int http_reply_printf(struct http_reply *r, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	int rc = n < 0 ? -1 : reply_reserve(r, (size_t)n);
	if (rc == 0) {
		vsnprintf(r->body + r->len, (size_t)n + 1, fmt, ap2);
		r->len += (size_t)n;
	} else {
		r->failed = true;
	}
	va_end(ap2);
	return rc;
}

int http_reply_json_str(struct http_reply *r, const char *s)
{
	if (!s)
		return http_reply_printf(r, "null");
	size_t n = strlen(s);
	if (reply_reserve(r, 2 + TEXT_SAFE_MAX(n)) < 0)
		return -1;
	r->body[r->len++] = '"';
	r->len += text_safe(r->body + r->len, TEXT_SAFE_MAX(n), s, n, TEXT_JSON);
	r->body[r->len++] = '"';
	r->body[r->len] = '\0';
	return 0;
}

void http_reply_json_error(struct http_reply *r, int status, const char *message, const char *field)
{
	r->len = 0;
	r->failed = false;
	r->status = status;
	snprintf(r->content_type, sizeof r->content_type, "application/json");
	http_reply_printf(r, "{\"error\":");
	http_reply_json_str(r, message);
	if (field) {
		http_reply_printf(r, ",\"field\":");
		http_reply_json_str(r, field);
	}
	http_reply_printf(r, "}");
}

/* ---- JSON and query helpers ---- */

struct jcur {
	const char *p, *e;
};

static void jws(struct jcur *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(struct jcur *j, unsigned *cp)
{
	*cp = 0;
	if (j->e - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)*j->p++, v;
		if (c >= '0' && c <= '9') v = c - '0';
		else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
		else return -1;
		*cp = *cp << 4 | (unsigned)v;
	}
	return 0;
}

/* After "\u": one code point (a surrogate pair as one), UTF-8 into buf;
 * returns its length, or 0 when malformed (lone surrogate, NUL). */
static size_t junicode(struct jcur *j, char buf[4])
{
	unsigned cp, lo;
	if (hex4(j, &cp) < 0 || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->e - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return 0;
		j->p += 2;
		if (hex4(j, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return 0;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | cp >> 12);
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | cp >> 18);
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape after '\' into buf; returns its length, 0 when malformed. */
static size_t jescape(struct jcur *j, char buf[4])
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (j->p >= j->e)
		return 0;
	char esc = *j->p++;
	if (esc == 'u')
		return junicode(j, buf);
	const char *k = esc ? strchr(from, esc) : NULL;
	if (!k)
		return 0;
	buf[0] = to[k - from];
	return 1;
}

/* A JSON string at j->p, decoded into out while it fits (*fit false when it
 * did not; out may be NULL with outlen 0).  Returns 0, or -1 when malformed. */
static int jstring(struct jcur *j, char *out, size_t outlen, bool *fit)
{
	size_t o = 0;
	*fit = true;
	if (j->p >= j->e || *j->p != '"')
		return -1;
	for (j->p++; j->p < j->e && *j->p != '"';) {
		char buf[4];
		size_t n = 1;
		buf[0] = *j->p++;
		if ((unsigned char)buf[0] < 0x20)
			return -1;
		if (buf[0] == '\\' && (n = jescape(j, buf)) == 0)
			return -1;
		if (*fit && o + n < outlen) {
			memcpy(out + o, buf, n);
			o += n;
		} else {
			*fit = false;
		}
	}
	if (j->p >= j->e)
		return -1;
	j->p++;
	if (outlen)
		out[o] = '\0';
	return 0;
}

/* A number, true, false or null, copied as text. */
static int jliteral(struct jcur *j, char *out, size_t outlen, bool *fit, bool *null)
{
	const char *s = j->p;
	while (j->p < j->e && *j->p && strchr("+-.0123456789eEtruefalsn", *j->p))
		j->p++;
	size_t n = (size_t)(j->p - s);
	*null = n == 4 && !memcmp(s, "null", 4);
	bool word = (n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5));
	bool num = n && (isdigit((unsigned char)s[0]) || s[0] == '-');
	for (size_t i = 0; num && i < n; i++)
		num = strchr("+-.0123456789eE", s[i]) != NULL;
	if (!*null && !word && !num)
		return -1;
	*fit = n < outlen;
	if (*fit) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return 0;
}

/* One "name": value member; sets *found (1, or 0 for null) when name matches. */
static int jmember(struct jcur *j, const char *name, char *out, size_t outlen, int *found)
{
	char key[256];
	bool kfit, vfit, null = false;
	if (jstring(j, key, sizeof key, &kfit) < 0)
		return -1;
	jws(j);
	if (j->p >= j->e || *j->p++ != ':')
		return -1;
	jws(j);
	bool match = kfit && !strcmp(key, name);
	if (j->p >= j->e || *j->p == '{' || *j->p == '[')
		return -1;
	int rc = *j->p == '"' ? jstring(j, match ? out : NULL, match ? outlen : 0, &vfit)
	                      : jliteral(j, match ? out : NULL, match ? outlen : 0, &vfit, &null);
	if (rc < 0 || (match && !vfit && !null))
		return -1;
	if (match)
		*found = !null;
	return 0;
}

static int json_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	struct jcur j = { body, body + len };
	int found = 0;
	if (!outlen)
		return -1;
	out[0] = '\0';
	jws(&j);
	if (j.p >= j.e || *j.p++ != '{')
		return -1;
	jws(&j);
	if (j.p < j.e && *j.p == '}') {
		j.p++;
	} else {
		for (;;) {
			if (jmember(&j, name, out, outlen, &found) < 0)
				return -1;
			jws(&j);
			if (j.p < j.e && *j.p == ',') {
				j.p++;
				jws(&j);
				continue;
			}
			if (j.p >= j.e || *j.p++ != '}')
				return -1;
			break;
		}
	}
	jws(&j);
	if (j.p != j.e)
		return -1;
	if (!found)
		out[0] = '\0';
	return found;
}

/* out is always a string afterwards: "" unless the member was found. */
int http_json_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	int rc = json_get(body, len, name, out, outlen);
	if (rc < 0 && outlen)
		out[0] = '\0';
	return rc;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

bool http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *q = query; q && *q && outlen;) {
		const char *end = q + strcspn(q, "&");
		const char *eq = memchr(q, '=', (size_t)(end - q));
		const char *kend = eq ? eq : end;
		if ((size_t)(kend - q) == nl && !memcmp(q, name, nl)) {
			size_t o = 0;
			for (const char *s = eq ? eq + 1 : end; s < end; s++) {
				char ch = *s == '+' ? ' ' : *s;
				if (*s == '%' && end - s >= 3 && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
					ch = (char)(hexval(s[1]) << 4 | hexval(s[2]));
					s += 2;
				}
				if (ch == '\0' || o + 1 >= outlen)
					return false;
				out[o++] = ch;
			}
			out[o] = '\0';
			return true;
		}
		q = *end ? end + 1 : end;
	}
	return false;
}
