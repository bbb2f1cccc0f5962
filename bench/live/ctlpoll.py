#!/usr/bin/python3
"""ctlpoll: asks the daemon for "status --json" over its control socket in a
loop and records how long each answer took (connect to last byte), until
SIGTERM.  One line per request to OUT:

    WALL_TIME MS OK PACKETS KERNEL_DROPS ACTIVE_BLOCKS FW_PENDING

    ctlpoll.py SOCKET OUT [PAUSE_MS]     (pause between requests, default 10)"""
import json
import signal
import socket
import sys
import time


def ask(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    try:
        s.connect(path)
        s.sendall(b"status\n--json\n\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    return b"".join(chunks)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: ctlpoll.py SOCKET OUT [PAUSE_MS]")
    path, out_path = sys.argv[1], sys.argv[2]
    pause = (float(sys.argv[3]) if len(sys.argv) == 4 else 10.0) / 1000
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out_path, "w", buffering=1) as out:
        while True:
            wall = time.time()
            t0 = time.monotonic()
            try:
                resp = ask(path)
                ms = (time.monotonic() - t0) * 1000
                ok = resp.startswith(b"ok\n")
                st = json.loads(resp[3:]) if ok else {}
            except (OSError, ValueError):
                ms, ok, st = (time.monotonic() - t0) * 1000, False, {}
            fw = st.get("firewall", {})
            out.write("%.6f %.3f %d %s %s %s %s\n" % (
                wall, ms, ok, st.get("packets", "-"), st.get("kernel_drops", "-"),
                st.get("active_blocks", "-"), fw.get("pending", "-")))
            time.sleep(pause)


if __name__ == "__main__":
    main()
