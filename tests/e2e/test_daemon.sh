#!/bin/bash
# test_daemon.sh: end-to-end test of the live daemon ("sipwarden run") with its
# kernel firewall, once per firewall backend (nftables, then ipset).
#
# For each backend a throw-away network is built with tests/lib/netns.sh: a
# server namespace running Kamailio (tests/e2e/kamailio.cfg) and sipwarden
# (its nft table / ipsets + iptables chain live in that namespace only), a
# phone that registers correctly throughout, and attacker namespaces.
# Checked, with real packets:
#   blacklist     config entries are in the kernel set (permanent) at start
#                 and their traffic is dropped; "ctl blacklist add" blocks at once
#   detection     a sipsak password guesser is blocked (bad_registration), svmap
#                 (scanner); the guesser then gets no answers, Kamailio sees
#                 nothing more from it, the drop rule's counter grows
#   expiry        block_time = 3s: the element leaves the set, ctl list drops
#                 it, an unblock event is logged, the guesser is answered again
#   whitelist     a whitelisted guesser gets an alert, never a block; adding a
#                 blocked address to the whitelist unblocks it at once
#   ctl           block/unblock (v4, v6, prefix, permanent) change the set and
#                 the reachability; errors give a message and a non-zero exit
#   holes         a prefix block stays one set element with whitelisted holes:
#                 the whitelisted host inside still reaches Kamailio (accept
#                 rule ahead of the drop sets), a neighbour does not; "ctl
#                 whitelist add/del" opens and closes a hole at once, a reload
#                 opens one
#   persistence   kill -9, restart: a manual 300 s block is still in the set
#                 with its remaining time and in ctl list; block_threshold = 2
#                 counts across restarts (the third dynamic block is permanent)
#   SIGHUP        a broken config is refused (FILE:LINE: on stderr), the old
#                 one stays; a valid change is applied
#   TCP           an attacker's established TCP connection is cut off by its
#                 block (an OPTIONS on the same connection gets no answer)
#   threshold     manual blocks (ctl block) do not count toward block_threshold
#                 after restarts either (the running daemon does not count
#                 them: verdict.c vrd_block_manual)
#   exit          keep_blocks_on_exit = yes (default) leaves table and elements
#                 after SIGTERM; = no removes them (stopped with SIGINT)
# and, at the end, that the machine's own namespace has no table or set of
# ours (read-only: nft list tables, ipset list -n).
#
# Environment: SIPWARDEN (default build/sipwarden, relative to the repo root),
# SW_BACKENDS (default "nftables ipset"), SW_KEEP_LOGS=DIR (copy the logs
# there).  Output: "ok - ..." / "not ok - ..." per check, "# ..." comments,
# then "N passed, N failed"; exit status 1 on any failure.  Needs root and:
# ip, ss, kamailio, sipsak, svmap, nft, ipset, iptables, ip6tables,
# /usr/bin/python3.  Creates nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
DH=$HERE/daemon
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
BACKENDS=${SW_BACKENDS:-nftables ipset}
T_START=$SECONDS

. "$ROOT/tests/lib/tap.sh"
# check LABEL CMD...: ok when CMD succeeds.
check() {
	local label=$1; shift
	if "$@"; then ok "$label"; else notok "$label"; return 1; fi
}
# res LABEL: ok / not ok from the status of the command just run.
res() { if [ $? -eq 0 ]; then ok "$1"; else notok "$1"; return 1; fi; }
# fails_with RC OUTPUT REGEX: RC is non-zero and OUTPUT matches REGEX.
fails_with() { [ "$1" -ne 0 ] && grep -qEi -- "$3" <<<"$2"; }

# ---- preconditions ------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
missing=()
for t in ip ss kamailio sipsak svmap nft ipset iptables ip6tables timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -ne 0 ]; then
	notok "missing tools: ${missing[*]} (Debian: iproute2 kamailio sipsak sipvicious nftables ipset iptables python3)"
	finish
fi
if [ ! -x "$SIPWARDEN" ]; then
	notok "sipwarden binary $SIPWARDEN missing (make build/sipwarden, or set SIPWARDEN)"
	finish
fi
if ! "$SIPWARDEN" --help 2>&1 | grep -q '^ *run '; then
	notok "$SIPWARDEN has no 'run' command (a build without the daemon?)"
	finish
fi

# The machine's own namespace, read-only, before we start.
ROOT_TABLES_BEFORE=$(nft list tables 2>&1)
ROOT_SETS_BEFORE=$(ipset list -n 2>&1)

. "$ROOT/tests/lib/netns.sh"

