package dev.vigil.coordinator.projection;

import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.MalformedEnvelopeException;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads stored facts for the query API. Blocking. Every statement is a constant with bind
 * parameters; optional filters are {@code (CAST(? AS ...) IS NULL OR column = ?)}, never built text.
 */
public final class StoredEvents {
    private static final String SELECT = "SELECT d.global_index, d.aggregate_identifier, d.sequence_number, d.payload,"
            + " f.recorded_at FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number";
    private static final String IN_WINDOW = SELECT
            + " WHERE f.agent_time >= ? AND f.agent_time <= ? ORDER BY d.global_index";
    private static final String BY_ID = SELECT + " WHERE d.global_index = ?";
    private static final String PAGE = SELECT
            + " WHERE d.global_index > ? AND d.global_index <= ?"
            + " AND (CAST(? AS VARCHAR(64)) IS NULL OR f.agent_id = ?)"
            + " AND (CAST(? AS VARCHAR(64)) IS NULL OR f.fact_type = ?)"
            + " AND f.agent_time >= ? AND f.agent_time <= ?"
            + " ORDER BY d.global_index FETCH FIRST ? ROWS ONLY";
    private static final String ABOVE = "SELECT global_index, time_stamp FROM domain_event_entry"
            + " WHERE global_index > ? ORDER BY global_index FETCH FIRST ? ROWS ONLY";
    /** How many indices one horizon computation looks at; a page never goes beyond them. */
    private static final int HORIZON_SCAN = 2_000;

    private final DataSource dataSource;
    private final EnvelopeCodec codec;

    public StoredEvents(DataSource dataSource, EnvelopeCodec codec) {
        this.dataSource = dataSource;
        this.codec = codec;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Facts whose agent time lies in [from, to], optionally of one cluster, in global index order. */
    public List<StoredEvent> inWindow(Instant from, Instant to, Optional<String> cluster) throws SQLException {
        return read(IN_WINDOW, ps -> {
            ps.setObject(1, utc(from));
            ps.setObject(2, utc(to));
        }, cluster);
    }

    public Optional<StoredEvent> byId(long id) throws SQLException {
        return read(BY_ID, ps -> ps.setLong(1, id), Optional.empty()).stream().findFirst();
    }

    /** One page of events after {@code cursor}, never beyond the horizon below which no gap can still fill. */
    public EventPage page(long cursor, int limit, Optional<String> agent, Optional<String> type, Instant from,
                          Instant to, Instant now, Duration fillWindow) throws SQLException {
        long horizon;
        List<PageHorizon.Visible> above = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(ABOVE)) {
            ps.setLong(1, cursor);
            ps.setInt(2, HORIZON_SCAN);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    above.add(new PageHorizon.Visible(rs.getLong(1), Instant.parse(rs.getString(2))));
                }
            }
        }
        horizon = PageHorizon.of(cursor, above, now, fillWindow);
        List<StoredEvent> rows = read(PAGE, ps -> {
            ps.setLong(1, cursor);
            ps.setLong(2, horizon);
            setOptional(ps, 3, agent);
            setOptional(ps, 5, type);
            ps.setObject(7, utc(from));
            ps.setObject(8, utc(to));
            ps.setInt(9, limit + 1);
        }, Optional.empty());
        boolean full = rows.size() > limit;
        List<StoredEvent> page = full ? rows.subList(0, limit) : rows;
        // The horizon scan stopped at its cap with no gap: events may lie beyond it, page on.
        boolean more = full || above.size() == HORIZON_SCAN && horizon == above.get(above.size() - 1).index();
        // A short page has seen everything up to the horizon, matching or not: resume from there.
        long next = full ? page.get(page.size() - 1).id() : horizon;
        return new EventPage(List.copyOf(page), next, horizon, more);
    }

    /** A page of events; {@code nextCursor} resumes after it, {@code more}: page on now (else caught up with the horizon). */
    public record EventPage(List<StoredEvent> events, long nextCursor, long horizon, boolean more) {
    }

    private static void setOptional(PreparedStatement ps, int at, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            ps.setString(at, value.get());
            ps.setString(at + 1, value.get());
        } else {
            ps.setNull(at, Types.VARCHAR);
            ps.setNull(at + 1, Types.VARCHAR);
        }
    }

    private static OffsetDateTime utc(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<StoredEvent> read(String sql, Binder binder, Optional<String> cluster) throws SQLException {
        List<StoredEvent> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                binder.bind(ps);
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Observed o = new Observed(StoredPayload.decode(rs.getBytes(4), codec),
                                rs.getObject(5, OffsetDateTime.class).toInstant());
                        if (cluster.isEmpty() || cluster.equals(o.envelope().cluster())) {
                            out.add(new StoredEvent(rs.getLong(1), rs.getString(2), rs.getLong(3), o));
                        }
                    }
                }
            } catch (IOException | MalformedEnvelopeException e) {
                throw new UndecodableStoredFact(e);
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        return out;
    }
}
