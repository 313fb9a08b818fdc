#!/usr/bin/env bash
# The store tests also run on PostgreSQL. CI machines start one on 127.0.0.1:5432 (trust auth, database `test`).
# Elsewhere: start a stopped local cluster, or install Debian's postgresql and give the tests a database.
# Prints the URL the tests should use on stdout (the caller exports it); progress goes to stderr.
set -euo pipefail
url="${DEPLOYBOT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
can_query() { node -e "
  const pg = require('$(pwd)/apps/server/node_modules/pg');
  const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
  c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(() => process.exit(0), () => process.exit(1));" "$1" 2>/dev/null; }
if can_query "$url"; then echo "$url"; exit 0; fi
if [ -n "${DEPLOYBOT_TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL is not reachable at $url (DEPLOYBOT_TEST_DATABASE_URL)" >&2
  exit 1
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> installing PostgreSQL (Debian's postgresql)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
echo "==> starting PostgreSQL" >&2
version="$(ls /etc/postgresql | sort -V | tail -n1)"
pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do can_query "$url" && { echo "$url"; exit 0; }; sleep 1; done
# A stock Debian cluster asks for a password over TCP: give the tests a role and a database of their own.
own="postgres://deploybot_test:deploybot_test@127.0.0.1:5432/deploybot_test"
if ! can_query "$own"; then
  su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'deploybot_test') THEN CREATE ROLE deploybot_test LOGIN PASSWORD 'deploybot_test'; END IF; END \\\$\\\$\"" >&2
  su postgres -c "createdb -O deploybot_test deploybot_test" >&2 2>/dev/null || true
fi
if can_query "$own"; then echo "$own"; exit 0; fi
echo "PostgreSQL could not be reached or set up: start one, or set DEPLOYBOT_TEST_DATABASE_URL" >&2
exit 1
