package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.store.BinaryCopy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Writes one {@code ingested_fact} row per stored fact, in one JDBC batch, on the connection of the
 * transaction that appends the facts. The table's UNIQUE (agent_id, boot_id, seq) makes a duplicate
 * fail the whole transaction, whatever an aggregate in some coordinator's memory believed.
 */
public final class IngestLedger {
    private static final String INSERT = "INSERT INTO ingested_fact (agent_id, boot_id, seq, stream_index, fact_type,"
            + " agent_time, chain_hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String COPY = "COPY ingested_fact (agent_id, boot_id, seq, stream_index, fact_type, agent_time,"
            + " chain_hash, recorded_at) FROM STDIN (FORMAT binary)";

    private final Clock clock;

    public IngestLedger(Clock clock) {
        this.clock = clock;
    }

    public void record(Connection c, List<FactRecorded> facts) throws SQLException {
        if (facts.isEmpty()) {
            return;
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (FactRecorded e : facts) {
                ps.setString(1, e.agentId());
                ps.setString(2, e.bootId());
                ps.setLong(3, e.seq());
                ps.setLong(4, e.chainIndex());
                ps.setString(5, e.factType());
                ps.setObject(6, OffsetDateTime.ofInstant(e.agentTime(), ZoneOffset.UTC));
                ps.setString(7, e.hash());
                ps.setObject(8, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * PostgreSQL: the same rows by binary COPY, started now and sent as they are encoded (PostgreSQL inserts while
     * the rest is written). The caller finishes the COPY (after other work meanwhile) or abandons it on failure.
     */
    public BinaryCopy copy(Connection c, List<FactRecorded> facts) throws SQLException {
        Instant now = clock.instant();
        BinaryCopy copy = new BinaryCopy(facts.size() * 220).start(c, COPY);
        try {
            for (FactRecorded e : facts) {
                copy.row(8);
                copy.text(e.agentId());
                copy.text(e.bootId());
                copy.int8(e.seq());
                copy.int8(e.chainIndex());
                copy.text(e.factType());
                copy.timestamptz(e.agentTime());
                copy.text(e.hash());
                copy.timestamptz(now);
            }
            return copy;
        } catch (SQLException | RuntimeException ex) {
            copy.abandon();
            throw ex;
        }
    }
}
