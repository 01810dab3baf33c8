package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.store.StoreUnavailableException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * {@code POST /v1/events}: bearer token → agent (401), body ≤ limit (413), decode and ownership
 * check (400 / 403), append on a worker thread (never on the event loop), reply with the heads.
 */
public final class IngestHttp {
    public static final long MAX_BODY_BYTES = 16L * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(IngestHttp.class);
    private static final String AGENT = "vigil.agent";
    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();

    private final AgentTokens tokens;
    private final IngestService service;

    public IngestHttp(AgentTokens tokens, IngestService service) {
        this.tokens = tokens;
        this.service = service;
    }

    public void mount(Router router) {
        router.post("/v1/events")
                // Vert.x requires the body handler before any user handler.
                .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
                .handler(this::authenticate)
                .handler(this::ingest);
    }

    private void authenticate(RoutingContext ctx) {
        tokens.authenticate(ctx.request().getHeader("Authorization")).ifPresentOrElse(agent -> {
            ctx.put(AGENT, agent);
            ctx.next();
        }, () -> {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"vigil\"");
            reply(ctx, 401, error("unauthorized", null, "missing or unknown bearer token"));
        });
    }

    private void ingest(RoutingContext ctx) {
        String agent = ctx.get(AGENT);
        Buffer body = ctx.body().buffer();
        byte[] bytes = body == null ? new byte[0] : body.getBytes();
        Vertx vertx = ctx.vertx();
        vertx.executeBlocking(() -> service.ingest(agent, bytes), false).onComplete(ar -> {
            if (ar.succeeded()) {
                IngestResult r = ar.result();
                if (r instanceof IngestResult.Applied a) {
                    ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(applied(a));
                } else if (r instanceof IngestResult.Malformed m) {
                    reply(ctx, 400, error("malformed", m.field(), m.problem()));
                } else if (r instanceof IngestResult.Forbidden f) {
                    reply(ctx, 403, error("forbidden", f.field(), f.problem()));
                }
            } else if (ar.cause() instanceof StoreUnavailableException) {
                LOG.warn("store unavailable for agent {}: {}", agent, ar.cause().toString());
                reply(ctx, 503, error("unavailable", null, "the store is unavailable; retry later"));
            } else {
                LOG.error("ingest failed for agent {}", agent, ar.cause());
                reply(ctx, 500, error("internal", null, "the batch was not stored: " + ar.cause().getClass().getSimpleName()));
            }
        });
    }

    /** The 200 answer, written as text: a JSON tree per reply was half of the event loop's share of the ingest profile. */
    static String applied(IngestResult.Applied a) {
        StringBuilder out = new StringBuilder(96 + 96 * a.outcome().heads().size());
        out.append("{\"stored\":").append(a.outcome().stored())
                .append(",\"duplicates\":").append(a.outcome().duplicates())
                .append(",\"deferred\":").append(a.outcome().deferred())
                .append(",\"heads\":[");
        char[] agent = QUOTE.quoteAsString(a.agentId());
        boolean first = true;
        for (Map.Entry<String, Long> h : a.outcome().heads().entrySet()) {
            out.append(first ? "" : ",").append("{\"agentId\":\"").append(agent)
                    .append("\",\"bootId\":\"").append(QUOTE.quoteAsString(h.getKey()))
                    .append("\",\"highestContiguousSeq\":").append(h.getValue().longValue()).append('}');
            first = false;
        }
        return out.append("]}").toString();
    }

    private static JsonObject error(String error, String field, String message) {
        JsonObject o = new JsonObject().put("error", error).put("message", message);
        if (field != null) {
            o.put("field", field);
        }
        return o;
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
