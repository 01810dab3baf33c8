package dev.vigil.agent.check;

/**
 * A tracker's status changed (PENDING to OK, OK to FAILED, ...), with the detail of the run that changed it, the
 * rise/fall counter that got it there, and the monotonic time of that run. This is the "result changed" fact the
 * agent reports and the router acts on.
 */
public record TrackerChange(String tracker, TrackerStatus from, TrackerStatus to, String detail, int consecutive,
                            long atNanos) {

    /** For logs and events: "check chk_pg_primary failed: in recovery (2 consecutive failures)". */
    public String describe() {
        String run = to == TrackerStatus.OK ? (consecutive == 1 ? "success" : "successes")
                : (consecutive == 1 ? "failure" : "failures");
        return "check " + tracker + " " + (to == TrackerStatus.OK ? "succeeded" : to.word()) + ": " + detail
                + " (" + consecutive + " consecutive " + run + ")";
    }
}
