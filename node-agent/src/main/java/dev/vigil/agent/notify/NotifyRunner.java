package dev.vigil.agent.notify;

import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.check.ScriptOutcome;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.NotifyScripts;
import dev.vigil.agent.config.ScriptCommand;
import dev.vigil.agent.config.SyncGroup;
import dev.vigil.agent.config.VrrpInstance;
import dev.vigil.model.AgentFact;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an agent's notify scripts and writes its notify FIFOs, in the order the transitions happened.
 * {@link #transition} returns at once (callable from a Vert.x event loop): the event joins one queue per agent, whose
 * thread runs each of the transition's commands ({@link NotifyPlan}) to its end or its timeout before the next, and
 * one FIFO thread writes the lines in the same order (a hung script does not delay the FIFO). Each run yields an
 * {@link AgentFact.NotifyScriptRan}. {@code STOP} runs get {@link #STOP_TIMEOUT}, as keepalived's {@code notify_stop}
 * at shutdown.
 *
 * <p>Deviation from keepalived, on purpose: keepalived forks notify scripts and does not wait, so two quick
 * transitions can run their scripts at the same time and finish out of order; here a script starts only after the
 * previous one ended, so a script that hangs delays later notifies by its timeout.
 */
public final class NotifyRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyRunner.class);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(1);

    private volatile Map<String, NotifyScripts> instances;
    private volatile Map<String, NotifyScripts> groups;
    private final List<NotifyFifoWriter> fifos;
    private final ScriptLauncher launcher;
    private final Duration timeout;
    private final Consumer<AgentFact> facts;
    private final Map<ScriptCommand, ScriptLauncher.Prepared> prepared = new java.util.concurrent.ConcurrentHashMap<>();
    private final ExecutorService scriptQueue = Executors.newSingleThreadExecutor(r -> daemon(r, "vigil-notify"));
    private final ExecutorService fifoQueue = Executors.newSingleThreadExecutor(r -> daemon(r, "vigil-notify-fifo"));

    /**
     * Prepares every command at once (blocking: file system and user lookups, as {@link ScriptLauncher#prepare}), so
     * a refused script is logged at startup, not at the first failover.
     *
     * @param timeout  how long a notify script may run before its process group is killed (STOP: 1 s)
     * @param facts    receives a {@code NotifyScriptRan} per run, on the notify thread
     */
    public NotifyRunner(Map<String, NotifyScripts> instances, Map<String, NotifyScripts> groups,
                        List<NotifyFifoWriter> fifos, ScriptLauncher launcher, Duration timeout,
                        Consumer<AgentFact> facts) {
        this.instances = Map.copyOf(instances);
        this.groups = Map.copyOf(groups);
        this.fifos = List.copyOf(fifos);
        this.launcher = launcher;
        this.timeout = timeout;
        this.facts = facts;
        for (NotifyScripts scripts : this.instances.values()) {
            prepareAll(scripts);
        }
        for (NotifyScripts scripts : this.groups.values()) {
            prepareAll(scripts);
        }
    }

    /** The notify scripts of every instance and sync group of {@code config}; FIFOs are opened by the caller. */
    public static NotifyRunner forConfig(AgentConfig config, List<NotifyFifoWriter> fifos, ScriptLauncher launcher,
                                         Duration timeout, Consumer<AgentFact> facts) {
        Map<String, NotifyScripts> instances = new HashMap<>();
        for (VrrpInstance instance : config.instances()) {
            instances.put(instance.name(), instance.notifyScripts());
        }
        Map<String, NotifyScripts> groups = new HashMap<>();
        for (SyncGroup group : config.syncGroups()) {
            groups.put(group.name(), group.notifyScripts());
        }
        return new NotifyRunner(instances, groups, fifos, launcher, timeout, facts);
    }

    /**
     * A reload: later transitions use the notify scripts of {@code config} (blocking, as the constructor: new
     * commands are prepared here). Transitions already queued keep the scripts they were queued with; the FIFOs
     * and the launcher stay (their global settings changing rebuilds the whole daemon instead).
     */
    public void update(AgentConfig config) {
        Map<String, NotifyScripts> nextInstances = new HashMap<>();
        for (VrrpInstance instance : config.instances()) {
            nextInstances.put(instance.name(), instance.notifyScripts());
            prepareAgain(instance.notifyScripts());
        }
        Map<String, NotifyScripts> nextGroups = new HashMap<>();
        for (SyncGroup group : config.syncGroups()) {
            nextGroups.put(group.name(), group.notifyScripts());
            prepareAgain(group.notifyScripts());
        }
        instances = Map.copyOf(nextInstances);
        groups = Map.copyOf(nextGroups);
    }

    /** Commands that will never run (missing, unsafe, unknown user), with why: for the startup log and {@code -t}. */
    public Map<String, String> refusals() {
        Map<String, String> out = new HashMap<>();
        prepared.forEach((command, p) -> {
            if (p instanceof ScriptLauncher.Refused r) {
                out.put(command.command(), r.reason());
            }
        });
        return out;
    }

    /** Queues the notifies of one transition; returns at once. */
    public void transition(NotifyScope scope, String name, NotifyState state, int priority) {
        NotifyEvent event = new NotifyEvent(scope, name, state, priority);
        NotifyScripts scripts = (scope == NotifyScope.INSTANCE ? instances : groups).getOrDefault(name,
                NotifyScripts.NONE);
        try {
            if (!fifos.isEmpty()) {
                fifoQueue.execute(() -> fifos.forEach(f -> f.write(event.fifoLine())));
            }
            List<NotifyPlan.Run> runs = NotifyPlan.runs(scripts, event);
            if (!runs.isEmpty()) {
                scriptQueue.execute(() -> runs.forEach(run -> {
                    try {
                        runOne(event, run);
                    } catch (RuntimeException e) {
                        // A failing fact sink must not drop the rest of the queue.
                        LOG.warn("{} for {} {}: {}", run.keyword(), event.scopeText(), state, e.toString());
                    }
                }));
            }
        } catch (RejectedExecutionException e) {
            LOG.warn("notify for {} {} {} not run: the agent is stopping", scope, name, state);
        }
    }

    /** Completes when every transition queued so far has been notified (scripts ended, lines written). */
    public CompletableFuture<Void> drained() {
        CompletableFuture<Void> scripts = new CompletableFuture<>();
        CompletableFuture<Void> lines = new CompletableFuture<>();
        try {
            scriptQueue.execute(() -> scripts.complete(null));
            fifoQueue.execute(() -> lines.complete(null));
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(scripts, lines);
    }

    private void runOne(NotifyEvent event, NotifyPlan.Run run) {
        ScriptLauncher.Prepared p = prepared.get(run.command());
        String transition = event.state().name();
        if (p instanceof ScriptLauncher.Refused refused) {
            LOG.warn("{} for {} not run: {}", run.keyword(), event.scopeText(), refused.reason());
            facts.accept(new AgentFact.NotifyScriptRan(event.scopeText(), run.command().command(), transition, -1, 0));
            return;
        }
        Duration limit = event.state() == NotifyState.STOP ? STOP_TIMEOUT : timeout;
        ScriptOutcome outcome = launcher.run((ScriptLauncher.Ready) p, run.appended(), limit).join();
        if (!outcome.succeeded()) {
            LOG.warn("{} for {} {}: {}", run.keyword(), event.scopeText(), transition, outcome.detail());
        }
        facts.accept(new AgentFact.NotifyScriptRan(event.scopeText(), run.command().command(), transition,
                outcome.code(), outcome.took().toNanos()));
    }

    private void prepareAll(NotifyScripts scripts) {
        for (Optional<ScriptCommand> c : List.of(scripts.master(), scripts.backup(), scripts.fault(), scripts.stop(),
                scripts.deleted(), scripts.any())) {
            c.ifPresent(command -> prepared.computeIfAbsent(command,
                    k -> launcher.prepare(k.command(), k.user())));
        }
    }

    /** A reload looks at each command again: a script fixed (or broken) since the last start is seen. */
    private void prepareAgain(NotifyScripts scripts) {
        for (Optional<ScriptCommand> c : List.of(scripts.master(), scripts.backup(), scripts.fault(), scripts.stop(),
                scripts.deleted(), scripts.any())) {
            c.ifPresent(command -> prepared.put(command, launcher.prepare(command.command(), command.user())));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Finishes what is queued (waiting at most {@code wait}), then closes the FIFOs. The launcher is the caller's. */
    public void close(Duration wait) {
        scriptQueue.shutdown();
        fifoQueue.shutdown();
        try {
            scriptQueue.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
            fifoQueue.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fifos.forEach(NotifyFifoWriter::close);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
