package dev.vigil.coordinator.processing;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How this instance takes part in the shared projection work. {@code segments}: how many parts the
 * node projection is split into (fixed when its tokens are first created: changing it later changes
 * nothing); {@code claimTimeout}: how long a silent instance keeps its segments before survivors may
 * take them; {@code nodeId}: this instance's name in {@code token_entry.owner} and
 * {@code coordinator_instance}, unique per process; {@code refreshEvery}: how often the owner of
 * segment 0 brings the review read models and state checkpoints up to date.
 */
public record ProcessorSettings(int segments, Duration claimTimeout, String nodeId, Duration refreshEvery) {
    public static final int DEFAULT_SEGMENTS = 6;
    public static final Duration DEFAULT_CLAIM_TIMEOUT = Duration.ofSeconds(10);

    public ProcessorSettings {
        Objects.requireNonNull(claimTimeout, "claimTimeout");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(refreshEvery, "refreshEvery");
        if (segments < 1 || segments > 256) {
            throw new IllegalArgumentException("segments must be 1..256, was " + segments);
        }
        if (claimTimeout.toMillis() < 300) {
            throw new IllegalArgumentException("claim timeout must be at least 300 ms, was " + claimTimeout.toMillis() + " ms");
        }
        if (nodeId.isBlank() || nodeId.length() > 255) {
            throw new IllegalArgumentException("nodeId must be 1..255 characters");
        }
        if (refreshEvery.isNegative() || refreshEvery.isZero()) {
            throw new IllegalArgumentException("refreshEvery must be positive");
        }
    }

    /** Six segments (an even share for 1, 2, 3 or 6 instances), a 10 s claim timeout (Axon's default). */
    public static ProcessorSettings defaults() {
        return new ProcessorSettings(DEFAULT_SEGMENTS, DEFAULT_CLAIM_TIMEOUT, uniqueNodeId(), Duration.ofSeconds(1));
    }

    public ProcessorSettings withClaimTimeout(Duration d) {
        return new ProcessorSettings(segments, d, nodeId, refreshEvery);
    }

    public ProcessorSettings withNodeId(String id) {
        return new ProcessorSettings(segments, claimTimeout, id, refreshEvery);
    }

    public ProcessorSettings withSegments(int n) {
        return new ProcessorSettings(n, claimTimeout, nodeId, refreshEvery);
    }

    /** pid@host plus a random suffix: two coordinators in one JVM (tests) must not share claims. */
    public static String uniqueNodeId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Claims are extended this often, well inside the timeout (a busy machine may be late). */
    Duration claimExtension() {
        return claimTimeout.dividedBy(3);
    }

    /** How often free segments are looked for, and how often this instance stamps that it is alive. */
    Duration claimInterval() {
        return Duration.ofMillis(Math.max(100, claimTimeout.toMillis() / 5));
    }
}
