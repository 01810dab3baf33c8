package dev.vigil.bench.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.ingest.AgentTokens;
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
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator of bench/coordinator-scale.sh: a fleet of simulated agents posting batches to
 * several coordinator instances (agent a always to endpoint a mod n, as agents listing endpoints in
 * different orders do), while sampling PostgreSQL's backends (how many are active, how many wait on
 * the append advisory lock); and the plain batched-JDBC anchor, run by the script after the load.
 * Usage: ScaleOutLoad config FILE AGENTS              (writes the coordinators' config: token hashes)
 *        ScaleOutLoad load URL[,URL..] JDBC_URL AGENTS EVENTS_PER_BATCH SECONDS SENDERS
 *        ScaleOutLoad plain JDBC_URL EVENTS_PER_BATCH EVENTS      (the anchor)
 */
public final class ScaleOutLoad {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);

    public static void main(String[] args) throws Exception {
        if (args[0].equals("config")) {
            int agents = Integer.parseInt(args[2]);
            Map<String, Object> hashes = new TreeMap<>();
            for (int a = 0; a < agents; a++) {
                hashes.put("agent" + a, Map.of("tokenSha256", AgentTokens.sha256Hex("token-" + a)));
            }
            Files.writeString(Path.of(args[1]), new ObjectMapper().writeValueAsString(Map.of("agents", hashes)));
            return;
        }
        if (args[0].equals("plain")) {
            System.out.printf("plain batched JDBC (same shape, same database, same run): %.0f events/s%n",
                    plainJdbc(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3])));
            return;
        }
        List<URI> endpoints = Arrays.stream(args[1].split(",")).map(u -> URI.create(u + "/v1/events")).toList();
        String jdbc = args[2];
        int agents = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        int senders = Integer.parseInt(args[6]);
        EnvelopeCodec codec = EnvelopeCodec.standard();
        ExecutorService httpThreads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-http");
            t.setDaemon(true);
            return t;
        });
        HttpClient http = HttpClient.newBuilder().executor(httpThreads).build();
        long[] nextSeq = new long[agents];
        String[] boots = new String[agents];
        for (int a = 0; a < agents; a++) {
            boots[a] = UUID.randomUUID().toString();
            nextSeq[a] = 1;
        }
        AtomicLong stored = new AtomicLong();
        long[] samples = new long[3]; // samples, active backends, advisory-lock waiters
        Thread sampler = new Thread(() -> {
            try (Connection c = DriverManager.getConnection(jdbc, "postgres", "");
                 PreparedStatement q = c.prepareStatement("SELECT count(*) FILTER (WHERE state = 'active'),"
                         + " count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory')"
                         + " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
                while (!Thread.currentThread().isInterrupted()) {
                    try (ResultSet r = q.executeQuery()) {
                        r.next();
                        synchronized (samples) {
                            samples[0]++;
                            samples[1] += r.getLong(1);
                            samples[2] += r.getLong(2);
                        }
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                System.err.println("sampler: " + e);
            }
        }, "bench-sampler");
        sampler.setDaemon(true);
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long start = System.nanoTime();
        long cpuStart = cpuNanos();
        sampler.start();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        List<Future<?>> work = new ArrayList<>();
        ObjectMapper replies = new ObjectMapper();
        for (int s = 0; s < senders; s++) {
            int sender = s;
            work.add(pool.submit(() -> {
                for (int a = sender; System.nanoTime() < deadline; a = (a + senders) % agents) {
                    List<EventEnvelope> events = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                        long seq = nextSeq[a]++; // agent a is only ever sent by sender a mod senders
                        events.add(new EventEnvelope("agent" + a, boots[a], seq, Instant.now(), System.nanoTime(), 1,
                                Optional.of("cluster" + (a / 2)), fact(seq)));
                    }
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoints.get(a % endpoints.size()))
                            .header("Authorization", "Bearer token-" + a)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(codec.encodeBatch(events))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(r.statusCode() + " " + r.body());
                    }
                    stored.addAndGet(replies.readTree(r.body()).get("stored").asLong());
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();
        double elapsed = (System.nanoTime() - start) / 1e9;
        sampler.interrupt();
        sampler.join(2_000);
        double loadCpu = (cpuNanos() - cpuStart) / 1e9;
        System.out.printf("ingest: %d instance(s), %d agents, %d events/batch, %d senders: %d events in %.1f s = %.0f events/s%n",
                endpoints.size(), agents, batch, senders, stored.get(), elapsed, stored.get() / elapsed);
        synchronized (samples) {
            System.out.printf("backends (pg_stat_activity every 100 ms): %.2f active, %.2f waiting on the append advisory lock%n",
                    samples[1] / (double) Math.max(1, samples[0]), samples[2] / (double) Math.max(1, samples[0]));
        }
        System.out.printf("load generator CPU: %.1f s%n", loadCpu);
        System.exit(0); // the JDK HttpClient keeps a selector thread alive
    }

    private static AgentFact fact(long seq) {
        return switch ((int) (seq % 4)) {
            case 0 -> new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER,
                    "master-down timer expired 361 ms after the last advert from 192.0.2.11 (priority 150)", 100, 100,
                    Optional.of("192.0.2.11"));
            case 1 -> new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok");
            case 2 -> new AgentFact.TrackerResultChanged("pg_primary", "postgresql", seq % 8 == 2, "server is in recovery", 3_500_000);
            default -> new AgentFact.PriorityChanged(VI, 150, 100, "pg_primary");
        };
    }

    /** The same shape as an append (UNIQUE stream position, 600-byte payload), one transaction per batch. */
    private static double plainJdbc(String jdbc, int batch, long events) throws Exception {
        byte[] payload = new byte[600];
        Arrays.fill(payload, (byte) 'x');
        try (Connection conn = DriverManager.getConnection(jdbc, "postgres", ""); Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE bench_plain (global_index BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                    + " aggregate_identifier VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL, payload BYTEA NOT NULL,"
                    + " UNIQUE (aggregate_identifier, sequence_number))");
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

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
