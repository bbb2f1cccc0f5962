#!/bin/bash
# test_services.sh: TFTP and DNS protection end to end, with real servers:
# tftpd-hpa and dnsmasq in a server namespace, attackers, a phone and a DNS
# client in their own namespaces (tests/lib/netns.sh), all on one bridge.
#
# 1. Recorded and replayed: tcpdump in the server namespace records
#      - a TFTP sweep: 25 MAC-named files that do not exist (tftp-hpa
#        client; tftpd answers ERROR 1 from its transfer port),
#      - a phone fetching its two provisioning files (success),
#      - an upload attempt (tftp put),
#      - ANY queries (dig, over TCP as dig does for ANY, and over UDP),
#      - a CHAOS version.bind query,
#      - a client making ordinary A lookups;
#    the capture is checked (tests/e2e/services/svcsum.py: the servers
#    answered), then "sipwarden replay" with the built-in defaults must
#    block the attackers (tftp_bruteforce, dns_abuse) and not the phone, the
#    client or the server.
#    A second capture: the protected server's own lookups to an upstream
#    resolver (a second dnsmasq answering NXDOMAIN) replayed with an
#    [instance] for 198.51.100.1: the server must not be blocked for them.
# 2. Live: "sipwarden run" (nftables backend, its table in the server
#    namespace) during a TFTP sweep and a version.bind query: both attackers
#    end up in "nft list set inet TABLE v4" and get no more answers; the
#    phone and the client are not in the set and are still served.
#
# Environment: SIPWARDEN (default build/sipwarden, relative to the repo root),
# SW_KEEP_LOGS=DIR (copy logs and captures there).  Output: "ok - ..." /
# "not ok - ..." per check, then "N passed, N failed"; exit 1 on any failure.
# Needs root and: ip, ss, tcpdump, in.tftpd (tftpd-hpa), tftp (tftp-hpa),
# dnsmasq (dnsmasq-base), dig (bind9-dnsutils), nft (nftables), timeout,
# /usr/bin/python3.  Creates nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SVC=$HERE/services
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$SVC/common.sh"

# ---- preconditions ------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
missing=()
for t in ip ss tcpdump in.tftpd tftp dnsmasq dig nft timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -ne 0 ]; then
	notok "missing tools: ${missing[*]} (Debian: iproute2 tcpdump tftpd-hpa tftp-hpa dnsmasq-base bind9-dnsutils nftables python3)"
	finish
fi
if [ ! -x "$SIPWARDEN" ]; then notok "sipwarden binary $SIPWARDEN missing (make build/sipwarden)"; finish; fi

ROOT_TABLES_BEFORE=$(nft list tables 2>&1)
. "$ROOT/tests/lib/netns.sh"
NS_PREFIX=swsv$$
TABLE=swsv$$
TMP=$(mktemp -d /tmp/sw-services.XXXXXX) || { notok "mktemp"; finish; }
chmod 755 "$TMP"
cleanup() {
	local rc=$?
	ns_cleanup    # stops what we started (by pid), deletes our namespaces
	if [ -n "${SW_KEEP_LOGS:-}" ]; then
		mkdir -p "$SW_KEEP_LOGS" && cp -r "$TMP"/. "$SW_KEEP_LOGS"/ 2>/dev/null
	fi
	rm -rf "$TMP"
	return $rc
}
if ! ns_init; then notok "cannot create the switch namespace"; finish; fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the network ------------------------------------------------------------------
SRV=198.51.100.1
PHONE=198.51.100.10      # fetches its two provisioning files
CLIENT=198.51.100.11     # ordinary A lookups
SWEEP=198.51.100.66      # TFTP sweep of MAC-named files
UPL=198.51.100.67        # TFTP upload (WRQ)
# The DNS attackers are in the other /24: 5 blocked addresses of one /24
# would block the whole prefix (aggregate_after = 5), the phone's too.
ANYT=203.0.113.68        # ANY queries, dig's default (TCP)
ANYU=203.0.113.70        # ANY queries over UDP (+notcp)
VER=203.0.113.69         # CHAOS version.bind
UP=198.51.100.53         # an upstream resolver the server itself asks
declare -A V4=([srv]=$SRV [phone]=$PHONE [client]=$CLIENT [sweep]=$SWEEP [upl]=$UPL
	[anyt]=$ANYT [anyu]=$ANYU [ver]=$VER [up]=$UP)
