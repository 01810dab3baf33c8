package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.RouterAction.AddVips;
import dev.vigil.agent.vrrp.RouterAction.AnnounceVips;
import dev.vigil.agent.vrrp.RouterAction.ArmTimer;
import dev.vigil.agent.vrrp.RouterAction.CancelTimer;
import dev.vigil.agent.vrrp.RouterAction.PriorityChanged;
import dev.vigil.agent.vrrp.RouterAction.RemoveVips;
import dev.vigil.agent.vrrp.RouterAction.SendAdvert;
import dev.vigil.agent.vrrp.RouterAction.Transition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static dev.vigil.agent.vrrp.Lab.MS;
import static dev.vigil.agent.vrrp.Lab.S;
import static dev.vigil.agent.vrrp.Lab.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One test per protocol rule, named after the section of RFC 5798 (VRRPv3), RFC 3768 (VRRPv2) or the
 * keepalived 2.2.7 behaviour it pins (research/keepalived.md), so a reader can check each against its source.
 */
@Timeout(10)
class VrrpRfcRulesTest {

    static final IpAddress ME = ip("192.0.2.11");
    static final IpAddress LOWER_ADDR = ip("192.0.2.10");
    static final IpAddress HIGHER_ADDR = ip("192.0.2.12");
    static final IpAddress GROUP = ip("224.0.0.18");

    /** Drives one router by hand. */
    static final class Bench {
        final VrrpRouter router;
        long now;

        Bench(RouterConfig.Builder config) {
            router = new VrrpRouter(config.build());
        }

        List<RouterAction> in(RouterInput input) {
            return router.handle(input, now);
        }

        List<RouterAction> at(long t, RouterInput input) {
            now = t;
            return in(input);
        }

        List<RouterAction> start() {
            return in(new RouterInput.Start());
        }

        List<RouterAction> advert(long t, int priority, IpAddress from) {
            return at(t, new RouterInput.AdvertReceived(packet(priority, from, 255)));
        }

        ReceivedAdvert packet(int priority, IpAddress from, int ttl) {
            RouterConfig c = router.config();
            Advert a = new Advert(c.version(), c.family(), c.vrid(), priority, c.advertIntervalCentis(), c.vips(),
                    c.auth().type().wire(), c.auth().data());
            return new ReceivedAdvert(a, from, GROUP, ttl);
        }

        List<RouterAction> fire(long t, TimerKind kind) {
            return at(t, new RouterInput.TimerFired(kind));
        }

        long deadline(TimerKind kind) {
            return router.deadline(kind).orElseThrow();
        }

        void becomeMaster() {
            start();
            fire(deadline(TimerKind.MASTER_DOWN), TimerKind.MASTER_DOWN);
            assertThat(router.state()).isEqualTo(RouterState.MASTER);
        }
    }

    static RouterConfig.Builder v3(int priority) {
        return RouterConfig.builder("VI_1", 51, ME).version(VrrpVersion.V3).priority(priority)
                .vips(List.of(ip("192.0.2.100")));
    }

    static RouterConfig.Builder v2(int priority) {
        return RouterConfig.builder("VI_1", 51, ME).version(VrrpVersion.V2).priority(priority)
                .vips(List.of(ip("192.0.2.100")));
    }

