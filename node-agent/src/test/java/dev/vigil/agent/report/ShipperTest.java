package dev.vigil.agent.report;

import com.sun.net.httpserver.HttpServer;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipper's reaction to replies the real coordinator gives only in rare failures: a store that
 * lost facts it had acknowledged, and 503. A small HTTP server plays the coordinator's ingest
 * contract (contiguous heads per boot); the end-to-end paths are in {@link ShippingIT}.
 */
@Timeout(30)
class ShipperTest {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private final EnvelopeCodec codec = EnvelopeCodec.standard();
    private final List<Long> stored = new ArrayList<>();
    private final AtomicBoolean forgetAfterFive = new AtomicBoolean();
    private final AtomicInteger unavailable = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private HttpServer server;
    private Outbox outbox;
    private Shipper shipper;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (shipper != null) {
            shipper.close();
        }
        if (outbox != null) {
            outbox.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/events", exchange -> {
            requests.incrementAndGet();
            byte[] body = exchange.getRequestBody().readAllBytes();
            String reply;
            int status = 200;
            synchronized (stored) {
                if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    status = 503;
                    reply = "{\"error\":\"unavailable\"}";
                } else {
                    String boot = "";
                    try {
                        for (EventEnvelope e : codec.decodeBatch(body)) {
                            boot = e.bootId();
                            if (e.seq() == stored.size() + 1) {
                                stored.add(e.seq());
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    reply = "{\"heads\":[{\"agentId\":\"db1\",\"bootId\":\"" + boot + "\",\"highestContiguousSeq\":"
                            + stored.size() + "}]}";
                    if (stored.size() >= 5 && forgetAfterFive.getAndSet(false)) {
                        stored.subList(2, stored.size()).clear(); // acknowledged, then lost
                    }
                }
            }
            byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void start(URI endpoint) throws Exception {
        outbox = Outbox.open(dir, 1 << 20, new Outbox.Identity("db1", "boot-1", Optional.empty()),
                Clock.systemUTC(), System::nanoTime);
        shipper = new Shipper(outbox, List.of(endpoint), Optional.empty(),
                new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)), frames -> { });
        shipper.start();
    }

    private void record(int from, int to) {
        for (int i = from; i <= to; i++) {
            outbox.record(new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER, "t" + i,
                    100, 100, Optional.empty()));
        }
    }

    @Test
    void factsTheCoordinatorLostAfterAcknowledgingAreResentFromTheOutbox() throws Exception {
        forgetAfterFive.set(true);
        start(serve());
        record(1, 5);
        // record() only queues: "fully acknowledged" also holds before the writer has appended anything
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            synchronized (stored) {
                assertThat(stored).containsExactly(1L, 2L); // the coordinator lost 3..5 after acknowledging them
            }
            assertThat(outbox.fullyAcknowledged()).isTrue();
        });
        record(6, 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            synchronized (stored) {
                return stored.size() == 10;
            }
        });
        assertThat(stored).containsExactlyElementsOf(LongStream.rangeClosed(1, 10).boxed().toList());
        await().atMost(Duration.ofSeconds(10)).until(() -> outbox.fullyAcknowledged());
    }

    @Test
    void unavailableIsRetriedAndNothingIsTrimmedMeanwhile() throws Exception {
        unavailable.set(3);
        start(serve());
        record(1, 3);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            synchronized (stored) {
                assertThat(stored).containsExactly(1L, 2L, 3L);
            }
            assertThat(outbox.fullyAcknowledged()).isTrue();
        });
        assertThat(requests.get()).isGreaterThanOrEqualTo(4);
    }
}
