package dev.vigil.coordinator.projection;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * Reads a long time range of facts as consecutive slices (lo, hi], one statement each, so no statement sorts the
 * whole store: at 10M events one read of every fact in time order outlasts the store's 20 s statement timeout
 * before its first row. Each slice is counted first (an index-only count) and halved while it holds more than
 * twice {@link #TARGET} facts; the span grows again over sparse stretches. A slice boundary is an instant, so
 * the facts of one instant always come in one slice.
 */
final class TimeSlices {
    static final long TARGET = 50_000;
    private static final Duration FIRST = Duration.ofHours(1);
    private static final Duration LONGEST = Duration.ofDays(3650);

    private TimeSlices() {
    }

    /** Counts or reads the facts of (lo, hi]. */
    interface Slice {
        long apply(Instant lo, Instant hi) throws SQLException;
    }

    /**
     * Every slice of (from, to] that holds facts, in order: {@code first} and {@code last} are the earliest and
     * latest instants any fact has.
     */
    static void over(Instant from, Instant to, Instant first, Instant last, Slice count, Slice read) throws SQLException {
        Instant end = to.isBefore(last) ? to : last;
        Instant lo = from.isBefore(first) ? first.minusMillis(1) : from;
        Duration span = FIRST;
        while (lo.isBefore(end)) {
            Instant hi = Duration.between(lo, end).compareTo(span) <= 0 ? end : lo.plus(span);
            long found = count.apply(lo, hi);
            if (found > 2 * TARGET && span.toMillis() > 1) {
                span = span.dividedBy(2);
                continue;
            }
            if (found > 0) {
                read.apply(lo, hi);
            }
            lo = hi;
            if (found < TARGET / 2 && span.compareTo(LONGEST) < 0) {
                span = span.multipliedBy(2);
            }
        }
    }
}
