package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.projection.ReviewFact.Basis;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The one pure fold from agent facts to review facts (DESIGN principle 4). It is a function of the
 * set of facts, not of their arrival: a late batch is handled by deriving again, and the story comes
 * out as if it had arrived in time. Split brains are judged twice: by the agents' own clocks (the
 * order things happened, as far as skewed clocks tell) and by arrival at the coordinator.
 */
public final class ReviewFold {
    /** Agent time, ties broken by identity: the order every fold here reads facts in. */
    static final Comparator<Observed> BY_AGENT_CLOCK = Comparator
            .comparing((Observed o) -> o.envelope().time())
            .thenComparing(o -> o.envelope().agentId())
            .thenComparing(o -> o.envelope().bootId())
            .thenComparingLong(o -> o.envelope().seq());
    private static final Comparator<Observed> BY_ARRIVAL = Comparator
            .comparing(Observed::recordedAt)
            .thenComparing(o -> o.envelope().agentId())
            .thenComparing(o -> o.envelope().bootId())
            .thenComparingLong(o -> o.envelope().seq());

    private ReviewFold() {
    }

    public static List<ReviewFact> derive(Collection<Observed> facts, ReviewPolicy policy) {
        List<ReviewFact> out = new ArrayList<>(run(facts, BY_AGENT_CLOCK, o -> o.envelope().time(), Basis.AGENT_CLOCK, policy));
        run(facts, BY_ARRIVAL, Observed::recordedAt, Basis.ARRIVAL, policy).stream()
                .filter(f -> f instanceof ReviewFact.SplitBrain)
                .forEach(out::add);
        out.sort(Comparator.comparing(ReviewFact::at)); // stable: emission order breaks ties
        return List.copyOf(out);
    }

    private static List<ReviewFact> run(Collection<Observed> facts, Comparator<Observed> order,
                                        Function<Observed, Instant> clock, Basis basis, ReviewPolicy policy) {
        Story story = new Story(basis, policy);
        facts.stream().sorted(order).forEach(o -> story.apply(o.envelope(), clock.apply(o)));
        return story.out;
    }

    /** Mutable only inside one derivation; nothing escapes but the immutable facts. */
    private static final class Story {
        final Basis basis;
        final ReviewPolicy policy;
        final List<ReviewFact> out = new ArrayList<>();
        final Map<RouterKey, Track> tracks = new LinkedHashMap<>();
        /** Per agent, the tracks it is master of, in track creation order (the order of {@code tracks}). */
        final Map<String, TreeSet<Track>> mastering = new HashMap<>();

        Story(Basis basis, ReviewPolicy policy) {
            this.basis = basis;
            this.policy = policy;
        }

        void apply(EventEnvelope e, Instant t) {
            String agent = e.agentId();
            AgentFact f = e.fact();
            if (f instanceof AgentFact.RouterStateChanged s) {
                Track track = track(e, s.router());
                track.transition(agent, t);
                if (s.to() == RouterState.MASTER) {
                    track.becomeMaster(agent, t, s.cause());
                } else {
                    track.leaveMaster(agent, t);
                }
            } else if (f instanceof AgentFact.AgentStopping || f instanceof AgentFact.AgentStarted) {
                // A start means the previous process is gone, whether or not it said goodbye.
                // Only the tracks it is master of can change (the profile showed a scan of every track per fact).
                List.copyOf(mastering.getOrDefault(agent, new TreeSet<>())).forEach(track -> track.leaveMaster(agent, t));
            } else if (f instanceof AgentFact.VipsAdded v && v.kernelAccepted()) {
                track(e, v.router()).vipsAdded(agent, t, v.addresses());
            } else if (f instanceof AgentFact.VipsRemoved v) {
                track(e, v.router()).vipsRemoved(agent, t);
            } else if (f instanceof AgentFact.TrackerResultChanged r && !r.healthy()) {
                mastering.getOrDefault(agent, new TreeSet<>()).forEach(track ->
                        out.add(new ReviewFact.TrackerFailedOnMaster(track.key, t, agent, r.tracker(), r.detail())));
            }
        }

        Track track(EventEnvelope e, RouterRef r) {
            RouterKey key = new RouterKey(e.cluster().orElse(RouterKey.NO_CLUSTER), r.vrid(), r.family());
            return tracks.computeIfAbsent(key, Track::new);
        }

