package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.GroupSync.Step;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static dev.vigil.agent.vrrp.Lab.MS;
import static dev.vigil.agent.vrrp.Lab.S;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * keepalived 2.2.7's {@code vrrp_sync_group} (vrrp_sync.c) on the simulated segment: two hosts, each with the
 * instances of VRID 1 and 2 in one sync group, as {@link GroupSync} keeps them in the daemon.
 */
@Timeout(20)
class SyncGroupSimulationTest {

    static final int HOST_A = 0;
    static final int HOST_B = 1;

    /** Host 0 (192.0.2.10) priority 150, host 1 (192.0.2.11) priority 100; v3, advert_int 1 s. */
    static final class TwoHosts {
        final SimulatedSegment seg = new SimulatedSegment(7);
        final int a1;
        final int a2;
        final int b1;
        final int b2;

        TwoHosts() {
            a1 = seg.add(member(HOST_A, 1, 150, "G_A", new TrackerSpec("chk", 0)));
            a2 = seg.add(member(HOST_A, 2, 150, "G_A"));
            b1 = seg.add(member(HOST_B, 1, 100, "G_B"));
            b2 = seg.add(member(HOST_B, 2, 100, "G_B"));
            seg.syncGroup("G_A", a1, a2);
            seg.syncGroup("G_B", b1, b2);
        }

        RouterState state(int node) {
            return seg.router(node).state();
        }

        /** The hosts holding each VRID's mastership; a sync group must never split them. */
        Set<Integer> masterHosts(int vrid) {
            Set<Integer> hosts = new TreeSet<>();
            seg.masters(vrid).forEach(n -> hosts.add(n.router.config().primaryAddress().equals(Lab.primary(IpFamily.IPV4, HOST_A))
                    ? HOST_A : HOST_B));
            return hosts;
        }

        /** Runs {@code nanos} in 10 ms steps, checking after each that VRID 1 and 2 are mastered on the same host. */
        void runTogether(long nanos) {
            long end = seg.now() + nanos;
            while (seg.now() < end) {
                seg.runFor(10 * MS);
                assertThat(masterHosts(1)).as("at %d ns, masters of VRID 1 vs VRID 2", seg.now()).isEqualTo(masterHosts(2));
                assertThat(masterHosts(1)).as("at %d ns, one master host", seg.now()).hasSizeLessThanOrEqualTo(1);
            }
        }

        List<SimulatedSegment.TransitionRecord> transitionsOf(int node, int from) {
            return seg.transitions().subList(from, seg.transitions().size()).stream().filter(t -> t.node() == node).toList();
        }

        List<Step.GroupTransition> groupTransitions(String group) {
            return seg.groupSteps().stream().filter(r -> r.group().equals(group))
                    .map(SimulatedSegment.GroupRecord::step)
                    .filter(Step.GroupTransition.class::isInstance).map(Step.GroupTransition.class::cast).toList();
        }
    }

    static RouterConfig member(int host, int vrid, int priority, String group, TrackerSpec... trackers) {
        return Lab.router(host, VrrpVersion.V3, IpFamily.IPV4, vrid, priority).syncGroup(group)
                .trackers(List.of(trackers)).build();
    }

    @Test
    @DisplayName("both members become MASTER together on the higher host; the other host's stay BACKUP")
    void startTogether() {
        TwoHosts h = new TwoHosts();
        h.seg.startAll();
        h.runTogether(10 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_A);
        assertThat(List.of(h.state(h.b1), h.state(h.b2))).containsOnly(RouterState.BACKUP);
        assertThat(h.groupTransitions("G_A")).extracting(Step.GroupTransition::to)
                .containsExactly(RouterState.BACKUP, RouterState.MASTER);
        // each member reports its own master-down timer, once the whole group could go
        assertThat(h.transitionsOf(h.a2, 0).get(1).transition().cause())
                .startsWith("master-down timer expired with no advert accepted in 3414 ms")
                .endsWith("(sync group G_A: every member's master-down timer expired, VI_2_0's last)");
    }

