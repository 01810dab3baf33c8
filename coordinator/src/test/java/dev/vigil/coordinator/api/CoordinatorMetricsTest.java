package dev.vigil.coordinator.api;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /metrics on a real coordinator (embedded store) after ingest: what was stored, what repeated, what was refused. */
@Timeout(90)
class CoordinatorMetricsTest {

    @Test
    void ingestAndStoreFiguresAreScraped(@TempDir Path dir) throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        try (Coordinator coordinator = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0,
                StoreSettings.embedded(dir.resolve("store")), agents, Optional.empty()), Clock.systemUTC());
             ApiClient api = new ApiClient(coordinator.port())) {
            int db1 = ScriptedFailover.db1().size();
            int db2 = ScriptedFailover.db2().size();
            assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1()).statusCode()).isEqualTo(200);
            assertThat(api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2()).statusCode()).isEqualTo(200);
            assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1()).statusCode()).isEqualTo(200); // again
            assertThat(api.ingest("not-a-token", ScriptedFailover.db1()).statusCode()).isEqualTo(401);

            HttpResponse<String> r = api.send(HttpRequest.newBuilder(api.uri("/metrics")).GET());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            String m = r.body();
            assertThat(m).contains("vigil_ingest_facts_total{result=\"stored\"} " + (double) (db1 + db2))
                    .contains("vigil_ingest_facts_total{result=\"duplicate\"} " + (double) db1)
                    .contains("vigil_ingest_facts_total{result=\"deferred\"} 0.0")
                    .contains("vigil_ingest_requests_seconds_count{status=\"200\"} 3")
                    .contains("vigil_ingest_requests_seconds_count{status=\"401\"} 1")
                    .containsPattern("(?m)^vigil_store_head_index [1-9]")
                    .containsPattern("(?m)^vigil_projection_lag_events ");
            assertThat(m).doesNotContain(ScriptedFailover.DB1_TOKEN).doesNotContain("not-a-token");
        }
    }
}
