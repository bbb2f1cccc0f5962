#!/usr/bin/python3
"""gen.py: captures of ordinary PBX life next to attacks, for
test_accuracy.sh (retransmissions, the server's own requests, callee
outcomes).  Standard library only; packets from ../services/pcapw.py.

  gen.py SCENARIO OUT.pcap      (list: gen.py --list)

The protected server is 198.51.100.1:5060 (a PBX).  Each scenario's
docstring says who does what: the test relies on it.
"""
import hashlib
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
from pcapw import Sip, SERVER4 as PBX, run  # noqa: E402

_N = itertools.count(1)
UA = "Yealink SIP-T46S 66.86.0.15"


def uid(kind):
    return "%s%05d" % (kind, next(_N))


def req(p, t, src, dst, method, ruri_user, *, call_id=None, cseq=1, branch=None, tag=None, auth=None,
        password="", ua=UA, cancel_of=None):
    """Writes one request from src to dst at time t; returns what
    Sip.respond() needs.  auth: the Digest username (its response is a hash
    of the password, so another password gives other bytes).  cancel_of: the
    INVITE this CANCEL cancels (same Call-ID, CSeq number, branch)."""
    if cancel_of:
        call_id, cseq, branch, tag = cancel_of["call_id"], cancel_of["cseq"], cancel_of["branch"], cancel_of["from_tag"]
    call_id = call_id or "%s@%s" % (uid("c"), src)
    branch = branch or "z9hG4bK" + uid("b")
    tag = tag or uid("t")
    ruri = "sip:%s" % dst if method == "REGISTER" else "sip:%s@%s" % (ruri_user, dst)
    frm = "<sip:%s@%s>;tag=%s" % (auth or "pbx", dst if method == "REGISTER" else src, tag)
    to = "<sip:%s@%s>" % (ruri_user, dst)
    lines = ["%s %s SIP/2.0" % (method, ruri),
             "Via: SIP/2.0/UDP %s:5060;branch=%s;rport" % (src, branch),
             "Max-Forwards: 70", "From: " + frm, "To: " + to, "Call-ID: " + call_id,
             "CSeq: %d %s" % (cseq, method), "Contact: <sip:%s@%s:5060>" % (auth or "pbx", src)]
    if auth:
        resp = hashlib.md5(("%s:%s" % (auth, password)).encode()).hexdigest()
        nonce = hashlib.md5(("nonce:" + src).encode()).hexdigest()[:16]
        lines.append('Authorization: Digest username="%s", realm="pbx.example", nonce="%s", uri="%s", '
                     'response="%s", algorithm=MD5' % (auth, nonce, ruri, resp))
    lines += ["User-Agent: " + ua, "Content-Length: 0"]
    p.udp(t, src, 5060, dst, 5060, ("\r\n".join(lines) + "\r\n\r\n").encode())
    return {"src": src, "sport": 5060, "method": method, "call_id": call_id, "cseq": cseq, "branch": branch,
            "from": frm, "to": to, "from_tag": tag}


def answer(p, t, by, r, status, reason, challenge=False):
    """by answers request r at time t."""
    Sip(p, server=by, t=t).respond(r, status, reason, dt=0, challenge=challenge)


def phones_register(p, t, n, first=11, user0=2001):
    """n phones 198.51.100.<first>.. register with the PBX (401, then 200)."""
    s = Sip(p, t=t)
    for i in range(n):
        s.register("198.51.100.%d" % (first + i), str(user0 + i), 200, gap=0.05)
    return s.t


def guesses(p, t, src, n, sends, *, method="REGISTER", user="1001", status=403):
    """n wrong passwords for user from src, each request sent `sends` times
    byte for byte (a lost answer: UDP retransmission) and each copy answered
    `status` again, 0.5 s apart."""
    for i in range(n):
        cid, br, tag = "%s@%s" % (uid("g"), src), "z9hG4bK" + uid("b"), uid("t")
        for k in range(sends):
            r = req(p, t, src, PBX, method, user, call_id=cid, cseq=i + 1, branch=br, tag=tag, auth=user,
                    password="guess%d" % i, ua="Zoiper rv2.10.20.3")
            answer(p, t + 0.01, PBX, r, status, "Forbidden")
            t += 0.5
    return t


