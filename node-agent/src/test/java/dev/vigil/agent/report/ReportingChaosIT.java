package dev.vigil.agent.report;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgLab;
import dev.vigil.model.AgentFact;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reporting under chaos (issue 8), with real processes only: three agents in namespaces on a VRRP segment, the
 * coordinator and its PostgreSQL on a management segment. In each scenario tracker files move the VIP between the
 * agents while something breaks; at the end every agent's every boot is in the store exactly once and in order,
 * equal to what the agent wrote in its outbox, its state changes match its own log and the masterships seen in a
 * capture of the VRRP segment, and a master killed while the coordinator could not be reached was replaced in
 * protocol time (see {@link ChaosLab#assertStoreMatchesAgentsAndWire}).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReportingChaosIT {

    // NetLab first: JUnit closes in reverse order, so the store stops before its namespace goes.
    @RegisterExtension
    @Order(1)
    final NetLab net = NetLab.extension();

    @RegisterExtension
    @Order(2)
    final PgLab pg = PgLab.extension();

    @Test
    void coordinatorKilledWithMinus9DuringIngestAndRestarted() throws Exception {
        ChaosLab lab = new ChaosLab(net, pg, "");
        lab.startAll();
        Host a = lab.agents.get(0);
        lab.moves(2);
        lab.killCoordinator();
        lab.moves(2); // facts wait in the outboxes
        lab.killMasterAgent(a); // failover does not wait for the coordinator
        lab.startAgent(a, "MASTER");
        for (int round = 0; round < 2; round++) {
            lab.startCoordinator();
            ChaosLab.sleep(300 + 400L * round); // the backlog is being ingested
            lab.killCoordinator();
            lab.moves(2);
        }
        lab.startCoordinator();
        lab.moves(2);
        lab.assertStoreMatchesAgentsAndWire();
    }

    @Test
    void itsPostgresRestartedAndCrashedDuringIngest() throws Exception {
        ChaosLab lab = new ChaosLab(net, pg, "");
        lab.startAll();
        Host a = lab.agents.get(0);
        lab.moves(2);
        lab.store.restart(); // fast shutdown and start
        lab.moves(2);
        lab.store.crash(); // SIGKILL to the postmaster and every backend: an immediate stop
        lab.moves(2);
        lab.killMasterAgent(a);
        lab.startAgent(a, "MASTER");
        lab.store.start();
        lab.moves(2);
        lab.assertStoreMatchesAgentsAndWire();
    }

    @Test
    void anAgentKilledWithMinus9WhileShippingAndRestarted() throws Exception {
        ChaosLab lab = new ChaosLab(net, pg, "");
        lab.startAll();
        Host a = lab.agents.get(0);
        Host c = lab.agents.get(2);
        lab.moves(2);
        lab.killMasterAgent(a);
        lab.startAgent(a, "MASTER");
        lab.moves(2);
        lab.killAgent(c); // a backup, while the others ship
        lab.moveTo(lab.agents.get(1));
        lab.startAgent(c, "BACKUP");
        lab.moveTo(a);
        lab.moves(2);
        lab.assertStoreMatchesAgentsAndWire();
    }

    /**
     * The two minutes: every agent cut from the coordinator (nftables drops every frame between them; VRRP
     * is untouched) while the VIP moves and a master dies; then healed, and the backlog arrives.
     */
    @Test
    @Tag("long")
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void theLinkToTheCoordinatorCutForTwoMinutesWhileVipsMove() throws Exception {
        ChaosLab lab = new ChaosLab(net, pg, "");
        lab.startAll();
        Host a = lab.agents.get(0);
        lab.moves(2);
        long cutAt = System.nanoTime();
        lab.agents.forEach(h -> net.partition(h, lab.m));
        lab.moves(4);
        lab.killMasterAgent(a);
        lab.startAgent(a, "MASTER");
        while (System.nanoTime() - cutAt < Duration.ofSeconds(110).toNanos()) {
            lab.moves(2);
        }
        ChaosLab.sleep(Math.max(0, Duration.ofSeconds(120).toMillis() - (System.nanoTime() - cutAt) / 1_000_000));
        lab.agents.forEach(h -> net.heal(h, lab.m));
        lab.moves(2);
        lab.assertStoreMatchesAgentsAndWire();
    }

    /**
     * A small outbox (64 KiB) on c, cut from the coordinator while its tracker file churns: repeated tracker results
     * and then priority changes are thinned, every state change is kept, and the thinning itself is stored.
     */
    @Test
    void aFullOutboxKeepsEveryStateChangeAndRecordsItsThinning() throws Exception {
        ChaosLab lab = new ChaosLab(net, pg, "64KB");
        lab.startAll();
        Host c = lab.agents.get(2);
        net.partition(c, lab.m);
        int written = 0;
        for (int phase = 0; phase < 3; phase++) {
            long until = System.nanoTime() + Duration.ofSeconds(14).toNanos();
            while (System.nanoTime() < until) {
                // 1..9: c's priority 51..59, still a backup; each value is a tracker result and a priority change
                Files.writeString(lab.trackFile(c), (1 + written++ % 9) + "\n");
                ChaosLab.sleep(300);
            }
            lab.moveTo(phase == 1 ? lab.agents.get(1) : c); // masters change: state changes that must survive
            lab.moveTo(lab.agents.get(0));
        }
        net.heal(c, lab.m);
        lab.assertStoreMatchesAgentsAndWire();

        List<ChaosLab.Stored> mine = lab.stored().stream().filter(s -> s.agentId().equals("c")).toList();
        List<AgentFact.FactsThinned> thinned = mine.stream().map(ChaosLab.Stored::fact)
                .filter(f -> f instanceof AgentFact.FactsThinned).map(f -> (AgentFact.FactsThinned) f).toList();
        assertThat(thinned).as("the thinning is recorded").isNotEmpty();
        long trackerResults = mine.stream().filter(s -> s.fact() instanceof AgentFact.TrackerResultChanged).count();
        assertThat(trackerResults).as("tracker results kept of %d written", written).isLessThan(written);
    }
}
