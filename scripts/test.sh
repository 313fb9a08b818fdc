#!/usr/bin/env bash
# One command from a clean clone: install everything, then typecheck, lint and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DEPLOYBOT_TEST_DATABASE_URL="$(bash scripts/ensure-postgres.sh)"
export DEPLOYBOT_TEST_DATABASE_URL

echo "==> typecheck"
pnpm -r typecheck
echo "==> lint"
pnpm exec biome ci apps packages e2e
echo "==> builds (web app; the controller's bundle, which its own test also builds and starts)"
pnpm --filter @deploybot/web build
pnpm --filter @deploybot/server build
echo "==> tests"
pnpm exec vitest run
echo "==> e2e (Playwright in Debian's Chromium, real controller and agents)"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pnpm e2e
