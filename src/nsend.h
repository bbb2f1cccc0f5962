/* nsend: delivery over the network for notifications: a mail through SMTP
 * and an event line to a webhook (both libcurl), and a line to the syslog
 * socket.  Calls block (bounded by timeouts) and belong on the notification
 * thread; one struct nsend per thread.  Call curl_global_init before the
 * first nsend_new. */
#ifndef SW_NSEND_H
#define SW_NSEND_H

#include <stddef.h>

#include "config.h"

struct nsend;

struct nsend *nsend_new(void);
void nsend_free(struct nsend *s);

/* Sends one whole message (CRLF lines) from c->from to every address of
 * rcpts (comma-separated) through c->smtp_url.  Returns 0 when the server
 * accepted it, else -1 with a message in err. */
int nsend_mail(struct nsend *s, const struct cfg_notify *c, const char *from, const char *password,
               const char *rcpts, const char *msg, size_t len, char *err, size_t errlen);
/* POSTs body as application/json to url; 0 on a 2xx answer, else -1 and err. */
int nsend_webhook(struct nsend *s, const char *url, const char *body, size_t len, char *err, size_t errlen);
/* Writes line to the syslog socket at path as facility daemon with the given
 * severity (LOG_WARNING...), tagged "sipwarden".  0, or -1 and err. */
int nsend_syslog(struct nsend *s, const char *path, int severity, const char *line, char *err, size_t errlen);

#endif
