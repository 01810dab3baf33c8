package dev.vigil.agent.daemon;

import dev.vigil.lab.ExecResult;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the systemd units rely on, with a real agent process in a namespace: readiness with sd_notify on a
 * {@code NOTIFY_SOCKET} this test listens on (as systemd does for {@code Type=notify}), and the
 * {@code ExecStopPost} command ({@code vigil-agent --remove-vips}) removing the VIPs an agent killed with -9 left.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SystemdIntegrationIT {
    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @Test
    void readinessReachesTheNotifySocketAndStopPostRemovesWhatAKilledAgentLeft() throws Exception {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        String vip = seg.ip4(100);
        Path conf = writeConfig(lab, "a-vigil", instance(71, 150, 3, "0.2", "", vip + "/24"));
        Path socketPath = lab.workDir().resolve("notify.sock");

        try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
            systemd.bind(new UnixSocketAddress(socketPath.toString()));
            HostProcess agent = a.start("env", "NOTIFY_SOCKET=" + socketPath, "java", "-Xmx48m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l",
                    "-f", conf.toString());
            List<String> messages = receive(systemd, "READY=1", Duration.ofSeconds(30));
            String ready = messages.get(messages.size() - 1);
            assertThat(ready).contains("READY=1\n").contains("MAINPID=" + agent.pid() + "\n").contains("STATUS=agent ");
            agent.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(10));
            awaitHolds(a, vip, true, Duration.ofSeconds(5));

            agent.kill(); // SIGKILL: no resignation, the VIP stays on the host
            assertThat(holds(a, vip)).as("a killed agent leaves its VIP").isTrue();

            ExecResult cleanup = a.exec(Duration.ofSeconds(30), "java", "-Xmx48m", "-XX:TieredStopAtLevel=1",
                    "-cp", classPath(), "dev.vigil.agent.AgentMain", "--remove-vips", "-f", conf.toString());
            assertThat(cleanup.ok()).as("stdout %s stderr %s", cleanup.stdout(), cleanup.stderr()).isTrue();
            assertThat(cleanup.stdout()).contains("removed " + vip);
            assertThat(holds(a, vip)).isFalse();

            ExecResult again = a.exec(Duration.ofSeconds(30), "java", "-Xmx48m", "-XX:TieredStopAtLevel=1",
                    "-cp", classPath(), "dev.vigil.agent.AgentMain", "--remove-vips", "-f", conf.toString());
            assertThat(again.ok()).as("nothing left is not an error: %s", again.stderr()).isTrue();
            assertThat(again.stdout()).doesNotContain("removed");
        } finally {
            Files.deleteIfExists(socketPath);
        }
    }

    @Test
    void aStoppingAgentSaysSoBeforeItExits() throws Exception {
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Path conf = writeConfig(lab, "a-vigil", instance(72, 150, 3, "0.2", "", seg.ip4(100) + "/24"));
        Path socketPath = lab.workDir().resolve("notify2.sock");
        try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
            systemd.bind(new UnixSocketAddress(socketPath.toString()));
            HostProcess agent = a.start("env", "NOTIFY_SOCKET=" + socketPath, "java", "-Xmx48m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l",
                    "-f", conf.toString());
            receive(systemd, "READY=1", Duration.ofSeconds(30));
            agent.signal("TERM");
            assertThat(String.join("", receive(systemd, "STOPPING=1", Duration.ofSeconds(10)))).contains("STATUS=SIGTERM");
            assertThat(agent.waitFor(Duration.ofSeconds(10))).hasValue(0);
        } finally {
            Files.deleteIfExists(socketPath);
        }
    }

    /** jnr's non-blocking receive reports "nothing yet" as EAGAIN, not as null. */
    private static boolean receiveNow(UnixDatagramChannel channel, ByteBuffer buf) throws java.io.IOException {
        try {
            return channel.receive(buf) != null;
        } catch (java.io.IOException e) {
            if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                return false;
            }
            throw e;
        }
    }

    /** Datagrams until one contains {@code awaited}; fails after {@code timeout}. */
    private static List<String> receive(UnixDatagramChannel channel, String awaited, Duration timeout) throws Exception {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        channel.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (System.nanoTime() < deadline) {
            buf.clear();
            if (receiveNow(channel, buf)) {
                buf.flip();
                String m = StandardCharsets.UTF_8.decode(buf).toString();
                got.add(m);
                if (m.contains(awaited)) {
                    return got;
                }
            } else {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("no datagram with " + awaited + " within " + timeout + "; got " + got);
    }
}
