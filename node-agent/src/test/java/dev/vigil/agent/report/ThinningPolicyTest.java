package dev.vigil.agent.report;

import dev.vigil.agent.report.ThinningPolicy.Worth;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class ThinningPolicyTest {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);

    @Test
    void stateVipLifecycleAndThinningFactsAreNeverDropped() {
        ThinningPolicy p = new ThinningPolicy();
        List<AgentFact> essential = List.of(
                new AgentFact.AgentStarted("0.1", "db1", 1), new AgentFact.AgentStopping("SIGTERM"),
                new AgentFact.ConfigLoaded("/etc/k.conf", "ab".repeat(32), 1),
                new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER, "timer", 100, 100, Optional.empty()),
                new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok"),
                new AgentFact.VipsRemoved(VI, List.of("192.0.2.100/32"), true, "ok"),
                new AgentFact.FactsThinned(Map.of("AdvertsRejected", 1L), 1, 2, "full"));
        for (AgentFact f : essential) {
            assertThat(p.worth(f)).as(f.toString()).isEqualTo(Worth.ESSENTIAL);
            assertThat(ThinningPolicy.keeps(p.worth(f), 10_000, 100)).isTrue();
        }
    }

    @Test
    void repeatsGoFirstThenOtherLowerValueFactsWhenFull() {
        ThinningPolicy p = new ThinningPolicy();
        Worth rejected = p.worth(new AgentFact.AdvertsRejected(VI, Map.of("ttl", 3L), 1));
        Worth firstVerdict = p.worth(new AgentFact.TrackerResultChanged("pg", "postgresql", true, "ok", 10));
        Worth latencyOnlyRepeat = p.worth(new AgentFact.TrackerResultChanged("pg", "postgresql", true, "ok", 99));
        Worth verdictChange = p.worth(new AgentFact.TrackerResultChanged("pg", "postgresql", false, "down", 5));
        Worth otherTracker = p.worth(new AgentFact.TrackerResultChanged("chk", "script", false, "exit 1", 5));
        Worth priority = p.worth(new AgentFact.PriorityChanged(VI, 150, 100, "pg"));

        assertThat(List.of(rejected, latencyOnlyRepeat)).containsOnly(Worth.LOWEST);
        assertThat(List.of(firstVerdict, verdictChange, otherTracker, priority)).containsOnly(Worth.LOW);

        assertThat(ThinningPolicy.keeps(Worth.LOWEST, 74, 100)).isTrue();
        assertThat(ThinningPolicy.keeps(Worth.LOWEST, 75, 100)).isFalse();
        assertThat(ThinningPolicy.keeps(Worth.LOW, 99, 100)).isTrue();
        assertThat(ThinningPolicy.keeps(Worth.LOW, 100, 100)).isFalse();
    }

    @Test
    void tallyCountsByTypeAndStartsAgainWhenDrained() {
        ThinningPolicy.Tally t = new ThinningPolicy.Tally();
        assertThat(t.isEmpty()).isTrue();
        t.dropped(new AgentFact.AdvertsRejected(VI, Map.of(), 1), 1_000);
        t.dropped(new AgentFact.AdvertsRejected(VI, Map.of(), 1), 3_000);
        t.dropped("TrackerResultChanged", 4, 2_000);
        AgentFact.FactsThinned f = t.drain("full");
        assertThat(f.droppedByType()).isEqualTo(Map.of("AdvertsRejected", 2L, "TrackerResultChanged", 4L));
        assertThat(f.firstDroppedNanos()).isEqualTo(1_000);
        assertThat(f.lastDroppedNanos()).isEqualTo(3_000);
        assertThat(t.isEmpty()).isTrue();
    }
}
