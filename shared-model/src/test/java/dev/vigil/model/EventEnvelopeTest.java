package dev.vigil.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class EventEnvelopeTest {
    private static List<String> candidates() {
        List<String> out = new ArrayList<>(List.of("", "a", "A", "0", "-", ".", "_", "a-b", "a.b", "a_b", "-a", ".a", "_a",
                "db1", "b00t-1", "ab c", "a/b", "é", "aé", "a\u0000", "a\n", "a:b", "ä1", "\u0661", "a\u0661", "Z9-z.y_x",
                "a".repeat(63), "a".repeat(64), "a".repeat(65), "-".repeat(64), "1" + "_".repeat(63), "1" + "_".repeat(64)));
        for (char c = 0; c < 256; c++) {
            out.add("x" + c);
            out.add(c + "x");
            out.add(String.valueOf(c));
        }
        return out;
    }

    @Test
    void theHandMatchedIdsAreExactlyThePatterns() {
        for (String s : candidates()) {
            assertThat(EventEnvelope.isAgentId(s)).as("agent id '%s'", s).isEqualTo(EventEnvelope.AGENT_ID.matcher(s).matches());
            assertThat(EventEnvelope.isBootId(s)).as("boot id '%s'", s).isEqualTo(EventEnvelope.BOOT_ID.matcher(s).matches());
        }
    }
}
