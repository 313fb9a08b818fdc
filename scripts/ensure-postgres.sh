#!/usr/bin/env bash
# The store tests also run on PostgreSQL. CI machines start one on 127.0.0.1:5432 (trust auth, database `test`);
# on a machine where it is installed but stopped, start it; where it is missing, say how to point the tests at one.
set -euo pipefail
url="${DEPLOYBOT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
ready() { node -e "
  const net = require('node:net'); const u = new URL(process.argv[1]);
  const s = net.connect(Number(u.port || 5432), u.hostname, () => { s.end(); process.exit(0); });
  s.on('error', () => process.exit(1));" "$url"; }
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "PostgreSQL is not reachable at $url: start one, or set DEPLOYBOT_TEST_DATABASE_URL" >&2
exit 1
