#!/usr/bin/env bash
# bench/live.sh: live benchmarks of the daemon (`sipwarden run`) and its
# nftables firewall, on captures replayed with tcpreplay over a veth pair
# between two network namespaces (bench/live/README.md says how and why).
#
#   bench/live.sh [--quick] [--only ttb|slow|tput|capture]...
#
#   ttb      time to block: 1,000 scanners 2 ms apart, from the capture
#            timestamp of each one's packet to its element in the kernel set
#   slow     the same time to block twice in one run, with the admin page on:
#            without other clients, then while 80 slow HTTP clients trickle
#            headers to the admin page and a slow control client trickles its
#            request; both figures and their ratio
#   tput     block throughput: 100,000 scanners at full speed, elements
#            added per second, and the control socket's worst answer time
#   capture  a mixed capture at rising packet rates: the highest rate with no
#            kernel drop, every packet counted and every guesser blocked;
#            peak RSS of the daemon
#
# --quick: 20,000 scanners for tput, a 50,000-message mixed capture.  Figures
# are informational: exits non-zero only when a command fails.  Needs root,
# ip (iproute2), nft, tcpreplay, tcpdump and /usr/bin/python3; perf for
# LIVE_PERF.  Creates two namespaces (server, client) and a temp dir and
# removes them on exit; the machine's own namespace is never touched.
#
# Environment: BENCH_OUT (captures, default bench/out), BENCH_SEED (1),
# SIPWARDEN (binary to measure; then not built), LIVE_SCANNERS (tput,
# 100000), LIVE_TPUT_PPS (tput replay rate, default full speed),
# LIVE_TPUT_WAIT (seconds to wait for the last block, 60), LIVE_MIXED
# (messages in the mixed capture, 200000), LIVE_RATES (capture rates,
# "20000 50000 100000 200000 top"), LIVE_TRIALS (runs per rate, 2),
# LIVE_PERF=1 (perf record of the daemon during tput, into BENCH_OUT),
# LIVE_KEEP=DIR (copy the raw records there: logs, nlwatch, ctlpoll).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PY=/usr/bin/python3
LIVE=$ROOT/bench/live
TRICKLE=$ROOT/tests/e2e/ctl/trickle.py
QUICK=0
ONLY=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--only) case "${2:-}" in ttb|slow|tput|capture) ONLY+=("$2") ;;
		*) echo "bench/live.sh: --only takes ttb, slow, tput or capture" >&2; exit 2 ;; esac
		shift ;;
	-h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/live.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ ${#ONLY[@]} -gt 0 ] || ONLY=(ttb slow tput capture)
want() { [[ " ${ONLY[*]} " == *" $1 "* ]]; }

OUT=${BENCH_OUT:-bench/out}
SEED=${BENCH_SEED:-1}
SW=${SIPWARDEN:-build/sipwarden}
case $SW in /*) ;; *) SW=$ROOT/$SW ;; esac
GEN=$ROOT/build/bench/gen_pcap
N_TTB=1000
N_TPUT=${LIVE_SCANNERS:-100000}
N_MIX=${LIVE_MIXED:-200000}
RATES=${LIVE_RATES:-20000 50000 100000 200000 top}
TPUT_WAIT=${LIVE_TPUT_WAIT:-60}
TRIALS=${LIVE_TRIALS:-2}
if [ "$QUICK" = 1 ]; then
	N_TPUT=${LIVE_SCANNERS:-20000}
	N_MIX=${LIVE_MIXED:-50000}
fi

die() { echo "bench/live.sh: $*" >&2; exit 1; }
note() { echo "  $*"; }

# ---- preconditions and build --------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, nftables)"
for t in ip nft tcpreplay tcpdump timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (Debian: iproute2 nftables tcpreplay tcpdump coreutils python3)"
done
if [ -z "${SIPWARDEN:-}" ]; then
	make -s build/sipwarden build/bench/gen_pcap || die "build failed"
else
	make -s build/bench/gen_pcap 2>/dev/null || {
		mkdir -p build/bench
		${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$GEN" bench/gen_pcap.c || die "cannot build gen_pcap"
	}
fi
[ -x "$SW" ] || die "$SW is not an executable"
mkdir -p "$OUT"

# ---- clean-up: our processes by pid, then our namespaces -------------------------
NS_S=swlb$$s      # server: the daemon, its nft table, the capture side of the veth
NS_C=swlb$$c      # client: tcpreplay sends from here
NS_MADE=()
PIDS=()
DCOUNT=0
TMP=$(mktemp -d /tmp/swlive.XXXXXX)

# stop_pid PID [SIGNAL] [SECONDS]: signals PID, waits for it, then SIGKILL.
stop_pid() {
	local pid=$1 sig=${2:-TERM} secs=${3:-10} i
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	set +e
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do stop_pid "$p" TERM 5; done
	for p in "${NS_MADE[@]}"; do ip netns del "$p" 2>/dev/null; done
	if [ -n "${LIVE_KEEP:-}" ]; then
		mkdir -p "$LIVE_KEEP" && cp -r "$TMP"/. "$LIVE_KEEP"/ && echo "raw records kept in $LIVE_KEEP" >&2
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# spawn NS LOG CMD...: CMD in the background inside NS (or here if NS is -),
# stdout and stderr to LOG; its pid in SPAWNED (ip netns exec execs CMD).
spawn() {
	local ns=$1 log=$2; shift 2
	if [ "$ns" = - ]; then
		"$@" </dev/null >"$log" 2>&1 &
	else
		ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	fi
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

# ---- topology ------------------------------------------------------------------
# The veth is created with its ends directly in the two namespaces.  The
# server end has the MAC the generated captures send to and the captures'
# server addresses, so requests take the full path through prerouting (where
# the drop rules are); responses in the captures go to another MAC and are
# only seen by the capture (packet sockets see every frame on a veth).
make_net() {
	local ns
	for ns in "$NS_S" "$NS_C"; do
		ip netns list | awk '{print $1}' | grep -qx "$ns" && die "namespace $ns exists"
		ip netns add "$ns" || die "ip netns add $ns failed"
		NS_MADE+=("$ns")
		ip -n "$ns" link set lo up
	done
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$NS_S" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
	ip link add swinj netns "$NS_C" address 02:00:00:00:00:01 type veth \
		peer name swcap netns "$NS_S" address 02:00:00:00:00:02 || die "cannot create the veth pair"
	ip -n "$NS_S" addr add 198.51.100.1/24 dev swcap
	ip -n "$NS_S" -6 addr add 2001:db8::1/64 dev swcap nodad
	ip -n "$NS_S" link set swcap up
	ip -n "$NS_C" link set swinj up
}

# ---- generated captures (cached like run.sh) ----------------------------------------
# gen FILE ARGS...: (re)generates FILE unless newer than the generator's source.
gen() {
	local f=$1; shift
	if [ ! -s "$f" ] || [ bench/gen_pcap.c -nt "$f" ]; then
		"$GEN" "$@" "$f" 2> "$TMP/gen.err" || { cat "$TMP/gen.err" >&2; die "gen_pcap failed"; }
		sed -n 's/^gen_pcap: /  /p' "$TMP/gen.err" | head -n 1
	else
		note "$f: cached"
	fi
}

# ---- the daemon ---------------------------------------------------------------------
# start_daemon NAME STDERR [SIP_KEYS] [MORE]: writes a config (interface swcap,
# its own database, socket and nft table; keep_blocks_on_exit = no; MORE
# appended, e.g. an [http] section) and starts
# `sipwarden run` in the server namespace with stderr to STDERR (a file or a
# fifo); waits for its control socket.  Sets DPID, SOCK, TABLE.
start_daemon() {
	local name=$1 errto=$2 sipkeys=${3:-} more=${4:-} i
	SOCK=$TMP/$name.sock
	DCOUNT=$((DCOUNT + 1))
	TABLE=swlb$$_$DCOUNT      # letters, digits and _ only
	mkdir -p "$TMP/$name"
	cat > "$TMP/$name.conf" <<-EOF
	[general]
	interfaces = swcap
	database = $TMP/$name/sipwarden.db
	ctl_socket = $SOCK
	capture_buffer = 64M
	max_tracked = 1000000
	block_time = 1h
	[sip]
	$sipkeys
	[firewall]
	backend = nftables
	table = $TABLE
	keep_blocks_on_exit = no
	$more
	EOF
	ip netns exec "$NS_S" "$SW" run -c "$TMP/$name.conf" </dev/null >/dev/null 2>"$errto" &
	DPID=$!
	PIDS+=("$DPID")
	for ((i = 0; i < 100; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		"$SW" ctl -s "$SOCK" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	[ -f "$errto" ] && tail -n 20 "$errto" >&2
	die "the daemon did not start (config $TMP/$name.conf)"
}

# status: the daemon's status as JSON, into $TMP/status.json.
status() { "$SW" ctl -s "$SOCK" status --json > "$TMP/status.json" || die "ctl status failed"; }
# jget KEY...: values of top-level or dotted keys of $TMP/status.json.
jget() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = d
    for p in k.split("."): v = v[p]
    print(v)' "$TMP/status.json" "$@"
}

# settle SECONDS: waits (at most SECONDS) until the daemon has read every
# packet (the count is still for 0.6 s) and the firewall worker has done
# every block (operations >= blocks, nothing pending).
settle() {
	local limit=$(( SECONDS + $1 )) last=-1 same=0 pk ops blk pend
	while [ $SECONDS -lt $limit ]; do
		status
		read -r pk ops blk pend < <(jget packets firewall.operations blocks firewall.pending | paste -sd' ')
		if [ "$pk" = "$last" ]; then same=$((same + 1)); else same=0; fi
		last=$pk
		[ "$same" -ge 3 ] && [ "$pend" = 0 ] && [ "$ops" -ge "$blk" ] && return 0
		sleep 0.2
	done
	note "(still busy after $1 s: packets $pk, firewall operations $ops of $blk, $pend pending)"
	return 1
}

# hwm PID: peak resident set (VmHWM) in KB.
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# replay ARGS... FILE: tcpreplay from the client namespace; sets SENT (packets
# sent) and PPS (rate achieved).
replay() {
	ip netns exec "$NS_C" tcpreplay -i swinj "$@" > "$TMP/tcpreplay.out" 2>&1 \
		|| { cat "$TMP/tcpreplay.out" >&2; die "tcpreplay failed"; }
	SENT=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$TMP/tcpreplay.out")
	PPS=$(sed -n 's/^Rated: .* \([0-9.]*\) pps.*/\1/p' "$TMP/tcpreplay.out")
	PPS=${PPS%.*}
	[ -n "$SENT" ] || { cat "$TMP/tcpreplay.out" >&2; die "cannot read tcpreplay's output"; }
}

