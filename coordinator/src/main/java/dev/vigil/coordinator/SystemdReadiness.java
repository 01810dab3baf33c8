package dev.vigil.coordinator;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * sd_notify(3) for the coordinator's {@code Type=notify} unit: READY=1 once HTTP listens, STOPPING=1 on the way
 * out, as datagrams to {@code $NOTIFY_SOCKET} (jnr-unixsocket: the JDK's unix channels have no datagrams). The
 * agent's fuller version (watchdog) is {@code dev.vigil.agent.ops.SystemdNotify}; the two modules share no code.
 * Not under systemd, nothing is sent; a failed send is logged, never fatal.
 */
final class SystemdReadiness {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdReadiness.class);

    private SystemdReadiness() {
    }

    static void ready(String status) {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + status.replace('\n', ' ') + "\n");
    }

    static void stopping() {
        send("STOPPING=1\n");
    }

    private static void send(String message) {
        Optional<UnixSocketAddress> target = Optional.ofNullable(System.getenv("NOTIFY_SOCKET"))
                .filter(s -> s.startsWith("/") || s.startsWith("@"))
                .map(s -> new UnixSocketAddress(s.startsWith("@") ? "\0" + s.substring(1) : s));
        if (target.isEmpty()) {
            return;
        }
        try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), target.get());
        } catch (IOException | RuntimeException e) {
            LOG.warn("sd_notify to {} failed: {}", target.get().humanReadablePath(), e.getMessage());
        }
    }
}
