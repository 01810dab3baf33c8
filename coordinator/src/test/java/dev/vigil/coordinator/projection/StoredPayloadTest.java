package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class StoredPayloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private final EnvelopeCodec codec = EnvelopeCodec.standard();

    private static EventEnvelope envelope(int i) {
        AgentFact fact = switch (i % 3) {
            case 0 -> new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER,
                    "from \"192.0.2.11\" \\ é ✓ 😀", 100, 100, Optional.of("192.0.2.11"));
            case 1 -> new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok");
            default -> new AgentFact.PriorityChanged(VI, 150, 100, "pg_primary");
        };
        return new EventEnvelope("db" + (i % 5), "boot-1", i + 1, Instant.parse("2026-11-25T03:12:00.000001Z").plusSeconds(i),
                i, 1, i % 2 == 0 ? Optional.of("pg-main") : Optional.empty(), fact);
    }

    /** A payload shaped like a stored FactRecorded: fields around the envelope string. */
    private static byte[] payload(String envelope) throws Exception {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("agentId", "db1");
        p.put("nested", Map.of("envelope", 1));
        p.put("envelope", envelope);
        p.put("hash", "ab");
        return JSON.writeValueAsBytes(p);
    }

    @Test
    void theOnePassDecodeGivesWhatTheStringPathGives() throws Exception {
        for (int i = 0; i < 30; i++) {
            String json = codec.encode(envelope(i));
            byte[] payload = payload(json);
            assertThat(StoredPayload.envelope(payload)).isEqualTo(json);
            assertThat(StoredPayload.decode(payload, codec)).isEqualTo(codec.decode(json)).isEqualTo(envelope(i));
        }
        // Not canonical (another key order, spaces): the general path, same record.
        String spaced = codec.encode(envelope(4)).replace(",\"type\":", ", \"type\" : ");
        assertThat(StoredPayload.decode(payload(spaced), codec)).isEqualTo(envelope(4));
    }

    @Test
    void decodingBesideTheReaderKeepsOrderAndFilters() throws Exception {
        int n = StoredPayload.CHUNK * 7 + 13; // full chunks on the decoder threads, a tail on the caller's
        StoredPayload.Decoding all = new StoredPayload.Decoding(codec, o -> true);
        StoredPayload.Decoding main = new StoredPayload.Decoding(codec, o -> o.envelope().cluster().isPresent());
        List<Observed> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] p = payload(codec.encode(envelope(i)));
            Instant at = Instant.ofEpochSecond(i);
            all.add(p, at);
            main.add(p, at);
            expected.add(new Observed(envelope(i), at));
        }
        assertThat(all.finish()).isEqualTo(expected);
        assertThat(main.finish()).isEqualTo(expected.stream().filter(o -> o.envelope().cluster().isPresent()).toList());
        assertThat(new StoredPayload.Decoding(codec, o -> true).finish()).isEmpty();
        // Only some types: the others' envelopes are not decoded (even a broken one), the rest keep their order.
        StoredPayload.Decoding vips = new StoredPayload.Decoding(codec, java.util.Set.of("VipsAdded"), o -> true);
        List<Observed> expectedVips = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Instant at = Instant.ofEpochSecond(i);
            if (envelope(i).fact() instanceof AgentFact.VipsAdded) {
                Map<String, Object> kept = new LinkedHashMap<>();
                kept.put("factType", "VipsAdded");
                kept.put("envelope", codec.encode(envelope(i)));
                vips.add(i % 2 == 0 ? JSON.writeValueAsBytes(kept) : payload(codec.encode(envelope(i))), at);
                expectedVips.add(new Observed(envelope(i), at));
            } else {
                Map<String, Object> skipped = new LinkedHashMap<>();
                skipped.put("factType", envelope(i).factType());
                skipped.put("envelope", "not even JSON");
                vips.add(JSON.writeValueAsBytes(skipped), at);
            }
        }
        assertThat(vips.finish()).isEqualTo(expectedVips).hasSize((n + 1) / 3);
    }

    @Test
    void anUndecodableRowFailsTheReadWhereverItIs() throws Exception {
        byte[] bad = payload(codec.encode(envelope(1)).replace("\"agentId\":\"db1\"", "\"agentId\":\"no/such\""));
        for (int at : new int[] {3, StoredPayload.CHUNK * 3 + 1}) {
            StoredPayload.Decoding d = new StoredPayload.Decoding(codec, o -> true);
            assertThatThrownBy(() -> {
                for (int i = 0; i < StoredPayload.CHUNK * 3 + 5; i++) {
                    d.add(i == at ? bad : payload(codec.encode(envelope(i))), Instant.EPOCH);
                }
                d.finish();
            }).isInstanceOf(SQLException.class).hasMessageContaining("does not decode").hasMessageContaining("agentId");
        }
        assertThatThrownBy(() -> StoredPayload.decode("{\"other\":1}".getBytes(), codec)).hasMessageContaining("no envelope");
    }
}
