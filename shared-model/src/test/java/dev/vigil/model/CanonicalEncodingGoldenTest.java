package dev.vigil.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            assertThat(codec.encode(codec.decodeTree(line))).isEqualTo(line);
        }
    }

    @Test
    void theStreamingDecoderOfStoredEnvelopesAgreesWithTheGeneralOne() throws Exception {
        for (String line : golden()) {
            assertThat(codec.decodeCanonical(line)).isEqualTo(codec.decodeTree(line));
        }
    }

    /** The envelope's characters somewhere inside a larger buffer, as a stored payload's string token hands them over. */
    private EventEnvelope decodeFromChars(String json) throws MalformedEnvelopeException {
        char[] buffer = ("{\"x\":\"" + json + "\"}").toCharArray();
        return codec.decodeCanonical(buffer, 6, json.length());
    }

    @Test
    void theCharRangeDecoderAgreesWithTheGeneralOne() throws Exception {
        for (String line : golden()) {
            assertThat(decodeFromChars(line)).isEqualTo(codec.decodeTree(line));
        }
        String line = golden().get(1);
        assertThat(decodeFromChars(line.replace(",\"type\":", ", \"type\" : "))).isEqualTo(codec.decodeTree(line));
        assertThat(decodeFromChars(line.replace("\"reason\":", "\"later\":[1,{\"a\":2}],\"reason\":")))
                .isEqualTo(codec.decodeTree(line));
        assertThatThrownBy(() -> decodeFromChars(line.replace("\"reason\":\"SIGTERM\"", "")))
                .isInstanceOf(MalformedEnvelopeException.class).hasMessageContaining("fact.reason");
        assertThatThrownBy(() -> decodeFromChars("{\"type\":\"}"))
                .isInstanceOf(MalformedEnvelopeException.class);
    }

    @Test
    void aBatchEncodesEachEnvelopeCanonically() throws Exception {
        List<String> lines = golden();
        List<EventEnvelope> envelopes = new java.util.ArrayList<>();
        for (String line : lines) {
            envelopes.add(codec.decodeTree(line));
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
        assertThat(codec.decodeCanonical(spaced)).isEqualTo(codec.decodeTree(line));
        String unknown = line.replace("\"reason\":", "\"later\":[1,{\"a\":2}],\"reason\":");
        assertThat(codec.decodeCanonical(unknown)).isEqualTo(codec.decodeTree(line));
        String missing = line.replace("\"reason\":\"SIGTERM\"", "");
        assertThatThrownBy(() -> codec.decodeCanonical(missing))
                .isInstanceOf(MalformedEnvelopeException.class).hasMessageContaining("fact.reason");
    }

    @Test
    void theHandParsedCanonicalTimeIsInstantParse() {
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(r.nextLong(0, 253_402_300_799L), r.nextInt(1_000_000) * 1_000L);
            String text = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
                    .withZone(java.time.ZoneOffset.UTC).format(t);
            assertThat(InstantText.parse(text)).as(text).isEqualTo(Instant.parse(text));
            assertThat(EnvelopeCodec.time(t)).isEqualTo(text);
        }
        for (String edge : List.of("-0001-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                "+10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.000001Z")) {
            Instant t = Instant.parse(edge);
            assertThat(EnvelopeCodec.time(t)).isEqualTo(java.time.format.DateTimeFormatter
                    .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(java.time.ZoneOffset.UTC).format(t));
        }
        assertThatThrownBy(() -> InstantText.parse("2026-02-30T00:00:00.000000Z"))
                .isInstanceOf(java.time.format.DateTimeParseException.class);
    }

    @Test
    void aBatchInAnotherKeyOrderDecodesTheSame() throws Exception {
        String line = golden().get(3);
        String typeFirst = line.replace(",\"type\":\"RouterStateChanged\"}", "}")
                .replace("{\"agentId\"", "{\"type\":\"RouterStateChanged\",\"agentId\"");
        byte[] batch = ("{\"v\":1,\"events\":[" + line + "," + typeFirst.replace("\"seq\":4", "\"seq\":5") + "]}")
                .getBytes(StandardCharsets.UTF_8);
        List<EventEnvelope> out = codec.decodeBatch(batch);
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).isEqualTo(codec.decodeTree(line));
        assertThat(out.get(1).fact()).isEqualTo(out.get(0).fact());
        assertThat(out.get(1).seq()).isEqualTo(5);
    }
}
