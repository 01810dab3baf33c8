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
        // By hand, the same as the patterns (EventEnvelopeTest): the regex matchers were ~7 % of replay (bench/RESULTS.md).
        if (!isAgentId(agentId)) {
            throw new IllegalArgumentException("agentId must match " + AGENT_ID + ", was '" + agentId + "'");
        }
        if (!isBootId(bootId)) {
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

    /** {@link #AGENT_ID}, matched by hand. */
    static boolean isAgentId(String s) {
        int n = s.length();
        if (n < 1 || n > 64 || !asciiAlnum(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = s.charAt(i);
            if (!asciiAlnum(c) && c != '.' && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** {@link #BOOT_ID}, matched by hand. */
    static boolean isBootId(String s) {
        int n = s.length();
        if (n < 1 || n > 64) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!asciiAlnum(c) && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean asciiAlnum(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }

    public EventId id() {
        return new EventId(agentId, bootId, seq);
    }

    public String factType() {
        return FactType.nameOf(fact);
    }
}
