package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.FactRecorded;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The payload written straight into a COPY buffer is Jackson's (Axon's serializer's) byte for byte, for any strings. */
@Timeout(60)
class FastPayloadTest {
    private static final EventAppends APPENDS = new EventAppends(AuditStore.axonObjectMapper().writer());

    @Property(tries = 500)
    void anyStringsGiveJacksonsBytes(@ForAll String agent, @ForAll String boot, @ForAll long seq, @ForAll String type,
                                     @ForAll String envelope, @ForAll String hash) {
        FactRecorded e = new FactRecorded(agent, boot, seq, Math.abs(seq / 2), type,
                Instant.ofEpochSecond(Math.floorMod(seq, 4_000_000_000L), Math.floorMod(seq, 1_000_000_000)), envelope,
                hash, hash + boot);
        BinaryCopy out = new BinaryCopy(0);
        int start = out.mark();
        EventAppends.payload(out, e);
        byte[] written = Arrays.copyOfRange(out.bytes(), start, out.mark());
        assertThat(new String(written, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(new String(APPENDS.payload(e), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(written).isEqualTo(APPENDS.payload(e));
    }

    @Test
    void controlCharactersQuotesAndAstralCharacters() {
        String tricky = "\u0000\u0001\u001f\b\f\n\r\t\"\\/\u007f\u0080\u07ff\u0800\u2028\uffff\ud83d\ude00 é";
        FactRecorded e = new FactRecorded(tricky, "b", 1, 0, "X", Instant.parse("2026-11-25T03:12:07.123456789Z"),
                "{\"a\":\"" + tricky + "\"}", "", "");
        BinaryCopy out = new BinaryCopy(0);
        int start = out.mark();
        EventAppends.payload(out, e);
        assertThat(Arrays.copyOfRange(out.bytes(), start, out.mark())).isEqualTo(APPENDS.payload(e));
        FactRecorded lone = new FactRecorded("a", "b", 1, 0, "X", Instant.EPOCH, "\ud800x\udc00", "", "");
        BinaryCopy other = new BinaryCopy(0);
        start = other.mark();
        EventAppends.payload(other, lone);
        assertThat(Arrays.copyOfRange(other.bytes(), start, other.mark())).isEqualTo(APPENDS.payload(lone));
    }
}
