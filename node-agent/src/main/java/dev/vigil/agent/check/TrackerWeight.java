package dev.vigil.agent.check;

/**
 * What a tracker's status does to a VRRP instance, as keepalived's {@code vrrp_track.c} applies it
 * ({@code process_script_update_priority}, {@code initialise_track_script_state}).
 *
 * <ul>
 *   <li>Weight 0: failed means FAULT; with {@code reverse}, OK means FAULT. PENDING holds the instance in INIT.</li>
 *   <li>Weight W &gt; 0: +W while OK; W &lt; 0: W (that is, -|W|) while failed; nothing while PENDING.
 *       {@code reverse} negates the adjustment.</li>
 * </ul>
 */
public record TrackerWeight(int weight, boolean reverse) {

    public static final TrackerWeight FAULT = new TrackerWeight(0, false);

    public TrackerWeight {
        if (weight < -253 || weight > 253) {
            throw new IllegalArgumentException("weight " + weight + " outside -253..253");
        }
    }

    public boolean isFaultTracker() {
        return weight == 0;
    }

    /** Whether this status puts a tracking instance in FAULT (only weight-0 trackers do). */
    public boolean faults(TrackerStatus status) {
        if (weight != 0 || status == TrackerStatus.PENDING) {
            return false;
        }
        return (status == TrackerStatus.OK) == reverse;
    }

    /** The priority adjustment this status contributes (0 for weight-0 trackers and while PENDING). */
    public int priorityDelta(TrackerStatus status) {
        int sign = reverse ? -1 : 1;
        if (weight > 0 && status == TrackerStatus.OK) {
            return weight * sign;
        }
        if (weight < 0 && status == TrackerStatus.FAILED) {
            return weight * sign;
        }
        return 0;
    }
}
