package dev.vigil.coordinator;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The store's size and the review read model's position, for metrics: two indexed lookups, no scan.
 * Constant SQL only (SqlIsConstantTest).
 */
final class StoreFigures {
    private static final String HEAD = "SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final String REVIEW = "SELECT max_index FROM rm_build WHERE name = 'review'";

    record Figures(long headIndex, long reviewIndex) {
    }

    private final DataSource dataSource;

    StoreFigures(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    Figures read() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return new Figures(single(c, HEAD), single(c, REVIEW));
        }
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet r = s.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }
}
