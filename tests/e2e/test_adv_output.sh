#!/bin/bash
# test_adv_output.sh: output integrity against hostile strings.  Every string
# an attacker or a client chose (User-Agent, username, block reason, list
# comment) reaches JSON, the terminal and the API as valid UTF-8 with invalid
# bytes replaced (U+FFFD) and control, C1 and bidi characters shown as
# visible escapes ("\x1b", "<U+202E>").
#
#   replay    a capture whose scanner User-Agent holds invalid UTF-8, U+202E
#             and ESC[2J, and whose guesser's Digest usernames hold U+202E and
#             invalid UTF-8: every stdout line is valid UTF-8 (decoded with
#             errors='strict') and strict JSON, and shows the escapes
#   live      the daemon in a namespace: the same scanner packet over UDP;
#             `ctl block ADDR --reason` with ESC[2J, an OSC title sequence, BEL,
#             CR, U+202E and a stray byte; a reason with such characters
#             POSTed to /api/blocks; a whitelist comment with ESC: `ctl list`,
#             the daemon's raw control answer, `ctl list|events --json`,
#             /api/blocks, /api/events and the daemon's event log lines are
#             all strict and show the escapes
#
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed".
# The replay part needs nothing; the live part needs root (network
# namespaces) and curl.  Creates nothing outside its namespaces and a temp dir.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
ST=$HERE/output/strict.py
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$ROOT/tests/lib/tap.sh"

[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing"; finish; }
[ "$(id -u)" = 0 ] || { notok "must run as root (network namespaces)"; finish; }
command -v curl >/dev/null || { notok "missing tool curl"; finish; }
. "$ROOT/tests/lib/netns.sh"
ns_run_init adv swa$$ || { notok "cannot create the temp dir and namespaces"; finish; }

# the escapes as a decoded JSON string shows them, for the Python checks
UA_SHOWN="'<U+202E>gpj.exe\\\\x1b[2J' in u and '\\ufffd' in u and '<U+009B>' in u"

# ---- replay ----------------------------------------------------------------------
"$PY" "$ST" pcap "$T/hostile.pcap" || notok "strict.py could not write the capture"
"$SIPWARDEN" replay -c "$HERE/defaults.conf" "$T/hostile.pcap" >"$T/replay.jsonl" 2>"$T/replay.log" ||
	{ notok "replay failed"; indent <"$T/replay.log"; }
check "replay: every event line is valid UTF-8 and strict JSON, no hidden character in any string" \
	"$PY" "$ST" lines "$T/replay.jsonl" "len(ev) >= 2"
check "replay: the scanner's User-Agent shows U+202E, ESC, C1 and the replaced bytes" \
	"$PY" "$ST" lines "$T/replay.jsonl" "any(e['event'] == 'block' and e['detector'] == 'scanner' and
		(lambda u: $UA_SHOWN)(e['evidence']['user_agent']) for e in ev)"
check "replay: the guesser's usernames show U+202E and U+FFFD" \
	"$PY" "$ST" lines "$T/replay.jsonl" "any(e['detector'] == 'bad_registration' and
		len(e['evidence']['usernames']) == 10 and
		all(u.startswith('adm<U+202E>') and u.endswith('\\ufffd\\ufffd') for u in e['evidence']['usernames'])
		for e in ev)"

# ---- live: the daemon in a namespace ------------------------------------------------
SRV=198.51.100.1 EVIL=203.0.113.66
ns_add_host srv $SRV || { notok "host srv"; finish; }
ns_add_host evil $EVIL || { notok "host evil"; finish; }
SOCK=$T/run/ctl.sock CONF=$T/sipwarden.conf PW='hostile output 2026'
mkdir -p "$T/run" "$T/db"
cat >"$CONF" <<-CONF
[general]
interfaces = eth0
database = $T/db/sipwarden.db
ctl_socket = $SOCK
capture_buffer = 16M
[firewall]
backend = nftables
table = swa$$
[notify]
syslog = no
[http]
listen = 127.0.0.1:8080
CONF
printf '%s\n' "$PW" | "$SIPWARDEN" passwd -c "$CONF" >"$T/passwd.log" 2>&1 || { notok "passwd"; indent <"$T/passwd.log"; }
quiet() { "$@" >/dev/null 2>&1; }
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
DLOG=$T/daemon.log
ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
DPID=$NS_PID
ns_wait_for 15 quiet ctl status || { notok "daemon did not start"; indent 30 <"$DLOG"; finish; }
ns_wait_for 10 ns_listening srv tcp 127.0.0.1 8080 || notok "the admin page is not listening"

