package dev.vigil.coordinator.projection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class PageHorizonTest {
    private static final Instant NOW = Instant.parse("2026-11-25T03:12:00Z");
    private static final Duration WINDOW = Duration.ofSeconds(60);

    private static PageHorizon.Visible v(long index, long secondsAgo) {
        return new PageHorizon.Visible(index, NOW.minusSeconds(secondsAgo));
    }

    @Test
    void withoutGapsThePageMayReachTheLastVisibleEvent() {
        assertThat(PageHorizon.of(0, List.of(v(1, 1), v(2, 1), v(3, 0)), NOW, WINDOW)).isEqualTo(3);
        assertThat(PageHorizon.of(7, List.of(), NOW, WINDOW)).isEqualTo(7);
    }

    @Test
    void aFreshGapStopsThePageBelowIt() {
        // 4 is taken by a transaction that has not committed; 5 committed a second ago.
        assertThat(PageHorizon.of(2, List.of(v(3, 5), v(5, 1), v(6, 0)), NOW, WINDOW)).isEqualTo(3);
        assertThat(PageHorizon.of(3, List.of(v(5, 1)), NOW, WINDOW)).as("a gap right after the cursor").isEqualTo(3);
    }

    @Test
    void aGapOlderThanAnyTransactionCanLiveIsPermanentAndPassed() {
        assertThat(PageHorizon.of(2, List.of(v(3, 120), v(5, 61), v(6, 0)), NOW, WINDOW)).isEqualTo(6);
        // exactly at the window's end the transaction may still be committing
        assertThat(PageHorizon.of(2, List.of(v(3, 120), v(5, 60), v(6, 0)), NOW, WINDOW)).isEqualTo(6);
        assertThat(PageHorizon.of(2, List.of(v(3, 120), v(5, 59), v(6, 0)), NOW, WINDOW)).isEqualTo(3);
    }

    @Test
    void theSecondFreshGapIsTheLimitWhenTheFirstIsOld() {
        assertThat(PageHorizon.of(0, List.of(v(2, 300), v(3, 200), v(9, 2), v(10, 1)), NOW, WINDOW)).isEqualTo(3);
    }
}
