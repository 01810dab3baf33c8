package dev.vigil.agent.daemon;

import ch.qos.logback.classic.Level;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.Finding;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.ops.AgentMetrics;
import dev.vigil.agent.ops.MetricsEndpoint;
import dev.vigil.agent.ops.SystemdNotify;
import dev.vigil.agent.report.Reporting;
import dev.vigil.model.AgentFact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The process around {@link AgentDaemon}: log level, pid file, signals. SIGTERM and SIGINT stop it (masters send
 * priority 0 and remove their VIPs) and the process exits 0 within a second; SIGHUP reloads, SIGUSR1/SIGUSR2 dump
 * state and statistics, the admin socket answers {@code vigilctl} ({@link AgentControl}).
 */
public final class AgentRun {
    /** Time from SIGTERM to exit: within keepalived's promise of a prompt resignation. */
    static final long STOP_BUDGET_MILLIS = 800;
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent");

    private final AgentConfig config;
    private final List<Finding> warnings;
    private final Optional<Path> pidFile;
    private final boolean detail;
    private final Path file;
    private final PrintWriter err;
    private final java.util.function.Supplier<dev.vigil.agent.config.ConfigResult> reread;
    private final Optional<InetSocketAddress> metricsListen;

    public AgentRun(AgentConfig config, List<Finding> warnings, Optional<Path> pidFile, boolean detail, Path file,
                    PrintWriter err) {
        this(config, warnings, pidFile, detail, file, err, () -> {
            throw new IllegalStateException("this agent was started without a way to read its file again");
        }, Optional.empty());
    }

    /**
     * @param reread        parses {@code file} again for a reload, as at start (blocking)
     * @param metricsListen where to serve Prometheus metrics, if anywhere
     */
    public AgentRun(AgentConfig config, List<Finding> warnings, Optional<Path> pidFile, boolean detail, Path file,
                    PrintWriter err, java.util.function.Supplier<dev.vigil.agent.config.ConfigResult> reread,
                    Optional<InetSocketAddress> metricsListen) {
        this.reread = reread;
        this.metricsListen = metricsListen;
        this.config = config;
        this.warnings = List.copyOf(warnings);
        this.pidFile = pidFile;
        this.detail = detail;
        this.file = file;
        this.err = err;
    }

    /** Runs until SIGTERM/SIGINT; returns the exit status. */
    public int run() {
        if (detail && LoggerFactory.getLogger("dev.vigil") instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(Level.DEBUG);
        }
        warnings.forEach(w -> LOG.warn("{}", w.format()));
        CountDownLatch stop = new CountDownLatch(1);
        String[] stopSignal = {""};
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), s -> {
                stopSignal[0] = "SIG" + s.getName();
                stop.countDown();
            });
        }
        // until the daemon runs, a SIGHUP has nothing to reload (the default action would kill the JVM)
        Signal.handle(new Signal("HUP"), s -> LOG.warn("SIGHUP before the agent started: ignored"));

        String agentId = config.vigil().agentId().orElseGet(AgentRun::hostName);
        LOG.info("Starting Vigil agent {} (cluster {}, state {}) with {}: {} vrrp_instance(s)", agentId,
                config.vigil().cluster(), config.vigil().stateDir(), file, config.instances().size());
        AgentMetrics metrics = new AgentMetrics(agentId, metricsListen.isPresent());
        Reporting reporting;
        try {
            reporting = Reporting.start(config.vigil(), agentId,
                    Reporting.Options.defaults().withOutboxBytes(config.vigil().outboxBytes())
                            .onStored(stored -> metrics.acknowledged(stored.size()))
                            // facts are durable on disk before close(); a long grace would break the 1 s exit
                            .withCloseGraceMillis(100));
        } catch (UncheckedIOException e) {
            // Failover never waits for reporting: without a usable outbox the agent still runs, and says so.
            LOG.error("reporting disabled: {}", e.getMessage());
            reporting = Reporting.disabled();
        }
        String version = Optional.ofNullable(AgentRun.class.getPackage().getImplementationVersion()).orElse("dev");
        Reporting outbox = reporting;
        Consumer<AgentFact> record = fact -> {
            metrics.observe(fact);
            outbox.record(fact);
        };
        record.accept(new AgentFact.AgentStarted(version, hostName(), ProcessHandle.current().pid()));
        record.accept(new AgentFact.ConfigLoaded(file.toAbsolutePath().toString(), sha256(file),
                config.instances().size()));
        AgentDaemon daemon;
        try {
            daemon = AgentDaemon.start(config, record);
        } catch (LinuxCallFailed | IllegalArgumentException | IllegalStateException e) {
            LOG.error("cannot start: {}", e.getMessage());
            err.println("vigil-agent: cannot start: " + e.getMessage());
            err.flush();
            reporting.record(new AgentFact.AgentStopping("cannot start: " + e.getMessage()));
            reporting.close();
            return dev.vigil.agent.AgentMain.EXIT_CANNOT_RUN;
        }
        Reporting shipping = reporting;
        AgentControl control = new AgentControl(daemon, file, sha256(file), reread, shipping::record, agentId,
                next -> {
                    try {
                        return AgentDaemon.start(next, shipping::record);
                    } catch (LinuxCallFailed e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }).reportingFrom(() -> metrics.reporting(config.vigil().coordinators().stream().map(Object::toString).toList()))
                .start();
        pidFile.ifPresent(AgentRun::writePid);
        metrics.readRoutersFrom(() -> control.daemon().figures()); // the daemon a reload may have replaced
        metrics.readBalancerFrom(() -> control.daemon().balancerFigures());
        Optional<MetricsEndpoint> endpoint = metricsListen.flatMap(a -> serveMetrics(a, metrics));
        SystemdNotify systemd = SystemdNotify.fromEnvironment(System.getenv());
        systemd.ready("agent " + agentId + ": " + config.instances().size() + " vrrp_instance(s) running");
        systemd.startWatchdog();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String why = stopSignal[0].isEmpty() ? "interrupt" : stopSignal[0];
        LOG.info("{} received: stopping", why);
        reporting.record(new AgentFact.AgentStopping(why));
        systemd.stopping(why + ": resigning and removing VIPs");
        systemd.close();
        control.close();
        control.daemon().stop(STOP_BUDGET_MILLIS);
        endpoint.ifPresent(MetricsEndpoint::close);
        // After the VIPs are gone: what is still queued reaches the disk, and ships if the coordinator answers at once.
        reporting.close();
        pidFile.ifPresent(p -> {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("could not remove pid file {}: {}", p, e.getMessage());
            }
        });
        LOG.info("Stopped Vigil agent {}", agentId);
        return 0;
    }

    /** Metrics are for watching: an address that cannot be bound is logged and the agent runs without them. */
    private static Optional<MetricsEndpoint> serveMetrics(InetSocketAddress address, AgentMetrics metrics) {
        try {
            MetricsEndpoint e = MetricsEndpoint.start(address, metrics);
            LOG.info("metrics on http://{}:{}/metrics", e.address().getHostString(), e.address().getPort());
            return Optional.of(e);
        } catch (IOException | RuntimeException e) {
            LOG.error("metrics endpoint {} not started: {}", address, e.toString());
            return Optional.empty();
        }
    }

    /** The configuration as read, for the audit trail (what exactly was running). */
    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException | NoSuchAlgorithmException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private static void writePid(Path p) {
        try {
            Files.writeString(p, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            LOG.warn("could not write pid file {}: {}", p, e.getMessage());
        }
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
