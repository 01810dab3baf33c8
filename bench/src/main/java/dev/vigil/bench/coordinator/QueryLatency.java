package dev.vigil.bench.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.processing.NodeProjectionProgress;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.projection.ReviewFact;
import dev.vigil.coordinator.projection.ReviewFold;
import dev.vigil.coordinator.projection.ReviewPolicy;
import dev.vigil.coordinator.projection.ReviewReadModel;
import dev.vigil.coordinator.projection.ReviewRows;
import dev.vigil.coordinator.projection.StateFold;
import dev.vigil.coordinator.projection.StoredEvent;
import dev.vigil.coordinator.projection.StoredEvents;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.StoreMigrations;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

/**
 * Issue 9's query benchmark on a large PostgreSQL store, seeded by COPY with hash-chained facts shaped as
 * the ingest path writes them: 1,000 agents in 500 two-node clusters, a failover per cluster every few
 * tens of minutes, tracker results and priority changes in between, over {@code days} days.
 * Measures the first state query (it writes the state checkpoints), then p50/p99 of
 * {@code GET /v1/state?at=T} at random T through HTTP; the anchor is the previous path (the state fold over
 * every fact up to T), timed in the same run where it fits in memory.
 * Usage: QueryLatency jdbc-url events [days] [queries]
 */
public final class QueryLatency {
    private static final String READ_TOKEN = "bench-reader";
    private static final String AGENT_TOKEN = "bench-agent";
    private static final int AGENTS = 1000;
    private static final Instant START = Instant.parse("2026-10-01T00:00:00Z");
    /** -Dbench.anchors=false: skip the in-memory anchors (minutes at 1M), for a second run on a built store. */
    private static final boolean ANCHORS = !"false".equals(System.getProperty("bench.anchors"));
    /** -Dbench.state=false: skip state at T (its first query writes every state checkpoint: 25 min at 10M). */
    private static final boolean STATE = !"false".equals(System.getProperty("bench.state"));

    public static void main(String[] args) throws Exception {
        String url = args[0];
        long events = Long.parseLong(args[1]);
        int days = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int queries = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        StoreSettings store = new StoreSettings(url, System.getProperty("db.user", "postgres"), "", 8, 1000);
        long perAgent = events / AGENTS;
        Duration step = Duration.ofDays(days).dividedBy(perAgent);
        try (HikariDataSource ds = AuditStore.pool(store)) {
            StoreMigrations.migrate(ds, store.vendor());
            long have = count(ds);
            if (have == 0) {
                long t0 = System.nanoTime();
                seed(ds, perAgent, step);
                System.out.printf("seeded %,d events by COPY in %.0f s%n", perAgent * AGENTS, (System.nanoTime() - t0) / 1e9);
            } else {
                System.out.printf("store already holds %,d events%n", have);
            }
        }
        if (Boolean.getBoolean("bench.seedOnly")) {
            System.exit(0); // -Dbench.seedOnly=true: seed (or find seeded) and stop, to build a large store ahead
        }
        Instant end = START.plus(step.multipliedBy(perAgent));
        CoordinatorSettings settings = new CoordinatorSettings("127.0.0.1", 0, store, AgentTokens.of(Map.of(
                "db0", AgentTokens.sha256Hex(AGENT_TOKEN + 0), "db1", AgentTokens.sha256Hex(AGENT_TOKEN + 1))),
                Optional.empty()).withOperators(AgentTokens.of(Map.of("bench", AgentTokens.sha256Hex(READ_TOKEN))));
        String refreshEvery = System.getProperty("bench.refreshEvery", "");
        if (!refreshEvery.isEmpty()) {
            // e.g. PT24H: the processors never refresh during the run, the queries refresh (the pre-issue-12 path).
            ProcessorSettings p = settings.processors();
            settings = settings.withProcessors(new ProcessorSettings(p.segments(), p.claimTimeout(), p.nodeId(),
                    Duration.parse(refreshEvery)));
        }
        try (Coordinator c = Coordinator.start(settings, Clock.systemUTC())) {
            caughtUp(c);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + c.port();
            Random random = new Random(7);
            if (STATE) {
                state(http, base, c, perAgent, end, queries, random);
            }
            if (Boolean.getBoolean("bench.review")) {
                review(http, base, c, perAgent, end, random);
            }
        }
        System.exit(0);
    }

