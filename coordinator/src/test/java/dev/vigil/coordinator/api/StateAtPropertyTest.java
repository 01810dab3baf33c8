package dev.vigil.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.ingest.AgentTokens;
import dev.vigil.coordinator.projection.Observed;
import dev.vigil.coordinator.projection.StateFold;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * For random instants T over a generated history of three agents (stored through the real ingest
 * API), {@code GET /v1/state?at=T} equals {@link StateFold} applied to the generated facts up to T.
 * Each try writes its own cluster, so tries share one coordinator. jqwik has no timeout: tries and
 * history length are bounded instead (about 10 s in all).
 */
class StateAtPropertyTest {
    private static final String[] AGENTS = {"a1", "a2", "a3"};
    private static final Instant BASE = Instant.parse("2026-11-25T03:00:00Z");
    private static final AtomicInteger TRY = new AtomicInteger();
    private static Path dir;
    private static Coordinator coordinator;
    private static ApiClient api;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("vigil-state-at");
        Map<String, String> hashes = new HashMap<>();
        for (String a : AGENTS) {
            hashes.put(a, AgentTokens.sha256Hex(a + "-token"));
        }
        coordinator = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir),
                AgentTokens.of(hashes), Optional.empty()).withOperators(AgentTokens.of(Map.of("alice",
                AgentTokens.sha256Hex(ScriptedFailover.READ_TOKEN)))), Clock.systemUTC(), 7);
        api = new ApiClient(coordinator.port());
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (api != null) {
                api.close();
            }
            if (coordinator != null) {
                coordinator.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One generated step: which agent, what it says, and how long after the previous step. */
    record Step(int agent, int kind, int vrid, int value, boolean flag, int afterMicros) {
    }

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 254), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 3_000_000)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 25)
    void stateAtTEqualsTheFoldOfTheFactsUpToT(@ForAll("histories") List<Step> steps,
                                             @ForAll("instantsPerMille") List<Integer> probes) throws Exception {
        int n = TRY.incrementAndGet();
        String cluster = "p" + n;
        List<EventEnvelope> history = generate(steps, cluster, n);
        Map<String, List<EventEnvelope>> byAgent = new HashMap<>();
        history.forEach(e -> byAgent.computeIfAbsent(e.agentId(), a -> new ArrayList<>()).add(e));
        for (Map.Entry<String, List<EventEnvelope>> batch : byAgent.entrySet()) {
            assertThat(api.ingest(batch.getKey() + "-token", batch.getValue()).statusCode()).isEqualTo(200);
        }
        List<Observed> observed = history.stream().map(e -> new Observed(e, Instant.EPOCH)).toList();
        Instant last = history.get(history.size() - 1).time();
        List<Instant> instants = new ArrayList<>();
        for (int perMille : probes) {
            instants.add(BASE.plusNanos((java.time.Duration.between(BASE, last).toNanos() + 2_000_000L) * perMille / 1000 / 1000 * 1000));
        }
        // Exactly at a fact, and a microsecond before it: the boundaries a time filter gets wrong.
        EventEnvelope some = history.get(probes.get(0) % history.size());
        instants.add(some.time());
        instants.add(some.time().minusNanos(1000));
        for (Instant t : instants) {
            JsonNode served = api.read("state", "/v1/state?at=" + t + "&cluster=" + cluster);
            JsonNode folded = ApiClient.JSON.readTree(QueryApi.stateJson(t, StateFold.at(observed, t)).encode());
            assertThat(served).as("state at " + t).isEqualTo(folded);
        }
    }

    @Provide
    Arbitrary<List<Integer>> instantsPerMille() {
        return Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(6);
    }

    private static List<EventEnvelope> generate(List<Step> steps, String cluster, int n) {
        List<EventEnvelope> out = new ArrayList<>();
        long[] seq = new long[AGENTS.length];
        Instant t = BASE;
        for (Step s : steps) {
            t = t.plusNanos(s.afterMicros() * 1000L);
            String agent = AGENTS[s.agent()];
            RouterRef r = new RouterRef("VI_" + s.vrid(), s.vrid(), AddressFamily.IPV4);
            String vip = "10.0." + s.vrid() + ".1";
            AgentFact f = switch (s.kind()) {
                case 0 -> new AgentFact.RouterStateChanged(r, RouterState.BACKUP,
                        s.flag() ? RouterState.MASTER : (s.value() % 2 == 0 ? RouterState.BACKUP : RouterState.FAULT),
                        "generated", s.value(), Math.max(1, s.value() - 10), Optional.empty());
                case 1 -> new AgentFact.PriorityChanged(r, s.value(), Math.max(1, s.value() / 2), "t" + s.vrid());
                case 2 -> new AgentFact.VipsAdded(r, List.of(vip), s.flag(), "generated");
                case 3 -> new AgentFact.VipsRemoved(r, List.of(vip), true, "generated");
                case 4 -> new AgentFact.TrackerResultChanged("t" + s.vrid(), "script", s.flag(), "generated", 1000);
                case 5 -> new AgentFact.AgentStarted("0.1.0", agent, s.value());
                default -> new AgentFact.AgentStopping("generated");
            };
            out.add(new EventEnvelope(agent, agent + "-b" + n, ++seq[s.agent()], t, 0, EnvelopeCodec.CURRENT_SCHEMA,
                    Optional.of(cluster), f));
        }
        return out;
    }
}
