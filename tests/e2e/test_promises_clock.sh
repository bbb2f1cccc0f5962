#!/bin/bash
# test_promises_clock.sh: the README's promises about time in notifications,
# with the daemon's wall clock under control (libfaketime, Debian's faketime
# package: a frozen time read from a file the test rewrites; the monotonic
# clock stays real) and the real SMTP server of test_notify.sh (aiosmtpd):
#
#   backoff   "retried with exponential backoff (30 s doubling to 1 h)": with
#             the SMTP server down, each attempt of a waiting mail sets its
#             next one exactly 30, 60, 120 ... 1920, 3600, 3600 s later
#             (read from the outbox table), and none is made a second early
#   give-up   "for up to 24 hours": a day after it was queued the mail is
#             dropped (ctl status: given_up 1, last error "not accepted for
#             24 hours: given up"), not a minute before; a younger one stays
#   restart   "and at once after a restart": with the server back, a
#             restarted daemon delivers the waiting mail without the clock
#             moving; the given-up one never arrives
#   summary   "The daily summary ... goes out at daily_summary_time" (local
#             time; TZ=Europe/Berlin here): not at 06:59:59, at 07:00:00, on
#             two days running, each with the figures of its own 24 hours
#             (attacks, blocks, permanent blocks, unblocks, by detector, top
#             addresses and usernames, the hourly chart)
#
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed".
# Needs root, ip, /usr/bin/python3 with aiosmtpd, libfaketime.  Creates
# nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
NH=$HERE/notify
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
FTLIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
for t in ip ss timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { notok "missing tool $t"; finish; }
done
"$PY" -c 'import aiosmtpd' 2>/dev/null || { notok "python3-aiosmtpd missing"; finish; }
[ -e "$FTLIB" ] || { notok "libfaketime missing ($FTLIB; Debian package faketime)"; finish; }
[ -e /usr/share/zoneinfo/Europe/Berlin ] || { notok "tzdata missing (Europe/Berlin)"; finish; }
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing"; finish; }

. "$ROOT/tests/lib/netns.sh"
ns_run_init promises-clock swpc$$ || { notok "cannot create the temp dir and namespaces"; finish; }

SRV=198.51.100.1
SOCK=$T/run/ctl.sock CONF=$T/sipwarden.conf MAILS=$T/mails CLOCK=$T/clock
export TZ=Europe/Berlin
ns_add_host srv $SRV || { notok "host srv"; finish; }
mkdir -p "$T/run" "$T/db"

quiet() { "$@" >/dev/null 2>&1; }
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
status_get() { ctl status --json 2>/dev/null | "$PY" "$HERE/daemon/dj.py" get "$1"; }
mails() { "$PY" "$NH/mails.py" "$@"; }
nmails() { mails count "$MAILS" "$1" 2>/dev/null || echo 0; }
# clock TIME: the daemon's wall clock stands at TIME (local, "YYYY-MM-DD HH:MM:SS").
clock() { echo "$1" >"$CLOCK.tmp" && mv "$CLOCK.tmp" "$CLOCK"; }
epoch() { date -d "$1" +%s; }
# settle: long enough for the notification thread (it looks at least once a
# second) to have seen the clock twice.
settle() { sleep 2.5; }

write_conf() { # write_conf DATABASE SUMMARY(yes|no) PER_ATTACK(yes|no)
	cat >"$CONF" <<-EOF
	[general]
	interfaces = eth0
	database = $1
	ctl_socket = $SOCK
	capture_buffer = 16M
	block_time = 1h
	[firewall]
	backend = nftables
	table = swpc$$
	[notify]
	recipients = admin@example.net
	smtp_url = smtp://127.0.0.1:2525
	from = sipwarden@pbx1.example.net
	per_attack = $3
	daily_summary = $2
	daily_summary_time = 07:00
	max_mails_per_hour = 0
	syslog = no
	[http]
	listen =
	EOF
}
DN=0 DLOGS=() DPID=
daemon_start() {
	DN=$((DN + 1)); DLOG=$T/daemon$DN.log; DLOGS+=("$DLOG")
	# (a sanitizer-built daemon: ASan accepts the preloaded library after it)
	ns_spawn srv "$DLOG" env LD_PRELOAD="$FTLIB" FAKETIME_TIMESTAMP_FILE="$CLOCK" FAKETIME_NO_CACHE=1 \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		FAKETIME_DONT_FAKE_MONOTONIC=1 TZ="$TZ" "$SIPWARDEN" run -c "$CONF"
	DPID=$NS_PID
	ns_wait_for 15 quiet ctl status || { notok "daemon start $DN"; indent 30 <"$DLOG"; return 1; }
}
daemon_stop() { ns_stop "$DPID" TERM 15; DPID=; }
SMTP_PID=
smtp_start() {
	ns_spawn srv "$T/smtp.log" "$PY" "$NH/peers.py" smtp 127.0.0.1 2525 "$MAILS"
	SMTP_PID=$NS_PID
	ns_wait_for 10 ns_listening srv tcp 127.0.0.1 2525
}

