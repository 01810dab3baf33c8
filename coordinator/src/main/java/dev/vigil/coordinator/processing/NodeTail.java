package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeFold.Node;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.projection.StoredPayload;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import dev.vigil.model.InstantText;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntSupplier;

/**
 * The node projection's live path: a tailing loop that folds the event table in batches, {@link NodeBackfill}'s way,
 * run continuously on one dedicated thread (never a Vert.x loop). Each {@link #round()}:
 * <ol>
 * <li>claims, when due (every claim interval): segments of {@code token_entry} claimed, extended and released through
 * Axon's {@link TokenStore} API (fetchToken claims, extendClaim, releaseClaim, the claim timeout of
 * {@link ProcessorSettings}), capped at the fair share ({@link FairShare}, {@link LiveInstances}); several
 * coordinators share the segments and take over a dead one's after the claim timeout, as with Axon's processor;</li>
 * <li>folds: ONE read of the rows above the lowest owned token (global-index order, at most {@link #BATCH}, plus the
 * owned tokens' gaps, which are re-read until they fill; while reads come back full, further reads in the same pass,
 * up to {@link #CATCH_UP} rows), each payload decoded once (only rows of an owned segment,
 * by the hash of the aggregate identifier as Axon's {@code SequentialPerAggregatePolicy} splits them), folded into
 * the {@link NodeFold} nodes kept in memory for the agents of the owned segments, and in ONE transaction every owned
 * segment's advanced token stored (first: {@code storeToken} checks the claim and locks the row, so an instance that
 * lost a segment cannot write it) and only the changed rows written ({@link NodeReadModel#apply}).</li>
 * </ol>
 *
 * <p>Why not Axon's pooled streaming processor: under ingest it cost ~31 us of JVM CPU per event (a unit of work per
 * event, a token advance per event per work package, a walk of each work package's queue per event fetched), against
 * ~9 us for the same fold in bulk (bench/RESULTS.md). Here an event costs one decode and one fold; a batch a few
 * statements.
 *
 * <p>Tokens stay Axon's: {@link GapAwareTrackingToken}s in {@code token_entry} under the processor name
 * {@link ProjectionProcessors#NODE_PROJECTION}, serialized by the same JdbcTokenStore, so {@link NodeBackfill},
 * {@link NodeProjectionProgress}, {@link NodeProjectionReplay} and an older coordinator (Axon's processor) read them;
 * a ReplayToken left by one continues from its current token. Gaps follow the engine's GapAwareTrackingToken rules:
 * a missing index below a row is a gap, re-read on every pass until it fills, unless the row right above it is older
 * than {@link ProjectionProcessors#GAP_TIMEOUT_MS} (then no transaction can still commit into it: research/stack.md
 * §1.7); gaps more than {@link ProjectionProcessors#MAX_GAP_OFFSET} below the token are dropped.
 *
 * <p>Not thread-safe: {@link #round()} and {@link #releaseAll()} run on one thread at a time; {@link #owned()} may be
 * read from any.
 */
final class NodeTail {
    /** Rows per read; a full read is followed by the next in the same pass, up to {@link #CATCH_UP} rows. */
    static final int BATCH = 5_000;
    /**
     * Rows per pass (one transaction) at most: a pass far behind the head folds this many before writing, so each node
     * is written once per 50,000 rows instead of once per read (the bulk catch-up's trick); a full pass is followed by
     * the next at once. A pass also stops reading on after a third of the claim timeout (a slow machine), so its tokens,
     * stored at its end, refresh the claims in time.
     */
    static final int CATCH_UP = 50_000;
    private static final String FACT_RECORDED = "dev.vigil.coordinator.domain.FactRecorded";
    private static final String NAME = ProjectionProcessors.NODE_PROJECTION;
    private static final String ROWS = "SELECT global_index, time_stamp, payload_type, aggregate_identifier, payload"
            + " FROM domain_event_entry WHERE global_index > ? ORDER BY global_index FETCH FIRST " + BATCH + " ROWS ONLY";
    private static final String GAP_ROWS = "SELECT global_index, time_stamp, payload_type, aggregate_identifier, payload"
            + " FROM domain_event_entry WHERE global_index = ANY(?) ORDER BY global_index";
    private static final String ABOVE = "SELECT time_stamp FROM domain_event_entry WHERE global_index > ?"
            + " ORDER BY global_index FETCH FIRST 1 ROWS ONLY";
    private static final Logger LOG = LoggerFactory.getLogger(NodeTail.class);

