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
import java.util.concurrent.locks.ReentrantLock;

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
    /** Striped per-agent locks: one agent's batches go through this coordinator one transaction at a time. */
    private static final int STRIPES = 64;

    private static final Logger LOG = LoggerFactory.getLogger(AuditStore.class);
    private static final DuplicateKeyResolver DUPLICATES = new DuplicateKeyResolver();

    private final HikariDataSource dataSource;
    private final ThreadBoundJdbcTransactions tx;
    private final Configuration axon;
    private final IngestLedger ledger;
    private final EventAppends events;
    private final StreamCache streams;
    private final Clock clock;
    private final boolean serializeAppends;
    private final int snapshotEvery;
    private final ReentrantLock[] agentLocks = new ReentrantLock[STRIPES];

    private AuditStore(HikariDataSource dataSource, ThreadBoundJdbcTransactions tx, Configuration axon, Clock clock,
                       StoreSettings settings) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.axon = axon;
        this.clock = clock;
        this.ledger = new IngestLedger(clock);
        this.events = new EventAppends(axonObjectMapper().writer());
        this.streams = new StreamCache(CACHED_STREAMS);
        this.serializeAppends = settings.vendor() == DatabaseVendor.POSTGRESQL;
        this.snapshotEvery = settings.snapshotEvery();
        for (int i = 0; i < STRIPES; i++) {
            agentLocks[i] = new ReentrantLock();
        }
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
     * <p>The agent's lock is held until commit or rollback, so a second batch never builds on the stream
     * of a first one that may still roll back; the cache gets the new stream only after commit, and any
     * failure evicts it.
     */
    public IngestOutcome record(RecordFacts command) {
        ReentrantLock lock = agentLocks[Math.floorMod(command.agentId().hashCode(), STRIPES)];
        lock.lock();
        try {
            return recordLocked(command);
        } catch (RuntimeException e) {
            streams.remove(command.agentId());
            throw e;
        } finally {
            lock.unlock();
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
                    Instant now = clock.instant();
                    try (Connection c = tx.getConnection()) {
                        // Outside the append lock: the ledger rows, the payloads and the filled statement.
                        step = Step.LEDGER;
                        ledger.record(c, recorded);
                        step = Step.APPEND;
                        try (PreparedStatement append = events.prepare(c, recorded, now)) {
                            if (serializeAppends) {
                                SerializedAppends.lock(c);
                            }
                            append.executeBatch();
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
