#!/bin/bash
# record.sh OUTDIR [SCENARIO...]: records SIP attack captures for sipwarden.
#
# Builds a throw-away network (tests/lib/netns.sh: one server namespace
# running Kamailio with tests/e2e/kamailio.cfg, attacker and phone
# namespaces, all on one bridge), captures in the server namespace with
# tcpdump, and writes, for each SCENARIO (default: all four):
#   attack  OUTDIR/attack.pcap  IPv4/UDP, Ethernet: sipvicious svmap, svwar,
#                               svcrack, a sipsak password guesser, 2 phones
#   ipv6    OUTDIR/ipv6.pcap    the same kinds of traffic over IPv6 (SIPp in
#                               place of sipsak, which has no IPv6)
#   tcp     OUTDIR/tcp.pcap     sipsak and SIPp guessers and phones over TCP
#   any     OUTDIR/any.pcap     a guesser and a phone, "tcpdump -i any"
#                               (LINUX_SLL2)
# Each capture is checked with tests/lib/pcapsum.py (the tools produced
# their traffic and Kamailio answered 401/403/404/200); the script exits
# non-zero if a check fails.  Roles, addresses and users: examples/README.md.
#
# Needs root and: ip (iproute2), ss, kamailio, tcpdump, svmap, svwar,
# svcrack (sipvicious), sipsak, sipp (sip-tester), /usr/bin/python3.
# Creates nothing outside its own namespaces and a temp dir; removes both.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
PCAPSUM="$ROOT/tests/lib/pcapsum.py"
SIPP_XML="$HERE/sipp-register.xml"

usage() { echo "usage: $0 OUTDIR [attack|ipv6|tcp|any]..." >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(attack ipv6 tcp any)
for s in "${SCENARIOS[@]}"; do
	case $s in attack|ipv6|tcp|any) ;; *) usage ;; esac
done

die() { echo "record: $*" >&2; exit 1; }
say() { echo "record: $*" >&2; }

missing=()
for t in ip ss kamailio tcpdump svmap svwar svcrack sipsak sipp "$PY"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (Debian packages: iproute2 kamailio tcpdump sipvicious sipsak sip-tester python3)"
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

. "$ROOT/tests/lib/netns.sh"

