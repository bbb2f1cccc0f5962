#!/bin/bash
# quickstart-ns.sh ROOT WORK: runs ROOT/scripts/quickstart.sh as written, in
# a private mount namespace of a test network namespace, and asks the daemon
# it leaves running for `ctl status` on its default socket.  Run it only as
#   ip netns exec NS unshare -m --propagation private bash quickstart-ns.sh ROOT WORK
# (it refuses to run in its caller's namespaces): /etc, /usr/local and /var/lib become overlays whose
# changes land in WORK/up/ (the machine's own files are never written), /run
# a fresh tmpfs.  Leaves WORK/quickstart.log (the script's output),
# WORK/status.txt (ctl status), WORK/nft.txt (the ruleset while it ran),
# WORK/rc (0 when ctl status answered).
set -u
ROOT=$1 WORK=$2
# The caller (ip netns exec and unshare exec, so it is our parent) is in the
# machine's namespaces; we must be in others.
ns_of() { stat -L -c %i "/proc/$1/ns/$2" 2>/dev/null || echo "?$1"; }
if [ "$(ns_of self mnt)" = "$(ns_of $PPID mnt)" ] || [ "$(ns_of self net)" = "$(ns_of $PPID net)" ] ||
	[ "$(ns_of self mnt)" = "?self" ]; then
	echo "quickstart-ns.sh: not in a private mount and network namespace; refusing" >&2
	exit 2
fi
for d in etc usr/local var/lib; do
	mkdir -p "$WORK/up/$d" "$WORK/wk/$d"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/up/$d,workdir=$WORK/wk/$d" "/$d" || exit 2
done
mount -t tmpfs -o mode=755 tmpfs /run || exit 2
echo 1 >"$WORK/rc"
cd "$ROOT" || exit 2
bash scripts/quickstart.sh >"$WORK/quickstart.log" 2>&1 </dev/null &
pid=$!
for ((i = 0; i < 600; i++)); do
	if [ -x /usr/local/sbin/sipwarden ] &&
		timeout 5 /usr/local/sbin/sipwarden ctl status >"$WORK/status.txt" 2>&1; then
		echo 0 >"$WORK/rc"
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
nft list ruleset >"$WORK/nft.txt" 2>&1
kill -TERM "$pid" 2>/dev/null
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
