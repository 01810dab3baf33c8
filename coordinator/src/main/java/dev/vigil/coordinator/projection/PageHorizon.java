package dev.vigil.coordinator.projection;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How far a cursor may page without ever skipping an event that commits late. The global index is
 * handed out at insert, not at commit, so a visible event above a missing index means the missing one
 * is either rolled back (a permanent gap) or still in flight. It can be in flight only while its
 * transaction may still commit: at most {@code fillWindow} (longer than the store's transaction
 * timeouts) after the event just above the gap was written, since that event's index came later.
 */
public final class PageHorizon {
    private PageHorizon() {
    }

    /** An index and when its event was written (the store's clock). */
    public record Visible(long index, Instant writtenAt) {
    }

    /**
     * The highest index a page may include: the visible events above {@code cursor}, in index order,
     * up to (not including) the first gap that may still fill.
     */
    public static long of(long cursor, List<Visible> above, Instant now, Duration fillWindow) {
        long horizon = cursor;
        for (Visible v : above) {
            boolean gap = v.index() > horizon + 1;
            if (gap && now.isBefore(v.writtenAt().plus(fillWindow))) {
                return horizon;
            }
            horizon = v.index();
        }
        return horizon;
    }
}
