#!/bin/bash
# mutate.sh: a small mutation check.  Each mutant is one deliberate bug (a
# rule threshold off by one, the User-Agent match case-sensitive, a firewall
# timeout a second short, a trust check dropped...).  One at a time, on a
# copy of the tree in /tmp (the real tree is never edited), the mutant is
# applied, the binaries it affects are rebuilt and the tests that should
# notice it are run.  A mutant is killed when one of its tests fails.
#
# Usage: scripts/mutate.sh [-l] [NAME...]
#   -l     list the mutants and their tests
#   NAME   run only these mutants (default: all)
# Prints a table (mutant, tests, killed/survived) and exits 1 when a mutant
# survived or could not be applied or run, 2 when the unmutated tree fails
# its own tests, 0 when every mutant was killed.
# The firewall mutants run tests/e2e/test_fw.sh, which needs root (network
# namespaces it makes and removes); without root they count as not run.
# MUTATE_KEEP=1 keeps the copy and its logs (in /tmp/sw-mutate.*).  JOBS:
# make's -j (default 2).
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
JOBS=${JOBS:-2}

# ---- the mutants: five words each, NAME FILE TESTS OLD NEW --------------------------
# OLD is replaced by NEW (literal text, every occurrence; it must occur).
# TESTS: unit:test_X (build/tests/test_X), e2e:test_Y (tests/e2e/test_Y.sh).
MUTANTS=(
	threshold-late src/detect.c unit:test_engine
		$'\tif (n < limit)\n\t\treturn 0;'
		$'\tif (n <= limit)\n\t\treturn 0;'
	threshold-early src/detect.c unit:test_engine
		$'\tif (n < limit)\n\t\treturn 0;'
		$'\tif (n + 1 < limit)\n\t\treturn 0;'
	svc-threshold-late src/svc.c unit:test_engine
		$'\tif (n < r->count)'
		$'\tif (n <= r->count)'
	tftp-files-early src/svc.c unit:test_engine
		$'n >= t->distinct_files.count'
		$'n + 1 >= t->distinct_files.count'
	distributed-late src/detect.c unit:test_engine
		$'\tif (n < rule->count)\n\t\treturn;\n\tmemset'
		$'\tif (n <= rule->count)\n\t\treturn;\n\tmemset'
	window-one-second-longer src/win.c unit:test_engine
		$'(uint64_t)window_s * 1000000 / WIN_SLOTS'
		$'(uint64_t)(window_s + 1) * 1000000 / WIN_SLOTS'
	distinct-window-inclusive src/win.c unit:test_engine
		$'now_s - set->e[i].time_s < window_s'
		$'now_s - set->e[i].time_s <= window_s'
	ua-case-sensitive src/agent.c 'unit:test_agent unit:test_engine'
		$'if (lc(u[i + j]) != (unsigned char)p->s[j])'
		$'if (u[i + j] != (unsigned char)p->s[j])'
	ua-substring-end src/agent.c 'unit:test_agent unit:test_engine'
		$'if (e < s.len && alnum(u[e - 1]) && alnum(u[e]))'
		$'if (e < s.len && alnum(u[e - 1]) && alnum(u[e]) && 0)'
	ua-substring-start src/agent.c 'unit:test_agent unit:test_engine'
		$'|| (i && alnum(u[i]) && alnum(u[i - 1])))'
		$'|| (i && alnum(u[i]) && alnum(u[i - 1]) && 0))'
	nft-timeout-1s-short src/fw_nft.c e2e:test_fw
		$'timeout %ud%us", v[i].timeout_s / 86400, v[i].timeout_s % 86400'
		$'timeout %ud%us", (v[i].timeout_s - 1) / 86400, (v[i].timeout_s - 1) % 86400'
	ipset-timeout-1s-short src/fw_ipset.c e2e:test_fw
		$'v[i].timeout_s < IPSET_MAX_TIMEOUT ? v[i].timeout_s :'
		$'v[i].timeout_s < IPSET_MAX_TIMEOUT ? v[i].timeout_s - !!v[i].timeout_s :'
	shelter-without-nonce src/detect.c unit:test_engine
		$'if (s && t->has_auth && (t->trust & TXN_NONCE_ISSUED))'
		$'if (s && t->has_auth)'
	shelter-without-credentials src/detect.c unit:test_engine
		$'if (s && t->has_auth && (t->trust & TXN_NONCE_ISSUED))'
		$'if (s)'
	echo-any-address src/detect.c unit:test_engine
		$'bool verified = tcp_verified || echo == ECHO_OWN;'
		$'bool verified = tcp_verified || echo != ECHO_NONE;'
	verified-ignored-in-verdict src/verdict.c unit:test_engine
		$'} else if (o->forgeable && (o->sheltered'
		$'} else if ((o->sheltered'
	verified-ignored-in-detect src/detect.c unit:test_engine
		$'bool verified = t->trust & TXN_VERIFIED;'
		$'bool verified = false;'
	tcp-verified-ignored src/detect.c unit:test_engine
		$'bool verified = tcp_verified || echo == ECHO_OWN;'
		$'bool verified = (tcp_verified && 0) || echo == ECHO_OWN;'
	retransmission-recounted src/txn.c unit:test_engine
		$'return is_done(t, k) ? TXN_REPEAT : k;'
		$'return k;'
	retransmitted-answer-recounted src/txn.c unit:test_engine
		$'\t\tif (is_done(t, k)) {\n\t\t\trepeat = true;'
		$'\t\tif (is_done(t, k) && 0) {\n\t\t\trepeat = true;'
	fingerprint-without-response src/txn.c unit:test_engine
		$'m->auth_username, m->auth_response };'
		$'m->auth_username, m->auth_username };'
	same-key-overwrites src/txn.c unit:test_engine
		$'else if (t->b[k].fp == fp)'
		$'else if (t->b[k].fp == fp || !is_done(t, k))'
	answer-to-anyone src/txn.c unit:test_engine
		$'\t\tif (!ip_eq(&b->client.ip, to))\n\t\t\tcontinue;'
		$'\t\tif (!ip_eq(&b->client.ip, to) && 0)\n\t\t\tcontinue;'
	forged-own-accepted src/engine.c 'unit:test_engine e2e:test_adv_trust'
		$'if (p->dir == DEC_DIR_IN && cfg_prefixes_match(&e->cfg->own, &p->src)) {'
		$'if (p->dir == DEC_DIR_IN && cfg_prefixes_match(&e->cfg->own, &p->src) && 0) {'
	direction-ignored src/decode.c unit:test_decode
		$'\td->dir = frame_dir(d, link, frame, caplen);'
		$'\td->dir = (uint8_t)(frame_dir(d, link, frame, caplen) * 0);'
	whitelist-skipped src/verdict.c unit:test_engine
		$'if (cfg_prefixes_match(&v->cfg->whitelist, &o->key.ip) || cfg_is_own(v->cfg, &o->key.ip)) {'
		$'if (cfg_is_own(v->cfg, &o->key.ip)) {'
)

