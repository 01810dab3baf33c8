package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrackFileValueTest {

    @Test
    void parsesAsStrtolWithBaseZero() {
        assertThat(TrackFileValue.parse("42\n")).isEqualTo(42);
        assertThat(TrackFileValue.parse("  -7 trailing words")).isEqualTo(-7);
        assertThat(TrackFileValue.parse("+5")).isEqualTo(5);
        assertThat(TrackFileValue.parse("0x10")).isEqualTo(16);
        assertThat(TrackFileValue.parse("010")).isEqualTo(8);
        assertThat(TrackFileValue.parse("09")).isEqualTo(0); // octal: the 9 is not a digit
        assertThat(TrackFileValue.parse("abc")).isZero();
        assertThat(TrackFileValue.parse("")).isZero();
    }

    @Test
    void clampsTheValueTo254() {
        assertThat(TrackFileValue.parse("1000")).isEqualTo(254);
        assertThat(TrackFileValue.parse("-99999999999999999999")).isEqualTo(-254);
    }

    @Test
    void weightZeroFaultsOnNonZeroAndReverseOnZero() {
        assertThat(TrackFileValue.effect(0, 0, false)).isEqualTo(TrackFileValue.Effect.NONE);
        assertThat(TrackFileValue.effect(3, 0, false).fault()).isTrue();
        assertThat(TrackFileValue.effect(-1, 0, false).fault()).isTrue();
        assertThat(TrackFileValue.effect(0, 0, true).fault()).isTrue();
        assertThat(TrackFileValue.effect(3, 0, true)).isEqualTo(TrackFileValue.Effect.NONE);
    }

    @Test
    void weightMultipliesAndReverseNegates() {
        assertThat(TrackFileValue.effect(5, 10, false)).isEqualTo(new TrackFileValue.Effect(false, 50));
        assertThat(TrackFileValue.effect(5, -10, false)).isEqualTo(new TrackFileValue.Effect(false, -50));
        assertThat(TrackFileValue.effect(5, 10, true)).isEqualTo(new TrackFileValue.Effect(false, -50));
        assertThat(TrackFileValue.effect(0, 10, false)).isEqualTo(new TrackFileValue.Effect(false, 0));
    }

    @Test
    void contributionIsClampedAndMinus254MeansFault() {
        assertThat(TrackFileValue.effect(100, 10, false)).isEqualTo(new TrackFileValue.Effect(false, 253));
        assertThat(TrackFileValue.effect(100, -10, false).fault()).isTrue();
        assertThat(TrackFileValue.effect(-254, 1, false).fault()).isTrue();
        assertThat(TrackFileValue.effect(-253, 1, false)).isEqualTo(new TrackFileValue.Effect(false, -253));
    }
}
