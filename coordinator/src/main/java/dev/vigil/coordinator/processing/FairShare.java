package dev.vigil.coordinator.processing;

/**
 * Axon 4 does not rebalance segments by itself: the first instance up claims them all. Each
 * instance caps its claims at its fair share, ceil(segments / live instances); when one joins the
 * share drops and the holder's tailing loop ({@link NodeTail}) releases the surplus, which the newcomer
 * claims; when one dies the share rises once its heartbeat is older than the claim timeout, and the
 * survivors claim its expired segments.
 */
public final class FairShare {
    private FairShare() {
    }

    public static int of(int segments, int liveInstances) {
        int live = Math.max(1, liveInstances);
        return (segments + live - 1) / live;
    }
}
