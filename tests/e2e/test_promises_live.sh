#!/bin/bash
# test_promises_live.sh: README promises of the running daemon that had no
# test, checked with real packets in network namespaces the test creates:
#
#   conntrack   "sipwarden deletes the blocked address's conntrack entries
#               too": an attacker's established TCP flow and replied UDP flow
#               show in `conntrack -L` in the server namespace; after its
#               block (detected, and by hand) they are gone, a phone's stay
#   socket      "The socket is /run/sipwarden/ctl.sock, mode 0600": the
#               socket is 0600 and owned by the daemon's user even when the
#               daemon starts under umask 000; another user cannot connect
#   since       `ctl events --since 2026-11-27T08:00:00Z|1h [--limit N]`:
#               only events at or after the time, as event lines (--json: an
#               array of them)
#   syslog      "facility daemon: blocks as warning, unblocks as notice":
#               the <PRI> of each datagram on the syslog socket
#   notify      the unit's Type=notify: READY=1 reaches $NOTIFY_SOCKET
#
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed".
# Needs root, ip, conntrack, nft, setpriv, /usr/bin/python3.  Creates
# nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
PH=$HERE/promises
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
for t in ip ss conntrack nft setpriv timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { notok "missing tool $t"; finish; }
done
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing"; finish; }

. "$ROOT/tests/lib/netns.sh"
ns_run_init promises-live swpl$$ || { notok "cannot create the temp dir and namespaces"; finish; }

SRV=198.51.100.1 PHONE=198.51.100.10 SCAN=203.0.113.66 HAND=203.0.113.67
SOCK=$T/run/ctl.sock CONF=$T/sipwarden.conf
ns_add_host srv $SRV || { notok "host srv"; finish; }
ns_add_host phone $PHONE || { notok "host phone"; finish; }
ns_add_host scan $SCAN || { notok "host scan"; finish; }
ns_add_host hand $HAND || { notok "host hand"; finish; }
mkdir -p "$T/run" "$T/db"
chmod 755 "$T/run"

quiet() { "$@" >/dev/null 2>&1; }
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
ct_list() { ns_exec srv conntrack -L -s "$1" 2>/dev/null; }
# tracked ADDR: conntrack in the server holds ADDR's established TCP flow and
# its UDP flow to port 5070 (printed).
tracked() {
	local out; out=$(ct_list "$1"); echo "$out"
	grep -q '^tcp .*ESTABLISHED.*dport=5070' <<<"$out" && grep -q '^udp .*dport=5070' <<<"$out"
}
# untracked ADDR: conntrack in the server holds no entry of ADDR.
untracked() { local out; out=$(ct_list "$1"); echo "$out"; ! grep -q . <<<"$out"; }

# A stateful firewall of the server's own (any conntrack user will do): it
# makes the kernel track this namespace's flows.  Its table is not ours.
ns_exec srv nft -f - <<-'EOF' || notok "server's own stateful table"
	add table inet host
	add chain inet host in { type filter hook input priority 0; }
	add rule inet host in ct state established,related counter accept
	EOF
ns_spawn srv "$T/flows.log" "$PY" "$PH/flows.py" serve $SRV 5070
ns_wait_for 10 ns_listening srv tcp $SRV 5070 || { notok "flow server did not start"; finish; }
ns_spawn srv "$T/syslogd.log" "$PY" "$HERE/notify/peers.py" syslog "$T/syslog.sock" "$T/syslog.lines"
ns_wait_for 10 test -S "$T/syslog.sock" || { notok "syslog receiver did not start"; finish; }
ns_spawn srv "$T/sdnotify.log" "$PY" "$HERE/notify/peers.py" syslog "$T/notify.sock" "$T/notify.lines"
ns_wait_for 10 test -S "$T/notify.sock" || { notok "notify receiver did not start"; finish; }

cat >"$CONF" <<EOF
[general]
interfaces = eth0
database = $T/db/sipwarden.db
ctl_socket = $SOCK
capture_buffer = 16M
block_time = 1h
[firewall]
backend = nftables
table = swpl$$
[notify]
syslog = yes
syslog_socket = $T/syslog.sock
[http]
listen =
EOF
ns_spawn srv "$T/daemon.log" bash -c "umask 000; NOTIFY_SOCKET='$T/notify.sock' exec '$SIPWARDEN' run -c '$CONF'"
DPID=$NS_PID
ns_wait_for 15 quiet ctl status || { notok "daemon did not start"; indent 30 <"$T/daemon.log"; finish; }

# ---- the unit's Type=notify ------------------------------------------------------------
ns_wait_for 5 grep -qx 'READY=1' "$T/notify.lines"
check "READY=1 reached NOTIFY_SOCKET once the daemon answered (Type=notify)" grep -x 'READY=1' "$T/notify.lines"

# ---- the control socket ----------------------------------------------------------------
sockmode() { stat -c '%a %U %F' "$SOCK"; [ "$(stat -c '%a %U %F' "$SOCK")" = '600 root socket' ]; }
check "control socket is mode 0600, owned by the daemon's user (root), under umask 000" sockmode
nobody_ctl() { ! setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 5 "$SIPWARDEN" ctl -s "$SOCK" status 2>&1; }
check "another user (nobody) cannot use the control socket" nobody_ctl

# ---- conntrack entries of a blocked address ---------------------------------------------
for h in phone:$PHONE scan:$SCAN hand:$HAND; do
	ns_spawn "${h%%:*}" "$T/flow-${h%%:*}.log" "$PY" "$PH/flows.py" open "${h#*:}" $SRV 5070 600
	ns_wait_for 10 grep -q up "$T/flow-${h%%:*}.log" || notok "flows from ${h#*:} did not come up"
