#!/usr/bin/python3
"""Turns captures into fuzz_engine inputs (see fuzz/fuzz_engine.c).

    fuzz/pcap2engine.py OUTDIR FILE.pcap...

Every UDP or TCP payload to or from port 5060, 69 or 53 (or from a TFTP
server's transfer port to a client that asked on 69) becomes one record:
the client address is mapped to one of the harness's first six clients in
order of appearance (IPv4 to 0-3, IPv6 to 4-5), the server to the
harness's server, TCP payloads to records of a flow with a handshake.  One
input per capture, cut into pieces of at most 60 records."""
import os
import struct
import sys

SERVICES = {5060: 0, 69: 2, 53: 3}


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    endian = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    link = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        yield link, sec * 1000000 + usec, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_part(link, fr):
    if link == 1:
        et, p = struct.unpack('>H', fr[12:14])[0], 14
        while et == 0x8100:
            et, p = struct.unpack('>H', fr[p + 2:p + 4])[0], p + 4
        return fr[p:]
    if link == 113:
        return fr[16:]
    if link == 276:
        return fr[20:]
    if link in (0, 108):
        return fr[4:]
    return fr


def l4(pkt):
    """(v6, src, dst, proto, sport, dport, payload) or None."""
    if not pkt:
        return None
    if pkt[0] >> 4 == 4:
        hl = (pkt[0] & 15) * 4
        total = struct.unpack('>H', pkt[2:4])[0]
        proto, src, dst, body, v6 = pkt[9], pkt[12:16], pkt[16:20], pkt[hl:total], False
        if struct.unpack('>H', pkt[6:8])[0] & 0x3fff:
            return None  # fragments are the decoder's corpus
    elif pkt[0] >> 4 == 6:
        proto, src, dst, body, v6 = pkt[6], pkt[8:24], pkt[24:40], pkt[40:], True
    else:
        return None
    if proto == 17 and len(body) >= 8:
        sp, dp = struct.unpack('>HH', body[:4])
        return v6, src, dst, 17, sp, dp, body[8:]
    if proto == 6 and len(body) >= 20:
        sp, dp = struct.unpack('>HH', body[:4])
        return v6, src, dst, 6, sp, dp, body[(body[12] >> 4) * 4:]
    return None


def convert(path):
    clients, tftp_clients, recs, last = {}, set(), [], None
    for link, ts, fr in frames(path):
        p = l4(ip_part(link, fr))
        if not p or not p[6]:
            continue
        v6, src, dst, proto, sp, dp, payload = p
        if dp in SERVICES:
            svc, client, to_server = SERVICES[dp], src, True
            if svc == 2:
                tftp_clients.add((src, sp))
        elif sp in SERVICES:
            svc, client, to_server = SERVICES[sp], dst, False
        elif (dst, dp) in tftp_clients:
            svc, client, to_server = 2, dst, False
        else:
            continue
        if client not in clients:
            pool = [4, 5] if v6 else [0, 1, 2, 3]
            used = [c for k, c in clients.items() if len(k) == len(client)]
            clients[client] = pool[len(used) % len(pool)]
        step = 0 if last is None else min(249, max(0, (ts - last) // 50000))
        last = ts
        kind = clients[client] | (0 if to_server else 8) | svc << 4 | (1 << 6 if proto == 6 else 0)
        payload = payload[:65000]
        recs.append(struct.pack('>BBH', kind, step, len(payload)) + payload)
    return recs


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        recs = convert(path)
        base = os.path.splitext(os.path.basename(path))[0]
        for i in range(0, len(recs), 60):
            name = os.path.join(out, '%s_%03d' % (base, i // 60))
            with open(name, 'wb') as f:
                f.write(b''.join(recs[i:i + 60]))


if __name__ == '__main__':
    main()
