package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.RouterAction.PriorityChanged;
import dev.vigil.agent.vrrp.RouterAction.SendAdvert;
import dev.vigil.agent.vrrp.RouterAction.Transition;
import dev.vigil.agent.vrrp.VrrpRfcRulesTest.Bench;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static dev.vigil.agent.vrrp.Lab.S;
import static dev.vigil.agent.vrrp.VrrpRfcRulesTest.of;
import static dev.vigil.agent.vrrp.VrrpRfcRulesTest.v3;
import static org.assertj.core.api.Assertions.assertThat;

/** keepalived's track_file as the router sees it: a contribution set from outside (value x weight), or a fault. */
@Timeout(10)
class TrackerContributionTest {

    @Test
    void aSetContributionReplacesTheWeightAndGoesOutInTheNextAdvert() {
        Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("file app", -10))));
        b.becomeMaster();
        List<RouterAction> out = b.at(10 * S, new RouterInput.TrackerContributionChanged("file app", false, -30));
        assertThat(out).containsExactly(new PriorityChanged(100, 70, "tracker file app contributes -30"));
        List<RouterAction> next = b.fire(b.deadline(TimerKind.ADVERT), TimerKind.ADVERT);
        assertThat(of(next, SendAdvert.class).get(0).advert().priority()).isEqualTo(70);
        assertThat(b.at(11 * S, new RouterInput.TrackerContributionChanged("file app", false, -30))).as("no change").isEmpty();
        out = b.at(12 * S, new RouterInput.TrackerContributionChanged("file app", false, 20));
        assertThat(out).containsExactly(new PriorityChanged(70, 120, "tracker file app contributes 20"));
        b.at(13 * S, new RouterInput.TrackerContributionChanged("file app", false, 200));
        assertThat(b.router.effectivePriority()).as("clamped").isEqualTo(254);
    }

    @Test
    void aFaultingContributionFaultsTheRouterAndItsRecoveryRestoresThePriority() {
        Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("file app", -1))));
        b.becomeMaster();
        b.at(9 * S, new RouterInput.TrackerContributionChanged("file app", false, -20));
        List<RouterAction> out = b.at(10 * S, new RouterInput.TrackerContributionChanged("file app", true, 0));
        assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
        assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("tracker file app failed");
        assertThat(of(out, SendAdvert.class).get(0).advert().priority()).isZero();
        out = b.at(11 * S, new RouterInput.TrackerContributionChanged("file app", false, 0));
        assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        assertThat(b.router.effectivePriority()).as("the value before the fault is gone").isEqualTo(100);
        b.at(11 * S, new RouterInput.TrackerContributionChanged("file app", true, 0));
        out = b.at(11 * S, new RouterInput.TrackerContributionChanged("file app", false, -5));
        assertThat(b.router.state()).isEqualTo(RouterState.BACKUP);
        assertThat(of(out, Transition.class).get(0).cause()).isEqualTo("tracker file app recovered");
        assertThat(b.router.effectivePriority()).isEqualTo(95);
    }

    @Test
    void aFaultBeforeStartStartsInFaultAndAnUnknownTrackerIsIgnored() {
        Bench b = new Bench(v3(100).trackers(List.of(new TrackerSpec("file app", 0))));
        assertThat(b.in(new RouterInput.TrackerContributionChanged("other", true, 0))).isEmpty();
        b.in(new RouterInput.TrackerContributionChanged("file app", true, 0));
        b.start();
        assertThat(b.router.state()).isEqualTo(RouterState.FAULT);
    }
}