# watch_start: nlwatch.py on our table, in the server namespace.
watch_start() {
	rm -f "$TMP/nl.ready"
	spawn "$NS_S" "$TMP/nlwatch.err" "$PY" "$LIVE/nlwatch.py" "$TABLE" "$TMP/nl.txt" "$TMP/nl.ready"
	WPID=$SPAWNED
	local i
	for ((i = 0; i < 50; i++)); do [ -s "$TMP/nl.ready" ] && return 0; sleep 0.1; done
	cat "$TMP/nlwatch.err" >&2
	die "nlwatch.py did not start"
}

kvget() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$TMP/kv"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
verdict() { awk "BEGIN { exit !($1) }" 2>/dev/null && echo PASS || echo MISS; }
: > "$TMP/kv"

echo "== sipwarden live benchmark: $SW, $(nproc) CPUs, kernel $(uname -r)"
echo "-- captures"
SCAN1=$OUT/scanners-$N_TTB-i2000-s$SEED.pcap
SCAN2=$OUT/scanners-$N_TPUT-i10-s$SEED.pcap
MIXED=$OUT/mixed-$N_MIX-s$SEED.pcap
{ want ttb || want slow; } && gen "$SCAN1" --mode scanners --messages "$N_TTB" --interval 2000 --seed "$SEED"
want tput && gen "$SCAN2" --mode scanners --messages "$N_TPUT" --interval 10 --seed "$SEED"
if want capture; then
	gen "$MIXED" --mode mixed --messages "$N_MIX" --seed "$SEED"
	if [ ! -s "$MIXED.guessers" ] || [ "$MIXED" -nt "$MIXED.guessers" ]; then
		"$PY" "$LIVE/analyze.py" guessers "$MIXED" "$MIXED.guessers"
	fi
