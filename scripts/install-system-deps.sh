#!/usr/bin/env bash
# Installs the system packages the test suite needs, on a root Debian machine:
#   nftables  - the network guard around every WebRTC run (scripts/netns.sh)
#   chromium  - real-browser tests (or point PEERPROC_CHROMIUM at a Chrome/Chromium binary)
#   coturn    - the TURN server of the NAT-traversal test
#   redis-server - the shared state of the signaling-cluster tests and benchmark (started by them on free ports)
# Elsewhere it only checks and says what is missing.
set -euo pipefail

missing=()
command -v nft >/dev/null || missing+=(nftables)
if [ -z "${PEERPROC_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
command -v turnserver >/dev/null || missing+=(coturn)
command -v redis-server >/dev/null || missing+=(redis-server)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "install-system-deps: installing ${missing[*]} (Debian packages)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi

echo "install-system-deps: missing ${missing[*]}." >&2
echo "  Install them (Debian: apt-get install ${missing[*]}), or for Chromium set PEERPROC_CHROMIUM" >&2
echo "  to a Chrome/Chromium binary. The tests need them; they are never skipped." >&2
exit 1
