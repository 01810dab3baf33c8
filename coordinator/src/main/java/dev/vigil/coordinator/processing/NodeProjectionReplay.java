package dev.vigil.coordinator.processing;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuild of the node read model ({@code rebuild-read-models}): empties {@code rm_node*} and deletes the
 * node-projection processor's tokens, in one transaction, so the next coordinator to start initialises
 * the segments afresh and replays the whole stream into the empty tables (as on a new store).
 * Only with every instance stopped: a running one would keep its claimed segments in memory and write
 * from its old positions into the emptied tables, so the reset refuses while any instance stamped its
 * heartbeat within the claim timeout (a killed one counts as stopped once its stamp is that old).
 */
public final class NodeProjectionReplay {
    private static final String SEEN = "SELECT node_id, seen_at, CURRENT_TIMESTAMP FROM coordinator_instance";
    private static final List<String> EMPTY = List.of("DELETE FROM rm_node_router", "DELETE FROM rm_node_tracker",
            "DELETE FROM rm_node");
    private static final String TOKENS = "DELETE FROM token_entry WHERE processor_name = ?";

    private NodeProjectionReplay() {
    }

    /** Thrown, with nothing changed, while instances are running on the store. */
    public static final class InstancesRunning extends Exception {
        InstancesRunning(List<String> nodes) {
            super("coordinator instances are running on this store (" + String.join(", ", nodes)
                    + "): stop every instance first");
        }
    }

    /** Empties the node read model and resets its processor to replay from the start of the stream. */
    public static void reset(DataSource dataSource, Duration claimTimeout) throws SQLException, InstancesRunning {
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                List<String> running = seenWithin(c, claimTimeout);
                if (!running.isEmpty()) {
                    c.rollback();
                    throw new InstancesRunning(running);
                }
                try (Statement s = c.createStatement()) {
                    for (String delete : EMPTY) {
                        s.executeUpdate(delete);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(TOKENS)) {
                    ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    /** The instances whose heartbeat is younger than the timeout, by the database's clock (as {@link LiveInstances} counts). */
    static List<String> seenWithin(Connection c, Duration timeout) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SEEN); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                OffsetDateTime seen = rs.getObject(2, OffsetDateTime.class);
                OffsetDateTime now = rs.getObject(3, OffsetDateTime.class);
                if (Duration.between(seen, now).compareTo(timeout) < 0) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
