#!/usr/bin/python3
"""pcapw.py: writes pcap files of generated SIP traffic for sipwarden's
replay tests.  Standard library only.

  pcapw.py SCENARIO OUT.pcap      writes one scenario (list: pcapw.py --list)

As a module: Pcap (Ethernet, IPv4 or IPv6, UDP, with correct checksums) and
Sip (request/response pairs that share Call-ID, CSeq and the top Via branch,
so sipwarden charges the server's answer to the request's sender).

Every scenario talks to the protected server 198.51.100.1:5060 (IPv6:
[2001:db8:100::1]:5060).  Packet times start at 2026-11-27T10:00:00Z; each
scenario's docstring says who does what (the tests rely on it).
"""
import hashlib
import ipaddress
import itertools
import struct
import sys

SERVER4 = "198.51.100.1"
SERVER6 = "2001:db8:100::1"
T0 = 1795773600.0  # 2026-11-27T10:00:00Z
LINKTYPE_ETHERNET = 1
_SEQ = itertools.count(1)  # Call-IDs, branches and tags unique in a file


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _mac(ip):
    """A locally administered MAC derived from the address."""
    h = hashlib.sha1(ipaddress.ip_address(ip).packed).digest()
    return bytes([0x02]) + h[:5]


class Pcap:
    """A classic pcap file (microsecond times, Ethernet)."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        self.ipid = 1
        self.frames = 0

    def close(self):
        self.f.close()

    def frame(self, ts, data):
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
        self.f.write(data)
        self.frames += 1

    def udp(self, ts, src, sport, dst, dport, payload):
        """One UDP datagram from src:sport to dst:dport (IPv4 or IPv6)."""
        s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        if s.version != d.version:
            raise ValueError("address families differ: %s %s" % (src, dst))
        ulen = 8 + len(payload)
        if s.version == 4:
            pseudo = s.packed + d.packed + struct.pack("!BBH", 0, 17, ulen)
        else:
            pseudo = s.packed + d.packed + struct.pack("!I3xB", ulen, 17)
        hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
        c = _csum(pseudo + hdr + payload) or 0xFFFF
        udp = struct.pack("!HHHH", sport, dport, ulen, c) + payload
        if s.version == 4:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), self.ipid & 0xFFFF, 0x4000,
                             64, 17, 0, s.packed, d.packed)
            ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
            etype = 0x0800
        else:
            ip = struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, s.packed, d.packed)
            etype = 0x86DD
        self.ipid += 1
        eth = _mac(dst) + _mac(src) + struct.pack("!H", etype)
        self.frame(ts, eth + ip + udp)


def _nonce(ip):
    """The server's nonce for an address: its own (as a server whose nonces
    are unique per challenge gives), so credentials echoing it are verified
    evidence (docs/architecture.md, Trust model)."""
    return hashlib.md5(("nonce:" + ip).encode()).hexdigest()[:16]


def _host(ip):
    return "[%s]" % ip if ":" in ip else ip


class Sip:
    """SIP dialogs from clients to one server, written into a Pcap.  The
    clock (self.t) advances by `gap` seconds after every request/response
    pair unless told otherwise."""

    def __init__(self, pcap, server=SERVER4, t=T0):
        self.p = pcap
        self.server = server
        self.t = t

    @staticmethod
    def _uid(kind):
        return "%s%06d" % (kind, next(_SEQ))

    def request(self, src, method, ruri_user, *, user=None, to_user=None, ua="Yealink SIP-T46S 66.86.0.15",
                auth=None, proxy_auth=False, call_id=None, cseq=1, sport=5060, branch=None, from_tag=None,
                display=None):
        """Builds and writes one request; returns its fields (a dict) for
        respond().  auth: the username of a Digest Authorization header
        (None: no credentials)."""
        user = user or ruri_user
        to_user = to_user or ruri_user
        srv = _host(self.server)
        me = _host(src)
        call_id = call_id or "%s@%s" % (self._uid("c"), src)
        branch = branch or "z9hG4bK" + self._uid("b")
        from_tag = from_tag or self._uid("t")
        ruri = "sip:%s@%s" % (ruri_user, srv) if method != "REGISTER" else "sip:%s" % srv
        disp = '"%s" ' % display if display else ""
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (me, sport, branch),
            "Max-Forwards: 70",
            "From: %s<sip:%s@%s>;tag=%s" % (disp, user, srv, from_tag),
            "To: <sip:%s@%s>" % (to_user, srv),
            "Call-ID: %s" % call_id,
            "CSeq: %d %s" % (cseq, method),
            "Contact: <sip:%s@%s:%d>" % (user, me, sport),
        ]
        if auth is not None:
            hdr = "Proxy-Authorization" if proxy_auth else "Authorization"
            resp = hashlib.md5(("%s:%s:%d" % (auth, call_id, cseq)).encode()).hexdigest()
            lines.append('%s: Digest username="%s", realm="pbx.example", nonce="%s", '
                         'uri="%s", response="%s", algorithm=MD5' % (hdr, auth, _nonce(src), ruri, resp))
        if method == "REGISTER":
            lines.append("Expires: 300")
        if ua:
            lines.append("User-Agent: %s" % ua)
        body = b""
        if method == "INVITE":
            body = ("v=0\r\no=- 1 1 IN IP%d %s\r\ns=-\r\nc=IN IP%d %s\r\nt=0 0\r\n"
                    "m=audio 40000 RTP/AVP 0 8\r\n" % ((6, src, 6, src) if ":" in src else (4, src, 4, src))
                    ).encode()
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        msg = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.p.udp(self.t, src, sport, self.server, 5060, msg)
        return {"src": src, "sport": sport, "method": method, "call_id": call_id, "cseq": cseq,
                "branch": branch, "from": "%s<sip:%s@%s>;tag=%s" % (disp, user, srv, from_tag),
                "to": "<sip:%s@%s>" % (to_user, srv), "from_tag": from_tag}

    def respond(self, req, status, reason, *, dt=0.002, challenge=False, stale=False, proxy=False):
        """Writes the server's response to req, dt seconds after it."""
        srv = _host(self.server)
        lines = [
            "SIP/2.0 %d %s" % (status, reason),
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport=%d;received=%s" % (
                _host(req["src"]), req["sport"], req["branch"], req["sport"], req["src"]),
            "From: %s" % req["from"],
            "To: %s%s" % (req["to"], "" if status == 100 else ";tag=srv%s" % req["branch"][-6:]),
            "Call-ID: %s" % req["call_id"],
            "CSeq: %d %s" % (req["cseq"], req["method"]),
        ]
        if challenge:
            hdr = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
            lines.append('%s: Digest realm="pbx.example", nonce="%s", algorithm=MD5%s' % (
                hdr, _nonce(req["src"]), ", stale=true" if stale else ""))
        if status == 200 and req["method"] == "REGISTER":
            lines.append("Contact: <sip:x@%s:%d>;expires=300" % (_host(req["src"]), req["sport"]))
        lines.append("Server: kamailio (5.6.3 (x86_64/linux))")
        lines.append("Content-Length: 0")
        msg = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.p.udp(self.t + dt, self.server, 5060, req["src"], req["sport"], msg)

    def ack(self, req, dt=0.004):
        """The ACK of a non-2xx final answer to an INVITE (same branch)."""
        lines = [
            "ACK sip:%s SIP/2.0" % req["to"][5:-1],
            "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (_host(req["src"]), req["sport"], req["branch"]),
            "Max-Forwards: 70",
            "From: %s" % req["from"],
            "To: %s;tag=srv%s" % (req["to"], req["branch"][-6:]),
            "Call-ID: %s" % req["call_id"],
            "CSeq: %d ACK" % req["cseq"],
            "Content-Length: 0",
        ]
        self.p.udp(self.t + dt, req["src"], req["sport"], self.server, 5060,
                   ("\r\n".join(lines) + "\r\n\r\n").encode())

    # ---- whole exchanges --------------------------------------------------

    def register(self, src, user, final, *, ua="Yealink SIP-T46S 66.86.0.15", gap=0.2, sport=5060):
        """A phone's registration: REGISTER, 401 challenge, REGISTER with
        credentials, then the final answer `final` (200, 403 or 401)."""
        cid = "%s@%s" % (self._uid("r"), src)
        tag = self._uid("t")
        r1 = self.request(src, "REGISTER", user, ua=ua, call_id=cid, cseq=1, from_tag=tag, sport=sport)
        self.respond(r1, 401, "Unauthorized", challenge=True)
        self.t += 0.02
        r2 = self.request(src, "REGISTER", user, ua=ua, call_id=cid, cseq=2, from_tag=tag, auth=user,
                          sport=sport)
        reasons = {200: "OK", 403: "Forbidden", 401: "Unauthorized"}
        self.respond(r2, final, reasons[final], challenge=final == 401)
        self.t += gap

    def invite(self, src, dest, final, *, ua="Asterisk PBX", gap=0.2, auth=None, sport=5060):
        """An INVITE to dest (100 Trying, then `final`; ACK for failures)."""
        r = self.request(src, "INVITE", dest, user="anon" if auth is None else auth, ua=ua, auth=auth,
                         proxy_auth=auth is not None, sport=sport)
        self.respond(r, 100, "Trying", dt=0.001)
        reasons = {200: "OK", 403: "Forbidden", 404: "Not Found", 407: "Proxy Authentication Required",
                   484: "Address Incomplete"}
        self.respond(r, final, reasons[final], challenge=final == 407, proxy=True)
        if final >= 300:
            self.ack(r)
        self.t += gap
        return r

    def options(self, src, *, ua, answer=200, gap=0.2, sport=5060, user="100"):
        r = self.request(src, "OPTIONS", user, ua=ua, sport=sport)
        if answer:
            self.respond(r, answer, "OK")
        self.t += gap


