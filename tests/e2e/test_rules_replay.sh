#!/bin/bash
# test_rules_replay.sh: replay tests of the SIP rules toll_fraud,
# distributed_guessing, aggregate, spoof resistance and exact thresholds,
# on captures written by tests/e2e/services/pcapw.py (generated SIP
# request/response pairs that share Call-ID, CSeq and Via branch; server
# 198.51.100.1:5060 and [2001:db8:100::1]:5060; who does what: pcapw.py
# --list).
#
#   a  toll fraud     a sweep of 12 failed call destinations (404/403) from
#                     one address: toll_fraud or bad_invite (defaults: both
#                     rules reach 10 on the same answer; the test says which
#                     fired), toll_fraud with bad_invites off; with
#                     blocked_destinations = 00* an unauthenticated INVITE
#                     to 0044... is blocked on the first message, a phone
#                     that authenticated calls 0044... unharmed
#   b  distributed    25 addresses (IPv4 and IPv6) fail twice each on 1001:
#                     one alert distributed_guessing naming 1001 and the
#                     addresses, no block; then a 26th address failing 5
#                     times on 1001 is blocked (half threshold), one failing
#                     5 times on 1002 is not
#   c  aggregate      5 password guessers in 203.0.113.0/24 (and 5 in 2001:db8:5::/64):
#                     the prefix is blocked (aggregate), one event naming its
#                     members; a later guesser inside the /24 gets no block
#                     of its own; with 203.0.113.10 and 2001:db8:5::10
#                     whitelisted each prefix is still one block, naming the
#                     address as an exception
#   d  spoof          a forged scanner OPTIONS from a registered phone's
#                     address: an alert, no block; from an address that never
#                     registered: a block; forged scanner packets from 5
#                     unauthenticated neighbours in the phone's /24 block them, but
#                     the aggregate /24 must not cover the proven phone
#   e  exact counts   bad_registration, bad_invite, enumeration, the INVITE
#                     sweep and flood on their defaults: count - 1 events,
#                     no event; count events, one block saying count; the
#                     User-Agents of real scanners in mixed case blocked,
#                     those of real phones and PBXes not
#
# No root needed (no namespaces).  Environment: SIPWARDEN (default
# build/sipwarden, relative to the repo root).  Output "ok - ..." /
# "not ok - ...", then "N passed, N failed"; exit 1 on any failure.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SVC=$HERE/services
CONF=$SVC/conf
DEFAULTS=$HERE/defaults.conf
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$SVC/common.sh"

replay_setup rules

for s in sweep tolldest distributed aggregate spoof spoofagg; do
	if out=$("$PY" "$SVC/pcapw.py" "$s" "$TMP/$s.pcap" 2>&1); then
		ok "pcapw.py $s: $(basename "$out")"
	else
		notok "pcapw.py $s failed: $out"
	fi
done
# pycheck FILE EXPR: the Python EXPR over the events of FILE (the list evs)
# is true.
pycheck() {
	"$PY" - "$1" "$2" <<-'EOF'
	import json, sys, ipaddress
	evs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
	ok = eval("(" + sys.argv[2] + "\n)", {"evs": evs, "ipaddress": ipaddress})
	sys.exit(0 if ok else 1)
	EOF
}

SRV=198.51.100.1 PHONE=198.51.100.10

# ---- a. toll fraud -------------------------------------------------------------
SWEEPER=198.51.100.70
LABEL="a sweep (defaults)" EV=$TMP/sweep.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/sweep.pcap"; then
	blocked_by "$EV" $SWEEPER "toll_fraud|bad_invite"
	note "the INVITE sweep fired $(first_block "$EV" $SWEEPER) first (bad_invite and the toll_fraud sweep both reach 10 on the 10th failed answer; detect.c failed() counts bad_invite first)"
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$SWEEPER'" | head -1)
	grep -q '"count":10,"window_s":60,' <<<"$e" && grep -q '"441632960001"' <<<"$e" &&
		grep -q '"responses":\[404,403\]' <<<"$e"
	res "$LABEL: the block says 10 in 60 s, names the destinations and the answers 404/403 ($e)"
	[ "$(evcount "$EV" "e['event']=='block' and e['ip']=='$SWEEPER'")" = 1 ]
	res "$LABEL: $SWEEPER is blocked once (not again while blocked)"
	never_blocked "$EV" $PHONE
	never_blocked "$EV" $SRV
