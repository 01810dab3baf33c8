#!/usr/bin/env bash
# pg2 and pg3: on first start, a base backup of pg1 as a streaming standby; then PostgreSQL as usual.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 0700 "$PGDATA"
  export PGPASSWORD; PGPASSWORD=$(cat /run/secrets/pg_password)
  until gosu postgres pg_basebackup -h 172.28.0.11 -U replicator -D "$PGDATA" -R -X stream; do
    echo "standby: waiting for the primary at 172.28.0.11" >&2; sleep 2
  done
fi
exec gosu postgres postgres
