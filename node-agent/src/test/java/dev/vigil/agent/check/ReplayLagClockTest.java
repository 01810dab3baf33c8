package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReplayLagClockTest {

    private static final long MS = 1_000_000L;

    @Test
    void caughtUpReplicaHasNoTimeLagHoweverOldItsLastCommit() {
        ReplayLagClock c = ReplayLagClock.CAUGHT_UP;
        for (long t = 0; t < 600_000; t += 200) {
            c = c.observe(5000, 5000, t * MS);
            assertThat(c.lag(t * MS)).isZero();
        }
    }

    @Test
    void aBriefBurstAfterIdleIsNotMinutesOfLag() {
        // idle for ten minutes, then one record that replay finishes before the next check
        ReplayLagClock c = ReplayLagClock.CAUGHT_UP.observe(5000, 5000, 0);
        c = c.observe(5100, 5000, 600_000 * MS);
        assertThat(c.lag(600_000 * MS)).isZero();
        c = c.observe(5100, 5100, 600_200 * MS);
        assertThat(c.lag(600_200 * MS)).isZero();
    }

    @Test
    void pausedReplayGrowsFromWhenTheWaitingWalWasFirstSeen() {
        ReplayLagClock c = ReplayLagClock.CAUGHT_UP;
        c = c.observe(1000, 1000, 0);
        c = c.observe(2000, 1000, 200 * MS);          // WAL beyond 1000 arrived by 200 ms
        c = c.observe(3000, 1000, 400 * MS);
        c = c.observe(9000, 1000, 5_200 * MS);
        assertThat(c.lag(5_200 * MS)).isEqualTo(Duration.ofSeconds(5));
        // replay passes the first sample: the next waiting WAL was first seen at 400 ms
        c = c.observe(9000, 2500, 5_400 * MS);
        assertThat(c.lag(5_400 * MS)).isEqualTo(Duration.ofSeconds(5));
        c = c.observe(9000, 9000, 5_600 * MS);
        assertThat(c.lag(5_600 * MS)).isZero();
    }

    @Test
    void steadyLagUnderLoadIsMeasuredNotSawtoothed() {
        // primary writes 1000 bytes every 200 ms; replay runs exactly 3 s behind receive
        ReplayLagClock c = ReplayLagClock.CAUGHT_UP;
        for (long t = 0; t <= 20_000; t += 200) {
            long received = 1000 + t * 5;
            long replayed = t < 3000 ? 1000 : 1000 + (t - 3000) * 5;
            c = c.observe(received, replayed, t * MS);
            if (t >= 3000) {
                assertThat(c.lag(t * MS)).isBetween(Duration.ofMillis(2800), Duration.ofMillis(3000));
            }
        }
    }

    @Test
    void historyIsBounded() {
        ReplayLagClock c = ReplayLagClock.CAUGHT_UP;
        for (int i = 1; i <= ReplayLagClock.CAPACITY + 50; i++) {
            c = c.observe(1000 + i, 1000, i * MS);
        }
        assertThat(c.samples()).hasSize(ReplayLagClock.CAPACITY);
        assertThat(c.lag((ReplayLagClock.CAPACITY + 50) * MS)).isEqualTo(Duration.ofMillis(ReplayLagClock.CAPACITY + 49));
    }
}