fi
LABEL="a sweep (bad_invites = 0)" EV=$TMP/sweep.noinv
if replay_to "$LABEL" "$EV" "$CONF/no-bad-invites.conf" "$TMP/sweep.pcap"; then
	blocked_by "$EV" $SWEEPER toll_fraud
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$SWEEPER'" | head -1)
	check "$LABEL: reason '10 call destinations failed in 60 s', count 10, window 60 ($e)" \
		grep -q '"reason":"10 call destinations failed in 60 s","count":10,"window_s":60,' <<<"$e"
	never_blocked "$EV" $PHONE
fi

TOLL=198.51.100.71 LOCALCALL=198.51.100.72
LABEL="a blocked destination 00* (blocked_destinations = 00*)" EV=$TMP/toll.dest
if replay_to "$LABEL" "$EV" "$CONF/blocked-destinations.conf" "$TMP/tolldest.pcap"; then
	blocked_by "$EV" $TOLL toll_fraud
	# the first INVITE is at 10:00:00.220 (after the phone's registration)
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$TOLL'" | head -1)
	check "$LABEL: blocked on the first INVITE (count 1, at the INVITE's time 10:00:00.220, before its 407) ($e)" \
		grep -q '"time":"2026-11-27T10:00:00.220Z".*"count":1,' <<<"$e"
	check "$LABEL: the block names the pattern and the number" \
		grep -q 'blocked destination (00\*).*"usernames":\["00442079460000"\]' <<<"$e"
	never_blocked "$EV" $LOCALCALL
	never_blocked "$EV" $PHONE
	[ "$(evcount "$EV" "covers(e, '$PHONE')")" = 0 ]
	res "$LABEL: no event at all for the phone that authenticated before calling 0044... (no alert either)"
fi
LABEL="a blocked destination (defaults: no patterns)" EV=$TMP/toll.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/tolldest.pcap"; then
	never_blocked "$EV" $TOLL
fi

# ---- b. distributed guessing ---------------------------------------------------------
DIST=$("$PY" -c "import sys; sys.path.insert(0, '$SVC'); import pcapw; print(' '.join(pcapw.DIST_ALL))")
LATE=198.51.100.126 OTHER=198.51.100.127
LABEL="b distributed (defaults)" EV=$TMP/dist.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/distributed.pcap"; then
	n=$(evcount "$EV" "e['event']=='alert' and e['detector']=='distributed_guessing'")
	check "$LABEL: exactly one alert with detector distributed_guessing (got $n)" [ "$n" = 1 ]
	a=$(evsel "$EV" "e['event']=='alert' and e['detector']=='distributed_guessing'" | head -1)
	note "alert: $a"
	check "$LABEL: the alert names username 1001 (evidence.usernames)" \
		pycheck "$EV" "[e['evidence']['usernames'] for e in evs if e['detector']=='distributed_guessing'] == [['1001']]"
	pycheck "$EV" "all(a in '$DIST'.split() and len(set(e['evidence']['addresses'])) == len(e['evidence']['addresses']) == 10
	               for e in evs if e['detector']=='distributed_guessing' for a in e['evidence']['addresses'])
	               and any(e['evidence'].get('addresses') for e in evs if e['detector']=='distributed_guessing')"
	res "$LABEL: the alert lists the guessing addresses (evidence.addresses: 10, distinct, all among the 25)"
	check "$LABEL: the alert counts 20 addresses in 600 s and is raised for one of them" \
		pycheck "$EV" "[(e['count'], e['window_s'], e['ip'] in '$DIST'.split()) for e in evs if e['detector']=='distributed_guessing'] == [(20, 600, True)]"
	check "$LABEL: the addresses include both families (IPv4 and IPv6 guessers)" \
		pycheck "$EV" "{':' in a for e in evs if e['detector']=='distributed_guessing' for a in e['evidence']['addresses']} == {True, False}"
	nb=0
	for a in $DIST; do
		[ "$(first_block "$EV" "$a")" = none ] || { nb=$((nb + 1)); note "blocked: $a"; }
	done
	check "$LABEL: none of the 25 addresses (2 failures each) is blocked (blocked: $nb)" [ "$nb" = 0 ]
	check "$LABEL: no block event has detector distributed_guessing" \
		[ "$(evcount "$EV" "e['event']=='block' and e['detector']=='distributed_guessing'")" = 0 ]
	blocked_by "$EV" $LATE bad_registration
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$LATE'" | head -1)
	check "$LABEL: $LATE blocked at half the threshold (count 5, reason says half threshold) ($e)" \
		grep -q '"reason":"5 failed registrations in 60 s (username under distributed attack: half threshold)","count":5,' <<<"$e"
	never_blocked "$EV" $OTHER
