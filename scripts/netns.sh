#!/usr/bin/env bash
# Runs a command inside a private network namespace, so that WebRTC's candidate
# gathering (which probes every interface) can only ever reach this machine.
#
# The namespace has `lo` up and one veth pair with both ends inside it
# (node-datachannel never gathers loopback candidates, so it needs a real
# interface). An nftables guard drops and counts any packet to an address that
# is not local; the run fails if that count is not 0.
#
#   scripts/netns.sh <command> [args...]
#
# Environment: PEERPROC_IN_NETNS=1 marks a process already inside the namespace
# (nested calls then run the command directly).
set -euo pipefail

VETH_A=pp0
VETH_B=pp1
ADDR_A=10.77.0.1
ADDR_B=10.77.0.2
SUBNET=10.77.0.0/24

if [ "${PEERPROC_IN_NETNS:-}" = 1 ]; then
  exec "$@"
fi

if [ "${1:-}" != "--inside" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "netns.sh: creating a private network namespace needs root (unshare -n); run as root." >&2
    exit 2
  fi
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    echo "netns.sh: 'unshare' (util-linux) and 'ip' (iproute2) are required." >&2
    exit 2
  fi
  if ! command -v nft >/dev/null; then
    echo "netns.sh: nftables is missing; installing it (Debian) for the network guard..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables; } >/dev/null 2>&1 || {
      echo "netns.sh: could not install nftables; install it (apt-get install nftables) and retry." >&2
      exit 2
    }
  fi
  if ! unshare -n true 2>/dev/null; then
    echo "netns.sh: this machine does not allow network namespaces (unshare -n failed); WebRTC runs need one here." >&2
    exit 2
  fi
  exec unshare -n -- bash "$0" --inside "$@"
fi
shift

ip link set lo up
ip link add "$VETH_A" type veth peer name "$VETH_B"
ip addr add "$ADDR_A/24" dev "$VETH_A"
ip addr add "$ADDR_B/24" dev "$VETH_B"
ip link set "$VETH_A" up
ip link set "$VETH_B" up

nft -f - <<NFT
table inet peerproc_guard {
  counter escaped { }
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr 127.0.0.0/8 accept
    ip daddr $SUBNET accept
    ip daddr 224.0.0.0/24 accept
    ip6 daddr ::1 accept
    ip6 daddr fe80::/10 accept
    ip6 daddr ff02::/16 accept
    counter name escaped drop
  }
}
NFT

export PEERPROC_IN_NETNS=1
export PEERPROC_NETNS_ADDRS="$ADDR_A,$ADDR_B"
rc=0
"$@" || rc=$?

escaped=$(nft list counter inet peerproc_guard escaped | sed -n 's/.*packets \([0-9]*\).*/\1/p')
echo "network guard: ${escaped:-?} packets to non-local addresses dropped"
if [ "${escaped:-1}" != 0 ]; then
  echo "network guard: FAILED, something tried to leave the namespace" >&2
  [ "$rc" = 0 ] && rc=1
fi
exit "$rc"
