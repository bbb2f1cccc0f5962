#!/usr/bin/env bash
# Installs what sipwarden needs from Debian's packages.
#   scripts/deps.sh          build and run
#   scripts/deps.sh --test   also the test suite's real peers and tools
set -euo pipefail
pkgs=(build-essential pkg-config libpcap-dev libsqlite3-dev libnftables-dev libnetfilter-conntrack-dev libcurl4-openssl-dev libmicrohttpd-dev libsodium-dev ca-certificates nftables ipset iptables conntrack)
if [ "${1:-}" = "--test" ]; then
	pkgs+=(clang libclang-rt-14-dev tcpdump tcpreplay iproute2 kamailio sipvicious sipsak sip-tester tftpd-hpa tftp-hpa dnsmasq-base bind9-dnsutils python3 python3-aiosmtpd openssl time procps curl faketime systemd chromium fonts-dejavu-core $(command -v npm >/dev/null 2>&1 || echo npm))  # npm unless Node.js brought its own
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	echo "installing: ${missing[*]}"
	$SUDO apt-get update -qq
	# Servers in these packages (kamailio, tftpd-hpa) must not start on the
	# host: the tests run their own in network namespaces.  policy-rc.d
	# keeps the packages' scripts from starting them during the install.
	added_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		added_policy=1
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ $added_policy = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || exit $rc
fi
