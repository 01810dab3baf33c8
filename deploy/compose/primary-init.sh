#!/usr/bin/env bash
# /docker-entrypoint-initdb.d on pg1 (first start only): a replication role for the standbys.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U postgres -d postgres \
  -v pw="$(cat /run/secrets/pg_password)" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator 172.28.0.0/24 scram-sha-256" >> "$PGDATA/pg_hba.conf"
