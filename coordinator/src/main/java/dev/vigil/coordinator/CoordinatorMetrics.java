package dev.vigil.coordinator;

import dev.vigil.coordinator.domain.IngestOutcome;
import dev.vigil.coordinator.domain.RecordFacts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The coordinator's metrics (GET /metrics, Prometheus text): ingest requests by HTTP status and their latency,
 * facts stored / duplicate / deferred, the store's head and how far the review read model trails it. Scrapes read
 * the store, so they run on a worker, never on the event loop.
 */
final class CoordinatorMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter stored;
    private final Counter duplicates;
    private final Counter deferred;
    private final StoreFigures store;
    private final AtomicReference<StoreFigures.Figures> last = new AtomicReference<>(new StoreFigures.Figures(0, 0));

    CoordinatorMetrics(StoreFigures store) {
        this.store = store;
        new JvmMemoryMetrics().bindTo(registry);
        stored = Counter.builder("vigil_ingest_facts").tag("result", "stored").description("Facts stored").register(registry);
        duplicates = Counter.builder("vigil_ingest_facts").tag("result", "duplicate")
                .description("Facts already stored, acknowledged again").register(registry);
        deferred = Counter.builder("vigil_ingest_facts").tag("result", "deferred")
                .description("Facts beyond a gap, to be sent again").register(registry);
        Gauge.builder("vigil_store_head_index", last, l -> l.get().headIndex())
                .description("Global index of the newest stored event").register(registry);
        Gauge.builder("vigil_projection_lag_events", last, l -> Math.max(0, l.get().headIndex() - l.get().reviewIndex()))
                .description("Stored events not yet folded into the review read model (it catches up at the next query)")
                .register(registry);
    }

    /** {@code record} with its outcome counted. */
    Function<RecordFacts, IngestOutcome> counting(Function<RecordFacts, IngestOutcome> record) {
        return command -> {
            IngestOutcome o = record.apply(command);
            stored.increment(o.stored());
            duplicates.increment(o.duplicates());
            deferred.increment(o.deferred());
            return o;
        };
    }

    /** One ingest request answered with {@code status} after {@code elapsed} (401s and 403s included). */
    void ingestRequest(int status, Duration elapsed) {
        Timer.builder("vigil_ingest_requests").description("Ingest requests by HTTP status")
                .tag("status", Integer.toString(status)).register(registry).record(elapsed);
    }

    /** Blocking: reads the store's figures, then renders. */
    String scrape() {
        try {
            last.set(store.read());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("metrics: store figures unavailable: {}", e.toString());
        }
        return registry.scrape();
    }
}
