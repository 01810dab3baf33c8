package dev.vigil.coordinator;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The coordinator's {@code Type=notify} unit: a real coordinator process (embedded store, an ephemeral port)
 * reports READY=1 with the port it listens on to the {@code NOTIFY_SOCKET} this test binds, as systemd would,
 * and STOPPING=1 on SIGTERM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SystemdReadinessIT {

    @Test
    void readyOnceListeningAndStoppingOnSigterm(@TempDir Path dir) throws Exception {
        Path socketPath = dir.resolve("notify.sock");
        try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
            systemd.bind(new UnixSocketAddress(socketPath.toString()));
            systemd.configureBlocking(false);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-Daxoniq.update-checker.disabled=true", "-Ddisable-axoniq-console-message=true",
                    "-cp", System.getProperty("java.class.path"), "dev.vigil.coordinator.CoordinatorMain",
                    "--data-dir", dir.resolve("data").toString(), "--listen", "127.0.0.1:0")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("coordinator.log").toFile());
            pb.environment().put("NOTIFY_SOCKET", socketPath.toString());
            Process p = pb.start();
            try {
                List<String> got = receive(systemd, "READY=1", Duration.ofSeconds(60));
                String ready = got.get(got.size() - 1);
                assertThat(ready).contains("MAINPID=" + p.pid() + "\n").containsPattern("STATUS=listening on 127\\.0\\.0\\.1:[1-9][0-9]*");
                p.destroy();
                receive(systemd, "STOPPING=1", Duration.ofSeconds(20));
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }

    private static List<String> receive(UnixDatagramChannel channel, String awaited, Duration timeout) throws Exception {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (System.nanoTime() < deadline) {
            buf.clear();
            boolean received;
            try {
                received = channel.receive(buf) != null;
            } catch (IOException e) { // jnr reports "nothing yet" as EAGAIN
                if (!String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                    throw e;
                }
                received = false;
            }
            if (received) {
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
