package dev.vigil.agent.config;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layout does not change meaning: comments, blank lines, and '{' moved to its own line give the same
 * configuration as config/full.conf (only the instances' declaredAt lines move).
 */
@Timeout(120)
class LayoutInvarianceTest {

    private final Path dir = createDir();

    private static Path createDir() {
        try {
            return Files.createTempDirectory("vigil-layout");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterProperty
    void removeDir() throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static AgentConfig reference() throws Exception {
        Path full = Path.of(LayoutInvarianceTest.class.getResource("/config/full.conf").toURI());
        return ConfigFixture.valid(KeepalivedConfigParser.parse(full, Optional.empty()));
    }

    @Property(tries = 60)
    void commentsBlankLinesAndBraceStyleDoNotChangeTheConfig(@ForAll @IntRange(min = 0, max = 1_000_000) int seed)
            throws Exception {
        Path full = Path.of(LayoutInvarianceTest.class.getResource("/config/full.conf").toURI());
        Random random = new Random(seed);
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(full)) {
            if (random.nextInt(4) == 0) {
                out.add(random.nextBoolean() ? "" : (random.nextBoolean() ? "! " : "# ") + "note " + seed);
            }
            String l = line;
            if (l.endsWith(" {") && random.nextBoolean()) {
                out.add(l.substring(0, l.length() - 2));
                l = random.nextBoolean() ? "{" : "    {";
            }
            if (!l.contains("\"") && !l.isBlank() && random.nextInt(3) == 0) {
                l = l + (random.nextBoolean() ? "   # trailing" : "\t! trailing");
            }
            if (random.nextInt(5) == 0) {
                l = "\t " + l;
            }
            out.add(l);
        }
        Path variant = dir.resolve("variant-" + seed + ".conf");
        Files.write(variant, out);
        ConfigResult r = KeepalivedConfigParser.parse(variant, Optional.empty());
        AgentConfig c = ConfigFixture.valid(r);
        assertThat(r.findings()).isEmpty();
        AgentConfig ref = reference();
        assertThat(c.global()).isEqualTo(ref.global());
        assertThat(c.vigil()).isEqualTo(ref.vigil());
        assertThat(c.scripts()).isEqualTo(ref.scripts());
        assertThat(c.trackFiles()).isEqualTo(ref.trackFiles());
        assertThat(c.syncGroups()).isEqualTo(ref.syncGroups());
        assertThat(c.instances()).hasSameSizeAs(ref.instances());
        for (int i = 0; i < ref.instances().size(); i++) {
            assertThat(c.instances().get(i).sameSettingsAs(ref.instances().get(i))).as(ref.instances().get(i).name()).isTrue();
        }
    }
}
