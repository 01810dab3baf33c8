package dev.vigil.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.domain.AgentStream;
import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import dev.vigil.coordinator.ingest.IngestLedger;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.config.Configuration;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.statements.JdbcEventStorageEngineStatements;
import org.axonframework.modelling.command.ConcurrencyException;
import org.axonframework.serialization.json.JacksonSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The coordinator's event store: Axon 4 without Spring or Axon Server, JDBC storage with Jackson
 * on every serializer slot (XStream is never instantiated), HikariCP, Flyway-owned schema.
 * One agent = one event-sourced {@link AgentStream}, decided in memory ({@link StreamCache}) and appended
 * by {@link EventAppends} into Axon's event table (no command bus: the profile in bench/RESULTS.md showed its
 * unit of work per batch); appends and the ingest ledger commit together.
 */
public final class AuditStore implements AutoCloseable {
    /** Attempts when two writers raced on one agent's stream; the loser reloads and dedupes. */
    private static final int ATTEMPTS = 5;
    /** Loaded agent streams kept in memory; one entry is a few hundred bytes plus a head per boot. */
    private static final int CACHED_STREAMS = 20_000;
    /** Events per group commit, at most (plus one batch): a bound on one transaction's size and latency. */
    private static final int GROUP_EVENTS = 20_000;

    private static final Logger LOG = LoggerFactory.getLogger(AuditStore.class);
    private static final DuplicateKeyResolver DUPLICATES = new DuplicateKeyResolver();

    private final HikariDataSource dataSource;
    private final ThreadBoundJdbcTransactions tx;
    private final Configuration axon;
    private final IngestLedger ledger;
    private final EventAppends events;
    private final StreamCache streams;
    private final Clock clock;
    private final boolean onPostgres;
    private final int snapshotEvery;
    /**
     * Appender lanes on PostgreSQL: agents are split over this many appender threads by their id, each with its
     * own group commit and connection, so one group's ledger COPY and encoding overlap another's event COPY and
     * commit (one lane was busy ~90 % of the time with the other core half idle, bench/RESULTS.md). H2: one.
     */
    private static final int POSTGRES_LANES = 2;
    /**
     * Per lane, the batches waiting for its appender thread, the only thread that appends that lane's agents
     * (group commit, see {@link #record}).
     */
    private final List<LinkedBlockingQueue<PendingAppend>> lanes = new ArrayList<>();
    private final List<Thread> appenders = new ArrayList<>();
    private volatile boolean closed;

