package dev.vigil.coordinator.api;

import dev.vigil.coordinator.ingest.AgentTokens;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Who may read and who may write. Read tokens ({@code operators} in the config) and ingest tokens
 * ({@code agents}) are disjoint: a known token of the wrong kind gets 403, an unknown one 401.
 */
public final class ReadAccess {
    private final AgentTokens readers;
    private final AgentTokens writers;

    public ReadAccess(AgentTokens readers, AgentTokens writers) {
        this.readers = readers;
        this.writers = writers;
    }

    /** Refuses read tokens on the ingest route; mount before the ingest handler. */
    public void guardIngest(Router router) {
        router.route(HttpMethod.POST, "/v1/events").order(-1).handler(ctx -> {
            if (readers.authenticate(ctx.request().getHeader("Authorization")).isPresent()) {
                reply(ctx, 403, "a read token cannot write events");
            } else {
                ctx.next();
            }
        });
    }

    void requireReader(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (readers.authenticate(header).isPresent()) {
            ctx.next();
        } else if (writers.authenticate(header).isPresent()) {
            reply(ctx, 403, "an ingest token cannot read; use a read token");
        } else {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"vigil-audit\"");
            reply(ctx, 401, "missing or unknown read token");
        }
    }

    private static void reply(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", status == 401 ? "unauthorized" : "forbidden")
                        .put("message", message).encode());
    }
}
