# netns.sh: network-namespace topology for sipwarden's end-to-end tests.
# Source it from bash; it never touches the machine's own namespace.
#
#   . tests/lib/netns.sh
#   ns_init                                  # names, trap ns_cleanup EXIT INT TERM
#   ns_add_host srv 198.51.100.1 2001:db8:100::1
#   ns_add_host phone 198.51.100.10 2001:db8:100::10
#   ns_exec phone sipsak ...                 # run in the foreground
#   ns_spawn srv LOG kamailio ...            # background; pid in $NS_PID
#   ns_stop "$pid" [SIGNAL] [SECONDS]        # signal one pid, wait for it
#
# Topology: a "switch" namespace holds a bridge (br0, no addresses, IPv6 off);
# every host namespace gets one veth "eth0" whose peer is a port of that
# bridge, so all hosts share one link; addresses default to /24 and /64
# (ADDR/LEN sets another length) and the prefixes in NS_ONLINK
# (198.51.100.0/24 203.0.113.0/24 2001:db8::/32) are routed on-link in every
# host, so hosts in different subnets of those ranges reach each other.  The server therefore sees each
# packet exactly once, on its eth0 (and "tcpdump -i any" does not see it
# twice).  IPv6 addresses are added with nodad and DAD, router solicitations
# and RAs are off, so v6 works at once.  Namespaces are named
# "${NS_PREFIX}<role>", NS_PREFIX defaulting to "sw$$", so parallel runs do
# not clash.  ns_cleanup stops every process started with ns_spawn (by pid),
# then any process still inside one of our namespaces, then deletes the
# namespaces (which removes their veths and the bridge).

NS_PREFIX=${NS_PREFIX:-sw$$}
NS_CREATED=()        # namespaces we created, in order
NS_PIDS=()           # pids started with ns_spawn
NS_PORTS=0           # bridge ports handed out
NS_PID=              # pid of the last ns_spawn
NS_CLEANED=0
# Prefixes routed on-link (dev eth0) in every host namespace; the more
# specific connected routes of each host's own subnets take precedence.
NS_ONLINK=${NS_ONLINK:-198.51.100.0/24 203.0.113.0/24 2001:db8::/32}

ns_log() { printf '%s\n' "netns: $*" >&2; }

# ns_name ROLE: prints the namespace name of ROLE.
ns_name() { printf '%s%s' "$NS_PREFIX" "$1"; }

# ns_need_root: fails unless we can create namespaces.
ns_need_root() {
	if [ "$(id -u)" != 0 ]; then
		ns_log "must run as root (ip netns)"
		return 1
	fi
	command -v ip >/dev/null || { ns_log "ip (iproute2) not found"; return 1; }
}

# ns_init: installs the cleanup trap and creates the switch namespace.
ns_init() {
	ns_need_root || return 1
	trap ns_cleanup EXIT
	trap 'ns_cleanup; trap - INT; kill -INT $$' INT
	trap 'ns_cleanup; trap - TERM; kill -TERM $$' TERM
	ns_new_ns sw || return 1
	local sw; sw=$(ns_name sw)
	ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	ip -n "$sw" link set lo up || return 1
	ip -n "$sw" link add br0 type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || return 1
	ip -n "$sw" link set br0 up
}

# ns_new_ns ROLE: creates an empty namespace (internal).
ns_new_ns() {
	local ns; ns=$(ns_name "$1")
	if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
		ns_log "namespace $ns already exists"
		return 1
	fi
	ip netns add "$ns" || return 1
	NS_CREATED+=("$ns")
}

