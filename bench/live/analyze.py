#!/usr/bin/python3
"""analyze: turns the raw records of bench/live.sh into figures.

    analyze.py ttb PCAP STAMPED_LOG NLWATCH KV     time to block
    analyze.py tput NLWATCH T_START EXPECT KV       block throughput
    analyze.py ctl CTLPOLL KV                      control socket latency
    analyze.py guessers PCAP OUT                   guesser sources of a mixed capture
    analyze.py blocked LOG GUESSERS KV             who the daemon blocked

PCAP is a capture taken in the server namespace (µs or ns timestamps,
Ethernet); STAMPED_LOG is the daemon's stderr through stamp.py; NLWATCH is
nlwatch.py's output; CTLPOLL is ctlpoll.py's.  Each prints a few lines for a
human and appends "KEY VALUE" lines to KV for the shell."""
import ipaddress
import json
import statistics
import struct
import sys
from datetime import datetime, timezone


def addr(text):
    return ipaddress.ip_address(text).packed


def text(packed):
    return str(ipaddress.ip_address(packed))


def pcap_sources(path):
    """Yields (timestamp in µs, source address bytes, udp dport) per IPv4/IPv6
    UDP packet of an Ethernet pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    for end in ("<", ">"):
        m = struct.unpack(end + "I", magic)[0]
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise SystemExit("%s: not a pcap file" % path)
    nano = m == 0xA1B23C4D
    link = struct.unpack_from(end + "I", data, 20)[0]
    if link != 1:
        raise SystemExit("%s: link type %d, want Ethernet" % (path, link))
    rec = struct.Struct(end + "IIII")
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = rec.unpack_from(data, off)
        off += 16
        pkt = data[off:off + caplen]
        off += caplen
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        et = pkt[12:14]
        if et == b"\x08\x00" and len(pkt) >= 38 and pkt[23] == 17:
            ihl = (pkt[14] & 15) * 4
            yield ts, pkt[26:30], struct.unpack_from(">H", pkt, 14 + ihl + 2)[0]
        elif et == b"\x86\xdd" and len(pkt) >= 58 and pkt[20] == 17:
            yield ts, pkt[22:38], struct.unpack_from(">H", pkt, 56)[0]


def pct(v, p):
    """The p-th percentile (nearest rank) of sorted v."""
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def nl_records(path):
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4:
                yield float(p[0]), p[1], p[2], p[3]


def first_adds(path):
    """{address bytes: first add time}, transaction sizes, overruns."""
    first, sizes, over, cur = {}, [], 0, 0
    for t, kind, _s, v in nl_records(path):
        if kind == "a":
            k = addr(v.split("/")[0])
            if k not in first:
                first[k] = t
                cur += 1
        elif kind == "g":
            if cur:
                sizes.append(cur)
            cur = 0
        elif kind == "x":
            over += 1
    if cur:
        sizes.append(cur)
    return first, sizes, over


def events(path, stamped):
    """Block events of a daemon log: [(ip bytes, event time µs, line time)]."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            wall = None
            if stamped:
                w, _, line = line.partition(" ")
                wall = float(w)
            i = line.find("{")
            if i < 0 or '"event":"block"' not in line:
                continue
            try:
                e = json.loads(line[i:])
            except ValueError:
                continue
            if e.get("event") != "block" or "/" in e.get("ip", "/"):
                continue
            dt = datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            out.append((addr(e["ip"]), int(round(dt.timestamp() * 1000)) * 1000, wall))
    return out


def kv(path, **items):
    with open(path, "a") as f:
        for k, v in items.items():
            f.write("%s %s\n" % (k, v))


def line(label, v, unit="ms"):
    v = sorted(v)
    if not v:
        print("  %-34s (no samples)" % label)
        return
    print("  %-34s median %7.3f  p90 %7.3f  p99 %7.3f  max %8.3f %s" % (
        label, statistics.median(v), pct(v, 90), pct(v, 99), v[-1], unit))


