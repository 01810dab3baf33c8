package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.agent.config.ScriptUser;
import dev.vigil.agent.config.VrrpScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptCheckTest {

    @TempDir
    Path dir;

    private final String marker = "vigil-test-" + UUID.randomUUID();
    private final ScriptLauncher launcher = new ScriptLauncher(false, Optional.empty(), 4, System::nanoTime);

    @AfterEach
    void cleanUp() throws Exception {
        launcher.close();
        Scripts.killAll(marker);
    }

    private ScriptCheck check(String command, Duration timeout) {
        VrrpScript script = new VrrpScript("chk", command, Duration.ofSeconds(1), timeout, 0, false, 1, 1,
                Optional.<ScriptUser>empty(), false);
        return ScriptCheck.of(script, launcher);
    }

    private ProbeResult runOnce(ScriptCheck check) {
        return check.run().join();
    }

    @Test
    void exitZeroPassesAndOtherStatusesFailWithKeepalivedsWords() throws Exception {
        Path ok = Scripts.write(dir, "ok.sh", "exit 0");
        Path bad = Scripts.write(dir, "bad.sh", "exit \"$1\"");
        ProbeResult pass = runOnce(check(ok.toString(), Duration.ofSeconds(5)));
        assertThat(pass.passed()).isTrue();
        assertThat(pass.detail()).isEqualTo("exit status 0");
        ProbeResult fail = runOnce(check(bad + " 3", Duration.ofSeconds(5)));
        assertThat(fail.passed()).isFalse();
        assertThat(fail.detail()).isEqualTo("exit status 3");
    }

    @Test
    void aSignalledScriptFailsNamingTheSignal() throws Exception {
        Path killed = Scripts.write(dir, "killed.sh", "kill -9 $$");
        ProbeResult r = runOnce(check(killed.toString(), Duration.ofSeconds(5)));
        assertThat(r.passed()).isFalse();
        assertThat(r.detail()).isEqualTo("killed by signal 9");
    }

    @Test
    void argumentsArePassedWithoutAShell() throws Exception {
        Path out = dir.resolve("args.txt");
        Path echo = Scripts.write(dir, "args.sh", "for a in \"$@\"; do echo \"[$a]\"; done > " + out);
        ProbeResult r = runOnce(check(echo + " 'two words' $HOME *", Duration.ofSeconds(5)));
        assertThat(r.passed()).isTrue();
        assertThat(Files.readAllLines(out)).containsExactly("[two words]", "[$HOME]", "[*]");
    }

    @Test
    void timeoutKillsTheWholeProcessGroup() throws Exception {
        // Both the script (its file name) and its child (its $0) carry the marker.
        // The script leaves a child behind; both must be gone after the timeout.
        Path slow = Scripts.write(dir, marker + "-slow.sh",
                "sh -c 'while :; do sleep 0.2; done' " + marker + " &\nsleep 300\n");
        long start = System.nanoTime();
        ProbeResult r = runOnce(check(slow.toString(), Duration.ofMillis(500)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.passed()).isFalse();
        assertThat(r.detail()).isEqualTo("timed out after 500 ms");
        assertThat(took).isBetween(Duration.ofMillis(450), Duration.ofMillis(2500));
        await().atMost(Duration.ofSeconds(3)).until(() -> Scripts.pgrep(marker).isEmpty());
    }

    @Test
    void theChildOfARunningScriptIsSeenByPgrep() throws Exception {
        // Guards the test above: the marker does find a live child.
        Path slow = Scripts.write(dir, marker + "-bg.sh", "sh -c 'while :; do sleep 0.2; done' " + marker + " &\nsleep 1");
        var run = check(slow.toString(), Duration.ofSeconds(5)).run();
        await().atMost(Duration.ofSeconds(3)).until(() -> Scripts.pgrep(marker).size() >= 2);
        run.join();
    }

    @Test
    void aScriptIgnoringSigtermIsKilledTwoSecondsLater() throws Exception {
        Path stubborn = Scripts.write(dir, marker + "-stubborn.sh",
                "trap '' TERM\nsh -c 'trap \"\" TERM; while :; do sleep 0.2; done' " + marker + " &\nwhile true; do sleep 0.1; done");
        long start = System.nanoTime();
        ProbeResult r = runOnce(check(stubborn.toString(), Duration.ofMillis(300)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.detail()).isEqualTo("timed out after 300 ms");
        assertThat(took).isBetween(Duration.ofMillis(2200), Duration.ofMillis(4500));
        await().atMost(Duration.ofSeconds(3)).until(() -> Scripts.pgrep(marker).isEmpty());
    }

    @Test
    void aMissingScriptIsRefusedWithItsPath() {
        ScriptCheck c = check(dir.resolve("nope.sh").toString(), Duration.ofSeconds(1));
        assertThat(c.refusal()).contains("script " + dir.resolve("nope.sh") + " does not exist");
        ProbeResult r = runOnce(c);
        assertThat(r.passed()).isFalse();
        assertThat(r.detail()).contains("does not exist");
    }

    @Test
    void aBareNameIsFoundOnPath() {
        ProbeResult r = runOnce(check("true", Duration.ofSeconds(5)));
        assertThat(r.passed()).isTrue();
        assertThat(runOnce(check("false", Duration.ofSeconds(5))).detail()).isEqualTo("exit status 1");
    }

    @Test
    void aRunIsSkippedWhileThePreviousStillRuns() throws Exception {
        Path runs = dir.resolve("runs.txt");
        Path slow = Scripts.write(dir, "slow.sh", "echo run >> " + runs + "\nsleep 0.45");
        ScriptCheck check = check(slow.toString(), Duration.ofSeconds(5));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (CheckRunner runner = new CheckRunner(Tracker.start("chk", 1, 1, false), check, Duration.ofMillis(100),
                scheduler, System::nanoTime, c -> { }, r -> { })) {
            runner.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(runs)
                    && Files.readAllLines(runs).size() >= 3);
            runner.close();
            assertThat(runner.skippedRuns()).isGreaterThanOrEqualTo(6);
            assertThat(runner.tracker().status()).isEqualTo(TrackerStatus.OK);
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void theScriptLeadsItsOwnProcessGroup() throws Exception {
        Path out = dir.resolve("pg.txt");
        Path pg = Scripts.write(dir, "pg.sh", "echo $$ $(ps -o pgid= -p $$) > " + out);
        assertThat(runOnce(check(pg.toString(), Duration.ofSeconds(5))).passed()).isTrue();
        String[] ids = Files.readString(out).trim().split("\\s+");
        assertThat(ids[1]).isEqualTo(ids[0]);
    }
}