    /**
     * Waits until the node projection's tokens reach the store's head, so the queries measure a coordinator in its
     * steady state (a store seeded by COPY has no node read model: before, the processor replayed it for the whole
     * run, at a few thousand events/s, beside the queries). Prints how long that took.
     */
    private static void caughtUp(Coordinator c) throws Exception {
        long t0 = System.nanoTime();
        long limit = Long.getLong("bench.catchUpMaxSeconds", 3600) * 1_000_000_000L;
        NodeProjectionProgress.Progress p = NodeProjectionProgress.of(c.store().dataSource());
        while (!p.caughtUp() && System.nanoTime() - t0 < limit) {
            Thread.sleep(200);
            p = NodeProjectionProgress.of(c.store().dataSource());
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("node projection %s after %.1f s (lowest token %,d of %,d)%n",
                p.caughtUp() ? "at the head" : "NOT at the head", s, Math.max(0, p.lowest()), p.head());
    }

    /** State at T: the first query writes every state checkpoint (minutes at 10M), then random instants. */
    private static void state(HttpClient http, String base, Coordinator c, long perAgent, Instant end, int queries,
                              Random random) throws Exception {
        {
            long t0 = System.nanoTime();
            get(http, base + "/v1/state?at=" + end);
            System.out.printf("first state query (writes the state checkpoints): %.1f s%n", (System.nanoTime() - t0) / 1e9);
            List<Double> all = new ArrayList<>();
            List<Double> one = new ArrayList<>();
            for (int i = 0; i < queries; i++) {
                Instant at = START.plusMillis((long) (random.nextDouble() * Duration.between(START, end).toMillis()));
                all.add(timed(http, base + "/v1/state?at=" + at));
                one.add(timed(http, base + "/v1/state?at=" + at + "&cluster=c" + random.nextInt(AGENTS / 2)));
            }
            System.out.printf("state at T, every router (%d queries): p50 %.1f ms, p99 %.1f ms%n", queries, pct(all, 50), pct(all, 99));
            System.out.printf("state at T, one cluster  (%d queries): p50 %.1f ms, p99 %.1f ms%n", queries, pct(one, 50), pct(one, 99));
            if (ANCHORS && perAgent * AGENTS <= 2_000_000) {
                // The anchor: what the query did before checkpoints, the fold over every fact up to T.
                StoredEvents stored = new StoredEvents(c.store().dataSource(), EnvelopeCodec.standard());
                Instant at = START.plus(Duration.between(START, end).dividedBy(2));
                long a0 = System.nanoTime();
                List<StoredEvent> facts = stored.inWindow(Instant.EPOCH, at, Optional.empty());
                int routers = StateFold.at(facts.stream().map(StoredEvent::observed).toList(), at).size();
                System.out.printf("anchor, the full fold up to the middle of the history (%,d facts, %d routers): %.0f ms%n",
                        facts.size(), routers, (System.nanoTime() - a0) / 1e6);
            }
        }
    }

    /**
     * Moves and incidents: the first query builds the review read models from nothing (what every query after a
     * change did before they were incremental); then queries on an unchanged store; then a query after each of
     * 20 new batches (a failover of cluster c0), and after one late batch (agent times a day back). The anchor
     * is the previous refill's in-memory work (every fact through the review fold and the rows), same run.
     */
    private static void review(HttpClient http, String base, Coordinator c, long perAgent, Instant end, Random random)
            throws Exception {
        Instant weekAgo = end.minus(Duration.ofDays(7));
        if (ANCHORS && perAgent * AGENTS <= 2_000_000) {
            long a0 = System.nanoTime();
            List<StoredEvent> facts = new StoredEvents(c.store().dataSource(), EnvelopeCodec.standard())
                    .inWindow(Instant.EPOCH, ReviewRows.END_OF_TIME, Optional.empty());
            List<ReviewFact> review = ReviewFold.derive(facts.stream().map(StoredEvent::observed).toList(), ReviewPolicy.DEFAULT);
            int rows = ReviewRows.moves(review).size() + ReviewRows.incidents(facts, review).size();
            System.out.printf("anchor, the previous refill's fold of every fact (%,d facts, %,d rows, no writes): %.0f ms%n",
                    facts.size(), rows, (System.nanoTime() - a0) / 1e6);
        }
        long r0 = System.nanoTime();
        get(http, base + "/v1/moves?cluster=c1&from=" + weekAgo + "&to=" + end);
        System.out.printf("first moves query (builds the review read models from nothing): %.1f s%n", (System.nanoTime() - r0) / 1e9);
        // bench.warmup=N: N untimed rounds of both queries (other random clusters) first, so the figures are those
        // of a coordinator that has run for a while (JIT-compiled paths) rather than of a JVM's first requests;
        // bench.queries=N: how many timed rounds (p99 of 50 is the second worst sample)
        int warmup = Integer.getInteger("bench.warmup", 0);
        int rounds = Integer.getInteger("bench.queries", 50);
        for (int i = 0; i < warmup; i++) {
            int cl = random.nextInt(AGENTS / 2);
            get(http, base + "/v1/moves?vip=10.1." + (cl / 250) + "." + (cl % 250 + 1) + "&from=" + weekAgo + "&to=" + end);
            get(http, base + "/v1/incidents?cluster=c" + cl + "&from=" + end.minus(Duration.ofDays(30)) + "&to=" + end);
            get(http, base + "/v1/events/" + (1 + random.nextInt(1000)));
        }
        if (warmup > 0) {
            System.out.printf("warm-up: %d untimed rounds of moves, incidents and one event%n", warmup);
        }
        List<Double> moves = new ArrayList<>();
        List<Double> incidents = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            int cl = random.nextInt(AGENTS / 2);
            moves.add(timed(http, base + "/v1/moves?vip=10.1." + (cl / 250) + "." + (cl % 250 + 1) + "&from=" + weekAgo + "&to=" + end));
            incidents.add(timed(http, base + "/v1/incidents?cluster=c" + cl + "&from=" + end.minus(Duration.ofDays(30)) + "&to=" + end));
        }
        System.out.printf("moves of one VIP over a week, store unchanged (%d): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                rounds, pct(moves, 50), pct(moves, 99), pct(moves, 100));
        System.out.printf("incidents of a cluster over a month, store unchanged (%d): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                rounds, pct(incidents, 50), pct(incidents, 99), pct(incidents, 100));
        split(c, end, random);
        List<Double> floor = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            floor.add(timed(http, base + "/v1/events/" + (1 + random.nextInt(1000)))); // one row by primary key
        }
        System.out.printf("floor: one event by id over the same HTTP path (%d): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                rounds, pct(floor, 50), pct(floor, 99), pct(floor, 100));
        EnvelopeCodec codec = EnvelopeCodec.standard();
        long[] seq = {lastSeq(c, "db0"), lastSeq(c, "db1")}; // a run on a store an earlier run already added to goes on
        List<Double> after = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Instant t = end.plusSeconds(60L * (i + 1));
            post(http, base, codec, seq, i % 2, t, true);
            post(http, base, codec, seq, (i + 1) % 2, t.plusMillis(300), false);
            after.add(timed(http, base + "/v1/moves?cluster=c0&from=" + weekAgo + "&to=" + end.plus(Duration.ofDays(1))));
        }
        System.out.printf("moves query right after a new batch (incremental refresh, 20 batches): p50 %.1f ms, p99 %.1f ms%n",
                pct(after, 50), pct(after, 99));
        post(http, base, codec, seq, 0, end.minus(Duration.ofDays(1)), true);
        double late = timed(http, base + "/v1/incidents?cluster=c0&from=" + weekAgo + "&to=" + end.plus(Duration.ofDays(1)));
        System.out.printf("incidents query after a late batch (agent time a day back: resumes from an earlier checkpoint): %.0f ms%n", late);
        long n0 = System.nanoTime();
        get(http, base + "/v1/narrative?cluster=c3&from=" + end.minus(Duration.ofDays(1)) + "&to=" + end);
        System.out.printf("narrative of one day of one cluster, first: %.0f ms%n", (System.nanoTime() - n0) / 1e6);
        List<Double> narratives = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // Random day-long windows over the last week, random clusters: resumed from the checkpoint before each.
            Instant to = end.minusSeconds(random.nextInt(6 * 86_400));
            narratives.add(timed(http, base + "/v1/narrative?cluster=c" + random.nextInt(AGENTS / 2) + "&from="
                    + to.minus(Duration.ofDays(1)) + "&to=" + to));
        }
        System.out.printf("narrative of one day of one cluster (20 windows, last week): p50 %.0f ms, p99 %.0f ms%n",
                pct(narratives, 50), pct(narratives, 99));
        if (!STATE) {
            return; // the state checkpoints were never written: the next state query would write them all
        }
        List<Double> state = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Instant at = START.plusMillis((long) (random.nextDouble() * Duration.between(START, end).toMillis()));
            state.add(timed(http, base + "/v1/state?at=" + at + "&cluster=c" + random.nextInt(AGENTS / 2)));
        }
        System.out.printf("state at T of one cluster, after the review queries (50): p50 %.1f ms, p99 %.1f ms%n",
                pct(state, 50), pct(state, 99));
        if (ANCHORS && perAgent * AGENTS <= 2_000_000) {
            // The anchor: the narrative by VIP still folds the history up to the window (the previous path for all).
            long v0 = System.nanoTime();
            get(http, base + "/v1/narrative?vip=10.1.0.4&from=" + end.minus(Duration.ofDays(1)) + "&to=" + end);
            System.out.printf("anchor, narrative of one day by VIP (folds the whole history up to it): %.0f ms%n",
                    (System.nanoTime() - v0) / 1e6);
        }
    }

    /**
     * Where an incidents query's time goes, in this JVM without HTTP: the refresh check on an unchanged store, the
     * statement with its rows read as stored (what the API streams), and the same rows parsed into lists (what it
     * did before). 50 random clusters each, same month window.
     */
    private static void split(Coordinator c, Instant end, Random random) throws Exception {
        ReviewReadModel rm = new ReviewReadModel(c.store().dataSource(), EnvelopeCodec.standard(), Clock.systemUTC(),
                Duration.ofSeconds(60), ReviewReadModel.DEFAULT_EVERY);
        List<Double> check = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        List<Double> parsed = new ArrayList<>();
        long[] rows = {0};
        for (int i = 0; i < 50; i++) {
            Optional<String> cl = Optional.of("c" + random.nextInt(AGENTS / 2));
            Instant from = end.minus(Duration.ofDays(30));
            long t0 = System.nanoTime();
            rm.refresh();
            long t1 = System.nanoTime();
            rm.eachIncident(cl, Optional.empty(), Optional.empty(), from, end, r -> rows[0]++);
            long t2 = System.nanoTime();
            rm.incidents(cl, Optional.empty(), Optional.empty(), from, end);
            long t3 = System.nanoTime();
            check.add((t1 - t0) / 1e6);
            raw.add((t2 - t1) / 1e6);
            parsed.add((t3 - t2) / 1e6);
        }
        System.out.printf("incidents, in-process split (50 clusters, %,d rows each on average): refresh check p50 %.2f / p99 %.2f ms;"
                        + " statement + rows as stored p50 %.1f / p99 %.1f ms; statement + rows parsed p50 %.1f / p99 %.1f ms%n",
                rows[0] / 50, pct(check, 50), pct(check, 99), pct(raw, 50), pct(raw, 99), pct(parsed, 50), pct(parsed, 99));
    }

    private static long lastSeq(Coordinator c, String agent) throws Exception {
        try (Connection conn = c.store().dataSource().getConnection();
             java.sql.PreparedStatement ps = conn.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM ingested_fact WHERE agent_id = ?")) {
            ps.setString(1, agent);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Agent db0 or db1 (cluster c0) becomes master (VIPs added) or leaves the role (VIPs removed) at {@code t}. */
    private static void post(HttpClient http, String base, EnvelopeCodec codec, long[] seq, int agent, Instant t,
                             boolean master) throws Exception {
        String name = "db" + agent;
        String boot = UUID.nameUUIDFromBytes(("boot" + agent).getBytes(StandardCharsets.UTF_8)).toString();
        RouterRef r = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
        List<AgentFact> facts = master
                ? List.of(new AgentFact.RouterStateChanged(r, RouterState.BACKUP, RouterState.MASTER, "bench takeover", 150, 150,
                        Optional.empty()), new AgentFact.VipsAdded(r, List.of("10.1.0.1/32"), true, "ok"))
                : List.of(new AgentFact.RouterStateChanged(r, RouterState.MASTER, RouterState.BACKUP, "bench yield", 150, 100,
                        Optional.empty()), new AgentFact.VipsRemoved(r, List.of("10.1.0.1/32"), true, "ok"));
        List<EventEnvelope> batch = new ArrayList<>();
        for (int i = 0; i < facts.size(); i++) {
            batch.add(new EventEnvelope(name, boot, ++seq[agent], t.plusMillis(i), 0, 1, Optional.of("c0"), facts.get(i)));
        }
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("Authorization", "Bearer " + AGENT_TOKEN + agent).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(codec.encodeBatch(batch))).build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200 || !res.body().contains("\"stored\":" + batch.size())) {
            throw new IllegalStateException("ingest: " + res.statusCode() + " " + res.body());
        }
    }

    private static double timed(HttpClient http, String uri) throws Exception {
        long t0 = System.nanoTime();
        get(http, uri);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void get(HttpClient http, String uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + READ_TOKEN)
                .timeout(Duration.ofMinutes(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(uri + ": " + r.statusCode() + " " + r.body());
        }
    }

    private static double pct(List<Double> samples, int p) {
        List<Double> s = new ArrayList<>(samples);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    private static long count(HikariDataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM domain_event_entry")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Facts in global time order (round k of every agent, then round k+1), each agent's stream hash-chained. */
    private static void seed(HikariDataSource ds, long perAgent, Duration step) throws Exception {
        EnvelopeCodec codec = EnvelopeCodec.standard();
        ObjectMapper axon = JsonMapper.builder().addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
        HexFormat hex = HexFormat.of();
        String[] chain = new String[AGENTS];
        String[] boots = new String[AGENTS];
        for (int a = 0; a < AGENTS; a++) {
            chain[a] = HashChain.GENESIS;
            boots[a] = UUID.nameUUIDFromBytes(("boot" + a).getBytes(StandardCharsets.UTF_8)).toString();
        }
        String meta = "\\\\x" + hex.formatHex("{}".getBytes(StandardCharsets.UTF_8));
        long index = 0;
        try (Connection events = ds.getConnection(); Connection ledger = ds.getConnection()) {
            for (Connection c : List.of(events, ledger)) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET statement_timeout = 0"); // the pool's 20 s limit is for appends, not for a seeding COPY
                }
            }
            CopyIn de = events.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY domain_event_entry (global_index,"
                    + " aggregate_identifier, sequence_number, type, event_identifier, meta_data, payload, payload_type,"
                    + " time_stamp) FROM STDIN");
            CopyIn fl = ledger.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ingested_fact (agent_id, boot_id, seq,"
                    + " stream_index, fact_type, agent_time, chain_hash, recorded_at) FROM STDIN");
            StringBuilder d = new StringBuilder(1 << 20);
            StringBuilder f = new StringBuilder(1 << 18);
            for (long k = 0; k < perAgent; k++) {
                for (int a = 0; a < AGENTS; a++) {
                    String agent = "db" + a;
                    Instant t = START.plus(step.multipliedBy(k)).plusMillis(a % 2 == 0 ? 0 : 40 + a % 7)
                            .truncatedTo(ChronoUnit.MICROS);
                    EventEnvelope e = new EventEnvelope(agent, boots[a], k + 1, t, k * 1_000_000L, 1,
                            Optional.of("c" + a / 2), fact(a, k));
                    String canonical = codec.encode(e);
                    String hash = HashChain.next(chain[a], canonical);
                    FactRecorded r = new FactRecorded(agent, boots[a], k + 1, k, e.factType(), t, canonical, chain[a], hash);
                    chain[a] = hash;
                    Instant stored = t.plusMillis(3);
                    d.append(++index).append('\t').append(agent).append('\t').append(k).append("\tAgentStream\t")
                            .append(UUID.randomUUID()).append('\t').append(meta).append("\t\\\\x")
                            .append(hex.formatHex(axon.writeValueAsBytes(r))).append('\t').append(FactRecorded.class.getName())
                            .append('\t').append(stored).append('\n');
                    f.append(agent).append('\t').append(boots[a]).append('\t').append(k + 1).append('\t').append(k).append('\t')
                            .append(e.factType()).append('\t').append(t).append('\t').append(hash).append('\t').append(stored)
                            .append('\n');
                    if (d.length() > (1 << 20)) {
                        flush(de, d);
                        flush(fl, f);
                    }
                }
                if (k % Math.max(1, perAgent / 10) == 0) {
                    System.out.printf("  seeding: %,d events%n", index);
                }
            }
            flush(de, d);
            flush(fl, f);
            de.endCopy();
            fl.endCopy();
            try (Statement s = events.createStatement()) {
                // The identity goes on after the seeded indices, as if they had been appended.
                s.execute("SELECT setval(pg_get_serial_sequence('domain_event_entry', 'global_index'), " + index + ")");
                s.execute("ANALYZE domain_event_entry");
                s.execute("ANALYZE ingested_fact");
            }
        }
    }

    private static void flush(CopyIn copy, StringBuilder rows) throws Exception {
        byte[] b = rows.toString().getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(b, 0, b.length);
        rows.setLength(0);
    }

    /** A cluster's two nodes swap the master role every 8 facts: tracker, priority, state, VIPs, then health noise. */
    private static AgentFact fact(int agent, long k) {
        int cluster = agent / 2;
        RouterRef r = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
        boolean master = (k / 8 + agent) % 2 == 0;
        String vip = "10.1." + (cluster / 250) + "." + (cluster % 250 + 1);
        return switch ((int) (k % 8)) {
            case 0 -> new AgentFact.TrackerResultChanged("pg_primary", "postgresql", master, master ? "primary" : "in recovery", 2_000_000);
            case 1 -> new AgentFact.PriorityChanged(r, 150, master ? 150 : 100, "pg_primary");
            case 2 -> new AgentFact.RouterStateChanged(r, master ? RouterState.BACKUP : RouterState.MASTER,
                    master ? RouterState.MASTER : RouterState.BACKUP, master ? "higher priority 150 > 100 (preempt)"
                    : "received advert with higher priority 150", 150, master ? 150 : 100, Optional.empty());
            case 3 -> master ? new AgentFact.VipsAdded(r, List.of(vip + "/32"), true, "ok")
                    : new AgentFact.VipsRemoved(r, List.of(vip + "/32"), true, "ok");
            default -> new AgentFact.TrackerResultChanged("pg_lag", "postgresql", true, "lag 0 bytes", 1_500_000);
        };
    }
}
