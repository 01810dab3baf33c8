#!/usr/bin/env bash
# Agent on the wire (issue 4): takeover epsilon, footprint and stability, Vigil beside keepalived 2.2.7 in the
# same run. Root; needs ip, dumpcap, tshark, keepalived, python3 and a built node-agent
# (mvn -B -q -o -pl node-agent -am install -DskipTests). Everything lives in namespaces vwb-* and a bridge vwbbr,
# removed on exit. Figures go to stdout (markdown) and bench/wire/last-run.md.
#
#   bench/wire.sh [takeover] [footprint] [stability]     (default: all three)
#   ROUNDS=20 STABILITY_SECONDS=60 bench/wire.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp="$top/node-agent/target/node-agent.jar:$top/node-agent/target/lib/*"
[ -f "$top/node-agent/target/node-agent.jar" ] || { echo "build node-agent first" >&2; exit 1; }
ROUNDS=${ROUNDS:-20}
STABILITY_SECONDS=${STABILITY_SECONDS:-60}
IMPLS=${IMPLS:-"vigil keepalived"}
INTERVALS=${INTERVALS:-"0.1 0.01"}
# bin/vigil-agent's JVM settings (see there): small fixed heap, serial GC
JOPTS=${VIGIL_AGENT_JAVA_OPTS:-"-Xms8m -Xmx48m -XX:+UseSerialGC -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:MaxDirectMemorySize=16m -Dio.netty.allocator.type=unpooled -XX:+ExitOnOutOfMemoryError"}
work=$(mktemp -d /tmp/vigil-wire.XXXX)
out="$top/bench/wire/last-run.md"
loadpids=()

