#!/usr/bin/env bash
# Runs the whole suite: unit tests under ASan+UBSan, the libFuzzer harnesses
# (scripts/fuzz.sh, FUZZ_SECONDS each, default 60), and the end-to-end tests (root: network
# namespaces).  Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
pass=0 fail=0 failed=()
log=$(mktemp -d /tmp/sipwarden-tests.XXXXXX)

result() { # name rc
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"
	else fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1 (log: $log/$1.log)"; tail -n 30 "$log/$1.log" | sed 's/^/    /'; fi
}

echo "== build =="
if ! make -s -j2 all >"$log/build.log" 2>&1 || ! make -s -j2 SAN=1 all >>"$log/build.log" 2>&1; then
	cat "$log/build.log"; echo "0 passed, 1 failed"; exit 1
fi

echo "== unit tests (ASan+UBSan) =="
for t in build-san/tests/test_*; do
	name=$(basename "$t")
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t" >"$log/$name.log" 2>&1
	result "$name" $?
done

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	echo "== fuzzing (${FUZZ_SECONDS}s each) =="
	if make -s -j2 fuzz >"$log/fuzz-build.log" 2>&1; then
		for f in build-fuzz/fuzz_*; do
			name=$(basename "$f")
			# scripts/fuzz.sh: a copy of fuzz/corpus/NAME, its dictionary,
			# -max_len 70000, any sanitizer report fails
			FUZZ_SECONDS=$FUZZ_SECONDS FUZZ_LOG="$log/fuzz" scripts/fuzz.sh "${name#fuzz_}" >"$log/$name.log" 2>&1
			rc=$?
			cat "$log/fuzz/${name#fuzz_}.log" >>"$log/$name.log" 2>/dev/null
			result "$name" $rc
			head -n 1 "$log/$name.log" | sed 's/^/    /'
		done
	else
		result fuzz-build 1
	fi
fi

echo "== end-to-end tests =="
for t in tests/e2e/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	SIPWARDEN="$PWD/build/sipwarden" bash "$t" >"$log/$name.log" 2>&1
	result "$name" $?
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
