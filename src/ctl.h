/* ctl: the control interface.  `sipwarden ctl ...` connects to the daemon's
 * Unix socket (mode 0600) and sends its arguments; the daemon answers with
 * "ok" or "error" on the first line and the output (a table, or JSON with
 * --json) after it.
 *
 * Commands: status, list, block ADDR [DURATION|permanent] [--reason TEXT],
 * unblock ADDR, whitelist|blacklist add|del|list [ADDR] [--comment TEXT],
 * events [--since T] [--limit N], reload. */
#ifndef SW_CTL_H
#define SW_CTL_H

struct daemon;

/* Client: runs `sipwarden ctl ARGS...`; returns the exit status. */
int ctl_client(int argc, char **argv);
/* Server: answers one connection on the daemon's main thread. */
void ctl_serve(struct daemon *d, int fd);

#endif
