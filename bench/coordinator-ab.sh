#!/bin/bash
# Coordinator ingest, a baseline commit and this tree alternating in the same window, each run beside the
# plain-JDBC anchor in the same process (bench/RESULTS.md, "Re-measure"). The baseline is built from
# `git archive` in a temporary directory with `mvn package` (never install: ~/.m2 is shared), with this tree's
# driver (IngestThroughput) copied in; baseline lacks StreamCache, so its cached-stream figure reads 0.
# Usage: bench/coordinator-ab.sh BASE_COMMIT JDBC_URL_WITHOUT_DB [seconds] [pairs]
#   e.g. bench/coordinator-ab.sh 938184e jdbc:postgresql://127.0.0.1:55432 40 2   (databases created with createdb)
set -euo pipefail
base=$1; url=$2; secs=${3:-40}; pairs=${4:-2}
tree=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/vigil-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
git -C "$tree" archive "$base" | tar -x -C "$work"
cp "$tree/bench/src/main/java/dev/vigil/bench/coordinator/IngestThroughput.java" "$work/bench/src/main/java/dev/vigil/bench/coordinator/"
sed -i 's/c.store().cachedStreams()/0/; s/^import dev.vigil.coordinator.projection.StoredPayload;//; s/codec.decode(StoredPayload.envelope(rs.getBytes(1)))/codec.decode(REPLAY_JSON.readTree(rs.getBytes(1)).get("envelope").asText())/; s/^    private static final RouterRef VI/    private static final ObjectMapper REPLAY_JSON = new ObjectMapper();\n&/' \
  "$work/bench/src/main/java/dev/vigil/bench/coordinator/IngestThroughput.java"
(cd "$work" && mvn -B -q -o -pl bench -am package -DskipTests)
(cd "$tree" && mvn -B -q -o -pl bench -am package -DskipTests)
host=${url#jdbc:postgresql://}; port=${host#*:}; host=${host%%:*}
run() { # label tree db
  su postgres -c "createdb -h $host -p $port $3"
  echo "== $1 ($(uptime | sed 's/.*load/load/'))"
  java -Xmx1g -cp "$2/bench/target/bench.jar:$2/bench/target/lib/*" dev.vigil.bench.coordinator.IngestThroughput \
    "$url/$3" 1000 100 "$secs" 8 2>&1 | grep -E '^(ingest|plain|replay|heap|JVM)' || true
  su postgres -c "dropdb -h $host -p $port $3"
}
for i in $(seq 1 "$pairs"); do
  run base "$work" "vigil_ab_base$i"
  run branch "$tree" "vigil_ab_new$i"
done
