#!/usr/bin/python3
"""onlink.py: a password guesser on the server's own link that answers each
of its guesses itself, for test_adv_trust.sh.  Standard library; run inside
the guesser's test namespace (its interface eth0 shares a bridge with the
server's).

  onlink.py SELF SRV SRV_MAC USER [--count N]

For each of N guesses: a REGISTER for USER without credentials (the server
challenges it), then one with a wrong password over the server's nonce,
and right behind it a forged "200 OK" from SRV's address to SELF, sent as
an Ethernet frame to SRV_MAC (the server's interface, where the capture
sees it arrive; the server's kernel drops it, not being the router).  The
server's real answer (403) follows.  Prints one line per guess: the real
answer's status code.
"""
import argparse
import hashlib
import os
import random
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawsend  # noqa: E402  (udp(): an IPv4/UDP packet with checksums)


def register(self_ip, port, srv, user, call_id, cseq, branch, auth=None):
    lines = ["REGISTER sip:%s SIP/2.0" % srv,
             "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self_ip, port, branch),
             "Max-Forwards: 70",
             "From: <sip:%s@%s>;tag=g%d" % (user, srv, cseq),
             "To: <sip:%s@%s>" % (user, srv),
             "Call-ID: %s" % call_id, "CSeq: %d REGISTER" % cseq,
             "Contact: <sip:%s@%s:%d>" % (user, self_ip, port), "User-Agent: pbx-client/1.0"]
    if auth:
        lines.append(auth)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def forged_ok(request, srv, self_ip, port):
    """A 200 OK to `request`, as the server would send it to self_ip:port."""
    head = request.decode().split("\r\n")
    keep = [h for h in head if h.split(":")[0] in ("Via", "From", "To", "Call-ID", "CSeq")]
    keep = [h + ";tag=forged" if h.startswith("To:") else h for h in keep]
    text = "\r\n".join(["SIP/2.0 200 OK"] + keep + ["Content-Length: 0"]) + "\r\n\r\n"
    ip = rawsend.udp(srv, self_ip, text.encode())
    # rawsend.udp writes ports 5060 -> 5060: the answer goes to our port
    ip = ip[:20] + struct.pack("!H", 5060) + struct.pack("!H", port) + ip[24:26] + b"\0\0" + ip[28:]
    return ip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("self_ip")
    ap.add_argument("srv")
    ap.add_argument("srv_mac")
    ap.add_argument("user")
    ap.add_argument("--count", type=int, default=8)
    a = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.self_ip, 0))
    sock.settimeout(3)
    port = sock.getsockname()[1]
    eth = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    eth.bind(("eth0", 0))
    own_mac = eth.getsockname()[4]
    hdr = bytes.fromhex(a.srv_mac.replace(":", "")) + own_mac + struct.pack("!H", 0x0800)
    for i in range(a.count):
        call_id = "%016x@%s" % (random.getrandbits(64), a.self_ip)
        req = register(a.self_ip, port, a.srv, a.user, call_id, 1, "z9hG4bK%x" % random.getrandbits(48))
        sock.sendto(req, (a.srv, 5060))
        try:
            chal = sock.recv(65535).decode(errors="replace")
        except socket.timeout:
            print("guess %d: no challenge" % i)
            continue
        m = re.search(r'nonce="([^"]*)"', chal)
        nonce = m.group(1) if m else ""
        m = re.search(r'realm="([^"]*)"', chal)
        realm = m.group(1) if m else a.srv
        resp = hashlib.md5(("wrong-%d" % i).encode()).hexdigest()
        auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="sip:%s", '
                'response="%s"' % (a.user, realm, nonce, a.srv, resp))
        req = register(a.self_ip, port, a.srv, a.user, call_id, 2, "z9hG4bK%x" % random.getrandbits(48), auth)
        sock.sendto(req, (a.srv, 5060))
        eth.send(hdr + forged_ok(req, a.srv, a.self_ip, port))
        try:
            print("guess %d: %s" % (i, sock.recv(65535).decode(errors="replace").split(" ")[1]))
        except socket.timeout:
            print("guess %d: no answer" % i)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
