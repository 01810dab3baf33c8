package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The outbox and shipper against the real coordinator (child JVM, embedded H2 store, real HTTP).
 * Needs neither root nor PostgreSQL. Every agent id is its own stream in the one store.
 */
@Timeout(value = 110, unit = TimeUnit.SECONDS)
class ShippingIT {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final List<String> AGENTS = List.of("down", "killed", "crash", "twoends", "full");

    @TempDir
    static Path home;
    static CoordinatorProcess coordinator;

    private final List<Reporting> opened = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void startCoordinator() throws Exception {
        coordinator = new CoordinatorProcess(home, AGENTS);
        coordinator.start();
    }

    @AfterAll
    static void stopCoordinator() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        opened.forEach(Reporting::close);
        for (Process p : children) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (!coordinator.running()) {
            coordinator.start();
        }
    }

    private Reporting reporting(String agent, List<URI> endpoints, long outboxBytes, AtomicLong storedCount) {
        VigilSettings settings = new VigilSettings(Optional.of(agent), "pg-main", home.resolve("state-" + agent),
                endpoints, Optional.of(coordinator.tokenFile(agent)), Path.of("/nonexistent/agent.sock"));
        Reporting r = Reporting.start(settings, agent, Reporting.Options.defaults().withOutboxBytes(outboxBytes)
                .onStored(stored -> storedCount.addAndGet(stored.size())));
        opened.add(r);
        return r;
    }

    private static AgentFact transition(int i) {
        return new AgentFact.RouterStateChanged(VI, i % 2 == 0 ? RouterState.MASTER : RouterState.BACKUP,
                i % 2 == 0 ? RouterState.BACKUP : RouterState.MASTER, "transition " + i, 100, 100, Optional.empty());
    }

    private static List<String> identities(String boot, long from, long to) {
        return LongStream.rangeClosed(from, to).mapToObj(s -> boot + "/" + s).toList();
    }

    private static List<String> identities(List<CoordinatorProcess.Row> rows) {
        return rows.stream().map(r -> r.bootId() + "/" + r.seq()).toList();
    }

    @Test
    void factsRecordedWhileTheCoordinatorIsDownArriveLaterInOrderExactlyOnce() throws Exception {
        coordinator.stop();
        AtomicLong stored = new AtomicLong();
        Reporting r = reporting("down", List.of(coordinator.url()), Reporting.DEFAULT_OUTBOX_BYTES, stored);
        for (int i = 1; i <= 300; i++) {
            r.record(transition(i));
        }
        Thread.sleep(1_500); // the shipper fails and backs off meanwhile
        assertThat(stored.get()).isZero();
        coordinator.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> stored.get() == 300);
        r.close();

        List<CoordinatorProcess.Row> rows = coordinator.storedFacts("down");
        assertThat(identities(rows)).containsExactlyElementsOf(identities(r.bootId(), 1, 300));
        assertThat(coordinator.verify()).contains("\"intact\":true");
    }

    @Test
    void coordinatorKilledWithMinus9DuringShippingStoresEveryFactOnce() throws Exception {
        AtomicLong stored = new AtomicLong();
        Reporting r = reporting("killed", List.of(coordinator.url()), Reporting.DEFAULT_OUTBOX_BYTES, stored);
        int total = 4_000;
        for (int i = 1; i <= total; i++) {
            r.record(transition(i));
        }
        for (int round = 1; round <= 2; round++) {
            long before = stored.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> stored.get() > before);
            coordinator.kill9(); // mid-batch: some requests die with the process, maybe after their commit
            coordinator.start();
        }
        await().atMost(Duration.ofSeconds(40)).until(() -> stored.get() >= total);
        r.close();

        List<CoordinatorProcess.Row> rows = coordinator.storedFacts("killed");
        assertThat(identities(rows)).containsExactlyElementsOf(identities(r.bootId(), 1, total));
    }

    @Test
    void anAgentKilledWithMinus9WhileShippingShipsTheRestAfterItsRestart() throws Exception {
        Path state = home.resolve("state-crash");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), RecordingChild.class.getName(), state.toString(),
                coordinator.url().toString(), coordinator.tokenFile("crash").toString(), "crash", "100000")
                .redirectError(ProcessBuilder.Redirect.appendTo(home.resolve("child.log").toFile())).start();
        children.add(child);
        AtomicReference<String> childBoot = new AtomicReference<>();
        AtomicLong durable = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("boot ")) {
                        childBoot.set(line.substring(5));
                    } else if (line.startsWith("durable ")) {
                        durable.set(Long.parseLong(line.substring(8)));
                    }
                }
            } catch (Exception ignored) {
                // the child was killed
            }
        });
        reader.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> durable.get() >= 3_000);
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL while recording and shipping
        reader.join(5_000);
        long durableAtKill = durable.get();

        // The crash may also tear a write: append half a record after the last intact one.
        Path last;
        try (Stream<Path> files = Files.list(state.resolve("outbox"))) {
            last = files.filter(p -> p.toString().endsWith(".seg")).sorted().reduce((a, b) -> b).orElseThrow();
        }
        byte[] torn = new RecordFrame(childBoot.get(), 999_999, "{\"torn\":1}".getBytes(StandardCharsets.UTF_8)).encode();
        Files.write(last, java.util.Arrays.copyOf(torn, torn.length - 3), StandardOpenOption.APPEND);

        AtomicLong stored = new AtomicLong();
        Reporting restarted = reporting("crash", List.of(coordinator.url()), Reporting.DEFAULT_OUTBOX_BYTES, stored);
        for (int i = 1; i <= 10; i++) {
            restarted.record(transition(i));
        }
        await().atMost(Duration.ofSeconds(40)).until(() -> {
            Outbox o = ((OutboxReporting) restarted).outbox();
            return o.lastSeq() == 10 && o.fullyAcknowledged();
        });
        restarted.close();

        List<CoordinatorProcess.Row> rows = coordinator.storedFacts("crash");
        Map<String, List<Long>> byBoot = rows.stream().collect(Collectors.groupingBy(CoordinatorProcess.Row::bootId,
                java.util.LinkedHashMap::new, Collectors.mapping(CoordinatorProcess.Row::seq, Collectors.toList())));
        assertThat(byBoot.keySet()).containsExactly(childBoot.get(), restarted.bootId());
        List<Long> childSeqs = byBoot.get(childBoot.get());
        assertThat(childSeqs.size()).isGreaterThanOrEqualTo((int) durableAtKill);
        assertThat(childSeqs).containsExactlyElementsOf(LongStream.rangeClosed(1, childSeqs.size()).boxed().toList());
        assertThat(byBoot.get(restarted.bootId())).containsExactlyElementsOf(LongStream.rangeClosed(1, 10).boxed().toList());
    }

    @Test
    void theNextEndpointIsTriedWhenTheFirstIsDead() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        AtomicLong stored = new AtomicLong();
        Reporting r = reporting("twoends", List.of(URI.create("http://127.0.0.1:" + deadPort), coordinator.url()),
                Reporting.DEFAULT_OUTBOX_BYTES, stored);
        for (int i = 1; i <= 50; i++) {
            r.record(transition(i));
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> stored.get() == 50);
        // close() writes what is still queued and ships it within its grace
        r.record(new AgentFact.AgentStopping("SIGTERM"));
        r.close();
        assertThat(stored.get()).isEqualTo(51);
        assertThat(coordinator.verify()).contains("\"agentId\":\"twoends\",\"length\":51");
    }

    @Test
    void aFullOutboxKeepsTransitionsAndTheStoreHoldsTheThinningFact() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        long limit = 64 << 10;
        AtomicLong none = new AtomicLong();
        Reporting partitioned = reporting("full", List.of(URI.create("http://127.0.0.1:" + deadPort)), limit, none);
        int transitions = 0;
        for (int i = 0; i < 2_000; i++) {
            partitioned.record(new AgentFact.AdvertsRejected(VI, Map.of("ttl", (long) i + 1), 1_000_000_000L));
            if (i % 10 == 0) {
                partitioned.record(transition(++transitions));
            }
        }
        partitioned.close();
        opened.remove(partitioned);
        assertThat(none.get()).isZero();

        AtomicLong stored = new AtomicLong();
        Reporting healed = reporting("full", List.of(coordinator.url()), limit, stored);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Outbox o = ((OutboxReporting) healed).outbox();
            return stored.get() > 0 && o.fullyAcknowledged();
        });
        healed.close();

        List<CoordinatorProcess.Row> rows = coordinator.storedFacts("full");
        assertThat(rows).allSatisfy(row -> assertThat(row.bootId()).isEqualTo(partitioned.bootId()));
        assertThat(rows).extracting(CoordinatorProcess.Row::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, rows.size()).boxed().toList());
        assertThat(rows.stream().filter(x -> x.factType().equals("RouterStateChanged")).count()).isEqualTo(transitions);
        assertThat(rows.stream().filter(x -> x.factType().equals("AdvertsRejected")).count()).isLessThan(2_000);
        assertThat(rows).extracting(CoordinatorProcess.Row::factType).contains("FactsThinned");
    }
}