    private AuditStore(HikariDataSource dataSource, ThreadBoundJdbcTransactions tx, Configuration axon, Clock clock,
                       StoreSettings settings) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.axon = axon;
        this.clock = clock;
        this.ledger = new IngestLedger(clock);
        this.events = new EventAppends(axonObjectMapper().writer());
        this.streams = new StreamCache(CACHED_STREAMS);
        this.onPostgres = settings.vendor() == DatabaseVendor.POSTGRESQL;
        this.snapshotEvery = settings.snapshotEvery();
        axon.eventStore(); // built now: Axon's lazy configuration is not safe to build from two appenders at once
        int n = onPostgres ? POSTGRES_LANES : 1;
        for (int i = 0; i < n; i++) {
            LinkedBlockingQueue<PendingAppend> lane = new LinkedBlockingQueue<>();
            Thread t = new Thread(() -> appendLoop(lane), n == 1 ? "vigil-appender" : "vigil-appender-" + i);
            t.setDaemon(true);
            lanes.add(lane);
            appenders.add(t);
        }
        appenders.forEach(Thread::start);
    }

    /** A connection pool on the store, for readers (verify, checkpoints) that need no Axon. */
    public static HikariDataSource pool(StoreSettings settings) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(settings.jdbcUrl());
        hc.setUsername(settings.user());
        hc.setPassword(settings.password());
        hc.setMaximumPoolSize(settings.maxPoolSize());
        hc.setPoolName("vigil-store");
        // An unreachable database must turn into a quick 503, so the agent keeps the facts and retries.
        hc.setConnectionTimeout(5_000);
        if (settings.vendor() == DatabaseVendor.POSTGRESQL) {
            // Server-side limits well below Axon's 60 s gap timeout: a stuck writer cannot hold a gap open.
            hc.setConnectionInitSql("SET statement_timeout = '20s'; SET idle_in_transaction_session_timeout = '20s'");
            // One multi-row INSERT per batch of ledger rows and of events instead of a round trip per row.
            hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        }
        return new HikariDataSource(hc);
    }

    public static AuditStore open(StoreSettings settings, Clock clock) {
        HikariDataSource ds = pool(settings);
        try {
            StoreMigrations.migrate(ds, settings.vendor());
            ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
            Configuration axon = configure(tx, settings);
            axon.start();
            return new AuditStore(ds, tx, axon, clock, settings);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /**
     * Appends a batch to one agent's stream; idempotent on (agent, boot, seq). One transaction holds
     * the ledger rows and the event append: all or nothing. Blocking: call off the event loop.
     *
     * <p>Group commit: the batch joins the queue of its agent's lane, which one appender thread drains (an agent
     * always maps to the same lane). It decides every pending batch of the lane (one agent's batches in arrival
     * order, each on the stream the one before left) and
     * writes them in one transaction, so concurrent batches share one append lock hold and one WAL flush.
     * A group that fails for anything but an unreachable database is rolled back and its batches are then
     * appended one by one, so a dedupe race or a ledger clash fails only its own batch. The cache gets a
     * stream only after its commit, and any failure evicts it.
     */
    public IngestOutcome record(RecordFacts command) {
        PendingAppend p = new PendingAppend(command, new CompletableFuture<>());
        if (closed) {
            throw new StoreUnavailableException("the store is closed", null);
        }
        lanes.get(Math.floorMod(command.agentId().hashCode(), lanes.size())).add(p);
        if (closed) { // closed meanwhile: the appender may be gone
            failPending();
        }
        try {
            return p.reply().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while waiting for the append", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** A batch waiting for the appender, and where its outcome goes. */
    private record PendingAppend(RecordFacts command, CompletableFuture<IngestOutcome> reply) {
    }

    private void appendLoop(LinkedBlockingQueue<PendingAppend> pending) {
        List<PendingAppend> group = new ArrayList<>();
        while (!closed) {
            try {
                PendingAppend first = pending.take();
                group.add(first);
                int events = first.command().facts().size();
                for (PendingAppend p; events < GROUP_EVENTS && (p = pending.poll()) != null; ) {
                    group.add(p);
                    events += p.command().facts().size();
                }
                if (group.size() == 1) {
                    appendAlone(first);
                } else {
                    appendGroup(group);
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                // Never lose the appender: whatever escaped, answer the group and go on.
                LOG.error("appender: {}", e.toString(), e);
                group.forEach(p -> p.reply().completeExceptionally(e));
            } finally {
                group.clear();
            }
        }
        failPending();
    }

    private void failPending() {
        for (LinkedBlockingQueue<PendingAppend> pending : lanes) {
            for (PendingAppend p; (p = pending.poll()) != null; ) {
                p.reply().completeExceptionally(new StoreUnavailableException("the store is closed", null));
            }
        }
    }

    /**
     * Tests: {@code commands} appended as one group on the calling thread (the appender thread would group
     * them only if they arrived together), each with its own answer. Call only while nothing else appends.
     */
    List<CompletableFuture<IngestOutcome>> recordAsOneGroup(List<RecordFacts> commands) {
        List<PendingAppend> group = commands.stream()
                .map(c -> new PendingAppend(c, new CompletableFuture<>())).toList();
        appendGroup(group);
        return group.stream().map(PendingAppend::reply).toList();
    }

    /** One batch in its own transaction, with the retries of {@link #recordLocked}. */
    private void appendAlone(PendingAppend p) {
        try {
            p.reply().complete(recordAlone(p.command()));
        } catch (RuntimeException e) {
            p.reply().completeExceptionally(e);
        }
    }

    private IngestOutcome recordAlone(RecordFacts command) {
        try {
            return recordLocked(command);
        } catch (RuntimeException e) {
            streams.remove(command.agentId());
            throw e;
        }
    }

    /** Every batch of {@code group} in one transaction; on failure, each alone (see {@link #record}). */
    private void appendGroup(List<PendingAppend> group) {
        Map<String, AgentStream> before = new HashMap<>();
        Map<String, AgentStream> after = new HashMap<>();
        List<PendingAppend> decided = new ArrayList<>(group.size());
        List<IngestOutcome> outcomes = new ArrayList<>(group.size());
        List<FactRecorded> recorded = new ArrayList<>();
        Transaction t;
        try {
            t = tx.startTransaction();
        } catch (RuntimeException e) {
            group.forEach(p -> p.reply().completeExceptionally(e));
            return;
        }
        try {
            for (PendingAppend p : group) {
                String agent = p.command().agentId();
                AgentStream stream = after.get(agent);
                if (stream == null) {
                    stream = streams.get(agent).orElseGet(() -> load(agent));
                    before.put(agent, stream);
                }
                AgentStream.Decision d;
                try {
                    d = stream.decide(p.command());
                } catch (RuntimeException e) { // a batch the stream refuses: its own answer, the group goes on
                    p.reply().completeExceptionally(e);
                    continue;
                }
                after.put(agent, d.next());
                decided.add(p);
                outcomes.add(d.outcome());
                recorded.addAll(d.outcome().recorded());
            }
            if (!recorded.isEmpty()) {
                try (Connection c = tx.getConnection()) {
                    write(c, recorded, clock.instant(), new Step[1]);
                }
            }
            t.commit();
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(t);
            before.keySet().forEach(streams::remove);
            if (!DUPLICATES.isDuplicateKeyViolation(e) && (isUnavailable(e) || (involvesSql(e) && !reachable()))) {
                // Each batch alone would wait for the pool's timeout in turn: answer them all now.
                StoreUnavailableException down = new StoreUnavailableException("the database is unavailable: "
                        + e.getMessage(), e);
                decided.forEach(p -> p.reply().completeExceptionally(down));
                return;
            }
            LOG.debug("group of {} batches rolled back ({}); appending each alone", decided.size(), e.toString());
            decided.forEach(this::appendAlone);
            return;
        }
        for (Map.Entry<String, AgentStream> e : after.entrySet()) {
            streams.put(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, AgentStream> e : after.entrySet()) {
            snapshotIfDue(before.get(e.getKey()), e.getValue());
        }
        for (int i = 0; i < decided.size(); i++) {
            decided.get(i).reply().complete(outcomes.get(i));
        }
    }

    private IngestOutcome recordLocked(RecordFacts command) {
        String agent = command.agentId();
        boolean ledgerClashedOnFreshLoad = false;
        for (int attempt = 1; ; attempt++) {
            Optional<AgentStream> cached = streams.get(agent);
            Transaction t = tx.startTransaction();
            Step step = Step.LOAD;
            try {
                AgentStream stream = cached.isPresent() ? cached.get() : load(agent);
                AgentStream.Decision d = stream.decide(command);
                List<FactRecorded> recorded = d.outcome().recorded();
                if (!recorded.isEmpty()) {
                    try (Connection c = tx.getConnection()) {
                        Step[] at = {Step.LOAD};
                        try {
                            write(c, recorded, clock.instant(), at);
                        } finally {
                            step = at[0];
                        }
                    }
                }
                step = Step.COMMIT;
                t.commit();
                streams.put(agent, d.next());
                snapshotIfDue(stream, d.next());
                return d.outcome();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(t);
                streams.remove(agent);
                if (DUPLICATES.isDuplicateKeyViolation(e) && step != Step.COMMIT) {
                    // A stale cached stream, or another writer committed this agent's facts after our load:
                    // reload and dedupe. A ledger clash on two fresh loads in a row is not a race: the ledger
                    // holds a fact the stream does not, and retrying won't help.
                    if (step == Step.LEDGER && cached.isEmpty()) {
                        if (ledgerClashedOnFreshLoad) {
                            throw new IllegalStateException("ingest ledger already holds a fact of this batch for agent "
                                    + agent + ": " + e.getMessage(), e);
                        }
                        ledgerClashedOnFreshLoad = true;
                    }
                    if (attempt < ATTEMPTS) {
                        continue;
                    }
                    throw new ConcurrencyException("agent " + agent + ": the stream kept changing under "
                            + ATTEMPTS + " attempts: " + e.getMessage(), e);
                }
                if (isUnavailable(e) || (involvesSql(e) && !reachable())) {
                    throw new StoreUnavailableException("the database is unavailable: " + e.getMessage(), e);
                }
                if (!involvesSql(e) || attempt == ATTEMPTS) {
                    throw e instanceof SQLException sql
                            ? new StoreUnavailableException(step.name().toLowerCase(Locale.ROOT) + ": " + sql.getMessage(), sql)
                            : (RuntimeException) e;
                }
                // The database answers again (e.g. restarted under a pooled connection): try once more.
            }
        }
    }

    /**
     * The ledger rows and the events of {@code recorded}, on the transaction's connection; {@code step[0]} says
     * which is under way. Outside the append lock: the ledger rows and the encoded events. PostgreSQL: both by
     * binary COPY, the events encoded while the server inserts the ledger rows; H2: two JDBC batches.
     */
    private void write(Connection c, List<FactRecorded> recorded, Instant now, Step[] step) throws SQLException {
        step[0] = Step.LEDGER;
        if (!onPostgres) {
            ledger.record(c, recorded);
            step[0] = Step.APPEND;
            try (PreparedStatement append = events.prepare(c, recorded, now)) {
                append.executeBatch();
            }
            return;
        }
        BinaryCopy ledgerRows = ledger.copy(c, recorded);
        BinaryCopy eventRows;
        try {
            eventRows = events.encode(recorded, now);
            ledgerRows.finish();
        } catch (SQLException | RuntimeException e) {
            ledgerRows.abandon();
            throw e;
        }
        step[0] = Step.APPEND;
        SerializedAppends.lock(c);
        try {
            eventRows.start(c, EventAppends.COPY).finish();
        } catch (SQLException | RuntimeException e) {
            eventRows.abandon();
            throw e;
        }
    }

    /** Where a failed attempt was: a unique violation while appending means a race, not a bad store. */
    private enum Step { LOAD, LEDGER, APPEND, COMMIT }

    /** The agent's stream from its latest snapshot and the events after it (Axon reads both). */
    private AgentStream load(String agent) {
        AgentStream stream = AgentStream.empty(agent);
        DomainEventStream stored = axon.eventStore().readEvents(agent);
        while (stored.hasNext()) {
            Object payload = stored.next().getPayload();
            if (payload instanceof AgentStream snapshot) {
                stream = snapshot.copy();
            } else if (payload instanceof FactRecorded e) {
                stream.evolve(e);
            } else {
                throw new IllegalStateException("agent " + agent + ": unexpected event " + payload.getClass().getName());
            }
        }
        return stream;
    }

    /**
     * Every {@code snapshotEvery} events a snapshot of the stream, so that loading a years-long stream reads
     * one snapshot and a few events. Its own transaction, after the commit: a failed snapshot (e.g. another
     * coordinator wrote the same one) loses nothing, the next one will do.
     */
    private void snapshotIfDue(AgentStream before, AgentStream after) {
        if (before.length() / snapshotEvery == after.length() / snapshotEvery) {
            return;
        }
        try {
            axon.eventStore().storeSnapshot(new GenericDomainEventMessage<>(AgentStream.TYPE, after.agentId(),
                    after.length() - 1, after));
        } catch (RuntimeException e) {
            LOG.warn("snapshot of agent {} at {} not written: {}", after.agentId(), after.length() - 1, e.getMessage());
        }
    }

    private static boolean involvesSql(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                return true;
            }
        }
        return false;
    }

    private boolean reachable() {
        // After a database restart every pooled connection is dead: drop them, probe with a fresh one.
        dataSource.getHikariPoolMXBean().softEvictConnections();
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void rollbackQuietly(Transaction t) {
        try {
            t.rollback();
        } catch (RuntimeException ignored) {
            // The connection is already gone; the database discards the transaction.
        }
    }

    /** Connection failures (SQLSTATE class 08), server shutdown (57P) and pool timeouts: worth retrying later. */
    static boolean isUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreUnavailableException || t instanceof java.sql.SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    /** How many agent streams are held in memory (for the footprint benchmark). */
    public int cachedStreams() {
        return streams.size();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        closed = true;
        appenders.forEach(Thread::interrupt);
        try {
            for (Thread t : appenders) {
                t.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failPending();
        try {
            axon.shutdown();
        } finally {
            dataSource.close();
        }
    }

    static ObjectMapper axonObjectMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
    }

    private static JdbcEventStorageEngine.Builder engine(StoreSettings settings) {
        JdbcEventStorageEngine.Builder b = JdbcEventStorageEngine.builder()
                .persistenceExceptionResolver(new DuplicateKeyResolver());
        // Ingest appends with EventAppends; anything appended through Axon takes the append lock as well.
        return settings.vendor() == DatabaseVendor.POSTGRESQL
                ? b.appendEvents((c, schema, type, events, serializer, timestamps) -> {
                    SerializedAppends.lock(c);
                    return JdbcEventStorageEngineStatements.appendEvents(c, schema, type, events, serializer, timestamps);
                })
                : b;
    }

    private static Configuration configure(ThreadBoundJdbcTransactions tx, StoreSettings settings) {
        JacksonSerializer json = EventTables.serializer();
        EventSchema schema = EventTables.events();
        return DefaultConfigurer.defaultConfiguration(false)
                .configureTransactionManager(c -> tx)
                // No correlation or trace ids in every event's meta_data: nothing reads them, and writing
                // them was a Jackson serialization per event (profile in bench/RESULTS.md).
                .configureCorrelationDataProviders(c -> List.of())
                .configureSerializer(c -> json)
                .configureMessageSerializer(c -> json)
                .configureEventSerializer(c -> json)
                .configureEmbeddedEventStore(c -> engine(settings)
                        .connectionProvider(tx).transactionManager(tx).schema(schema)
                        .eventSerializer(json).snapshotSerializer(json)
                        .batchSize(500)
                        .build())
                .buildConfiguration();
    }
}
