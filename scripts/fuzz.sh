#!/usr/bin/env bash
# Runs the libFuzzer harnesses of build-fuzz/ (`make fuzz` first), each for
# FUZZ_SECONDS (default 60) from a copy of its corpus fuzz/corpus/NAME/ with
# its dictionary fuzz/NAME.dict, so the repository is never written.
#   scripts/fuzz.sh [NAME...]       (NAME: decode, sip, engine...; default all)
# Environment: FUZZ_SECONDS, FUZZ_JOBS (parallel jobs per harness, default 1),
# FUZZ_MAX_LEN (default 70000: above the 65,535-byte SIP message limit),
# FUZZ_LOG (directory for logs and crashing inputs; default a new temp dir),
# FUZZ_KEEP (directory: the grown corpus of each harness is left in
# FUZZ_KEEP/NAME, to be merged with -merge=1 into fuzz/corpus by hand).
# Any sanitizer report (undefined behaviour included) stops the harness and
# fails it.  Prints one line per harness:
#   NAME execs=N cov=N ft=N corpus=N seconds=N ok|FAIL
# (cov: edges covered; ft: libFuzzer's features, edges with hit counts)
# and exits non-zero when any harness failed.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60} jobs=${FUZZ_JOBS:-1} maxlen=${FUZZ_MAX_LEN:-70000}
log=${FUZZ_LOG:-$(mktemp -d /tmp/sipwarden-fuzz.XXXXXX)}
mkdir -p "$log"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in build-fuzz/fuzz_*; do [ -x "$f" ] && names+=("${f#build-fuzz/fuzz_}"); done
fi
[ ${#names[@]} -gt 0 ] || { echo "no harness in build-fuzz/ (run make fuzz)"; exit 1; }

failed=0
for n in "${names[@]}"; do
	bin=$PWD/build-fuzz/fuzz_$n
	[ -x "$bin" ] || { echo "$n: no build-fuzz/fuzz_$n"; failed=1; continue; }
	work=$(mktemp -d /tmp/sipwarden-fuzz-$n.XXXXXX)
	mkdir "$work/corpus"
	[ -d "fuzz/corpus/$n" ] && cp -r "fuzz/corpus/$n/." "$work/corpus/"
	args=(-max_total_time="$secs" -max_len="$maxlen" -timeout=25 -rss_limit_mb=2560
	      -print_final_stats=1 -artifact_prefix="$log/$n-")
	[ -f "fuzz/$n.dict" ] && args+=(-dict="$PWD/fuzz/$n.dict")
	[ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
	start=$(date +%s)
	(cd "$work" && "$bin" "${args[@]}" corpus >"$log/$n.log" 2>&1)
	rc=$?
	took=$(( $(date +%s) - start ))
	logs=("$log/$n.log"); [ "$jobs" -gt 1 ] && logs+=("$work"/fuzz-*.log)
	execs=$(cat "${logs[@]}" 2>/dev/null | awk '/stat::number_of_executed_units/ { s += $2 } END { print s + 0 }')
	cov=$(cat "${logs[@]}" 2>/dev/null | grep -o 'cov: [0-9]*' | awk '$2 > m { m = $2 } END { print m + 0 }')
	ft=$(cat "${logs[@]}" 2>/dev/null | grep -o 'ft: [0-9]*' | awk '$2 > m { m = $2 } END { print m + 0 }')
	size=$(find "$work/corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then st=ok; else st=FAIL; failed=1; fi
	echo "$n execs=$execs cov=$cov ft=$ft corpus=$size seconds=$took $st"
	if [ "$rc" -ne 0 ]; then
		[ "$jobs" -gt 1 ] && cat "$work"/fuzz-*.log >>"$log/$n.log" 2>/dev/null
		grep -m1 -E 'ERROR|runtime error|SUMMARY|deadly signal' "$log/$n.log" | sed 's/^/    /'
		echo "    log: $log/$n.log"
	fi
	if [ -n "${FUZZ_KEEP:-}" ]; then
		mkdir -p "$FUZZ_KEEP/$n" && cp -r "$work/corpus/." "$FUZZ_KEEP/$n/"
	fi
	rm -rf "$work"
done
exit $failed
