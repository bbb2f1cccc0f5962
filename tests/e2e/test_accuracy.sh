#!/bin/bash
# test_accuracy.sh: replay tests of verdicts on ordinary PBX life next to
# attacks, on captures written by tests/e2e/accuracy/gen.py (who does what:
# gen.py --list).  The PBX is 198.51.100.1.
#
#   retx   retransmissions count once: 6 wrong passwords, each REGISTER
#          sent 3 times byte for byte and answered each time, are 6
#          failures (no block); so are 6 INVITEs sent 3 times; 12 wrong
#          passwords sent twice each (REGISTER, INVITE) are blocked at the
#          10th (count 10); 12 passwords under one reused Call-ID, CSeq
#          and branch are 12 failures (blocked: other bytes are new
#          evidence)
#   pbx    the server's own requests count against nobody: the PBX ringing
#          25 phones three times (487s) and calling out through a busy
#          trunk is never blocked, with servers inferred, with --server and
#          with an [instance] address; the summary names the protected
#          server and why; a sweeper at the PBX is blocked in each case
#   trunk  callee outcomes are no failures: a trunk whose calls get a
#          quarter busy answers (and 600/603/480/487) is never blocked; a
#          sweeper answered 404 is
#
# No root needed (no namespaces).  Environment: SIPWARDEN (default
# build/sipwarden, relative to the repo root).  Output "ok - ..." /
# "not ok - ...", then "N passed, N failed"; exit 1 on any failure.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SVC=$HERE/services
GEN=$HERE/accuracy/gen.py
DEFAULTS=$HERE/defaults.conf
INSTANCE=$HERE/accuracy/instance.conf
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$SVC/common.sh"

replay_setup accuracy

for s in retx pbx trunk; do
	if out=$("$PY" "$GEN" "$s" "$TMP/$s.pcap" 2>&1); then
		ok "gen.py $s: $(basename "$out")"
	else
		notok "gen.py $s failed: $out"
	fi
done

PBX=198.51.100.1

# block_count FILE IP: the count of the first block of IP.
block_count() {
	evsel "$1" "e['event']=='block' and e['ip']=='$2'" | head -1 | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline() or "{}").get("count"))'
}

# ---- retx: retransmissions count once --------------------------------------------
LABEL="retx (defaults)" EV=$TMP/retx.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/retx.pcap"; then
	never_blocked "$EV" 203.0.113.51
	never_blocked "$EV" 203.0.113.52
	blocked_by "$EV" 203.0.113.50 bad_registration
	c=$(block_count "$EV" 203.0.113.50)
	[ "$c" = 10 ]
	res "$LABEL: 12 guesses sent twice: the block says 10 failures (got $c)"
	blocked_by "$EV" 203.0.113.54 bad_invite
	c=$(block_count "$EV" 203.0.113.54)
	[ "$c" = 10 ]
	res "$LABEL: 12 INVITEs sent twice: the block says 10 failures (got $c)"
	blocked_by "$EV" 203.0.113.53 bad_registration
	grep -q "repeated answers ignored" "$EV.err" &&
		[ "$(sed -n 's/.* \([0-9]*\) repeated answers ignored.*/\1/p' "$EV.err")" = 48 ]
	res "$LABEL: the summary counts the 48 repeated answers ignored ($(grep transactions "$EV.err"))"
fi

# ---- pbx: the server's own requests -----------------------------------------------
pbx_case() {
	local label=$1 conf=$2 why=$3; shift 3
	LABEL=$label EV=$TMP/pbx.$RANDOM
	replay_to "$LABEL" "$EV" "$conf" "$@" "$TMP/pbx.pcap" || return
	never_blocked "$EV" $PBX
	for ph in 198.51.100.11 198.51.100.20 198.51.100.35 203.0.113.200; do
		never_blocked "$EV" $ph
	done
	blocked_by "$EV" 203.0.113.66 "bad_invite|toll_fraud"
	[ "$(evcount "$EV" "e['event']=='block'")" = 1 ]
	res "$LABEL: one block in all (the sweeper)"
	grep -qxF "  protected servers: $PBX ($why)" "$EV.err"
	res "$LABEL: the summary names $PBX ($why) ($(grep 'protected servers' "$EV.err"))"
}
pbx_case "pbx (inferred)" "$DEFAULTS" "inferred: sent challenges, answered REGISTER"
pbx_case "pbx (--server)" "$DEFAULTS" "--server" --server $PBX
pbx_case "pbx ([instance] address)" "$INSTANCE" "[instance pbx] address"

# ---- trunk: callee outcomes ------------------------------------------------------
LABEL="trunk (defaults)" EV=$TMP/trunk.def
if replay_to "$LABEL" "$EV" "$DEFAULTS" "$TMP/trunk.pcap"; then
	never_blocked "$EV" 203.0.113.200
	blocked_by "$EV" 203.0.113.77 "bad_invite|toll_fraud"
	[ "$(evcount "$EV" "e['event']=='block'")" = 1 ]
	res "$LABEL: one block in all (the sweeper)"
fi
LABEL="trunk (bad_invites off)" EV=$TMP/trunk.nobi
printf '[sip]\nbad_invites = 0/60\n' >"$TMP/nobi.conf"
if replay_to "$LABEL" "$EV" "$TMP/nobi.conf" "$TMP/trunk.pcap"; then
	never_blocked "$EV" 203.0.113.200
	blocked_by "$EV" 203.0.113.77 toll_fraud
fi

finish
