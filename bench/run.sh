#!/usr/bin/env bash
# bench/run.sh: the replay benchmark (see bench/README.md).
#
#   bench/run.sh [--quick] [--runs N]     (--worst: bench/worst_msg, parsers on worst-case messages)
#
# Generates (once, cached) a mixed capture of N messages (1,000,000; 100,000
# with --quick), a services capture of N (the mixed SIP traffic for 80%, TFTP
# and DNS for 10% each) and a spoofed-source flood of N messages, then times
# `sipwarden replay` against `tcpdump -r FILE -w /dev/null` on the same file,
# interleaved, best of --runs (3).  Figures are informational: the script
# exits non-zero only when a command fails.
#
# Environment: BENCH_OUT (directory for the captures, default bench/out),
# BENCH_SEED (1), BENCH_CPU (the core to pin to, default 1), SIPWARDEN (the
# binary to measure instead of build/sipwarden, which is then not built),
# SIPWARDEN_ARGS (extra replay arguments, e.g. "-c my.conf").
set -euo pipefail

cd "$(dirname "$0")/.."
N=1000000
RUNS=3
while [ $# -gt 0 ]; do
	case "$1" in
	--live) shift; exec "$(dirname "$0")/live.sh" "$@" ;;   # the live benchmarks (bench/live.sh)
	--worst) make -s build/bench/worst_msg && exec build/bench/worst_msg ;;   # worst-case messages (bench/worst_msg.c)
	--quick) N=100000 ;;
	--runs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --runs needs a count" >&2; exit 2; }
		RUNS=$2; shift ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
OUT=${BENCH_OUT:-bench/out}
SEED=${BENCH_SEED:-1}
SW=${SIPWARDEN:-build/sipwarden}
GEN=build/bench/gen_pcap
read -r -a SW_ARGS <<< "${SIPWARDEN_ARGS:-}"

die() { echo "bench/run.sh: $*" >&2; exit 1; }

if [ -z "${SIPWARDEN:-}" ]; then
	make -s "$SW" "$GEN" || die "build failed"
elif ! make -s "$GEN" 2> /dev/null; then
	# gen_pcap needs only libc: build it alone when the tree does not build.
	mkdir -p build/bench
	${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$GEN" bench/gen_pcap.c || die "cannot build gen_pcap"
fi
[ -x "$SW" ] || die "$SW is not an executable"
command -v tcpdump >/dev/null || die "tcpdump is not installed"
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Pin to one core when we can (and the core exists).
PIN=()
CPU=${BENCH_CPU:-1}
if command -v taskset >/dev/null; then
	[ "$CPU" -lt "$(nproc)" ] || CPU=$(( $(nproc) - 1 ))
	if taskset -c "$CPU" true 2>/dev/null; then PIN=(taskset -c "$CPU"); fi
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "note: /usr/bin/time (package 'time') missing: no peak RSS" >&2; TIME=; }

# gen MODE FILE: (re)generates FILE unless it is newer than the generator's
# source (the output depends only on it and the arguments in the name).
gen() {
	if [ ! -s "$2" ] || [ bench/gen_pcap.c -nt "$2" ]; then
		"$GEN" --mode "$1" --messages "$N" --seed "$SEED" "$2" 2> "$TMP/gen.err" \
			|| { cat "$TMP/gen.err" >&2; die "gen_pcap failed"; }
		sed 's/^gen_pcap: /  /' "$TMP/gen.err"
	else
		echo "  $2: cached ($(( $(stat -c %s "$2") / 1000000 )) MB)"
	fi
}

# measure NAME CMD...: runs CMD pinned, stdout to /dev/null, stderr kept in
# $TMP/NAME.err; sets WALL (seconds) and RSS (peak KB, or "").
measure() {
	local name=$1; shift
	local t0 t1 rc=0
	t0=$(date +%s%N)
	if [ -n "$TIME" ]; then
		"$TIME" -f '%M' -o "$TMP/$name.rss" "${PIN[@]}" "$@" > /dev/null 2> "$TMP/$name.err" || rc=$?
	else
		"${PIN[@]}" "$@" > /dev/null 2> "$TMP/$name.err" || rc=$?
	fi
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$TMP/$name.err" >&2
		die "'$*' exited with status $rc"
	fi
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	RSS=
	if [ -n "$TIME" ]; then RSS=$(tail -n 1 "$TMP/$name.rss"); fi
}

