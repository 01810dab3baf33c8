package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.RouterAction.AddVips;
import dev.vigil.agent.vrrp.RouterAction.SendAdvert;
import dev.vigil.agent.vrrp.RouterAction.Transition;
import dev.vigil.agent.vrrp.VrrpRfcRulesTest.Bench;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static dev.vigil.agent.vrrp.Lab.MS;
import static dev.vigil.agent.vrrp.Lab.S;
import static dev.vigil.agent.vrrp.VrrpRfcRulesTest.HIGHER_ADDR;
import static dev.vigil.agent.vrrp.VrrpRfcRulesTest.of;
import static dev.vigil.agent.vrrp.VrrpRfcRulesTest.v3;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6's stretch ({@link RouterConfig#faultTakeover}): a router in FAULT with its link up keeps listening, so when
 * its tracker recovers its Master_Down timer has been running since the last advert it heard. A promoted standby
 * whose write VIP nobody holds becomes MASTER at once instead of one Master_Down_Interval later.
 */
@Timeout(10)
class FaultTakeoverTest {
    /** v3, advert_int 0.1 s, priority 100: Master_Down_Interval = 300 ms + skew 60.9 ms. */
    static final long MASTER_DOWN = 300 * MS + (256 - 100) * 100 * MS / 256;

    static Bench faultedAtStart(boolean faultTakeover) {
        Bench b = new Bench(v3(100).advertIntervalCentis(10).trackers(List.of(new TrackerSpec("chk_pg", 0)))
                .faultTakeover(faultTakeover));
        b.at(0, new RouterInput.TrackerChanged("chk_pg", false));
        b.start();
        assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
        return b;
    }

    @Test
    void noAdvertHeardForAMasterDownIntervalInFaultMeansMasterAtOnce() {
        Bench b = faultedAtStart(true);
        List<RouterAction> out = b.at(5 * S, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
        Transition t = of(out, Transition.class).get(0);
        assertThat(t.from()).isEqualTo(RouterState.FAULT);
        assertThat(t.cause()).isEqualTo("tracker chk_pg recovered; no advert heard for 5000 ms in FAULT"
                + " (Master_Down_Interval 361 ms)");
        assertThat(of(out, SendAdvert.class)).hasSize(1);
        assertThat(of(out, AddVips.class)).hasSize(1);
    }

    @Test
    void aMasterHeardInFaultMeansBackupWithTheTimerRunningFromItsLastAdvert() {
        Bench b = faultedAtStart(true);
        for (long t = 1 * S; t <= 2 * S; t += 100 * MS) {
            assertThat(b.advert(t, 150, HIGHER_ADDR)).as("dropped in FAULT, as before").isEmpty();
        }
        assertThat(b.router.drops().get(DropReason.NOT_LISTENING)).isEqualTo(11);
        b.at(2 * S + 50 * MS, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(2 * S + MASTER_DOWN);
        // the master keeps advertising: an ordinary backup
        b.advert(2 * S + 100 * MS, 150, HIGHER_ADDR);
        assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(2 * S + 100 * MS + MASTER_DOWN);
    }

    @Test
    void aMasterThatWentSilentLongerAgoThanMasterDownIsTakenOverAtOnce() {
        Bench b = faultedAtStart(true);
        b.advert(1 * S, 150, HIGHER_ADDR);
        b.at(1 * S + MASTER_DOWN - 1, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).as("one nanosecond short").isEqualTo(RouterState.BACKUP);
        b.at(2 * S, new RouterInput.TrackerChanged("chk_pg", false));
        assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
        b.advert(2 * S + 10 * MS, 150, HIGHER_ADDR);
        b.at(2 * S + 10 * MS + MASTER_DOWN, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
    }

    @Test
    void withoutTheLinkThereWasNothingToHearSoTheTimerStartsAtRecovery() {
        Bench b = faultedAtStart(true);
        b.at(1 * S, new RouterInput.InterfaceChanged(false));
        b.at(3 * S, new RouterInput.InterfaceChanged(true));
        b.at(3 * S + 100 * MS, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).as("listening only since the link came back").isEqualTo(RouterState.BACKUP);
        assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(3 * S + MASTER_DOWN);
    }

    @Test
    void keepalivedsWayWhenOff() {
        Bench b = faultedAtStart(false);
        b.at(5 * S, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        assertThat(b.deadline(TimerKind.MASTER_DOWN)).isEqualTo(5 * S + MASTER_DOWN);
    }

    @Test
    void aMasterThatFaultsHearsItsSuccessorAndWaitsForItOnRecovery() {
        Bench b = new Bench(v3(200).advertIntervalCentis(10).trackers(List.of(new TrackerSpec("chk_pg", 0))));
        b.becomeMaster();
        b.at(10 * S, new RouterInput.TrackerChanged("chk_pg", false));
        b.advert(10 * S + 400 * MS, 100, HIGHER_ADDR); // the backup took over
        b.at(10 * S + 450 * MS, new RouterInput.TrackerChanged("chk_pg", true));
        assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        // preempt: the lower master's next advert is discarded, the timer runs out, 200 takes the role back
        b.advert(10 * S + 500 * MS, 100, HIGHER_ADDR);
        b.fire(b.deadline(TimerKind.MASTER_DOWN), TimerKind.MASTER_DOWN);
        assertThat(b.router.state()).isEqualTo(RouterState.MASTER);
    }
}
