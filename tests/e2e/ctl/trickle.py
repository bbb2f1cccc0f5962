#!/usr/bin/python3
"""trickle: slow clients that never finish their request, one byte at a time.

    trickle.py (--unix PATH | --tcp ADDR:PORT [--source A,B,...]) --clients N
               [--every SECONDS] [--duration SECONDS] [--grace SECONDS]
               [--ready FILE] OUT

--unix: the control socket; each client sends one letter every --every
seconds (1.5) and never the empty line that ends a request.  --tcp: an HTTP
server; each client sends "GET / HTTP/1.1\\r\\nHost: ADDR:PORT\\r\\n" and then one
byte of an endless header every --every seconds, from the --source addresses
in turn (bound before connecting).  For --duration seconds (10) a client the
server closes is replaced by a new one (after 0.2 s); then the clients left
keep trickling until the server closes them or --grace seconds (10) pass
(or SIGTERM comes).
--ready FILE is written once the first N connections are open.

OUT gets one JSON object: connections opened, dropped (closed by the server),
open_at_end (still open after the grace time), connect_errors, and each
dropped connection's lifetime in seconds."""
import argparse
import json
import selectors
import signal
import socket
import time


class Client:
    def __init__(self, sock, t0, head):
        self.sock, self.t0, self.pending, self.next = sock, t0, head, t0


def opener(a):
    sources = a.source.split(",") if a.source else []
    counter = [0]

    def open_one():
        if a.unix:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(a.unix)
            return s, b""
        host, port = a.tcp.rsplit(":", 1)
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        if sources:
            s.bind((sources[counter[0] % len(sources)], 0))
            counter[0] += 1
        s.settimeout(5)
        s.connect((host, int(port)))
        return s, b"GET / HTTP/1.1\r\nHost: %s\r\n" % a.tcp.encode()
    return open_one


def main():
    p = argparse.ArgumentParser()
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--unix")
    g.add_argument("--tcp")
    p.add_argument("--source")
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--every", type=float, default=1.5)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--grace", type=float, default=10)
    p.add_argument("--ready")
    p.add_argument("out")
    a = p.parse_args()
    open_one = opener(a)
    sel = selectors.DefaultSelector()
    res = {"connections": 0, "dropped": 0, "open_at_end": 0, "connect_errors": 0, "lifetimes": []}
    start = time.monotonic()
    end, last = start + a.duration, start + a.duration + a.grace
    want_new = []  # times at which to open a replacement

    def add(now):
        try:
            s, head = open_one()
        except OSError:
            res["connect_errors"] += 1
            want_new.append(now + 0.2)
            return
        s.setblocking(False)
        res["connections"] += 1
        sel.register(s, selectors.EVENT_READ, Client(s, now, head))

    def drop(c, now):
        sel.unregister(c.sock)
        c.sock.close()
        res["dropped"] += 1
        res["lifetimes"].append(round(now - c.t0, 3))
        if now < end:
            want_new.append(now + 0.2)

    for _ in range(a.clients):
        add(time.monotonic())
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % res["connections"])
    letters = b"abcdefghijklmnopqrstuvwxyz"
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))  # SIGTERM: report and end
    while True:
        now = time.monotonic()
        clients = [k.data for k in sel.get_map().values()]
        if stop or now >= last or (now >= end and not clients):
            break
        for t in [t for t in want_new if t <= now and now < end]:
            want_new.remove(t)
            add(now)
        want_new[:] = [t for t in want_new if t < end]
        for c in clients:
            if now >= c.next:
                data = c.pending or letters[int(now * 10) % 26:][:1]
                c.pending = b""
                try:
                    c.sock.send(data)
                except OSError:
                    drop(c, now)
                    continue
                c.next = now + a.every
        for key, _ in sel.select(timeout=0.05):
            c = key.data
            try:
                got = c.sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                got = b""
            if not got:   # the server closed it (an answer, if any, came first)
                drop(c, time.monotonic())
    res["open_at_end"] = len(sel.get_map())
    for k in list(sel.get_map().values()):
        k.fileobj.close()
    with open(a.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