    /** A segment this instance holds: Axon's segment (for matching), its token, when its claim was last refreshed. */
    private record Owned(Segment segment, GapAwareTrackingToken token, long claimedAt) {
    }

    /** A row as read; its stored time is parsed only where a gap needs it (parsing every row's was 20 % of a pass). */
    private record Row(long index, String storedText, String type, String aggregate, byte[] payload) {
        Instant stored() {
            return InstantText.parse(storedText);
        }
    }

    /**
     * A segment's token advanced row by row during a pass, as GapAwareTrackingToken.advanceTo and withGapsTruncatedAt
     * would (without a new token and gap set per row and segment).
     */
    private static final class Position {
        final Segment segment;
        final GapAwareTrackingToken start;
        long index;
        final TreeSet<Long> gaps;

        Position(Owned o) {
            segment = o.segment();
            start = o.token();
            index = start.getIndex();
            gaps = new TreeSet<>(start.getGaps());
        }

        /** True if the segment had not seen {@code r} (a new row or a filled gap). */
        boolean advance(Row r, Instant bound) {
            long i = r.index();
            if (i > index) {
                for (long g = index + 1; g < i; g++) {
                    gaps.add(g);
                }
                index = i;
                if (!gaps.isEmpty() && gaps.first() < index - ProjectionProcessors.MAX_GAP_OFFSET) {
                    gaps.headSet(index - ProjectionProcessors.MAX_GAP_OFFSET).clear();
                }
            } else if (!gaps.remove(i)) {
                return false;
            }
            if (!gaps.isEmpty() && gaps.first() < i && r.stored().isBefore(bound)) {
                gaps.headSet(i).clear(); // gaps below a row older than the window can no longer fill
            }
            return true;
        }

        GapAwareTrackingToken token() {
            return index == start.getIndex() && gaps.equals(start.getGaps()) ? start
                    : GapAwareTrackingToken.newInstance(index, gaps);
        }
    }

    private final ThreadBoundJdbcTransactions tx;
    private final TokenStore tokens;
    private final NodeReadModel model;
    private final int segments;
    private final IntSupplier share;
    private final Duration claimInterval;
    private final Duration claimExtension;
    private final Clock clock;
    private final Map<Integer, Owned> owned = new TreeMap<>();
    /** The owned segments' nodes as the tables hold them (filled as agents are met; forgotten on any doubt). */
    private final Map<String, Node> nodes = new HashMap<>();
    /** When the row right above a gap was stored (a gap is given up once that is older than the gap window). */
    private final Map<Long, Instant> gapSince = new HashMap<>();
    private volatile Set<Integer> ownedView = Set.of();
    private long lastClaims = Long.MIN_VALUE;
    private long rowsRead;
    private long passesCommitted;

    /**
     * {@code segments}: how many segments to create when none exist; {@code share}: how many this instance may hold
     * now (FairShare over LiveInstances).
     */
    NodeTail(ThreadBoundJdbcTransactions tx, TokenStore tokens, NodeReadModel model, int segments, IntSupplier share,
             Duration claimInterval, Duration claimExtension, Clock clock) {
        this.tx = tx;
        this.tokens = tokens;
        this.model = model;
        this.segments = segments;
        this.share = share;
        this.claimInterval = claimInterval;
        this.claimExtension = claimExtension;
        this.clock = clock;
    }

