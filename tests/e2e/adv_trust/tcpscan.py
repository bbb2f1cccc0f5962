#!/usr/bin/python3
"""tcpscan.py: a client that completes its own TCP handshake with the
server, has an OPTIONS answered, then scans on the same connection.

  tcpscan.py SRC DST [--ua UA] [--count N] [--timeout S]

Prints "options 200" (or what came back), then one line per scanner OPTIONS
("scan N CODE" or "scan N timeout") and exits 0 (the test judges the
lines); 2 when the connection cannot be made.  Standard library only.
"""
import argparse
import random
import socket
import sys


def options(src, sport, dst, ua):
    tag = "%08x" % random.getrandbits(32)
    lines = ["OPTIONS sip:100@%s SIP/2.0" % dst, "Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%s" % (src, sport, tag),
             "Max-Forwards: 70", "From: <sip:100@%s>;tag=%s" % (dst, tag), "To: <sip:100@%s>" % dst,
             "Call-ID: %s@%s" % (tag, src), "CSeq: 1 OPTIONS"]
    if ua:
        lines.append("User-Agent: %s" % ua)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(s):
    try:
        data = s.recv(65536)
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error-%s" % e.errno
    if not data:
        return "closed"
    return data.split(b" ", 2)[1].decode() if data.startswith(b"SIP/2.0 ") else "junk"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--ua", default="friendly-scanner")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.bind((a.src, 0))
        s.connect((a.dst, 5060))
    except OSError as e:
        print("connect error %s" % e)
        return 2
    sport = s.getsockname()[1]
    s.sendall(options(a.src, sport, a.dst, None))
    print("options %s" % answer(s), flush=True)
    for i in range(1, a.count + 1):
        try:
            s.sendall(options(a.src, sport, a.dst, a.ua))
        except OSError as e:
            print("scan %d error-%s" % (i, e.errno), flush=True)
            continue
        print("scan %d %s" % (i, answer(s)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