TMPROOT=$(mktemp -d /tmp/sw-daemon.XXXXXX) || { notok "mktemp"; finish; }
chmod 755 "$TMPROOT"
TABLES_USED=()
cleanup() {
	local rc=$?
	ns_cleanup    # stops every process we started (by pid), deletes our namespaces
	if [ -n "${SW_KEEP_LOGS:-}" ]; then
		mkdir -p "$SW_KEEP_LOGS" && cp -r "$TMPROOT"/. "$SW_KEEP_LOGS"/ 2>/dev/null
	fi
	rm -rf "$TMPROOT"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- addresses and users ----------------------------------------------------------
SRV4=198.51.100.1 SRV6=2001:db8:100::1
PHONE=198.51.100.10      # registers as 1003 throughout
A1=198.51.100.66         # sipsak password guesser (bad_registration)
SCAN=198.51.100.67       # svmap (scanner)
TCPA=198.51.100.70       # TCP guesser on one connection
WL=198.51.100.77         # whitelisted in the config, guesses anyway
WL6=2001:db8:80::77      # the same host's IPv6 address (a neighbour of $M6)
M4=198.51.100.80 M6=2001:db8:80::80   # blocked and unblocked by hand
BLNET=203.0.113.0/24 BLHOST=203.0.113.5   # blacklisted prefix (config) and a host in it
BL1=198.51.100.90        # blacklisted address (config)
BL2=198.51.100.91        # blacklisted with ctl
WLB=198.51.100.81        # blocked, then whitelisted with ctl
P300=198.51.100.85       # ctl block 300 s before kill -9
DEF=198.51.100.86        # ctl block with the default block_time
PW1003=cedar-1003-heron  # tests/e2e/kamailio.cfg

# ---- helpers (they use the per-run globals set in run_backend) ----------------------

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# between X LO HI: LO <= X <= HI (decimals allowed)
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x + 0 >= lo + 0 && x + 0 <= hi + 0) }'; }

ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
fw() { ns_exec srv "$PY" "$DH/fwdump.py" "$1" "$BACKEND" "$TABLE"; }
# elem ADDR: prints the seconds left (or "permanent") when ADDR is in our sets.
elem() { fw elems | awk -v a="$1" '$1 == a { print $2; f = 1 } END { exit !f }'; }
in_set() { elem "$1" >/dev/null; }
# given ADDR: the timeout ADDR's element was given, in seconds (nftables
# lists it exactly; ipset lists only the seconds left).
given() { fw timeouts | awk -v a="$1" '$1 == a { print $2; f = 1 } END { exit !f }'; }
not_in_set() { ! elem "$1" >/dev/null; }
drops() { fw drops; }
fw_state() { fw state; }
# listed ADDR: ADDR is in "ctl list --json"; prints its entry.
listed() {
	ctl list --json 2>/dev/null | "$PY" "$DH/dj.py" get \
		"[x for x in d if x['ip'] == '$1'][0]" 2>/dev/null
}
not_listed() {
	local out
	out=$(ctl list --json 2>/dev/null) || return 1
	! printf '%s' "$out" | "$PY" "$DH/dj.py" get "[x for x in d if x['ip'] == '$1'][0]" >/dev/null 2>&1
}
status_get() { ctl status --json 2>/dev/null | "$PY" "$DH/dj.py" get "$1"; }
# events EXPR: event lines of all daemon logs of this run matching EXPR (e).
events() { "$PY" "$DH/dj.py" events "$1" "${DLOGS[@]}"; }
no_event() { ! events "$1" >/dev/null; }
# options ROLE SRC [TIMEOUT] [--tcp]: one OPTIONS to the server; exit 0 on 200, 3 on none.
options() {
	local role=$1 src=$2 to=${3:-1.0} dst=$SRV4
	case $src in *:*) dst=$SRV6 ;; esac
	ns_exec "$role" "$PY" "$DH/sipc.py" options "$src" "$dst" --timeout "$to" "${@:4}" >/dev/null 2>&1
}
options_answered() { options "$@"; }
options_unanswered() { options "$@"; [ $? -eq 3 ]; }
# guess ROLE SRC USER N: one sipsak registration with a wrong password (N-th
# word); returns sipsak's status (1: answered non-2xx, 3/124: no answer).
WORDS=(123456 password 1234 12345 admin secret qwerty voip sip 111111 000000 pass 654321 abc123 letmein)
guess() {
	local role=$1 src=$2 user=$3 n=$4 to=${5:-2}
	ns_exec "$role" timeout "$to" sipsak -U -E udp -H "$src" -C "sip:$user@$src" \
		-a "${WORDS[n % ${#WORDS[@]}]}" -u "$user" -s "sip:$user@$SRV4" >>"$T/guess-$role.log" 2>&1
}
# kam_failed SRC: the failed authentications Kamailio answered SRC (403 to a
# wrong password, a new 401 to credentials it would not take): what the
# bad_registration rule counts, one per answer however often it is resent.
kam_failed() { grep -cE "(wrong password for|rc=-?[0-9]+ for) \[[^]]*\] from $1(\$|,)" "$KLOG"; }
# attack_until_blocked ROLE SRC USER MAX: wrong passwords until SRC is in our
# sets, exactly at the rule's count (bad_registrations = 5/1m): SRC is not
# in the set while the server has answered it fewer than 5 failures, and is
# within 5 s of the 5th.  Prints 5; fails (a note on stderr says why) on a
# block after fewer or more failures, or none within MAX guesses.
attack_until_blocked() {
	local role=$1 src=$2 user=$3 max=$4 i f f0
	f0=$(kam_failed "$src")
	for ((i = 1; i <= max; i++)); do
		guess "$role" "$src" "$user" "$i"
		if in_set "$src"; then # blocked: after how many answered failures?
			sleep 0.2
			f=$(($(kam_failed "$src") - f0))
			[ "$f" -eq 5 ] && { echo 5; return 0; }
			note "$src blocked when the server had answered it $f failed registrations (rule: 5)" >&2
			return 1
		fi
		f=$(($(kam_failed "$src") - f0))
		[ "$f" -lt 5 ] && continue
		if [ "$f" -eq 5 ] && ns_wait_for 5 in_set "$src"; then
			echo 5
			return 0
		fi
		note "$src not blocked 5 s after $f failed registrations (rule: 5)" >&2
		return 1
	done
	note "$src: $max guesses, $(($(kam_failed "$src") - f0)) failures answered, no block" >&2
	return 1
}
# kam_seen SRC: how many requests Kamailio logged from SRC with our probe's UA.
kam_seen() { grep -c "from $1:.*ua=\[sipwarden-e2e-client\]" "$KLOG"; }

