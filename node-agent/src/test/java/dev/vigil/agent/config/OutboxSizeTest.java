package dev.vigil.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class OutboxSizeTest {

    private static ConfigResult parse(Path dir, String vigilBody) throws Exception {
        Path file = dir.resolve("keepalived.conf");
        Files.writeString(file, "vigil {\n" + vigilBody + "}\n");
        return KeepalivedConfigParser.parse(file, Optional.empty(), name -> true);
    }

    @Test
    void outboxSizeTakesASizeWithAUnit(@TempDir Path dir) throws Exception {
        ConfigResult r = parse(dir, "    outbox_size 16MB\n");
        assertThat(r).isInstanceOf(ConfigResult.Valid.class);
        assertThat(((ConfigResult.Valid) r).config().vigil().outboxBytes()).isEqualTo(16L << 20);
    }

    @Test
    void withoutItTheOutboxHoldsSixtyFourMebibytes(@TempDir Path dir) throws Exception {
        ConfigResult r = parse(dir, "    cluster pg\n");
        assertThat(((ConfigResult.Valid) r).config().vigil().outboxBytes()).isEqualTo(VigilSettings.DEFAULT_OUTBOX_BYTES);
    }

    @Test
    void aTooSmallOrMeaninglessSizeIsAnErrorOnItsLine(@TempDir Path dir) throws Exception {
        for (String bad : new String[] {"1KB", "lots"}) {
            ConfigResult r = parse(dir, "    outbox_size " + bad + "\n");
            assertThat(r).isInstanceOf(ConfigResult.Invalid.class);
            assertThat(r.findings()).anySatisfy(f -> assertThat(f.toString())
                    .contains("keepalived.conf:2: error:").contains("outbox_size '" + bad + "'"));
        }
    }
}
