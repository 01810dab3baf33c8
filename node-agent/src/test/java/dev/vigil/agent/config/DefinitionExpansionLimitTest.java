package dev.vigil.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Definitions that double each other (found by the robustness property) end in a finding, not out of memory. */
@Timeout(30)
class DefinitionExpansionLimitTest {

    @Test
    void aSelfDoublingDefinitionIsAnErrorOnItsLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keepalived.conf");
        Files.writeString(file, "$X=1\n$X=$X $X\n$X\nglobal_defs {\n}\n");
        ConfigResult result = KeepalivedConfigParser.parse(file, Optional.empty());
        assertThat(result).isInstanceOf(ConfigResult.Invalid.class);
        assertThat(((ConfigResult.Invalid) result).findings())
                .anySatisfy(f -> assertThat(f.toString()).contains("keepalived.conf:")
                        .containsAnyOf("expand this line beyond", "expand more than"));
    }

    @Test
    void definitionsThatDoubleEachOtherAreAnError(@TempDir Path dir) throws Exception {
        StringBuilder conf = new StringBuilder("$A0=xxxxxxxxxxxxxxxx\n");
        for (int i = 1; i <= 40; i++) {
            conf.append("$A").append(i).append("=$A").append(i - 1).append("$A").append(i - 1).append('\n');
        }
        conf.append("router_id $A40\n");
        Path file = dir.resolve("keepalived.conf");
        Files.writeString(file, conf);
        ConfigResult result = KeepalivedConfigParser.parse(file, Optional.empty());
        assertThat(result).isInstanceOf(ConfigResult.Invalid.class);
        assertThat(((ConfigResult.Invalid) result).findings())
                .anySatisfy(f -> assertThat(f.toString()).contains("keepalived.conf:42:").contains("expand this line beyond"));
    }
}
