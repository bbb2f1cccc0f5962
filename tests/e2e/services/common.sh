# shellcheck shell=bash
# common.sh: shared helpers of test_services.sh and test_rules_replay.sh.
# Source it from bash after setting SIPWARDEN (absolute) and PY.  The
# blocked_by / never_blocked lines start with "$LABEL: " (set it first).
#
#   ok TEXT / notok TEXT / note TEXT    TAP-style lines, tallied in PASS/FAIL
#   finish                              "N passed, N failed"; exits 1 on failure
#   check LABEL CMD...                  ok when CMD succeeds
#   res LABEL                           ok when the last command succeeded
#   replay_to LABEL OUT CONF PCAP...    sipwarden replay -c CONF; events in OUT,
#                                       summary in OUT.err; checks exit 0 and
#                                       that every event line is valid
#   blocked_by FILE IP DET[|DET...]     the first block covering IP is by DET
#   never_blocked FILE IP               no block event covers IP
#   evsel FILE EXPR / evcount FILE EXPR events matching EXPR (services/evq.py)
#   replay_setup NAME                   a replay test's start: python3 and the
#                                       binary present, TMP a temp dir removed on exit

SVC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EVQ=$SVC_DIR/evq.py
. "$SVC_DIR/../../lib/tap.sh"
check() {
	local label=$1; shift
	if "$@"; then ok "$label"; else notok "$label"; return 1; fi
}
# res LABEL: ok / not ok from the status of the command just run.
res() { if [ $? -eq 0 ]; then ok "$1"; else notok "$1"; return 1; fi; }

evsel()   { "$PY" "$EVQ" select "$1" "$2"; }
evcount() { "$PY" "$EVQ" count "$1" "$2"; }
first_block() { "$PY" "$EVQ" first-block "$1" "$2"; }

# blocked_by FILE IP DETS: reports ok/not ok; DETS is DET or DET1|DET2.
blocked_by() {
	local f=$1 ip=$2 dets=$3 got
	got=$(first_block "$f" "$ip")
	case "|$dets|" in
	*"|$got|"*) ok "$LABEL: $ip blocked, first by $got";;
	*) notok "$LABEL: $ip blocked by $dets -- first block: $got"
	   evsel "$f" "covers(e, '$ip')" | indent 5 ;;
	esac
}
never_blocked() {
	local f=$1 ip=$2 got
	got=$(first_block "$f" "$ip")
	if [ "$got" = none ]; then
		ok "$LABEL: $ip is never blocked"
	else
		notok "$LABEL: $ip is never blocked -- blocked by $got"
		evsel "$f" "e['event']=='block' and covers(e, '$ip')" | indent 5
	fi
}

# replay_to LABEL OUT CONF PCAP...: runs the replay; events to OUT.
replay_to() {
	local label=$1 out=$2 conf=$3 rc v; shift 3
	"$SIPWARDEN" replay -c "$conf" "$@" >"$out" 2>"$out.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		notok "$label: sipwarden replay exited $rc"
		indent 10 <"$out.err"
		return 1
	fi
	v=$("$PY" "$EVQ" validate "$out")
	if [ $? -eq 0 ]; then
		ok "$label: replay exits 0, $v valid ($(head -1 "$out.err" | sed 's/^sipwarden replay: //'))"
	else
		notok "$label: replay event lines: $v"
		return 1
	fi
}

# replay_setup NAME: the start of a replay-only test: $PY and $SIPWARDEN must
# exist (else "not ok" and finish); TMP is a fresh /tmp/sw-NAME.* directory,
# removed on exit.
replay_setup() {
	[ -x "$PY" ] || { notok "$PY missing (Debian package python3)"; finish; }
	[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing (make build/sipwarden)"; finish; }
	TMP=$(mktemp -d "/tmp/sw-$1.XXXXXX") || { notok "mktemp"; finish; }
	trap 'rm -rf "$TMP"' EXIT
}
