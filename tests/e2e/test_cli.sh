#!/usr/bin/env bash
# Command-line behaviour of sipwarden: help, version, errors for bad files
# and bad configs, pcapng input, and that replay of the same traffic in pcap
# and pcapng form gives the same verdicts.  Needs no network namespace.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SW=${SIPWARDEN:-$ROOT/build/sipwarden}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/sipwarden-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
# expect LABEL WANT_RC PATTERN CMD...: runs CMD, checks exit status and that
# stdout+stderr match PATTERN (grep -E).
expect() {
	local label=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>&1
	rc=$?
	if { [ "$want" = nz ] && [ $rc -ne 0 ]; } || [ "$want" = "$rc" ]; then
		if grep -Eq -- "$pat" "$TMP/out"; then ok "$label"; return; fi
		notok "$label: output lacks /$pat/: $(head -3 "$TMP/out" | tr '\n' ' ')"
	else
		notok "$label: exit $rc, want $want: $(head -3 "$TMP/out" | tr '\n' ' ')"
	fi
}

expect "--help lists the commands" 0 "replay .*PCAP" "$SW" --help
expect "--version" 0 "^sipwarden [0-9]+\.[0-9]+" "$SW" --version
expect "no command" 2 "usage" "$SW"
expect "unknown command" 2 "unknown command 'frobnicate'" "$SW" frobnicate
expect "unknown option" 2 "usage|unrecognized|invalid" "$SW" replay --bogus "$ROOT/examples/attack.pcap"
expect "replay without files" 2 "no pcap file" "$SW" replay
expect "missing file" 1 "nope.pcap: No such file" "$SW" replay -c "$HERE/defaults.conf" "$TMP/nope.pcap"
printf 'this is not a capture\n' >"$TMP/text.pcap"
expect "not a capture" 1 "text.pcap: not a pcap or pcapng" "$SW" replay -c "$HERE/defaults.conf" "$TMP/text.pcap"
head -c 5000 "$ROOT/examples/attack.pcap" >"$TMP/cut.pcap"
expect "truncated file: clear error, non-zero" 1 "cut.pcap: .*truncated" "$SW" replay -c "$HERE/defaults.conf" "$TMP/cut.pcap"
# a file cut short by someone else while replay reads it (the classic pcap
# reader maps the file): an error for that file, never a crash.  The replay
# is stopped (SIGSTOP) once /proc shows the file mapped, the file is cut
# while it is stopped mid-read, then it goes on: no race with its speed.
# cut_during_replay: 0 when the cut landed, 1 when replay had ended first.
cut_during_replay() {
	local i
	"$SW" replay -c "$HERE/defaults.conf" "$TMP/big.pcap" >/dev/null 2>"$TMP/out" &
	rpid=$!
	for ((i = 0; i < 2000; i++)); do
		grep -q big.pcap "/proc/$rpid/maps" 2>/dev/null && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.005
	done
	kill -STOP "$rpid" 2>/dev/null
	grep -q big.pcap "/proc/$rpid/maps" 2>/dev/null && truncate -s 2000000 "$TMP/big.pcap"
	cut=$?
	kill -CONT "$rpid" 2>/dev/null
	wait "$rpid"; rc=$?
	return $cut
}
GEN=$ROOT/build/bench/gen_pcap
if [ -x "$GEN" ] && "$GEN" --messages 400000 "$TMP/big.pcap" >/dev/null 2>&1; then
	for try in 1 2 3; do
		cut_during_replay && break
		"$GEN" --messages 400000 "$TMP/big.pcap" >/dev/null 2>&1
	done
	if [ "$cut" -ne 0 ]; then
		notok "file truncated during replay: replay ended before it could be stopped mid-read ($try tries)"
	elif [ $rc -ge 128 ]; then
		notok "file truncated during replay: killed by signal $((rc - 128))"
	elif grep -q "truncated while it was being read" "$TMP/out" && [ $rc -eq 1 ]; then
		ok "file truncated during replay: clear error, exit 1, no crash"
	else
		notok "file truncated during replay: exit $rc: $(head -2 "$TMP/out" | tr '\n' ' ')"
	fi
	rm -f "$TMP/big.pcap"
