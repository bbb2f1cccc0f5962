# shellcheck shell=bash
# live_tcp.sh: the live half of test_adv_tcp.sh (sourced; needs root).
#
#   live_tcp    a server namespace (Kamailio on 198.51.100.1, sipwarden
#               capturing eth0 with its nftables set) and an attacker
#               namespace 203.0.113.66 that runs adv/rawjunk.py: one raw
#               junk segment 1 MiB ahead on its own TCP connection, then
#               wrong passwords on that connection.  The attacker must be
#               blocked (bad_registration, 5 in 1 min) and then go unanswered.
#
# Uses TMP, SIPWARDEN, PY, HERE, ADV and the ok/notok/note helpers of the
# caller; every host runs in a namespace of tests/lib/netns.sh.

live_tcp() {
	local L="live:" srv=198.51.100.1 att=203.0.113.66 kpid dpid i
	local conf=$TMP/live.conf dlog=$TMP/live-daemon.log klog=$TMP/kamailio/kamailio.log
	local sock=$TMP/run/ctl.sock table=swadv$$
	local missing=() t
	for t in ip kamailio nft timeout; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		notok "$L missing tools: ${missing[*]} (scripts/deps.sh --test)"
		return
	fi
	. "$HERE/../lib/netns.sh"
	NS_PREFIX=swat$$
	if ! ns_init; then notok "$L cannot create namespaces"; return; fi
	trap 'ns_cleanup; rm -rf "$TMP"' EXIT
	if ! ns_add_host srv $srv 2001:db8:100::1 || ! ns_add_host att $att; then
		notok "$L cannot create the hosts"
		return
	fi
	mkdir -p "$TMP/kamailio" "$TMP/db" "$TMP/run"
	chmod 755 "$TMP"
	ns_spawn srv "$klog" kamailio -DD -E -f "$HERE/kamailio.cfg" \
		-P "$TMP/kamailio/kamailio.pid" -Y "$TMP/kamailio" -w "$TMP/kamailio" -m 64 -M 8
	kpid=$NS_PID
	if ! ns_wait_for 15 ns_listening srv tcp $srv 5060; then
		notok "$L kamailio is not listening on TCP"
		indent 20 <"$klog"
		return
	fi
	cat >"$conf" <<-EOF
	# written by test_adv_tcp.sh
	[general]
	interfaces = eth0
	database = $TMP/db/sipwarden.db
	ctl_socket = $sock
	block_time = 1h
	[sip]
	bad_registrations = 5/1m
	[lists]
	whitelist = 127.0.0.0/8, ::1
	[firewall]
	backend = nftables
	table = $table
	scope = all
	EOF
	ns_spawn srv "$dlog" "$SIPWARDEN" run -c "$conf"
	dpid=$NS_PID
	for ((i = 0; i < 150; i++)); do
		ns_alive "$dpid" || break
		grep -q '^sipwarden: running' "$dlog" &&
			timeout 5 "$SIPWARDEN" ctl -s "$sock" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! ns_alive "$dpid" || ! grep -q '^sipwarden: running' "$dlog"; then
		notok "$L sipwarden runs in the server namespace"
		indent 30 <"$dlog"
		return
	fi
	ok "$L sipwarden runs in the server namespace (capture on eth0, nftables table $table)"

	ns_exec att timeout 60 "$PY" "$ADV/rawjunk.py" $att $srv --user 1002 --rounds 15 \
		--timeout 1.5 >"$TMP/att.log" 2>&1
	note "attacker: $(tr '\n' ';' <"$TMP/att.log")"
	grep -q '^junk seq ' "$TMP/att.log"
	res "$L the attacker injected one raw junk segment 1 MiB ahead on its connection"
	grep -q '^round 1 401 403$' "$TMP/att.log"
	res "$L wrong passwords were answered 401/403 on that connection"
	local blk
	blk=$("$PY" "$HERE/daemon/dj.py" events "e['event']=='block' and e['ip']=='$att'" "$dlog" | head -1)
	if [ -n "$blk" ] && grep -q '"detector":"bad_registration"' <<<"$blk"; then
		ok "$L the guesser was blocked by bad_registration despite the junk segment"
	else
		notok "$L the guesser was blocked by bad_registration despite the junk segment (block: ${blk:-none})"
		indent 20 <"$dlog"
	fi
	grep -Eq '^round [0-9]+ (401 )?timeout$' "$TMP/att.log"
	res "$L after the block the guesser's requests go unanswered"
	local n
	n=$(grep -c '^round [0-9]* 401 403$' "$TMP/att.log")
	[ "$n" -ge 5 ] && [ "$n" -le 8 ]
	res "$L blocked after $n wrong passwords (bad_registrations = 5/1m)"
	ns_stop "$dpid" TERM 10
	ns_stop "$kpid" TERM 5
}
