package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.MalformedEnvelopeException;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state at T without folding the whole history: {@link StateFold} resumed from the latest checkpoint
 * at or before T (table {@code rm_state_checkpoint}, one every {@code every} facts in agent-clock order),
 * then the facts after it up to T. The answer is the same as the fold over every fact up to T:
 * <ul>
 *   <li>checkpoints account for the facts up to a horizon in the global index ({@code rm_state_build}),
 *       below which no gap can still fill ({@link PageHorizon}), so a late commit is never missed;</li>
 *   <li>a fact above the horizon with an agent time at or before a checkpoint (a late batch, a skewed
 *       clock) is not in that checkpoint: a query only resumes from a checkpoint older than every such
 *       fact, and the next refresh deletes the invalid checkpoints and folds them again.</li>
 * </ul>
 * Constant SQL only; blocking. Disposable like every read model: {@link #drop()} and the next refresh rebuilds.
 */
public final class StateCheckpoints {
    public static final int DEFAULT_EVERY = 1_000;
    private static final String LOCK = "SELECT horizon FROM rm_state_build WHERE name = 'state' FOR UPDATE";
    private static final String HORIZON = "SELECT horizon FROM rm_state_build WHERE name = 'state'";
    private static final String MARK = "UPDATE rm_state_build SET horizon = ? WHERE name = 'state'";
    private static final String NEWER = "SELECT COUNT(*), MIN(f.agent_time) FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number"
            + " WHERE d.global_index > ? AND d.global_index <= ?";
    private static final String MAX_INDEX = "SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final String ABOVE_AT_LEAST = "SELECT COUNT(*) FROM (SELECT global_index FROM domain_event_entry"
            + " WHERE global_index > ? ORDER BY global_index FETCH FIRST ? ROWS ONLY) above";
    private static final String LAST_AT = "SELECT MAX(state_at) FROM rm_state_checkpoint";
    private static final String INVALIDATE = "DELETE FROM rm_state_checkpoint WHERE state_at >= ?";
    private static final String CLEAR = "DELETE FROM rm_state_checkpoint";
    private static final String INSERT = "INSERT INTO rm_state_checkpoint (state_at, fact_count, fold_state) VALUES (?, ?, ?)";
    private static final String RESUME = "SELECT state_at, fold_state FROM rm_state_checkpoint WHERE state_at <= ? AND state_at < ?"
            + " ORDER BY state_at DESC FETCH FIRST 1 ROWS ONLY";
    private static final String FACTS = "SELECT d.payload, f.recorded_at, d.global_index FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number"
            + " WHERE f.agent_time > ? AND f.agent_time <= ? AND d.global_index <= ? ORDER BY f.agent_time";
    private static final String SPAN = "SELECT MIN(agent_time), MAX(agent_time) FROM ingested_fact";
    private static final String COUNT_SLICE = "SELECT COUNT(*) FROM ingested_fact WHERE agent_time > ? AND agent_time <= ?";
    /** Indices per statement when counting facts above the horizon: one statement over 10M events outlasts the 20 s timeout. */
    static final long COUNT_CHUNK = 500_000;
    private static final Instant BEFORE_ALL = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant AFTER_ALL = Instant.parse("9999-12-31T23:59:59Z");
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

    private final DataSource dataSource;
    private final EnvelopeCodec codec;
    private final Clock clock;
    private final Duration fillWindow;
    private final int every;
    private final ReentrantLock building = new ReentrantLock();

    public StateCheckpoints(DataSource dataSource, EnvelopeCodec codec, Clock clock, Duration fillWindow, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("checkpoint interval must be at least one fact");
        }
        this.dataSource = dataSource;
        this.codec = codec;
        this.clock = clock;
        this.fillWindow = fillWindow;
        this.every = every;
    }

    /** Every virtual router at {@code t} (of one cluster if given): the fold of every stored fact up to t. */
    public List<RouterView> stateAt(Instant t, Optional<String> cluster) throws SQLException {
        if (atLeastEveryAbove()) {
            // Far behind (a first query on a large store): build before joining every fact above the horizon.
            if (building.tryLock()) {
                try {
                    refresh();
                } finally {
                    building.unlock();
                }
            }
        }
        Newer newer = newer();
        if (newer.count() >= every || newer.oldest().isPresent() && !newer.oldest().get().isAfter(lastCheckpoint())
                || newer.count() > 0 && lastCheckpoint().equals(BEFORE_ALL)) {
            // A query never waits for another one's refresh: it answers from older checkpoints meanwhile.
            if (building.tryLock()) {
                try {
                    refresh();
                } finally {
                    building.unlock();
                }
                newer = newer();
            }
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                Instant from = BEFORE_ALL;
                StateFold fold = StateFold.empty();
                try (PreparedStatement ps = c.prepareStatement(RESUME)) {
                    ps.setObject(1, utc(t));
                    ps.setObject(2, utc(newer.oldest().orElse(AFTER_ALL)));
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            from = rs.getObject(1, OffsetDateTime.class).toInstant();
                            fold = StateFold.resume(unpack(rs.getBytes(2)));
                        }
                    }
                }
                StateFold folding = fold;
                readFacts(c, from, t, Long.MAX_VALUE, group -> folding.applyInOrder(group));
                return cluster.map(name -> folding.views().stream().filter(v -> v.key().cluster().equals(name)).toList())
                        .orElseGet(folding::views);
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * Moves the horizon up to what can no longer change, deletes the checkpoints that facts below it make
     * invalid, and writes new ones from the last valid checkpoint on. One transaction.
     */
    public void refresh() throws SQLException {
        if (current()) {
            return; // an unchanged store: two index lookups, no lock, no scan (the processors ask every second)
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                long old;
                try (PreparedStatement ps = c.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    old = rs.getLong(1);
                }
                long horizon = horizon(c, old);
                if (horizon == old) {
                    c.commit();
                    return;
                }
                Newer arrived = newer(c, old, horizon);
                if (arrived.oldest().isPresent()) {
                    try (PreparedStatement ps = c.prepareStatement(INVALIDATE)) {
                        ps.setObject(1, utc(arrived.oldest().get()));
                        ps.executeUpdate();
                    }
                }
                extend(c, horizon);
                try (PreparedStatement ps = c.prepareStatement(MARK)) {
                    ps.setLong(1, horizon);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /** The state build's horizon, as stored in rm_state_build. */
    private static long storedHorizon(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(HORIZON); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Whether the horizon is the highest index stored: nothing above it to fold, nothing a gap could still add. */
    private boolean current() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            long horizon = storedHorizon(c);
            try (PreparedStatement ps = c.prepareStatement(MAX_INDEX); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == horizon;
            }
        }
    }

    /** Deletes every checkpoint; the next query or {@link #refresh()} writes them again from the stream. */
    public void drop() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                }
                try (PreparedStatement ps = c.prepareStatement(CLEAR)) {
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(MARK)) {
                    ps.setLong(1, 0);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /** Folds on from the last checkpoint, writing one after every {@code every} facts (at a change of agent time). */
    private void extend(Connection c, long horizon) throws SQLException {
        Instant from = BEFORE_ALL;
        StateFold fold = StateFold.empty();
        try (PreparedStatement ps = c.prepareStatement(RESUME)) {
            ps.setObject(1, utc(AFTER_ALL));
            ps.setObject(2, utc(AFTER_ALL));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    from = rs.getObject(1, OffsetDateTime.class).toInstant();
                    fold = StateFold.resume(unpack(rs.getBytes(2)));
                }
            }
        }
        StateFold folding = fold;
        long[] sinceLast = {0};
        long[] folded = {0};
        try (PreparedStatement insert = c.prepareStatement(INSERT)) {
            readFacts(c, from, AFTER_ALL, horizon, group -> {
                folding.applyInOrder(group);
                sinceLast[0] += group.size();
                folded[0] += group.size();
                if (sinceLast[0] >= every) {
                    try {
                        insert.setObject(1, utc(group.get(0).envelope().time()));
                        insert.setLong(2, folded[0]);
                        insert.setBytes(3, pack(folding.snapshot()));
                        insert.executeUpdate();
                    } catch (SQLException e) {
                        throw new IllegalStateException("writing a state checkpoint failed", e);
                    }
                    sinceLast[0] = 0;
                }
            });
        }
    }

    private interface Group {
        void accept(List<Observed> sameAgentTime);
    }

    /**
     * Facts with agent time in (from, to] and global index at most {@code maxIndex}, handed over in groups of
     * one agent time each, every group in {@link StateFold#AGENT_CLOCK} order (SQL orders by time only: string
     * collations differ between databases).
     */
    private void readFacts(Connection c, Instant from, Instant to, long maxIndex, Group sink) throws SQLException {
        Instant first;
        Instant last;
        try (PreparedStatement ps = c.prepareStatement(SPAN); ResultSet rs = ps.executeQuery()) {
            rs.next();
            OffsetDateTime at = rs.getObject(1, OffsetDateTime.class);
            if (at == null) {
                return;
            }
            first = at.toInstant();
            last = rs.getObject(2, OffsetDateTime.class).toInstant();
        }
        List<Observed> group = new ArrayList<>();
        TimeSlices.over(from, to, first, last, (lo, hi) -> {
            try (PreparedStatement ps = c.prepareStatement(COUNT_SLICE)) {
                ps.setObject(1, utc(lo));
                ps.setObject(2, utc(hi));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }, (lo, hi) -> {
            long found = 0;
            try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(FACTS))) {
                ps.setObject(1, utc(lo));
                ps.setObject(2, utc(hi));
                ps.setLong(3, maxIndex);
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found++;
                        Observed o = new Observed(StoredPayload.decode(rs.getBytes(1), codec),
                                rs.getObject(2, OffsetDateTime.class).toInstant());
                        if (!group.isEmpty() && !group.get(0).envelope().time().equals(o.envelope().time())) {
                            flush(group, sink);
                        }
                        group.add(o);
                    }
                } catch (IOException | MalformedEnvelopeException e) {
                    throw new UndecodableStoredFact(e);
                }
            }
            return found;
        });
        if (!group.isEmpty()) {
            flush(group, sink);
        }
    }

    private static void flush(List<Observed> group, Group sink) {
        group.sort(StateFold.AGENT_CLOCK);
        sink.accept(List.copyOf(group));
        group.clear();
    }

    /** The highest index with no gap below it that may still fill, scanning up from {@code from}. */
    private long horizon(Connection c, long from) throws SQLException {
        return GapFreeHorizon.scan(c, from, Long.MAX_VALUE, clock, fillWindow);
    }

    /** Facts above the horizon: how many, and the oldest agent time among them. */
    private record Newer(long count, Optional<Instant> oldest) {
    }

    /** Whether {@code every} events or more lie above the horizon, counting at most that many index entries. */
    private boolean atLeastEveryAbove() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            long horizon = storedHorizon(c);
            try (PreparedStatement ps = c.prepareStatement(ABOVE_AT_LEAST)) {
                ps.setLong(1, horizon);
                ps.setInt(2, every);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1) >= every;
                }
            }
        }
    }

    private Newer newer() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            long horizon = storedHorizon(c);
            return newer(c, horizon, Long.MAX_VALUE);
        }
    }

    /** Facts with index in (above, upTo], counted in chunks of {@link #COUNT_CHUNK} indices. */
    private static Newer newer(Connection c, long above, long upTo) throws SQLException {
        long top;
        try (PreparedStatement ps = c.prepareStatement(MAX_INDEX); ResultSet rs = ps.executeQuery()) {
            rs.next();
            top = Math.min(upTo, rs.getLong(1));
        }
        long count = 0;
        Optional<Instant> oldest = Optional.empty();
        for (long low = above; low < top; low += COUNT_CHUNK) {
            try (PreparedStatement ps = c.prepareStatement(NEWER)) {
                ps.setLong(1, low);
                ps.setLong(2, Math.min(top, low + COUNT_CHUNK));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    count += rs.getLong(1);
                    OffsetDateTime at = rs.getObject(2, OffsetDateTime.class);
                    if (at != null && (oldest.isEmpty() || at.toInstant().isBefore(oldest.get()))) {
                        oldest = Optional.of(at.toInstant());
                    }
                }
            }
        }
        return new Newer(count, oldest);
    }

    private Instant lastCheckpoint() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(LAST_AT);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            OffsetDateTime at = rs.getObject(1, OffsetDateTime.class);
            return at == null ? BEFORE_ALL : at.toInstant();
        }
    }

    private static byte[] pack(StateFold.Snapshot s) {
        return PackedSnapshot.pack(JSON, s);
    }

    private static StateFold.Snapshot unpack(byte[] packed) {
        return PackedSnapshot.unpack(JSON, packed, StateFold.Snapshot.class, "state checkpoint");
    }

    private static OffsetDateTime utc(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }
}
