package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.ingest.IngestResult;
import dev.vigil.coordinator.ingest.IngestService;
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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incrementally kept review read models equal {@link ReviewRows} over every stored fact: after batches in
 * time order, a late batch from the middle of the history (the fold resumes from an earlier checkpoint), new
 * facts after that, a drop and a rebuild. Checkpoints every few facts, so resuming happens many times.
 */
@Timeout(120)
class ReviewReadModelTest {
    private Instant base = Instant.parse("2026-11-25T03:00:00Z");
    private static final Instant BEFORE_ALL = Instant.parse("0001-01-01T00:00:00Z");
    private final EnvelopeCodec codec = EnvelopeCodec.standard();
    private Path dir;
    private AuditStore store;
    private IngestService ingest;
    private ReviewReadModel model;
    private StoredEvents events;
    private final long[] seq = new long[3];

    @BeforeEach
    void open() throws Exception {
        dir = Files.createTempDirectory("vigil-review-rm");
        store = AuditStore.open(StoreSettings.embedded(dir), Clock.systemUTC());
        ingest = new IngestService(codec, store::record);
        events = new StoredEvents(store.dataSource(), codec);
        model = new ReviewReadModel(store.dataSource(), codec, Clock.systemUTC(), Duration.ofSeconds(60), 7);
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
    void incrementalRowsEqualTheFullFoldAcrossLateBatchesAndTies() throws Exception {
        scenario(new Random(42));
    }

    /**
     * Agent times around now, so arrival times fall inside agent-time spans: the arrival-basis incidents whose span
     * covers a late fact's agent time must gain it (the patch of covering incidents), which the scenario above, with
     * agent times a day before every arrival, never exercises.
     */
    @Test
    void arrivalTimesInsideAgentTimeSpansAreStillTheFullFold() throws Exception {
        base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofMinutes(45));
        scenario(new Random(7));
    }

