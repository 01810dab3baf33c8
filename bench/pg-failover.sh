#!/usr/bin/env bash
# PostgreSQL failover (issue 6): promote -> first write through the write VIP, and the agents' CPU while checking,
# Vigil's pg_check beside keepalived 2.2.7 + a vrrp_script forking psql, in the same run (NetLab + PgLab, all removed
# on exit). Root, PostgreSQL 15, keepalived. Builds bench (package only, never install) unless NO_BUILD=1.
# Figures (markdown) go to stdout and bench/pg/last-run.md; per-round progress to stderr.
#
#   bench/pg-failover.sh                       ROUNDS=10 CPU_SECONDS=30 IMPLS="vigil keepalived"
#   VIGIL_INTERVAL=0.2 KEEPALIVED_INTERVAL=1 ROUNDS=3 CPU_SECONDS=0 bench/pg-failover.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "${NO_BUILD:-0}" = 1 ] || mvn -B -q -o -pl bench -am package -DskipTests
mkdir -p bench/pg
java -cp "bench/target/bench.jar:bench/target/lib/*" dev.vigil.bench.pg.PromoteToWrite | tee bench/pg/last-run.md
