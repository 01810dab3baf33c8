package dev.vigil.coordinator.domain;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One agent's stream of observed facts: per boot strictly in seq order from 1 without gaps, each
 * fact once, each linked into the agent's hash chain. A fact beyond a gap is deferred (not stored)
 * so the stream never needs reordering; the agent resends it after the missing one.
 * Its whole state is small (a head per boot and the chain head), so snapshots stay small.
 *
 * <p>Pure: {@link #decide} never changes this stream, it returns the stream after the batch, which the
 * store keeps only once the batch committed. The JSON fields are the snapshot format of
 * {@code snapshot_event_entry} (Axon's Jackson serializer), unchanged since the first release.
 */
public class AgentStream {
    /** The {@code type} column of the stream's events and snapshots (Axon's aggregate type). */
    public static final String TYPE = "AgentStream";

    @JsonProperty
    private String agentId;
    @JsonProperty
    private Map<String, Long> bootHeads = new HashMap<>();
    @JsonProperty
    private long chainLength;
    @JsonProperty
    private String chainHead = HashChain.GENESIS;

    protected AgentStream() {
        // For Jackson (snapshots).
    }

    public static AgentStream empty(String agentId) {
        AgentStream s = new AgentStream();
        s.agentId = agentId;
        return s;
    }

    /** What the batch does to this stream, and the stream after it; this stream is left as it was. */
    public Decision decide(RecordFacts command) {
        if (agentId != null && !agentId.equals(command.agentId())) {
            throw new IllegalArgumentException("the stream of " + agentId + " got facts of " + command.agentId());
        }
        AgentStream next = copy();
        next.agentId = command.agentId();
        int stored = 0;
        int duplicates = 0;
        int deferred = 0;
        Map<String, Long> heads = new LinkedHashMap<>();
        List<FactRecorded> recorded = new ArrayList<>();
        for (IncomingFact f : command.facts()) {
            long head = next.bootHeads.getOrDefault(f.bootId(), 0L);
            if (f.seq() <= head) {
                duplicates++;
            } else if (f.seq() == head + 1) {
                FactRecorded event = new FactRecorded(next.agentId, f.bootId(), f.seq(), next.chainLength, f.factType(),
                        f.agentTime(), f.canonical(), next.chainHead, HashChain.next(next.chainHead, f.canonical()));
                next.evolve(event);
                recorded.add(event);
                stored++;
            } else {
                deferred++;
            }
            heads.put(f.bootId(), next.bootHeads.getOrDefault(f.bootId(), 0L));
        }
        return new Decision(new IngestOutcome(stored, duplicates, deferred, heads, recorded), next);
    }

    /** Folds one stored event into this stream (loading from the store, or deciding on a copy). */
    public void evolve(FactRecorded e) {
        agentId = e.agentId();
        bootHeads.put(e.bootId(), e.seq());
        chainLength = e.chainIndex() + 1;
        chainHead = e.hash();
    }

    /** A private copy: a decision never touches a stream another thread may hold. */
    public AgentStream copy() {
        AgentStream c = new AgentStream();
        c.agentId = agentId;
        c.bootHeads = new HashMap<>(bootHeads);
        c.chainLength = chainLength;
        c.chainHead = chainHead;
        return c;
    }

    public String agentId() {
        return agentId;
    }

    /** Events in the stream; the next event's sequence number. */
    public long length() {
        return chainLength;
    }

    /** The outcome of a batch, and the stream after it. */
    public record Decision(IngestOutcome outcome, AgentStream next) {
    }
}
