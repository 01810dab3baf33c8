package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.domain.IncomingFact;
import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.MalformedEnvelopeException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns an authenticated request body into one append to the agent's stream. The whole batch is
 * decoded and checked before anything is stored, so a bad batch stores nothing. Blocking.
 */
public final class IngestService {
    public static final int MAX_EVENTS_PER_BATCH = 10_000;

    private final EnvelopeCodec codec;
    private final Function<RecordFacts, IngestOutcome> store;

    public IngestService(EnvelopeCodec codec, Function<RecordFacts, IngestOutcome> store) {
        this.codec = codec;
        this.store = store;
    }

    public IngestResult ingest(String agentId, byte[] body) {
        List<EventEnvelope> events;
        try {
            events = codec.decodeBatch(body);
        } catch (MalformedEnvelopeException e) {
            return new IngestResult.Malformed(e.field(), e.problem());
        }
        if (events.size() > MAX_EVENTS_PER_BATCH) {
            return new IngestResult.Malformed("events", "at most " + MAX_EVENTS_PER_BATCH + " events per batch, got "
                    + events.size());
        }
        for (int i = 0; i < events.size(); i++) {
            if (!events.get(i).agentId().equals(agentId)) {
                return new IngestResult.Forbidden("events[" + i + "].agentId", "the token of agent '" + agentId
                        + "' may not write events of agent '" + events.get(i).agentId() + "'");
            }
        }
        if (events.isEmpty()) {
            return new IngestResult.Applied(agentId, new IngestOutcome(0, 0, 0, Map.of(), List.of()));
        }
        return new IngestResult.Applied(agentId, store.apply(new RecordFacts(agentId, inStreamOrder(events))));
    }

    /** Boots in order of first appearance, each boot by seq: the order the stream accepts. */
    private List<IncomingFact> inStreamOrder(List<EventEnvelope> events) {
        Map<String, List<EventEnvelope>> byBoot = new LinkedHashMap<>();
        events.forEach(e -> byBoot.computeIfAbsent(e.bootId(), b -> new ArrayList<>()).add(e));
        List<IncomingFact> out = new ArrayList<>(events.size());
        for (List<EventEnvelope> boot : byBoot.values()) {
            if (!inSeqOrder(boot)) { // agents send in order; sort only when one did not
                boot.sort(Comparator.comparingLong(EventEnvelope::seq));
            }
            for (EventEnvelope e : boot) {
                out.add(new IncomingFact(e.bootId(), e.seq(), e.factType(), e.time(), codec.encode(e)));
            }
        }
        return out;
    }

    private static boolean inSeqOrder(List<EventEnvelope> boot) {
        for (int i = 1; i < boot.size(); i++) {
            if (boot.get(i - 1).seq() > boot.get(i).seq()) {
                return false;
            }
        }
        return true;
    }
}
