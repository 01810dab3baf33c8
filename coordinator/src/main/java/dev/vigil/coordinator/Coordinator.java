package dev.vigil.coordinator;

import dev.vigil.coordinator.ingest.IngestHttp;
import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.model.EnvelopeCodec;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;

import java.time.Clock;
import java.util.concurrent.TimeUnit;

/** A running coordinator: the store, and the HTTP server in front of it. */
public final class Coordinator implements AutoCloseable {
    private final AuditStore store;
    private final Vertx vertx;
    private final HttpServer server;

    private Coordinator(AuditStore store, Vertx vertx, HttpServer server) {
        this.store = store;
        this.vertx = vertx;
        this.server = server;
    }

    public static Coordinator start(CoordinatorSettings settings, Clock clock) throws Exception {
        AuditStore store = AuditStore.open(settings.store(), clock);
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            new IngestHttp(settings.tokens(), new IngestService(EnvelopeCodec.standard(), store::record)).mount(router);
            HttpServerOptions options = new HttpServerOptions();
            settings.tls().ifPresent(tls -> options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(tls.certificate().toString()).setKeyPath(tls.privateKey().toString())));
            HttpServer server = vertx.createHttpServer(options).requestHandler(router)
                    .listen(settings.listenPort(), settings.listenHost())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return new Coordinator(store, vertx, server);
        } catch (Exception e) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            store.close();
            throw e;
        }
    }

    public int port() {
        return server.actualPort();
    }

    public AuditStore store() {
        return store;
    }

    @Override
    public void close() throws Exception {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            store.close();
        }
    }
}
