#!/usr/bin/python3
"""nlwatch: records nf_tables set element changes as the kernel announces
them, with the wall clock (CLOCK_REALTIME, as capture timestamps) of the
moment each announcement is read.  Run it inside the namespace of the table.

    nlwatch.py TABLE OUT READY

Subscribes to the NFNLGRP_NFTABLES netlink group (what "nft monitor" reads,
without its text formatting), writes READY once subscribed, then one line per
event to OUT until SIGTERM/SIGINT (then what is queued is read first):

    TIME a SET ADDR     element added to set SET of table TABLE
    TIME d SET ADDR     element deleted
    TIME g - GENID      a transaction committed (NEWGEN: ends each batch)
    TIME x - ERRNO      the receive buffer overran (events were lost)

The kernel sends a transaction's notifications together at its commit, when
its elements are already live, so TIME is the moment the element is in the
set plus the wake-up of this process."""
import errno
import os
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NFNLGRP_NFTABLES = 7
NFNL_SUBSYS_NFTABLES = 10
NEWSETELEM, DELSETELEM, NEWGEN = 12, 14, 15
NLA_TYPE_MASK = 0x3FFF


def attrs(buf, off, end):
    """Yields (type, start, end) of the netlink attributes in buf[off:end]."""
    while off + 4 <= end:
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4 or off + alen > end:
            return
        yield atype & NLA_TYPE_MASK, off + 4, off + alen
        off += (alen + 3) & ~3


def elem_keys(buf, off, end):
    """The key bytes of each element in an NFTA_SET_ELEM_LIST_ELEMENTS."""
    for t, s, e in attrs(buf, off, end):          # NFTA_LIST_ELEM
        if t != 1:
            continue
        for t2, s2, e2 in attrs(buf, s, e):      # NFTA_SET_ELEM_KEY
            if t2 != 1:
                continue
            for t3, s3, e3 in attrs(buf, s2, e2):  # NFTA_DATA_VALUE
                if t3 == 1:
                    yield bytes(buf[s3:e3])


def fmt(key):
    if len(key) == 4:
        return socket.inet_ntop(socket.AF_INET, key)
    if len(key) == 16:
        return socket.inet_ntop(socket.AF_INET6, key)
    return key.hex()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: nlwatch.py TABLE OUT READY")
    table, out_path, ready = sys.argv[1], sys.argv[2], sys.argv[3]
    tbl = table.encode()
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    for opt in (33, socket.SO_RCVBUF):            # SO_RCVBUFFORCE (root), else capped
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, 256 << 20)
            break
        except OSError:
            pass
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
    out = open(out_path, "w", buffering=1 << 20)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    s.settimeout(0.2)
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    try:
        while True:
            if stopping:              # drain what is queued, then stop
                s.setblocking(False)
            try:
                n = s.recv_into(buf)
            except (BlockingIOError, socket.timeout):
                if stopping:
                    break
                continue
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    out.write("%.6f x - %d\n" % (time.time(), e.errno))
                    continue
                raise
            now = time.time()
            off = 0
            while off + 16 <= n:
                mlen, mtype = struct.unpack_from("=IH", buf, off)
                if mlen < 16 or off + mlen > n:
                    break
                sub, msg = mtype >> 8, mtype & 0xFF
                if sub == NFNL_SUBSYS_NFTABLES and msg in (NEWSETELEM, DELSETELEM):
                    tname = sname = None
                    keys = ()
                    for t, a, b in attrs(view, off + 20, off + mlen):
                        if t == 1:
                            tname = bytes(buf[a:b]).rstrip(b"\0")
                        elif t == 2:
                            sname = bytes(buf[a:b]).rstrip(b"\0").decode()
                        elif t == 3:
                            keys = list(elem_keys(view, a, b))
                    if tname == tbl:
                        c = "a" if msg == NEWSETELEM else "d"
                        for k in keys:
                            out.write("%.6f %s %s %s\n" % (now, c, sname, fmt(k)))
                elif sub == NFNL_SUBSYS_NFTABLES and msg == NEWGEN:
                    gen = 0
                    for t, a, b in attrs(view, off + 20, off + mlen):
                        if t == 1 and b - a == 4:         # NFTA_GEN_ID
                            gen = struct.unpack_from(">I", buf, a)[0]
                    out.write("%.6f g - %d\n" % (now, gen))
                off += (mlen + 3) & ~3
    finally:
        out.close()


if __name__ == "__main__":
    main()
