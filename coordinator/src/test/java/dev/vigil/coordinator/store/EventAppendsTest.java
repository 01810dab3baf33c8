package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.FactRecorded;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The rows EventAppends writes are the rows Axon's engine wrote: same payload bytes, same payload type. */
@Timeout(30)
class EventAppendsTest {
    @Test
    void payloadIsWhatAxonsSerializerWrites() {
        JacksonSerializer axon = JacksonSerializer.builder().objectMapper(AuditStore.axonObjectMapper())
                .lenientDeserialization().build();
        FactRecorded e = new FactRecorded("db1", "b00t-1", 7, 6, "RouterStateChanged",
                Instant.parse("2026-11-25T03:12:07.123456Z"), "{\"cause\":\"a \\\"quoted\\\" é 😀\"}",
                "0".repeat(64), "ab".repeat(32));
        EventAppends appends = new EventAppends(AuditStore.axonObjectMapper().writer());
        assertThat(appends.payload(e)).isEqualTo(axon.serialize(e, byte[].class).getData());
        for (String t : new String[] {"2026-11-25T03:12:07Z", "2026-11-25T03:12:07.100Z", "1970-01-01T00:00:00.000001Z",
                "2026-11-25T03:12:07.123456789Z"}) {
            FactRecorded other = new FactRecorded("db\u00e9\"1", "b", Long.MAX_VALUE, 0, "X", Instant.parse(t),
                    "\u0000\t\n\\/\u2028", "", "");
            assertThat(new String(appends.payload(other), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(axon.serialize(other, byte[].class).getData(), java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(EventAppends.PAYLOAD_TYPE).isEqualTo(axon.typeForClass(FactRecorded.class).getName());
        assertThat(EventAppends.EMPTY_META_DATA)
                .isEqualTo(axon.serialize(org.axonframework.messaging.MetaData.emptyInstance(), byte[].class).getData());
        assertThat(axon.deserialize(axon.serialize(e, byte[].class)).equals(e)).isTrue();
    }

    /** The COPY rows (PostgreSQL) carry the same values as the INSERT's parameters; the payloads byte for byte. */
    @Test
    void copyRowsCarryTheInsertsValues() throws Exception {
        EventAppends appends = new EventAppends(AuditStore.axonObjectMapper().writer());
        java.util.List<FactRecorded> events = java.util.List.of(
                new FactRecorded("db1", "b00t-1", 7, 6, "RouterStateChanged", Instant.parse("2026-11-25T03:12:07.123456Z"),
                        "{\"cause\":\"a \\\"quoted\\\" \u00e9 \ud83d\ude00\"}", "0".repeat(64), "ab".repeat(32)),
                new FactRecorded("db\u00e9\"1", "b", Long.MAX_VALUE, 0, "X", Instant.parse("1970-01-01T00:00:00.000001Z"),
                        "\u0000\t\n\\/\u2028" + "x".repeat(70_000), "", ""));
        Instant now = Instant.parse("2026-11-26T09:00:00.123Z");
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(appends.encode(events, now).bytes());
        byte[] header = new byte[19];
        in.get(header);
        assertThat(new String(header, 0, 11, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("PGCOPY\n\u00ff\r\n\u0000");
        java.util.Set<String> ids = new java.util.HashSet<>();
        String previousId = "";
        for (FactRecorded e : events) {
            assertThat(in.getShort()).isEqualTo((short) 9);
            String id = text(in);
            assertThat(id).hasSize(36).isGreaterThan(previousId);
            assertThat(java.util.UUID.fromString(id).version()).isEqualTo(7);
            ids.add(id);
            previousId = id;
            assertThat(text(in)).isEqualTo(e.agentId());
            assertThat(in.getInt()).isEqualTo(8);
            assertThat(in.getLong()).isEqualTo(e.chainIndex());
            assertThat(text(in)).isEqualTo(dev.vigil.coordinator.domain.AgentStream.TYPE);
            assertThat(text(in)).isEqualTo(org.axonframework.common.DateTimeUtils.formatInstant(now));
            assertThat(text(in)).isEqualTo(EventAppends.PAYLOAD_TYPE);
            assertThat(in.getInt()).isEqualTo(-1);
            assertThat(field(in)).isEqualTo(appends.payload(e));
            assertThat(field(in)).isEqualTo(EventAppends.EMPTY_META_DATA);
        }
        assertThat(in.remaining()).isZero(); // the trailer comes with finish()
        assertThat(ids).hasSize(2);
    }

    @Test
    void timestampsAreMicrosecondsSincePostgresEpoch() {
        BinaryCopy copy = new BinaryCopy(0);
        copy.timestamptz(Instant.parse("2000-01-01T00:00:01.0000015Z"));
        copy.timestamptz(Instant.parse("1999-12-31T23:59:59Z"));
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(copy.bytes(), 19, 24);
        assertThat(in.getInt()).isEqualTo(8);
        assertThat(in.getLong()).isEqualTo(1_000_002L);
        assertThat(in.getInt()).isEqualTo(8);
        assertThat(in.getLong()).isEqualTo(-1_000_000L);
    }

    private static byte[] field(java.nio.ByteBuffer in) {
        byte[] b = new byte[in.getInt()];
        in.get(b);
        return b;
    }

    private static String text(java.nio.ByteBuffer in) {
        return new String(field(in), java.nio.charset.StandardCharsets.UTF_8);
    }
}
