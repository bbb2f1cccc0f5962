#!/usr/bin/python3
"""sipc.py: a tiny SIP client for sipwarden's daemon end-to-end test.

  sipc.py options SRC DST [--tcp] [--timeout S]
      One OPTIONS from SRC (an address of this namespace) to DST:5060 over UDP
      (retransmitted every 0.25 s) or TCP.  Prints the status code, or
      "timeout" / "error: ..."; exits 0 on 200, 1 on any other answer,
      3 on no answer (timeout or refused connection).

  sipc.py tcp-session SRC DST --user U [--rounds N] [--timeout S]
                      [--pause S] [--flag FILE] [--flag-wait S]
      On ONE TCP connection: an OPTIONS (expects 200), then up to N rounds of
      REGISTER (401 challenge) + REGISTER with a wrong digest password (403),
      a pause between rounds, until a request gets no answer within S seconds; then waits for FILE to
      exist (when given), then sends one more OPTIONS on the same connection
      and waits S seconds.  Prints one line per step, e.g.
          conn 198.51.100.70:41234 -> 198.51.100.1:5060
          options-before 200
          round 1 401 403
          round 6 timeout
          options-after timeout
          conn-same 198.51.100.70:41234
      and exits 0 (the test judges the lines), 2 on a local error.
Only the standard library; IPv4 and IPv6.
"""
import argparse
import hashlib
import os
import random
import re
import socket
import sys
import time

REALM_RE = re.compile(r'(\w+)="?([^",]*)"?')


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def hostport(addr, port=None):
    h = "[%s]" % addr if ":" in addr else addr
    return "%s:%d" % (h, port) if port else h


def rand(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


class Msg:
    def __init__(self, method, src, sport, dst, proto, user=None, cseq=1, callid=None, auth=None):
        self.method = method
        self.callid = callid or rand(16) + "@" + src
        self.branch = "z9hG4bK" + rand(12)
        self.cseq = cseq
        ruri = "sip:%s" % hostport(dst) if method != "REGISTER" else "sip:%s" % hostport(dst)
        touser = "sip:%s@%s" % (user, hostport(dst)) if user else "sip:%s" % hostport(dst)
        fromuser = touser if user else "sip:probe@%s" % hostport(src)
        self.ruri = ruri
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/%s %s;branch=%s;rport" % (proto.upper(), hostport(src, sport), self.branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (fromuser, rand(8)),
            "To: <%s>" % touser,
            "Call-ID: %s" % self.callid,
            "CSeq: %d %s" % (cseq, method),
            "User-Agent: sipwarden-e2e-client",
        ]
        if method == "REGISTER":
            lines.append("Contact: <sip:%s@%s;transport=%s>" % (user, hostport(src, sport), proto))
            lines.append("Expires: 60")
        if auth:
            lines.append("Authorization: " + auth)
        lines.append("Content-Length: 0")
        self.text = ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_response(data):
    """Returns (code, headers dict lower-case -> first value) or None."""
    try:
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    except Exception:
        return None
    lines = head.split("\r\n")
    m = re.match(r"SIP/2\.0 (\d{3})", lines[0])
    if not m:
        return None
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs.setdefault(k.strip().lower(), v.strip())
    return int(m.group(1)), hdrs


def digest(user, pw, method, uri, chal):
    params = dict(REALM_RE.findall(chal.split(" ", 1)[1] if " " in chal else chal))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    h = lambda s: hashlib.md5(s.encode()).hexdigest()
    ha1, ha2 = h("%s:%s:%s" % (user, realm, pw)), h("%s:%s" % (method, uri))
    if "auth" in params.get("qop", ""):
        nc, cnonce = "00000001", rand(8)
        resp = h("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=%s, cnonce="%s"' % (user, realm, nonce, uri, resp, nc, cnonce))
    resp = h("%s:%s:%s" % (ha1, nonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5'
            % (user, realm, nonce, uri, resp))


def udp_options(src, dst, timeout):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, 0))
    sport = s.getsockname()[1]
    m = Msg("OPTIONS", src, sport, dst, "udp")
    end = time.monotonic() + timeout
    next_tx = 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            return None
        if now >= next_tx:
            try:
                s.sendto(m.text, (dst, 5060))
            except OSError as e:
                return "error: %s" % e
            next_tx = now + 0.25
        s.settimeout(max(0.01, min(end, next_tx) - now))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        except OSError as e:  # ICMP unreachable
            return "error: %s" % e
        r = parse_response(data)
        if r and r[1].get("call-id") == m.callid and r[0] >= 200:
            return r[0]