write_conf() { # write_conf FILE BLOCK_TIME KEEP(yes|no|"") [MORE_WHITELIST]
	{
		echo "# written by test_daemon.sh"
		echo "[general]"
		echo "interfaces = $IFACES"
		echo "database = $T/db/sipwarden.db"
		echo "ctl_socket = $T/run/ctl.sock"
		echo "capture_buffer = 16M"
		echo "retention = 90d"
		echo "block_time = $2"
		echo "block_threshold = 2"
		# this test blocks many hosts of one /24 by hand and by rule; an
		# aggregate of them would cover the phone and the TCP guesser
		# (aggregation is tested in test_rules_replay.sh)
		echo "aggregate_after = 0"
		echo "[sip]"
		echo "bad_registrations = 5/1m"
		echo "[lists]"
		echo "whitelist = 127.0.0.0/8, ::1, $WL${4:+, $4}"
		echo "blacklist = $BLNET, $BL1"
		echo "[firewall]"
		echo "backend = $BACKEND"
		echo "table = $TABLE"
		echo "scope = all"
		[ -n "$3" ] && echo "keep_blocks_on_exit = $3"
	} >"$1"
}

# daemon_start: starts sipwarden in the server namespace; waits until it
# answers on its control socket.  DPID, DLOG; every log in DLOGS.
daemon_start() {
	DN=$((DN + 1))
	DLOG=$T/daemon$DN.log
	DLOGS+=("$DLOG")
	ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
	DPID=$NS_PID
	local i
	for ((i = 0; i < 150; i++)); do
		if ! ns_alive "$DPID"; then
			wait "$DPID" 2>/dev/null
			note "daemon (start $DN) exited at start; its stderr:"
			indent 30 <"$DLOG"
			return 1
		fi
		if grep -q '^sipwarden: running' "$DLOG" && ctl status >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	note "daemon (start $DN) not ready after 15 s; its stderr:"
	indent 30 <"$DLOG"
	return 1
}
# daemon_stop SIGNAL: signals the daemon, waits up to 10 s; DRC = exit status.
daemon_stop() {
	local i
	DRC=
	[ -n "$DPID" ] || return 1
	kill -s "$1" "$DPID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		ns_alive "$DPID" || break
		sleep 0.1
	done
	if ns_alive "$DPID"; then
		note "daemon pid $DPID ignored SIG$1 for 10 s; killing it"
		kill -KILL "$DPID" 2>/dev/null
	fi
	wait "$DPID" 2>/dev/null
	DRC=$?
	DPID=
}

# The phone: registers (REGISTER, 401, REGISTER with credentials, 200) every
# half second until the stop file appears; one line per registration.
phone_loop() { # ME SERVER USER PASSWORD STOPFILE
	local me=$1 srv=$2 user=$3 pw=$4 stop=$5 i=0 rc
	while [ ! -e "$stop" ]; do
		i=$((i + 1))
		timeout 5 sipsak -U -E udp -H "$me" -C "sip:$user@$me" -x 60 -a "$pw" -u "$user" \
			-s "sip:$user@$srv" >/dev/null 2>&1
		rc=$?
		echo "register $i rc=$rc at $(date +%s.%N)"
		sleep 0.5
	done
}

# ---- one backend -------------------------------------------------------------------

