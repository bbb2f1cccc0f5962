#!/bin/bash
# test_notify.sh: end-to-end test of sipwarden's notifications with a real
# SMTP server (aiosmtpd, Debian's python3-aiosmtpd), a webhook receiver and a
# syslog socket, all in the server namespace the test creates.
#
#   http port    the admin page's port is taken: the daemon protects anyway
#   per-attack   svmap against Kamailio: exactly one mail, to both recipients,
#                naming the address and the detector, with the unblock command
#   hostile      a User-Agent with CR/LF, "Bcc: victim@example.com" and
#                <script>: no extra header or recipient, no raw markup
#   test mail    "ctl notify test" delivers a test mail
#   digest       100 attackers with max_mails_per_hour = 5: 5 mails and one
#                digest listing the other 95
#   webhook      every event line the daemon logged was POSTed
#   syslog       every event line reached the syslog socket
#   outbox       SMTP down: the mails wait (ctl status shows the outbox and
#                the error); daemon restarted, server back: each delivered once
#   TLS, AUTH    a server that demands STARTTLS and a login: with
#                smtp_starttls = required, the CA file and the password file
#                the mail goes over TLS as that user; with smtp_starttls = no
#                it waits in the outbox with the server's refusal as the error
#   STARTTLS stripped  a server offering AUTH but no STARTTLS (what a man in
#                the middle leaves): with smtp_starttls = auto and a password
#                the peer sees no AUTH and gets no mail, the mail waits with
#                an error saying why, check-config and the daemon's log say
#                that auto acts as required; without credentials auto still
#                falls back to plain text and the mail is delivered
#   summary      a replayed day of events (sipwarden replay --db): the missed
#                daily summary goes out once at start with the right totals,
#                top addresses, usernames and hourly chart; not again after a
#                restart; "ctl notify summary" sends one on demand
#
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed".
# Needs root (network namespaces), kamailio, svmap, /usr/bin/python3 with
# aiosmtpd.  Creates nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
NH=$HERE/notify
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
for t in ip ss kamailio svmap timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { notok "missing tool $t"; finish; }
done
"$PY" -c 'import aiosmtpd' 2>/dev/null || { notok "python3-aiosmtpd missing"; finish; }
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing"; finish; }

. "$ROOT/tests/lib/netns.sh"
ns_run_init notify swn$$ || { notok "cannot create the temp dir and namespaces"; finish; }

SRV=198.51.100.1 SCAN=198.51.100.67 EVIL=198.51.100.68
RCPTS=admin@example.net,noc@example.org
MAILS=$T/mails SOCK=$T/run/ctl.sock CONF=$T/sipwarden.conf
ns_add_host srv $SRV 2001:db8:100::1 || { notok "host srv"; finish; }
ns_add_host scan $SCAN || { notok "host scan"; finish; }
ns_add_host evil $EVIL || { notok "host evil"; finish; }
BURST=()
for i in $(seq 10 109); do BURST+=(203.0.113.$i); done
DOWN=(203.0.113.200 203.0.113.201 203.0.113.202)
for a in "${BURST[@]}" "${DOWN[@]}"; do
	ip -n "$(ns_name evil)" addr add "$a/24" dev eth0 nodad 2>/dev/null ||
		ip -n "$(ns_name evil)" addr add "$a/24" dev eth0 || { notok "address $a"; finish; }
done

mkdir -p "$T/kamailio" "$T/db" "$T/run"
ns_spawn srv "$T/kamailio/kamailio.log" kamailio -DD -E -f "$ROOT/tests/e2e/kamailio.cfg" \
	-P "$T/kamailio/kamailio.pid" -Y "$T/kamailio" -w "$T/kamailio" -m 64 -M 8
ns_wait_for 15 ns_listening srv udp $SRV 5060 || { notok "kamailio is not listening"; finish; }

