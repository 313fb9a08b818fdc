#!/usr/bin/env bash
# Installs what DeployBot needs on a fresh machine: pnpm, the locked dependencies, git. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v git >/dev/null 2>&1; then
  echo "==> installing git"
  apt-get update -qq && apt-get install -y -qq git >/dev/null
fi
if ! command -v pnpm >/dev/null 2>&1; then
  echo "==> installing pnpm"
  npm install -g pnpm@12 >/dev/null
fi
echo "==> installing dependencies (pnpm $(pnpm --version))"
pnpm install --frozen-lockfile --reporter=append-only
