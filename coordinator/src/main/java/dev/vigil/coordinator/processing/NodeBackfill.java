package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeFold.Node;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.projection.StoredPayload;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The node projection's catch-up from nothing (a new store seeded by COPY, or {@code rebuild-read-models}), without
 * a transaction per batch: the whole stream folded in memory straight from the event table, then the read model and
 * the processor's first tokens committed together, so the tailing loop ({@link NodeTail}) starts near the head.
 *
 * <p>Why: Axon's pooled processor, the live path before {@link NodeTail}, replayed a 1M store at ~10,000 events/s
 * (10M took hours, bench/RESULTS.md); the tailing loop does the same fold but writes and stores tokens per batch of
 * {@link NodeTail#BATCH} rows. Here one reader scans {@code domain_event_entry} in
 * global-index slices (primary-key ranges, no sort), decodes each payload in one streaming pass, and keeps only
 * each node's state (one {@link Node} per agent): 40,000-120,000 events/s measured on 2 shared cores (10M in 85 s).
 *
 * <p>When: only while {@code token_entry} has no row of the processor (nobody has started it on this store, or a
 * rebuild reset it) and the store holds at least {@code threshold} events; otherwise the tailing loop creates
 * the tokens at the start of the stream and folds from there. Several instances starting together may all fold; the first commit wins (token_entry's
 * primary key), the others roll back and tail from its tokens.
 *
 * <p>Gaps: the fold stops before the first missing global index whose next event is younger than the gap window
 * ({@link ProjectionProcessors#GAP_TIMEOUT_MS}, as the processor's GapAwareTrackingToken and the query API's
 * horizon do), so no transaction can still commit below the tokens it writes; older gaps can no longer fill
 * (research/stack.md §1.7). Every segment's token is a GapAwareTrackingToken at the last folded index with no
 * gaps: the tailing loop goes on from there (gaps above it are its own business, as always).
 */
final class NodeBackfill {
    /** Below this many stored events the tailing loop's own replay is quick enough (and stays the tested path). */
    static final long DEFAULT_THRESHOLD = 50_000;
    static final int SLICE = 50_000;
    private static final String FACT_RECORDED = "dev.vigil.coordinator.domain.FactRecorded";
    private static final String HEAD = "SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry";
    private static final String TOKENS = "SELECT COUNT(*) FROM token_entry WHERE processor_name = ?";
    private static final String SLICE_ROWS = "SELECT global_index, time_stamp, payload_type, payload FROM domain_event_entry"
            + " WHERE global_index > ? AND global_index <= ? ORDER BY global_index";
    private static final Logger LOG = LoggerFactory.getLogger(NodeBackfill.class);

    private NodeBackfill() {
    }

    /** What a run did: folded up to {@code index} (the tokens' position), or nothing (tokens existed, small store, lost race). */
    record Outcome(boolean committed, long index, long facts, Duration took) {
    }

    static Outcome run(DataSource ds, ThreadBoundJdbcTransactions tx, TokenStore tokens, int segments, NodeReadModel model,
                       long threshold, Clock clock, BooleanSupplier stop) throws SQLException {
        long t0 = System.nanoTime();
        long head;
        try (Connection c = ds.getConnection()) {
            if (hasTokens(c)) {
                return new Outcome(false, -1, 0, Duration.ZERO);
            }
            try (PreparedStatement ps = c.prepareStatement(HEAD); ResultSet rs = ps.executeQuery()) {
                rs.next();
                head = rs.getLong(1);
            }
        }
        if (head < threshold) {
            return new Outcome(false, -1, 0, Duration.ZERO);
        }
        LOG.info("node projection: no tokens and {} events stored: folding them from the event table", head);
        Map<String, Node> nodes = new HashMap<>();
        long folded = 0; // the highest index below which every index is stored or a gap that can no longer fill
        long facts = 0;
        Instant fillBound = clock.instant().minusMillis(ProjectionProcessors.GAP_TIMEOUT_MS);
        boolean blocked = false;
        try (Connection c = ds.getConnection()) {
            while (folded < head && !blocked) {
                if (stop.getAsBoolean()) {
                    return new Outcome(false, -1, facts, Duration.ofNanos(System.nanoTime() - t0));
                }
                long to = Math.min(head, folded + SLICE);
                try (PreparedStatement ps = StoredPayload.binaryPayloads(c.prepareStatement(SLICE_ROWS))) {
                    ps.setLong(1, folded);
                    ps.setLong(2, to);
                    ps.setFetchSize(SLICE);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            long index = rs.getLong(1);
                            if (index > folded + 1 && Instant.parse(rs.getString(2)).isAfter(fillBound)) {
                                blocked = true; // a gap that may still fill: stop below it
                                break;
                            }
                            if (FACT_RECORDED.equals(rs.getString(3))) {
                                NodeFold.Fact f = model.storedFact(rs.getBytes(4));
                                nodes.put(f.agentId(), NodeFold.apply(Optional.ofNullable(nodes.get(f.agentId())), f));
                                facts++;
                            }
                            folded = index;
                        }
                    }
                }
                if (!blocked) {
                    folded = to; // indices up to the slice's end that were not rows are old gaps (or none at the top)
                }
            }
        }
        Transaction t = tx.startTransaction();
        try {
            try (Connection c = tx.getConnection()) {
                if (hasTokens(c)) {
                    t.rollback();
                    LOG.info("node projection: another instance initialised it meanwhile; its tokens are used");
                    return new Outcome(false, -1, facts, Duration.ofNanos(System.nanoTime() - t0));
                }
                tokens.initializeTokenSegments(ProjectionProcessors.NODE_PROJECTION, segments,
                        GapAwareTrackingToken.newInstance(folded, Collections.emptySortedSet()));
                model.replace(c, nodes);
            }
            t.commit();
        } catch (RuntimeException | SQLException e) {
            try {
                t.rollback();
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            // A lost race (the other's token rows) or a failure: either way the tailing loop starts from the
            // tokens it finds, or initialises them and replays itself. Nothing of this run is left.
            LOG.info("node projection: catch-up not committed ({}); the tailing loop starts on its own", e.toString());
            return new Outcome(false, -1, facts, Duration.ofNanos(System.nanoTime() - t0));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("node projection: {} facts of {} nodes folded up to global index {} in {} ms; tokens set there",
                facts, nodes.size(), folded, took.toMillis());
        return new Outcome(true, folded, facts, took);
    }

    private static boolean hasTokens(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TOKENS)) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }
}
