package dev.vigil.coordinator.processing;

import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.coordinator.store.StoreMigrations;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The node projection's bulk catch-up from no tokens (H2): the same read model as a fold of the stream, the
 * processor's tokens at the folded index, the pooled processor going on from there; an old gap is passed, a young
 * one stops the fold below it.
 */
@Timeout(120)
class NodeBackfillTest {
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();
    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final RouterRef ROUTER = new RouterRef("VI_PG", 51, AddressFamily.IPV4);

    @TempDir
    Path dir;

    @Test
    void foldsTheStoreThenThePooledProcessorGoesOn() throws Exception {
        StoreSettings store = StoreSettings.embedded(dir);
        try (HikariDataSource ds = AuditStore.pool(store)) {
            StoreMigrations.migrate(ds, store.vendor());
            Map<String, Long> next = new HashMap<>();
            append(ds, next, 3, 40, OLD);
            deleteIndex(ds, 50); // an old gap (its successor is older than the gap window): passed
            ProcessorSettings settings = ProcessorSettings.defaults().withClaimTimeout(Duration.ofSeconds(2));
            NodeReadModel model = new NodeReadModel(CODEC);
            try (ProjectionProcessors p = ProjectionProcessors.start(store, settings, List.of(), 1)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> NodeProjectionProgress.of(ds).caughtUp());
                assertThat(tokenTypes(ds)).containsOnly("org.axonframework.eventhandling.GapAwareTrackingToken")
                        .hasSize(ProcessorSettings.DEFAULT_SEGMENTS); // written by the catch-up, not Axon's replay token
                assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).hasSize(3);
                append(ds, next, 3, 5, Instant.now());
                await().atMost(Duration.ofSeconds(30)).until(() -> model.node(ds, "a0").orElseThrow().chainLength() == 45);
                await().atMost(Duration.ofSeconds(30)).until(() -> model.all(ds).equals(model.fromStream(ds)));
            }
        }
    }

    @Test
    void stopsBelowAGapThatMayStillFill() throws Exception {
        StoreSettings store = StoreSettings.embedded(dir);
        try (HikariDataSource ds = AuditStore.pool(store)) {
            StoreMigrations.migrate(ds, store.vendor());
            append(ds, new HashMap<>(), 2, 10, OLD);
            deleteIndex(ds, 12);
            ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
            JdbcTokenStore tokens = JdbcTokenStore.builder().connectionProvider(tx).serializer(EventTables.serializer())
                    .schema(EventTables.tokens()).nodeId("test").contentType(byte[].class).build();
            NodeReadModel model = new NodeReadModel(CODEC);
            // The gap's successor was stored 1 s before "now": the gap may still fill, so the fold stops at 11.
            Clock young = Clock.fixed(OLD.plusSeconds(13 + 1), ZoneOffset.UTC);
            NodeBackfill.Outcome o = NodeBackfill.run(ds, tx, tokens, 6, model, 1, young, () -> false);
            assertThat(o.committed()).isTrue();
            assertThat(o.index()).isEqualTo(11);
            assertThat(o.facts()).isEqualTo(11);
            NodeProjectionProgress.Progress progress = NodeProjectionProgress.of(ds);
            assertThat(progress.segments()).isEqualTo(6);
            assertThat(progress.lowest()).isEqualTo(11);
            long folded = model.all(ds).values().stream().mapToLong(NodeFold.Node::chainLength).sum();
            assertThat(folded).isEqualTo(11);
            // Tokens exist now: a second run does nothing.
            assertThat(NodeBackfill.run(ds, tx, tokens, 6, model, 1, young, () -> false).committed()).isFalse();
        }
    }

    @Test
    void twoInstancesFoldingAtOnceCommitOnce() throws Exception {
        StoreSettings store = StoreSettings.embedded(dir);
        try (HikariDataSource ds = AuditStore.pool(store)) {
            StoreMigrations.migrate(ds, store.vendor());
            append(ds, new HashMap<>(), 4, 30, OLD);
            NodeReadModel model = new NodeReadModel(CODEC);
            List<java.util.concurrent.Callable<NodeBackfill.Outcome>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String node = "node" + i;
                runs.add(() -> {
                    ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
                    JdbcTokenStore tokens = JdbcTokenStore.builder().connectionProvider(tx).serializer(EventTables.serializer())
                            .schema(EventTables.tokens()).nodeId(node).contentType(byte[].class).build();
                    return NodeBackfill.run(ds, tx, tokens, 6, model, 1, Clock.systemUTC(), () -> false);
                });
            }
            java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                List<NodeBackfill.Outcome> outcomes = new ArrayList<>();
                for (var f : two.invokeAll(runs)) {
                    outcomes.add(f.get());
                }
                assertThat(outcomes.stream().filter(NodeBackfill.Outcome::committed)).hasSize(1);
            } finally {
                two.shutdownNow();
            }
            NodeProjectionProgress.Progress progress = NodeProjectionProgress.of(ds);
            assertThat(progress.segments()).isEqualTo(6);
            assertThat(progress.caughtUp()).isTrue();
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).hasSize(4);
        }
    }

    /**
     * {@code perAgent} facts for each of {@code agents} agents, interleaved (a0, a1, ... then the next round), stored
     * at {@code stored} plus one second per row: agent start, then router and tracker changes.
     */
    static void append(DataSource ds, Map<String, Long> next, int agents, int perAgent, Instant stored) throws Exception {
        Map<String, String> heads = new HashMap<>();
        try (Connection c = ds.getConnection()) {
            int row = 0;
            for (int i = 0; i < perAgent; i++) {
                for (int a = 0; a < agents; a++) {
                    String agent = "a" + a;
                    long index = next.getOrDefault(agent, 0L);
                    String head = heads.computeIfAbsent(agent, k -> lastHash(c, k));
                    AgentFact fact = index == 0 ? new AgentFact.AgentStarted("0.1.0", agent, 1)
                            : index % 2 == 1 ? new AgentFact.RouterStateChanged(ROUTER, RouterState.BACKUP,
                            index % 4 == 1 ? RouterState.MASTER : RouterState.BACKUP, "test", 100, 100, Optional.empty())
                            : new AgentFact.TrackerResultChanged("pg" + (index % 3), "script", index % 3 == 0, "ok", 1000);
                    EventEnvelope e = new EventEnvelope(agent, agent + "-boot", index + 1, OLD.plusSeconds(index), index, 1,
                            Optional.of("c0"), fact);
                    String canonical = CODEC.encode(e);
                    String hash = HashChain.next(head, canonical);
                    FactRecorded f = new FactRecorded(agent, e.bootId(), e.seq(), index, e.factType(), e.time(), canonical,
                            head, hash);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO domain_event_entry (aggregate_identifier,"
                            + " sequence_number, type, event_identifier, payload, payload_type, time_stamp, meta_data)"
                            + " VALUES (?, ?, 'AgentStream', ?, ?, ?, ?, ?)")) {
                        ps.setString(1, agent);
                        ps.setLong(2, index);
                        ps.setString(3, agent + "-" + index);
                        ps.setBytes(4, EventTables.serializer().serialize(f, byte[].class).getData());
                        ps.setString(5, FactRecorded.class.getName());
                        ps.setString(6, stored.plusSeconds(row++).toString());
                        ps.setBytes(7, "{}".getBytes(StandardCharsets.UTF_8));
                        ps.executeUpdate();
                    }
                    heads.put(agent, hash);
                    next.put(agent, index + 1);
                }
            }
        }
    }

    private static String lastHash(Connection c, String agent) {
        try (PreparedStatement ps = c.prepareStatement("SELECT payload FROM domain_event_entry WHERE aggregate_identifier = ?"
                + " ORDER BY sequence_number DESC FETCH FIRST 1 ROWS ONLY")) {
            ps.setString(1, agent);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return HashChain.GENESIS;
                }
                return EventTables.serializer().getObjectMapper().readTree(rs.getBytes(1)).get("hash").asText();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteIndex(DataSource ds, long index) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "DELETE FROM domain_event_entry WHERE global_index = ?")) {
            ps.setLong(1, index);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static List<String> tokenTypes(DataSource ds) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT token_type FROM token_entry WHERE processor_name = ?")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
