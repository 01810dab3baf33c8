#!/usr/bin/env bash
# Reporting's cost on the wire (issue 8): takeover epsilon of Vigil with reporting off and on, interleaved round by
# round in the same run, and the idle agent's RSS/CPU both ways. "On" = a vigil { } block shipping to a real
# coordinator (embedded H2) in a third namespace; "off" = the same keepalived.conf without it. Root; needs ip,
# dumpcap, tshark, python3, bc and a built node-agent and coordinator (mvn -B -q -o -pl node-agent,coordinator -am
# package -DskipTests). Namespaces vrb-a, vrb-b, vrb-m and bridge vrbbr, removed on exit. Figures go to stdout
# (markdown) and bench/wire/reporting-last-run.md.
#
#   bench/reporting.sh [takeover] [footprint]        (default: both)
#   ROUNDS=20 bench/reporting.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
acp="$top/node-agent/target/node-agent.jar:$top/node-agent/target/lib/*"
ccp="$top/coordinator/target/coordinator.jar:$top/coordinator/target/lib/*"
[ -f "$top/node-agent/target/node-agent.jar" ] || { echo "build node-agent first" >&2; exit 1; }
[ -f "$top/coordinator/target/coordinator.jar" ] || { echo "build the coordinator first" >&2; exit 1; }
ROUNDS=${ROUNDS:-20}
# bin/vigil-agent's JVM settings
JOPTS=${VIGIL_AGENT_JAVA_OPTS:-"-Xms8m -Xmx48m -XX:+UseSerialGC -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:MaxDirectMemorySize=16m -Dio.netty.allocator.type=unpooled -XX:+ExitOnOutOfMemoryError"}
work=$(mktemp -d /tmp/vigil-reporting.XXXX)
mkdir -p "$top/bench/wire"
out="$top/bench/wire/reporting-last-run.md"
coordinator_pid=

