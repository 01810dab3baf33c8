package dev.vigil.agent.report;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random time
 * in [0, min(cap, base * 2^n)). Full jitter spreads the retries of many agents that lost the same
 * coordinator at the same instant, instead of bringing them back in lockstep.
 */
record Backoff(Duration base, Duration cap) {
    static final Backoff SHIPPING = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));

    Backoff {
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= cap, got " + base + ", " + cap);
        }
    }

    /** The ceiling of the wait after {@code failures} consecutive failures (1 = the first). */
    Duration ceiling(int failures) {
        int doublings = Math.max(0, Math.min(failures - 1, 40));
        long nanos = base.toNanos();
        long capNanos = cap.toNanos();
        for (int i = 0; i < doublings && nanos < capNanos; i++) {
            nanos *= 2;
        }
        return Duration.ofNanos(Math.min(nanos, capNanos));
    }

    /** A wait for the given failure count; {@code random} yields values in [0, 1). */
    Duration delay(int failures, DoubleSupplier random) {
        return Duration.ofNanos((long) (ceiling(failures).toNanos() * random.getAsDouble()));
    }
}
