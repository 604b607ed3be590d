#!/usr/bin/env bash
# A small NAT lab made of network namespaces, for the NAT-traversal test
# (test/nat/nat-traversal.test.ts, docs/nat.md):
#
#   a (10.1.0.2/24) ---+
#                      +--- cgnat (NAT router) --- public (100.64.0.1/24)
#   b (10.2.0.2/24) ---+    masquerades a and b     signaling server + coturn
#                           behind 100.64.0.2
#
# - public:  the "internet" side; the signaling server and the TURN server
#            listen on 100.64.0.1. Its only route is its own 100.64.0.0/24.
# - cgnat:   a carrier-grade NAT router: forwards a -> public and b -> public
#            with nftables masquerade (both appear as 100.64.0.2), drops and
#            counts forwarding between a and b, and does not hairpin.
# - a, b:    private networks with a single route, 100.64.0.0/10 via their
#            router; no default route, no route to each other.
#
# Every namespace gets an nftables guard that drops and counts packets to any
# address outside 10.0.0.0/8, 100.64.0.0/10 and 127.0.0.0/8 (and link-local
# multicast); cgnat also guards its forward chain. IPv6 is off in the lab. The
# lab has no link to the namespace it was started from, so nothing in it can
# reach the machine's real networks whatever the guards say.
#
# Namespaces are held by `unshare -n sleep infinity` processes that die with
# this script (parent-death signal), so a crashed caller leaves nothing behind.
#
#   scripts/nat-lab.sh up DIR        build the lab, write DIR/<ns>.pid, print
#                                    "nat-lab: ready DIR", then wait until stdin
#                                    closes (or, on a terminal, until SIGTERM or
#                                    SIGINT) and tear it down, killing any
#                                    process still inside it
#   scripts/nat-lab.sh exec DIR NS CMD...   run CMD inside namespace NS
#   scripts/nat-lab.sh guards DIR    print every guard counter ("NS/COUNTER N");
#                                    exit 1 if any is not 0
#
# Needs root, iproute2, nftables and util-linux (unshare, nsenter, setpriv).
# Meant to run inside scripts/netns.sh's namespace, but builds only new
# namespaces, so it touches no interface of the namespace it starts in.
set -euo pipefail

NAMESPACES=(public cgnat a b)
PUBLIC_ADDR=100.64.0.1
NAT_ADDR=100.64.0.2
A_ROUTER=10.1.0.1
A_ADDR=10.1.0.2
B_ROUTER=10.2.0.1
B_ADDR=10.2.0.2

die() {
  echo "nat-lab: $*" >&2
  exit 2
}

ns_pid() {
  local dir=$1 ns=$2
  [ -f "$dir/$ns.pid" ] || die "no namespace '$ns' in $dir (is the lab up?)"
  cat "$dir/$ns.pid"
}

in_ns() {
  local dir=$1 ns=$2
  shift 2
  nsenter --net="/proc/$(ns_pid "$dir" "$ns")/ns/net" -- "$@"
}

# The output guard every namespace gets: only the lab's ranges, loopback and link-local multicast.
guard_rules() {
  cat <<NFT
table inet nat_lab_guard {
  counter escaped { }
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr { 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 224.0.0.0/24 } accept
    ip6 daddr { ::1, ff02::/16 } accept
    counter name escaped drop
  }
}
NFT
}

LAB_DIR=
HOLDERS=()

# Kills whatever still runs in the lab, then the holders (which ends the namespaces).
teardown() {
  trap - EXIT INT TERM
  exec 2>/dev/null # no job-control chatter about the killed holders
  local ns pid p holders=()
  for ns in "${NAMESPACES[@]}"; do
    [ -f "$LAB_DIR/$ns.pid" ] && holders+=("$(cat "$LAB_DIR/$ns.pid")")
  done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    for pid in "${holders[@]}"; do
      # -ef: the same namespace (bash builtin, no fork per process).
      if [ "$p" != "$pid" ] && [ "/proc/$p/ns/net" -ef "/proc/$pid/ns/net" ]; then
        kill -KILL "$p" 2>/dev/null || true
      fi
    done
  done
  for pid in "${HOLDERS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in "${NAMESPACES[@]}"; do rm -f "$LAB_DIR/$ns.pid"; done
  rmdir "$LAB_DIR" 2>/dev/null || true
  echo "nat-lab: down"
}

