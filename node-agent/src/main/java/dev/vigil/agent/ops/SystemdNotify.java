package dev.vigil.agent.ops;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * sd_notify(3) for {@code Type=notify} units: datagrams to the unix socket named by {@code $NOTIFY_SOCKET}
 * (a path, or {@code @name} in the abstract namespace). The JDK's unix-domain channels have no datagrams, so
 * jnr-unixsocket's. Without {@code NOTIFY_SOCKET} (not under systemd) every call does nothing. A failed send is
 * logged and never stops the agent: readiness is systemd's business, failover is ours.
 *
 * <p>With {@code WatchdogSec=} systemd sets {@code WATCHDOG_USEC}; {@link #startWatchdog} then pings at half that
 * period from a daemon thread, for as long as the process lives.
 */
public final class SystemdNotify implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent");

    private final Optional<UnixSocketAddress> target;
    private final Optional<Duration> watchdog;
    private ScheduledExecutorService pinger;

    private SystemdNotify(Optional<UnixSocketAddress> target, Optional<Duration> watchdog) {
        this.target = target;
        this.watchdog = watchdog;
    }

    /** From {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} of {@code env}. */
    public static SystemdNotify fromEnvironment(Map<String, String> env) {
        Optional<UnixSocketAddress> target = socketAddress(env.getOrDefault("NOTIFY_SOCKET", ""));
        Optional<Duration> watchdog = watchdogPeriod(env, ProcessHandle.current().pid());
        return new SystemdNotify(target, target.isPresent() ? watchdog : Optional.empty());
    }

    /** {@code @name} is the abstract namespace (a leading NUL for the kernel). */
    static Optional<UnixSocketAddress> socketAddress(String notifySocket) {
        if (notifySocket.isEmpty() || !(notifySocket.startsWith("/") || notifySocket.startsWith("@"))) {
            return Optional.empty();
        }
        return Optional.of(new UnixSocketAddress(notifySocket.startsWith("@") ? "\0" + notifySocket.substring(1) : notifySocket));
    }

    /** The watchdog timeout systemd asks for, when it is meant for this process (sd_watchdog_enabled(3)). */
    static Optional<Duration> watchdogPeriod(Map<String, String> env, long pid) {
        try {
            long usec = Long.parseLong(env.getOrDefault("WATCHDOG_USEC", ""));
            String forPid = env.getOrDefault("WATCHDOG_PID", "");
            if (usec <= 0 || !forPid.isEmpty() && Long.parseLong(forPid) != pid) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos(usec * 1000));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The readiness message: READY=1, the main pid (the JVM runs under the bin/ script's exec) and a status line. */
    static String readyMessage(long pid, String status) {
        return "READY=1\nMAINPID=" + pid + "\nSTATUS=" + status.replace('\n', ' ') + "\n";
    }

    public boolean enabled() {
        return target.isPresent();
    }

    /** Tells systemd the agent is up; {@code status} shows in {@code systemctl status}. */
    public void ready(String status) {
        send(readyMessage(ProcessHandle.current().pid(), status));
    }

    /** Tells systemd the agent is stopping (so it waits for the exit instead of counting it a failure). */
    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status.replace('\n', ' ') + "\n");
    }

    /** Pings {@code WATCHDOG=1} at half the watchdog timeout, if systemd asked for one. */
    public synchronized void startWatchdog() {
        if (watchdog.isEmpty() || pinger != null) {
            return;
        }
        long halfMicros = Math.max(1, watchdog.get().toNanos() / 2000);
        pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "systemd-watchdog");
            t.setDaemon(true);
            return t;
        });
        pinger.scheduleAtFixedRate(() -> send("WATCHDOG=1\n"), 0, halfMicros, TimeUnit.MICROSECONDS);
    }

    /** One datagram; false (and a log line) if it could not be sent. */
    public boolean send(String message) {
        if (target.isEmpty()) {
            return false;
        }
        try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), target.get());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("sd_notify to {} failed: {}", target.get().humanReadablePath(), e.getMessage());
            return false;
        }
    }

    @Override
    public synchronized void close() {
        if (pinger != null) {
            pinger.shutdownNow();
            pinger = null;
        }
    }
}