# peers: SMTP on 127.0.0.1:2525, webhook on 127.0.0.1:8099, syslog socket
SMTP_PID=
smtp_start() {
	ns_spawn srv "$T/smtp.log" "$PY" "$NH/peers.py" smtp 127.0.0.1 2525 "$MAILS"
	SMTP_PID=$NS_PID
	ns_wait_for 10 ns_listening srv tcp 127.0.0.1 2525
}
smtp_start || { notok "SMTP server did not start"; indent <"$T/smtp.log"; finish; }
ns_spawn srv "$T/webhook.log" "$PY" "$NH/peers.py" webhook 127.0.0.1 8099 "$T/webhook.lines"
ns_wait_for 10 ns_listening srv tcp 127.0.0.1 8099 || { notok "webhook receiver did not start"; finish; }
ns_spawn srv "$T/syslogd.log" "$PY" "$NH/peers.py" syslog "$T/syslog.sock" "$T/syslog.lines"
ns_wait_for 10 test -S "$T/syslog.sock" || { notok "syslog receiver did not start"; finish; }

write_conf() { # write_conf MAX INTERVAL DATABASE [SUMMARY_TIME]
	cat >"$CONF" <<-EOF
	[general]
	interfaces = eth0
	database = $3
	ctl_socket = $SOCK
	capture_buffer = 16M
	block_time = 1h
	[firewall]
	backend = nftables
	table = swn$$
	[notify]
	recipients = admin@example.net, noc@example.org
	smtp_url = ${SMTP_URL:-smtp://127.0.0.1:2525}
	from = sipwarden@pbx1.example.net
	max_mails_per_hour = $1
	digest_interval = $2
	webhook_url = http://127.0.0.1:8099/hook
	syslog = yes
	syslog_socket = $T/syslog.sock
	daily_summary_time = ${4:-07:00}
	${NOTIFY_EXTRA:-}
	EOF
}
quiet() { "$@" >/dev/null 2>&1; }
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
status_get() { ctl status --json 2>/dev/null | "$PY" "$HERE/daemon/dj.py" get "$1"; }
DN=0 DLOGS=() DPID=
daemon_start() {
	DN=$((DN + 1)); DLOG=$T/daemon$DN.log; DLOGS+=("$DLOG")
	ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
	DPID=$NS_PID
	ns_wait_for 15 quiet ctl status || { notok "daemon start $DN"; indent 30 <"$DLOG"; return 1; }
}
daemon_stop() { ns_stop "$DPID" TERM 15; DPID=; }
mails() { "$PY" "$NH/mails.py" "$@"; }
nmails() { mails count "$MAILS" "$1" 2>/dev/null || echo 0; }
# wait_mails SECONDS EXPR N: until at least N mails satisfy EXPR.
wait_mails() { local i; for ((i = 0; i < $1 * 5; i++)); do [ "$(nmails "$2")" -ge "$3" ] && return 0; sleep 0.2; done; return 1; }
blocked() { grep -q "\"event\":\"block\",\"ip\":\"$1\"" "${DLOGS[@]}"; }

# ---- per-attack mail, hostile user agent, test mail -----------------------------
write_conf 20 1h "$T/db/sipwarden.db"
# the admin page's port (default 127.0.0.1:8080) is taken: protection runs anyway
ns_spawn srv "$T/blocker.log" "$PY" -m http.server 8080 --bind 127.0.0.1
BLOCKER=$NS_PID
ns_wait_for 10 ns_listening srv tcp 127.0.0.1 8080 || notok "could not occupy port 8080"
daemon_start || finish
check "admin page port taken: the daemon runs without it and ctl status says why" \
	bash -c "$(declare -f ctl status_get); SOCK=$SOCK SIPWARDEN=$SIPWARDEN PY=$PY HERE=$HERE;
		r=\$(status_get 'd[\"http\"][\"running\"]'); e=\$(status_get 'd[\"http\"][\"error\"]');
		echo \"running \$r: \$e\"; [ \"\$r\" = false ] && [ -n \"\$e\" ]"
ns_stop "$BLOCKER" TERM 5
check "no daily summary at the first start (nothing missed yet)" test "$(nmails '"summary" in m.subject')" -eq 0

ns_spawn scan "$T/svmap.log" timeout 15 svmap -p5060 $SRV
ns_wait_for 10 blocked $SCAN || notok "svmap $SCAN not blocked"
wait_mails 15 "'$SCAN' in m.subject" 1
sleep 1
check "svmap: exactly one per-attack mail to every recipient, address and detector right" \
	mails attack "$MAILS" $SCAN scanner "$RCPTS"

ns_exec evil "$PY" "$NH/send.py" $SRV 'sipvicious-x\r\n Bcc: victim@example.com\r\n <script>alert(1)</script>' $EVIL
ns_wait_for 10 blocked $EVIL || notok "hostile sender $EVIL not blocked"
wait_mails 15 "'$EVIL' in m.subject" 1
check "hostile User-Agent: no header or recipient added, markup escaped" mails hostile "$MAILS" $EVIL "$RCPTS"

ctl notify test >/dev/null
wait_mails 15 '"test mail" in m.subject' 1
check "ctl notify test delivers a test mail to every recipient" \
	mails count "$MAILS" '"test mail" in m.subject and m.rcpts == sorted("'$RCPTS'".split(","))'

# ---- 100 attackers, max_mails_per_hour = 5 --------------------------------------------
write_conf 5 8s "$T/db/sipwarden.db"
ctl reload >/dev/null || notok "reload"
sleep 9   # the rate window of the mails above ends
printf '%s\n' "${BURST[@]}" >"$T/burst.txt"
ns_exec evil "$PY" "$NH/send.py" $SRV 'friendly-scanner' "${BURST[@]}"
wait_mails 40 '"digest" in m.subject' 1
own=0
for a in "${BURST[@]}"; do [ "$(nmails "re.search(r'blocked $a \\(', m.subject)")" -gt 0 ] && own=$((own + 1)); done
check "burst of 100: 5 per-attack mails (got $own)" test "$own" -eq 5
awk 'NR==FNR { own[$1] = 1; next } !($1 in own)' \
	<(for a in "${BURST[@]}"; do [ "$(nmails "re.search(r'blocked $a \\(', m.subject)")" -gt 0 ] && echo "$a"; done) \
	"$T/burst.txt" >"$T/digest.txt"
check "burst of 100: one digest lists the other $(wc -l <"$T/digest.txt")" mails digest "$MAILS" "$T/digest.txt"
check "blocks of the burst: 100" test "$(grep -c '"event":"block","ip":"203.0.113.' "${DLOGS[@]}")" -eq 100

# ---- webhook and syslog ------------------------------------------------------------------
evlines() { grep -h '^sipwarden: {' "${DLOGS[@]}" | sed 's/^sipwarden: //' >"$T/events.txt"; }
received_all() { evlines; quiet "$PY" "$NH/lines.py" "$T/events.txt" "$1"; }
ns_wait_for 20 received_all "$T/webhook.lines"
check "webhook received every event line exactly once" "$PY" "$NH/lines.py" "$T/events.txt" "$T/webhook.lines"
ns_wait_for 20 received_all "$T/syslog.lines"
check "syslog received every event line exactly once" "$PY" "$NH/lines.py" "$T/events.txt" "$T/syslog.lines"
check "syslog lines are tagged sipwarden[pid] with facility daemon" \
	grep -qE '^<(2[4-9]|30)>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} sipwarden\[[0-9]+\]: \{' "$T/syslog.lines"

# ---- SMTP down: the outbox keeps the mails across a restart --------------------------
ns_stop "$SMTP_PID" TERM 5
sleep 9   # a new rate window
ns_exec evil "$PY" "$NH/send.py" $SRV 'friendly-scanner' "${DOWN[@]}"
outbox_at_least() { local n; n=$(status_get 'd["notify"]["outbox"]') && [ "$n" -ge "$1" ]; }
ns_wait_for 20 outbox_at_least 3
# why_waits DB REGEX: mails wait in the outbox of DB because of REGEX: the
# mail that was tried records it (a dead server pauses the others behind it,
# untried), and so does ctl status ("mail: ... (kept in the outbox)").
why_waits() {
	local e
	e=$(status_get 'd["notify"]["last_error"]')
	echo "ctl status last error: $e"
	grep -qiE -- "^mail: .*($2).*\(kept in the outbox\)" <<<"$e" || return 1
	"$PY" - "$1" "$2" <<-'EOF'
	import re, sqlite3, sys
	db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
	rows = db.execute("SELECT id, tries, last_error FROM outbox WHERE kind = 0 ORDER BY id").fetchall()
	for r in rows:
	    print("outbox mail %d: tries %d, last error %r" % r)
	tried = [e for _, t, e in rows if t >= 1]
	sys.exit(0 if tried and all(re.search(sys.argv[2], e, re.I) for e in tried) else 1)
	EOF
}
check "SMTP down: ctl status shows 3 mails waiting in the outbox" \
	bash -c "$(declare -f ctl status_get); SOCK=$SOCK SIPWARDEN=$SIPWARDEN PY=$PY HERE=$HERE;
		n=\$(status_get 'd[\"notify\"][\"outbox\"]'); echo \"outbox \$n\"; [ \"\$n\" -ge 3 ]"
check "SMTP down: they wait because the server cannot be reached (the tried mail's error in the outbox, ctl status)" \
	why_waits "$T/db/sipwarden.db" "connect to 127\.0\.0\.1 port 2525"
daemon_stop
smtp_start || notok "SMTP server did not restart"
daemon_start || finish
outbox_empty() { [ "$(status_get 'd["notify"]["outbox"]')" = 0 ]; }
ns_wait_for 30 outbox_empty || notok "outbox not empty 30 s after the restart"
sleep 1
for a in "${DOWN[@]}"; do
	check "after the restart the mail for $a was delivered exactly once" mails attack "$MAILS" "$a" scanner "$RCPTS"
done
check "no mail was delivered twice" mails once "$MAILS" '"blocked" in m.subject'

# ---- STARTTLS and AUTH ------------------------------------------------------------------------
daemon_stop
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
	notok "openssl could not make a test certificate"
printf 'mail-s3cret\n' >"$T/smtp.pw"; chmod 600 "$T/smtp.pw"
ns_spawn srv "$T/smtp-tls.log" "$PY" "$NH/peers.py" smtp-tls 127.0.0.1 2526 "$MAILS" "$T/cert.pem" "$T/key.pem" pbx mail-s3cret
ns_wait_for 10 ns_listening srv tcp 127.0.0.1 2526 || notok "the TLS SMTP server did not start"
SMTP_URL=smtp://127.0.0.1:2526 NOTIFY_EXTRA="smtp_starttls = required
smtp_user = pbx
smtp_password_file = $T/smtp.pw
smtp_ca_file = $T/cert.pem" write_conf 5 8s "$T/db/sipwarden.db"
daemon_start || finish
before=$(nmails '"test mail" in m.subject')
ctl notify test >/dev/null
wait_mails 15 '"test mail" in m.subject' $((before + 1))
check "STARTTLS required, CA file, login from the password file: the test mail went over TLS as pbx" \
	mails count "$MAILS" '"test mail" in m.subject and m.tls and m.user == "pbx"'
daemon_stop
SMTP_URL=smtp://127.0.0.1:2526 NOTIFY_EXTRA="smtp_starttls = no" write_conf 5 8s "$T/db/sipwarden.db"
daemon_start || finish
REFUSED_LOG=$DLOG
ctl notify test >/dev/null
refused() { status_get 'd["notify"]["last_error"]' | grep -qi 'starttls\|530\|denied\|auth'; }
ns_wait_for 15 refused
# outbox_waits PATTERN: a mail waits in the outbox and the last error matches PATTERN.
outbox_waits() {
	local e n
	e=$(status_get 'd["notify"]["last_error"]'); n=$(status_get 'd["notify"]["outbox"]')
	echo "outbox $n, last error: $e"
	[ "${n:-0}" -ge 1 ] && grep -qi -- "$1" <<<"$e"
}
check "smtp_starttls = no against a server that demands it: the mail waits, ctl status says why" \
	outbox_waits ''
check "... it waits because the server refused MAIL without STARTTLS (530, recorded with the mail)" \
	why_waits "$T/db/sipwarden.db" "530"

# ---- STARTTLS stripped: auto with a password never sends in clear ---------------------------
daemon_stop
STRIP=$T/mails-strip AUTHLOG=$T/strip-auth.log
: >"$AUTHLOG"
ns_spawn srv "$T/smtp-strip.log" "$PY" "$NH/peers.py" smtp-strip 127.0.0.1 2527 "$STRIP" "$AUTHLOG"
ns_wait_for 10 ns_listening srv tcp 127.0.0.1 2527 || notok "the STARTTLS-stripping SMTP server did not start"
SMTP_URL=smtp://127.0.0.1:2527 NOTIFY_EXTRA="smtp_user = pbx
smtp_password_file = $T/smtp.pw" write_conf 5 8s "$T/db/strip.db"
check "check-config says that auto acts as required with credentials set" \
	bash -c "'$SIPWARDEN' check-config -c '$CONF' | grep 'smtp_starttls = auto acts as required'"
daemon_start || finish
STRIP_LOG=$DLOG
ctl notify test >/dev/null
no_starttls() { status_get 'd["notify"]["last_error"]' | grep -q 'no STARTTLS'; }
ns_wait_for 15 no_starttls
check "STARTTLS stripped, password set: the mail waits in the outbox, the error says why" \
	outbox_waits 'no STARTTLS'
check "... the mail in the outbox records why: the server offered no STARTTLS" \
	why_waits "$T/db/strip.db" "no STARTTLS"
check "STARTTLS stripped: the peer saw no AUTH (the password never left)" \
	bash -c "cat '$AUTHLOG'; [ ! -s '$AUTHLOG' ] && ! grep -rqs mail-s3cret '$STRIP' '$T/smtp-strip.log'"
check "STARTTLS stripped: the peer got no mail" \
	test "$(ls "$STRIP" 2>/dev/null | grep -c json)" -eq 0
check "the daemon said once at start that auto acts as required" \
	test "$(grep -c 'smtp_starttls = auto acts as required' "$STRIP_LOG")" -eq 1
daemon_stop
SMTP_URL=smtp://127.0.0.1:2527 write_conf 5 8s "$T/db/strip.db"
check "without credentials check-config has no such note" \
	bash -c "! '$SIPWARDEN' check-config -c '$CONF' | grep -q 'acts as required'"
daemon_start || finish
strip_mail() { [ "$(ls "$STRIP" 2>/dev/null | grep -c json)" -ge 1 ]; }
ns_wait_for 30 strip_mail
check "without credentials auto falls back to plain text: the waiting mail is delivered, no AUTH" \
	bash -c "ls '$STRIP' | grep -q json && [ ! -s '$AUTHLOG' ] &&
		grep -h '\"tls\": false' '$STRIP'/*.json | grep -q 'test mail'"
SMTP_URL=

# ---- the daily summary of a replayed day ----------------------------------------------------
daemon_stop
now=$(date +%s)
T_SUM=$(( (now - 120) / 60 * 60 ))          # the schedule time: two minutes ago
HM=$(date -d "@$T_SUM" +%H:%M)
"$PY" "$NH/day.py" $((T_SUM - 10)) "$T/day.pcap" || notok "day.py"
printf '[general]\nblock_threshold = 1\n' >"$T/replay.conf"
"$SIPWARDEN" replay -c "$T/replay.conf" --db "$T/db/day.db" "$T/day.pcap" >"$T/day.jsonl" 2>"$T/replay.log" ||
	{ notok "replay --db"; indent <"$T/replay.log"; }
check "the replayed day has attacks of several detectors and a permanent block" \
	bash -c "grep -q '\"duration_s\":0' $T/day.jsonl && grep -q scanner $T/day.jsonl && grep -q bad_registration $T/day.jsonl"
# the last summary went out a day before the schedule time: one was missed
"$PY" - "$T/db/day.db" $(( (T_SUM - 86400) * 1000000 )) <<-'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE IF NOT EXISTS notify_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
c.execute("INSERT OR REPLACE INTO notify_state VALUES ('summary_last_us', ?)", (int(sys.argv[2]),))
c.commit()
EOF
before=$(nmails '"daily attack summary" in m.subject')
write_conf 5 8s "$T/db/day.db" "$HM"
daemon_start || finish
wait_mails 20 '"daily attack summary" in m.subject' $((before + 1))
check "the missed daily summary ($HM) is sent once at start, figures match the events" \
	mails summary "$MAILS" "$T/day.jsonl" $((T_SUM - 86400)) "$T_SUM"
daemon_stop
daemon_start || finish
sleep 4
check "after another restart no second summary for the same day" \
	test "$(nmails '"daily attack summary" in m.subject')" -eq $((before + 1))
ctl notify summary >/dev/null || notok "ctl notify summary"
wait_mails 20 '"daily attack summary" in m.subject' $((before + 2))
check "ctl notify summary sends a summary now" \
	test "$(nmails '"daily attack summary" in m.subject')" -eq $((before + 2))
daemon_stop
quiet_logs=()
for l in "${DLOGS[@]:2}"; do [ "$l" != "$REFUSED_LOG" ] && [ "$l" != "$STRIP_LOG" ] && quiet_logs+=("$l"); done
check "the daemon logged no notification errors after the SMTP server came back" \
	bash -c "! grep -h 'notify:' ${quiet_logs[*]} | grep -v 'daily summary' | grep -q ."

finish
