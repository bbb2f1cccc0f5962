#!/bin/bash
# test_adv_web.sh: the admin page defends itself (issue 10, points 3, 4 and
# 6): the attacks of the issue against a live daemon in network namespaces.
#
# Topology (tests/lib/netns.sh, one bridge):
#   srv    198.51.100.1: "sipwarden run" with [http] listen = 0.0.0.0:8080,
#          [firewall] scope = services (the firewall does not cover the admin
#          port), server_name = pbx.example.net, trusted_proxies = the proxy
#   admin  198.51.100.5: the operator (right password)
#   atk    198.51.100.66: blocked with `ctl block`, then floods /api/login
#   proxy  198.51.100.7: a trusted reverse proxy (X-Forwarded-For honoured)
#   spoof  198.51.100.8: not a proxy, sends X-Forwarded-For anyway
#   t1-t5  198.51.100.71-75: 16 trickling connections each (slowloris)
#
# Checked:
#   blocked    every login from the blocked address is refused (403) and no
#              password check runs (/metrics: password checks unchanged,
#              refused{reason="blocked"} counts them); yet the connection
#              itself is not dropped by the firewall (scope = services)
#   loopback   wrong passwords from 127.0.0.1 (the host, never blocked): 401
#              for the first admin_login count, then 429 with Retry-After and
#              no password check; the right password from the admin still
#              works, from 127.0.0.1 it is still locked
#   xff        through the trusted proxy each X-Forwarded-For client counts on
#              its own (the admin_login block names that client); from the
#              spoof host the header is ignored (the block names spoof)
#   budget     16 parallel streams of guesses through the proxy, each from a
#              client of its own: beyond the hashing budget they get 503
#              (only 401 or 503), and a static file answers every time
#   slowloris  5 x 16 connections trickling one header byte a second: every
#              one is refused or shut by the server before the trickle ends
#              (header deadline 10 s, not reset per byte), and the admin's
#              page answers every time meanwhile
#   query      1,200 query arguments -> 414 (curl --max-time 20)
#   host       Host rebind.example -> 421 on /metrics and /api/login; the
#              server_name and the listen address pass; a POST with a cross
#              Origin or Referer -> 403
# Output: "ok - ..." / "not ok - ..." per check, then "N passed, N failed";
# exit 1 on any failure.  Needs root, curl, nft, /usr/bin/python3.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
TRICKLE=$HERE/web/trickle.py
SIPWARDEN=${SIPWARDEN:-build/sipwarden}
case $SIPWARDEN in /*) ;; *) SIPWARDEN="$ROOT/$SIPWARDEN" ;; esac
. "$ROOT/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then notok "must run as root (network namespaces)"; finish; fi
for t in ip ss curl nft timeout "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { notok "missing tool $t (scripts/deps.sh --test)"; finish; }
done
[ -x "$SIPWARDEN" ] || { notok "sipwarden binary $SIPWARDEN missing (make, or set SIPWARDEN)"; finish; }

. "$ROOT/tests/lib/netns.sh"
ns_run_init advweb swa$$ || { notok "cannot create the temp dir and namespaces"; finish; }

SRV=198.51.100.1 ADMIN=198.51.100.5 ATK=198.51.100.66 PROXY=198.51.100.7 SPOOF=198.51.100.8
PORT=8080 URL=http://198.51.100.1:8080
PW='adv3rsarial web'
SOCK=$T/ctl.sock CONF=$T/sipwarden.conf TABLE=swa$$
for h in "srv $SRV" "admin $ADMIN" "atk $ATK" "proxy $PROXY" "spoof $SPOOF" \
	"t1 198.51.100.71" "t2 198.51.100.72" "t3 198.51.100.73" "t4 198.51.100.74" "t5 198.51.100.75"; do
	ns_add_host $h || { notok "host $h"; finish; }
done

cat >"$CONF" <<EOF
[general]
interfaces = eth0
database = $T/sipwarden.db
ctl_socket = $SOCK
block_time = 1h

[firewall]
backend = nftables
table = $TABLE
scope = services

[notify]
syslog = no

[http]
listen = 0.0.0.0:$PORT
admin_login = 3/10m
server_name = pbx.example.net
trusted_proxies = $PROXY
EOF
printf '%s\n' "$PW" | timeout 30 "$SIPWARDEN" passwd -c "$CONF" >"$T/passwd.log" 2>&1 ||
	{ notok "sipwarden passwd"; indent <"$T/passwd.log"; finish; }

ctl() { timeout 10 "$SIPWARDEN" ctl -s "$SOCK" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
DLOG=$T/daemon.log
ns_spawn srv "$DLOG" "$SIPWARDEN" run -c "$CONF"
DPID=$NS_PID
ns_wait_for 15 quiet ctl status || { notok "daemon did not start"; indent 30 <"$DLOG"; finish; }
ns_wait_for 10 ns_listening srv tcp 0.0.0.0 $PORT || { notok "nothing listens on :$PORT"; indent 30 <"$DLOG"; finish; }
ok "daemon started, HTTP on 0.0.0.0:$PORT, firewall scope = services"

RIGHT=$("$PY" -c 'import json,sys; print(json.dumps({"password": sys.argv[1]}))' "$PW")
WRONG='{"password":"guess"}'
# codes NS URL N BODY [CURL-ARGS...]: N POSTs of BODY in one curl, the status
# codes counted ("401:3 429:7").
codes() {
	local ns=$1 url=$2 n=$3 body=$4 i urls=(); shift 4
	for ((i = 0; i < n; i++)); do urls+=(-o /dev/null "$url"); done
	ns_exec "$ns" curl -s -w '%{http_code}\n' --max-time 20 -H 'Content-Type: application/json' \
		--data-binary "$body" "$@" "${urls[@]}" 2>/dev/null | sort | uniq -c | awk '{printf "%s%s:%s", sep, $2, $1; sep=" "}'
}
# status NS URL [CURL-ARGS...]: one request's status (000: no answer).
status() {
	local ns=$1 url=$2; shift 2
	ns_exec "$ns" curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 20 "$@" "$url" 2>/dev/null || true
}
# metric NAME{LABELS}: its value in a fresh /metrics from the admin host.
metric() {
	ns_exec admin curl -s --max-time 10 "$URL/metrics" >"$T/metrics.txt" 2>/dev/null
	awk -v k="$1" '$1 == k { print $2 }' "$T/metrics.txt"
}
expect() { # LABEL GOT WANT
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else notok "$1"; note "expected: $3"; note "got:      $2"; fi
}
blocked_by() {
	ctl list --json 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(b["ip"] == sys.argv[1] and b["detector"] == sys.argv[2] for b in d) else 1)' "$1" "$2"
}

# ---- a login flood from a blocked address ----------------------------------------------
ctl block $ATK 1h --reason "adversarial web test" >/dev/null
ns_wait_for 5 blocked_by $ATK manual && ok "ctl block $ATK" || notok "ctl block $ATK"
expect "the firewall (scope = services) does not cover the admin port: $ATK still connects, answered 403" \
	"$(status atk "$URL/")" 403
C0=$(metric sipwarden_http_password_checks_total)
expect "200 logins from the blocked $ATK: every one refused 403" "$(codes atk "$URL/api/login" 200 "$WRONG")" "403:200"
C1=$(metric sipwarden_http_password_checks_total)
expect "no password check ran for them (sipwarden_http_password_checks_total unchanged)" "$C1" "$C0"
R=$(metric 'sipwarden_http_refused_total{reason="blocked"}')
if [ "${R:-0}" -ge 200 ]; then ok "refused{reason=\"blocked\"} counts them ($R)"; else notok "refused{reason=\"blocked\"} = ${R:-none}"; fi

# ---- a login flood from 127.0.0.1 (the host itself, never blocked) ----------------------
LO=http://127.0.0.1:$PORT
expect "10 wrong passwords from 127.0.0.1: 3 answered 401, then locked 429" "$(codes srv "$LO/api/login" 10 "$WRONG")" "401:3 429:7"
expect "the lock answers 429 to the right password too" \
	"$(status srv "$LO/api/login" -H 'Content-Type: application/json' --data-binary "$RIGHT")" 429
RA=$(grep -i '^retry-after:' "$T/hdr" | tr -dc 0-9)
if [ "${RA:-0}" -gt 0 ]; then ok "429 with Retry-After: $RA"; else notok "429 without Retry-After"; fi
C2=$(metric sipwarden_http_password_checks_total)
expect "only the 3 answered guesses ran a password check" "$((C2 - C1))" 3
expect "the admin ($ADMIN) logs in with the right password meanwhile" \
	"$(status admin "$URL/api/login" -H 'Content-Type: application/json' --data-binary "$RIGHT")" 200
if blocked_by 127.0.0.1 admin_login; then notok "127.0.0.1 was blocked"; else ok "127.0.0.1 is not blocked (the host's own address)"; fi

# ---- X-Forwarded-For: honoured from the trusted proxy only ------------------------------
XA=192.0.2.50 XB=192.0.2.51
expect "through the proxy, client $XA: 3 wrong passwords answered 401" \
	"$(codes proxy "$URL/api/login" 3 "$WRONG" -H "X-Forwarded-For: $XA")" "401:3"
ns_wait_for 5 blocked_by $XA admin_login && ok "admin_login blocked the client $XA, not the proxy" || notok "admin_login did not block $XA"
if blocked_by $PROXY admin_login; then notok "the proxy $PROXY was blocked"; else ok "the proxy $PROXY is not blocked"; fi
expect "$XA through the proxy is now refused 403 (the HTTP layer's blocked set)" \
	"$(status proxy "$URL/api/login" -H "X-Forwarded-For: $XA" -H 'Content-Type: application/json' --data-binary "$RIGHT")" 403
expect "another client $XB through the same proxy logs in" \
	"$(status proxy "$URL/api/login" -H "X-Forwarded-For: 6.6.6.6, $XB" -H 'Content-Type: application/json' --data-binary "$RIGHT")" 200
expect "from $SPOOF (not a proxy) X-Forwarded-For is ignored: 3 guesses answered 401" \
	"$(codes spoof "$URL/api/login" 3 "$WRONG" -H "X-Forwarded-For: 192.0.2.60")" "401:3"
ns_wait_for 5 blocked_by $SPOOF admin_login && ok "admin_login blocked $SPOOF itself" || notok "admin_login did not block $SPOOF"
if blocked_by 192.0.2.60 admin_login; then notok "the forged 192.0.2.60 was blocked"; else ok "the forged address 192.0.2.60 is not blocked"; fi

# ---- a login flood from many clients: the hashing budget --------------------------------
# 16 parallel streams through the proxy, each guess from a client of its own
# (so no lockout applies): the checks beyond the budget are answered 503,
# and the page keeps answering the admin meanwhile.
FP=()
for s in $(seq 1 16); do
	ns_spawn proxy "$T/flood$s.txt" bash -c '
		for i in $(seq 1 10); do
			curl -s -o /dev/null -w "%{http_code}\n" --max-time 20 -H "Content-Type: application/json" \
				-H "X-Forwarded-For: 203.0.113.$((('$s' - 1) * 10 + i))" --data-binary "{\"password\":\"x\"}" "$0/api/login"
		done' "$URL"
	FP+=("$NS_PID")
done
# timed GET of a static file into $T/lat-LABEL.txt ("CODE SECONDS" a line)
timed() { ns_exec admin curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 20 "$URL/app.js" >>"$T/lat-$1.txt" 2>/dev/null; }
served=0 tries=0
while ns_alive "${FP[0]}" || ns_alive "${FP[15]}"; do
	tries=$((tries + 1))
	timed flood
	[ "$(tail -1 "$T/lat-flood.txt" | cut -d' ' -f1)" = 200 ] && served=$((served + 1))
	[ $tries -ge 60 ] && break
	sleep 0.2
done
for p in "${FP[@]}"; do wait "$p" 2>/dev/null; done
F=$(cat "$T"/flood*.txt | sort | uniq -c | awk '{printf "%s%s:%s", sep, $2, $1; sep=" "}')
note "flood of 160 guesses from 160 clients: $F; static file answered $served of $tries times meanwhile"
if [[ $F =~ 503: ]] && ! grep -qvhE '^(401|503)$' "$T"/flood*.txt; then ok "beyond the hashing budget: 503, never anything but 401/503 ($F)"
else notok "hashing budget: expected 401s and 503s, got $F"; fi
expect "the page (a static file) answered every time during the flood" "$served/$tries" "$tries/$tries"
for ((k = 0; k < 10; k++)); do timed idle; sleep 0.1; done
lat() { "$PY" -c 'import sys,statistics; v=sorted(float(l.split()[1])*1000 for l in open(sys.argv[1])); print("median %.1f ms, max %.1f ms over %d" % (statistics.median(v), v[-1], len(v)))' "$1"; }
note "figure: GET /app.js during the flood: $(lat "$T/lat-flood.txt"); idle: $(lat "$T/lat-idle.txt")"

# ---- Host, Origin, query ------------------------------------------------------------------
expect "Host rebind.example: /metrics -> 421" "$(status admin "$URL/metrics" -H 'Host: rebind.example:8080')" 421
expect "Host rebind.example: POST /api/login -> 421" \
	"$(status admin "$URL/api/login" -H 'Host: rebind.example' -H 'Content-Type: application/json' --data-binary "$RIGHT")" 421
expect "Host pbx.example.net (server_name) -> 200" "$(status admin "$URL/" -H 'Host: pbx.example.net')" 200
expect "Host $SRV:$PORT -> 200" "$(status admin "$URL/")" 200
expect "POST /api/login with Origin http://evil.example -> 403" \
	"$(status admin "$URL/api/login" -H 'Origin: http://evil.example' -H 'Content-Type: application/json' --data-binary "$RIGHT")" 403
expect "POST /api/login with Referer http://evil.example/ -> 403" \
	"$(status admin "$URL/api/login" -H 'Referer: http://evil.example/' -H 'Content-Type: application/json' --data-binary "$RIGHT")" 403
expect "POST /api/login with the page's own Origin -> 200" \
	"$(status admin "$URL/api/login" -H "Origin: $URL" -H 'Content-Type: application/json' --data-binary "$RIGHT")" 200
Q=$("$PY" -c "print('&'.join('a%d=1' % i for i in range(1200)))")
expect "1,200 query arguments -> 414" "$(status admin "$URL/api/events?$Q")" 414

# ---- slowloris: 5 addresses x 16 trickling connections ----------------------------------
TPIDS=()
for i in 1 2 3 4 5; do
	ns_spawn t$i "$T/trickle$i.json" timeout 40 "$PY" "$TRICKLE" $SRV $PORT 16 25
	TPIDS+=("$NS_PID")
done
sleep 1
served=0 tries=0
for ((k = 0; k < 20; k++)); do
	tries=$((tries + 1))
	[ "$(status admin "$URL/")" = 200 ] && served=$((served + 1))
	sleep 1
done
expect "the page answered the admin every time during the trickle" "$served/$tries" "$tries/$tries"
for p in "${TPIDS[@]}"; do wait "$p" 2>/dev/null; done
"$PY" - "$T"/trickle?.json <<'PYEOF' >"$T/trickle.sum"
import json, sys
t = {"opened": 0, "closed": 0, "still_open": 0, "connect_failed": 0, "closed_within_1s": 0, "longest_s": 0}
for f in sys.argv[1:]:
    d = json.load(open(f))
    for k in t:
        t[k] = max(t[k], d[k]) if k == "longest_s" else t[k] + d[k]
print(" ".join("TR_%s=%s" % kv for kv in t.items()))
PYEOF
note "trickle: $(cat "$T/trickle.sum")"
TR_closed=0 TR_connect_failed=0 TR_still_open=x TR_closed_within_1s=0 TR_longest_s=?
read -r -a kv <"$T/trickle.sum"
for a in "${kv[@]}"; do printf -v "${a%%=*}" '%s' "${a#*=}"; done
expect "80 trickling connections: none still open when the trickle ended (25 s)" "$TR_still_open" 0
expect "every trickling connection was refused or closed by the server" "$((TR_closed + TR_connect_failed))" 80
if [ "$TR_closed_within_1s" -ge 1 ]; then ok "the per-address limit refused some at once ($TR_closed_within_1s)"
else notok "no connection refused by the per-address limit"; fi
D=$(metric 'sipwarden_http_connections_shed_total{reason="deadline"}')
if [ "${D:-0}" -ge 1 ]; then ok "shed at the header deadline: $D (/metrics)"; else notok "none shed at the header deadline (${D:-none})"; fi
L=$(metric 'sipwarden_http_connections_shed_total{reason="limit"}')
note "refused by the connection limits: ${L:-none}; longest trickling connection $TR_longest_s s"

ns_stop "$DPID" TERM 15
expect "the daemon exits 0 on SIGTERM" "$?" 0
if grep -qiE 'sanitizer|runtime error|assert' "$DLOG"; then notok "sanitizer or assertion report in the daemon log"; indent <"$DLOG"; fi
finish
