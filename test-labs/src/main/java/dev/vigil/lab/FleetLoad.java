package dev.vigil.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small fleet of simulated agents for the coordinator kill tests (coordinator and node-agent): each simulated agent sends real HTTP batches to its first endpoint
 * (agents start on different instances) and, as the real shipper does, moves to the next one on a
 * connection failure or a 5xx and resends the same batch; a batch counts once a 200 says it is stored.
 */
public final class FleetLoad implements AutoCloseable {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final EnvelopeCodec CODEC = EnvelopeCodec.standard();

    private final List<URI> endpoints;
    private final String prefix;
    private final int agents;
    private final int batch;
    private final long[] acked;
    private final String[] boots;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong failovers = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> senders = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    /**
     * Agents {@code prefix0 .. prefix(agents-1)}, each with the bearer token {@code token-<id>} (the tests'
     * coordinators are configured so); a prefix keeps them apart from a test's real agents.
     */
    public FleetLoad(List<URI> endpoints, String prefix, int agents, int batch, int senderThreads) {
        this.endpoints = endpoints;
        this.prefix = prefix;
        this.agents = agents;
        this.batch = batch;
        this.acked = new long[agents];
        this.boots = new String[agents];
        for (int a = 0; a < agents; a++) {
            boots[a] = UUID.randomUUID().toString();
        }
        for (int s = 0; s < senderThreads; s++) {
            int sender = s;
            Thread t = new Thread(() -> run(sender, senderThreads), "fleet-" + s);
            t.setDaemon(true);
            senders.add(t);
        }
    }

    public String agent(int a) {
        return agentId(prefix, a);
    }

    /** The id of simulated agent {@code a} of a fleet with this prefix. */
    public static String agentId(String prefix, int a) {
        return prefix + a;
    }

    public void start() {
        senders.forEach(Thread::start);
    }

    private void run(int sender, int senderThreads) {
        int[] endpoint = new int[agents];
        for (int a = 0; a < agents; a++) {
            endpoint[a] = a % endpoints.size();
        }
        try {
            while (!stop.get()) {
                for (int a = sender; a < agents && !stop.get(); a += senderThreads) {
                    send(a, endpoint);
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    /** One batch of agent a, resent (to the next endpoint on failure) until stored. */
    private void send(int a, int[] endpoint) throws Exception {
        List<EventEnvelope> events = new ArrayList<>(batch);
        for (int i = 1; i <= batch; i++) {
            long seq = acked[a] + i;
            events.add(new EventEnvelope(agent(a), boots[a], seq, Instant.now(), System.nanoTime(), 1,
                    Optional.of("cluster" + (a / 2)), fact(seq)));
        }
        byte[] body = CODEC.encodeBatch(events);
        for (int attempt = 0; ; attempt++) {
            if (attempt > 200) {
                throw new IllegalStateException(agent(a) + ": no endpoint stored a batch in 200 attempts");
            }
            URI uri = endpoints.get(endpoint[a]).resolve("/v1/events");
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer token-" + agent(a))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    var reply = json.readTree(r.body());
                    if (reply.get("deferred").asLong() != 0) {
                        throw new IllegalStateException(agent(a) + ": facts deferred: " + r.body());
                    }
                    acked[a] += batch;
                    total.addAndGet(batch);
                    return;
                }
                if (r.statusCode() < 500) {
                    throw new IllegalStateException(agent(a) + ": HTTP " + r.statusCode() + " " + r.body());
                }
            } catch (IOException dead) {
                // refused, reset, timed out: that instance is gone; try the next
            }
            endpoint[a] = (endpoint[a] + 1) % endpoints.size();
            failovers.incrementAndGet();
            Thread.sleep(100);
        }
    }

    private static AgentFact fact(long seq) {
        return switch ((int) (seq % 4)) {
            case 0 -> new AgentFact.RouterStateChanged(VI, seq % 8 == 0 ? RouterState.BACKUP : RouterState.MASTER,
                    seq % 8 == 0 ? RouterState.MASTER : RouterState.BACKUP, "transition " + seq, 100, 100, Optional.empty());
            case 1 -> new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok");
            case 2 -> new AgentFact.TrackerResultChanged("pg_primary", "postgresql", seq % 8 == 2, "check " + seq, 3_500_000);
            default -> new AgentFact.PriorityChanged(VI, 150, 100, "pg_primary");
        };
    }

    public long total() {
        rethrow();
        return total.get();
    }

    public long failovers() {
        return failovers.get();
    }

    public String boot(int a) {
        return boots[a];
    }

    /** Stops after each sender's current batch is stored; then {@link #acked(int)} is final. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : senders) {
            t.join(120_000);
        }
        rethrow();
    }

    public long acked(int a) {
        return acked[a];
    }

    private void rethrow() {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("load generator failed: " + t, t);
        }
    }
}
