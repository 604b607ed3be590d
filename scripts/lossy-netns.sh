#!/usr/bin/env bash
# Runs a command in a fresh private network namespace (made by scripts/netns.sh,
# with its guard) in which PERCENT % of all UDP packets are dropped at random on
# the way out, so WebRTC runs through a lossy network. `tc netem` is not
# available in this kernel; nftables' random number generator does the same.
# Other processes join that namespace with `nsenter --net=/proc/PID/ns/net`.
#
#   scripts/lossy-netns.sh PERCENT <command> [args...]
#
# Works from inside another namespace too (as the test suite runs): the new
# one is nested and isolated from it, so other tests never see the loss.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --drop ]; then
  percent=$2
  shift 2
  nft -f - <<NFT
table inet peerproc_loss {
  chain output {
    type filter hook output priority -10; policy accept;
    meta l4proto udp numgen random mod 100 < $percent drop
  }
}
NFT
  exec "$@"
fi

percent=${1:?usage: lossy-netns.sh PERCENT command...}
shift
if ! [[ "$percent" =~ ^[0-9]+$ ]] || [ "$percent" -gt 100 ]; then
  echo "lossy-netns.sh: PERCENT must be an integer from 0 to 100, got '$percent'" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "lossy-netns.sh: a network namespace needs root (unshare -n); run as root." >&2
  exit 2
fi
# netns.sh makes the namespace (nested, if we are in one already) and its guard; --drop adds the loss.
exec env -u PEERPROC_IN_NETNS bash scripts/netns.sh bash scripts/lossy-netns.sh --drop "$percent" "$@"
