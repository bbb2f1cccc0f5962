#!/usr/bin/python3
"""pcapsum.py: summarise the SIP traffic in a pcap file, and check it.

An independent, deliberately simple reader used by the end-to-end tests to
verify that a recording holds what the scenario meant to produce, before
sipwarden is asked about it (so a broken recording is not taken for a
detection bug).  Standard library only.

  pcapsum.py FILE                      human-readable summary
  pcapsum.py --json FILE               the same as JSON
  pcapsum.py FILE --linktype 1 --max-bytes 2000000 \
      --expect 198.51.100.68:403:40 --ua 198.51.100.68=friendly-scanner
                                       checks; exit 1 and say why on failure

Per client address (the side that is not the server, i.e. not using
--server, default 198.51.100.1 / 2001:db8:100::1) it counts requests by
method, responses received by status code, the transports used, the users
in the To header and the User-Agents.  --expect IP:KEY:MIN requires a count
of at least MIN, where KEY is a method (REGISTER), a status code (403), udp
or tcp (SIP messages either way); IP:KEY:=N requires exactly N.  --ua IP=TEXT requires every request from IP to carry a
User-Agent containing TEXT.

Link types: EN10MB (1), LINUX_SLL (113), LINUX_SLL2 (276), RAW (101),
NULL/LOOP (0/108).  TCP payload is reassembled per direction in sequence
order (retransmissions dropped) and split into messages by Content-Length.
"""
import argparse
import ipaddress
import json
import re
import struct
import sys

SERVERS = {"198.51.100.1", "2001:db8:100::1"}
METHODS = ("REGISTER", "INVITE", "OPTIONS", "ACK", "BYE", "CANCEL", "MESSAGE",
           "SUBSCRIBE", "NOTIFY", "INFO", "PRACK", "UPDATE", "REFER", "PUBLISH")
REQ_RE = re.compile(rb"^([A-Z]+) (sips?:\S+) SIP/2\.0\r?$")
RESP_RE = re.compile(rb"^SIP/2\.0 (\d{3})")


