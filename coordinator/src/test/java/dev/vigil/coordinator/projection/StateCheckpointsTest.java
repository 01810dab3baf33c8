package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.ingest.IngestService;
import dev.vigil.coordinator.ingest.IngestResult;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The state at T from checkpoints equals the fold over every fact up to T, also when a late batch (older
 * agent times than existing checkpoints) arrives, when facts share one agent time, and after a drop.
 */
@Timeout(120)
class StateCheckpointsTest {
    private static final Instant BASE = Instant.parse("2026-11-25T03:00:00Z");
    private final EnvelopeCodec codec = EnvelopeCodec.standard();
    private Path dir;
    private AuditStore store;
    private IngestService ingest;
    private StateCheckpoints checkpoints;
    private final List<Observed> all = new ArrayList<>();
    private final long[] seq = new long[3];

    @BeforeEach
    void open() throws Exception {
        dir = Files.createTempDirectory("vigil-state-cp");
        store = AuditStore.open(StoreSettings.embedded(dir), Clock.systemUTC());
        ingest = new IngestService(codec, store::record);
        checkpoints = new StateCheckpoints(store.dataSource(), codec, Clock.systemUTC(), Duration.ofSeconds(60), 5);
    }

    @AfterEach
    void close() throws Exception {
        try {
            store.close();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void checkpointedStateEqualsTheFullFoldAcrossLateBatchesAndTies() throws Exception {
        Random random = new Random(42);
        // Agent 0 and 1 report an hour in time order; many facts share a millisecond.
        send(0, history(0, random, 0, 60));
        send(1, history(1, random, 0, 60));
        checkpoints.refresh();
        assertThat(count()).as("checkpoints written").isGreaterThan(5);
        assertSameAsFold(random);
        // Agent 2 was partitioned: its batch arrives now, with agent times from the middle of the hour.
        send(2, history(2, random, 20, 40));
        assertSameAsFold(random);
        checkpoints.refresh();
        assertSameAsFold(random);
        checkpoints.drop();
        assertThat(count()).isZero();
        assertSameAsFold(random);
    }

    private void assertSameAsFold(Random random) throws Exception {
        List<Instant> probes = new ArrayList<>(List.of(BASE.minusSeconds(1), BASE, BASE.plusSeconds(7200)));
        for (int i = 0; i < 30; i++) {
            Observed o = all.get(random.nextInt(all.size()));
            probes.add(o.envelope().time());
            probes.add(o.envelope().time().minusNanos(1000));
        }
        for (Instant t : probes) {
            assertThat(checkpoints.stateAt(t, Optional.empty())).as("state at " + t).isEqualTo(StateFold.at(all, t));
            assertThat(checkpoints.stateAt(t, Optional.of("c1")))
                    .isEqualTo(StateFold.at(all, t).stream().filter(v -> v.key().cluster().equals("c1")).toList());
        }
    }

    private List<EventEnvelope> history(int agent, Random random, int fromMinute, int toMinute) {
        List<EventEnvelope> out = new ArrayList<>();
        String name = "a" + agent;
        for (int minute = fromMinute; minute < toMinute; minute++) {
            // Whole milliseconds, often equal across agents: ties in agent time are common.
            Instant t = BASE.plusSeconds(minute * 60L).plusMillis(random.nextInt(3));
            RouterRef r = new RouterRef("VI_1", 1 + random.nextInt(2), AddressFamily.IPV4);
            AgentFact f = switch (random.nextInt(6)) {
                case 0 -> new AgentFact.RouterStateChanged(r, RouterState.BACKUP, random.nextBoolean() ? RouterState.MASTER
                        : RouterState.BACKUP, "test", 100, 90 + random.nextInt(20), Optional.empty());
                case 1 -> new AgentFact.PriorityChanged(r, 100, random.nextInt(100) + 1, "chk");
                case 2 -> new AgentFact.VipsAdded(r, List.of("10.0.0." + r.vrid()), true, "ok");
                case 3 -> new AgentFact.VipsRemoved(r, List.of("10.0.0." + r.vrid()), true, "ok");
                case 4 -> new AgentFact.TrackerResultChanged("chk", "script", random.nextBoolean(), "test", 1000);
                default -> new AgentFact.AgentStarted("0.1.0", name, 1);
            };
            out.add(new EventEnvelope(name, name + "-boot", ++seq[agent], t, 0, EnvelopeCodec.CURRENT_SCHEMA,
                    Optional.of(agent == 2 ? "c1" : "c" + random.nextInt(2)), f));
        }
        return out;
    }

    private void send(int agent, List<EventEnvelope> events) throws Exception {
        IngestResult r = ingest.ingest("a" + agent, codec.encodeBatch(events));
        assertThat(r).isInstanceOf(IngestResult.Applied.class);
        assertThat(((IngestResult.Applied) r).outcome().stored()).isEqualTo(events.size());
        // The fold works on what the agents said; the arrival time plays no part in the state.
        for (EventEnvelope e : events) {
            all.add(new Observed(codec.decode(codec.encode(e)), Instant.EPOCH));
        }
    }

    private long count() throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM rm_state_checkpoint")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