    @Test
    @DisplayName("vrrp_sync_fault: a weight-0 tracker failing on one member faults both; the other host takes both VIPs within skew time; recovery preempts both back")
    void faultMovesTheGroup() {
        TwoHosts h = new TwoHosts();
        h.seg.startAll();
        h.runTogether(10 * S);
        int from = h.seg.transitions().size();
        long failedAt = h.seg.now();
        h.seg.tracker(h.a1, "chk", false);
        assertThat(h.state(h.a1)).isEqualTo(RouterState.FAULT);
        assertThat(h.state(h.a2)).isEqualTo(RouterState.FAULT);
        RouterAction.Transition followed = h.transitionsOf(h.a2, from).get(0).transition();
        assertThat(followed.reason()).isEqualTo(TransitionReason.SYNC_GROUP);
        assertThat(followed.cause()).isEqualTo("sync group G_A: VI_1_0 is in FAULT (tracker chk failed)");
        h.runTogether(5 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_B);
        for (int b : List.of(h.b1, h.b2)) {
            SimulatedSegment.TransitionRecord up = h.transitionsOf(b, from).get(0);
            assertThat(up.transition().to()).isEqualTo(RouterState.MASTER);
            // both heard a priority-0 advert: Skew_Time (609 ms) after it, not Master_Down_Interval
            assertThat(up.at() - failedAt).isEqualTo(609_375_000L);
        }
        assertThat(h.groupTransitions("G_A")).extracting(Step.GroupTransition::to)
                .containsExactly(RouterState.BACKUP, RouterState.MASTER, RouterState.FAULT);
        assertThat(h.groupTransitions("G_B")).extracting(Step.GroupTransition::to)
                .containsExactly(RouterState.BACKUP, RouterState.MASTER);

        int back = h.seg.transitions().size();
        h.seg.tracker(h.a1, "chk", true);
        assertThat(List.of(h.state(h.a1), h.state(h.a2))).containsOnly(RouterState.BACKUP);
        h.runTogether(10 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_A);
        assertThat(List.of(h.state(h.b1), h.state(h.b2))).containsOnly(RouterState.BACKUP);
        // whichever member hears the higher master first is preempted; the other follows it
        List<RouterAction.Transition> down = List.of(h.transitionsOf(h.b1, back).get(0).transition(),
                h.transitionsOf(h.b2, back).get(0).transition());
        assertThat(down).extracting(RouterAction.Transition::reason)
                .containsExactlyInAnyOrder(TransitionReason.PREEMPTED, TransitionReason.SYNC_GROUP);
        assertThat(down).filteredOn(t -> t.reason() == TransitionReason.SYNC_GROUP).singleElement()
                .extracting(RouterAction.Transition::cause).asString()
                .matches("sync group G_B follows VI_[12]_1: preempted by 192.0.2.10 with priority 150");
        assertThat(h.groupTransitions("G_A")).extracting(Step.GroupTransition::to).containsExactly(
                RouterState.BACKUP, RouterState.MASTER, RouterState.FAULT, RouterState.BACKUP, RouterState.MASTER);
    }

    @Test
    @DisplayName("vrrp_sync_can_goto_master: a member whose master died waits while another member still hears its master")
    void heldWhileAnotherMemberHearsItsMaster() {
        TwoHosts h = new TwoHosts();
        h.seg.startAll();
        h.runTogether(10 * S);
        int from = h.seg.transitions().size();
        int steps = h.seg.groupSteps().size();
        h.seg.crash(h.a1); // only VRID 1's master falls silent
        h.seg.runFor(10 * S);
        assertThat(h.state(h.b1)).isEqualTo(RouterState.BACKUP);
        assertThat(h.seg.masters(1)).isEmpty();
        assertThat(h.seg.groupSteps().subList(steps, h.seg.groupSteps().size())).extracting(SimulatedSegment.GroupRecord::step)
                .contains(new Step.Held("VI_1_1", List.of("VI_2_1")));
        long crashed = h.seg.now();
        h.seg.crash(h.a2);
        h.seg.runFor(5 * S);
        List<SimulatedSegment.TransitionRecord> up = h.seg.transitions().subList(from, h.seg.transitions().size());
        assertThat(up).extracting(t -> t.transition().to()).containsOnly(RouterState.MASTER);
        assertThat(up).extracting(SimulatedSegment.TransitionRecord::node).containsExactlyInAnyOrder(h.b1, h.b2);
        assertThat(up.get(0).at()).isEqualTo(up.get(1).at()).isLessThan(crashed + 3_700 * MS);
    }

