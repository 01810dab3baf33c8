package dev.vigil.coordinator.api;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.processing.ProjectionProcessors;
import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The node projection on Axon's pooled streaming processor: it follows ingest, equals a fold of the
 * stream, holds every segment in token_entry when alone, and never skips an event whose transaction
 * took its global index first and committed last (the gap is waited for, as the event pages do).
 */
@Timeout(180)
abstract class NodeProjectionContract {
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();

    protected abstract StoreSettings storeSettings() throws Exception;

    @Test
    void followsIngestAndWaitsForALateCommit() throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        ProcessorSettings processors = ProcessorSettings.defaults().withClaimTimeout(Duration.ofSeconds(2));
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, storeSettings(), agents,
                Optional.empty()).withProcessors(processors).withOperators(AgentTokens.of(Map.of("alice",
                AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))), Clock.systemUTC()); ApiClient api = new ApiClient(c.port())) {
            DataSource ds = c.store().dataSource();
            NodeReadModel model = new NodeReadModel(CODEC);
            List<EventEnvelope> db1 = ScriptedFailover.db1();
            assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, db1.subList(0, 3)).statusCode()).isEqualTo(200);
            assertThat(api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2()).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> chainLength(model, ds, "db1") == 3
                    && chainLength(model, ds, "db2") == 4);
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds));
            NodeFold.Node db2 = model.node(ds, "db2").orElseThrow();
            assertThat(db2.bootId()).isEqualTo("db2-boot-1");
            assertThat(db2.routers()).containsEntry(new NodeFold.RouterId("VI_PG", 51, "IPV4"),
                    new NodeFold.RouterLast("MASTER", ScriptedFailover.DB2_MASTER));

            // Alone, this instance holds every segment, under its own name in token_entry.
            ProjectionProcessors p = c.processors();
            await().atMost(Duration.ofSeconds(30)).until(() -> p.ownedSegments().size() == ProcessorSettings.DEFAULT_SEGMENTS);
            assertThat(owners(ds)).containsOnly(p.nodeId()).hasSize(ProcessorSettings.DEFAULT_SEGMENTS);

            try (Connection late = ds.getConnection()) {
                late.setAutoCommit(false);
                insertLateFact(late);
                // Later events commit above the open gap; the projection handles them...
                assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, db1.subList(3, 7)).statusCode()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).until(() -> chainLength(model, ds, "db1") == 7);
                assertThat(model.node(ds, "late")).isEmpty();
                late.commit();
            }
            // ...and still takes the late one once it commits: its segment's token kept the gap.
            await().atMost(Duration.ofSeconds(30)).until(() -> chainLength(model, ds, "late") == 1);
            assertThat(model.all(ds)).isEqualTo(model.fromStream(ds)).containsOnlyKeys("db1", "db2", "late");
            NodeFold.Node db1Node = model.node(ds, "db1").orElseThrow();
            assertThat(db1Node.trackers()).containsEntry("pg_primary",
                    new NodeFold.TrackerLast("script", false, ScriptedFailover.FAILED_AT));
            assertThat(db1Node.routers().get(new NodeFold.RouterId("VI_PG", 51, "IPV4")).state()).isEqualTo("BACKUP");

            // Served as it is stored (responses checked against the OpenAPI document).
            var status = api.read("nodeStatus", "/v1/nodes/db1/status");
            assertThat(status.get("bootId").asText()).isEqualTo("db1-boot-1");
            assertThat(status.get("lastSeq").asLong()).isEqualTo(7);
            assertThat(status.get("routers").get(0).get("state").asText()).isEqualTo("BACKUP");
            assertThat(status.get("trackers").get(0).get("healthy").asBoolean()).isFalse();
            assertThat(api.read("nodes", "/v1/nodes").get("nodes")).hasSize(3);
            assertThat(api.get("nodeStatus", "/v1/nodes/nobody/status", Optional.of(ScriptedFailover.READ_TOKEN))
                    .statusCode()).isEqualTo(404);
            assertThat(api.get("nodes", "/v1/nodes?x=1", Optional.of(ScriptedFailover.READ_TOKEN)).statusCode())
                    .isEqualTo(400);
        }
    }

    private static long chainLength(NodeReadModel model, DataSource ds, String agent) throws Exception {
        return model.node(ds, agent).map(NodeFold.Node::chainLength).orElse(0L);
    }

    private static List<String> owners(DataSource ds) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT owner FROM token_entry WHERE processor_name = ?")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** Another writer's append (not through the append lock): a whole, well-formed fact of agent "late". */
    private static void insertLateFact(Connection c) throws Exception {
        EventEnvelope e = ScriptedFailover.at("late", 1, 2_000, new AgentFact.AgentStarted("0.1.0", "late", 1));
        String canonical = CODEC.encode(e);
        FactRecorded fact = new FactRecorded("late", e.bootId(), 1, 0, e.factType(), e.time(), canonical,
                HashChain.GENESIS, HashChain.next(HashChain.GENESIS, canonical));
        byte[] payload = EventTables.serializer().serialize(fact, byte[].class).getData();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO domain_event_entry (aggregate_identifier,"
                + " sequence_number, type, event_identifier, payload, payload_type, time_stamp, meta_data)"
                + " VALUES ('late', 0, 'AgentStream', 'late-event-1', ?, ?, ?, ?)")) {
            ps.setBytes(1, payload);
            ps.setString(2, FactRecorded.class.getName());
            ps.setString(3, Instant.now().toString());
            ps.setBytes(4, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }
}
