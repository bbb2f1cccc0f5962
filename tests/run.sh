#!/usr/bin/env bash
# Runs the whole suite: unit tests under ASan+UBSan, the libFuzzer harnesses
# (scripts/fuzz.sh, FUZZ_SECONDS each, default 60), and the end-to-end tests (root: network
# namespaces).  The e2e tests named in SAN_E2E run the daemon built with
# ASan+UBSan (build-san-clang/sipwarden); any sanitizer report they leave is
# a failure.  Ends with "N passed, N failed, N skipped"; exits non-zero on any
# failure.
#
# Skips: a test that cannot run its part exits 77 after printing one line
# "SKIP: <reason>"; it is counted as skipped, never as passed.  Under CI
# (CI=true) a skip of a test not listed in tests/expected-skips is a failure.
# ONLY=REGEX runs only the unit and e2e tests whose name matches it whole
# (e.g. ONLY='test_daemon|test_web' FUZZ_SECONDS=0 tests/run.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# e2e tests whose daemon (and CLI) is the ASan+UBSan build: every one that
# runs $SIPWARDEN (test_fw runs the unit test_fw instead).  Measured with
# FUZZ_SECONDS=0 on 2 shared cores: 6 min 46 s, against 5 min 38 s with
# build/sipwarden everywhere (SAN_E2E= runs none under the sanitizers).
SAN_E2E=${SAN_E2E-test_accuracy test_adv_ctl test_adv_output test_adv_tcp test_adv_trust test_adv_web \
test_agents test_cli test_daemon test_notify test_replay_e2e test_rules_replay test_services test_web}
pass=0 fail=0 skip=0 failed=() skipped=()
log=$(mktemp -d /tmp/sipwarden-tests.XXXXXX)
# names in tests/expected-skips: one test a line, "# reason" comments
expected=$(sed 's/#.*//' tests/expected-skips 2>/dev/null | tr -s ' \t' '\n\n' | grep -v '^$')

wanted() { [ -z "${ONLY:-}" ] || grep -Eqx -- "$ONLY" <<<"$1"; }

result() { # name rc
	if [ "$2" -eq 77 ]; then
		skip_result "$1"
	elif [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"
	else fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1 (log: $log/$1.log)"; tail -n 30 "$log/$1.log" | sed 's/^/    /'; fi
}

# skip_result NAME: a test that exited 77.  Its reason is the first
# "SKIP:" line of its log (a skip without one is a failure).
skip_result() {
	local reason
	reason=$(grep -m1 '^SKIP:' "$log/$1.log" | sed 's/^SKIP: *//')
	if [ -z "$reason" ]; then
		fail=$((fail + 1)); failed+=("$1")
		echo "FAIL $1: exit 77 without a 'SKIP: <reason>' line (log: $log/$1.log)"
	elif [ "${CI:-}" = true ] && ! grep -qxF "$1" <<<"$expected"; then
		fail=$((fail + 1)); failed+=("$1")
		echo "FAIL $1: unexpected skip under CI (not in tests/expected-skips): $reason"
	else
		skip=$((skip + 1)); skipped+=("$1")
		echo "SKIP $1: $reason"
	fi
}

echo "== build =="
# The e2e sanitizer daemon is built by clang in its own folder: GCC's UBSan,
# linked with its ASan, ignores log_path and prints to stderr, where the
# runner cannot see it (the daemon's stderr goes to the test's own log).
SAN_B=build-san-clang
if ! make -s -j2 all >"$log/build.log" 2>&1 || ! make -s -j2 SAN=1 all >>"$log/build.log" 2>&1 ||
   { [ -n "$SAN_E2E" ] && ! make -s -j2 SAN=1 CC=clang B=$SAN_B $SAN_B/sipwarden >>"$log/build.log" 2>&1; }; then
	cat "$log/build.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

echo "== unit tests (ASan+UBSan) =="
for t in build-san/tests/test_*; do
	name=$(basename "$t")
	wanted "$name" || continue
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
# The sanitizer daemon writes its reports to files (log_path: one per
# process, named by pid) instead of the daemon's stderr, so that no
# report can hide in a log the test does not read; halt_on_error makes the
# first report stop the process.  The CLI invocations of the same binary
# (ctl, passwd, check-config, replay) write there too.  LeakSanitizer stays
# on (detect_leaks=1): the daemon stopped by SIGTERM or SIGINT in these
# tests frees what it allocated, and a leak there is a report like any other.
show_reports() { # DIR: the head of each report file, indented
	local f
	for f in "$1"/*; do echo "    == $f"; head -n 40 "$f" | sed 's/^/    /'; done
}
echo "daemon under ASan+UBSan ($SAN_B/sipwarden) in: ${SAN_E2E:-none}"
for t in tests/e2e/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	wanted "$name" || continue
	if grep -qxF "$name" <<<"$(tr ' ' '\n' <<<"$SAN_E2E")"; then
		san=$log/$name.san; mkdir -p "$san"
		ASAN_OPTIONS="log_path=$san/asan:halt_on_error=1:detect_leaks=1" \
		UBSAN_OPTIONS="log_path=$san/ubsan:halt_on_error=1:print_stacktrace=1" \
			SIPWARDEN="$PWD/$SAN_B/sipwarden" bash "$t" >"$log/$name.log" 2>&1
		rc=$?
		if [ -n "$(ls -A "$san")" ]; then
			echo "not ok - sanitizer report(s) in $san" >>"$log/$name.log"
			rc=1
		fi
		result "$name" $rc
		[ -z "$(ls -A "$san")" ] || { echo "    sanitizer report(s) of $name:"; show_reports "$san"; }
	else
		SIPWARDEN="$PWD/build/sipwarden" bash "$t" >"$log/$name.log" 2>&1
		result "$name" $?
	fi
done

echo
[ ${#skipped[@]} -gt 0 ] && echo "skipped: ${skipped[*]}"
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
