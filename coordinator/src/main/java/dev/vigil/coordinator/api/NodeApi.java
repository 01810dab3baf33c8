package dev.vigil.coordinator.api;

import dev.vigil.coordinator.projection.NodeFold;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.model.EventEnvelope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code GET /v1/nodes} and {@code GET /v1/nodes/{agentId}/status}: each node's latest boot, router
 * states and tracker results, from the node read model that the projection processors keep (no fold
 * at query time; as current as the processors, usually well under a second behind ingest).
 */
public final class NodeApi {
    private static final Logger LOG = LoggerFactory.getLogger(NodeApi.class);
    private final ReadAccess access;
    private final DataSource dataSource;
    private final NodeReadModel model;

    public NodeApi(ReadAccess access, DataSource dataSource, NodeReadModel model) {
        this.access = access;
        this.dataSource = dataSource;
        this.model = model;
    }

    public void mount(Router router) {
        router.get("/v1/nodes").handler(access::requireReader).handler(ctx -> serve(ctx, () -> {
            JsonArray out = new JsonArray();
            for (NodeFold.Node n : model.all(dataSource).values()) {
                out.add(json(n));
            }
            return Optional.of(new JsonObject().put("nodes", out));
        }));
        router.get("/v1/nodes/:agentId/status").handler(access::requireReader).handler(ctx -> {
            String agent = ctx.pathParam("agentId");
            if (!EventEnvelope.AGENT_ID.matcher(agent).matches()) {
                badParameter(ctx, "agentId", "expected an agent id: letters, digits, '.', '_', '-' (at most 64)");
                return;
            }
            serve(ctx, () -> model.node(dataSource, agent).map(NodeApi::json));
        });
    }

    private static void serve(RoutingContext ctx, Callable<Optional<JsonObject>> work) {
        Set<String> given = ctx.queryParams().names();
        if (!given.isEmpty()) {
            badParameter(ctx, given.iterator().next(), "unknown parameter");
            return;
        }
        ctx.vertx().executeBlocking(work, false).onComplete(ar -> {
            if (ar.failed()) {
                LOG.error("node query failed", ar.cause());
                reply(ctx, 500, new JsonObject().put("error", "internal").put("message", String.valueOf(ar.cause().getMessage())));
            } else if (ar.result().isEmpty()) {
                reply(ctx, 404, new JsonObject().put("error", "not-found").put("message", "no such node"));
            } else {
                reply(ctx, 200, ar.result().get());
            }
        });
    }

    static JsonObject json(NodeFold.Node n) {
        JsonArray routers = new JsonArray();
        for (Map.Entry<NodeFold.RouterId, NodeFold.RouterLast> r : n.routers().entrySet()) {
            routers.add(new JsonObject().put("instance", r.getKey().router()).put("vrid", r.getKey().vrid())
                    .put("family", r.getKey().family()).put("state", r.getValue().state())
                    .put("since", r.getValue().since().toString()));
        }
        JsonArray trackers = new JsonArray();
        for (Map.Entry<String, NodeFold.TrackerLast> t : n.trackers().entrySet()) {
            trackers.add(new JsonObject().put("tracker", t.getKey()).put("kind", t.getValue().kind())
                    .put("healthy", t.getValue().healthy()).put("since", t.getValue().since().toString()));
        }
        return new JsonObject().put("agentId", n.agentId()).put("bootId", n.bootId())
                .put("bootedAt", n.bootedAt().toString()).put("lastSeq", n.lastSeq())
                .put("lastSeen", n.lastSeen().toString()).put("lastFactType", n.lastFactType())
                .put("chainLength", n.chainLength()).put("routers", routers).put("trackers", trackers);
    }

    private static void badParameter(RoutingContext ctx, String parameter, String message) {
        reply(ctx, 400, new JsonObject().put("error", "bad-parameter").put("parameter", parameter).put("message", message));
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
