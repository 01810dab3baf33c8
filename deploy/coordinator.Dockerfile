# Built from a tree where `bin/vigil build` has run.
FROM eclipse-temurin:17-jre
COPY coordinator/target/coordinator.jar /opt/vigil/lib/coordinator/coordinator.jar
COPY coordinator/target/lib/ /opt/vigil/lib/coordinator/
COPY bin/vigil-coordinator /opt/vigil/bin/vigil-coordinator
EXPOSE 7740
ENTRYPOINT ["/opt/vigil/bin/vigil-coordinator"]
