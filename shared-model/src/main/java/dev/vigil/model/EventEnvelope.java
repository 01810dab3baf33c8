package dev.vigil.model;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One fact as an agent ships it. (agentId, bootId, seq) is its identity; seq starts at 1 for every
 * boot and has no gaps. {@code time} is UTC truncated to microseconds; {@code monotonicNanos} is the
 * agent's monotonic clock, comparable only within one boot.
 */
public record EventEnvelope(String agentId, String bootId, long seq, Instant time, long monotonicNanos,
                            int schemaVersion, Optional<String> cluster, AgentFact fact) {

    /** Agent ids are path- and log-safe: they appear in URLs, file names and SQL keys. */
    public static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    public static final Pattern BOOT_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    public EventEnvelope {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(bootId, "bootId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(fact, "fact");
        if (!AGENT_ID.matcher(agentId).matches()) {
            throw new IllegalArgumentException("agentId must match " + AGENT_ID + ", was '" + agentId + "'");
        }
        if (!BOOT_ID.matcher(bootId).matches()) {
            throw new IllegalArgumentException("bootId must match " + BOOT_ID + ", was '" + bootId + "'");
        }
        if (seq < 1) {
            throw new IllegalArgumentException("seq must be >= 1, was " + seq);
        }
        if (schemaVersion < 1) {
            throw new IllegalArgumentException("schemaVersion must be >= 1, was " + schemaVersion);
        }
        time = time.truncatedTo(ChronoUnit.MICROS);
    }

    public EventId id() {
        return new EventId(agentId, bootId, seq);
    }

    public String factType() {
        return FactType.nameOf(fact);
    }
}
