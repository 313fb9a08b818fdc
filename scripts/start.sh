#!/usr/bin/env bash
# One command from a clean clone: install, build the web app and the controller (JavaScript, no loader at run
# time), start the controller on its embedded defaults (PGlite under data/ at the repository root, port 8080;
# readable log lines on a terminal, JSON otherwise or with LOG_FORMAT=json). Extra arguments are ignored;
# configure with environment variables.
set -euo pipefail
# A relative DEPLOYBOT_DATA_DIR means from where the person ran this script, not from the repository root.
if [ -n "${DEPLOYBOT_DATA_DIR:-}" ] && [ "$DEPLOYBOT_DATA_DIR" != "memory://" ]; then
  DEPLOYBOT_DATA_DIR="$(realpath -m -- "$DEPLOYBOT_DATA_DIR")"
  export DEPLOYBOT_DATA_DIR
fi
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> building the web app and the controller"
pnpm --filter @deploybot/web build >/dev/null
# Every time (about a second): `pnpm start` runs apps/server/dist as it finds it, and a stale build must not run.
pnpm --silent --filter @deploybot/server build >/dev/null
# A try-out listens on this machine only, which is also what lets the demo agent start (see DEPLOYBOT_DEMO);
# HOST=0.0.0.0 serves the network.
export HOST="${HOST:-127.0.0.1}"
echo "==> starting DeployBot on http://localhost:${PORT:-8080}/"
exec pnpm --silent start
