package dev.vigil.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The canonical encoding is hashed into every stored chain, so it must not change by a byte.
 * {@code canonical-envelopes.jsonl} was written by the codec of the first release (tree-based encoding):
 * every fact type, empty and absent optionals, empty lists and maps, escapes, non-ASCII, extreme numbers.
 */
@Timeout(30)
class CanonicalEncodingGoldenTest {
    private final EnvelopeCodec codec = EnvelopeCodec.standard();

    private static List<String> golden() throws IOException {
        try (InputStream in = CanonicalEncodingGoldenTest.class.getResourceAsStream("/canonical-envelopes.jsonl")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void decodingAndEncodingAgainGivesTheSameBytes() throws Exception {
        List<String> lines = golden();
        assertThat(lines).hasSizeGreaterThan(10);
        for (String line : lines) {
            assertThat(codec.encode(codec.decode(line))).isEqualTo(line);
        }
    }

    @Test
    void theStreamingDecoderOfStoredEnvelopesAgreesWithTheGeneralOne() throws Exception {
        for (String line : golden()) {
            assertThat(codec.decodeCanonical(line)).isEqualTo(codec.decode(line));
        }
    }

    @Test
    void aBatchEncodesEachEnvelopeCanonically() throws Exception {
        List<String> lines = golden();
        List<EventEnvelope> envelopes = new java.util.ArrayList<>();
        for (String line : lines) {
            envelopes.add(codec.decode(line));
        }
        // The batch is not hashed (as UTF-8 bytes Jackson escapes surrogate pairs); what it decodes to is.
        List<EventEnvelope> decoded = codec.decodeBatch(codec.encodeBatch(envelopes));
        assertThat(decoded).isEqualTo(envelopes);
        assertThat(decoded).extracting(codec::encode).containsExactlyElementsOf(lines);
    }

    @Test
    void whatIsNotCanonicalTakesTheGeneralPathWithItsErrors() throws Exception {
        String line = golden().get(1);
        // Whitespace, an unknown field, a missing field: the same answers as decode().
        String spaced = line.replace(",\"type\":", ", \"type\" : ");
        assertThat(codec.decodeCanonical(spaced)).isEqualTo(codec.decode(line));
        String unknown = line.replace("\"reason\":", "\"later\":[1,{\"a\":2}],\"reason\":");
        assertThat(codec.decodeCanonical(unknown)).isEqualTo(codec.decode(line));
        String missing = line.replace("\"reason\":\"SIGTERM\"", "");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> codec.decodeCanonical(missing))
                .isInstanceOf(MalformedEnvelopeException.class).hasMessageContaining("fact.reason");
    }
}
