package dev.vigil.coordinator.projection;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

/**
 * Reads a long time range of facts as consecutive slices (lo, hi], one statement each, so no statement sorts the
 * whole store: at 10M events one read of every fact in time order outlasts the store's 20 s statement timeout
 * before its first row. A slice's span adapts to the facts it found, aiming at about {@link #TARGET} facts.
 * A slice boundary is an instant, so facts of one instant always come in one slice.
 */
final class TimeSlices {
    static final int TARGET = 50_000;
    private static final Duration FIRST = Duration.ofHours(1);
    private static final Duration LONGEST = Duration.ofDays(3650);

    private TimeSlices() {
    }

    /** Reads (lo, hi] and says how many facts it found. */
    interface Slice {
        int read(Instant lo, Instant hi) throws SQLException;
    }

    /** Every slice of (from, min(to, last)], in order; {@code last} is the latest instant any fact has. */
    static void over(Instant from, Instant to, Instant last, Slice slice) throws SQLException {
        Instant end = to.isBefore(last) ? to : last;
        Duration span = FIRST;
        Instant lo = from;
        while (lo.isBefore(end)) {
            Instant hi = Duration.between(lo, end).compareTo(span) <= 0 ? end : lo.plus(span);
            int found = slice.read(lo, hi);
            lo = hi;
            if (found < TARGET / 4 && span.compareTo(LONGEST) < 0) {
                span = span.multipliedBy(2);
            } else if (found > TARGET && span.toMillis() > 1) {
                span = span.dividedBy(2);
            }
        }
    }
}