# ---- scenarios -------------------------------------------------------------

def sc_sweep(p):
    """Toll-fraud sweep: 198.51.100.70 INVITEs 12 distinct international
    destinations (441632960001..012), answered 404 and 403 alternately,
    0.3 s apart.  A phone 198.51.100.10 registers (200) and makes one call
    answered 200 (with credentials)."""
    s = Sip(p)
    s.register("198.51.100.10", "1003", 200)
    for i in range(1, 13):
        s.invite("198.51.100.70", "4416329600%02d" % i, 404 if i % 2 else 403, ua="sipcaller 1.2", gap=0.3)
    s.invite("198.51.100.10", "1004", 200, auth="1003", ua="Yealink SIP-T46S 66.86.0.15")


def sc_tolldest(p):
    """Blocked destinations (used with blocked_destinations = 00*):
    198.51.100.71 (never authenticated) INVITEs 00442079460000 once,
    answered 407; 198.51.100.72 calls 1004 (not a blocked pattern), answered
    407; the phone 198.51.100.10 registers (REGISTER with credentials, 200)
    and then calls 00442079460001: 407, then INVITE with credentials, 200."""
    s = Sip(p)
    s.register("198.51.100.10", "1003", 200)
    s.invite("198.51.100.71", "00442079460000", 407, ua="Z 5.4.12 v2.10.14.6")
    s.invite("198.51.100.72", "1004", 407, ua="Z 5.4.12 v2.10.14.6")
    s.invite("198.51.100.10", "00442079460001", 407, ua="Yealink SIP-T46S 66.86.0.15")
    s.invite("198.51.100.10", "00442079460001", 200, auth="1003", ua="Yealink SIP-T46S 66.86.0.15")


