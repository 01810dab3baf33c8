package dev.vigil.agent.check;

import dev.vigil.agent.config.GlobalDefs;
import dev.vigil.agent.config.ScriptUser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts scripts as keepalived does, for track scripts and notify scripts alike: no shell, the configured user (or
 * {@code script_user}, or {@code keepalived_script} if that user exists, or root), script security, its own process
 * group, parent-death SIGTERM, and a timeout that sends SIGTERM to the group and SIGKILL 2 s later.
 *
 * <p>{@link #prepare} resolves the program and the user and checks security: it reads the file system and asks
 * {@code getent}, so call it at startup or reload, not on an event loop. {@link #run} never blocks: each run waits for
 * its process on one of the launcher's own threads. Those threads live as long as the launcher because the kernel
 * sends the parent-death signal when the <em>thread</em> that started a child ends.
 */
public final class ScriptLauncher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptLauncher.class);
    static final String SECURITY_VIOLATION =
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled";
    static final Duration KILL_GRACE = Duration.ofSeconds(2);

    /** A script the launcher can run, or why it will not. */
    public sealed interface Prepared {
        String command();
    }

    /** {@code argv} is the resolved program and its configured arguments (without the wrapper). */
    public record Ready(String command, List<String> argv, RunAs runAs, boolean insecure) implements Prepared {
        public Ready {
            argv = List.copyOf(argv);
        }
    }

    public record Refused(String command, String reason) implements Prepared {}

    private final boolean scriptSecurity;
    private final Optional<ScriptUser> defaultUser;
    private final ExecutorService threads;
    private final LongSupplier nanoClock;
    private final AtomicBoolean warnedInsecure = new AtomicBoolean();
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    public ScriptLauncher(boolean scriptSecurity, Optional<ScriptUser> defaultUser, int threadCount,
                          LongSupplier nanoClock) {
        this.scriptSecurity = scriptSecurity;
        this.defaultUser = defaultUser;
        this.nanoClock = nanoClock;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threadCount, r -> {
            Thread t = new Thread(r, "vigil-script-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code threadCount} bounds how many scripts run at once; further runs wait their turn. */
    public static ScriptLauncher fromGlobals(GlobalDefs globals, int threadCount) {
        return new ScriptLauncher(globals.enableScriptSecurity(), globals.scriptUser(), threadCount, System::nanoTime);
    }

    public boolean scriptSecurity() {
        return scriptSecurity;
    }

    /** Resolves and checks a command line as keepalived would before its first run. Blocking (file system, getent). */
    public Prepared prepare(String command, Optional<ScriptUser> user) {
        List<String> words = ScriptArguments.split(command);
        if (words.isEmpty()) {
            return new Refused(command, "empty script");
        }
        Optional<Path> program = ScriptSecurity.locate(words.get(0), Optional.ofNullable(System.getenv("PATH"))
                .orElse("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        if (program.isEmpty()) {
            return new Refused(command, "script " + words.get(0) + " not found on PATH");
        }
        Optional<String> unusable = ScriptSecurity.unusable(program.get());
        if (unusable.isPresent()) {
            return new Refused(command, unusable.get());
        }
        RunAs runAs;
        try {
            runAs = resolveUser(user.or(() -> defaultUser));
        } catch (IllegalArgumentException e) {
            return new Refused(command, e.getMessage());
        }
        Optional<String> unsafe = ScriptSecurity.unsafe(program.get());
        if (unsafe.isPresent()) {
            if (scriptSecurity) {
                LOG.warn("{} - disabling", unsafe.get());
                return new Refused(command, unsafe.get() + " (enable_script_security)");
            }
            LOG.warn("{}", unsafe.get());
            if (warnedInsecure.compareAndSet(false, true)) {
                LOG.warn(SECURITY_VIOLATION);
            }
        }
        List<String> argv = new ArrayList<>(words);
        argv.set(0, program.get().toString());
        return new Ready(command, argv, runAs, unsafe.isPresent());
    }

    /**
     * Runs a prepared script with {@code extraArguments} appended (a notify script's type, name, state and priority).
     * The future completes when the process has ended (by itself, or killed after {@code timeout}); never
     * exceptionally.
     */
    public CompletableFuture<ScriptOutcome> run(Ready script, List<String> extraArguments, Duration timeout) {
        CompletableFuture<ScriptOutcome> result = new CompletableFuture<>();
        try {
            threads.execute(() -> {
                try {
                    result.complete(runHere(script, extraArguments, timeout));
                } catch (Throwable t) {
                    result.complete(new ScriptOutcome.NotStarted(String.valueOf(t), Duration.ZERO));
                }
            });
        } catch (RejectedExecutionException e) {
            result.complete(new ScriptOutcome.NotStarted("the agent is stopping", Duration.ZERO));
        }
        return result;
    }

    private ScriptOutcome runHere(Ready script, List<String> extraArguments, Duration timeout)
            throws InterruptedException {
        List<String> command = new ArrayList<>(script.runAs().wrapper());
        command.addAll(script.argv());
        command.addAll(extraArguments);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        long start = nanoClock.getAsLong();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new ScriptOutcome.NotStarted(e.getMessage(), Duration.ofNanos(nanoClock.getAsLong() - start));
        }
        running.add(process);
        try {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return ScriptOutcome.fromExitValue(process.exitValue(), Duration.ofNanos(nanoClock.getAsLong() - start));
            }
            // The script leads its own group (setsid): its children are signalled with it.
            Posix.killGroup(process.pid(), Posix.SIGTERM);
            if (!process.waitFor(KILL_GRACE.toNanos(), TimeUnit.NANOSECONDS)) {
                Posix.killGroup(process.pid(), Posix.SIGKILL);
                process.waitFor();
            } else {
                // The leader left on SIGTERM; children that ignore it must not outlive the timeout either.
                Posix.killGroup(process.pid(), Posix.SIGKILL);
            }
            return new ScriptOutcome.TimedOut(timeout, Duration.ofNanos(nanoClock.getAsLong() - start));
        } finally {
            running.remove(process);
        }
    }

    private static RunAs resolveUser(Optional<ScriptUser> configured) {
        if (configured.isEmpty()) {
            // keepalived's default: the user keepalived_script if it exists, else root.
            return getent("passwd", "keepalived_script").flatMap(RunAs::fromPasswdLine).orElse(RunAs.ROOT);
        }
        ScriptUser user = configured.get();
        RunAs base = getent("passwd", user.user()).flatMap(RunAs::fromPasswdLine)
                .orElseThrow(() -> new IllegalArgumentException("script user '" + user.user() + "' does not exist"));
        if (user.group().isEmpty()) {
            return base;
        }
        int gid = getent("group", user.group().get()).flatMap(RunAs::gidFromGroupLine)
                .orElseThrow(() -> new IllegalArgumentException("script group '" + user.group().get()
                        + "' does not exist"));
        return new RunAs(base.user(), base.uid(), gid);
    }

    private static Optional<String> getent(String database, String key) {
        try {
            Process p = new ProcessBuilder("getent", database, key).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? out.lines().findFirst() : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Stops taking runs and sends SIGTERM to every script still running (keepalived kills track scripts at stop). */
    @Override
    public void close() {
        threads.shutdown();
        for (Process p : running) {
            Posix.killGroup(p.pid(), Posix.SIGTERM);
        }
    }
}
