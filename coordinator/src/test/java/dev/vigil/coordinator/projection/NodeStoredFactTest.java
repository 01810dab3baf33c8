package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link NodeReadModel#storedFact}: a stored payload read by streaming (bodies decoded only for the types the fold
 * reads) folds to the same node as the fully decoded envelope; a payload whose header time is not ISO text falls
 * back to the envelope.
 */
@Timeout(10)
class NodeStoredFactTest {
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();
    private static final Instant T0 = Instant.parse("2026-11-26T03:00:00.123456Z");
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);

    @Test
    void streamingReadFoldsAsTheDecodedEnvelope() throws Exception {
        NodeReadModel model = new NodeReadModel(CODEC);
        List<AgentFact> facts = List.of(new AgentFact.AgentStarted("0.1.0", "db1", 7),
                new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER, "why \"quoted\"", 100, 100,
                        Optional.empty()),
                new AgentFact.TrackerResultChanged("pg_primary", "script", false, "in recovery", 1_000),
                new AgentFact.VipsAdded(VI, List.of("10.0.0.10/32"), true, "ok"));
        Optional<NodeFold.Node> streamed = Optional.empty();
        Optional<NodeFold.Node> decoded = Optional.empty();
        String head = HashChain.GENESIS;
        for (int i = 0; i < facts.size(); i++) {
            EventEnvelope e = new EventEnvelope("db1", "boot-1", i + 1, T0.plusMillis(i), i, 1, Optional.of("pg"), facts.get(i));
            String canonical = CODEC.encode(e);
            String hash = HashChain.next(head, canonical);
            FactRecorded r = new FactRecorded("db1", e.bootId(), e.seq(), i, e.factType(), e.time(), canonical, head, hash);
            byte[] payload = EventTables.serializer().serialize(r, byte[].class).getData();
            NodeFold.Fact s = model.storedFact(payload);
            assertThat(s.fact().isPresent()).isEqualTo(NodeFold.READ.contains(e.factType()));
            streamed = Optional.of(NodeFold.apply(streamed, s));
            decoded = Optional.of(NodeFold.apply(decoded, new NodeFold.Fact("db1", i, hash, e)));
            assertThat(streamed).isEqualTo(decoded);
            head = hash;
        }
        assertThat(streamed.orElseThrow().trackers()).containsKey("pg_primary");
        assertThat(streamed.orElseThrow().lastFactType()).isEqualTo("VipsAdded");
    }

    @Test
    void headerTimesParseAsInstantParseDoes() {
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-62_000_000_000L, 253_402_300_799L); // years 0005-9999
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(second, nanos);
            assertThat(dev.vigil.model.InstantText.parse(t.toString())).isEqualTo(t);
        }
        for (String other : List.of("2026-11-26T03:00:00+01:00", "+10000-01-01T00:00:00Z", "2026-11-26T03:00:00.Z",
                "2026-11-26T03:00Z", "2026-11-26T03:00:00.1234567891Z")) {
            Instant expected;
            try {
                expected = Instant.parse(other);
            } catch (java.time.DateTimeException e) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.vigil.model.InstantText.parse(other))
                        .isInstanceOf(java.time.DateTimeException.class);
                continue;
            }
            assertThat(dev.vigil.model.InstantText.parse(other)).isEqualTo(expected);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.vigil.model.InstantText.parse("2026-02-30T00:00:00Z"))
                .isInstanceOf(java.time.DateTimeException.class);
    }

    @Test
    void aHeaderTimeThatIsNotIsoTextIsTakenFromTheEnvelope() throws Exception {
        NodeReadModel model = new NodeReadModel(CODEC);
        EventEnvelope e = new EventEnvelope("db1", "boot-1", 1, T0, 0, 1, Optional.of("pg"),
                new AgentFact.AgentStarted("0.1.0", "db1", 7));
        String canonical = CODEC.encode(e);
        String json = "{\"agentId\":\"db1\",\"bootId\":\"boot-1\",\"seq\":1,\"chainIndex\":0,\"factType\":\"AgentStarted\","
                + "\"agentTime\":1764126000.123456,\"envelope\":" + EventTables.serializer().getObjectMapper().writeValueAsString(canonical)
                + ",\"previousHash\":\"" + HashChain.GENESIS + "\",\"hash\":\"h\"}";
        NodeFold.Fact f = model.storedFact(json.getBytes(StandardCharsets.UTF_8));
        assertThat(f.time()).isEqualTo(T0);
        assertThat(f.fact()).isPresent();
    }
}
