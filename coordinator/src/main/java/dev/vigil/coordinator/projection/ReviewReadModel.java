package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.AddressFamily;

import dev.vigil.coordinator.projection.ReviewFact.Basis;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.MalformedEnvelopeException;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The review read models (tables rm_vip_move, rm_incident): the rows of {@link ReviewRows} over every stored
 * fact, kept up incrementally so a query reads rows instead of folding the history. Each basis of the review
 * fold ({@link ReviewFold.Run}) is checkpointed (table rm_review_checkpoint, every {@code every} facts and at
 * the end of each refresh) and a refresh folds only the facts after the last checkpoint, replacing the rows
 * (by emission id) that the fold touched. As {@link StateCheckpoints} does, a fact that commits late or comes
 * with an older time than the checkpoint makes the refresh resume from an earlier checkpoint: late commits
 * are found below the highest folded index by counting the events above the gap-free horizon
 * ({@link PageHorizon}); rows emitted after the resumed checkpoint are deleted, and the incidents whose span
 * covers a newly seen fact get it in their events. The answers equal {@link ReviewRows} over every fact
 * ({@code ReviewReadModelTest}); {@link #drop()} empties everything and the next refresh rebuilds.
 * A refresh is one REPEATABLE READ transaction, so what it counts and what it folds is one snapshot.
 * Constant SQL only; blocking.
 */
public final class ReviewReadModel {
    public static final int DEFAULT_EVERY = 5_000;
    /** Facts of one refresh kept in memory for its incidents' events (a refresh under ingest folds ~10-30k). */
    private static final long KEPT = 100_000;
    private static final long PIECE = 5_000;
    private static final String LOCK = "SELECT horizon, max_index, zone_count FROM rm_review_build WHERE name = 'review' FOR UPDATE";
    private static final String BUILT = "SELECT horizon, max_index, zone_count FROM rm_review_build WHERE name = 'review'";
    private static final String MARK = "UPDATE rm_review_build SET horizon = ?, max_index = ?, zone_count = ? WHERE name = 'review'";
    private static final String COUNT_RANGE = "SELECT COUNT(*) FROM domain_event_entry WHERE global_index > ? AND global_index <= ?";
    private static final String MAX_INDEX = "SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final String SUSPECTS = "SELECT COUNT(*), MIN(f.agent_time), MIN(f.recorded_at), MAX(f.agent_time) FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number"
            + " WHERE d.global_index > ? AND d.global_index <= ?";
    private static final String CHECKPOINT = "SELECT state_at, emitted, fold_state FROM rm_review_checkpoint"
            + " WHERE basis = ? AND state_at < ? ORDER BY state_at DESC FETCH FIRST 1 ROWS ONLY";
    private static final String DROP_LATER = "DELETE FROM rm_review_checkpoint WHERE basis = ? AND (state_at > ? OR head = TRUE)";
    private static final String INSERT_CHECKPOINT = "INSERT INTO rm_review_checkpoint (basis, state_at, head, emitted, fold_state)"
            + " VALUES (?, ?, ?, ?, ?)";
    private static final String CLEAR_CHECKPOINTS = "DELETE FROM rm_review_checkpoint";
    private static final String DELETE_MOVES_FROM = "DELETE FROM rm_vip_move WHERE emit >= ?";
    private static final String DELETE_ADDRESSES_FROM = "DELETE FROM rm_move_address WHERE emit >= ?";
    private static final String DELETE_ADDRESSES = "DELETE FROM rm_move_address WHERE emit = ?";
    private static final String INSERT_ADDRESS = "INSERT INTO rm_move_address (address, moved_at, emit, cluster, vrid, family,"
            + " from_agent, to_agent, addresses, cause, gap_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String CLEAR_ADDRESSES = "DELETE FROM rm_move_address";
    private static final String REMEMBER_AGENT = "INSERT INTO rm_agent_cluster (cluster, agent_id)"
            + " SELECT CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(64)) FROM rm_review_build WHERE name = 'review'"
            + " AND NOT EXISTS (SELECT 1 FROM rm_agent_cluster WHERE cluster = ? AND agent_id = ?)";
    private static final String CLEAR_AGENTS = "DELETE FROM rm_agent_cluster";
    private static final String DELETE_INCIDENTS_FROM = "DELETE FROM rm_incident WHERE basis = ? AND emit >= ?";
    private static final String DELETE_MOVE = "DELETE FROM rm_vip_move WHERE emit = ?";
    private static final String DELETE_INCIDENT = "DELETE FROM rm_incident WHERE basis = ? AND emit = ?";
    private static final String EVENTS_OF = "SELECT events FROM rm_incident WHERE basis = ? AND emit = ?";
    private static final String SET_EVENTS = "UPDATE rm_incident SET events = ? WHERE basis = ? AND emit = ?";
    private static final String COVERING = "SELECT basis, emit, cluster, vrid, family, kind, started_at, ended_at, agents,"
            + " detail, events FROM rm_incident WHERE basis = 1 AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)";
    private static final String CLEAR_MOVES = "DELETE FROM rm_vip_move";
    private static final String CLEAR_INCIDENTS = "DELETE FROM rm_incident";
    private static final String INSERT_MOVE = "INSERT INTO rm_vip_move (cluster, vrid, family, moved_at, from_agent,"
            + " to_agent, addresses, cause, gap_ms, ordinal, emit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)";
    private static final String INSERT_INCIDENT = "INSERT INTO rm_incident (cluster, vrid, family, kind, started_at,"
            + " ended_at, agents, detail, events, ordinal, basis, emit, fact_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)";
    private static final String FACT = "SELECT d.global_index, d.aggregate_identifier, d.sequence_number, d.payload,"
            + " f.recorded_at FROM domain_event_entry d"
            + " JOIN ingested_fact f ON f.agent_id = d.aggregate_identifier AND f.stream_index = d.sequence_number";
    private static final String BY_AGENT_CLOCK = FACT + " WHERE f.agent_time > ? AND f.agent_time <= ? AND d.global_index <= ?"
            + " ORDER BY f.agent_time";
    private static final String BY_ARRIVAL = FACT + " WHERE f.recorded_at > ? AND f.recorded_at <= ? AND d.global_index <= ?"
            + " ORDER BY f.recorded_at";
    private static final String SPAN_AGENT_TIME = "SELECT MIN(agent_time), MAX(agent_time) FROM ingested_fact";
    private static final String SPAN_ARRIVAL = "SELECT MIN(recorded_at), MAX(recorded_at) FROM ingested_fact";
    private static final String COUNT_AGENT_TIME = "SELECT COUNT(*) FROM ingested_fact WHERE agent_time > ? AND agent_time <= ?";
    private static final String COUNT_ARRIVAL = "SELECT COUNT(*) FROM ingested_fact WHERE recorded_at > ? AND recorded_at <= ?";
    private static final String IN_SPAN = FACT + " WHERE f.agent_time >= ? AND f.agent_time <= ? AND d.global_index <= ?";
    private static final String IN_RANGE = FACT + " WHERE d.global_index > ? AND d.global_index <= ?";
    private static final String AGENT_SPAN = FACT + " WHERE f.agent_id = ? AND f.agent_time >= ? AND f.agent_time <= ?"
            + " AND d.global_index <= ?";
    private static final String OF_CLUSTER = " AND f.agent_id IN (SELECT agent_id FROM rm_agent_cluster WHERE cluster = ?)";
    private static final String WINDOW_BY_AGENT_CLOCK = FACT + " WHERE f.agent_time > ? AND f.agent_time <= ? ORDER BY f.agent_time";
    private static final String WINDOW_BY_AGENT_CLOCK_OF_CLUSTER = FACT + " WHERE f.agent_time > ? AND f.agent_time <= ?"
            + OF_CLUSTER + " ORDER BY f.agent_time";
    private static final String WINDOW_BY_ARRIVAL = FACT + " WHERE f.recorded_at > ? AND f.agent_time <= ? ORDER BY f.recorded_at";
    private static final String WINDOW_BY_ARRIVAL_OF_CLUSTER = FACT + " WHERE f.recorded_at > ? AND f.agent_time <= ?"
            + OF_CLUSTER + " ORDER BY f.recorded_at";
    // One constant statement per filter shape (no "? IS NULL OR column = ?" on the indexed column): a generic plan
    // of a server-prepared statement cannot use the cluster's index when the cluster may be null.
    private static final String MOVE_COLUMNS = "SELECT m.cluster, m.vrid, m.family, m.moved_at, m.from_agent, m.to_agent,"
            + " m.addresses, m.cause, m.gap_ms FROM rm_vip_move m";
    private static final String MOVES = MOVE_COLUMNS + " WHERE (CAST(? AS INT) IS NULL OR m.vrid = ?)"
            + " AND m.moved_at >= ? AND m.moved_at <= ? ORDER BY m.moved_at, m.emit";
    private static final String MOVES_OF_CLUSTER = MOVE_COLUMNS + " WHERE m.cluster = ? AND (CAST(? AS INT) IS NULL OR m.vrid = ?)"
            + " AND m.moved_at >= ? AND m.moved_at <= ? ORDER BY m.moved_at, m.emit";
    // A VIP's moves from rm_move_address alone (V8: each row carries its move's columns), in halves as the incidents
    // of a cluster: short rows from the partial covering index (PostgreSQL), the others from ix_rm_move_address_long.
    private static final String ADDRESS_HALF = "SELECT cluster, vrid, family, moved_at, from_agent, to_agent, addresses, cause,"
            + " gap_ms, emit FROM rm_move_address WHERE address = ? AND moved_at >= ? AND moved_at <= ?"
            + " AND (CAST(? AS VARCHAR(64)) IS NULL OR cluster = ?) AND (CAST(? AS INT) IS NULL OR vrid = ?)";
    private static final String MOVES_OF_ADDRESS = ADDRESS_HALF + " AND octet_length(addresses) + octet_length(cause) < 2000"
            + " UNION ALL " + ADDRESS_HALF + " AND octet_length(addresses) + octet_length(cause) >= 2000 ORDER BY moved_at, emit";
    private static final String INCIDENT_COLUMNS = "SELECT cluster, vrid, family, kind, started_at, ended_at, agents, detail,"
            + " events FROM rm_incident";
    private static final String INCIDENT_FILTERS = " (CAST(? AS INT) IS NULL OR vrid = ?) AND (CAST(? AS VARCHAR(32)) IS NULL OR kind = ?)"
            + " AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY fact_at, basis, emit";
    private static final String INCIDENTS = INCIDENT_COLUMNS + " WHERE" + INCIDENT_FILTERS;
    // A cluster's incidents: rows with short text columns come from ix_rm_incident_cover alone (PostgreSQL V8: a
    // partial covering index, used because the first half repeats its predicate), the rest from ix_rm_incident_long.
    private static final String SHORT_ROW = "octet_length(agents) + octet_length(detail) + octet_length(events) < 2000";
    private static final String LONG_ROW = "octet_length(agents) + octet_length(detail) + octet_length(events) >= 2000";
    private static final String CLUSTER_HALF = "SELECT cluster, vrid, family, kind, started_at, ended_at, agents, detail, events,"
            + " fact_at, basis, emit FROM rm_incident WHERE cluster = ? AND (CAST(? AS INT) IS NULL OR vrid = ?)"
            + " AND (CAST(? AS VARCHAR(32)) IS NULL OR kind = ?) AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)";
    private static final String INCIDENTS_OF_CLUSTER = CLUSTER_HALF + " AND " + SHORT_ROW + " UNION ALL " + CLUSTER_HALF
            + " AND " + LONG_ROW + " ORDER BY fact_at, basis, emit";
    private static final Instant BEFORE_ALL = Instant.parse("0001-01-01T00:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper STATE = new ObjectMapper().findAndRegisterModules();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };
    private static final TypeReference<List<Long>> LONGS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final EnvelopeCodec codec;
    private final Clock clock;
    private final Duration fillWindow;
    private final int every;
    private final ReentrantLock refreshing = new ReentrantLock();
    /**
     * The open agent-clock incidents' rows as this instance last wrote them (guarded by {@link #refreshing}), valid
     * while rm_review_build still holds what this instance marked ({@link #marked}). A touched open incident (a flap
     * going on, a split brain gaining a master) then gets its kept events up to the refresh's resume point plus the
     * facts after it, which the refresh folded and keeps, instead of every fact of its span read back and decoded
     * at every flush (quadratic in an incident's length under ingest).
     */
    private Map<Long, Known> known = new HashMap<>();
    private long[] marked;
    /**
     * The arrival basis's head checkpoint as this instance wrote it: a refresh that resumes from it finds the open
     * incidents' rows as that checkpoint has them, so it does not write them again (each was a read of every fact
     * from the incident's start on, at every refresh: a split brain open for a day read a day of facts per second).
     */
    private Instant arrivalHeadAt;
    private long arrivalHeadEmitted = -1;

    public ReviewReadModel(DataSource dataSource, StoredEvents events) {
        this(dataSource, EnvelopeCodec.standard(), Clock.systemUTC(), Duration.ofSeconds(60), DEFAULT_EVERY);
    }

    public ReviewReadModel(DataSource dataSource, EnvelopeCodec codec, Clock clock, Duration fillWindow, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("checkpoint interval must be at least one fact");
        }
        this.dataSource = dataSource;
        this.codec = codec;
        this.clock = clock;
        this.fillWindow = fillWindow;
        this.every = every;
    }

    /** Folds the facts stored (or committed late) since the last refresh into the read models. */
    public void refresh() throws SQLException {
        if (unchanged()) {
            return; // the common case for a query: two index lookups, no lock, no write
        }
        refreshing.lock(); // one refresh per process at a time; another coordinator's waits on the row lock
        try {
            if (unchanged()) {
                return; // the refresh this waited for (the processors', sharing this instance) covered it
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    refreshOnce();
                    return;
                } catch (SQLException e) {
                    // Another coordinator refreshed meanwhile: our snapshot is stale, go again on a new one.
                    if (!"40001".equals(e.getSQLState()) || attempt == 3) {
                        throw e;
                    }
                }
            }
        } finally {
            refreshing.unlock();
        }
    }

    /**
     * Whether the read models account for every stored event, as refreshOnce finds it but without taking the
     * build row's lock: nothing above the folded index, and as many events above the horizon as were folded.
     */
    private boolean unchanged() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            long horizon;
            long folded;
            long zone;
            try (PreparedStatement ps = c.prepareStatement(BUILT); ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                horizon = rs.getLong(1);
                folded = rs.getLong(2);
                zone = rs.getLong(3);
            }
            return single(c, MAX_INDEX) == folded && (horizon == folded ? zone == 0 : count(c, horizon, folded) == zone);
        }
    }

    /** Empties and refills the read models from the event stream. */
    public void rebuild() throws SQLException {
        drop();
        refresh();
    }

    /** Empties the read models and their checkpoints; the next query (or {@link #rebuild()}) refills them. */
    public void drop() throws SQLException {
        refreshing.lock();
        try {
            forget();
            dropRows();
        } finally {
            refreshing.unlock();
        }
    }

    private void forget() {
        known = new HashMap<>();
        marked = null;
        arrivalHeadAt = null;
        arrivalHeadEmitted = -1;
    }

    private void dropRows() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                lock(c);
                update(c, CLEAR_MOVES);
                update(c, CLEAR_ADDRESSES);
                update(c, CLEAR_AGENTS);
                update(c, CLEAR_INCIDENTS);
                update(c, CLEAR_CHECKPOINTS);
                mark(c, 0, 0, 0);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private void refreshOnce() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            boolean committed = false;
            try {
                long[] built = lock(c);
                long horizon = built[0];
                long folded = built[1];
                boolean lateCommit = count(c, horizon, folded) != built[2];
                long max = single(c, MAX_INDEX);
                if (!lateCommit && max == folded) {
                    c.commit();
                    committed = true;
                    return;
                }
                boolean ours = java.util.Arrays.equals(built, marked);
                Fold fold = new Fold(ours ? new HashMap<>(known) : new HashMap<>(), ours);
                // Facts not yet folded: above the folded index, or (a late commit somewhere) above the horizon.
                long low = lateCommit ? horizon : folded;
                Suspects suspects = suspects(c, low, max);
                boolean fresh = true;
                Set<RowId> written = new HashSet<>();
                for (Basis basis : Basis.values()) {
                    fresh &= foldOn(c, basis, suspects, max, written, fold);
                }
                if (!fresh) {
                    patchCovering(c, low, max, suspects, written);
                }
                long newHorizon = horizon(c, horizon, max);
                long[] now = {newHorizon, max, count(c, newHorizon, max)};
                mark(c, now[0], now[1], now[2]);
                c.commit();
                committed = true;
                known = fold.known;
                marked = now;
                if (fold.arrivalHeadAt != null) {
                    arrivalHeadAt = fold.arrivalHeadAt;
                    arrivalHeadEmitted = fold.arrivalHeadEmitted;
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                if (!committed) {
                    forget();
                }
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * An agent-clock incident's row as written: its events are every fact of it up to {@code coveredTo}, which is
     * never before the resume point of a later refresh (no fact at or before that point can be new to it).
     */
    private record Known(ReviewRows.Incident shape, TreeSet<Long> events, Instant coveredTo) {
        /** Where its events end when only the facts up to {@code from} are counted. */
        Instant endBy(Instant from) {
            return shape.until().filter(u -> u.isBefore(from)).orElse(from);
        }

        /** Whether {@code next} is the same incident (router, kind, start and agents), perhaps with another end. */
        boolean sameAs(ReviewRows.Incident next) {
            return next.router().equals(shape.router()) && next.kind() == shape.kind() && next.start().equals(shape.start())
                    && Set.copyOf(next.agents()).equals(Set.copyOf(shape.agents()));
        }
    }

    /** A written incident recomputed from its known row: the kept events up to {@code base}, the facts after it. */
    private record Grown(Known known, Instant base) {
    }

    /** One refresh's agent-clock fold: the known rows it starts from and keeps, the facts it folded, its head. */
    private static final class Fold {
        Map<Long, Known> known;
        /**
         * The latest facts this refresh folded (agent clock), at most about {@link #KEPT}: in pieces of one
         * checkpoint interval or so, each with the time of its last fact; a long catch-up forgets its oldest.
         */
        private final java.util.ArrayDeque<Piece> pieces = new java.util.ArrayDeque<>();
        private long keptCount;
        private Instant evictedTo;
        Instant from;

        /** Whether the read models are as this instance left them (rm_review_build holds what it marked). */
        final boolean ours;
        Instant arrivalHeadAt;
        long arrivalHeadEmitted = -1;

        Fold(Map<Long, Known> known, boolean ours) {
            this.known = known;
            this.ours = ours;
        }

        /** One group of facts of one agent time, folded in order. */
        void folded(List<StoredEvent> group) {
            Piece last = pieces.peekLast();
            if (last == null || last.size >= PIECE) {
                last = new Piece(new ReviewRows.Candidates(List.of()));
                pieces.addLast(last);
            }
            last.facts.add(group);
            last.size += group.size();
            last.upTo = group.get(0).observed().envelope().time();
            keptCount += group.size();
            while (keptCount > KEPT && pieces.size() > 1) {
                Piece oldest = pieces.removeFirst();
                keptCount -= oldest.size;
                evictedTo = oldest.upTo; // a long catch-up: facts up to here are read back when needed
            }
        }

        /** The instant after which every fact this refresh folded is kept. */
        Instant keptFrom() {
            return evictedTo == null ? from : evictedTo;
        }

        /** The kept facts that may be part of the incident a review fact makes. */
        List<StoredEvent> kept(ReviewFact f) {
            List<StoredEvent> out = new ArrayList<>();
            for (Piece p : pieces) {
                out.addAll(p.facts.of(f));
            }
            return out;
        }

        private static final class Piece {
            final ReviewRows.Candidates facts;
            long size;
            Instant upTo;

            Piece(ReviewRows.Candidates facts) {
                this.facts = facts;
            }
        }
    }

    /** An incident row: basis and emission id. */
    private record RowId(int basis, long emit) {
    }

    /** Facts in an index range: how many, the oldest agent time and the oldest arrival among them. */
    private record Suspects(long count, Optional<Instant> agentTime, Optional<Instant> arrival,
                            Optional<Instant> latestAgentTime) {
        Optional<Instant> oldest(Basis basis) {
            return basis == Basis.AGENT_CLOCK ? agentTime : arrival;
        }
    }

    /** In chunks of indices: one statement over 10M events outlasts the store's 20 s statement timeout. */
    private static Suspects suspects(Connection c, long above, long upTo) throws SQLException {
        Suspects all = new Suspects(0, Optional.empty(), Optional.empty(), Optional.empty());
        for (long low = above; low < upTo; low += StateCheckpoints.COUNT_CHUNK) {
            try (PreparedStatement ps = c.prepareStatement(SUSPECTS)) {
                ps.setLong(1, low);
                ps.setLong(2, Math.min(upTo, low + StateCheckpoints.COUNT_CHUNK));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Suspects some = new Suspects(rs.getLong(1), optionalInstant(rs, 2), optionalInstant(rs, 3), optionalInstant(rs, 4));
                    all = new Suspects(all.count() + some.count(), least(all.agentTime(), some.agentTime()),
                            least(all.arrival(), some.arrival()), most(all.latestAgentTime(), some.latestAgentTime()));
                }
            }
        }
        return all;
    }

    private static Optional<Instant> least(Optional<Instant> a, Optional<Instant> b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : Optional.of(min(a.get(), b.get()));
    }

    private static Optional<Instant> most(Optional<Instant> a, Optional<Instant> b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : Optional.of(a.get().isAfter(b.get()) ? a.get() : b.get());
    }

    /**
     * Folds one basis on from the latest checkpoint older than every suspect (from the start if none), writing
     * rows for what the fold touches and checkpoints as it goes. Returns whether it folded from the start.
     */
    private boolean foldOn(Connection c, Basis basis, Suspects suspects, long maxIndex, Set<RowId> written, Fold fold)
            throws SQLException {
        if (suspects.oldest(basis).isEmpty()) {
            return false;
        }
        Instant oldest = suspects.oldest(basis).get();
        Instant from = BEFORE_ALL;
        long emitted = 0;
        ReviewFold.Run run = ReviewFold.Run.start(basis, ReviewPolicy.DEFAULT);
        try (PreparedStatement ps = c.prepareStatement(CHECKPOINT)) {
            ps.setInt(1, basis.ordinal());
            ps.setObject(2, utc(oldest));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    from = rs.getObject(1, OffsetDateTime.class).toInstant();
                    emitted = rs.getLong(2);
                    run = ReviewFold.Run.resume(unpack(rs.getBytes(3)));
                }
            }
        }
        boolean fresh = from.equals(BEFORE_ALL);
        if (basis == Basis.AGENT_CLOCK) {
            if (fresh) {
                fold.known = new HashMap<>(); // every row is written from the facts folded now
            }
            fold.from = from;
        }
        // Everything after the resumed checkpoint is folded again: its later checkpoints and rows go.
        try (PreparedStatement ps = c.prepareStatement(DROP_LATER)) {
            ps.setInt(1, basis.ordinal());
            ps.setObject(2, utc(from));
            ps.executeUpdate();
        }
        if (basis == Basis.AGENT_CLOCK) {
            for (String sql : List.of(DELETE_MOVES_FROM, DELETE_ADDRESSES_FROM)) {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setLong(1, emitted);
                    ps.executeUpdate();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(DELETE_INCIDENTS_FROM)) {
            ps.setInt(1, basis.ordinal());
            ps.setLong(2, emitted);
            ps.executeUpdate();
        }
        ReviewFold.Run folding = run;
        // Open periods of the checkpoint may have changed in rows since: write them again (unless the rows are
        // this instance's own as of that very checkpoint: an arrival-basis refresh from its head).
        boolean atHead = basis == Basis.ARRIVAL && fold.ours && from.equals(arrivalHeadAt) && emitted == arrivalHeadEmitted;
        Set<Long> rewrite = atHead ? new HashSet<>() : new HashSet<>(run.open());
        List<StoredEvent> chunk = new ArrayList<>();
        Instant[] last = {null, null}; // last group's time, last checkpoint's time
        Set<List<String>> agents = new HashSet<>(); // (cluster, agent) pairs seen, for the narrative of one cluster
        try (PreparedStatement insert = c.prepareStatement(INSERT_CHECKPOINT)) {
            readFacts(c, basis, from, maxIndex, group -> {
                group.forEach(e -> folding.apply(e.observed()));
                if (basis == Basis.AGENT_CLOCK) {
                    fold.folded(group);
                    group.forEach(e -> e.observed().envelope().cluster()
                            .ifPresent(cl -> agents.add(List.of(cl, e.observed().envelope().agentId()))));
                }
                chunk.addAll(group);
                Instant at = ReviewFold.clock(basis, group.get(0).observed());
                last[0] = at;
                if (chunk.size() >= every) {
                    flush(c, basis, folding, chunk, rewrite, at, maxIndex, written, fold);
                    checkpoint(insert, basis, at, false, folding);
                    last[1] = at;
                }
            });
            if (!chunk.isEmpty() || !rewrite.isEmpty()) {
                flush(c, basis, folding, chunk, rewrite, last[0] == null ? from : last[0], maxIndex, written, fold);
            }
            if (last[0] != null && !last[0].equals(last[1])) {
                checkpoint(insert, basis, last[0], true, folding);
            }
            if (basis == Basis.ARRIVAL && last[0] != null) {
                fold.arrivalHeadAt = last[0];
                fold.arrivalHeadEmitted = folding.emitted();
            }

        }
        remember(c, agents);
        return fresh;
    }

    /**
     * Adds the (cluster, agent) pairs not yet in rm_agent_cluster (under the refresh's lock: no race), in one batch:
     * a refresh under ingest sees most agents again, and a lookup per pair was a round trip each, every second.
     */
    private static void remember(Connection c, Set<List<String>> agents) throws SQLException {
        if (agents.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(REMEMBER_AGENT)) {
            for (List<String> pair : agents) {
                ps.setString(1, pair.get(0));
                ps.setString(2, pair.get(1));
                ps.setString(3, pair.get(0));
                ps.setString(4, pair.get(1));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private interface Group {
        void accept(List<StoredEvent> sameTime) throws SQLException;
    }

    /**
     * Facts after {@code from} in the basis's order, up to {@code maxIndex}, in groups of one basis time each;
     * read in {@link TimeSlices} (a group never spans two).
     */
    private void readFacts(Connection c, Basis basis, Instant from, long maxIndex, Group sink) throws SQLException {
        Optional<Instant> first;
        Optional<Instant> last;
        try (PreparedStatement ps = c.prepareStatement(basis == Basis.AGENT_CLOCK ? SPAN_AGENT_TIME : SPAN_ARRIVAL);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            first = optionalInstant(rs, 1);
            last = optionalInstant(rs, 2);
        }
        if (first.isEmpty() || last.isEmpty()) {
            return;
        }
        TimeSlices.over(from, ReviewRows.END_OF_TIME, first.get(), last.get(), (lo, hi) -> {
            try (PreparedStatement ps = c.prepareStatement(basis == Basis.AGENT_CLOCK ? COUNT_AGENT_TIME : COUNT_ARRIVAL)) {
                ps.setObject(1, utc(lo));
                ps.setObject(2, utc(hi));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }, (lo, hi) -> {
            long[] found = {0};
            readFacts(c, basis, basis == Basis.AGENT_CLOCK ? BY_AGENT_CLOCK : BY_ARRIVAL, ps -> {
                ps.setObject(1, utc(lo));
                ps.setObject(2, utc(hi));
                ps.setLong(3, maxIndex);
            }, group -> {
                found[0] += group.size();
                sink.accept(group);
            });
            return found[0];
        });
    }

    /** The facts a statement selects (ordered by the basis's time), in groups of one basis time each, in basis order. */
    private void readFacts(Connection c, Basis basis, String sql, Binder binder, Group sink) throws SQLException {
        try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(sql))) {
            binder.bind(ps);
            ps.setFetchSize(1000);
            Comparator<StoredEvent> order = Comparator.comparing(StoredEvent::observed, ReviewFold.order(basis));
            List<StoredEvent> group = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    StoredEvent e = event(rs);
                    if (!group.isEmpty() && !ReviewFold.clock(basis, group.get(0).observed())
                            .equals(ReviewFold.clock(basis, e.observed()))) {
                        group.sort(order);
                        sink.accept(List.copyOf(group));
                        group.clear();
                    }
                    group.add(e);
                }
            }
            if (!group.isEmpty()) {
                group.sort(order);
                sink.accept(List.copyOf(group));
            }
        }
    }

    /**
     * Writes the rows of what the run touched (and of {@code rewrite}, emptied then), and adds the chunk's facts
     * to the events of the incidents still open. Events are taken from facts up to {@code upTo} in agent time
     * for the agent-clock basis (later ones come with later chunks), from every fact for the arrival basis.
     */
    private void flush(Connection c, Basis basis, ReviewFold.Run run, List<StoredEvent> chunk, Set<Long> rewrite,
                       Instant upTo, long maxIndex, Set<RowId> written, Fold fold) throws SQLException {
        try (RowWrites rows = new RowWrites(c)) {
            ReviewFold.Drained drained = run.drain();
            TreeMap<Long, ReviewFact> write = new TreeMap<>(drained.facts());
            for (long id : rewrite) {
                if (!write.containsKey(id)) {
                    run.fact(id).ifPresent(f -> write.put(id, f));
                }
            }
            rewrite.clear();
            List<Map.Entry<Long, ReviewFact>> incidents = new ArrayList<>();
            Map<Long, Grown> grown = new HashMap<>(); // agent clock: rows recomputed from their known rows, by id
            boolean clock = basis == Basis.AGENT_CLOCK;
            // Agent clock: the facts after kept (every fact this refresh folded) are in memory; only older ones are read.
            Instant kept = clock ? fold.keptFrom() : null;
            Instant readFrom = null;
            Instant readTo = null;
            // A flap is made of its one agent's facts: those are read by agent (index (agent_id, agent_time)), so one
            // flap whose older facts go back seconds does not make every agent's facts of those seconds read.
            Map<Long, List<StoredEvent>> own = new HashMap<>();
            for (Map.Entry<Long, ReviewFact> w : write.entrySet()) {
                ReviewFact f = w.getValue();
                if (basis == Basis.AGENT_CLOCK && f instanceof ReviewFact.VipMoved m) {
                    rows.move(w.getKey(), m, drained.moveCauses().get(w.getKey()));
                }
                if (basis == Basis.ARRIVAL && !(f instanceof ReviewFact.SplitBrain)) {
                    continue;
                }
                Optional<ReviewRows.Incident> shape = ReviewRows.incident(f, List.of());
                if (shape.isPresent()) {
                    incidents.add(w);
                    Instant s = shape.get().start();
                    Instant e = basis == Basis.ARRIVAL ? shape.get().until().orElse(ReviewRows.END_OF_TIME)
                            : min(shape.get().until().orElse(upTo), upTo);
                    Known k = clock ? fold.known.get(w.getKey()) : null;
                    // Only while every fact after the resume point is kept: its known events after it are replaced.
                    if (k != null && kept != null && kept.equals(fold.from) && k.sameAs(shape.get())
                            && !e.isBefore(k.endBy(fold.from))) {
                        Instant base = k.endBy(fold.from);
                        grown.put(w.getKey(), new Grown(k, base));
                        s = base; // its facts up to there are in its row (the read below is inclusive: filtered)
                    }
                    Instant to = kept == null ? e : min(e, kept);
                    if (shape.get().kind() == ReviewRows.IncidentKind.Flapping && shape.get().agents().size() == 1) {
                        own.put(w.getKey(), s.isAfter(to) ? List.of() : agentRead(c, shape.get().agents().get(0), s, to, maxIndex));
                    } else if (!s.isAfter(to)) {
                        readFrom = readFrom == null || s.isBefore(readFrom) ? s : readFrom;
                        readTo = readTo == null || to.isAfter(readTo) ? to : readTo;
                    }
                }
            }
            if (!incidents.isEmpty()) {
                ReviewRows.Candidates read = new ReviewRows.Candidates(readFrom == null ? List.of()
                        : spanRead(c, readFrom, readTo, maxIndex));
                for (Map.Entry<Long, ReviewFact> w : incidents) {
                    List<StoredEvent> candidates = new ArrayList<>(own.containsKey(w.getKey()) ? own.get(w.getKey())
                            : read.of(w.getValue()));
                    List<StoredEvent> inMemory = kept == null ? List.of() : fold.kept(w.getValue());
                    candidates.addAll(inMemory); // all after kept, the read all at or before it
                    ReviewRows.Incident i;
                    Grown g = grown.get(w.getKey());
                    if (g == null) {
                        i = ReviewRows.incident(w.getValue(), ReviewRows.byAgentTime(candidates)).orElseThrow();
                    } else {
                        ReviewRows.Incident shape = ReviewRows.incident(w.getValue(), List.of()).orElseThrow();
                        TreeSet<Long> ids = new TreeSet<>(g.known().events());
                        for (StoredEvent e : inMemory) {
                            ids.remove(e.id()); // its known events after the resume point: taken again below
                        }
                        for (StoredEvent e : candidates) {
                            if (e.observed().envelope().time().isAfter(g.base()) && ReviewRows.partOf(e, shape)) {
                                ids.add(e.id());
                            }
                        }
                        i = new ReviewRows.Incident(shape.router(), shape.kind(), shape.start(), shape.until(),
                                shape.agents(), shape.detail(), List.copyOf(ids));
                    }
                    rows.incident(basis, w.getKey(), w.getValue().at(), i);
                    written.add(new RowId(basis.ordinal(), w.getKey()));
                    if (clock) {
                        fold.known.put(w.getKey(), new Known(i, new TreeSet<>(i.events()), upTo));
                    }
                }
            }
            rows.execute();
            // Open incidents the chunk did not touch still gain the chunk's facts.
            if (!chunk.isEmpty()) {
                ReviewRows.Candidates fresh = new ReviewRows.Candidates(chunk);
                try (IncidentEvents events = new IncidentEvents(c)) {
                    for (long id : run.open()) {
                        if (write.containsKey(id)) {
                            continue;
                        }
                        ReviewFact f = run.fact(id).orElseThrow();
                        if (basis == Basis.ARRIVAL && !(f instanceof ReviewFact.SplitBrain)) {
                            continue;
                        }
                        Optional<ReviewRows.Incident> shape = ReviewRows.incident(f, List.of());
                        if (shape.isPresent()) {
                            Known k = clock ? fold.known.get(id) : null;
                            List<Long> joined = events.add(basis.ordinal(), id, shape.get(), fresh.of(f), k == null ? null : k.events());
                            if (k != null) {
                                k.events().addAll(joined);
                                fold.known.put(id, new Known(k.shape(), k.events(), upTo));
                            }
                        }
                    }
                    events.execute();
                }
            }
            if (clock) {
                fold.known.keySet().retainAll(run.open()); // closed rows are never written again in this run
            }
            chunk.clear();
        }
    }
    /** Moves of the read model in [from, to], of one cluster and VRID if given. */
    /**
     * What the narrative of [from, to] tells: the facts with agent time in the window (naming one cluster if given),
     * in global index order, and the review facts (of that cluster's routers) that the fold over every fact up to
     * {@code to} touched from the window's start on: what the read models say, as moves and incidents do. Each
     * basis's fold resumes from its latest checkpoint before {@code from} and reads only the facts after it up to
     * the window's end, by index ranges; for one cluster, only those of the agents that ever named it
     * (rm_agent_cluster), all of theirs, since a router changes only by facts of agents that named its cluster
     * (an agent's start, stop or failed tracker acts on every router it is master of). Refreshes the read models
     * first, so the checkpoints account for every stored fact. One difference from the fold of the whole history,
     * which needs an agent clock ahead of the coordinator's by more than the time from the checkpoint to the
     * window's end: an arrival-basis checkpoint holds every fact that arrived before it, even one with an agent
     * time after the window. (The arrival basis reads the facts that arrived after its checkpoint with agent times
     * up to the window's end: for a window far back, more than the window.)
     */
    public Story story(Instant from, Instant to, Optional<String> cluster) throws SQLException {
        refresh();
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                List<StoredEvent> shown = new ArrayList<>();
                Resumed clock = resumeBefore(c, Basis.AGENT_CLOCK, from);
                ReviewFold.Run byClock = clock.run();
                readFacts(c, Basis.AGENT_CLOCK, cluster.isPresent() ? WINDOW_BY_AGENT_CLOCK_OF_CLUSTER : WINDOW_BY_AGENT_CLOCK,
                        ps -> {
                            ps.setObject(1, utc(clock.at()));
                            ps.setObject(2, utc(to));
                            if (cluster.isPresent()) {
                                ps.setString(3, cluster.get());
                            }
                        }, group -> {
                            for (StoredEvent e : group) {
                                byClock.apply(e.observed()); // every fact of the cluster's agents, whatever cluster it names
                                if (!e.observed().envelope().time().isBefore(from)
                                        && (cluster.isEmpty() || cluster.equals(e.observed().envelope().cluster()))) {
                                    shown.add(e);
                                }
                            }
                        });
                Resumed arrival = resumeBefore(c, Basis.ARRIVAL, from);
                ReviewFold.Run byArrival = arrival.run();
                readFacts(c, Basis.ARRIVAL, cluster.isPresent() ? WINDOW_BY_ARRIVAL_OF_CLUSTER : WINDOW_BY_ARRIVAL, ps -> {
                    ps.setObject(1, utc(arrival.at()));
                    ps.setObject(2, utc(to));
                    if (cluster.isPresent()) {
                        ps.setString(3, cluster.get());
                    }
                }, group -> {
                    group.forEach(e -> byArrival.apply(e.observed()));
                });
                List<ReviewFact> review = new ArrayList<>(byClock.touched().values());
                byArrival.touched().values().stream().filter(f -> f instanceof ReviewFact.SplitBrain).forEach(review::add);
                review.sort(Comparator.comparing(ReviewFact::at)); // stable, as ReviewFold.derive orders
                shown.sort(Comparator.comparingLong(StoredEvent::id));
                return new Story(List.copyOf(shown), review.stream().filter(f -> !f.at().isBefore(from)
                        && (cluster.isEmpty() || cluster.get().equals(f.router().cluster()))).toList());
            } finally {
                c.rollback();
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /** A narrative's material: facts in the window (global index order), review facts from its start (by instant). */
    public record Story(List<StoredEvent> facts, List<ReviewFact> review) {
    }

    /** A basis's fold as of its latest checkpoint before some instant (at = that checkpoint's time), or from the start. */
    private record Resumed(Instant at, ReviewFold.Run run) {
    }

    private static Resumed resumeBefore(Connection c, Basis basis, Instant t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CHECKPOINT)) {
            ps.setInt(1, basis.ordinal());
            ps.setObject(2, utc(t));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? new Resumed(rs.getObject(1, OffsetDateTime.class).toInstant(), ReviewFold.Run.resume(unpack(rs.getBytes(3))))
                        : new Resumed(BEFORE_ALL, ReviewFold.Run.start(basis, ReviewPolicy.DEFAULT));
            }
        }
    }

    public List<ReviewRows.Move> moves(Optional<String> cluster, Optional<Integer> vrid, Instant from, Instant to)
            throws SQLException {
        return moves(cluster, vrid, Optional.empty(), from, to);
    }

    /**
     * Moves in [from, to], of one cluster, VRID and address if given. The address narrows by host (its part before
     * '/'): every move with an address of that host, a superset of those an exact match on the prefix length keeps.
     */
    public List<ReviewRows.Move> moves(Optional<String> cluster, Optional<Integer> vrid, Optional<String> address,
                                       Instant from, Instant to) throws SQLException {
        List<ReviewRows.Move> out = new ArrayList<>();
        String sql = address.isPresent() ? MOVES_OF_ADDRESS : cluster.isPresent() ? MOVES_OF_CLUSTER : MOVES;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (address.isPresent()) {
                for (int at = 1; at <= 8; at += 7) { // the two halves of the union
                    ps.setString(at, host(address.get()));
                    ps.setObject(at + 1, utc(from));
                    ps.setObject(at + 2, utc(to));
                    text(ps, at + 3, cluster);
                    integer(ps, at + 5, vrid);
                }
            } else {
                int at = 1;
                if (cluster.isPresent()) {
                    ps.setString(at++, cluster.get());
                }
                integer(ps, at, vrid);
                ps.setObject(at + 2, utc(from));
                ps.setObject(at + 3, utc(to));
            }
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
        eachIncident(cluster, vrid, kind, from, to, r -> out.add(new ReviewRows.Incident(r.router(), r.kind(), r.start(),
                r.until(), parse(r.agentsJson(), STRINGS), r.detail(), parse(r.eventsJson(), LONGS))));
        return out;
    }

    /**
     * An incident row as stored: its agents and event ids as the JSON arrays the row holds, so that a reader
     * writing JSON copies them instead of parsing and encoding ~1,000 rows' lists again.
     */
    public record IncidentRow(RouterKey router, ReviewRows.IncidentKind kind, Instant start, Optional<Instant> until,
                              String agentsJson, String detail, String eventsJson) {
    }

    /** Receives rows as they are read. */
    @FunctionalInterface
    public interface RowSink<T> {
        void accept(T row) throws SQLException;
    }

    /** The rows of {@link #incidents}, in the same order, handed over one by one as the result set is read. */
    public void eachIncident(Optional<String> cluster, Optional<Integer> vrid, Optional<ReviewRows.IncidentKind> kind,
                             Instant from, Instant to, RowSink<IncidentRow> sink) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(cluster.isPresent() ? INCIDENTS_OF_CLUSTER : INCIDENTS)) {
            int at = 1;
            for (int half = 0; half < (cluster.isPresent() ? 2 : 1); half++) { // the cluster's statement is a union
                if (cluster.isPresent()) {
                    ps.setString(at++, cluster.get());
                }
                integer(ps, at, vrid);
                text(ps, at + 2, kind.map(Enum::name));
                ps.setObject(at + 4, utc(to));
                ps.setObject(at + 5, utc(from));
                at += 6;
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime ended = rs.getObject(6, OffsetDateTime.class);
                    sink.accept(new IncidentRow(key(rs), ReviewRows.IncidentKind.valueOf(rs.getString(4)), instant(rs, 5),
                            Optional.ofNullable(ended).map(OffsetDateTime::toInstant), rs.getString(7), rs.getString(8),
                            rs.getString(9)));
                }
            }
        }
    }

    private static long[] lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LOCK); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("rm_review_build has no 'review' row: the read model migration did not run");
            }
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    private static void mark(Connection c, long horizon, long max, long zone) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(MARK)) {
            ps.setLong(1, horizon);
            ps.setLong(2, max);
            ps.setLong(3, zone);
            ps.executeUpdate();
        }
    }

    private static long count(Connection c, long above, long upTo) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(COUNT_RANGE)) {
            ps.setLong(1, above);
            ps.setLong(2, upTo);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void update(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.executeUpdate();
        }
    }

    /** The highest index up to {@code max} with no gap below it that may still fill, scanning up from {@code from}. */
    private long horizon(Connection c, long from, long max) throws SQLException {
        return GapFreeHorizon.scan(c, from, max, clock, fillWindow);
    }

    private void checkpoint(PreparedStatement insert, Basis basis, Instant at, boolean head, ReviewFold.Run run)
            throws SQLException {
        insert.setInt(1, basis.ordinal());
        insert.setObject(2, utc(at));
        insert.setBoolean(3, head);
        insert.setLong(4, run.emitted());
        insert.setBytes(5, pack(run.snapshot()));
        insert.executeUpdate();
    }

    /**
     * A flush's row writes, sent as one JDBC batch per statement (a round trip per batch, not per row): every
     * row is replaced (deleted by emission id, inserted), and the ids of one flush are distinct, so all deletes
     * before all inserts is the same as delete-insert row by row.
     */
    private static final class RowWrites implements AutoCloseable {
        private final List<PreparedStatement> order = new ArrayList<>();
        private final PreparedStatement deleteMove;
        private final PreparedStatement deleteAddresses;
        private final PreparedStatement insertAddress;
        private final PreparedStatement insertMove;
        private final PreparedStatement deleteIncident;
        private final PreparedStatement insertIncident;

        RowWrites(Connection c) throws SQLException {
            try {
                deleteMove = prepare(c, DELETE_MOVE);
                deleteAddresses = prepare(c, DELETE_ADDRESSES);
                insertAddress = prepare(c, INSERT_ADDRESS);
                insertMove = prepare(c, INSERT_MOVE);
                deleteIncident = prepare(c, DELETE_INCIDENT);
                insertIncident = prepare(c, INSERT_INCIDENT);
            } catch (SQLException | RuntimeException e) {
                close();
                throw e;
            }
        }

        private PreparedStatement prepare(Connection c, String sql) throws SQLException {
            PreparedStatement ps = c.prepareStatement(sql);
            order.add(ps);
            return ps;
        }

        void move(long id, ReviewFact.VipMoved m, String cause) throws SQLException {
            deleteMove.setLong(1, id);
            deleteMove.addBatch();
            deleteAddresses.setLong(1, id);
            deleteAddresses.addBatch();
            String addresses = json(m.addresses());
            for (String host : new TreeSet<>(m.addresses().stream().map(ReviewReadModel::host).toList())) {
                insertAddress.setString(1, host);
                insertAddress.setObject(2, utc(m.at()));
                insertAddress.setLong(3, id);
                insertAddress.setString(4, m.router().cluster());
                insertAddress.setInt(5, m.router().vrid());
                insertAddress.setString(6, m.router().family().name());
                insertAddress.setString(7, m.fromAgent());
                insertAddress.setString(8, m.toAgent());
                insertAddress.setString(9, addresses);
                insertAddress.setString(10, cause);
                gap(insertAddress, 11, m);
                insertAddress.addBatch();
            }
            router(insertMove, m.router());
            insertMove.setObject(4, utc(m.at()));
            insertMove.setString(5, m.fromAgent());
            insertMove.setString(6, m.toAgent());
            insertMove.setString(7, addresses);
            insertMove.setString(8, cause);
            gap(insertMove, 9, m);
            insertMove.setLong(10, id);
            insertMove.addBatch();
        }

        private static void gap(PreparedStatement ps, int at, ReviewFact.VipMoved m) throws SQLException {
            if (m.gap().isPresent()) {
                ps.setDouble(at, m.gap().get().toNanos() / 1_000_000.0);
            } else {
                ps.setNull(at, Types.DOUBLE);
            }
        }

        void incident(Basis basis, long id, Instant factAt, ReviewRows.Incident i) throws SQLException {
            deleteIncident.setInt(1, basis.ordinal());
            deleteIncident.setLong(2, id);
            deleteIncident.addBatch();
            router(insertIncident, i.router());
            insertIncident.setString(4, i.kind().name());
            insertIncident.setObject(5, utc(i.start()));
            if (i.until().isPresent()) {
                insertIncident.setObject(6, utc(i.until().get()));
            } else {
                insertIncident.setNull(6, Types.TIMESTAMP_WITH_TIMEZONE);
            }
            insertIncident.setString(7, json(i.agents()));
            insertIncident.setString(8, i.detail());
            insertIncident.setString(9, json(i.events()));
            insertIncident.setInt(10, basis.ordinal());
            insertIncident.setLong(11, id);
            insertIncident.setObject(12, utc(factAt));
            insertIncident.addBatch();
        }

        /** Sends the batches: deletes, then inserts (addresses before their moves, as row by row did). */
        void execute() throws SQLException {
            for (PreparedStatement ps : order) {
                ps.executeBatch();
            }
        }

        @Override
        public void close() throws SQLException {
            SQLException first = null;
            for (PreparedStatement ps : order) {
                try {
                    ps.close();
                } catch (SQLException e) {
                    first = first == null ? e : first;
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    /**
     * Adds to stored incidents' events those of their candidate facts that are part of them: a row is read only when
     * some fact joins it, and the changed rows are written in one JDBC batch (each row at most once per batch).
     */
    private static final class IncidentEvents implements AutoCloseable {
        private final PreparedStatement select;
        private final PreparedStatement update;
        private int pending;

        IncidentEvents(Connection c) throws SQLException {
            select = c.prepareStatement(EVENTS_OF);
            try {
                update = c.prepareStatement(SET_EVENTS);
            } catch (SQLException | RuntimeException e) {
                select.close();
                throw e;
            }
        }

        /**
         * Adds the candidates that are part of the incident to its row, read first unless its events are
         * {@code stored} (as this instance wrote them); returns the facts that are part of it.
         */
        List<Long> add(int basis, long id, ReviewRows.Incident shape, List<StoredEvent> candidates, Set<Long> stored)
                throws SQLException {
            List<Long> joining = new ArrayList<>();
            for (StoredEvent e : candidates) {
                if (ReviewRows.partOf(e, shape)) {
                    joining.add(e.id());
                }
            }
            if (joining.isEmpty()) {
                return joining;
            }
            TreeSet<Long> ids;
            if (stored != null) {
                ids = new TreeSet<>(stored);
            } else {
                select.setInt(1, basis);
                select.setLong(2, id);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return joining;
                    }
                    ids = new TreeSet<>(parse(rs.getString(1), LONGS));
                }
            }
            if (ids.addAll(joining)) {
                update.setString(1, json(List.copyOf(ids)));
                update.setInt(2, basis);
                update.setLong(3, id);
                update.addBatch();
                pending++;
            }
            return joining;
        }

        void execute() throws SQLException {
            if (pending > 0) {
                update.executeBatch();
                pending = 0;
            }
        }

        @Override
        public void close() throws SQLException {
            try {
                select.close();
            } finally {
                update.close();
            }
        }
    }

    /**
     * The facts newly seen by this refresh (index in (low, max]) join the events of the arrival-basis incidents
     * written before it whose span covers their agent time. Agent-clock incidents need no patch: those closed
     * before the resumed checkpoint end before every new fact, the open ones were rewritten or gained the new
     * facts chunk by chunk, the later ones were folded again.
     */
    private void patchCovering(Connection c, long low, long max, Suspects suspects, Set<RowId> written)
            throws SQLException {
        if (suspects.count() == 0) {
            return;
        }
        record Covering(int basis, long emit, ReviewRows.Incident shape) {
        }
        List<Covering> covering = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(COVERING)) {
            ps.setObject(1, utc(suspects.latestAgentTime().orElseThrow()));
            ps.setObject(2, utc(suspects.agentTime().orElseThrow()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (written.contains(new RowId(rs.getInt(1), rs.getLong(2)))) {
                        continue;
                    }
                    OffsetDateTime ended = rs.getObject(8, OffsetDateTime.class);
                    RouterKey key = new RouterKey(rs.getString(3), rs.getInt(4), AddressFamily.valueOf(rs.getString(5)));
                    covering.add(new Covering(rs.getInt(1), rs.getLong(2), new ReviewRows.Incident(key,
                            ReviewRows.IncidentKind.valueOf(rs.getString(6)), instant(rs, 7),
                            Optional.ofNullable(ended).map(OffsetDateTime::toInstant), parse(rs.getString(9), STRINGS),
                            rs.getString(10), List.of())));
                }
            }
        }
        if (covering.isEmpty()) {
            return;
        }
        ReviewRows.Candidates seen = new ReviewRows.Candidates(read(c, IN_RANGE, ps -> {
            ps.setLong(1, low);
            ps.setLong(2, max);
        }));
        try (IncidentEvents events = new IncidentEvents(c)) {
            for (Covering k : covering) {
                events.add(k.basis(), k.emit(), k.shape(), seen.of(k.shape().router(), k.shape().agents()), null);
            }
            events.execute();
        }
    }

    private List<StoredEvent> spanRead(Connection c, Instant from, Instant to, long maxIndex) throws SQLException {
        return read(c, IN_SPAN, ps -> {
            ps.setObject(1, utc(from));
            ps.setObject(2, utc(to));
            ps.setLong(3, maxIndex);
        });
    }

    /** One agent's facts with agent time in [from, to]. */
    private List<StoredEvent> agentRead(Connection c, String agent, Instant from, Instant to, long maxIndex) throws SQLException {
        return read(c, AGENT_SPAN, ps -> {
            ps.setString(1, agent);
            ps.setObject(2, utc(from));
            ps.setObject(3, utc(to));
            ps.setLong(4, maxIndex);
        });
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<StoredEvent> read(Connection c, String sql, Binder binder) throws SQLException {
        List<StoredEvent> out = new ArrayList<>();
        try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(sql))) {
            binder.bind(ps);
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(event(rs));
                }
            }
        }
        return out;
    }

    private StoredEvent event(ResultSet rs) throws SQLException {
        try {
            Observed o = new Observed(StoredPayload.decode(rs.getBytes(4), codec),
                    rs.getObject(5, OffsetDateTime.class).toInstant());
            return new StoredEvent(rs.getLong(1), rs.getString(2), rs.getLong(3), o);
        } catch (IOException | MalformedEnvelopeException e) {
            throw new UndecodableStoredFact(e);
        }
    }

    private static Optional<Instant> optionalInstant(ResultSet rs, int column) throws SQLException {
        return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class)).map(OffsetDateTime::toInstant);
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static byte[] pack(ReviewFold.Snapshot s) {
        return PackedSnapshot.pack(STATE, s);
    }

    private static ReviewFold.Snapshot unpack(byte[] packed) {
        return PackedSnapshot.unpack(STATE, packed, ReviewFold.Snapshot.class, "review checkpoint");
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

    /** An address without its prefix length. */
    static String host(String address) {
        int slash = address.indexOf('/');
        return slash < 0 ? address : address.substring(0, slash);
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
