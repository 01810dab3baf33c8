#!/usr/bin/env bash
# Captures real adverts from keepalived 2.2.7 as VRRP test vectors (run once, as root; output is committed).
# Two throwaway namespaces joined by a veth pair: keepalived runs alone in "ka" (so each instance becomes
# master after Master_Down_Interval and advertises), tshark listens in "cap". Everything is removed on exit.
# Output: keepalived-2.2.7.pcap and one <name>.hex per instance (the IP packet as the raw socket sees it).
set -euo pipefail
OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
SUFFIX=$$
KA=vv-ka-$SUFFIX CAP=vv-cap-$SUFFIX
WORK=$(mktemp -d)
KPID=
cleanup() {
  [ -n "$KPID" ] && kill "$KPID" 2>/dev/null && sleep 1 || true
  ip netns del "$KA" 2>/dev/null || true
  ip netns del "$CAP" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$KA"; ip netns add "$CAP"
ip link add vk0 netns "$KA" type veth peer name vc0 netns "$CAP"
for ns in "$KA" "$CAP"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip netns exec "$ns" ip link set lo up
done
ip -n "$KA" link set vk0 address 02:00:00:00:00:0a
ip -n "$CAP" link set vc0 address 02:00:00:00:00:0b
ip -n "$KA" addr add 192.0.2.10/24 dev vk0
ip -n "$CAP" addr add 192.0.2.20/24 dev vc0
ip -n "$KA" addr add fe80::a/64 dev vk0 nodad
ip -n "$KA" link set vk0 up; ip -n "$CAP" link set vc0 up

cat > "$WORK/keepalived.conf" <<CONF
global_defs {
  router_id vigil-vectors
  enable_script_security
  vrrp_garp_master_delay 0
}
vrrp_instance V2_IPV4 {
  state BACKUP
  interface vk0
  version 2
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
vrrp_instance V2_PASS {
  state BACKUP
  interface vk0
  version 2
  virtual_router_id 52
  priority 150
  advert_int 2
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    192.0.2.102/24
  }
}
vrrp_instance V3_IPV4 {
  state BACKUP
  interface vk0
  version 3
  virtual_router_id 53
  priority 200
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.103/24
    192.0.2.104/24
    192.0.2.105/24
  }
}
vrrp_instance V3_IPV6 {
  state BACKUP
  interface vk0
  version 3
  virtual_router_id 54
  priority 120
  advert_int 1
  virtual_ipaddress {
    fe80::54/64
    2001:db8::54/64
  }
}
CONF

ip netns exec "$CAP" tshark -q -i vc0 -f "ip proto 112 or ip6 proto 112" -w "$WORK/all.pcap" -a duration:9 2>/dev/null &
TPID=$!
sleep 1
ip netns exec "$KA" keepalived -n -l -D -f "$WORK/keepalived.conf" -p "$WORK/ka.pid" -r "$WORK/vrrp.pid" >"$WORK/ka.log" 2>&1 &
KPID=$!
wait "$TPID" || true
kill "$KPID" 2>/dev/null || true; wait "$KPID" 2>/dev/null || true; KPID=

cp "$WORK/all.pcap" "$OUT/keepalived-2.2.7.pcap"
# One packet per instance: the last one keepalived sent as master for that VRID.
for pair in V2_IPV4:51 V2_PASS:52 V3_IPV4:53 V3_IPV6:54; do
  name=${pair%%:*} vrid=${pair##*:}
  frame=$(tshark -r "$OUT/keepalived-2.2.7.pcap" -Y "vrrp.virt_rtr_id == $vrid && vrrp.prio > 0" -T fields -e frame.number | tail -1)
  [ -n "$frame" ] || { echo "no advert captured for $name" >&2; cat "$WORK/ka.log" >&2; exit 1; }
  # Strip the 14-byte Ethernet header: the decoder sees what the raw socket delivers.
  tshark -r "$OUT/keepalived-2.2.7.pcap" -Y "frame.number == $frame" -x \
    | grep -E '^[0-9a-f]{4}  ' | cut -c7-54 | tr -d ' \n' | cut -c29- > "$OUT/$name.hex"
  echo >> "$OUT/$name.hex"
  tshark -r "$OUT/keepalived-2.2.7.pcap" -Y "frame.number == $frame" -O vrrp -V 2>/dev/null \
    | sed -n '/Virtual Router Redundancy Protocol/,$p' > "$OUT/$name.tshark.txt"
done
echo "captured into $OUT"
