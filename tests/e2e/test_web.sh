#!/bin/bash
# test_web.sh: end-to-end test of sipwarden's admin page and HTTP API
# (issue 6), against the live daemon in network namespaces the test creates.
#
# Topology (tests/lib/netns.sh, one bridge):
#   srv    198.51.100.1, 2001:db8:100::1: Kamailio and "sipwarden run" with
#          [http] listen = 198.51.100.1:8080, nftables table of its own
#   admin  198.51.100.5: curl and the browser (node + playwright-core + chromium)
#   scan   198.51.100.67: svmap (sipvicious), a real blocked attacker (scanner)
#   brute  198.51.100.99: wrong admin passwords until admin_login blocks it
#
# Checked:
#   passwd     "sipwarden passwd -c FILE" (password on stdin) stores an
#              argon2id hash in [http] password_hash; comments kept
#   API        every endpoint with curl: no session -> 401; /metrics without a
#              session, Prometheus text with the metrics the issue lists;
#              wrong password -> 401; login cookie HttpOnly + SameSite=Strict
#              and a CSRF token; a POST/PUT/DELETE without (or with a wrong)
#              X-CSRF-Token -> 403 and nothing changed; status, config; a bad
#              config value -> 400 naming the field, running config and file
#              unchanged; a good one written (comments kept, .bak) and applied
#              (ctl status); manual blocks (address and prefix) in ctl list and
#              removed; whitelist/blacklist entries in ctl; recipients in the
#              config file; notify test; events with filters; hourly stats;
#              logout ends the session
#   brute      wrong passwords from one address: blocked by detector
#              admin_login, its connections then fail, the admin still works
#   browser    tests/e2e/web/browser.mjs (playwright-core, Debian's chromium,
#              headless, inside the admin namespace): wrong password refused,
#              login, dashboard and blocked list show the svmap attacker,
#              General Save & Apply (ctl status confirms block time and user
#              agents), a bad value marked next to its field, a whitelist entry
#              (ctl), a recipient (config file), unblock from the page (ctl
#              list), attack log; tabs by arrow keys, every field labelled,
#              no sideways scrolling at 390 px; a screenshot of the login page,
#              every tab and the phone width in $SW_ARTIFACTS (default
#              build/artifacts/web/)
#
# Output: "ok - ..." / "not ok - ..." per check (a daemon-side failure shows
# the request, what was expected and what came back), then "N passed, N
# failed"; exit status 1 on any failure.  Needs root (network namespaces),
# kamailio, svmap, curl, nft, /usr/bin/python3, node, npm and /usr/bin/chromium
# (scripts/deps.sh --test); installs tests/e2e/web/node_modules with npm when
# missing.  Creates nothing outside its namespaces, a temp dir and the
# artifacts directory.  SW_KEEP_LOGS=DIR copies the logs there.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
WH=$HERE/web
WC=$WH/webcheck.py
CHROMIUM=/usr/bin/chromium
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
ART=${SW_ARTIFACTS:-$ROOT/build/artifacts/web}
case $ART in /*) ;; *) ART="$PWD/$ART" ;; esac
. "$ROOT/tests/lib/tap.sh"

# ---- preconditions: missing tools fail the test (never skip it) ---------------
if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
missing=()
for t in ip ss kamailio svmap curl nft timeout node npm "$PY" "$CHROMIUM"; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -ne 0 ]; then
	notok "missing tools: ${missing[*]} (Debian packages from scripts/deps.sh --test: iproute2 kamailio sipvicious curl nftables python3 npm chromium)"
	finish
fi
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing (make, or set SIPWARDEN)"; finish; }
grep -q '^ *passwd' <<<"$("$SIPWARDEN" --help 2>&1)" ||
	{ notok "$SIPWARDEN has no 'passwd' command (the admin page is not built in)"; finish; }
if [ ! -d "$WH/node_modules/playwright-core" ]; then
	note "installing playwright-core into tests/e2e/web/node_modules (npm ci)"
	npm ci --prefix "$WH" --no-audit --no-fund >"${TMPDIR:-/tmp}/sw-web-npm.$$.log" 2>&1 ||
		{ notok "npm ci --prefix tests/e2e/web failed"; indent <"${TMPDIR:-/tmp}/sw-web-npm.$$.log"; rm -f "${TMPDIR:-/tmp}/sw-web-npm.$$.log"; finish; }
	rm -f "${TMPDIR:-/tmp}/sw-web-npm.$$.log"
fi

. "$ROOT/tests/lib/netns.sh"
ns_run_init web sww$$ || { notok "cannot create the temp dir and namespaces"; finish; }

SRV=198.51.100.1 ADMIN=198.51.100.5 SCAN=198.51.100.67 BRUTE=198.51.100.99
PORT=8080 URL=http://198.51.100.1:8080
PW='c0rrect horse; battery "staple"'
SOCK=$T/run/ctl.sock CONF=$T/sipwarden.conf TABLE=sww$$
ns_add_host srv $SRV 2001:db8:100::1 || { notok "host srv"; finish; }
ns_add_host admin $ADMIN || { notok "host admin"; finish; }
ns_add_host scan $SCAN || { notok "host scan"; finish; }
ns_add_host brute $BRUTE || { notok "host brute"; finish; }
mkdir -p "$T/kamailio" "$T/db" "$T/run" "$T/home"

# The configuration, with comments that Save & Apply must keep.
cat >"$CONF" <<EOF
# sipwarden: configuration of the web end-to-end test.
# Every comment here must survive the admin page's Save & Apply.

[general]
; capture on the server's only link
interfaces = eth0
database = $T/db/sipwarden.db
ctl_socket = $SOCK
capture_buffer = 16M
block_time = 1h                 ; dynamic block time
block_threshold = 0

[sip]
# scanners by their User-Agent
blocked_user_agents = friendly-scanner, sipvicious, sipcli   ; known tools

[firewall]
backend = nftables
table = $TABLE                  ; a table of this test's own

[notify]
recipients = admin@example.net  ; the NOC
smtp_url = smtp://127.0.0.1:2525 ; nothing listens there
syslog = no

[http]
# the admin page, on the server's address
listen = $SRV:$PORT
admin_login = 3/10m             ; lower than the default 5/10m: a fast test
EOF

quiet() { "$@" >/dev/null 2>&1; }
ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
# ctlj ARGS...: "ctl ARGS --json" into $T/ctl.json.
ctlj() { ctl "$@" --json >"$T/ctl.json" 2>&1; }
# ctl_true EXPR ARGS...: EXPR over the JSON of "ctl ARGS --json" (as d) is true.
ctl_true() { local e=$1; shift; ctlj "$@" && "$PY" "$WC" true "$T/ctl.json" "$e"; }
ctl_get() { local e=$1; shift; ctlj "$@" && "$PY" "$WC" get "$T/ctl.json" "$e"; }
# check LABEL CMD...: ok when CMD succeeds; its output is shown as comments.
check() {
	local label=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && indent 8 <<<"$out"
	if [ $rc -eq 0 ]; then ok "$label"; else notok "$label"; return 1; fi
}

# ---- HTTP from the admin namespace ------------------------------------------------
JAR=$T/cookies CSRF='' CODE='' LASTREQ=''
# req METHOD PATH [BODY [CURL-ARGS...]]: one request from the admin host with
# the cookie jar; status in CODE, body in $T/body, headers in $T/hdr.
req() { req_from admin "$@"; }
req_from() {
	local ns=$1 m=$2 p=$3 body=${4-}; shift 3; [ $# -gt 0 ] && shift
	local a=(-sS -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 8 -b "$JAR" -c "$JAR")
	[ -n "$body" ] && a+=(-H 'Content-Type: application/json' --data-binary "$body")
	: >"$T/body"; : >"$T/hdr"
	LASTREQ="$m $p${body:+ $body}${*:+ (curl $*)}"
	CODE=$(ns_exec "$ns" curl "${a[@]}" "$@" "$URL$p" 2>"$T/curl.err")
	[ -n "$CODE" ] || CODE=000
}
# api METHOD PATH [BODY]: req with the session's X-CSRF-Token.
api() { local m=$1 p=$2; shift 2; req "$m" "$p" "${1-}" -H "X-CSRF-Token: $CSRF"; }
jtrue() { "$PY" "$WC" true "$T/body" "$1" 2>/dev/null; }
jget() { "$PY" "$WC" get "$T/body" "$1" 2>/dev/null; }
# got: the reply of the last request, for a failure report.
got() {
	note "request:  $LASTREQ"
	note "expected: $1"
	note "got:      HTTP $CODE $(head -c 600 "$T/body" | tr -s '\n' ' ')"
	[ -s "$T/curl.err" ] && note "curl:     $(head -c 200 "$T/curl.err")"
	return 0
}
# want LABEL CODE [EXPR]: the last reply had status CODE and EXPR (Python, the
# JSON body as d) is true.
want() {
	local label=$1 code=$2 expr=${3:-}
	if [ "$CODE" = "$code" ] && { [ -z "$expr" ] || jtrue "$expr"; }; then
		ok "$label"; return 0
	fi
	notok "$label"; got "HTTP $code${expr:+ with $expr}"; return 1
}
# also LABEL CMD...: a follow-up check of the daemon's state (ctl, the file).
also() {
	local label=$1 out rc; shift
	: >"$T/ctl.json"
	out=$("$@" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "$label"; return 0; fi
	notok "$label"; note "after:    $LASTREQ"; note "check:    $*"
	[ -n "$out" ] && indent 8 <<<"$out"
	[ -s "$T/ctl.json" ] && note "ctl:      $(head -c 600 "$T/ctl.json")"
	return 1
}
hdr() { grep -i "^$1:" "$T/hdr" | tr -d '\r'; }
csp_ok() { hdr content-security-policy | grep -q "default-src 'self'"; }
not_grep() { ! grep -q "$@"; }
ini_is() { local v; v=$("$PY" "$WC" ini "$CONF" "$1" "$2"); echo "[$1] $2 = $v"; [ "$v" = "$3" ]; }
has_hash() { local v; v=$("$PY" "$WC" ini "$CONF" http password_hash); echo "password_hash = ${v:0:30}..."; [[ $v == '$argon2id$'* ]]; }
# no_cookie: the jar holds no cookie (curl writes HttpOnly ones as "#HttpOnly_...").
no_cookie() { ! grep -vE '^(# |#$|$)' "$JAR" 2>/dev/null | grep -q .; }
cookie_flags() { grep -qi '; *HttpOnly' <<<"$1" && grep -qi '; *SameSite=Strict' <<<"$1"; }
# in_nft ADDR / not_in_nft ADDR: ADDR is (not) an element of our nftables table.
nft_table() { ns_exec srv nft list table inet "$TABLE" >"$T/nft.txt" 2>&1; }
in_nft() { nft_table && grep -qF "$1" "$T/nft.txt"; }
not_in_nft() { nft_table && ! grep -qF "$1" "$T/nft.txt"; }
# prom_ge MIN NAMERE [LABEL=VALUE...]: the sum of those series in $T/metrics.txt >= MIN.
prom_ge() {
	local min=$1 v; shift
	v=$("$PY" "$WC" promval "$T/metrics.txt" "$@") || { echo "no series matches $*"; return 1; }
	echo "$* = $v"
	"$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$v" "$min"
}
# no_errors LOG: no error line about HTTP or the API (event lines and the
# failed-login notices aside), no sanitizer report.
no_errors() {
	! grep -v -e '^sipwarden: {' -e 'failed admin login from' "$1" |
		grep -iE 'http.*(error|fail)|api.*(error|fail)|assert|sanitizer|runtime error'
}

# ---- start: Kamailio, passwd, the daemon ---------------------------------------------
ns_spawn srv "$T/kamailio/kamailio.log" kamailio -DD -E -f "$ROOT/tests/e2e/kamailio.cfg" \
	-P "$T/kamailio/kamailio.pid" -Y "$T/kamailio" -w "$T/kamailio" -m 64 -M 8
ns_wait_for 15 ns_listening srv udp $SRV 5060 || { notok "kamailio is not listening"; indent <"$T/kamailio/kamailio.log"; finish; }

cp "$CONF" "$T/conf.orig"
printf '%s\n' "$PW" | timeout 30 "$SIPWARDEN" passwd -c "$CONF" >"$T/passwd.log" 2>&1
rc=$?
check "sipwarden passwd -c FILE (password on stdin) exits 0" test $rc -eq 0 || indent <"$T/passwd.log"
check "passwd stored an argon2id hash in [http] password_hash" has_hash
check "passwd kept every other line and comment of the file" "$PY" "$WC" cfgkeep "$T/conf.orig" "$CONF" http.password_hash
check "the password itself is not in the file" not_grep -F battery "$CONF"
"$SIPWARDEN" check-config -c "$CONF" >"$T/check.log" 2>&1 || { notok "check-config after passwd"; indent <"$T/check.log"; }

DLOG=$T/daemon.log
ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
DPID=$NS_PID
ns_wait_for 15 quiet ctl status || { notok "daemon did not start"; indent 30 <"$DLOG"; finish; }
ns_wait_for 10 ns_listening srv tcp $SRV $PORT || { notok "nothing listens on $SRV:$PORT"; indent 30 <"$DLOG"; finish; }
ok "daemon started, HTTP on $SRV:$PORT"

# A real attacker: svmap against Kamailio, blocked as a scanner.
ns_spawn scan "$T/svmap.log" timeout 15 svmap -p5060 $SRV
scan_blocked() { ctl_true "any(b['ip'] == '$SCAN' and b['detector'] == 'scanner' for b in d)" list; }
ns_wait_for 15 scan_blocked || { notok "svmap $SCAN was not blocked (scanner)"; indent <"$DLOG"; finish; }
ok "svmap $SCAN blocked by detector scanner"

# ---- without a session ---------------------------------------------------------------------
for p in /api/status /api/config "/api/blocks" "/api/events?limit=5" "/api/stats/hourly?days=7" \
	/api/lists/whitelist /api/lists/blacklist /api/recipients; do
	req GET "$p"
	want "no session: GET $p -> 401 JSON error" 401 "'error' in d"
done
for mp in "POST /api/blocks" "PUT /api/config" "DELETE /api/blocks/$SCAN" "POST /api/lists/whitelist" \
	"POST /api/recipients" "POST /api/notify/test"; do
	req ${mp% *} "${mp#* }" '{"address":"203.0.113.9"}'
	want "no session: $mp -> 401" 401
done
check "no session: nothing was blocked or unblocked" \
	ctl_true "not any(b['ip'] == '203.0.113.9' for b in d) and any(b['ip'] == '$SCAN' for b in d)" list
req GET /api/session
want "GET /api/session without a session: logged_in false, password_set true" 200 \
	"d['logged_in'] is False and d['password_set'] is True and d.get('csrf') is None"
req GET /
if [ "$CODE" = 200 ] && grep -qi 'text/html' "$T/hdr" && grep -q 'app.js' "$T/body"; then ok "GET / serves the page"
else notok "GET / serves the page"; got "200 text/html with app.js"; fi
check "the page is served with a Content-Security-Policy (default-src 'self')" \
	csp_ok
req GET /app.js
want "GET /app.js" 200

# ---- /metrics (no session needed) -------------------------------------------------------------
req GET /metrics
cp "$T/body" "$T/metrics.txt"
if [ "$CODE" = 200 ] && hdr content-type | grep -qi 'text/plain'; then
	ok "GET /metrics without a session -> 200 text/plain"
else
	notok "GET /metrics without a session -> 200 text/plain"; got "200 text/plain; version=0.0.4"
fi
note "/metrics content-type: $(hdr content-type)"
check "/metrics is valid Prometheus text, every name prefixed sipwarden_" "$PY" "$WC" prom "$T/metrics.txt"
for w in packets kernel_drops sip_by_method anomalies_by_reason events_by_detector active_blocks outbox; do
	check "/metrics has $w" "$PY" "$WC" promhas "$T/metrics.txt" "$w"
done
check "/metrics counts the svmap block (detector=\"scanner\" >= 1)" \
	prom_ge 1 '(event|block|attack)' detector=scanner
check "/metrics: active blocks >= 1" \
	prom_ge 1 '(active_blocks|blocks_active)'

# ---- login ------------------------------------------------------------------------------------
req POST /api/login '{"password":"wrong password"}'
want "login with a wrong password -> 401 JSON error" 401 "'error' in d"
check "no session cookie after a wrong password" no_cookie
req POST /api/login "$("$PY" -c 'import json,sys; print(json.dumps({"password": sys.argv[1]}))' "$PW")"
want "login with the right password -> 200 with a csrf token" 200 "re.fullmatch('[0-9a-f]{32,}', d['csrf'])"
CSRF=$(jget "d['csrf']")
COOKIE=$(hdr set-cookie | head -1)
note "Set-Cookie: ${COOKIE%%=*}=... ${COOKIE#*;}"
check "session cookie is HttpOnly and SameSite=Strict" \
	cookie_flags "$COOKIE"
req GET /api/session
want "GET /api/session: logged in, the same csrf token" 200 "d['logged_in'] is True and d['csrf'] == '$CSRF'"

# ---- CSRF: state-changing requests without the token change nothing ------------------------------
cp "$CONF" "$T/conf.before"
req POST /api/blocks '{"address":"203.0.113.9","duration":"1h","reason":"csrf"}'
want "POST /api/blocks without X-CSRF-Token -> 403" 403 "'error' in d"
req POST /api/blocks '{"address":"203.0.113.9","duration":"1h","reason":"csrf"}' -H 'X-CSRF-Token: 00ff00ff'
want "POST /api/blocks with a wrong X-CSRF-Token -> 403" 403
also "without the token nothing was blocked" ctl_true "not any(b['ip'] == '203.0.113.9' for b in d)" list
req DELETE "/api/blocks/$SCAN"
want "DELETE /api/blocks/$SCAN without X-CSRF-Token -> 403" 403
also "without the token the attacker stays blocked" ctl_true "any(b['ip'] == '$SCAN' for b in d)" list
req PUT /api/config '{"general.block_time":"2h"}'
want "PUT /api/config without X-CSRF-Token -> 403" 403
req POST /api/lists/whitelist '{"address":"203.0.113.9","comment":"csrf"}'
want "POST /api/lists/whitelist without X-CSRF-Token -> 403" 403
req POST /api/recipients '{"address":"csrf@example.com"}'
want "POST /api/recipients without X-CSRF-Token -> 403" 403
req POST /api/logout
want "POST /api/logout without X-CSRF-Token -> 403 (the session stays)" 403
also "without the token the config file is byte-identical" cmp "$T/conf.before" "$CONF"
also "without the token the whitelist is unchanged" ctl_true "not any(e['ip'].startswith('203.0.113.9') for e in d)" whitelist list

# ---- status and config ----------------------------------------------------------------------------
req GET /api/status
want "GET /api/status: version, uptime, active blocks >= 1, kernel drops 0 (an integer), svmap among the top attackers" 200 \
	"isinstance(d['version'], str) and d['uptime_s'] >= 0 and d['active_blocks'] >= 1 and type(d['kernel_drops']) is int and d['kernel_drops'] == 0 and any(a['ip'] == '$SCAN' and a['count'] >= 1 for a in d['top_attackers'])"
# the figure is the capture's (pcap_stats): the same in ctl status, which
# shows that the kernel handed packets over (received > 0) and dropped none
also "ctl status: the kernel received packets for the capture and dropped none, as /api/status says" \
	ctl_true "d['kernel_received'] > 0 and type(d['kernel_drops']) is int and d['kernel_drops'] == 0" status
req GET /api/config
cp "$T/body" "$T/config.json"
KEYS="general.protocols general.sip_ports sip.bad_registrations general.block_time general.block_threshold sip.blocked_user_agents sip.bad_invites sip.enumeration sip.anomalies sip.flood sip.nat_tolerance tftp.enabled dns.enabled notify.daily_summary notify.per_attack"
want "GET /api/config: every documented key, each a string" 200 \
	"all(isinstance(d.get(k), str) for k in '$KEYS'.split())"
want "GET /api/config: the file's values (block_time 1h, user agents)" 200 \
	"d['general.block_time'] == '1h' and d['sip.blocked_user_agents'] == 'friendly-scanner, sipvicious, sipcli'"
# put_config KEY=VALUE...: PUT the config object read above with changes.
put_body() {
	"$PY" - "$T/config.json" "$@" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	for kv in sys.argv[2:]:
	    k, v = kv.split("=", 1)
	    d[k] = v
	print(json.dumps(d))
	EOF
}
BT0=$(ctl_get "d['config']['block_time_s']" status)
cp "$CONF" "$T/conf.before"
rm -f "$CONF.bak"
api PUT /api/config "$(put_body general.block_time=5x)"
want "PUT /api/config with block_time 5x -> 400 naming general.block_time" 400 \
	"d.get('field') == 'general.block_time' and d.get('error')"
also "bad value: ctl status still shows the old block time ($BT0 s)" \
	ctl_true "d['config']['block_time_s'] == $BT0 == 3600" status
also "bad value: the config file is byte-identical" cmp "$T/conf.before" "$CONF"
also "bad value: no .bak written" test ! -e "$CONF.bak"
api PUT /api/config "$(put_body sip.bad_registrations=7/xx)"
want "PUT /api/config with a bad rule -> 400 naming sip.bad_registrations" 400 "d.get('field') == 'sip.bad_registrations'"
api PUT /api/config '{"general.block_time": "5h"'
want "PUT /api/config with malformed JSON (no closing brace) -> 400, no field (the body as a whole)" 400 \
	"d.get('error', '').startswith('malformed JSON') and 'field' not in d"
api PUT /api/config '{"general.block_time": 5}'
want "PUT /api/config with a number, not a string -> 400 field general.block_time" 400 \
	"d.get('error') == 'the value must be a string' and d.get('field') == 'general.block_time'"
also "malformed JSON: the file is byte-identical" cmp "$T/conf.before" "$CONF"

api PUT /api/config "$(put_body general.block_time=2h 'sip.blocked_user_agents=friendly-scanner, sipvicious, sipcli, badbot')"
want "PUT /api/config block_time 2h, one more user agent -> ok" 200 "d.get('ok') is True"
also "good value: ctl status shows block_time_s 7200 and the new user agent" \
	ctl_true "d['config']['block_time_s'] == 7200 and 'badbot' in [a.lower() for a in d['config']['blocked_user_agents']]" status
also "good value: the file says block_time = 2h" ini_is general block_time 2h
also "good value: every other line and comment kept (the edited lines keep theirs)" \
	"$PY" "$WC" cfgkeep "$T/conf.before" "$CONF" general.block_time sip.blocked_user_agents \
	general.protocols general.sip_ports sip.bad_registrations general.block_threshold sip.bad_invites \
	sip.enumeration sip.anomalies sip.flood sip.nat_tolerance tftp.enabled dns.enabled notify.daily_summary notify.per_attack
also "good value: the previous file kept as .bak" cmp "$T/conf.before" "$CONF.bak"
also "good value: the file still passes check-config" "$SIPWARDEN" check-config -c "$CONF"
req GET /api/config
want "GET /api/config shows the new block time" 200 "d['general.block_time'] == '2h'"
cp "$T/body" "$T/config.json"

# ---- blocks ------------------------------------------------------------------------------------------
MB=203.0.113.50 NET=203.0.113.128/25
api POST /api/blocks "{\"address\":\"$MB\",\"duration\":\"10m\",\"reason\":\"web test block\"}"
want "POST /api/blocks $MB 10m with a reason -> ok" 200 "d.get('ok') is True"
also "manual block in ctl list: detector manual, the reason, about 600 s left" \
	ctl_true "any(b['ip'] == '$MB' and b['detector'] == 'manual' and b['reason'] == 'web test block' and 540 <= b['remaining_s'] <= 600 and not b['permanent'] for b in d)" list
also "manual block is in the nftables set" in_nft "$MB"
req GET "/api/blocks?q=203.0.113.50"
want "GET /api/blocks?q=203.0.113.50: just that block, with its fields" 200 \
	"d['total'] == 1 and len(d['blocks']) == 1 and d['blocks'][0]['ip'] == '$MB' and d['blocks'][0]['detector'] == 'manual' and d['blocks'][0]['reason'] == 'web test block' and d['blocks'][0]['permanent'] is False and d['blocks'][0]['end'] and d['blocks'][0]['start']"
req GET "/api/blocks?limit=500"
want "GET /api/blocks lists the svmap attacker (scanner) and the manual block" 200 \
	"d['total'] >= 2 and any(b['ip'] == '$SCAN' and b['detector'] == 'scanner' for b in d['blocks']) and any(b['ip'] == '$MB' for b in d['blocks'])"
req GET "/api/blocks?limit=1"
want "GET /api/blocks?limit=1: one block, total counts all" 200 "len(d['blocks']) == 1 and d['total'] >= 2"
api POST /api/blocks '{"address":"203.0.113.300","duration":"1h","reason":"x"}'
want "POST /api/blocks with a bad address -> 400 field address" 400 "d.get('field') == 'address'"
api POST /api/blocks "{\"address\":\"203.0.113.51\",\"duration\":\"5x\",\"reason\":\"x\"}"
want "POST /api/blocks with a bad duration -> 400 field duration" 400 "d.get('field') == 'duration'"
also "bad block requests blocked nothing" ctl_true "not any(b['ip'] in ('203.0.113.51',) for b in d)" list
api POST /api/blocks "{\"address\":\"$NET\",\"duration\":\"permanent\",\"reason\":\"web test prefix\"}"
want "POST /api/blocks $NET permanent -> ok" 200 "d.get('ok') is True"
also "prefix block in ctl list, permanent" ctl_true "any(b['ip'] == '$NET' and b['permanent'] for b in d)" list
api DELETE "/api/blocks/$MB"
want "DELETE /api/blocks/$MB -> ok" 200 "d.get('ok') is True"
also "manual block gone from ctl list" ctl_true "not any(b['ip'] == '$MB' for b in d)" list
also "manual block gone from the nftables set" not_in_nft "$MB"
api DELETE "/api/blocks/$MB"
want "DELETE /api/blocks/$MB again -> 404 'not blocked', field address" 404 "d.get('error') == 'not blocked' and d.get('field') == 'address'"
api DELETE "/api/blocks/203.0.113.128%2F25"
want "DELETE /api/blocks/203.0.113.128%2F25 (a prefix, encoded) -> ok" 200 "d.get('ok') is True"
also "prefix block gone from ctl list" ctl_true "not any(b['ip'] == '$NET' for b in d)" list

# ---- whitelist and blacklist -----------------------------------------------------------------------------
WL=203.0.113.77 BL=203.0.113.88
api POST /api/lists/whitelist "{\"address\":\"$WL\",\"comment\":\"web office\"}"
want "POST /api/lists/whitelist $WL -> ok" 200 "d.get('ok') is True"
also "whitelist entry in ctl whitelist list with its comment" \
	ctl_true "any(e['ip'] in ('$WL', '$WL/32') and e['comment'] == 'web office' for e in d)" whitelist list
req GET /api/lists/whitelist
want "GET /api/lists/whitelist: the entry (runtime, comment) and the config's 127.0.0.0/8" 200 \
	"any(e['address'] in ('$WL', '$WL/32') and e['comment'] == 'web office' and e['source'] == 'runtime' for e in d['entries']) and any(e['address'] == '127.0.0.0/8' and e['source'] == 'config' for e in d['entries'])"
api POST /api/lists/whitelist '{"address":"203.0.113.77/33","comment":""}'
want "POST /api/lists/whitelist with a bad prefix -> 400 field address" 400 "d.get('field') == 'address'"
api DELETE "/api/lists/whitelist?address=$WL"
want "DELETE /api/lists/whitelist?address=$WL -> ok" 200 "d.get('ok') is True"
also "whitelist entry gone from ctl" ctl_true "not any(e['ip'] in ('$WL', '$WL/32') for e in d)" whitelist list
api DELETE "/api/lists/whitelist?address=$WL"
want "DELETE /api/lists/whitelist again -> 404 'not on the whitelist', field address" 404 \
	"d.get('error') == 'not on the whitelist' and d.get('field') == 'address'"
api POST /api/lists/blacklist "{\"address\":\"$BL\",\"comment\":\"web spammer\"}"
want "POST /api/lists/blacklist $BL -> ok" 200 "d.get('ok') is True"
also "blacklist entry in ctl blacklist list" ctl_true "any(e['ip'] in ('$BL', '$BL/32') for e in d)" blacklist list
also "blacklisted address blocked permanently (ctl list)" ctl_true "any(b['ip'] == '$BL' and b['permanent'] for b in d)" list
req GET /api/lists/blacklist
want "GET /api/lists/blacklist has the entry" 200 "any(e['address'] in ('$BL', '$BL/32') and e['comment'] == 'web spammer' for e in d['entries'])"
api DELETE "/api/lists/blacklist?address=$BL"
want "DELETE /api/lists/blacklist?address=$BL -> ok" 200 "d.get('ok') is True"
also "blacklist entry gone from ctl" ctl_true "not any(e['ip'] in ('$BL', '$BL/32') for e in d)" blacklist list

# ---- recipients --------------------------------------------------------------------------------------------
req GET /api/recipients
want "GET /api/recipients: the config's recipient" 200 "d['recipients'] == ['admin@example.net']"
api POST /api/recipients '{"address":"noc@example.org"}'
want "POST /api/recipients noc@example.org -> ok" 200 "d.get('ok') is True"
also "config file [notify] recipients has both" ini_is notify recipients "admin@example.net, noc@example.org"
also "the recipients line keeps its comment" grep -q '^recipients = .*noc@example.org.*; the NOC' "$CONF"
req GET /api/recipients
want "GET /api/recipients shows both" 200 "d['recipients'] == ['admin@example.net', 'noc@example.org']"
cp "$CONF" "$T/conf.before"
api POST /api/recipients '{"address":"not a mail address"}'
want "POST /api/recipients with a bad address -> 400" 400 "d.get('error')"
want "POST /api/recipients with a bad address: the error names field \"address\"" 400 "d.get('field') == 'address'"
api POST /api/recipients '{"address":"x@example.com>\r\nBcc: victim@example.com"}'
want "POST /api/recipients with CR/LF and a Bcc: in the address -> 400 field address" 400 "d.get('error') and d.get('field') == 'address'"
also "bad recipients: the config file is byte-identical" cmp "$T/conf.before" "$CONF"
api DELETE "/api/recipients?address=noc%40example.org"
want "DELETE /api/recipients?address=noc%40example.org -> ok" 200 "d.get('ok') is True"
also "config file [notify] recipients back to one" ini_is notify recipients admin@example.net
api DELETE "/api/recipients?address=noc%40example.org"
want "DELETE /api/recipients again -> 404 'not a recipient', field address" 404 \
	"d.get('error') == 'not a recipient' and d.get('field') == 'address'"
ns_exec srv nft list table inet "$TABLE" >/dev/null 2>&1 || notok "the table vanished"

# ---- notify test ------------------------------------------------------------------------------------------
# With a recipient configured the test mail is queued (README: the outbox
# holds every mail until it is sent), whether or not the server answers.
req GET /api/status
OUTBOX0=$(jget "d['outbox']")
api POST /api/notify/test
want "POST /api/notify/test -> 200, queued for the one recipient" 200 \
	"d.get('ok') is True and d.get('message') == 'queued for 1 recipient(s)'"
outbox_is() { req GET /api/status; jtrue "d['outbox'] == $1"; }
check "the test mail is in the outbox (${OUTBOX0:-?} -> $((${OUTBOX0:-0} + 1)))" ns_wait_for 5 outbox_is $((${OUTBOX0:-0} + 1))

# ---- events and hourly stats ---------------------------------------------------------------------------------
req GET "/api/events?limit=5&detector=scanner&ip=$SCAN"
want "GET /api/events?limit=5&detector=scanner&ip=$SCAN: the svmap block, only matching events" 200 \
	"0 < len(d['events']) <= 5 and all(e['detector'] == 'scanner' and e['ip'] == '$SCAN' for e in d['events']) and any(e['event'] == 'block' and e['duration_s'] == 3600 and e['instance'] for e in d['events'])"
SCAN_TIME=$(jget "[e['time'] for e in d['events'] if e['event'] == 'block'][0]")
req GET "/api/events?limit=1"
want "GET /api/events?limit=1: one event" 200 "len(d['events']) == 1"
req GET "/api/events?limit=200"
want "GET /api/events: newest first" 200 "len(d['events']) >= 2 and [e['time'] for e in d['events']] == sorted([e['time'] for e in d['events']], reverse=True)"
req GET "/api/events?detector=manual&limit=50"
want "GET /api/events?detector=manual: the web blocks (and only manual events)" 200 \
	"all(e['detector'] == 'manual' for e in d['events']) and any(e['ip'] == '$MB' for e in d['events'])"
req GET "/api/events?since=yesterday"
want "GET /api/events?since=yesterday -> 400 field since" 400 "d.get('field') == 'since' and d.get('error')"
req GET "/api/events?ip=not-an-address"
want "GET /api/events?ip=not-an-address -> 400 field ip" 400 "d.get('field') == 'ip' and d.get('error')"
req GET /api/lists/greylist
want "GET /api/lists/greylist -> 404, no field" 404 "d.get('error', '').startswith('no such list') and 'field' not in d"
req GET "/api/events?since=2099-01-01T00:00:00Z"
want "GET /api/events?since=(future): no events" 200 "d['events'] == []"
req GET "/api/events?since=$SCAN_TIME&ip=$SCAN&detector=scanner"
want "GET /api/events?since=(the block's time): inclusive" 200 "any(e['time'] == '$SCAN_TIME' for e in d['events'])"
req GET "/api/stats/hourly?days=7"
want "GET /api/stats/hourly?days=7: 168 counts from a whole hour, the svmap block in its hour" 200 \
	"len(d['counts']) == 168 and re.match(r'^\d{4}-\d\d-\d\dT\d\d:00:00(\.000)?Z$', d['start']) and sum(d['counts']) >= 1 and d['counts'][int((__import__('datetime').datetime.fromisoformat('$SCAN_TIME'.replace('Z','+00:00')) - __import__('datetime').datetime.fromisoformat(d['start'].replace('Z','+00:00'))).total_seconds() // 3600)] >= 1"
req GET "/api/stats/hourly?days=1"
want "GET /api/stats/hourly?days=1: 24 counts" 200 "len(d['counts']) == 24"
req GET /api/nonexistent
want "GET /api/nonexistent -> 404 JSON, no field" 404 "d.get('error') == 'no such API endpoint' and 'field' not in d"

# ---- logout ------------------------------------------------------------------------------------------------------
OLD_COOKIE=$(awk '!/^#/ && NF >= 7 { print $6 "=" $7 }' "$JAR" | head -1)
[ -n "$OLD_COOKIE" ] || OLD_COOKIE=$(awk '/^#HttpOnly_/ && NF >= 7 { print $6 "=" $7 }' "$JAR" | head -1)
api POST /api/logout
want "POST /api/logout -> ok" 200 "d.get('ok') is True"
req GET /api/status
want "after logout GET /api/status -> 401" 401
req GET /api/status '' -H "Cookie: $OLD_COOKIE"
want "after logout the old session cookie is refused (401)" 401
req GET /api/session
want "after logout /api/session: logged_in false" 200 "d['logged_in'] is False"

# ---- login brute force: admin_login = 3/10m ------------------------------------------------------------------------
answered=0 failed_at=
for i in 1 2 3 4 5 6 7 8; do
	req_from brute POST /api/login '{"password":"guess'$i'"}' --connect-timeout 2 --max-time 3
	if [ "$CODE" = 401 ]; then answered=$((answered + 1))
	else failed_at=$i; break; fi
	sleep 0.2
done
note "brute force: $answered wrong passwords answered 401, then HTTP $CODE at attempt ${failed_at:-none}"
brute_blocked() { ctl_true "any(b['ip'] == '$BRUTE' and b['detector'] == 'admin_login' for b in d)" list; }
ns_wait_for 5 brute_blocked
also "brute force: $BRUTE blocked by detector admin_login (ctl list)" brute_blocked
also "brute force: blocked after 3 to 4 failures (admin_login = 3/10m; got $answered)" test "$answered" -ge 3 -a "$answered" -le 4
also "brute force: $BRUTE is in the nftables set" in_nft "$BRUTE"
req_from brute GET /api/session '' --connect-timeout 2 --max-time 3
if [ "$CODE" = 000 ]; then ok "brute force: a new connection from $BRUTE fails"
else notok "brute force: a new connection from $BRUTE fails"; got "no connection (curl fails)"; fi
req GET /api/session
want "brute force: the admin host $ADMIN still gets answers" 200
ctl events --json --limit 50 >"$T/events.json" 2>&1
also "brute force: an admin_login block event (ctl events)" grep -q "\"ip\":\"$BRUTE\",\"detector\":\"admin_login\"" "$T/events.json"

# ---- the browser ----------------------------------------------------------------------------------------------------
mkdir -p "$ART" || { notok "cannot create $ART"; finish; }
rm -f "$ART"/*.png
note "browser: node tests/e2e/web/browser.mjs in namespace admin, screenshots in $ART"
ns_exec admin env HOME="$T/home" TMPDIR="$T" SW_PASSWORD="$PW" SW_ATTACKER="$SCAN" \
	SIPWARDEN="$SIPWARDEN" SW_SOCK="$SOCK" SW_CONF="$CONF" SW_ARTIFACTS="$ART" SW_CHROMIUM="$CHROMIUM" \
	timeout 150 node "$WH/browser.mjs" "$URL" >"$T/browser.log" 2>&1
brc=$?
done_seen=0
while IFS= read -r ln; do
	case $ln in
	"ok - "*) ok "browser: ${ln#ok - }" ;;
	"not ok - "*) notok "browser: ${ln#not ok - }" ;;
	"# done") done_seen=1 ;;
	"#"*) echo "$ln" ;;
	*) echo "#   $ln" ;;
	esac
done <"$T/browser.log"
[ $done_seen = 1 ] && [ $brc -eq 0 ] || notok "browser script ended early (exit $brc)"
for s in login dashboard general lists recipients blocks log phone-log; do
	if [ -s "$ART/$s.png" ]; then note "screenshot: $ART/$s.png"
	else notok "screenshot $s.png missing"; fi
done

# ---- end -----------------------------------------------------------------------------------------------------------
ns_stop "$DPID" TERM 15
check "the daemon exits 0 on SIGTERM" test $? -eq 0
check "the daemon logged no HTTP or API error" no_errors "$DLOG"
finish