fi
LABEL="b distributed (distributed_guessing = 0)" EV=$TMP/dist.off
if replay_to "$LABEL" "$EV" "$CONF/no-distributed.conf" "$TMP/distributed.pcap"; then
	check "$LABEL: no distributed_guessing event" \
		[ "$(evcount "$EV" "e['detector']=='distributed_guessing'")" = 0 ]
	never_blocked "$EV" $LATE
	never_blocked "$EV" $OTHER
fi

# ---- c. aggregation -------------------------------------------------------------------
SCAN4="203.0.113.20 203.0.113.21 203.0.113.22 203.0.113.23 203.0.113.24"
SCAN6="2001:db8:5::20 2001:db8:5::21 2001:db8:5::22 2001:db8:5::23 2001:db8:5::24"
LABEL="c aggregate (defaults)" EV=$TMP/agg.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/aggregate.pcap"; then
	for a in $SCAN4 $SCAN6; do blocked_by "$EV" "$a" bad_registration; done
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='203.0.113.0/24'")
	check "$LABEL: a block event with ip 203.0.113.0/24, detector aggregate ($e)" \
		grep -q '"detector":"aggregate"' <<<"$e"
	check "$LABEL: ... reason '5 addresses of 203.0.113.0/24 blocked at once', count 5, block_time 3600" \
		grep -q '"reason":"5 addresses of 203.0.113.0/24 blocked at once","count":5,"duration_s":3600' <<<"$e"
	check "$LABEL: ... at the time of the 5th host block (after it in the output)" \
		pycheck "$EV" "(lambda b: [e['ip'] for e in b[4:6]] == ['203.0.113.24', '203.0.113.0/24'] and
		                         b[4]['time'] == b[5]['time'])([e for e in evs if e['event']=='block'])"
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='2001:db8:5::/64'")
	check "$LABEL: IPv6: a block event with ip 2001:db8:5::/64, detector aggregate ($e)" \
		grep -q '"detector":"aggregate"' <<<"$e"
	check "$LABEL: exactly 2 aggregate blocks" [ "$(evcount "$EV" "e['detector']=='aggregate'")" = 2 ]
	check "$LABEL: 203.0.113.30, guessing inside the blocked /24, gets no block of its own" \
		[ "$(evcount "$EV" "e['event']=='block' and e['ip']=='203.0.113.30'")" = 0 ]
	check "$LABEL: ... the replay summary counts it (not blocked on their own, inside a blocked prefix: 1)" \
		grep -q 'not blocked on their own, inside a blocked prefix: 1$' "$EV.err"
	never_blocked "$EV" $PHONE