if [ "${1:-}" = -l ]; then
	for ((i = 0; i < ${#MUTANTS[@]}; i += 5)); do
		printf '%-32s %-16s %s\n' "${MUTANTS[i]}" "${MUTANTS[i + 1]}" "${MUTANTS[i + 2]}"
	done
	exit 0
fi
want=("$@")
selected() {
	[ ${#want[@]} -eq 0 ] && return 0
	local w
	for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
	return 1
}

# ---- the copy --------------------------------------------------------------------------
W=$(mktemp -d /tmp/sw-mutate.XXXXXX) || exit 2
if [ -n "${MUTATE_KEEP:-}" ]; then echo "copy and logs kept in $W"; else trap 'rm -rf "$W"' EXIT; fi
(cd "$ROOT" && cp -a Makefile src tests scripts "$W"/) || exit 2
# the objects already built (mtimes kept: only what a mutant touches is rebuilt)
[ -d "$ROOT/build" ] && cp -a "$ROOT/build" "$W"/
LOG=$W/log
mkdir -p "$LOG"

# targets TESTS: the make targets the tests need
targets() {
	local t out=()
	for t in $1; do
		case $t in
			unit:*) out+=("build/tests/${t#unit:}") ;;
			e2e:test_fw) out+=(build/tests/test_fw) ;;
			e2e:*) out+=(build/sipwarden) ;;
		esac
	done
	printf '%s\n' "${out[@]}" | sort -u
}
# run_test TEST LOGFILE: 0 passed, 1 failed, 2 not run
run_test() {
	case $1 in
		unit:*)
			(cd "$W" && "build/tests/${1#unit:}") >"$2" 2>&1 && return 0 ;;
		e2e:test_fw)
			[ "$(id -u)" = 0 ] || { echo "needs root" >"$2"; return 2; }
			(cd "$W" && TEST_FW="$W/build/tests/test_fw" bash tests/e2e/test_fw.sh) >"$2" 2>&1 && return 0 ;;
		e2e:*)
			(cd "$W" && SIPWARDEN="$W/build/sipwarden" bash "tests/e2e/${1#e2e:}.sh") >"$2" 2>&1 && return 0 ;;
	esac
	return 1
}
build() { # build TESTS LOGFILE
	(cd "$W" && make -s -j"$JOBS" $(targets "$1")) >"$2" 2>&1
}

