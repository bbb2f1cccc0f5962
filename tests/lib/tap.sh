# tap.sh: the result lines of sipwarden's end-to-end tests.  Source it:
#   ok LABEL / notok LABEL     one result line ("ok - ..." / "not ok - ...")
#   note TEXT                  a comment line
#   indent [N]                 stdin as comment lines (at most N, default 20)
#   check LABEL CMD...         ok when CMD succeeds, its output as comment lines
#   finish                     prints the total time and "N passed, N failed",
#                              exits non-zero on any failure
#   skip_rest REASON           the rest cannot run here: like finish when a
#                              check failed, else prints "SKIP: REASON" and
#                              exits 77 (a skip the runner counts)
PASS=0 FAIL=0
T_START=${T_START:-$SECONDS}
ok()    { PASS=$((PASS + 1)); echo "ok - $*"; }
notok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
note()  { echo "# $*"; }
indent() { sed 's/^/#   /' | head -"${1:-20}"; }
check() {
	local label=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && indent 8 <<<"$out"
	if [ $rc -eq 0 ]; then ok "$label"; else notok "$label"; return 1; fi
}
finish() {
	echo "# total $((SECONDS - T_START)) s"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
}
skip_rest() {
	[ "$FAIL" -eq 0 ] || finish
	echo "# total $((SECONDS - T_START)) s"
	echo "SKIP: $*"
	exit 77
}