    @Test
    @DisplayName("a member's interface down at start: the whole group starts in FAULT, and leaves it when the link comes up")
    void faultAtStart() {
        TwoHosts h = new TwoHosts();
        h.seg.interfaceChanged(h.b1, false);
        h.seg.startAll();
        h.runTogether(10 * S);
        assertThat(h.transitionsOf(h.b2, 0)).extracting(t -> t.transition().to()).containsExactly(RouterState.FAULT);
        assertThat(h.transitionsOf(h.b2, 0).get(0).transition().reason()).isEqualTo(TransitionReason.SYNC_GROUP);
        assertThat(h.groupTransitions("G_B")).extracting(Step.GroupTransition::to).containsExactly(RouterState.FAULT);
        h.seg.interfaceChanged(h.b1, true);
        assertThat(List.of(h.state(h.b1), h.state(h.b2))).containsOnly(RouterState.BACKUP);
        assertThat(h.groupTransitions("G_B").get(1).cause()).isEqualTo("sync group G_B: VI_1_1 recovered (interface up)");
    }

    @Test
    @DisplayName("the group stays in FAULT while any member has a fault of its own")
    void faultUntilTheLastMemberRecovers() {
        TwoHosts h = new TwoHosts();
        h.seg.startAll();
        h.runTogether(10 * S);
        h.seg.tracker(h.a1, "chk", false);
        h.seg.interfaceChanged(h.a2, false);
        h.seg.tracker(h.a1, "chk", true);
        h.runTogether(2 * S);
        assertThat(List.of(h.state(h.a1), h.state(h.a2))).containsOnly(RouterState.FAULT);
        assertThat(h.masterHosts(2)).containsExactly(HOST_B);
        h.seg.interfaceChanged(h.a2, true);
        h.runTogether(10 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_A);
        assertThat(h.groupTransitions("G_A")).extracting(Step.GroupTransition::to).containsExactly(
                RouterState.BACKUP, RouterState.MASTER, RouterState.FAULT, RouterState.BACKUP, RouterState.MASTER);
    }

    @Test
    @DisplayName("a higher host joining preempts both: the preempted member takes the other to BACKUP without a priority-0 advert")
    void preemptionMovesTheGroup() {
        TwoHosts h = new TwoHosts();
        h.seg.start(h.b1);
        h.seg.start(h.b2);
        h.runTogether(10 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_B);
        h.seg.start(h.a1);
        h.seg.start(h.a2);
        h.runTogether(10 * S);
        assertThat(h.masterHosts(1)).containsExactly(HOST_A);
        assertThat(h.groupTransitions("G_B")).extracting(Step.GroupTransition::to)
                .containsExactly(RouterState.BACKUP, RouterState.MASTER, RouterState.BACKUP);
    }

    @Test
    @DisplayName("shutdown: the group stops once every member has stopped")
    void shutdown() {
        TwoHosts h = new TwoHosts();
        h.seg.startAll();
        h.runTogether(10 * S);
        h.seg.shutdown(h.a1);
        assertThat(h.groupTransitions("G_A")).hasSize(2);
        h.seg.shutdown(h.a2);
        Step.GroupTransition last = h.groupTransitions("G_A").get(2);
        assertThat(last.to()).isEqualTo(RouterState.INITIALIZE);
        assertThat(last.reason()).isEqualTo(TransitionReason.SHUTDOWN);
    }

    /** The router's side of the contract, one input at a time. */
    @Nested
    class Router {
        final RouterConfig config = member(HOST_A, 1, 100, "G", new TrackerSpec("chk", 0));

        @Test
        @DisplayName("master-down expiry in a group: MasterWanted, still BACKUP, timer re-armed; a heard master withdraws it")
        void masterWanted() {
            VrrpRouter r = new VrrpRouter(config);
            r.handle(new RouterInput.Start(), 0);
            long due = r.deadline(TimerKind.MASTER_DOWN).orElseThrow();
            List<RouterAction> out = r.handle(new RouterInput.TimerFired(TimerKind.MASTER_DOWN), due);
            assertThat(r.state()).isEqualTo(RouterState.BACKUP);
            assertThat(out).filteredOn(RouterAction.MasterWanted.class::isInstance).hasSize(1);
            assertThat(r.deadline(TimerKind.MASTER_DOWN).orElseThrow()).isEqualTo(due + r.masterDownIntervalNanos());
            Advert a = new Advert(config.version(), config.family(), 1, 200, config.advertIntervalCentis(), config.vips(), 0, 0);
            out = r.handle(new RouterInput.AdvertReceived(new ReceivedAdvert(a, Lab.ip("192.0.2.99"),
                    AdvertCodec.multicastGroup(IpFamily.IPV4), 255)), due + MS);
            assertThat(out).contains(new RouterAction.MasterWanted(false, "heard 192.0.2.99 with priority 200"));
        }

