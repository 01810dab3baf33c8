package dev.vigil.coordinator.domain;

import java.util.List;

/** Append an agent's facts to its stream; facts are ordered by boot (first appearance), then seq. */
public record RecordFacts(String agentId, List<IncomingFact> facts) {
    public RecordFacts {
        facts = List.copyOf(facts);
    }
}
