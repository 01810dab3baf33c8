package dev.vigil.coordinator.api;

import dev.vigil.coordinator.projection.Narrative;
import dev.vigil.coordinator.projection.ReviewFact;
import dev.vigil.coordinator.projection.ReviewFold;
import dev.vigil.coordinator.projection.ReviewPolicy;
import dev.vigil.coordinator.projection.ReviewReadModel;
import dev.vigil.coordinator.projection.ReviewRows;
import dev.vigil.coordinator.projection.RouterKey;
import dev.vigil.coordinator.projection.RouterView;
import dev.vigil.coordinator.projection.StateCheckpoints;
import dev.vigil.coordinator.projection.StoredEvent;
import dev.vigil.coordinator.projection.StoredEvents;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The audit query API (documented by {@code /v1/openapi.yaml}, a file in the jar). Parameters are
 * validated on the event loop (400 naming the parameter); the store is read on a worker. Moves and
 * incidents read the review read models (kept up incrementally by {@link ReviewReadModel}); the narrative
 * resumes the review fold from its checkpoint before the window and reads the window (by VIP it still folds
 * the history up to the window's end: which routers hold a VIP is not checkpointed).
 */
public final class QueryApi {
    private static final Logger LOG = LoggerFactory.getLogger(QueryApi.class);
    private static final JsonFactory JSON = new JsonFactory();
    static final String OPENAPI_RESOURCE = "/dev/vigil/coordinator/api/openapi.yaml";
    /** Longer than the store's statement and idle-in-transaction timeouts (20 s). */
    public static final Duration GAP_FILL_WINDOW = Duration.ofSeconds(60);

    private final ReadAccess access;
    private final StoredEvents events;
    private final ReviewReadModel readModel;
    private final StateCheckpoints stateCheckpoints;
    private final Clock clock;
    private final Duration gapFillWindow;
    private final Buffer openApi;
    private final Buffer reviewPage;
    private final Buffer reviewScript;

    public QueryApi(ReadAccess access, StoredEvents events, Clock clock, Duration gapFillWindow) {
        this(access, events, clock, gapFillWindow, StateCheckpoints.DEFAULT_EVERY);
    }

    /** {@code stateCheckpointEvery}: facts between two checkpoints of the state fold (tests use small ones). */
    public QueryApi(ReadAccess access, StoredEvents events, Clock clock, Duration gapFillWindow, int stateCheckpointEvery) {
        this(access, events, clock, gapFillWindow, reviewReadModel(events, clock, gapFillWindow, stateCheckpointEvery),
                new StateCheckpoints(events.dataSource(), EnvelopeCodec.standard(), clock, gapFillWindow, stateCheckpointEvery));
    }

    /**
     * Over read models another part of the process also refreshes (the projection processors): sharing the
     * instances, a query that finds the store changed waits for a refresh under way in this process (their lock)
     * instead of on the database's row lock of the build, and then finds it current.
     */
    public QueryApi(ReadAccess access, StoredEvents events, Clock clock, Duration gapFillWindow, ReviewReadModel readModel,
                    StateCheckpoints stateCheckpoints) {
        this.access = access;
        this.events = events;
        this.readModel = readModel;
        this.stateCheckpoints = stateCheckpoints;
        this.clock = clock;
        this.gapFillWindow = gapFillWindow;
        this.openApi = resource(OPENAPI_RESOURCE);
        this.reviewPage = resource("/dev/vigil/coordinator/api/review/index.html");
        this.reviewScript = resource("/dev/vigil/coordinator/api/review/review.js");
    }

    /** Tests that ask for small state checkpoints get small review checkpoints too, so both resume paths run. */
    public static ReviewReadModel reviewReadModel(StoredEvents events, Clock clock, Duration gapFillWindow,
                                                  int stateCheckpointEvery) {
        return new ReviewReadModel(events.dataSource(), EnvelopeCodec.standard(), clock, gapFillWindow,
                stateCheckpointEvery == StateCheckpoints.DEFAULT_EVERY ? ReviewReadModel.DEFAULT_EVERY : stateCheckpointEvery);
    }

    private static Buffer resource(String name) {
        try (InputStream in = QueryApi.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the jar");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void mount(Router router) {
        router.get("/v1/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml").end(openApi));
        // The review page is static; it asks the reader for a read token and calls the API with it.
        router.get("/review/").handler(ctx -> ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(reviewPage));
        router.get("/review").handler(ctx -> ctx.redirect("/review/"));
        router.get("/review/review.js").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/javascript; charset=utf-8").end(reviewScript));
        router.get("/v1/moves").handler(access::requireReader).handler(this::moves);
        router.get("/v1/incidents").handler(access::requireReader).handler(this::incidents);
        router.get("/v1/nodes/:agentId/timeline").handler(access::requireReader).handler(this::timeline);
        router.get("/v1/events").handler(access::requireReader).handler(this::eventPage);
        router.get("/v1/events/:id").handler(access::requireReader).handler(this::event);
        router.get("/v1/state").handler(access::requireReader).handler(this::state);
        router.get("/v1/narrative").handler(access::requireReader).handler(this::narrative);
    }

    private void moves(RoutingContext ctx) {
        handle(ctx, Set.of("vip", "vrid", "cluster", "node", "cause", "from", "to"), p -> {
            Optional<String> vip = p.address("vip");
            Optional<Integer> vrid = p.integer("vrid", 1, 255);
            Optional<String> cluster = p.name("cluster");
            Optional<String> node = p.name("node");
            Optional<String> cause = p.text("cause").map(c -> c.toLowerCase(Locale.ROOT));
            Window w = window(p);
            return () -> {
                readModel.refresh();
                JsonArray out = new JsonArray();
                // The VIP narrows in SQL (by host); the exact match, node and cause stay here.
                for (ReviewRows.Move m : readModel.moves(cluster, vrid, vip, w.from, w.to)) {
                    if (node.isPresent() && !node.get().equals(m.from()) && !node.get().equals(m.to())
                            || vip.isPresent() && m.addresses().stream().noneMatch(a -> sameAddress(a, vip.get()))
                            || cause.isPresent() && !m.cause().toLowerCase(Locale.ROOT).contains(cause.get())) {
                        continue;
                    }
                    JsonObject o = router(m.router()).put("at", m.at().toString()).put("from", m.from())
                            .put("to", m.to()).put("addresses", new JsonArray(m.addresses())).put("cause", m.cause());
                    m.gap().ifPresent(g -> o.put("gapMs", millis(g)));
                    out.add(o);
                }
                return new JsonObject().put("moves", out);
            };
        });
    }

    private void incidents(RoutingContext ctx) {
        handleRaw(ctx, Set.of("cluster", "vrid", "kind", "from", "to"), p -> {
            Optional<String> cluster = p.name("cluster");
            Optional<Integer> vrid = p.integer("vrid", 1, 255);
            Optional<ReviewRows.IncidentKind> kind = p.oneOf("kind", ReviewRows.IncidentKind.class);
            Window w = window(p);
            return () -> {
                readModel.refresh();
                // ~1,250 rows for a cluster's month at 10M events: written as they are read, the stored JSON arrays
                // copied (not parsed into lists and encoded again), on this worker rather than the event loop.
                Buffer body = Buffer.buffer(16_384);
                try (JsonGenerator g = JSON.createGenerator(new BufferOutput(body))) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("incidents");
                    readModel.eachIncident(cluster, vrid, kind, w.from, w.to, i -> {
                        try {
                            g.writeStartObject();
                            RouterKey k = i.router();
                            g.writeStringField("cluster", k.cluster());
                            g.writeNumberField("vrid", k.vrid());
                            g.writeStringField("family", k.family().name());
                            g.writeStringField("kind", i.kind().name());
                            g.writeStringField("at", i.start().toString());
                            g.writeFieldName("agents");
                            g.writeRawValue(i.agentsJson());
                            g.writeStringField("detail", i.detail());
                            if (i.until().isPresent()) {
                                g.writeStringField("until", i.until().get().toString());
                                g.writeNumberField("durationMs", millis(Duration.between(i.start(), i.until().get())));
                            }
                            g.writeFieldName("events");
                            g.writeRawValue(i.eventsJson());
                            g.writeEndObject();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                    g.writeEndArray();
                    g.writeEndObject();
                }
                return body;
            };
        });
    }

    /** Appends to a Vert.x buffer (the response body), so a generator writes straight into it. */
    private static final class BufferOutput extends OutputStream {
        private final Buffer buffer;

        BufferOutput(Buffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public void write(int b) {
            buffer.appendByte((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            buffer.appendBytes(b, off, len);
        }
    }

    private void timeline(RoutingContext ctx) {
        handle(ctx, Set.of("from", "to"), p -> {
            String agent = ctx.pathParam("agentId");
            if (!EventEnvelope.AGENT_ID.matcher(agent).matches()) {
                throw new BadParameter("agentId", "expected an agent id: letters, digits, '.', '_', '-' (at most 64)");
            }
            Window w = window(p);
            return () -> {
                JsonArray out = new JsonArray();
                for (StoredEvent e : events.inWindow(w.from, w.to, Optional.empty())) {
                    EventEnvelope env = e.observed().envelope();
                    AgentFact f = env.fact();
                    if (env.agentId().equals(agent) && (f instanceof AgentFact.RouterStateChanged
                            || f instanceof AgentFact.TrackerResultChanged || f instanceof AgentFact.PriorityChanged
                            || f instanceof AgentFact.AgentStarted || f instanceof AgentFact.AgentStopping)) {
                        out.add(new JsonObject().put("id", e.id()).put("at", env.time().toString())
                                .put("type", f.getClass().getSimpleName()).put("text", narrate(env))
                                .put("fact", factJson(env)));
                    }
                }
                return new JsonObject().put("agentId", agent).put("entries", out);
            };
        });
    }

    private void eventPage(RoutingContext ctx) {
        handle(ctx, Set.of("after", "limit", "agent", "type", "from", "to"), p -> {
            long after = p.cursor("after").orElse(0L);
            int limit = p.integer("limit", 1, 1000).orElse(100);
            Optional<String> agent = p.name("agent");
            Optional<String> type = p.factType("type");
            Window w = window(p);
            return () -> {
                StoredEvents.EventPage page = events.page(after, limit, agent, type, w.from, w.to, clock.instant(), gapFillWindow);
                JsonArray out = new JsonArray();
                page.events().forEach(e -> out.add(eventJson(e)));
                return new JsonObject().put("events", out).put("nextCursor", Long.toString(page.nextCursor()))
                        .put("horizon", Long.toString(page.horizon())).put("more", page.more());
            };
        });
    }

    private void event(RoutingContext ctx) {
        handle(ctx, Set.of(), p -> {
            String id = ctx.pathParam("id");
            if (!id.matches("[0-9]{1,18}")) {
                throw new BadParameter("id", "expected an event id (a decimal number)");
            }
            long n = Long.parseLong(id);
            return () -> events.byId(n).map(QueryApi::eventJson).orElse(null);
        });
    }

    private void state(RoutingContext ctx) {
        handle(ctx, Set.of("at", "cluster"), p -> {
            Instant at = p.requiredInstant("at");
            Optional<String> cluster = p.name("cluster");
            // The state fold resumed from its latest valid checkpoint at or before T: same answer, bounded work.
            return () -> stateJson(at, stateCheckpoints.stateAt(at, cluster));
        });
    }

    private void narrative(RoutingContext ctx) {
        handle(ctx, Set.of("from", "to", "vip", "cluster"), p -> {
            Instant from = p.requiredInstant("from");
            Instant to = p.requiredInstant("to");
            if (to.isBefore(from)) {
                throw new BadParameter("to", "before from");
            }
            Optional<String> vip = p.address("vip");
            Optional<String> cluster = p.name("cluster");
            return () -> {
                if (vip.isEmpty()) {
                    // The review fold resumed from its checkpoints before the window: reads the window, not the history.
                    ReviewReadModel.Story story = readModel.story(from, to, cluster);
                    return narrativeJson(from, to, Narrative.tell(story.facts(), story.review()));
                }
                // Which routers a VIP belongs to, and which agents hold them, needs the history up to the window.
                List<StoredEvent> facts = events.inWindow(QueryParams.BEGINNING, to, cluster);
                List<ReviewFact> review = ReviewFold.derive(facts.stream().map(StoredEvent::observed).toList(), ReviewPolicy.DEFAULT);
                Predicate<RouterKey> routers = vipRouters(facts, vip);
                List<StoredEvent> shown = facts.stream().filter(e -> !e.observed().envelope().time().isBefore(from))
                        .filter(e -> ReviewRows.routerOf(e.observed().envelope()).map(routers::test).orElse(vip.isEmpty()
                                || holdsRouter(facts, e.observed().envelope().agentId(), routers)))
                        .toList();
                List<ReviewFact> concluded = review.stream().filter(f -> !f.at().isBefore(from) && routers.test(f.router())).toList();
                return narrativeJson(from, to, Narrative.tell(shown, concluded));
            };
        });
    }

    private static JsonObject narrativeJson(Instant from, Instant to, List<Narrative.Line> lines) {
        JsonArray out = new JsonArray();
        for (Narrative.Line l : lines) {
            JsonObject o = new JsonObject().put("at", l.at().toString()).put("agentId", l.agentId())
                    .put("kind", l.kind()).put("text", l.text());
            l.eventId().ifPresent(id -> o.put("eventId", id));
            out.add(o);
        }
        return new JsonObject().put("from", from.toString()).put("to", to.toString()).put("lines", out);
    }

    // ---- shared pieces

    private static boolean sameAddress(String stored, String asked) {
        return stored.equals(asked) || stored.startsWith(asked + "/") || asked.startsWith(stored + "/");
    }

    private static Predicate<RouterKey> vipRouters(List<StoredEvent> facts, Optional<String> vip) {
        if (vip.isEmpty()) {
            return k -> true;
        }
        Set<RouterKey> keys = new java.util.HashSet<>();
        for (StoredEvent e : facts) {
            EventEnvelope env = e.observed().envelope();
            if (env.fact() instanceof AgentFact.VipsAdded v && v.addresses().stream().anyMatch(a -> sameAddress(a, vip.get()))) {
                ReviewRows.routerOf(env).ifPresent(keys::add);
            }
        }
        return keys::contains;
    }

    private static boolean holdsRouter(List<StoredEvent> facts, String agent, Predicate<RouterKey> routers) {
        return facts.stream().anyMatch(e -> e.observed().envelope().agentId().equals(agent)
                && ReviewRows.routerOf(e.observed().envelope()).map(routers::test).orElse(false));
    }

    static JsonObject stateJson(Instant at, List<RouterView> views) {
        JsonArray routers = new JsonArray();
        for (RouterView v : views) {
            JsonObject states = new JsonObject();
            v.states().forEach((a, s) -> states.put(a, s.name()));
            JsonObject priorities = new JsonObject();
            v.priorities().forEach((a, pr) -> priorities.put(a, new JsonObject().put("base", pr.base()).put("effective", pr.effective())));
            JsonObject trackers = new JsonObject();
            v.trackers().forEach((a, t) -> {
                JsonObject o = new JsonObject();
                t.forEach(o::put);
                trackers.put(a, o);
            });
            JsonObject owners = new JsonObject();
            v.vipOwners().forEach(owners::put);
            routers.add(router(v.key()).put("masters", new JsonArray(v.masters())).put("backups", new JsonArray(v.backups()))
                    .put("states", states).put("priorities", priorities).put("trackers", trackers).put("vipOwners", owners));
        }
        return new JsonObject().put("at", at.toString()).put("routers", routers);
    }

    private static JsonObject router(RouterKey k) {
        return new JsonObject().put("cluster", k.cluster()).put("vrid", k.vrid()).put("family", k.family().name());
    }

    private static JsonObject eventJson(StoredEvent e) {
        return new JsonObject().put("id", e.id()).put("agentId", e.agentId()).put("streamIndex", e.streamIndex())
                .put("recordedAt", e.observed().recordedAt().toString())
                .put("envelope", new JsonObject(dev.vigil.model.EnvelopeCodec.standard().encode(e.observed().envelope())));
    }

    private static JsonObject factJson(EventEnvelope env) {
        return new JsonObject(dev.vigil.model.EnvelopeCodec.standard().encode(env)).getJsonObject("fact");
    }

    private static String narrate(EventEnvelope env) {
        return Narrative.tell(List.of(new StoredEvent(0, env.agentId(), 0, new dev.vigil.coordinator.projection.Observed(env, Instant.EPOCH))), List.of())
                .get(0).text();
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1_000_000.0;
    }

    private record Window(Instant from, Instant to) {
        boolean contains(Instant t) {
            return !t.isBefore(from) && !t.isAfter(to);
        }
    }

    private static Window window(QueryParams p) throws BadParameter {
        Instant from = p.instant("from").orElse(QueryParams.BEGINNING);
        Instant to = p.instant("to").orElse(QueryParams.END);
        if (to.isBefore(from)) {
            throw new BadParameter("to", "before from");
        }
        return new Window(from, to);
    }

    private interface Work {
        JsonObject run() throws Exception;
    }

    private interface Parse {
        Work parse(QueryParams p) throws BadParameter;
    }

    /** Work whose answer is already encoded JSON (null: not found). */
    private interface RawWork {
        Buffer run() throws Exception;
    }

    private interface RawParse {
        RawWork parse(QueryParams p) throws BadParameter;
    }

    private static void handle(RoutingContext ctx, Set<String> known, Parse parse) {
        // Encoded on the worker too: a large answer's encoding would otherwise hold the event loop.
        handleRaw(ctx, known, p -> {
            Work work = parse.parse(p);
            return () -> {
                JsonObject answer = work.run();
                return answer == null ? null : answer.toBuffer();
            };
        });
    }

    private static void handleRaw(RoutingContext ctx, Set<String> known, RawParse parse) {
        RawWork work;
        try {
            work = parse.parse(QueryParams.of(ctx.queryParams(), known));
        } catch (BadParameter e) {
            reply(ctx, 400, new JsonObject().put("error", "bad-parameter").put("parameter", e.parameter()).put("message", e.getMessage()));
            return;
        }
        ctx.vertx().executeBlocking(work::run, false).onComplete(ar -> {
            if (ar.failed()) {
                LOG.error("query failed", ar.cause());
                reply(ctx, 500, new JsonObject().put("error", "internal").put("message", String.valueOf(ar.cause().getMessage())));
            } else if (ar.result() == null) {
                reply(ctx, 404, new JsonObject().put("error", "not-found").put("message", "no such event"));
            } else {
                ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(ar.result());
            }
        });
    }

    private static void reply(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
