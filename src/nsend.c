/* nsend: SMTP and webhook delivery through libcurl, syslog over a unix
 * datagram socket. */
#include "nsend.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 10L
#define MAIL_TIMEOUT_S 60L
#define WEBHOOK_TIMEOUT_S 10L

struct nsend {
	CURL *mail, *web;
	int log_fd;
	char log_path[108];
};

struct nsend *nsend_new(void)
{
	struct nsend *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->log_fd = -1;
	s->mail = curl_easy_init();
	s->web = curl_easy_init();
	if (!s->mail || !s->web) {
		nsend_free(s);
		return NULL;
	}
	return s;
}

void nsend_free(struct nsend *s)
{
	if (!s)
		return;
	if (s->mail)
		curl_easy_cleanup(s->mail);
	if (s->web)
		curl_easy_cleanup(s->web);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free(s);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

static size_t discard_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nmemb;
}

/* "<a@b>" entries for every address of a comma-separated list. */
static struct curl_slist *rcpt_list(const char *rcpts)
{
	struct curl_slist *l = NULL;
	const char *p = rcpts;
	while (*p) {
		size_t n = strcspn(p, ",");
		char a[160];
		if (n > 0 && n < sizeof a - 2) {
			snprintf(a, sizeof a, "<%.*s>", (int)n, p);
			struct curl_slist *nl = curl_slist_append(l, a);
			if (!nl) {
				curl_slist_free_all(l);
				return NULL;
			}
			l = nl;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return l;
}

static int curl_fail(CURL *c, CURLcode rc, const char *errbuf, char *err, size_t errlen)
{
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code)
		snprintf(err, errlen, "%s (server said %ld)", errbuf[0] ? errbuf : curl_easy_strerror(rc), code);
	else
		snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return -1;
}

int nsend_mail(struct nsend *s, const struct cfg_notify *c, const char *from, const char *password,
               const char *rcpts, const char *msg, size_t len, char *err, size_t errlen)
{
	CURL *h = s->mail;
	char errbuf[CURL_ERROR_SIZE] = "", mfrom[160];
	struct upload u = { msg, len };
	struct curl_slist *to = rcpt_list(rcpts);
	if (!to) {
		snprintf(err, errlen, "no valid recipient");
		return -1;
	}
	snprintf(mfrom, sizeof mfrom, "<%s>", from);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	enum cfg_starttls tls = cfg_smtp_tls(c);
	curl_easy_setopt(h, CURLOPT_USE_SSL, tls == CFG_TLS_REQUIRED ? (long)CURLUSESSL_ALL
	                                     : tls == CFG_TLS_NO ? (long)CURLUSESSL_NONE
	                                     : (long)CURLUSESSL_TRY);
	if (c->smtp_ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file);
	if (c->smtp_user[0]) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, MAIL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	int ret = rc == CURLE_OK ? 0 : curl_fail(h, rc, errbuf, err, errlen);
	if (rc == CURLE_USE_SSL_FAILED && c->smtp_starttls == CFG_TLS_AUTO)
		snprintf(err, errlen, "not sent: the server offered no STARTTLS, and with SMTP "
		         "credentials set smtp_starttls = auto requires it (the password is never sent in clear)");
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(to);
	return ret;
}

int nsend_webhook(struct nsend *s, const char *url, const char *body, size_t len, char *err, size_t errlen)
{
	CURL *h = s->web;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (!hdr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sipwarden");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, WEBHOOK_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	int ret = 0;
	if (rc != CURLE_OK)
		ret = curl_fail(h, rc, errbuf, err, errlen);
	else if (code < 200 || code > 299)
		ret = -1, snprintf(err, errlen, "webhook answered HTTP %ld", code);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
	return ret;
}

static int log_connect(struct nsend *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (s->log_fd >= 0 && !strcmp(s->log_path, path))
		return 0;
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (s->log_fd < 0 || connect(s->log_fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		snprintf(err, errlen, "syslog socket %s: %s", path, strerror(errno));
		if (s->log_fd >= 0)
			close(s->log_fd);
		s->log_fd = -1;
		return -1;
	}
	snprintf(s->log_path, sizeof s->log_path, "%s", path);
	return 0;
}

int nsend_syslog(struct nsend *s, const char *path, int severity, const char *line, char *err, size_t errlen)
{
	char buf[8192], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
	int n = snprintf(buf, sizeof buf, "<%d>%s sipwarden[%d]: %s", LOG_DAEMON | severity, stamp,
	                 (int)getpid(), line);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (log_connect(s, path, err, errlen) != 0)
			return -1;
		if (send(s->log_fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		snprintf(err, errlen, "syslog socket %s: %s", path, strerror(errno));
		close(s->log_fd); /* the log daemon restarted: reconnect once */
		s->log_fd = -1;
	}
	return -1;
}