        @Test
        @DisplayName("SyncGroupBackup: a master steps down without a priority-0 advert and removes its VIPs")
        void groupBackup() {
            VrrpRouter r = new VrrpRouter(config);
            r.handle(new RouterInput.Start(), 0);
            r.handle(new RouterInput.SyncGroupMaster("test"), 1);
            assertThat(r.state()).isEqualTo(RouterState.MASTER);
            List<RouterAction> out = r.handle(new RouterInput.SyncGroupBackup("follow"), 2);
            assertThat(r.state()).isEqualTo(RouterState.BACKUP);
            assertThat(out).noneMatch(RouterAction.SendAdvert.class::isInstance)
                    .contains(new RouterAction.RemoveVips(config.vips()));
        }

        @Test
        @DisplayName("SyncGroupFault: a master resigns with priority 0; cleared, it returns to BACKUP unless its own fault holds it")
        void groupFault() {
            VrrpRouter r = new VrrpRouter(config);
            r.handle(new RouterInput.Start(), 0);
            r.handle(new RouterInput.SyncGroupMaster("test"), 1);
            List<RouterAction> out = r.handle(new RouterInput.SyncGroupFault(true, "other"), 2);
            assertThat(r.state()).isEqualTo(RouterState.FAULT);
            assertThat(out).filteredOn(RouterAction.SendAdvert.class::isInstance)
                    .extracting(a -> ((RouterAction.SendAdvert) a).advert().priority()).containsExactly(0);
            out = r.handle(new RouterInput.TrackerChanged("chk", false), 3);
            assertThat(out).containsExactly(new RouterAction.OwnFaultChanged(true, "tracker chk failed"));
            r.handle(new RouterInput.SyncGroupFault(false, "other recovered"), 4);
            assertThat(r.state()).isEqualTo(RouterState.FAULT);
            out = r.handle(new RouterInput.TrackerChanged("chk", true), 5);
            assertThat(r.state()).isEqualTo(RouterState.BACKUP);
            assertThat(out).contains(new RouterAction.OwnFaultChanged(false, "tracker chk recovered"));
        }

        @Test
        @DisplayName("a master hearing a lower-priority master has the other members re-announce (garp_lower_prio_repeat)")
        void lowerPriorityMasterReannouncesTheOthers() {
            RouterConfig withRepeat = config.toBuilder().garpLowerPrioRepeat(2).build();
            VrrpRouter heard = new VrrpRouter(withRepeat);
            VrrpRouter other = new VrrpRouter(member(HOST_A, 2, 100, "G").toBuilder().garpLowerPrioRepeat(3).build());
            GroupSync g = new GroupSync("G", List.of("VI_1_0", "VI_2_0"));
            for (VrrpRouter r : List.of(heard, other)) {
                r.handle(new RouterInput.Start(), 0);
                r.handle(new RouterInput.SyncGroupMaster("test"), 1);
            }
            Advert a = new Advert(config.version(), config.family(), 1, 50, config.advertIntervalCentis(), config.vips(), 0, 0);
            List<RouterAction> out = heard.handle(new RouterInput.AdvertReceived(new ReceivedAdvert(a, Lab.ip("192.0.2.99"),
                    AdvertCodec.multicastGroup(IpFamily.IPV4), 255)), 2);
            assertThat(out).contains(new RouterAction.LowerPriorityMasterHeard(Lab.ip("192.0.2.99"), 50));
            List<Step> steps = g.observe("VI_1_0", out);
            assertThat(steps).containsExactly(new Step.Feed("VI_2_0", new RouterInput.SyncGroupReannounce(
                    "VI_1_0 heard lower-priority master 192.0.2.99 (priority 50)")));
            assertThat(other.handle(((Step.Feed) steps.get(0)).input(), 3))
                    .containsExactly(new RouterAction.AnnounceVips(other.config().vips(), 3));
        }

        @Test
        @DisplayName("a router outside any group reports no MasterWanted or OwnFaultChanged")
        void outsideAGroup() {
            VrrpRouter r = new VrrpRouter(config.toBuilder().syncGroup("G").build().toBuilder().build());
            VrrpRouter lone = new VrrpRouter(Lab.router(HOST_A, VrrpVersion.V3, IpFamily.IPV4, 1, 100)
                    .trackers(List.of(new TrackerSpec("chk", 0))).build());
            assertThat(r.config().syncGroup()).contains("G");
            lone.handle(new RouterInput.Start(), 0);
            assertThat(lone.handle(new RouterInput.TrackerChanged("chk", false), 1))
                    .noneMatch(RouterAction.OwnFaultChanged.class::isInstance);
        }
    }
}
