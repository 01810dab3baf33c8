#!/usr/bin/env bash
# Ingest scale-out (issue 12): 1, 2, 3 ... coordinator instances (child JVMs, CoordinatorMain) on one throwaway
# PostgreSQL 15 cluster (initdb -A trust, removed on exit), fed by one load generator (ScaleOutLoad: AGENTS simulated
# agents, agent a posting to instance a mod n), the plain batched-JDBC anchor on the same database in the same run.
# Per run: events/s, CPU seconds of the coordinators, of PostgreSQL and of the load generator over the load window
# (from /proc), and PostgreSQL backends active / waiting on the append advisory lock (pg_stat_activity samples).
# Projection: events the node-projection processors (shared by the instances) had not yet folded when the
# measured load ended, and the seconds they then took to catch up (rm_node chain lengths vs stored events).
# Root (initdb runs as postgres). Builds bench (package only, never install) unless NO_BUILD=1.
# Each run first loads for WARMUP_SECONDS unmeasured (JIT and caches of every instance), on the same database.
#   bench/coordinator-scale.sh    INSTANCES="1 2 3" SECONDS_PER_RUN=40 WARMUP_SECONDS=20 AGENTS=2000 BATCH=100 SENDERS=8
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
instances=${INSTANCES:-"1 2 3"}; secs=${SECONDS_PER_RUN:-40}; agents=${AGENTS:-2000}; batch=${BATCH:-100}; senders=${SENDERS:-8}; warmup=${WARMUP_SECONDS:-20}
[ "${NO_BUILD:-0}" = 1 ] || mvn -B -q -o -pl bench -am package -DskipTests
cp="$top/bench/target/bench.jar:$top/bench/target/lib/*"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/vigil-scale.XXXXXX); chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  su postgres -c "$pgbin/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/pg" && chown postgres "$work/pg"
su postgres -c "$pgbin/initdb -A trust -U postgres -D $work/pg" >/dev/null
su postgres -c "$pgbin/pg_ctl -D $work/pg -l $work/pg/log -w -o '-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_connections=200' start" >/dev/null
java -cp "$cp" dev.vigil.bench.coordinator.ScaleOutLoad config "$work/coordinator.json" "$agents"
postmaster=$(head -1 "$work/pg/postmaster.pid")
ticks() { # sum of utime+stime (clock ticks) of the given pids
  local t=0 p
  for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done
  echo $t
}
pgticks() { ticks "$postmaster" $(pgrep -P "$postmaster" || true); }
hz=$(getconf CLK_TCK)
echo "| instances | events/s | plain JDBC events/s | coordinators CPU s | PostgreSQL CPU s | load gen CPU s | backends active | waiting on append lock | projection behind at end | catch-up s | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in $instances; do
  db=scale$n
  su postgres -c "$pgbin/createdb -h 127.0.0.1 -p $port $db"
  urls=(); pids=()
  for i in $(seq 1 "$n"); do
    p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    java -Xmx512m -Daxoniq.update-checker.disabled=true -Ddisable-axoniq-console-message=true -cp "$cp" \
      dev.vigil.coordinator.CoordinatorMain -c "$work/coordinator.json" --listen "127.0.0.1:$p" \
      --db-url "jdbc:postgresql://127.0.0.1:$port/$db" --db-user postgres >"$work/coord-$n-$i.log" 2>&1 &
    pids+=($!); urls+=("http://127.0.0.1:$p")
    for _ in $(seq 1 400); do (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done # one at a time: Flyway
  done
  if [ "$warmup" -gt 0 ]; then
    java -Xmx1g -cp "$cp" dev.vigil.bench.coordinator.ScaleOutLoad load "$(IFS=,; echo "${urls[*]}")" \
      "jdbc:postgresql://127.0.0.1:$port/$db" "$agents" "$batch" "$warmup" "$senders" >/dev/null 2>&1
  fi
  c0=$(ticks "${pids[@]}"); g0=$(pgticks)
  out=$(java -Xmx1g -cp "$cp" dev.vigil.bench.coordinator.ScaleOutLoad load "$(IFS=,; echo "${urls[*]}")" \
        "jdbc:postgresql://127.0.0.1:$port/$db" "$agents" "$batch" "$secs" "$senders" 2>"$work/load-$n.err")
  c1=$(ticks "${pids[@]}"); g1=$(pgticks)
  behind() { "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d "$db" -Atc \
    "SELECT (SELECT count(*) FROM domain_event_entry) - (SELECT coalesce(sum(chain_length), 0) FROM rm_node)"; }
  lag=$(behind); t0=$(date +%s.%N)
  for _ in $(seq 1 1200); do [ "$(behind)" = 0 ] && break; sleep 0.1; done
  catchup=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
  out+=$'\n'$(java -cp "$cp" dev.vigil.bench.coordinator.ScaleOutLoad plain "jdbc:postgresql://127.0.0.1:$port/$db" "$batch" 200000)
  echo "$out" >&2
  rate=$(sed -n 's/.*= \([0-9]*\) events\/s$/\1/p' <<<"$out" | head -1)
  plain=$(sed -n 's/^plain batched JDBC.*: \([0-9]*\) events\/s$/\1/p' <<<"$out")
  act=$(sed -n 's/^backends.*: \([0-9.]*\) active, \([0-9.]*\) waiting.*/\1/p' <<<"$out")
  wait=$(sed -n 's/^backends.*: \([0-9.]*\) active, \([0-9.]*\) waiting.*/\2/p' <<<"$out")
  lcpu=$(sed -n 's/^load generator CPU: \([0-9.]*\) s$/\1/p' <<<"$out")
  echo "| $n | $rate | $plain | $(awk "BEGIN{printf \"%.1f\", ($c1 - $c0) / $hz}") | $(awk "BEGIN{printf \"%.1f\", ($g1 - $g0) / $hz}") | $lcpu | $act | $wait | $lag | $catchup | $(cut -d' ' -f1 /proc/loadavg) |"
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
  su postgres -c "$pgbin/dropdb -h 127.0.0.1 -p $port $db"
done