done
for a in $PHONE $SCAN $HAND; do
	check "before any block, conntrack in the server holds $a's TCP and UDP flows" tracked $a
done
blocked() { grep -q "\"event\":\"block\",\"ip\":\"$1\"" "$T/daemon.log"; }
ns_exec scan "$PY" "$HERE/notify/send.py" $SRV 'friendly-scanner' $SCAN
ns_wait_for 10 blocked $SCAN || notok "scanner $SCAN not blocked"
E1_DONE=$(date +%s)
ns_wait_for 5 quiet untracked $SCAN
check "detected scanner blocked: conntrack lists none of its entries (TCP and UDP)" untracked $SCAN

# the time for --since: seconds after the first event
S=$((E1_DONE + 4))
while [ "$(date +%s)" -lt "$S" ]; do sleep 0.1; done
ctl block $HAND 10m --reason 'by hand' >/dev/null || notok "ctl block $HAND"
ns_wait_for 5 quiet untracked $HAND
check "blocked by hand: conntrack lists none of its entries (TCP and UDP)" untracked $HAND
check "the phone's flows, never blocked, are still tracked" tracked $PHONE
ctl unblock $HAND >/dev/null || notok "ctl unblock $HAND"

# ---- ctl events --since ------------------------------------------------------------------
# Events: block $SCAN (before S), then block and unblock $HAND (at or after S).
ISO=$(date -u -d "@$S" +%Y-%m-%dT%H:%M:%SZ)
# evcheck "WANT..." ARGS...: `ctl events ARGS` lists exactly the events WANT
# (event:ip words), each an event line ("time" then "event"), none before
# the --since time when that is $ISO.
evcheck() {
	local want=$1 out; shift
	out=$(ctl events "$@") || { echo "ctl events $* failed: $out"; return 1; }
	head -3 <<<"$out"
	"$PY" -c '
import json, sys
want, iso, args = sys.argv[1].split(), sys.argv[2], sys.argv[3:]
text = sys.stdin.read()
evs = json.loads(text) if "--json" in args else [json.loads(l) for l in text.splitlines() if l.strip()]
for e in evs:
    assert list(e)[:2] == ["time", "event"], e
    if "--since" in args and args[args.index("--since") + 1] == iso:
        assert e["time"] >= iso.replace("Z", ".000Z"), (e["time"], iso)
got = sorted("%s:%s" % (e["event"], e["ip"]) for e in evs)
if got != sorted(want):
    sys.exit("got %s, want %s" % (got, sorted(want)))
' "$want" "$ISO" "$@" <<<"$out"
}
check "ctl events (all): the three events" evcheck "block:$SCAN block:$HAND unblock:$HAND"
check "ctl events --since $ISO: only the events at or after it" evcheck "block:$HAND unblock:$HAND" --since "$ISO"
check "ctl events --since $ISO --json: the same, as a JSON array" evcheck "block:$HAND unblock:$HAND" --since "$ISO" --json
check "ctl events --since 1h: all three" evcheck "block:$SCAN block:$HAND unblock:$HAND" --since 1h
age=$(($(date +%s) - S + 2))  # reaches back to S - 2 or a little later
check "ctl events --since ${age}s (an age reaching back before the block by hand, not to the scanner's): the later two" \
	evcheck "block:$HAND unblock:$HAND" --since "${age}s"
check "ctl events --since 2099-01-01T00:00:00Z: none" evcheck "" --since 2099-01-01T00:00:00Z
limit1() { local n; n=$(ctl events --since "$ISO" --limit 1 | grep -c '"event"'); echo "$n line(s)"; [ "$n" = 1 ]; }
check "ctl events --since $ISO --limit 1: one line" limit1
badsince() { local out; out=$(ctl events --since yesterday 2>&1) && return 1; echo "$out"; grep -q 'bad --since' <<<"$out"; }
check "ctl events --since yesterday: refused with a message" badsince

# ---- syslog priorities ------------------------------------------------------------------
# facility daemon (3): warning (4) is <28>, notice (5) is <29>
# syslog_pri EVENT PRI IP: one syslog line of EVENT for IP, and it carries <PRI>.
syslog_pri() {
	local l; l=$(grep "\"event\":\"$1\",\"ip\":\"$3\"" "$T/syslog.lines") || { echo "no $1 line for $3"; return 1; }
	cut -c1-100 <<<"$l"
	[ "$(grep -c . <<<"$l")" = 1 ] && [[ $l == "<$2>"* ]]
}
ns_wait_for 5 grep -q '"event":"unblock"' "$T/syslog.lines"
check "syslog: the scanner's block is daemon.warning (<28>)" syslog_pri block 28 $SCAN
check "syslog: the block by hand is daemon.warning (<28>)" syslog_pri block 28 $HAND
check "syslog: the unblock is daemon.notice (<29>)" syslog_pri unblock 29 $HAND
allpri() {
	! grep '"event":"block"' "$T/syslog.lines" | grep -v '^<28>' &&
		! grep '"event":"unblock"' "$T/syslog.lines" | grep -v '^<29>'
}
check "syslog: every block line is <28>, every unblock line <29>" allpri

ns_stop "$DPID" TERM 15
# (the daemon built with SAN=1 writes its reports to stderr, into the log)
no_sanitizer_report() { ! grep -h -A5 -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$@"; }
check "no sanitizer report in the daemon's log" no_sanitizer_report "$T/daemon.log"
finish
