#!/bin/bash
# test_adv_tcp.sh: a forged segment cannot blind the TCP reassembler.
#
# Replay (no root): captures written by tests/e2e/adv/tcpguess.py of a
# password guesser over one TCP connection (handshake, 14 REGISTERs with
# credentials answered 401 then 403), once clean and once with junk from
# the guesser's own address on the same connection before its first
# REGISTER: one segment 1 MB ahead, a burst of ten hole-making segments
# (far ahead and inside the window), one segment 1 MB behind.  The guesser
# must be blocked by bad_registration, and every variant's event lines
# must equal the clean run's.
#
# Live (root, network namespaces; without root the test exits 77, a counted
# skip, after the replay variants): the same attack against Kamailio over
# TCP in namespaces, as in test_daemon.sh: sipwarden captures on the server
# namespace, the attacker first injects one raw
# junk segment 1 MB ahead on its own connection (tests/e2e/adv/rawjunk.py),
# then guesses the password over that connection; it must be blocked.
#
# Environment: SIPWARDEN (default build/sipwarden, relative to the repo
# root).  Output "ok - ..." / "not ok - ...", then "N passed, N failed";
# exit 1 on any failure.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SVC=$HERE/services
ADV=$HERE/adv
DEFAULTS=$HERE/defaults.conf
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$SVC/common.sh"

replay_setup advtcp

GUESSER=203.0.113.66
VARIANTS="junk burst behind"

# ---- replay ---------------------------------------------------------------------
for v in clean $VARIANTS; do
	if out=$("$PY" "$ADV/tcpguess.py" "$v" "$TMP/$v.pcap" 2>&1); then
		ok "tcpguess.py $v: $(basename "$out")"
	else
		notok "tcpguess.py $v failed: $out"
	fi
done

# packets FILE.err: the packet count of the replay summary.
packets() { sed -n 's/^sipwarden replay: [0-9]* files*, \([0-9]*\) packets.*/\1/p' "$1"; }

LABEL="clean guesser"
if replay_to "$LABEL" "$TMP/clean.ev" "$DEFAULTS" "$TMP/clean.pcap"; then
	blocked_by "$TMP/clean.ev" $GUESSER bad_registration
fi
clean_pk=$(packets "$TMP/clean.ev.err")
for v in $VARIANTS; do
	LABEL="guesser with junk ($v)"
	replay_to "$LABEL" "$TMP/$v.ev" "$DEFAULTS" "$TMP/$v.pcap" || continue
	pk=$(packets "$TMP/$v.ev.err")
	[ -n "$pk" ] && [ -n "$clean_pk" ] && [ "$pk" -gt "$clean_pk" ]
	res "$LABEL: the junk frames were read ($pk packets, clean $clean_pk)"
	blocked_by "$TMP/$v.ev" $GUESSER bad_registration
	if cmp -s "$TMP/clean.ev" "$TMP/$v.ev"; then
		ok "$LABEL: the event lines equal the clean run's ($(wc -l <"$TMP/$v.ev") lines)"
	else
		notok "$LABEL: the event lines differ from the clean run's"
		diff "$TMP/clean.ev" "$TMP/$v.ev" | indent 10
	fi
done

# ---- live -----------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip_rest "test_adv_tcp: live variant needs root (network namespaces); the replay variants ran"
fi
. "$ADV/live_tcp.sh"
live_tcp
finish
