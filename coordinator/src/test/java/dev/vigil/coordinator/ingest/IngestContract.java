package dev.vigil.coordinator.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.verify.ChainBreak;
import dev.vigil.coordinator.verify.ChainVerdict;
import dev.vigil.coordinator.verify.Checkpoint;
import dev.vigil.coordinator.verify.SignedCheckpoint;
import dev.vigil.coordinator.verify.StoreAudit;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ingest behaviour every store must show, through the real HTTP endpoint. Subclasses supply the
 * database (H2 file, PostgreSQL cluster); {@link #storeSettings()} must return the same database
 * on every call of one test, so a restart finds what the previous coordinator stored.
 */
abstract class IngestContract {
    static final String DB1_TOKEN = "db1-token-7f3c1e0b9a";
    static final String DB2_TOKEN = "db2-token-51d2aa08ce";
    static final String OPERATOR_TOKEN = "alice-operator-token-0c5e";
    static final EnvelopeCodec CODEC = EnvelopeCodec.standard();
    static final RouterRef ROUTER = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Coordinator> running = new ArrayList<>();

    protected abstract StoreSettings storeSettings() throws Exception;

    @AfterEach
    void stopCoordinators() throws Exception {
        for (Coordinator c : running) {
            c.close();
        }
    }

    Coordinator start() throws Exception {
        AgentTokens tokens = AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(DB1_TOKEN),
                "db2", AgentTokens.sha256Hex(DB2_TOKEN)));
        Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, storeSettings().withSnapshotEvery(4),
                tokens, Optional.empty()).withOperators(AgentTokens.of(Map.of("alice", AgentTokens.sha256Hex(OPERATOR_TOKEN)))),
                Clock.systemUTC());
        running.add(c);
        return c;
    }

    void stop(Coordinator c) throws Exception {
        running.remove(c);
        c.close();
    }

    static EventEnvelope fact(String agent, String boot, long seq) {
        AgentFact f = new AgentFact.RouterStateChanged(ROUTER, RouterState.BACKUP, RouterState.MASTER,
                "master-down timer expired (seq " + seq + ")", 100, 100, Optional.of("192.0.2.11"));
        return new EventEnvelope(agent, boot, seq, Instant.parse("2026-11-25T03:12:07.123456Z").plusMillis(seq),
                1_000_000L * seq, EnvelopeCodec.CURRENT_SCHEMA, Optional.of("pg-main"), f);
    }

    static List<EventEnvelope> facts(String agent, String boot, long from, long to) {
        return LongStream.rangeClosed(from, to).mapToObj(s -> fact(agent, boot, s)).toList();
    }

    HttpResponse<String> post(Coordinator c, Optional<String> token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + "/v1/events"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<String> post(Coordinator c, String token, List<EventEnvelope> events) throws Exception {
        return post(c, Optional.of(token), CODEC.encodeBatch(events));
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static long head(HttpResponse<String> r, String boot) throws Exception {
        for (JsonNode h : json(r).get("heads")) {
            if (h.get("bootId").asText().equals(boot)) {
                return h.get("highestContiguousSeq").asLong();
            }
        }
        throw new AssertionError("no head for boot " + boot + " in " + r.body());
    }

    static long count(Coordinator c, String sql, Object... args) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection(); PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static long storedFacts(Coordinator c, String agent) throws Exception {
        long ledger = count(c, "SELECT COUNT(*) FROM ingested_fact WHERE agent_id = ?", agent);
        long events = count(c, "SELECT COUNT(*) FROM domain_event_entry WHERE aggregate_identifier = ?", agent);
        assertThat(ledger).as("ledger rows = stream events for " + agent).isEqualTo(events);
        return events;
    }

    @Test
    void storesABatchAndRepliesWithTheHeadPerBoot() throws Exception {
        Coordinator c = start();
        List<EventEnvelope> batch = new ArrayList<>(facts("db1", "boot-a", 1, 3));
        batch.addAll(facts("db1", "boot-b", 1, 2));
        HttpResponse<String> r = post(c, DB1_TOKEN, batch);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("stored").asInt()).isEqualTo(5);
        assertThat(head(r, "boot-a")).isEqualTo(3);
        assertThat(head(r, "boot-b")).isEqualTo(2);
        assertThat(storedFacts(c, "db1")).isEqualTo(5);
    }

    @Test
    void aRepeatedBatchIsStoredOnceAlsoAfterARestart() throws Exception {
        Coordinator c = start();
        List<EventEnvelope> batch = facts("db1", "boot-a", 1, 10);
        assertThat(post(c, DB1_TOKEN, batch).statusCode()).isEqualTo(200);
        HttpResponse<String> again = post(c, DB1_TOKEN, batch);
        assertThat(json(again).get("stored").asInt()).isZero();
        assertThat(json(again).get("duplicates").asInt()).isEqualTo(10);
        assertThat(head(again, "boot-a")).isEqualTo(10);
        stop(c);

        Coordinator restarted = start();
        List<EventEnvelope> overlapping = facts("db1", "boot-a", 5, 12);
        HttpResponse<String> r = post(restarted, DB1_TOKEN, overlapping);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("duplicates").asInt()).isEqualTo(6);
        assertThat(json(r).get("stored").asInt()).isEqualTo(2);
        assertThat(head(r, "boot-a")).isEqualTo(12);
        assertThat(storedFacts(restarted, "db1")).isEqualTo(12);
    }

    @Test
    void noTokenOrAWrongTokenIs401AndStoresNothing() throws Exception {
        Coordinator c = start();
        byte[] body = CODEC.encodeBatch(facts("db1", "boot-a", 1, 2));
        HttpResponse<String> none = post(c, Optional.empty(), body);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(post(c, Optional.of("not-a-token"), body).statusCode()).isEqualTo(401);
        assertThat(storedFacts(c, "db1")).isZero();
    }

    @Test
    void writingAnotherAgentsFactsIs403AndStoresNothing() throws Exception {
        Coordinator c = start();
        List<EventEnvelope> batch = new ArrayList<>(facts("db1", "boot-a", 1, 2));
        batch.add(fact("db2", "boot-x", 1));
        HttpResponse<String> r = post(c, DB1_TOKEN, batch);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(json(r).get("field").asText()).isEqualTo("events[2].agentId");
        assertThat(storedFacts(c, "db1")).isZero();
        assertThat(storedFacts(c, "db2")).isZero();
    }

    @Test
    void aMalformedBatchIs400NamingTheFirstBadFieldAndStoresNothing() throws Exception {
        Coordinator c = start();
        String good = CODEC.encode(fact("db1", "boot-a", 1));
        String bad = CODEC.encode(fact("db1", "boot-a", 2)).replace(",\"to\":\"MASTER\"", "");
        byte[] body = ("{\"events\":[" + good + "," + bad + "]}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = post(c, Optional.of(DB1_TOKEN), body);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("field").asText()).isEqualTo("events[1].fact.to");
        assertThat(json(r).get("message").asText()).isEqualTo("required field missing");
        assertThat(post(c, Optional.of(DB1_TOKEN), "not json".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(400);
        assertThat(storedFacts(c, "db1")).isZero();
    }

    @Test
    void aFactBeyondAGapWaitsForTheMissingOne() throws Exception {
        Coordinator c = start();
        List<EventEnvelope> withGap = List.of(fact("db1", "b", 1), fact("db1", "b", 2), fact("db1", "b", 4));
        HttpResponse<String> r = post(c, DB1_TOKEN, withGap);
        assertThat(json(r).get("deferred").asInt()).isEqualTo(1);
        assertThat(head(r, "b")).isEqualTo(2);
        HttpResponse<String> filled = post(c, DB1_TOKEN, List.of(fact("db1", "b", 4), fact("db1", "b", 3)));
        assertThat(json(filled).get("stored").asInt()).isEqualTo(2);
        assertThat(head(filled, "b")).isEqualTo(4);
    }

    /** The stored stream is a hash chain over the documented canonical encoding, in seq order. */
    @Test
    void storedFactsFormAHashChainOverTheirCanonicalEncoding() throws Exception {
        Coordinator c = start();
        post(c, DB1_TOKEN, facts("db1", "b", 1, 3));
        post(c, DB1_TOKEN, facts("db1", "b", 3, 6));
        List<JsonNode> stream = new ArrayList<>();
        try (Connection conn = c.store().dataSource().getConnection();
             PreparedStatement ps = conn.prepareStatement("SELECT payload FROM domain_event_entry"
                     + " WHERE aggregate_identifier = 'db1' ORDER BY sequence_number")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stream.add(JSON.readTree(rs.getBytes(1)));
                }
            }
        }
        assertThat(stream).hasSize(6);
        String previous = HashChain.GENESIS;
        for (int i = 0; i < stream.size(); i++) {
            JsonNode e = stream.get(i);
            assertThat(e.get("seq").asLong()).isEqualTo(i + 1);
            assertThat(e.get("previousHash").asText()).isEqualTo(previous);
            assertThat(e.get("envelope").asText()).isEqualTo(CODEC.encode(fact("db1", "b", i + 1)));
            previous = HashChain.next(previous, e.get("envelope").asText());
            assertThat(e.get("hash").asText()).isEqualTo(previous);
        }
    }

    // --- tamper evidence: verify names the first altered, removed or reordered event ---

    private static final ObjectMapper TREE = new ObjectMapper();

    static byte[] payload(Coordinator c, String agent, long position) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection();
             PreparedStatement ps = conn.prepareStatement("SELECT payload FROM domain_event_entry"
                     + " WHERE aggregate_identifier = ? AND sequence_number = ?")) {
            ps.setString(1, agent);
            ps.setLong(2, position);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getBytes(1);
            }
        }
    }

    static void setPayload(Coordinator c, String agent, long position, byte[] payload) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection();
             PreparedStatement ps = conn.prepareStatement("UPDATE domain_event_entry SET payload = ?"
                     + " WHERE aggregate_identifier = ? AND sequence_number = ?")) {
            ps.setBytes(1, payload);
            ps.setString(2, agent);
            ps.setLong(3, position);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    static void delete(Coordinator c, String agent, long position) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection();
             PreparedStatement ps = conn.prepareStatement("DELETE FROM domain_event_entry"
                     + " WHERE aggregate_identifier = ? AND sequence_number = ?")) {
            ps.setString(1, agent);
            ps.setLong(2, position);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    /** A stream of 6 facts for db1 and 3 for db2, verified intact before the test tampers. */
    Coordinator twoStreams() throws Exception {
        Coordinator c = start();
        assertThat(post(c, DB1_TOKEN, facts("db1", "b", 1, 6)).statusCode()).isEqualTo(200);
        assertThat(post(c, DB2_TOKEN, facts("db2", "b", 1, 3)).statusCode()).isEqualTo(200);
        assertThat(new StoreAudit(c.store().dataSource()).verify(Optional.empty()))
                .extracting(ChainVerdict::agentId, ChainVerdict::length, ChainVerdict::intact)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("db1", 6L, true),
                        org.assertj.core.groups.Tuple.tuple("db2", 3L, true));
        return c;
    }

    static ChainBreak breakOf(Coordinator c, String agent, Optional<Checkpoint> checkpoint) throws Exception {
        ChainVerdict v = new StoreAudit(c.store().dataSource()).verify(checkpoint).stream()
                .filter(x -> x.agentId().equals(agent)).findFirst().orElseThrow();
        assertThat(v.firstBreak()).as("a break in " + agent).isPresent();
        return v.firstBreak().get();
    }

    static boolean intact(Coordinator c, Optional<Checkpoint> checkpoint) throws Exception {
        return new StoreAudit(c.store().dataSource()).verify(checkpoint).stream().allMatch(ChainVerdict::intact);
    }

    static byte[] withChangedCause(byte[] payload, String newCause) throws Exception {
        ObjectNode event = (ObjectNode) TREE.readTree(payload);
        ObjectNode envelope = (ObjectNode) TREE.readTree(event.get("envelope").asText());
        ((ObjectNode) envelope.get("fact")).put("cause", newCause);
        event.put("envelope", CODEC.encode(CODEC.decode(envelope.toString())));
        return TREE.writeValueAsBytes(event);
    }

    @Test
    void verifyFindsAnEventChangedBySql() throws Exception {
        Coordinator c = twoStreams();
        setPayload(c, "db1", 3, withChangedCause(payload(c, "db1", 3), "operator promoted db2 by hand"));
        ChainBreak b = breakOf(c, "db1", Optional.empty());
        assertThat(b.position()).isEqualTo(3);
        assertThat(b.kind()).isEqualTo(ChainBreak.Kind.ALTERED);
        assertThat(new StoreAudit(c.store().dataSource()).verify(Optional.empty()))
                .filteredOn(v -> v.agentId().equals("db2")).allMatch(ChainVerdict::intact);
    }

    @Test
    void verifyFindsADeletedEvent() throws Exception {
        Coordinator c = twoStreams();
        delete(c, "db1", 2);
        ChainBreak b = breakOf(c, "db1", Optional.empty());
        assertThat(b.position()).isEqualTo(2);
        assertThat(b.kind()).isEqualTo(ChainBreak.Kind.REMOVED);
    }

    @Test
    void verifyFindsTwoSwappedEvents() throws Exception {
        Coordinator c = twoStreams();
        byte[] two = payload(c, "db1", 2);
        byte[] three = payload(c, "db1", 3);
        setPayload(c, "db1", 2, three);
        setPayload(c, "db1", 3, two);
        ChainBreak b = breakOf(c, "db1", Optional.empty());
        assertThat(b.position()).isEqualTo(2);
        assertThat(b.kind()).isEqualTo(ChainBreak.Kind.REORDERED);
    }

    @Test
    void aSignedCheckpointCatchesATruncatedTail(@org.junit.jupiter.api.io.TempDir Path checkpoints) throws Exception {
        Coordinator c = twoStreams();
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path file = StoreAudit.write(new StoreAudit(c.store().dataSource())
                .checkpoint(Instant.now(), "test-key", key.getPrivate()), checkpoints);
        Checkpoint checkpoint = SignedCheckpoint.parse(Files.readString(file)).verify(key.getPublic());
        delete(c, "db1", 5);
        delete(c, "db1", 4);
        delete(c, "db2", 2);
        assertThat(intact(c, Optional.empty())).as("a clean cut leaves a consistent chain").isTrue();
        ChainBreak b = breakOf(c, "db1", Optional.of(checkpoint));
        assertThat(b.kind()).isEqualTo(ChainBreak.Kind.TRUNCATED);
        assertThat(b.position()).isEqualTo(4);
        assertThat(breakOf(c, "db2", Optional.of(checkpoint)).position()).isEqualTo(2);
    }

    @Test
    void aSignedCheckpointCatchesATailRewrittenWithRecomputedHashes() throws Exception {
        Coordinator c = twoStreams();
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Checkpoint checkpoint = SignedCheckpoint.parse(new StoreAudit(c.store().dataSource())
                .checkpoint(Instant.now(), "test-key", key.getPrivate()).text()).verify(key.getPublic());
        // The forger rewrites positions 3..5 and recomputes every hash after the change.
        String running = TREE.readTree(payload(c, "db1", 2)).get("hash").asText();
        for (long p = 3; p <= 5; p++) {
            ObjectNode event = (ObjectNode) TREE.readTree(withChangedCause(payload(c, "db1", p), "forged " + p));
            event.put("previousHash", running);
            running = HashChain.next(running, event.get("envelope").asText());
            event.put("hash", running);
            setPayload(c, "db1", p, TREE.writeValueAsBytes(event));
        }
        assertThat(intact(c, Optional.empty())).as("the forgery is self-consistent").isTrue();
        ChainBreak b = breakOf(c, "db1", Optional.of(checkpoint));
        assertThat(b.kind()).isEqualTo(ChainBreak.Kind.REWRITTEN);
        assertThat(b.position()).isEqualTo(5);
    }

    /** Two coordinators on one database race on the same batch: each fact is stored once. */
    @Test
    void twoCoordinatorsRacingOnOneBatchStoreEachFactOnce() throws Exception {
        Coordinator a = start();
        Coordinator b = start();
        List<EventEnvelope> batch = facts("db1", "race", 1, 50);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> replies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Coordinator target = i % 2 == 0 ? a : b;
                replies.add(pool.submit(() -> post(target, DB1_TOKEN, batch)));
            }
            int stored = 0;
            for (var f : replies) {
                HttpResponse<String> r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(head(r, "race")).isEqualTo(50);
                stored += json(r).get("stored").asInt();
            }
            assertThat(stored).isEqualTo(50);
        } finally {
            pool.shutdownNow();
        }
        assertThat(storedFacts(a, "db1")).isEqualTo(50);
        assertThat(new StoreAudit(a.store().dataSource()).verify(Optional.empty())).allMatch(ChainVerdict::intact);
    }

    // --- the audit API: verify and review for operators ---

    HttpResponse<String> get(Coordinator c, Optional<String> token, String pathAndQuery) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).GET();
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static EventEnvelope at(String agent, long seq, long millis, AgentFact f) {
        return new EventEnvelope(agent, "boot", seq, Instant.parse("2026-11-25T03:12:00Z").plusMillis(millis), millis,
                EnvelopeCodec.CURRENT_SCHEMA, Optional.of("pg-main"), f);
    }

    @Test
    void theAuditApiVerifiesAndTellsTheStoryToOperatorsOnly() throws Exception {
        Coordinator c = start();
        AgentFact master = new AgentFact.RouterStateChanged(ROUTER, RouterState.BACKUP, RouterState.MASTER,
                "master-down timer expired", 100, 100, Optional.empty());
        AgentFact fault = new AgentFact.RouterStateChanged(ROUTER, RouterState.MASTER, RouterState.FAULT,
                "check pg_primary failed", 100, 100, Optional.empty());
        post(c, DB1_TOKEN, List.of(at("db1", 1, 0, master), at("db1", 2, 10_000, fault)));
        // db2's takeover arrives after the fact, as after a partition.
        post(c, DB2_TOKEN, List.of(at("db2", 1, 10_250, master)));

        assertThat(get(c, Optional.empty(), "/v1/review").statusCode()).isEqualTo(401);
        assertThat(get(c, Optional.of(DB1_TOKEN), "/v1/verify").statusCode()).as("an agent token is no read token")
                .isEqualTo(403);

        HttpResponse<String> review = get(c, Optional.of(OPERATOR_TOKEN), "/v1/review?cluster=pg-main");
        assertThat(review.statusCode()).as(review.body()).isEqualTo(200);
        List<JsonNode> changes = new ArrayList<>();
        json(review).get("facts").forEach(f -> {
            if (f.get("type").asText().equals("MasterChanged")) {
                changes.add(f);
            }
        });
        assertThat(changes).hasSize(2);
        assertThat(changes.get(1).get("fromAgent").asText()).isEqualTo("db1");
        assertThat(changes.get(1).get("toAgent").asText()).isEqualTo("db2");
        assertThat(changes.get(1).get("noMasterGapMs").asDouble()).isEqualTo(250.0);
        assertThat(json(get(c, Optional.of(OPERATOR_TOKEN), "/v1/review?cluster=elsewhere")).get("facts")).isEmpty();
        assertThat(get(c, Optional.of(OPERATOR_TOKEN), "/v1/review?since=yesterday").statusCode()).isEqualTo(400);

        assertThat(json(get(c, Optional.of(OPERATOR_TOKEN), "/v1/verify")).get("intact").asBoolean()).isTrue();
        delete(c, "db1", 0);
        JsonNode broken = json(get(c, Optional.of(OPERATOR_TOKEN), "/v1/verify"));
        assertThat(broken.get("intact").asBoolean()).isFalse();
        assertThat(broken.get("streams").get(0).get("firstBreak").get("kind").asText()).isEqualTo("REMOVED");
    }
}
