package dev.vigil.coordinator.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.vigil.coordinator.domain.AgentStream;
import dev.vigil.coordinator.domain.FactRecorded;
import org.axonframework.common.DateTimeUtils;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Appends a batch's {@link FactRecorded} events to Axon's {@code domain_event_entry}: the same rows Axon's
 * {@code JdbcEventStorageEngine} writes (aggregate type, a UUID event id, Axon's timestamp format, the
 * payload by Axon's Jackson serializer's mapper, empty meta_data), as one JDBC batch. Going around the
 * engine lets the payloads be serialized and the statement filled before the append lock is taken;
 * Axon's engine serializes inside its statement builder, i.e. under the lock. {@code EventAppendsTest}
 * checks the rows against Axon's serializer.
 */
final class EventAppends {
    static final String INSERT = "INSERT INTO domain_event_entry (event_identifier, aggregate_identifier,"
            + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    static final String PAYLOAD_TYPE = FactRecorded.class.getName();
    /** Axon's serialization of empty MetaData. */
    static final byte[] EMPTY_META_DATA = "{}".getBytes(StandardCharsets.UTF_8);

    private final ObjectWriter payloads;

    EventAppends(ObjectWriter payloads) {
        this.payloads = payloads.forType(FactRecorded.class);
    }

    byte[] payload(FactRecorded e) {
        try {
            return payloads.writeValueAsBytes(e);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialize the event of " + e.agentId() + " #" + e.chainIndex(), ex);
        }
    }

    /** A filled, not yet executed batch insert of {@code events}. The caller executes and closes it. */
    PreparedStatement prepare(Connection c, List<FactRecorded> events, Instant now) throws SQLException {
        String timestamp = DateTimeUtils.formatInstant(now);
        PreparedStatement ps = c.prepareStatement(INSERT);
        try {
            for (FactRecorded e : events) {
                ps.setString(1, UUID.randomUUID().toString());
                ps.setString(2, e.agentId());
                ps.setLong(3, e.chainIndex());
                ps.setString(4, AgentStream.TYPE);
                ps.setString(5, timestamp);
                ps.setString(6, PAYLOAD_TYPE);
                ps.setNull(7, Types.VARCHAR);
                ps.setBytes(8, payload(e));
                ps.setBytes(9, EMPTY_META_DATA);
                ps.addBatch();
            }
            return ps;
        } catch (SQLException | RuntimeException ex) {
            ps.close();
            throw ex;
        }
    }
}