class TcpConn:
    def __init__(self, src, dst, timeout):
        self.s = socket.socket(family(dst), socket.SOCK_STREAM)
        self.s.bind((src, 0))
        self.s.settimeout(timeout)
        self.s.connect((dst, 5060))
        self.buf = b""
        self.src, self.dst = src, dst
        self.sport = self.s.getsockname()[1]

    def read_msg(self, deadline):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = self.buf[:i].decode("utf-8", "replace")
                m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
                clen = int(m.group(1)) if m else 0
                if len(self.buf) >= i + 4 + clen:
                    msg, self.buf = self.buf[:i + 4 + clen], self.buf[i + 4 + clen:]
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65535)
            except socket.timeout:
                return None
            if not d:
                raise ConnectionError("closed by the server")
            self.buf += d

    def request(self, m, timeout):
        """Sends m; returns (code, headers) of its final response or None."""
        self.s.sendall(m.text)
        deadline = time.monotonic() + timeout
        while True:
            data = self.read_msg(deadline)
            if data is None:
                return None
            r = parse_response(data)
            if r and r[1].get("call-id") == m.callid and r[0] >= 200:
                return r


def guess_rounds(c, a, out):
    """On connection c: up to a.rounds rounds of REGISTER (401) + REGISTER
    with a wrong password for a.user, a.pause apart, until one gets no
    answer within a.timeout; prints "round N 401 403" / "round N timeout"."""
    cseq = 1
    for i in range(1, a.rounds + 1):
        callid = rand(16) + "@" + a.src
        m1 = Msg("REGISTER", a.src, c.sport, a.dst, "tcp", a.user, cseq, callid)
        r1 = c.request(m1, a.timeout)
        if not r1:
            out("round %d timeout" % i)
            break
        chal = r1[1].get("www-authenticate")
        if r1[0] != 401 or not chal:
            out("round %d %d" % (i, r1[0]))
            continue
        cseq += 1
        auth = digest(a.user, "wrong-%s" % rand(5), "REGISTER", m1.ruri, chal)
        m2 = Msg("REGISTER", a.src, c.sport, a.dst, "tcp", a.user, cseq, callid, auth)
        cseq += 1
        r2 = c.request(m2, a.timeout)
        out("round %d 401 %s" % (i, r2[0] if r2 else "timeout"))
        if not r2:
            break
        time.sleep(a.pause)


def tcp_session(a):
    out = lambda *x: print(*x, flush=True)
    try:
        c = TcpConn(a.src, a.dst, a.timeout)
    except OSError as e:
        out("connect-error %s" % e)
        return 2
    out("conn %s -> %s" % (hostport(a.src, c.sport), hostport(a.dst, 5060)))
    r = c.request(Msg("OPTIONS", a.src, c.sport, a.dst, "tcp"), a.timeout)
    out("options-before %s" % (r[0] if r else "timeout"))
    guess_rounds(c, a, out)
    if a.flag:
        end = time.monotonic() + a.flag_wait
        while not os.path.exists(a.flag) and time.monotonic() < end:
            time.sleep(0.05)
        out("flag %s" % ("seen" if os.path.exists(a.flag) else "missing"))
    c.buf = b""
    try:
        r = c.request(Msg("OPTIONS", a.src, c.sport, a.dst, "tcp"), a.timeout)
        out("options-after %s" % (r[0] if r else "timeout"))
    except OSError as e:
        out("options-after error %s" % e)
    out("conn-same %s" % hostport(a.src, c.s.getsockname()[1]))
    c.s.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("options")
    o.add_argument("src")
    o.add_argument("dst")
    o.add_argument("--tcp", action="store_true")
    o.add_argument("--timeout", type=float, default=1.5)
    t = sub.add_parser("tcp-session")
    t.add_argument("src")
    t.add_argument("dst")
    t.add_argument("--user", required=True)
    t.add_argument("--rounds", type=int, default=20)
    t.add_argument("--timeout", type=float, default=2.0)
    t.add_argument("--pause", type=float, default=0.1)
    t.add_argument("--flag")
    t.add_argument("--flag-wait", type=float, default=20.0)
    a = p.parse_args()
    if a.cmd == "tcp-session":
        return tcp_session(a)
    if a.tcp:
        try:
            c = TcpConn(a.src, a.dst, a.timeout)
            r = c.request(Msg("OPTIONS", a.src, c.sport, a.dst, "tcp"), a.timeout)
            code = r[0] if r else None
        except (OSError, ConnectionError) as e:
            code = "error: %s" % e if not isinstance(e, socket.timeout) else None
    else:
        code = udp_options(a.src, a.dst, a.timeout)
    if code is None:
        print("timeout")
        return 3
    print(code)
    if isinstance(code, str):
        return 3
    return 0 if code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
