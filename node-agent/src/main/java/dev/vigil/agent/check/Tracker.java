package dev.vigil.agent.check;

import java.util.Optional;

/**
 * A tracked check's state as a value: its hysteresis, and how many results in a row agreed (for the change's detail).
 * Fold results into it with {@link #apply}; an answer carries the new tracker and, when the status changed,
 * the {@link TrackerChange}. Pure: time comes in with each result.
 */
public record Tracker(String name, Hysteresis hysteresis, int streak, boolean lastPassed) {

    public static Tracker start(String name, int rise, int fall, boolean initFail) {
        return new Tracker(name, Hysteresis.start(rise, fall, initFail), 0, false);
    }

    public TrackerStatus status() {
        return hysteresis.status();
    }

    public Step apply(ProbeResult result, long atNanos) {
        Hysteresis next = hysteresis.next(result.passed());
        int run = streak > 0 && lastPassed == result.passed() ? streak + 1 : 1;
        Tracker after = new Tracker(name, next, run, result.passed());
        TrackerStatus from = hysteresis.status();
        TrackerStatus to = next.status();
        Optional<TrackerChange> change = from == to ? Optional.empty()
                : Optional.of(new TrackerChange(name, from, to, result.detail(), run, result.took(), atNanos));
        return new Step(after, change);
    }

    /** The tracker after one result, and the change it caused if any. */
    public record Step(Tracker tracker, Optional<TrackerChange> change) {}
}
