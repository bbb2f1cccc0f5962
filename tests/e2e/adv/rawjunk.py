#!/usr/bin/python3
"""rawjunk.py: a TCP password guesser that first blinds a naive passive
reassembler, for test_adv_tcp.sh (run it inside the attacker's namespace,
as root).

  rawjunk.py SRC DST --user U [--rounds N] [--timeout S] [--ahead BYTES]

Opens one TCP connection from SRC to DST:5060 (the kernel does the
handshake), learns the connection's next sequence number from its own
handshake ACK (an AF_PACKET socket on eth0), and injects one raw segment
carrying junk at that sequence number + BYTES (default 1 MiB) with an IPv4
raw socket.  Then, on the same connection, up to N rounds of REGISTER (401
challenge) + REGISTER with a wrong digest password (403), until a request
gets no answer within S seconds.  Prints one line per step:
    conn 203.0.113.66:41234 -> 198.51.100.1:5060
    junk seq 123456789 (next 122408213 + 1048576), 48 bytes
    round 1 401 403
    round 6 timeout
and exits 0 (the test judges the lines), 2 on a local error.  IPv4 only;
the SIP side comes from tests/e2e/daemon/sipc.py (guess_rounds).
"""
import argparse
import os
import socket
import struct
import sys
import time

for d in ("daemon", "services"):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", d))
import pcapw  # noqa: E402
import sipc  # noqa: E402

ETH_P_ALL = 0x0003  # outgoing frames reach only ETH_P_ALL packet sockets


def handshake_ack(sniff, src, sport, dst, timeout):
    """(seq, ack, win) of our own pure ACK that ended the handshake."""
    end = time.monotonic() + timeout
    s4, d4 = socket.inet_aton(src), socket.inet_aton(dst)
    while time.monotonic() < end:
        sniff.settimeout(max(0.01, end - time.monotonic()))
        try:
            f = sniff.recv(65535)
        except socket.timeout:
            break
        ip = f[14:]
        if f[12:14] != b"\x08\x00" or len(ip) < 40 or ip[9] != 6 or ip[12:16] != s4 or ip[16:20] != d4:
            continue
        t = ip[(ip[0] & 15) * 4:]
        sp, dp, seq, ack = struct.unpack("!HHII", t[:12])
        if sp == sport and dp == 5060 and (t[13] & 0x12) == 0x10:
            return seq, ack, struct.unpack("!H", t[14:16])[0]
    return None


def inject(src, sport, dst, seq, ack, win, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, 5060, seq & 0xFFFFFFFF, ack, 5 << 4, 0x18, win, 0, 0)
    s4, d4 = socket.inet_aton(src), socket.inet_aton(dst)
    c = pcapw._csum(s4 + d4 + struct.pack("!BBH", 0, 6, len(tcp) + len(payload)) + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0x4242, 0x4000,
                     64, 6, 0, s4, d4)
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    r.sendto(ip + tcp + payload, (dst, 0))
    r.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--user", required=True)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--timeout", type=float, default=1.5)
    p.add_argument("--pause", type=float, default=0.1)
    p.add_argument("--ahead", type=int, default=1 << 20)
    a = p.parse_args()
    out = lambda *x: print(*x, flush=True)
    try:
        sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sniff.bind(("eth0", 0))
        c = sipc.TcpConn(a.src, a.dst, a.timeout)
    except OSError as e:
        out("error %s" % e)
        return 2
    out("conn %s -> %s" % (sipc.hostport(a.src, c.sport), sipc.hostport(a.dst, 5060)))
    h = handshake_ack(sniff, a.src, c.sport, a.dst, 2.0)
    sniff.close()
    if not h:
        out("error: own handshake ACK not seen")
        return 2
    body = b"REGISTER sip:junk SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    inject(a.src, c.sport, a.dst, h[0] + a.ahead, h[1], h[2], body)
    out("junk seq %d (next %d + %d), %d bytes" % ((h[0] + a.ahead) & 0xFFFFFFFF, h[0], a.ahead, len(body)))
    sipc.guess_rounds(c, a, out)
    c.s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
