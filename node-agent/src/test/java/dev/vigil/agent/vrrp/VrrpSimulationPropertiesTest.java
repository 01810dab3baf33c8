package dev.vigil.agent.vrrp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static dev.vigil.agent.vrrp.Lab.MS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protocol's promises, checked by deterministic simulation over random seeds (jqwik prints the
 * seed of a failing try; {@code @Property(seed = "...")} replays it). Every scenario also injects
 * corrupted and invalid packets, and each property asserts that none of them changed a router.
 */
class VrrpSimulationPropertiesTest {

    private static final long BUDGET_NANOS = 120 * Lab.S;
    private static long containerStart;
    private static long virtualNanos;

    @BeforeContainer
    static void startClock() {
        containerStart = System.nanoTime();
    }

    @AfterContainer
    static void withinBudget() {
        long took = System.nanoTime() - containerStart;
        System.out.printf("VrrpSimulationPropertiesTest: %.0f s of virtual time in %d ms%n", virtualNanos / 1e9, took / 1_000_000);
        assertThat(took).as("time budget of the simulation properties").isLessThan(BUDGET_NANOS);
    }

    /** One random world: routers, their trackers and the network's worst delay. */
    private static final class World {
        final SimulatedSegment seg;
        final Random r;
        final VrrpVersion version;
        final IpFamily family;
        final int intervalCentis;
        final long interval;
        final List<Integer> vrids = new ArrayList<>();
        long worstDelay;

        World(long seed, int n, boolean v3, boolean ipv6, int vridCount, boolean preempt, boolean trackers) {
            this(seed, n, v3, ipv6, vridCount, preempt, trackers, false);
        }

        World(long seed, int n, boolean v3, boolean ipv6, int vridCount, boolean preempt, boolean trackers,
              boolean unicast) {
            seg = new SimulatedSegment(seed);
            r = new Random(seed ^ 0x5DEECE66DL);
            version = v3 || ipv6 ? VrrpVersion.V3 : VrrpVersion.V2;
            family = ipv6 ? IpFamily.IPV6 : IpFamily.IPV4;
            intervalCentis = version == VrrpVersion.V2 ? 100 : new int[] {5, 20, 100, 300}[r.nextInt(4)];
            interval = MasterDownTimer.intervalNanos(intervalCentis);
            List<Integer> priorities = new ArrayList<>();
            boolean fewPriorities = r.nextInt(3) == 0; // many ties, which the primary address must break
            for (int i = 0; i < n; i++) {
                int vrid = 51 + i % vridCount;
                if (!vrids.contains(vrid)) {
                    vrids.add(vrid);
                }
                int prio = fewPriorities ? 100 + 50 * r.nextInt(2)
                        : !priorities.isEmpty() && r.nextInt(5) == 0
                        ? priorities.get(r.nextInt(priorities.size())) // equal priorities: the address decides
                        : 1 + r.nextInt(254);
                priorities.add(prio);
                RouterConfig.Builder b = Lab.router(i, version, family, vrid, prio)
                        .advertIntervalCentis(intervalCentis)
                        .preempt(preempt)
                        .lowerPrioNoAdvert(r.nextBoolean())
                        .garpLowerPrioRepeat(r.nextInt(2));
                if (unicast) { // every other router of the segment is a unicast_peer (no TTL check)
                    List<IpAddress> peers = new ArrayList<>();
                    for (int j = 0; j < n; j++) {
                        if (j != i && j % vridCount == i % vridCount) {
                            peers.add(Lab.primary(family, j));
                        }
                    }
                    if (!peers.isEmpty()) {
                        b.unicastPeers(peers);
                    }
                }
                if (trackers) {
                    b.trackers(List.of(new TrackerSpec("chk_weight", (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(80))),
                            new TrackerSpec("chk_fault", 0)));
                }
                seg.add(b.build());
            }
        }

        long mdiMax() {
            return MasterDownTimer.masterDownIntervalNanos(version, 1, intervalCentis, 3);
        }

        long mdi(int priority) {
            return MasterDownTimer.masterDownIntervalNanos(version, priority, intervalCentis, 3);
        }

        long skew(int priority) {
            return MasterDownTimer.skewNanos(version, priority, intervalCentis);
        }

