package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrackerTest {

    /** A virtual clock stepping by the check interval; every change carries the time of the run that made it. */
    private static final class Clock {
        long nanos;

        long tick(Duration d) {
            nanos += d.toNanos();
            return nanos;
        }
    }

    private static ProbeResult pass(String d) {
        return ProbeResult.pass(d, Duration.ofMillis(3));
    }

    private static ProbeResult fail(String d) {
        return ProbeResult.fail(d, Duration.ofMillis(3));
    }

    @Test
    void reportsOnlyChangesWithTheDetailAndTimeOfTheDecidingRun() {
        Duration interval = Duration.ofMillis(200);
        Clock clock = new Clock();
        Tracker t = Tracker.start("chk_pg_primary", 1, 2, false);
        List<TrackerChange> changes = new ArrayList<>();
        List<ProbeResult> runs = List.of(pass("primary on timeline 1"), pass("primary on timeline 1"),
                fail("connection refused (127.0.0.1:5432)"), fail("in recovery"), fail("in recovery"),
                pass("primary on timeline 2"));
        for (ProbeResult r : runs) {
            Tracker.Step s = t.apply(r, clock.tick(interval));
            t = s.tracker();
            s.change().ifPresent(changes::add);
        }
        assertThat(changes).hasSize(3);
        assertThat(changes.get(0)).isEqualTo(new TrackerChange("chk_pg_primary", TrackerStatus.PENDING, TrackerStatus.OK,
                "primary on timeline 1", 1, Duration.ofMillis(3), 200_000_000L));
        // fall 2: the second failure decides, 200 ms after the first
        assertThat(changes.get(1)).isEqualTo(new TrackerChange("chk_pg_primary", TrackerStatus.OK, TrackerStatus.FAILED,
                "in recovery", 2, Duration.ofMillis(3), 800_000_000L));
        assertThat(changes.get(1).describe()).isEqualTo("check chk_pg_primary failed: in recovery (2 consecutive failures)");
        assertThat(changes.get(1).toFact("postgresql")).isEqualTo(new dev.vigil.model.AgentFact.TrackerResultChanged(
                "chk_pg_primary", "postgresql", false, "check chk_pg_primary failed: in recovery (2 consecutive failures)",
                3_000_000L));
        assertThat(changes.get(2).to()).isEqualTo(TrackerStatus.OK);
        assertThat(changes.get(2).atNanos()).isEqualTo(1_200_000_000L);
        assertThat(changes.get(2).describe()).isEqualTo("check chk_pg_primary succeeded: primary on timeline 2 (1 consecutive success)");
    }

    @Test
    void pendingTrackerFailsAtItsFirstFailure() {
        Tracker.Step s = Tracker.start("chk", 3, 3, false).apply(fail("timeout after 1 s"), 42);
        assertThat(s.change()).contains(new TrackerChange("chk", TrackerStatus.PENDING, TrackerStatus.FAILED,
                "timeout after 1 s", 1, Duration.ofMillis(3), 42));
    }

    @Test
    void initFailTrackerReportsNothingUntilItRises() {
        Tracker t = Tracker.start("chk", 2, 1, true);
        assertThat(t.status()).isEqualTo(TrackerStatus.FAILED);
        Tracker.Step a = t.apply(fail("in recovery"), 1);
        assertThat(a.change()).isEmpty();
        Tracker.Step b = a.tracker().apply(pass("primary on timeline 1"), 2);
        assertThat(b.change()).isEmpty();
        Tracker.Step c = b.tracker().apply(pass("primary on timeline 1"), 3);
        assertThat(c.change()).hasValueSatisfying(ch -> {
            assertThat(ch.from()).isEqualTo(TrackerStatus.FAILED);
            assertThat(ch.to()).isEqualTo(TrackerStatus.OK);
            assertThat(ch.consecutive()).isEqualTo(2);
        });
    }
}
