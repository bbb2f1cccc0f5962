#!/usr/bin/python3
"""day.py: writes a pcap of one day of attacks on 198.51.100.1:5060 that
ends at a given time, for the daily-summary test.

  day.py END_EPOCH OUT.pcap

Over the 24 hours before END_EPOCH: a phone (198.51.100.10) registers every
20 minutes (it keeps the packet clock going, so blocks expire and unblock
events appear); scanners (friendly-scanner User-Agent, one OPTIONS each) at
several hours; password guessers (REGISTER with credentials answered 403,
12 usernames each) at three hours, one of them twice.  The test derives
what the summary must say from `sipwarden replay`'s events of this file,
not from this description.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
import pcapw  # noqa: E402

PHONE = "198.51.100.10"
SCANNERS = [(1, "198.51.100.101"), (3, "198.51.100.102"), (3, "198.51.100.103"),
            (9, "198.51.100.104"), (9, "198.51.100.105"), (9, "198.51.100.106"),
            (17, "203.0.113.50")]
GUESSERS = [(2, "198.51.100.120", ["100", "101", "102"]),
            (12, "198.51.100.121", ["alice", "bob", "100"]),
            (20, "203.0.113.60", ["admin", "100", "1000"]),
            (22, "198.51.100.120", ["100", "200", "300"])]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    end = float(sys.argv[1])
    start = end - 86400 + 30
    p = pcapw.Pcap(sys.argv[2])
    s = pcapw.Sip(p)
    acts = []
    for k in range(0, 24 * 3):
        acts.append((start + k * 1200, "phone", None))
    for hour, ip in SCANNERS:
        acts.append((start + hour * 3600 + 300, "scan", ip))
    for hour, ip, users in GUESSERS:
        acts.append((start + hour * 3600 + 600, "guess", (ip, users)))
    acts.sort(key=lambda a: a[0])
    for t, kind, arg in acts:
        s.t = t
        if kind == "phone":
            s.register(PHONE, "1003", 200)
        elif kind == "scan":
            s.request(arg, "OPTIONS", "100", ua="friendly-scanner")
        else:
            ip, users = arg
            for i in range(12):
                u = users[i % len(users)]
                r = s.request(ip, "REGISTER", u, auth=u, ua="Grandstream GXP2170 1.0.11.3")
                s.respond(r, 403, "Forbidden")
                s.t += 0.5
    p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
