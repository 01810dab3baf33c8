# Built from a tree where `bin/vigil build` has run.
FROM eclipse-temurin:17-jre
COPY node-agent/target/node-agent.jar /opt/vigil/node-agent.jar
COPY node-agent/target/lib/ /opt/vigil/lib/
ENTRYPOINT ["java", "-cp", "/opt/vigil/node-agent.jar:/opt/vigil/lib/*", "dev.vigil.agent.AgentMain", "-n", "-l", "-f", "/etc/keepalived/keepalived.conf"]
