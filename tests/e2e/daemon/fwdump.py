#!/usr/bin/python3
"""fwdump.py: reads sipwarden's kernel firewall state (read-only).

Run it INSIDE the namespace whose firewall you want to read
(ip netns exec NS fwdump.py ...).  It only lists; it never changes anything.

  fwdump.py elems BACKEND TABLE    one line per element of our block sets (not
                                   the whitelist sets allow4/allow6, TABLEw4/w6):
                                   "ADDR[/LEN] SECONDS_LEFT" or "ADDR[/LEN] permanent"
                                   (hosts without /32 or /128)
  fwdump.py timeouts nftables TABLE  "ADDR[/LEN] SECONDS" per element: the
                                   timeout it was given (nftables lists it
                                   next to the countdown; ipset has none)
  fwdump.py drops BACKEND TABLE    total packets counted by our drop rules
  fwdump.py state BACKEND TABLE    "present", "absent" or "partial: ..."
                                   (exit 0, 1, 2)
  fwdump.py describe BACKEND TABLE a human-readable dump (for failure logs)

BACKEND is nftables (table inet TABLE: sets v4 v6 v4net v6net, chain
prerouting) or ipset (sets TABLE4 TABLE6 + iptables/ip6tables raw chain TABLE
jumped to from raw PREROUTING).
"""
import ipaddress
import json
import subprocess
import sys


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def norm(addr, plen=None):
    net = ipaddress.ip_network("%s/%s" % (addr, plen) if plen is not None else addr, strict=False)
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return str(net)


# ---- nftables ----

def nft_table(table):
    rc, out, err = run(["nft", "-j", "list", "table", "inet", table])
    if rc != 0:
        return None
    return json.loads(out).get("nftables", [])


def nft_val(v):
    if isinstance(v, str):
        return norm(v)
    if isinstance(v, dict) and "prefix" in v:
        return norm(v["prefix"]["addr"], v["prefix"]["len"])
    if isinstance(v, dict) and "range" in v:
        return "%s-%s" % tuple(v["range"])
    return json.dumps(v)


def nft_elems(table, given=False):
    objs = nft_table(table)
    res = []
    if objs is None:
        return res
    for o in objs:
        s = o.get("set")
        if not s or s.get("name", "").startswith("allow"):
            continue  # the whitelist's accept sets, not blocks
        for e in s.get("elem", []):
            if isinstance(e, dict) and "elem" in e:
                d = e["elem"]
                left = d.get("timeout") if given else d.get("expires", d.get("timeout"))
                res.append((nft_val(d["val"]), "permanent" if left is None else str(left)))
            else:
                res.append((nft_val(e), "permanent"))
    return res


def nft_drops(table):
    objs = nft_table(table) or []
    total = 0
    for o in objs:
        r = o.get("rule")
        if not r or r.get("chain") != "prerouting":
            continue
        ex = r.get("expr", [])
        if not any("drop" in x for x in ex):
            continue
        for x in ex:
            if "counter" in x and isinstance(x["counter"], dict):
                total += x["counter"].get("packets", 0)
    return total


def nft_state(table):
    objs = nft_table(table)
    if objs is None:
        return "absent"
    sets = {o["set"]["name"] for o in objs if "set" in o}
    chains = {o["chain"]["name"]: o["chain"] for o in objs if "chain" in o}
    missing = [s for s in ("v4", "v6") if s not in sets]
    ch = chains.get("prerouting")
    if not ch:
        missing.append("chain prerouting")
    elif ch.get("hook") != "prerouting" or ch.get("prio") != -300:
        missing.append("prerouting hook/priority raw (got %s/%s)" % (ch.get("hook"), ch.get("prio")))
    rules = [o["rule"] for o in objs if "rule" in o and o["rule"].get("chain") == "prerouting"]
    for s in ("v4", "v6"):
        if not any(json.dumps(r).find('"@%s"' % s) >= 0 and any("drop" in x for x in r["expr"])
                   and any("counter" in x for x in r["expr"]) for r in rules):
            missing.append("rule saddr @%s counter drop" % s)
    return "present" if not missing else "partial: missing " + ", ".join(missing)


# ---- ipset ----

def ipset_elems(table):
    res = []
    for fam in ("4", "6"):
        rc, out, err = run(["ipset", "save", table + fam])
        if rc != 0:
            continue
        for ln in out.splitlines():
            f = ln.split()
            if len(f) >= 3 and f[0] == "add":
                left = "permanent"
                if "timeout" in f:
                    t = f[f.index("timeout") + 1]
                    left = "permanent" if t == "0" else t
                res.append((norm(f[2]), left))
    return res


def ipt(fam):
    return "iptables" if fam == "4" else "ip6tables"


def ipset_drops(table):
    total = 0
    for fam in ("4", "6"):
        rc, out, err = run([ipt(fam), "-w", "-t", "raw", "-L", table, "-v", "-n", "-x"])
        if rc != 0:
            continue
        for ln in out.splitlines():
            f = ln.split()
            if len(f) > 3 and f[0].isdigit() and f[2] == "DROP":
                total += int(f[0])
    return total


def ipset_state(table):
    rc, out, err = run(["ipset", "list", "-n"])
    names = set(out.split()) if rc == 0 else set()
    have, missing = [], []
    for fam in ("4", "6"):
        (have if table + fam in names else missing).append("set " + table + fam)
        rc, out, err = run([ipt(fam), "-w", "-t", "raw", "-S", table])
        if rc == 0:
            have.append("%s chain %s" % (ipt(fam), table))
            if "--match-set %s%s src" % (table, fam) not in out or "DROP" not in out:
                missing.append("%s rule --match-set %s%s src -j DROP" % (ipt(fam), table, fam))
        else:
            missing.append("%s chain %s" % (ipt(fam), table))
        rc, out, err = run([ipt(fam), "-w", "-t", "raw", "-S", "PREROUTING"])
        if rc == 0 and ("-j %s\n" % table) in out + "\n":
            have.append("%s jump" % ipt(fam))
        else:
            missing.append("%s raw PREROUTING -j %s" % (ipt(fam), table))
    if not have:
        return "absent"
    return "present" if not missing else "partial: missing " + ", ".join(missing)


def describe(backend, table):
    if backend == "nftables":
        return run(["nft", "list", "table", "inet", table])[1]
    txt = ""
    for fam in ("4", "6"):
        txt += run(["ipset", "save", table + fam])[1]
        txt += run([ipt(fam), "-w", "-t", "raw", "-S"])[1]
        txt += run([ipt(fam), "-w", "-t", "raw", "-L", table, "-v", "-n", "-x"])[1]
    return txt


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("nftables", "ipset"):
        print(__doc__, file=sys.stderr)
        return 64
    cmd, backend, table = sys.argv[1:]
    nft = backend == "nftables"
    if cmd == "elems":
        for a, left in (nft_elems(table) if nft else ipset_elems(table)):
            print(a, left)
        return 0
    if cmd == "timeouts" and nft:
        for a, t in nft_elems(table, given=True):
            print(a, t)
        return 0
    if cmd == "drops":
        print(nft_drops(table) if nft else ipset_drops(table))
        return 0
    if cmd == "state":
        st = nft_state(table) if nft else ipset_state(table)
        print(st)
        return 0 if st == "present" else 1 if st == "absent" else 2
    if cmd == "describe":
        print(describe(backend, table))
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
