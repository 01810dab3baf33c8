package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.IncomingFact;
import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import dev.vigil.coordinator.verify.ChainVerdict;
import dev.vigil.coordinator.verify.StoreAudit;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Group commit on any vendor: several batches in one transaction, and a failing one that fails only itself. */
final class GroupCommitContract {
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();

    private GroupCommitContract() {
    }

    static RecordFacts facts(String agent, String boot, long from, long to) {
        return new RecordFacts(agent, LongStream.rangeClosed(from, to)
                .mapToObj(s -> new IncomingFact(boot, s, "AgentStopping", Instant.EPOCH, CODEC.encode(new EventEnvelope(
                        agent, boot, s, Instant.EPOCH, s, 1, Optional.empty(), new AgentFact.AgentStopping("test")))))
                .toList());
    }

    static long count(AuditStore store, String sql) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** One agent twice in a group: the second batch builds on the first; chains stay intact. */
    static void oneGroupHoldsSeveralAgentsAndOneAgentTwice(StoreSettings settings) throws Exception {
        try (AuditStore store = AuditStore.open(settings.withSnapshotEvery(4), Clock.systemUTC())) {
            List<CompletableFuture<IngestOutcome>> out = store.recordAsOneGroup(List.of(
                    facts("g1", "b", 1, 3), facts("g2", "b", 1, 2), facts("g1", "b", 4, 6), facts("g1", "b", 2, 7),
                    facts("g2", "c", 2, 2)));
            assertThat(out.get(0).get().heads()).containsEntry("b", 3L);
            assertThat(out.get(1).get().stored()).isEqualTo(2);
            assertThat(out.get(2).get().heads()).containsEntry("b", 6L);
            IngestOutcome overlapping = out.get(3).get();
            assertThat(overlapping.duplicates()).isEqualTo(5);
            assertThat(overlapping.stored()).isEqualTo(1);
            assertThat(overlapping.heads()).containsEntry("b", 7L);
            IngestOutcome gap = out.get(4).get();
            assertThat(gap.deferred()).isEqualTo(1);
            assertThat(gap.heads()).containsEntry("c", 0L);
            // The cache holds the streams after the group: the next batch goes on from there.
            assertThat(store.record(facts("g1", "b", 8, 8)).heads()).containsEntry("b", 8L);
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry WHERE aggregate_identifier = 'g1'")).isEqualTo(8);
            assertThat(count(store, "SELECT COUNT(*) FROM ingested_fact")).isEqualTo(10);
            assertThat(count(store, "SELECT COUNT(*) FROM snapshot_event_entry")).isPositive();
            List<ChainVerdict> verdicts = new StoreAudit(store.dataSource()).verify(Optional.empty());
            assertThat(verdicts).hasSize(2).allMatch(ChainVerdict::intact);
        }
        // A fresh store (no cache) loads the same streams.
        try (AuditStore store = AuditStore.open(settings, Clock.systemUTC())) {
            assertThat(store.record(facts("g1", "b", 1, 9)).stored()).isEqualTo(1);
        }
    }

    /** A ledger clash fails its own batch; the others of the group are stored (appended one by one). */
    static void aFailingBatchFailsOnlyItself(StoreSettings settings) throws Exception {
        try (AuditStore store = AuditStore.open(settings, Clock.systemUTC())) {
            try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO ingested_fact (agent_id, boot_id, seq, stream_index, fact_type, agent_time,"
                        + " chain_hash, recorded_at) VALUES ('bad', 'b', 2, 99, 'X', CURRENT_TIMESTAMP, '"
                        + "0".repeat(64) + "', CURRENT_TIMESTAMP)");
            }
            List<CompletableFuture<IngestOutcome>> out = store.recordAsOneGroup(List.of(
                    facts("ok1", "b", 1, 3), facts("bad", "b", 1, 3), facts("ok2", "b", 1, 2), facts("ok1", "b", 4, 5)));
            assertThat(out.get(0).get().stored()).isEqualTo(3);
            assertThatThrownBy(() -> out.get(1).get()).hasRootCauseMessage(rootMessage(out.get(1)));
            assertThat(out.get(2).get().stored()).isEqualTo(2);
            assertThat(out.get(3).get().heads()).containsEntry("b", 5L);
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry WHERE aggregate_identifier = 'bad'")).isZero();
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry")).isEqualTo(7);
            assertThat(new StoreAudit(store.dataSource()).verify(Optional.empty())).allMatch(ChainVerdict::intact);
        }
    }

    private static String rootMessage(CompletableFuture<IngestOutcome> failed) {
        Throwable t = failed.handle((o, e) -> e).join();
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** Many agents at once through {@link AuditStore#record}: every fact once, every chain intact. */
    static void concurrentBatchesOfManyAgents(StoreSettings settings) throws Exception {
        int agents = 24;
        int batches = 10;
        try (AuditStore store = AuditStore.open(settings.withSnapshotEvery(7), Clock.systemUTC())) {
            ExecutorService pool = Executors.newFixedThreadPool(12);
            try {
                List<Future<IngestOutcome>> work = new ArrayList<>();
                for (int b = 0; b < batches; b++) {
                    for (int a = 0; a < agents; a++) {
                        int from = b * 5 + 1;
                        String agent = "c" + a;
                        // Every batch twice: the repeat is a duplicate or (if it runs first) the stored one.
                        work.add(pool.submit(() -> store.record(facts(agent, "b", from, from + 4))));
                        work.add(pool.submit(() -> store.record(facts(agent, "b", 1, from + 4))));
                    }
                }
                for (Future<IngestOutcome> f : work) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            for (int a = 0; a < agents; a++) {
                assertThat(store.record(facts("c" + a, "b", 1, batches * 5)).heads()).containsEntry("b", (long) batches * 5);
            }
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry")).isEqualTo((long) agents * batches * 5);
            assertThat(count(store, "SELECT COUNT(*) FROM ingested_fact")).isEqualTo((long) agents * batches * 5);
            assertThat(new StoreAudit(store.dataSource()).verify(Optional.empty())).hasSize(agents)
                    .allMatch(ChainVerdict::intact);
        }
    }
}
