package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cursor never skips an event that commits late: an event whose global index was taken by a
 * transaction still open while later events commit is invisible at first, and the page stops below it.
 */
@Timeout(120)
abstract class EventPagingContract {
    protected abstract StoreSettings storeSettings() throws Exception;

    @Test
    void aLateCommittingEventIsNeverSkipped() throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN)));
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, storeSettings(), agents,
                Optional.empty()).withOperators(AgentTokens.of(Map.of("alice", AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))),
                Clock.systemUTC()); ApiClient api = new ApiClient(c.port())) {
            List<dev.vigil.model.EventEnvelope> db1 = ScriptedFailover.db1();
            assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, db1.subList(0, 3)).statusCode()).isEqualTo(200);
            JsonNode first = api.read("events", "/v1/events");
            assertThat(first.get("events")).hasSize(3);
            String cursor = first.get("nextCursor").asText();

            try (Connection late = c.store().dataSource().getConnection()) {
                late.setAutoCommit(false);
                // Another writer takes the next global index and has not committed yet.
                try (PreparedStatement ps = late.prepareStatement("INSERT INTO domain_event_entry (aggregate_identifier,"
                        + " sequence_number, type, event_identifier, payload, payload_type, meta_data, time_stamp)"
                        + " SELECT 'late', 0, type, 'late-event-1', payload, payload_type, meta_data, ? FROM domain_event_entry"
                        + " WHERE global_index = ?")) {
                    ps.setString(1, Instant.now().toString());
                    ps.setLong(2, first.get("events").get(0).get("id").asLong());
                    assertThat(ps.executeUpdate()).isEqualTo(1);
                }
                try (PreparedStatement ps = late.prepareStatement("INSERT INTO ingested_fact (agent_id, boot_id, seq,"
                        + " stream_index, fact_type, agent_time, chain_hash, recorded_at) SELECT 'late', 'late-boot', 1, 0,"
                        + " fact_type, agent_time, chain_hash, recorded_at FROM ingested_fact WHERE agent_id = 'db1' AND seq = 1")) {
                    assertThat(ps.executeUpdate()).isEqualTo(1);
                }
                // Later events commit above it.
                assertThat(api.ingest(ScriptedFailover.DB1_TOKEN, db1.subList(3, 5)).statusCode()).isEqualTo(200);

                JsonNode whileOpen = api.read("events", "/v1/events?after=" + cursor);
                assertThat(whileOpen.get("events")).as("nothing beyond the open gap").isEmpty();
                assertThat(whileOpen.get("nextCursor").asText()).isEqualTo(cursor);
                assertThat(api.read("events", "/v1/events").get("events")).hasSize(3);
                late.commit();
            }
            List<String> after = new ArrayList<>();
            api.read("events", "/v1/events?after=" + cursor).get("events")
                    .forEach(e -> after.add(e.get("agentId").asText() + "#" + e.get("streamIndex").asLong()));
            assertThat(after).containsExactly("late#0", "db1#3", "db1#4");
        }
    }
}
