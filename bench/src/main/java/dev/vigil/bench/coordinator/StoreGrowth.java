package dev.vigil.bench.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.domain.FactRecorded;
import dev.vigil.coordinator.domain.HashChain;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap and RSS of a running coordinator as its PostgreSQL store grows (issue 7: 10M within 10 % of 1M).
 * One coordinator runs throughout; at each step the store is grown by COPY (hash-chained facts of 1,000 seeded
 * agents, rows shaped exactly as ingest writes them, written behind the coordinator's back), then
 * {@code ingest} events are posted through HTTP by 1,000 other agents, then heap after GC and RSS are printed
 * with that step's ingest rate and JVM CPU per event.
 * Usage: StoreGrowth jdbc-url steps(comma-separated store sizes) ingest-per-step [senders]
 */
public final class StoreGrowth {
    private static final int SEEDED_AGENTS = 1000;
    private static final int AGENTS = 1000;
    private static final int BATCH = 100;
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    public static void main(String[] args) throws Exception {
        if (args[0].equals("seed")) {
            seed(args[1], Long.parseLong(args[2]));
            return;
        }
        String url = args[0];
        List<Long> steps = new ArrayList<>();
        for (String s : args[1].split(",")) {
            steps.add(Long.parseLong(s.trim()));
        }
        long ingest = Long.parseLong(args[2]);
        int senders = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        StoreSettings store = new StoreSettings(url, System.getProperty("db.user", "postgres"), "", 16, 1000);
        Map<String, String> hashes = new HashMap<>();
        for (int a = 0; a < AGENTS; a++) {
            hashes.put("agent" + a, AgentTokens.sha256Hex("token-" + a));
        }
        EnvelopeCodec codec = EnvelopeCodec.standard();
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, store, AgentTokens.of(hashes),
                Optional.empty()), Clock.systemUTC())) {
            HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "bench-http");
                t.setDaemon(true);
                return t;
            })).build();
            URI uri = URI.create("http://127.0.0.1:" + c.port() + "/v1/events");
            long[] nextSeq = new long[AGENTS];
            String[] boots = new String[AGENTS];
            for (int a = 0; a < AGENTS; a++) {
                boots[a] = UUID.randomUUID().toString();
                nextSeq[a] = 1;
            }
            AtomicLong posted = new AtomicLong();
            System.out.println("| store (events) | seed by COPY | ingest via HTTP | JVM CPU/event | heap after GC | RSS | streams cached |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (long target : steps) {
                long t0 = System.nanoTime();
                // In a child JVM: the seeder's garbage must not count in this coordinator's heap and RSS.
                Process seed = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m", "-cp",
                        System.getProperty("java.class.path"), StoreGrowth.class.getName(), "seed", url,
                        Long.toString(target - posted.get())).inheritIO().start();
                if (seed.waitFor() != 0) {
                    throw new IllegalStateException("seeding failed");
                }
                double seedSeconds = (System.nanoTime() - t0) / 1e9;
                long cpu0 = IngestThroughput.cpuNanos();
                long i0 = System.nanoTime();
                long goal = posted.get() + ingest;
                ExecutorService pool = Executors.newFixedThreadPool(senders);
                List<Future<?>> work = new ArrayList<>();
                for (int s = 0; s < senders; s++) {
                    int sender = s;
                    work.add(pool.submit(() -> {
                        for (int a = sender; posted.get() < goal; a = (a + senders) % AGENTS) {
                            List<EventEnvelope> events = new ArrayList<>(BATCH);
                            synchronized (nextSeq) {
                                for (int i = 0; i < BATCH; i++) {
                                    long seq = nextSeq[a]++;
                                    events.add(new EventEnvelope("agent" + a, boots[a], seq, Instant.now(), System.nanoTime(),
                                            1, Optional.of("cluster" + (a / 2)), IngestThroughput.fact(seq)));
                                }
                            }
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                    .header("Authorization", "Bearer token-" + a)
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(codec.encodeBatch(events))).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                throw new IllegalStateException(r.statusCode() + " " + r.body());
                            }
                            posted.addAndGet(BATCH);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    f.get();
                }
                pool.shutdown();
                double ingestSeconds = (System.nanoTime() - i0) / 1e9;
                long ingested = ingest;
                double cpu = (IngestThroughput.cpuNanos() - cpu0) / 1e3 / ingested;
                long stored;
                try (Connection conn = c.store().dataSource().getConnection(); Statement s = conn.createStatement();
                     var rs = s.executeQuery("SELECT COUNT(*) FROM domain_event_entry")) {
                    rs.next();
                    stored = rs.getLong(1);
                }
                System.out.printf("| %,d | %.0f s | %,.0f events/s | %.0f us | %d MiB | %d MiB | %d |%n", stored, seedSeconds,
                        ingested / ingestSeconds, cpu, IngestThroughput.heapAfterGc() >> 20, IngestThroughput.rssKib() >> 10,
                        c.store().cachedStreams());
            }
        }
        System.exit(0);
    }

    private static void seed(String url, long seededTotal) throws Exception {
        StoreSettings store = new StoreSettings(url, System.getProperty("db.user", "postgres"), "", 4, 1000);
        try (var ds = dev.vigil.coordinator.store.AuditStore.pool(store); Connection events = ds.getConnection();
             Connection ledger = ds.getConnection()) {
            Seeder seeder = new Seeder(EnvelopeCodec.standard());
            try (Statement s = events.createStatement(); var rs = s.executeQuery("SELECT DISTINCT ON (agent_id) agent_id, seq,"
                    + " chain_hash FROM ingested_fact WHERE agent_id LIKE 'seeded%' ORDER BY agent_id, seq DESC")) {
                while (rs.next()) {
                    int a = Integer.parseInt(rs.getString(1).substring("seeded".length()));
                    seeder.chain[a] = rs.getString(3);
                    seeder.perAgent = rs.getLong(2);
                }
            }
            seeder.growTo(events, ledger, seededTotal);
        }
    }

    /** Hash-chained facts of SEEDED_AGENTS agents appended by COPY, continuing each agent's stream. */
    private static final class Seeder {
        private final EnvelopeCodec codec;
        private final ObjectMapper axon = JsonMapper.builder().addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
        private final HexFormat hex = HexFormat.of();
        final String[] chain = new String[SEEDED_AGENTS];
        private final String[] boots = new String[SEEDED_AGENTS];
        long perAgent;

        Seeder(EnvelopeCodec codec) {
            this.codec = codec;
            for (int a = 0; a < SEEDED_AGENTS; a++) {
                chain[a] = HashChain.GENESIS;
                boots[a] = UUID.nameUUIDFromBytes(("boot" + a).getBytes(StandardCharsets.UTF_8)).toString();
            }
        }

        /** Appends until the seeded agents hold {@code seededTotal} events (rounded down to whole rounds). */
        void growTo(Connection conn, Connection ledger, long seededTotal) throws Exception {
            long until = seededTotal / SEEDED_AGENTS;
            if (until <= perAgent) {
                return;
            }
            for (Connection x : List.of(conn, ledger)) {
                try (Statement s = x.createStatement()) {
                    s.execute("SET statement_timeout = 0");
                }
            }
            String meta = "\\\\x" + hex.formatHex("{}".getBytes(StandardCharsets.UTF_8));
            CopyIn de = conn.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY domain_event_entry (aggregate_identifier,"
                    + " sequence_number, type, event_identifier, meta_data, payload, payload_type, time_stamp) FROM STDIN");
            StringBuilder d = new StringBuilder(1 << 20);
            StringBuilder f = new StringBuilder(1 << 18);
            CopyIn fl = ledger.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ingested_fact (agent_id, boot_id, seq,"
                    + " stream_index, fact_type, agent_time, chain_hash, recorded_at) FROM STDIN");
            for (long k = perAgent; k < until; k++) {
                for (int a = 0; a < SEEDED_AGENTS; a++) {
                    String agent = "seeded" + a;
                    Instant t = START.plusSeconds(k * 10 + a % 7).truncatedTo(ChronoUnit.MICROS);
                    EventEnvelope e = new EventEnvelope(agent, boots[a], k + 1, t, k * 1_000_000L, 1,
                            Optional.of("s" + a / 2), IngestThroughput.fact(k + 1));
                    String canonical = codec.encode(e);
                    String hash = HashChain.next(chain[a], canonical);
                    FactRecorded r = new FactRecorded(agent, boots[a], k + 1, k, e.factType(), t, canonical, chain[a], hash);
                    chain[a] = hash;
                    Instant stored = t.plusMillis(3);
                    d.append(agent).append('\t').append(k).append("\tAgentStream\t")
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
            }
            flush(de, d);
            flush(fl, f);
            de.endCopy();
            fl.endCopy();
            try (Statement s = conn.createStatement()) {
                s.execute("ANALYZE domain_event_entry");
                s.execute("ANALYZE ingested_fact");
            }
            perAgent = until;
        }

        private static void flush(CopyIn copy, StringBuilder rows) throws Exception {
            byte[] b = rows.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(b, 0, b.length);
            rows.setLength(0);
        }
    }
}