fi
LABEL="c aggregate (whitelist = 203.0.113.10, 2001:db8:5::10)" EV=$TMP/agg.wl
if replay_to "$LABEL" "$EV" "$CONF/whitelist-one.conf" "$TMP/aggregate.pcap"; then
	never_blocked "$EV" 203.0.113.10
	never_blocked "$EV" 2001:db8:5::10
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='203.0.113.0/24'")
	check "$LABEL: one block event for 203.0.113.0/24, its 5 members and the exception 203.0.113.10 ($e)" \
		grep -q '"detector":"aggregate".*"evidence":{"members":\["203.0.113.20","203.0.113.21","203.0.113.22","203.0.113.23","203.0.113.24"\],"exceptions":\["203.0.113.10"\]}' <<<"$e"
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='2001:db8:5::/64'")
	check "$LABEL: IPv6: one block event for 2001:db8:5::/64, its 5 members and the exception 2001:db8:5::10 ($e)" \
		grep -q '"detector":"aggregate".*"evidence":{"members":\["2001:db8:5::20","2001:db8:5::21","2001:db8:5::22","2001:db8:5::23","2001:db8:5::24"\],"exceptions":\["2001:db8:5::10"\]}' <<<"$e"
	check "$LABEL: exactly 2 aggregate events (no split pieces)" [ "$(evcount "$EV" "e['detector']=='aggregate'")" = 2 ]
fi

# ---- d. spoof resistance ----------------------------------------------------------------
NEWADDR=198.51.100.12
LABEL="d spoof (defaults)" EV=$TMP/spoof.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/spoof.pcap"; then
	e=$(evsel "$EV" "e['event']=='alert' and e['ip']=='$PHONE'")
	check "$LABEL: the forged scanner OPTIONS from the registered phone $PHONE gives an alert, detector scanner ($e)" \
		grep -q '"detector":"scanner"' <<<"$e"
	check "$LABEL: ... whose reason says why it is not blocked" \
		grep -q 'not blocked: the address authenticated successfully in the last hour' <<<"$e"
	never_blocked "$EV" $PHONE
	blocked_by "$EV" $NEWADDR scanner
	check "$LABEL: no alert for $NEWADDR" [ "$(evcount "$EV" "e['event']=='alert' and e['ip']=='$NEWADDR'")" = 0 ]