cmd_up() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: nat-lab.sh up DIR"
  LAB_DIR=$dir
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
  for tool in ip nft unshare nsenter setpriv; do
    command -v "$tool" >/dev/null || die "'$tool' is required"
  done
  mkdir -p "$dir"

  trap teardown EXIT
  trap 'exit 0' INT TERM

  local ns pid
  for ns in "${NAMESPACES[@]}"; do
    # The holder dies with this script, and with it the namespace and its interfaces.
    setpriv --pdeathsig KILL -- unshare -n -- sleep infinity &
    pid=$!
    HOLDERS+=("$pid")
    # Wait until unshare has moved the holder into its own namespace; never go on without one
    # (every later step would then change the namespace this script runs in).
    for _ in $(seq 200); do
      [ -e "/proc/$pid/ns/net" ] || die "the holder of namespace '$ns' exited (unshare -n failed?)"
      [ "/proc/$pid/ns/net" -ef /proc/self/ns/net ] || break
      sleep 0.01
    done
    [ "/proc/$pid/ns/net" -ef /proc/self/ns/net ] && die "namespace '$ns' was not created (unshare -n)"
    echo "$pid" >"$dir/$ns.pid"
  done

  for ns in "${NAMESPACES[@]}"; do
    in_ns "$dir" "$ns" sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip link set lo up'
    guard_rules | in_ns "$dir" "$ns" nft -f -
  done

  # Links: each made in cgnat with its far end moved to the other namespace.
  link() {
    local here=$1 there=$2 there_ns=$3
    in_ns "$dir" cgnat ip link add "$here" type veth peer name "$there" netns "$(ns_pid "$dir" "$there_ns")"
  }
  link wan eth0 public
  link lan-a eth0 a
  link lan-b eth0 b

  in_ns "$dir" public sh -c "ip addr add $PUBLIC_ADDR/24 dev eth0 && ip link set eth0 up"
  in_ns "$dir" cgnat sh -c "
    ip addr add $NAT_ADDR/24 dev wan && ip link set wan up
    ip addr add $A_ROUTER/24 dev lan-a && ip link set lan-a up
    ip addr add $B_ROUTER/24 dev lan-b && ip link set lan-b up
    sysctl -qw net.ipv4.ip_forward=1"
  in_ns "$dir" a sh -c "ip addr add $A_ADDR/24 dev eth0 && ip link set eth0 up && ip route add 100.64.0.0/10 via $A_ROUTER"
  in_ns "$dir" b sh -c "ip addr add $B_ADDR/24 dev eth0 && ip link set eth0 up && ip route add 100.64.0.0/10 via $B_ROUTER"

  in_ns "$dir" cgnat nft -f - <<'NFT'
table ip nat_lab_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }
}
table inet nat_lab_guard {
  counter isolated { }
  counter escaped_forward { }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname { "lan-a", "lan-b" } oifname { "lan-a", "lan-b" } counter name isolated drop
    iifname { "lan-a", "lan-b" } oifname "wan" ip daddr 100.64.0.0/10 accept
    iifname "wan" oifname { "lan-a", "lan-b" } ct state established,related accept
    counter name escaped_forward drop
  }
}
NFT

  echo "nat-lab: ready $dir"
  if [ -t 0 ]; then
    # By hand (`nat-lab.sh up DIR &`): until SIGTERM or SIGINT (`kill %1`).
    sleep infinity &
    HOLDERS+=("$!")
    wait "$!"
  else
    # Until the caller closes our stdin (or exits), or signals us.
    while read -r _; do :; done
  fi
}

cmd_guards() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: nat-lab.sh guards DIR"
  local ns rc=0 name packets
  for ns in "${NAMESPACES[@]}"; do
    while read -r name packets; do
      echo "$ns/$name $packets"
      [ "$packets" = 0 ] || rc=1
    done < <(in_ns "$dir" "$ns" nft list counters table inet nat_lab_guard |
      awk '/counter /{name=$2} /packets/{for(i=1;i<=NF;i++) if($i=="packets") print name, $(i+1)}')
  done
  return "$rc"
}

case "${1:-}" in
  up) cmd_up "${2:-}" ;;
  exec)
    [ $# -ge 4 ] || die "usage: nat-lab.sh exec DIR NS CMD..."
    dir=$2 ns=$3
    shift 3
    exec nsenter --net="/proc/$(ns_pid "$dir" "$ns")/ns/net" -- "$@"
    ;;
  guards) cmd_guards "${2:-}" ;;
  *) die "usage: nat-lab.sh up DIR | exec DIR NS CMD... | guards DIR" ;;
esac
