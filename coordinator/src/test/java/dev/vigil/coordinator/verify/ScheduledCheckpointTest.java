package dev.vigil.coordinator.verify;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.ingest.IngestResult;
import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(120)
class ScheduledCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void aRunningCoordinatorWritesSignedCheckpointsOfTheStreamHeads() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path keyFile = dir.resolve("key.pem");
        Files.writeString(keyFile, SignedCheckpoint.pem("PRIVATE KEY", key.getPrivate().getEncoded()));
        Path out = dir.resolve("checkpoints");
        var schedule = new CoordinatorSettings.CheckpointSchedule(keyFile, "k1", out, Duration.ofMillis(200));
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir.resolve("db")),
                AgentTokens.none(), Optional.empty(), Optional.of(schedule), AgentTokens.none()), Clock.systemUTC())) {
            EnvelopeCodec codec = EnvelopeCodec.standard();
            List<EventEnvelope> batch = List.of(
                    new EventEnvelope("db1", "b", 1, Instant.now(), 1, 1, Optional.empty(), new AgentFact.AgentStopping("x")),
                    new EventEnvelope("db1", "b", 2, Instant.now(), 2, 1, Optional.empty(), new AgentFact.AgentStopping("y")));
            assertThat(new IngestService(codec, c.store()::record).ingest("db1", codec.encodeBatch(batch)))
                    .isInstanceOf(IngestResult.Applied.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(out).isDirectory();
                try (var files = Files.list(out)) {
                    List<Checkpoint> seen = files.filter(f -> f.getFileName().toString().endsWith(".txt")).map(f -> {
                        try {
                            return SignedCheckpoint.parse(Files.readString(f)).verify(key.getPublic());
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).toList();
                    assertThat(seen).anySatisfy(cp -> assertThat(cp.heads()).containsOnlyKeys("db1")
                            .extractingByKey("db1").extracting(Checkpoint.Head::length).isEqualTo(2L));
                }
            });
        }
    }
}
