#!/usr/bin/python3
"""send.py: sends one SIP OPTIONS from each of several source addresses.

  send.py DST UA SRC...      UA may hold escapes (\\r, \\n, \\t, \\xNN): a
                             hostile User-Agent is sent byte for byte

Each request is well formed apart from what UA brings; no answer is awaited.
"""
import codecs
import socket
import sys
import uuid


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    dst, ua = sys.argv[1], codecs.decode(sys.argv[2], "unicode_escape").encode("latin-1")
    for src in sys.argv[3:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 5060))
        tag = uuid.uuid4().hex[:8]
        head = ("OPTIONS sip:100@%s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s;rport\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:100@%s>;tag=%s\r\n"
                "To: <sip:100@%s>\r\n"
                "Call-ID: %s@%s\r\n"
                "CSeq: 1 OPTIONS\r\n" % (dst, src, tag, dst, tag, dst, uuid.uuid4().hex, src)).encode()
        msg = head + b"User-Agent: " + ua + b"\r\nContent-Length: 0\r\n\r\n"
        s.sendto(msg, (dst, 5060))
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
