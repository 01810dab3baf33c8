package dev.vigil.agent.check;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One run of a check: passed or not, and the detail a reviewer reads ("in recovery", "replay lag 48 MB &gt; 16 MB",
 * "timeout after 1 s"), and how long the run took.
 *
 * @param replayLagBytes what a PostgreSQL check saw of a server in recovery: WAL received but not replayed (empty for
 *                       other checks, a primary, or a run that did not get that far); {@code prefer_least_lag} uses it
 */
public record ProbeResult(boolean passed, String detail, Duration took, Optional<Long> replayLagBytes) {

    public ProbeResult {
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(took, "took");
        Objects.requireNonNull(replayLagBytes, "replayLagBytes");
    }

    public ProbeResult(boolean passed, String detail, Duration took) {
        this(passed, detail, took, Optional.empty());
    }

    public static ProbeResult pass(String detail, Duration took) {
        return new ProbeResult(true, detail, took);
    }

    public static ProbeResult fail(String detail, Duration took) {
        return new ProbeResult(false, detail, took);
    }
}
