package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review page is served from the jar, and its drawing logic (review.js, run by Debian's Node.js)
 * turns the API's real answers for the scripted failover into the right bands and markers.
 * The DOM and a real click are {@code ReviewPageBrowserIT}'s.
 */
@Timeout(90)
class ReviewPageIT {
    @TempDir
    Path dir;

    @Test
    void thePageIsServedAndDrawsTheHoldersAndMarkersOfTheFailover() throws Exception {
        boolean node = Files.isExecutable(Path.of("/usr/bin/node"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(node).as("/usr/bin/node (Debian nodejs) is needed").isTrue();
        }
        Assumptions.assumeTrue(node, "needs /usr/bin/node");
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(ScriptedFailover.DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(ScriptedFailover.DB2_TOKEN)));
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir.resolve("data")),
                agents, Optional.empty()).withOperators(AgentTokens.of(Map.of("alice",
                AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))), Clock.systemUTC());
             ApiClient api = new ApiClient(c.port())) {
            api.ingest(ScriptedFailover.DB1_TOKEN, ScriptedFailover.db1());
            api.ingest(ScriptedFailover.DB2_TOKEN, ScriptedFailover.db2());

            HttpResponse<String> page = api.send(HttpRequest.newBuilder(api.uri("/review/")).GET());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
            assertThat(page.body()).contains("<svg id=\"chart\"", "<script src=\"review.js\">");
            HttpResponse<String> script = api.send(HttpRequest.newBuilder(api.uri("/review/review.js")).GET());
            assertThat(script.statusCode()).isEqualTo(200);
            Path js = Files.writeString(dir.resolve("review.js"), script.body());

            String from = "2026-11-25T03:11:30Z";
            String to = "2026-11-25T03:12:30Z";
            String w = "&from=" + from + "&to=" + to;
            Files.writeString(dir.resolve("state.json"), api.read("state", "/v1/state?cluster=pg-main&at=" + from).toString());
            Files.writeString(dir.resolve("moves.json"), api.read("moves", "/v1/moves?cluster=pg-main" + w).toString());
            Files.writeString(dir.resolve("incidents.json"), api.read("incidents", "/v1/incidents?cluster=pg-main" + w).toString());
            JsonNode trackers = api.read("events", "/v1/events?type=TrackerResultChanged" + w).get("events");
            JsonNode priorities = api.read("events", "/v1/events?type=PriorityChanged" + w).get("events");
            Files.writeString(dir.resolve("events.json"), "[" + trackers.get(0) + "," + priorities.get(0) + "]");
            String program = "const r = require(process.argv[1]); const fs = require('fs'); const d = process.argv[2];"
                    + "const j = f => JSON.parse(fs.readFileSync(d + '/' + f));"
                    + "console.log(JSON.stringify({bands: r.bands(j('state.json'), j('moves.json').moves, process.argv[3], process.argv[4]),"
                    + " markers: r.markers(j('incidents.json').incidents, j('events.json'), 'pg-main')}));";
            Process p = new ProcessBuilder("/usr/bin/node", "-e", program, js.toString(), dir.toString(), from, to)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            JsonNode drawn = ApiClient.JSON.readTree(out);

            JsonNode band = drawn.get("bands").get(0);
            assertThat(band.get("vip").asText()).isEqualTo("pg-main/51 10.0.0.10");
            JsonNode db1 = band.get("intervals").get(0);
            JsonNode db2 = band.get("intervals").get(1);
            assertThat(db1.get("agent").asText()).isEqualTo("db1");
            assertThat(db1.get("start").asLong()).isEqualTo(Instant.parse(from).toEpochMilli());
            assertThat(db1.get("end").asLong()).as("db1 let go 360 ms before db2 took it")
                    .isEqualTo(ScriptedFailover.DB2_MASTER.toEpochMilli() - 360);
            assertThat(db2.get("agent").asText()).isEqualTo("db2");
            assertThat(db2.get("start").asLong()).isEqualTo(ScriptedFailover.DB2_MASTER.toEpochMilli());
            assertThat(db2.get("end").asLong()).isEqualTo(Instant.parse(to).toEpochMilli());

            JsonNode marks = drawn.get("markers");
            assertThat(marks).hasSize(5);
            JsonNode tracker = null;
            for (JsonNode m : marks) {
                if (m.get("kind").asText().equals("tracker")) {
                    tracker = m;
                }
            }
            assertThat(tracker).isNotNull();
            // The tracker marker opens the event that failed the tracker.
            JsonNode event = api.read("event", "/v1/events/" + tracker.get("eventIds").get(0).asLong());
            assertThat(event.get("envelope").get("type").asText()).isEqualTo("TrackerResultChanged");
            assertThat(event.get("agentId").asText()).isEqualTo("db1");
        }
    }
}