    /** The segments held now (any thread). */
    Set<Integer> owned() {
        return ownedView;
    }

    /** Rows read and passes committed so far (for the stop log: what the loop cost per row). */
    long rowsRead() {
        return rowsRead;
    }

    long passesCommitted() {
        return passesCommitted;
    }

    /** Claims when due, then one fold pass. True when the pass read a full batch (more is waiting). */
    boolean round() throws SQLException {
        long now = System.nanoTime();
        if (lastClaims == Long.MIN_VALUE || now - lastClaims >= claimInterval.toNanos()) {
            lastClaims = now;
            claims();
        }
        return fold();
    }

    /** Releases every claim (a clean stop: the others take the segments at once, not after the claim timeout). */
    void releaseAll() {
        for (Integer s : List.copyOf(owned.keySet())) {
            try {
                tokens.releaseClaim(NAME, s);
            } catch (RuntimeException e) {
                LOG.debug("could not release segment {}: {}", s, e.toString());
            }
            lose(s);
        }
    }

    private void claims() {
        int[] ids = tokens.fetchSegments(NAME);
        if (ids.length == 0) {
            initialize();
            ids = tokens.fetchSegments(NAME);
        }
        long now = System.nanoTime();
        for (Owned o : List.copyOf(owned.values())) {
            if (now - o.claimedAt() >= claimExtension.toNanos()) {
                int s = o.segment().getSegmentId();
                try {
                    inTransaction(() -> tokens.extendClaim(NAME, s));
                    owned.put(s, new Owned(o.segment(), o.token(), now));
                } catch (UnableToClaimTokenException e) {
                    LOG.info("segment {} of {} was taken over: {}", s, NAME, e.getMessage());
                    lose(s);
                }
            }
        }
        int cap = share.getAsInt();
        while (owned.size() > cap) {
            int s = ((TreeMap<Integer, Owned>) owned).lastKey();
            tokens.releaseClaim(NAME, s);
            lose(s);
            LOG.info("segment {} of {} released (fair share {})", s, NAME, cap);
        }
        if (owned.size() >= cap) {
            return;
        }
        Map<Integer, Long> claimed = new TreeMap<>();
        for (Segment free : tokens.fetchAvailableSegments(NAME)) {
            int s = free.getSegmentId();
            if (owned.size() >= cap) {
                break;
            }
            if (owned.containsKey(s)) {
                continue;
            }
            try {
                TrackingToken[] t = new TrackingToken[1];
                inTransaction(() -> t[0] = tokens.fetchToken(NAME, s));
                owned.put(s, new Owned(Segment.computeSegment(s, ids), position(t[0]), System.nanoTime()));
                ownedView = Set.copyOf(owned.keySet());
                claimed.put(s, owned.get(s).token().getIndex());
            } catch (UnableToClaimTokenException e) {
                LOG.debug("segment {} not claimed: {}", s, e.getMessage());
            }
        }
        if (!claimed.isEmpty()) {
            LOG.info("{}: claimed segments (at global index) {}; holding {}", NAME, claimed, owned.keySet());
        }
    }

    /** No tokens yet (a new store, a reset): the segments created at the start of the stream; a racing instance wins. */
    private void initialize() {
        try {
            inTransaction(() -> tokens.initializeTokenSegments(NAME, segments,
                    GapAwareTrackingToken.newInstance(0, Collections.emptySortedSet())));
            LOG.info("{}: {} segments created at the start of the stream", NAME, segments);
        } catch (RuntimeException e) {
            LOG.info("{}: segments not created here ({}); another instance did", NAME, e.toString());
        }
    }