cleanup() {
  set +e
  for p in "${loadpids[@]}"; do kill "$p" 2>/dev/null; done
  for ns in vwb-a vwb-b; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  [ -n "${dumpcap_pid:-}" ] && kill "$dumpcap_pid" 2>/dev/null
  sleep 0.3
  ip netns del vwb-a 2>/dev/null; ip netns del vwb-b 2>/dev/null
  ip link del vwbbr 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

setup() {
  ip link add vwbbr type bridge mcast_snooping 0; ip link set vwbbr up
  local n=11
  for h in a b; do
    ip netns add vwb-$h
    ip link add vwb$h type veth peer name eth0 netns vwb-$h
    ip link set vwb$h master vwbbr up
    ip -n vwb-$h link set lo up
    ip netns exec vwb-$h sysctl -q -w net.ipv6.conf.eth0.accept_dad=0
    ip -n vwb-$h addr add 192.0.2.$n/24 dev eth0
    ip -n vwb-$h link set eth0 up
    n=$((n+1))
  done
}

# conf FILE VERSION INTERVAL PRIORITY INSTANCES
conf() {
  local f=$1 ver=$2 int=$3 prio=$4 count=$5 i
  { printf 'global_defs {\n  script_user root\n}\n'
    for i in $(seq 1 "$count"); do
      cat <<C
vrrp_instance VI_$i {
  state BACKUP
  interface eth0
  virtual_router_id $i
  priority $prio
  version $ver
  advert_int $int
  virtual_ipaddress {
    10.$((i / 250)).$((i % 250)).1/32
  }
}
C
    done; } > "$f"
}

# start IMPL HOST CONF LOG -> pid of the main process
start() {
  local impl=$1 h=$2 f=$3 log=$4
  if [ "$impl" = vigil ]; then
    # shellcheck disable=SC2086
    ip netns exec vwb-$h java $JOPTS -cp "$cp" dev.vigil.agent.AgentMain -n -l --admin-socket "$work/$h-$RANDOM$RANDOM.sock" -f "$f" >"$log" 2>&1 &
  else
    ip netns exec vwb-$h keepalived -n -l -P -f "$f" -p "$work/$h-$RANDOM$RANDOM.kpid" -r "$work/$h-$RANDOM$RANDOM.vpid" >"$log" 2>&1 &
  fi
  echo $!
}

stop_all() { # HOST SIGNAL
  for p in $(ip netns pids vwb-$1); do kill -"$2" "$p" 2>/dev/null || true; done
  for _ in $(seq 1 100); do [ -z "$(ip netns pids vwb-$1)" ] && return; sleep 0.05; done
}

await_log() { # LOG TEXT COUNT TIMEOUT_S
  local deadline=$((SECONDS + $4)) n
  while n=$(grep -c -- "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ]; do
    [ $SECONDS -ge $deadline ] && { echo "timeout waiting for '$2' x$3 in $1" >&2; tail -5 "$1" >&2; return 1; }
    sleep 0.05
  done
}

capture_start() { # FILE [FILTER]
  dumpcap -q -i vwbbr -w "$1" ${2:+-f "$2"} >/dev/null 2>&1 &
  dumpcap_pid=$!
  sleep 1
}
capture_stop() { sleep 1; kill -INT "$dumpcap_pid"; wait "$dumpcap_pid" 2>/dev/null || true; dumpcap_pid=; }

# ---------------------------------------------------------------- takeover epsilon
takeover() {
  echo "## Takeover epsilon: two routers, v3, advert_int 0.1 s, $ROUNDS rounds each"
  echo
  echo "| Implementation | Stop | Bound | Rounds measured | Median epsilon (ms) | p99 epsilon (ms) | Max (ms) |"
  echo "|---|---|---|---|---|---|---|"
  for impl in $IMPLS; do
    for mode in kill term; do
      conf "$work/hi.conf" 3 0.1 150 1; conf "$work/lo.conf" 3 0.1 100 1
      capture_start "$work/takeover-$impl-$mode.pcap" "ip proto 112"
      local lb; lb=$(start $impl b "$work/lo.conf" "$work/$impl-$mode-b.log")
      await_log "$work/$impl-$mode-b.log" "Entering BACKUP STATE\|Entering MASTER STATE" 1 30
      for r in $(seq 1 "$ROUNDS"); do
        start $impl a "$work/hi.conf" "$work/$impl-$mode-a$r.log" >/dev/null
        await_log "$work/$impl-$mode-a$r.log" "Entering MASTER STATE" 1 30
        sleep 0.7
        local before; before=$(grep -c "Entering MASTER STATE" "$work/$impl-$mode-b.log"); before=${before:-0}
        if [ $mode = kill ]; then stop_all a 9; else stop_all a TERM; fi
        await_log "$work/$impl-$mode-b.log" "Entering MASTER STATE" $((before + 1)) 10
        sleep 0.3
      done
      capture_stop
      stop_all b TERM
      tshark -n -r "$work/takeover-$impl-$mode.pcap" -Y vrrp -T fields -e frame.time_epoch -e ip.src -e vrrp.prio 2>/dev/null \
        > "$work/takeover-$impl-$mode.tsv"
      python3 - "$work/takeover-$impl-$mode.tsv" "$impl" "$mode" <<'PY'
import sys, statistics
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
impl, mode = sys.argv[2], sys.argv[3]
A, B, interval = '192.0.2.11', '192.0.2.12', 0.1
skew = (256 - 100) * interval / 256
bound = skew if mode == 'term' else 3 * interval + skew
eps, last_a, master = [], None, None
for t, src, prio in rows:
    t, prio = float(t), int(prio)
    if src == A:
        last_a = (t, prio)
        if prio > 0:
            master = A
    elif src == B and prio > 0:
        # a takeover, not B's periodic advert crossing A's first one when A preempts it
        if master == A and last_a is not None and (mode == 'kill' or last_a[1] == 0) and t - last_a[0] > bound / 2:
            eps.append((t - last_a[0] - bound) * 1000)
        master = B
eps.sort()
def pct(p):
    return eps[min(len(eps) - 1, int(round(p / 100 * (len(eps) - 1))))]
print(f"| {impl} | {'kill -9' if mode == 'kill' else 'SIGTERM (priority 0)'} | "
      f"{'3 x 100 + skew' if mode == 'kill' else 'skew'} = {bound*1000:.1f} ms | {len(eps)} | "
      f"{statistics.median(eps):.2f} | {pct(99):.2f} | {max(eps):.2f} |" if eps else f"| {impl} | {mode} | - | 0 | - | - | - |")
PY
    done
  done
  echo
}

# ---------------------------------------------------------------- footprint
mem_of() { # PIDS... -> "rss_kib pss_kib"
  local rss=0 pss=0 p
  for p in "$@"; do
    rss=$((rss + $(awk '/^Rss:/{print $2}' /proc/$p/smaps_rollup)))
    pss=$((pss + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)))
  done
  echo "$rss $pss"
}
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }

