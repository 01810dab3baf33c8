package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.model.AgentFact;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class ReportingTest {
    @TempDir
    Path state;

    @Test
    void noCoordinatorMeansDisabledAndNothingOnDisk() throws Exception {
        VigilSettings settings = new VigilSettings(Optional.of("db1"), "pg-main", state, List.of(),
                Optional.empty(), Path.of("/nonexistent.sock"));
        try (Reporting r = Reporting.start(settings, "db1", Reporting.Options.defaults())) {
            assertThat(r).isInstanceOf(DisabledReporting.class);
            r.record(new AgentFact.AgentStarted("0.1", "db1", 1));
            assertThat(r.bootId()).isNotBlank();
        }
        try (var files = Files.list(state)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void eachStartHasItsOwnBootIdAndRecordAfterCloseIsHarmless() {
        VigilSettings settings = new VigilSettings(Optional.of("db1"), "pg-main", state,
                List.of(URI.create("http://127.0.0.1:9")), Optional.empty(), Path.of("/nonexistent.sock"));
        Reporting.Options quick = Reporting.Options.defaults().withCloseGraceMillis(0);
        Reporting first = Reporting.start(settings, "db1", quick);
        first.close();
        first.record(new AgentFact.AgentStopping("late"));
        Reporting second = Reporting.start(settings, "db1", quick);
        second.close();
        assertThat(second.bootId()).isNotEqualTo(first.bootId());
    }

    @Test
    void aTooSmallOutboxIsRefusedWithItsSize() {
        VigilSettings settings = new VigilSettings(Optional.of("db1"), "pg-main", state,
                List.of(URI.create("http://127.0.0.1:9")), Optional.empty(), Path.of("/nonexistent.sock"));
        assertThatThrownBy(() -> Reporting.start(settings, "db1", Reporting.Options.defaults().withOutboxBytes(1000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 64 KiB, was 1000 bytes");
    }

    @Test
    void aBareEndpointMeansItsIngestPath() {
        assertThat(Shipper.ingestUri(URI.create("http://10.0.0.5:7740"))).hasToString("http://10.0.0.5:7740/v1/events");
        assertThat(Shipper.ingestUri(URI.create("https://c.example/"))).hasToString("https://c.example/v1/events");
        assertThat(Shipper.ingestUri(URI.create("https://c.example/vigil/v1/events")))
                .hasToString("https://c.example/vigil/v1/events");
    }
}
