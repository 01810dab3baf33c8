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
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

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
        List<ReviewFact> out = new ArrayList<>(run(facts, Basis.AGENT_CLOCK, policy));
        run(facts, Basis.ARRIVAL, policy).stream()
                .filter(f -> f instanceof ReviewFact.SplitBrain)
                .forEach(out::add);
        out.sort(Comparator.comparing(ReviewFact::at)); // stable: emission order breaks ties
        return List.copyOf(out);
    }

    private static List<ReviewFact> run(Collection<Observed> facts, Basis basis, ReviewPolicy policy) {
        Run run = Run.start(basis, policy);
        facts.stream().sorted(order(basis)).forEach(run::apply);
        return List.copyOf(run.touched().values());
    }

    /** The order a basis reads facts in: agent clock or arrival, ties broken by identity. */
    public static Comparator<Observed> order(Basis basis) {
        return basis == Basis.AGENT_CLOCK ? BY_AGENT_CLOCK : BY_ARRIVAL;
    }

    /** The instant a basis places a fact at. */
    public static Instant clock(Basis basis, Observed o) {
        return basis == Basis.AGENT_CLOCK ? o.envelope().time() : o.recordedAt();
    }

    /**
     * One basis's fold that can stop and go on: {@link #snapshot()} after some facts, {@link #resume} from it
     * and apply the facts after them (in {@link #order(Basis)}), and the review facts are those of one run over
     * all of them. Every review fact has an emission id (its rank in the run from the start); {@link #touched()}
     * holds the facts emitted or changed (an open period ending, growing) since this run started or resumed.
     */
    public static final class Run {
        private final Story story;

        private Run(Story story) {
            this.story = story;
        }

        public static Run start(Basis basis, ReviewPolicy policy) {
            return new Run(new Story(basis, policy));
        }

        public static Run resume(Snapshot s) {
            return new Run(Story.resume(s));
        }

        /** The next fact in {@link #order(Basis)} of this run's basis. */
        public void apply(Observed o) {
            story.apply(o.envelope(), clock(story.basis, o));
        }

        /** Review facts emitted or changed by this run, by emission id. */
        public SortedMap<Long, ReviewFact> touched() {
            return Collections.unmodifiableSortedMap(story.out);
        }

        /** Emission ids of the facts still open (they may change when later facts come). */
        public SortedSet<Long> open() {
            return story.openIds();
        }

        /** The review fact with this emission id, if this run touched it or it is still open. */
        public Optional<ReviewFact> fact(long id) {
            return Optional.ofNullable(story.get(id));
        }

        public long emitted() {
            return story.next;
        }

        public Snapshot snapshot() {
            return story.snapshot();
        }

        /**
         * Hands over what this run touched since it started, resumed or last drained, and forgets it (open facts
         * stay known). A {@link ReviewFact.VipMoved} comes with its cause: the cause the new holder gave in its
         * last change to master of that router at or before the move (as {@link ReviewRows#moves} finds it).
         */
        public Drained drain() {
            Drained d = new Drained(Collections.unmodifiableSortedMap(new TreeMap<>(story.out)), Map.copyOf(story.moveCause));
            SortedSet<Long> open = story.openIds();
            Map<Long, ReviewFact> still = new HashMap<>();
            open.forEach(id -> still.put(id, story.get(id)));
            story.carried.clear();
            story.carried.putAll(still);
            story.out.clear();
            story.moveCause.clear();
            return d;
        }
    }

    /** Review facts by emission id, and the causes of the moves among them. */
    public record Drained(SortedMap<Long, ReviewFact> facts, Map<Long, String> moveCauses) {
    }

    /**
     * What a {@link Run} needs to go on, as plain data (JSON-friendly: no Optional; null stands for none here
     * and nowhere else). Open periods carry their current value, since their end is still to come.
     */
    public record Snapshot(Basis basis, ReviewPolicy policy, long next, List<TrackState> tracks) {
        public record TrackState(RouterKey key, SortedMap<String, Instant> masters, String lastMaster,
                                 Instant noMasterSince, OpenNoMaster noMaster, OpenSplit split, String vipHolder,
                                 Instant vipRemovedAt, SortedMap<String, List<Instant>> transitions,
                                 SortedMap<String, OpenFlap> flaps, SortedMap<String, String> causes) {
        }

        public record OpenNoMaster(long id, Instant at, String lastMaster) {
        }

        public record OpenSplit(long id, Instant at, SortedSet<String> masters) {
        }

        public record OpenFlap(long id, Instant at, int transitions, Instant until) {
        }
    }

    /** Mutable only inside one run; nothing escapes but the immutable facts. */
    private static final class Story {
        final Basis basis;
        final ReviewPolicy policy;
        /** Facts emitted or changed in this run, by emission id. */
        final TreeMap<Long, ReviewFact> out = new TreeMap<>();
        /** Open facts as the run resumed with them (a change goes to {@code out}). */
        final Map<Long, ReviewFact> carried = new HashMap<>();
        /** Causes of the moves emitted in this run (see {@link Run#drain()}). */
        final Map<Long, String> moveCause = new HashMap<>();
        long next;
        final Map<RouterKey, Track> tracks = new LinkedHashMap<>();
        /** Per agent, the tracks it is master of, in track creation order (the order of {@code tracks}). */
        final Map<String, TreeSet<Track>> mastering = new HashMap<>();

        Story(Basis basis, ReviewPolicy policy) {
            this.basis = basis;
            this.policy = policy;
        }

        ReviewFact get(long id) {
            ReviewFact f = out.get(id);
            return f != null ? f : carried.get(id);
        }

        long add(ReviewFact f) {
            long id = next++;
            out.put(id, f);
            return id;
        }

        void set(long id, ReviewFact f) {
            out.put(id, f);
        }

        SortedSet<Long> openIds() {
            TreeSet<Long> ids = new TreeSet<>();
            for (Track t : tracks.values()) {
                if (t.openNoMaster >= 0) {
                    ids.add(t.openNoMaster);
                }
                if (t.openSplit >= 0) {
                    ids.add(t.openSplit);
                }
                ids.addAll(t.openFlap.values());
            }
            return Collections.unmodifiableSortedSet(ids);
        }

        Snapshot snapshot() {
            List<Snapshot.TrackState> states = new ArrayList<>();
            for (Track t : tracks.values()) {
                Snapshot.OpenNoMaster nm = null;
                if (t.openNoMaster >= 0) {
                    ReviewFact.NoMaster n = (ReviewFact.NoMaster) get(t.openNoMaster);
                    nm = new Snapshot.OpenNoMaster(t.openNoMaster, n.at(), n.lastMaster());
                }
                Snapshot.OpenSplit sp = null;
                if (t.openSplit >= 0) {
                    ReviewFact.SplitBrain b = (ReviewFact.SplitBrain) get(t.openSplit);
                    sp = new Snapshot.OpenSplit(t.openSplit, b.at(), new TreeSet<>(b.masters()));
                }
                TreeMap<String, Snapshot.OpenFlap> flaps = new TreeMap<>();
                t.openFlap.forEach((agent, id) -> {
                    ReviewFact.Flapping f = (ReviewFact.Flapping) get(id);
                    flaps.put(agent, new Snapshot.OpenFlap(id, f.at(), f.transitions(), f.until()));
                });
                TreeMap<String, List<Instant>> transitions = new TreeMap<>();
                t.transitions.forEach((agent, recent) -> transitions.put(agent, List.copyOf(recent)));
                states.add(new Snapshot.TrackState(t.key, new TreeMap<>(t.masters), t.lastMaster.orElse(null),
                        t.noMasterSince, nm, sp, t.vipHolder, t.vipRemovedAt, transitions, flaps, new TreeMap<>(t.causes)));
            }
            return new Snapshot(basis, policy, next, List.copyOf(states));
        }

        static Story resume(Snapshot s) {
            Story story = new Story(s.basis(), s.policy());
            story.next = s.next();
            for (Snapshot.TrackState ts : s.tracks()) {
                Track t = story.new Track(ts.key());
                story.tracks.put(ts.key(), t);
                t.masters.putAll(ts.masters());
                t.masters.keySet().forEach(agent -> story.mastering.computeIfAbsent(agent, a -> new TreeSet<>()).add(t));
                t.lastMaster = Optional.ofNullable(ts.lastMaster());
                t.noMasterSince = ts.noMasterSince();
                if (ts.noMaster() != null) {
                    t.openNoMaster = ts.noMaster().id();
                    story.carried.put(t.openNoMaster, new ReviewFact.NoMaster(t.key, ts.noMaster().at(), Optional.empty(),
                            ts.noMaster().lastMaster()));
                }
                if (ts.split() != null) {
                    t.openSplit = ts.split().id();
                    story.carried.put(t.openSplit, new ReviewFact.SplitBrain(t.key, ts.split().at(), Optional.empty(),
                            new TreeSet<>(ts.split().masters()), s.basis()));
                }
                t.vipHolder = ts.vipHolder();
                t.causes.putAll(ts.causes());
                t.vipRemovedAt = ts.vipRemovedAt();
                ts.transitions().forEach((agent, recent) -> t.transitions.put(agent, new ArrayDeque<>(recent)));
                ts.flaps().forEach((agent, f) -> {
                    t.openFlap.put(agent, f.id());
                    story.carried.put(f.id(), new ReviewFact.Flapping(t.key, f.at(), agent, f.transitions(), f.until()));
                });
            }
            return story;
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
                        add(new ReviewFact.TrackerFailedOnMaster(track.key, t, agent, r.tracker(), r.detail())));
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
            long openNoMaster = -1;
            long openSplit = -1;
            String vipHolder;
            Instant vipRemovedAt;
            final Map<String, Deque<Instant>> transitions = new HashMap<>();
            final Map<String, Long> openFlap = new HashMap<>();
            /** Per agent, the cause of its last change to master of this router. */
            final Map<String, String> causes = new TreeMap<>();
            /** The last move in this run, while a change to master at its instant may still give its cause. */
            long lastMove = -1;
            Instant lastMoveAt;
            String lastMoveTo;

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
                    ReviewFact.NoMaster n = (ReviewFact.NoMaster) get(openNoMaster);
                    set(openNoMaster, new ReviewFact.NoMaster(key, n.at(), Optional.of(t), n.lastMaster()));
                    openNoMaster = -1;
                }
                noMasterSince = null;
                causes.put(agent, cause);
                if (lastMove >= 0 && lastMoveAt.equals(t) && lastMoveTo.equals(agent) && out.containsKey(lastMove)) {
                    moveCause.put(lastMove, cause); // a tie in time: the review list orders the move first
                }
                masters.put(agent, t);
                mastering.computeIfAbsent(agent, a -> new TreeSet<>()).add(this);
                add(new ReviewFact.MasterChanged(key, t, from, agent, cause, gap));
                if (masters.size() >= 2) {
                    TreeSet<String> involved = new TreeSet<>(masters.keySet());
                    if (openSplit >= 0) {
                        ReviewFact.SplitBrain s = (ReviewFact.SplitBrain) get(openSplit);
                        involved.addAll(s.masters());
                        set(openSplit, new ReviewFact.SplitBrain(key, s.at(), Optional.empty(), involved, basis));
                    } else {
                        openSplit = add(new ReviewFact.SplitBrain(key, t, Optional.empty(), involved, basis));
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
                    ReviewFact.SplitBrain s = (ReviewFact.SplitBrain) get(openSplit);
                    set(openSplit, new ReviewFact.SplitBrain(key, s.at(), Optional.of(t), s.masters(), basis));
                    openSplit = -1;
                }
                if (masters.isEmpty()) {
                    noMasterSince = t;
                    openNoMaster = add(new ReviewFact.NoMaster(key, t, Optional.empty(), agent));
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
                Long open = openFlap.get(agent);
                if (open != null) {
                    ReviewFact.Flapping was = (ReviewFact.Flapping) get(open);
                    set(open, new ReviewFact.Flapping(key, was.at(), agent,
                            Math.max(was.transitions(), recent.size()), t));
                } else {
                    openFlap.put(agent, add(flap));
                }
            }

            void vipsAdded(String agent, Instant t, List<String> addresses) {
                if (vipHolder != null && !vipHolder.equals(agent)) {
                    Optional<Duration> gap = vipRemovedAt == null
                            ? Optional.empty() : Optional.of(Duration.between(vipRemovedAt, t));
                    lastMove = add(new ReviewFact.VipMoved(key, t, vipHolder, agent, List.copyOf(addresses), gap));
                    lastMoveAt = t;
                    lastMoveTo = agent;
                    moveCause.put(lastMove, causes.getOrDefault(agent,
                            "unknown: no state change of " + agent + " to MASTER before the move"));
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
