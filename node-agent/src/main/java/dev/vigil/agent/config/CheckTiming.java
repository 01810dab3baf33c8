package dev.vigil.agent.config;

import java.time.Duration;

/**
 * When a real server's checker runs and how its results count: every {@code delayLoop}, or every
 * {@code delayBeforeRetry} while a failure streak is building; {@code rise} passes in a row bring it
 * in, {@code fall} failures in a row take it out (keepalived's {@code retry N} is {@code fall N+1});
 * {@code warmup} delays the first run by up to that much (keepalived spreads checkers randomly).
 */
public record CheckTiming(Duration connectTimeout, Duration delayLoop, Duration delayBeforeRetry, int rise, int fall,
                          Duration warmup) {
    public CheckTiming {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1");
        }
    }
}
