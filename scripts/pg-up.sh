#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 server for the tests and prints its connection URL.
#   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)
# Runs the server as the unprivileged 'postgres' user when invoked as root (initdb refuses
# root). Listens on 127.0.0.1:$PGPORT (default 54329) and a unix socket in $PGROOT.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGROOT=${PGROOT:-/tmp/mink-pgtest}
PGPORT=${PGPORT:-54329}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ ! -x "$PGBIN/initdb" ]; then
  echo "pg-up: $PGBIN/initdb not found (install postgresql-15)" >&2
  exit 1
fi
if [ -f "$PGROOT/data/postmaster.pid" ]; then
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$PGROOT"
mkdir -p "$PGROOT"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PGROOT"; fi
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --no-locale >"$PGROOT/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
  -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
  start >/dev/null
"$PGBIN/psql" -h "$PGROOT" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE mink LOGIN PASSWORD 'mink'" -c "CREATE DATABASE minktest OWNER mink" </dev/null
echo "postgresql://mink:mink@127.0.0.1:$PGPORT/minktest"
