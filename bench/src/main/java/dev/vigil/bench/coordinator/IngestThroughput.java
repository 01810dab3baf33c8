package dev.vigil.bench.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.processing.ProcessorSettings;
import dev.vigil.coordinator.projection.Observed;
import dev.vigil.coordinator.projection.ReviewFold;
import dev.vigil.coordinator.projection.ReviewPolicy;
import dev.vigil.coordinator.projection.StoredPayload;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sustained ingest through {@code POST /v1/events} from simulated agents, the plain batched-JDBC
 * figure in the same run (for the ratio), and replay of the whole store through the review fold.
 * Usage: IngestThroughput [jdbc-url|h2] [agents] [events-per-batch] [seconds] [senders] [total-events]
 * With total-events &gt; 0 the run lasts until that many events are stored (seconds is ignored) and prints the
 * footprint (heap after GC, RSS) at each quarter of it: the growth curve of issue 7.
 */
public final class IngestThroughput {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    /**
     * What the simulated agents report ({@code -Dbench.fleet}). {@code steady} (the default): a fleet in production,
     * pairs of agents (a cluster) each with one usual master; mostly tracker verdicts with a new detail, priority
     * steps, rejected-advert counts, and a planned switchover of every pair every {@link #SWITCHOVER} facts of a
     * stream (each side's transition, VIPs and notify script: 3 % of the facts). {@code storm}: the mix used before
     * (every 4th fact of every agent a takeover, every tracker failing every 8 facts, so every cluster is in a
     * split brain and every agent flaps for the whole run): the review read models' worst case.
     */
    static final boolean STORM = "storm".equals(System.getProperty("bench.fleet", "steady"));
    static final long SWITCHOVER = 200;

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "h2";
        int agents = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        int senders = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        long total = args.length > 5 ? Long.parseLong(args[5]) : 0;
        Path dir = Files.createTempDirectory("vigil-bench");
        StoreSettings store = url.equals("h2") ? StoreSettings.embedded(dir)
                : new StoreSettings(url, System.getProperty("db.user", "postgres"), System.getProperty("db.password", ""), 16, 1000);
        Map<String, String> hashes = new HashMap<>();
        for (int a = 0; a < agents; a++) {
            hashes.put("agent" + a, AgentTokens.sha256Hex("token-" + a));
        }
        EnvelopeCodec codec = EnvelopeCodec.standard();
        CoordinatorSettings settings = new CoordinatorSettings("127.0.0.1", 0, store, AgentTokens.of(hashes), Optional.empty());
        // bench.refreshEvery=PT1H: the review and state read models are not refreshed during the run (the node
        // projection still runs), to show what ingest alone costs next to the default (refresh every second).
        String refresh = System.getProperty("bench.refreshEvery");
        if (refresh != null) {
            ProcessorSettings p = settings.processors();
            settings = settings.withProcessors(new ProcessorSettings(p.segments(), p.claimTimeout(), p.nodeId(),
                    Duration.parse(refresh)));
        }
        // bench.segments=N: the node projection split in N segments (Axon offers each event to every segment this
        // instance holds, so its cost per event grows with N; 6 is the default for an even share over 1, 2, 3, 6)
        Integer segments = Integer.getInteger("bench.segments");
        if (segments != null) {
            ProcessorSettings p = settings.processors();
            settings = settings.withProcessors(new ProcessorSettings(segments, p.claimTimeout(), p.nodeId(), p.refreshEvery()));
        }
        try (Coordinator c = Coordinator.start(settings, Clock.systemUTC())) {
            // bench.processors=false: the node projection and the read-model refresh stopped right after the start,
            // so the figures show the ingest path alone (the coordinator has no switch for it: production runs them).
            boolean processorsOff = "false".equals(System.getProperty("bench.processors"));
            // bench.nodeProjection=false: the node projection stopped as above, but the review read models and state
            // checkpoints still refreshed every refreshEvery (as the owner of segment 0 does), here on a bench thread
            // that times each refresh: the refresh's cost under ingest, isolated.
            boolean refreshOnly = "false".equals(System.getProperty("bench.nodeProjection"));
            RefreshTimer refreshTimer = null;
            if (processorsOff || refreshOnly) {
                c.processors().close();
            }
            if (refreshOnly) {
                refreshTimer = new RefreshTimer(c, settings.processors().refreshEvery());
            }
            ExecutorService httpThreads = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "bench-http");
                t.setDaemon(true);
                return t;
            });
            // HTTP/1.1 as the agent's Shipper speaks it: the JDK client's default (h2c upgrade, -Dbench.http=h2) put
            // every sender on one HTTP/2 connection, so one event loop, with HTTP/2 framing on both sides.
            HttpClient http = "h2".equals(System.getProperty("bench.http"))
                    ? HttpClient.newBuilder().executor(httpThreads).build()
                    : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(httpThreads).build();
            URI uri = URI.create("http://127.0.0.1:" + c.port() + "/v1/events");
            AtomicLong stored = new AtomicLong();
            long[] nextSeq = new long[agents];
            String[] boots = new String[agents];
            for (int a = 0; a < agents; a++) {
                boots[a] = UUID.randomUUID().toString();
                nextSeq[a] = 1;
            }
            long deadline = total > 0 ? Long.MAX_VALUE : System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            long start = System.nanoTime();
            long cpuStart = cpuNanos();
            ObjectMapper replies = new ObjectMapper();
            List<String> growth = new ArrayList<>();
            // The second half of the run, once JIT compilation and the first load of every stream are behind.
            long[] half = new long[4];
            Thread halfway = new Thread(() -> {
                long mid = start + Duration.ofSeconds(seconds).toNanos() / 2;
                while (total > 0 ? stored.get() < total / 2 : System.nanoTime() < mid) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                half[0] = System.nanoTime();
                half[1] = cpuNanos();
                half[2] = stored.get();
                half[3] = pgCpuNanos();
            }, "bench-halfway");
            halfway.setDaemon(true);
            halfway.start();
            Thread footprint = new Thread(() -> {
                for (int quarter = 1; quarter <= 4 && total > 0; ) {
                    if (stored.get() >= total * quarter / 4) {
                        long n = stored.get();
                        growth.add(String.format("at %,d events: heap after GC %d MiB, RSS %d MiB, %d streams cached, %.0f s",
                                n, heapAfterGc() >> 20, rssKib() >> 10, c.store().cachedStreams(), (System.nanoTime() - start) / 1e9));
                        System.out.println(growth.get(growth.size() - 1));
                        quarter++;
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-footprint");
            footprint.setDaemon(true);
            footprint.start();
            BatchTemplates templates = new BatchTemplates(codec, agents);
            ExecutorService pool = Executors.newFixedThreadPool(senders);
            List<Future<?>> work = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                work.add(pool.submit(() -> {
                    for (int a = sender; System.nanoTime() < deadline && (total == 0 || stored.get() < total);
                         a = (a + senders) % agents) {
                        byte[] body;
                        long first;
                        synchronized (nextSeq) {
                            first = nextSeq[a];
                            nextSeq[a] += batch;
                        }
                        if (RECORD_LOAD) { // the load generator before: records encoded by the codec per batch
                            List<EventEnvelope> events = new ArrayList<>(batch);
                            for (long seq = first; seq < first + batch; seq++) {
                                events.add(new EventEnvelope("agent" + a, boots[a], seq, Instant.now(), System.nanoTime(), 1,
                                        Optional.of("cluster" + (a / 2)), fact(a, seq)));
                            }
                            body = codec.encodeBatch(events);
                        } else {
                            body = templates.batch(a, boots[a], first, batch);
                        }
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                .header("Authorization", "Bearer token-" + a)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException(r.statusCode() + " " + r.body());
                        }
                        stored.addAndGet(RECORD_LOAD ? replies.readTree(r.body()).get("stored").asLong() : storedOf(r.body()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            pool.shutdown();
            footprint.join(10_000);
            double ingestSeconds = (System.nanoTime() - start) / 1e9;
            double ingestCpu = (cpuNanos() - cpuStart) / 1e3 / Math.max(1, stored.get());
            long secondHalf = stored.get() - half[2];
            double steadyRate = secondHalf / ((System.nanoTime() - half[0]) / 1e9);
            double steadyCpu = (cpuNanos() - half[1]) / 1e3 / Math.max(1, secondHalf);
            double steadyPgCpu = (pgCpuNanos() - half[3]) / 1e3 / Math.max(1, secondHalf);
            if (refreshTimer != null) {
                refreshTimer.finish(); // the rest folded after the ingest figures, before the anchor
            }
            long cpuPlain = cpuNanos();
            long pgPlain = pgCpuNanos();
            long plainEvents = Math.min(stored.get(), 200_000);
            double ingestRate = stored.get() / ingestSeconds;
            double plainRate = plainJdbc(c, batch, plainEvents);
            double plainCpu = (cpuNanos() - cpuPlain) / 1e3 / plainEvents;
            double plainPgCpu = (pgCpuNanos() - pgPlain) / 1e3 / plainEvents;
            boolean noReplay = Boolean.getBoolean("bench.noReplay");
            // bench.replayRuns > 1: scan and replay again in the same JVM, the last run's figures printed (warm JIT).
            int replayRuns = noReplay ? 0 : Integer.getInteger("bench.replayRuns", 1);
            double scanRate = 0;
            double replayRate = 0;
            long cpuReplay = cpuNanos();
            for (int run = 1; run <= replayRuns; run++) {
                scanRate = rawScan(c);
                for (String mode : REPLAY_MODES) {
                    cpuReplay = cpuNanos();
                    replayRate = replay(c, codec, mode);
                    System.out.printf("replay run %d, %s: %.0f events/s (read+decode %.0f ms, fold %.0f ms), raw scan"
                                    + " %.0f events/s, ratio %.2f, JVM CPU %.1f us/event, load %.1f%n", run, mode, replayRate,
                            replayReadMillis, replayFoldMillis, scanRate, replayRate / scanRate,
                            (cpuNanos() - cpuReplay) / 1e3 / Math.max(1, replayed),
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                }
            }
            System.out.printf("store %s, %d agents (%s fleet), %d events/batch, %d senders, %s%n", store.vendor(),
                    agents, STORM ? "storm" : "steady", batch, senders, processorsOff ? "node projection and read-model refresh OFF"
                            : refreshOnly ? "node projection OFF, read models refreshed every " + settings.processors().refreshEvery()
                            : "read models refreshed every " + settings.processors().refreshEvery());
            System.out.printf("ingest via HTTP: %d events in %.1f s = %.0f events/s%n", stored.get(), ingestSeconds, ingestRate);
            System.out.printf("plain batched JDBC (same shape, same run): %.0f events/s; ingest ratio %.2f%n", plainRate,
                    ingestRate / plainRate);
            System.out.printf("ingest, second half of the run: %.0f events/s, JVM CPU %.0f us/event (load generator included)%n",
                    steadyRate, steadyCpu);
            if (PG_PID > 0) {
                System.out.printf("PostgreSQL CPU per event (every process of postmaster %d): ingest second half %.1f us,"
                        + " plain JDBC %.1f us%n", PG_PID, steadyPgCpu, plainPgCpu);
            }
            System.out.printf("replay through the review fold: %.0f events/s (read+decode %.0f ms, fold %.0f ms);"
                    + " raw table scan (same run): %.0f events/s; replay ratio %.2f%n", replayRate, replayReadMillis,
                    replayFoldMillis, scanRate, replayRate / scanRate);
            System.out.printf("JVM CPU per event (load generator included): ingest %.0f us, plain JDBC %.1f us, replay %.1f us%n",
                    ingestCpu, plainCpu, (cpuNanos() - cpuReplay) / 1e3 / Math.max(1, replayed));
            System.out.printf("heap used after GC: %d MiB, RSS %d MiB%n", heapAfterGc() / (1024 * 1024), rssKib() >> 10);
            growth.forEach(System.out::println);
            if (refreshTimer != null) {
                refreshTimer.close();
                refreshTimer.print(stored.get());
            }
        }
        System.exit(0); // the JDK HttpClient keeps a selector thread alive
    }

    /** bench.loadGen=records: the load generator as before (records through the codec per batch), for a same-run comparison. */
    private static final boolean RECORD_LOAD = "records".equals(System.getProperty("bench.loadGen"));

    /** The "stored" count of an ingest reply, without a JSON parser (the load generator's CPU counts against the target). */
    static long storedOf(String reply) {
        int i = reply.indexOf("\"stored\":") + 9;
        long n = 0;
        while (i < reply.length() && Character.isDigit(reply.charAt(i))) {
            n = n * 10 + (reply.charAt(i++) - '0');
        }
        return n;
    }

    /**
     * Batches as the codec writes them, cheaply: per agent and fact kind one envelope encoded once with marker
     * values, cut at the markers; a batch is those pieces with the seq, time and monotonic nanos written in. The
     * same bytes as {@code encodeBatch} would give for those records (checked once at start), a fraction of its CPU.
     */
    static final class BatchTemplates {
        private static final long SEQ_MARK = 777_777_777_777L;
        private static final long MONO_MARK = 888_888_888_888L;
        private static final Instant TIME_MARK = Instant.parse("2001-02-03T04:05:06.123456Z");
        private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);
        private static final int KINDS = 8; // fact(seq) depends on seq % 8
        private final EnvelopeCodec codec;
        /** [agent][kind] -> the envelope cut before mono, seq and time. */
        private final byte[][][][] pieces;

        BatchTemplates(EnvelopeCodec codec, int agents) {
            this.codec = codec;
            this.pieces = new byte[agents][][][];
        }

        private byte[][][] of(int agent, String boot) {
            byte[][][] p = pieces[agent];
            if (p == null) {
                p = new byte[KINDS][][];
                for (int k = 0; k < KINDS; k++) {
                    String json = codec.encode(new EventEnvelope("agent" + agent, boot, SEQ_MARK, TIME_MARK, MONO_MARK, 1,
                            Optional.of("cluster" + (agent / 2)), cycleFact(agent, k == 0 ? KINDS : k)));
                    String mono = Long.toString(MONO_MARK);
                    String seq = Long.toString(SEQ_MARK);
                    String time = TIME.format(TIME_MARK);
                    int m = json.indexOf(mono);
                    int s = json.indexOf(seq);
                    int t = json.indexOf(time);
                    if (m < 0 || s < m || t < s) {
                        throw new IllegalStateException("unexpected canonical layout: " + json);
                    }
                    p[k] = new byte[][] {
                            json.substring(0, m).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            json.substring(m + mono.length(), s).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            json.substring(s + seq.length(), t).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            json.substring(t + time.length()).getBytes(java.nio.charset.StandardCharsets.UTF_8)};
                }
                pieces[agent] = p;
                // Once per agent: the pieces give exactly what the codec writes.
                Instant now = Instant.parse(TIME.format(Instant.now()));
                byte[] mine = batch(agent, boot, 1, KINDS, now, 42);
                List<EventEnvelope> events = new ArrayList<>();
                for (long seq = 1; seq <= KINDS; seq++) {
                    events.add(new EventEnvelope("agent" + agent, boot, seq, now, 42, 1, Optional.of("cluster" + (agent / 2)),
                            fact(agent, seq)));
                }
                if (!java.util.Arrays.equals(mine, codec.encodeBatch(events))) {
                    throw new IllegalStateException("batch templates differ from the codec for agent " + agent);
                }
            }
            return p;
        }

        byte[] batch(int agent, String boot, long firstSeq, int n) {
            return batch(agent, boot, firstSeq, n, Instant.now(), System.nanoTime());
        }

        private byte[] batch(int agent, String boot, long firstSeq, int n, Instant now, long mono) {
            byte[][][] p = of(agent, boot);
            byte[] time = TIME.format(now).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(n * 420 + 16);
            out.writeBytes(OPEN);
            for (long seq = firstSeq; seq < firstSeq + n; seq++) {
                if (seq > firstSeq) {
                    out.write(',');
                }
                Optional<AgentFact> rare = rareFact(agent, seq);
                if (rare.isPresent()) { // a transition of the steady fleet: not in the cycle of templates
                    out.writeBytes(codec.encode(new EventEnvelope("agent" + agent, boot, seq, Instant.parse(new String(time,
                            java.nio.charset.StandardCharsets.US_ASCII)), mono, 1, Optional.of("cluster" + (agent / 2)), rare.get()))
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    continue;
                }
                byte[][] e = p[(int) (seq % KINDS)];
                out.writeBytes(e[0]);
                writeLong(out, mono);
                out.writeBytes(e[1]);
                writeLong(out, seq);
                out.writeBytes(e[2]);
                out.writeBytes(time);
                out.writeBytes(e[3]);
            }
            out.writeBytes(CLOSE);
            return out.toByteArray();
        }

        private static final byte[] OPEN = "{\"events\":[".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        private static final byte[] CLOSE = "]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        private static void writeLong(java.io.ByteArrayOutputStream out, long v) {
            out.writeBytes(Long.toString(v).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /** The read models' refresh every {@code every} on one thread, as the processors run it, each refresh timed. */
    private static final class RefreshTimer implements AutoCloseable {
        private final java.util.concurrent.ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-refresh");
            t.setDaemon(true);
            return t;
        });
        private final long[] rounds = new long[2];
        private final long[] nanos = new long[2];
        private final long[] max = new long[2];
        private final long[] cpu = new long[2];

        RefreshTimer(Coordinator c, Duration every) {
            Clock clock = Clock.systemUTC();
            dev.vigil.coordinator.projection.ReviewReadModel review = dev.vigil.coordinator.api.QueryApi.reviewReadModel(
                    new dev.vigil.coordinator.projection.StoredEvents(c.store().dataSource(), EnvelopeCodec.standard()),
                    clock, dev.vigil.coordinator.api.QueryApi.GAP_FILL_WINDOW,
                    dev.vigil.coordinator.projection.StateCheckpoints.DEFAULT_EVERY);
            dev.vigil.coordinator.projection.StateCheckpoints states = new dev.vigil.coordinator.projection.StateCheckpoints(
                    c.store().dataSource(), EnvelopeCodec.standard(), clock, dev.vigil.coordinator.api.QueryApi.GAP_FILL_WINDOW,
                    dev.vigil.coordinator.projection.StateCheckpoints.DEFAULT_EVERY);
            List<dev.vigil.coordinator.processing.ProjectionProcessors.Refresh> refreshes = List.of(review::refresh, states::refresh);
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            this.refreshes = refreshes;
            this.mx = mx;
            thread.scheduleWithFixedDelay(() -> {
                for (int i = 0; i < refreshes.size(); i++) {
                    long t0 = System.nanoTime();
                    long c0 = mx.getCurrentThreadCpuTime();
                    try {
                        refreshes.get(i).refresh();
                    } catch (Exception e) {
                        System.out.println("refresh failed: " + e);
                    }
                    long took = System.nanoTime() - t0;
                    rounds[i]++;
                    nanos[i] += took;
                    max[i] = Math.max(max[i], took);
                    cpu[i] += mx.getCurrentThreadCpuTime() - c0;
                    if (LOG_ROUNDS) {
                        System.out.printf("refresh %s: %.1f ms, %d events stored%n", i == 0 ? "review" : "state",
                                took / 1e6, storedNow(c));
                    }
                }
            }, every.toMillis(), every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        private final List<dev.vigil.coordinator.processing.ProjectionProcessors.Refresh> refreshes;
        private final java.lang.management.ThreadMXBean mx;
        private long finalNanos;
        private long finalCpu;

        /** After the ingest: the round under way, then one more that folds the rest (timed apart), then stop. */
        void finish() throws Exception {
            thread.submit(() -> {
                long t0 = System.nanoTime();
                long c0 = mx.getCurrentThreadCpuTime();
                for (dev.vigil.coordinator.processing.ProjectionProcessors.Refresh r : refreshes) {
                    r.refresh();
                }
                finalNanos = System.nanoTime() - t0;
                finalCpu = mx.getCurrentThreadCpuTime() - c0;
                return null;
            }).get(600, java.util.concurrent.TimeUnit.SECONDS);
        }

        private static final boolean LOG_ROUNDS = Boolean.getBoolean("bench.refreshLog");

        private static long storedNow(Coordinator c) {
            try (Connection conn = c.store().dataSource().getConnection(); Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(global_index), 0) FROM domain_event_entry")) {
                rs.next();
                return rs.getLong(1);
            } catch (java.sql.SQLException e) {
                return -1;
            }
        }

        void print(long events) {
            System.out.printf("refresh thread CPU per ingested event (every round, the catch-up after the ingest included):"
                    + " %.1f us; catch-up after the ingest %.0f ms (CPU %.0f ms)%n",
                    (cpu[0] + cpu[1] + finalCpu) / 1e3 / Math.max(1, events), finalNanos / 1e6, finalCpu / 1e6);
            String[] names = {"review read models", "state checkpoints"};
            for (int i = 0; i < 2; i++) {
                System.out.printf("refresh of the %s (bench thread): %d rounds, mean %.1f ms, max %.1f ms, thread CPU %.1f ms/round%n",
                        names[i], rounds[i], nanos[i] / 1e6 / Math.max(1, rounds[i]), max[i] / 1e6,
                        cpu[i] / 1e6 / Math.max(1, rounds[i]));
            }
        }

        @Override
        public void close() throws InterruptedException {
            thread.shutdown();
            thread.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Fact {@code seq} of agent {@code agent}'s stream in the fleet {@code -Dbench.fleet} names. */
    static AgentFact fact(int agent, long seq) {
        return rareFact(agent, seq).orElseGet(() -> cycleFact(agent, seq));
    }

    /** The repeating part of a stream (it depends on seq % 8 only, so the load generator keeps it as templates). */
    static AgentFact cycleFact(int agent, long seq) {
        if (STORM) {
            return fact(seq);
        }
        int base = agent % 2 == 0 ? 150 : 100;
        return switch ((int) (seq % 8)) {
            case 0 -> new AgentFact.TrackerResultChanged("pg_lag", "postgresql", true, "replay lag 16 kB", 2_100_000);
            case 1 -> new AgentFact.AdvertsRejected(VI, Map.of("ttl", 3L), 1_000_000_000L);
            case 2 -> new AgentFact.TrackerResultChanged("chk_haproxy", "script", true, "exit 0", 1_200_000);
            case 3 -> new AgentFact.PriorityChanged(VI, base, base - 5, "pg_lag");
            case 4 -> new AgentFact.TrackerResultChanged("pg_lag", "postgresql", true, "replay lag 48 kB", 2_700_000);
            case 5 -> new AgentFact.AdvertsRejected(VI, Map.of("ttl", 1L), 1_000_000_000L);
            case 6 -> new AgentFact.PriorityChanged(VI, base - 5, base, "pg_lag");
            default -> new AgentFact.TrackerResultChanged("pg_lag", "postgresql", true, "replay lag 0 kB", 1_900_000);
        };
    }

    /**
     * The steady fleet's transitions: at start both agents of a pair enter BACKUP and the even one (priority 150)
     * becomes master; every {@link #SWITCHOVER} facts the pair swaps (the master steps down for a priority advert,
     * the other takes over), and back half a cycle later; each transition with its VIP change and notify script.
     */
    static Optional<AgentFact> rareFact(int agent, long seq) {
        if (STORM) {
            return Optional.empty();
        }
        boolean usualMaster = agent % 2 == 0;
        int base = usualMaster ? 150 : 100;
        String peer = "192.0.2." + (usualMaster ? 12 : 11);
        if (seq == 1) {
            return Optional.of(new AgentFact.RouterStateChanged(VI, RouterState.INIT, RouterState.BACKUP, "startup", base, base,
                    Optional.empty()));
        }
        if (seq <= 3) {
            return !usualMaster ? Optional.empty() : Optional.of(seq == 2
                    ? new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER,
                            "master-down timer expired 3609 ms after start with no advert heard", base, base, Optional.empty())
                    : new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok"));
        }
        long phase = seq % SWITCHOVER;
        long step = phase % (SWITCHOVER / 2);
        if (step > 2) {
            return Optional.empty();
        }
        boolean toMaster = usualMaster == (phase >= SWITCHOVER / 2);
        return Optional.of(switch ((int) step) {
            case 0 -> toMaster
                    ? new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER,
                            "priority 0 advert from " + peer + " (it is stopping): master-down after skew time", base, base,
                            Optional.of(peer))
                    : new AgentFact.RouterStateChanged(VI, RouterState.MASTER, RouterState.BACKUP,
                            "stopping for a planned switchover: priority 0 advert sent", base, base, Optional.of(peer));
            case 1 -> toMaster
                    ? new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok")
                    : new AgentFact.VipsRemoved(VI, List.of("192.0.2.100/32"), true, "ok");
            default -> new AgentFact.NotifyScriptRan("VI_PG", "/etc/keepalived/notify.sh", toMaster ? "MASTER" : "BACKUP", 0,
                    38_000_000);
        });
    }

    /** The storm fleet's fact {@code seq} (the same for every agent). */
    static AgentFact fact(long seq) {
        return switch ((int) (seq % 4)) {
            case 0 -> new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER,
                    "master-down timer expired 361 ms after the last advert from 192.0.2.11 (priority 150)", 100, 100,
                    Optional.of("192.0.2.11"));
            case 1 -> new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok");
            case 2 -> new AgentFact.TrackerResultChanged("pg_primary", "postgresql", seq % 8 == 2, "server is in recovery", 3_500_000);
            default -> new AgentFact.PriorityChanged(VI, 150, 100, "pg_primary");
        };
    }

    private static double plainJdbc(Coordinator c, int batch, long events) throws Exception {
        byte[] payload = new byte[600];
        java.util.Arrays.fill(payload, (byte) 'x');
        try (Connection conn = c.store().dataSource().getConnection(); Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE bench_plain (global_index BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                    + " aggregate_identifier VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL, payload "
                    + (c.store().dataSource().getConnection().getMetaData().getDatabaseProductName().contains("H2") ? "VARBINARY" : "BYTEA")
                    + " NOT NULL, UNIQUE (aggregate_identifier, sequence_number))");
            long start = System.nanoTime();
            conn.setAutoCommit(false);
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO bench_plain (aggregate_identifier, sequence_number, payload) VALUES (?, ?, ?)")) {
                for (long i = 0; i < events; i++) {
                    ps.setString(1, "agent" + (i / batch % 1000));
                    ps.setLong(2, i);
                    ps.setBytes(3, payload);
                    ps.addBatch();
                    if ((i + 1) % batch == 0) {
                        ps.executeBatch();
                        conn.commit();
                    }
                }
                ps.executeBatch();
                conn.commit();
            }
            double rate = events / ((System.nanoTime() - start) / 1e9);
            conn.setAutoCommit(true);
            s.execute("DROP TABLE bench_plain");
            return rate;
        }
    }

    /**
     * bench.replayDecode=tree: text BYTEA and {@code EnvelopeCodec.decode(String)}. Before h-group that was the JSON tree;
     * since then decode(String) streams canonical envelopes too, so only the BYTEA format differs.
     */
    private static final boolean TREE_DECODE = "tree".equals(System.getProperty("bench.replayDecode"));
    private static double replayReadMillis;
    private static long replayed;
    private static double replayFoldMillis;

    /** The anchor for replay: every payload of the event table read in global order, nothing decoded. */
    private static double rawScan(Coordinator c) throws Exception {
        long n = 0;
        long bytes = 0;
        long start = System.nanoTime();
        try (Connection conn = c.store().dataSource().getConnection()) {
            conn.setAutoCommit(false);
            try (PreparedStatement ps = StoredPayload.binaryPayloads(
                    conn.prepareStatement("SELECT payload FROM domain_event_entry ORDER BY global_index"))) {
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        bytes += rs.getBytes(1).length;
                        n++;
                    }
                }
            }
            conn.rollback();
        }
        return bytes > 0 ? n / ((System.nanoTime() - start) / 1e9) : 0;
    }

    /**
     * How replay decodes, side by side in one run (bench.replayModes, comma-separated, default all three, the last
     * one's figures printed at the end): string = the envelope as a String, then parsed (before h-replay); chars =
     * one pass, the envelope decoded from the payload's string token in place; pipeline = chars, with the JDBC
     * read on this thread and decoding on StoredPayload.Decoding's threads; folded = pipeline, only the fact types
     * the review fold reads decoded (StoredFacts.FOLDED: what StoredFacts does).
     */
    private static final List<String> REPLAY_MODES = List.of(System.getProperty("bench.replayModes",
            TREE_DECODE ? "string" : "string,chars,pipeline,folded").split(","));

    private static double replay(Coordinator c, EnvelopeCodec codec, String mode) throws Exception {
        List<Observed> facts = new ArrayList<>();
        Instant now = Instant.now();
        long start = System.nanoTime();
        StoredPayload.Decoding decoding = mode.equals("folded")
                ? new StoredPayload.Decoding(codec, dev.vigil.coordinator.projection.StoredFacts.FOLDED, o -> true)
                : new StoredPayload.Decoding(codec, o -> true);
        long rows = 0;
        try (Connection conn = c.store().dataSource().getConnection()) {
            conn.setAutoCommit(false);
            try (PreparedStatement ps = TREE_DECODE ? conn.prepareStatement("SELECT payload FROM domain_event_entry ORDER BY global_index")
                    : StoredPayload.binaryPayloads(conn.prepareStatement("SELECT payload FROM domain_event_entry ORDER BY global_index"))) {
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows++;
                        switch (mode) {
                            case "string" -> facts.add(new Observed(codec.decode(StoredPayload.envelope(rs.getBytes(1))), now));
                            case "chars" -> facts.add(new Observed(StoredPayload.decode(rs.getBytes(1), codec), now));
                            case "pipeline", "folded" -> decoding.add(rs.getBytes(1), now);
                            default -> throw new IllegalArgumentException("bench.replayModes: unknown mode " + mode);
                        }
                    }
                }
            }
            conn.rollback();
        }
        if (mode.equals("pipeline") || mode.equals("folded")) {
            facts = decoding.finish();
        }
        long read = System.nanoTime();
        ReviewFold.derive(facts, ReviewPolicy.DEFAULT);
        replayReadMillis = (read - start) / 1e6;
        replayFoldMillis = (System.nanoTime() - read) / 1e6;
        replayed = rows; // every stored event read; "folded" decodes and folds only the types the fold reads
        return rows / ((System.nanoTime() - start) / 1e9);
    }

    /** bench.pgPid: the postmaster of the benchmark's own PostgreSQL, whose CPU (every backend's) is then reported. */
    private static final long PG_PID = Long.getLong("bench.pgPid", 0);

    /** CPU of the postmaster, its reaped children and its live children (utime+stime from /proc), in ns; 0 without bench.pgPid. */
    static long pgCpuNanos() {
        if (PG_PID <= 0) {
            return 0;
        }
        long ticks = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (java.io.IOException gone) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long pid = Long.parseLong(name);
                long ppid = Long.parseLong(f[1]);
                if (pid == PG_PID) { // fields 14-17: utime stime cutime cstime (reaped backends are in cutime/cstime)
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                } else if (ppid == PG_PID) {
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return ticks * 10_000_000L; // USER_HZ = 100
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static long rssKib() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    static long heapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
