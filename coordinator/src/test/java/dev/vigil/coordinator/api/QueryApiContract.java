package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.projection.ReviewReadModel;
import dev.vigil.coordinator.projection.ReviewRows;
import dev.vigil.model.EnvelopeCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.vigil.coordinator.api.ScriptedFailover.DB1_TOKEN;
import static dev.vigil.coordinator.api.ScriptedFailover.DB2_TOKEN;
import static dev.vigil.coordinator.api.ScriptedFailover.READ_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

/** The audit query API through real HTTP on a store seeded with a scripted failover; every response checked against the served OpenAPI document. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class QueryApiContract {
    /** Every query route with its operation id and the parameters it takes (value: a valid example). */
    static final List<Route> ROUTES = List.of(
            new Route("moves", "/v1/moves", Map.of("vip", "10.0.0.10", "vrid", "51", "cluster", "pg-main", "node", "db2",
                    "cause", "timer", "from", "2026-11-25T00:00:00Z", "to", "2026-11-26T00:00:00Z")),
            new Route("incidents", "/v1/incidents", Map.of("cluster", "pg-main", "vrid", "51", "kind", "Failover",
                    "from", "2026-11-25T00:00:00Z", "to", "2026-11-26T00:00:00Z")),
            new Route("timeline", "/v1/nodes/db1/timeline", Map.of("from", "2026-11-25T00:00:00Z", "to", "2026-11-26T00:00:00Z")),
            new Route("events", "/v1/events", Map.of("after", "0", "limit", "5", "agent", "db1", "type", "RouterStateChanged",
                    "from", "2026-11-25T00:00:00Z", "to", "2026-11-26T00:00:00Z")),
            new Route("state", "/v1/state", Map.of("at", "2026-11-25T03:12:00Z", "cluster", "pg-main")),
            new Route("narrative", "/v1/narrative", Map.of("from", "2026-11-25T00:00:00Z", "to", "2026-11-26T00:00:00Z",
                    "vip", "10.0.0.10", "cluster", "pg-main")));
    static final List<String> INJECTIONS = List.of("' OR '1'='1", "1; DROP TABLE domain_event_entry; --",
            "db1' UNION SELECT payload FROM domain_event_entry --", "%27%20OR%201=1", "\") OR 1=1 --", "*/ SELECT 1 /*",
            "1 OR 1=1", "../../etc/passwd", "${jndi:ldap://127.0.0.1/x}");

    record Route(String operationId, String path, Map<String, String> params) {
    }

    protected abstract StoreSettings storeSettings() throws Exception;

    Coordinator coordinator;
    ApiClient api;

    @BeforeAll
    void seed() throws Exception {
        AgentTokens agents = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(DB1_TOKEN), "db2", AgentTokens.sha256Hex(DB2_TOKEN)));
        coordinator = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, storeSettings(), agents, Optional.empty())
                .withOperators(AgentTokens.of(Map.of("alice", AgentTokens.sha256Hex(READ_TOKEN)))), Clock.systemUTC());
        api = new ApiClient(coordinator.port());
        assertThat(api.ingest(DB1_TOKEN, ScriptedFailover.db1()).statusCode()).isEqualTo(200);
        assertThat(api.ingest(DB2_TOKEN, ScriptedFailover.db2()).statusCode()).isEqualTo(200);
    }

    @AfterAll
    void stop() throws Exception {
        if (api != null) {
            api.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    static String query(Map<String, String> params) {
        StringBuilder b = new StringBuilder();
        params.forEach((k, v) -> b.append(b.length() == 0 ? "?" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return b.toString();
    }

    @Test
    void readTokensReadAndIngestTokensDoNotAndViceVersa() throws Exception {
        for (Route r : ROUTES) {
            assertThat(api.get(r.operationId(), r.path() + query(r.params()), Optional.of(READ_TOKEN)).statusCode())
                    .as(r.path()).isEqualTo(200);
            assertThat(api.get(r.operationId(), r.path() + query(r.params()), Optional.empty()).statusCode())
                    .as(r.path()).isEqualTo(401);
            assertThat(api.get(r.operationId(), r.path() + query(r.params()), Optional.of("nobody")).statusCode())
                    .as(r.path()).isEqualTo(401);
            assertThat(api.get(r.operationId(), r.path() + query(r.params()), Optional.of(DB1_TOKEN)).statusCode())
                    .as("an ingest token cannot read " + r.path()).isEqualTo(403);
        }
        HttpResponse<String> write = api.ingest(READ_TOKEN, ScriptedFailover.db1());
        assertThat(write.statusCode()).as("a read token cannot write").isEqualTo(403);
        assertThat(api.read("events", "/v1/events?limit=1000").get("events")).hasSize(11);
    }

    @Test
    void theOpenApiCheckCatchesADriftedResponse() throws Exception {
        String drifted = "{\"moves\":[{\"cluster\":\"pg-main\",\"vrid\":51,\"family\":\"IPV4\",\"at\":\"2026-11-25T03:12:04Z\","
                + "\"from\":\"db1\",\"to\":\"db2\",\"addresses\":[],\"cause\":\"x\",\"gapMillis\":3}]}";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.validate("moves", 200, "application/json", drifted, "drifted"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("does not match");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.validate("state", 200, "application/json",
                "{\"at\":\"2026-11-25T03:12:04Z\"}", "no routers")).isInstanceOf(AssertionError.class);
    }

    @Test
    void theMoveHasItsHoldersCauseAndGap() throws Exception {
        JsonNode moves = api.read("moves", "/v1/moves?vip=10.0.0.10").get("moves");
        assertThat(moves).hasSize(1);
        JsonNode m = moves.get(0);
        assertThat(m.get("from").asText()).isEqualTo("db1");
        assertThat(m.get("to").asText()).isEqualTo("db2");
        assertThat(m.get("cause").asText()).startsWith("master-down timer expired");
        assertThat(m.get("gapMs").asDouble()).isEqualTo(360.0);
        assertThat(m.get("at").asText()).isEqualTo(ScriptedFailover.DB2_MASTER.toString());
        for (String filtered : List.of("vip=10.0.0.99", "vrid=52", "cluster=elsewhere", "node=db3", "cause=nothing%20like%20it",
                "from=2026-11-25T03:13:00Z", "to=2026-11-25T03:11:30Z")) {
            assertThat(api.read("moves", "/v1/moves?" + filtered).get("moves")).as(filtered).isEmpty();
        }
        for (String kept : List.of("vrid=51", "cluster=pg-main", "node=db1", "node=db2", "cause=TIMER", "vip=10.0.0.10/24",
                "from=2026-11-25T03:12:04.461Z&to=2026-11-25T03:12:04.461Z")) {
            assertThat(api.read("moves", "/v1/moves?" + kept).get("moves")).as(kept).hasSize(1);
        }
    }

    /** The incidents are written row by row with their stored JSON arrays copied: the same bytes as encoding the rows. */
    @Test
    void streamedIncidentsAreTheRowsEncodedAsBefore() throws Exception {
        ReviewReadModel rows = new ReviewReadModel(coordinator.store().dataSource(), EnvelopeCodec.standard(),
                Clock.systemUTC(), QueryApi.GAP_FILL_WINDOW, ReviewReadModel.DEFAULT_EVERY);
        for (String filter : List.of("", "cluster=pg-main", "kind=Failover", "vrid=51&from=2026-11-25T03:12:00Z")) {
            String body = api.get("incidents", "/v1/incidents?" + filter, Optional.of(READ_TOKEN)).body();
            Map<String, String> p = new java.util.HashMap<>();
            for (String kv : filter.isEmpty() ? new String[0] : filter.split("&")) {
                p.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            JsonArray out = new JsonArray();
            for (ReviewRows.Incident i : rows.incidents(Optional.ofNullable(p.get("cluster")),
                    Optional.ofNullable(p.get("vrid")).map(Integer::valueOf),
                    Optional.ofNullable(p.get("kind")).map(ReviewRows.IncidentKind::valueOf),
                    Optional.ofNullable(p.get("from")).map(Instant::parse).orElse(QueryParams.BEGINNING), QueryParams.END)) {
                JsonObject o = new JsonObject().put("cluster", i.router().cluster()).put("vrid", i.router().vrid())
                        .put("family", i.router().family().name()).put("kind", i.kind().name()).put("at", i.start().toString())
                        .put("agents", new JsonArray(i.agents())).put("detail", i.detail());
                i.until().ifPresent(u -> o.put("until", u.toString())
                        .put("durationMs", Duration.between(i.start(), u).toNanos() / 1_000_000.0));
                out.add(o.put("events", new JsonArray(i.events())));
            }
            assertThat(body).as(filter).isEqualTo(new JsonObject().put("incidents", out).encode());
            assertThat(out).as(filter).isNotEmpty();
        }
    }

    @Test
    void theFailoverIsAnIncidentWithItsOutageAndLinksToItsEvents() throws Exception {
        JsonNode incidents = api.read("incidents", "/v1/incidents?cluster=pg-main").get("incidents");
        List<String> kinds = new ArrayList<>();
        incidents.forEach(i -> kinds.add(i.get("kind").asText()));
        assertThat(kinds).containsExactlyInAnyOrder("TrackerFailedOnMaster", "NoMaster", "Failover");

        JsonNode failover = api.read("incidents", "/v1/incidents?kind=Failover").get("incidents").get(0);
        assertThat(failover.get("durationMs").asDouble()).isEqualTo(361.0);
        assertThat(failover.get("at").asText()).isEqualTo(ScriptedFailover.DB1_STEPPED_DOWN.toString());
        assertThat(failover.get("until").asText()).isEqualTo(ScriptedFailover.DB2_MASTER.toString());
        List<String> told = new ArrayList<>();
        for (JsonNode id : failover.get("events")) {
            JsonNode e = api.read("event", "/v1/events/" + id.asLong());
            told.add(e.get("agentId").asText() + ":" + e.get("envelope").get("type").asText() + ":"
                    + e.get("envelope").get("fact").path("to").asText());
        }
        assertThat(told).containsExactly("db1:RouterStateChanged:BACKUP", "db1:VipsRemoved:", "db2:RouterStateChanged:MASTER",
                "db2:VipsAdded:");

        JsonNode tracker = api.read("incidents", "/v1/incidents?kind=TrackerFailedOnMaster").get("incidents").get(0);
        assertThat(tracker.get("agents").get(0).asText()).isEqualTo("db1");
        assertThat(tracker.get("events")).hasSize(1);
        assertThat(api.read("incidents", "/v1/incidents?vrid=7").get("incidents")).isEmpty();
        assertThat(api.read("incidents", "/v1/incidents?to=2026-11-25T03:11:30Z").get("incidents")).isEmpty();
        assertThat(api.get("event", "/v1/events/999999", Optional.of(READ_TOKEN)).statusCode()).isEqualTo(404);
    }

    @Test
    void aNodeTimelineHasStatesTrackersPrioritiesStartsAndStops() throws Exception {
        JsonNode entries = api.read("timeline", "/v1/nodes/db1/timeline").get("entries");
        List<String> types = new ArrayList<>();
        entries.forEach(e -> types.add(e.get("type").asText()));
        assertThat(types).containsExactly("AgentStarted", "RouterStateChanged", "TrackerResultChanged", "PriorityChanged",
                "RouterStateChanged");
        assertThat(entries.get(3).get("text").asText()).isEqualTo("db1 priority of VI_PG 150 -> 90 (pg_primary)");
        assertThat(api.read("timeline", "/v1/nodes/db1/timeline?from=2026-11-25T03:12:00Z").get("entries")).hasSize(3);
        assertThat(api.read("timeline", "/v1/nodes/db9/timeline").get("entries")).isEmpty();
    }

    @Test
    void stateAtTShowsMasterBackupsPrioritiesTrackersAndVipOwners() throws Exception {
        JsonNode before = api.read("state", "/v1/state?at=2026-11-25T03:12:00Z").get("routers").get(0);
        assertThat(before.get("masters").toString()).isEqualTo("[\"db1\"]");
        assertThat(before.get("backups").toString()).isEqualTo("[\"db2\"]");
        assertThat(before.get("vipOwners").get("10.0.0.10").asText()).isEqualTo("db1");
        assertThat(before.get("priorities").get("db1").get("effective").asInt()).isEqualTo(150);

        JsonNode gap = api.read("state", "/v1/state?at=2026-11-25T03:12:04.300Z").get("routers").get(0);
        assertThat(gap.get("masters")).isEmpty();
        assertThat(gap.get("vipOwners").size()).isZero();
        assertThat(gap.get("priorities").get("db1").get("effective").asInt()).isEqualTo(90);
        assertThat(gap.get("trackers").get("db1").get("pg_primary").asBoolean()).isFalse();

        JsonNode after = api.read("state", "/v1/state?at=" + ScriptedFailover.DB2_MASTER).get("routers").get(0);
        assertThat(after.get("masters").toString()).isEqualTo("[\"db2\"]");
        assertThat(after.get("vipOwners").get("10.0.0.10").asText()).isEqualTo("db2");

        assertThat(api.read("state", "/v1/state?at=2026-11-25T03:10:00Z").get("routers")).isEmpty();
        assertThat(api.read("state", "/v1/state?at=2026-11-25T03:12:00Z&cluster=other").get("routers")).isEmpty();
    }

    @Test
    void cursorPagesReturnEveryEventOnceInOrder() throws Exception {
        List<Long> ids = new ArrayList<>();
        String cursor = "0";
        for (int pages = 0; pages < 20; pages++) {
            JsonNode page = api.read("events", "/v1/events?limit=3&after=" + cursor);
            page.get("events").forEach(e -> ids.add(e.get("id").asLong()));
            cursor = page.get("nextCursor").asText();
            if (!page.get("more").asBoolean()) {
                break;
            }
        }
        assertThat(ids).hasSize(11).isSorted().doesNotHaveDuplicates();
        assertThat(api.read("events", "/v1/events?after=" + cursor).get("events")).isEmpty();
        JsonNode onlyDb2States = api.read("events", "/v1/events?agent=db2&type=RouterStateChanged").get("events");
        assertThat(onlyDb2States).hasSize(2);
        assertThat(api.read("events", "/v1/events?from=2026-11-25T03:12:04.461Z").get("events")).hasSize(2);
    }

    @Test
    void theNarrativeTellsTheFailover() throws Exception {
        JsonNode lines = api.read("narrative", "/v1/narrative?from=2026-11-25T03:12:00Z&to=2026-11-25T03:13:00Z&vip=10.0.0.10")
                .get("lines");
        List<String> text = new ArrayList<>();
        lines.forEach(l -> text.add(l.get("at").asText() + " " + l.get("text").asText()));
        assertThat(text).contains(
                "2026-11-25T03:12:04.100Z db1 became BACKUP of VI_PG (VRID 51, was MASTER, priority 90): a higher priority advert (100 from 192.0.2.12) while at 90",
                "2026-11-25T03:12:04.461Z VIP 10.0.0.10 moved db1 -> db2 after 360 ms without a master",
                "2026-11-25T03:12:04.461Z failover of pg-main/51/IPV4 db1 -> db2: outage 361 ms");
        assertThat(text).noneMatch(l -> l.startsWith("2026-11-25T03:11"));
    }

    @Test
    void everyBadOrUnknownParameterIs400NamingIt() throws Exception {
        Map<String, String> bad = Map.of("vip", "not-an-address", "vrid", "256", "cluster", "pg main", "node", "-db",
                "cause", "\u0001", "from", "yesterday", "to", "2026-13-01T00:00:00Z", "kind", "Meltdown", "after", "-1",
                "limit", "0");
        Map<String, String> moreBad = Map.of("type", "Router State", "at", "2026-11-25", "agent", "x".repeat(65));
        for (Route r : ROUTES) {
            for (String p : r.params().keySet()) {
                String value = bad.containsKey(p) ? bad.get(p) : moreBad.get(p);
                Map<String, String> params = new java.util.HashMap<>(r.params());
                params.put(p, value);
                assertBadParameter(r, r.path() + query(params), p);
            }
            assertBadParameter(r, r.path() + query(Map.of("colour", "red")), "colour");
        }
        assertBadParameter(ROUTES.get(0), "/v1/moves?vrid=1&vrid=2", "vrid");
        assertBadParameter(ROUTES.get(0), "/v1/moves?from=2026-11-25T03:00:00Z&to=2026-11-25T02:00:00Z", "to");
        assertBadParameter(ROUTES.get(4), "/v1/state", "at");
        assertBadParameter(ROUTES.get(2), "/v1/nodes/" + URLEncoder.encode("db1'--", StandardCharsets.UTF_8) + "/timeline", "agentId");
        HttpResponse<String> r = api.get("event", "/v1/events/12ab", Optional.of(READ_TOKEN));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(ApiClient.JSON.readTree(r.body()).get("parameter").asText()).isEqualTo("id");
    }

    private void assertBadParameter(Route r, String url, String parameter) throws Exception {
        HttpResponse<String> resp = api.get(r.operationId(), url, Optional.of(READ_TOKEN));
        assertThat(resp.statusCode()).as(url).isEqualTo(400);
        assertThat(ApiClient.JSON.readTree(resp.body()).get("parameter").asText()).as(url).isEqualTo(parameter);
    }

    @Test
    void injectionStringsThroughEveryParameterChangeNothing() throws Exception {
        int before = api.read("events", "/v1/events?limit=1000").get("events").size();
        for (Route r : ROUTES) {
            for (String p : r.params().keySet()) {
                for (String evil : INJECTIONS) {
                    Map<String, String> params = new java.util.HashMap<>(r.params());
                    params.put(p, evil);
                    HttpResponse<String> resp = api.get(r.operationId(), r.path() + query(params), Optional.of(READ_TOKEN));
                    assertThat(resp.statusCode()).as(p + "=" + evil + " on " + r.path()).isIn(200, 400);
                    if (resp.statusCode() == 200) {
                        // Only free text is accepted as is, and it is matched literally: it matches nothing.
                        assertThat(p).isEqualTo("cause");
                        assertThat(ApiClient.JSON.readTree(resp.body()).get("moves")).isEmpty();
                    }
                }
            }
            for (String evil : INJECTIONS) {
                HttpResponse<String> resp = api.get("timeline", "/v1/nodes/" + URLEncoder.encode(evil, StandardCharsets.UTF_8)
                        .replace("+", "%20") + "/timeline", Optional.of(READ_TOKEN));
                assertThat(resp.statusCode()).as(evil).isIn(400, 404);
            }
        }
        assertThat(api.read("events", "/v1/events?limit=1000").get("events")).hasSize(before);
        HttpResponse<String> verify = api.send(HttpRequest.newBuilder(api.uri("/v1/verify"))
                .header("Authorization", "Bearer " + READ_TOKEN).GET());
        assertThat(ApiClient.JSON.readTree(verify.body()).get("intact").asBoolean()).isTrue();
    }
}
