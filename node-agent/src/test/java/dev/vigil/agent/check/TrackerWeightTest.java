package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrackerWeightTest {

    @Test
    void weightZeroFaultsWhenFailedAndReverseWhenOk() {
        TrackerWeight plain = TrackerWeight.FAULT;
        assertThat(plain.faults(TrackerStatus.FAILED)).isTrue();
        assertThat(plain.faults(TrackerStatus.OK)).isFalse();
        assertThat(plain.faults(TrackerStatus.PENDING)).isFalse();
        assertThat(plain.priorityDelta(TrackerStatus.FAILED)).isZero();
        TrackerWeight reverse = new TrackerWeight(0, true);
        assertThat(reverse.faults(TrackerStatus.OK)).isTrue();
        assertThat(reverse.faults(TrackerStatus.FAILED)).isFalse();
        assertThat(reverse.faults(TrackerStatus.PENDING)).isFalse();
    }

    @Test
    void positiveWeightAddsWhileOkNegativeSubtractsWhileFailed() {
        TrackerWeight up = new TrackerWeight(20, false);
        assertThat(up.priorityDelta(TrackerStatus.OK)).isEqualTo(20);
        assertThat(up.priorityDelta(TrackerStatus.FAILED)).isZero();
        assertThat(up.priorityDelta(TrackerStatus.PENDING)).isZero();
        assertThat(up.faults(TrackerStatus.FAILED)).isFalse();
        TrackerWeight down = new TrackerWeight(-60, false);
        assertThat(down.priorityDelta(TrackerStatus.FAILED)).isEqualTo(-60);
        assertThat(down.priorityDelta(TrackerStatus.OK)).isZero();
        assertThat(down.priorityDelta(TrackerStatus.PENDING)).isZero();
    }

    @Test
    void reverseNegatesTheAdjustment() {
        assertThat(new TrackerWeight(20, true).priorityDelta(TrackerStatus.OK)).isEqualTo(-20);
        assertThat(new TrackerWeight(20, true).priorityDelta(TrackerStatus.FAILED)).isZero();
        assertThat(new TrackerWeight(-60, true).priorityDelta(TrackerStatus.FAILED)).isEqualTo(60);
        assertThat(new TrackerWeight(-60, true).priorityDelta(TrackerStatus.OK)).isZero();
    }

    @Test
    void weightOutsideKeepalivedRangeIsRefused() {
        assertThatThrownBy(() -> new TrackerWeight(254, false)).hasMessageContaining("254 outside -253..253");
        assertThatThrownBy(() -> new TrackerWeight(-254, false)).hasMessageContaining("-254 outside");
    }
}
