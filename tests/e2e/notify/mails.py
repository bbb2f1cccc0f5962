#!/usr/bin/python3
"""mails.py: reads the messages peers.py's SMTP server stored and checks them
for sipwarden's notification test.  Each check prints what it found and exits
0 when it holds, 1 when not.

  mails.py count DIR EXPR             prints how many mails satisfy EXPR
  mails.py attack DIR IP DET RCPTS    exactly one per-attack mail for IP, with
                                      DET in subject and body, sent to RCPTS
                                      (comma-separated) and nobody else
  mails.py hostile DIR IP RCPTS       the mail for IP has only sipwarden's own
                                      headers, no Bcc, no raw markup from the
                                      attacker, and went only to RCPTS
  mails.py digest DIR IPFILE          one digest mail lists every address in
                                      IPFILE (one per line), none got its own mail
  mails.py summary DIR EVENTS FROM TO the newest summary mail's figures equal
                                      those computed from EVENTS (JSON lines of
                                      `sipwarden replay`) over [FROM, TO) epoch s
  mails.py once DIR EXPR              every mail satisfying EXPR arrived once
                                      (no two with the same subject)

EXPR is Python over m: m.subject, m.rcpts, m.text, m.html, m.headers (list of
(name, value)), m.frm, m.tls (delivered over TLS), m.user (the SMTP login).
"""
import collections
import datetime
import email
import email.policy
import glob
import json
import os
import re
import sys


class Mail:
    def __init__(self, path):
        rec = json.load(open(path, encoding="utf-8"))
        self.path = path
        self.rcpts = sorted(rec["rcpt_tos"])
        self.mail_from = rec["mail_from"]
        self.tls = rec.get("tls", False)
        self.user = rec.get("user")
        self.raw = rec["data"]
        self.msg = email.message_from_string(self.raw, policy=email.policy.default)
        self.headers = list(self.msg.items())
        self.subject = str(self.msg.get("Subject", ""))
        self.frm = str(self.msg.get("From", ""))
        t = self.msg.get_body(preferencelist=("plain",))
        h = self.msg.get_body(preferencelist=("html",))
        self.text = t.get_content() if t else ""
        self.html = h.get_content() if h else ""


def load(d):
    return [Mail(p) for p in sorted(glob.glob(os.path.join(d, "*.json")))]


def attack_mails(ms, ip):
    return [m for m in ms if re.search(r"\b(blocked|alert) %s \(" % re.escape(ip), m.subject)]


def cmd_count(d, expr):
    n = sum(1 for m in load(d) if eval(expr, {"m": m, "re": re}))
    print(n)
    return 0


def cmd_attack(d, ip, det, rcpts):
    ms = attack_mails(load(d), ip)
    want = sorted(rcpts.split(","))
    if len(ms) != 1:
        print("%d per-attack mails for %s: %s" % (len(ms), ip, [m.subject for m in ms]))
        return 1
    m = ms[0]
    problems = []
    if det not in m.subject or det not in m.text or det not in m.html:
        problems.append("detector %s missing" % det)
    if ip not in m.text or ip not in m.html:
        problems.append("address missing in body")
    if m.rcpts != want:
        problems.append("envelope recipients %s, want %s" % (m.rcpts, want))
    to = str(m.msg.get("To", ""))
    if any(r not in to for r in want):
        problems.append("To: %s" % to)
    for h in ("Date", "Message-ID", "From", "To", "Subject", "MIME-Version"):
        if m.msg.get(h) is None:
            problems.append("no %s header" % h)
    if not re.search(r"sipwarden ctl( -s \S+)? unblock %s\b" % re.escape(ip), m.text):
        problems.append("no unblock command")
    if m.msg.get_content_type() != "multipart/alternative":
        problems.append("content type %s" % m.msg.get_content_type())
    print("%s: %s%s" % (os.path.basename(m.path), m.subject, "; " + "; ".join(problems) if problems else ""))
    return 1 if problems else 0


ALLOWED = {"date", "message-id", "from", "to", "subject", "mime-version", "content-type",
           "content-transfer-encoding", "auto-submitted", "x-mailer", "precedence", "x-auto-response-suppress"}


def cmd_hostile(d, ip, rcpts):
    ms = attack_mails(load(d), ip)
    if len(ms) != 1:
        print("%d mails for %s" % (len(ms), ip))
        return 1
    m = ms[0]
    problems = []
    names = {k.lower() for k, _ in m.headers}
    extra = names - ALLOWED
    if extra:
        problems.append("unexpected headers %s" % sorted(extra))
    if "bcc" in names or "cc" in names:
        problems.append("Bcc/Cc header present")
    if m.rcpts != sorted(rcpts.split(",")):
        problems.append("envelope recipients %s" % m.rcpts)
    if re.search(r"<\s*script", m.html, re.I):
        problems.append("raw <script> in the HTML part")
    if "victim@example.com" in str(m.msg.get("To", "")):
        problems.append("victim in To")
    if "\r" in m.subject or "\n" in m.subject:
        problems.append("CR/LF in subject")
    if "Bcc" not in m.text:
        problems.append("the user agent (with its 'Bcc' text) is not shown as evidence")
    if "&lt;script" not in m.html:
        problems.append("the escaped markup is not in the HTML part")
    print("%s: headers %s%s" % (os.path.basename(m.path), sorted(names),
                                "; " + "; ".join(problems) if problems else ""))
    return 1 if problems else 0


