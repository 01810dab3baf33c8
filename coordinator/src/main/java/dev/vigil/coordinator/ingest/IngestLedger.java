package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.domain.FactRecorded;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.Clock;

/**
 * Writes one {@code ingested_fact} row per stored fact, in the transaction that appends the fact
 * (a subscribing processor runs in the publishing unit of work). The table's UNIQUE
 * (agent_id, boot_id, seq) makes a duplicate fail the whole transaction, whatever an aggregate
 * in some coordinator's memory believed.
 */
@ProcessingGroup(IngestLedger.GROUP)
public final class IngestLedger {
    public static final String GROUP = "ingest-ledger";
    private static final String INSERT = "INSERT INTO ingested_fact (agent_id, boot_id, seq, stream_index, fact_type,"
            + " agent_time, chain_hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

    private final ConnectionProvider connections;
    private final Clock clock;

    public IngestLedger(ConnectionProvider connections, Clock clock) {
        this.connections = connections;
        this.clock = clock;
    }

    @EventHandler
    void on(FactRecorded e) throws SQLException {
        try (Connection c = connections.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, e.agentId());
            ps.setString(2, e.bootId());
            ps.setLong(3, e.seq());
            ps.setLong(4, e.chainIndex());
            ps.setString(5, e.factType());
            ps.setObject(6, OffsetDateTime.ofInstant(e.agentTime(), ZoneOffset.UTC));
            ps.setString(7, e.hash());
            ps.setObject(8, OffsetDateTime.now(clock));
            ps.executeUpdate();
        }
    }
}
