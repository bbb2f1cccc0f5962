#!/bin/bash
# test_fw.sh: the firewall backends (nftables, ipset) and the conntrack flush
# against the real kernel, inside network namespaces this script creates and
# removes: "srv" (198.51.100.1, 2001:db8:100::1) runs tests/test_fw.c, "cli"
# (198.51.100.66, .67, .130, 2001:db8:100::66, ::130) sends it traffic.
# Nothing is added to the machine's own namespace; the script checks that its
# firewall is the same afterwards.
#
# The test binary: TEST_FW (if set), else build-san/tests/test_fw or
# build/tests/test_fw when newer than the sources, else one compiled here.
# Output: the binary's lines, "ok - ..." / "not ok - ..." for the script's
# own checks, then "N passed, N failed"; exit status 1 on any failure.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/tap.sh"

TMP=$(mktemp -d /tmp/sw-fw.XXXXXX) || { notok "mktemp"; finish; }
trap 'rm -rf "$TMP"' EXIT
NS_PREFIX="sw$$fw"
. "$ROOT/tests/lib/netns.sh"
cleanup() { ns_cleanup; rm -rf "$TMP"; }

# ---- preconditions ---------------------------------------------------------
if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
for t in ip nft ipset iptables ip6tables iptables-restore ip6tables-restore conntrack pkg-config; do
	command -v "$t" >/dev/null || { notok "$t missing (scripts/deps.sh --test)"; finish; }
done

# ---- the test binary ---------------------------------------------------------
SRCS=(src/fw.c src/fw_nft.c src/fw_ipset.c src/ct.c src/util.c)
fresh() { # BIN: exists and is newer than every source it is built from
	[ -x "$1" ] || return 1
	local s
	for s in "${SRCS[@]}" src/fw.h src/fw_int.h src/ct.h tests/test_fw.c tests/t.h; do
		[ "$ROOT/$s" -nt "$1" ] && return 1
	done
	return 0
}
BIN=${TEST_FW:-}
if [ -z "$BIN" ]; then
	for b in "$ROOT/build-san/tests/test_fw" "$ROOT/build/tests/test_fw"; do
		fresh "$b" && { BIN=$b; break; }
	done
fi
if [ -z "$BIN" ]; then
	BIN=$TMP/test_fw
	if (cd "$ROOT" && gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Isrc -g -O1 \
		-fsanitize=address,undefined -fno-omit-frame-pointer tests/test_fw.c "${SRCS[@]}" \
		$(pkg-config --cflags --libs libnftables libnetfilter_conntrack) -o "$BIN") >"$TMP/build.log" 2>&1; then
		ok "built $BIN"
	else
		cat "$TMP/build.log"; notok "build of test_fw"; finish
	fi
fi

# ---- the machine's own firewall, to compare afterwards (read only) -------------
host_fw() { nft -s list ruleset 2>&1; ipset list -n 2>&1; iptables -w -S 2>&1; iptables -w -t raw -S 2>&1; ip6tables -w -t raw -S 2>&1; }
BEFORE=$(host_fw)

# ---- namespaces ----------------------------------------------------------------
ns_init || { notok "namespaces"; finish; }
trap 'cleanup; trap - INT; kill -INT $$' INT
trap 'cleanup; trap - TERM; kill -TERM $$' TERM
trap cleanup EXIT
SRV=$(ns_name srv) CLI=$(ns_name cli)
if ns_add_host srv 198.51.100.1 2001:db8:100::1 && ns_add_host cli 198.51.100.66 2001:db8:100::66 &&
	ip -n "$CLI" addr add 198.51.100.67/24 dev eth0 && ip -n "$CLI" addr add 198.51.100.130/24 dev eth0 &&
	ip -n "$CLI" -6 addr add 2001:db8:100::130/64 dev eth0 nodad; then
	ok "namespaces $SRV and $CLI"
else
	notok "namespaces"; finish
fi
# The client knows the server's MAC address: without neighbour discovery, no
# solicitation from a blocked source is dropped on the way (which would
# leave the neighbour unresolved for the unblocked sources too).
MAC=$(ip -n "$SRV" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$CLI" neigh replace 198.51.100.1 lladdr "$MAC" dev eth0 nud permanent &&
	ip -n "$CLI" neigh replace 2001:db8:100::1 lladdr "$MAC" dev eth0 nud permanent ||
	{ notok "static neighbours"; finish; }

# ---- the test -------------------------------------------------------------------
ip netns exec "$SRV" env SIPWARDEN_NETNS_TEST=1 SIPWARDEN_SERVER_NS="$SRV" SIPWARDEN_CLIENT_NS="$CLI" \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$BIN" 2>&1 | tee "$TMP/out"
rc=${PIPESTATUS[0]}
line=$(grep -E '^[^ ]*test_fw\.c: [0-9]+ passed, [0-9]+ failed' "$TMP/out" | tail -n 1)
if [ -n "$line" ]; then
	p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	PASS=$((PASS + p)) FAIL=$((FAIL + f))
fi
if [ "$rc" -eq 0 ] && [ -n "$line" ]; then ok "test_fw exited 0"; else notok "test_fw exit status $rc"; fi

ns_cleanup
if [ "$(host_fw)" = "$BEFORE" ]; then ok "the machine's own firewall is unchanged"; else notok "the machine's own firewall changed"; fi
finish
