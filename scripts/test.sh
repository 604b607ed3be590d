#!/usr/bin/env bash
# The whole test suite (npm test): static checks, then every Vitest suite
# inside a private network namespace with the nftables guard (scripts/netns.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh

echo "== build"
npm run --silent build
echo "== type-check (strict): whole project, isomorphic shared/, web pages"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p tsconfig.shared.json
if [ -f web/tsconfig.json ]; then npx tsc --noEmit -p web/tsconfig.json; fi
echo "== lint and format (biome)"
npx biome check .
echo "== tests (vitest, inside a private network namespace)"
bash scripts/netns.sh npx vitest run "$@"
