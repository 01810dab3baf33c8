package dev.vigil.coordinator.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How far the read models may fold: the highest global index up to a bound with no gap below it that may still
 * fill ({@link PageHorizon}), scanned up from a known horizon {@value #SCAN} indices per statement. Shared by
 * {@link StateCheckpoints} and {@link ReviewReadModel}. Constant SQL; blocking.
 */
final class GapFreeHorizon {
    static final int SCAN = 2_000;
    private static final String ABOVE = "SELECT global_index, time_stamp FROM domain_event_entry"
            + " WHERE global_index > ? AND global_index <= ? ORDER BY global_index FETCH FIRST ? ROWS ONLY";

    private GapFreeHorizon() {
    }

    static long scan(Connection c, long from, long max, Clock clock, Duration fillWindow) throws SQLException {
        long horizon = from;
        while (true) {
            List<PageHorizon.Visible> above = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(ABOVE)) {
                ps.setLong(1, horizon);
                ps.setLong(2, max);
                ps.setInt(3, SCAN);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        above.add(new PageHorizon.Visible(rs.getLong(1), Instant.parse(rs.getString(2))));
                    }
                }
            }
            long next = PageHorizon.of(horizon, above, clock.instant(), fillWindow);
            if (above.size() < SCAN || next != above.get(above.size() - 1).index()) {
                return next;
            }
            horizon = next;
        }
    }
}