def read_pcap(path):
    """Yields (linktype, ts, frame bytes); returns the link type first."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: too short for a pcap file" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap file (magic %s)" % (path, magic.hex()))
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, snap, linktype = struct.unpack(end + "HHiIII", data[4:24])
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append((sec + frac / (1e9 if nsec else 1e6), data[off:off + incl]))
        off += incl
    return linktype & 0xFFFF, frames


def l3(linktype, fr):
    """Returns (ethertype, payload) of a frame, or (None, None)."""
    if linktype == 1:
        if len(fr) < 14:
            return None, None
        et, off = struct.unpack(">H", fr[12:14])[0], 14
        while et in (0x8100, 0x88A8) and len(fr) >= off + 4:
            et, off = struct.unpack(">H", fr[off + 2:off + 4])[0], off + 4
        return et, fr[off:]
    if linktype == 113:
        return (struct.unpack(">H", fr[14:16])[0], fr[16:]) if len(fr) >= 16 else (None, None)
    if linktype == 276:
        return (struct.unpack(">H", fr[0:2])[0], fr[20:]) if len(fr) >= 20 else (None, None)
    if linktype == 101:
        v = fr[0] >> 4 if fr else 0
        return {4: 0x0800, 6: 0x86DD}.get(v), fr
    if linktype in (0, 108):
        if len(fr) < 4:
            return None, None
        fam = struct.unpack("<I", fr[:4])[0]
        if fam > 0xFFFF:
            fam = struct.unpack(">I", fr[:4])[0]
        return (0x0800 if fam == 2 else 0x86DD if fam in (10, 24, 28, 30) else None), fr[4:]
    return None, None


def l4(et, pkt):
    """Returns (src, dst, proto, l4 bytes) or None (fragments are skipped)."""
    if et == 0x0800 and len(pkt) >= 20:
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack(">H", pkt[2:4])[0]
        frag = struct.unpack(">H", pkt[6:8])[0]
        if frag & 0x3FFF:
            return None
        return (str(ipaddress.IPv4Address(pkt[12:16])), str(ipaddress.IPv4Address(pkt[16:20])),
                pkt[9], pkt[ihl:total])
    if et == 0x86DD and len(pkt) >= 40:
        nxt, off = pkt[6], 40
        plen = struct.unpack(">H", pkt[4:6])[0]
        end = 40 + plen
        while nxt in (0, 43, 60) and len(pkt) >= off + 8:
            nxt, off = pkt[off], off + (pkt[off + 1] + 1) * 8
        if nxt == 44:
            return None
        return (str(ipaddress.IPv6Address(pkt[8:24])), str(ipaddress.IPv6Address(pkt[24:40])),
                nxt, pkt[off:end])
    return None


def split_sip(buf):
    """Splits a byte stream into whole SIP messages; returns (msgs, rest)."""
    msgs = []
    while True:
        buf = buf.lstrip(b"\r\n")
        hend = buf.find(b"\r\n\r\n")
        if hend < 0:
            return msgs, buf
        head = buf[:hend]
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        blen = int(m.group(1)) if m else 0
        if len(buf) < hend + 4 + blen:
            return msgs, buf
        msgs.append(buf[:hend + 4 + blen])
        buf = buf[hend + 4 + blen:]


def header(head, names):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() in names:
            return v.strip().decode("latin-1")
    return None


def summarise(path, servers):
    linktype, frames = read_pcap(path)
    hosts = {}
    streams = {}   # (src, sp, dst, dp) -> [next_seq, buffer]
    out = {"file": path, "linktype": linktype, "packets": len(frames),
           "sip_messages": 0, "first_ts": None, "last_ts": None, "hosts": hosts}

    def host(ip):
        return hosts.setdefault(ip, {"requests": {}, "responses": {}, "udp": 0, "tcp": 0,
                                     "users": set(), "user_agents": set(), "ua_missing": 0})

    def message(src, dst, proto, raw, ts):
        head = raw.split(b"\r\n\r\n", 1)[0]
        first = head.split(b"\r\n", 1)[0]
        mreq, mresp = REQ_RE.match(first), RESP_RE.match(first)
        if not (mreq or mresp):
            return
        out["sip_messages"] += 1
        out["first_ts"] = ts if out["first_ts"] is None else min(out["first_ts"], ts)
        out["last_ts"] = ts if out["last_ts"] is None else max(out["last_ts"], ts)
        if mreq and src not in servers:
            h = host(src)
            meth = mreq.group(1).decode()
            h["requests"][meth] = h["requests"].get(meth, 0) + 1
            h[proto] += 1
            ua = header(head, (b"user-agent",))
            if ua is None:
                h["ua_missing"] += 1
            else:
                h["user_agents"].add(ua)
            to = header(head, (b"to", b"t")) or ""
            mu = re.search(r"sips?:([^@;>]+)@", to)
            if mu:
                h["users"].add(mu.group(1))
        elif mresp and src in servers and dst not in servers:
            h = host(dst)
            code = mresp.group(1).decode()
            h["responses"][code] = h["responses"].get(code, 0) + 1
            h[proto] += 1

    for ts, fr in frames:
        et, pkt = l3(linktype, fr)
        if et is None:
            continue
        r = l4(et, pkt)
        if not r:
            continue
        src, dst, proto, seg = r
        if proto == 17 and len(seg) >= 8:
            msgs, _ = split_sip(seg[8:])
            for raw in msgs or [seg[8:]]:
                message(src, dst, "udp", raw, ts)
        elif proto == 6 and len(seg) >= 20:
            sp, dp, seq = struct.unpack(">HHI", seg[:8])
            doff, flags = (seg[12] >> 4) * 4, seg[13]
            data = seg[doff:]
            key = (src, sp, dst, dp)
            st = streams.get(key)
            if flags & 0x02:                      # SYN
                streams[key] = [(seq + 1) & 0xFFFFFFFF, b""]
                continue
            if st is None:
                st = streams[key] = [seq, b""]
            if not data:
                continue
            delta = (seq - st[0]) & 0xFFFFFFFF
            if delta >= 0x80000000:               # (partly) old data
                skip = (st[0] - seq) & 0xFFFFFFFF
                if skip >= len(data):
                    continue
                data, seq = data[skip:], st[0]
            st[0] = (seq + len(data)) & 0xFFFFFFFF
            msgs, st[1] = split_sip(st[1] + data)
            for raw in msgs:
                message(src, dst, "tcp", raw, ts)
    for h in hosts.values():
        h["users"] = sorted(h["users"])
        h["user_agents"] = sorted(h["user_agents"])
    return out


def count(h, key):
    if key in ("udp", "tcp"):
        return h[key]
    if re.fullmatch(r"\d{3}", key):
        return h["responses"].get(key, 0)
    return h["requests"].get(key, 0)


def norm(ip):
    return str(ipaddress.ip_address(ip))


def check(s, args):
    errs = []
    if args.linktype is not None and s["linktype"] != args.linktype:
        errs.append("link type is %d, expected %d" % (s["linktype"], args.linktype))
    if args.max_bytes is not None:
        import os
        size = os.path.getsize(s["file"])
        if size > args.max_bytes:
            errs.append("file is %d bytes, more than %d" % (size, args.max_bytes))
    empty = {"requests": {}, "responses": {}, "udp": 0, "tcp": 0, "user_agents": [], "ua_missing": 0}
    for e in args.expect:
        ip, key, want = e.rsplit(":", 2)
        h = s["hosts"].get(norm(ip), empty)
        n = count(h, key)
        if want.startswith("="):
            if n != int(want[1:]):
                errs.append("%s: %s count is %d, expected exactly %s" % (ip, key, n, want[1:]))
        elif n < int(want):
            errs.append("%s: %s count is %d, expected at least %s" % (ip, key, n, want))
    for u in args.ua:
        ip, text = u.split("=", 1)
        h = s["hosts"].get(norm(ip), empty)
        if h["ua_missing"] or not h["user_agents"] or any(text not in a for a in h["user_agents"]):
            errs.append("%s: User-Agents %s (%d without), expected all to contain %r"
                        % (ip, h["user_agents"], h["ua_missing"], text))
    return errs


def text(s):
    lines = ["%s: link type %d, %d packets, %d SIP messages, %.1f s"
             % (s["file"], s["linktype"], s["packets"], s["sip_messages"],
                (s["last_ts"] or 0) - (s["first_ts"] or 0))]
    for ip in sorted(s["hosts"], key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a))):
        h = s["hosts"][ip]
        req = " ".join("%s=%d" % kv for kv in sorted(h["requests"].items()))
        resp = " ".join("%s=%d" % kv for kv in sorted(h["responses"].items()))
        users = h["users"]
        ulist = ",".join(users) if len(users) <= 6 else "%s..%s (%d users)" % (users[0], users[-1], len(users))
        lines.append("  %-18s udp=%-3d tcp=%-3d sent[%s] got[%s] to[%s] ua%s"
                     % (ip, h["udp"], h["tcp"], req, resp, ulist, h["user_agents"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="print only failures")
    ap.add_argument("--server", action="append", default=[])
    ap.add_argument("--linktype", type=int)
    ap.add_argument("--max-bytes", type=int)
    ap.add_argument("--expect", action="append", default=[], metavar="IP:KEY:MIN")
    ap.add_argument("--ua", action="append", default=[], metavar="IP=TEXT")
    args = ap.parse_args()
    servers = {norm(a) for a in args.server} or SERVERS
    try:
        s = summarise(args.file, servers)
    except (OSError, ValueError) as e:
        print("pcapsum: %s" % e, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(s, indent=1, sort_keys=True))
    elif not args.quiet:
        print(text(s))
    errs = check(s, args)
    for e in errs:
        print("pcapsum: %s: %s" % (args.file, e), file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
