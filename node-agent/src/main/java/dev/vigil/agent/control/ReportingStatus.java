package dev.vigil.agent.control;

import java.util.List;

/**
 * The agent's link to the coordinator as {@code vigilctl status} shows it: where facts go, how many of this run's
 * facts the coordinator acknowledged, and how long unacknowledged facts have been waiting.
 *
 * @param coordinators          the ingest endpoints ({@code vigil { coordinator }}); empty: facts go to the log only
 * @param recorded              facts handed to the outbox since the agent started
 * @param acknowledged          of those, the ones the coordinator confirmed stored
 * @param lastAcknowledgedAt    when it last confirmed some (UTC, ISO-8601), {@code "never"} in this run
 * @param unacknowledgedSeconds how long the outbox has held facts without an acknowledgement (0 when none wait):
 *                              the coordinator link's lag
 */
public record ReportingStatus(List<String> coordinators, long recorded, long acknowledged, String lastAcknowledgedAt,
                              double unacknowledgedSeconds) {
    /** Before reporting is known (an agent status read by an older client, or no figures yet). */
    public static final ReportingStatus UNKNOWN = new ReportingStatus(List.of(), 0, 0, "never", 0);

    public ReportingStatus {
        coordinators = List.copyOf(coordinators);
    }

    /** Facts of this run not yet acknowledged (thinned facts count as pending). */
    public long pending() {
        return Math.max(0, recorded - acknowledged);
    }

    /** One line: {@code coordinator ...: N recorded, M acknowledged, P pending (oldest waiting X s), last ack T}. */
    public String line() {
        if (coordinators.isEmpty()) {
            return "coordinator: none configured (facts go to the log only), " + recorded + " fact(s) recorded";
        }
        return "coordinator " + String.join(",", coordinators) + ": " + recorded + " recorded, " + acknowledged
                + " acknowledged, " + pending() + " pending"
                + (pending() > 0 ? String.format(java.util.Locale.ROOT, " (unacknowledged for %.1f s)", unacknowledgedSeconds) : "")
                + ", last ack " + lastAcknowledgedAt;
    }
}
