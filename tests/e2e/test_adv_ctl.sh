#!/bin/bash
# test_adv_ctl.sh: slow control clients cannot hold up the packet path.
#
# In network namespaces (tests/lib/netns.sh): a server namespace runs
# Kamailio and sipwarden (nftables); scanners (svmap) attack from two other
# namespaces.  Checked, with real packets and real sockets:
#   trickle    while 5 control clients send one byte every 1.5 s and never
#              finish (each one replaced as soon as it is dropped), svmap is
#              blocked (its address in the kernel set), a second scanner later
#              too, and `ctl status` from a normal client answers
#   deadline   every trickling connection is closed by the daemon (none is
#              left open), and ctl status --json and /metrics count them as
#              request timeouts
#   http       the same with 20 clients trickling HTTP headers to the admin
#              page at the same time
#   limit      40 idle connections at once: the ones over the client limit
#              are refused and counted, and ctl status answers again once the
#              deadline has dropped the others
# Before the control socket had its own thread, the first trickling client
# held the main loop for as long as it kept sending: no block, no answer.
#
# Environment: SIPWARDEN (default build/sipwarden), SW_KEEP_LOGS=DIR.  Needs
# root, ip, ss, kamailio, svmap, nft, curl, /usr/bin/python3.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
DH=$HERE/daemon
TRICKLE=$HERE/ctl/trickle.py
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
T_START=$SECONDS
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
missing=()
for t in ip ss kamailio svmap nft curl timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -ne 0 ]; then
	notok "missing tools: ${missing[*]} (Debian: iproute2 kamailio sipvicious nftables curl python3)"
	finish
fi
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing"; finish; }

. "$ROOT/tests/lib/netns.sh"
ns_run_init adv-ctl "swac$$" || { notok "cannot create namespaces"; finish; }

SRV4=198.51.100.1 SCAN1=198.51.100.67 SCAN2=198.51.100.68 WEB=198.51.100.30
TABLE=swac$$
SOCK=$T/run/ctl.sock
for h in "srv $SRV4 2001:db8:100::1" "scan1 $SCAN1" "scan2 $SCAN2" "web $WEB"; do
	# shellcheck disable=SC2086
	ns_add_host $h || { notok "cannot create host $h"; finish; }
