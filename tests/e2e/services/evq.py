#!/usr/bin/python3
"""evq.py: queries sipwarden's JSON event lines (replay stdout, or the
daemon's stderr where each event line is "sipwarden: {...}").

  evq.py validate FILE          every event line is a JSON object with the
                                documented keys, event types and detectors;
                                prints "N event lines" or the problems
                                (exit 1)
  evq.py select FILE EXPR       prints the events (one JSON line each) for
                                which the Python expression EXPR is true;
                                exit 0 when at least one matched, else 1
  evq.py count FILE EXPR        prints how many events match EXPR
  evq.py first-block FILE IP    prints the detector of the first block event
                                whose ip (address or prefix) covers IP, or
                                "none" (exit 1)

In EXPR, e is the event (a dict; a missing key is no match), ev its
evidence (a dict, {} when absent), and covers(e, IP) is true when e's ip
(an address or prefix) contains IP, not as one of its exceptions; contains(PREFIX, IP) the same for a
string.  Standard library only.
"""
import ipaddress
import json
import sys

EVENTS = {"block", "unblock", "anomaly", "alert"}
DETECTORS = {"bad_registration", "scanner", "enumeration", "bad_invite", "anomaly", "flood",
             "blacklist", "manual", "toll_fraud", "distributed_guessing", "aggregate",
             "tftp_bruteforce", "dns_abuse"}
KEYS = ["time", "event", "ip", "detector", "reason", "count", "window_s", "duration_s",
        "instance", "evidence"]
EVIDENCE = {"user_agent", "display_name", "usernames", "methods", "responses", "anomaly", "addresses", "members",
            "exceptions", "requests",
            "first_seen"}


def contains(prefix, ip):
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False


def covers(e, ip):
    """e's ip contains ip, and ip is not one of its exceptions (whitelisted
    addresses inside a prefix block, which the firewall lets through)."""
    ev = e.get("evidence") if isinstance(e.get("evidence"), dict) else {}
    return contains(str(e.get("ip")), ip) and not any(contains(str(x), ip) for x in ev.get("exceptions", []))


def lines(path):
    """Yields (line number, text) of the event lines of path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, ln in enumerate(f, 1):
            ln = ln.strip()
            if ln.startswith("sipwarden: {"):
                ln = ln[len("sipwarden: "):]
            elif not ln.startswith("{"):
                continue
            yield n, ln


def events(path):
    out = []
    for _, ln in lines(path):
        try:
            e = json.loads(ln)
        except ValueError:
            continue
        if isinstance(e, dict):
            out.append(e)
    return out


def validate(path):
    problems, n = [], 0
    for ln_no, ln in lines(path):
        n += 1
        try:
            e = json.loads(ln)
        except ValueError as err:
            problems.append("line %d is not JSON (%s)" % (ln_no, err))
            continue
        if not isinstance(e, dict):
            problems.append("line %d is not an object" % ln_no)
            continue
        keys = list(e.keys())
        extra = [k for k in keys if k not in KEYS]
        if extra:
            problems.append("line %d: undocumented keys %s" % (ln_no, extra))
        order = [k for k in keys if k in KEYS]
        if order != sorted(order, key=KEYS.index):
            problems.append("line %d: keys out of the documented order %s" % (ln_no, order))
        for k in ("time", "event", "ip", "detector"):
            if k not in e:
                problems.append("line %d lacks %s" % (ln_no, k))
        if e.get("event") not in EVENTS:
            problems.append("line %d: unknown event %r" % (ln_no, e.get("event")))
        if e.get("detector") not in DETECTORS:
            problems.append("line %d: unknown detector %r" % (ln_no, e.get("detector")))
        if e.get("event") == "block":
            for k in ("reason", "count", "duration_s"):
                if k not in e:
                    problems.append("line %d (block) lacks %s" % (ln_no, k))
        try:
            ipaddress.ip_network(str(e.get("ip")), strict=True)
        except ValueError:
            problems.append("line %d: ip %r is not an address or prefix" % (ln_no, e.get("ip")))
        ev = e.get("evidence", {})
        if not isinstance(ev, dict) or set(ev) - EVIDENCE:
            problems.append("line %d: bad evidence %r" % (ln_no, ev))
        elif not (isinstance(ev.get("requests", []), list) and len(ev.get("requests", [])) <= 5
                  and all(isinstance(r, str) and 0 < len(r) < 120 and r.isprintable() for r in ev.get("requests", []))):
            problems.append("line %d: bad evidence requests %r" % (ln_no, ev.get("requests")))
        elif "first_seen" in ev and not (str(ev["first_seen"]) <= str(e.get("time"))):
            problems.append("line %d: first_seen %r after the event" % (ln_no, ev["first_seen"]))
    if problems:
        print("%d event lines; %s" % (n, "; ".join(problems[:6])))
        return 1
    print("%d event lines" % n)
    return 0


def matcher(expr):
    code = compile("(" + expr + "\n)", "<expr>", "eval")  # may span lines

    def match(e):
        ev = e.get("evidence") if isinstance(e.get("evidence"), dict) else {}
        try:
            return bool(eval(code, {"covers": covers, "contains": contains}, {"e": e, "ev": ev}))
        except (KeyError, TypeError, IndexError, AttributeError, ValueError):
            return False
    return match


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "validate":
        return validate(path)
    if cmd in ("select", "count") and len(argv) == 4:
        m = matcher(argv[3])
        hits = [e for e in events(path) if m(e)]
        if cmd == "count":
            print(len(hits))
            return 0
        for e in hits:
            print(json.dumps(e, separators=(",", ":")))
        return 0 if hits else 1
    if cmd == "first-block" and len(argv) == 4:
        for e in events(path):
            if e.get("event") == "block" and covers(e, argv[3]):
                print(e.get("detector"))
                return 0
        print("none")
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
