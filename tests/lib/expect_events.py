#!/usr/bin/python3
"""expect_events.py: checks sipwarden's JSON-lines events against verdicts.

  expect_events.py LABEL EVENTS_FILE EXPECTATION...

Prints one TAP-style line per check, "ok - ..." or "not ok - ...", and exits
with the number of failed checks (capped at 100).  Always checked first:
every line of EVENTS_FILE is a JSON object with the documented keys.

EXPECTATION is one of
  IP=DETECTOR   IP is blocked, and the first block event covering IP names
                DETECTOR (bad_registration, scanner, enumeration, ...)
  IP!           no block event covers IP (never blocked)
An event covers IP when its "ip" (an address or a prefix such as
2001:db8::/64) contains IP, so blocking a whole IPv6 /64 counts too.
"""
import ipaddress
import json
import sys

EVENTS = {"block", "unblock", "anomaly", "alert"}
DETECTORS = {"bad_registration", "scanner", "enumeration", "bad_invite",
             "anomaly", "flood", "blacklist", "manual", "toll_fraud",
             "distributed_guessing", "aggregate", "tftp_bruteforce", "dns_abuse"}
KEYS = {"time", "event", "ip", "detector", "reason", "count", "window_s",
        "duration_s", "instance", "evidence"}
NEEDED = {"time", "event", "ip"}
NEEDED_BLOCK = {"detector", "reason", "count", "duration_s"}


def covers(ev_ip, ip):
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(ev_ip, strict=False)
    except ValueError:
        return False


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    label, path, wants = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = 0

    def report(ok, what):
        nonlocal failed
        print("%s - %s: %s" % ("ok" if ok else "not ok", label, what))
        failed += 0 if ok else 1

    events, problems = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError as err:
                problems.append("line %d is not JSON (%s): %.80s" % (n, err, line))
                continue
            if not isinstance(e, dict):
                problems.append("line %d is not a JSON object" % n)
                continue
            need = NEEDED | (NEEDED_BLOCK if e.get("event") == "block" else set())
            if need - e.keys():
                problems.append("line %d lacks %s" % (n, sorted(need - e.keys())))
            if e.keys() - KEYS:
                problems.append("line %d has undocumented keys %s" % (n, sorted(e.keys() - KEYS)))
            if e.get("event") not in EVENTS:
                problems.append("line %d: unknown event %r" % (n, e.get("event")))
            if e.get("event") == "block" and e.get("detector") not in DETECTORS:
                problems.append("line %d: unknown detector %r" % (n, e.get("detector")))
            events.append(e)
    blocks = [e for e in events if e.get("event") == "block"]
    report(not problems, "%d event lines, all JSON objects with the documented keys%s"
           % (len(events), "" if not problems else " -- " + "; ".join(problems[:5])))

    for w in wants:
        if w.endswith("!"):
            ip = w[:-1]
            hit = [e for e in blocks if covers(str(e.get("ip")), ip)]
            report(not hit, "%s is never blocked%s" % (
                ip, "" if not hit else " -- blocked by %s (%s)" % (
                    hit[0].get("detector"), hit[0].get("reason"))))
            continue
        ip, det = w.split("=", 1)
        hit = [e for e in blocks if covers(str(e.get("ip")), ip)]
        if not hit:
            report(False, "%s blocked by %s -- never blocked" % (ip, det))
        else:
            got = hit[0].get("detector")
            report(got == det, "%s blocked by %s%s" % (
                ip, det, "" if got == det else " -- first block by %s (%s)" % (got, hit[0].get("reason"))))
    return min(failed, 100)


if __name__ == "__main__":
    sys.exit(main())