def sc_retx(p):
    """Retransmissions.  Phones 198.51.100.11-12 register (200).
    203.0.113.51 fails 6 REGISTERs for 1001 (403), each sent 3 times byte for
    byte and answered each time (18 answers, 6 failures); 203.0.113.52 fails
    6 INVITEs to 1001 (403), each sent 3 times; 203.0.113.50 fails 12
    REGISTERs and 203.0.113.54 12 INVITEs (each sent twice); 203.0.113.53 reuses one Call-ID, CSeq and
    branch for 12 REGISTERs with different passwords (answered 403 each)."""
    t = phones_register(p, 1795773600.0, 2)
    t = guesses(p, t, "203.0.113.51", 6, 3)
    t = guesses(p, t, "203.0.113.52", 6, 3, method="INVITE")
    t = guesses(p, t, "203.0.113.50", 12, 2)
    t = guesses(p, t, "203.0.113.54", 12, 2, method="INVITE")
    cid, br, tag = "reuse@203.0.113.53", "z9hG4bKreuse", "treuse"
    for i in range(12):
        r = req(p, t, "203.0.113.53", PBX, "REGISTER", "1001", call_id=cid, cseq=1, branch=br, tag=tag,
                auth="1001", password="pw%d" % i, ua="Zoiper rv2.10.20.3")
        answer(p, t + 0.01, PBX, r, 403, "Forbidden")
        t += 0.5


def ring_group(p, t, phones):
    """The PBX rings every phone (INVITE 2001..), 198.51.100.11 picks up
    (200, ACK), the others get CANCEL (200) and answer 487 (ACK)."""
    invs = []
    for i, ph in enumerate(phones):
        r = req(p, t + 0.001 * i, PBX, ph, "INVITE", str(2001 + i), ua="Asterisk PBX 20.5.0")
        answer(p, t + 0.05 + 0.001 * i, ph, r, 180, "Ringing")
        invs.append(r)
    t += 3
    answer(p, t, phones[0], invs[0], 200, "OK")
    for i, ph in enumerate(phones[1:], 1):
        c = req(p, t + 0.01 + 0.001 * i, PBX, ph, "CANCEL", str(2001 + i), cancel_of=invs[i], ua="Asterisk PBX 20.5.0")
        answer(p, t + 0.02 + 0.001 * i, ph, c, 200, "OK")
        answer(p, t + 0.03 + 0.001 * i, ph, invs[i], 487, "Request Terminated")
    return t + 1


OUTCOMES = {486: "Busy Here", 600: "Busy Everywhere", 603: "Decline", 480: "Temporarily Unavailable",
            487: "Request Terminated", 200: "OK"}


def outcome(i):
    """Every fourth call busy, and a few declined, unavailable, cancelled."""
    return 486 if i % 4 == 0 else 603 if i % 10 == 1 else 480 if i % 10 == 3 else 487 if i % 10 == 5 else \
        600 if i % 10 == 7 else 200


def sweep(p, t, src, n):
    """An attacker at src INVITEs n international numbers at the PBX, 404."""
    for i in range(n):
        r = req(p, t, src, PBX, "INVITE", "4420794600%02d" % i, ua="sipcaller 1.2")
        answer(p, t + 0.01, PBX, r, 404, "Not Found")
        t += 0.3
    return t


def sc_pbx(p):
    """The PBX's own calls.  25 phones 198.51.100.11-35 register (401, 200);
    the PBX rings them all as a ring group three times (one picks up, 24
    answer 487 each time); the PBX calls out 40 numbers through the trunk
    203.0.113.200 (a quarter busy 486, a few 600/603/480/487, the rest 200);
    then 203.0.113.66 INVITEs 12 numbers at the PBX, answered 404."""
    phones = ["198.51.100.%d" % (11 + i) for i in range(25)]
    t = phones_register(p, 1795773600.0, 25)
    for _ in range(3):
        t = ring_group(p, t, phones)
    for i in range(40):
        r = req(p, t, PBX, "203.0.113.200", "INVITE", "4416329601%02d" % i, ua="Asterisk PBX 20.5.0")
        st = outcome(i)
        answer(p, t + 0.5, "203.0.113.200", r, st, OUTCOMES[st])
        t += 0.3
    sweep(p, t, "203.0.113.66", 12)


def sc_trunk(p):
    """Callee outcomes.  A phone 198.51.100.11 registers (401, 200); the
    trunk 203.0.113.200 delivers 40 calls to distinct numbers 5550100..139
    at the PBX (no credentials: an IP trunk), a quarter answered 486 busy, a
    few 600/603/480/487, the rest 200; then 203.0.113.77 INVITEs 12 numbers
    at the PBX, answered 404."""
    t = phones_register(p, 1795773600.0, 1)
    for i in range(40):
        r = req(p, t, "203.0.113.200", PBX, "INVITE", "5550%03d" % (100 + i), ua="Sonus SBC")
        st = outcome(i)
        answer(p, t + 0.5, PBX, r, st, OUTCOMES[st])
        t += 0.3
    sweep(p, t, "203.0.113.77", 12)


SCENARIOS = {"retx": sc_retx, "pbx": sc_pbx, "trunk": sc_trunk}


if __name__ == "__main__":
    sys.exit(run(sys.argv, SCENARIOS, __doc__))
