#!/usr/bin/env bash
# Agent on the wire (issue 4): takeover epsilon, footprint and stability, Vigil beside keepalived 2.2.7 in the
# same run. Root; needs ip, dumpcap, tshark, keepalived, python3 and a built node-agent
# (mvn -B -q -o -pl node-agent -am package -DskipTests). Everything lives in namespaces vwb-* and a bridge vwbbr,
# removed on exit. Figures go to stdout (markdown) and bench/wire/last-run.md.
# VIGIL_CP: classpath of the build to run as "vigil" (default: node-agent/target), e.g. a copy taken aside.
#
#   bench/wire.sh [takeover] [footprint] [stability] [path]     (default: the first three)
#   ROUNDS=20 STABILITY_SECONDS=60 bench/wire.sh
# LOAD_LOOPS: busy loops during stability (default 2). Before/after in one run: BASE_CP=<classpath of an older build> IMPLS="vigil-base vigil keepalived" bench/wire.sh (BASE_JOPTS: its JVM flags, default the same as Vigil's)
# path: where a kill -9 takeover's time goes on the backup, from kernel tracepoints (perf) and the capture.
# GLOBAL_DEFS_EXTRA: one more global_defs line for both implementations, e.g. "vrrp_rt_priority 10".
# KEEP_WORK=1: keep the run's folder (agents' logs, captures, perf traces) instead of removing it.
# FOOTPRINT_INSTANCES: instance counts of the footprint runs (default "1 200").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=${VIGIL_CP:-"$top/node-agent/target/node-agent.jar:$top/node-agent/target/lib/*"}
[ -n "${VIGIL_CP:-}" ] || [ -f "$top/node-agent/target/node-agent.jar" ] || { echo "build node-agent first" >&2; exit 1; }
ROUNDS=${ROUNDS:-20}
STABILITY_SECONDS=${STABILITY_SECONDS:-60}
IMPLS=${IMPLS:-"vigil keepalived"}
INTERVALS=${INTERVALS:-"0.1 0.01"}
# bin/vigil-agent's JVM settings, read from the script itself so the figures are of what users run.
JOPTS=${VIGIL_AGENT_JAVA_OPTS:-$(sed -n 's/^defaults="\(.*\)"$/\1/p' "$top/bin/vigil-agent" | head -1)}
[ -n "$JOPTS" ] || { echo "wire.sh: no JVM settings found in bin/vigil-agent" >&2; exit 1; }
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
  if [ -n "${KEEP_WORK:-}" ]; then echo "logs, captures and traces kept in $work" >&2; else rm -rf "$work"; fi
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
  { printf 'global_defs {\n  script_user root\n%s}\n' "${GLOBAL_DEFS_EXTRA:+  $GLOBAL_DEFS_EXTRA
}"
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
  if [ "$impl" = vigil ] || [ "$impl" = vigil-base ]; then
    local c=$cp o=$JOPTS
    [ "$impl" = vigil-base ] && c=${BASE_CP:?BASE_CP: classpath of the build to compare with} && o=${BASE_JOPTS:-$JOPTS}
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} ip netns exec vwb-$h java $o -cp "$c" dev.vigil.agent.AgentMain -n -l --admin-socket "$work/$h-$RANDOM$RANDOM.sock" -f "$f" >"$log" 2>&1 &
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
    for n in ${FOOTPRINT_INSTANCES:-1 200}; do
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
      printf '| %s | %d | %.2f | %.2f | %.2f |\n' $impl "$n" "$(echo "$rss/1024" | bc -l)" "$(echo "$pss/1024" | bc -l)" \
        "$(echo "($t1-$t0)*100/$hz/30" | bc -l)"
      stop_all a TERM
    done
  done
  echo
  echo "Vigil JVM flags: \`$JOPTS\`, environment MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} (as bin/vigil-agent)"
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
      for _ in $(seq 1 "${LOAD_LOOPS:-2}"); do ( while :; do :; done ) & loadpids+=($!); done
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

