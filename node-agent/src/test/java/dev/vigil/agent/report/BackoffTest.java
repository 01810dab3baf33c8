package dev.vigil.agent.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));

    @Test
    void ceilingDoublesFromTheBaseUpToTheCap() {
        assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.ceiling(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.ceiling(7)).isEqualTo(Duration.ofMillis(6400));
        assertThat(backoff.ceiling(8)).isEqualTo(Duration.ofSeconds(10));
        assertThat(backoff.ceiling(1_000_000)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void fullJitterSpansZeroToTheCeiling() {
        assertThat(backoff.delay(3, () -> 0.0)).isEqualTo(Duration.ZERO);
        assertThat(backoff.delay(3, () -> 0.5)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.delay(3, () -> 0.999_999)).isLessThan(Duration.ofMillis(400));
        assertThat(backoff.delay(50, () -> 0.999_999)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void refusesANonsensicalShape() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 < base <= cap");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