        SimulatedSegment.Conditions chaos() {
            long maxDelay = (long) (r.nextDouble() * interval / 4);
            worstDelay = Math.max(worstDelay, maxDelay);
            return new SimulatedSegment.Conditions(r.nextDouble() * 0.6, r.nextDouble() * 0.2, r.nextDouble() * 0.2,
                    r.nextDouble() * 0.2, 0, maxDelay);
        }

        SimulatedSegment.Conditions quiet() {
            long maxDelay = (long) (r.nextDouble() * interval / 20);
            worstDelay = Math.max(worstDelay, maxDelay);
            // quiet = no loss, no partition; duplicates, reordering and invalid packets are harmless
            return new SimulatedSegment.Conditions(0, 0.1, 0, 0.1, 0, maxDelay);
        }

        /** Partitions, loss, delay, duplicates, corruption and tracker flips for {@code steps} steps. */
        void chaos(int steps, boolean flipTrackers) {
            int n = seg.nodes().size();
            for (int s = 0; s < steps; s++) {
                switch (r.nextInt(4)) {
                    case 0 -> seg.conditions(chaos());
                    case 1 -> {
                        int[] groups = new int[n];
                        for (int i = 0; i < n; i++) {
                            groups[i] = r.nextInt(3);
                        }
                        seg.partition(groups);
                    }
                    case 2 -> seg.heal();
                    default -> {
                        if (flipTrackers) {
                            seg.tracker(r.nextInt(n), r.nextBoolean() ? "chk_weight" : "chk_fault", r.nextInt(3) > 0);
                        }
                    }
                }
                seg.runFor((long) ((0.2 + r.nextDouble() * 8) * interval));
            }
        }

        /** Time for any state to settle once healed: a stale advert, a full Master_Down_Interval, one advert round. */
        long settle() {
            return mdiMax() + interval + 3 * worstDelay + MS;
        }

        List<SimulatedSegment.Node> eligible(int vrid) {
            return seg.nodes().stream().filter(x -> x.router.config().vrid() == vrid && x.eligible()).toList();
        }

        void assertInjectedPacketsChangedNothing() {
            assertThat(seg.violations()).as("injected invalid packets that changed a router").isEmpty();
        }

        void done() {
            virtualNanos += seg.now();
        }
    }

    private static final Comparator<SimulatedSegment.Node> BY_PRIORITY_THEN_ADDRESS =
            Comparator.<SimulatedSegment.Node>comparingInt(x -> x.router.effectivePriority())
                    .thenComparing(x -> x.router.config().primaryAddress());