TMP=$(mktemp -d /tmp/sw-record.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
cleanup() {
	local rc=$?
	ns_cleanup
	rm -rf "$TMP"
	return "$rc"
}
ns_init || die "cannot create the switch namespace"
trap cleanup EXIT

# ---- the network ----------------------------------------------------------
SRV4=198.51.100.1 SRV6=2001:db8:100::1
declare -A V4=(
	[srv]=$SRV4 [phone]=198.51.100.10 [phone2]=198.51.100.11
	[a1]=198.51.100.66 [a2]=198.51.100.67 [a3]=198.51.100.68
	[a4]=198.51.100.69 [a5]=198.51.100.70
)
# Each IPv6 client in its own /64 (as real v6 clients are), all on-link.
declare -A V6=(
	[srv]=$SRV6 [phone]=2001:db8:10::10 [phone2]=2001:db8:11::11
	[a1]=2001:db8:66::66 [a2]=2001:db8:67::67 [a3]=2001:db8:68::68
	[a4]=2001:db8:69::69 [a5]=2001:db8:70::70
)
# Passwords of tests/e2e/kamailio.cfg.
PW1003=cedar-1003-heron PW1004=dune-1004-lynx

T0=$SECONDS
for r in srv phone phone2 a1 a2 a3 a4 a5; do
	ns_add_host "$r" "${V4[$r]}" "${V6[$r]}" || die "cannot create host $r"
done

# ---- Kamailio -------------------------------------------------------------
KDIR=$TMP/kamailio
mkdir -p "$KDIR"
kamailio -c -f "$HERE/kamailio.cfg" >"$KDIR/check.log" 2>&1 ||
	{ cat "$KDIR/check.log" >&2; die "kamailio.cfg does not pass kamailio -c"; }
ns_spawn srv "$KDIR/kamailio.log" kamailio -DD -E -f "$HERE/kamailio.cfg" \
	-P "$KDIR/kamailio.pid" -Y "$KDIR" -w "$KDIR" -m 64 -M 8
KPID=$NS_PID
for l in "udp $SRV4" "tcp $SRV4" "udp $SRV6" "tcp $SRV6"; do
	# shellcheck disable=SC2086
	ns_wait_for 15 ns_listening srv $l 5060 ||
		{ tail -20 "$KDIR/kamailio.log" >&2; die "kamailio is not listening on $l:5060"; }
done
say "kamailio (pid $KPID) listening on $SRV4 and [$SRV6] port 5060 udp+tcp"

# ---- capture --------------------------------------------------------------
CAP_PID=
cap_start() { # cap_start IFACE FILE
	local log
	log=$TMP/tcpdump.$(basename "$2").log
	ns_spawn srv "$log" tcpdump -i "$1" -n -s 0 -U --immediate-mode -Z root -w "$2"
	CAP_PID=$NS_PID
	ns_wait_for 10 grep -qs "listening on" "$log" ||
		{ cat "$log" >&2; die "tcpdump did not start"; }
}
cap_stop() {
	sleep 0.5   # let the last answers arrive
	ns_stop "$CAP_PID" INT 5
	CAP_PID=
}

# ---- roles: each runs inside its own namespace (bash -c) --------------------
JOBS=()
# run_role ROLE NAME FUNCTION ARGS...: FUNCTION ARGS in ROLE's namespace, in the
# background; output to $TMP/SCENARIO-NAME.log.
run_role() {
	local role=$1 name=$2 fn=$3; shift 3
	ns_spawn "$role" "$TMP/$SCEN-$name.log" bash -c "$(declare -f "$fn"); $fn \"\$@\"" "$fn" "$@"
	JOBS+=("$NS_PID")
}
wait_roles() {
	local pid
	for pid in "${JOBS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	JOBS=()
}

# sipsak_phone ME SERVER USER PASSWORD TRANSPORT COUNT PAUSE: COUNT
# registrations, each a REGISTER, the 401 challenge, the REGISTER with
# credentials and the 200.
sipsak_phone() {
	local me=$1 srv=$2 user=$3 pw=$4 tr=$5 n=$6 pause=$7 i
	for ((i = 1; i <= n; i++)); do
		echo "register $user try $i"
		sipsak -U -E "$tr" -H "$me" -C "sip:$user@$me" -x 300 -a "$pw" -u "$user" \
			-s "sip:$user@$srv" && echo "registered" || echo "failed: $?"
		[ "$i" -lt "$n" ] && sleep "$pause"
	done
	return 0
}
# sipsak_guess ME SERVER USER TRANSPORT COUNT PAUSE: COUNT wrong passwords.
sipsak_guess() {
	local me=$1 srv=$2 user=$3 tr=$4 n=$5 pause=$6 i
	local words=(123456 password 1234 12345 admin 1002 secret qwerty voip \
		sip 111111 000000 pass 654321 abc123 test 1111 letmein)
	for ((i = 0; i < n; i++)); do
		echo "guess ${words[i % ${#words[@]}]}"
		sipsak -U -E "$tr" -H "$me" -C "sip:$user@$me" -a "${words[i % ${#words[@]}]}" \
			-u "$user" -s "sip:$user@$srv" || true
		sleep "$pause"
	done
	return 0
}
# phone2: mistypes its password twice, then registers twice correctly.
sipsak_mistype() { # ME SERVER USER PASSWORD TRANSPORT
	local me=$1 srv=$2 user=$3 pw=$4 tr=$5 p
	for p in "${pw}x" "${pw%?}" "$pw" "$pw"; do
		echo "register $user with ${p}"
		sipsak -U -E "$tr" -H "$me" -C "sip:$user@$me" -x 300 -a "$p" -u "$user" \
			-s "sip:$user@$srv" || true
		sleep 1
	done
	return 0
}
# sipp_register ME SERVER TRANSPORT(u1|t1) LOCALPORT RATE_PER_S USER PASSWORD...:
# one SIPp run, one call (REGISTER pair) per password, one socket throughout.
sipp_register() {
	local me=$1 srv=$2 tr=$3 port=$4 rate=$5 xml=$6 user=$7 csv n=0 pw; shift 7
	csv=$(mktemp --suffix=.csv /tmp/sw-sipp.XXXXXX)
	echo SEQUENTIAL >"$csv"
	for pw in "$@"; do
		echo "$user;[authentication username=$user password=$pw]" >>"$csv"
		n=$((n + 1))
	done
	case $srv in *:*) srv="[$srv]" ;; esac
	cd /tmp || return 1
	sipp -sf "$xml" -inf "$csv" -i "$me" -p "$port" -t "$tr" -m "$n" \
		-r "$rate" -rp 1000 -l 1 -timeout 30 -nd -nostdin -trace_err \
		-error_file "$csv.err" "$srv:5060" >/dev/null 2>&1
	local rc=$?
	echo "sipp $user $n calls: exit $rc"
	[ -s "$csv.err" ] && cat "$csv.err"
	rm -f "$csv" "$csv.err"
	return 0
}
svmap_role() { svmap -x "$1" -p5060 "$2"; }
svmap6_role() { svmap -6 "$1"; }
svwar_role() { svwar -x "$1" -e1000-1050 "$2"; }
svwar6_role() { svwar -6 -e1000-1050 "$1"; }
svcrack_role() { svcrack -x "$1" -u1001 -r1-40 "$2"; }
svcrack6_role() { svcrack -6 -u1001 -r1-40 "$1"; }

