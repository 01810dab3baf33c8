package dev.vigil.agent.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.agent.config.VigilSettings;
import dev.vigil.coordinator.processing.ProjectionProcessors;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.FleetLoad;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12's kill test with real agents: three real coordinators (child JVMs, short claim timeout) on
 * one PostgreSQL (PgLab); three real agents' outboxes list all three endpoints (each starting on a
 * different one), and a small load generator ships batches for a dozen more agent ids through all
 * three. One coordinator is killed with -9 during ingest: the survivors claim its node-projection
 * segments within three claim timeouts; it starts again. Afterwards every fact is stored once (per
 * agent, contiguous sequences), verify is intact on every instance, and each real agent's
 * {@code /v1/nodes/{agentId}/status} shows what that agent did: its last sequence and its routers'
 * last states.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ThreeCoordinatorsIT {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();
    private static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(2);
    private static final List<RouterRef> ROUTERS = List.of(new RouterRef("VI_PG", 51, AddressFamily.IPV4),
            new RouterRef("VI_APP", 52, AddressFamily.IPV4), new RouterRef("VI_PG6", 53, AddressFamily.IPV6));
    private static final List<String> AGENTS = List.of("db1", "db2", "db3");
    private static final String LOAD_PREFIX = "load";
    private static final int LOAD_AGENTS = 12;
    private static final int BEFORE_KILL = 600;
    private static final int AFTER_KILL = 600;
    private static final int AFTER_RESTART = 150;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private final List<Reporting> opened = new ArrayList<>();
    private final List<CoordinatorProcess> coordinators = new ArrayList<>();
    private FleetLoad load;

    @AfterEach
    void cleanUp() throws Exception {
        if (load != null) {
            try {
                load.close();
            } catch (RuntimeException ignored) {
                // the test already failed or passed on its own terms
            }
        }
        opened.forEach(Reporting::close);
        for (CoordinatorProcess c : coordinators) {
            c.kill9();
        }
    }

    /** Fact i of a real agent: a transition of one of its routers (the last one per router is its state). */
    private static AgentFact.RouterStateChanged transition(int i) {
        RouterState to = (i / ROUTERS.size()) % 2 == 0 ? RouterState.MASTER : RouterState.BACKUP;
        RouterState from = to == RouterState.MASTER ? RouterState.BACKUP : RouterState.MASTER;
        return new AgentFact.RouterStateChanged(ROUTERS.get(i % ROUTERS.size()), from, to, "transition " + i, 100, 100,
                Optional.empty());
    }

    private static void record(Reporting r, int from, int to) {
        for (int i = from; i <= to; i++) {
            r.record(transition(i));
        }
    }

    @Test
    void realAgentsAndALoadThroughThreeCoordinatorsSurviveAKill() throws Exception {
        PgCluster pg = PG.cluster("three");
        pg.query("CREATE DATABASE three");
        StoreSettings store = new StoreSettings(pg.jdbcUrl("three"), "postgres", "", 8, 1000);
        List<String> loadIds = IntStream.range(0, LOAD_AGENTS).mapToObj(i -> FleetLoad.agentId(LOAD_PREFIX, i)).toList();
        List<String> everyone = Stream.concat(AGENTS.stream(), loadIds.stream()).toList();
        for (String name : List.of("a", "b", "c")) {
            coordinators.add(new CoordinatorProcess(home.resolve(name), everyone, store, CLAIM_TIMEOUT));
        }
        CoordinatorProcess a = coordinators.get(0);
        CoordinatorProcess b = coordinators.get(1);
        CoordinatorProcess c = coordinators.get(2);
        for (CoordinatorProcess coordinator : coordinators) {
            coordinator.start(); // a migrates the schema first; the others find it migrated
        }
        // Fair share: two of the six segments each, so the one killed has some to hand over.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> segmentsPerOwner(store).values().stream().sorted().toList().equals(List.of(2, 2, 2)));

        // db1 and db3 start on a (the one to be killed), db2 on b; all list the three.
        Map<String, List<URI>> endpoints = Map.of("db1", List.of(a.url(), b.url(), c.url()),
                "db2", List.of(b.url(), c.url(), a.url()), "db3", List.of(a.url(), c.url(), b.url()));
        Map<String, Reporting> agents = new LinkedHashMap<>();
        Map<String, AtomicLong> stored = new LinkedHashMap<>();
        for (String agent : AGENTS) {
            AtomicLong count = new AtomicLong();
            VigilSettings settings = new VigilSettings(Optional.of(agent), "pg-main", home.resolve("state-" + agent),
                    endpoints.get(agent), Optional.of(a.tokenFile(agent)), Path.of("/nonexistent/agent.sock"));
            Reporting r = Reporting.start(settings, agent, Reporting.Options.defaults()
                    .onStored(facts -> count.addAndGet(facts.size())));
            opened.add(r);
            agents.put(agent, r);
            stored.put(agent, count);
        }
        load = new FleetLoad(coordinators.stream().map(CoordinatorProcess::url).toList(), LOAD_PREFIX, LOAD_AGENTS, 20, 2);
        load.start();
        agents.values().forEach(r -> record(r, 1, BEFORE_KILL));
        await().atMost(Duration.ofSeconds(60)).until(() -> stored.get("db1").get() > 0 && stored.get("db3").get() > 0
                && load.total() >= 400);

        // Kill -9 during ingest: real agents still have facts to ship, the load keeps posting.
        String dead = a.nodeId();
        a.kill9();
        long killedAt = System.nanoTime();
        agents.values().forEach(r -> record(r, BEFORE_KILL + 1, BEFORE_KILL + AFTER_KILL));
        await().atMost(CLAIM_TIMEOUT.multipliedBy(3).plusSeconds(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Map<String, Integer> owners = segmentsPerOwner(store);
                    return !owners.containsKey(dead) && owners.values().stream().mapToInt(Integer::intValue).sum() == 6;
                });
        Duration handOver = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.printf("segments of the killed instance claimed by the survivors after %d ms (claim timeout %d ms)%n",
                handOver.toMillis(), CLAIM_TIMEOUT.toMillis());
        assertThat(handOver).as("survivors own the dead instance's segments").isLessThanOrEqualTo(CLAIM_TIMEOUT.multipliedBy(3));
        await().atMost(Duration.ofSeconds(90)).until(() -> stored.values().stream()
                .allMatch(n -> n.get() >= BEFORE_KILL + AFTER_KILL));

        a.start();
        int total = BEFORE_KILL + AFTER_KILL + AFTER_RESTART;
        agents.values().forEach(r -> record(r, BEFORE_KILL + AFTER_KILL + 1, total));
        long afterRestart = load.total();
        await().atMost(Duration.ofSeconds(60)).until(() -> stored.values().stream().allMatch(n -> n.get() >= total)
                && load.total() >= afterRestart + 200);
        load.close();
        System.out.printf("load: %d events acknowledged, %d failovers%n", load.total(), load.failovers());
        assertThat(load.failovers()).as("some load agents shipped to the killed instance").isPositive();

        // Every fact once, contiguous, per agent (real and load).
        for (String agent : AGENTS) {
            String boot = agents.get(agent).bootId();
            assertThat(a.storedFacts(agent)).extracting(row -> row.bootId() + "/" + row.seq())
                    .as("agent %s: every fact once, in order", agent)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, total).mapToObj(s -> boot + "/" + s).toList());
        }
        for (int i = 0; i < LOAD_AGENTS; i++) {
            String boot = load.boot(i);
            assertThat(a.storedFacts(load.agent(i))).extracting(row -> row.bootId() + "/" + row.seq())
                    .as("load agent %s: every fact once, in order", load.agent(i))
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, load.acked(i)).mapToObj(s -> boot + "/" + s).toList());
        }
        for (CoordinatorProcess coordinator : coordinators) {
            String verify = coordinator.verify();
            assertThat(verify).contains("\"intact\":true").doesNotContain("\"intact\":false");
            for (String agent : AGENTS) {
                assertThat(verify).contains("\"agentId\":\"" + agent + "\",\"length\":" + total);
            }
        }
        // Each real agent's status, through every instance, is what that agent did.
        Map<String, String> lastStates = new TreeMap<>();
        for (int i = 1; i <= total; i++) {
            AgentFact.RouterStateChanged t = transition(i);
            lastStates.put(t.router().instance(), t.to().name());
        }
        for (CoordinatorProcess coordinator : coordinators) {
            for (String agent : AGENTS) {
                String boot = agents.get(agent).bootId();
                // The projection runs a little behind ingest.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .until(() -> JSON.readTree(coordinator.nodeStatus(agent)).get("lastSeq").asLong() == total);
                JsonNode status = JSON.readTree(coordinator.nodeStatus(agent));
                assertThat(status.get("bootId").asText()).isEqualTo(boot);
                assertThat(status.get("chainLength").asLong()).isEqualTo(total);
                Map<String, String> routers = new TreeMap<>();
                status.get("routers").forEach(r -> routers.put(r.get("instance").asText(), r.get("state").asText()));
                assertThat(routers).as("%s routers via %s", agent, coordinator.url()).isEqualTo(lastStates);
            }
        }
    }

    /** token_entry: node-projection segments per owner (rows without an owner are not counted). */
    private static Map<String, Integer> segmentsPerOwner(StoreSettings store) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
             PreparedStatement ps = c.prepareStatement(
                     "SELECT owner FROM token_entry WHERE processor_name = ? AND owner IS NOT NULL")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.merge(rs.getString(1), 1, Integer::sum);
                }
            }
        }
        return out;
    }
}