    private boolean fold() throws SQLException {
        if (owned.isEmpty()) {
            return false;
        }
        long lowest = Long.MAX_VALUE;
        SortedSet<Long> gaps = new TreeSet<>();
        for (Owned o : owned.values()) {
            lowest = Math.min(lowest, o.token().getIndex());
            gaps.addAll(o.token().getGaps());
        }
        long from = lowest;
        long started = System.nanoTime();
        Transaction t = tx.startTransaction();
        boolean committed = false;
        try (Connection c = tx.getConnection()) {
            List<Row> rows = new ArrayList<>();
            int read = read(c, ROWS, ps -> ps.setLong(1, from), rows);
            // Rows up to here were read without a hole (all of them, if the read was not full): a segment must not
            // advance past it on a gap row above it, or the rows in between would count as its gaps.
            long end = read == BATCH ? rows.get(rows.size() - 1).index() : Long.MAX_VALUE;
            if (!gaps.isEmpty()) {
                Array ids = c.createArrayOf("BIGINT", gaps.toArray());
                List<Row> filled = new ArrayList<>();
                read(c, GAP_ROWS, ps -> ps.setArray(1, ids), filled);
                ids.free();
                long readTo = end;
                filled.removeIf(r -> r.index() > readTo); // re-read by a later pass
                rows.addAll(filled);
                rows.sort((a, b) -> Long.compare(a.index(), b.index()));
            }
            Instant bound = clock.instant().minusMillis(ProjectionProcessors.GAP_TIMEOUT_MS);
            List<Position> positions = new ArrayList<>();
            owned.values().forEach(o -> positions.add(new Position(o)));
            List<NodeFold.Fact> facts = new ArrayList<>();
            long last = -1;
            int total = 0;
            while (true) {
                rowsRead += rows.size();
                total += read;
                for (Row r : rows) {
                    if (r.index() == last) {
                        continue; // a gap row inside the range, read twice
                    }
                    last = r.index();
                    boolean mine = false;
                    for (Position k : positions) {
                        if (k.advance(r, bound)) {
                            mine |= k.segment.matches(r.aggregate().hashCode());
                        }
                    }
                    if (mine && FACT_RECORDED.equals(r.type())) {
                        facts.add(model.storedFact(r.payload()));
                    }
                }
                if (read < BATCH || total >= CATCH_UP || System.nanoTime() - started >= claimExtension.toNanos()) {
                    break; // a pass stores its tokens (which refreshes the claims) well within the claim timeout
                }
                // Behind the head: read on in the same pass, so a catch-up writes each node once per CATCH_UP rows.
                long after = end;
                rows = new ArrayList<>();
                read = read(c, ROWS, ps -> ps.setLong(1, after), rows);
                if (read == 0) {
                    break;
                }
                end = read == BATCH ? rows.get(rows.size() - 1).index() : Long.MAX_VALUE;
            }
            Map<Integer, GapAwareTrackingToken> next = new TreeMap<>();
            positions.forEach(k -> next.put(k.segment.getSegmentId(), k.token()));
            expireGaps(c, next, rows, bound);
            long stamp = System.nanoTime();
            boolean changed = false;
            for (Map.Entry<Integer, GapAwareTrackingToken> e : next.entrySet()) {
                if (!e.getValue().equals(owned.get(e.getKey()).token())) {
                    tokens.storeToken(e.getValue(), NAME, e.getKey()); // checks and locks the claim, before any row
                    changed = true;
                }
            }
            if (!changed) {
                t.rollback();
                committed = true;
                return false;
            }
            model.apply(c, nodes, facts);
            t.commit();
            committed = true;
            passesCommitted++;
            for (Map.Entry<Integer, GapAwareTrackingToken> e : next.entrySet()) {
                Owned o = owned.get(e.getKey());
                owned.put(e.getKey(), new Owned(o.segment(), e.getValue(),
                        e.getValue().equals(o.token()) ? o.claimedAt() : stamp));
            }
            return read == BATCH;
        } catch (SQLException | RuntimeException e) {
            if (!committed) {
                try {
                    t.rollback();
                } catch (RuntimeException r) {
                    e.addSuppressed(r);
                }
            }
            resync();
            throw e;
        }
    }

