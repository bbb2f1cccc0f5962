#!/usr/bin/python3
"""strict.py: hostile strings in, strict checks of sipwarden's output.

  strict.py pcap OUT.pcap            a capture: a scanner (203.0.113.66) whose
                                     User-Agent and From name hold invalid
                                     UTF-8, U+202E and ESC[2J; a guesser
                                     (203.0.113.77) whose 12 REGISTERs, their
                                     Digest usernames and User-Agent holding
                                     U+202E and invalid UTF-8, get 403
  strict.py send DST                 one such scanner OPTIONS over UDP to DST:5060
  strict.py ctl SOCK OUT ARG...      the daemon's raw answer to one control
                                     request (no client in between) into OUT
  strict.py lines FILE [EXPR]        every non-empty line of FILE is valid UTF-8
                                     (decoded with errors='strict') and one JSON
                                     value whose strings hold no control, C1,
                                     bidi or invisible character; EXPR (Python,
                                     the list of values as ev) must be true
  strict.py json FILE [EXPR]         the same for one JSON document (as d)
  strict.py text FILE [EXPR]         FILE is valid UTF-8 with no such character
                                     but LF and TAB; EXPR over the text as s

Exit status 0 when every check holds; the reason otherwise.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))

HOSTILE = b"friendly-scanner \xff\xfe \xe2\x80\xaegpj.exe\x1b[2J\xc0\xaf\xed\xa0\x80 \xc2\x9b31m end\xf0\x9f"
USERS = [b"adm\xe2\x80\xae%d\xff\xc3" % i for i in range(12)]
SERVER = "198.51.100.1"
HIDDEN = set(range(0x00, 0x20)) | set(range(0x7F, 0xA0)) | {0x61C, 0xFEFF} | set(range(0x200B, 0x2010)) \
    | set(range(0x2028, 0x202F)) | set(range(0x2060, 0x2070))


def request(src, method, user, ua, n, auth=None):
    """A SIP request as bytes; ua and the Digest username auth raw (any bytes)."""
    srv = SERVER.encode()
    me = src.encode()
    head = [b"%s sip:%s SIP/2.0" % (method, srv if method == b"REGISTER" else b"100@" + srv),
            b"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKadv%d;rport" % (me, n),
            b"Max-Forwards: 70",
            b'From: "\xe2\x80\xae\xff name" <sip:%s@%s>;tag=adv%d' % (user, srv, n),
            b"To: <sip:%s@%s>" % (user, srv),
            b"Call-ID: adv%d@%s" % (n, me),
            b"CSeq: 1 %s" % method,
            b"User-Agent: %s" % ua]
    if auth:
        head.append(b'Authorization: Digest username="%s", realm="pbx.example", nonce="5f3a9c1e", '
                    b'uri="sip:%s", response="0123456789abcdef0123456789abcdef", algorithm=MD5' % (auth, srv))
    head += [
            b"Content-Length: 0"]
    return b"\r\n".join(head) + b"\r\n\r\n"


def response(req, status):
    lines = req.split(b"\r\n")
    keep = [l for l in lines if l.split(b":")[0] in (b"Via", b"From", b"To", b"Call-ID", b"CSeq")]
    keep = [l + b";tag=srv1" if l.startswith(b"To:") else l for l in keep]
    return b"\r\n".join([b"SIP/2.0 %d Forbidden" % status] + keep + [b"Content-Length: 0"]) + b"\r\n\r\n"


def write_pcap(path):
    import pcapw
    p = pcapw.Pcap(path)
    t = pcapw.T0
    p.udp(t, "203.0.113.66", 5060, SERVER, 5060, request("203.0.113.66", b"OPTIONS", b"100", HOSTILE, 1))
    for i, u in enumerate(USERS):
        t += 0.5
        r = request("203.0.113.77", b"REGISTER", b"%d" % (200 + i), b"Guess\xe2\x80\xaer \xff", 100 + i, auth=u)
        p.udp(t, "203.0.113.77", 5060, SERVER, 5060, r)
        p.udp(t + 0.002, SERVER, 5060, "203.0.113.77", 5060, response(r, 403))
    p.close()


def send(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(request("203.0.113.66", b"OPTIONS", b"100", HOSTILE, 7), (dst, 5060))


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


def clean(s, allow=""):
    bad = [c for c in s if ord(c) in HIDDEN and c not in allow or 0xD800 <= ord(c) <= 0xDFFF]
    if bad:
        raise ValueError("hidden characters %r in %r" % (bad[:5], s[:200]))


def decode(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="strict")


def main(argv):
    if len(argv) >= 3 and argv[1] == "pcap":
        write_pcap(argv[2])
        return 0
    if len(argv) >= 5 and argv[1] == "ctl":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect(argv[2])
        c.sendall(b"".join(os.fsencode(a) + b"\n" for a in argv[4:]) + b"\n")
        with open(argv[3], "wb") as f:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                f.write(d)
        return 0
    if len(argv) == 3 and argv[1] == "send":
        send(argv[2])
        return 0
    if len(argv) not in (3, 4) or argv[1] not in ("lines", "json", "text"):
        print(__doc__, file=sys.stderr)
        return 64
    expr = argv[3] if len(argv) == 4 else "True"
    try:
        text = decode(argv[2])
        if argv[1] == "text":
            clean(text, "\n\t")
            env = {"s": text}
        else:
            vals = [json.loads(l) for l in text.splitlines() if l.strip()] if argv[1] == "lines" \
                else [json.loads(text)]
            for v in vals:
                for s in strings(v):
                    clean(s)
            env = {"ev": vals} if argv[1] == "lines" else {"d": vals[0]}
        if not eval("(" + expr + ")", {}, env):
            print("not true: %s" % expr)
            return 1
    except (UnicodeDecodeError, ValueError) as e:
        print("%s: %s" % (argv[2], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
