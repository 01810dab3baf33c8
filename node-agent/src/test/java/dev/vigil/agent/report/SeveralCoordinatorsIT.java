package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.coordinator.store.StoreSettings;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scale-out, agent side (issue 12): two real coordinators (child JVMs) on one PostgreSQL (PgLab), real
 * agents' outboxes listing both endpoints in different orders. One coordinator is killed with -9 while
 * they ship; its agents move to the survivor; it starts again. Every fact is stored once, in order, and
 * the hash chains verify through either instance.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SeveralCoordinatorsIT {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final List<String> AGENTS = List.of("db1", "db2", "db3");
    private static final int BEFORE_KILL = 2_000;
    private static final int AFTER_KILL = 2_000;
    private static final int AFTER_RESTART = 200;

    @TempDir
    Path home;

    private final List<Reporting> opened = new ArrayList<>();
    private final List<CoordinatorProcess> coordinators = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        opened.forEach(Reporting::close);
        for (CoordinatorProcess c : coordinators) {
            c.kill9();
        }
    }

    private static AgentFact transition(int i) {
        return new AgentFact.RouterStateChanged(VI, i % 2 == 0 ? RouterState.MASTER : RouterState.BACKUP,
                i % 2 == 0 ? RouterState.BACKUP : RouterState.MASTER, "transition " + i, 100, 100, Optional.empty());
    }

    private static void record(Reporting r, int from, int to) {
        for (int i = from; i <= to; i++) {
            r.record(transition(i));
        }
    }

    @Test
    void aCoordinatorKilledWhileAgentsShipLosesNothingAndDoublesNothing() throws Exception {
        PgCluster pg = PG.cluster("scale");
        pg.query("CREATE DATABASE scale");
        StoreSettings store = new StoreSettings(pg.jdbcUrl("scale"), "postgres", "", 8, 1000);
        CoordinatorProcess a = new CoordinatorProcess(home.resolve("a"), AGENTS, store);
        CoordinatorProcess b = new CoordinatorProcess(home.resolve("b"), AGENTS, store);
        coordinators.add(a);
        coordinators.add(b);
        a.start(); // migrates the schema first; b finds it migrated
        b.start();

        // db1 and db3 start on a (the one to be killed), db2 on b.
        Map<String, List<URI>> endpoints = Map.of("db1", List.of(a.url(), b.url()), "db2", List.of(b.url(), a.url()),
                "db3", List.of(a.url(), b.url()));
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
        agents.values().forEach(r -> record(r, 1, BEFORE_KILL));
        await().atMost(Duration.ofSeconds(60)).until(() -> stored.get("db1").get() > 0 && stored.get("db3").get() > 0);
        a.kill9(); // requests in flight die with it, some perhaps after their commit
        agents.values().forEach(r -> record(r, BEFORE_KILL + 1, BEFORE_KILL + AFTER_KILL));
        await().atMost(Duration.ofSeconds(90)).until(() -> stored.values().stream()
                .allMatch(n -> n.get() >= BEFORE_KILL + AFTER_KILL));

        a.start();
        agents.values().forEach(r -> record(r, BEFORE_KILL + AFTER_KILL + 1, BEFORE_KILL + AFTER_KILL + AFTER_RESTART));
        int total = BEFORE_KILL + AFTER_KILL + AFTER_RESTART;
        await().atMost(Duration.ofSeconds(60)).until(() -> stored.values().stream().allMatch(n -> n.get() >= total));

        for (String agent : AGENTS) {
            String boot = agents.get(agent).bootId();
            assertThat(a.storedFacts(agent)).extracting(row -> row.bootId() + "/" + row.seq())
                    .as("agent %s: every fact once, in order", agent)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, total).mapToObj(s -> boot + "/" + s).toList());
        }
        for (CoordinatorProcess c : List.of(a, b)) {
            String verify = c.verify();
            assertThat(verify).contains("\"intact\":true").doesNotContain("\"intact\":false");
            for (String agent : AGENTS) {
                assertThat(verify).contains("\"agentId\":\"" + agent + "\",\"length\":" + total);
            }
        }
    }
}