        /** One virtual router's story so far; open periods are replaced in {@code out} when they end. */
        final class Track implements Comparable<Track> {
            final RouterKey key;
            final int ordinal = tracks.size();
            final Map<String, Instant> masters = new TreeMap<>();
            Optional<String> lastMaster = Optional.empty();
            Instant noMasterSince;
            int openNoMaster = -1;
            int openSplit = -1;
            String vipHolder;
            Instant vipRemovedAt;
            final Map<String, Deque<Instant>> transitions = new HashMap<>();
            final Map<String, Integer> openFlap = new HashMap<>();

            Track(RouterKey key) {
                this.key = key;
            }

            @Override
            public int compareTo(Track other) {
                return Integer.compare(ordinal, other.ordinal);
            }

            void becomeMaster(String agent, Instant t, String cause) {
                if (masters.containsKey(agent)) {
                    return;
                }
                boolean none = masters.isEmpty();
                Optional<String> from = none ? lastMaster : Optional.of(masters.keySet().iterator().next());
                Optional<Duration> gap = none && noMasterSince != null
                        ? Optional.of(Duration.between(noMasterSince, t)) : Optional.empty();
                if (openNoMaster >= 0) {
                    ReviewFact.NoMaster n = (ReviewFact.NoMaster) out.get(openNoMaster);
                    out.set(openNoMaster, new ReviewFact.NoMaster(key, n.at(), Optional.of(t), n.lastMaster()));
                    openNoMaster = -1;
                }
                noMasterSince = null;
                masters.put(agent, t);
                mastering.computeIfAbsent(agent, a -> new TreeSet<>()).add(this);
                out.add(new ReviewFact.MasterChanged(key, t, from, agent, cause, gap));
                if (masters.size() >= 2) {
                    TreeSet<String> involved = new TreeSet<>(masters.keySet());
                    if (openSplit >= 0) {
                        ReviewFact.SplitBrain s = (ReviewFact.SplitBrain) out.get(openSplit);
                        involved.addAll(s.masters());
                        out.set(openSplit, new ReviewFact.SplitBrain(key, s.at(), Optional.empty(), involved, basis));
                    } else {
                        openSplit = out.size();
                        out.add(new ReviewFact.SplitBrain(key, t, Optional.empty(), involved, basis));
                    }
                }
            }

            void leaveMaster(String agent, Instant t) {
                if (masters.remove(agent) == null) {
                    return;
                }
                mastering.get(agent).remove(this);
                lastMaster = Optional.of(agent);
                if (masters.size() <= 1 && openSplit >= 0) {
                    ReviewFact.SplitBrain s = (ReviewFact.SplitBrain) out.get(openSplit);
                    out.set(openSplit, new ReviewFact.SplitBrain(key, s.at(), Optional.of(t), s.masters(), basis));
                    openSplit = -1;
                }
                if (masters.isEmpty()) {
                    noMasterSince = t;
                    openNoMaster = out.size();
                    out.add(new ReviewFact.NoMaster(key, t, Optional.empty(), agent));
                }
            }

            void transition(String agent, Instant t) {
                Deque<Instant> recent = transitions.computeIfAbsent(agent, a -> new ArrayDeque<>());
                recent.addLast(t);
                while (Duration.between(recent.peekFirst(), t).compareTo(policy.flapWindow()) > 0) {
                    recent.removeFirst();
                }
                if (recent.size() < policy.flapTransitions()) {
                    openFlap.remove(agent);
                    return;
                }
                ReviewFact.Flapping flap = new ReviewFact.Flapping(key, recent.peekFirst(), agent, recent.size(), t);
                Integer open = openFlap.get(agent);
                if (open != null) {
                    ReviewFact.Flapping was = (ReviewFact.Flapping) out.get(open);
                    out.set(open, new ReviewFact.Flapping(key, was.at(), agent,
                            Math.max(was.transitions(), recent.size()), t));
                } else {
                    openFlap.put(agent, out.size());
                    out.add(flap);
                }
            }

            void vipsAdded(String agent, Instant t, List<String> addresses) {
                if (vipHolder != null && !vipHolder.equals(agent)) {
                    Optional<Duration> gap = vipRemovedAt == null
                            ? Optional.empty() : Optional.of(Duration.between(vipRemovedAt, t));
                    out.add(new ReviewFact.VipMoved(key, t, vipHolder, agent, List.copyOf(addresses), gap));
                }
                vipHolder = agent;
                vipRemovedAt = null;
            }

            void vipsRemoved(String agent, Instant t) {
                if (agent.equals(vipHolder)) {
                    vipRemovedAt = t;
                }
            }
        }
    }
}
