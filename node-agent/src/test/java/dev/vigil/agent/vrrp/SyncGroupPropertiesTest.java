package dev.vigil.agent.vrrp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static dev.vigil.agent.vrrp.Lab.MS;
import static dev.vigil.agent.vrrp.Lab.S;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sync groups under random faults and a lossy network (deterministic simulation over random seeds; jqwik prints the
 * seed of a failing try): at every instant a host's two members share one state, and once the faults are gone and the
 * network is quiet both VRIDs are mastered by the same host, the one of highest priority.
 */
class SyncGroupPropertiesTest {

    private static final long BUDGET_NANOS = 60 * S;
    private static long containerStart;

    @BeforeContainer
    static void startClock() {
        containerStart = System.nanoTime();
    }

    @AfterContainer
    static void withinBudget() {
        assertThat(System.nanoTime() - containerStart).as("time budget of the sync group properties").isLessThan(BUDGET_NANOS);
    }

    @Property(tries = 60)
    void afterFaultsAndLossTheGroupsSettleTogether(@ForAll long seed) {
        Random r = new Random(seed);
        int hosts = 2 + r.nextInt(2);
        int intervalCentis = new int[] {20, 100}[r.nextInt(2)];
        SimulatedSegment seg = new SimulatedSegment(seed);
        List<int[]> members = new ArrayList<>();
        List<Integer> priorities = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            int prio;
            do {
                prio = 1 + r.nextInt(254);
            } while (priorities.contains(prio));
            priorities.add(prio);
            int[] m = new int[2];
            for (int v = 0; v < 2; v++) {
                m[v] = seg.add(Lab.router(h, VrrpVersion.V3, IpFamily.IPV4, v + 1, prio).advertIntervalCentis(intervalCentis)
                        .syncGroup("G" + h).trackers(List.of(new TrackerSpec("chk", 0))).build());
            }
            seg.syncGroup("G" + h, m);
            members.add(m);
        }
        long interval = MasterDownTimer.intervalNanos(intervalCentis);
        seg.conditions(new SimulatedSegment.Conditions(r.nextDouble() * 0.2, r.nextDouble() * 0.05, 0, 0, 0,
                (long) (r.nextDouble() * interval / 4)));
        seg.startAll();
        boolean[][] failed = new boolean[hosts][2];
        boolean[][] down = new boolean[hosts][2];
        for (int e = 0; e < 12; e++) {
            // at every instant, whatever the network does, a host's members share one state
            long until = seg.now() + (long) (r.nextDouble() * 6 * interval);
            while (seg.now() < until) {
                seg.runFor(Math.min(10 * MS, until - seg.now()));
                for (int h = 0; h < hosts; h++) {
                    assertThat(seg.router(members.get(h)[0]).state()).as("host %d at %d ns", h, seg.now())
                            .isEqualTo(seg.router(members.get(h)[1]).state());
                }
            }
            int h = r.nextInt(hosts);
            int v = r.nextInt(2);
            if (r.nextBoolean()) {
                failed[h][v] = !failed[h][v];
                seg.tracker(members.get(h)[v], "chk", !failed[h][v]);
            } else {
                down[h][v] = !down[h][v];
                seg.interfaceChanged(members.get(h)[v], !down[h][v]);
            }
        }
        seg.runFor(5 * interval);
        seg.conditions(SimulatedSegment.Conditions.PERFECT);
        for (int h = 0; h < hosts; h++) {
            for (int v = 0; v < 2; v++) {
                if (failed[h][v]) {
                    seg.tracker(members.get(h)[v], "chk", true);
                }
                if (down[h][v]) {
                    seg.interfaceChanged(members.get(h)[v], true);
                }
            }
        }
        seg.runFor(20 * interval + 5 * S);

        int best = priorities.indexOf(priorities.stream().mapToInt(Integer::intValue).max().orElseThrow());
        for (int h = 0; h < hosts; h++) {
            RouterState s1 = seg.router(members.get(h)[0]).state();
            RouterState s2 = seg.router(members.get(h)[1]).state();
            assertThat(s1).as("host %d: both members in one state", h).isEqualTo(s2);
            assertThat(s1).as("host %d (priority %d, best host %d)", h, priorities.get(h), best)
                    .isEqualTo(h == best ? RouterState.MASTER : RouterState.BACKUP);
        }
        for (int vrid = 1; vrid <= 2; vrid++) {
            Set<IpAddress> m = new TreeSet<>();
            seg.masters(vrid).forEach(n -> m.add(n.router.config().primaryAddress()));
            assertThat(m).as("VRID %d master", vrid).containsExactly(Lab.primary(IpFamily.IPV4, best));
        }
    }
}
