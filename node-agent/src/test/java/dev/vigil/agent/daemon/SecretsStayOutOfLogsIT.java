package dev.vigil.agent.daemon;

import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every secret a configuration holds stays out of the logs, in both formats and at detail level (-D), including
 * on the paths that fail: a VRRP password (ours, and a peer's wrong one arriving on the wire), the coordinator
 * token (the coordinator does not answer, so shipping fails and retries), and a pg_check password (its server
 * refuses). The test then greps every log file the lab wrote.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecretsStayOutOfLogsIT {
    static final String OUR_PASS = "Pw0rd-A1";
    static final String PEER_PASS = "Wr0ng-B2";
    static final String TOKEN = "tok-3f9c1e77a0b54c2d9e8f";
    static final String PG_PASSWORD = "pg-s3cret-41d2";

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @Test
    void noSecretReachesAnyLog() throws Exception {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        Host c = lab.host("c", seg);
        String vip = seg.ip4(100);
        Path token = lab.workDir().resolve("agent.token");
        Files.writeString(token, TOKEN + "\n");

        String secretConfig = """
                vigil {
                    agent_id a
                    state_dir %s
                    coordinator http://127.0.0.1:9
                    token_file %s
                }
                vrrp_script chk_pg {
                    pg_check {
                        role any
                        host 127.0.0.1
                        port 9
                        user vigil
                        password %s
                    }
                    interval 0.3
                }
                """.formatted(lab.workDir().resolve("a-state"), token, PG_PASSWORD);
        String auth = "authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n  track_script {\n    chk_pg weight 0\n  }";
        HostProcess text = start(a, "text", secretConfig + instance(91, 150, 2, "1", auth.formatted(OUR_PASS), vip + "/24"));
        HostProcess json = start(b, "json", secretConfig.replace("agent_id a", "agent_id b").replace("a-state", "b-state")
                + instance(91, 100, 2, "1", auth.formatted(OUR_PASS), vip + "/24"));
        // a peer with the wrong password: its adverts are refused by a and b, and logged at detail level
        HostProcess wrong = start(c, "text", instance(91, 200, 2, "1",
                "authentication {\n    auth_type PASS\n    auth_pass " + PEER_PASS + "\n  }", vip + "/24"));
        text.awaitLog("Entering", Duration.ofSeconds(30));
        json.awaitLog("Entering", Duration.ofSeconds(30));
        wrong.awaitLog("Entering MASTER STATE", Duration.ofSeconds(30));
        // long enough for failed checks, refused adverts and shipping retries to be logged
        text.awaitLog("chk_pg", Duration.ofSeconds(10));
        Thread.sleep(3000);
        assertThat(json.log()).as("the JSON format").contains("\"formattedMessage\"");
        // the failing paths did run, so their silence about secrets means something
        assertThat(text.log()).contains("shipping facts:").contains("check chk_pg failed");
        text.signal("TERM");
        json.signal("TERM");
        wrong.signal("TERM");
        text.waitFor(Duration.ofSeconds(10));
        json.waitFor(Duration.ofSeconds(10));
        wrong.waitFor(Duration.ofSeconds(10));

        List<Path> logs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(lab.workDir())) {
            files.filter(f -> f.getFileName().toString().endsWith(".log")).forEach(logs::add);
        }
        assertThat(logs).hasSizeGreaterThanOrEqualTo(3);
        for (Path log : logs) {
            String content = Files.readString(log);
            for (String secret : List.of(OUR_PASS, PEER_PASS, TOKEN, PG_PASSWORD)) {
                assertThat(content).as("%s must not show %s", log.getFileName(), secret).doesNotContain(secret);
            }
        }
    }

    private HostProcess start(Host host, String format, String config) {
        Path file = writeConfig(lab, host.name() + "-secrets", config);
        return host.start("env", "VIGIL_LOG_FORMAT=" + format, "java", "-Xms24m", "-Xmx48m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l", "-D",
                "-f", file.toString());
    }
}