    @Property(tries = 150)
    void afterHealAndQuietExactlyOneMasterPerVridAndItHasTheHighestEffectivePriority(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 6) int n, @ForAll boolean v3, @ForAll boolean ipv6,
            @ForAll @IntRange(min = 1, max = 2) int vridCount, @ForAll boolean unicast) {
        World w = new World(seed, n, v3, ipv6, vridCount, true, true, unicast);
        w.seg.startAll();
        w.chaos(10 + w.r.nextInt(40), true);

        w.seg.heal();
        w.seg.conditions(w.quiet());
        long healedAt = w.seg.now();
        int fromTransition = w.seg.transitions().size();
        Set<Integer> mastersAtHeal = new HashSet<>();
        w.vrids.forEach(v -> w.seg.masters(v).forEach(m -> mastersAtHeal.add(m.index)));

        w.seg.runFor(w.settle());
        for (int vrid : w.vrids) {
            List<SimulatedSegment.Node> eligible = w.eligible(vrid);
            List<SimulatedSegment.Node> masters = w.seg.masters(vrid);
            if (eligible.isEmpty()) {
                assertThat(masters).as("VRID %d has no eligible router, so no master", vrid).isEmpty();
                continue;
            }
            assertThat(masters).as("masters of VRID %d after heal + quiet", vrid).hasSize(1);
            int best = eligible.stream().mapToInt(x -> x.router.effectivePriority()).max().orElseThrow();
            assertThat(masters.get(0).router.effectivePriority()).as("master of VRID %d has the highest priority", vrid)
                    .isEqualTo(best);
        }
        // liveness: from the heal on, no VRID with an eligible router lacked a master for longer than the bound
        long stableFrom = w.seg.now();
        w.seg.runFor(3 * w.mdiMax());
        for (int vrid : w.vrids) {
            if (w.eligible(vrid).isEmpty()) {
                continue;
            }
            long longestGap = longestMasterlessGap(w.seg, vrid, healedAt, fromTransition, mastersAtHeal);
            assertThat(longestGap).as("longest time VRID %d had no master after the heal", vrid)
                    .isLessThanOrEqualTo(w.mdiMax() + w.worstDelay + MS);
        }
        assertThat(w.seg.transitions().stream().filter(t -> t.at() > stableFrom).toList())
                .as("transitions once converged and quiet").isEmpty();
        w.assertInjectedPacketsChangedNothing();
        w.done();
    }

    @Property(tries = 150)
    void takeoverNeverLaterThanMasterDownIntervalAfterTheMasterWentSilent(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int n, @ForAll boolean v3, @ForAll boolean ipv6,
            @ForAll boolean gracefulShutdown) {
        World w = new World(seed, n, v3, ipv6, 1, true, false);
        w.seg.conditions(w.quiet());
        w.seg.startAll();
        w.seg.runFor(w.settle() + (long) (w.r.nextDouble() * 3 * w.interval));
        List<SimulatedSegment.Node> masters = w.seg.masters(51);
        assertThat(masters).hasSize(1);
        SimulatedSegment.Node old = masters.get(0);
        int bestBackup = w.seg.nodes().stream().filter(x -> x != old).mapToInt(x -> x.router.effectivePriority())
                .max().orElseThrow();
        long silentAt = w.seg.now();
        long lastAdvert = old.lastAdvertSentAt;
        int from = w.seg.transitions().size();
        long bound;
        if (gracefulShutdown) {
            w.seg.shutdown(old.index); // priority-0 advert: backups wait only Skew_Time
            // unless a late copy of the previous advert overtakes it and restarts the full interval
            boolean overtakingPossible = lastAdvert + w.worstDelay > silentAt;
            bound = overtakingPossible ? lastAdvert + w.worstDelay + w.mdi(bestBackup)
                    : silentAt + w.worstDelay + w.skew(bestBackup);
        } else {
            w.seg.crash(old.index);
            bound = lastAdvert + w.worstDelay + w.mdi(bestBackup);
        }
        w.seg.runFor(w.settle());
        SimulatedSegment.TransitionRecord takeover = w.seg.transitions().subList(from, w.seg.transitions().size())
                .stream().filter(t -> t.transition().to() == RouterState.MASTER).findFirst().orElseThrow(
                        () -> new AssertionError("no backup took over"));
        assertThat(takeover.at()).as("takeover time (master silent at %d, last advert at %d)", silentAt, lastAdvert)
                .isLessThanOrEqualTo(bound);
        assertThat(takeover.transition().cause()).startsWith("master-down timer expired");
        w.assertInjectedPacketsChangedNothing();
        w.done();
    }

    @Property(tries = 150)
    void afterAPartitionHealsExtraMastersStepDownWithinOneAdvertIntervalOfHearingTheWinner(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 6) int n, @ForAll boolean v3, @ForAll boolean ipv6,
            @ForAll boolean unicast) {
        World w = new World(seed, n, v3, ipv6, 1, true, false, unicast);
        w.seg.conditions(w.quiet());
        int[] groups = new int[n];
        for (int i = 0; i < n; i++) {
            groups[i] = i < 2 ? i : w.r.nextInt(n); // at least two sides
        }
        w.seg.partition(groups);
        w.seg.startAll();
        w.seg.runFor(w.settle() + (long) (w.r.nextDouble() * 5 * w.interval));
        List<SimulatedSegment.Node> masters = w.seg.masters(51);
        assertThat(masters).as("one master per side before the heal").hasSize(new TreeSet<>(
                java.util.Arrays.stream(groups).boxed().toList()).size());

        w.seg.heal();
        SimulatedSegment.Node winner = masters.stream().max(BY_PRIORITY_THEN_ADDRESS).orElseThrow();
        w.seg.runFor(w.interval + 2 * w.worstDelay + MS);
        for (SimulatedSegment.Node m : masters) {
            if (m != winner) {
                assertThat(m.router.state()).as("extra master %s (priority %d) one advert interval after the heal",
                        m.router.config().primaryAddress(), m.router.effectivePriority()).isEqualTo(RouterState.BACKUP);
            }
        }
        assertThat(w.seg.masters(51)).containsExactly(winner);
        w.assertInjectedPacketsChangedNothing();
        w.done();
    }

    @Property(tries = 100)
    void withNopreemptTheMasterThatHoldsTheRoleKeepsIt(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int n, @ForAll boolean v3, @ForAll boolean ipv6) {
        World w = new World(seed, n, v3, ipv6, 1, false, false);
        w.seg.conditions(w.quiet());
        SimulatedSegment.Node lowest = w.seg.nodes().stream().min(BY_PRIORITY_THEN_ADDRESS).orElseThrow();
        w.seg.start(lowest.index);
        w.seg.runFor(w.settle());
        assertThat(w.seg.masters(51)).containsExactly(lowest);
        for (SimulatedSegment.Node x : w.seg.nodes()) {
            if (x != lowest) {
                w.seg.start(x.index);
            }
        }
        w.seg.runFor(5 * w.mdiMax());
        assertThat(w.seg.masters(51)).as("higher-priority routers with nopreempt joined").containsExactly(lowest);

        w.chaos(10 + w.r.nextInt(30), false);
        w.seg.heal();
        w.seg.conditions(w.quiet());
        w.seg.runFor(w.settle());
        List<SimulatedSegment.Node> masters = w.seg.masters(51);
        assertThat(masters).as("masters after heal + quiet").hasSize(1);
        long stableFrom = w.seg.now();
        w.seg.runFor(5 * w.mdiMax());
        assertThat(w.seg.masters(51)).as("the sitting master keeps the role").containsExactlyElementsOf(masters);
        assertThat(w.seg.transitions().stream().filter(t -> t.at() > stableFrom).toList()).isEmpty();
        w.assertInjectedPacketsChangedNothing();
        w.done();
    }

    @Property(tries = 60)
    void injectedCorruptAndInvalidPacketsNeverChangeStateAndThereAreMany(
            @ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int n, @ForAll boolean v3, @ForAll boolean ipv6) {
        World w = new World(seed, n, v3, ipv6, 1, true, true);
        w.seg.startAll();
        w.seg.conditions(new SimulatedSegment.Conditions(0.1, 0.1, 0.3, 0.3, 0, w.interval / 10));
        w.seg.runFor(1000 * w.interval); // a thousand advert intervals
        w.chaos(20, true);
        assertThat(w.seg.injectedCorrupt).as("corrupted packets injected").isGreaterThan(100);
        assertThat(w.seg.injectedInvalid).as("invalid packets injected").isGreaterThan(100);
        assertThat(w.seg.injectedReachingListeningRouter).as("injected packets a listening router had to judge")
                .isGreaterThan(100);
        w.assertInjectedPacketsChangedNothing();
        w.done();
    }

    /** Replays the transitions after the heal and returns the longest stretch with no master in the VRID. */
    private static long longestMasterlessGap(SimulatedSegment seg, int vrid, long healedAt, int fromTransition,
                                             Set<Integer> mastersAtHeal) {
        Set<Integer> masters = new HashSet<>();
        for (int i : mastersAtHeal) {
            if (seg.node(i).router.config().vrid() == vrid) {
                masters.add(i);
            }
        }
        long gapStart = masters.isEmpty() ? healedAt : -1;
        long longest = 0;
        for (SimulatedSegment.TransitionRecord t : seg.transitions().subList(fromTransition, seg.transitions().size())) {
            if (seg.node(t.node()).router.config().vrid() != vrid) {
                continue;
            }
            if (t.transition().to() == RouterState.MASTER) {
                masters.add(t.node());
            } else if (t.transition().from() == RouterState.MASTER) {
                masters.remove(t.node());
            }
            if (masters.isEmpty() && gapStart < 0) {
                gapStart = t.at();
            } else if (!masters.isEmpty() && gapStart >= 0) {
                longest = Math.max(longest, t.at() - gapStart);
                gapStart = -1;
            }
        }
        if (gapStart >= 0) {
            longest = Math.max(longest, seg.now() - gapStart);
        }
        return longest;
    }
}
