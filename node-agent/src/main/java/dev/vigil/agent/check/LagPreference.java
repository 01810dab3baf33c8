package dev.vigil.agent.check;

/**
 * "Prefer the replica with the least lag" (issue 6), as VRRP can carry it: a priority that falls as replay lag grows,
 * so among healthy replicas the least lagging one has the highest priority and wins the read VIP. Nothing of Vigil's
 * is on the wire; the peers compare priorities only.
 *
 * <p>The penalty is one priority point per {@code stepBytes} of replay lag (received but not replayed), at most
 * {@code maxPenalty}. It moves only when the lag leaves the current step by half a step (hysteresis), so a lag that
 * hovers around a boundary does not make two replicas swap the VIP at every check. Pure.
 *
 * @param stepBytes  lag worth one priority point; &gt; 0
 * @param maxPenalty the penalty never exceeds this (1..253): keep it below the tracker's weight so that a healthy
 *                   replica, however far behind, still beats a failing one
 */
public record LagPreference(long stepBytes, int maxPenalty) {

    public static final int DEFAULT_MAX_PENALTY = 50;

    public LagPreference {
        if (stepBytes <= 0) {
            throw new IllegalArgumentException("prefer_least_lag step must be positive, got " + stepBytes);
        }
        if (maxPenalty < 1 || maxPenalty > 253) {
            throw new IllegalArgumentException("prefer_least_lag maximum must be in 1..253, got " + maxPenalty);
        }
    }

    /** The penalty for {@code lagBytes} with no history: whole steps, capped. */
    public int penalty(long lagBytes) {
        return (int) Math.min(maxPenalty, Math.max(0, lagBytes) / stepBytes);
    }

    /**
     * The penalty after observing {@code lagBytes} when it was {@code current}: it rises to n only once the lag is
     * at least n + 1/2 steps, and falls to n only once the lag is below n + 1/2 steps (half a step of hysteresis
     * either way).
     */
    public int next(int current, long lagBytes) {
        long lag = Math.max(0, lagBytes);
        long half = stepBytes / 2;
        int up = (int) Math.min(maxPenalty, Math.max(0, lag - half) / stepBytes);
        if (up > current) {
            return up;
        }
        int down = (int) Math.min(maxPenalty, (lag + half) / stepBytes);
        return Math.min(down, current);
    }

    /**
     * What a tracker with this preference does to one instance tracking it: keepalived's weight rules
     * ({@link TrackerWeight}), minus the penalty while the check passes. A weight-0 tracker still faults the
     * instance when it fails; passing, it lowers the priority by the penalty.
     */
    public static Effect effect(TrackerWeight weight, TrackerStatus status, int penalty) {
        int delta = weight.priorityDelta(status);
        if (status == TrackerStatus.OK && !weight.reverse()) {
            delta -= penalty;
        }
        return new Effect(weight.faults(status), delta);
    }

    /** FAULT, or the priority adjustment (negative lowers). */
    public record Effect(boolean fault, int delta) {
    }
}
