package dev.vigil.coordinator.projection;

import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rows the query API serves, from the review fold's facts (pure): VIP moves with the cause the new
 * holder gave, and incidents with their span and the stored events that make them.
 */
public final class ReviewRows {
    public static final Instant END_OF_TIME = Instant.parse("9999-12-31T23:59:59Z");

    private ReviewRows() {
    }

    /** The kinds of incident reported. */
    public enum IncidentKind { SplitBrain, NoMaster, Flapping, Failover, TrackerFailedOnMaster }

    public record Move(RouterKey router, Instant at, String from, String to, List<String> addresses, String cause,
                       Optional<Duration> gap) {
        public Move {
            addresses = List.copyOf(addresses);
        }
    }

    public record Incident(RouterKey router, IncidentKind kind, Instant start, Optional<Instant> until,
                           List<String> agents, String detail, List<Long> events) {
        public Incident {
            agents = List.copyOf(agents);
            events = List.copyOf(events);
        }
    }

    public static List<Move> moves(List<ReviewFact> review) {
        List<Move> out = new ArrayList<>();
        for (ReviewFact f : review) {
            if (f instanceof ReviewFact.VipMoved m) {
                out.add(new Move(m.router(), m.at(), m.fromAgent(), m.toAgent(), m.addresses(), causeOf(review, m), m.gap()));
            }
        }
        return List.copyOf(out);
    }

    /** A move's cause is the cause the new holder gave for becoming master of that router. */
    private static String causeOf(List<ReviewFact> review, ReviewFact.VipMoved m) {
        String cause = "unknown: no state change of " + m.toAgent() + " to MASTER before the move";
        for (ReviewFact f : review) {
            if (f.at().isAfter(m.at())) {
                break;
            }
            if (f instanceof ReviewFact.MasterChanged c && c.router().equals(m.router()) && c.toAgent().equals(m.toAgent())) {
                cause = c.cause();
            }
        }
        return cause;
    }

    public static List<Incident> incidents(List<StoredEvent> facts, List<ReviewFact> review) {
        List<StoredEvent> byTime = byAgentTime(facts);
        List<Incident> out = new ArrayList<>();
        for (ReviewFact f : review) {
            incident(f, byTime).ifPresent(out::add);
        }
        return List.copyOf(out);
    }

    /** Facts by agent time (then id), so each incident looks only at the facts within its span. */
    public static List<StoredEvent> byAgentTime(List<StoredEvent> facts) {
        List<StoredEvent> byTime = new ArrayList<>(facts);
        byTime.sort(java.util.Comparator.comparing((StoredEvent e) -> e.observed().envelope().time())
                .thenComparingLong(StoredEvent::id));
        return byTime;
    }

    /** The incident a review fact makes, if any, with its events among {@code byTime} (see {@link #byAgentTime}). */
    public static Optional<Incident> incident(ReviewFact f, List<StoredEvent> byTime) {
        return span(f).map(s -> {
            List<Long> ids = new ArrayList<>();
            Instant end = s.until.orElse(END_OF_TIME);
            for (int i = firstAtOrAfter(byTime, s.start); i < byTime.size()
                    && !byTime.get(i).observed().envelope().time().isAfter(end); i++) {
                if (partOf(byTime.get(i), f.router(), s)) {
                    ids.add(byTime.get(i).id());
                }
            }
            ids.sort(null);
            return new Incident(f.router(), s.kind, s.start, s.until, List.copyOf(s.agents), s.detail, ids);
        });
    }

    /**
     * Facts indexed by what an incident can be made of (see {@link #partOf(StoredEvent, Incident)}): the facts about
     * its router, and its agents' facts about no router. An incident's events among {@link #of} equal those among
     * all the facts, so a refresh with a thousand open incidents looks at each one's few facts, not at every fact
     * once per incident (that was most of the refresh's CPU under ingest).
     */
    public static final class Candidates {
        private final Map<RouterKey, List<StoredEvent>> byRouter = new HashMap<>();
        private final Map<String, List<StoredEvent>> byAgent = new HashMap<>();

        public Candidates(List<StoredEvent> facts) {
            add(facts);
        }

        /** Indexes more facts (of agent times not before those indexed so far, or {@link #of} sorts them anyway). */
        public void add(List<StoredEvent> facts) {
            for (StoredEvent e : facts) {
                EventEnvelope env = e.observed().envelope();
                Optional<RouterKey> r = routerOf(env);
                if (r.isPresent()) {
                    byRouter.computeIfAbsent(r.get(), k -> new ArrayList<>()).add(e);
                } else {
                    byAgent.computeIfAbsent(env.agentId(), k -> new ArrayList<>()).add(e);
                }
            }
        }

