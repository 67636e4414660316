#!/usr/bin/env bash
# Restarts the server scripts/pg-up.sh started (fast shutdown: open transactions are rolled
# back and every connection is dropped), with the same options. Used by the PostgreSQL
# recovery test through MINK_TEST_PG_RESTART.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGROOT=${PGROOT:-/tmp/mink-pgtest}
if [ "$(id -u)" -eq 0 ]; then
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -m fast -w -t 30 restart >/dev/null
else
  "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -m fast -w -t 30 restart >/dev/null
fi
