package dev.vigil.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.model.AgentFact.AdvertsRejected;
import dev.vigil.model.AgentFact.AgentStarted;
import dev.vigil.model.AgentFact.AgentStopping;
import dev.vigil.model.AgentFact.ConfigLoaded;
import dev.vigil.model.AgentFact.FactsThinned;
import dev.vigil.model.AgentFact.NotifyScriptRan;
import dev.vigil.model.AgentFact.PriorityChanged;
import dev.vigil.model.AgentFact.RouterStateChanged;
import dev.vigil.model.AgentFact.TrackerResultChanged;
import dev.vigil.model.AgentFact.VipsAdded;
import dev.vigil.model.AgentFact.VipsRemoved;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class EnvelopeCodecTest {
    private static final RouterRef VI_1 = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final Instant T = Instant.parse("2026-11-25T03:12:07.123456789Z");

    private final EnvelopeCodec codec = EnvelopeCodec.standard();

    static List<AgentFact> oneOfEach() {
        return List.of(
                new AgentStarted("0.1.0", "db1", 4242),
                new AgentStopping("SIGTERM"),
                new ConfigLoaded("/etc/keepalived/keepalived.conf", "ab".repeat(32), 2),
                new RouterStateChanged(VI_1, RouterState.BACKUP, RouterState.MASTER,
                        "master-down timer expired 361 ms after the last advert from 192.0.2.11 (priority 150)",
                        100, 100, Optional.of("192.0.2.11")),
                new RouterStateChanged(VI_1, RouterState.INIT, RouterState.BACKUP, "startup", 100, 100, Optional.empty()),
                new VipsAdded(VI_1, List.of("192.0.2.100/32"), true, "ok"),
                new VipsRemoved(VI_1, List.of("192.0.2.100/32"), false, "EADDRNOTAVAIL"),
                new TrackerResultChanged("pg_primary", "postgresql", false, "server is in recovery", 3_500_000),
                new PriorityChanged(VI_1, 150, 100, "pg_primary"),
                new AdvertsRejected(VI_1, Map.of("ttl", 3L, "auth", 1L), 10_000_000_000L),
                new NotifyScriptRan("VI_PG", "/usr/local/bin/notify.sh", "MASTER", 0, 12_000_000),
                new FactsThinned(Map.of("AdvertsRejected", 120L, "TrackerResultChanged", 7L), 5_000_000_000L,
                        9_000_000_000L, "outbox full (64 MiB)"));
    }

    private static EventEnvelope envelope(long seq, AgentFact fact) {
        return new EventEnvelope("db1", "b00t-1", seq, T, 987_654_321L, 1, Optional.of("pg-main"), fact);
    }

    @Test
    void everyFactTypeRoundTripsAndIsCovered() throws Exception {
        List<AgentFact> facts = oneOfEach();
        assertThat(facts).extracting(FactType::nameOf).containsAll(FactType.names());
        long seq = 1;
        for (AgentFact f : facts) {
            EventEnvelope e = envelope(seq++, f);
            assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
        }
    }

    @Test
    void timeIsTruncatedToMicrosecondsAndWrittenWithSixDigits() {
        String json = codec.encode(envelope(1, new AgentStopping("x")));
        assertThat(json).contains("\"time\":\"2026-11-25T03:12:07.123456Z\"");
        String whole = codec.encode(new EventEnvelope("db1", "b", 1, Instant.parse("2026-11-25T03:12:07Z"), 0, 1,
                Optional.empty(), new AgentStopping("x")));
        assertThat(whole).contains("\"time\":\"2026-11-25T03:12:07.000000Z\"");
    }

    @Test
    void encodingIsCanonicalWithSortedKeysAtEveryLevel() {
        String json = codec.encode(envelope(7, new AdvertsRejected(VI_1, Map.of("ttl", 3L, "auth", 1L), 5)));
        assertThat(json).isEqualTo("{\"agentId\":\"db1\",\"bootId\":\"b00t-1\",\"cluster\":\"pg-main\","
                + "\"fact\":{\"countsByReason\":{\"auth\":1,\"ttl\":3},"
                + "\"router\":{\"family\":\"IPV4\",\"instance\":\"VI_PG\",\"vrid\":51},\"windowNanos\":5},"
                + "\"monotonicNanos\":987654321,\"schemaVersion\":1,\"seq\":7,"
                + "\"time\":\"2026-11-25T03:12:07.123456Z\",\"type\":\"AdvertsRejected\"}");
    }

    @Test
    void unknownFieldsAreTolerated() throws Exception {
        String json = codec.encode(envelope(1, new AgentStopping("x")))
                .replace("\"reason\":\"x\"", "\"reason\":\"x\",\"addedLater\":[1,2]")
                .replace("\"seq\":1", "\"seq\":1,\"traceId\":\"abc\"");
        assertThat(codec.decode(json).fact()).isEqualTo(new AgentStopping("x"));
    }

    @Test
    void missingRequiredFieldIsNamedWithItsPath() {
        String json = codec.encode(envelope(1, oneOfEach().get(3))).replace(",\"vrid\":51", "");
        String batch = "{\"events\":[" + codec.encode(envelope(1, new AgentStopping("ok"))) + "," + json + "]}";
        assertThatThrownBy(() -> codec.decodeBatch(batch.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedEnvelopeException.class)
                .hasMessage("events[1].fact.router.vrid: required field missing");
    }

    @Test
    void nullRequiredFieldAndMissingEnvelopeFieldAreRefused() {
        String nullCause = codec.encode(envelope(1, oneOfEach().get(3))).replaceFirst("\"cause\":\"[^\"]*\"", "\"cause\":null");
        assertThatThrownBy(() -> codec.decode(nullCause)).hasMessage("$.fact.cause: required field missing");
        String noBoot = codec.encode(envelope(1, new AgentStopping("x"))).replace("\"bootId\":\"b00t-1\",", "");
        assertThatThrownBy(() -> codec.decode(noBoot)).hasMessage("$.bootId: required field missing");
    }

    @Test
    void wrongTypesAndBadValuesNameTheField() {
        String base = codec.encode(envelope(1, oneOfEach().get(3)));
        assertThatThrownBy(() -> codec.decode(base.replace("\"to\":\"MASTER\"", "\"to\":\"LEADER\"")))
                .isInstanceOf(MalformedEnvelopeException.class)
                .satisfies(e -> assertThat(((MalformedEnvelopeException) e).field()).isEqualTo("$.fact.to"));
        assertThatThrownBy(() -> codec.decode(base.replace("\"seq\":1", "\"seq\":\"one\"")))
                .satisfies(e -> assertThat(((MalformedEnvelopeException) e).field()).isEqualTo("$.seq"));
        assertThatThrownBy(() -> codec.decode(base.replace("\"seq\":1", "\"seq\":0")))
                .hasMessageContaining("seq must be >= 1");
        assertThatThrownBy(() -> codec.decode(base.replace("\"vrid\":51", "\"vrid\":300")))
                .hasMessageStartingWith("$.fact.router").hasMessageContaining("vrid must be 1..255");
        assertThatThrownBy(() -> codec.decode(base.replace("\"type\":\"RouterStateChanged\"", "\"type\":\"Nope\"")))
                .hasMessageStartingWith("$.type: unknown fact type 'Nope'");
        assertThatThrownBy(() -> codec.decode(base.replace("\"time\":\"2026-11-25T03:12:07.123456Z\"", "\"time\":\"yesterday\"")))
                .hasMessageStartingWith("$.time:");
        assertThatThrownBy(() -> codec.decode(base.replace("\"agentId\":\"db1\"", "\"agentId\":\"../etc\"")))
                .hasMessageContaining("agentId must match");
        assertThatThrownBy(() -> codec.decode(base.replace("\"schemaVersion\":1", "\"schemaVersion\":9")))
                .hasMessageStartingWith("$.schemaVersion: version 9 is newer");
    }

    @Test
    void notJsonAndWrongShapesAreRefused() {
        assertThatThrownBy(() -> codec.decodeBatch("{\"events\":[".getBytes(StandardCharsets.UTF_8)))
                .hasMessageStartingWith("$: not JSON");
        assertThatThrownBy(() -> codec.decodeBatch("[]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageStartingWith("$: expected an object");
        assertThatThrownBy(() -> codec.decodeBatch("{}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("events: required field missing");
        assertThatThrownBy(() -> codec.decodeBatch("{\"events\":[3]}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("events[0]: expected an object");
    }

    /**
     * Suppose schema 2 replaced TrackerResultChanged's float {@code latencyMillis} by integer
     * {@code latencyNanos}: a version-2 codec with one upcaster still reads what version-1 agents wrote,
     * and re-encodes it in the current shape.
     */
    @Test
    void upcasterReadsAnOlderSchemaVersion() throws Exception {
        FactUpcaster millisToNanos = new FactUpcaster() {
            public String factType() {
                return "TrackerResultChanged";
            }

            public int fromVersion() {
                return 1;
            }

            public ObjectNode upcast(ObjectNode fact) {
                double ms = fact.remove("latencyMillis").asDouble();
                fact.put("latencyNanos", Math.round(ms * 1_000_000));
                return fact;
            }
        };
        EnvelopeCodec v2 = new EnvelopeCodec(2, List.of(millisToNanos));
        String v1Json = "{\"agentId\":\"db1\",\"bootId\":\"b1\",\"seq\":4,\"time\":\"2026-01-01T00:00:00.000001Z\","
                + "\"monotonicNanos\":5,\"schemaVersion\":1,\"cluster\":null,\"type\":\"TrackerResultChanged\","
                + "\"fact\":{\"tracker\":\"pg\",\"kind\":\"postgresql\",\"healthy\":true,\"detail\":\"primary\",\"latencyMillis\":3.5}}";
        EventEnvelope e = v2.decode(v1Json);
        assertThat(e.fact()).isEqualTo(new TrackerResultChanged("pg", "postgresql", true, "primary", 3_500_000));
        assertThat(e.schemaVersion()).isEqualTo(2);
        assertThat(v2.encode(e)).contains("\"latencyNanos\":3500000").doesNotContain("latencyMillis");
        // Without the upcaster the old shape lacks a required field, and says so.
        assertThatThrownBy(() -> new EnvelopeCodec(2, List.of()).decode(v1Json))
                .hasMessage("$.fact.latencyNanos: required field missing");
        // A version-2 envelope is not upcast again.
        assertThat(v2.decode(v2.encode(e))).isEqualTo(e);
    }

    @Test
    void upcasterOutsideTheVersionRangeIsRejected() {
        FactUpcaster bad = new FactUpcaster() {
            public String factType() {
                return "AgentStopping";
            }

            public int fromVersion() {
                return 1;
            }

            public ObjectNode upcast(ObjectNode fact) {
                return fact;
            }
        };
        assertThatThrownBy(() -> new EnvelopeCodec(1, List.of(bad))).isInstanceOf(IllegalArgumentException.class);
    }
}