DIST_V4 = ["198.51.100.%d" % i for i in range(101, 116)]        # 15
DIST_V6 = ["2001:db8:%x::77" % i for i in range(0x201, 0x20B)]  # 10 (each its own /64)
DIST_ALL = [a for pair in zip(DIST_V4[:10], DIST_V6) for a in pair] + DIST_V4[10:]


def sc_distributed(p):
    """Distributed guessing on 1001: 25 addresses (15 IPv4 198.51.100.101-115,
    10 IPv6 2001:db8:201::77 - 2001:db8:20a::77, interleaved) each make two
    registration attempts for 1001 (REGISTER, 401 challenge, REGISTER with
    credentials, 403), 1 s apart per address; then 198.51.100.126 fails
    5 times on 1001 and 198.51.100.127 5 times on 1002, 0.5 s apart."""
    s4 = Sip(p)
    s6 = Sip(p, server=SERVER6)
    for a in DIST_ALL:
        s = s6 if ":" in a else s4
        s.t = max(s4.t, s6.t)
        for _ in range(2):
            s.register(a, "1001", 403, ua="PolycomVVX-VVX_400-UA/5.9.5.0614", gap=0.2)
        s.t += 0.6
    s4.t = max(s4.t, s6.t)
    for _ in range(5):
        s4.register("198.51.100.126", "1001", 403, ua="PolycomVVX-VVX_400-UA/5.9.5.0614", gap=0.5)
    for _ in range(5):
        s4.register("198.51.100.127", "1002", 403, ua="PolycomVVX-VVX_400-UA/5.9.5.0614", gap=0.5)


