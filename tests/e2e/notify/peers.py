#!/usr/bin/python3
"""peers.py: the notification test's receivers, run inside a test namespace.

  peers.py smtp HOST PORT DIR      a real SMTP server (aiosmtpd) that stores
                                   every accepted message as DIR/NNNN.json:
                                   {"mail_from", "rcpt_tos", "data", "tls", "user"}
  peers.py smtp-tls HOST PORT DIR CERT KEY USER PASSWORD
                                   the same, but STARTTLS and AUTH (USER,
                                   PASSWORD) are required before MAIL
  peers.py smtp-strip HOST PORT DIR AUTHLOG
                                   what a man in the middle who strips
                                   STARTTLS offers: no STARTTLS, AUTH in
                                   clear; every AUTH attempt is appended to
                                   AUTHLOG (the login and password it carried)
  peers.py webhook HOST PORT FILE  an HTTP server appending every POST body
                                   (one JSON line) to FILE; answers 204
  peers.py syslog PATH FILE        a unix datagram socket at PATH appending
                                   every datagram as a line to FILE

Each writes "ready" to stdout once it listens, and runs until killed.
"""
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ready():
    print("ready", flush=True)


def smtp(host, port, outdir, tls=None, authlog=None):
    import ssl
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    os.makedirs(outdir, exist_ok=True)

    class Store:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Store.n += 1
            rec = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                   "data": envelope.original_content.decode("utf-8", "replace"),
                   "tls": session.ssl is not None,
                   "user": session.auth_data.login.decode() if session.authenticated and session.auth_data else None}
            tmp = os.path.join(outdir, ".%06d.tmp" % Store.n)
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(rec, f)
            os.rename(tmp, os.path.join(outdir, "%06d-%d.json" % (Store.n, os.getpid())))
            return "250 Message accepted for delivery"

    kw = {}
    if tls:
        cert, key, user, password = tls
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)

        def check(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok, auth_data=data if ok else None)

        kw = dict(tls_context=ctx, require_starttls=True, auth_required=True, authenticator=check)
    if authlog:
        def record(server, session, envelope, mechanism, data):
            with open(authlog, "a", encoding="utf-8") as f:
                f.write("%s %s %s\n" % (mechanism, data.login.decode("utf-8", "replace"),
                                        data.password.decode("utf-8", "replace")))
            return AuthResult(success=True, auth_data=data)

        kw = dict(auth_require_tls=False, authenticator=record)
    c = Controller(Store(), hostname=host, port=int(port), decode_data=False, **kw)
    c.start()
    ready()
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


def webhook(host, port, path):
    class H(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            with open(path, "a", encoding="utf-8") as f:
                f.write(body.replace("\n", " ") + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    s = ThreadingHTTPServer((host, int(port)), H)
    ready()
    s.serve_forever()


def syslog(sock_path, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    s.bind(sock_path)
    ready()
    with open(path, "a", encoding="utf-8") as f:
        while True:
            d = s.recv(65536)
            f.write(d.decode("utf-8", "replace").replace("\n", " ") + "\n")
            f.flush()


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    cmd = sys.argv[1]
    if cmd == "smtp" and len(sys.argv) == 5:
        smtp(*sys.argv[2:5])
    elif cmd == "smtp-tls" and len(sys.argv) == 9:
        smtp(*sys.argv[2:5], tls=sys.argv[5:9])
    elif cmd == "smtp-strip" and len(sys.argv) == 6:
        smtp(*sys.argv[2:5], authlog=sys.argv[5])
    elif cmd == "webhook" and len(sys.argv) == 5:
        webhook(*sys.argv[2:5])
    elif cmd == "syslog" and len(sys.argv) == 4:
        syslog(*sys.argv[2:4])
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main())