# ---- the baseline: the unmutated tree passes every test used below ----------------------
all_tests=$(for ((i = 0; i < ${#MUTANTS[@]}; i += 5)); do
	selected "${MUTANTS[i]}" && echo "${MUTANTS[i + 2]}"
done | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "baseline: building and running $all_tests"
if ! build "$all_tests" "$LOG/baseline-build"; then
	tail -n 30 "$LOG/baseline-build"; echo "the unmutated tree does not build"; exit 2
fi
for t in $all_tests; do
	run_test "$t" "$LOG/baseline-$t"
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 20 "$LOG/baseline-$t"
		echo "baseline: $t does not pass on the unmutated tree (status $rc): no mutant can be judged"
		exit 2
	fi
done

# ---- one mutant at a time --------------------------------------------------------------
rows=() applied=0 killed=0 bad=0
for ((i = 0; i < ${#MUTANTS[@]}; i += 5)); do
	name=${MUTANTS[i]} file=${MUTANTS[i + 1]} tests=${MUTANTS[i + 2]} old=${MUTANTS[i + 3]} new=${MUTANTS[i + 4]}
	selected "$name" || continue
	cp "$W/$file" "$W/$file.orig"
	if ! "$PY" - "$W/$file" "$old" "$new" <<-'EOF'
		import sys
		p, old, new = sys.argv[1:]
		s = open(p).read()
		if old not in s:
		    sys.exit(1)
		open(p, "w").write(s.replace(old, new))
		EOF
	then
		rows+=("$name"$'\t'"$tests"$'\t'"NOT APPLIED (text not found in $file)")
		bad=$((bad + 1))
		rm -f "$W/$file.orig"
		continue
	fi
	applied=$((applied + 1))
	verdict="survived" by=""
	if ! build "$tests" "$LOG/$name-build"; then
		verdict="NOT BUILT" by="$(grep -m1 error: "$LOG/$name-build")"
	else
		for t in $tests; do
			run_test "$t" "$LOG/$name-$t"
			case $? in
				1) verdict="killed" by="$t: $(grep -m1 -E 'CHECK failed|^not ok' "$LOG/$name-$t" | sed 's|^.*tests/||' | cut -c1-110)"; break ;;
				2) verdict="not run" by="$t: $(cat "$LOG/$name-$t")" ;;
			esac
		done
	fi
	case $verdict in
		killed) killed=$((killed + 1)) ;;
		*) bad=$((bad + 1)) ;;
	esac
	rows+=("$name"$'\t'"$tests"$'\t'"$verdict${by:+ ($by)}")
	echo "$name: $verdict${by:+ by $by}"
	# the original back, newer than the mutant's objects, so it is rebuilt
	mv "$W/$file.orig" "$W/$file"
	touch "$W/$file"
done

echo
printf '%-32s %-34s %s\n' MUTANT TESTS RESULT
for r in "${rows[@]}"; do
	IFS=$'\t' read -r a b c <<<"$r"
	printf '%-32s %-34s %s\n' "$a" "$b" "$c"
done
echo "$killed of $applied mutants killed; $bad survived, not applied or not run"
[ "$bad" -eq 0 ]