WRONG=(123456 password 1234 12345 admin 1002 secret qwerty voip sip 111111 000000 pass 654321 abc123)

# check FILE PCAPSUM-ARGS...: verify a capture; keep the summary for the log.
FAILED=0
check() {
	local f=$1; shift
	if "$PY" "$PCAPSUM" "$f" --max-bytes 2000000 "$@"; then
		say "verified $(basename "$f")"
	else
		say "VERIFY FAILED: $(basename "$f")"
		FAILED=1
	fi
}

# ---- scenarios ------------------------------------------------------------
rec_attack() {
	local f=$OUT/attack.pcap s=$SRV4
	cap_start eth0 "$f"
	run_role phone phone sipsak_phone "${V4[phone]}" $s 1003 $PW1003 udp 5 1.5
	run_role phone2 phone2 sipsak_mistype "${V4[phone2]}" $s 1004 $PW1004 udp
	sleep 0.3
	run_role a1 svmap svmap_role "${V4[a1]}" $s
	sleep 0.5
	run_role a2 svwar svwar_role "${V4[a2]}" $s
	sleep 0.5
	run_role a3 svcrack svcrack_role "${V4[a3]}" $s
	run_role a4 guesser sipsak_guess "${V4[a4]}" $s 1002 udp 15 0.2
	wait_roles
	cap_stop
	check "$f" --linktype 1 \
		--expect "${V4[a1]}:OPTIONS:1" --expect "${V4[a1]}:200:1" --ua "${V4[a1]}=friendly-scanner" \
		--expect "${V4[a2]}:REGISTER:51" --expect "${V4[a2]}:404:40" --expect "${V4[a2]}:401:5" \
		--ua "${V4[a2]}=friendly-scanner" \
		--expect "${V4[a3]}:403:40" --expect "${V4[a3]}:200:=0" --ua "${V4[a3]}=friendly-scanner" \
		--expect "${V4[a4]}:403:15" --expect "${V4[a4]}:200:=0" --ua "${V4[a4]}=sipsak" \
		--expect "${V4[phone]}:200:5" --expect "${V4[phone]}:403:=0" --ua "${V4[phone]}=sipsak" \
		--expect "${V4[phone2]}:403:2" --expect "${V4[phone2]}:200:2"
}

