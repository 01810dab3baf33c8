#!/usr/bin/env bash
# Installs this unpacked tarball: the program to /opt/vigil (PREFIX), the units to /etc/systemd/system,
# the coordinator's system user, and example configs where none exist. Starts nothing.
#   sudo ./install.sh [--agent] [--coordinator]     (default: both)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-/opt/vigil}
units=${UNIT_DIR:-/etc/systemd/system}
agent=1 coordinator=1
if [ $# -gt 0 ]; then
  agent=0 coordinator=0
  for a in "$@"; do
    case "$a" in --agent) agent=1 ;; --coordinator) coordinator=1 ;; *) echo "usage: install.sh [--agent] [--coordinator]" >&2; exit 2 ;; esac
  done
fi
[ "$(id -u)" -eq 0 ] || { echo "install.sh: needs root (writes $prefix and $units)" >&2; exit 1; }

# A new version goes next to the old one and one link (current) moves with a rename, so a restart picks up
# the whole new version and the old one stays for a roll back (docs/operations.md, "Upgrade").
version=$(cat "$here/VERSION")
mkdir -p "$prefix/releases"
rm -rf "$prefix/releases/$version.new"
cp -a "$here" "$prefix/releases/$version.new"
rm -rf "$prefix/releases/$version"
mv "$prefix/releases/$version.new" "$prefix/releases/$version"
ln -sfn "releases/$version" "$prefix/current.new" && mv -T "$prefix/current.new" "$prefix/current"
for d in bin lib docs examples systemd VERSION; do ln -sfn "current/$d" "$prefix/$d"; done

install -d -m 0755 /etc/vigil
if [ "$agent" = 1 ]; then
  install -m 0644 "$here/systemd/vigil-agent.service" "$units/"
  [ -e /etc/default/vigil-agent ] || install -m 0644 "$here/systemd/vigil-agent.default" /etc/default/vigil-agent
  [ -e /etc/keepalived/keepalived.conf ] || { install -d /etc/keepalived; install -m 0600 "$here/examples/keepalived.conf" /etc/keepalived/keepalived.conf; }
fi
if [ "$coordinator" = 1 ]; then
  install -m 0644 "$here/systemd/vigil-coordinator.service" "$units/"
  install -D -m 0644 "$here/systemd/vigil.sysusers" /usr/lib/sysusers.d/vigil.conf
  if command -v systemd-sysusers >/dev/null; then systemd-sysusers /usr/lib/sysusers.d/vigil.conf; fi
  [ -e /etc/vigil/coordinator.json ] || install -m 0640 -g "$(id -g vigil 2>/dev/null || echo 0)" "$here/examples/coordinator.json" /etc/vigil/coordinator.json
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "installed Vigil $version in $prefix; next: edit /etc/keepalived/keepalived.conf or /etc/vigil/coordinator.json, then systemctl enable --now vigil-agent (or vigil-coordinator)"
