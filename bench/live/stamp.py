#!/usr/bin/python3
"""stamp: copies lines from stdin to OUT, each prefixed with the wall clock
(CLOCK_REALTIME, seconds) at which it was read: "TIME LINE".  Used on the
daemon's stderr to learn when each event line was written.

    stamp.py OUT < lines"""
import signal
import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stamp.py OUT")
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # ends at EOF, with the writer
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    inp = sys.stdin.buffer
    with open(sys.argv[1], "wb", buffering=1 << 16) as out:
        while True:
            line = inp.readline()
            if not line:
                break
            out.write(b"%.6f " % time.time())
            out.write(line)


if __name__ == "__main__":
    main()
