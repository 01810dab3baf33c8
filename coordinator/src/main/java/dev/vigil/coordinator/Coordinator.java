package dev.vigil.coordinator;

import dev.vigil.coordinator.api.AuditApi;
import dev.vigil.coordinator.api.NodeApi;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.api.QueryApi;
import dev.vigil.coordinator.api.ReadAccess;
import dev.vigil.coordinator.projection.StoredEvents;
import dev.vigil.coordinator.ingest.IngestHttp;
import dev.vigil.coordinator.projection.StateCheckpoints;
import dev.vigil.coordinator.projection.StoredFacts;
import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.processing.ProjectionProcessors;
import dev.vigil.coordinator.projection.ReviewReadModel;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.model.EnvelopeCodec;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;

import dev.vigil.coordinator.verify.SignedCheckpoint;
import dev.vigil.coordinator.verify.StoreAudit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;

/** A running coordinator: the store, and the HTTP server in front of it. */
public final class Coordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
    private final AuditStore store;
    private final Vertx vertx;
    private final HttpServer server;
    private final ProjectionProcessors processors;

    private Coordinator(AuditStore store, Vertx vertx, HttpServer server, ProjectionProcessors processors) {
        this.store = store;
        this.vertx = vertx;
        this.server = server;
        this.processors = processors;
    }

    public static Coordinator start(CoordinatorSettings settings, Clock clock) throws Exception {
        return start(settings, clock, StateCheckpoints.DEFAULT_EVERY);
    }

    /** {@code stateCheckpointEvery}: facts between two checkpoints of the state fold (tests use small ones). */
    public static Coordinator start(CoordinatorSettings settings, Clock clock, int stateCheckpointEvery) throws Exception {
        AuditStore store = AuditStore.open(settings.store(), clock);
        Vertx vertx = Vertx.vertx();
        ProjectionProcessors processors = null;
        try {
            // One instance of each read model for the processors' refresh and the queries: see QueryApi.
            StoredEvents stored = new StoredEvents(store.dataSource(), EnvelopeCodec.standard());
            ReviewReadModel review = QueryApi.reviewReadModel(stored, clock, QueryApi.GAP_FILL_WINDOW, stateCheckpointEvery);
            StateCheckpoints states = new StateCheckpoints(store.dataSource(), EnvelopeCodec.standard(), clock,
                    QueryApi.GAP_FILL_WINDOW, stateCheckpointEvery);
            processors = ProjectionProcessors.start(settings.store(), settings.processors(), List.of(review::refresh, states::refresh));
            Router router = Router.router(vertx);
            ReadAccess access = new ReadAccess(settings.operators(), settings.tokens());
            CoordinatorMetrics metrics = new CoordinatorMetrics(new StoreFigures(store.dataSource()));
            mountMetrics(router, metrics);
            access.guardIngest(router);
            new IngestHttp(settings.tokens(), new IngestService(EnvelopeCodec.standard(), metrics.counting(store::record)))
                    .mount(router);
            new AuditApi(access, new StoreAudit(store.dataSource()),
                    new StoredFacts(store.dataSource(), EnvelopeCodec.standard())).mount(router);
            new QueryApi(access, stored, clock, QueryApi.GAP_FILL_WINDOW, review, states).mount(router);
            new NodeApi(access, store.dataSource(), new NodeReadModel(EnvelopeCodec.standard())).mount(router);
            HttpServerOptions options = new HttpServerOptions();
            settings.tls().ifPresent(tls -> options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(tls.certificate().toString()).setKeyPath(tls.privateKey().toString())));
            HttpServer server = vertx.createHttpServer(options).requestHandler(router)
                    .listen(settings.listenPort(), settings.listenHost())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (settings.checkpoints().isPresent()) {
                scheduleCheckpoints(vertx, store, settings.checkpoints().get(), clock);
            }
            return new Coordinator(store, vertx, server, processors);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (processors != null) {
                processors.close();
            }
            store.close();
            throw e;
        }
    }

    /** GET /metrics (no token: names and counts only), and every ingest request timed by its status. */
    private static void mountMetrics(Router router, CoordinatorMetrics metrics) {
        router.route(io.vertx.core.http.HttpMethod.POST, "/v1/events").order(-2).handler(ctx -> {
            long start = System.nanoTime();
            ctx.addEndHandler(v -> metrics.ingestRequest(ctx.response().getStatusCode(),
                    java.time.Duration.ofNanos(System.nanoTime() - start)));
            ctx.next();
        });
        router.get("/metrics").handler(ctx -> ctx.vertx().executeBlocking(metrics::scrape, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
            } else {
                ctx.response().setStatusCode(500).end("metrics unavailable\n");
            }
        }));
    }

    private static void scheduleCheckpoints(Vertx vertx, AuditStore store, CoordinatorSettings.CheckpointSchedule schedule,
                                            Clock clock) throws Exception {
        PrivateKey key = SignedCheckpoint.privateKeyFromPem(Files.readString(schedule.privateKey()));
        StoreAudit audit = new StoreAudit(store.dataSource());
        AtomicBoolean running = new AtomicBoolean();
        vertx.setPeriodic(schedule.every().toMillis(), id -> {
            if (!running.compareAndSet(false, true)) {
                return; // the previous one is still verifying; never pile up
            }
            vertx.executeBlocking(() -> StoreAudit.write(audit.checkpoint(clock.instant(), schedule.keyId(), key),
                    schedule.dir()), false).onComplete(ar -> {
                running.set(false);
                if (ar.failed()) {
                    LOG.error("checkpoint failed: {}", ar.cause().toString());
                } else {
                    LOG.debug("checkpoint written to {}", ar.result());
                }
            });
        });
    }

    public int port() {
        return server.actualPort();
    }

    public AuditStore store() {
        return store;
    }

    public ProjectionProcessors processors() {
        return processors;
    }

    /** Stops serving, then closes the store; waits up to 30 s for in-flight requests. */
    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("HTTP server did not stop cleanly: {}", e.toString());
        } finally {
            try {
                processors.close();
            } finally {
                store.close();
            }
        }
    }
}
