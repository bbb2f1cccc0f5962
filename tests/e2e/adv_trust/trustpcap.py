#!/usr/bin/python3
"""trustpcap.py: captures for test_adv_trust.sh (the trust model of
docs/architecture.md), written with pcapw.py's Pcap and Sip plus TCP
segments.  Standard library only.

  trustpcap.py SCENARIO OUT.pcap

Scenarios (server 198.51.100.1:5060; who does what):
  rawseg     203.0.113.66 sends one TCP data segment (PSH|ACK, no handshake)
             carrying a REGISTER, then 1 s later a UDP OPTIONS with
             User-Agent friendly-scanner
  syndata    203.0.113.67: a bare SYN that carries a REGISTER, then the
             same data segment, then the UDP scanner OPTIONS
  handshake  203.0.113.68 completes a TCP handshake (its ACK acknowledges
             the server's ISN), its OPTIONS is answered 200 on the flow,
             then it sends a friendly-scanner OPTIONS on the same flow;
             203.0.113.69 does the same handshake and answered OPTIONS, then
             scans over UDP
  phone      the phone 198.51.100.10 registers over UDP (401 with its own
             nonce, REGISTER with credentials echoing it, 200); then forged
             UDP packets in its name: a friendly-scanner OPTIONS and 40
             REGISTERs with fabricated credentials, each answered 403 (the
             answers go to the phone); then the phone itself sends an
             OPTIONS with friendly-scanner whose credentials echo its nonce
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
import pcapw  # noqa: E402

SRV = pcapw.SERVER4


def tcp(p, ts, src, sport, dst, dport, flags, seq, ack, payload=b""):
    """One IPv4 TCP segment (flags: "S", "SA", "A", "PA")."""
    import ipaddress
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    fl = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, fl, 65535, 0, 0)
    pseudo = s.packed + d.packed + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = pcapw._csum(pseudo + hdr + payload)
    seg = hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), p.ipid & 0xFFFF, 0x4000, 64, 6, 0,
                     s.packed, d.packed)
    ip = ip[:10] + struct.pack("!H", pcapw._csum(ip)) + ip[12:]
    p.ipid += 1
    p.frame(ts, pcapw._mac(dst) + pcapw._mac(src) + struct.pack("!H", 0x0800) + ip + seg)


def sip_req(src, sport, method, callid, ua=None, proto="TCP"):
    lines = ["%s sip:100@%s SIP/2.0" % (method, SRV),
             "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-%s" % (proto, src, sport, callid),
             "Max-Forwards: 70", "From: <sip:100@%s>;tag=f%s" % (SRV, callid),
             "To: <sip:100@%s>" % SRV, "Call-ID: %s" % callid, "CSeq: 1 %s" % method]
    if ua:
        lines.append("User-Agent: %s" % ua)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def sip_ok(req):
    """The server's 200 to a request built by sip_req (same Via, Call-ID, CSeq)."""
    head = req.decode().split("\r\n")
    keep = [h for h in head if h.startswith(("Via:", "From:", "To:", "Call-ID:", "CSeq:"))]
    keep = [h + ";tag=srv" if h.startswith("To:") else h for h in keep]
    return ("\r\n".join(["SIP/2.0 200 OK"] + keep + ["Content-Length: 0"]) + "\r\n\r\n").encode()


def sc_rawseg(p):
    s = pcapw.Sip(p)
    tcp(p, s.t, "203.0.113.66", 40066, SRV, 5060, "PA", 1000, 1, sip_req("203.0.113.66", 40066, "REGISTER", "raw1"))
    s.t += 1
    s.options("203.0.113.66", ua="friendly-scanner", answer=0)


def sc_syndata(p):
    s = pcapw.Sip(p)
    data = sip_req("203.0.113.67", 40067, "REGISTER", "syn1")
    tcp(p, s.t, "203.0.113.67", 40067, SRV, 5060, "S", 5000, 0, data)
    tcp(p, s.t + 0.001, "203.0.113.67", 40067, SRV, 5060, "PA", 5001, 1, data)
    s.t += 1
    s.options("203.0.113.67", ua="friendly-scanner", answer=0)


def handshake(p, t, cli, cport, isn_c, isn_s):
    tcp(p, t, cli, cport, SRV, 5060, "S", isn_c, 0)
    tcp(p, t + 0.0005, SRV, 5060, cli, cport, "SA", isn_s, isn_c + 1)
    tcp(p, t + 0.001, cli, cport, SRV, 5060, "A", isn_c + 1, isn_s + 1)


def sc_handshake(p):
    s = pcapw.Sip(p)
    for cli, cport in (("203.0.113.68", 40068), ("203.0.113.69", 40069)):
        c, sv = 7000, 90000
        handshake(p, s.t, cli, cport, c, sv)
        req = sip_req(cli, cport, "OPTIONS", "hs-" + cli)
        tcp(p, s.t + 0.002, cli, cport, SRV, 5060, "PA", c + 1, sv + 1, req)
        ok = sip_ok(req)
        tcp(p, s.t + 0.003, SRV, 5060, cli, cport, "PA", sv + 1, c + 1 + len(req), ok)
        s.t += 1
        if cli == "203.0.113.68":
            scan = sip_req(cli, cport, "OPTIONS", "hs-scan", ua="friendly-scanner")
            tcp(p, s.t, cli, cport, SRV, 5060, "PA", c + 1 + len(req), sv + 1 + len(ok), scan)
        else:
            s.options(cli, ua="friendly-scanner", answer=0)
        s.t += 1


def sc_phone(p):
    s = pcapw.Sip(p)
    ph = "198.51.100.10"
    s.register(ph, "1003", 200)
    s.t += 5
    s.options(ph, ua="friendly-scanner", answer=0)
    real = pcapw._nonce
    pcapw._nonce = lambda ip: "fabricated"
    for _ in range(40):
        r = s.request(ph, "REGISTER", "1005", ua="pbx-client/1.0", auth="1005")
        s.respond(r, 403, "Forbidden")
        s.t += 0.05
    pcapw._nonce = real
    s.t += 5
    r = s.request(ph, "OPTIONS", "100", ua="friendly-scanner", auth="1003")
    s.respond(r, 200, "OK")


SCENARIOS = {"rawseg": sc_rawseg, "syndata": sc_syndata, "handshake": sc_handshake, "phone": sc_phone}


def main(argv):
    if len(argv) != 3 or argv[1] not in SCENARIOS:
        sys.stderr.write("usage: trustpcap.py {%s} OUT.pcap\n" % "|".join(sorted(SCENARIOS)))
        return 2
    p = pcapw.Pcap(argv[2])
    SCENARIOS[argv[1]](p)
    p.close()
    print(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
