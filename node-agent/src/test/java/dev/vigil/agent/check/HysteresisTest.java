package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HysteresisTest {

    private static Hysteresis feed(Hysteresis h, boolean... results) {
        for (boolean r : results) {
            h = h.next(r);
        }
        return h;
    }

    @Test
    void startsPendingAndOneSuccessIsEnoughWhateverTheRise() {
        Hysteresis h = Hysteresis.start(3, 2, false);
        assertThat(h.status()).isEqualTo(TrackerStatus.PENDING);
        assertThat(h.counter()).isEqualTo(2);
        Hysteresis after = h.next(true);
        assertThat(after.status()).isEqualTo(TrackerStatus.OK);
        assertThat(after.counter()).isEqualTo(4);   // rise + fall - 1: fall failures needed to go back
    }

    @Test
    void firstFailureWhilePendingFailsAtOnceWhateverTheFall() {
        Hysteresis h = Hysteresis.start(2, 5, false).next(false);
        assertThat(h.status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(h.counter()).isZero();
        // and from there rise successes are needed
        assertThat(h.next(true).status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(feed(h, true, true).status()).isEqualTo(TrackerStatus.OK);
    }

    @Test
    void fallConsecutiveFailuresAreNeededToFail() {
        Hysteresis ok = Hysteresis.start(1, 3, false).next(true);
        assertThat(feed(ok, false).status()).isEqualTo(TrackerStatus.OK);
        assertThat(feed(ok, false, false).status()).isEqualTo(TrackerStatus.OK);
        assertThat(feed(ok, false, false, false).status()).isEqualTo(TrackerStatus.FAILED);
        // one success in between starts the count again
        assertThat(feed(ok, false, false, true, false, false).status()).isEqualTo(TrackerStatus.OK);
    }

    @Test
    void riseConsecutiveSuccessesAreNeededToRecover() {
        Hysteresis failed = Hysteresis.start(3, 1, false).next(false);
        assertThat(feed(failed, true, true).status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(feed(failed, true, true, false, true, true).status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(feed(failed, true, true, true).status()).isEqualTo(TrackerStatus.OK);
    }

    @Test
    void initFailStartsFailedAndAFailureChangesNothing() {
        Hysteresis h = Hysteresis.start(2, 2, true);
        assertThat(h.status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(h.counter()).isZero();
        assertThat(h.next(false).status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(h.next(true).status()).isEqualTo(TrackerStatus.FAILED);
        assertThat(feed(h, true, true).status()).isEqualTo(TrackerStatus.OK);
        assertThat(Hysteresis.start(1, 1, true).next(true).status()).isEqualTo(TrackerStatus.OK);
    }

    /** keepalived's counter equals the plain reading: fall failures in a row to fail, rise successes in a row to recover. */
    @Property(tries = 500)
    void agreesWithConsecutiveRunModel(@ForAll @IntRange(min = 1, max = 5) int rise, @ForAll @IntRange(min = 1, max = 5) int fall,
                                       @ForAll boolean initFail, @ForAll @Size(max = 60) List<Boolean> results) {
        Hysteresis h = Hysteresis.start(rise, fall, initFail);
        TrackerStatus model = initFail ? TrackerStatus.FAILED : TrackerStatus.PENDING;
        int run = 0;
        boolean runOf = false;
        for (boolean r : results) {
            run = r == runOf ? run + 1 : 1;
            runOf = r;
            h = h.next(r);
            if (model == TrackerStatus.PENDING) {
                model = r ? TrackerStatus.OK : TrackerStatus.FAILED;
            } else if (model == TrackerStatus.OK && !r && run >= fall) {
                model = TrackerStatus.FAILED;
            } else if (model == TrackerStatus.FAILED && r && run >= rise) {
                model = TrackerStatus.OK;
            }
            assertThat(h.counter()).isBetween(0, rise + fall - 1);
            assertThat(h.status()).isEqualTo(model);
        }
    }
}
