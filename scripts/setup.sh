#!/usr/bin/env bash
# Installs what DeployBot needs on a fresh machine: git, the exact pnpm that package.json pins (`packageManager`),
# the locked dependencies. Safe to run again, and twice at once (start.sh and test.sh both call it): each step
# runs under a lock, so a second setup waits for the first and then finds the work done.
set -euo pipefail
cd "$(dirname "$0")/.."

pinned="$(node -p 'require("./package.json").packageManager ?? ""')"
if [[ ! "$pinned" =~ ^pnpm@[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "package.json's packageManager must be pnpm@<exact version>, got: ${pinned:-nothing}" >&2
  exit 1
fi
want="${pinned#pnpm@}"

# Holds an exclusive lock on <file> on file descriptor <fd> until released or the script ends; waits for the
# holder. Without flock (not Debian) setup runs unlocked, as it did before.
lock() {
  command -v flock >/dev/null 2>&1 || return 0
  eval "exec $2>>\"$1\""
  flock "$2"
}
unlock() { command -v flock >/dev/null 2>&1 && flock -u "$1" || true; }

# Machine-wide steps (apt, npm -g) share one lock per user, whichever clone runs them.
lock "${TMPDIR:-/tmp}/deploybot-setup-$(id -u).lock" 8
if ! command -v git >/dev/null 2>&1; then
  echo "==> installing git"
  apt-get update -qq && apt-get install -y -qq git >/dev/null
fi
have="$(pnpm --version 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "==> installing pnpm $want (package.json's packageManager)${have:+; replaces pnpm $have on PATH}"
  npm install -g "pnpm@$want" --no-fund --no-audit --loglevel=error >/dev/null
  hash -r
  have="$(pnpm --version 2>/dev/null || true)"
  if [ "$have" != "$want" ]; then
    echo "installed pnpm $want, but \`pnpm\` on PATH ($(command -v pnpm || echo none)) is ${have:-not runnable}" >&2
    exit 1
  fi
fi
unlock 8

# This clone's node_modules: one install at a time.
mkdir -p node_modules
lock node_modules/.deploybot-setup.lock 9
echo "==> installing dependencies (pnpm $have)"
pnpm install --frozen-lockfile --reporter=append-only
unlock 9
