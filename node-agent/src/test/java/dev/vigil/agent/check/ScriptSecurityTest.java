package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ScriptSecurityTest {

    @TempDir
    Path dir;

    @Test
    void aScriptInAWorldWritableDirectoryIsUnsafe() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = Scripts.write(open, "chk.sh", "exit 0");
        assertThat(ScriptSecurity.unsafe(script)).hasValueSatisfying(m -> assertThat(m)
                .startsWith("unsafe permissions for script " + script + ": "));
    }

    @Test
    void aWorldWritableScriptIsUnsafe() throws Exception {
        Path script = Scripts.write(dir, "chk.sh", "exit 0");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThat(ScriptSecurity.unsafe(script)).isPresent();
    }

    @Test
    void aBareNameIsLocatedOnThePath() throws Exception {
        Path script = Scripts.write(dir, "mycheck", "exit 0");
        assertThat(ScriptSecurity.locate("mycheck", "/nonexistent:" + dir)).contains(script);
        assertThat(ScriptSecurity.locate("mycheck", "/nonexistent")).isEmpty();
    }

    @Test
    void aNonExecutableFileIsUnusable() throws Exception {
        Path file = dir.resolve("plain");
        Files.writeString(file, "exit 0");
        assertThat(ScriptSecurity.unusable(file)).contains("script " + file + " is not executable");
        assertThat(ScriptSecurity.unusable(dir)).contains("script " + dir + " is not a regular file");
    }

    @Test
    void passwdAndGroupLinesParse() {
        assertThat(RunAs.fromPasswdLine("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"))
                .contains(new RunAs("nobody", 65534, 65534));
        assertThat(RunAs.fromPasswdLine("broken")).isEmpty();
        assertThat(RunAs.gidFromGroupLine("nogroup:x:65534:")).contains(65534);
    }
}
