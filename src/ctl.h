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

#include <stdio.h>

struct daemon;

/* Client: runs `sipwarden ctl ARGS...`; returns the exit status. */
int ctl_client(int argc, char **argv);
/* Server: runs one complete request (the arguments, each ended by "\n") on
 * the daemon's main thread, output to o; returns 0 (ok) or -1 (error).  The
 * connection itself is served by ctlsrv.c on its own thread. */
int ctl_run(struct daemon *d, char *req, FILE *o);

#endif
