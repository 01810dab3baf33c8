package dev.vigil.coordinator.domain;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/**
 * One agent's stream of observed facts: per boot strictly in seq order from 1 without gaps, each
 * fact once, each linked into the agent's hash chain. A fact beyond a gap is deferred (not stored)
 * so the stream never needs reordering; the agent resends it after the missing one.
 * Its whole state is small (a head per boot and the chain head), so snapshots stay small.
 */
public class AgentStream {
    @AggregateIdentifier
    @JsonProperty
    private String agentId;
    @JsonProperty
    private Map<String, Long> bootHeads = new HashMap<>();
    @JsonProperty
    private long chainLength;
    @JsonProperty
    private String chainHead = HashChain.GENESIS;

    protected AgentStream() {
        // For Axon (event sourcing) and Jackson (snapshots).
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public IngestOutcome handle(RecordFacts command) {
        if (agentId == null) {
            agentId = command.agentId();
        }
        int stored = 0;
        int duplicates = 0;
        int deferred = 0;
        Map<String, Long> heads = new LinkedHashMap<>();
        List<FactRecorded> recorded = new ArrayList<>();
        for (IncomingFact f : command.facts()) {
            long head = bootHeads.getOrDefault(f.bootId(), 0L);
            if (f.seq() <= head) {
                duplicates++;
            } else if (f.seq() == head + 1) {
                FactRecorded event = new FactRecorded(agentId, f.bootId(), f.seq(), chainLength, f.factType(),
                        f.agentTime(), f.canonical(), chainHead, HashChain.next(chainHead, f.canonical()));
                apply(event);
                recorded.add(event);
                stored++;
            } else {
                deferred++;
            }
            heads.put(f.bootId(), bootHeads.getOrDefault(f.bootId(), 0L));
        }
        return new IngestOutcome(stored, duplicates, deferred, heads, recorded);
    }

    @EventSourcingHandler
    void on(FactRecorded e) {
        agentId = e.agentId();
        bootHeads.put(e.bootId(), e.seq());
        chainLength = e.chainIndex() + 1;
        chainHead = e.hash();
    }
}
