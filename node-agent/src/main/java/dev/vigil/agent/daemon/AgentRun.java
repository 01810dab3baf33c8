package dev.vigil.agent.daemon;

import ch.qos.logback.classic.Level;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.Finding;
import dev.vigil.agent.net.LinuxCallFailed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The process around {@link AgentDaemon}: log level, pid file, signals. SIGTERM and SIGINT stop it (masters send
 * priority 0 and remove their VIPs) and the process exits 0 within a second; SIGHUP is logged (reload is issue 5).
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

    public AgentRun(AgentConfig config, List<Finding> warnings, Optional<Path> pidFile, boolean detail, Path file,
                    PrintWriter err) {
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
        Signal.handle(new Signal("HUP"), s -> LOG.warn("SIGHUP: reload not yet supported; configuration unchanged"));

        String agentId = config.vigil().agentId().orElseGet(AgentRun::hostName);
        LOG.info("Starting Vigil agent {} (cluster {}, state {}) with {}: {} vrrp_instance(s)", agentId,
                config.vigil().cluster(), config.vigil().stateDir(), file, config.instances().size());
        AgentDaemon daemon;
        try {
            daemon = AgentDaemon.start(config);
        } catch (LinuxCallFailed | IllegalArgumentException | IllegalStateException e) {
            LOG.error("cannot start: {}", e.getMessage());
            err.println("vigil-agent: cannot start: " + e.getMessage());
            err.flush();
            return dev.vigil.agent.AgentMain.EXIT_CANNOT_RUN;
        }
        pidFile.ifPresent(AgentRun::writePid);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("{} received: stopping", stopSignal[0].isEmpty() ? "interrupt" : stopSignal[0]);
        daemon.stop(STOP_BUDGET_MILLIS);
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