fi
make_net

# ---- 1. time to block -------------------------------------------------------------------
# ttb_run NAME [LOAD]: one time-to-block measurement (the daemon NAME, its
# own records); with LOAD = slow, the admin page is on and 80 slow HTTP
# clients (16 from each of 5 addresses of the client namespace) and one slow
# control client trickle throughout; with LOAD = page, the admin page is on
# and nobody else talks to the daemon.  Adds NAME_median, NAME_p99, ... to
# the summary's records.
ttb_run() {
	local name=$1 load=${2:-} more=
	[ -n "$load" ] && more=$'[http]\nlisten = 198.51.100.1:8080'
	rm -f "$TMP/err.fifo"
	mkfifo "$TMP/err.fifo"
	spawn - "$TMP/stamp-$name.err" sh -c 'exec "$0" "$1" "$2" < "$3"' "$PY" "$LIVE/stamp.py" "$TMP/$name.log" "$TMP/err.fifo"
	SPID=$SPAWNED
	start_daemon "$name" "$TMP/err.fifo" "" "$more"
	watch_start
	local hpid= cpid=
	if [ "$load" = slow ]; then
		rm -f "$TMP/http.ready" "$TMP/ctltr.ready"
		spawn "$NS_C" "$TMP/http-trickle.err" "$PY" "$TRICKLE" --tcp 198.51.100.1:8080 \
			--source "$SLOW_SRCS" --clients 80 --every 1 --duration 600 --grace 0 \
			--ready "$TMP/http.ready" "$TMP/http-trickle.json"
		hpid=$SPAWNED
		spawn - "$TMP/ctl-trickle.err" "$PY" "$TRICKLE" --unix "$SOCK" --clients 1 --every 1.5 \
			--duration 600 --grace 0 --ready "$TMP/ctltr.ready" "$TMP/ctl-trickle.json"
		cpid=$SPAWNED
		local i
		for ((i = 0; i < 100; i++)); do
			[ -s "$TMP/http.ready" ] && [ -s "$TMP/ctltr.ready" ] && break
			sleep 0.1
		done
		[ -s "$TMP/http.ready" ] && [ -s "$TMP/ctltr.ready" ] || die "the slow clients did not start"
	fi
	spawn "$NS_S" "$TMP/tcpdump.err" tcpdump -i swcap -nn -U -B 16384 --time-stamp-precision=micro \
		-w "$TMP/$name.pcap" udp port 5060
	TPID=$SPAWNED
	sleep 1
	replay -T nano "$SCAN1"   # nanosleep between packets: gtod would spin a CPU
	settle 30
	sleep 0.5
	if [ "$load" = slow ]; then
		status
		note "control socket meanwhile: $(jget ctl.request_timeouts) slow requests dropped, $(jget ctl.refused) refused, $(jget ctl.served) answered"
		stop_pid "$hpid" TERM 5
		stop_pid "$cpid" TERM 5
		note "slow HTTP clients: $(jq_file "$TMP/http-trickle.json" '"%d connections, %d closed by the server, %d open at the end, %d connect errors" % (d["connections"], d["dropped"], d["open_at_end"], d["connect_errors"])')"
		note "slow control clients: $(jq_file "$TMP/ctl-trickle.json" '"%d connections, %d closed by the daemon (after %s s)" % (d["connections"], d["dropped"], "/".join(str(x) for x in sorted(set(round(l, 1) for l in d["lifetimes"])) ) or "-")')"
	fi
	stop_pid "$TPID" TERM 5
	stop_pid "$WPID" TERM 10
	stop_pid "$DPID" TERM 20
	stop_pid "$SPID" TERM 5
	note "sent $SENT packets ($PPS pps)"
	: > "$TMP/kv.$name"
	"$PY" "$LIVE/analyze.py" ttb "$TMP/$name.pcap" "$TMP/$name.log" "$TMP/nl.txt" "$TMP/kv.$name"
	sed "s/^ttb_/${name}_/" "$TMP/kv.$name" >> "$TMP/kv"
	mv "$TMP/nl.txt" "$TMP/$name.nl"
}
# jq_file FILE EXPR: a Python expression over the JSON object d of FILE.
jq_file() { "$PY" -c 'import json,sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

if want ttb; then
	echo "-- time to block: $N_TTB scanners, one every 2 ms, replayed in real time"
	ttb_run ttb
fi

if want slow; then
	echo "-- time to block with slow clients: the same $N_TTB scanners, admin page on; first alone,"
	echo "   then with 80 slow HTTP clients (16 from each of 5 addresses) and a slow control client"
	SLOW_SRCS=198.51.100.11,198.51.100.12,198.51.100.13,198.51.100.14,198.51.100.15
	for a in ${SLOW_SRCS//,/ }; do ip -n "$NS_C" addr add "$a/24" dev swinj; done
	echo " - without them"
	ttb_run base page
	echo " - with them"
	ttb_run slow slow
fi

# ---- 2. block throughput ----------------------------------------------------------------
if want tput; then
	echo "-- block throughput: $N_TPUT scanners at ${LIVE_TPUT_PPS:-full speed}${LIVE_TPUT_PPS:+ pps}"
	start_daemon tput "$TMP/tput.log"
	watch_start
	spawn - "$TMP/ctlpoll.err" "$PY" "$LIVE/ctlpoll.py" "$SOCK" "$TMP/ctl.txt" 10
	CPID=$SPAWNED
	PERF_PID=
	if [ "${LIVE_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
		spawn - "$TMP/perf.err" perf record -g -o "$OUT/live-tput.perf.data" -p "$DPID"
		PERF_PID=$SPAWNED
	fi
	sleep 0.5
	T0=$(date +%s.%N)
	if [ -n "${LIVE_TPUT_PPS:-}" ]; then replay --pps="$LIVE_TPUT_PPS" "$SCAN2"; else replay --topspeed "$SCAN2"; fi
	TP_DONE=1
	settle "$TPUT_WAIT" || TP_DONE=0
	sleep 0.5
	[ -z "$PERF_PID" ] || stop_pid "$PERF_PID" INT 30
	stop_pid "$CPID" TERM 5
	stop_pid "$WPID" TERM 20
	status
	read -r TP_PK TP_DROP TP_BLK TP_ERR TP_SERR < <(jget packets kernel_drops blocks firewall.errors store.errors | paste -sd' ')
	TP_V4=$(ip netns exec "$NS_S" nft list set inet "$TABLE" v4 | grep -oE '([0-9]+\.){3}[0-9]+ timeout' | wc -l)
	TP_V6=$(ip netns exec "$NS_S" nft list set inet "$TABLE" v6 | grep -oE '[0-9a-f:]+ timeout' | wc -l)
	TP_RSS=$(hwm "$DPID")
	# a daemon with work queued would finish it before exiting: kill it
	if [ "$TP_DONE" = 1 ]; then stop_pid "$DPID" TERM 30; else stop_pid "$DPID" KILL 5; fi
	note "sent $SENT packets at $PPS pps; daemon: $TP_PK packets, $TP_DROP kernel drops, $TP_BLK blocks, $TP_ERR firewall and $TP_SERR store errors; sets hold $((TP_V4 + TP_V6)) elements; peak RSS $(calc "%.1f" "$TP_RSS / 1024") MB"
	"$PY" "$LIVE/analyze.py" tput "$TMP/nl.txt" "$T0" "$N_TPUT" "$TMP/kv"
	"$PY" "$LIVE/analyze.py" ctl "$TMP/ctl.txt" "$TMP/kv"
	grep -m 3 'firewall .* failed\|queue full' "$TMP/tput.log" | sed 's/^/  log: /' || true
	[ -z "$PERF_PID" ] || note "perf data: $OUT/live-tput.perf.data (perf report -i ...)"
	mv "$TMP/nl.txt" "$TMP/tput.nl"
fi

# ---- 3. live capture --------------------------------------------------------------------
if want capture; then
	NG=$(wc -l < "$MIXED.guessers")
	# An hour of a registrar replayed in seconds makes every NAT office
	# (100 phones behind one address) look like a flood and, with 100
	# first-REGISTER challenges in a few seconds, like an enumeration: those
	# two rules are off here; guessers are caught by bad_registration/scanner.
	echo "-- live capture: $MIXED ($N_MIX messages, $NG guessers), flood and enumeration off, $TRIALS trials per rate"
	printf "  %-8s %9s %10s %10s %8s %9s %7s %8s  %s\n" rate sent "sent pps" captured drops \
		guessers others "RSS MB" clean
	BEST=0; BEST_LABEL=none; MAX_RSS=0; FAILED=0
	for r in $RATES; do
	  for trial in $(seq 1 "$TRIALS"); do
		if [ "$r" = top ]; then args=(--topspeed); else args=(--pps="$r"); fi
		start_daemon "cap$r-$trial" "$TMP/cap-$r-$trial.log" $'flood = off\nenumeration = off'
		sleep 0.3
		replay "${args[@]}" "$MIXED"
		settle 60
		status
		read -r C_PK C_DROP < <(jget packets kernel_drops | paste -sd' ')
		RSS=$(hwm "$DPID")
		[ "$RSS" -gt "$MAX_RSS" ] && MAX_RSS=$RSS
		stop_pid "$DPID" TERM 30
		: > "$TMP/kv.cap"
		"$PY" "$LIVE/analyze.py" blocked "$TMP/cap-$r-$trial.log" "$MIXED.guessers" "$TMP/kv.cap"
		BG=$(awk '$1 == "blocked_guessers" { print $2 }' "$TMP/kv.cap")
		BO=$(awk '$1 == "blocked_other" { print $2 }' "$TMP/kv.cap")
		clean=no
		if [ "$C_DROP" = 0 ] && [ "$C_PK" = "$SENT" ] && [ "$BG" = "$NG" ] && [ "$BO" = 0 ]; then
			clean=yes
		else
			FAILED=1
		fi
		# the best rate: clean in every trial, and every lower rate too
		if [ "$FAILED" = 0 ] && [ "$trial" = "$TRIALS" ] && [ "$PPS" -gt "$BEST" ]; then
			BEST=$PPS; BEST_LABEL=$r
		fi
		printf "  %-8s %9s %10s %10s %8s %9s %7s %8s  %s\n" "$r" "$SENT" "$PPS" "$C_PK" "$C_DROP" \
			"$BG/$NG" "$BO" "$(calc "%.1f" "$RSS / 1024")" "$clean"
	  done
	done
	echo "cap_best $BEST" >> "$TMP/kv"
	echo "cap_best_label $BEST_LABEL" >> "$TMP/kv"
	echo "cap_rss $MAX_RSS" >> "$TMP/kv"
fi

# ---- summary ----------------------------------------------------------------------------
echo
echo "== summary (live; informational)"
printf "  %-44s %16s  %-14s %s\n" figure value target result
if want ttb; then
	M=$(kvget ttb_median); P=$(kvget ttb_p99); X=$(kvget ttb_max)
	printf "  %-44s %16s  %-14s %s\n" "time to block, median ($(kvget ttb_n) of $N_TTB)" "$M ms" "< 2 ms" "$(verdict "$M < 2")"
	printf "  %-44s %16s  %-14s %s\n" "time to block, p99" "$P ms" "< 10 ms" "$(verdict "$P < 10")"
	printf "  %-44s %16s\n" "time to block, max" "$X ms"
fi
if want slow; then
	B=$(kvget base_median); S=$(kvget slow_median); BP=$(kvget base_p99); SP=$(kvget slow_p99)
	RM=$(calc "%.2f" "$S / $B"); RP=$(calc "%.2f" "$SP / $BP")
	printf "  %-44s %16s\n" "time to block, median, admin page idle" "$B ms"
	printf "  %-44s %16s\n" "  with 80 slow HTTP + 1 slow ctl client" "$S ms"
	printf "  %-44s %16s  %-14s %s\n" "  ratio (with / without), median" "$RM" "<= 1.5" "$(verdict "$RM <= 1.5 && $(kvget slow_n) == $N_TTB")"
	printf "  %-44s %16s\n" "time to block, p99, idle / slow clients" "$BP / $SP ms"
	printf "  %-44s %16s\n" "  ratio (with / without), p99" "$RP"
fi
if want tput; then
	R=$(kvget tput_rate); TN=$(kvget tput_n)
	printf "  %-44s %16s  %-14s %s\n" "block throughput ($TN of $N_TPUT added)" "$R /s" ">= 20000/s" \
		"$(verdict "$R >= 20000 && $TN == $N_TPUT")"
	printf "  %-44s %16s\n" "  end to end (replay start to last element)" "$(kvget tput_e2e) /s"
	printf "  %-44s %16s\n" "ctl status max answer time during it" "$(kvget ctl_max) ms"
	printf "  %-44s %16s\n" "  median / p99 ($(kvget ctl_n) requests)" "$(kvget ctl_median) / $(kvget ctl_p99) ms"
fi
if want capture; then
	B=$(kvget cap_best)
	printf "  %-44s %16s\n" "highest clean capture rate (of: $RATES)" "$B pkt/s"
	echo "    (clean: no kernel drop, every packet counted, every guesser and nobody else blocked, in every trial of it and of each lower rate)"
	printf "  %-44s %16s\n" "peak RSS (VmHWM), live capture" "$(calc "%.1f" "$(kvget cap_rss) / 1024") MB"
fi
