package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.IncomingFact;
import dev.vigil.coordinator.domain.RecordFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(120)
class AuditStoreOnH2Test {
    @TempDir
    Path dir;

    private static RecordFacts facts(String agent, String boot, long from, long to) {
        return new RecordFacts(agent, LongStream.rangeClosed(from, to)
                .mapToObj(s -> new IncomingFact(boot, s, "AgentStopping", Instant.EPOCH, "{\"seq\":" + s + "}"))
                .toList());
    }

    private static long count(AuditStore store, String sql) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void storesOnceAcrossRestartAndSnapshots() throws Exception {
        StoreSettings settings = StoreSettings.embedded(dir).withSnapshotEvery(5);
        try (AuditStore store = AuditStore.open(settings, Clock.systemUTC())) {
            var first = store.record(facts("db1", "b1", 1, 12));
            assertThat(first.stored()).isEqualTo(12);
            assertThat(first.heads()).containsEntry("b1", 12L);
            var again = store.record(facts("db1", "b1", 1, 12));
            assertThat(again.stored()).isZero();
            assertThat(again.duplicates()).isEqualTo(12);
            assertThat(count(store, "SELECT COUNT(*) FROM snapshot_event_entry")).isPositive();
        }
        try (AuditStore store = AuditStore.open(settings, Clock.systemUTC())) {
            var after = store.record(facts("db1", "b1", 10, 14));
            assertThat(after.duplicates()).isEqualTo(3);
            assertThat(after.stored()).isEqualTo(2);
            assertThat(after.heads()).containsEntry("b1", 14L);
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry")).isEqualTo(14);
            assertThat(count(store, "SELECT COUNT(*) FROM ingested_fact")).isEqualTo(14);
        }
    }

    @Test
    void factBeyondAGapIsDeferred() {
        try (AuditStore store = AuditStore.open(StoreSettings.embedded(dir), Clock.systemUTC())) {
            var out = store.record(new RecordFacts("db2", List.of(
                    new IncomingFact("b", 1, "AgentStopping", Instant.EPOCH, "{}"),
                    new IncomingFact("b", 3, "AgentStopping", Instant.EPOCH, "{}"))));
            assertThat(out.stored()).isEqualTo(1);
            assertThat(out.deferred()).isEqualTo(1);
            assertThat(out.heads()).containsEntry("b", 1L);
        }
    }

    /** The ledger constraint, not the aggregate, is the last word: a clash rolls the append back. */
    @Test
    void ledgerConstraintRollsBackTheWholeAppend() throws Exception {
        try (AuditStore store = AuditStore.open(StoreSettings.embedded(dir), Clock.systemUTC())) {
            try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO ingested_fact (agent_id, boot_id, seq, stream_index, fact_type, agent_time,"
                        + " chain_hash, recorded_at) VALUES ('db3', 'b', 2, 99, 'X', CURRENT_TIMESTAMP, '"
                        + "0".repeat(64) + "', CURRENT_TIMESTAMP)");
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.record(facts("db3", "b", 1, 3)))
                    .isInstanceOf(RuntimeException.class);
            assertThat(count(store, "SELECT COUNT(*) FROM domain_event_entry WHERE aggregate_identifier = 'db3'")).isZero();
            assertThat(count(store, "SELECT COUNT(*) FROM ingested_fact WHERE agent_id = 'db3'")).isEqualTo(1);
        }
    }

    @Test
    void oneGroupHoldsSeveralAgentsAndOneAgentTwice() throws Exception {
        GroupCommitContract.oneGroupHoldsSeveralAgentsAndOneAgentTwice(StoreSettings.embedded(dir));
    }

    @Test
    void aFailingBatchFailsOnlyItsOwnGroupMember() throws Exception {
        GroupCommitContract.aFailingBatchFailsOnlyItself(StoreSettings.embedded(dir));
    }

    @Test
    void concurrentBatchesOfManyAgentsAreStoredOnce() throws Exception {
        GroupCommitContract.concurrentBatchesOfManyAgents(StoreSettings.embedded(dir));
    }
}
