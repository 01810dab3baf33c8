package dev.vigil.coordinator.projection;

import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The pure fold from agent facts to the state of every virtual router (DESIGN principle 4): the state at
 * T is this fold over the facts whose agent time is at or before T, read in agent-clock order.
 * A start or a stop of an agent ends everything it held: the previous process is gone.
 */
public final class StateFold {
    private final SortedMap<RouterKey, Member> routers = new TreeMap<>(
            java.util.Comparator.comparing(RouterKey::cluster).thenComparingInt(RouterKey::vrid)
                    .thenComparing(RouterKey::family));
    /** Per cluster and agent, tracker → healthy (trackers belong to an agent, not to a router). */
    private final SortedMap<String, SortedMap<String, SortedMap<String, Boolean>>> trackers = new TreeMap<>();

    private StateFold() {
    }

    /** Every virtual router at {@code t}, ordered by cluster, VRID, family. */
    public static List<RouterView> at(Collection<Observed> facts, Instant t) {
        StateFold fold = new StateFold();
        facts.stream().filter(o -> !o.envelope().time().isAfter(t)).sorted(ReviewFold.BY_AGENT_CLOCK)
                .forEach(o -> fold.apply(o.envelope()));
        return fold.views();
    }

    /** The fold before any fact. */
    public static StateFold empty() {
        return new StateFold();
    }

    /** The fold continued from a {@link #snapshot()}: applying more facts gives what one fold over all would. */
    public static StateFold resume(Snapshot s) {
        StateFold fold = new StateFold();
        for (Snapshot.Router r : s.routers()) {
            Member m = fold.routers.computeIfAbsent(r.key(), k -> new Member());
            m.states.putAll(r.states());
            m.priorities.putAll(r.priorities());
            m.vipOwners.putAll(r.vipOwners());
        }
        s.trackers().forEach((cluster, byAgent) -> byAgent.forEach((agent, t) ->
                fold.trackers.computeIfAbsent(cluster, c -> new TreeMap<>()).put(agent, new TreeMap<>(t))));
        return fold;
    }

    /** Applies facts that come after everything applied so far, in {@link #AGENT_CLOCK} order. */
    public void applyInOrder(List<Observed> facts) {
        facts.forEach(o -> apply(o.envelope()));
    }

    /** The order facts are folded in: agent time, ties by agent, boot, seq. */
    public static final java.util.Comparator<Observed> AGENT_CLOCK = ReviewFold.BY_AGENT_CLOCK;

    /** Everything the fold holds, as plain data (a checkpoint can store it and {@link #resume} it). */
    public Snapshot snapshot() {
        List<Snapshot.Router> out = new ArrayList<>();
        routers.forEach((key, m) -> out.add(new Snapshot.Router(key, new TreeMap<>(m.states), new TreeMap<>(m.priorities),
                new TreeMap<>(m.vipOwners))));
        SortedMap<String, SortedMap<String, SortedMap<String, Boolean>>> t = new TreeMap<>();
        trackers.forEach((cluster, byAgent) -> byAgent.forEach((agent, results) ->
                t.computeIfAbsent(cluster, c -> new TreeMap<>()).put(agent, new TreeMap<>(results))));
        return new Snapshot(out, t);
    }

    /** The fold's state: every router's members and the trackers of every agent, per cluster. */
    public record Snapshot(List<Router> routers, SortedMap<String, SortedMap<String, SortedMap<String, Boolean>>> trackers) {
        public Snapshot {
            routers = List.copyOf(routers);
        }

        public record Router(RouterKey key, SortedMap<String, RouterState> states,
                             SortedMap<String, RouterView.Priority> priorities, SortedMap<String, String> vipOwners) {
        }
    }

    private void apply(EventEnvelope e) {
        String cluster = e.cluster().orElse(RouterKey.NO_CLUSTER);
        String agent = e.agentId();
        AgentFact f = e.fact();
        if (f instanceof AgentFact.RouterStateChanged s) {
            Member m = member(cluster, s.router());
            m.states.put(agent, s.to());
            m.priorities.put(agent, new RouterView.Priority(s.basePriority(), s.effectivePriority()));
        } else if (f instanceof AgentFact.PriorityChanged p) {
            Member m = member(cluster, p.router());
            RouterView.Priority was = m.priorities.get(agent);
            m.priorities.put(agent, new RouterView.Priority(was == null ? p.from() : was.base(), p.to()));
        } else if (f instanceof AgentFact.VipsAdded v && v.kernelAccepted()) {
            Member m = member(cluster, v.router());
            v.addresses().forEach(a -> m.vipOwners.put(a, agent));
        } else if (f instanceof AgentFact.VipsRemoved v) {
            Member m = member(cluster, v.router());
            v.addresses().forEach(a -> m.vipOwners.remove(a, agent));
        } else if (f instanceof AgentFact.TrackerResultChanged r) {
            trackers.computeIfAbsent(cluster, c -> new TreeMap<>()).computeIfAbsent(agent, a -> new TreeMap<>())
                    .put(r.tracker(), r.healthy());
        } else if (f instanceof AgentFact.AgentStarted || f instanceof AgentFact.AgentStopping) {
            routers.forEach((key, m) -> {
                if (key.cluster().equals(cluster)) {
                    m.states.remove(agent);
                    m.priorities.remove(agent);
                    m.vipOwners.values().removeIf(agent::equals);
                }
            });
            SortedMap<String, SortedMap<String, Boolean>> byAgent = trackers.get(cluster);
            if (byAgent != null) {
                byAgent.remove(agent);
            }
        }
    }

    private Member member(String cluster, dev.vigil.model.RouterRef r) {
        return routers.computeIfAbsent(new RouterKey(cluster, r.vrid(), r.family()), k -> new Member());
    }

    /** Every virtual router now, ordered by cluster, VRID, family. */
    public List<RouterView> views() {
        List<RouterView> out = new ArrayList<>();
        routers.forEach((key, m) -> {
            List<String> masters = new ArrayList<>();
            List<String> backups = new ArrayList<>();
            m.states.forEach((agent, s) -> {
                if (s == RouterState.MASTER) {
                    masters.add(agent);
                } else if (s == RouterState.BACKUP) {
                    backups.add(agent);
                }
            });
            SortedMap<String, SortedMap<String, Boolean>> memberTrackers = new TreeMap<>();
            SortedMap<String, SortedMap<String, Boolean>> all = trackers.getOrDefault(key.cluster(), new TreeMap<>());
            m.states.keySet().forEach(agent -> {
                SortedMap<String, Boolean> t = all.get(agent);
                if (t != null) {
                    memberTrackers.put(agent, java.util.Collections.unmodifiableSortedMap(new TreeMap<>(t)));
                }
            });
            out.add(new RouterView(key, masters, backups, m.states, m.priorities, memberTrackers, m.vipOwners));
        });
        return List.copyOf(out);
    }

    /** Mutable only inside one fold. */
    private static final class Member {
        final SortedMap<String, RouterState> states = new TreeMap<>();
        final SortedMap<String, RouterView.Priority> priorities = new TreeMap<>();
        final SortedMap<String, String> vipOwners = new TreeMap<>();
    }
}
