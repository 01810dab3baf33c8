package dev.vigil.agent.check;

import dev.vigil.model.AgentFact;
import java.time.Duration;

/**
 * A tracker's status changed (PENDING to OK, OK to FAILED, ...), with the detail of the run that changed it, the
 * number of agreeing runs in a row that got it there, how long that run took, and its monotonic time. This is the
 * "result changed" fact the agent reports and the router acts on.
 */
public record TrackerChange(String tracker, TrackerStatus from, TrackerStatus to, String detail, int consecutive,
                            Duration took, long atNanos) {

    /** For logs and events: "check chk_pg_primary failed: in recovery (2 consecutive failures)". */
    public String describe() {
        String run = to == TrackerStatus.OK ? (consecutive == 1 ? "success" : "successes")
                : (consecutive == 1 ? "failure" : "failures");
        return "check " + tracker + " " + (to == TrackerStatus.OK ? "succeeded" : to.word()) + ": " + detail
                + " (" + consecutive + " consecutive " + run + ")";
    }

    /** The fact the agent reports; {@code kind} says what was checked ("postgresql", "script", "file"). */
    public AgentFact.TrackerResultChanged toFact(String kind) {
        return new AgentFact.TrackerResultChanged(tracker, kind, to == TrackerStatus.OK, describe(), took.toNanos());
    }
}
