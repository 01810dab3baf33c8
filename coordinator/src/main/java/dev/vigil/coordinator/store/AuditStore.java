package dev.vigil.coordinator.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.domain.AgentStream;
import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import dev.vigil.coordinator.ingest.IngestLedger;
import org.axonframework.config.AggregateConfigurer;
import org.axonframework.config.Configuration;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.axonframework.serialization.json.JacksonSerializer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The coordinator's event store: Axon 4 without Spring or Axon Server, JDBC storage with Jackson
 * on every serializer slot (XStream is never instantiated), HikariCP, Flyway-owned schema.
 * One agent = one event-sourced {@link AgentStream}; appends and the ingest ledger commit together.
 */
public final class AuditStore implements AutoCloseable {
    /** Attempts when two writers raced on one agent's stream; the loser reloads and dedupes. */
    private static final int ATTEMPTS = 5;
    /** Loaded agent streams kept in memory; one entry is a few hundred bytes plus a head per boot. */
    private static final int CACHED_STREAMS = 20_000;
    /** Striped per-agent locks: one agent's batches go through this coordinator one transaction at a time. */
    private static final int STRIPES = 64;

    private final HikariDataSource dataSource;
    private final ThreadBoundJdbcTransactions tx;
    private final Configuration axon;
    private final IngestLedger ledger;
    private final StreamCache streams;
    private final ReentrantLock[] agentLocks = new ReentrantLock[STRIPES];

    private AuditStore(HikariDataSource dataSource, ThreadBoundJdbcTransactions tx, Configuration axon, IngestLedger ledger,
                       StreamCache streams) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.axon = axon;
        this.ledger = ledger;
        this.streams = streams;
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
        }
        return new HikariDataSource(hc);
    }

    public static AuditStore open(StoreSettings settings, Clock clock) {
        HikariDataSource ds = pool(settings);
        try {
            StoreMigrations.migrate(ds, settings.vendor());
            ThreadBoundJdbcTransactions tx = new ThreadBoundJdbcTransactions(ds);
            StreamCache streams = new StreamCache(CACHED_STREAMS);
            Configuration axon = configure(tx, settings, streams);
            axon.start();
            return new AuditStore(ds, tx, axon, new IngestLedger(clock), streams);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /**
     * Appends a batch to one agent's stream; idempotent on (agent, boot, seq). One transaction holds
     * the aggregate load, the event append (Axon joins it) and the ledger rows: all or nothing.
     * Blocking: call off the event loop.
     *
     * <p>The agent's lock is held until commit or rollback: Axon releases its own aggregate lock when its
     * unit of work ends, before this transaction commits, and a second batch must not build on the
     * cached stream of a first one that may still roll back. Any failure evicts the cached stream.
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
        for (int attempt = 1; ; attempt++) {
            Transaction t = tx.startTransaction();
            try {
                IngestOutcome outcome = axon.commandGateway().sendAndWait(command);
                try (Connection c = tx.getConnection()) {
                    ledger.record(c, outcome.recorded());
                }
                t.commit();
                return outcome;
            } catch (ConcurrencyException | AggregateStreamCreationException e) {
                t.rollback();
                streams.remove(command.agentId());
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            } catch (SQLException e) {
                t.rollback();
                streams.remove(command.agentId());
                if (new DuplicateKeyResolver().isDuplicateKeyViolation(e)) {
                    // The stream did not know a fact the ledger holds: the store is inconsistent, retrying won't help.
                    throw new IllegalStateException("ingest ledger already holds a fact of this batch for agent "
                            + command.agentId() + ": " + e.getMessage(), e);
                }
                throw new StoreUnavailableException("ingest ledger: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                rollbackQuietly(t);
                streams.remove(command.agentId());
                if (isUnavailable(e) || (involvesSql(e) && !reachable())) {
                    throw new StoreUnavailableException("the database is unavailable: " + e.getMessage(), e);
                }
                if (!involvesSql(e) || attempt == ATTEMPTS) {
                    throw e;
                }
                // The database answers again (e.g. restarted under a pooled connection): try once more.
            }
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
        return settings.vendor() == DatabaseVendor.POSTGRESQL ? b.appendEvents(new SerializedAppends()) : b;
    }

    private static Configuration configure(ThreadBoundJdbcTransactions tx, StoreSettings settings, StreamCache streams) {
        JacksonSerializer json = JacksonSerializer.builder().objectMapper(axonObjectMapper())
                .lenientDeserialization().build();
        EventSchema schema = EventSchema.builder()
                .eventTable("domain_event_entry").snapshotTable("snapshot_event_entry")
                .globalIndexColumn("global_index").timestampColumn("time_stamp")
                .eventIdentifierColumn("event_identifier").aggregateIdentifierColumn("aggregate_identifier")
                .sequenceNumberColumn("sequence_number").typeColumn("type")
                .payloadTypeColumn("payload_type").payloadRevisionColumn("payload_revision")
                .payloadColumn("payload").metaDataColumn("meta_data")
                .build();
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
                .configureAggregate(AggregateConfigurer.defaultConfiguration(AgentStream.class)
                        .configureCache(c -> streams)
                        .configureSnapshotTrigger(c -> new EventCountSnapshotTriggerDefinition(
                                c.snapshotter(), settings.snapshotEvery())))
                .buildConfiguration();
    }
}
