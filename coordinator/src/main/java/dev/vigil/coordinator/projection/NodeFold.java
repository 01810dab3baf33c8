package dev.vigil.coordinator.projection;

import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The node read model of one agent, as a pure fold over its stream in stream order: its latest boot,
 * the last state of each of its routers, the last result of each tracker, when it was last heard of.
 * "Latest" is by agent time, ties broken by stream order, so a late batch of an old boot (shipped after
 * the new boot's facts) does not flip the node back to it.
 */
public final class NodeFold {
    private NodeFold() {
    }

    /** Where a router lives on a node. */
    public record RouterId(String router, int vrid, String family) implements Comparable<RouterId> {
        @Override
        public int compareTo(RouterId o) {
            int c = router.compareTo(o.router);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(vrid, o.vrid);
            return c != 0 ? c : family.compareTo(o.family);
        }
    }

    public record RouterLast(String state, Instant since) {
    }

    public record TrackerLast(String kind, boolean healthy, Instant since) {
    }

    /** {@code chainLength}: how many of the stream's facts are folded in (the next one has chainIndex == chainLength). */
    public record Node(String agentId, String bootId, Instant bootedAt, long lastSeq, Instant lastSeen,
                       String lastFactType, long chainLength, String chainHead,
                       Map<RouterId, RouterLast> routers, Map<String, TrackerLast> trackers) {
        public Node {
            routers = Map.copyOf(routers);
            trackers = Map.copyOf(trackers);
        }
    }

    /**
     * One stored fact as the fold needs it: its envelope's header, and its body only where the fold reads it
     * ({@link #READ}); the others' envelopes need not be decoded (the header is in the stored payload).
     */
    public record Fact(String agentId, long chainIndex, String hash, String bootId, long seq, Instant time,
                       String factType, Optional<AgentFact> fact) {
        public Fact {
            Objects.requireNonNull(agentId, "agentId");
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(bootId, "bootId");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(factType, "factType");
            Objects.requireNonNull(fact, "fact");
        }

        public Fact(String agentId, long chainIndex, String hash, EventEnvelope e) {
            this(agentId, chainIndex, hash, e.bootId(), e.seq(), e.time(), e.factType(), Optional.of(e.fact()));
        }
    }

    /** The fact types whose bodies the fold reads (router states, tracker results); the rest count by header. */
    public static final Set<String> READ = Set.of(AgentFact.RouterStateChanged.class.getSimpleName(),
            AgentFact.TrackerResultChanged.class.getSimpleName());

    /**
     * {@code before} with {@code f} folded in; {@code before} unchanged if it already holds {@code f}
     * (a redelivered batch). Facts of one agent must come in stream order.
     */
    public static Node apply(Optional<Node> before, Fact f) {
        if (before.isPresent() && f.chainIndex() < before.get().chainLength()) {
            return before.get();
        }
        if (before.isEmpty()) {
            return withFact(new Node(f.agentId(), f.bootId(), f.time(), f.seq(), f.time(), f.factType(), 0,
                    f.hash(), Map.of(), Map.of()), f, true);
        }
        Node b = before.get();
        boolean latest = !f.time().isBefore(b.lastSeen());
        return withFact(b, f, latest);
    }

    private static Node withFact(Node b, Fact f, boolean latest) {
        Fact e = f;
        AgentFact fact = f.fact().orElse(null);
        Map<RouterId, RouterLast> routers = new TreeMap<>(b.routers());
        Map<String, TrackerLast> trackers = new TreeMap<>(b.trackers());
        if (fact instanceof AgentFact.RouterStateChanged r) {
            RouterId id = new RouterId(r.router().instance(), r.router().vrid(), r.router().family().name());
            RouterLast last = routers.get(id);
            if (last == null || !e.time().isBefore(last.since())) {
                routers.put(id, new RouterLast(r.to().name(), e.time()));
            }
        } else if (fact instanceof AgentFact.TrackerResultChanged t) {
            TrackerLast last = trackers.get(t.tracker());
            if (last == null || !e.time().isBefore(last.since())) {
                trackers.put(t.tracker(), new TrackerLast(t.kind(), t.healthy(), e.time()));
            }
        }
        String boot = latest ? e.bootId() : b.bootId();
        Instant bootedAt = !latest ? b.bootedAt()
                : e.bootId().equals(b.bootId()) && b.chainLength() > 0 ? b.bootedAt() : e.time();
        return new Node(b.agentId(), boot, bootedAt, latest ? e.seq() : b.lastSeq(), latest ? e.time() : b.lastSeen(),
                latest ? e.factType() : b.lastFactType(), f.chainIndex() + 1, f.hash(), routers, trackers);
    }
}
