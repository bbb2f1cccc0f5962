#!/usr/bin/env bash
# Quick start: installs the dependencies, builds and installs sipwarden,
# shows what it detects in a capture of real attacks, then runs the daemon
# on its defaults in the foreground (Ctrl-C stops it; blocks stay in the
# kernel until their time is up).  With systemd, use
# `systemctl enable --now sipwarden` afterwards instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s -j2 build/sipwarden
make -s install
echo "== what sipwarden finds in examples/attack.pcap (sipvicious and sipsak against Kamailio) =="
/usr/local/sbin/sipwarden replay examples/attack.pcap
echo
echo "== sipwarden run (config /etc/sipwarden/sipwarden.conf; 'sipwarden ctl status' in another shell) =="
echo "   admin page: http://127.0.0.1:8080/ (set its password first: sipwarden passwd, then sipwarden ctl reload)"
exec /usr/local/sbin/sipwarden run -c /etc/sipwarden/sipwarden.conf
