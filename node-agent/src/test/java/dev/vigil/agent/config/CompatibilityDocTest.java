package dev.vigil.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/keepalived-compatibility.md lists exactly the keywords Vocabulary knows, with the same status. */
@Timeout(30)
class CompatibilityDocTest {

    static final Path DOC = Path.of("..", "docs", "keepalived-compatibility.md");
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| ([^|]+) \\|");

    static String status(Vocabulary.Block block, String keyword) {
        if (Vocabulary.isSupported(block, keyword)) {
            return keyword.equals("smtp_alert") ? "inert (warning)" : "supported";
        }
        return Vocabulary.notActedOn(block, keyword).orElseThrow().error() ? "not supported (error)" : "inert (warning)";
    }

    @Test
    void keywordTablesMatchTheVocabulary() throws Exception {
        List<String> lines = Files.readAllLines(DOC);
        int start = lines.indexOf("## Keywords");
        assertThat(start).as("'## Keywords' section").isPositive();
        List<Map<String, String>> sections = new ArrayList<>();
        for (String line : lines.subList(start, lines.size())) {
            if (line.startsWith("## ") && !line.equals("## Keywords")) {
                break;
            }
            if (line.startsWith("### ")) {
                sections.add(new LinkedHashMap<>());
            }
            Matcher m = ROW.matcher(line);
            if (m.find() && !sections.isEmpty()) {
                sections.get(sections.size() - 1).put(m.group(1), m.group(2).strip());
            }
        }
        Vocabulary.Block[] blocks = Vocabulary.Block.values();
        assertThat(sections).hasSize(blocks.length);
        for (int i = 0; i < blocks.length; i++) {
            Map<String, String> expected = new TreeMap<>();
            for (String k : Vocabulary.allKeywords(blocks[i])) {
                expected.put(k, status(blocks[i], k));
            }
            assertThat(new TreeMap<>(sections.get(i))).as("section %s", blocks[i]).isEqualTo(expected);
        }
    }
}