run_backend() {
	BACKEND=$1
	local tag=${BACKEND:0:1} L
	L="[$BACKEND]"
	T=$TMPROOT/$BACKEND
	mkdir -p "$T/kamailio"
	TABLE=swt$$$tag
	TABLES_USED+=("$TABLE")
	CONF=$T/sipwarden.conf
	SOCK=$T/run/ctl.sock
	DN=0 DLOGS=() DPID=
	# nftables captures on "any", ipset on the server's interface: both are
	# supported and each run covers one.
	if [ "$BACKEND" = nftables ]; then IFACES=any; else IFACES=eth0; fi
	local t0=$SECONDS

	# the network
	NS_PREFIX=swd$$$tag NS_CLEANED=0 NS_PORTS=0
	if ! ns_init; then notok "$L cannot create namespaces"; return; fi
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local r
	declare -A v4=([srv]=$SRV4 [phone]=$PHONE [a1]=$A1 [scan]=$SCAN [tcpa]=$TCPA [wl]=$WL
		[m]=$M4 [bl]=$BLHOST)
	declare -A v6=([srv]=$SRV6 [m]=$M6 [wl]=$WL6)
	for r in srv phone a1 scan tcpa wl m bl; do
		if ! ns_add_host "$r" "${v4[$r]}" "${v6[$r]:-}"; then
			notok "$L cannot create host $r"
			ns_cleanup
			return
		fi
	done

	# Kamailio
	KLOG=$T/kamailio/kamailio.log
	ns_spawn srv "$KLOG" kamailio -DD -E -f "$HERE/kamailio.cfg" \
		-P "$T/kamailio/kamailio.pid" -Y "$T/kamailio" -w "$T/kamailio" -m 64 -M 8
	local kpid=$NS_PID
	if ! ns_wait_for 15 ns_listening srv udp $SRV4 5060 || ! ns_wait_for 15 ns_listening srv tcp $SRV4 5060 ||
		! ns_wait_for 15 ns_listening srv udp $SRV6 5060; then
		notok "$L kamailio is not listening"
		indent 20 <"$KLOG"
		ns_cleanup
		return
	fi
	check "$L sanity: the phone namespace reaches Kamailio (OPTIONS 200) before sipwarden runs" \
		options_answered phone $PHONE 2

	# the phone, throughout
	ns_spawn phone "$T/phone.log" bash -c "$(declare -f phone_loop); phone_loop \"\$@\"" phone_loop \
		"$PHONE" "$SRV4" 1003 "$PW1003" "$T/phone.stop"
	local phone_pid=$NS_PID

	# ---- start ----------------------------------------------------------------
	write_conf "$CONF" 3s ""
	if ! daemon_start; then
		notok "$L daemon starts (sipwarden run -c $CONF in the server namespace)"
		ns_cleanup
		return
	fi
	ok "$L daemon starts and answers on its control socket"
	local st
	st=$(fw_state)
	if [ "$st" = present ]; then
		ok "$L firewall objects created in the server namespace ($([ "$BACKEND" = nftables ] &&
			echo "table inet $TABLE: sets v4 v6, chain prerouting hook raw, saddr @set counter drop" ||
			echo "ipsets ${TABLE}4 ${TABLE}6, raw chain $TABLE, jump from PREROUTING"))"
	else
		notok "$L firewall objects in the server namespace: $st"
		fw describe | indent 40
	fi
	local be
	be=$(status_get 'd["firewall"]["backend"]')
	check "$L ctl status --json: firewall.backend = $BACKEND (got '$be')" [ "$be" = "$BACKEND" ]

	# ---- 5a. blacklist at start -----------------------------------------------
	local e
	e=$(elem $BLNET)
	check "$L blacklisted prefix $BLNET in the kernel set at start, permanent (got '${e:-absent}')" \
		[ "$e" = permanent ]
	e=$(elem $BL1)
	check "$L blacklisted address $BL1 in the kernel set at start, permanent (got '${e:-absent}')" \
		[ "$e" = permanent ]
	check "$L a host in the blacklisted prefix ($BLHOST) gets no answer to OPTIONS" \
		options_unanswered bl $BLHOST 1.0
	e=$(listed $BLNET)
	check "$L ctl list shows $BLNET as a permanent blacklist block ($e)" \
		grep -q '"detector": "blacklist".*"permanent": true' <<<"$e"

	# ---- 1. a password guesser is blocked --------------------------------------
	check "$L the guesser $A1 reaches Kamailio before its block (OPTIONS 200)" options_answered a1 $A1 2
	local n tb d0 d1
	if n=$(attack_until_blocked a1 $A1 1002 15); then
		tb=$(now)
		ok "$L sipsak password guesser $A1 blocked at exactly its ${n}th answered failure, not before (bad_registrations = 5/1m)"
		# Within the 3 s block: probes in parallel.
		d0=$(drops)
		local kseen0 lst p1 p2 rc1 rc2
		kseen0=$(kam_seen $A1)
		ns_exec a1 timeout 1.2 sipsak -U -E udp -H $A1 -C "sip:1002@$A1" -a nope -u 1002 \
			-s "sip:1002@$SRV4" >/dev/null 2>&1 &
		p1=$!
		options a1 $A1 1.0 &
		p2=$!
		lst=$(listed $A1)
		wait $p1; rc1=$?
		wait $p2; rc2=$?
		d1=$(drops)
		note "probes done $(elapsed "$tb") s after the block was seen"
		[ "$rc1" = 3 ] || [ "$rc1" = 124 ]
		res "$L while blocked, sipsak -U from $A1 gets no answer (exit $rc1: 3 = no answer, 124 = timeout)"
		check "$L while blocked, OPTIONS from $A1 gets no answer (sipc exit $rc2)" [ "$rc2" = 3 ]
		check "$L while blocked, Kamailio logs no request from $A1 ($kseen0 before, $(kam_seen $A1) after)" \
			[ "$(kam_seen $A1)" = "$kseen0" ]
		check "$L the drop rule counter grows while $A1 is blocked ($d0 -> $d1)" \
			[ "${d1:-0}" -gt "${d0:-0}" ]
		check "$L ctl list shows $A1 while blocked ($lst)" grep -q '"detector": "bad_registration"' <<<"$lst"
		e=$(events "e['event']=='block' and e['ip']=='$A1'" | head -1)
		check "$L block event for $A1: detector bad_registration, exactly 5 failures, duration_s 3 ($e)" \
			grep -q '"detector":"bad_registration".*"count":5,.*"duration_s":3,' <<<"$e"

		# ---- 2. expiry ------------------------------------------------------------
		if ns_wait_for 8 not_in_set $A1; then
			local el; el=$(elapsed "$tb")
			check "$L $A1 left the kernel set by itself ${el} s after its block was seen (block_time 3s)" \
				between "$el" 1.5 5.5
		else
			notok "$L $A1 still in the kernel set 8 s after a 3 s block: $(elem $A1)"
		fi
		check "$L ctl list no longer shows $A1 after its block time" ns_wait_for 3 not_listed $A1
		check "$L after the block time, $A1 reaches Kamailio again (OPTIONS 200)" \
			ns_wait_for 4 options_answered a1 $A1 1.0
		e=$(events "e['event']=='unblock' and e['ip']=='$A1'" | head -1)
		check "$L unblock event logged for $A1 ($e)" [ -n "$e" ]
	else
		notok "$L sipsak password guesser $A1 not blocked after 15 wrong passwords"
		tail -5 "$DLOG" | indent
	fi

	# svmap: a scanner, blocked at its first message (svmap itself runs for
	# longer than the 3 s block: watch the set while it runs).
	ns_spawn scan "$T/svmap.log" timeout 15 svmap -p5060 $SRV4
	local svpid=$NS_PID
	if ns_wait_for 5 in_set $SCAN; then
		e=$(events "e['event']=='block' and e['ip']=='$SCAN'" | head -1)
		check "$L svmap $SCAN blocked as a scanner ($e)" grep -q '"detector":"scanner"' <<<"$e"
	else
		notok "$L svmap $SCAN not blocked (not in the kernel set within 5 s)"
		indent 10 <"$T/svmap.log"
		note "Kamailio saw: $(grep -m1 "from $SCAN:" "$KLOG")"
		note "status: $(ctl status --json 2>&1 | "$PY" "$DH/dj.py" get \
			'{k: d[k] for k in ("packets", "sip_messages", "requests", "responses", "anomalies")} | {"scanner": d["detectors"]["scanner"]}')"
	fi
	ns_wait_for 16 eval '! ns_alive $svpid'
	wait "$svpid" 2>/dev/null

	# ---- 4. whitelist -----------------------------------------------------------------
	local i last=
	for ((i = 1; i <= 7; i++)); do
		guess wl $WL 1001 "$i"
		last=$?
	done
	sleep 0.3
	check "$L whitelisted guesser $WL (7 wrong passwords) is not in the kernel set" not_in_set $WL
	check "$L whitelisted guesser $WL is still answered (last sipsak exit $last; 1 = a 403 came back)" [ "$last" = 1 ]
	e=$(events "e['event']=='alert' and e['ip']=='$WL'" | head -1)
	check "$L alert event for the whitelisted guesser ($e)" grep -q '"detector":"bad_registration"' <<<"$e"
	check "$L no block event for the whitelisted guesser" no_event "e['event']=='block' and e['ip']=='$WL'"
	local out rc
	out=$(ctl block $WL 2>&1); rc=$?
	check "$L ctl block of a whitelisted address: non-zero exit ($rc), error ($out)" fails_with $rc "$out" whitelist
	ctl block $WLB 300 >/dev/null 2>&1
	check "$L ctl block $WLB 300: in the kernel set" in_set $WLB
	out=$(ctl whitelist add $WLB --comment "test" 2>&1); rc=$?
	check "$L ctl whitelist add $WLB succeeds ($out)" [ $rc -eq 0 ]
	check "$L adding the blocked $WLB to the whitelist removes it from the kernel set at once" \
		ns_wait_for 1 not_in_set $WLB
	check "$L ... and from ctl list" not_listed $WLB
	e=$(events "e['event']=='unblock' and e['ip']=='$WLB'" | head -1)
	check "$L unblock event for $WLB ($e)" [ -n "$e" ]
	out=$(ctl whitelist list 2>&1)
	grep -q "$WLB.*ctl" <<<"$out" && grep -q "$WL.*config" <<<"$out"
	res "$L ctl whitelist list shows $WLB (ctl) and $WL (config)"
	check "$L ctl whitelist del $WLB" quiet ctl whitelist del $WLB

	# ---- 5b. blacklist at run time --------------------------------------------------
	out=$(ctl blacklist add $BL2 2>&1); rc=$?
	check "$L ctl blacklist add $BL2 succeeds ($out)" [ $rc -eq 0 ]
	e=$(elem $BL2)
	check "$L ... $BL2 is in the kernel set at once, permanent (got '${e:-absent}')" [ "$e" = permanent ]
	ctl blacklist list 2>&1 | grep -q "$BL2"
	res "$L ctl blacklist list shows $BL2"

	# ---- 6. ctl block / unblock and errors --------------------------------------------
	options_answered m $M4 2 && options_answered m $M6 2
	res "$L $M4 and [$M6] reach Kamailio before any manual block"
	out=$(ctl block $M4 60 --reason "e2e test" 2>&1); rc=$?
	check "$L ctl block $M4 60 ($out)" [ $rc -eq 0 ]
	e=$(elem $M4)
	check "$L ... $M4 in the kernel set with about 60 s left (got '${e:-absent}')" between "${e:-0}" 55 60
	if [ "$BACKEND" = nftables ]; then
		e=$(given $M4)
		check "$L ... its element's timeout is 60 s exactly (got '${e:-absent}')" [ "$e" = 60 ]
	fi
	check "$L ... OPTIONS from $M4 gets no answer" options_unanswered m $M4 1.0
	out=$(ctl block $M4 2>&1); rc=$?
	[ $rc -eq 0 ] && grep -q 'already blocked' <<<"$out"
	res "$L ctl block of a blocked address says so and exits 0 ($out)"
	out=$(ctl unblock $M4 2>&1); rc=$?
	check "$L ctl unblock $M4 ($out)" [ $rc -eq 0 ]
	check "$L ... $M4 leaves the kernel set" not_in_set $M4
	check "$L ... OPTIONS from $M4 is answered again" ns_wait_for 3 options_answered m $M4 1.0
	# a second manual block of $M4 (see "manual blocks and block_threshold" below)
	quiet ctl block $M4 60 && quiet ctl unblock $M4
	res "$L ctl block + unblock $M4 a second time"
	out=$(ctl block $M6 permanent 2>&1); rc=$?
	check "$L ctl block $M6 permanent ($out)" [ $rc -eq 0 ]
	e=$(elem $M6)
	check "$L ... $M6 in the kernel set, permanent (got '${e:-absent}')" [ "$e" = permanent ]
	check "$L ... OPTIONS from [$M6] gets no answer" options_unanswered m $M6 1.0
	check "$L ctl unblock $M6" quiet ctl unblock $M6
	check "$L ... $M6 leaves the kernel set" not_in_set $M6
	check "$L ... OPTIONS from [$M6] is answered again" ns_wait_for 3 options_answered m $M6 1.0
	out=$(ctl block 2001:db8:80::/64 60 2>&1); rc=$?
	check "$L ctl block 2001:db8:80::/64 60 (a prefix) ($out)" [ $rc -eq 0 ]
	check "$L ... the prefix is in the kernel set" in_set 2001:db8:80::/64
	check "$L ... OPTIONS from [$M6] inside it gets no answer" options_unanswered m $M6 1.0
	check "$L ctl unblock 2001:db8:80::/64" quiet ctl unblock 2001:db8:80::/64
	check "$L ... the prefix leaves the kernel set" not_in_set 2001:db8:80::/64

	# ---- 6b. a prefix block with whitelisted holes ------------------------------------
	HOLE4=198.51.100.64/28   # holds $A1 and the whitelisted $WL
	out=$(ctl block $HOLE4 60 2>&1); rc=$?
	check "$L ctl block $HOLE4 60, a prefix holding the whitelisted $WL ($out)" [ $rc -eq 0 ]
	check "$L ... one element in the kernel set" in_set $HOLE4
	check "$L ... $WL (whitelisted in the config) inside it still reaches Kamailio" options_answered wl $WL 2
	check "$L ... its neighbour $A1 gets no answer" options_unanswered a1 $A1 1.0
	check "$L ctl unblock $HOLE4" quiet ctl unblock $HOLE4
	check "$L ctl whitelist add $M6" quiet ctl whitelist add $M6
	check "$L ctl block 2001:db8:80::/64 60 (holds the whitelisted $M6)" quiet ctl block 2001:db8:80::/64 60
	check "$L ... one element in the kernel set" in_set 2001:db8:80::/64
	check "$L ... [$M6] inside it still reaches Kamailio" options_answered m $M6 2
	check "$L ... its neighbour [$WL6] gets no answer" options_unanswered wl $WL6 1.0
	check "$L ctl whitelist del $M6" quiet ctl whitelist del $M6
	check "$L ... the hole closes at once: [$M6] gets no answer" ns_wait_for 3 options_unanswered m $M6 1.0
	check "$L ctl unblock 2001:db8:80::/64" quiet ctl unblock 2001:db8:80::/64
	check "$L ... [$M6] is answered again" ns_wait_for 3 options_answered m $M6 1.0
	out=$(ctl block 999.1.2.3 2>&1); rc=$?
	check "$L ctl block 999.1.2.3: non-zero exit ($rc) and a clear error ($out)" \
		fails_with $rc "$out" 'not an address'
	out=$(ctl block 198.51.100.1/24 2>&1); rc=$?
	check "$L ctl block 198.51.100.1/24 (host bits set): non-zero exit ($rc), error ($out)" \
		fails_with $rc "$out" 'host bits'
	out=$(ctl block 198.51.100.99 banana 2>&1); rc=$?
	check "$L ctl block ADDR banana: non-zero exit ($rc), error ($out)" \
		fails_with $rc "$out" 'duration'
	check "$L ... and 198.51.100.99 was not blocked" not_in_set 198.51.100.99
	out=$(ctl frobnicate 2>&1); rc=$?
	check "$L ctl frobnicate: non-zero exit ($rc), error ($out)" \
		fails_with $rc "$out" 'unknown command'
	out=$("$SIPWARDEN" ctl -s "$T/run/nobody-here.sock" status 2>&1); rc=$?
	check "$L ctl with no daemon on the socket: non-zero exit ($rc), 'cannot connect ... (is the daemon running?)' ($out)" \
		fails_with $rc "$out" 'cannot connect.*\(is the daemon running\?\)'

	# ---- 3. persistence: kill -9 and restart -----------------------------------------
	out=$(ctl block $P300 300 2>&1); rc=$?
	check "$L ctl block $P300 300 ($out)" [ $rc -eq 0 ]
	ns_wait_for 3 listed $P300 >/dev/null
	local tp
	tp=$(now)
	sleep 1.5
	{
		kill -KILL "$DPID"
		ns_wait_for 5 eval '! ns_alive $DPID'
		wait "$DPID"
	} 2>/dev/null
	DPID=
	check "$L after kill -9 of the daemon, $P300 is still in the kernel set ($(elem $P300))" in_set $P300
	# an element the store does not know, added while the daemon is down
	local STRAY=198.51.100.123
	if [ "$BACKEND" = nftables ]; then
		ns_exec srv nft add element inet "$TABLE" v4 "{ $STRAY timeout 600s }"
	else
		ns_exec srv ipset add "${TABLE}4" $STRAY timeout 600
	fi
	check "$L a stray element $STRAY was added to our set while the daemon was down" in_set $STRAY
	out=$(ctl status 2>&1); rc=$?
	check "$L ctl after kill -9 (stale socket): non-zero exit ($rc) and 'cannot connect ... (is the daemon running?)' ($out)" \
		fails_with $rc "$out" 'cannot connect.*\(is the daemon running\?\)'
	if daemon_start; then
		ok "$L daemon restarts after kill -9"
		local el left rs
		el=$(elapsed "$tp")
		left=$(elem $P300)
		check "$L after the restart, $P300 is in the kernel set with its remaining time (${left:-absent} s left, ~$((300 - ${el%.*})) expected)" \
			between "${left:-0}" "$(awk -v e="$el" 'BEGIN{print 300 - e - 4}')" "$(awk -v e="$el" 'BEGIN{print 300 - e + 1}')"
		rs=$(listed $P300 | "$PY" "$DH/dj.py" get 'd["remaining_s"]' 2>/dev/null)
		check "$L ctl list shows $P300 with remaining_s ${rs:-none} (~$((300 - ${el%.*})))" \
			between "${rs:-0}" "$(awk -v e="$el" 'BEGIN{print 300 - e - 4}')" "$(awk -v e="$el" 'BEGIN{print 300 - e + 1}')"
		e=$(elem $BL2)
		check "$L the ctl-added blacklist entry $BL2 is still blocked after the restart (got '${e:-absent}')" \
			[ "$e" = permanent ]
		check "$L the expired block of $A1 was not brought back" not_in_set $A1
		check "$L the stray element $STRAY (unknown to the store) was removed at start" not_in_set $STRAY
		grep '^sipwarden: restored' "$DLOG" | indent 2
	else
		notok "$L daemon restarts after kill -9"
	fi

	# block_threshold = 2 across restarts: $A1 had one dynamic block (above).
	if n=$(attack_until_blocked a1 $A1 1002 15); then
		e=$(events "e['event']=='block' and e['ip']=='$A1'" | sed -n 2p)
		check "$L second block of $A1 (new daemon) is dynamic: duration_s 3 ($e)" \
			grep -q '"duration_s":3,' <<<"$e"
		ns_wait_for 8 not_in_set $A1 || notok "$L $A1 (second block) did not expire"
		ctl list >/dev/null 2>&1  # lets the store catch up
	else
		notok "$L $A1 not blocked a second time (after kill -9 and restart)"
	fi
	daemon_stop TERM
	check "$L SIGTERM: the daemon exits 0 (got $DRC)" [ "$DRC" = 0 ]
	if daemon_start; then
		local tperm
		if n=$(attack_until_blocked a1 $A1 1002 15); then
			tperm=$(now)
			e=$(events "e['event']=='block' and e['ip']=='$A1'" | sed -n 3p)
			check "$L third block of $A1 (after two restarts) is permanent: duration_s 0 ($e)" \
				grep -q '"duration_s":0,' <<<"$e"
			e=$(elem $A1)
			check "$L ... in the kernel set without a timeout (got '${e:-absent}')" [ "$e" = permanent ]
			e=$(listed $A1)
			check "$L ... ctl list shows it permanent ($e)" grep -q '"permanent": true' <<<"$e"
		else
			notok "$L $A1 not blocked a third time"
		fi
	else
		notok "$L daemon restarts after SIGTERM"
		tperm=
	fi

	# Manual blocks and block_threshold: in the running daemon a block by
	# hand does not count as a dynamic block (verdict.c vrd_block_manual),
	# so the same must hold after restarts: $M4 had two manual blocks and no
	# detector block, so its first detected block is a dynamic one.
	if n=$(attack_until_blocked m $M4 1004 15); then
		e=$(events "e['event']=='block' and e['ip']=='$M4' and e['detector']=='bad_registration'" | head -1)
		check "$L manual blocks do not count toward block_threshold after restarts: first detected block of $M4 (2 manual blocks before) is dynamic, duration_s 3 ($e)" \
			grep -q '"duration_s":3,' <<<"$e"
	else
		notok "$L $M4 not blocked by its guessing"
	fi

	# ---- 7. SIGHUP ---------------------------------------------------------------
	local bt line
	write_conf "$CONF" banana ""
	line=$(grep -n '^block_time' "$CONF" | cut -d: -f1)
	kill -HUP "$DPID"
	if ns_wait_for 5 grep -q 'reload failed' "$DLOG"; then
		ok "$L SIGHUP with block_time = banana: the reload is refused"
	else
		notok "$L SIGHUP with block_time = banana: no 'reload failed' on stderr"
	fi
	check "$L ... stderr shows $CONF:$line: ($(grep -m1 "^$CONF:" "$DLOG"))" grep -q "^$CONF:$line: " "$DLOG"
	check "$L ... the daemon keeps running" ns_alive "$DPID"
	bt=$(status_get 'd["config"]["block_time_s"]')
	check "$L ... ctl status --json still shows block_time_s 3 (got '$bt')" [ "$bt" = 3 ]
	out=$(ctl reload 2>&1); rc=$?
	check "$L ctl reload with the broken file: non-zero exit ($rc), file:line error ($out)" \
		fails_with $rc "$out" "$CONF:$line:"
	write_conf "$CONF" 7s "" $M6
	kill -HUP "$DPID"
	check "$L SIGHUP with block_time = 7s, [$M6] whitelisted: 'configuration reloaded'" \
		ns_wait_for 5 grep -q '^sipwarden: configuration reloaded' "$DLOG"
	bt=$(status_get 'd["config"]["block_time_s"]')
	check "$L ... ctl status --json shows block_time_s 7 (got '$bt')" [ "$bt" = 7 ]
	check "$L ... ctl block 2001:db8:80::/64 60" quiet ctl block 2001:db8:80::/64 60
	check "$L ... [$M6], whitelisted by the reload, still reaches Kamailio" options_answered m $M6 2
	check "$L ... its neighbour [$WL6] gets no answer" options_unanswered wl $WL6 1.0
	check "$L ... ctl unblock 2001:db8:80::/64" quiet ctl unblock 2001:db8:80::/64
	ctl block $DEF >/dev/null 2>&1
	e=$(elem $DEF)
	check "$L ... a new block without a duration lasts 7 s (got '${e:-absent}' left)" between "${e:-0}" 5 7
	if [ "$BACKEND" = nftables ]; then
		e=$(given $DEF)
		check "$L ... its element's timeout is the reloaded block_time, 7 s exactly (got '${e:-absent}')" [ "$e" = 7 ]
	fi
	if [ -n "${tperm:-}" ]; then
		while ! between "$(elapsed "$tperm")" 4 999; do sleep 0.2; done
		e=$(elem $A1)
		check "$L the permanent block of $A1 is still there $(elapsed "$tperm") s later ('${e:-absent}')" \
			[ "$e" = permanent ]
	fi

	# ---- 8. TCP: an established connection is cut off --------------------------------
	rm -f "$T/tcp.flag"
	ns_spawn tcpa "$T/tcp.log" "$PY" "$DH/sipc.py" tcp-session $TCPA $SRV4 --user 1002 \
		--rounds 60 --pause 0.1 --timeout 1.5 --flag "$T/tcp.flag" --flag-wait 20
	local tcp_pid=$NS_PID
	d0=$(drops)
	if ns_wait_for 25 in_set $TCPA; then
		touch "$T/tcp.flag"
		ok "$L TCP guesser $TCPA blocked"
	else
		notok "$L TCP guesser $TCPA not blocked within 25 s"
		touch "$T/tcp.flag"
	fi
	ns_wait_for 15 eval '! ns_alive $tcp_pid'
	wait "$tcp_pid" 2>/dev/null
	d1=$(drops)
	note "TCP client: $(tr '\n' ';' <"$T/tcp.log")"
	local c1 c2
	c1=$(awk '$1 == "conn" { print $2 }' "$T/tcp.log")
	c2=$(awk '$1 == "conn-same" { print $2 }' "$T/tcp.log")
	check "$L TCP: OPTIONS on the new connection answered 200 before the block" \
		grep -qx 'options-before 200' "$T/tcp.log"
	check "$L TCP: wrong passwords answered 403 on that connection before the block" \
		grep -q '^round 1 401 403$' "$T/tcp.log"
	check "$L TCP: after the block, a request on the same connection gets no answer" \
		grep -q '^round [0-9]* .*timeout$' "$T/tcp.log"
	grep -qx 'options-after timeout' "$T/tcp.log" && [ -n "$c1" ] && [ "$c1" = "$c2" ]
	res "$L TCP: a further OPTIONS on the SAME connection ($c1 = $c2) gets no answer"
	check "$L TCP: the drop counter grows ($d0 -> $d1)" [ "${d1:-0}" -gt "${d0:-0}" ]
	e=$(events "e['event']=='block' and e['ip']=='$TCPA'" | head -1)
	check "$L TCP: block event bad_registration for $TCPA, at exactly 5 failures ($e)" \
		grep -q '"detector":"bad_registration".*"count":5,' <<<"$e"

	# ---- health -------------------------------------------------------------------------
	local fe le se
	fe=$(status_get 'd["firewall"]["errors"]')
	le=$(status_get 'd["firewall"]["last_error"]')
	se=$(status_get 'd["store"]["errors"]')
	check "$L ctl status: no firewall errors (errors ${fe:-?}, last_error '${le:-}')" [ "$fe" = 0 ]
	check "$L ctl status: no store errors (${se:-?})" [ "$se" = 0 ]
	out=$(ctl events --limit 1000 2>/dev/null | grep -c '"event"')
	check "$L ctl events returns the stored events (${out:-0} lines)" [ "${out:-0}" -ge 5 ]

	# ---- 9. keep_blocks_on_exit ----------------------------------------------------------
	daemon_stop TERM
	check "$L SIGTERM (keep_blocks_on_exit default yes): exit status 0 (got $DRC)" [ "$DRC" = 0 ]
	st=$(fw_state)
	check "$L ... the firewall objects remain after exit ($st)" [ "$st" = present ]
	e=$(elem $A1)
	local e2; e2=$(elem $P300)
	[ "$e" = permanent ] && [ -n "$e2" ]
	res "$L ... with their elements ($A1: '${e:-absent}', $P300: '${e2:-absent}')"
	out=$(ctl status 2>&1); rc=$?
	check "$L ctl after a clean exit: non-zero ($rc), 'cannot connect ... (is the daemon running?)'" \
		fails_with $rc "$out" 'cannot connect.*\(is the daemon running\?\)'
	write_conf "$CONF" 3s no
	if daemon_start; then
		check "$L restart with keep_blocks_on_exit = no: blocks restored ($A1: $(elem $A1))" in_set $A1
		daemon_stop INT
		check "$L ... SIGINT: exit status 0 (got $DRC)" [ "$DRC" = 0 ]
		st=$(fw_state)
		check "$L ... keep_blocks_on_exit = no: the firewall objects are gone after exit ($st)" [ "$st" = absent ]
	else
		notok "$L restart with keep_blocks_on_exit = no"
	fi

	# ---- the phone ---------------------------------------------------------------------
	touch "$T/phone.stop"
	ns_wait_for 8 eval '! ns_alive $phone_pid'
	ns_alive "$phone_pid" && ns_stop "$phone_pid" TERM 3
	wait "$phone_pid" 2>/dev/null
	local good bad
	good=$(grep -c 'rc=0 ' "$T/phone.log")
	bad=$(grep -vc 'rc=0 ' "$T/phone.log")
	[ "$good" -ge 10 ] && [ "$bad" -eq 0 ]
	res "$L the phone registered successfully throughout ($good ok, $bad failed)" ||
		grep -v 'rc=0 ' "$T/phone.log" | indent 10
	check "$L the phone $PHONE was never blocked, alone or in a prefix" no_event "e['event']=='block' and covers(e['ip'], '$PHONE')"
	check "$L Kamailio ran throughout" ns_alive "$kpid"
	grep -h '^sipwarden: [^{].*failed' "${DLOGS[@]}" | indent 10
	! grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "${DLOGS[@]}"
	res "$L no sanitizer report in the daemon's stderr" ||
		grep -h -A15 'AddressSanitizer\|runtime error:\|LeakSanitizer' "${DLOGS[@]}" | indent 40

	ns_cleanup
	note "$BACKEND run: $((SECONDS - t0)) s"
}

for b in $BACKENDS; do
	case $b in
	nftables|ipset) run_backend "$b" ;;
	*) notok "unknown backend '$b' in SW_BACKENDS" ;;
	esac
done

# ---- the machine's own namespace is untouched (read-only checks) -----------------------
tables_after=$(nft list tables 2>&1)
sets_after=$(ipset list -n 2>&1)
leaked=
for t in "${TABLES_USED[@]}"; do
	grep -qw "$t" <<<"$tables_after" && leaked+=" nft:$t"
	grep -qE "^${t}[46]?$" <<<"$sets_after" && leaked+=" ipset:$t"
done
check "root namespace: no table or set of ours (${TABLES_USED[*]})${leaked:+, found:$leaked}" [ -z "$leaked" ]
check "root namespace: nft list tables unchanged" [ "$tables_after" = "$ROOT_TABLES_BEFORE" ]
check "root namespace: ipset list -n unchanged" [ "$sets_after" = "$ROOT_SETS_BEFORE" ]
finish