# ns_add_host ROLE V4ADDR[/LEN] [V6ADDR[/LEN]]: creates namespace ROLE with an
# eth0 plugged into the switch, addresses set, lo up.
ns_add_host() {
	local role=$1 v4=$2 v6=${3:-} ns sw port
	ns=$(ns_name "$role"); sw=$(ns_name sw)
	ns_new_ns "$role" || return 1
	ip netns exec "$ns" sysctl -qw \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0 || return 1
	NS_PORTS=$((NS_PORTS + 1))
	port=p$NS_PORTS
	ip link add eth0 netns "$ns" type veth peer name "$port" netns "$sw" || return 1
	ip -n "$sw" link set "$port" master br0 || return 1
	ip -n "$sw" link set "$port" up || return 1
	ip -n "$ns" link set lo up || return 1
	case $v4 in */*) ;; *) v4=$v4/24 ;; esac
	ip -n "$ns" addr add "$v4" dev eth0 || return 1
	if [ -n "$v6" ]; then
		case $v6 in */*) ;; *) v6=$v6/64 ;; esac
		ip -n "$ns" -6 addr add "$v6" dev eth0 nodad || return 1
	fi
	ip -n "$ns" link set eth0 up || return 1
	# Every documentation range is on-link: hosts in different subnets
	# (e.g. each IPv6 client in its own /64) reach each other directly.
	local r
	for r in $NS_ONLINK; do
		ip -n "$ns" route replace "$r" dev eth0 2>/dev/null || return 1
	done
}

# ns_exec ROLE CMD...: runs CMD inside ROLE's namespace, in the foreground.
ns_exec() {
	local ns; ns=$(ns_name "$1"); shift
	ip netns exec "$ns" "$@"
}

# ns_spawn ROLE LOGFILE CMD...: starts CMD in the background inside ROLE's
# namespace with stdout+stderr to LOGFILE; records its pid for cleanup and
# leaves it in NS_PID.  (ip netns exec execs CMD, so the pid is CMD's.)
ns_spawn() {
	local ns log=$2; ns=$(ns_name "$1"); shift 2
	ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
	NS_PID=$!
	NS_PIDS+=("$NS_PID")
}

# ns_alive PID: true while PID runs (and is not a zombie).
ns_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
	return 0
}

# ns_stop PID [SIGNAL] [SECONDS]: sends SIGNAL (TERM) to PID, waits up to
# SECONDS (5) for it to end, then KILLs it.  Returns PID's exit status when
# it is our child.
ns_stop() {
	local pid=$1 sig=${2:-TERM} secs=${3:-5} i
	[ -n "$pid" ] || return 0
	kill -s "$sig" "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		ns_alive "$pid" || break
		sleep 0.1
	done
	if ns_alive "$pid"; then
		ns_log "pid $pid ignored SIG$sig for ${secs}s, killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# ns_wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
ns_wait_for() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ns_listening ROLE PROTO ADDR PORT: true when something in ROLE listens on
# ADDR:PORT (PROTO udp or tcp).
ns_listening() {
	local flag=-lun addr=$3
	[ "$2" = tcp ] && flag=-ltn
	case $addr in *:*) addr="[$addr]" ;; esac
	ns_exec "$1" ss -H "$flag" "src $addr:$4" 2>/dev/null | grep -q .
}

# ns_cleanup: stops what we started and removes our namespaces.  Idempotent.
ns_cleanup() {
	local rc=$? pid ns p
	[ "$NS_CLEANED" = 1 ] && return $rc
	NS_CLEANED=1
	for pid in "${NS_PIDS[@]}"; do
		ns_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NS_PIDS[@]}"; do
		ns_alive "$pid" && ns_stop "$pid" TERM 3
	done
	# Anything left inside our namespaces (children of what we started).
	for ns in "${NS_CREATED[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for ((p = ${#NS_CREATED[@]} - 1; p >= 0; p--)); do
		ip netns del "${NS_CREATED[p]}" 2>/dev/null
	done
	NS_CREATED=(); NS_PIDS=()
	return $rc
}

# ns_run_init NAME PREFIX: the usual frame of a test: a temp dir $T
# (/tmp/sw-NAME.XXXXXX; copied to $SW_KEEP_LOGS when that is set),
# namespaces named PREFIX<role>, and traps that remove both on any exit.
ns_run_init() {
	T=$(mktemp -d "/tmp/sw-$1.XXXXXX") || return 1
	chmod 755 "$T"
	NS_PREFIX=$2
	ns_init || return 1
	trap ns_run_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

ns_run_cleanup() {
	local rc=$?
	ns_cleanup
	[ -n "${SW_KEEP_LOGS:-}" ] && mkdir -p "$SW_KEEP_LOGS" && cp -r "$T"/. "$SW_KEEP_LOGS"/ 2>/dev/null
	rm -rf "$T"
	return $rc
}