# stat_of FILE best|median|max: of the numbers in FILE, one per line.
stat_of() {
	sort -g "$1" | awk -v w="$2" '{ v[NR] = $1 } END {
		if (w == "best") print v[1]; else if (w == "max") print v[NR];
		else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
mb() { [ -n "$1" ] && calc "%.1f" "$1 / 1024" || echo "n/a"; }

# blocked_ips EVENTS DETECTOR: the addresses blocked by DETECTOR ("" = any), sorted.
blocked_ips() {
	sed -n 's/.*"event":"block","ip":"\([^"]*\)","detector":"'"${2:-[^\"]*}"'".*/\1/p' "$1" | sort -u
}
count_re() { grep -cE "$1" "$2" || true; }
GUESS_RE='^(203\.0\.113\.|2001:db8:666:)[^/]*$'   # hosts, not an aggregate prefix
PHONE_RE='^(198\.51\.100\.|2001:db8:[0-9a-f]{1,2}:)'

MIXED="$OUT/mixed-$N-s$SEED.pcap"
SVC="$OUT/services-$N-s$SEED.pcap"
SPOOF="$OUT/spoofed-$N-s$SEED.pcap"
NSIP=$(( N - 2 * (N / 10) ))   # SIP messages in the services capture
echo "== sipwarden replay benchmark: $N messages, best of $RUNS, pinned: ${PIN[*]:-no}"
echo "-- generating"
gen mixed "$MIXED"
gen services "$SVC"
gen spoofed "$SPOOF"
cat "$MIXED" "$SVC" "$SPOOF" > /dev/null   # into the page cache before any timing

echo "-- mixed traffic ($MIXED)"
printf "  %-4s %12s %12s %14s\n" run "tcpdump s" "replay s" "replay RSS MB"
: > "$TMP/td"; : > "$TMP/rp"; : > "$TMP/rss"
for i in $(seq 1 "$RUNS"); do
	measure tcpdump tcpdump -r "$MIXED" -w /dev/null
	TD=$WALL
	measure replay "$SW" replay "${SW_ARGS[@]}" "$MIXED"
	echo "$TD" >> "$TMP/td"; echo "$WALL" >> "$TMP/rp"; [ -z "$RSS" ] || echo "$RSS" >> "$TMP/rss"
	printf "  %-4s %12s %12s %14s\n" "$i" "$TD" "$WALL" "$(mb "$RSS")"
done
TD_BEST=$(stat_of "$TMP/td" best); RP_BEST=$(stat_of "$TMP/rp" best)
RP_MED=$(stat_of "$TMP/rp" median); TD_MED=$(stat_of "$TMP/td" median)
RSS_MIXED=
if [ -s "$TMP/rss" ]; then RSS_MIXED=$(stat_of "$TMP/rss" max); fi
RATE=$(calc "%.0f" "$N / $RP_BEST")
RATIO=$(calc "%.2f" "$RP_BEST / $TD_BEST")
echo "  replay summary (last run):"
sed 's/^/    /' "$TMP/replay.err"
SEEN=$(sed -n 's/.* \([0-9]*\) SIP messages.*/\1/p' "$TMP/replay.err" | head -n 1)

# Who got blocked: one more (untimed) run that keeps the event lines.
"$SW" replay "${SW_ARGS[@]}" "$MIXED" > "$TMP/events" 2> /dev/null || die "replay failed"
blocked_ips "$TMP/events" > "$TMP/blocked"
B_GUESS=$(count_re "$GUESS_RE" "$TMP/blocked")
B_PHONE=$(count_re "$PHONE_RE" "$TMP/blocked")

echo "-- services: mixed SIP ($NSIP messages) + TFTP and DNS ($(( N / 10 )) packets each) ($SVC)"
printf "  %-4s %12s %12s %14s\n" run "tcpdump s" "replay s" "replay RSS MB"
: > "$TMP/std"; : > "$TMP/sv"; : > "$TMP/svrss"
cat "$SVC" > /dev/null
for i in $(seq 1 "$RUNS"); do
	measure svc_tcpdump tcpdump -r "$SVC" -w /dev/null
	TD=$WALL
	measure services "$SW" replay "${SW_ARGS[@]}" "$SVC"
	echo "$TD" >> "$TMP/std"; echo "$WALL" >> "$TMP/sv"; [ -z "$RSS" ] || echo "$RSS" >> "$TMP/svrss"
	printf "  %-4s %12s %12s %14s\n" "$i" "$TD" "$WALL" "$(mb "$RSS")"
done
STD_BEST=$(stat_of "$TMP/std" best); SV_BEST=$(stat_of "$TMP/sv" best); SV_MED=$(stat_of "$TMP/sv" median)
RSS_SVC=
if [ -s "$TMP/svrss" ]; then RSS_SVC=$(stat_of "$TMP/svrss" max); fi
SV_RATE=$(calc "%.0f" "$N / $SV_BEST")
SV_VS_MIXED=$(calc "%.3f" "$RP_BEST / $SV_BEST")     # = services msg/s / mixed msg/s
SV_VS_MIXED_MED=$(calc "%.3f" "$RP_MED / $SV_MED")
SV_RATIO=$(calc "%.2f" "$SV_BEST / $STD_BEST")
echo "  replay summary (last run):"
sed 's/^/    /' "$TMP/services.err"
SV_SEEN=$(sed -n 's/.* \([0-9]*\) SIP messages.*/\1/p' "$TMP/services.err" | head -n 1)

# Who got blocked (untimed).  The services' attackers are the only senders
# from 192.0.2.0/24 and 2001:db8:bad::/48: to port 69 the sweepers, to
# port 53 the ANY senders and version.bind probers; the capture says how
# many there are.
"$SW" replay "${SW_ARGS[@]}" "$SVC" > "$TMP/sv_events" 2> /dev/null || die "replay failed"
tcpdump -nn -r "$SVC" 'udp and (dst port 69 or dst port 53) and (src net 192.0.2.0/24 or src net 2001:db8:bad::/48)' \
	2> /dev/null | awk '{ s = $3; sub(/\.[0-9]+$/, "", s); d = $5; sub(/:$/, "", d); sub(/.*\./, "", d); print d, s }' \
	| sort -u > "$TMP/sv_attackers"
awk '$1 == 69 { print $2 }' "$TMP/sv_attackers" | sort -u > "$TMP/sweepers"
awk '$1 == 53 { print $2 }' "$TMP/sv_attackers" | sort -u > "$TMP/dns_abusers"
blocked_ips "$TMP/sv_events" > "$TMP/sv_blocked"
SB_GUESS=$(count_re "$GUESS_RE" "$TMP/sv_blocked")
SB_PHONE=$(count_re "$PHONE_RE" "$TMP/sv_blocked")
# svc_blocks DETECTOR ATTACKERS: "EVENTS HITS OTHERS": block events of the
# detector, attackers among the addresses it blocked, and other addresses.
svc_blocks() {
	local ev hits all
	ev=$(grep -c '"event":"block","ip":"[^"]*","detector":"'"$1"'"' "$TMP/sv_events" || true)
	blocked_ips "$TMP/sv_events" "$1" > "$TMP/b_$1"
	all=$(wc -l < "$TMP/b_$1")
	hits=$(comm -12 "$TMP/b_$1" "$2" | wc -l)
	echo "$ev $hits $(( all - hits ))"
}
read -r TB_EV TB_HIT TB_OTHER <<< "$(svc_blocks tftp_bruteforce "$TMP/sweepers")"
read -r DA_EV DA_HIT DA_OTHER <<< "$(svc_blocks dns_abuse "$TMP/dns_abusers")"
N_SWEEP=$(wc -l < "$TMP/sweepers"); N_DNSA=$(wc -l < "$TMP/dns_abusers")
SV_ALERTS=$(grep -cE '"event":"alert","ip":"[^"]*","detector":"(tftp_bruteforce|dns_abuse)"' "$TMP/sv_events" || true)

echo "-- spoofed sources ($SPOOF)"
printf "  %-4s %12s %14s\n" run "replay s" "replay RSS MB"
: > "$TMP/sp"; : > "$TMP/srss"
for i in $(seq 1 "$RUNS"); do
	measure spoofed "$SW" replay "${SW_ARGS[@]}" "$SPOOF"
	echo "$WALL" >> "$TMP/sp"; [ -z "$RSS" ] || echo "$RSS" >> "$TMP/srss"
	printf "  %-4s %12s %14s\n" "$i" "$WALL" "$(mb "$RSS")"
done
SP_BEST=$(stat_of "$TMP/sp" best)
RSS_SPOOF=
if [ -s "$TMP/srss" ]; then RSS_SPOOF=$(stat_of "$TMP/srss" max); fi
SP_RATE=$(calc "%.0f" "$N / $SP_BEST")
echo "  replay summary (last run):"
sed 's/^/    /' "$TMP/spoofed.err"

verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo MISS; }
rss_verdict() { [ -n "$1" ] && verdict "$1 < 200 * 1024" || echo "n/a"; }
echo
echo "== summary ($N messages; times are best of $RUNS, RSS the largest)"
printf "  %-36s %18s  %-14s %s\n" figure value target result
printf "  %-36s %18s  %-14s %s\n" "replay throughput, mixed, one core" "$RATE msg/s" ">= 1000000" \
	"$(verdict "$RATE >= 1000000")"
