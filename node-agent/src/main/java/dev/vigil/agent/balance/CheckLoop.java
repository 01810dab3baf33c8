package dev.vigil.agent.balance;

import dev.vigil.agent.config.CheckTiming;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Runs one checker of one real server: the first run after a random part of {@code warmup}, then every
 * {@code delay_loop}, or every {@code delay_before_retry} while the server is still up but failing (so {@code fall}
 * failures take {@code delay_loop + (fall-1) x delay_before_retry}, as keepalived's {@code retry}). A run never
 * starts while the previous one is pending. Results are handed over on the balancer's event loop.
 */
final class CheckLoop {

    private final Vertx vertx;
    private final Context loop;
    private final ServerProbe probe;
    private final CheckTiming timing;
    private final BooleanSupplier serverUp;
    private final BiConsumer<ServerProbe.Outcome, Long> results;
    private long timer = -1;
    private boolean stopped;

    CheckLoop(Vertx vertx, Context loop, ServerProbe probe, CheckTiming timing, BooleanSupplier serverUp,
              BiConsumer<ServerProbe.Outcome, Long> results) {
        this.vertx = vertx;
        this.loop = loop;
        this.probe = probe;
        this.timing = timing;
        this.serverUp = serverUp;
        this.results = results;
    }

    void start() {
        long warm = timing.warmup().toMillis();
        long first = warm <= 0 ? 0 : ThreadLocalRandom.current().nextLong(warm + 1);
        if (first == 0) {
            loop.runOnContext(v -> run());
        } else {
            schedule(first);
        }
    }

    private void schedule(long ms) {
        loop.runOnContext(v -> {
            if (!stopped) {
                timer = vertx.setTimer(Math.max(1, ms), id -> run());
            }
        });
    }

    private void run() {
        if (stopped) {
            return;
        }
        long start = System.nanoTime();
        probe.run().whenComplete((o, t) -> loop.runOnContext(v -> {
            if (stopped) {
                return;
            }
            ServerProbe.Outcome outcome = t == null ? o : ServerProbe.Outcome.fail(String.valueOf(t.getMessage()));
            results.accept(outcome, System.nanoTime() - start);
            boolean retrying = !outcome.passed() && serverUp.getAsBoolean();
            schedule((retrying ? timing.delayBeforeRetry() : timing.delayLoop()).toMillis());
        }));
    }

    void stop() {
        loop.runOnContext(v -> {
            stopped = true;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        });
        probe.close();
    }
}