    /**
     * Gaps given up: those whose next stored row is older than the gap window (looked up once per gap, from this pass's
     * rows or the table), as the engine's gap cleaning does.
     */
    private void expireGaps(Connection c, Map<Integer, GapAwareTrackingToken> next, List<Row> rows, Instant bound)
            throws SQLException {
        Set<Long> all = new TreeSet<>();
        next.values().forEach(k -> all.addAll(k.getGaps()));
        gapSince.keySet().retainAll(all);
        if (all.isEmpty()) {
            return;
        }
        Set<Long> expired = new TreeSet<>();
        for (Long g : all) {
            Instant since = gapSince.get(g);
            if (since == null) {
                since = above(c, g, rows);
                if (since == null) {
                    continue;
                }
                gapSince.put(g, since);
            }
            if (since.isBefore(bound)) {
                expired.add(g);
            }
        }
        if (expired.isEmpty()) {
            return;
        }
        for (Map.Entry<Integer, GapAwareTrackingToken> e : next.entrySet()) {
            GapAwareTrackingToken k = e.getValue();
            if (!Collections.disjoint(k.getGaps(), expired)) {
                SortedSet<Long> kept = new TreeSet<>(k.getGaps());
                kept.removeAll(expired);
                e.setValue(GapAwareTrackingToken.newInstance(k.getIndex(), kept));
            }
        }
    }

    /** When the row right above {@code gap} was stored: from this pass's rows, else one indexed lookup. */
    private static Instant above(Connection c, long gap, List<Row> rows) throws SQLException {
        for (Row r : rows) {
            if (r.index() > gap) {
                return r.stored();
            }
        }
        try (PreparedStatement ps = c.prepareStatement(ABOVE)) {
            ps.setLong(1, gap);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? InstantText.parse(rs.getString(1)) : null;
            }
        }
    }

    private interface Bind {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static int read(Connection c, String sql, Bind bind, List<Row> into) throws SQLException {
        int n = 0;
        try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(sql))) {
            bind.bind(ps);
            ps.setFetchSize(BATCH);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    into.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBytes(5)));
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * After a failed pass: the in-memory nodes are forgotten (the rows may not be what they say) and every owned
     * segment's token read again (a claim lost meanwhile drops the segment).
     */
    private void resync() {
        nodes.clear();
        for (Integer s : List.copyOf(owned.keySet())) {
            try {
                TrackingToken[] t = new TrackingToken[1];
                inTransaction(() -> t[0] = tokens.fetchToken(NAME, s));
                Owned o = owned.get(s);
                owned.put(s, new Owned(o.segment(), position(t[0]), System.nanoTime()));
            } catch (RuntimeException e) {
                LOG.info("segment {} of {} dropped after a failed pass: {}", s, NAME, e.toString());
                lose(s);
            }
        }
    }

    private void lose(int segment) {
        owned.remove(segment);
        ownedView = Set.copyOf(owned.keySet());
        nodes.clear(); // its agents' rows are someone else's now; regained later, they are read again
    }

    private void inTransaction(Runnable work) {
        Transaction t = tx.startTransaction();
        try {
            work.run();
        } catch (RuntimeException e) {
            t.rollback();
            throw e;
        }
        t.commit();
    }

    /** A stored token as a position: Axon's ReplayToken (an older coordinator's first start) by its current token. */
    static GapAwareTrackingToken position(TrackingToken token) {
        TrackingToken t = token instanceof ReplayToken r ? r.getCurrentToken() : token;
        if (t == null) {
            return GapAwareTrackingToken.newInstance(0, Collections.emptySortedSet());
        }
        if (t instanceof GapAwareTrackingToken g) {
            return g;
        }
        throw new IllegalStateException(NAME + ": unexpected token type " + t.getClass().getName());
    }
}
