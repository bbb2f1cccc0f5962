#!/usr/bin/env bash
# bench/run.sh: the replay benchmark (see bench/README.md).
#
#   bench/run.sh [--quick] [--runs N]
#
# Generates (once, cached) a mixed capture of N messages (1,000,000; 100,000
# with --quick) and a spoofed-source flood of N messages, then times
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
	--quick) N=100000 ;;
	--runs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --runs needs a count" >&2; exit 2; }
		RUNS=$2; shift ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

MIXED="$OUT/mixed-$N-s$SEED.pcap"
SPOOF="$OUT/spoofed-$N-s$SEED.pcap"
echo "== sipwarden replay benchmark: $N messages, best of $RUNS, pinned: ${PIN[*]:-no}"
echo "-- generating"
gen mixed "$MIXED"
gen spoofed "$SPOOF"
cat "$MIXED" "$SPOOF" > /dev/null   # into the page cache before any timing

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
sed -n 's/.*"event":"block","ip":"\([^"]*\)".*/\1/p' "$TMP/events" | sort -u > "$TMP/blocked"
B_GUESS=$(grep -cE '^(203\.0\.113\.|2001:db8:666:)' "$TMP/blocked" || true)
B_PHONE=$(grep -cE '^(198\.51\.100\.|2001:db8:[0-9a-f]{1,2}:)' "$TMP/blocked" || true)

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