done

ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
in_set() { ns_exec srv "$PY" "$DH/fwdump.py" elems nftables "$TABLE" | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'; }
# jq_ FILE EXPR: a Python expression over the JSON object d of FILE.
jq_() { "$PY" -c 'import json,sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
metric() { # metric NAME_WITH_LABELS: its value from /metrics
	ns_exec srv curl -s --max-time 10 "http://$SRV4:8080/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# ---- Kamailio and sipwarden ------------------------------------------------------
mkdir -p "$T/kamailio" "$T/run" "$T/db"
ns_spawn srv "$T/kamailio/kamailio.log" kamailio -DD -E -f "$HERE/kamailio.cfg" \
	-P "$T/kamailio/kamailio.pid" -Y "$T/kamailio" -w "$T/kamailio" -m 64 -M 8
ns_wait_for 15 ns_listening srv udp $SRV4 5060 || { notok "kamailio is not listening"; finish; }
cat >"$T/sipwarden.conf" <<EOF
[general]
interfaces = eth0
database = $T/db/sipwarden.db
ctl_socket = $SOCK
capture_buffer = 16M
block_time = 10m
[firewall]
backend = nftables
table = $TABLE
scope = all
keep_blocks_on_exit = no
[http]
listen = $SRV4:8080
metrics_auth = no
EOF
ns_spawn srv "$T/daemon.log" "$SIPWARDEN" run -c "$T/sipwarden.conf"
DPID=$NS_PID
if ! ns_wait_for 15 eval 'grep -qs "^sipwarden: running" "$T/daemon.log" && ctl status >/dev/null 2>&1'; then
	notok "the daemon starts"
	indent 20 <"$T/daemon.log"
	finish
fi
ok "the daemon starts and answers on its control socket"

# ---- trickling control and HTTP clients, scanners meanwhile -------------------------
# the control tricklers last longer than every wait below (25 + 5 s), so
# a daemon that served them on its main loop fails each check
"$PY" "$TRICKLE" --unix "$SOCK" --clients 5 --every 1.5 --duration 25 --grace 5 \
	--ready "$T/ctl.ready" "$T/ctl-trickle.json" 2>"$T/ctl-trickle.err" &
CTL_TRICKLE=$!
NS_PIDS+=("$CTL_TRICKLE")
ns_spawn web "$T/http-trickle.err" "$PY" "$TRICKLE" --tcp "$SRV4:8080" --clients 20 --every 1.5 \
	--duration 25 --grace 30 --ready "$T/http.ready" "$T/http-trickle.json"
HTTP_TRICKLE=$NS_PID
ns_wait_for 5 test -s "$T/ctl.ready" && ns_wait_for 5 test -s "$T/http.ready" ||
	{ notok "the trickling clients did not start"; indent <"$T/ctl-trickle.err"; finish; }
sleep 0.5

if timeout 5 "$SIPWARDEN" ctl -s "$SOCK" status --json >"$T/status1.json" 2>"$T/status1.err"; then
	ok "ctl status answers while 5 control clients and 20 HTTP clients trickle ($(jq_ "$T/status1.json" 'd["ctl"]["clients"]') control clients connected)"
else
	notok "ctl status while clients trickle: $(head -c 300 "$T/status1.err")"
fi
ns_spawn scan1 "$T/svmap1.log" timeout 8 svmap -p5060 $SRV4
if ns_wait_for 8 in_set $SCAN1; then
	ok "svmap $SCAN1 blocked (in the kernel set) while the clients trickle"
else
	notok "svmap $SCAN1 not blocked within 8 s while the clients trickle"
	indent 10 <"$T/svmap1.log"
fi
sleep 3   # a second scanner, after the first tricklers have been replaced
ns_spawn scan2 "$T/svmap2.log" timeout 8 svmap -p5060 $SRV4
if ns_wait_for 8 in_set $SCAN2; then
	ok "a second scanner $SCAN2 blocked while the clients still trickle"
else
	notok "second scanner $SCAN2 not blocked within 8 s"
fi
timeout 5 "$SIPWARDEN" ctl -s "$SOCK" status >/dev/null 2>&1 && ok "ctl status answers again meanwhile" ||
	notok "ctl status meanwhile"

# ---- every trickling control connection was dropped at its deadline ----------------
ns_wait_for 40 eval '! ns_alive $CTL_TRICKLE'
wait "$CTL_TRICKLE" 2>/dev/null
if [ -s "$T/ctl-trickle.json" ]; then
	conns=$(jq_ "$T/ctl-trickle.json" 'd["connections"]')
	dropped=$(jq_ "$T/ctl-trickle.json" 'd["dropped"]')
	left=$(jq_ "$T/ctl-trickle.json" 'd["open_at_end"]')
	longest=$(jq_ "$T/ctl-trickle.json" 'max(d["lifetimes"] or [0])')
	if [ "$conns" -ge 20 ] && [ "$dropped" = "$conns" ] && [ "$left" = 0 ]; then
		ok "all $conns trickling control connections were closed by the daemon (none left open; longest lived ${longest} s)"
	else
		notok "trickling control connections: $conns opened, $dropped closed by the daemon, $left left open"
	fi
	ctl status --json >"$T/status2.json"
	timeouts=$(jq_ "$T/status2.json" 'd["ctl"]["request_timeouts"]' 2>/dev/null)
	if [ "${timeouts:-0}" -ge "$conns" ] 2>/dev/null; then
		ok "ctl status counts them: $timeouts request timeouts (>= $conns)"
	else
		notok "ctl status request_timeouts $timeouts, want >= $conns"
	fi
	m=$(metric 'sipwarden_ctl_dropped_total{reason="request_timeout"}')
	if [ -n "$m" ] && [ "$m" -ge "$conns" ] 2>/dev/null; then
		ok "/metrics counts them: sipwarden_ctl_dropped_total{reason=\"request_timeout\"} $m"
	else
		notok "/metrics request_timeout '$m', want >= $conns"
	fi
else
	notok "the control trickler wrote no result: $(head -c 300 "$T/ctl-trickle.err")"
fi
ns_stop "$HTTP_TRICKLE" TERM 3

# ---- the limit on clients ------------------------------------------------------------
"$PY" - "$SOCK" >"$T/limit.out" 2>&1 <<'EOF'
import socket, sys, time
conns, refused = [], 0
for i in range(40):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
time.sleep(0.5)
for s in conns:
    s.settimeout(0.1)
    try:
        if s.recv(100).startswith(b"error\ntoo many control clients"):
            refused += 1
    except socket.timeout:
        pass
print(refused)
EOF
refused=$(tail -1 "$T/limit.out")
ctl status --json >"$T/status3.json"
counted=$(jq_ "$T/status3.json" 'd["ctl"]["refused"]' 2>/dev/null)
if [ "${refused:-0}" -gt 0 ] && [ "${counted:-0}" -ge "$refused" ] 2>/dev/null; then
	ok "40 idle connections at once: $refused refused with an error, counted ($counted); ctl status answers after"
else
	notok "client limit: ${refused:-?} refused, $counted counted: $(head -3 "$T/limit.out" | tr '\n' ' ')"
fi
ns_alive "$DPID" && ok "the daemon is still running" || notok "the daemon died: $(tail -3 "$T/daemon.log")"
finish
