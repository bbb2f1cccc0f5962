#!/usr/bin/env bash
# Installs what sipwarden needs from Debian's packages.
#   scripts/deps.sh          build and run
#   scripts/deps.sh --test   also the test suite's real peers and tools
set -euo pipefail
pkgs=(build-essential pkg-config libpcap-dev libsqlite3-dev libnftables-dev libnetfilter-conntrack-dev nftables ipset iptables conntrack)
if [ "${1:-}" = "--test" ]; then
	pkgs+=(clang libclang-rt-14-dev tcpdump iproute2 kamailio sipvicious sipsak sip-tester python3 time procps)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "installing: ${missing[*]}"
	$SUDO apt-get update -qq
	# Kamailio's package starts nothing here (policy-rc.d), tests run their own.
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
