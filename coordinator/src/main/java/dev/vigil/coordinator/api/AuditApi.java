package dev.vigil.coordinator.api;

import dev.vigil.coordinator.projection.ReviewFact;
import dev.vigil.coordinator.projection.ReviewFold;
import dev.vigil.coordinator.projection.ReviewPolicy;
import dev.vigil.coordinator.projection.StoredFacts;
import dev.vigil.coordinator.verify.ChainVerdict;
import dev.vigil.coordinator.verify.StoreAudit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Read-only audit calls for operators (their own bearer tokens, never an agent's):
 * {@code GET /v1/verify} (every chain, first break per agent) and {@code GET /v1/review}
 * (the review fold over the stored facts, derived on each call, so late facts are always in).
 */
public final class AuditApi {
    private static final Logger LOG = LoggerFactory.getLogger(AuditApi.class);

    private final ReadAccess access;
    private final StoreAudit audit;
    private final StoredFacts facts;

    public AuditApi(ReadAccess access, StoreAudit audit, StoredFacts facts) {
        this.access = access;
        this.audit = audit;
        this.facts = facts;
    }

    public void mount(Router router) {
        router.get("/v1/verify").handler(access::requireReader).handler(ctx -> blocking(ctx, () -> verify()));
        router.get("/v1/review").handler(access::requireReader).handler(this::review);
    }

    private JsonObject verify() throws Exception {
        JsonArray streams = new JsonArray();
        boolean intact = true;
        for (ChainVerdict v : audit.verify(Optional.empty())) {
            JsonObject o = new JsonObject().put("agentId", v.agentId()).put("length", v.length())
                    .put("headHash", v.headHash()).put("intact", v.intact());
            v.firstBreak().ifPresent(b -> o.put("firstBreak", new JsonObject().put("position", b.position())
                    .put("kind", b.kind().name()).put("detail", b.detail())));
            intact &= v.intact();
            streams.add(o);
        }
        return new JsonObject().put("intact", intact).put("streams", streams);
    }

    private void review(RoutingContext ctx) {
        Instant since;
        Instant until;
        try {
            since = Optional.ofNullable(ctx.request().getParam("since")).map(Instant::parse).orElse(Instant.EPOCH);
            until = Optional.ofNullable(ctx.request().getParam("until")).map(Instant::parse)
                    .orElse(Instant.parse("9999-12-31T00:00:00Z"));
        } catch (DateTimeParseException e) {
            reply(ctx, 400, new JsonObject().put("error", "malformed").put("field", "since/until")
                    .put("message", "expected an ISO-8601 UTC instant such as 2026-11-25T03:12:07Z"));
            return;
        }
        Optional<String> cluster = Optional.ofNullable(ctx.request().getParam("cluster"));
        blocking(ctx, () -> {
            JsonArray out = new JsonArray();
            List<ReviewFact> story = ReviewFold.derive(facts.read(since, until, cluster), ReviewPolicy.DEFAULT);
            story.forEach(f -> out.add(ReviewJson.of(f)));
            return new JsonObject().put("facts", out);
        });
    }

    private static void blocking(RoutingContext ctx, Callable<JsonObject> work) {
        ctx.vertx().executeBlocking(work, false).onComplete(ar -> {
            if (ar.succeeded()) {
                reply(ctx, 200, ar.result());
            } else {
                LOG.error("audit call failed", ar.cause());
                reply(ctx, 500, new JsonObject().put("error", "internal").put("message", String.valueOf(ar.cause().getMessage())));
            }
        });
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