fi
# Forged scanner packets from 5 unproven neighbours of the registered phone:
# each neighbour is blocked (nothing proves them), which makes 5 blocks in the
# phone's /24.  README, trust model: an address that authenticated in the
# last hour is never blocked on forgeable evidence; an aggregate block built
# only from forgeable blocks must therefore not cover the phone.
LABEL="d spoof + aggregate (defaults)" EV=$TMP/spoofagg.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/spoofagg.pcap"; then
	for a in 198.51.100.20 198.51.100.21 198.51.100.22 198.51.100.23 198.51.100.24; do
		blocked_by "$EV" $a scanner
	done
	never_blocked "$EV" $PHONE
	note "aggregate blocks: $(evsel "$EV" "e['detector']=='aggregate'" | sed 's/.*"ip":"\([^"]*\)".*/\1/' | tr '\n' ' ')"
fi

# ---- e. exact counts and real User-Agents --------------------------------------
# Each counting SIP rule on its defaults (bad_registrations 10/60 s,
# bad_invites 10/60 s, enumeration 20/60 s, invite_sweep 10/60 s (with
# bad_invites = 0), flood 200/10 s): a capture of count - 1 events from
# $EXACT gives no event for it, one of count events exactly one block
# saying count.  Then scanners' User-Agents as the tools send them, in
# mixed case, are blocked (scanner) and real phones' and PBXes' are not.
EXACT=198.51.100.80
"$PY" - "$SVC" "$TMP" <<-'EOF' || notok "writing the exact-count captures"
	import sys
	sys.path.insert(0, sys.argv[1])
	import pcapw
	out = sys.argv[2]
	X = "198.51.100.80"
	def badreg(s, i): s.register(X, "1001", 403, ua="Zoiper rv2.10.19.6", gap=1)
	def badinv(s, i): s.invite(X, "1004", 403, auth="1001", ua="MicroSIP/3.21.3", gap=1)
	def enum(s, i): s.options(X, ua="Linphone/5.2", answer=404, user=str(2000 + i), gap=1)
	def sweep(s, i): s.invite(X, "4416329600%02d" % i, 404, ua="Asterisk PBX 20.5.0", gap=1)
	def flood(s, i): s.options(X, ua="FPBX-16.0.33(18.20.0)", gap=0.02)
	rules = {"bad_registration": (badreg, 10), "bad_invite": (badinv, 10), "enumeration": (enum, 20),
	         "toll_fraud": (sweep, 10), "flood": (flood, 200)}
	for name, (one, count) in rules.items():
	    for n in (count - 1, count):
	        p = pcapw.Pcap("%s/exact-%s-%d.pcap" % (out, name, n))
	        s = pcapw.Sip(p)
	        for i in range(n):
	            one(s, i)
	        p.close()
	p = pcapw.Pcap("%s/agents.pcap" % out)
	s = pcapw.Sip(p)
	scanners = ["Friendly-Scanner", "SIPVicious", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "PPLSIP",
	            "friendly-scanner", "sipvicious 0.3.4", "SIPCLI/1.0"]
	benign = ["Zoiper rv2.10.19.6", "Yealink SIP-T46S 66.86.0.15", "MicroSIP/3.21.3", "Linphone/5.2",
	          "Asterisk PBX 20.5.0", "FPBX-16.0.33(18.20.0)", "Grandstream GXP2170 1.0.11.23", "snom D785/10.1.101.11"]
	for i, ua in enumerate(scanners):
	    s.options("203.0.113.%d" % (40 + i), ua=ua)
	for i, ua in enumerate(benign):
	    s.options("198.51.100.%d" % (40 + i), ua=ua)
	p.close()
	EOF
for rule in bad_registration:10 bad_invite:10 enumeration:20 toll_fraud:10 flood:200; do
	det=${rule%:*} n=${rule#*:} conf=$DEFAULTS
	[ "$det" = toll_fraud ] && conf=$CONF/no-bad-invites.conf
	LABEL="e $det, $((n - 1)) of $n" EV=$TMP/exact-$det-$((n - 1))
	if replay_to "$LABEL" "$EV" "$conf" "$TMP/exact-$det-$((n - 1)).pcap"; then
		k=$(evcount "$EV" "e['ip']=='$EXACT'")
		check "$LABEL: no event for $EXACT (got $k)" [ "$k" = 0 ]
	fi
	LABEL="e $det, $n of $n" EV=$TMP/exact-$det-$n
	if replay_to "$LABEL" "$EV" "$conf" "$TMP/exact-$det-$n.pcap"; then
		e=$(evsel "$EV" "e['ip']=='$EXACT'")
		check "$LABEL: exactly one event for $EXACT, a block by $det counting $n ($e)" \
			pycheck "$EV" "[(e['event'], e['detector'], e['count']) for e in evs if e['ip']=='$EXACT'] == [('block', '$det', $n)]"
	fi
done
LABEL="e User-Agents" EV=$TMP/agents
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/agents.pcap"; then
	for i in 0 1 2 3 4 5 6 7; do blocked_by "$EV" "203.0.113.$((40 + i))" scanner; done
	for i in 0 1 2 3 4 5 6 7; do never_blocked "$EV" "198.51.100.$((40 + i))"; done
	check "$LABEL: no event at all for the 8 phones and PBXes" \
		[ "$(evcount "$EV" "e['ip'].startswith('198.51.100.4')")" = 0 ]
fi

finish
