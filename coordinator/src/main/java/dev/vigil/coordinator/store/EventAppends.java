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

    /** The same columns as {@link #INSERT}, for {@link #encode}. */
    static final String COPY = "COPY domain_event_entry (event_identifier, aggregate_identifier, sequence_number, type,"
            + " time_stamp, payload_type, payload_revision, payload, meta_data) FROM STDIN (FORMAT binary)";

    private final JsonFactory json;
    private final EventIds ids = new EventIds();

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
            writePayload(g, e);
        } catch (IOException ex) {
            throw new IllegalStateException("cannot serialize the event of " + e.agentId() + " #" + e.chainIndex(), ex);
        }
        return out.toByteArray();
    }

    private static void writePayload(JsonGenerator g, FactRecorded e) throws IOException {
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
    }

    /**
     * {@link #payload(FactRecorded)}'s bytes written straight into the COPY buffer (the escaping of the envelope
     * through Jackson's generator was the appender's largest item, bench/RESULTS.md). {@code FastPayloadTest} holds
     * the bytes equal to Jackson's, also for random strings.
     */
    static void payload(BinaryCopy out, FactRecorded e) {
        out.ascii("{\"agentId\":");
        out.jsonString(e.agentId());
        out.ascii(",\"bootId\":");
        out.jsonString(e.bootId());
        out.ascii(",\"seq\":");
        out.decimal(e.seq());
        out.ascii(",\"chainIndex\":");
        out.decimal(e.chainIndex());
        out.ascii(",\"factType\":");
        out.jsonString(e.factType());
        out.ascii(",\"agentTime\":\"" + e.agentTime() + "\",\"envelope\":");
        out.jsonString(e.envelope());
        out.ascii(",\"previousHash\":");
        out.jsonString(e.previousHash());
        out.ascii(",\"hash\":");
        out.jsonString(e.hash());
        out.ascii("}");
    }

    /** A filled, not yet executed batch insert of {@code events}. The caller executes and closes it. */
    PreparedStatement prepare(Connection c, List<FactRecorded> events, Instant now) throws SQLException {
        String timestamp = DateTimeUtils.formatInstant(now);
        PreparedStatement ps = c.prepareStatement(INSERT);
        try {
            for (FactRecorded e : events) {
                ps.setString(1, ids.next(now));
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

    /**
     * PostgreSQL: the same rows as {@link #prepare}, in COPY's binary format, encoded now; the caller starts the COPY
     * with {@link #COPY} (under the append lock) and finishes it. One JSON generator writes every payload straight
     * into the buffer: no byte[] per payload, no bind parameters.
     */
    BinaryCopy encode(List<FactRecorded> events, Instant now) {
        String timestamp = DateTimeUtils.formatInstant(now);
        int expected = 0;
        for (FactRecorded e : events) {
            expected += e.envelope().length() + 600;
        }
        BinaryCopy copy = new BinaryCopy(expected);
        try (JsonGenerator g = json.createGenerator((java.io.OutputStream) copy)) {
            g.setRootValueSeparator(null); // the payloads are separate fields: nothing between them
            for (FactRecorded e : events) {
                copy.row(9);
                copy.text(ids.next(now));
                copy.text(e.agentId());
                copy.int8(e.chainIndex());
                copy.text(AgentStream.TYPE);
                copy.text(timestamp);
                copy.text(PAYLOAD_TYPE);
                copy.nul();
                copy.beginField();
                payload(copy, e);
                copy.endField();
                copy.bytes(EMPTY_META_DATA);
            }
        } catch (IOException | SQLException ex) { // nothing is sent before the COPY starts
            throw new IllegalStateException("cannot encode the events of a group", ex);
        }
        return copy;
    }
}
