package dev.vigil.coordinator.projection;

import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.FactType;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class StoredFactsTest {
    private static final Instant T0 = Instant.parse("2026-11-25T03:12:00Z");
    private static final RouterState[] STATES = {RouterState.INIT, RouterState.BACKUP, RouterState.MASTER, RouterState.FAULT};

    private static AgentFact any(Random r, String agent) {
        RouterRef vi = new RouterRef("VI_" + r.nextInt(2), 51 + r.nextInt(2), AddressFamily.IPV4);
        return switch (r.nextInt(11)) {
            case 0 -> new AgentFact.AgentStarted("0.1.0", agent, r.nextInt(1000));
            case 1 -> new AgentFact.AgentStopping("SIGTERM");
            case 2 -> new AgentFact.ConfigLoaded("/etc/keepalived/keepalived.conf", "ab".repeat(32), 2);
            case 3, 4 -> new AgentFact.RouterStateChanged(vi, STATES[r.nextInt(4)], r.nextBoolean() ? RouterState.MASTER
                    : STATES[r.nextInt(4)], "cause " + r.nextInt(9), 100, 100, Optional.empty());
            case 5 -> new AgentFact.VipsAdded(vi, List.of("192.0.2." + r.nextInt(3) + "/32"), r.nextBoolean(), "ok");
            case 6 -> new AgentFact.VipsRemoved(vi, List.of("192.0.2.100/32"), true, "ok");
            case 7 -> new AgentFact.TrackerResultChanged("pg_primary", "postgresql", r.nextBoolean(), "recovery", 3_500_000);
            case 8 -> new AgentFact.PriorityChanged(vi, 150, 100, "pg_primary");
            case 9 -> new AgentFact.AdvertsRejected(vi, Map.of("ttl", 3L), 10_000_000_000L);
            default -> r.nextBoolean() ? new AgentFact.NotifyScriptRan("VI_PG", "/n.sh", "MASTER", 0, 12_000_000)
                    : new AgentFact.FactsThinned(Map.of("AdvertsRejected", 1L), 1, 2, "outbox full");
        };
    }

    @Test
    void theFoldedTypesAreKnownAndDroppingTheOthersChangesNoReviewFact() {
        assertThat(FactType.names()).containsAll(StoredFacts.FOLDED);
        for (int seed = 0; seed < 40; seed++) {
            Random r = new Random(seed);
            List<Observed> all = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String agent = "db" + r.nextInt(3);
                Instant at = T0.plusMillis(i * 300L + r.nextInt(200));
                all.add(new Observed(new EventEnvelope(agent, "boot", i + 1, at, i, 1,
                        r.nextInt(5) == 0 ? Optional.empty() : Optional.of("pg-main"), any(r, agent)),
                        at.plusMillis(r.nextInt(2_000))));
            }
            List<Observed> folded = all.stream().filter(o -> StoredFacts.FOLDED.contains(o.envelope().factType())).toList();
            assertThat(folded).hasSizeLessThan(all.size());
            assertThat(ReviewFold.derive(folded, ReviewPolicy.DEFAULT)).as("seed %d", seed)
                    .isEqualTo(ReviewFold.derive(all, ReviewPolicy.DEFAULT)).isNotEmpty();
        }
    }
}