footprint() {
  echo "## Footprint: one idle agent as master, advert_int 1 s (v3), RSS/PSS after 20 s, CPU over 30 s"
  echo
  echo "| Implementation | Instances | RSS (MiB) | PSS (MiB) | CPU (% of one core) |"
  echo "|---|---|---|---|---|"
  local hz; hz=$(getconf CLK_TCK)
  for impl in $IMPLS; do
    for n in 1 200; do
      conf "$work/fp.conf" 3 1 150 "$n"
      start $impl a "$work/fp.conf" "$work/fp-$impl-$n.log" >/dev/null
      await_log "$work/fp-$impl-$n.log" "Entering MASTER STATE" "$n" 60
      sleep 20
      local pids; pids=$(ip netns pids vwb-a)
      # shellcheck disable=SC2086
      read -r rss pss <<<"$(mem_of $pids)"
      # shellcheck disable=SC2086
      local t0; t0=$(cpu_ticks $pids); sleep 30
      # shellcheck disable=SC2086
      local t1; t1=$(cpu_ticks $pids)
      printf '| %s | %d | %.1f | %.1f | %.2f |\n' $impl "$n" "$(echo "$rss/1024" | bc -l)" "$(echo "$pss/1024" | bc -l)" \
        "$(echo "($t1-$t0)*100/$hz/30" | bc -l)"
      stop_all a TERM
    done
  done
  echo
  echo "Vigil JVM flags: \`$JOPTS\`"
  echo
}

# ---------------------------------------------------------------- stability
stability() {
  echo "## Stability: 200 instances, master a (150) and backup b (100), both cores saturated, ${STABILITY_SECONDS} s each"
  echo
  echo "| Implementation | advert_int | Spurious transitions (b's adverts on the wire, by VRID) | b's MASTER log lines | a's non-MASTER log lines after start |"
  echo "|---|---|---|---|---|"
  for int in $INTERVALS; do
    for impl in $IMPLS; do
      conf "$work/st-hi.conf" 3 $int 150 200; conf "$work/st-lo.conf" 3 $int 100 200
      start $impl a "$work/st-hi.conf" "$work/st-$impl-$int-a.log" >/dev/null
      await_log "$work/st-$impl-$int-a.log" "Entering MASTER STATE" 200 90
      start $impl b "$work/st-lo.conf" "$work/st-$impl-$int-b.log" >/dev/null
      await_log "$work/st-$impl-$int-b.log" "Entering BACKUP STATE" 200 90
      sleep 3
      local amark bmark; amark=$(wc -l < "$work/st-$impl-$int-a.log"); bmark=$(wc -l < "$work/st-$impl-$int-b.log")
      capture_start "$work/st-$impl-$int.pcap" "ip proto 112 and src host 192.0.2.12"
      loadpids=()
      for _ in 1 2; do ( while :; do :; done ) & loadpids+=($!); done
      sleep "$STABILITY_SECONDS"
      for p in "${loadpids[@]}"; do kill "$p"; done; loadpids=()
      capture_stop
      local vrids; vrids=$(tshark -n -r "$work/st-$impl-$int.pcap" -Y "vrrp.prio > 0" -T fields -e vrrp.virt_rtr_id 2>/dev/null | sort -u | wc -l)
      local bm am
      bm=$(tail -n +"$((bmark + 1))" "$work/st-$impl-$int-b.log" | grep -c "Entering MASTER STATE" || true)
      am=$(tail -n +"$((amark + 1))" "$work/st-$impl-$int-a.log" | grep -c "Entering BACKUP STATE\|Entering FAULT STATE" || true)
      echo "| $impl | $int s | $vrids | $bm | $am |"
      stop_all b TERM; stop_all a TERM
    done
  done
  echo
  echo "No trackers: the daemon does not run them yet (issue 5)."
  echo
}

setup
what=${*:-takeover footprint stability}
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(java -version 2>&1 | head -1), keepalived $(keepalived -v 2>&1 | head -1 | awk '{print $2}'), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo
  for w in $what; do $w; done
} | tee "$out"
