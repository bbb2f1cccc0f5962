#!/usr/bin/python3
"""flows.py: long-lived UDP and TCP flows for the conntrack checks.

  flows.py serve ADDR PORT           answers every UDP datagram and echoes
                                     every TCP connection's bytes, forever
  flows.py open SRC DST PORT SECS    from SRC: a TCP connection and a UDP
                                     exchange with DST:PORT, both answered
                                     (so conntrack holds an established TCP
                                     entry and a replied UDP one); then holds
                                     them open for SECS seconds

"open" prints "up" once both flows were answered, and exits 1 if not.
"""
import select
import socket
import sys
import time


def serve(addr, port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.bind((addr, port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    conns = []
    print("ready", flush=True)
    while True:
        r, _, _ = select.select([u, t] + conns, [], [])
        for s in r:
            if s is u:
                d, peer = u.recvfrom(2048)
                u.sendto(d, peer)
            elif s is t:
                c, _ = t.accept()
                conns.append(c)
            else:
                try:
                    d = s.recv(2048)
                except OSError:
                    d = b""
                if d:
                    s.sendall(d)
                else:
                    conns.remove(s)
                    s.close()


def open_flows(src, dst, port, secs):
    t = socket.create_connection((dst, port), timeout=5, source_address=(src, 0))
    t.sendall(b"hello")
    if t.recv(16) != b"hello":
        return 1
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    u.settimeout(5)
    u.sendto(b"hello", (dst, port))
    if u.recvfrom(16)[0] != b"hello":
        return 1
    print("up", flush=True)
    time.sleep(secs)
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "serve":
        serve(a[1], int(a[2]))
    elif len(a) == 5 and a[0] == "open":
        return open_flows(a[1], a[2], int(a[3]), float(a[4]))
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
