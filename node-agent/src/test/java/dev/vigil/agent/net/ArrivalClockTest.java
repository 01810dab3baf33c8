package dev.vigil.agent.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernel receive stamps (wall clock) put on the monotonic clock, and when they are not used. */
@Timeout(10)
class ArrivalClockTest {
    private static final long MS = 1_000_000L;
    private static final long EPOCH = 1_764_000_000_000_000_000L; // a wall-clock time in 2025, in ns
    private long wall = EPOCH;
    private long monotonic = 5_000 * MS;
    private final ArrivalClock clock = new ArrivalClock(() -> wall, () -> monotonic);

    private void advance(long nanos) {
        wall += nanos;
        monotonic += nanos;
    }

    @Test
    void aStampCountsFromWhenTheKernelReceivedTheDatagram() {
        clock.sample();
        advance(100 * MS);
        clock.sample();
        long readAt = monotonic;
        assertThat(clock.arrival(wall - 250_000, readAt)).isEqualTo(readAt - 250_000);
    }

    @Test
    void withoutAStampOrAPreviousSampleTheReadTimeCounts() {
        clock.sample(); // the first drain: nothing to compare the offset with
        assertThat(clock.arrival(wall - 250_000, monotonic)).isEqualTo(monotonic);
        advance(MS);
        clock.sample();
        assertThat(clock.arrival(-1, monotonic)).isEqualTo(monotonic);
        assertThat(clock.arrival(0, monotonic)).isEqualTo(monotonic);
    }

    @Test
    void aStampNeverMakesTheArrivalLaterThanTheRead() {
        clock.sample();
        advance(MS);
        clock.sample();
        assertThat(clock.arrival(wall + 5 * MS, monotonic)).isEqualTo(monotonic);
    }

    @Test
    void aWallClockSetBetweenTwoDrainsMakesTheSecondCountFromItsReads() {
        clock.sample();
        advance(100 * MS);
        wall += 2_000 * MS; // NTP step or date(1)
        clock.sample();
        assertThat(clock.arrival(wall - 250_000, monotonic)).as("stepped: read time").isEqualTo(monotonic);
        advance(100 * MS);
        clock.sample(); // the offset is steady again
        assertThat(clock.arrival(wall - 250_000, monotonic)).isEqualTo(monotonic - 250_000);
        wall += ArrivalClock.STEP_NANOS / 2; // slewing-sized drift is no step
        advance(100 * MS);
        clock.sample();
        assertThat(clock.arrival(wall - 250_000, monotonic)).isEqualTo(monotonic - 250_000);
    }

    @Test
    void theRealClocksAgreeWithinAMillisecond() {
        ArrivalClock real = new ArrivalClock();
        real.sample();
        real.sample();
        Instant now = Instant.now();
        long readAt = System.nanoTime();
        long stamp = now.getEpochSecond() * 1_000_000_000L + now.getNano() - 2 * MS;
        assertThat(readAt - real.arrival(stamp, readAt)).isBetween(MS, 3 * MS);
    }
}
