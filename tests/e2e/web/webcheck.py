#!/usr/bin/python3
"""webcheck.py: small checks for sipwarden's web end-to-end test (test_web.sh).

  webcheck.py true FILE EXPR      FILE holds JSON, as d; exit 0 when the Python
                                  EXPR is true, 1 when false, not JSON or failing
  webcheck.py get FILE EXPR       prints EXPR (a str as is, else as JSON)
  webcheck.py prom FILE           FILE is a Prometheus text exposition (0.0.4):
                                  checks its syntax (HELP/TYPE lines, names,
                                  labels, values, no duplicate series, every
                                  name prefixed sipwarden_), prints one line per
                                  metric family with its label names and series
                                  count; exit 1 with the offending lines
  webcheck.py promhas FILE WHAT   exit 0 when the exposition has the metric the
                                  issue asks for: packets, kernel_drops,
                                  sip_by_method, anomalies_by_reason,
                                  events_by_detector, active_blocks, outbox;
                                  prints the matching series
  webcheck.py promval FILE NAMERE LABEL=VALUE...
                                  prints the sum of the series whose name
                                  matches NAMERE (re.search) and labels match
  webcheck.py cfgkeep OLD NEW KEY...
                                  NEW is OLD edited: every line of OLD is in
                                  NEW, in order and byte for byte, except the
                                  lines of the given keys ("section.key"),
                                  whose trailing comment (" ; ...") is kept
  webcheck.py ini FILE SECTION KEY
                                  prints the value of KEY in [SECTION] as
                                  config.c reads it (last occurrence)
"""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*"'
SAMPLE = re.compile(
    r"^(" + NAME + r")(\{(?:\s*" + LABEL + r"\s*(?:,\s*" + LABEL + r"\s*)*,?\s*)?\})?"
    r" +([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))(?: +-?[0-9]+)?$")
LABELS = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"')
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created", "_info")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def show(v):
    print(v if isinstance(v, str) else json.dumps(v))


def parse_prom(path):
    """Returns (samples, families, errors); a sample is (name, labels, value)."""
    samples, errors, types, helps, seen = [], [], {}, {}, set()
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        errors.append("the exposition does not end with a newline")
    for n, ln in enumerate(text.split("\n"), 1):
        if not ln.strip():
            continue
        if ln.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (" + NAME + r") ?(.*)$", ln)
            if not m:
                continue  # a plain comment
            kind, name, rest = m.groups()
            if kind == "TYPE":
                if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    errors.append("%d: bad TYPE %r" % (n, ln))
                if name in types:
                    errors.append("%d: second TYPE line for %s" % (n, name))
                types[name] = rest
            else:
                helps[name] = rest
            continue
        m = SAMPLE.match(ln)
        if not m:
            errors.append("%d: not a sample line: %r" % (n, ln))
            continue
        name, lab, value = m.group(1), m.group(2) or "", m.group(3)
        labels = dict(LABELS.findall(lab))
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            errors.append("%d: duplicate series %s" % (n, ln))
        seen.add(key)
        fam = name
        if fam not in types:
            for s in SUFFIXES:
                if name.endswith(s) and name[: -len(s)] in types:
                    fam = name[: -len(s)]
        if fam not in types:
            errors.append("%d: %s has no # TYPE line before it" % (n, name))
        if not name.startswith("sipwarden_"):
            errors.append("%d: %s is not prefixed sipwarden_" % (n, name))
        try:
            v = float(value)
        except ValueError:
            errors.append("%d: bad value %r" % (n, value))
            continue
        samples.append((name, labels, v))
    fams = {}
    for name, labels, _ in samples:
        f = fams.setdefault(name, [set(), 0])
        f[0].update(labels)
        f[1] += 1
    for name in types:
        if name not in helps:
            errors.append("%s has a TYPE but no HELP line" % name)
    return samples, fams, errors


