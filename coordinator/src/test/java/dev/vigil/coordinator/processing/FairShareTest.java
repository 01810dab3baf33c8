package dev.vigil.coordinator.processing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class FairShareTest {
    @Test
    void sixSegmentsShareEvenlyOverOneTwoThreeAndSixInstances() {
        assertThat(FairShare.of(6, 1)).isEqualTo(6);
        assertThat(FairShare.of(6, 2)).isEqualTo(3);
        assertThat(FairShare.of(6, 3)).isEqualTo(2);
        assertThat(FairShare.of(6, 6)).isEqualTo(1);
    }

    @Test
    void unevenSharesRoundUpSoEverySegmentHasRoom() {
        assertThat(FairShare.of(4, 3)).isEqualTo(2);
        assertThat(FairShare.of(6, 4)).isEqualTo(2);
        assertThat(FairShare.of(6, 10)).isEqualTo(1);
        for (int segments = 1; segments <= 16; segments++) {
            for (int live = 1; live <= 20; live++) {
                assertThat((long) FairShare.of(segments, live) * live).isGreaterThanOrEqualTo(segments);
            }
        }
    }

    @Test
    void noCountedInstanceMeansThisOneAlone() {
        assertThat(FairShare.of(6, 0)).isEqualTo(6);
    }
}
