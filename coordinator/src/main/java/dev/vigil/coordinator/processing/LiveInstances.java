package dev.vigil.coordinator.processing;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The heartbeat table {@code coordinator_instance}: this instance stamps its row with the database's
 * clock (one clock for all instances, whatever their hosts say), and counts the rows stamped within
 * the claim timeout. That count sets the fair share the tailing loop ({@link NodeTail}) claims up to.
 * Token owners alone would not do: an instance that just joined owns nothing yet.
 */
final class LiveInstances {
    private static final String STAMP = "UPDATE coordinator_instance SET seen_at = CURRENT_TIMESTAMP WHERE node_id = ?";
    private static final String JOIN = "INSERT INTO coordinator_instance (node_id, seen_at) VALUES (?, CURRENT_TIMESTAMP)";
    private static final String SEEN = "SELECT seen_at, CURRENT_TIMESTAMP FROM coordinator_instance";
    private static final String LEAVE = "DELETE FROM coordinator_instance WHERE node_id = ?";
    /** Rows this much older than the timeout are deleted, so a restarted fleet does not accumulate dead ids. */
    private static final String FORGET = "DELETE FROM coordinator_instance WHERE seen_at < ?";

    private final DataSource dataSource;
    private final String nodeId;
    private final int segments;
    private final Duration timeout;
    private final AtomicInteger live = new AtomicInteger(1);

    LiveInstances(DataSource dataSource, String nodeId, int segments, Duration timeout) {
        this.dataSource = dataSource;
        this.nodeId = nodeId;
        this.segments = segments;
        this.timeout = timeout;
    }

    /** Stamps this instance and recounts. Blocking; on failure the last count stays. */
    void beat() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(STAMP)) {
                ps.setString(1, nodeId);
                if (ps.executeUpdate() == 0) {
                    try (PreparedStatement in = c.prepareStatement(JOIN)) {
                        in.setString(1, nodeId);
                        in.executeUpdate();
                    }
                }
            }
            int n = 0;
            OffsetDateTime now = null;
            try (PreparedStatement ps = c.prepareStatement(SEEN); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime seen = rs.getObject(1, OffsetDateTime.class);
                    now = rs.getObject(2, OffsetDateTime.class);
                    if (Duration.between(seen, now).compareTo(timeout) < 0) {
                        n++;
                    }
                }
            }
            live.set(Math.max(1, n));
            if (now != null) {
                try (PreparedStatement ps = c.prepareStatement(FORGET)) {
                    ps.setObject(1, now.minus(timeout.multipliedBy(10)));
                    ps.executeUpdate();
                }
            }
        }
    }

    /** A clean stop: the others' share grows at their next beat instead of after the timeout. */
    void leave() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(LEAVE)) {
            ps.setString(1, nodeId);
            ps.executeUpdate();
        }
    }

    int live() {
        return live.get();
    }

    /** How many segments this instance may hold now. */
    int share() {
        return FairShare.of(segments, live.get());
    }
}
