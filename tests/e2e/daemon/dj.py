#!/usr/bin/python3
"""dj.py: small JSON queries for sipwarden's daemon end-to-end test.

  dj.py get EXPR              JSON on stdin as d; prints the Python EXPR
                              (a str as is, anything else as JSON); exit 1
                              when the input is not JSON or EXPR fails
  dj.py events EXPR FILE...   every event line of the daemon's stderr
                              ("sipwarden: {...}") as e; prints the lines
                              for which EXPR is true; exit 0 if any matched

Examples:
  sipwarden ctl status --json | dj.py get 'd["config"]["block_time_s"]'
  dj.py events 'e["event"]=="block" and e["ip"]=="198.51.100.66"' d1.log
"""
import ipaddress
import json
import sys


def covers(prefix, addr):
    """True when the address or prefix `prefix` contains the address `addr`."""
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix, strict=False)


def show(v):
    print(v if isinstance(v, str) else json.dumps(v))


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    cmd, expr = sys.argv[1], sys.argv[2]
    if cmd == "get":
        try:
            d = json.loads(sys.stdin.read())
            show(eval(expr, {"d": d}))
        except Exception as ex:  # noqa: BLE001 - report any failure
            print("dj.py: %s" % ex, file=sys.stderr)
            return 1
        return 0
    if cmd == "events":
        found = 0
        for path in sys.argv[3:]:
            try:
                f = open(path, encoding="utf-8", errors="replace")
            except OSError:
                continue
            with f:
                for ln in f:
                    ln = ln.rstrip("\n")
                    if not ln.startswith("sipwarden: {"):
                        continue
                    try:
                        e = json.loads(ln[len("sipwarden: "):])
                    except ValueError:
                        continue
                    if not isinstance(e, dict) or "event" not in e:
                        continue
                    try:
                        ok = eval(expr, {"e": e, "covers": covers})
                    except Exception:  # noqa: BLE001 - a missing key is no match
                        ok = False
                    if ok:
                        print(ln[len("sipwarden: "):])
                        found += 1
        return 0 if found else 1
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
