#!/usr/bin/env bash
# One command from a clean clone: install everything, then typecheck, lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh

echo "==> typecheck"
pnpm -r typecheck
echo "==> lint"
pnpm exec biome ci apps packages
echo "==> web build"
pnpm --filter @deploybot/web build
echo "==> tests"
pnpm exec vitest run