for r in srv phone client sweep upl anyt anyu ver up; do
	if ! ns_add_host "$r" "${V4[$r]}"; then notok "cannot create host $r"; finish; fi
done
ok "namespaces ${NS_PREFIX}{srv,phone,client,sweep,upl,anyt,anyu,ver,up} on one bridge"

# ---- the servers --------------------------------------------------------------------
BOOT=$TMP/tftpboot
mkdir -p "$BOOT" && cp "$SVC/tftpboot/SEP001122334455.cnf.xml" "$SVC/tftpboot/001565aabbcc.cfg" "$BOOT/"
chmod 755 "$BOOT" && chmod 644 "$BOOT"/*
ns_spawn srv "$TMP/tftpd.log" in.tftpd -L -v -s "$BOOT" -a "$SRV:69"
TFTPD=$NS_PID
ns_spawn srv "$TMP/dnsmasq.log" dnsmasq -k -C /dev/null --no-resolv --no-hosts \
	--listen-address=$SRV --bind-interfaces --address=/pbx.example/$SRV \
	--log-queries --log-facility=- --pid-file="$TMP/dnsmasq.pid"
DNSMASQ=$NS_PID
# the upstream resolver: NXDOMAIN for everything under example.net
ns_spawn up "$TMP/dnsmasq-up.log" dnsmasq -k -C /dev/null --no-resolv --no-hosts \
	--listen-address=$UP --bind-interfaces --address=/example.net/ \
	--log-facility=- --pid-file="$TMP/dnsmasq-up.pid"
if ns_wait_for 10 ns_listening srv udp $SRV 69 && ns_wait_for 10 ns_listening srv udp $SRV 53 &&
	ns_wait_for 10 ns_listening srv tcp $SRV 53 && ns_wait_for 10 ns_listening up udp $UP 53; then
	ok "in.tftpd (pid $TFTPD) on $SRV:69, dnsmasq (pid $DNSMASQ) on $SRV:53 udp+tcp, upstream dnsmasq on $UP:53"
else
	notok "the servers are not listening"
	indent 10 <"$TMP/tftpd.log"; indent 10 <"$TMP/dnsmasq.log"; indent 10 <"$TMP/dnsmasq-up.log"
	finish
fi

# ---- roles: shell functions run inside a namespace (bash -c) -------------------------
# tftp_sweep SERVER FIRST N DIR: gets SEP0011223344XX.cnf.xml for N hex
# suffixes from FIRST on (the client leaves empty files in DIR); each try has
# 2 s; stops after 2 unanswered tries (blocked).
tftp_sweep() {
	local srv=$1 first=$2 n=$3 dir=$4 i name out rc miss=0
	mkdir -p "$dir" && cd "$dir" || return 1
	for ((i = first; i < first + n; i++)); do
		name=$(printf 'SEP0011223344%02X.cnf.xml' "$i")
		out=$(timeout 2 tftp "$srv" -m binary -c get "$name" 2>&1); rc=$?
		echo "get $name rc=$rc ${out//$'\n'/ }"
		if [ $rc -eq 124 ]; then
			miss=$((miss + 1))
			[ $miss -ge 2 ] && break
		fi
	done
	return 0
}
# tftp_fetch SERVER OUTDIR FILE...: a phone fetching its files into OUTDIR.
tftp_fetch() {
	local srv=$1 dir=$2 f out rc; shift 2
	mkdir -p "$dir" && cd "$dir" || return 1
	for f in "$@"; do
		rm -f "$f"
		out=$(timeout 5 tftp "$srv" -m binary -c get "$f" 2>&1); rc=$?
		echo "get $f rc=$rc $(stat -c %s "$f" 2>/dev/null || echo missing) bytes ${out//$'\n'/ }"
		sleep 0.2
	done
}
# tftp_upload SERVER DIR: one put (WRQ) of a file.
tftp_upload() {
	local out
	mkdir -p "$2" && cd "$2" || return 1
	printf 'account.1.password = hunter2\n' >evil.cfg
	out=$(timeout 3 tftp "$1" -m binary -c put evil.cfg 001565aabbcc.cfg 2>&1)
	echo "put rc=$? ${out//$'\n'/ }"
}
# dig_loop SERVER N NAME TYPE [DIG OPTIONS...]: N queries, one status line each.
dig_loop() {
	local srv=$1 n=$2 name=$3 type=$4 i; shift 4
	for ((i = 1; i <= n; i++)); do
		echo "$i: $(dig @"$srv" "$name" "$type" +tries=1 +time=2 "$@" 2>&1 |
			grep -Eo 'status: [A-Z]+|SERVER: [^ ]* \([A-Z]+\)|timed out|no servers' | tr '\n' ' ')"
		sleep 0.05
	done
}
# dig_version SERVER: the CHAOS TXT version.bind query.
dig_version() {
	echo "version.bind: $(dig @"$1" version.bind chaos txt +tries=1 +time=2 +short 2>&1 | tr '\n' ' ')"
}
# dig_names SERVER N DOMAIN: N lookups of distinct names under DOMAIN.
dig_names() {
	local srv=$1 n=$2 dom=$3 i
	for ((i = 1; i <= n; i++)); do
		dig @"$srv" "host$i.$dom" A +tries=1 +time=2 2>&1 | grep -Eo 'status: [A-Z]+|timed out'
	done | sort | uniq -c
}

JOBS=()
# role NS NAME FUNCTION ARGS...: FUNCTION ARGS in NS's namespace, in the
# background; output to $TMP/NAME.log.
role() {
	local ns=$1 name=$2 fn=$3; shift 3
	ns_spawn "$ns" "$TMP/$name.log" bash -c "$(declare -f "$fn"); $fn \"\$@\"" "$fn" "$@"
	JOBS+=("$NS_PID")
}
wait_roles() {
	local pid
	for pid in "${JOBS[@]}"; do wait "$pid" 2>/dev/null; done
	JOBS=()
}
CAP=
cap_start() { # cap_start FILE
	ns_spawn srv "$TMP/tcpdump.$(basename "$1").log" tcpdump -i eth0 -n -s 0 -U --immediate-mode -Z root -w "$1"
	CAP=$NS_PID
	ns_wait_for 10 grep -qs "listening on" "$TMP/tcpdump.$(basename "$1").log"
}
cap_stop() {
	sleep 0.5
	ns_stop "$CAP" INT 5
	CAP=
}

# ---- 1. record ------------------------------------------------------------------------
PCAP=$TMP/services.pcap
t=$SECONDS
if ! cap_start "$PCAP"; then notok "tcpdump did not start in the server namespace"; finish; fi
role phone phone tftp_fetch $SRV "$TMP/phone-files" SEP001122334455.cnf.xml 001565aabbcc.cfg
role client client dig_loop $SRV 20 pbx.example A
role sweep sweep tftp_sweep $SRV $((0xA0)) 25 "$TMP/sweep-work"
role upl upload tftp_upload $SRV "$TMP/upload-work"
role anyt any-tcp dig_loop $SRV 12 pbx.example ANY
role anyu any-udp dig_loop $SRV 12 pbx.example ANY +notcp
role ver version dig_version $SRV
wait_roles
cap_stop
ok "recorded $(basename "$PCAP") in $((SECONDS - t)) s ($(stat -c %s "$PCAP") bytes)"
cmp -s "$BOOT/SEP001122334455.cnf.xml" "$TMP/phone-files/SEP001122334455.cnf.xml" &&
	cmp -s "$BOOT/001565aabbcc.cfg" "$TMP/phone-files/001565aabbcc.cfg"
res "the phone received both provisioning files intact (tftp-hpa: $(tr '\n' ';' <"$TMP/phone.log"))"
check "the sweeper was told 'File not found' for its 25 names ($(grep -c 'Error code 1' "$TMP/sweep.log") times)" \
	[ "$(grep -c 'Error code 1' "$TMP/sweep.log")" = 25 ]
note "upload: $(cat "$TMP/upload.log")"
note "version.bind: $(cat "$TMP/version.log")"
check "dig ANY (default transport) went over TCP" grep -q 'SERVER: .*(TCP)' "$TMP/any-tcp.log"
check "dig ANY +notcp went over UDP" grep -q 'SERVER: .*(UDP)' "$TMP/any-udp.log"
out=$("$PY" "$SVC/svcsum.py" "$PCAP" \
	--expect $SWEEP:tftp-rrq:=25 --expect $SWEEP:tftp-error-1:=25 --expect $SWEEP:tftp-data:=0 \
	--expect $PHONE:tftp-rrq:=2 --expect $PHONE:tftp-data:4 --expect $PHONE:tftp-error-1:=0 \
	--expect $UPL:tftp-wrq:=1 \
	--expect $ANYT:dns-q-ANY:=12 --expect $ANYT:dns-q-tcp:=12 --expect $ANYT:dns-r:=12 \
	--expect $ANYU:dns-q-ANY:=12 --expect $ANYU:dns-q-udp:=12 --expect $ANYU:dns-r:=12 \
	--expect $VER:dns-q-CH:=1 --expect $VER:dns-q-TXT:=1 --expect $VER:dns-r-answered:=1 \
	--expect $CLIENT:dns-q-A:=20 --expect $CLIENT:dns-r-NOERROR:=20 --expect $CLIENT:dns-r-answered:=20 2>&1)
res "the capture holds the traffic and the servers' answers: $out" || indent 20 <<<"$out"
"$PY" "$SVC/svcsum.py" "$PCAP" | indent 12

# the server's own lookups (a separate capture)
OWN=$TMP/own-lookups.pcap
if cap_start "$OWN"; then
	role srv own dig_names $UP 60 example.net
	wait_roles
	cap_stop
	out=$("$PY" "$SVC/svcsum.py" "$OWN" --server $UP --expect $SRV:dns-q:=60 --expect $SRV:dns-r-NXDOMAIN:=60 2>&1)
	res "own-lookups.pcap: the server asked the upstream resolver 60 times, 60 NXDOMAIN: $out"
else
	notok "tcpdump did not start for own-lookups.pcap"
fi

# ---- 1b. replay ------------------------------------------------------------------------
LABEL="services.pcap (defaults)" EV=$TMP/services.ev
if replay_to "$LABEL" "$EV" "$HERE/defaults.conf" "$PCAP"; then
	blocked_by "$EV" $SWEEP tftp_bruteforce
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$SWEEP'" | head -1)
	check "$LABEL: the sweeper's block: 10 failed TFTP requests in 60 s, ERROR 1, a file name as evidence ($e)" \
		grep -q '"reason":"10 failed TFTP requests in 60 s","count":10,"window_s":60,.*"usernames":\["SEP0011223344..\.cnf\.xml"\],"responses":\[1\]' <<<"$e"
	blocked_by "$EV" $UPL tftp_bruteforce
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$UPL'" | head -1)
	check "$LABEL: the upload's block names the WRQ and the file ($e)" \
		grep -q '"reason":"TFTP upload (WRQ) of \\"001565aabbcc.cfg\\"","count":1,' <<<"$e"
	blocked_by "$EV" $ANYT dns_abuse
	blocked_by "$EV" $ANYU dns_abuse
	[ "$(evcount "$EV" "e['event']=='block' and e['ip'] in ('$ANYT', '$ANYU') and e['reason']=='10 ANY queries in 60 s'
	                    and e['count']==10 and e['window_s']==60 and ev['usernames']==['pbx.example']")" = 2 ]
	res "$LABEL: both ANY blocks (TCP and UDP): 10 ANY queries in 60 s, naming pbx.example"
	blocked_by "$EV" $VER dns_abuse
	e=$(evsel "$EV" "e['event']=='block' and e['ip']=='$VER'" | head -1)
	check "$LABEL: version.bind is blocked on the first query (count 1, CHAOS fingerprinting) ($e)" \
		grep -q '"reason":"server fingerprinting (CHAOS version.bind)","count":1,' <<<"$e"
	never_blocked "$EV" $PHONE
	never_blocked "$EV" $CLIENT
	never_blocked "$EV" $SRV
	check "$LABEL: no aggregate block (2 blocked addresses in 198.51.100.0/24, 3 in 203.0.113.0/24)" \
		[ "$(evcount "$EV" "e['detector']=='aggregate'")" = 0 ]
	check "$LABEL: no anomaly events (real servers and clients speak proper TFTP and DNS)" \
		[ "$(evcount "$EV" "e['event']=='anomaly'")" = 0 ]
	grep -E 'tftp|dns|blocks by' "$EV.err" | indent 5
fi
# The protected server's own lookups are not an attack on it.  README:
# "With [instance] sections, only traffic to an instance's addresses and
# ports is inspected"; [dns] is "DNS abuse against the host".
LABEL="own-lookups.pcap ([instance pbx] address = $SRV)" EV=$TMP/own.inst
if [ -s "$OWN" ] && replay_to "$LABEL" "$EV" "$SVC/conf/instance.conf" "$OWN"; then
	never_blocked "$EV" $SRV
	never_blocked "$EV" $UP
fi
LABEL="own-lookups.pcap (defaults)" EV=$TMP/own.def
if [ -s "$OWN" ] && replay_to "$LABEL" "$EV" "$HERE/defaults.conf" "$OWN"; then
	# Without [instance] sections every address is "the host": noted only.
	note "$LABEL: first block covering the server $SRV: $(first_block "$EV" $SRV) $(evsel "$EV" "covers(e, '$SRV')" | head -1)"
fi

# ---- 2. live -----------------------------------------------------------------------------
D=$TMP/daemon
mkdir -p "$D"
CONF=$D/sipwarden.conf SOCK=$D/ctl.sock DLOG=$D/daemon.log
cat >"$CONF" <<-EOF
	# written by test_services.sh
	[general]
	interfaces = eth0
	database = $D/sipwarden.db
	ctl_socket = $SOCK
	capture_buffer = 16M
	[firewall]
	backend = nftables
	table = $TABLE
EOF
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
DPID=$NS_PID
ready() { grep -q '^sipwarden: running' "$DLOG" && ctl status >/dev/null 2>&1; }
if ! ns_wait_for 15 ready; then
	notok "live: the daemon starts in the server namespace (sipwarden run -c $CONF)"
	indent 20 <"$DLOG"
	finish
fi
ok "live: daemon (pid $DPID) runs in the server namespace: $(grep -m1 '^sipwarden: capturing' "$DLOG" | cut -c1-160)"
# in_set IP: IP is an element of "nft list set inet TABLE v4" in the server namespace.
in_set() {
	ns_exec srv nft list set inet "$TABLE" v4 2>/dev/null |
		tr '{},' '\n' | awk '{ print $1 }' | grep -qxF "$1"
}
not_in_set() { ! in_set "$1"; }
t=$SECONDS
role phone live-phone tftp_fetch $SRV "$TMP/live-phone-files" SEP001122334455.cnf.xml 001565aabbcc.cfg
role client live-client dig_loop $SRV 20 pbx.example A
role sweep live-sweep tftp_sweep $SRV $((0xC0)) 25 "$TMP/live-sweep-work"
role ver live-version dig_version $SRV
wait_roles
note "live roles done in $((SECONDS - t)) s; sweep: $(grep -c 'Error code 1' "$TMP/live-sweep.log") answered 'not found', $(grep -c 'rc=124' "$TMP/live-sweep.log") unanswered"
check "live: the TFTP sweeper $SWEEP is in the nft set v4 (table inet $TABLE)" ns_wait_for 5 in_set $SWEEP
check "live: the version.bind prober $VER is in the nft set v4" ns_wait_for 5 in_set $VER
check "live: the phone $PHONE is not in the set" not_in_set $PHONE
check "live: the client $CLIENT is not in the set" not_in_set $CLIENT
check "live: the server $SRV is not in the set" not_in_set $SRV
note "nft set: $(ns_exec srv nft list set inet "$TABLE" v4 2>&1 | tr -s ' \t\n' ' ' | cut -c1-300)"
cmp -s "$BOOT/SEP001122334455.cnf.xml" "$TMP/live-phone-files/SEP001122334455.cnf.xml" &&
	cmp -s "$BOOT/001565aabbcc.cfg" "$TMP/live-phone-files/001565aabbcc.cfg"
res "live: the phone received both files intact ($(tr '\n' ';' <"$TMP/live-phone.log"))"
check "live: the client's 20 lookups were answered (NOERROR)" \
	[ "$(grep -c 'status: NOERROR' "$TMP/live-client.log")" = 20 ]
[ "$(grep -c 'Error code 1' "$TMP/live-sweep.log")" -lt 25 ] && grep -q 'rc=124' "$TMP/live-sweep.log"
res "live: the sweeper was cut off during its sweep (fewer than 25 'not found' answers, then none)"
# after the blocks: the attackers get nothing, the others are served
role sweep live-sweep2 tftp_fetch $SRV "$TMP/sweep-files" SEP001122334455.cnf.xml
role ver live-ver2 dig_loop $SRV 1 pbx.example A
role phone live-phone2 tftp_fetch $SRV "$TMP/live-phone-files2" 001565aabbcc.cfg
role client live-client2 dig_loop $SRV 1 pbx.example A
wait_roles
check "live: the blocked sweeper cannot fetch an existing file ($(cat "$TMP/live-sweep2.log"))" \
	[ ! -s "$TMP/sweep-files/SEP001122334455.cnf.xml" ]
check "live: the blocked prober gets no DNS answer ($(cat "$TMP/live-ver2.log"))" \
	grep -q 'timed out\|no servers' "$TMP/live-ver2.log"
check "live: the phone still fetches its file ($(cat "$TMP/live-phone2.log"))" \
	cmp -s "$BOOT/001565aabbcc.cfg" "$TMP/live-phone-files2/001565aabbcc.cfg"
check "live: the client is still answered ($(cat "$TMP/live-client2.log"))" \
	grep -q 'status: NOERROR' "$TMP/live-client2.log"
LABEL=live
check "live: daemon event lines are valid ($("$PY" "$EVQ" validate "$DLOG"))" "$PY" "$EVQ" validate "$DLOG" >/dev/null
blocked_by "$DLOG" $SWEEP tftp_bruteforce
blocked_by "$DLOG" $VER dns_abuse
never_blocked "$DLOG" $PHONE
never_blocked "$DLOG" $CLIENT
st=$(ctl status 2>&1 | grep -iE 'tftp|dns|packets|drops' | tr '\n' ';')
note "ctl status: $st"
kill -TERM "$DPID" 2>/dev/null
ns_wait_for 10 eval '! ns_alive $DPID'
wait "$DPID" 2>/dev/null
rc=$?
check "live: the daemon exits 0 on SIGTERM (got $rc)" [ $rc -eq 0 ]
! grep -q 'AddressSanitizer\|runtime error:' "$DLOG"
res "live: no sanitizer report in the daemon's stderr"
ns_alive "$TFTPD" && ns_alive "$DNSMASQ"
res "in.tftpd and dnsmasq ran throughout"

# ---- the machine's own namespace (read-only) ---------------------------------------------
ns_cleanup
check "root namespace: nft list tables unchanged, no table $TABLE" \
	[ "$(nft list tables 2>&1)" = "$ROOT_TABLES_BEFORE" ]
finish
