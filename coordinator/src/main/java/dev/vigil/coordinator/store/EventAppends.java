package dev.vigil.coordinator.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.vigil.coordinator.domain.AgentStream;
import dev.vigil.coordinator.domain.FactRecorded;
import org.axonframework.common.DateTimeUtils;

import java.io.IOException;
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

    private final JsonFactory json;

    EventAppends(ObjectWriter payloads) {
        this.json = payloads.getFactory();
    }

    /**
     * The payload as Axon's Jackson serializer writes a {@code FactRecorded} (components in record order, the
     * time as ISO-8601 like JavaTimeModule's {@code InstantSerializer}), written field by field: the serializer's
     * bean machinery per event was the largest item of the append after hashing ({@code EventAppendsTest}
     * holds the bytes equal).
     */
    byte[] payload(FactRecorded e) {
        ByteArrayBuilder out = new ByteArrayBuilder(e.envelope().length() + 400);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("agentId", e.agentId());
            g.writeStringField("bootId", e.bootId());
            g.writeNumberField("seq", e.seq());
            g.writeNumberField("chainIndex", e.chainIndex());
            g.writeStringField("factType", e.factType());
            g.writeStringField("agentTime", e.agentTime().toString());
            g.writeStringField("envelope", e.envelope());
            g.writeStringField("previousHash", e.previousHash());
            g.writeStringField("hash", e.hash());
            g.writeEndObject();
        } catch (IOException ex) {
            throw new IllegalStateException("cannot serialize the event of " + e.agentId() + " #" + e.chainIndex(), ex);
        }
        return out.toByteArray();
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