    /**
     * A split brain judged by arrival spans the arrival instants between two batches; a fact that arrives after
     * it closed, with an agent time inside that span, is one of its events (as the full fold's rows have it): the
     * read model patches the stored incident, since the arrival fold resumes after it and never touches it again.
     */
    @Test
    void aLateFactInsideAClosedArrivalSplitBrainJoinsItsEvents() throws Exception {
        base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofHours(1));
        RouterRef r = new RouterRef("VI_1", 1, AddressFamily.IPV4);
        send(0, List.of(fact(0, base, new AgentFact.RouterStateChanged(r, RouterState.BACKUP, RouterState.MASTER,
                "timer", 100, 100, Optional.empty()))));
        send(1, List.of(fact(1, base.plusSeconds(1), new AgentFact.RouterStateChanged(r, RouterState.BACKUP,
                RouterState.MASTER, "timer", 100, 100, Optional.empty()))));
        Instant opened = latestArrival();
        model.refresh();
        Thread.sleep(200);
        send(1, List.of(fact(1, base.plusSeconds(2), new AgentFact.RouterStateChanged(r, RouterState.MASTER,
                RouterState.BACKUP, "preempted", 100, 90, Optional.empty()))));
        Instant closed = latestArrival();
        assertSameAsFullFold();
        // Agent 2 reports, late, a fact with an agent time between the split brain's arrival instants.
        Instant inside = opened.plus(Duration.between(opened, closed).dividedBy(2)).truncatedTo(ChronoUnit.MILLIS);
        assertThat(inside).isAfter(opened).isBefore(closed);
        send(2, List.of(fact(2, inside, new AgentFact.VipsRemoved(r, List.of("10.0.0.1"), true, "ok"))));
        assertSameAsFullFold();
        long late = events.inWindow(Instant.EPOCH, ReviewRows.END_OF_TIME, Optional.empty()).stream()
                .mapToLong(StoredEvent::id).max().orElseThrow();
        assertThat(model.incidents(Optional.empty(), Optional.empty(), Optional.of(ReviewRows.IncidentKind.SplitBrain),
                BEFORE_ALL, ReviewRows.END_OF_TIME)).as("the arrival split brain has the late fact among its events")
                .anyMatch(i -> i.detail().contains("ARRIVAL") && i.events().contains(late));
    }

    /**
     * Incidents that stay open and grow over many refreshes (a flap going on for minutes, a split brain that gains
     * a master, tracker failures on the masters), each refresh resuming from the last one's head checkpoint, with a
     * late batch now and then that makes one resume earlier: the rows that grew from what the read model kept equal
     * the full fold's after every refresh.
     */
    @Test
    void incidentsGrowingOverManyRefreshesEqualTheFullFold() throws Exception {
        base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofHours(2));
        Random random = new Random(11);
        RouterRef r = new RouterRef("VI_1", 1, AddressFamily.IPV4);
        Instant t = base;
        List<EventEnvelope> late = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            for (int agent = 0; agent < 2; agent++) {
                List<EventEnvelope> batch = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    t = t.plusMillis(1_000 + random.nextInt(4_000));
                    boolean up = (seq[agent] + k) % 2 == 0;
                    AgentFact f = switch (random.nextInt(5)) {
                        case 0 -> new AgentFact.TrackerResultChanged("chk", "script", random.nextBoolean(), "test", 1000);
                        case 1 -> new AgentFact.VipsAdded(r, List.of("10.0.0.1"), true, "ok");
                        default -> new AgentFact.RouterStateChanged(r, up ? RouterState.BACKUP : RouterState.MASTER,
                                up ? RouterState.MASTER : RouterState.BACKUP, "timer", 100, 100, Optional.empty());
                    };
                    batch.add(fact(agent, t, f));
                }
                send(agent, batch);
            }
            late.add(fact(2, t.minusSeconds(3), new AgentFact.PriorityChanged(r, 100, 90, "chk")));
            if (round % 7 == 6) {
                send(2, List.copyOf(late)); // partitioned for a while: agent times from the last rounds
                late.clear();
            }
            assertSameAsFullFold();
        }
    }

    private EventEnvelope fact(int agent, Instant t, AgentFact f) {
        String name = "a" + agent;
        return new EventEnvelope(name, name + "-boot", ++seq[agent], t, 0, EnvelopeCodec.CURRENT_SCHEMA, Optional.of("c1"), f);
    }

    private Instant latestArrival() throws Exception {
        return events.inWindow(Instant.EPOCH, ReviewRows.END_OF_TIME, Optional.empty()).stream()
                .map(e -> e.observed().recordedAt()).max(Comparator.naturalOrder()).orElseThrow();
    }

    private void scenario(Random random) throws Exception {
        send(0, history(0, random, 0, 30));
        send(1, history(1, random, 0, 30));
        assertSameAsFullFold();
        assertThat(count("rm_review_checkpoint")).as("checkpoints written").isGreaterThan(4);
        send(0, history(0, random, 30, 60));
        assertSameAsFullFold();
        send(1, history(1, random, 30, 60));
        assertSameAsFullFold();
        assertThat(count("rm_vip_move")).as("moves").isPositive();
        assertThat(count("rm_incident")).as("incidents").isPositive();
        // Agent 2 was partitioned: its batch arrives now, with agent times from the middle of the hour.
        send(2, history(2, random, 20, 40));
        assertSameAsFullFold();
        assertStoriesAsFromTheStart(random);
        for (int minute = 60; minute < 90; minute += 5) {
            int agent = random.nextInt(3);
            send(agent, history(agent, random, minute, minute + 5));
            assertSameAsFullFold();
        }
        model.drop();
        assertThat(count("rm_vip_move") + count("rm_incident") + count("rm_review_checkpoint")).isZero();
        assertSameAsFullFold();
        model.rebuild();
        assertSameAsFullFold();
        assertStoriesAsFromTheStart(random);
    }

    /**
     * The narrative's material from checkpoints: the window's facts naming the cluster, and what the fold of every
     * fact up to the window's end concludes about the cluster's routers (agents here name either cluster).
     */
    private void assertStoriesAsFromTheStart(Random random) throws Exception {
        for (int i = 0; i < 12; i++) {
            int startMinute = random.nextInt(90);
            Instant from = base.plusSeconds(startMinute * 60L + random.nextInt(60));
            Instant to = from.plusSeconds(60L + random.nextInt(30 * 60));
            Optional<String> cluster = switch (i % 3) {
                case 0 -> Optional.empty();
                case 1 -> Optional.of("c1");
                default -> Optional.of("c2");
            };
            List<StoredEvent> upTo = events.inWindow(Instant.EPOCH, to, cluster);
            List<ReviewFact> review = ReviewFold.derive(events.inWindow(Instant.EPOCH, to, Optional.empty()).stream()
                    .map(StoredEvent::observed).toList(), ReviewPolicy.DEFAULT);
            ReviewReadModel.Story story = model.story(from, to, cluster);
            assertThat(story.facts().stream().map(StoredEvent::id).toList()).as("facts of %s..%s %s", from, to, cluster)
                    .isEqualTo(upTo.stream().filter(e -> !e.observed().envelope().time().isBefore(from)).map(StoredEvent::id).toList());
            assertThat(story.review()).as("review of %s..%s %s", from, to, cluster)
                    .isEqualTo(review.stream().filter(f -> !f.at().isBefore(from)
                            && cluster.map(c -> c.equals(f.router().cluster())).orElse(true)).toList());
        }
    }

    private void assertSameAsFullFold() throws Exception {
        List<StoredEvent> all = events.inWindow(Instant.EPOCH, ReviewRows.END_OF_TIME, Optional.empty());
        List<ReviewFact> review = ReviewFold.derive(all.stream().map(StoredEvent::observed).toList(), ReviewPolicy.DEFAULT);
        model.refresh();
        assertThat(model.moves(Optional.empty(), Optional.empty(), BEFORE_ALL, ReviewRows.END_OF_TIME))
                .isEqualTo(ReviewRows.moves(review));
        assertThat(model.incidents(Optional.empty(), Optional.empty(), Optional.empty(), BEFORE_ALL, ReviewRows.END_OF_TIME))
                .isEqualTo(ReviewRows.incidents(all, review));
    }

    private List<EventEnvelope> history(int agent, Random random, int fromMinute, int toMinute) {
        List<EventEnvelope> out = new ArrayList<>();
        String name = "a" + agent;
        for (int minute = fromMinute; minute < toMinute; minute++) {
            for (int k = 0; k < 3; k++) {
                // Whole milliseconds, often equal across agents: ties in agent time are common.
                Instant t = base.plusSeconds(minute * 60L + k * 7L).plusMillis(random.nextInt(3));
                RouterRef r = new RouterRef("VI_1", 1 + random.nextInt(2), AddressFamily.IPV4);
                AgentFact f = switch (random.nextInt(8)) {
                    case 0, 1 -> new AgentFact.RouterStateChanged(r, RouterState.BACKUP, RouterState.MASTER, "timer",
                            100, 100, Optional.empty());
                    case 2 -> new AgentFact.RouterStateChanged(r, RouterState.MASTER, RouterState.BACKUP, "preempted",
                            100, 90, Optional.empty());
                    case 3, 4 -> new AgentFact.VipsAdded(r, List.of("10.0.0." + r.vrid()), true, "ok");
                    case 5 -> new AgentFact.VipsRemoved(r, List.of("10.0.0." + r.vrid()), true, "ok");
                    case 6 -> new AgentFact.TrackerResultChanged("chk", "script", random.nextBoolean(), "test", 1000);
                    default -> random.nextBoolean() ? new AgentFact.AgentStarted("0.1.0", name, 1)
                            : new AgentFact.AgentStopping("SIGTERM");
                };
                out.add(new EventEnvelope(name, name + "-boot", ++seq[agent], t, 0, EnvelopeCodec.CURRENT_SCHEMA,
                        Optional.of(agent == 2 || random.nextInt(4) > 0 ? "c1" : "c2"), f));
            }
        }
        return out;
    }

    private void send(int agent, List<EventEnvelope> batch) throws Exception {
        IngestResult r = ingest.ingest("a" + agent, codec.encodeBatch(batch));
        assertThat(r).isInstanceOf(IngestResult.Applied.class);
        assertThat(((IngestResult.Applied) r).outcome().stored()).isEqualTo(batch.size());
    }

    private long count(String table) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(switch (table) {
                 case "rm_vip_move" -> "SELECT COUNT(*) FROM rm_vip_move";
                 case "rm_incident" -> "SELECT COUNT(*) FROM rm_incident";
                 default -> "SELECT COUNT(*) FROM rm_review_checkpoint";
             })) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
