package dev.vigil.coordinator.domain;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

import java.util.List;

/** Append an agent's facts to its stream; facts are ordered by boot (first appearance), then seq. */
public record RecordFacts(@TargetAggregateIdentifier String agentId, List<IncomingFact> facts) {
    public RecordFacts {
        facts = List.copyOf(facts);
    }
}
