#!/usr/bin/env bash
# Issue 10's benchmark: pgbench -S (select-only) with 16 and 64 clients directly to PostgreSQL 15, through HAProxy
# (Debian's 2.6, TCP mode, TCP connect check every 1 s) and through Vigil's proxy (bin/vigil-agent with one
# virtual_server, TCP_CHECK every 1 s), in the same run. Pinning, the same for the three: PostgreSQL (postmaster and
# backends) on CPU 0, pgbench and the proxy on CPU 1. Prints TPS, latency p99 (pgbench's per-transaction log,
# 10 % sample) and the proxy's CPU time per 10,000 transactions (/proc/PID/stat utime+stime).
#
#   DURATION=60 CLIENTS="16 64" SCALE=10 bench/lb.sh      (as root; needs postgresql-15, haproxy, a built agent)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
CLIENTS=${CLIENTS:-"16 64"}
SCALE=${SCALE:-10}
TARGETS=${TARGETS:-"direct haproxy vigil"}
PGBIN=/usr/lib/postgresql/15/bin
[ "$(id -u)" -eq 0 ] || { echo "bench/lb.sh: run as root" >&2; exit 1; }
command -v haproxy >/dev/null || { echo "bench/lb.sh: haproxy missing (bin/vigil-packages haproxy)" >&2; exit 1; }
[ -f "$top/node-agent/target/node-agent.jar" ] || { echo "bench/lb.sh: build first (mvn -pl node-agent -am package)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/vigil-lb-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

PG=$(free_port); HA=$(free_port); VG=$(free_port)
chown postgres "$work"
runuser -u postgres -- "$PGBIN/initdb" -D "$work/data" -A trust -U postgres >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG
unix_socket_directories = '$work'
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
CONF
runuser -u postgres -- taskset -c 0 "$PGBIN/pg_ctl" -D "$work/data" -l "$work/pg.log" -w start >/dev/null
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PG" -U postgres -i -s "$SCALE" -q postgres >/dev/null 2>&1

cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
listen pg
  bind 127.0.0.1:$HA
  server pg 127.0.0.1:$PG check inter 1s
CONF
taskset -c 1 haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
ha_pid=$!; pids+=("$ha_pid")

cat > "$work/vigil.conf" <<CONF
virtual_server 127.0.0.1 $VG {
    delay_loop 1
    lb_algo wlc
    lb_kind PROXY
    real_server 127.0.0.1 $PG {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
taskset -c 1 "$top/bin/vigil-agent" -n -f "$work/vigil.conf" >"$work/vigil.log" 2>&1 &
vg_pid=$!; pids+=("$vg_pid")
for _ in $(seq 100); do
  ss -ltn | grep -q ":$VG " && ss -ltn | grep -q ":$HA " && break
  sleep 0.1
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
port_of() { case $1 in direct) echo "$PG";; haproxy) echo "$HA";; vigil) echo "$VG";; esac; }
pid_of() { case $1 in direct) echo "";; haproxy) echo "$ha_pid";; vigil) echo "$vg_pid";; esac; }

bench() { # target clients seconds -> pgbench output in $work/out
  local port; port=$(port_of "$1")
  rm -f "$work"/log.*
  (cd "$work" && taskset -c 1 "$PGBIN/pgbench" -h 127.0.0.1 -p "$port" -U postgres -S -n -c "$2" -j 2 -T "$3" \
      -l --sampling-rate 0.1 --log-prefix log postgres >"$work/out" 2>&1)
}

echo "# bench/lb.sh $(date -u +%FT%TZ): pgbench -S, ${DURATION}s per run, scale $SCALE, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| Target | Clients | TPS | p99 latency (ms) | avg latency (ms) | proxy CPU per 10k tx (ms) |"
echo "|---|---|---|---|---|---|"
for c in $CLIENTS; do
  for t in $TARGETS; do
    bench "$t" "$c" "$WARMUP"
    pid=$(pid_of "$t")
    before=0; [ -n "$pid" ] && before=$(cpu_ticks "$pid")
    bench "$t" "$c" "$DURATION"
    after=0; [ -n "$pid" ] && after=$(cpu_ticks "$pid")
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$work/out")
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
    avg=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/out")
    p99=$(cat "$work"/log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.3f", a[i]/1000}')
    if [ -n "$pid" ]; then
      cpu=$(awk -v d=$((after - before)) -v hz="$hz" -v tx="$tx" 'BEGIN {printf "%.1f", d * 1000 / hz / (tx / 10000)}')
    else
      cpu="-"
    fi
    echo "| $t | $c | ${tps%.*} | $p99 | $avg | $cpu |"
    grep -q "^number of failed transactions: 0" "$work/out" || { echo "pgbench reported failures:" >&2; cat "$work/out" >&2; }
  done
done
