package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.projection.NodeReadModel;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariConfig;
import dev.vigil.coordinator.store.DatabaseVendor;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import dev.vigil.model.EnvelopeCodec;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The projection work shared by every coordinator on one database (issue 12): the node projection
 * "node-projection", its tokens in {@code token_entry} (Axon's JdbcTokenStore), split into segments by agent stream
 * (aggregate identifier), so one agent's facts are always folded in order by one instance. Its live path is
 * {@link NodeTail}, a batched fold of the event table on one dedicated thread (Axon's pooled streaming processor did
 * this before, at ~3x the CPU per event); a start from no tokens on a large store folds it in bulk first
 * ({@link NodeBackfill}). Segments are capped at a fair share per live instance ({@link FairShare},
 * {@link LiveInstances}). The instance that holds segment 0 also brings the review read models and state checkpoints
 * up to date, so queries find them current instead of refilling.
 *
 * <p>Global-index gaps (research/stack.md §1.7): a gap is re-read until the event after it is older than
 * {@link #GAP_TIMEOUT_MS}; 60 s is three times the pool's server-side statement and idle-in-transaction timeouts
 * (20 s), so no transaction can commit into a gap it has given up on, and the same window the query API's paging
 * horizon uses. {@link #MAX_GAP_OFFSET} is raised from Axon's 10,000 so that a gap is not dropped for being far behind
 * the head before its 60 s are up at high ingest rates (10,000 events are well under a minute of ingest).
 */
public final class ProjectionProcessors implements AutoCloseable {
    public static final String NODE_PROJECTION = "node-projection";
    static final int GAP_TIMEOUT_MS = 60_000;
    static final int MAX_GAP_OFFSET = 1_000_000;
    private static final int POOL_SIZE = 4;
    /** Pause between passes that found nothing new; a pass that read a full batch is followed at once. */
    static final long TICK_MS = 100;
    /** Pause after a failed pass (database down, claim lost): the next one re-reads the tokens. */
    private static final long BACKOFF_MS = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(ProjectionProcessors.class);

    /** A read model the owner of segment 0 keeps current (ReviewReadModel::refresh, StateCheckpoints::refresh). */
    @FunctionalInterface
    public interface Refresh {
        void refresh() throws SQLException;
    }

    private final ProcessorSettings settings;
    private final NodeTail tail;
    private final LiveInstances live;
    private final ScheduledExecutorService loop;
    private final ScheduledExecutorService chores;
    private final HikariDataSource pool;
    private final Object lifecycle = new Object();
    private boolean closing;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    /** CPU time of the tailing loop's thread (written on it, read after it stopped). */
    private volatile long loopCpuNanos;

    private ProjectionProcessors(HikariDataSource pool, ProcessorSettings settings, NodeTail tail, LiveInstances live,
                                 ScheduledExecutorService loop, ScheduledExecutorService chores) {
        this.settings = settings;
        this.tail = tail;
        this.live = live;
        this.loop = loop;
        this.chores = chores;
        this.pool = pool;
    }

    /**
     * Builds and starts the processors on a small pool of their own (reading the stream, claims, two workers,
     * the heartbeat and refreshes), so projection work never starves ingest of connections.
     * The schema must be migrated (V1 token_entry, V7 node tables).
     */
    public static ProjectionProcessors start(StoreSettings store, ProcessorSettings settings, List<Refresh> refreshes)
            throws SQLException {
        return start(store, settings, refreshes, NodeBackfill.DEFAULT_THRESHOLD);
    }

    /**
     * As above; {@code backfillThreshold}: the fewest stored events for which a start from no tokens folds them in bulk
     * ({@link NodeBackfill}; {@code Long.MAX_VALUE}: never, the tailing loop replays in its batches, as benchmarks compare).
     */
    public static ProjectionProcessors start(StoreSettings store, ProcessorSettings settings, List<Refresh> refreshes,
                                      long backfillThreshold) throws SQLException {
        HikariDataSource pool = pool(store);
        try {
            return start(pool, settings, refreshes, backfillThreshold);
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * At most 4 connections, 1 kept idle: the stream reader, claims, a batch per worker and the read model
     * refresh rarely overlap, and waiting for one is harmless here; the database's connection limit is
     * shared by every instance. The same server-side timeouts as the store's pool.
     */
    private static HikariDataSource pool(StoreSettings store) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(store.jdbcUrl());
        hc.setUsername(store.user());
        hc.setPassword(store.password());
        hc.setMaximumPoolSize(POOL_SIZE);
        hc.setMinimumIdle(1);
        hc.setPoolName("vigil-processors");
        hc.setConnectionTimeout(30_000);
        if (store.vendor() == DatabaseVendor.POSTGRESQL) {
            hc.setConnectionInitSql("SET statement_timeout = '20s'; SET idle_in_transaction_session_timeout = '20s'");
        }
        return new HikariDataSource(hc);
    }

    private static ProjectionProcessors start(HikariDataSource dataSource, ProcessorSettings settings,
                                              List<Refresh> refreshes, long backfillThreshold) throws SQLException {
        ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(dataSource);
        JdbcTokenStore tokens = JdbcTokenStore.builder().connectionProvider(tx).serializer(EventTables.serializer())
                .schema(EventTables.tokens()).nodeId(settings.nodeId()).claimTimeout(settings.claimTimeout())
                .contentType(byte[].class).build();
        LiveInstances live = new LiveInstances(dataSource, settings.nodeId(), settings.segments(), settings.claimTimeout());
        live.beat(); // before the first claim: a joining instance must not take more than its share of free segments
        NodeReadModel model = new NodeReadModel(EnvelopeCodec.standard());
        NodeTail tail = new NodeTail(tx, tokens, model, settings.segments(), live::share, settings.claimInterval(),
                settings.claimExtension(), Clock.systemUTC());
        ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, named("vigil-processor"));
        loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        // Two threads: a long read model refresh must not delay the heartbeat (the others would count this one dead).
        ScheduledExecutorService chores = Executors.newScheduledThreadPool(2, named("vigil-processor-chores"));
        ProjectionProcessors p = new ProjectionProcessors(dataSource, settings, tail, live, loop, chores);
        // On the loop's thread, before the loop: a start from no tokens on a large store folds it in bulk first
        // (NodeBackfill), so the coordinator's HTTP side is up meanwhile and the heartbeat goes on.
        loop.execute(() -> {
            try {
                NodeBackfill.run(dataSource, tx, tokens, settings.segments(), model, backfillThreshold, Clock.systemUTC(),
                        p::closing);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("node projection catch-up failed; the loop folds from the tokens on its own: {}", e.toString());
            }
            p.turn();
        });
        long beat = settings.claimInterval().toMillis();
        chores.scheduleWithFixedDelay(p::beat, beat, beat, TimeUnit.MILLISECONDS);
        long refresh = settings.refreshEvery().toMillis();
        chores.scheduleWithFixedDelay(() -> p.refreshIfOwner(refreshes), refresh, refresh, TimeUnit.MILLISECONDS);
        LOG.info("projection {} started as {}: {} segments, claim timeout {} ms", NODE_PROJECTION,
                settings.nodeId(), settings.segments(), settings.claimTimeout().toMillis());
        return p;
    }

    private boolean closing() {
        synchronized (lifecycle) {
            return closing;
        }
    }

    /** One round of the tailing loop, then the next one scheduled: at once after a full batch, else after a tick. */
    private void turn() {
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long delay;
        try {
            delay = tail.round() ? 0 : TICK_MS;
        } catch (SQLException | RuntimeException e) {
            LOG.warn("node projection pass failed (retried from the stored tokens): {}", e.toString());
            delay = BACKOFF_MS;
        }
        loopCpuNanos += THREADS.getCurrentThreadCpuTime() - cpu0;
        synchronized (lifecycle) {
            if (!closing) {
                loop.schedule(this::turn, delay, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void beat() {
        try {
            live.beat();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("heartbeat failed (keeping the last count of {} instances): {}", live.live(), e.toString());
        }
    }

    private void refreshIfOwner(List<Refresh> refreshes) {
        if (!tail.owned().contains(0)) {
            return;
        }
        for (Refresh r : refreshes) {
            try {
                r.refresh();
            } catch (SQLException | RuntimeException e) {
                LOG.warn("read model refresh failed (the next query or round retries): {}", e.toString());
            }
        }
    }

    /** The segments this instance holds now. */
    public Set<Integer> ownedSegments() {
        return new TreeSet<>(tail.owned());
    }

    public String nodeId() {
        return settings.nodeId();
    }

    /** Live instances as last counted from the heartbeat table. */
    public int liveInstances() {
        return live.live();
    }

    /**
     * Stops without interrupting a thread in the middle of I/O: H2 closes the whole database when a thread
     * is interrupted in a file write, which would take the store down under any other user in this JVM.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            closing = true;
        }
        chores.shutdown();
        awaitQuietly(chores);
        loop.shutdown();
        awaitQuietly(loop);
        tail.releaseAll(); // the loop has stopped: the others need not wait for the claim timeout
        LOG.info("{}: {} rows read in {} committed passes, loop thread CPU {} ms ({} us per row)", NODE_PROJECTION,
                tail.rowsRead(), tail.passesCommitted(), loopCpuNanos / 1_000_000,
                tail.rowsRead() == 0 ? 0 : String.format("%.1f", loopCpuNanos / 1e3 / tail.rowsRead()));
        try {
            live.leave();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("could not remove the heartbeat row: {}", e.toString());
        } finally {
            pool.close();
        }
    }

    private static void awaitQuietly(ScheduledExecutorService executor) {
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("processor threads still busy after 30 s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
