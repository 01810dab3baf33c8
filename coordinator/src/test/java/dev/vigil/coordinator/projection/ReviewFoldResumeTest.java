package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.coordinator.projection.ReviewFact.Basis;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** A run stopped anywhere, snapshotted through JSON and resumed, tells what one run over everything tells. */
@Timeout(60)
class ReviewFoldResumeTest {
    private static final Instant T0 = Instant.parse("2026-11-25T03:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final ReviewPolicy POLICY = new ReviewPolicy(4, Duration.ofSeconds(20));

    @Property(tries = 60)
    void resumingFromAnySnapshotGivesTheSameReviewFacts(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int stops)
            throws Exception {
        List<Observed> facts = history(new Random(seed), 300);
        Random cuts = new Random(seed ^ 0x5eed);
        for (Basis basis : Basis.values()) {
            List<Observed> ordered = facts.stream().sorted(ReviewFold.order(basis)).toList();
            ReviewFold.Run whole = ReviewFold.Run.start(basis, POLICY);
            ordered.forEach(whole::apply);

            TreeMap<Long, ReviewFact> pieced = new TreeMap<>();
            ReviewFold.Run run = ReviewFold.Run.start(basis, POLICY);
            int at = 0;
            for (int s = 0; s < stops; s++) {
                int until = at + cuts.nextInt(ordered.size() - at + 1);
                ordered.subList(at, until).forEach(run::apply);
                pieced.putAll(run.touched());
                String saved = JSON.writeValueAsString(run.snapshot());
                run = ReviewFold.Run.resume(JSON.readValue(saved, ReviewFold.Snapshot.class));
                at = until;
            }
            ordered.subList(at, ordered.size()).forEach(run::apply);
            pieced.putAll(run.touched());
            assertThat(pieced).isEqualTo(whole.touched());
            assertThat(run.emitted()).isEqualTo(whole.emitted());
            assertThat(run.open()).isEqualTo(whole.open());
        }
    }

    /** Two clusters, three agents each, two routers per cluster: state changes, VIPs, trackers, restarts. */
    private static List<Observed> history(Random random, int size) {
        List<Observed> out = new ArrayList<>();
        long[] seq = new long[6];
        for (int i = 0; i < size; i++) {
            int agent = random.nextInt(6);
            String cluster = agent < 3 ? "c1" : "c2";
            RouterRef router = new RouterRef("VI_" + random.nextInt(2), 10 + random.nextInt(2), AddressFamily.IPV4);
            long millis = i * 700L + random.nextInt(2_000); // agent clocks overlap: ties and reordering
            AgentFact fact = switch (random.nextInt(8)) {
                case 0, 1 -> new AgentFact.RouterStateChanged(router, RouterState.BACKUP, RouterState.MASTER, "timer",
                        100, 100, Optional.empty());
                case 2, 3 -> new AgentFact.RouterStateChanged(router, RouterState.MASTER, RouterState.BACKUP, "preempted",
                        100, 100, Optional.empty());
                case 4 -> new AgentFact.VipsAdded(router, List.of("192.0.2." + (router.vrid())), random.nextBoolean(), "ok");
                case 5 -> new AgentFact.VipsRemoved(router, List.of("192.0.2." + (router.vrid())), true, "ok");
                case 6 -> new AgentFact.TrackerResultChanged("chk", "script", random.nextBoolean(), "detail", 1_000);
                default -> random.nextBoolean() ? new AgentFact.AgentStopping("SIGTERM")
                        : new AgentFact.AgentStarted("1.0", "host", 42);
            };
            out.add(new Observed(new EventEnvelope("a" + agent, "boot", ++seq[agent], T0.plusMillis(millis),
                    millis * 1_000_000, 1, Optional.of(cluster), fact), T0.plusMillis(millis + random.nextInt(5_000))));
        }
        return out;
    }
}