else
	notok "gen_pcap (build/bench/gen_pcap) could not write a capture"
fi
# a pcap header with link type 105 (802.11) and no packets
$PY -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,105))' >"$TMP/wifi.pcap"
expect "unsupported link type" 1 "unsupported link type" "$SW" replay -c "$HERE/defaults.conf" "$TMP/wifi.pcap"
$PY -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' >"$TMP/empty.pcap"
expect "an empty capture reads fine" 0 "0 packets" "$SW" replay -c "$HERE/defaults.conf" "$TMP/empty.pcap"

# the control client without a daemon: a clear message, never a hang
expect "ctl without a command" 2 "usage: sipwarden ctl" "$SW" ctl -s "$TMP/none.sock"
expect "ctl with no daemon listening" 1 "cannot connect to .*none.sock.*is the daemon running" \
	timeout 10 "$SW" ctl -s "$TMP/none.sock" status
expect "ctl refuses an argument longer than a request" 2 "bad or too long argument" \
	"$SW" ctl -s "$TMP/none.sock" block "$(printf '%09000d' 1)"

# config errors: file:line, non-zero, for replay and check-config alike
printf '[general]\nblock_time = soon\n[sip]\nflood = lots\n' >"$TMP/bad.conf"
expect "check-config reports every error with file:line" 1 "bad.conf:2: block_time.*" "$SW" check-config -c "$TMP/bad.conf"
grep -q "bad.conf:4: flood" "$TMP/out" && ok "check-config: the second error too" || notok "check-config: second error missing"
expect "replay refuses a bad config" 2 "bad.conf:2:" "$SW" replay -c "$TMP/bad.conf" "$ROOT/examples/attack.pcap"
expect "check-config of the example" 0 "ok" "$SW" check-config -c "$ROOT/examples/sipwarden.conf"

# pcapng: the same frames as attack.pcap in pcapng form give the same verdicts
$PY - "$ROOT/examples/attack.pcap" "$TMP/attack.pcapng" <<'PYEOF'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic, = struct.unpack("<I", data[:4])
assert magic == 0xa1b2c3d4, "expected a little-endian microsecond pcap"
link = struct.unpack("<I", data[20:24])[0]
def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
       block(0x00000001, struct.pack("<HHI", link, 0, 65535))]
off = 24
while off < len(data):
    sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    pkt = data[off + 16: off + 16 + incl]
    ts = sec * 1000000 + usec
    out.append(block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, incl, orig) + pkt))
    off += 16 + incl
open(dst, "wb").write(b"".join(out))
PYEOF
"$SW" replay -c "$HERE/defaults.conf" "$ROOT/examples/attack.pcap" >"$TMP/a.json" 2>/dev/null
"$SW" replay -c "$HERE/defaults.conf" "$TMP/attack.pcapng" >"$TMP/b.json" 2>"$TMP/b.err"
if [ -s "$TMP/a.json" ] && cmp -s "$TMP/a.json" "$TMP/b.json"; then
	ok "pcapng replay gives the same $(wc -l <"$TMP/a.json") event lines as pcap"
else
	notok "pcapng replay differs: $(head -2 "$TMP/b.err" | tr '\n' ' ')"
fi
# several files in one run: one engine, state carries over
"$SW" replay -c "$HERE/defaults.conf" "$ROOT/examples/attack.pcap" "$ROOT/examples/tcp.pcap" >"$TMP/c.json" 2>"$TMP/c.err"
grep -q "2 files" "$TMP/c.err" && ok "two files in one replay" || notok "two files: $(head -1 "$TMP/c.err")"
# the summary names what the issue asks for
for w in packets "SIP messages" "parse anomalies" "events:" "blocks by detector" "messages/s"; do
	grep -q "$w" "$TMP/c.err" && ok "summary shows '$w'" || notok "summary lacks '$w'"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
