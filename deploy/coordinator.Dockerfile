# Built from a tree where `bin/vigil build` has run.
FROM eclipse-temurin:17-jre
COPY coordinator/target/coordinator.jar /opt/vigil/coordinator.jar
COPY coordinator/target/lib/ /opt/vigil/lib/
ENTRYPOINT ["java", "-cp", "/opt/vigil/coordinator.jar:/opt/vigil/lib/*", "dev.vigil.coordinator.CoordinatorMain"]
