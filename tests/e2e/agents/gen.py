#!/usr/bin/python3
"""gen.py OUT.pcap: a capture for test_agents.sh (server 198.51.100.1:5060).

Real clients whose User-Agent or From display name holds a scanner name
inside a longer word or name, each registering (401 challenge, then 200)
and sending an OPTIONS (200):
  198.51.100.20  User-Agent "MySipClient/2.1"            (sipcli inside a word)
  198.51.100.21  User-Agent "Asmap Telecom SBC 4.2"      (smap)
  198.51.100.22  display name "Elite Dental"             (Elite, not the whole name)
  198.51.100.23  display name "Siwar Haddad"             (iWar)
  198.51.100.24  User-Agent "Elitegroup Phone 1.0"       (Elite inside a word)
Scanners, one request each, unanswered (names in mixed case on purpose):
  203.0.113.50   OPTIONS, User-Agent "friendly-scanner"
  203.0.113.51   INVITE,  User-Agent "sipcli/v1.8"
  203.0.113.52   OPTIONS, User-Agent "VaxSIPUserAgent/3.1"
  203.0.113.53   REGISTER, User-Agent "PPLSIP"
  203.0.113.54   OPTIONS, User-Agent "SIPVicious 0.3.4"
  203.0.113.55   OPTIONS, User-Agent "Zoiper rv2.10", display name "elite"
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services"))
import pcapw  # noqa: E402

CLIENTS = [("198.51.100.20", "MySipClient/2.1", None), ("198.51.100.21", "Asmap Telecom SBC 4.2", None),
           ("198.51.100.22", "Yealink SIP-T46S 66.86.0.15", "Elite Dental"),
           ("198.51.100.23", "Grandstream GXP2170 1.0.11", "Siwar Haddad"),
           ("198.51.100.24", "Elitegroup Phone 1.0", None)]
SCANNERS = [("203.0.113.50", "OPTIONS", "friendly-scanner", None), ("203.0.113.51", "INVITE", "sipcli/v1.8", None),
            ("203.0.113.52", "OPTIONS", "VaxSIPUserAgent/3.1", None), ("203.0.113.53", "REGISTER", "PPLSIP", None),
            ("203.0.113.54", "OPTIONS", "SIPVicious 0.3.4", None),
            ("203.0.113.55", "OPTIONS", "Zoiper rv2.10", "elite")]


def client(s, ip, ua, display, user):
    tag = "t-" + user
    r = s.request(ip, "REGISTER", user, ua=ua, display=display, call_id="reg-%s@%s" % (user, ip), cseq=1,
                  from_tag=tag)
    s.respond(r, 401, "Unauthorized", challenge=True)
    s.t += 0.05
    r = s.request(ip, "REGISTER", user, ua=ua, display=display, auth=user, call_id="reg-%s@%s" % (user, ip),
                  cseq=2, from_tag=tag)
    s.respond(r, 200, "OK")
    s.t += 0.2
    r = s.request(ip, "OPTIONS", "100", user=user, ua=ua, display=display)
    s.respond(r, 200, "OK")
    s.t += 0.2


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    p = pcapw.Pcap(argv[1])
    s = pcapw.Sip(p)
    for i, (ip, ua, display) in enumerate(CLIENTS):
        client(s, ip, ua, display, str(1001 + i))
    for ip, method, ua, display in SCANNERS:
        s.request(ip, method, "100", ua=ua, display=display)
        s.t += 0.3
    p.close()
    print("%s: %d frames" % (argv[1], p.frames))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
