package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CheckRunnerTest {

    /** A probe whose runs the test completes by hand. */
    private static final class HandProbe implements Probe {
        final LinkedBlockingQueue<CompletableFuture<ProbeResult>> runs = new LinkedBlockingQueue<>();
        final AtomicInteger started = new AtomicInteger();
        volatile boolean closed;

        @Override
        public CompletableFuture<ProbeResult> run() {
            started.incrementAndGet();
            CompletableFuture<ProbeResult> f = new CompletableFuture<>();
            runs.add(f);
            return f;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void skipsRunsWhileOneIsPendingAndReportsChangesWithTheClockOfTheDecidingRun() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        HandProbe probe = new HandProbe();
        AtomicLong clock = new AtomicLong(1_000);
        List<TrackerChange> changes = new CopyOnWriteArrayList<>();
        List<ProbeResult> results = new CopyOnWriteArrayList<>();
        CheckRunner runner = new CheckRunner(Tracker.start("chk", 1, 2, false), probe, Duration.ofMillis(10), scheduler,
                clock::get, changes::add, results::add);
        try {
            runner.start();
            CompletableFuture<ProbeResult> first = probe.runs.poll(5, TimeUnit.SECONDS);
            Thread.sleep(100);   // ten intervals while the first run is pending: all skipped
            assertThat(probe.started.get()).isEqualTo(1);
            first.complete(ProbeResult.pass("primary on timeline 1", Duration.ofMillis(2)));
            await().until(() -> changes.size() == 1);
            assertThat(changes.get(0)).isEqualTo(new TrackerChange("chk", TrackerStatus.PENDING, TrackerStatus.OK,
                    "primary on timeline 1", 1, Duration.ofMillis(2), 1_000));

            clock.set(2_000);
            probe.runs.poll(5, TimeUnit.SECONDS).complete(ProbeResult.fail("in recovery", Duration.ofMillis(2)));
            clock.set(3_000);
            probe.runs.poll(5, TimeUnit.SECONDS).complete(ProbeResult.fail("in recovery", Duration.ofMillis(2)));
            await().until(() -> changes.size() == 2);
            assertThat(changes.get(1)).isEqualTo(new TrackerChange("chk", TrackerStatus.OK, TrackerStatus.FAILED,
                    "in recovery", 2, Duration.ofMillis(2), 3_000));
            assertThat(results).hasSize(3);
            assertThat(runner.tracker().status()).isEqualTo(TrackerStatus.FAILED);
        } finally {
            runner.close();
            scheduler.shutdownNow();
        }
        assertThat(probe.closed).isTrue();
    }
}
