package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LagPreferenceTest {
    static final long MB = 1 << 20;
    final LagPreference oneMbUpTo20 = new LagPreference(MB, 20);

    @Test
    void onePointPerWholeStepCapped() {
        assertThat(oneMbUpTo20.penalty(0)).isZero();
        assertThat(oneMbUpTo20.penalty(MB - 1)).isZero();
        assertThat(oneMbUpTo20.penalty(3 * MB)).isEqualTo(3);
        assertThat(oneMbUpTo20.penalty(500 * MB)).isEqualTo(20);
        assertThat(oneMbUpTo20.penalty(-5)).isZero();
    }

    @Test
    void movesOnlyHalfAStepPastABoundary() {
        // rising from 0: 1.4 MB stays 0, 1.5 MB is 1
        assertThat(oneMbUpTo20.next(0, 14 * MB / 10)).isZero();
        assertThat(oneMbUpTo20.next(0, 15 * MB / 10)).isEqualTo(1);
        // a lag hovering around the 1 MB boundary does not flip the penalty
        int p = 0;
        for (long lag : new long[] {MB - 1000, MB + 1000, MB - 1000, MB + 200_000, MB - 200_000}) {
            p = oneMbUpTo20.next(p, lag);
            assertThat(p).as("lag %d", lag).isZero();
        }
        // falling from 3: 2.5 MB stays 3, just under 2.5 MB is 2, and 0 is 0 at once
        assertThat(oneMbUpTo20.next(3, 25 * MB / 10)).isEqualTo(3);
        assertThat(oneMbUpTo20.next(3, 25 * MB / 10 - 1)).isEqualTo(2);
        assertThat(oneMbUpTo20.next(3, 0)).isZero();
        // a jump goes straight to its step, capped
        assertThat(oneMbUpTo20.next(0, 7 * MB)).isEqualTo(6);
        assertThat(oneMbUpTo20.next(0, 900 * MB)).isEqualTo(20);
        assertThat(oneMbUpTo20.next(20, 900 * MB)).isEqualTo(20);
    }

    @Property(tries = 500)
    void neverFurtherThanHalfAStepFromTheLag(@ForAll @IntRange(min = 0, max = 20) int current,
                                             @ForAll @LongRange(min = 0, max = 40L << 20) long lag) {
        int next = oneMbUpTo20.next(current, lag);
        assertThat(next).isBetween(0, 20);
        // the penalty's band [next - 1/2, next + 3/2) steps holds the lag, unless capped
        if (next < 20) {
            assertThat((double) lag / MB).isLessThan(next + 1.5);
        }
        assertThat((double) lag / MB).isGreaterThanOrEqualTo(next - 0.5);
        // and it is stable: the same lag again changes nothing
        assertThat(oneMbUpTo20.next(next, lag)).isEqualTo(next);
    }

    @Test
    void theLeastLaggingHealthyReplicaGetsTheHighestPriority() {
        TrackerWeight plus50 = new TrackerWeight(50, false);
        int base = 100;
        int caughtUp = base + LagPreference.effect(plus50, TrackerStatus.OK, oneMbUpTo20.penalty(0)).delta();
        int behind = base + LagPreference.effect(plus50, TrackerStatus.OK, oneMbUpTo20.penalty(4 * MB)).delta();
        int farBehind = base + LagPreference.effect(plus50, TrackerStatus.OK, oneMbUpTo20.penalty(900 * MB)).delta();
        int failing = base + LagPreference.effect(plus50, TrackerStatus.FAILED, 3).delta();
        assertThat(caughtUp).isEqualTo(150);
        assertThat(behind).isEqualTo(146);
        assertThat(farBehind).isEqualTo(130);
        assertThat(failing).isEqualTo(100);
    }

    @Test
    void keepsKeepalivedsWeightRules() {
        TrackerWeight fault = TrackerWeight.FAULT;
        assertThat(LagPreference.effect(fault, TrackerStatus.OK, 4)).isEqualTo(new LagPreference.Effect(false, -4));
        assertThat(LagPreference.effect(fault, TrackerStatus.FAILED, 4)).isEqualTo(new LagPreference.Effect(true, 0));
        TrackerWeight minus30 = new TrackerWeight(-30, false);
        assertThat(LagPreference.effect(minus30, TrackerStatus.OK, 4)).isEqualTo(new LagPreference.Effect(false, -4));
        assertThat(LagPreference.effect(minus30, TrackerStatus.FAILED, 4)).isEqualTo(new LagPreference.Effect(false, -30));
        // reverse: the lag does not apply (a passing check lowers the priority by the weight already)
        TrackerWeight reversed = new TrackerWeight(20, true);
        assertThat(LagPreference.effect(reversed, TrackerStatus.OK, 4)).isEqualTo(new LagPreference.Effect(false, -20));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new LagPreference(0, 10)).hasMessageContaining("step must be positive");
        assertThatThrownBy(() -> new LagPreference(MB, 0)).hasMessageContaining("1..253");
        assertThatThrownBy(() -> new LagPreference(MB, 254)).hasMessageContaining("1..253");
    }
}
