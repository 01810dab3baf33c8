package dev.vigil.coordinator;

import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.ingest.IngestResult;
import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(120)
class CoordinatorMainTest {
    @TempDir
    Path dir;

    private static int run(String... args) {
        return new CommandLine(new CoordinatorMain()).execute(args);
    }

    @Test
    void verifyAndCheckpointCommandsWorkOnTheEmbeddedStore() throws Exception {
        Path data = dir.resolve("data");
        EnvelopeCodec codec = EnvelopeCodec.standard();
        try (AuditStore store = AuditStore.open(StoreSettings.embedded(data), Clock.systemUTC())) {
            var batch = LongStream.rangeClosed(1, 5).mapToObj(s -> new EventEnvelope("db1", "b", s, Instant.now(), s, 1,
                    Optional.empty(), (AgentFact) new AgentFact.AgentStopping("n" + s))).toList();
            assertThat(new IngestService(codec, store::record).ingest("db1", codec.encodeBatch(batch)))
                    .isInstanceOf(IngestResult.Applied.class);
        }
        Path keys = dir.resolve("keys");
        assertThat(run("gen-checkpoint-key", "--out", keys.toString())).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("checkpoint-key.pem"))))
                .isEqualTo("rw-------");
        assertThat(run("verify", "--data-dir", data.toString())).isZero();
        Path out = dir.resolve("checkpoints");
        assertThat(run("--data-dir", data.toString(), "checkpoint", "--key", keys.resolve("checkpoint-key.pem").toString(),
                "--out", out.toString())).isZero();
        Path checkpoint;
        try (var files = Files.list(out)) {
            checkpoint = files.findFirst().orElseThrow();
        }

        try (HikariDataSource ds = AuditStore.pool(StoreSettings.embedded(data)); Connection c = ds.getConnection();
             Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM domain_event_entry WHERE sequence_number = 4");
        }
        assertThat(run("verify", "--data-dir", data.toString())).as("a cut tail alone looks intact").isZero();
        assertThat(run("verify", "--data-dir", data.toString(), "--checkpoint", checkpoint.toString(),
                "--public-key", keys.resolve("checkpoint-key.pub.pem").toString())).isEqualTo(1);
    }

    @Test
    void aConfigFileWithAnUnknownKeyIsRefusedByName() throws Exception {
        Path config = dir.resolve("coordinator.json");
        Files.writeString(config, "{\"listen\":\"127.0.0.1:0\",\"agnets\":{}}");
        CoordinatorMain main = new CoordinatorMain();
        new CommandLine(main).parseArgs("--config", config.toString());
        assertThatThrownBy(main::resolve).hasMessageContaining("agnets");
    }

    @Test
    void aConfigFileGivesListenDatabaseAndTokenHashes() throws Exception {
        Path config = dir.resolve("coordinator.json");
        Files.writeString(config, "{\"listen\":\"127.0.0.1:7999\",\"database\":{\"url\":\"jdbc:h2:mem:x\",\"user\":\"u\"},"
                + "\"agents\":{\"db1\":{\"tokenSha256\":\"" + "ab".repeat(32) + "\"}}}");
        CoordinatorMain main = new CoordinatorMain();
        new CommandLine(main).parseArgs("--config", config.toString());
        CoordinatorSettings s = main.resolve();
        assertThat(s.listenPort()).isEqualTo(7999);
        assertThat(s.store().jdbcUrl()).isEqualTo("jdbc:h2:mem:x");
        assertThat(s.tokens().size()).isEqualTo(1);
    }
}