AGG_V4 = ["203.0.113.%d" % i for i in (20, 21, 22, 23, 24)]
AGG_LATE = "203.0.113.30"
AGG_V6 = ["2001:db8:5::%x" % i for i in (0x20, 0x21, 0x22, 0x23, 0x24)]


def sc_aggregate(p):
    """Aggregation: 5 password guessers 203.0.113.20-24 and 5 guessers
    2001:db8:5::20-24 each fail 10 registrations for 1001 (REGISTER, 401,
    REGISTER with credentials echoing the nonce the server sent that address,
    403) - verified evidence, so their blocks count towards the prefix; a phone 198.51.100.10 registers (200);
    then 203.0.113.30, inside the blocked /24, fails 10 times too."""
    s = Sip(p)
    s6 = Sip(p, server=SERVER6)
    s.register("198.51.100.10", "1003", 200)
    for a in AGG_V4:
        for _ in range(10):
            s.register(a, "1001", 403, ua="pbx-client/1.0", gap=0.02, sport=5070)
    for _ in range(10):
        s.register(AGG_LATE, "1001", 403, ua="pbx-client/1.0", gap=0.02, sport=5070)
    s6.t = s.t
    for a in AGG_V6:
        for _ in range(10):
            s6.register(a, "1001", 403, ua="pbx-client/1.0", gap=0.02, sport=5070)


def sc_spoof(p):
    """Spoof resistance: the phone 198.51.100.10 registers (REGISTER, 401,
    REGISTER with credentials, 200); 5 s later a forged OPTIONS with
    User-Agent friendly-scanner claims to come from 198.51.100.10 (no
    answer: a forger never sees one), then the same packet from
    198.51.100.12, which never registered."""
    s = Sip(p)
    s.register("198.51.100.10", "1003", 200)
    s.t += 5
    for a in ("198.51.100.10", "198.51.100.12"):
        s.options(a, ua="friendly-scanner", answer=0, sport=5060)


def sc_spoofagg(p):
    """Spoof resistance and aggregation: the phone 198.51.100.10 registers
    (REGISTER, 401, REGISTER with credentials, 200); 5 s later forged
    OPTIONS with User-Agent friendly-scanner claim to come from 5 addresses
    of the phone's /24 that never sent anything else (198.51.100.20-24, no
    answers), 0.2 s apart; then the phone registers again."""
    s = Sip(p)
    s.register("198.51.100.10", "1003", 200)
    s.t += 5
    for a in ("198.51.100.20", "198.51.100.21", "198.51.100.22", "198.51.100.23", "198.51.100.24"):
        s.options(a, ua="friendly-scanner", answer=0, sport=5060)
    s.t += 1
    s.register("198.51.100.10", "1003", 200)


SCENARIOS = {"sweep": sc_sweep, "tolldest": sc_tolldest, "distributed": sc_distributed,
             "aggregate": sc_aggregate, "spoof": sc_spoof, "spoofagg": sc_spoofagg}


def run(argv, scenarios, doc):
    """The command line of a scenario writer: SCENARIO OUT.pcap, or --list."""
    if len(argv) == 2 and argv[1] == "--list":
        for k, f in scenarios.items():
            print("%-12s %s" % (k, " ".join(f.__doc__.split())))
        return 0
    if len(argv) != 3 or argv[1] not in scenarios:
        print(doc, file=sys.stderr)
        return 2
    p = Pcap(argv[2])
    scenarios[argv[1]](p)
    p.close()
    print("%s: %d frames" % (argv[2], p.frames))
    return 0


def main(argv):
    return run(argv, SCENARIOS, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