ns_exec evil "$PY" "$ST" send $SRV
blocked() { ctl list --json | grep -q "\"$1\""; }
ns_wait_for 10 blocked $EVIL || notok "the hostile scanner $EVIL was not blocked"

REASON=$'evil\e[2J\e]0;pwned\a \xe2\x80\xae\xff\rend'  # ctl arguments hold no LF
ctl block 203.0.113.99 1h --reason "$REASON" >/dev/null || notok "ctl block with a hostile reason"
ctl whitelist add 203.0.113.97 --comment $'ops\e[31m red\xc0' >/dev/null || notok "ctl whitelist add"

# the API: log in, block with a hostile reason, read blocks and events
CURL=(ns_exec srv curl -sS --max-time 8 -b "$T/jar" -c "$T/jar" -H 'Content-Type: application/json')
"${CURL[@]}" -o "$T/login.json" --data-binary "{\"password\":\"$PW\"}" http://127.0.0.1:8080/api/login
CSRF=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$T/login.json" 2>/dev/null)
[ -n "$CSRF" ] || { notok "API login"; indent <"$T/login.json"; }
"${CURL[@]}" -o "$T/post.json" -H "X-CSRF-Token: $CSRF" \
	--data-binary '{"address":"203.0.113.98","duration":"1h","reason":"api\u001b[2J\u202e\u0007 \u009b1m"}' \
	http://127.0.0.1:8080/api/blocks
check "API: POST /api/blocks with a hostile reason is accepted" "$PY" "$ST" json "$T/post.json" "d.get('ok')"
"${CURL[@]}" -o "$T/blocks.json" -H "X-CSRF-Token: $CSRF" http://127.0.0.1:8080/api/blocks
"${CURL[@]}" -o "$T/events.json" -H "X-CSRF-Token: $CSRF" "http://127.0.0.1:8080/api/events?limit=50"

ctl list >"$T/list.txt"
"$PY" "$ST" ctl "$SOCK" "$T/list.raw" list || notok "raw control request"
ctl list --json >"$T/list.json"
ctl events --json >"$T/events-ctl.json"
ctl whitelist list >"$T/white.txt"

CTL_SHOWN="'evil\\\\x1b[2J\\\\x1b]0;pwned\\\\x07 <U+202E>\\ufffd\\\\rend' in s"
check "ctl list: no escape sequence reaches the terminal, the reason shows them" \
	"$PY" "$ST" text "$T/list.txt" "$CTL_SHOWN and 'api\\\\x1b[2J<U+202E>\\\\x07 <U+009B>1m' in s"
check "ctl list: the daemon's own answer (no client filter) is already safe" \
	"$PY" "$ST" text "$T/list.raw" "$CTL_SHOWN"
check "ctl whitelist list: the comment shows ESC and U+FFFD" \
	"$PY" "$ST" text "$T/white.txt" "'ops\\\\x1b[31m red\\ufffd' in s"
check "ctl list --json: strict JSON, the reasons decode to visible escapes" \
	"$PY" "$ST" json "$T/list.json" "any(b['reason'] == 'evil\\\\x1b[2J\\\\x1b]0;pwned\\\\x07 <U+202E>\\ufffd\\\\rend'
		for b in d) and any(b['ip'] == '$EVIL' for b in d)"
check "ctl events --json: strict JSON, the scanner's User-Agent shows the escapes" \
	"$PY" "$ST" json "$T/events-ctl.json" "any(e['detector'] == 'scanner' and
		(lambda u: $UA_SHOWN)(e['evidence']['user_agent']) for e in d)"
check "/api/blocks: strict JSON, both hostile reasons shown escaped" \
	"$PY" "$ST" json "$T/blocks.json" "{b['ip']: b['reason'] for b in d['blocks']}.get('203.0.113.98') ==
		'api\\\\x1b[2J<U+202E>\\\\x07 <U+009B>1m' and any('<U+202E>' in b['reason'] for b in d['blocks']
		if b['ip'] == '203.0.113.99')"
check "/api/events: strict JSON, the scanner's User-Agent shows the escapes" \
	"$PY" "$ST" json "$T/events.json" "any(e.get('detector') == 'scanner' and 'evidence' in e and
		(lambda u: $UA_SHOWN)(e['evidence']['user_agent']) for e in d['events'])"
grep -a '^sipwarden: {' "$DLOG" | sed 's/^sipwarden: //' >"$T/log.jsonl"
check "the daemon's event log lines are valid UTF-8 and strict JSON" \
	"$PY" "$ST" lines "$T/log.jsonl" "sum(e['event'] == 'block' for e in ev) >= 3"

ns_stop "$DPID" TERM 15
finish
