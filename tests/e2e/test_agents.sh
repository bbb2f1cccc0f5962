#!/bin/bash
# test_agents.sh: replay test of the scanner rule's User-Agent matching by
# whole tokens (capture: tests/e2e/agents/gen.py, who does what in its
# docstring).  Real clients whose User-Agent or From display name holds a
# scanner name inside a longer word or name (MySipClient, Asmap Telecom,
# Elite Dental, Siwar Haddad, Elitegroup) register and are never blocked;
# real scanner User-Agents (friendly-scanner, sipcli/v1.8, VaxSIPUserAgent,
# pplsip, sipvicious, in mixed case) and the display name "elite" are
# blocked on their first request, each event line naming the header that
# matched, evidence.user_agent showing the User-Agent and
# evidence.display_name the display name when that matched.
#   1  built-in defaults (tests/e2e/defaults.conf): the expected event lines
#   2  examples/sipwarden.conf: its documented list gives the same verdicts
#   3  blocked_user_agents = (tests/e2e/no-agents.conf): no scanner block
#   4  anchors: blocked_user_agents = ^Elite$, sipcli$ (a display name is
#      matched whole; "sipcli/v1.8" does not end in sipcli)
# No root needed.  Environment: SIPWARDEN (default build/sipwarden).
# Output "ok - ..." / "not ok - ...", then "N passed, N failed".
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SVC=$HERE/services
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$SVC/common.sh"

replay_setup agents
PCAP=$TMP/agents.pcap
check "gen.py writes the capture" "$PY" "$HERE/agents/gen.py" "$PCAP" || finish

CLIENTS="198.51.100.20 198.51.100.21 198.51.100.22 198.51.100.23 198.51.100.24"

# blocks FILE EXPECTED: the block events of FILE, reduced to ip, detector,
# reason, user_agent and display_name ("-" when absent), one per line in
# order, are exactly EXPECTED (the same fields, tab-separated).
blocks() {
	local got
	got=$("$PY" - "$1" <<-'EOF'
	import json, sys
	for l in open(sys.argv[1]):
	    if not l.startswith("{"):
	        continue
	    e = json.loads(l)
	    if e["event"] != "block":
	        continue
	    ev = e.get("evidence", {})
	    print("\t".join([e["ip"], e["detector"], e["reason"], ev.get("user_agent", "-"),
	                     ev.get("display_name", "-")]))
	EOF
	)
	if [ "$got" = "$2" ]; then
		ok "$LABEL: the block lines are the expected ones ($(wc -l <<<"$got") blocks)"
	else
		notok "$LABEL: block lines differ from the expected ones"
		diff <(echo "$2") <(echo "$got") | indent 30
	fi
}

TAB=$'\t'
EXPECTED="203.0.113.50${TAB}scanner${TAB}scanner User-Agent matches \"friendly-scanner\"${TAB}friendly-scanner${TAB}-
203.0.113.51${TAB}scanner${TAB}scanner User-Agent matches \"sipcli\"${TAB}sipcli/v1.8${TAB}-
203.0.113.52${TAB}scanner${TAB}scanner User-Agent matches \"VaxSIPUserAgent\"${TAB}VaxSIPUserAgent/3.1${TAB}-
203.0.113.53${TAB}scanner${TAB}scanner User-Agent matches \"^pplsip\"${TAB}PPLSIP${TAB}-
203.0.113.54${TAB}scanner${TAB}scanner User-Agent matches \"sipvicious\"${TAB}SIPVicious 0.3.4${TAB}-
203.0.113.55${TAB}scanner${TAB}scanner From display name matches \"Elite\"${TAB}Zoiper rv2.10${TAB}elite"

# ---- 1. built-in defaults --------------------------------------------------------
LABEL="defaults" EV=$TMP/def
if replay_to "$LABEL" "$EV" "$HERE/defaults.conf" "$PCAP"; then
	blocks "$EV" "$EXPECTED"
	for ip in $CLIENTS; do never_blocked "$EV" "$ip"; done
	[ "$(evcount "$EV" "e['event'] != 'block'")" = 0 ]
	res "$LABEL: no alert, anomaly or other event"
fi

# ---- 2. the example configuration ------------------------------------------------
LABEL="examples/sipwarden.conf" EV=$TMP/ex
if replay_to "$LABEL" "$EV" "$ROOT/examples/sipwarden.conf" "$PCAP"; then
	blocks "$EV" "$EXPECTED"
fi

# ---- 3. no blocked agents --------------------------------------------------------
LABEL="no agents" EV=$TMP/none
if replay_to "$LABEL" "$EV" "$HERE/no-agents.conf" "$PCAP"; then
	[ "$(evcount "$EV" "e['detector'] == 'scanner'")" = 0 ]
	res "$LABEL: no scanner event"
fi

# ---- 4. anchors ------------------------------------------------------------------
LABEL="anchors" EV=$TMP/anch
printf '[sip]\nblocked_user_agents = ^Elite$, sipcli$\n' >"$TMP/anchors.conf"
if replay_to "$LABEL" "$EV" "$TMP/anchors.conf" "$PCAP"; then
	blocks "$EV" "203.0.113.55${TAB}scanner${TAB}scanner From display name matches \"^Elite\$\"${TAB}Zoiper rv2.10${TAB}elite"
fi

# a bare anchor is a configuration error naming the line
printf '[sip]\n\nblocked_user_agents = sipcli, ^\n' >"$TMP/bare.conf"
out=$("$SIPWARDEN" check-config -c "$TMP/bare.conf" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q ':3: blocked_user_agents: a blocked user agent is only an anchor' <<<"$out"
res "check-config refuses a bare anchor with file:line (exit $rc: $out)"

finish