    static <T> List<T> of(List<RouterAction> actions, Class<T> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Nested
    class Timers {
        @Test
        @DisplayName("RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256; Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time")
        void v3Skew() {
            assertThat(MasterDownTimer.skewNanos(VrrpVersion.V3, 100, 100)).isEqualTo(609_375_000L);
            assertThat(MasterDownTimer.skewNanos(VrrpVersion.V3, 100, 50)).isEqualTo(304_687_500L);
            assertThat(MasterDownTimer.masterDownIntervalNanos(VrrpVersion.V3, 100, 100, 3)).isEqualTo(3_609_375_000L);
            assertThat(MasterDownTimer.masterDownIntervalNanos(VrrpVersion.V3, 150, 100, 3)).isEqualTo(3_414_062_500L);
        }

        @Test
        @DisplayName("RFC 3768 §6.1: v2 Skew_Time = (256 - Priority) / 256 seconds, whatever the advert interval")
        void v2Skew() {
            assertThat(MasterDownTimer.skewNanos(VrrpVersion.V2, 100, 100)).isEqualTo(609_375_000L);
            assertThat(MasterDownTimer.skewNanos(VrrpVersion.V2, 100, 300)).isEqualTo(609_375_000L);
            assertThat(MasterDownTimer.masterDownIntervalNanos(VrrpVersion.V2, 100, 300, 3)).isEqualTo(9_609_375_000L);
        }

        @Test
        @DisplayName("keepalived down_timer_adverts: the multiplier of Master_Down_Interval (3 per the RFC)")
        void downTimerAdverts() {
            Bench b = new Bench(v3(100).downTimerAdverts(5));
            b.start();
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(5 * S + 609_375_000L);
        }

        @Test
        @DisplayName("a timer that wakes early is re-armed at its deadline, and a cancelled one is ignored")
        void earlyAndStaleWakeUps() {
            Bench b = new Bench(v3(100));
            b.start();
            long deadline = b.deadline(TimerKind.MASTER_DOWN);
            assertThat(b.fire(deadline - 1, TimerKind.MASTER_DOWN)).containsExactly(new ArmTimer(TimerKind.MASTER_DOWN, deadline));
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(b.fire(deadline, TimerKind.ADVERT)).as("never armed").isEmpty();
        }

        @Test
        @DisplayName("RFC 5798 §6.4.1: a non-owner enters Backup with Master_Down_Timer = Master_Down_Interval")
        void startAsBackup() {
            Bench b = new Bench(v3(100));
            List<RouterAction> out = b.start();
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(out).contains(new ArmTimer(TimerKind.MASTER_DOWN, 3_609_375_000L));
            assertThat(of(out, RemoveVips.class)).as("keepalived clears VIPs a crashed run left").hasSize(1);
            assertThat(of(out, SendAdvert.class)).isEmpty();
        }
    }

    @Nested
    class Backup {
        @Test
        @DisplayName("RFC 5798 §6.4.2: Master_Down_Timer fires -> send an ADVERTISEMENT, announce the VIPs, arm Adver_Timer, become Master")
        void masterDownTimerFires() {
            Bench b = new Bench(v3(100));
            b.start();
            b.advert(100 * MS, 120, HIGHER_ADDR);
            List<RouterAction> out = b.fire(100 * MS + 3_609_375_000L, TimerKind.MASTER_DOWN);
            assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
            assertThat(out.get(0)).isInstanceOfSatisfying(Transition.class, t -> {
                assertThat(t.reason()).isEqualTo(TransitionReason.MASTER_DOWN_TIMER_EXPIRED);
                assertThat(t.cause()).isEqualTo(
                        "master-down timer expired 3609 ms after the last advert from 192.0.2.12 (priority 120)");
            });
            int send = out.indexOf(of(out, SendAdvert.class).get(0));
            int add = out.indexOf(of(out, AddVips.class).get(0));
            int announce = out.indexOf(of(out, AnnounceVips.class).get(0));
            assertThat(send).as("advert first so the old master drops the VIPs").isLessThan(add);
            assertThat(add).isLessThan(announce);
            assertThat(of(out, AnnounceVips.class).get(0).repeat()).isEqualTo(5);
            assertThat(out).contains(new ArmTimer(TimerKind.ADVERT, b.now + S));
            assertThat(out).contains(new ArmTimer(TimerKind.GARP_REPEAT, b.now + 5 * S));
        }

        @Test
        @DisplayName("A takeover's cause is formatted when read (its advert leaves first), from the values at the takeover")
        void takeoverCauseFormattedLaterFromItsOwnValues() {
            Bench b = new Bench(v3(100));
            b.start();
            b.advert(100 * MS, 120, HIGHER_ADDR);
            Transition t = of(b.fire(100 * MS + 3_609_375_000L, TimerKind.MASTER_DOWN), Transition.class).get(0);
            b.advert(5 * S, 200, LOWER_ADDR); // another master since: the router steps down and follows it
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(t.cause()).isEqualTo(
                    "master-down timer expired 3609 ms after the last advert from 192.0.2.12 (priority 120)");
        }

        @Test
        @DisplayName("RFC 5798 §6.4.2: an ADVERTISEMENT with priority >= ours resets Master_Down_Timer (and v3 adopts Master_Adver_Interval)")
        void higherOrEqualResetsTimer() {
            Bench b = new Bench(v3(100));
            b.start();
            RouterConfig c = b.router.config();
            Advert slow = Advert.v3(IpFamily.IPV4, 51, 100, 200, c.vips()); // master advertises every 2 s
            b.at(2 * S, new RouterInput.AdvertReceived(new ReceivedAdvert(slow, LOWER_ADDR, GROUP, 255)));
            assertThat(b.router.view().masterAdverIntervalCentis()).isEqualTo(200);
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(2 * S + 3 * 2 * S + 156L * 2 * S / 256);
        }

        @Test
        @DisplayName("RFC 5798 §6.4.2: priority 0 -> Master_Down_Timer = Skew_Time (backup takes over after the skew)")
        void priorityZeroMeansSkew() {
            Bench b = new Bench(v3(100));
            b.start();
            b.advert(S, 150, HIGHER_ADDR);
            b.advert(2 * S, 0, HIGHER_ADDR);
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(2 * S + 609_375_000L);
            List<RouterAction> out = b.fire(2 * S + 609_375_000L, TimerKind.MASTER_DOWN);
            assertThat(of(out, Transition.class).get(0).cause())
                    .isEqualTo("master-down timer expired 609 ms (skew time) after 192.0.2.12 resigned with a priority-0 advert");
        }

        @Test
        @DisplayName("RFC 5798 §6.4.2: with Preempt_Mode a lower-priority ADVERTISEMENT is discarded, so the backup preempts")
        void preemptLowerMaster() {
            Bench b = new Bench(v3(150));
            b.start();
            long armed = b.deadline(TimerKind.MASTER_DOWN);
            assertThat(b.advert(S, 100, HIGHER_ADDR)).isEmpty();
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).as("timer not reset").isEqualTo(armed);
            List<RouterAction> out = b.fire(armed, TimerKind.MASTER_DOWN);
            assertThat(of(out, Transition.class).get(0).cause()).endsWith("; preempting 192.0.2.12 with lower priority 100");
        }

        @Test
        @DisplayName("RFC 5798 §6.4.2: with Preempt_Mode false (nopreempt) a lower-priority master is accepted")
        void nopreempt() {
            Bench b = new Bench(v3(150).preempt(false));
            b.start();
            b.advert(S, 100, HIGHER_ADDR);
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(S + MasterDownTimer.masterDownIntervalNanos(VrrpVersion.V3, 150, 100, 3));
        }

        @Test
        @DisplayName("keepalived preempt_delay: a lower-priority master is followed until the delay has passed, then preempted")
        void preemptDelay() {
            Bench b = new Bench(v3(150).preemptDelay(Duration.ofSeconds(10)));
            b.start();
            for (long t = S; t < 10 * S; t += S) {
                b.advert(t, 100, HIGHER_ADDR);
                assertThat(b.deadline(TimerKind.MASTER_DOWN)).as("followed at %d", t).isGreaterThan(t + 3 * S);
            }
            b.advert(11 * S, 100, HIGHER_ADDR);
            long armed = b.deadline(TimerKind.MASTER_DOWN);
            assertThat(armed).as("not reset once the delay has passed").isLessThan(11 * S + 3 * S);
            b.fire(armed, TimerKind.MASTER_DOWN);
            assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
        }
    }

