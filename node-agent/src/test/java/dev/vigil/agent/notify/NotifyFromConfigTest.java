package dev.vigil.agent.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.check.Scripts;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.model.AgentFact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** From a keepalived.conf to scripts run and FIFO lines read by the configured vrrp_notify_fifo_script. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NotifyFromConfigTest {

    @TempDir
    Path dir;

    @Test
    void aConfigsNotifyScriptsAndFifoScriptSeeEveryTransitionInOrder() throws Exception {
        Path log = dir.resolve("notify.log");
        Path lines = dir.resolve("fifo.log");
        Path fifo = dir.resolve("vrrp.fifo");
        Path notify = Scripts.write(dir, "notify.sh", "echo \"$*\" >> " + log);
        // Reads the FIFO named by its last argument, as keepalived's sample_notify_fifo.sh does.
        Path reader = Scripts.write(dir, "reader.sh",
                "eval last=\\${$#}\nwhile read -r line; do echo \"$1 $line\" >> " + lines + "; done < \"$last\"");
        Path conf = dir.resolve("keepalived.conf");
        Files.writeString(conf, """
                global_defs {
                    vrrp_notify_fifo %s
                    vrrp_notify_fifo_script "%s tag"
                }
                vrrp_instance VI_1 {
                    interface lo
                    virtual_router_id 51
                    priority 150
                    virtual_ipaddress {
                        127.0.0.10/32
                    }
                    notify_master "%s master"
                    notify "%s any"
                }
                """.formatted(fifo, reader, notify, notify));
        ConfigResult result = KeepalivedConfigParser.parse(conf, Optional.empty());
        assertThat(result).as(result.findings().toString()).isInstanceOf(ConfigResult.Valid.class);
        AgentConfig config = ((ConfigResult.Valid) result).config();

        List<AgentFact> facts = new CopyOnWriteArrayList<>();
        try (ScriptLauncher launcher = ScriptLauncher.fromGlobals(config.global(), 2)) {
            List<NotifyFifoWriter> writers = NotifyFifos.open(config.global(), launcher);
            assertThat(writers).extracting(NotifyFifoWriter::path).containsExactly(fifo);
            try (NotifyRunner runner = NotifyRunner.forConfig(config, writers, launcher, Duration.ofSeconds(5),
                    facts::add)) {
                assertThat(runner.refusals()).isEmpty();
                runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.BACKUP, 150);
                runner.transition(NotifyScope.INSTANCE, "VI_1", NotifyState.MASTER, 150);
                runner.drained().get(10, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(lines)
                    && Files.readAllLines(lines).size() == 2);
            assertThat(Files.readAllLines(lines)).containsExactly("tag INSTANCE \"VI_1\" BACKUP 150",
                    "tag INSTANCE \"VI_1\" MASTER 150");
        }
        assertThat(Files.readAllLines(log)).containsExactly("any INSTANCE VI_1 BACKUP 150", "master",
                "any INSTANCE VI_1 MASTER 150");
        assertThat(facts).hasSize(3);
    }
}
