package dev.vigil.agent.report;

import dev.vigil.model.AgentFact;
import dev.vigil.model.FactType;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which facts a filling outbox gives up, and in what order. State and VIP changes, starts, stops,
 * config loads and the thinning record itself are never dropped, whatever the fill: an audit trail
 * without them is worthless. The repetitive ones go first (rejected-advert counts, a tracker
 * re-reporting the verdict it already had), then the remaining lower-value facts once the outbox
 * is full. Used by the outbox writer thread only.
 */
final class ThinningPolicy {
    /** How much a fact is worth keeping when space runs out. */
    enum Worth {
        /** Never dropped. */
        ESSENTIAL,
        /** Dropped when the outbox is full. */
        LOW,
        /** Dropped from three quarters full: repeats that tell a reviewer little. */
        LOWEST
    }

    static final double LOWEST_DROPPED_FROM = 0.75;
    static final double LOW_DROPPED_FROM = 1.0;

    private final Map<String, Boolean> lastVerdict = new HashMap<>();

    /** Classifies a fact; remembers tracker verdicts, so call it once per fact, in order. */
    Worth worth(AgentFact fact) {
        if (fact instanceof AgentFact.AdvertsRejected) {
            return Worth.LOWEST;
        }
        if (fact instanceof AgentFact.TrackerResultChanged t) {
            Boolean before = lastVerdict.put(t.tracker(), t.healthy());
            return before != null && before == t.healthy() ? Worth.LOWEST : Worth.LOW;
        }
        if (fact instanceof AgentFact.PriorityChanged || fact instanceof AgentFact.NotifyScriptRan) {
            return Worth.LOW;
        }
        return Worth.ESSENTIAL;
    }

    static boolean keeps(Worth worth, long usedBytes, long limitBytes) {
        double fill = (double) usedBytes / limitBytes;
        return switch (worth) {
            case ESSENTIAL -> true;
            case LOW -> fill < LOW_DROPPED_FROM;
            case LOWEST -> fill < LOWEST_DROPPED_FROM;
        };
    }

    /** What was dropped since the last {@link AgentFact.FactsThinned} was recorded. */
    static final class Tally {
        private final Map<String, Long> byType = new TreeMap<>();
        private long first;
        private long last;

        void dropped(AgentFact fact, long monotonicNanos) {
            dropped(FactType.nameOf(fact), 1, monotonicNanos);
        }

        void dropped(String type, long count, long monotonicNanos) {
            if (byType.isEmpty()) {
                first = monotonicNanos;
            }
            byType.merge(type, count, Long::sum);
            last = Math.max(last, monotonicNanos);
        }

        boolean isEmpty() {
            return byType.isEmpty();
        }

        long firstDroppedNanos() {
            return first;
        }

        /** The fact describing the drops so far; the tally starts again empty. */
        AgentFact.FactsThinned drain(String reason) {
            AgentFact.FactsThinned f = new AgentFact.FactsThinned(byType, first, last, reason);
            byType.clear();
            first = 0;
            last = 0;
            return f;
        }
    }
}
