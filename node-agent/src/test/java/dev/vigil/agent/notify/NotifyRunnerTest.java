package dev.vigil.agent.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.check.Scripts;
import dev.vigil.agent.config.NotifyScripts;
import dev.vigil.agent.config.ScriptCommand;
import dev.vigil.model.AgentFact;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NotifyRunnerTest {

    @TempDir
    Path dir;

    private final String marker = "vigil-test-" + UUID.randomUUID();
    private final ScriptLauncher launcher = new ScriptLauncher(false, Optional.empty(), 2, System::nanoTime);
    private final List<AgentFact> facts = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        launcher.close();
        Scripts.killAll(marker);
    }

    private static Optional<ScriptCommand> cmd(String c) {
        return Optional.of(new ScriptCommand(c, Optional.empty()));
    }

    @Test
    void scriptsGetTheirArgumentsAndRunInTheOrderOfManyQuickTransitions() throws Exception {
        Path log = dir.resolve("log");
        Path record = Scripts.write(dir, "record.sh", "echo \"$*\" >> " + log);
        NotifyScripts scripts = new NotifyScripts(cmd(record + " master-only 'a b'"), cmd(record + " backup-only"),
                Optional.empty(), Optional.empty(), Optional.empty(), cmd(record + " notify"), Optional.empty());
        List<String> expected = new ArrayList<>();
        try (NotifyRunner runner = new NotifyRunner(Map.of("VI_1", scripts), Map.of(), List.of(), launcher,
                Duration.ofSeconds(5), facts::add)) {
            for (int i = 0; i < 40; i++) {
                boolean master = i % 2 == 0;
                runner.transition(NotifyScope.INSTANCE, "VI_1", master ? NotifyState.MASTER : NotifyState.BACKUP,
                        100 + i);
                expected.add(master ? "master-only a b" : "backup-only");
                expected.add("notify INSTANCE VI_1 " + (master ? "MASTER" : "BACKUP") + " " + (100 + i));
            }
            runner.drained().get(50, TimeUnit.SECONDS);
        }
        assertThat(Files.readAllLines(log)).containsExactlyElementsOf(expected);
        assertThat(facts).hasSize(80).allSatisfy(f -> {
            AgentFact.NotifyScriptRan ran = (AgentFact.NotifyScriptRan) f;
            assertThat(ran.scope()).isEqualTo("INSTANCE VI_1");
            assertThat(ran.exitCode()).isZero();
            assertThat(ran.durationNanos()).isPositive();
        });
        assertThat(((AgentFact.NotifyScriptRan) facts.get(0)).transition()).isEqualTo("MASTER");
        assertThat(((AgentFact.NotifyScriptRan) facts.get(0)).script()).isEqualTo(record + " master-only 'a b'");
    }

    @Test
    void aFailingScriptIsRecordedWithItsExitCodeAndAStopScriptIsCutAfterOneSecond() throws Exception {
        Path fail = Scripts.write(dir, "fail.sh", "exit 4");
        Path hang = Scripts.write(dir, marker + "-hang.sh", "sleep 30");
        NotifyScripts scripts = new NotifyScripts(Optional.empty(), Optional.empty(), cmd(fail.toString()),
                cmd(hang.toString()), Optional.empty(), Optional.empty(), Optional.empty());
        try (NotifyRunner runner = new NotifyRunner(Map.of("VI_1", scripts), Map.of(), List.of(), launcher,
                Duration.ofSeconds(10), facts::add)) {
            runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.FAULT, 100);
            runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.STOP, 100);
            runner.drained().get(20, TimeUnit.SECONDS);
        }
        assertThat(facts).hasSize(2);
        AgentFact.NotifyScriptRan fault = (AgentFact.NotifyScriptRan) facts.get(0);
        AgentFact.NotifyScriptRan stop = (AgentFact.NotifyScriptRan) facts.get(1);
        assertThat(fault.exitCode()).isEqualTo(4);
        assertThat(stop.transition()).isEqualTo("STOP");
        assertThat(stop.exitCode()).isEqualTo(-1);
        assertThat(Duration.ofNanos(stop.durationNanos())).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
        assertThat(Scripts.pgrep(marker)).isEmpty();
    }

    @Test
    void transitionReturnsAtOnceWhileAScriptRuns() throws Exception {
        Path slow = Scripts.write(dir, marker + "-slow.sh", "sleep 2");
        NotifyScripts scripts = new NotifyScripts(cmd(slow.toString()), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        try (NotifyRunner runner = new NotifyRunner(Map.of("VI_1", scripts), Map.of(), List.of(), launcher,
                Duration.ofSeconds(5), facts::add)) {
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.MASTER, 100);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));
            runner.close(Duration.ZERO);
        }
    }

    @Test
    void fifoLinesArriveInTransitionOrder() throws Exception {
        Path fifo = dir.resolve("notify.fifo");
        NotifyFifoWriter writer = NotifyFifoWriter.open(fifo);
        try (NotifyRunner runner = new NotifyRunner(Map.of(), Map.of(), List.of(writer), launcher,
                Duration.ofSeconds(5), facts::add);
             BufferedReader reader = Files.newBufferedReader(fifo, StandardCharsets.UTF_8)) {
            runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.BACKUP, 100);
            runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.MASTER, 100);
            runner.transition(NotifyScope.GROUP, "G1", NotifyState.MASTER, 100);
            runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.STOP, 100);
            assertThat(List.of(reader.readLine(), reader.readLine(), reader.readLine(), reader.readLine()))
                    .containsExactly("INSTANCE \"VI_1\" BACKUP 100", "INSTANCE \"VI_1\" MASTER 100",
                            "GROUP \"G1\" MASTER 0", "INSTANCE \"VI_1\" STOP 100");
        }
        assertThat(facts).isEmpty();
    }
}
