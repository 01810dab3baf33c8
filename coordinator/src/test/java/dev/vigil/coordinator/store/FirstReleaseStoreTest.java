package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.ingest.IngestResult;
import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.verify.ChainVerdict;
import dev.vigil.coordinator.verify.StoreAudit;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store written by the first release (schema 1, fixtures/store-v1.jsonl, never regenerated)
 * must keep working: it verifies, every stored envelope decodes, and ingest continues its chains.
 */
@Timeout(120)
class FirstReleaseStoreTest {
    static final String FIXTURE = "/fixtures/store-v1.jsonl";

    @TempDir
    Path dir;

    static List<EventEnvelope> firstReleaseFacts(String agent) {
        RouterRef vi = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
        List<AgentFact> facts = List.of(
                new AgentFact.AgentStarted("0.1.0", agent, 4242),
                new AgentFact.ConfigLoaded("/etc/keepalived/keepalived.conf", "ab".repeat(32), 1),
                new AgentFact.RouterStateChanged(vi, RouterState.INIT, RouterState.BACKUP, "startup", 100, 100, Optional.empty()),
                new AgentFact.RouterStateChanged(vi, RouterState.BACKUP, RouterState.MASTER,
                        "master-down timer expired 361 ms after the last advert from 192.0.2.11 (priority 150)", 100, 100,
                        Optional.of("192.0.2.11")),
                new AgentFact.VipsAdded(vi, List.of("192.0.2.100/32"), true, "ok"),
                new AgentFact.TrackerResultChanged("pg_primary", "postgresql", false, "server is in recovery", 3_500_000),
                new AgentFact.PriorityChanged(vi, 150, 100, "pg_primary"),
                new AgentFact.AdvertsRejected(vi, Map.of("ttl", 3L), 10_000_000_000L),
                new AgentFact.NotifyScriptRan("VI_PG", "/usr/local/bin/notify.sh", "BACKUP", 0, 12_000_000),
                new AgentFact.VipsRemoved(vi, List.of("192.0.2.100/32"), true, "ok"),
                new AgentFact.AgentStopping("SIGTERM"));
        List<EventEnvelope> out = new ArrayList<>();
        for (int i = 0; i < facts.size(); i++) {
            out.add(new EventEnvelope(agent, "boot-1", i + 1, Instant.parse("2026-11-25T03:12:00.000001Z").plusSeconds(i),
                    1_000_000_000L * i, 1, Optional.of("pg-main"), facts.get(i)));
        }
        return out;
    }

    static void loadFixture(StoreSettings settings) throws Exception {
        try (var pool = AuditStore.pool(settings)) {
            StoreMigrations.migrate(pool, settings.vendor());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(
                    FirstReleaseStoreTest.class.getResourceAsStream(FIXTURE), StandardCharsets.UTF_8))) {
                StoreFixture.load(pool, in);
            }
        }
    }

    static void assertFirstReleaseStoreKeepsWorking(StoreSettings settings) throws Exception {
        loadFixture(settings);
        EnvelopeCodec codec = EnvelopeCodec.standard();
        try (AuditStore store = AuditStore.open(settings.withSnapshotEvery(5), Clock.systemUTC())) {
            assertThat(new StoreAudit(store.dataSource()).verify(Optional.empty()))
                    .extracting(ChainVerdict::agentId, ChainVerdict::length, ChainVerdict::intact)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("db1", 11L, true),
                            org.assertj.core.groups.Tuple.tuple("db2", 11L, true));
            List<EventEnvelope> decoded = new ArrayList<>();
            try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT payload FROM domain_event_entry WHERE aggregate_identifier = 'db1'"
                         + " ORDER BY sequence_number")) {
                while (rs.next()) {
                    String envelope = new com.fasterxml.jackson.databind.ObjectMapper().readTree(rs.getBytes(1))
                            .get("envelope").asText();
                    decoded.add(codec.decode(envelope));
                    // The replay path: one pass over the payload, the envelope decoded in place.
                    assertThat(dev.vigil.coordinator.projection.StoredPayload.decode(rs.getBytes(1), codec))
                            .isEqualTo(decoded.get(decoded.size() - 1));
                }
            }
            assertThat(decoded).isEqualTo(firstReleaseFacts("db1"));
            assertThat(new dev.vigil.coordinator.projection.StoredFacts(store.dataSource(), codec)
                    .read(Instant.EPOCH, Instant.parse("2100-01-01T00:00:00Z"), Optional.empty()).stream()
                    .map(dev.vigil.coordinator.projection.Observed::envelope)
                    .filter(e -> e.agentId().equals("db1")).toList())
                    .isEqualTo(firstReleaseFacts("db1").stream()
                            .filter(e -> dev.vigil.coordinator.projection.StoredFacts.FOLDED.contains(e.factType())).toList())
                    .hasSize(7);

            IngestService ingest = new IngestService(codec, store::record);
            List<EventEnvelope> more = new ArrayList<>(firstReleaseFacts("db1").subList(9, 11));
            more.add(new EventEnvelope("db1", "boot-2", 1, Instant.parse("2026-11-26T00:00:00Z"), 5, 1,
                    Optional.of("pg-main"), new AgentFact.AgentStarted("0.2.0", "db1", 99)));
            IngestOutcome out = ((IngestResult.Applied) ingest.ingest("db1", codec.encodeBatch(more))).outcome();
            assertThat(out.duplicates()).isEqualTo(2);
            assertThat(out.stored()).isEqualTo(1);
            assertThat(out.heads()).containsEntry("boot-1", 11L).containsEntry("boot-2", 1L);
            assertThat(new StoreAudit(store.dataSource()).verify(Optional.empty()))
                    .allMatch(ChainVerdict::intact)
                    .filteredOn(v -> v.agentId().equals("db1")).extracting(ChainVerdict::length).containsExactly(12L);
        }
    }

    @Test
    void aStoreFromTheFirstReleaseKeepsWorkingOnH2() throws Exception {
        assertFirstReleaseStoreKeepsWorking(StoreSettings.embedded(dir));
    }
}