# ---------------------------------------------------------------- takeover path (profile)
# Per round: A (150) master, B (100) backup; kill -9 A; perf records B's syscalls and wake-ups (CLOCK_MONOTONIC),
# dumpcap the wire (CLOCK_REALTIME, converted). Phases: A's last advert on the wire -> B's recvmsg returns it
# (kernel + reader wake) -> the thread that sends wakes for it (hop; zero when one thread reads and sends)
# -> Master_Down deadline (that moment + bound) -> the timer's thread wakes -> the sending thread wakes (hop)
# -> sendto/sendmsg enters -> B's advert on the wire.
path() {
  local rounds=${PATH_ROUNDS:-10}
  echo "## Takeover path on the backup: kill -9 of the master, v3, advert_int 0.1 s, $rounds rounds, medians (µs)"
  echo
  echo "| Implementation | Rounds | wire -> recvmsg | recvmsg -> handled | deadline -> timer thread wakes | timer wake -> sender wakes | sender wake -> send | send -> wire | epsilon (sum) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for impl in $IMPLS; do
    conf "$work/hi.conf" 3 0.1 150 1; conf "$work/lo.conf" 3 0.1 100 1
    capture_start "$work/path-$impl.pcap" "ip proto 112"
    start $impl b "$work/lo.conf" "$work/path-$impl-b.log" >/dev/null
    await_log "$work/path-$impl-b.log" "Entering BACKUP STATE\|Entering MASTER STATE" 1 30
    local bpids; bpids=$(ip netns pids vwb-b | paste -sd,)
    perf record -q -k CLOCK_MONOTONIC -o "$work/path-$impl.perf" -p "$bpids" \
      -e 'syscalls:sys_exit_recvmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_exit_epoll_wait,syscalls:sys_exit_epoll_pwait2,syscalls:sys_exit_ppoll,syscalls:sys_exit_futex,syscalls:sys_exit_poll,syscalls:sys_exit_select,syscalls:sys_exit_pselect6' \
      >/dev/null 2>&1 &
    local perf_pid=$!
    sleep 1
    : > "$work/path-$impl.kills"
    for r in $(seq 1 "$rounds"); do
      start $impl a "$work/hi.conf" "$work/path-$impl-a$r.log" >/dev/null
      await_log "$work/path-$impl-a$r.log" "Entering MASTER STATE" 1 30
      sleep 0.7
      local before; before=$(grep -c "Entering MASTER STATE" "$work/path-$impl-b.log"); before=${before:-0}
      python3 -c 'import time; print(time.monotonic(), time.time())' >> "$work/path-$impl.kills"
      stop_all a 9
      await_log "$work/path-$impl-b.log" "Entering MASTER STATE" $((before + 1)) 10
      sleep 0.3
    done
    kill -INT $perf_pid; wait $perf_pid 2>/dev/null || true
    capture_stop
    stop_all b TERM
    perf script -i "$work/path-$impl.perf" --ns -F tid,comm,time,event,trace 2>/dev/null > "$work/path-$impl.txt"
    tshark -n -r "$work/path-$impl.pcap" -Y vrrp -T fields -e frame.time_epoch -e ip.src -e vrrp.prio 2>/dev/null \
      > "$work/path-$impl.tsv"
    python3 - "$work/path-$impl.txt" "$work/path-$impl.tsv" "$work/path-$impl.kills" "$impl" <<'PY'
import sys, re, statistics
txt, tsv, kills, impl = sys.argv[1:5]
bound = 3 * 0.1 + (256 - 100) * 0.1 / 256
ev = []  # (t, tid, comm, kind, ret)
for line in open(txt):
    m = re.match(r'\s*(.+?)\s+(\d+)\s+(\d+\.\d+):\s+syscalls:sys_(enter|exit)_(\w+):\s*(.*)', line)
    if not m:
        continue
    comm, tid, t, io, call, rest = m.groups()
    ret = re.search(r'0x([0-9a-f]+)$', rest.strip())
    r = int(ret.group(1), 16) if ret else 0
    if r >= 1 << 63:
        r -= 1 << 64
    if io == 'enter' and call in ('sendto', 'sendmsg'):
        kind = 'send'
    elif io == 'exit' and call == 'recvmsg':
        kind = 'recv' if r > 0 else None
    elif io == 'exit':
        kind = 'wake'
    else:
        kind = None
    if kind:
        ev.append((float(t), int(tid), comm, kind, r))
ev.sort()
wire = [(float(t), s, int(p)) for t, s, p in (l.split('\t') for l in open(tsv).read().split('\n') if l)]
cols = [[] for _ in range(7)]
for line in open(kills):
    mono, real = map(float, line.split())
    off = real - mono  # wire (realtime) -> monotonic
    sends = [e for e in ev if e[0] > mono and e[3] == 'send']
    if not sends:
        continue
    S = sends[0]
    # A may still send between the timestamp and the kill: its last advert is the last one read before S
    recvs = [e for e in ev if e[0] < S[0] and e[3] == 'recv' and re.search('vrrp|keepalived|vert\.x', e[2])]
    if not recvs:
        continue
    R = recvs[-1]
    a_wire = [t - off for t, s, p in wire if s == '192.0.2.11' and t - off < R[0] + 0.002]
    b_wire = [t - off for t, s, p in wire if s == '192.0.2.12' and p > 0 and t - off > S[0] - 0.002]
    if not a_wire or not b_wire:
        continue
    A, B = a_wire[-1], b_wire[0]
    sender = S[1]
    # the sending thread's first wake after the packet was read (itself, when one thread does both)
    H = R[0] if R[1] == sender else next((e[0] for e in ev if e[0] >= R[0] and e[1] == sender and e[3] == 'wake'), R[0])
    D = H + bound
    L = max((e[0] for e in ev if e[0] < S[0] and e[1] == sender and e[3] == 'wake'), default=S[0])
    other = [e[0] for e in ev if D - 0.005 < e[0] <= L and e[1] != sender and e[3] == 'wake']
    W = other[-1] if other else L
    row = [R[0] - A, H - R[0], W - D, L - W, S[0] - L, B - S[0], B - A - bound]
    if 'PATH_DEBUG' in __import__('os').environ:
        print('  ', impl, [round(v * 1e6) for v in row], S[2], R[2], file=sys.stderr)
    for c, v in zip(cols, row):
        c.append(v * 1e6)
if cols[0]:
    med = [statistics.median(c) for c in cols]
    print(f"| {impl} | {len(cols[0])} | " + " | ".join(f"{m:.0f}" for m in med) + " |")
else:
    print(f"| {impl} | 0 | - | - | - | - | - | - | - |")
PY
  done
  echo
}

setup
what=${*:-takeover footprint stability}
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(java -version 2>&1 | head -1), keepalived $(keepalived -v 2>&1 | head -1 | awk '{print $2}'), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo
  for w in $what; do $w; done
} | tee "$out"
