#!/bin/bash
# test_replay_e2e.sh: end-to-end test of "sipwarden replay" on real attacks.
#
# 1. Replays the committed captures in examples/ (no namespaces needed).
# 2. Records fresh captures with tests/e2e/record.sh (root: network
#    namespaces, Kamailio, sipvicious, sipsak, SIPp, tcpdump) and replays
#    those.
# Each capture is replayed twice: with the built-in defaults
# (tests/e2e/defaults.conf) and with no blocked User-Agents
# (tests/e2e/no-agents.conf), and the JSON-lines events on stdout are checked
# with tests/lib/expect_events.py: who is blocked, by which detector first,
# and that the phones and the server never are.  examples/attack.pcap is also
# replayed with examples/sipwarden.conf, which must give the default verdicts.
#
# Environment: SIPWARDEN (default build/sipwarden, relative to the repo
# root).  Output: "ok - ..." / "not ok - ..." per check, then
# "N passed, N failed"; exit status 1 on any failure.  Nothing is skipped:
# a missing tool is a failure that names the tool.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
EXPECT="$ROOT/tests/lib/expect_events.py"
EX="$ROOT/examples"
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac

. "$ROOT/tests/lib/tap.sh"

TMP=$(mktemp -d /tmp/sw-e2e.XXXXXX) || { notok "mktemp"; finish; }
trap 'rm -rf "$TMP"' EXIT

# ---- preconditions ---------------------------------------------------------
if [ -x "$PY" ]; then ok "python3 at $PY"; else notok "$PY missing (Debian package python3)"; finish; fi
if [ -x "$SIPWARDEN" ]; then
	ok "sipwarden binary at $SIPWARDEN"
else
	notok "sipwarden binary $SIPWARDEN missing (run make, or set SIPWARDEN)"
	finish
fi

# ---- the verdicts ------------------------------------------------------------
# Roles and addresses: examples/README.md and tests/e2e/record.sh.
S4=198.51.100.1 S6=2001:db8:100::1
P4=198.51.100.10 Q4=198.51.100.11 P6=2001:db8:10::10 Q6=2001:db8:11::11
declare -A WANT_DEFAULT=(
	[attack]="198.51.100.66=scanner 198.51.100.67=scanner 198.51.100.68=scanner
	          198.51.100.69=bad_registration $P4! $Q4! $S4!"
	[ipv6]="2001:db8:66::66=scanner 2001:db8:67::67=scanner 2001:db8:68::68=scanner
	        2001:db8:69::69=bad_registration $P6! $Q6! $S6!"
	[tcp]="198.51.100.69=bad_registration 198.51.100.70=bad_registration $P4! $Q4! $S4!"
	[any]="198.51.100.69=bad_registration $P4! $S4!"
)
declare -A WANT_NOAGENTS=(
	[attack]="198.51.100.67=bad_registration 198.51.100.68=bad_registration
	          198.51.100.69=bad_registration $P4! $Q4! $S4!"
	[ipv6]="2001:db8:67::67=bad_registration 2001:db8:68::68=bad_registration
	        2001:db8:69::69=bad_registration $P6! $Q6! $S6!"
	[tcp]="${WANT_DEFAULT[tcp]}"
	[any]="${WANT_DEFAULT[any]}"
)
# the extension scan alone (enumeration.conf: agents and registration rule off)
declare -A WANT_ENUM=(
	[attack]="198.51.100.67=enumeration $P4! $Q4! $S4!"
	[ipv6]="2001:db8:67::67=enumeration $P6! $Q6! $S6!"
)

# run_expect LABEL EVENTS WANT...: runs expect_events.py and tallies its lines.
run_expect() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < <("$PY" "$EXPECT" "$@" 2>&1)
}

# replay LABEL CONF PCAP OUT: runs sipwarden replay; checks its exit status.
replay() {
	local label=$1 conf=$2 pcap=$3 out=$4 rc
	"$SIPWARDEN" replay -c "$conf" "$pcap" >"$out" 2>"$out.err"
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$label: sipwarden replay exits 0 ($(head -1 "$out.err" | sed 's/^sipwarden replay: //'))"
	else
		notok "$label: sipwarden replay exited $rc"
		sed 's/^/#   /' "$out.err" | head -20
	fi
	return $rc
}

# verdicts NAME PCAP TAG: both configurations on one capture.
verdicts() {
	local name=$1 pcap=$2 tag=$3 out
	if [ ! -s "$pcap" ]; then
		notok "$tag $name: capture $pcap missing or empty"
		return
	fi
	out=$TMP/$tag-$name
	# shellcheck disable=SC2086
	replay "$tag $name (defaults)" "$HERE/defaults.conf" "$pcap" "$out.def" &&
		run_expect "$tag $name (defaults)" "$out.def" ${WANT_DEFAULT[$name]}
	# shellcheck disable=SC2086
	replay "$tag $name (no blocked agents)" "$HERE/no-agents.conf" "$pcap" "$out.noua" &&
		run_expect "$tag $name (no blocked agents)" "$out.noua" ${WANT_NOAGENTS[$name]}
	[ -n "${WANT_ENUM[$name]:-}" ] || return 0
	# shellcheck disable=SC2086
	replay "$tag $name (enumeration only)" "$HERE/enumeration.conf" "$pcap" "$out.enum" &&
		run_expect "$tag $name (enumeration only)" "$out.enum" ${WANT_ENUM[$name]}
}

# ---- 1. the committed captures -------------------------------------------------
for name in attack ipv6 tcp any; do
	verdicts "$name" "$EX/$name.pcap" examples
done
if "$SIPWARDEN" check-config -c "$EX/sipwarden.conf" >"$TMP/cc.out" 2>&1; then
	ok "examples/sipwarden.conf passes check-config"
else
	notok "examples/sipwarden.conf fails check-config: $(head -3 "$TMP/cc.out" | tr '\n' ' ')"
fi
# shellcheck disable=SC2086
replay "examples attack (examples/sipwarden.conf)" "$EX/sipwarden.conf" "$EX/attack.pcap" "$TMP/ex-conf" &&
	run_expect "examples attack (examples/sipwarden.conf)" "$TMP/ex-conf" ${WANT_DEFAULT[attack]}

# ---- 2. fresh captures ----------------------------------------------------------
REC=$TMP/rec
t=$SECONDS
if "$HERE/record.sh" "$REC" >"$TMP/record.log" 2>&1; then
	ok "record.sh recorded attack ipv6 tcp any in $((SECONDS - t)) s"
else
	notok "record.sh failed after $((SECONDS - t)) s; its output:"
	sed 's/^/#   /' "$TMP/record.log" | tail -40
fi
for name in attack ipv6 tcp any; do
	verdicts "$name" "$REC/$name.pcap" fresh
done

finish
