package dev.vigil.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * PostgreSQL only: a transaction-scoped advisory lock taken right before the event INSERT, so appends
 * commit in global_index order and a tracking reader never sees a gap that fills in later
 * (research/stack.md §1.7: such an event could be skipped for ever). Commit or rollback releases it.
 * Everything that does not need it (decoding, hashing, serializing payloads, the ledger rows) happens
 * before it is taken: several writers wait only for each other's INSERT and commit.
 */
final class SerializedAppends {
    /** An arbitrary constant naming "the event table's append lock" among advisory locks. */
    static final long APPEND_LOCK = 0x5669_6769_6C00_0001L;

    private SerializedAppends() {
    }

    static void lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            ps.setLong(1, APPEND_LOCK);
            ps.executeQuery().close();
        }
    }
}
