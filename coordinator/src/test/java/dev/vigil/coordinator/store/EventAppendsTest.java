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
}
