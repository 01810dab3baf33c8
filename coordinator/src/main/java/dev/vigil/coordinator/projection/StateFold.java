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

    private List<RouterView> views() {
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