def cmd_ttb(pcap, log, nl, kvf):
    cap = {}
    for ts, src, dport in pcap_sources(pcap):
        if dport == 5060 and src not in cap:
            cap[src] = ts
    ev = {ip: (t, w) for ip, t, w in events(log, True)}
    first, sizes, over = first_adds(nl)
    total, eng, fw, agree = [], [], [], 0
    for ip, tcap in cap.items():
        if ip in ev and (ev[ip][0] == tcap // 1000 * 1000):
            agree += 1
        if ip in first:
            total.append((first[ip] * 1e6 - tcap) / 1000)
        if ip in ev and ip in first:
            eng.append((ev[ip][1] * 1e6 - tcap) / 1000)
            fw.append((first[ip] - ev[ip][1]) * 1000)
    print("  attackers: %d captured, %d block events, %d set elements, %d with all three"
          % (len(cap), len(ev), len(first), len(eng)))
    line("capture -> element in set", total)
    line("  capture -> event line read", eng)
    line("  event line read -> element", fw)
    print("  transactions: %d (%.2f elements each on average, at most %d); event "
          "times = capture ms: %d of %d%s" % (len(sizes), sum(sizes) / max(1, len(sizes)),
                                            max(sizes or [0]), agree, len(cap),
                                            "; NETLINK OVERRUNS %d" % over if over else ""))
    total.sort()
    kv(kvf, ttb_n=len(total), ttb_captured=len(cap),
       ttb_median=("%.3f" % statistics.median(total)) if total else "nan",
       ttb_p99="%.3f" % pct(total, 99), ttb_max="%.3f" % (total[-1] if total else float("nan")))


def cmd_tput(nl, t_start, expect, kvf):
    first, sizes, over = first_adds(nl)
    t_start, expect = float(t_start), int(expect)
    n = len(first)
    if n < 2:
        print("  %d elements added (of %d): no rate" % (n, expect))
        kv(kvf, tput_n=n, tput_rate=0, tput_e2e=0)
        return
    t = sorted(first.values())
    rate = (n - 1) / (t[-1] - t[0]) if t[-1] > t[0] else float("inf")
    e2e = n / (t[-1] - t_start)
    print("  elements added: %d of %d; first %.1f ms, last %.1f ms after the replay started"
          % (n, expect, (t[0] - t_start) * 1000, (t[-1] - t_start) * 1000))
    print("  insertion rate (first to last element): %.0f/s; end to end (replay start to last): %.0f/s"
          % (rate, e2e))
    print("  transactions: %d, elements each: median %d, max %d%s" % (
        len(sizes), statistics.median(sizes) if sizes else 0, max(sizes or [0]),
        "; NETLINK OVERRUNS %d (some events lost)" % over if over else ""))
    kv(kvf, tput_n=n, tput_rate="%.0f" % rate, tput_e2e="%.0f" % e2e,
       tput_span_ms="%.1f" % ((t[-1] - t[0]) * 1000), tput_txn=len(sizes))


def cmd_ctl(path, kvf):
    ms, bad = [], 0
    with open(path) as f:
        for ln in f:
            p = ln.split()
            if len(p) >= 3:
                ms.append(float(p[1]))
                bad += p[2] != "1"
    ms.sort()
    line("ctl status response (%d, %d failed)" % (len(ms), bad), ms)
    kv(kvf, ctl_n=len(ms), ctl_failed=bad, ctl_median="%.3f" % (statistics.median(ms) if ms else 0),
       ctl_p99="%.3f" % pct(ms, 99), ctl_max="%.3f" % (ms[-1] if ms else 0))


GUESS4 = ipaddress.ip_network("203.0.113.0/24")
GUESS6 = ipaddress.ip_network("2001:db8:666::/48")


def cmd_guessers(pcap, out):
    seen = set()
    for _ts, src, dport in pcap_sources(pcap):
        if dport == 5060:
            seen.add(src)
    g = sorted(text(s) for s in seen if ipaddress.ip_address(s) in GUESS4
               or ipaddress.ip_address(s) in GUESS6)
    with open(out, "w") as f:
        f.write("".join(x + "\n" for x in g))


def cmd_blocked(log, guessers, kvf):
    with open(guessers) as f:
        want = {addr(x.strip()) for x in f if x.strip()}
    got = {ip for ip, _t, _w in events(log, False)}
    kv(kvf, guessers=len(want), blocked_guessers=len(got & want), blocked_other=len(got - want))


def main():
    a = sys.argv[1:]
    cmds = {"ttb": (cmd_ttb, 4), "tput": (cmd_tput, 4), "ctl": (cmd_ctl, 2),
            "guessers": (cmd_guessers, 2), "blocked": (cmd_blocked, 3)}
    if not a or a[0] not in cmds or len(a) - 1 != cmds[a[0]][1]:
        sys.exit(__doc__)
    cmds[a[0]][0](*a[1:])


if __name__ == "__main__":
    main()
