package dev.vigil.coordinator.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.domain.HashChain;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Recomputes one agent's hash chain from the stored rows alone (docs/coordinator.md gives the
 * encoding) and names the first event that was altered, removed or reordered. With a signed
 * checkpoint's head for this agent it also catches a truncated tail and a tail rewritten with
 * recomputed hashes. Rows are fed one at a time, so a long stream needs no memory.
 */
public final class ChainVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String agentId;
    private final Map<String, Long> lastSeqByBoot = new HashMap<>();
    private String running = HashChain.GENESIS;
    private long position;
    private ChainBreak first;
    private final Map<Long, String> storedHashAt = new HashMap<>();
    private final long anchorPosition;

    private ChainVerifier(String agentId, Optional<Checkpoint.Head> anchor) {
        this.agentId = agentId;
        this.anchorPosition = anchor.map(h -> h.length() - 1).orElse(-1L);
    }

    public static ChainVerifier start(String agentId, Optional<Checkpoint.Head> anchor) {
        return new ChainVerifier(agentId, anchor);
    }

    public static ChainVerdict verify(String agentId, Iterator<StoredLink> rows, Optional<Checkpoint.Head> anchor) {
        ChainVerifier v = start(agentId, anchor);
        rows.forEachRemaining(v::accept);
        return v.finish(anchor);
    }

    /** Feeds the next row in stored order (by sequence number). */
    public void accept(StoredLink row) {
        JsonNode event = null;
        try {
            event = JSON.readTree(row.payload());
        } catch (IOException e) {
            if (first == null) {
                first = new ChainBreak(position, ChainBreak.Kind.ALTERED, "payload is not readable JSON");
            }
        }
        String stored = event == null ? "" : event.path("hash").asText();
        if (first == null) {
            first = check(row, event);
        }
        // Past the first break the chain is followed by its stored hashes, to report length and head.
        running = first == null ? HashChain.next(running, event.path("envelope").asText()) : stored;
        if (position == anchorPosition) {
            storedHashAt.put(position, stored);
        }
        position++;
    }

    public ChainVerdict finish(Optional<Checkpoint.Head> anchor) {
        if (first == null && anchor.isPresent()) {
            Checkpoint.Head head = anchor.get();
            if (position < head.length()) {
                first = new ChainBreak(position, ChainBreak.Kind.TRUNCATED, "the stream has " + position
                        + " events; a signed checkpoint saw " + head.length());
            } else if (head.length() > 0 && !head.hash().equals(storedHashAt.get(head.length() - 1))) {
                first = new ChainBreak(head.length() - 1, ChainBreak.Kind.REWRITTEN,
                        "differs from the signed checkpoint's hash " + head.hash());
            }
        }
        return new ChainVerdict(agentId, position, running, Optional.ofNullable(first));
    }

    private ChainBreak check(StoredLink row, JsonNode event) {
        if (row.sequenceNumber() > position) {
            return new ChainBreak(position, ChainBreak.Kind.REMOVED, "stream position " + position
                    + " is missing (next stored is " + row.sequenceNumber() + ")");
        }
        JsonNode envelope;
        try {
            envelope = JSON.readTree(event.path("envelope").asText());
        } catch (IOException e) {
            return new ChainBreak(position, ChainBreak.Kind.ALTERED, "envelope is not readable JSON");
        }
        long chainIndex = event.path("chainIndex").asLong(-1);
        if (chainIndex != position) {
            return new ChainBreak(position, chainIndex > position ? ChainBreak.Kind.REORDERED : ChainBreak.Kind.ALTERED,
                    "holds the event written at position " + chainIndex);
        }
        if (!running.equals(event.path("previousHash").asText())) {
            return new ChainBreak(position, ChainBreak.Kind.REMOVED,
                    "does not follow the event before it (previousHash does not match)");
        }
        if (!HashChain.next(running, event.path("envelope").asText()).equals(event.path("hash").asText())) {
            return new ChainBreak(position, ChainBreak.Kind.ALTERED, "content does not match its hash");
        }
        String boot = envelope.path("bootId").asText();
        long seq = envelope.path("seq").asLong();
        if (!agentId.equals(envelope.path("agentId").asText()) || !agentId.equals(event.path("agentId").asText())
                || !boot.equals(event.path("bootId").asText()) || seq != event.path("seq").asLong()) {
            return new ChainBreak(position, ChainBreak.Kind.ALTERED, "identity fields disagree with the hashed envelope");
        }
        long expected = lastSeqByBoot.getOrDefault(boot, 0L) + 1;
        if (seq != expected) {
            return new ChainBreak(position, seq > expected ? ChainBreak.Kind.REMOVED : ChainBreak.Kind.REORDERED,
                    "boot " + boot + " seq " + seq + " where " + expected + " was due");
        }
        lastSeqByBoot.put(boot, seq);
        return null;
    }
}
