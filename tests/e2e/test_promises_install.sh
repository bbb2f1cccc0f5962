#!/bin/bash
# test_promises_install.sh: the README's promises about installing:
#
#   install     `make install DESTDIR=...`: the binary at /usr/local/sbin
#               (0755), the unit at /etc/systemd/system/sipwarden.service
#               (0644, hardened as the README says, ExecStart pointing at the
#               installed binary), the example configuration as
#               /etc/sipwarden/sipwarden.conf (0640, accepted by check-config)
#               but never over an existing one, the README the unit names in
#               Documentation=; PREFIX=/usr moves binary and unit's paths
#   unit        `systemd-analyze verify` accepts the installed unit without a
#               single warning (in a private mount namespace where the
#               installed binary is bind-mounted at /usr/local/sbin, so
#               nothing is installed on the machine)
#   quickstart  scripts/quickstart.sh, unchanged, in a network namespace and
#               a private mount namespace whose /etc, /usr/local and /var/lib
#               are overlays (tests/e2e/promises/quickstart-ns.sh): it
#               installs, shows what it finds in examples/attack.pcap, runs
#               the daemon on the defaults, which answers `ctl status` on
#               /run/sipwarden/ctl.sock with its table in the kernel; the
#               machine's own /etc and /usr/local stay untouched
#
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed".
# Needs root, make, ip, unshare, nft, systemd-analyze.  Builds build/sipwarden
# in the repository if it is missing; writes nothing else outside a temp dir
# and its network namespace.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (mount and network namespaces)"; finish; fi
for t in make ip unshare nft systemd-analyze timeout; do
	command -v "$t" >/dev/null 2>&1 || { notok "missing tool $t"; finish; }
done
. "$ROOT/tests/lib/netns.sh"
ns_run_init promises-install swpi$$ || { notok "cannot create the temp dir and namespaces"; finish; }

# mode_is PATH MODE: PATH is a regular file of mode MODE owned by root.
mode_is() { local m; m=$(stat -c '%a %U %F' "$1" 2>&1); echo "$1: $m"; [ "$m" = "$2 root regular file" ]; }

# ---- make install DESTDIR=... ------------------------------------------------------------
D=$T/dest
make -s -C "$ROOT" install DESTDIR="$D" >"$T/install.log" 2>&1 || { notok "make install"; indent <"$T/install.log"; }
UNIT=$D/etc/systemd/system/sipwarden.service
check "binary at /usr/local/sbin/sipwarden, mode 0755" mode_is "$D/usr/local/sbin/sipwarden" 755
check "systemd unit at /etc/systemd/system/sipwarden.service, mode 0644" mode_is "$UNIT" 644
check "example configuration at /etc/sipwarden/sipwarden.conf, mode 0640" mode_is "$D/etc/sipwarden/sipwarden.conf" 640
check "the configuration is examples/sipwarden.conf" cmp "$ROOT/examples/sipwarden.conf" "$D/etc/sipwarden/sipwarden.conf"
check "the installed binary accepts the installed configuration" \
	"$D/usr/local/sbin/sipwarden" check-config -c "$D/etc/sipwarden/sipwarden.conf"
check "the installed binary is the one built (--version)" \
	bash -c "[ \"\$('$D/usr/local/sbin/sipwarden' --version)\" = \"\$('$ROOT/build/sipwarden' --version)\" ]"
doc=$(sed -n 's|^Documentation=file://||p' "$UNIT")
check "the unit's Documentation= ($doc) is installed" test -n "$doc" -a -f "$D$doc"
unit_has() { # unit_has FILE LINE...: every LINE is a line of FILE
	local f=$1 l rc=0; shift
	for l in "$@"; do grep -qxF -- "$l" "$f" || { echo "missing: $l"; rc=1; }; done
	return $rc
}
check "the unit runs the installed binary on the installed configuration" unit_has "$UNIT" \
	"ExecStart=/usr/local/sbin/sipwarden run -c /etc/sipwarden/sipwarden.conf"
check "the unit is hardened as documented (CAP_NET_ADMIN CAP_NET_RAW only, ProtectSystem=strict, StateDirectory, RuntimeDirectory)" \
	unit_has "$UNIT" "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW" \
	"ProtectSystem=strict" "StateDirectory=sipwarden" "RuntimeDirectory=sipwarden"
