package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.agent.config.ScriptUser;
import dev.vigil.lab.Requirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Needs root: switching users, and a root-owned path that script security accepts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptLauncherIT {

    @TempDir
    Path dir;

    private ScriptLauncher secure;
    private ScriptLauncher lax;

    @BeforeEach
    void setUp() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("setpriv");
        Requirements.requireCommand("setsid");
        // JUnit's temp dir is 0700: let nobody reach the scripts in it (still root-owned, not writable by others).
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        secure = new ScriptLauncher(true, Optional.empty(), 2, System::nanoTime);
        lax = new ScriptLauncher(false, Optional.empty(), 2, System::nanoTime);
    }

    @AfterEach
    void tearDown() {
        if (secure != null) {
            secure.close();
            lax.close();
        }
    }

    private static ScriptOutcome run(ScriptLauncher launcher, ScriptLauncher.Prepared p) {
        assertThat(p).isInstanceOf(ScriptLauncher.Ready.class);
        return launcher.run((ScriptLauncher.Ready) p, List.of(), Duration.ofSeconds(5)).join();
    }

    @Test
    void aScriptRunsAsTheConfiguredUserWithThatUsersGroups() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path ids = out.resolve("ids");
        Path script = Scripts.write(dir, "whoami.sh", "echo $(id -u) $(id -g) $(id -G) > " + ids);
        ScriptLauncher.Prepared p = secure.prepare(script.toString(), Optional.of(new ScriptUser("nobody",
                Optional.empty())));
        assertThat(((ScriptLauncher.Ready) p).runAs()).isEqualTo(new RunAs("nobody", 65534, 65534));
        assertThat(run(secure, p).succeeded()).isTrue();
        assertThat(Files.readString(ids).trim()).isEqualTo("65534 65534 65534");
    }

    @Test
    void anExplicitGroupIsUsed() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path ids = out.resolve("ids");
        Path script = Scripts.write(dir, "whoami.sh", "echo $(id -u) $(id -g) > " + ids);
        ScriptLauncher.Prepared p = secure.prepare(script.toString(), Optional.of(new ScriptUser("nobody",
                Optional.of("root"))));
        assertThat(run(secure, p).succeeded()).isTrue();
        assertThat(Files.readString(ids).trim()).isEqualTo("65534 0");
    }

    @Test
    void anUnknownUserIsRefused() throws Exception {
        Path script = Scripts.write(dir, "ok.sh", "exit 0");
        ScriptLauncher.Prepared p = secure.prepare(script.toString(),
                Optional.of(new ScriptUser("no-such-user-vigil", Optional.empty())));
        assertThat(p).isEqualTo(new ScriptLauncher.Refused(script.toString(),
                "script user 'no-such-user-vigil' does not exist"));
    }

    @Test
    void scriptSecurityRefusesAScriptInAWorldWritableDirectory() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = Scripts.write(open, "chk.sh", "exit 0");
        ScriptLauncher.Prepared p = secure.prepare(script.toString(), Optional.empty());
        assertThat(p).isEqualTo(new ScriptLauncher.Refused(script.toString(), "unsafe permissions for script "
                + script + ": " + open + " is writable by others (mode 0777) (enable_script_security)"));
        // Without enable_script_security it runs (and the agent warns once).
        ScriptLauncher.Prepared laxPrepared = lax.prepare(script.toString(), Optional.empty());
        assertThat(((ScriptLauncher.Ready) laxPrepared).insecure()).isTrue();
        assertThat(run(lax, laxPrepared).succeeded()).isTrue();
    }

    @Test
    void scriptSecurityRefusesAScriptOwnedByAnotherUserOrGroupWritable() throws Exception {
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        Path owned = Scripts.write(dir, "owned.sh", "exit 0");
        Files.setOwner(owned, users.lookupPrincipalByName("nobody"));
        assertThat(secure.prepare(owned.toString(), Optional.empty())).isEqualTo(new ScriptLauncher.Refused(
                owned.toString(), "unsafe permissions for script " + owned + ": " + owned
                + " is owned by uid 65534, not root (enable_script_security)"));

        Path groupWritable = Scripts.write(dir, "group.sh", "exit 0");
        Files.getFileAttributeView(groupWritable, java.nio.file.attribute.PosixFileAttributeView.class)
                .setGroup(users.lookupPrincipalByGroupName("nogroup"));
        Files.setPosixFilePermissions(groupWritable, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertThat(secure.prepare(groupWritable.toString(), Optional.empty())).isInstanceOf(
                ScriptLauncher.Refused.class);
        // Group-writable by root's own group is safe.
        Path rootGroup = Scripts.write(dir, "rootgroup.sh", "exit 0");
        Files.setPosixFilePermissions(rootGroup, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertThat(run(secure, secure.prepare(rootGroup.toString(), Optional.empty())).succeeded()).isTrue();
    }

    /** Started in its own JVM by the test below: runs one script through a launcher, then waits to be killed. */
    public static final class ScriptParent {
        public static void main(String[] args) throws Exception {
            ScriptLauncher launcher = new ScriptLauncher(false, Optional.empty(), 1, System::nanoTime);
            Optional<ScriptUser> user = args[1].equals("root") ? Optional.empty()
                    : Optional.of(new ScriptUser(args[1], Optional.empty()));
            launcher.run((ScriptLauncher.Ready) launcher.prepare(args[0], user), List.of(), Duration.ofMinutes(5));
            Thread.sleep(60_000);
        }
    }

    @Test
    void scriptsGetSigtermWhenTheAgentDies() throws Exception {
        // setpriv --pdeathsig: a SIGKILLed agent leaves no script behind, also for a switched user (a credential
        // change clears the signal, so setpriv must set it after switching).
        for (String user : List.of("root", "nobody")) {
            String marker = "vigil-test-pdeath-" + java.util.UUID.randomUUID();
            Path script = Scripts.write(dir, marker + ".sh", "while :; do sleep 0.1; done");
            // The agent's own command line names the script too: match the shell running it only.
            String running = "^/bin/sh " + script;
            Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ScriptParent.class.getName(), script.toString(),
                    user).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                        .until(() -> !Scripts.pgrep(running).isEmpty());
                agent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                org.awaitility.Awaitility.await(user + "'s script is gone").atMost(Duration.ofSeconds(3))
                        .until(() -> Scripts.pgrep(running).isEmpty());
            } finally {
                agent.destroyForcibly();
                Scripts.killAll(marker);
            }
        }
    }

    @Test
    void aStickyWorldWritableDirectoryIsAllowedAsKeepalivedDoes() throws Exception {
        Path sticky = Files.createDirectory(dir.resolve("sticky"));
        Files.setPosixFilePermissions(sticky, PosixFilePermissions.fromString("rwxrwxrwx"));
        new ProcessBuilder("chmod", "+t", sticky.toString()).start().waitFor(5, TimeUnit.SECONDS);
        Path script = Scripts.write(sticky, "chk.sh", "exit 0");
        assertThat(ScriptSecurity.unsafe(script)).isEmpty();
    }
}
