package dev.vigil.coordinator.processing;

import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.coordinator.store.StoreMigrations;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import dev.vigil.model.EnvelopeCodec;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node projection's tailing loop (H2), driven round by round: a late event filling a gap below the token is
 * folded; an older coordinator's ReplayToken is continued; a gap whose successor grows older than the gap window is given up; an instance killed without releasing
 * its claims is taken over after the claim timeout and, if it wakes up, writes nothing; two instances never hold the
 * same segment and share them by the fair share.
 */
@Timeout(120)
class NodeTailTest {
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();
    private static final Duration CLAIM_TIMEOUT = Duration.ofMillis(1_000);

    @TempDir
    Path dir;

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        private Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aLateEventFillingAGapBelowTheTokenIsFolded() throws Exception {
        try (HikariDataSource ds = store()) {
            Instant now = Instant.now();
            NodeBackfillTest.append(ds, new HashMap<>(), 2, 5, now); // rows 1..10: a0, a1, a0, ...
            Map<String, Object> late = row(ds, 9); // a0's last fact, committed late
            NodeBackfillTest.deleteIndex(ds, 9);
            NodeReadModel model = new NodeReadModel(CODEC);
            NodeTail tail = tail(ds, "a", model, () -> 6, Clock.systemUTC());
            tail.round();
            assertThat(tail.owned()).hasSize(6);
            assertThat(tokens(ds)).allSatisfy(t -> {
                assertThat(t.getIndex()).isEqualTo(10);
                assertThat(t.getGaps()).containsExactly(9L);
            });
            assertThat(model.node(ds, "a0").orElseThrow().chainLength()).isEqualTo(4);
            tail.round(); // nothing new: the gap is re-read, still missing
            assertThat(tokens(ds)).allSatisfy(t -> assertThat(t.getGaps()).containsExactly(9L));
            insert(ds, late);
            tail.round();
            assertThat(tokens(ds)).allSatisfy(t -> {
                assertThat(t.getIndex()).isEqualTo(10);
                assertThat(t.getGaps()).isEmpty();
            });
            assertThat(model.node(ds, "a0").orElseThrow().chainLength()).isEqualTo(5);
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).hasSize(2);
        }
    }

    @Test
    void anOlderCoordinatorsReplayTokenIsContinuedFromItsCurrentPosition() throws Exception {
        try (HikariDataSource ds = store()) {
            NodeBackfillTest.append(ds, new HashMap<>(), 2, 5, Instant.now()); // rows 1..10
            ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
            JdbcTokenStore older = JdbcTokenStore.builder().connectionProvider(tx).serializer(EventTables.serializer())
                    .schema(EventTables.tokens()).nodeId("older").claimTimeout(CLAIM_TIMEOUT).contentType(byte[].class).build();
            // What Axon's pooled processor leaves after a replay that has reached index 8.
            older.initializeTokenSegments(ProjectionProcessors.NODE_PROJECTION, 6, ReplayToken.createReplayToken(
                    GapAwareTrackingToken.newInstance(10, List.of()), GapAwareTrackingToken.newInstance(8, List.of())));
            NodeReadModel model = new NodeReadModel(CODEC);
            NodeTail tail = tail(ds, "a", model, () -> 6, Clock.systemUTC());
            tail.round();
            assertThat(tokens(ds)).allSatisfy(t -> assertThat(t).isEqualTo(GapAwareTrackingToken.newInstance(10, List.of())));
            assertThat(model.all(ds).keySet()).containsOnly("a0", "a1"); // rows 9 and 10 folded, nothing below 8
            assertThat(model.all(ds).values()).allSatisfy(n -> assertThat(n.chainLength()).isEqualTo(5));
            assertThat(NodeTail.position(null)).isEqualTo(GapAwareTrackingToken.newInstance(0, List.of()));
        }
    }

    @Test
    void aGapIsGivenUpOnceTheRowAboveItIsOlderThanTheWindow() throws Exception {
        try (HikariDataSource ds = store()) {
            Instant stored = Instant.parse("2026-03-01T00:00:00Z");
            NodeBackfillTest.append(ds, new HashMap<>(), 2, 5, stored); // row n stored at stored + n - 1 s
            NodeBackfillTest.deleteIndex(ds, 3);
            MovingClock clock = new MovingClock(stored.plusSeconds(20));
            NodeReadModel model = new NodeReadModel(CODEC);
            NodeTail tail = tail(ds, "a", model, () -> 6, clock);
            tail.round();
            assertThat(tokens(ds)).allSatisfy(t -> assertThat(t.getGaps()).containsExactly(3L));
            clock.now = stored.plusSeconds(3 + 59); // row 4 (above the gap) stored at +3 s: 59 s old
            tail.round();
            assertThat(tokens(ds)).allSatisfy(t -> assertThat(t.getGaps()).containsExactly(3L));
            clock.now = stored.plusSeconds(3 + 61);
            NodeBackfillTest.append(ds, new HashMap<>(Map.of("a0", 5L, "a1", 5L)), 2, 1, stored.plusSeconds(63));
            tail.round();
            assertThat(tokens(ds)).allSatisfy(t -> {
                assertThat(t.getIndex()).isEqualTo(12);
                assertThat(t.getGaps()).isEmpty();
            });
        }
    }

    @Test
    void aKilledInstanceIsTakenOverAfterTheClaimTimeoutAndWritesNothingWhenItWakes() throws Exception {
        try (HikariDataSource ds = store()) {
            Map<String, Long> next = new HashMap<>();
            NodeBackfillTest.append(ds, next, 3, 4, Instant.now());
            NodeReadModel model = new NodeReadModel(CODEC);
            NodeTail a = tail(ds, "a", model, () -> 6, Clock.systemUTC());
            NodeTail b = tail(ds, "b", model, () -> 6, Clock.systemUTC());
            a.round();
            long t0 = System.nanoTime();
            // The claims' stamps, by the wall clock the token store compares them with (not nanoTime: a VM's wall clock
            // may be slewed).
            Instant stamped = stamps(ds).stream().map(Instant::parse).max(Instant::compareTo).orElseThrow();
            assertThat(a.owned()).hasSize(6);
            b.round();
            assertThat(b.owned()).isEmpty(); // every claim is fresh
            // a is killed: no more rounds, no releaseClaim.
            while (b.owned().size() < 6) {
                Thread.sleep(100);
                b.round();
                assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(10).toNanos());
            }
            assertThat(Instant.now()).isAfterOrEqualTo(stamped.plus(CLAIM_TIMEOUT));
            assertThat(owners(ds)).containsOnly("b");
            NodeBackfillTest.append(ds, next, 3, 2, Instant.now());
            b.round();
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).hasSize(3);
            // a wakes up believing it holds every segment: its claims fail, it drops them and writes nothing.
            NodeBackfillTest.append(ds, next, 3, 1, Instant.now());
            try {
                a.round();
            } catch (Exception expected) {
                // a failed pass (its claim is gone) is fine; what matters is what it holds and wrote
            }
            assertThat(a.owned()).isEmpty();
            assertThat(owners(ds)).containsOnly("b");
            b.round();
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds));
            assertThat(NodeProjectionProgress.of(ds).caughtUp()).isTrue();
        }
    }

    @Test
    void twoInstancesNeverHoldTheSameSegmentAndShareThemFairly() throws Exception {
        try (HikariDataSource ds = store()) {
            Map<String, Long> next = new HashMap<>();
            NodeReadModel model = new NodeReadModel(CODEC);
            AtomicInteger live = new AtomicInteger(1);
            IntSupplier share = () -> FairShare.of(6, live.get());
            NodeTail a = tail(ds, "a", model, share, Clock.systemUTC());
            NodeTail b = tail(ds, "b", model, share, Clock.systemUTC());
            NodeBackfillTest.append(ds, next, 5, 2, Instant.now());
            a.round();
            assertThat(a.owned()).hasSize(6);
            live.set(2); // b joins: a releases down to its share, b claims the rest
            for (int i = 0; i < 20; i++) {
                NodeBackfillTest.append(ds, next, 5, 1, Instant.now());
                Thread.sleep(110); // past the claim interval
                (i % 2 == 0 ? a : b).round();
                Set<Integer> both = new HashSet<>(a.owned());
                both.retainAll(b.owned());
                assertThat(both).isEmpty();
            }
            a.round();
            b.round();
            a.round();
            b.round();
            assertThat(a.owned()).hasSize(3);
            assertThat(b.owned()).hasSize(3);
            assertThat(owners(ds)).containsOnly("a", "b");
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).hasSize(5);
            assertThat(NodeProjectionProgress.of(ds).caughtUp()).isTrue();
            a.releaseAll();
            assertThat(a.owned()).isEmpty();
            b.round(); // the fair share is still 3 for b: the released segments stay free until the count drops
            assertThat(b.owned()).hasSize(3);
        }
    }

    private HikariDataSource store() throws Exception {
        StoreSettings store = StoreSettings.embedded(dir);
        HikariDataSource ds = AuditStore.pool(store);
        StoreMigrations.migrate(ds, store.vendor());
        return ds;
    }

    private static NodeTail tail(DataSource ds, String node, NodeReadModel model, IntSupplier share, Clock clock) {
        ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
        JdbcTokenStore tokens = JdbcTokenStore.builder().connectionProvider(tx).serializer(EventTables.serializer())
                .schema(EventTables.tokens()).nodeId(node).claimTimeout(CLAIM_TIMEOUT).contentType(byte[].class).build();
        return new NodeTail(tx, tokens, model, 6, share, Duration.ofMillis(100), Duration.ofMillis(300), clock);
    }

    private static List<GapAwareTrackingToken> tokens(DataSource ds) throws Exception {
        List<GapAwareTrackingToken> out = new java.util.ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT token FROM token_entry WHERE processor_name = ?")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(EventTables.serializer().getObjectMapper().readValue(rs.getBytes(1), GapAwareTrackingToken.class));
                }
            }
        }
        assertThat(out).hasSize(6);
        return out;
    }

    private static List<String> stamps(DataSource ds) throws Exception {
        return strings(ds, "SELECT timestamp FROM token_entry");
    }

    private static List<String> owners(DataSource ds) throws Exception {
        return strings(ds, "SELECT owner FROM token_entry WHERE processor_name = ? AND owner IS NOT NULL",
                ProjectionProcessors.NODE_PROJECTION);
    }

    /** The first column of every row of {@code sql} as text. */
    private static List<String> strings(DataSource ds, String sql, String... params) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static final List<String> COLUMNS = List.of("global_index", "aggregate_identifier", "sequence_number", "type",
            "event_identifier", "payload", "payload_type", "time_stamp", "meta_data");

    private static Map<String, Object> row(DataSource ds, long index) throws Exception {
        Map<String, Object> out = new HashMap<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT " + String.join(", ", COLUMNS) + " FROM domain_event_entry WHERE global_index = ?")) {
            ps.setLong(1, index);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                for (String col : COLUMNS) {
                    out.put(col, rs.getObject(col));
                }
            }
        }
        return out;
    }

    private static void insert(DataSource ds, Map<String, Object> row) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO domain_event_entry (" + String.join(", ", COLUMNS) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < COLUMNS.size(); i++) {
                ps.setObject(i + 1, row.get(COLUMNS.get(i)));
            }
            ps.executeUpdate();
        }
    }
}
