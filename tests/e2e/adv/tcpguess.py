#!/usr/bin/python3
"""tcpguess.py: writes a pcap of a SIP password guesser over one TCP
connection to the protected server 198.51.100.1:5060, for test_adv_tcp.sh.

  tcpguess.py VARIANT OUT.pcap

The guesser 203.0.113.66:40066 opens the connection (SYN, SYN-ACK, ACK;
window scale 7 on both sides, as Linux does), then sends REGISTERs with
credentials for user 1001; the server challenges each new Call-ID (401)
and refuses the credentials (403), and acknowledges every segment with a
receive window of 509 << 7 bytes.  Variants add forged or junk segments
from the guesser's address on the same connection, before its first
REGISTER:

  clean     nothing added
  junk      one junk segment 1 MB ahead of the stream
  burst     ten junk segments, each making a hole: 1 MB and more ahead,
            and 20-29 KB ahead (inside the window, past the reorder room
            that the guesser's stream uses)
  behind    one junk segment 1 MB behind the stream

Standard library only; the Ethernet/IPv4 framing and the SIP messages come
from tests/e2e/services/pcapw.py.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
import pcapw  # noqa: E402

GUESSER = "203.0.113.66"
GPORT = 40066
SERVER = pcapw.SERVER4
CISN, SISN = 0x7A000000, 0x31000000
GUESSES = 14
MB = 1 << 20

SYN, ACK, PSH = 0x02, 0x10, 0x08


class Tcp:
    """One TCP connection written into a pcapw.Pcap; .udp() takes the place
    of Pcap.udp so that pcapw.Sip writes its messages into the stream."""

    def __init__(self, pcap):
        self.p = pcap
        self.nxt = {GUESSER: CISN, SERVER: SISN}

    def segment(self, ts, src, flags, payload=b"", seq=None, ws=None, win=509):
        dst = SERVER if src == GUESSER else GUESSER
        sport, dport = (GPORT, 5060) if src == GUESSER else (5060, GPORT)
        seq = self.nxt[src] if seq is None else seq
        ack = self.nxt[dst] if flags & ACK else 0
        opts = b"" if ws is None else b"\x02\x04\x05\xb4\x01\x03\x03" + bytes([ws])
        hl = 20 + len(opts)
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          hl // 4 << 4, flags, win, 0, 0) + opts
        s, d = (pcapw.ipaddress.ip_address(a).packed for a in (src, dst))
        pseudo = s + d + struct.pack("!BBH", 0, 6, hl + len(payload))
        c = pcapw._csum(pseudo + hdr + payload)
        tcp = hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.p.ipid & 0xFFFF, 0x4000,
                         64, 6, 0, s, d)
        ip = ip[:10] + struct.pack("!H", pcapw._csum(ip)) + ip[12:]
        self.p.ipid += 1
        self.p.frame(ts, pcapw._mac(dst) + pcapw._mac(src) + struct.pack("!H", 0x0800) + ip + tcp)
        return seq

    def handshake(self, ts):
        self.segment(ts, GUESSER, SYN, ws=7, win=64240)
        self.nxt[GUESSER] += 1
        self.segment(ts + 0.0001, SERVER, SYN | ACK, ws=7, win=65160)
        self.nxt[SERVER] += 1
        self.segment(ts + 0.0002, GUESSER, ACK, win=502)

    def udp(self, ts, src, sport, dst, dport, payload):
        """A message of pcapw.Sip: a data segment, then the peer's ACK."""
        self.segment(ts, src, ACK | PSH, payload)
        self.nxt[src] += len(payload)
        self.segment(ts + 0.00005, dst, ACK)


def junk(tcp, ts, variant):
    body = b"REGISTER sip:junk SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    base = tcp.nxt[GUESSER]
    if variant == "junk":
        offs = [MB]
    elif variant == "burst":
        offs = [MB + k * 3000 for k in range(5)] + [20000 + k * 2000 for k in range(5)]
    elif variant == "behind":
        offs = [-MB]
    else:
        offs = []
    for k, off in enumerate(offs):
        tcp.segment(ts + k * 0.00001, GUESSER, ACK | PSH, body, seq=base + off)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("clean", "junk", "burst", "behind"):
        print(__doc__, file=sys.stderr)
        return 2
    p = pcapw.Pcap(argv[2])
    tcp = Tcp(p)
    sip = pcapw.Sip(tcp)
    tcp.handshake(sip.t)
    sip.t += 0.01
    junk(tcp, sip.t, argv[1])
    sip.t += 0.01
    for _ in range(GUESSES):
        sip.register(GUESSER, "1001", 403, sport=GPORT, gap=0.3)
    p.close()
    print("%s: %d frames" % (argv[2], p.frames))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
