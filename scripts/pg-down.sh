#!/usr/bin/env bash
# Stops the server scripts/pg-up.sh started and removes its data directory.
set -uo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGROOT=${PGROOT:-/tmp/mink-pgtest}
if [ -f "$PGROOT/data/postmaster.pid" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1
  else
    "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1
  fi
fi
rm -rf "$PGROOT"
