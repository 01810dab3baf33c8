package dev.vigil.agent.check;

import java.time.Duration;
import java.util.Objects;

/**
 * One run of a check: passed or not, and the detail a reviewer reads ("in recovery", "replay lag 48 MB &gt; 16 MB",
 * "timeout after 1 s"), and how long the run took.
 */
public record ProbeResult(boolean passed, String detail, Duration took) {

    public ProbeResult {
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(took, "took");
    }

    public static ProbeResult pass(String detail, Duration took) {
        return new ProbeResult(true, detail, took);
    }

    public static ProbeResult fail(String detail, Duration took) {
        return new ProbeResult(false, detail, took);
    }
}
