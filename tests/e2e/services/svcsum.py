#!/usr/bin/python3
"""svcsum.py: summarises the TFTP and DNS traffic of a pcap file, and checks
it, so that a broken recording is not taken for a detection bug.  An
independent, deliberately simple reader; standard library only.

  svcsum.py FILE                         per-client counters, one per line
  svcsum.py FILE --expect IP:KEY:MIN ... checks; exit 1 and say why

Link types: Ethernet (1), Linux cooked SLL (113) and SLL2 (276), raw IP
(101); IPv4 and IPv6, UDP and TCP.  The server is --server (default
198.51.100.1); a client is any other address talking to it.

Counters per client (KEY):
  tftp-rrq, tftp-wrq        requests the client sent to port 69
  tftp-error-N              ERROR packets with code N the client received
                            from a port other than 69 (the transfer port)
  tftp-data                 DATA packets the client received
  dns-q, dns-q-udp, dns-q-tcp  DNS queries the client sent (per transport)
  dns-q-TYPE, dns-q-CLASS   by type (A, ANY, TXT...) / class (CH)
  dns-r                     DNS responses the server sent to the client
  dns-r-RCODE               by rcode (NOERROR, NXDOMAIN, REFUSED...)
  dns-r-answered            responses with at least one answer record
IP:KEY:=N requires exactly N.  Messages of TCP streams are framed by their
2-byte length (segments concatenated in sequence order, duplicates dropped).
"""
import collections
import ipaddress
import struct
import sys

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
         33: "SRV", 35: "NAPTR", 252: "AXFR", 251: "IXFR", 255: "ANY"}
CLASSES = {1: "IN", 3: "CH", 255: "ANYCLASS"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    link = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield link, data[off + 16:off + 16 + incl]
        off += 16 + incl


def ip_layer(link, fr):
    """(ethertype, IP packet) or None."""
    if link == 1:
        et, off = struct.unpack("!H", fr[12:14])[0], 14
        while et in (0x8100, 0x88A8):
            et, off = struct.unpack("!H", fr[off + 2:off + 4])[0], off + 4
        return et, fr[off:]
    if link == 113:
        return struct.unpack("!H", fr[14:16])[0], fr[16:]
    if link == 276:
        return struct.unpack("!H", fr[0:2])[0], fr[20:]
    if link == 101:
        return (0x0800 if fr[0] >> 4 == 4 else 0x86DD), fr
    return None


def transport(et, pkt):
    """(proto, src, dst, l4 bytes) or None (fragments are not handled)."""
    if et == 0x0800 and len(pkt) >= 20:
        ihl = (pkt[0] & 15) * 4
        tot = struct.unpack("!H", pkt[2:4])[0]
        if struct.unpack("!H", pkt[6:8])[0] & 0x3FFF:
            return None
        return pkt[9], str(ipaddress.ip_address(pkt[12:16])), str(ipaddress.ip_address(pkt[16:20])), \
            pkt[ihl:tot]
    if et == 0x86DD and len(pkt) >= 40:
        plen = struct.unpack("!H", pkt[4:6])[0]
        return pkt[6], str(ipaddress.ip_address(pkt[8:24])), str(ipaddress.ip_address(pkt[24:40])), \
            pkt[40:40 + plen]
    return None


def dns_header(msg):
    """(qr, rcode, ancount, qtype, qclass) of a DNS message, or None."""
    if len(msg) < 12:
        return None
    _id, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    qtype = qclass = None
    if qd:
        off = 12
        while off < len(msg) and msg[off] and msg[off] < 64:
            off += 1 + msg[off]
        if off < len(msg) and msg[off] >= 0xC0:
            off += 2
        else:
            off += 1
        if off + 4 <= len(msg):
            qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return flags >> 15, flags & 15, an, qtype, qclass


class Summary:
    def __init__(self, server):
        self.server = server
        self.c = collections.defaultdict(collections.Counter)
        self.streams = {}  # (src, sport, dst, dport) -> {seq: payload}

    def dns(self, src, dst, msg, tcp):
        h = dns_header(msg)
        if not h:
            return
        qr, rcode, an, qtype, qclass = h
        if not qr and dst == self.server:
            c = self.c[src]
            c["dns-q"] += 1
            c["dns-q-tcp" if tcp else "dns-q-udp"] += 1
            c["dns-q-" + TYPES.get(qtype, str(qtype))] += 1
            c["dns-q-" + CLASSES.get(qclass, str(qclass))] += 1
        elif qr and src == self.server:
            c = self.c[dst]
            c["dns-r"] += 1
            c["dns-r-" + RCODES.get(rcode, str(rcode))] += 1
            if an:
                c["dns-r-answered"] += 1

    def udp(self, src, dst, l4):
        if len(l4) < 8:
            return
        sport, dport = struct.unpack("!HH", l4[:4])
        pl = l4[8:]
        if 53 in (sport, dport):
            self.dns(src, dst, pl, False)
            return
        if len(pl) < 4 or pl[0] != 0:
            return
        op = pl[1]
        if dport == 69 and dst == self.server and op in (1, 2):
            self.c[src]["tftp-rrq" if op == 1 else "tftp-wrq"] += 1
        elif src == self.server and sport != 69 and op == 5:
            self.c[dst]["tftp-error-%d" % struct.unpack("!H", pl[2:4])[0]] += 1
        elif src == self.server and sport != 69 and op == 3:
            self.c[dst]["tftp-data"] += 1

    def tcp(self, src, dst, l4):
        if len(l4) < 20:
            return
        sport, dport, seq = struct.unpack("!HHI", l4[:8])
        pl = l4[(l4[12] >> 4) * 4:]
        if 53 in (sport, dport) and pl:
            self.streams.setdefault((src, sport, dst, dport), {}).setdefault(seq, pl)

    def finish(self):
        for (src, _sp, dst, _dp), segs in self.streams.items():
            data = b"".join(segs[k] for k in sorted(segs))
            off = 0
            while off + 2 <= len(data):
                n = struct.unpack("!H", data[off:off + 2])[0]
                if off + 2 + n > len(data):
                    break
                self.dns(src, dst, data[off + 2:off + 2 + n], True)
                off += 2 + n


def summarise(path, server):
    s = Summary(server)
    for link, fr in frames(path):
        il = ip_layer(link, fr)
        t = transport(*il) if il else None
        if not t:
            continue
        proto, src, dst, l4 = t
        if proto == 17:
            s.udp(src, dst, l4)
        elif proto == 6:
            s.tcp(src, dst, l4)
    s.finish()
    return s.c


def main(argv):
    args, expects, server = [], [], "198.51.100.1"
    it = iter(argv[1:])
    for a in it:
        if a == "--expect":
            expects.append(next(it))
        elif a == "--server":
            server = next(it)
        else:
            args.append(a)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    c = summarise(args[0], server)
    if not expects:
        for ip in sorted(c):
            print(ip, " ".join("%s=%d" % kv for kv in sorted(c[ip].items())))
        return 0
    bad = []
    for x in expects:
        ip, key, want = x.rsplit(":", 2)
        got = c.get(ip, {}).get(key, 0)
        if want.startswith("="):
            good = got == int(want[1:])
        else:
            good = got >= int(want)
        if not good:
            bad.append("%s %s: %d, want %s" % (ip, key, got, want if want.startswith("=") else ">= " + want))
    if bad:
        print("capture check failed: " + "; ".join(bad))
        for ip in sorted(c):
            print("  %s %s" % (ip, " ".join("%s=%d" % kv for kv in sorted(c[ip].items()))))
        return 1
    print("capture has what the scenario made: %d checks" % len(expects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
