package dev.vigil.agent.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The dump files: replaced, never written through a planted symlink, readable by root only. */
@Timeout(30)
class AgentControlTest {
    @TempDir
    Path tmp;

    @Test
    void aDumpReplacesASymlinkInsteadOfWritingThroughIt() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Path dump = tmp.resolve("vigil.data");
        Files.createSymbolicLink(dump, victim);
        AgentControl.write(dump, "state\n");
        assertThat(Files.readString(victim)).isEqualTo("precious\n");
        assertThat(Files.isSymbolicLink(dump)).isFalse();
        assertThat(Files.readString(dump)).isEqualTo("state\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dump))).isEqualTo("rw-------");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("victim", "vigil.data");
        }
    }
}
