package dev.vigil.agent.daemon;

import dev.vigil.agent.check.CheckRunner;
import dev.vigil.agent.check.LagPreference;
import dev.vigil.agent.check.PostgresCheck;
import dev.vigil.agent.check.Probe;
import dev.vigil.agent.check.ScriptCheck;
import dev.vigil.agent.check.ScriptLauncher;
import dev.vigil.agent.check.Tracker;
import dev.vigil.agent.check.TrackFileValue;
import dev.vigil.agent.check.TrackFileWatcher;
import dev.vigil.agent.check.TrackerChange;
import dev.vigil.agent.config.TrackedFile;
import dev.vigil.agent.check.TrackerStatus;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.TrackedScript;
import dev.vigil.agent.config.VrrpScript;
import dev.vigil.model.AgentFact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;

/**
 * The {@code vrrp_script} checks some instance tracks, each as a {@link CheckRunner} (script or {@code pg_check}).
 * Runs and their waits happen on the scheduler, the launcher's threads and the PostgreSQL sessions' threads, never
 * on the event loop; a change is handed to {@code onChange}, which must hop onto the loop itself.
 */
final class TrackedChecks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.check");

    /**
     * A tracker's new status, with the script's name, as the daemon routes it to the instances tracking it. A
     * {@code pg_check} with {@code prefer_least_lag} also carries its lag penalty, and is sent again when only the
     * penalty changed (the daemon then sets the instances' contribution instead of a plain OK/failed).
     */
    record Changed(String script, boolean ok, Optional<Integer> lagPenalty) {
        Changed(String script, boolean ok) {
            this(script, ok, Optional.empty());
        }
    }

    /**
     * A lag-preferring check's status and penalty. Touched by one run's completion at a time (CheckRunner starts no
     * run while one is pending), results before the change of the same run.
     */
    private static final class LagRank {
        final LagPreference preference;
        TrackerStatus status;
        int penalty;

        LagRank(LagPreference preference, TrackerStatus status) {
            this.preference = preference;
            this.status = status;
        }
    }

    /** keepalived watches with inotify; a poll of one small read is as cheap and also sees NFS and bind mounts. */
    private static final java.time.Duration FILE_POLL = java.time.Duration.ofMillis(250);
    private final ScheduledExecutorService scheduler;
    // by script name; concurrent: a reload retires entries while the loop reads them
    private final Map<String, CheckRunner> runners = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, TrackFileWatcher> files = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<String> initiallyFailed = new LinkedHashSet<>();

    private TrackedChecks(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Prepares a runner per tracked script (blocking: PATH lookup, script security, getent). Not started yet: the
     * routers must exist first.
     */
    static TrackedChecks prepare(AgentConfig config, ScriptLauncher launcher, Consumer<AgentFact> facts,
                                 Consumer<Changed> onChange, Consumer<String> onFile) {
        return prepare(config, launcher, facts, onChange, onFile, name -> true);
    }

    /**
     * As {@link #prepare(AgentConfig, ScriptLauncher, Consumer, Consumer, Consumer)}, only for the checks whose
     * {@link ConfigReload#checkName} {@code wanted} accepts (a reload starts the new and changed ones only).
     */
    static TrackedChecks prepare(AgentConfig config, ScriptLauncher launcher, Consumer<AgentFact> facts,
                                 Consumer<Changed> onChange, Consumer<String> onFile,
                                 java.util.function.Predicate<String> wanted) {
        Map<String, VrrpScript> tracked = new LinkedHashMap<>();
        for (var i : config.instances()) {
            for (TrackedScript t : i.trackScripts()) {
                config.script(t.name()).filter(s -> wanted.test(ConfigReload.checkName(false, s.name())))
                        .ifPresent(s -> tracked.putIfAbsent(s.name(), s));
            }
        }
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "vigil-checks");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);   // pg_check deadlines, cancelled at every answer, live here too
        TrackedChecks checks = new TrackedChecks(scheduler);
        for (VrrpScript s : tracked.values()) {
            String kind;
            Probe probe;
            if (s.pgCheck().isPresent()) {
                kind = "postgresql";
                probe = new PostgresCheck(s.name(), s.pgCheck().get(), s.timeout(), scheduler);
                LOG.info("vrrp_script {}: pg_check {} every {} ms", s.name(), s.pgCheck().get(), s.interval().toMillis());
            } else {
                kind = "script";
                ScriptCheck check = ScriptCheck.of(s, launcher);
                probe = check;
                check.refusal().ifPresentOrElse(reason -> {
                    // keepalived disables a refused script; here its tracker stays failed, the safer reading
                    LOG.error("vrrp_script {} refused, its tracker stays failed: {}", s.name(), reason);
                    checks.initiallyFailed.add(s.name());
                }, () -> LOG.info("vrrp_script {}: '{}' every {} ms", s.name(), s.script(), s.interval().toMillis()));
            }
            if (s.initFail()) {
                checks.initiallyFailed.add(s.name());
            }
            Tracker start = Tracker.start(s.name(), s.rise(), s.fall(), s.initFail());
            Optional<LagRank> rank = s.pgCheck().flatMap(p -> p.preferLeastLag())
                    .map(p -> new LagRank(p, start.status()));
            FailureReasons reasons = new FailureReasons(s.name());
            checks.runners.put(s.name(), new CheckRunner(start, probe, s.interval(), scheduler, System::nanoTime, change -> {
                LOG.info("{}", change.describe());
                facts.accept(change.toFact(kind));
                if (change.to() != TrackerStatus.PENDING) {
                    rank.ifPresentOrElse(r -> {
                        r.status = change.to();
                        onChange.accept(new Changed(change.tracker(), change.to() == TrackerStatus.OK, Optional.of(r.penalty)));
                    }, () -> onChange.accept(new Changed(change.tracker(), change.to() == TrackerStatus.OK)));
                }
            }, result -> {
                reasons.accept(result);
                rank.ifPresent(r -> rankByLag(s.name(), r, result, onChange));
            }));
        }
        for (var i : config.instances()) {
            for (TrackedFile t : i.trackFiles()) {
                config.trackFile(t.name()).filter(f -> wanted.test(ConfigReload.checkName(true, f.name())))
                        .ifPresent(f -> checks.files.computeIfAbsent(f.name(), n ->
                        new TrackFileWatcher(f, FILE_POLL, scheduler, change -> {
                            LOG.info("track file {} ({}) value {} -> {}", f.name(), f.path(), change.from(), change.to());
                            facts.accept(new AgentFact.TrackerResultChanged(f.name(), "file", change.to() == 0,
                                    "track file " + f.name() + " value " + change.from() + " -> " + change.to(), 0));
                            onFile.accept(f.name());
                        })));
            }
        }
        return checks;
    }

    /**
     * A passing run moves the lag penalty ({@link LagPreference#next}: half a step of hysteresis); a primary, which
     * has no lag, ranks as caught up. While the tracker is OK a changed penalty goes to the instances at once; while
     * it is failed the penalty waits for the recovery, which carries it.
     */
    private static void rankByLag(String name, LagRank r, dev.vigil.agent.check.ProbeResult result,
                                  Consumer<Changed> onChange) {
        if (!result.passed()) {
            return;
        }
        long lag = result.replayLagBytes().orElse(0L);
        int next = r.preference.next(r.penalty, lag);
        if (next == r.penalty) {
            return;
        }
        LOG.info("check {}: replay lag {}, priority penalty {} -> {} (prefer_least_lag {})", name,
                dev.vigil.agent.check.Magnitudes.bytes(lag), r.penalty, next,
                dev.vigil.agent.check.Magnitudes.bytes(r.preference.stepBytes()));
        r.penalty = next;
        if (r.status == TrackerStatus.OK) {
            onChange.accept(new Changed(name, true, Optional.of(next)));
        }
    }

    /** Writes init_file values and reads every tracked file once (blocking); then polls. */
    void startFiles() {
        files.values().forEach(TrackFileWatcher::start);
    }

    /** What {@code tracking}'s file now does to its instance; NONE for a file the configuration does not define. */
    TrackFileValue.Effect fileEffect(TrackedFile tracking) {
        TrackFileWatcher w = files.get(tracking.name());
        return w == null ? TrackFileValue.Effect.NONE : w.effect(tracking);
    }

    /**
     * Logs a failing check's reason when it changes without a status change (a crashed primary that comes back as a
     * stale primary: "connection refused", then "peer ... is primary on timeline 2 > ours 1"), so the log says why
     * an instance is still in FAULT. Called on one check's completion thread at a time.
     */
    private static final class FailureReasons implements Consumer<dev.vigil.agent.check.ProbeResult> {
        private final String name;
        private String last = "";

        FailureReasons(String name) {
            this.name = name;
        }

        @Override
        public void accept(dev.vigil.agent.check.ProbeResult r) {
            if (r.passed()) {
                last = "";
            } else if (!r.detail().equals(last)) {
                if (!last.isEmpty()) {
                    LOG.info("check {} still failing: {}", name, r.detail());
                }
                last = r.detail();
            }
        }
    }

    /** Scripts whose tracker starts failed ({@code init_fail}, or refused): the routers hear it before Start. */
    Set<String> initiallyFailed() {
        return Set.copyOf(initiallyFailed);
    }

    void start() {
        runners.values().forEach(CheckRunner::start);
    }

    /** Whether this set runs the script or watches the file of that {@link ConfigReload#checkName}. */
    boolean runs(String checkName) {
        return runners.keySet().stream().anyMatch(n -> ConfigReload.checkName(false, n).equals(checkName))
                || files.keySet().stream().anyMatch(n -> ConfigReload.checkName(true, n).equals(checkName));
    }

    /**
     * Whether an instance starting now must hear that {@code script} failed: it starts failed ({@code init_fail},
     * refused) and has not run yet, or its last results made it failed. Empty when this set does not run it.
     */
    java.util.Optional<Boolean> failedNow(String script) {
        CheckRunner r = runners.get(script);
        if (r == null) {
            return java.util.Optional.empty();
        }
        TrackerStatus s = r.tracker().status();
        return java.util.Optional.of(s == TrackerStatus.FAILED
                || (s == TrackerStatus.PENDING && initiallyFailed.contains(script)));
    }

    /**
     * Whether {@code script} has no verdict yet (pending, and not started failed). Empty when this set does not
     * run it.
     */
    java.util.Optional<Boolean> pendingNow(String script) {
        CheckRunner r = runners.get(script);
        if (r == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(r.tracker().status() == TrackerStatus.PENDING && !initiallyFailed.contains(script));
    }

    /** The script and file checks, by name, with their status word: for the state dump. */
    Map<String, String> statuses() {
        Map<String, String> out = new LinkedHashMap<>();
        runners.forEach((n, r) -> out.put(ConfigReload.checkName(false, n), r.tracker().status().word()));
        files.forEach((n, w) -> out.put(ConfigReload.checkName(true, n), "watched"));
        return out;
    }

    /** Stops the checks named (as {@link ConfigReload#checkName}); returns whether none is left. */
    boolean retire(Set<String> checkNames) {
        runners.entrySet().removeIf(e -> {
            boolean gone = checkNames.contains(ConfigReload.checkName(false, e.getKey()));
            if (gone) {
                e.getValue().close();
            }
            return gone;
        });
        files.entrySet().removeIf(e -> {
            boolean gone = checkNames.contains(ConfigReload.checkName(true, e.getKey()));
            if (gone) {
                e.getValue().close();
            }
            return gone;
        });
        return runners.isEmpty() && files.isEmpty();
    }

    @Override
    public void close() {
        runners.values().forEach(CheckRunner::close);
        files.values().forEach(TrackFileWatcher::close);
        scheduler.shutdownNow();
    }
}