# ---- backoff: the SMTP server is down ---------------------------------------------------------
DB=$T/db/outbox.db
# outbox: "tries next_us created_us" of each waiting mail, oldest first.
outbox() {
	"$PY" -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT tries, next_us, created_us FROM outbox ORDER BY id"):
    print(*r)' "$DB" 2>/dev/null
}
tries_are() { [ "$(outbox | awk 'NR == 1 { print $1 }')" = "$1" ]; }
next_s() { outbox | awk 'NR == 1 { print int($2 / 1000000) }'; }
T0="2026-12-01 10:00:00"
E0=$(epoch "$T0")
clock "$T0"
write_conf "$DB" no no
daemon_start || finish
ctl notify test >/dev/null || notok "ctl notify test"
ns_wait_for 10 tries_are 1
check "SMTP down: the test mail waits, queued at $T0, first retry 30 s after the failed attempt" \
	bash -c "$(declare -f outbox); DB=$DB PY=$PY; outbox; [ \"\$(outbox)\" = \"1 $(((E0 + 30) * 1000000)) $((E0 * 1000000))\" ]"
GAPS=(30 60 120 240 480 960 1920 3600 3600 3600)
at=$((E0 + 30)) bad=() early=()
for k in $(seq 1 $((${#GAPS[@]} - 1))); do
	clock "$(date -d "@$((at - 1))" '+%F %T')"
	settle
	tries_are $k || early+=("attempt $((k + 1)) before $((at - E0)) s")
	clock "$(date -d "@$at" '+%F %T')"
	ns_wait_for 10 tries_are $((k + 1)) || { bad+=("attempt $((k + 1)) not made at $((at - E0)) s"); break; }
	n=$(next_s)
	[ "$n" = $((at + GAPS[k])) ] || bad+=("after attempt $((k + 1)) at $((at - E0)) s the next is $((n - at)) s later, want ${GAPS[k]}")
	at=$n
done
check "no attempt a second before its time" bash -c "printf '%s\n' \"\${@}\"; [ \$# = 0 ]" _ "${early[@]}"
check "attempts at +30 s, then 60, 120, 240, 480, 960, 1920 s apart, then 3600 (the 1 h cap) twice" \
	bash -c "printf '%s\n' \"\${@}\"; [ \$# = 0 ]" _ "${bad[@]}"
check "ctl status shows the waiting mail and the SMTP error" \
	bash -c "$(declare -f ctl status_get); SOCK=$SOCK SIPWARDEN=$SIPWARDEN PY=$PY HERE=$HERE;
		n=\$(status_get 'd[\"notify\"][\"outbox\"]'); e=\$(status_get 'd[\"notify\"][\"last_error\"]');
		echo \"outbox \$n, last error: \$e\"; [ \"\$n\" = 1 ] && grep -qi 'connect' <<<\"\$e\""

# ---- give-up after 24 hours ----------------------------------------------------------------------
clock "$(date -d "@$((E0 + 12 * 3600))" '+%F %T')"
ctl notify test >/dev/null || notok "second ctl notify test"
ns_wait_for 10 test "$(outbox | grep -c .)" = 2 || notok "the second mail is not in the outbox"
clock "$(date -d "@$((E0 + 86400 - 1))" '+%F %T')"
settle
check "at 24 h - 1 s both mails still wait, none given up" \
	bash -c "$(declare -f ctl status_get); SOCK=$SOCK SIPWARDEN=$SIPWARDEN PY=$PY HERE=$HERE;
		n=\$(status_get 'd[\"notify\"][\"outbox\"]'); g=\$(status_get 'd[\"notify\"][\"given_up\"]');
		echo \"outbox \$n, given up \$g\"; [ \"\$n\" = 2 ] && [ \"\$g\" = 0 ]"
clock "$(date -d "@$((E0 + 86400 + 60))" '+%F %T')"
given_up() { [ "$(status_get 'd["notify"]["given_up"]')" = 1 ]; }
ns_wait_for 10 given_up
check "a minute after 24 h the first mail is given up (ctl status: given_up 1), the younger one waits" \
	bash -c "$(declare -f ctl status_get outbox); SOCK=$SOCK SIPWARDEN=$SIPWARDEN PY=$PY HERE=$HERE DB=$DB;
		n=\$(status_get 'd[\"notify\"][\"outbox\"]'); g=\$(status_get 'd[\"notify\"][\"given_up\"]');
		echo \"outbox \$n, given up \$g\"; [ \"\$n\" = 1 ] && [ \"\$g\" = 1 ] &&
		[ \"\$(outbox | awk '{ print int(\$3 / 1000000) }')\" = $((E0 + 12 * 3600)) ]"
check "the daemon's log says why: not accepted for 24 hours, given up" \
	grep 'notify: 1 message(s): not accepted for 24 hours: given up' "$DLOG"
check "ctl status (text) counts it: 1 given up" bash -c "ctl() { timeout 10 '$SIPWARDEN' ctl -s '$SOCK' \"\$@\"; }; ctl status | grep '^notifications:' | grep ' 1 given up'"

# ---- restart: at once ------------------------------------------------------------------------------
daemon_stop
smtp_start || { notok "SMTP server did not start"; indent <"$T/smtp.log"; finish; }
daemon_start || finish
ns_wait_for 15 test "$(nmails '"test mail" in m.subject')" -ge 1
sleep 1
check "after a restart, the clock standing still, the waiting mail is delivered at once; the given-up one never" \
	bash -c "$(declare -f mails nmails); MAILS=$MAILS PY=$PY NH=$NH; mails count '$MAILS' 'True';
		[ \"\$(nmails 'True')\" = 1 ] &&
		[ \"\$(nmails 'm.msg[\"Date\"].datetime.timestamp() == $((E0 + 12 * 3600))')\" = 1 ]"
check "the outbox is empty" bash -c "[ -z \"\$(DB=$DB PY=$PY; $(declare -f outbox); outbox)\" ]"
daemon_stop

# ---- the daily summary at its minute ------------------------------------------------------------------
# Attacks carry their packets' time, which no wall clock changes: two days
# of them come from captures (tests/e2e/notify/day.py) replayed into the
# database (`replay --db`), each day ending ten seconds before 07:00; the
# blocks by hand carry the daemon's (frozen) time.
SUMDB=$T/db/summary.db
"$PY" "$NH/day.py" $(($(epoch '2026-12-09 07:00:00') - 10)) "$T/day1.pcap" || notok "day.py 1"
"$PY" "$NH/day.py" $(($(epoch '2026-12-10 07:00:00') - 10)) "$T/day2.pcap" || notok "day.py 2"
printf '[general]\nblock_threshold = 1\n' >"$T/replay.conf"
"$SIPWARDEN" replay -c "$T/replay.conf" --db "$SUMDB" "$T/day1.pcap" "$T/day2.pcap" >"$T/days.jsonl" 2>"$T/replay.log" ||
	{ notok "replay --db"; indent <"$T/replay.log"; }
evlines() { { cat "$T/days.jsonl"; grep -h '^sipwarden: {' "${DLOGS[@]}" | sed 's/^sipwarden: //'; } >"$T/events.jsonl"; }
nsum() { nmails '"daily attack summary" in m.subject'; }
# summary_at DAY N: none at DAY 06:59:59 (still N - 1 summaries), the N-th at
# DAY 07:00:00, with the figures of the 24 hours before.
summary_at() {
	clock "$1 06:59:59"
	settle
	check "$1 06:59:59: no summary yet ($(($2 - 1)) so far)" test "$(nsum)" = $(($2 - 1))
	clock "$1 07:00:00"
	ns_wait_for 15 test "$(nsum)" = "$2"
	evlines
	local t1; t1=$(epoch "$1 07:00:00")
	check "$1 07:00:00: summary $2 goes out, the figures of its own 24 hours only" \
		mails summary "$MAILS" "$T/events.jsonl" $((t1 - 86400)) "$t1"
}
clock "2026-12-09 06:50:00"
write_conf "$SUMDB" yes no
daemon_start || finish
summary_at 2026-12-09 1
clock "2026-12-10 06:58:00"
ctl block 203.0.113.60 permanent --reason 'by hand' >/dev/null || notok "ctl block permanent"
ctl block 203.0.113.61 10m >/dev/null || notok "ctl block 10m"
ctl unblock 203.0.113.61 >/dev/null || notok "ctl unblock"
summary_at 2026-12-10 2
# the figures are those of the events of the window, not of every event
want_sum() { # want_sum FROM TO: the figures of [FROM, TO) differ from those of all the events
	"$PY" - "$T/events.jsonl" "$1" "$2" <<-'EOF'
	import json, sys, datetime
	ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
	ts = lambda x: datetime.datetime.fromisoformat(x["time"].replace("Z", "+00:00")).timestamp()
	inside = [x for x in ev if float(sys.argv[2]) <= ts(x) < float(sys.argv[3])]
	att = [x for x in inside if x["event"] == "block" and x["detector"] not in ("manual", "blacklist")]
	perm = [x for x in inside if x["event"] == "block" and x.get("duration_s") == 0]
	print("%d events in all, %d in the window: %d attack blocks, %d permanent" % (len(ev), len(inside), len(att), len(perm)))
	sys.exit(0 if att and perm and len(inside) < len(ev) else 1)
	EOF
}
check "the windows are not trivial: each holds attacks and permanent blocks, and events lie outside it" \
	bash -c "$(declare -f want_sum); PY=$PY T=$T; want_sum $(epoch '2026-12-08 07:00:00') $(epoch '2026-12-09 07:00:00') &&
		want_sum $(epoch '2026-12-09 07:00:00') $(epoch '2026-12-10 07:00:00')"
daemon_stop
# (the daemon built with SAN=1 writes its reports to stderr, into the log)
no_sanitizer_report() { ! grep -h -A5 -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$@"; }
check "no sanitizer report in the daemon's log" no_sanitizer_report "${DLOGS[@]}"
finish
