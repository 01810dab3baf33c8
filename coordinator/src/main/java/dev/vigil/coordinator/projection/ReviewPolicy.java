package dev.vigil.coordinator.projection;

import java.time.Duration;

/** Thresholds of the review: flapping is at least {@code flapTransitions} state changes within {@code flapWindow}. */
public record ReviewPolicy(int flapTransitions, Duration flapWindow) {
    public static final ReviewPolicy DEFAULT = new ReviewPolicy(6, Duration.ofMinutes(1));
}
