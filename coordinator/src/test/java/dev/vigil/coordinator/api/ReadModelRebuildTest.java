package dev.vigil.coordinator.api;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorMain;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The read models can be dropped and rebuilt with one command, and give the same answers; new facts refill
 * them. The node read model is emptied and its processor replays the stream at the next start; the
 * command refuses while an instance is running on the store.
 */
@Timeout(120)
class ReadModelRebuildTest {
    private static final List<String[]> QUERIES = List.of(
            new String[] {"moves", "/v1/moves"}, new String[] {"moves", "/v1/moves?vip=10.0.0.10&node=db2"},
            new String[] {"moves", "/v1/moves?cluster=pg-main&vrid=51&from=2026-11-25T03:12:00Z"},
            new String[] {"incidents", "/v1/incidents"}, new String[] {"incidents", "/v1/incidents?kind=Failover"},
            new String[] {"incidents", "/v1/incidents?cluster=pg-main&to=2026-11-25T03:12:04.200Z"});

    @TempDir
    Path dir;

    private Coordinator start() throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        return Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir.resolve("data")), agents,
                Optional.empty()).withOperators(AgentTokens.of(Map.of("alice", AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))),
                Clock.systemUTC());
    }

    private static List<String> answers(ApiClient api) throws Exception {
        List<String> out = new ArrayList<>();
        for (String[] q : QUERIES) {
            out.add(api.read(q[0], q[1]).toString());
        }
        return out;
    }

    private static long rows(Coordinator c) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection(); Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT COUNT(*) FROM rm_vip_move) + (SELECT COUNT(*) FROM rm_incident)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void droppedAndRebuiltReadModelsGiveTheSameAnswers() throws Exception {
        List<String> first;
        try (Coordinator c = start(); ApiClient api = new ApiClient(c.port())) {
            api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1());
            api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2());
            first = answers(api);
            assertThat(first.get(0)).contains("\"gapMs\":360.0");
            assertThat(rows(c)).isEqualTo(4); // one move, three incidents
        }
        // The one command, on the stopped coordinator's store.
        int exit = new CommandLine(new CoordinatorMain()).execute("rebuild-read-models", "--data-dir", dir.resolve("data").toString());
        assertThat(exit).isZero();
        try (Coordinator c = start(); ApiClient api = new ApiClient(c.port())) {
            assertThat(rows(c)).isEqualTo(4);
            assertThat(answers(api)).isEqualTo(first);

            new dev.vigil.coordinator.projection.ReviewReadModel(c.store().dataSource(),
                    new dev.vigil.coordinator.projection.StoredEvents(c.store().dataSource(),
                            dev.vigil.model.EnvelopeCodec.standard())).drop();
            assertThat(rows(c)).isZero();
            assertThat(answers(api)).as("refilled on the next query").isEqualTo(first);

            // db1 takes the VIP back: new facts are in the next answer.
            api.ingest(ScriptedFailover.DB1_TOKEN, List.of(
                    ScriptedFailover.at("db1", 8, 120_000, new AgentFact.RouterStateChanged(ScriptedFailover.VI_PG,
                            RouterState.BACKUP, RouterState.MASTER, "preempting at 150", 150, 150, Optional.empty())),
                    ScriptedFailover.at("db1", 9, 120_001, new AgentFact.VipsAdded(ScriptedFailover.VI_PG,
                            List.of(ScriptedFailover.VIP), true, "ok"))));
            assertThat(api.read("moves", "/v1/moves").get("moves")).hasSize(2);
        }
    }

    private static long count(Connection conn, String sql) throws Exception {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The node read model: caught up once it equals a fold of the stream. */
    private static List<String> nodeAnswers(Coordinator c, ApiClient api) throws Exception {
        NodeReadModel model = new NodeReadModel(EnvelopeCodec.standard());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                !model.all(c.store().dataSource()).isEmpty()
                        && model.all(c.store().dataSource()).equals(model.fromStream(c.store().dataSource())));
        return List.of(api.read("nodes", "/v1/nodes").toString(), api.read("nodeStatus", "/v1/nodes/db1/status").toString(),
                api.read("nodeStatus", "/v1/nodes/db2/status").toString());
    }

    @Test
    void rebuildEmptiesTheNodeReadModelAndReplaysItToTheSameAnswers() throws Exception {
        List<String> first;
        try (Coordinator c = start(); ApiClient api = new ApiClient(c.port())) {
            api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1());
            api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2());
            first = nodeAnswers(c, api);
            assertThat(first.get(0)).contains("\"agentId\":\"db1\"").contains("\"agentId\":\"db2\"");
        }
        StoreSettings store = StoreSettings.embedded(dir.resolve("data"));
        String nodeTokens = "SELECT COUNT(*) FROM token_entry WHERE processor_name = 'node-projection'";

        // An instance that stamped its heartbeat just now counts as running: refused, nothing changed.
        try (Connection conn = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
             Statement s = conn.createStatement()) {
            s.executeUpdate("INSERT INTO coordinator_instance (node_id, seen_at) VALUES ('elsewhere:7740#1', CURRENT_TIMESTAMP)");
        }
        int refused = new CommandLine(new CoordinatorMain()).execute("rebuild-read-models", "--data-dir", dir.resolve("data").toString());
        assertThat(refused).isEqualTo(2);
        try (Connection conn = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
             Statement s = conn.createStatement()) {
            assertThat(count(conn, "SELECT COUNT(*) FROM rm_node")).isEqualTo(2);
            assertThat(count(conn, nodeTokens)).isPositive();
            s.executeUpdate("DELETE FROM coordinator_instance WHERE node_id = 'elsewhere:7740#1'");
        }

        int exit = new CommandLine(new CoordinatorMain()).execute("rebuild-read-models", "--data-dir", dir.resolve("data").toString());
        assertThat(exit).isZero();
        try (Connection conn = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password())) {
            assertThat(count(conn, "SELECT COUNT(*) FROM rm_node")).isZero();
            assertThat(count(conn, "SELECT COUNT(*) FROM rm_node_router")).isZero();
            assertThat(count(conn, nodeTokens)).as("the processor starts over").isZero();
        }
        // The next start replays the stream into the emptied tables.
        try (Coordinator c = start(); ApiClient api = new ApiClient(c.port())) {
            assertThat(nodeAnswers(c, api)).isEqualTo(first);
        }
    }
}