# What issue 6 lists for /metrics: (sample name regex, label that must be
# present or None).
WANT = {
    "packets": (r"^sipwarden_.*packets(?!.*drop)", None),
    "kernel_drops": (r"^sipwarden_.*drop", None),
    "sip_by_method": (r"^sipwarden_.*sip.*(message|request)", "method"),
    "anomalies_by_reason": (r"^sipwarden_.*anomal", "reason"),
    "events_by_detector": (r"^sipwarden_.*(event|block|attack)", "detector"),
    "active_blocks": (r"^sipwarden_.*(active_blocks|blocks_active)", None),
    "outbox": (r"^sipwarden_.*outbox", None),
}


def prom_has(path, what):
    samples, _, _ = parse_prom(path)
    rx, label = WANT[what]
    hit = [s for s in samples if re.search(rx, s[0]) and (label is None or label in s[1])]
    for name, labels, v in hit[:8]:
        lab = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
        print("%s{%s} %g" % (name, lab, v))
    return 0 if hit else 1


def prom_val(path, namere, conds):
    samples, _, _ = parse_prom(path)
    want = dict(c.split("=", 1) for c in conds)
    total, n = 0.0, 0
    for name, labels, v in samples:
        if re.search(namere, name) and all(labels.get(k) == w for k, w in want.items()):
            total += v
            n += 1
    print("%g" % total if n else "none")
    return 0 if n else 1


def ini_lines(text):
    """Yields (line, section, key) for every line; key None for non-key lines."""
    sec = ""
    for ln in text.split("\n"):
        s = ln.strip()
        if s.startswith("[") and "]" in s:
            sec = " ".join(s[1 : s.index("]")].split())
            yield ln, sec, None
        elif s and s[0] not in ";#" and "=" in s:
            yield ln, sec, s.split("=", 1)[0].strip()
        else:
            yield ln, sec, None


def comment_of(ln):
    m = re.search(r"[ \t][;#].*$", ln.split("=", 1)[1] if "=" in ln else "")
    return m.group(0).strip() if m else ""


def cfg_keep(old, new, keys):
    with open(old, encoding="utf-8") as f:
        a = list(ini_lines(f.read()))
    with open(new, encoding="utf-8") as f:
        b = list(ini_lines(f.read()))
    keys = set(keys)
    bad, j = [], 0
    for ln, sec, key in a:
        if key and "%s.%s" % (sec, key) in keys:
            c = comment_of(ln)
            if c and not any(k2 == key and s2 == sec and comment_of(l2) == c for l2, s2, k2 in b):
                bad.append("the comment %r of [%s] %s is gone" % (c, sec, key))
            continue
        k = j
        while k < len(b) and b[k][0] != ln:
            k += 1
        if k == len(b):
            bad.append("line %r is missing or out of order" % ln)
        else:
            j = k + 1
    for m in bad:
        print(m)
    return 1 if bad else 0


def ini_get(path, section, key):
    with open(path, encoding="utf-8") as f:
        val = None
        for ln, sec, k in ini_lines(f.read()):
            if k == key and sec == section:
                v = ln.split("=", 1)[1]
                v = re.sub(r"[ \t][;#].*$", "", v)
                val = v.strip()
    if val is None:
        return 1
    print(val)
    return 0


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    cmd = a[0]
    try:
        if cmd in ("true", "get"):
            d = load_json(a[1])
            v = eval(a[2], {"d": d, "re": re})
            if cmd == "get":
                show(v)
                return 0
            return 0 if v else 1
        if cmd == "prom":
            _, fams, errors = parse_prom(a[1])
            for name in sorted(fams):
                print("%s {%s} x%d" % (name, ",".join(sorted(fams[name][0])), fams[name][1]))
            for e in errors[:20]:
                print("error: " + e)
            return 1 if errors or not fams else 0
        if cmd == "promhas":
            return prom_has(a[1], a[2])
        if cmd == "promval":
            return prom_val(a[1], a[2], a[3:])
        if cmd == "cfgkeep":
            return cfg_keep(a[1], a[2], a[3:])
        if cmd == "ini":
            return ini_get(a[1], a[2], a[3])
    except Exception as ex:  # noqa: BLE001 - any failure is a failed check
        print("webcheck.py: %s" % ex, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