rec_ipv6() {
	local f=$OUT/ipv6.pcap s=$SRV6 p=${PW1003}
	cap_start eth0 "$f"
	run_role phone phone sipp_register "${V6[phone]}" $s u1 5060 1 "$SIPP_XML" 1003 $p $p $p $p $p
	run_role phone2 phone2 sipp_register "${V6[phone2]}" $s u1 5060 1 "$SIPP_XML" 1004 \
		"${PW1004}x" "${PW1004%?}" "$PW1004" "$PW1004"
	sleep 0.3
	run_role a1 svmap svmap6_role $s
	sleep 0.5
	run_role a2 svwar svwar6_role $s
	sleep 0.5
	run_role a3 svcrack svcrack6_role $s
	run_role a4 guesser sipp_register "${V6[a4]}" $s u1 5070 5 "$SIPP_XML" 1002 "${WRONG[@]}"
	wait_roles
	cap_stop
	check "$f" --linktype 1 \
		--expect "${V6[a1]}:OPTIONS:1" --ua "${V6[a1]}=friendly-scanner" \
		--expect "${V6[a2]}:REGISTER:51" --expect "${V6[a2]}:404:40" --ua "${V6[a2]}=friendly-scanner" \
		--expect "${V6[a3]}:403:40" --expect "${V6[a3]}:200:=0" --ua "${V6[a3]}=friendly-scanner" \
		--expect "${V6[a4]}:403:15" --expect "${V6[a4]}:200:=0" --ua "${V6[a4]}=SIPp" \
		--expect "${V6[phone]}:200:5" --expect "${V6[phone]}:403:=0" \
		--expect "${V6[phone2]}:403:2" --expect "${V6[phone2]}:200:2"
}

rec_tcp() {
	local f=$OUT/tcp.pcap s=$SRV4
	cap_start eth0 "$f"
	run_role phone phone sipsak_phone "${V4[phone]}" $s 1003 $PW1003 tcp 5 1.5
	run_role phone2 phone2 sipsak_mistype "${V4[phone2]}" $s 1004 $PW1004 tcp
	sleep 0.3
	run_role a4 guesser sipsak_guess "${V4[a4]}" $s 1002 tcp 15 0.2
	run_role a5 guesser2 sipp_register "${V4[a5]}" $s t1 5070 5 "$SIPP_XML" 1005 "${WRONG[@]}"
	wait_roles
	cap_stop
	check "$f" --linktype 1 \
		--expect "${V4[a4]}:403:15" --expect "${V4[a4]}:tcp:30" --expect "${V4[a4]}:udp:=0" \
		--ua "${V4[a4]}=sipsak" \
		--expect "${V4[a5]}:403:15" --expect "${V4[a5]}:tcp:30" --expect "${V4[a5]}:udp:=0" \
		--ua "${V4[a5]}=SIPp" \
		--expect "${V4[phone]}:200:5" --expect "${V4[phone]}:tcp:10" --expect "${V4[phone]}:403:=0" \
		--expect "${V4[phone2]}:403:2" --expect "${V4[phone2]}:200:2"
}

rec_any() {
	local f=$OUT/any.pcap s=$SRV4
	cap_start any "$f"
	run_role phone phone sipsak_phone "${V4[phone]}" $s 1003 $PW1003 udp 3 1
	sleep 0.3
	run_role a4 guesser sipsak_guess "${V4[a4]}" $s 1002 udp 15 0.2
	wait_roles
	cap_stop
	check "$f" --linktype 276 \
		--expect "${V4[a4]}:403:15" --expect "${V4[a4]}:200:=0" --ua "${V4[a4]}=sipsak" \
		--expect "${V4[phone]}:200:3" --expect "${V4[phone]}:403:=0"
}

SCEN=
for s in "${SCENARIOS[@]}"; do
	SCEN=$s t=$SECONDS
	say "recording $s"
	"rec_$s"
	say "$s done in $((SECONDS - t)) s"
done
ns_alive "$KPID" || { tail -20 "$KDIR/kamailio.log" >&2; die "kamailio died during the recording"; }
if [ "${RECORD_KEEP_LOGS:-}" ]; then
	mkdir -p "$OUT/logs" && cp "$TMP"/*.log "$KDIR"/*.log "$OUT/logs/" 2>/dev/null
fi
say "total $((SECONDS - T0)) s"
[ "$FAILED" = 0 ] || die "some captures did not verify (RECORD_KEEP_LOGS=1 keeps the tool logs)"
exit 0
