package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.AddressFamily;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * The review read models (tables rm_vip_move, rm_incident): the rows of {@link ReviewRows} over every
 * stored fact, kept so a query reads rows instead of folding the history. They are disposable: a
 * query refills them when the store holds other facts than they were built from (count or highest
 * index differ, so a late commit below the highest index is noticed too), {@link #drop()} empties
 * them, and the answers are the same either way. Constant SQL only; blocking.
 */
public final class ReviewReadModel {
    private static final String STATS = "SELECT COUNT(*), COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final String LOCK = "SELECT fact_count, max_index FROM rm_build WHERE name = 'review' FOR UPDATE";
    private static final String MARK = "UPDATE rm_build SET fact_count = ?, max_index = ? WHERE name = 'review'";
    private static final String CLEAR_MOVES = "DELETE FROM rm_vip_move";
    private static final String CLEAR_INCIDENTS = "DELETE FROM rm_incident";
    private static final String INSERT_MOVE = "INSERT INTO rm_vip_move (cluster, vrid, family, moved_at, from_agent,"
            + " to_agent, addresses, cause, gap_ms, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_INCIDENT = "INSERT INTO rm_incident (cluster, vrid, family, kind, started_at,"
            + " ended_at, agents, detail, events, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String MOVES = "SELECT cluster, vrid, family, moved_at, from_agent, to_agent, addresses, cause,"
            + " gap_ms FROM rm_vip_move WHERE (CAST(? AS VARCHAR(64)) IS NULL OR cluster = ?)"
            + " AND (CAST(? AS INT) IS NULL OR vrid = ?) AND moved_at >= ? AND moved_at <= ? ORDER BY ordinal";
    private static final String INCIDENTS = "SELECT cluster, vrid, family, kind, started_at, ended_at, agents, detail,"
            + " events FROM rm_incident WHERE (CAST(? AS VARCHAR(64)) IS NULL OR cluster = ?)"
            + " AND (CAST(? AS INT) IS NULL OR vrid = ?) AND (CAST(? AS VARCHAR(32)) IS NULL OR kind = ?)"
            + " AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY ordinal";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };
    private static final TypeReference<List<Long>> LONGS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final StoredEvents events;

    public ReviewReadModel(DataSource dataSource, StoredEvents events) {
        this.dataSource = dataSource;
        this.events = events;
    }

    /** Refills the read models if facts were stored (or committed late) since they were built. */
    public void refresh() throws SQLException {
        build(false);
    }

    /** Empties and refills the read models from the event stream. */
    public void rebuild() throws SQLException {
        build(true);
    }

    /** Empties the read models; the next query (or {@link #rebuild()}) refills them. */
    public void drop() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                lock(c);
                update(c, CLEAR_MOVES);
                update(c, CLEAR_INCIDENTS);
                mark(c, -1, -1);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void build(boolean force) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long[] built = lock(c);
                long[] now = stats(c);
                if (!force && built[0] == now[0] && built[1] == now[1]) {
                    c.commit();
                    return;
                }
                // Facts are read after the stats: the rows cover at least what is marked.
                List<StoredEvent> facts = events.inWindow(Instant.EPOCH, ReviewRows.END_OF_TIME, Optional.empty());
                List<ReviewFact> review = ReviewFold.derive(facts.stream().map(StoredEvent::observed).toList(),
                        ReviewPolicy.DEFAULT);
                update(c, CLEAR_MOVES);
                update(c, CLEAR_INCIDENTS);
                insertMoves(c, ReviewRows.moves(review));
                insertIncidents(c, ReviewRows.incidents(facts, review));
                mark(c, now[0], now[1]);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    public List<ReviewRows.Move> moves(Optional<String> cluster, Optional<Integer> vrid, Instant from, Instant to)
            throws SQLException {
        List<ReviewRows.Move> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(MOVES)) {
            text(ps, 1, cluster);
            integer(ps, 3, vrid);
            ps.setObject(5, utc(from));
            ps.setObject(6, utc(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double gap = rs.getDouble(9);
                    Optional<Duration> gapMs = rs.wasNull() ? Optional.empty() : Optional.of(Duration.ofNanos(Math.round(gap * 1_000_000)));
                    out.add(new ReviewRows.Move(key(rs), instant(rs, 4), rs.getString(5), rs.getString(6),
                            parse(rs.getString(7), STRINGS), rs.getString(8), gapMs));
                }
            }
        }
        return out;
    }

    /** Incidents of the read model overlapping [from, to] (an open one lasts until now). */
    public List<ReviewRows.Incident> incidents(Optional<String> cluster, Optional<Integer> vrid,
                                               Optional<ReviewRows.IncidentKind> kind, Instant from, Instant to)
            throws SQLException {
        List<ReviewRows.Incident> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INCIDENTS)) {
            text(ps, 1, cluster);
            integer(ps, 3, vrid);
            text(ps, 5, kind.map(Enum::name));
            ps.setObject(7, utc(to));
            ps.setObject(8, utc(from));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime ended = rs.getObject(6, OffsetDateTime.class);
                    out.add(new ReviewRows.Incident(key(rs), ReviewRows.IncidentKind.valueOf(rs.getString(4)), instant(rs, 5),
                            Optional.ofNullable(ended).map(OffsetDateTime::toInstant), parse(rs.getString(7), STRINGS),
                            rs.getString(8), parse(rs.getString(9), LONGS)));
                }
            }
        }
        return out;
    }

    private static long[] lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("rm_build has no 'review' row: the read model migration did not run");
            }
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    private static long[] stats(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STATS); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    private static void mark(Connection c, long count, long max) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(MARK)) {
            ps.setLong(1, count);
            ps.setLong(2, max);
            ps.executeUpdate();
        }
    }

    private static void update(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.executeUpdate();
        }
    }

    private static void insertMoves(Connection c, List<ReviewRows.Move> moves) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_MOVE)) {
            int ordinal = 0;
            for (ReviewRows.Move m : moves) {
                router(ps, m.router());
                ps.setObject(4, utc(m.at()));
                ps.setString(5, m.from());
                ps.setString(6, m.to());
                ps.setString(7, json(m.addresses()));
                ps.setString(8, m.cause());
                if (m.gap().isPresent()) {
                    ps.setDouble(9, m.gap().get().toNanos() / 1_000_000.0);
                } else {
                    ps.setNull(9, Types.DOUBLE);
                }
                ps.setInt(10, ordinal++);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void insertIncidents(Connection c, List<ReviewRows.Incident> incidents) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_INCIDENT)) {
            int ordinal = 0;
            for (ReviewRows.Incident i : incidents) {
                router(ps, i.router());
                ps.setString(4, i.kind().name());
                ps.setObject(5, utc(i.start()));
                if (i.until().isPresent()) {
                    ps.setObject(6, utc(i.until().get()));
                } else {
                    ps.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
                }
                ps.setString(7, json(i.agents()));
                ps.setString(8, i.detail());
                ps.setString(9, json(i.events()));
                ps.setInt(10, ordinal++);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void router(PreparedStatement ps, RouterKey k) throws SQLException {
        ps.setString(1, k.cluster());
        ps.setInt(2, k.vrid());
        ps.setString(3, k.family().name());
    }

    private static RouterKey key(ResultSet rs) throws SQLException {
        return new RouterKey(rs.getString(1), rs.getInt(2), AddressFamily.valueOf(rs.getString(3)));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static void text(PreparedStatement ps, int at, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            ps.setString(at, value.get());
            ps.setString(at + 1, value.get());
        } else {
            ps.setNull(at, Types.VARCHAR);
            ps.setNull(at + 1, Types.VARCHAR);
        }
    }

    private static void integer(PreparedStatement ps, int at, Optional<Integer> value) throws SQLException {
        if (value.isPresent()) {
            ps.setInt(at, value.get());
            ps.setInt(at + 1, value.get());
        } else {
            ps.setNull(at, Types.INTEGER);
            ps.setNull(at + 1, Types.INTEGER);
        }
    }

    private static OffsetDateTime utc(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T parse(String text, TypeReference<T> type) {
        try {
            return JSON.readValue(text, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
