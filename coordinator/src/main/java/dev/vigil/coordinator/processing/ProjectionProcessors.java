package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.projection.NodeReadModel;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariConfig;
import dev.vigil.coordinator.store.DatabaseVendor;
import dev.vigil.coordinator.store.EventTables;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.store.ThreadBoundJdbcTransactions;
import dev.vigil.model.EnvelopeCodec;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.axonframework.eventhandling.pooled.PooledStreamingEventProcessor;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.serialization.json.JacksonSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The projection work shared by every coordinator on one database (issue 12): Axon's pooled
 * streaming processor "node-projection" over the JDBC event store, its tokens in {@code token_entry}
 * (JdbcTokenStore), split into segments by agent stream (aggregate identifier), so one agent's facts are
 * always handled in order by one instance. Segments are capped at a fair share per live instance
 * ({@link FairShare}, {@link LiveInstances}). The instance that holds segment 0 also brings the review
 * read models and state checkpoints up to date, so queries find them current instead of refilling.
 *
 * <p>Global-index gaps (research/stack.md §1.7): the engine's GapAwareTrackingToken re-reads a gap until
 * the event after it is older than {@link #GAP_TIMEOUT_MS}; 60 s is three times the pool's server-side
 * statement and idle-in-transaction timeouts (20 s), so no transaction can commit into a gap it has
 * given up on, and the same window the query API's paging horizon uses. {@link #MAX_GAP_OFFSET}
 * is raised from Axon's 10,000 so that a gap is not dropped for being far behind the head before its
 * 60 s are up at high ingest rates (10,000 events are well under a minute of ingest); gaps are cleaned
 * (those past the timeout dropped) once more than 250 accumulate (Axon's default threshold; on
 * PostgreSQL, appends are serialized, so gaps come only from rolled-back appends and stay few).
 */
public final class ProjectionProcessors implements AutoCloseable {
    public static final String NODE_PROJECTION = "node-projection";
    static final int GAP_TIMEOUT_MS = 60_000;
    static final int MAX_GAP_OFFSET = 1_000_000;
    static final int GAP_CLEANING_THRESHOLD = 250;
    private static final int POOL_SIZE = 4;
    /**
     * Events per work package batch (one transaction with its token). A batch's nodes are read and written with a
     * few statements whatever its size (NodeReadModel.apply), so a larger batch is fewer round trips per event;
     * it was 100.
     */
    static final int BATCH_SIZE = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(ProjectionProcessors.class);

    /** A read model the owner of segment 0 keeps current (ReviewReadModel::refresh, StateCheckpoints::refresh). */
    @FunctionalInterface
    public interface Refresh {
        void refresh() throws SQLException;
    }

    private final ProcessorSettings settings;
    private final PooledStreamingEventProcessor processor;
    private final EmbeddedEventStore eventStore;
    private final LiveInstances live;
    private final ScheduledExecutorService coordinatorThread;
    private final ScheduledExecutorService workers;
    private final ScheduledExecutorService chores;
    private final HikariDataSource pool;
    private final Object lifecycle = new Object();
    private boolean closing;

    private ProjectionProcessors(HikariDataSource pool, ProcessorSettings settings, PooledStreamingEventProcessor processor,
                                 EmbeddedEventStore eventStore, LiveInstances live,
                                 ScheduledExecutorService coordinatorThread, ScheduledExecutorService workers,
                                 ScheduledExecutorService chores) {
        this.settings = settings;
        this.processor = processor;
        this.eventStore = eventStore;
        this.live = live;
        this.coordinatorThread = coordinatorThread;
        this.workers = workers;
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
     * ({@link NodeBackfill}; {@code Long.MAX_VALUE}: never, the pooled processor replays, as benchmarks compare).
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
        JacksonSerializer json = EventTables.serializer();
        JdbcEventStorageEngine engine = JdbcEventStorageEngine.builder()
                .connectionProvider(tx).transactionManager(tx).schema(EventTables.events())
                .gapTimeout(GAP_TIMEOUT_MS).maxGapOffset(MAX_GAP_OFFSET).gapCleaningThreshold(GAP_CLEANING_THRESHOLD)
                .extendedGapCheckEnabled(true)
                .batchSize(500)
                .eventSerializer(json).snapshotSerializer(json)
                .build();
        // Appends go through AuditStore's own event store, so this one learns of them by polling.
        EmbeddedEventStore eventStore = EmbeddedEventStore.builder().storageEngine(engine)
                .fetchDelay(200).cachedEvents(2_000).threadFactory(named("vigil-event-reader")).build();
        JdbcTokenStore tokens = JdbcTokenStore.builder().connectionProvider(tx).serializer(json)
                .schema(EventTables.tokens()).nodeId(settings.nodeId()).claimTimeout(settings.claimTimeout())
                .contentType(byte[].class).build();
        LiveInstances live = new LiveInstances(dataSource, settings.nodeId(), settings.segments(), settings.claimTimeout());
        live.beat(); // before the first claim: a joining instance must not take more than its share of free segments
        NodeReadModel model = new NodeReadModel(EnvelopeCodec.standard());
        NodeProjection handler = new NodeProjection(model, tx, json);
        ScheduledExecutorService coordinatorThread = Executors.newSingleThreadScheduledExecutor(named("vigil-processor"));
        ScheduledExecutorService workers = Executors.newScheduledThreadPool(2, named("vigil-projection"));
        PooledStreamingEventProcessor processor = PooledStreamingEventProcessor.builder()
                .name(NODE_PROJECTION)
                .eventHandlerInvoker(SimpleEventHandlerInvoker.builder().eventHandlers(handler)
                        // One agent's stream = one sequence: its facts stay in order, on one segment.
                        .sequencingPolicy(SequentialPerAggregatePolicy.instance())
                        // A failing handler fails the batch (retried), never skips an event.
                        .listenerInvocationErrorHandler(PropagatingErrorHandler.instance())
                        .build())
                .errorHandler(PropagatingErrorHandler.instance())
                .messageSource(eventStore)
                .tokenStore(tokens)
                .transactionManager(tx)
                .coordinatorExecutor(coordinatorThread)
                .workerExecutor(workers)
                .initialSegmentCount(settings.segments())
                .batchSize(BATCH_SIZE)
                .tokenClaimInterval(settings.claimInterval().toMillis())
                .claimExtensionThreshold(settings.claimExtension().toMillis())
                .enableCoordinatorClaimExtension()
                .maxSegmentProvider(live)
                .build();
        // Two threads: a long read model refresh must not delay the heartbeat (the others would count this one dead).
        ScheduledExecutorService chores = Executors.newScheduledThreadPool(2, named("vigil-processor-chores"));
        ProjectionProcessors p = new ProjectionProcessors(dataSource, settings, processor, eventStore, live, coordinatorThread,
                workers, chores);
        // On the processor's coordinator thread, before the processor: a start from no tokens on a large store folds
        // it in bulk first (NodeBackfill), so the coordinator's HTTP side is up meanwhile and the heartbeat goes on.
        coordinatorThread.execute(() -> {
            try {
                NodeBackfill.run(dataSource, tx, tokens, settings.segments(), model, backfillThreshold, Clock.systemUTC(),
                        p::closing);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("node projection catch-up failed; the processor replays on its own: {}", e.toString());
            }
            p.startProcessor();
        });
        long beat = settings.claimInterval().toMillis();
        chores.scheduleWithFixedDelay(p::beat, beat, beat, TimeUnit.MILLISECONDS);
        long refresh = settings.refreshEvery().toMillis();
        chores.scheduleWithFixedDelay(() -> p.refreshIfOwner(refreshes), refresh, refresh, TimeUnit.MILLISECONDS);
        LOG.info("projection processor {} started as {}: {} segments, claim timeout {} ms", NODE_PROJECTION,
                settings.nodeId(), settings.segments(), settings.claimTimeout().toMillis());
        return p;
    }

    private boolean closing() {
        synchronized (lifecycle) {
            return closing;
        }
    }

    private void startProcessor() {
        synchronized (lifecycle) {
            if (!closing) {
                processor.start();
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
        if (!processor.processingStatus().containsKey(0)) {
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
        return new TreeSet<>(processor.processingStatus().keySet());
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
        try {
            processor.shutDown(); // releases its claims, so the others need not wait for the timeout
        } catch (RuntimeException e) {
            LOG.warn("processor did not stop cleanly: {}", e.toString());
        }
        eventStore.shutDown();
        coordinatorThread.shutdown();
        workers.shutdown();
        awaitQuietly(coordinatorThread);
        awaitQuietly(workers);
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
