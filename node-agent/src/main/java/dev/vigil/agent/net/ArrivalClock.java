package dev.vigil.agent.net;

import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Puts the kernel's receive time of a datagram ({@code SO_TIMESTAMPNS}: {@code CLOCK_REALTIME}, taken when the
 * packet entered the stack) on {@code System.nanoTime()}'s clock ({@code CLOCK_MONOTONIC}), so that a backup's
 * Master_Down_Timer counts from when the advert arrived rather than from when the loop got round to reading it
 * (~200 µs later on an idle 2-core host, more on a busy one; bench/RESULTS.md, sixth pass). Owned by the one thread
 * that reads the socket.
 *
 * <p>The offset between the two clocks is sampled once per drain, at its first datagram. The wall clock can be set
 * (NTP step, {@code date}): when the offset moved by more than {@link #STEP_NANOS} since the previous drain's sample,
 * or there is no previous sample, that drain's datagrams count from when they were read, as without a timestamp.
 * A datagram read in a drain came in after the previous drain's last read, so after its sample: a step in between
 * shows as a moved offset. (NTP's slewing, at most 0.5 ms per second, stays under the threshold for drains up to 2 s
 * apart; beyond that a drain falls back to its read time, which is harmless.)
 */
final class ArrivalClock {
    static final long STEP_NANOS = 1_000_000;
    private static final long NONE = Long.MIN_VALUE;

    private final LongSupplier wallNanos;
    private final LongSupplier monotonicNanos;
    private long offset = NONE; // realtime - monotonic, at the last sample
    private boolean trusted; // this drain's offset may be used

    ArrivalClock() {
        this(ArrivalClock::wallNanos, System::nanoTime);
    }

    /** With other clocks, for tests. */
    ArrivalClock(LongSupplier wallNanos, LongSupplier monotonicNanos) {
        this.wallNanos = wallNanos;
        this.monotonicNanos = monotonicNanos;
    }

    private static long wallNanos() {
        Instant wall = Instant.now(); // CLOCK_REALTIME to the nanosecond on Linux
        return wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
    }

    /** Samples the offset; at the first datagram of each drain, before {@link #arrival}. */
    void sample() {
        long wall = wallNanos.getAsLong();
        long o = wall - monotonicNanos.getAsLong();
        trusted = offset != NONE && Math.abs(o - offset) <= STEP_NANOS;
        offset = o;
    }

    /**
     * The monotonic arrival time of a datagram stamped {@code realtimeStamp} (nanoseconds since the epoch; 0 or less:
     * none) and read at {@code readAt}: never later than {@code readAt}, and {@code readAt} itself when there is no
     * stamp or the offset is not trusted.
     */
    long arrival(long realtimeStamp, long readAt) {
        if (realtimeStamp <= 0 || !trusted) {
            return readAt;
        }
        long a = realtimeStamp - offset;
        return a - readAt < 0 ? a : readAt;
    }
}
