#!/usr/bin/python3
"""rawsend.py: forged SIP packets for test_adv_trust.sh, sent with a raw
socket (IPv4, IP_HDRINCL) from inside a test namespace.  Standard library.

  rawsend.py udp SRC DST [--ua UA] [--count N] [--auth USER]
      N (default 1) OPTIONS, or REGISTERs with fabricated Digest
      credentials for USER (--auth), from SRC:5060 (any address: the
      source is written by hand) to DST:5060.
  rawsend.py tcp SRC DST [--syn]
      One TCP segment from SRC:40000 to DST:5060 carrying a REGISTER,
      with no handshake: PSH|ACK, or with --syn a bare SYN with the data.
"""
import argparse
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
import pcapw  # noqa: E402  (its checksum)


def csum(data):
    return pcapw._csum(data)


def sip(method, src, dst, proto, ua=None, auth=None):
    tag = "%08x" % random.getrandbits(32)
    lines = ["%s sip:%s SIP/2.0" % (method, dst if method == "REGISTER" else "100@" + dst),
             "Via: SIP/2.0/%s %s:5060;branch=z9hG4bK%s;rport" % (proto, src, tag),
             "Max-Forwards: 70",
             "From: <sip:%s@%s>;tag=%s" % (auth or "100", dst, tag),
             "To: <sip:%s@%s>" % (auth or "100", dst),
             "Call-ID: %s@%s" % (tag, src), "CSeq: 1 %s" % method]
    if ua:
        lines.append("User-Agent: %s" % ua)
    if auth:
        lines.append('Authorization: Digest username="%s", realm="sipwarden.test", nonce="fabricated%s", '
                     'uri="sip:%s", response="%032x"' % (auth, tag, dst, random.getrandbits(128)))
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def ip_packet(src, dst, proto, l4):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), random.getrandbits(16), 0x4000, 64, proto, 0, s, d)
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + l4


def udp(src, dst, payload):
    hdr = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return ip_packet(src, dst, 17, hdr[:6] + struct.pack("!H", c) + payload)


def tcp(src, dst, payload, syn):
    seq = random.getrandbits(32)
    flags = 0x02 if syn else 0x18
    hdr = struct.pack("!HHIIBBHHH", 40000, 5060, seq, 0 if syn else random.getrandbits(32), 5 << 4, flags,
                      65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return ip_packet(src, dst, 6, hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["udp", "tcp"])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--ua")
    ap.add_argument("--auth")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--syn", action="store_true")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    for _ in range(a.count):
        if a.kind == "udp":
            pkt = udp(a.src, a.dst, sip("REGISTER" if a.auth else "OPTIONS", a.src, a.dst, "UDP", a.ua, a.auth))
        else:
            pkt = tcp(a.src, a.dst, sip("REGISTER", a.src, a.dst, "TCP"), a.syn)
        s.sendto(pkt, (a.dst, 0))
    print("sent %d %s packet(s) from %s" % (a.count, a.kind, a.src))
    return 0


if __name__ == "__main__":
    sys.exit(main())
