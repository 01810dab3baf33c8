package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.Finding;
import dev.vigil.agent.control.AdminSocket;
import dev.vigil.agent.control.AgentStatus;
import dev.vigil.agent.control.StatusJson;
import dev.vigil.agent.control.StatusText;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.model.AgentFact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The running agent's controls: reload (SIGHUP, {@code vigilctl reload}), the state and statistics dumps (SIGUSR1,
 * SIGUSR2) and the admin socket. Every piece of work runs on one control thread, in the order asked: reading and
 * parsing a file is blocking I/O that must stay off the event loop, and two reloads must never interleave.
 *
 * <p>A reload parses the file again; a file with errors is refused (each error logged as {@code file:line}) and the
 * running configuration stays. Otherwise {@link ConfigReload} decides which instances are kept untouched, restarted,
 * removed or added, and {@link AgentDaemon#reload} applies it.
 */
public final class AgentControl implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent");
    /** Where SIGUSR1 and SIGUSR2 write, as keepalived writes /tmp/keepalived.data, .stats and .json. */
    public static final Path DATA_FILE = Path.of("/tmp/vigil.data");
    public static final Path STATS_FILE = Path.of("/tmp/vigil.stats");
    public static final Path JSON_FILE = Path.of("/tmp/vigil.json");
    private static final long STATUS_WAIT_SECONDS = 5;

    private final Path file;
    private final Supplier<ConfigResult> reread;
    private final Consumer<AgentFact> facts;
    private final String agentId;
    private final Function<AgentConfig, AgentDaemon> restart;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vigil-control");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong reloads = new AtomicLong();
    private volatile Supplier<dev.vigil.agent.control.ReportingStatus> reporting =
            () -> dev.vigil.agent.control.ReportingStatus.UNKNOWN;
    private final AtomicLong refused = new AtomicLong();
    private volatile AgentDaemon daemon;
    private volatile String sha256;
    private volatile Instant loadedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    private AdminSocket admin;

    /** What a reload did: applied (with the plan's summary) or refused (with why). */
    public record ReloadOutcome(boolean applied, String message) {
    }

    /**
     * @param reread  parses the configuration file again (blocking; called on the control thread)
     * @param restart starts a whole new daemon on a configuration (a reload whose shared script settings changed)
     */
    public AgentControl(AgentDaemon daemon, Path file, String sha256, Supplier<ConfigResult> reread,
                        Consumer<AgentFact> facts, String agentId, Function<AgentConfig, AgentDaemon> restart) {
        this.daemon = daemon;
        this.file = file;
        this.sha256 = sha256;
        this.reread = reread;
        this.facts = facts;
        this.agentId = agentId;
        this.restart = restart;
    }

    /** Where {@code status} reads the outbox and coordinator link from (the agent's metrics). */
    public AgentControl reportingFrom(Supplier<dev.vigil.agent.control.ReportingStatus> source) {
        this.reporting = source;
        return this;
    }

    /** Installs SIGHUP, SIGUSR1 and SIGUSR2 and opens the admin socket (a socket that cannot open is logged). */
    public AgentControl start() {
        Signal.handle(new Signal("HUP"), s -> reload("SIGHUP"));
        Signal.handle(new Signal("USR1"), s -> dump("SIGUSR1"));
        Signal.handle(new Signal("USR2"), s -> dump("SIGUSR2"));
        Path socket = daemon.config().vigil().adminSocket();
        try {
            admin = AdminSocket.open(socket, this::command);
        } catch (IOException | RuntimeException e) {
            // the admin socket is a convenience: VRRP runs without it
            LOG.error("admin socket {} not opened: {}", socket, e.getMessage());
        }
        return this;
    }

    /** The daemon running now (a reload of shared script settings replaces it). */
    public AgentDaemon daemon() {
        return daemon;
    }

    /** Queues a reload; the future completes when it was applied or refused. */
    public CompletableFuture<ReloadOutcome> reload(String trigger) {
        try {
            return CompletableFuture.supplyAsync(() -> reloadNow(trigger), worker);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("{}: not reloading, the agent is stopping", trigger);
            return CompletableFuture.completedFuture(new ReloadOutcome(false, "the agent is stopping"));
        }
    }

    private ReloadOutcome reloadNow(String trigger) {
        LOG.info("{}: reloading {}", trigger, file);
        ConfigResult result;
        try {
            result = reread.get();
        } catch (RuntimeException e) {
            return refuse(trigger, file + ": " + e.getMessage(), List.of());
        }
        if (result instanceof ConfigResult.Invalid) {
            List<Finding> errors = result.findings().stream().filter(Finding::isError).toList();
            return refuse(trigger, errors.size() + " error(s) in the new configuration", errors);
        }
        AgentConfig next = ((ConfigResult.Valid) result).config();
        result.findings().forEach(f -> LOG.warn("{}", f.format()));
        AgentDaemon running = daemon;
        ConfigReload plan = ConfigReload.plan(running.config(), next);
        plan.notes().forEach(n -> LOG.warn("reload: {}", n));
        try {
            if (plan.restartsEverything()) {
                LOG.info("reload: {}", plan.summary());
                running.stop(AgentRun.STOP_BUDGET_MILLIS);
                try {
                    daemon = restart.apply(next);
                } catch (RuntimeException e) {
                    LOG.error("reload: the new configuration did not start ({}); starting the previous one again",
                            e.getMessage());
                    daemon = restart.apply(running.config());
                    throw e;
                }
            } else if (plan.changesNothing()) {
                LOG.info("reload: no instance changed; {} instance(s) keep running", plan.kept().size());
                running.reload(next, plan); // still the new file's virtual servers, notify scripts, and config()
            } else {
                LOG.info("reload: {}", plan.summary());
                running.reload(next, plan);
            }
        } catch (IllegalArgumentException | IllegalStateException | LinuxCallFailed e) {
            return refuse(trigger, e.getMessage(), List.of());
        }
        sha256 = AgentRun.sha256(file);
        loadedAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        reloads.incrementAndGet();
        facts.accept(new AgentFact.ConfigLoaded(file.toAbsolutePath().toString(), sha256, next.instances().size()));
        String summary = plan.changesNothing() ? "no instance changed" : plan.summary();
        LOG.info("{}: reload done: {}", trigger, summary);
        return new ReloadOutcome(true, summary);
    }

    private ReloadOutcome refuse(String trigger, String why, List<Finding> errors) {
        refused.incrementAndGet();
        errors.forEach(f -> LOG.error("{}", f.format()));
        LOG.error("{}: reload refused, the running configuration stays: {}", trigger, why);
        String detail = errors.isEmpty() ? why
                : why + ": " + String.join("; ", errors.stream().map(Finding::format).toList());
        return new ReloadOutcome(false, detail);
    }

    /** The agent as it stands (waits for the event loop's answer). */
    public AgentStatus status() {
        AgentDaemon d = daemon;
        try {
            return new AgentStatus(agentId, ProcessHandle.current().pid(), file.toAbsolutePath().toString(), sha256,
                    loadedAt.toString(), reloads.get(), refused.get(),
                    d.instances().get(STATUS_WAIT_SECONDS, TimeUnit.SECONDS), d.checks(), reporting.get());
        } catch (Exception e) {
            throw new IllegalStateException("the event loop did not answer: " + e, e);
        }
    }

    private void dump(String signal) {
        if (worker.isShutdown()) {
            return;
        }
        worker.execute(() -> {
            try {
                AgentStatus s = status();
                if (signal.equals("SIGUSR1")) {
                    write(DATA_FILE, StatusText.data(s));
                    write(JSON_FILE, StatusJson.write(s));
                    LOG.info("{}: state written to {} and {}", signal, DATA_FILE, JSON_FILE);
                } else {
                    write(STATS_FILE, StatusText.stats(s));
                    LOG.info("{}: statistics written to {}", signal, STATS_FILE);
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("{}: dump not written: {}", signal, e.getMessage());
            }
        });
    }

    /**
     * Writes a fresh 0600 file in the same directory and renames it over {@code target}: a rename replaces whatever
     * is there (a symlink planted in /tmp included) instead of writing through it, as keepalived's fixed /tmp paths
     * once did (CVE-2018-19044).
     */
    static void write(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The admin socket's commands: reads for anyone who can connect, state changes for root only. */
    private AdminSocket.Reply command(String command, int peerUid) {
        switch (command) {
            case "status", "stats" -> {
                return AdminSocket.Reply.ok(StatusJson.write(status()));
            }
            case "reload" -> {
                if (peerUid != 0) {
                    return AdminSocket.Reply.refused("reload changes state: root only (peer uid " + peerUid + ")");
                }
                try {
                    ReloadOutcome o = reload("vigilctl reload").get(60, TimeUnit.SECONDS);
                    return o.applied() ? AdminSocket.Reply.ok(o.message()) : AdminSocket.Reply.refused(o.message());
                } catch (Exception e) {
                    return AdminSocket.Reply.refused("reload did not finish: " + e);
                }
            }
            default -> {
                return AdminSocket.Reply.refused("unknown command '" + command + "' (status, stats, reload)");
            }
        }
    }

    /** Closes the admin socket and the control thread; signals fall back to being ignored-by-logging. */
    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        worker.shutdownNow();
    }
}
