package dev.vigil.coordinator.processing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * How far the node projection is, read from the store (any instance's view): the lowest global index its
 * segments' tokens have passed, and the store's head. For benchmarks and operators waiting for a catch-up;
 * constant SQL, blocking.
 */
public final class NodeProjectionProgress {
    private static final String TOKENS = "SELECT token FROM token_entry WHERE processor_name = ?";
    private static final String HEAD = "SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code segments}: token rows (0 before the first start or after a reset); {@code lowest}: -1 without tokens. */
    public record Progress(int segments, long lowest, long head) {
        /** Every segment's token at or past the head as read now. */
        public boolean caughtUp() {
            return segments > 0 && lowest >= head;
        }
    }

    private NodeProjectionProgress() {
    }

    public static Progress of(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            long head;
            try (PreparedStatement ps = c.prepareStatement(HEAD); ResultSet rs = ps.executeQuery()) {
                rs.next();
                head = rs.getLong(1);
            }
            int segments = 0;
            long lowest = Long.MAX_VALUE;
            try (PreparedStatement ps = c.prepareStatement(TOKENS)) {
                ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        segments++;
                        lowest = Math.min(lowest, index(rs.getBytes(1)));
                    }
                }
            }
            return new Progress(segments, segments == 0 ? -1 : lowest, head);
        }
    }

    /**
     * A GapAwareTrackingToken as Jackson stores it ({"index":N,"gaps":[...]}), or the current token inside the
     * ReplayToken Axon starts a new processor with ({"tokenAtReset":...,"currentToken":{...}}); none: -1.
     */
    private static long index(byte[] token) {
        if (token == null) {
            return -1;
        }
        try {
            JsonNode n = JSON.readTree(token);
            if (n.has("currentToken")) {
                n = n.get("currentToken");
            }
            JsonNode index = n.get("index");
            return index == null ? -1 : index.asLong();
        } catch (IOException e) {
            return -1;
        }
    }
}