    @Nested
    class Master {
        @Test
        @DisplayName("RFC 5798 §6.4.1: the address owner (priority 255) becomes Master at once on startup")
        void ownerStartsMaster() {
            Bench b = new Bench(v3(255));
            List<RouterAction> out = b.start();
            assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
            assertThat(of(out, SendAdvert.class)).hasSize(1);
            assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("start as address owner (priority 255)");
        }

        @Test
        @DisplayName("RFC 5798 §6.4.3: Adver_Timer fires -> send an ADVERTISEMENT and re-arm it")
        void advertTimer() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            long t = b.deadline(TimerKind.ADVERT);
            List<RouterAction> out = b.fire(t, TimerKind.ADVERT);
            assertThat(out).containsExactly(new SendAdvert(of(out, SendAdvert.class).get(0).advert()),
                    new ArmTimer(TimerKind.ADVERT, t + S));
            assertThat(of(out, SendAdvert.class).get(0).advert().priority()).isEqualTo(100);
        }

        @Test
        @DisplayName("RFC 5798 §6.4.3: a higher-priority ADVERTISEMENT -> cancel Adver_Timer, arm Master_Down_Timer, remove VIPs, Backup")
        void higherPriorityPreempts() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            List<RouterAction> out = b.advert(10 * S, 200, LOWER_ADDR);
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("preempted by 192.0.2.10 with priority 200");
            assertThat(out).contains(new CancelTimer(TimerKind.ADVERT), new RemoveVips(b.router.config().vips()),
                    new ArmTimer(TimerKind.MASTER_DOWN, 10 * S + 3_609_375_000L));
            assertThat(of(out, SendAdvert.class)).as("no priority-0 advert when preempted").isEmpty();
        }

        @Test
        @DisplayName("RFC 5798 §6.4.3: equal priority -> the higher primary address stays Master, the lower one yields")
        void equalPriorityTieBreak() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            b.advert(10 * S, 100, LOWER_ADDR);
            assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
            List<RouterAction> out = b.advert(11 * S, 100, HIGHER_ADDR);
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(of(out, Transition.class).get(0).cause())
                    .isEqualTo("preempted by 192.0.2.12 with priority 100 (equal priority, higher address)");
        }

        @Test
        @DisplayName("RFC 5798 §6.4.3: a priority-0 ADVERTISEMENT -> send an ADVERTISEMENT at once")
        void priorityZeroAnswered() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            List<RouterAction> out = b.advert(10 * S + 300 * MS, 0, LOWER_ADDR);
            assertThat(of(out, SendAdvert.class)).hasSize(1);
            assertThat(out).contains(new ArmTimer(TimerKind.ADVERT, 11 * S + 300 * MS));
        }

        @Test
        @DisplayName("keepalived: a Master hearing a lower priority answers at once; lower_prio_no_advert keeps the RFC's silence")
        void lowerPriorityAnswered() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            assertThat(of(b.advert(10 * S, 50, HIGHER_ADDR), SendAdvert.class)).hasSize(1);
            Bench quiet = new Bench(v3(100).lowerPrioNoAdvert(true));
            quiet.becomeMaster();
            assertThat(quiet.advert(10 * S, 50, HIGHER_ADDR)).isEmpty();
        }

        @Test
        @DisplayName("keepalived garp_lower_prio_repeat: a Master hearing a lower-priority master (healed partition) re-announces")
        void garpLowerPrioRepeat() {
            Bench b = new Bench(v3(100).garpLowerPrioRepeat(3));
            b.becomeMaster();
            assertThat(of(b.advert(10 * S, 50, HIGHER_ADDR), AnnounceVips.class))
                    .containsExactly(new AnnounceVips(b.router.config().vips(), 3));
        }

        @Test
        @DisplayName("keepalived higher_prio_send_advert: the losing Master sends its own advert before stepping down")
        void higherPrioSendAdvert() {
            Bench b = new Bench(v3(100).higherPrioSendAdvert(true));
            b.becomeMaster();
            List<RouterAction> out = b.advert(10 * S, 200, HIGHER_ADDR);
            assertThat(out.get(0)).isInstanceOf(SendAdvert.class);
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        }

        @Test
        @DisplayName("RFC 5798 §6.1 Accept_Mode: carried to the shell with the VIPs it adds")
        void acceptMode() {
            Bench b = new Bench(v3(100).acceptMode(false));
            b.start();
            List<RouterAction> out = b.fire(b.deadline(TimerKind.MASTER_DOWN), TimerKind.MASTER_DOWN);
            assertThat(of(out, AddVips.class).get(0).acceptMode()).isFalse();
        }
    }

    @Nested
    class Shutdown {
        @Test
        @DisplayName("RFC 5798 §6.4.3: Shutdown as Master -> cancel Adver_Timer, send priority 0, remove VIPs, Initialize")
        void masterShutdown() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            List<RouterAction> out = b.at(20 * S, new RouterInput.ShutdownRequested());
            assertThat(b.router.state()).isEqualTo(RouterState.INITIALIZE);
            assertThat(of(out, SendAdvert.class).get(0).advert().priority()).isZero();
            assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("shutdown");
            assertThat(out).contains(new RemoveVips(b.router.config().vips()), new CancelTimer(TimerKind.ADVERT));
            assertThat(b.router.counters().priorityZeroSent()).isEqualTo(1);
        }

        @Test
        @DisplayName("RFC 5798 §6.4.2: Shutdown as Backup -> cancel Master_Down_Timer, Initialize, send nothing")
        void backupShutdown() {
            Bench b = new Bench(v3(100));
            b.start();
            List<RouterAction> out = b.at(S, new RouterInput.ShutdownRequested());
            assertThat(out).containsExactly(
                    new Transition(RouterState.BACKUP, RouterState.INITIALIZE, TransitionReason.SHUTDOWN, "shutdown", S),
                    new CancelTimer(TimerKind.MASTER_DOWN));
        }
    }

    @Nested
    class PriorityAndFault {
        @Test
        @DisplayName("keepalived: effective priority = base + tracker weights, clamped to 1..254; the change goes out in the next advert")
        void effectivePriority() {
            Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("chk_pg", -60), new TrackerSpec("chk_up", 200))));
            assertThat(b.router.effectivePriority()).as("OK trackers with positive weight count").isEqualTo(254);
            b.becomeMaster();
            List<RouterAction> out = b.at(10 * S, new RouterInput.TrackerChanged("chk_up", false));
            assertThat(out).containsExactly(new PriorityChanged(254, 100, "tracker chk_up failed (weight 200)"));
            out = b.at(10 * S, new RouterInput.TrackerChanged("chk_pg", false));
            assertThat(out).as("no advert at once").containsExactly(new PriorityChanged(100, 40, "tracker chk_pg failed (weight -60)"));
            List<RouterAction> next = b.fire(b.deadline(TimerKind.ADVERT), TimerKind.ADVERT);
            assertThat(of(next, SendAdvert.class).get(0).advert().priority()).isEqualTo(40);
            Bench low = new Bench(v3(20).trackers(List.of(new TrackerSpec("chk_pg", -60))));
            low.at(0, new RouterInput.TrackerChanged("chk_pg", false));
            assertThat(low.router.effectivePriority()).isEqualTo(1);
        }

        @Test
        @DisplayName("keepalived: the address owner's priority 255 is never adjusted by trackers")
        void ownerNotAdjusted() {
            Bench b = new Bench(v3(255).trackers(List.of(new TrackerSpec("chk_pg", -60))));
            b.start();
            assertThat(b.at(S, new RouterInput.TrackerChanged("chk_pg", false))).isEmpty();
            assertThat(b.router.effectivePriority()).isEqualTo(255);
        }

        @Test
        @DisplayName("keepalived: a priority change in Backup shifts the pending master-down deadline to the new interval")
        void backupPriorityShiftsTimer() {
            Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("chk_w", 50))));
            b.start();
            b.advert(S, 200, HIGHER_ADDR);
            b.at(2 * S, new RouterInput.TrackerChanged("chk_w", false));
            assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(S + 3_609_375_000L);
        }

        @Test
        @DisplayName("keepalived FAULT: a weight-0 tracker failing -> FAULT (master resigns with priority 0); recovery -> BACKUP")
        void weightZeroTrackerFault() {
            Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("chk_pg", 0))));
            b.becomeMaster();
            List<RouterAction> out = b.at(10 * S, new RouterInput.TrackerChanged("chk_pg", false));
            assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
            assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("tracker chk_pg failed");
            assertThat(of(out, SendAdvert.class).get(0).advert().priority()).isZero();
            assertThat(of(out, RemoveVips.class)).hasSize(1);
            assertThat(b.advert(11 * S, 200, HIGHER_ADDR)).as("FAULT ignores adverts").isEmpty();
            assertThat(b.router.drops().get(DropReason.NOT_LISTENING)).isEqualTo(1);
            out = b.at(12 * S, new RouterInput.TrackerChanged("chk_pg", true));
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
            assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("tracker chk_pg recovered");
        }

        @Test
        @DisplayName("keepalived FAULT: interface down -> FAULT without an advert; interface up -> BACKUP")
        void interfaceFault() {
            Bench b = new Bench(v3(100));
            b.becomeMaster();
            List<RouterAction> out = b.at(10 * S, new RouterInput.InterfaceChanged(false));
            assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
            assertThat(of(out, SendAdvert.class)).isEmpty();
            b.at(11 * S, new RouterInput.InterfaceChanged(true));
            assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        }
    }

    @Nested
    class ReceiveValidation {
        Bench backup(RouterConfig.Builder c) {
            Bench b = new Bench(c);
            b.start();
            return b;
        }

        void assertDropped(Bench b, ReceivedAdvert p, DropReason reason) {
            RouterView before = b.router.view();
            assertThat(b.at(S, new RouterInput.AdvertReceived(p))).isEmpty();
            assertThat(b.router.drops().get(reason)).isEqualTo(1);
            assertThat(b.router.view()).isEqualTo(before);
        }

        @Test
        @DisplayName("RFC 5798 §7.1 / §5.1.1.3: a multicast advert with TTL/hop limit other than 255 is discarded")
        void ttl() {
            Bench b = backup(v3(100));
            assertDropped(b, b.packet(200, HIGHER_ADDR, 254), DropReason.TTL_NOT_255);
        }

        @Test
        @DisplayName("keepalived unicast_peer: the TTL check is off for unicast, the destination must be unicast")
        void unicastTtl() {
            Bench b = backup(v3(100).unicastPeers(List.of(HIGHER_ADDR)));
            Advert a = b.packet(200, HIGHER_ADDR, 64).advert();
            b.at(S, new RouterInput.AdvertReceived(new ReceivedAdvert(a, HIGHER_ADDR, ME, 64)));
            assertThat(b.router.drops().total()).isZero();
            assertDropped(b, new ReceivedAdvert(a, HIGHER_ADDR, GROUP, 255), DropReason.DESTINATION_MISMATCH);
        }

        @Test
        @DisplayName("keepalived check_unicast_src: a unicast advert from an address that is not a configured peer is discarded")
        void unicastSource() {
            Bench b = backup(v3(100).unicastPeers(List.of(HIGHER_ADDR)).checkUnicastSource(true));
            Advert a = b.packet(200, LOWER_ADDR, 64).advert();
            assertDropped(b, new ReceivedAdvert(a, LOWER_ADDR, ME, 64), DropReason.UNKNOWN_PEER);
        }

        @Test
        @DisplayName("RFC 5798 §7.1: a version other than the configured one is discarded")
        void version() {
            Bench b = backup(v3(100));
            Advert a = Advert.v2(51, 200, 1, b.router.config().vips(), Authentication.NONE);
            assertDropped(b, new ReceivedAdvert(a, HIGHER_ADDR, GROUP, 255), DropReason.VERSION_MISMATCH);
        }

        @Test
        @DisplayName("RFC 5798 §7.1 (keepalived 2.2.7): an address list that differs from ours is discarded")
        void addressList() {
            Bench b = backup(v3(100));
            Advert a = Advert.v3(IpFamily.IPV4, 51, 200, 100, List.of(ip("192.0.2.199")));
            assertDropped(b, new ReceivedAdvert(a, HIGHER_ADDR, GROUP, 255), DropReason.ADDRESS_LIST_MISMATCH);
        }

        @Test
        @DisplayName("RFC 5798 §7.1: a VRID with no router configured is discarded")
        void unknownVrid() {
            Bench b = backup(v3(100));
            Advert a = Advert.v3(IpFamily.IPV4, 52, 200, 100, b.router.config().vips());
            assertDropped(b, new ReceivedAdvert(a, HIGHER_ADDR, GROUP, 255), DropReason.UNKNOWN_VRID);
        }

        @Test
        @DisplayName("RFC 5798 §7.1: the address owner discards adverts with owner_ignore_adverts; keepalived's default hears a rival owner")
        void ownerIgnoresAdverts() {
            Bench strict = backup(v3(255).ownerIgnoresAdverts(true));
            assertDropped(strict, strict.packet(255, HIGHER_ADDR, 255), DropReason.OWNER_IGNORES);
            assertThat(strict.router.state()).isEqualTo(RouterState.MASTER);
            Bench lenient = backup(v3(255));
            lenient.advert(S, 255, HIGHER_ADDR);
            assertThat(lenient.router.state()).as("rival owner with the higher address wins").isEqualTo(RouterState.BACKUP);
        }

        @Test
        @DisplayName("keepalived: our own advert looped back is ignored")
        void ownAdvert() {
            Bench b = backup(v3(100));
            assertDropped(b, b.packet(200, ME, 255), DropReason.OWN_ADVERT);
        }

        @Test
        @DisplayName("RFC 3768 §7.1: a v2 advert interval different from ours is discarded")
        void v2Interval() {
            Bench b = backup(v2(100));
            Advert a = Advert.v2(51, 200, 2, b.router.config().vips(), Authentication.NONE);
            assertDropped(b, new ReceivedAdvert(a, HIGHER_ADDR, GROUP, 255), DropReason.INTERVAL_MISMATCH);
        }

        @Test
        @DisplayName("RFC 3768 §5.3.6 / §7.1: v2 PASS authentication must match; a different auth type is discarded")
        void v2Auth() {
            Bench b = backup(v2(100).auth(Authentication.pass("s3cret")));
            List<IpAddress> vips = b.router.config().vips();
            assertDropped(b, new ReceivedAdvert(Advert.v2(51, 200, 1, vips, Authentication.pass("wrong")), HIGHER_ADDR,
                    GROUP, 255), DropReason.AUTH_FAILURE);
            Bench c = backup(v2(100).auth(Authentication.pass("s3cret")));
            assertDropped(c, new ReceivedAdvert(Advert.v2(51, 200, 1, vips, Authentication.NONE), HIGHER_ADDR, GROUP,
                    255), DropReason.AUTH_TYPE_MISMATCH);
            Bench ok = backup(v2(100).auth(Authentication.pass("s3cret")));
            ok.at(S, new RouterInput.AdvertReceived(new ReceivedAdvert(Advert.v2(51, 200, 1, vips,
                    Authentication.pass("s3cret")), HIGHER_ADDR, GROUP, 255)));
            assertThat(ok.router.drops().total()).isZero();
        }

        @Test
        @DisplayName("RFC 3768 §5.3.6: auth types other than none and PASS are refused with a clear reason (config and wire)")
        void otherAuthRefused() {
            assertThatThrownBy(() -> Authentication.parse("AH", "x")).hasMessageContaining("AH (IPsec Authentication Header) is not supported");
            byte[] packet = AdvertCodec.encodeIpv4Packet(Advert.v2(51, 100, 1, List.of(), Authentication.NONE), ME, GROUP, 255, 1,
                    V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            packet[24] = 2;
            fixV2Checksum(packet);
            assertThat(AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER))
                    .isEqualTo(new Decoded.Dropped(DropReason.UNSUPPORTED_AUTH,
                            "v2 auth type 2 (IP Authentication Header) is not supported"));
        }

        @Test
        @DisplayName("RFC 5798 §7.1: the length must match the address count, the type must be ADVERTISEMENT, the checksum must verify")
        void lengthTypeChecksum() {
            Advert a = Advert.v3(IpFamily.IPV4, 51, 100, 100, List.of(ip("192.0.2.100")));
            byte[] ok = AdvertCodec.encodeIpv4Packet(a, ME, GROUP, 255, 1, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            byte[] count = ok.clone();
            count[23] = 2;
            assertThat(decodeReason(count)).isIn(DropReason.LENGTH_MISMATCH);
            byte[] type = ok.clone();
            type[20] = 0x32;
            assertThat(decodeReason(type)).isEqualTo(DropReason.BAD_TYPE);
            byte[] sum = ok.clone();
            sum[27] ^= 1;
            assertThat(decodeReason(sum)).isEqualTo(DropReason.BAD_CHECKSUM);
            byte[] ipsum = ok.clone();
            ipsum[10] ^= 1;
            assertThat(decodeReason(ipsum)).isEqualTo(DropReason.IP_HEADER_INVALID);
        }

        DropReason decodeReason(byte[] p) {
            Decoded d = AdvertCodec.decodeIpv4Packet(p, 0, p.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            return d instanceof Decoded.Dropped x ? x.reason() : null;
        }

        static void fixV2Checksum(byte[] packet) {
            packet[26] = 0;
            packet[27] = 0;
            int c = AdvertCodec.checksum(VrrpVersion.V2, IpFamily.IPV4, ME, GROUP, false, packet, 20, packet.length - 20);
            packet[26] = (byte) (c >>> 8);
            packet[27] = (byte) c;
        }
    }

    @Nested
    class Packets {
        @Test
        @DisplayName("RFC 5798 §5.1.1: adverts go out as IP protocol 112 with TTL 255 to 224.0.0.18 (TOS 0xC0 like keepalived)")
        void ipHeader() {
            Advert a = Advert.v3(IpFamily.IPV4, 51, 100, 100, List.of(ip("192.0.2.100")));
            byte[] p = AdvertCodec.encodeIpv4Packet(a, ME, AdvertCodec.MULTICAST_V4, 255, 7, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(p[9]).isEqualTo((byte) 112);
            assertThat(p[8] & 0xFF).isEqualTo(255);
            assertThat(p[1] & 0xFF).isEqualTo(0xC0);
            assertThat(IpAddress.read(IpFamily.IPV4, p, 16)).isEqualTo(ip("224.0.0.18"));
            assertThat(AdvertCodec.MULTICAST_V6).isEqualTo(ip("ff02::12"));
        }

        @Test
        @DisplayName("RFC 5798 §5.2.7: Max Advert Int is 12 bits of centiseconds (10 ms .. 40.95 s); RFC 3768 §5.3.7: v2 whole seconds")
        void intervalUnits() {
            Advert a = Advert.v3(IpFamily.IPV4, 51, 100, 4095, List.of());
            byte[] m = AdvertCodec.encode(a, ME, GROUP, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(m[4] & 0xFF).isEqualTo(0x0F);
            assertThat(m[5] & 0xFF).isEqualTo(0xFF);
            assertThatThrownBy(() -> Advert.v3(IpFamily.IPV4, 51, 100, 4096, List.of())).hasMessageContaining("4096");
            assertThatThrownBy(() -> v2(100).advertIntervalCentis(150).build()).hasMessageContaining("whole seconds");
            assertThatThrownBy(() -> v3(100).advertIntervalCentis(0).build()).hasMessageContaining("0.01..40.95");
            byte[] v2 = AdvertCodec.encode(Advert.v2(51, 100, 3, List.of(), Authentication.NONE), ME, GROUP,
                    V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(v2[5]).isEqualTo((byte) 3);
        }

        @Test
        @DisplayName("RFC 5798 §5.2.8: the v3 checksum covers the pseudo-header; v3/IPv4 AS_V2 (RFC 9568, v3_checksum_as_v2) omits it")
        void checksumForms() {
            Advert a = Advert.v3(IpFamily.IPV4, 51, 100, 100, List.of(ip("192.0.2.100")));
            byte[] with = AdvertCodec.encode(a, ME, GROUP, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            byte[] without = AdvertCodec.encode(a, ME, GROUP, V3Ipv4Checksum.AS_V2);
            assertThat(with).isNotEqualTo(without);
            assertThat(AdvertCodec.checksum(VrrpVersion.V3, IpFamily.IPV4, ME, GROUP, true, with, 0, with.length)).isZero();
            assertThat(AdvertCodec.checksum(VrrpVersion.V3, IpFamily.IPV4, ME, GROUP, false, without, 0, without.length)).isZero();
            Decoded other = AdvertCodec.decodeVrrp(IpFamily.IPV4, with, 0, with.length, HIGHER_ADDR, GROUP, 255,
                    V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(other).as("a different source breaks the pseudo-header checksum").isInstanceOf(Decoded.Dropped.class);
            assertThat(AdvertCodec.decodeVrrp(IpFamily.IPV4, without, 0, without.length, ME, GROUP, 255,
                    V3Ipv4Checksum.WITH_PSEUDO_HEADER_ACCEPT_EITHER)).isInstanceOf(Decoded.Accepted.class);
        }

        @Test
        @DisplayName("RFC 3768 §5.3.8 / RFC 5798 §5.2.9: 255 addresses round-trip; v2 over IPv6 is refused")
        void limits() {
            List<IpAddress> many = java.util.stream.IntStream.range(0, 255).mapToObj(i -> IpAddress.ipv4(0xC6336400 + i)).toList();
            Advert a = Advert.v2(51, 100, 1, many, Authentication.NONE);
            byte[] p = AdvertCodec.encodeIpv4Packet(a, ME, GROUP, 255, 1, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            Decoded d = AdvertCodec.decodeIpv4Packet(p, 0, p.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
            assertThat(((Decoded.Accepted) d).packet().advert()).isEqualTo(a);
            assertThatThrownBy(() -> new Advert(VrrpVersion.V2, IpFamily.IPV6, 51, 100, 100, List.of(), 0, 0))
                    .hasMessageContaining("IPv4 only");
            assertThatThrownBy(() -> RouterConfig.builder("VI_6", 51, ip("fe80::1")).version(VrrpVersion.V2).build())
                    .hasMessageContaining("vrrp_instance VI_6: IPv6 needs version 3");
        }
    }
}