        /** The facts that may be part of an incident of this router and these agents, by agent time (then id). */
        public List<StoredEvent> of(RouterKey router, Collection<String> agents) {
            List<StoredEvent> out = new ArrayList<>(byRouter.getOrDefault(router, List.of()));
            for (String agent : new TreeSet<>(agents)) {
                out.addAll(byAgent.getOrDefault(agent, List.of()));
            }
            return byAgentTime(out);
        }

        /** The candidates of the incident a review fact makes (none if it makes none). */
        public List<StoredEvent> of(ReviewFact f) {
            return span(f).map(s -> of(f.router(), s.agents)).orElse(List.of());
        }
    }

    /** Whether a stored fact is one of the events an incident is made of. */
    public static boolean partOf(StoredEvent e, Incident i) {
        return partOf(e, i.router(), new Span(i.kind(), i.start(), i.until(), Set.copyOf(i.agents()), i.detail()));
    }

    private static int firstAtOrAfter(List<StoredEvent> byTime, Instant t) {
        int lo = 0;
        int hi = byTime.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (byTime.get(mid).observed().envelope().time().isBefore(t)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private record Span(IncidentKind kind, Instant start, Optional<Instant> until, Set<String> agents, String detail) {
    }

    private static Optional<Span> span(ReviewFact f) {
        if (f instanceof ReviewFact.SplitBrain s) {
            return Optional.of(new Span(IncidentKind.SplitBrain, s.at(), s.until(), s.masters(),
                    "masters " + String.join(", ", s.masters()) + " by " + s.basis()));
        } else if (f instanceof ReviewFact.NoMaster n) {
            return Optional.of(new Span(IncidentKind.NoMaster, n.at(), n.until(), Set.of(n.lastMaster()),
                    "no master after " + n.lastMaster()));
        } else if (f instanceof ReviewFact.Flapping fl) {
            return Optional.of(new Span(IncidentKind.Flapping, fl.at(), Optional.of(fl.until()), Set.of(fl.agentId()),
                    fl.transitions() + " transitions"));
        } else if (f instanceof ReviewFact.MasterChanged m && m.fromAgent().isPresent() && m.noMasterGap().isPresent()) {
            return Optional.of(new Span(IncidentKind.Failover, m.at().minus(m.noMasterGap().get()), Optional.of(m.at()),
                    new TreeSet<>(List.of(m.fromAgent().get(), m.toAgent())),
                    m.fromAgent().get() + " -> " + m.toAgent() + ": " + m.cause()));
        } else if (f instanceof ReviewFact.TrackerFailedOnMaster t) {
            return Optional.of(new Span(IncidentKind.TrackerFailedOnMaster, t.at(), Optional.of(t.at()),
                    Set.of(t.agentId()), t.tracker() + ": " + t.detail()));
        }
        return Optional.empty();
    }

    /** The stored facts an incident is made of: its router's facts and its agents' own facts in its span. */
    private static boolean partOf(StoredEvent e, RouterKey key, Span s) {
        EventEnvelope env = e.observed().envelope();
        Instant t = env.time();
        if (t.isBefore(s.start) || t.isAfter(s.until.orElse(END_OF_TIME))) {
            return false;
        }
        Optional<RouterKey> r = routerOf(env);
        if (r.isPresent()) {
            return r.get().equals(key) && (s.kind != IncidentKind.Flapping || s.agents.contains(env.agentId()));
        }
        AgentFact f = env.fact();
        return s.agents.contains(env.agentId()) && key.cluster().equals(env.cluster().orElse(RouterKey.NO_CLUSTER))
                && (f instanceof AgentFact.TrackerResultChanged || f instanceof AgentFact.AgentStopping
                || f instanceof AgentFact.AgentStarted);
    }

    /** The virtual router a fact is about, if it is about one. */
    public static Optional<RouterKey> routerOf(EventEnvelope env) {
        AgentFact f = env.fact();
        RouterRef r = f instanceof AgentFact.RouterStateChanged s ? s.router()
                : f instanceof AgentFact.VipsAdded v ? v.router()
                : f instanceof AgentFact.VipsRemoved v ? v.router()
                : f instanceof AgentFact.PriorityChanged p ? p.router()
                : f instanceof AgentFact.AdvertsRejected a ? a.router() : null;
        return Optional.ofNullable(r).map(x -> new RouterKey(env.cluster().orElse(RouterKey.NO_CLUSTER), x.vrid(), x.family()));
    }
}
