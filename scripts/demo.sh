#!/usr/bin/env bash
# npm run demo: the whole example (signaling server, master, two workers).
# As root on Linux it runs inside a private network namespace (scripts/netns.sh),
# so WebRTC's candidate gathering can only reach this machine; elsewhere it runs
# directly (everything still talks over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bundle/cli.js ] || npm run --silent build
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  exec bash scripts/netns.sh node dist/bundle/cli.js demo "$@"
fi
echo "(not root: running without a private network namespace)"
exec node dist/bundle/cli.js demo "$@"
