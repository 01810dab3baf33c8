package dev.vigil.coordinator.domain;

import java.util.List;
import java.util.Map;

/**
 * What one batch did. {@code heads}: per boot id of the batch, the highest seq such that 1..seq are
 * all stored; the agent may forget those. {@code deferred}: facts beyond a gap, not stored, to be
 * sent again after the missing ones. {@code recorded}: the events this batch appended.
 */
public record IngestOutcome(int stored, int duplicates, int deferred, Map<String, Long> heads,
                            List<FactRecorded> recorded) {
    public IngestOutcome {
        heads = Map.copyOf(heads);
        recorded = List.copyOf(recorded);
    }
}
