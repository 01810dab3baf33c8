package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.model.AgentFact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The daemon's one door to reporting. {@link #record} is non-blocking and safe on an event loop
 * and in the failover path: it stamps the fact's UTC and monotonic times and queues it; disk and
 * network are done on reporting's own threads.
 *
 * <pre>{@code
 * Reporting reporting = Reporting.start(settings, agentId, Reporting.Options.defaults());
 * reporting.record(new AgentFact.AgentStarted(version, host, pid));
 * ...
 * reporting.record(new AgentFact.AgentStopping("SIGTERM"));
 * reporting.close();   // writes what is queued, ships for a moment, stops
 * }</pre>
 */
public sealed interface Reporting extends AutoCloseable permits DisabledReporting, OutboxReporting {

    /** The {@code vigil { outbox_size }} default. */
    long DEFAULT_OUTBOX_BYTES = VigilSettings.DEFAULT_OUTBOX_BYTES;

    /** Queues a fact for the durable outbox and the coordinator. Never blocks, never throws. */
    void record(AgentFact fact);

    /** The boot id of this process start (random; every fact of this run carries it). */
    String bootId();

    /** Flushes the queue to disk, ships for up to the configured grace, stops the threads. */
    @Override
    void close();

    /**
     * How reporting runs. {@code outboxBytes}: the bound on the outbox on disk; {@code closeGraceMillis}:
     * how long close() keeps shipping; {@code batching}: how often the outbox commits and how long the
     * shipper gathers a batch; {@code onStored}: called on the shipper thread with each run of facts
     * the coordinator confirmed (metrics, tests).
     */
    record Options(long outboxBytes, Clock clock, LongSupplier monotonicNanos, long closeGraceMillis,
                   Batching batching, Consumer<List<StoredFact>> onStored) {
        public static Options defaults() {
            return new Options(DEFAULT_OUTBOX_BYTES, Clock.systemUTC(), System::nanoTime, 2_000, Batching.DEFAULT,
                    stored -> { });
        }

        public Options withOutboxBytes(long bytes) {
            return new Options(bytes, clock, monotonicNanos, closeGraceMillis, batching, onStored);
        }

        public Options withClocks(Clock wall, LongSupplier monotonic) {
            return new Options(outboxBytes, wall, monotonic, closeGraceMillis, batching, onStored);
        }

        public Options withCloseGraceMillis(long millis) {
            return new Options(outboxBytes, clock, monotonicNanos, millis, batching, onStored);
        }

        public Options withBatching(Batching b) {
            return new Options(outboxBytes, clock, monotonicNanos, closeGraceMillis, b, onStored);
        }

        public Options onStored(Consumer<List<StoredFact>> listener) {
            return new Options(outboxBytes, clock, monotonicNanos, closeGraceMillis, batching, listener);
        }
    }

    /**
     * Batching by time. {@code commitEveryMillis}: the outbox writer wakes this often while facts flow and
     * writes everything queued with one fsync (a fact is durable within this plus one fsync);
     * {@code shipLingerMillis}: once something is durable, the shipper waits this long for more before it
     * sends, so a steady trickle of facts costs a few requests a second instead of one per fact.
     */
    record Batching(long commitEveryMillis, long shipLingerMillis) {
        /** Durable within 5 ms plus an fsync; stored within about 50 ms plus a round trip. */
        public static final Batching DEFAULT = new Batching(5, 50);
        /** The first design, kept for comparison in ReportingBench: 1 ms polls, one request per durable batch. */
        public static final Batching EAGER = new Batching(1, 0);

        public Batching {
            if (commitEveryMillis < 1 || commitEveryMillis > 100 || shipLingerMillis < 0 || shipLingerMillis > 1_000) {
                throw new IllegalArgumentException("batching: commit every 1..100 ms and linger 0..1000 ms, was "
                        + commitEveryMillis + " ms and " + shipLingerMillis + " ms");
            }
        }
    }

    /** A fact the coordinator confirmed stored: its identity. */
    record StoredFact(String bootId, long seq) {
    }

    /**
     * Reporting for these settings: {@link #disabled()} when no coordinator is configured,
     * otherwise the durable outbox under {@code <state_dir>/outbox} and its shipper.
     *
     * @throws UncheckedIOException when the state directory cannot be created or read
     */
    static Reporting start(VigilSettings settings, String agentId, Options options) {
        if (settings.coordinators().isEmpty()) {
            return disabled();
        }
        String bootId = UUID.randomUUID().toString();
        try {
            Outbox outbox = Outbox.open(settings.stateDir().resolve("outbox"), options.outboxBytes(),
                    new Outbox.Identity(agentId, bootId, Optional.of(settings.cluster())),
                    options.clock(), options.monotonicNanos(), options.batching().commitEveryMillis());
            Shipper shipper = new Shipper(outbox, settings.coordinators(), settings.tokenFile(), Backoff.SHIPPING,
                    options.batching().shipLingerMillis(), frames -> options.onStored().accept(frames.stream()
                            .map(f -> new StoredFact(f.bootId(), f.seq())).toList()));
            shipper.start();
            return new OutboxReporting(outbox, shipper, options.closeGraceMillis());
        } catch (IOException e) {
            throw new UncheckedIOException("outbox under " + settings.stateDir() + ": " + e.getMessage(), e);
        }
    }

    /** Reporting that keeps facts nowhere but the log (no coordinator configured); says so once. */
    static Reporting disabled() {
        return new DisabledReporting();
    }
}
