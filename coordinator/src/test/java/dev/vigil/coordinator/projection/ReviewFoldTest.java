package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.projection.ReviewFact.Basis;
import dev.vigil.coordinator.projection.ReviewFact.MasterChanged;
import dev.vigil.coordinator.projection.ReviewFact.NoMaster;
import dev.vigil.coordinator.projection.ReviewFact.SplitBrain;
import dev.vigil.coordinator.projection.ReviewFact.VipMoved;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class ReviewFoldTest {
    private static final Instant T0 = Instant.parse("2026-11-25T03:12:00Z");
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final RouterKey KEY = new RouterKey("pg-main", 51, AddressFamily.IPV4);

    /** Scripted facts: each agent's own seq, its own clock (time + skew), and an arrival time. */
    private final List<Observed> facts = new ArrayList<>();
    private final Map<String, Long> seqs = new HashMap<>();
    private final Map<String, Duration> skew = new HashMap<>();

    private void fact(String agent, long atMillis, AgentFact f) {
        fact(agent, atMillis, atMillis + 5, f);
    }

    private void fact(String agent, long atMillis, long arrivedMillis, AgentFact f) {
        long seq = seqs.merge(agent, 1L, Long::sum);
        Instant agentClock = T0.plusMillis(atMillis).plus(skew.getOrDefault(agent, Duration.ZERO));
        facts.add(new Observed(new EventEnvelope(agent, "boot", seq, agentClock, atMillis * 1_000_000, 1,
                Optional.of("pg-main"), f), T0.plusMillis(arrivedMillis)));
    }

    private static AgentFact state(RouterState from, RouterState to, String cause) {
        return new AgentFact.RouterStateChanged(VI, from, to, cause, 100, 100, Optional.empty());
    }

    private static AgentFact vipsAdded() {
        return new AgentFact.VipsAdded(VI, List.of("192.0.2.100/32"), true, "ok");
    }

    private static AgentFact vipsRemoved() {
        return new AgentFact.VipsRemoved(VI, List.of("192.0.2.100/32"), true, "ok");
    }

    private List<ReviewFact> derive() {
        return ReviewFold.derive(facts, ReviewPolicy.DEFAULT);
    }

    private static <T extends ReviewFact> List<T> only(List<ReviewFact> all, Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void aFailoverIsAMasterChangeAndAVipMoveWithTheMeasuredGaps() {
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "no master seen"));
        fact("db1", 1, vipsAdded());
        fact("db1", 10_000, state(RouterState.MASTER, RouterState.FAULT, "check pg_primary failed"));
        fact("db1", 10_010, vipsRemoved());
        fact("db2", 10_400, state(RouterState.BACKUP, RouterState.MASTER, "master-down timer expired"));
        fact("db2", 10_450, vipsAdded());

        List<ReviewFact> story = derive();

        assertThat(only(story, MasterChanged.class)).containsExactly(
                new MasterChanged(KEY, T0, Optional.empty(), "db1", "no master seen", Optional.empty()),
                new MasterChanged(KEY, T0.plusMillis(10_400), Optional.of("db1"), "db2", "master-down timer expired",
                        Optional.of(Duration.ofMillis(400))));
        assertThat(only(story, NoMaster.class)).containsExactly(
                new NoMaster(KEY, T0.plusMillis(10_000), Optional.of(T0.plusMillis(10_400)), "db1"));
        assertThat(only(story, VipMoved.class)).containsExactly(new VipMoved(KEY, T0.plusMillis(10_450), "db1", "db2",
                List.of("192.0.2.100/32"), Optional.of(Duration.ofMillis(440))));
        assertThat(only(story, SplitBrain.class)).isEmpty();
    }

    @Test
    void aSplitBrainAndItsEndAreFoundByAgentClockAndByArrival() {
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "startup"));
        fact("db2", 5_000, state(RouterState.BACKUP, RouterState.MASTER, "master-down timer expired (partition)"));
        fact("db1", 20_000, state(RouterState.MASTER, RouterState.BACKUP, "higher priority advert from db2"));

        List<SplitBrain> splits = only(derive(), SplitBrain.class);

        assertThat(splits).extracting(SplitBrain::basis).containsExactlyInAnyOrder(Basis.AGENT_CLOCK, Basis.ARRIVAL);
        SplitBrain byClock = splits.stream().filter(s -> s.basis() == Basis.AGENT_CLOCK).findFirst().orElseThrow();
        assertThat(byClock.at()).isEqualTo(T0.plusMillis(5_000));
        assertThat(byClock.until()).contains(T0.plusMillis(20_000));
        assertThat(byClock.masters()).containsExactly("db1", "db2");
    }

    @Test
    void aSkewedClockMovesTheSplitBrainByAgentClockButNotByArrival() {
        skew.put("db2", Duration.ofSeconds(-30));   // db2's wall clock is 30 s behind
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "startup"));
        fact("db2", 5_000, state(RouterState.BACKUP, RouterState.MASTER, "partition"));
        fact("db1", 20_000, state(RouterState.MASTER, RouterState.BACKUP, "partition healed"));

        List<SplitBrain> splits = only(derive(), SplitBrain.class);
        SplitBrain byClock = splits.stream().filter(s -> s.basis() == Basis.AGENT_CLOCK).findFirst().orElseThrow();
        SplitBrain byArrival = splits.stream().filter(s -> s.basis() == Basis.ARRIVAL).findFirst().orElseThrow();
        // By its own clock db2 was master 25 s before db1 even started: the overlap seems to begin at db1's start.
        assertThat(byClock.at()).isEqualTo(T0);
        assertThat(byClock.until()).contains(T0.plusMillis(20_000));
        // Arrival order is immune to the skew: the overlap began when db2's claim arrived.
        assertThat(byArrival.at()).isEqualTo(T0.plusMillis(5_005));
        assertThat(byArrival.until()).contains(T0.plusMillis(20_005));
    }

    @Test
    void aLateBatchChangesTheStory() {
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "startup"));
        fact("db1", 10_000, state(RouterState.MASTER, RouterState.FAULT, "interface eth0 down"));
        List<ReviewFact> before = derive();
        assertThat(only(before, NoMaster.class)).containsExactly(
                new NoMaster(KEY, T0.plusMillis(10_000), Optional.empty(), "db1"));

        // db2's facts were held in its outbox by a partition and arrive a minute late.
        fact("db2", 10_300, 70_000, state(RouterState.BACKUP, RouterState.MASTER, "master-down timer expired"));
        List<ReviewFact> after = derive();

        assertThat(only(after, NoMaster.class)).containsExactly(
                new NoMaster(KEY, T0.plusMillis(10_000), Optional.of(T0.plusMillis(10_300)), "db1"));
        assertThat(only(after, MasterChanged.class)).last().isEqualTo(new MasterChanged(KEY, T0.plusMillis(10_300),
                Optional.of("db1"), "db2", "master-down timer expired", Optional.of(Duration.ofMillis(300))));
        assertThat(only(after, SplitBrain.class)).isEmpty();
    }

    @Test
    void tooManyTransitionsInTheWindowIsOneFlappingPeriod() {
        for (int i = 0; i < 8; i++) {
            boolean up = i % 2 == 0;
            fact("db1", i * 5_000L, state(up ? RouterState.BACKUP : RouterState.MASTER,
                    up ? RouterState.MASTER : RouterState.BACKUP, "flap " + i));
        }
        List<ReviewFact.Flapping> flaps = only(derive(), ReviewFact.Flapping.class);
        assertThat(flaps).hasSize(1);
        assertThat(flaps.get(0).agentId()).isEqualTo("db1");
        assertThat(flaps.get(0).transitions()).isEqualTo(8);
        assertThat(flaps.get(0).until()).isEqualTo(T0.plusMillis(35_000));
    }

    @Test
    void aTrackerFailingOnTheMasterIsReportedButNotOnABackup() {
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "startup"));
        fact("db2", 0, state(RouterState.INIT, RouterState.BACKUP, "startup"));
        fact("db2", 1_000, new AgentFact.TrackerResultChanged("pg_primary", "postgresql", false, "in recovery", 1));
        fact("db1", 2_000, new AgentFact.TrackerResultChanged("pg_primary", "postgresql", false, "connection refused", 1));
        assertThat(only(derive(), ReviewFact.TrackerFailedOnMaster.class)).containsExactly(
                new ReviewFact.TrackerFailedOnMaster(KEY, T0.plusMillis(2_000), "db1", "pg_primary", "connection refused"));
    }

    @Test
    void theStoryDoesNotDependOnTheOrderFactsAreHandedIn() {
        fact("db1", 0, state(RouterState.BACKUP, RouterState.MASTER, "startup"));
        fact("db1", 1, vipsAdded());
        fact("db2", 5_000, state(RouterState.BACKUP, RouterState.MASTER, "partition"));
        fact("db1", 9_000, new AgentFact.AgentStopping("SIGTERM"));
        fact("db2", 9_500, vipsAdded());
        List<ReviewFact> expected = derive();
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            Collections.shuffle(facts, random);
            assertThat(derive()).isEqualTo(expected);
        }
    }
}