echo '; the operator edited this' >>"$D/etc/sipwarden/sipwarden.conf"
cp "$D/etc/sipwarden/sipwarden.conf" "$T/edited.conf"
make -s -C "$ROOT" install DESTDIR="$D" >>"$T/install.log" 2>&1 || notok "second make install"
check "a second make install keeps the existing configuration" cmp "$T/edited.conf" "$D/etc/sipwarden/sipwarden.conf"
D2=$T/dest-usr
make -s -C "$ROOT" install DESTDIR="$D2" PREFIX=/usr >>"$T/install.log" 2>&1 || notok "make install PREFIX=/usr"
check "PREFIX=/usr: binary at /usr/sbin/sipwarden, the unit runs it" bash -c \
	"$(declare -f unit_has); [ -x '$D2/usr/sbin/sipwarden' ] && [ ! -e '$D2/usr/local' ] &&
	unit_has '$D2/etc/systemd/system/sipwarden.service' 'ExecStart=/usr/sbin/sipwarden run -c /etc/sipwarden/sipwarden.conf' &&
	! grep -n /usr/local '$D2/etc/systemd/system/sipwarden.service'"

# ---- systemd-analyze verify ------------------------------------------------------------------
verify() { # verify UNITFILE: no warning, exit 0
	local out rc
	out=$(unshare -m --propagation private sh -c \
		'mount --bind "$1" /usr/local/sbin && systemd-analyze verify "$2"' sh "$D/usr/local/sbin" "$1" 2>&1)
	rc=$?
	echo "exit $rc${out:+: $out}"
	[ $rc = 0 ] && [ -z "$out" ]
}
check "systemd-analyze verify: the installed unit, not one warning" verify "$UNIT"

# ---- scripts/quickstart.sh ---------------------------------------------------------------------
ns_add_host qs 198.51.100.1 || { notok "host qs"; finish; }
mkdir -p "$T/qs"
timeout 600 ip netns exec "$(ns_name qs)" unshare -m --propagation private \
	bash "$HERE/promises/quickstart-ns.sh" "$ROOT" "$T/qs" >"$T/qs.out" 2>&1 || notok "quickstart-ns.sh failed"
indent <"$T/qs.out"
check "quickstart: the daemon it started answered ctl status on /run/sipwarden/ctl.sock" \
	bash -c "cat '$T/qs/status.txt' 2>&1 | head -3; [ \"\$(cat '$T/qs/rc')\" = 0 ] && grep -q '^sipwarden .*, up ' '$T/qs/status.txt'"
check "quickstart: the daemon runs on the defaults (every interface, nftables table sipwarden, the default database)" \
	bash -c "grep -E '^(interfaces|firewall|store):' '$T/qs/status.txt';
		grep -qx 'interfaces: *any' '$T/qs/status.txt' && grep -q '^firewall: *nftables, table sipwarden,' '$T/qs/status.txt' &&
		grep -q '^store: */var/lib/sipwarden/sipwarden.db,' '$T/qs/status.txt'"
check "quickstart: its table was in the namespace's kernel ruleset" grep -q '^table inet sipwarden {' "$T/qs/nft.txt"
check "quickstart: the replay of examples/attack.pcap found the sipsak guesser and the sipvicious scanners" \
	bash -c "grep -c '\"event\":\"block\"' '$T/qs/quickstart.log';
		grep -q '\"ip\":\"198.51.100.69\",\"detector\":\"bad_registration\"' '$T/qs/quickstart.log' &&
		grep -q '\"detector\":\"scanner\"' '$T/qs/quickstart.log'"
check "quickstart: installed the binary, the unit and the configuration (in the overlay)" bash -c \
	"cd '$T/qs/up' && ls -l usr/local/sbin/sipwarden etc/systemd/system/sipwarden.service etc/sipwarden/sipwarden.conf"
check "quickstart: the daemon made its database" test -s "$T/qs/up/var/lib/sipwarden/sipwarden.db"
check "quickstart: the machine's own /etc/sipwarden and /usr/local/sbin/sipwarden were not touched" \
	bash -c "[ ! -e /etc/sipwarden/sipwarden.conf ] || [ /etc/sipwarden/sipwarden.conf -ot '$T' ]; [ ! -e /usr/local/sbin/sipwarden ] || [ /usr/local/sbin/sipwarden -ot '$T' ]"
if ! grep -q '^sipwarden' "$T/qs/status.txt" 2>/dev/null; then
	note "quickstart output:"; indent 30 <"$T/qs/quickstart.log"
fi
finish
