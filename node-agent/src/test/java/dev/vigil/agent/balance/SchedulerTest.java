package dev.vigil.agent.balance;

import dev.vigil.agent.config.Scheduling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class SchedulerTest {

    static Scheduler.Candidate c(int id, int weight, int active) {
        return new Scheduler.Candidate(id, weight, active, "10.0.0." + id + ":5432");
    }

    static List<Integer> picks(Scheduler s, List<Scheduler.Candidate> list, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.pick(list, new byte[] {10, 0, 0, 1}).orElseThrow().id());
        }
        return out;
    }

    @Test
    void roundRobinCyclesInConfigurationOrderAndSkipsWhatLeft() {
        Scheduler s = new Scheduler(Scheduling.RR);
        List<Scheduler.Candidate> all = List.of(c(0, 1, 0), c(1, 5, 0), c(2, 1, 0));
        assertThat(picks(s, all, 4)).containsExactly(0, 1, 2, 0);
        // server 1 leaves: the cycle continues after the last pick
        assertThat(picks(s, List.of(c(0, 1, 0), c(2, 1, 0)), 3)).containsExactly(2, 0, 2);
    }

    @Test
    void weightedRoundRobinInterleavesAsIpvs() {
        Scheduler s = new Scheduler(Scheduling.WRR);
        assertThat(picks(s, List.of(c(0, 3, 0), c(1, 1, 0)), 8)).containsExactly(0, 0, 0, 1, 0, 0, 0, 1);
        Scheduler t = new Scheduler(Scheduling.WRR);
        assertThat(picks(t, List.of(c(0, 4, 0), c(1, 3, 0), c(2, 2, 0)), 9)).containsExactly(0, 0, 1, 0, 1, 2, 0, 1, 2);
    }

    @Test
    void weightedRoundRobinSpreadsByWeightOverManyPicks() {
        Scheduler s = new Scheduler(Scheduling.WRR);
        Map<Integer, Integer> count = new HashMap<>();
        picks(s, List.of(c(0, 5, 0), c(1, 2, 0), c(2, 3, 0)), 1000).forEach(i -> count.merge(i, 1, Integer::sum));
        assertThat(count).containsEntry(0, 500).containsEntry(1, 200).containsEntry(2, 300);
    }

    @Test
    void leastConnectionsAndWeighted() {
        Scheduler lc = new Scheduler(Scheduling.LC);
        assertThat(lc.pick(List.of(c(0, 1, 3), c(1, 9, 2), c(2, 1, 2)), new byte[4]).orElseThrow().id()).isEqualTo(1);
        Scheduler wlc = new Scheduler(Scheduling.WLC);
        // 3/1 > 4/4 = 1 < 2/1: server 1 has the fewest per weight
        assertThat(wlc.pick(List.of(c(0, 1, 3), c(1, 4, 4), c(2, 1, 2)), new byte[4]).orElseThrow().id()).isEqualTo(1);
        assertThat(wlc.pick(List.of(c(0, 1, 0), c(1, 4, 0)), new byte[4]).orElseThrow().id()).isEqualTo(0);
    }

    @Test
    void sourceHashKeepsAClientOnItsServerWhileItStays() {
        Scheduler s = new Scheduler(Scheduling.SH);
        List<Scheduler.Candidate> all = List.of(c(0, 1, 0), c(1, 1, 0), c(2, 1, 0));
        Map<Integer, Integer> spread = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            byte[] client = {10, 1, (byte) (i >> 8), (byte) i};
            int first = s.pick(all, client).orElseThrow().id();
            assertThat(s.pick(all, client).orElseThrow().id()).isEqualTo(first);
            spread.merge(first, 1, Integer::sum);
            // another server leaving does not move this client
            List<Scheduler.Candidate> without = all.stream().filter(x -> x.id() == first || x.id() != (first + 1) % 3)
                    .toList();
            assertThat(s.pick(without, client).orElseThrow().id()).isEqualTo(first);
        }
        assertThat(spread.values()).allSatisfy(n -> assertThat(n).isBetween(60, 140));
    }

    @Test
    void nothingEligibleIsNoPick() {
        assertThat(new Scheduler(Scheduling.WLC).pick(List.of(), new byte[4])).isEmpty();
    }
}
