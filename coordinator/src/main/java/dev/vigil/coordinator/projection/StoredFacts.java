package dev.vigil.coordinator.projection;

import dev.vigil.model.EnvelopeCodec;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads stored facts back for the review fold: each envelope (upcast by the codec) with its arrival time. Blocking;
 * large reads are decoded on {@link StoredPayload.Decoding}'s threads while this one reads on.
 */
public final class StoredFacts {
    private static final String QUERY = "SELECT d.payload, f.recorded_at FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number"
            + " WHERE f.agent_time >= ? AND f.agent_time < ? ORDER BY d.global_index";

    /**
     * The fact types the review fold reads ({@code ReviewFold.Story.apply} ignores every other one, and dropping
     * them changes no review fact: {@code StoredFactsTest}); the others' envelopes are not even decoded.
     */
    public static final Set<String> FOLDED = Set.of("AgentStarted", "AgentStopping", "RouterStateChanged", "VipsAdded",
            "VipsRemoved", "TrackerResultChanged");

    private final DataSource dataSource;
    private final EnvelopeCodec codec;

    public StoredFacts(DataSource dataSource, EnvelopeCodec codec) {
        this.dataSource = dataSource;
        this.codec = codec;
    }

    /** Facts of the {@link #FOLDED} types whose agent time lies in [since, until), optionally of one cluster. */
    public List<Observed> read(Instant since, Instant until, Optional<String> cluster) throws SQLException {
        List<Observed> out;
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(QUERY))) {
                ps.setObject(1, OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
                ps.setObject(2, OffsetDateTime.ofInstant(until, ZoneOffset.UTC));
                ps.setFetchSize(1000);
                StoredPayload.Decoding decoding = new StoredPayload.Decoding(codec, FOLDED,
                        o -> cluster.isEmpty() || cluster.equals(o.envelope().cluster()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        decoding.add(rs.getBytes(1), rs.getObject(2, OffsetDateTime.class).toInstant());
                    }
                }
                out = decoding.finish();
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        return out;
    }
}
