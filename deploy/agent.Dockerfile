# Built from a tree where `bin/vigil build` has run. Runs in its PostgreSQL's network namespace
# (docker-compose.yml: network_mode service:pgN) with NET_ADMIN and NET_RAW; metrics on :9650.
FROM eclipse-temurin:17-jre
COPY node-agent/target/node-agent.jar /opt/vigil/lib/agent/node-agent.jar
COPY node-agent/target/lib/ /opt/vigil/lib/agent/
COPY bin/vigil-agent /opt/vigil/bin/vigil-agent
ENTRYPOINT ["/opt/vigil/bin/vigil-agent", "-n", "-l", "-f", "/etc/keepalived/keepalived.conf", "--metrics-listen", "0.0.0.0:9650"]
