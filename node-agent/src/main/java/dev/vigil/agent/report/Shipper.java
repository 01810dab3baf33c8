package dev.vigil.agent.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Ships the outbox to the coordinator on its own thread: in order, in batches, to one of the
 * configured endpoints (another instance on the same store is tried after a connection failure or
 * a 5xx: {@link EndpointChoice}), with the agent's bearer token. A
 * batch is dropped from the outbox only as far as the coordinator's reply says it is stored
 * ({@code highestContiguousSeq} per boot); a failure waits with {@link Backoff} and full jitter.
 * The stored JSON is sent as written, byte for byte.
 */
final class Shipper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Shipper.class);
    static final int MAX_BATCH_FACTS = 500;
    static final int MAX_BATCH_BYTES = 1 << 20;

    private final Outbox outbox;
    private final List<URI> endpoints;
    private final Optional<Path> tokenFile;
    private final Backoff backoff;
    private final Consumer<List<RecordFrame>> onStored;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Thread thread;
    /** How long a small batch waits for more before it is sent (Batching.shipLingerMillis). */
    private final long lingerMillis;
    private volatile boolean stopping;
    /** Set by stop(): the grace is short, so nothing lingers any more. */
    private volatile boolean draining;
    private Optional<String> token = Optional.empty();
    private EndpointChoice endpoint;
    private String lastProblem = "";

    Shipper(Outbox outbox, List<URI> endpoints, Optional<Path> tokenFile, Backoff backoff,
            Consumer<List<RecordFrame>> onStored) {
        this(outbox, endpoints, tokenFile, backoff, 0, onStored);
    }

    Shipper(Outbox outbox, List<URI> endpoints, Optional<Path> tokenFile, Backoff backoff, long lingerMillis,
            Consumer<List<RecordFrame>> onStored) {
        this.lingerMillis = lingerMillis;
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a shipper needs at least one coordinator endpoint");
        }
        this.outbox = outbox;
        this.endpoints = endpoints.stream().map(Shipper::ingestUri).toList();
        this.endpoint = EndpointChoice.first(this.endpoints.size());
        this.tokenFile = tokenFile;
        this.backoff = backoff;
        this.onStored = onStored;
        // HTTP/1.1 with keep-alive: one request in flight at a time gains nothing from h2c, which costs more CPU.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        this.thread = new Thread(this::shipLoop, "vigil-shipper");
        this.thread.setDaemon(true);
    }

    /** {@code http://host:port} means its {@code /v1/events}; a URL with a path is used as given. */
    static URI ingestUri(URI configured) {
        String path = configured.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return configured.resolve("/v1/events");
        }
        return configured;
    }

    void start() {
        readToken();
        thread.start();
    }

    /** Keeps shipping for up to {@code graceMillis} until caught up, then stops. */
    void stop(long graceMillis) {
        draining = true;
        long deadline = System.currentTimeMillis() + graceMillis;
        while (System.currentTimeMillis() < deadline && thread.isAlive() && !fullyAcknowledged()) {
            sleep(20);
        }
        stopping = true;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            outbox.persistAcknowledged();
        } catch (IOException e) {
            LOG.warn("cannot save the acknowledgement cursor ({}); the next start resends what was stored", e.toString());
        }
    }

    @Override
    public void close() {
        stop(0);
    }

    private boolean fullyAcknowledged() {
        try {
            return outbox.fullyAcknowledged();
        } catch (IOException e) {
            return false;
        }
    }

    private void shipLoop() {
        Outbox.Position position = outbox.acked();
        int failures = 0;
        while (!stopping) {
            try {
                Outbox.Position seen = outbox.durableEnd();
                List<Outbox.Stored> batch = outbox.read(position, MAX_BATCH_FACTS, MAX_BATCH_BYTES);
                if (batch.isEmpty()) {
                    outbox.awaitBeyond(seen, 1_000);
                    continue;
                }
                if (lingerMillis > 0 && failures == 0 && !draining && batch.size() < MAX_BATCH_FACTS) {
                    // batching by time: a trickle of facts becomes a few requests a second, not one per fact
                    Thread.sleep(lingerMillis);
                    batch = outbox.read(position, MAX_BATCH_FACTS, MAX_BATCH_BYTES);
                }
                Sent sent = send(batch);
                endpoint = endpoint.after(sent.outcome());
                if (sent.storedUpTo().isPresent()) {
                    position = sent.storedUpTo().get();
                    failures = 0;
                    continue;
                }
                failures++;
                Thread.sleep(backoff.delay(failures, ThreadLocalRandom.current()::nextDouble).toMillis());
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                problem("outbox read failed: " + e);
                failures++;
                sleep(backoff.delay(failures, ThreadLocalRandom.current()::nextDouble).toMillis());
            }
        }
    }

    /** What became of one batch, and the position from which the next one is read (empty: resend this one). */
    private record Sent(EndpointChoice.Outcome outcome, Optional<Outbox.Position> storedUpTo) {
        static Sent failed(EndpointChoice.Outcome outcome) {
            return new Sent(outcome, Optional.empty());
        }
    }

    /** Sends one batch to the current endpoint. */
    private Sent send(List<Outbox.Stored> batch) throws InterruptedException, IOException {
        URI uri = endpoints.get(endpoint.current());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(batch)));
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        HttpResponse<byte[]> reply;
        try {
            reply = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            problem(uri + ": " + e);
            return Sent.failed(EndpointChoice.Outcome.UNREACHABLE);
        }
        int status = reply.statusCode();
        if (status != 200) {
            String text = new String(reply.body(), StandardCharsets.UTF_8);
            problem(uri + ": HTTP " + status + " " + text.substring(0, Math.min(300, text.length())));
            if (status == 401) {
                readToken(); // the token file may have been rotated
            }
            return Sent.failed(EndpointChoice.Outcome.ofStatus(status));
        }
        Map<String, Long> heads = new HashMap<>();
        JsonNode root = json.readTree(reply.body());
        for (JsonNode h : root.path("heads")) {
            heads.put(h.path("bootId").asText(), h.path("highestContiguousSeq").asLong());
        }
        int stored = 0;
        for (Outbox.Stored s : batch) {
            if (s.frame().seq() > heads.getOrDefault(s.frame().bootId(), 0L)) {
                break;
            }
            stored++;
        }
        if (stored == 0) {
            RecordFrame first = batch.get(0).frame();
            long head = heads.getOrDefault(first.bootId(), 0L);
            Optional<Outbox.Position> lostFrom = head < first.seq() - 1
                    ? outbox.positionBefore(first.bootId(), head + 1) : Optional.empty();
            if (lostFrom.isPresent()) {
                LOG.warn("the coordinator at {} lost facts it had acknowledged (boot {} seq {} to {}); "
                        + "resending them from the outbox", uri, first.bootId(), head + 1, first.seq() - 1);
                outbox.rewind(lostFrom.get());
                return new Sent(EndpointChoice.Outcome.NOTHING_STORED, lostFrom);
            }
            if (head < first.seq() - 1 && !lastProblem.startsWith("lost")) {
                LOG.error("the coordinator at {} stores boot {} only up to seq {}, but this outbox had already been "
                        + "told up to seq {} was stored and trimmed it: the coordinator lost acknowledged facts, "
                        + "which cannot be resent, and it defers every later fact of this boot", uri,
                        first.bootId(), head, first.seq() - 1);
                lastProblem = "lost";
                return Sent.failed(EndpointChoice.Outcome.NOTHING_STORED);
            }
            problem(uri + ": nothing of the batch stored (boot " + first.bootId() + " seq " + first.seq()
                    + ", coordinator's head " + heads.getOrDefault(first.bootId(), 0L) + ")");
            return Sent.failed(EndpointChoice.Outcome.NOTHING_STORED);
        }
        Outbox.Position upTo = batch.get(stored - 1).end();
        outbox.acknowledge(upTo);
        if (!lastProblem.isEmpty()) {
            LOG.info("shipping to {} again", uri);
            lastProblem = "";
        }
        onStored.accept(batch.subList(0, stored).stream().map(Outbox.Stored::frame).toList());
        return new Sent(EndpointChoice.Outcome.STORED, Optional.of(upTo));
    }

    private static byte[] body(List<Outbox.Stored> batch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(batch.size() * 512);
        out.writeBytes("{\"events\":[".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < batch.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(batch.get(i).frame().json());
        }
        out.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private void readToken() {
        if (tokenFile.isEmpty()) {
            return;
        }
        try {
            token = Optional.of(Files.readString(tokenFile.get()).strip());
        } catch (IOException e) {
            problem("cannot read token_file " + tokenFile.get() + ": " + e);
        }
    }

    /** Logs a shipping problem once, not once per retry. */
    private void problem(String what) {
        String kind = what.replaceAll("[0-9]+", "#");
        if (!kind.equals(lastProblem)) {
            LOG.warn("shipping facts: {} (retrying with backoff)", what);
            lastProblem = kind;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