def cmd_digest(d, ipfile):
    ips = [l.strip() for l in open(ipfile) if l.strip()]
    ms = load(d)
    dig = [m for m in ms if "digest" in m.subject.lower()]
    if len(dig) != 1:
        print("%d digest mails" % len(dig))
        return 1
    m = dig[0]
    missing = [ip for ip in ips if not re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(ip), m.text)
               or ip not in m.html]
    own = [ip for ip in ips if attack_mails(ms, ip)]
    print("digest %s lists %d of %d addresses; %d of them also had their own mail" % (
        m.subject, len(ips) - len(missing), len(ips), len(own)))
    return 1 if missing or own else 0


def expected(events, t0, t1):
    e = [json.loads(l) for l in open(events) if l.startswith("{")]
    e = [x for x in e if t0 <= datetime.datetime.fromisoformat(x["time"].replace("Z", "+00:00")).timestamp() < t1]
    att = [x for x in e if x["event"] in ("block", "alert") and x["detector"] not in ("manual", "blacklist")]
    r = {
        "Attacks": len(att),
        "Blocks": sum(1 for x in e if x["event"] == "block"),
        "Permanent blocks": sum(1 for x in e if x["event"] == "block" and x.get("duration_s") == 0),
        "Unblocks": sum(1 for x in e if x["event"] == "unblock"),
        "Alerts": sum(1 for x in e if x["event"] == "alert"),
        "Anomalies": sum(1 for x in e if x["event"] == "anomaly"),
    }
    by_det = collections.Counter(x["detector"] for x in att)
    by_ip = collections.Counter(x["ip"] for x in att)
    users = collections.Counter(u for x in att for u in x.get("evidence", {}).get("usernames", []))
    hourly = [0] * 24
    for x in att:
        t = datetime.datetime.fromisoformat(x["time"].replace("Z", "+00:00")).timestamp()
        hourly[int((t - t0) // 3600)] += 1
    return r, by_det, by_ip, users, hourly


def cmd_summary(d, events, t0, t1):
    t0, t1 = float(t0), float(t1)
    ms = [m for m in load(d) if "daily attack summary" in m.subject]
    if not ms:
        print("no summary mail")
        return 1
    m = ms[-1]
    r, by_det, by_ip, users, hourly = expected(events, t0, t1)
    problems = []

    def num(label):
        x = re.search(r"^\s*%s\s*:?\s+(\d+)\s*$" % re.escape(label), m.text, re.M)
        return int(x.group(1)) if x else None

    for k, v in list(r.items()) + list(by_det.items()):
        got = num(k)
        if got != v:
            problems.append("%s: mail says %s, events say %d" % (k, got, v))
    if "%d attack" % r["Attacks"] not in m.subject:
        problems.append("subject %r" % m.subject)
    # top addresses: in order of count, each with its count
    tops = re.findall(r"^\s*(\d+)\.\s+(\S+)\s+(\d+) attacks?\b", m.text, re.M)
    want = by_ip.most_common()
    if [int(c) for _, _, c in tops] != [c for _, c in want[:10]]:
        problems.append("top counts %s, want %s" % (tops, want[:10]))
    for _, ip, c in tops:
        if by_ip.get(ip) != int(c):
            problems.append("top %s with %s, events say %s" % (ip, c, by_ip.get(ip)))
    # usernames: each listed with its count, the first the most targeted
    ul = re.findall(r"^\s*\d+\.\s+(\S+)\s+(\d+)\s*$", m.text, re.M)
    if not ul or int(ul[0][1]) != users.most_common(1)[0][1]:
        problems.append("usernames %s, want %s" % (ul, users.most_common(10)))
    for u, c in ul:
        if users.get(u) != int(c):
            problems.append("username %s with %s, events say %s" % (u, c, users.get(u)))
    # the chart: 24 rows, the counts per hour in order
    rows = re.findall(r"^\d\d:\d\d (#*) ?(\d+)\s*$", m.text, re.M)
    if [int(c) for _, c in rows] != hourly:
        problems.append("hourly %s, want %s" % ([int(c) for _, c in rows], hourly))
    if len(re.findall(r"<tr>", m.html)) < 24:
        problems.append("the HTML chart has fewer than 24 rows")
    if re.search(r"<script|<img|https?://", m.html, re.I):
        problems.append("script, image or remote link in the HTML")
    print("summary %s: totals %s, %d detectors, top %d, users %d%s" % (
        m.subject, r, len(by_det), len(tops), len(ul), "; " + "; ".join(problems) if problems else ""))
    return 1 if problems else 0


def cmd_once(d, expr):
    ms = [m for m in load(d) if eval(expr, {"m": m, "re": re})]
    c = collections.Counter(m.subject for m in ms)
    dup = [s for s, n in c.items() if n > 1]
    print("%d mails, %d duplicated%s" % (len(ms), len(dup), ": %s" % dup if dup else ""))
    return 1 if dup else 0


def main():
    a = sys.argv[1:]
    cmds = {"count": (cmd_count, 2), "attack": (cmd_attack, 4), "hostile": (cmd_hostile, 3),
            "digest": (cmd_digest, 2), "summary": (cmd_summary, 4), "once": (cmd_once, 2)}
    if not a or a[0] not in cmds or len(a) - 1 != cmds[a[0]][1]:
        print(__doc__, file=sys.stderr)
        return 64
    return cmds[a[0]][0](*a[1:])


if __name__ == "__main__":
    sys.exit(main())
