#!/usr/bin/python3
"""lines.py: checks that every event line was received exactly once.

  lines.py EVENTS RECEIVED    EVENTS: the daemon's event lines ({...} per
                              line); RECEIVED: what a webhook receiver or the
                              syslog socket got (anything before the first
                              "{" of a line is ignored: the syslog header)
Exit 0 when every event line is in RECEIVED as often as in EVENTS and
RECEIVED has nothing else.
"""
import collections
import sys


def lines(path, strip_prefix):
    c = collections.Counter()
    for l in open(path, encoding="utf-8", errors="replace"):
        i = l.find("{")
        if i < 0 or (not strip_prefix and i > 0):
            continue
        c[l[i:].strip()] += 1
    return c


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    want, got = lines(sys.argv[1], False), lines(sys.argv[2], True)
    missing = [l for l in want if got[l] < want[l]]
    extra = [l for l in got if got[l] > want.get(l, 0)]
    print("%d event lines, %d received, %d missing, %d extra" % (
        sum(want.values()), sum(got.values()), len(missing), len(extra)))
    for l in (missing + extra)[:3]:
        print("  " + l[:160])
    return 1 if missing or extra or not want else 0


if __name__ == "__main__":
    sys.exit(main())