cleanup() {
  set +e
  for ns in vrb-a vrb-b vrb-m; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  [ -n "${dumpcap_pid:-}" ] && kill "$dumpcap_pid" 2>/dev/null
  sleep 0.3
  for ns in vrb-a vrb-b vrb-m; do ip netns del $ns 2>/dev/null; done
  ip link del vrbbr 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

setup() {
  ip link add vrbbr type bridge mcast_snooping 0; ip link set vrbbr up
  local n
  for h in a:11 b:12 m:20; do
    n=${h#*:}; h=${h%:*}
    ip netns add vrb-$h
    ip link add vrb$h type veth peer name eth0 netns vrb-$h
    ip link set vrb$h master vrbbr up
    ip -n vrb-$h link set lo up
    ip netns exec vrb-$h sysctl -q -w net.ipv6.conf.eth0.accept_dad=0
    ip -n vrb-$h addr add 192.0.2.$n/24 dev eth0
    ip -n vrb-$h link set eth0 up
  done
}

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

start_coordinator() {
  for h in a b; do printf 'token-%s\n' $h > "$work/$h.token"; done
  printf '{"agents":{"a":{"tokenSha256":"%s"},"b":{"tokenSha256":"%s"}},"operators":{"op":{"tokenSha256":"%s"}}}\n' \
    "$(sha token-a)" "$(sha token-b)" "$(sha token-op)" > "$work/coordinator.json"
  ip netns exec vrb-m java -Xmx256m -Daxoniq.update-checker.disabled=true -Ddisable-axoniq-console-message=true \
    -cp "$ccp" dev.vigil.coordinator.CoordinatorMain -c "$work/coordinator.json" --listen 192.0.2.20:7740 \
    --data-dir "$work/store" >"$work/coordinator.log" 2>&1 &
  coordinator_pid=$!
  disown "$coordinator_pid"
  await_log "$work/coordinator.log" "listening on" 1 90
}

# conf FILE HOST PRIORITY INTERVAL REPORTING(on|off)
conf() {
  local f=$1 h=$2 prio=$3 int=$4 rep=$5
  { printf 'global_defs {\n  script_user root\n}\n'
    if [ "$rep" = on ]; then
      printf 'vigil {\n  agent_id %s\n  cluster bench\n  state_dir %s\n  coordinator http://192.0.2.20:7740\n  token_file %s\n}\n' \
        "$h" "$work/$h-state" "$work/$h.token"
    fi
    cat <<C
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 1
  priority $prio
  version 3
  advert_int $int
  virtual_ipaddress {
    10.0.0.1/32
  }
}
C
  } > "$f"
}

start() { # HOST CONF LOG -> pid
  # shellcheck disable=SC2086
  ip netns exec vrb-$1 java $JOPTS -cp "$acp" dev.vigil.agent.AgentMain -n -l -f "$2" >"$3" 2>&1 &
  local pid=$!
  disown "$pid" # no "Killed" notice when the round kills it
  echo "$pid"
}

stop_all() { # HOST SIGNAL
  for p in $(ip netns pids vrb-$1); do kill -"$2" "$p" 2>/dev/null || true; done
  for _ in $(seq 1 100); do [ -z "$(ip netns pids vrb-$1)" ] && return; sleep 0.05; done
}

await_log() { # LOG TEXT COUNT TIMEOUT_S
  local deadline=$((SECONDS + $4)) n
  while n=$(grep -c -- "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ]; do
    [ $SECONDS -ge $deadline ] && { echo "timeout waiting for '$2' x$3 in $1" >&2; tail -5 "$1" >&2; return 1; }
    sleep 0.05
  done
}

# ---------------------------------------------------------------- takeover epsilon
takeover() {
  echo "## Takeover epsilon with reporting off and on: two Vigil agents, v3, advert_int 0.1 s, kill -9 of the master, $ROUNDS rounds each, interleaved"
  echo
  echo "| Reporting | Bound | Rounds measured | Median epsilon (ms) | p99 epsilon (ms) | Max (ms) | Facts stored (b) |"
  echo "|---|---|---|---|---|---|---|"
  dumpcap -q -i vrbbr -w "$work/takeover.pcap" -f "ip proto 112" >/dev/null 2>&1 &
  dumpcap_pid=$!
  sleep 1
  : > "$work/windows.tsv"
  for r in $(seq 1 "$ROUNDS"); do
    for rep in off on; do
      conf "$work/hi-$rep.conf" a 150 0.1 $rep; conf "$work/lo-$rep.conf" b 100 0.1 $rep
      start b "$work/lo-$rep.conf" "$work/b-$rep-$r.log" >/dev/null
      await_log "$work/b-$rep-$r.log" "Entering BACKUP STATE\|Entering MASTER STATE" 1 30
      start a "$work/hi-$rep.conf" "$work/a-$rep-$r.log" >/dev/null
      await_log "$work/a-$rep-$r.log" "Entering MASTER STATE" 1 30
      sleep 1
      local t0; t0=$(date +%s.%N)
      stop_all a 9
      await_log "$work/b-$rep-$r.log" "Entering MASTER STATE" 1 10
      sleep 0.5
      printf '%s\t%s\t%s\n' "$rep" "$t0" "$(date +%s.%N)" >> "$work/windows.tsv"
      stop_all b TERM
    done
  done
  sleep 1; kill -INT "$dumpcap_pid"; wait "$dumpcap_pid" 2>/dev/null || true; dumpcap_pid=
  local stored
  # what b's boots stored, from the coordinator's chain check (every "on" round is a new boot of b)
  stored=$(ip netns exec vrb-m curl -s -H "Authorization: Bearer token-op" "http://192.0.2.20:7740/v1/verify" \
    | python3 -c '
import sys, json
def walk(n):
    if isinstance(n, dict):
        if n.get("agentId") == "b" and "length" in n: yield n["length"]
        for v in n.values(): yield from walk(v)
    elif isinstance(n, list):
        for v in n: yield from walk(v)
print(sum(walk(json.load(sys.stdin))))' 2>/dev/null || echo "?")
  tshark -n -r "$work/takeover.pcap" -Y vrrp -T fields -e frame.time_epoch -e ip.src -e vrrp.prio 2>/dev/null > "$work/takeover.tsv"
  python3 - "$work/takeover.tsv" "$work/windows.tsv" "$stored" <<'PY'
import sys, statistics
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
wins = [l.split('\t') for l in open(sys.argv[2]).read().split('\n') if l]
A, B, interval = '192.0.2.11', '192.0.2.12', 0.1
bound = 3 * interval + (256 - 100) * interval / 256
eps = {'off': [], 'on': []}
for rep, t0, t1 in wins:
    t0, t1 = float(t0), float(t1)
    last_a = max((float(t) for t, s, p in rows if s == A and int(p) > 0 and float(t) <= t0 + 0.05), default=None)
    first_b = min((float(t) for t, s, p in rows if s == B and int(p) > 0 and last_a is not None and last_a < float(t) <= t1), default=None)
    if last_a is not None and first_b is not None and first_b - last_a > bound / 2:
        eps[rep].append((first_b - last_a - bound) * 1000)
def pct(e, p):
    return e[min(len(e) - 1, int(round(p / 100 * (len(e) - 1))))]
for rep in ('off', 'on'):
    e = sorted(eps[rep])
    stored = sys.argv[3] if rep == 'on' else '-'
    print(f"| {rep} | 3 x 100 + skew = {bound*1000:.1f} ms | {len(e)} | {statistics.median(e):.2f} | {pct(e, 99):.2f} | {max(e):.2f} | {stored} |"
          if e else f"| {rep} | - | 0 | - | - | - | - |")
PY
  echo
}

# ---------------------------------------------------------------- footprint
mem_of() { # PID -> "rss_kib pss_kib"
  echo "$(awk '/^Rss:/{print $2}' /proc/$1/smaps_rollup) $(awk '/^Pss:/{print $2}' /proc/$1/smaps_rollup)"
}

footprint() {
  echo "## Footprint: one idle agent as master, advert_int 1 s (v3), RSS/PSS after 20 s, CPU over 30 s"
  echo
  echo "| Reporting | RSS (MiB) | PSS (MiB) | CPU (% of one core) |"
  echo "|---|---|---|---|"
  local hz; hz=$(getconf CLK_TCK)
  for rep in off on; do
    conf "$work/fp-$rep.conf" a 150 1 $rep
    local pid; pid=$(start a "$work/fp-$rep.conf" "$work/fp-$rep.log")
    await_log "$work/fp-$rep.log" "Entering MASTER STATE" 1 60
    sleep 20
    read -r rss pss <<<"$(mem_of "$pid")"
    local t0; t0=$(awk '{print $14 + $15}' /proc/"$pid"/stat); sleep 30
    local t1; t1=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
    printf '| %s | %.1f | %.1f | %.2f |\n' $rep "$(echo "$rss/1024" | bc -l)" "$(echo "$pss/1024" | bc -l)" \
      "$(echo "($t1-$t0)*100/$hz/30" | bc -l)"
    stop_all a TERM
  done
  echo
  echo "Vigil JVM flags: \`$JOPTS\`"
  echo
}

setup
start_coordinator
what=${*:-takeover footprint}
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo
  for w in $what; do $w; done
} | tee "$out"
