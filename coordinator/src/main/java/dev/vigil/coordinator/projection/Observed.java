package dev.vigil.coordinator.projection;

import dev.vigil.model.EventEnvelope;

import java.time.Instant;
import java.util.Objects;

/** A stored fact as the review fold sees it: what the agent said, and when the coordinator stored it. */
public record Observed(EventEnvelope envelope, Instant recordedAt) {
    public Observed {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(recordedAt, "recordedAt");
    }
}