printf "  %-36s %18s  %-14s %s\n" "replay / tcpdump wall time" "${RATIO}x" "<= 3x" \
	"$(verdict "$RATIO <= 3")"
printf "  %-36s %18s\n" "replay throughput, services, one core" "$SV_RATE msg/s"
printf "  %-36s %18s  %-14s %s\n" "services / mixed msg/s" "$SV_VS_MIXED" ">= 0.90" \
	"$(verdict "$SV_VS_MIXED >= 0.90") (drop <= 10%)"
printf "  %-36s %18s  %-14s %s\n" "peak RSS, mixed" "$(mb "$RSS_MIXED") MB" "< 200 MB" \
	"$(rss_verdict "$RSS_MIXED")"
printf "  %-36s %18s  %-14s %s\n" "peak RSS, $N spoofed sources" "$(mb "$RSS_SPOOF") MB" "< 200 MB" \
	"$(rss_verdict "$RSS_SPOOF")"
printf "  %-36s %18s\n" "replay throughput, spoofed" "$SP_RATE msg/s"
printf "  %-36s %18s\n" "tcpdump best / median, mixed" "$TD_BEST / $TD_MED s"
printf "  %-36s %18s\n" "replay best / median, mixed" "$RP_BEST / $RP_MED s"
printf "  %-36s %18s\n" "SIP messages counted by replay" "${SEEN:-?} of $N"
printf "  %-36s %18s\n" "guesser addresses blocked" "$B_GUESS of $(( N / 2000 ))"
printf "  %-36s %18s\n" "phone addresses blocked (want 0)" "$B_PHONE"
echo "  services capture:"
printf "  %-36s %18s\n" "replay best / median, services" "$SV_BEST / $SV_MED s"
printf "  %-36s %18s\n" "services / mixed msg/s, medians" "$SV_VS_MIXED_MED"
printf "  %-36s %18s\n" "replay / tcpdump wall time, services" "${SV_RATIO}x"
printf "  %-36s %18s\n" "peak RSS, services" "$(mb "$RSS_SVC") MB"
printf "  %-36s %18s\n" "SIP messages counted by replay" "${SV_SEEN:-?} of $NSIP"
printf "  %-36s %18s\n" "guesser addresses blocked" "$SB_GUESS of $(( N / 2000 ))"
printf "  %-36s %18s\n" "phone addresses blocked (want 0)" "$SB_PHONE"
printf "  %-36s %18s\n" "tftp_bruteforce block events" "$TB_EV"
printf "  %-36s %18s\n" "  TFTP sweepers blocked" "$TB_HIT of $N_SWEEP"
printf "  %-36s %18s\n" "  other addresses blocked (want 0)" "$TB_OTHER"
printf "  %-36s %18s\n" "dns_abuse block events" "$DA_EV"
printf "  %-36s %18s\n" "  ANY / version.bind senders blocked" "$DA_HIT of $N_DNSA"
printf "  %-36s %18s\n" "  other addresses blocked (want 0)" "$DA_OTHER"
printf "  %-36s %18s\n" "TFTP/DNS alerts (not blocked)" "$SV_ALERTS"
