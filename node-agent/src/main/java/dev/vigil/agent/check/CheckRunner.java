package dev.vigil.agent.check;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The shell around one tracked check: runs its {@link Probe} every {@code interval} on a scheduler (never an event
 * loop), skips a run while the previous one is still going (as keepalived: "already running, expect idle -
 * skipping run"), folds each result into the {@link Tracker}, and hands every {@link TrackerChange} and every result
 * to the listeners. Listeners run on the probe's threads: a Vert.x caller hops back to its context itself.
 */
public final class CheckRunner implements AutoCloseable {

    private final Probe probe;
    private final Duration interval;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoClock;
    private final Consumer<TrackerChange> onChange;
    private final Consumer<ProbeResult> onResult;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Tracker tracker;
    private volatile ScheduledFuture<?> task;

    public CheckRunner(Tracker tracker, Probe probe, Duration interval, ScheduledExecutorService scheduler,
                       LongSupplier nanoClock, Consumer<TrackerChange> onChange, Consumer<ProbeResult> onResult) {
        this.tracker = tracker;
        this.probe = probe;
        this.interval = interval;
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.onChange = onChange;
        this.onResult = onResult;
    }

    public void start() {
        task = scheduler.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    public Tracker tracker() {
        return tracker;
    }

    private void tick() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        probe.run().whenComplete((result, error) -> {
            try {
                ProbeResult r = result != null ? result
                        : ProbeResult.fail("check failed: " + error, Duration.ZERO);
                Tracker.Step step = tracker.apply(r, nanoClock.getAsLong());
                tracker = step.tracker();
                onResult.accept(r);
                step.change().ifPresent(onChange);
            } finally {
                running.set(false);
            }
        });
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
        probe.close();
    }
}
