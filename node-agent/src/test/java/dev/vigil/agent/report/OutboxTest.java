package dev.vigil.agent.report;

import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class OutboxTest {
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final Instant T0 = Instant.parse("2026-11-25T03:12:07.123456789Z");
    private final EnvelopeCodec codec = EnvelopeCodec.standard();
    private final AtomicLong nanos = new AtomicLong(1_000);

    @TempDir
    Path dir;

    private Outbox open(String boot, long limit) throws Exception {
        return Outbox.open(dir, limit, new Outbox.Identity("db1", boot, Optional.of("pg-main")),
                Clock.fixed(T0, ZoneOffset.UTC), () -> nanos.addAndGet(1_000));
    }

    private static AgentFact state(int i) {
        return new AgentFact.RouterStateChanged(VI, RouterState.BACKUP, RouterState.MASTER, "transition " + i,
                100, 100, Optional.empty());
    }

    private List<EventEnvelope> readAll(Outbox o) throws Exception {
        List<EventEnvelope> out = new ArrayList<>();
        Outbox.Position at = o.acked();
        while (true) {
            List<Outbox.Stored> batch = o.read(at, 100, 1 << 20);
            if (batch.isEmpty()) {
                return out;
            }
            for (Outbox.Stored s : batch) {
                EventEnvelope e = codec.decode(new String(s.frame().json(), StandardCharsets.UTF_8));
                assertThat(e.bootId()).isEqualTo(s.frame().bootId());
                assertThat(e.seq()).isEqualTo(s.frame().seq());
                out.add(e);
            }
            at = batch.get(batch.size() - 1).end();
        }
    }

    private static void awaitDurable(Outbox o, long seq) {
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> o.lastSeq() >= seq);
    }

    @Test
    void assignsIdentitySeqFromOneAndTheTimesStampedAtRecord() throws Exception {
        try (Outbox o = open("boot-a", 1 << 20)) {
            for (int i = 1; i <= 5; i++) {
                o.record(state(i));
            }
            awaitDurable(o, 5);
            List<EventEnvelope> all = readAll(o);
            assertThat(all).extracting(EventEnvelope::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(all).allSatisfy(e -> {
                assertThat(e.agentId()).isEqualTo("db1");
                assertThat(e.bootId()).isEqualTo("boot-a");
                assertThat(e.cluster()).contains("pg-main");
                assertThat(e.time()).isEqualTo(Instant.parse("2026-11-25T03:12:07.123456Z"));
            });
            assertThat(all).extracting(EventEnvelope::monotonicNanos).isSorted().doesNotHaveDuplicates();
            assertThat(all).extracting(e -> ((AgentFact.RouterStateChanged) e.fact()).cause())
                    .containsExactly("transition 1", "transition 2", "transition 3", "transition 4", "transition 5");
        }
    }

    @Test
    void aRestartKeepsOlderBootsFactsWithTheirOwnIdentityAndCutsATornTail() throws Exception {
        Path segment;
        try (Outbox o = open("boot-a", 1 << 20)) {
            for (int i = 1; i <= 3; i++) {
                o.record(state(i));
            }
            awaitDurable(o, 3);
            segment = o.segmentFile(o.durableEnd().segment());
        }
        // A crash in the middle of a write: half of a fourth record.
        byte[] fourth = new RecordFrame("boot-a", 4, "{\"torn\":true}".getBytes(StandardCharsets.UTF_8)).encode();
        Files.write(segment, java.util.Arrays.copyOf(fourth, fourth.length / 2), StandardOpenOption.APPEND);

        try (Outbox o = open("boot-b", 1 << 20)) {
            o.record(state(10));
            o.record(state(11));
            awaitDurable(o, 2);
            List<EventEnvelope> all = readAll(o);
            assertThat(all).extracting(e -> e.bootId() + "/" + e.seq())
                    .containsExactly("boot-a/1", "boot-a/2", "boot-a/3", "boot-b/1", "boot-b/2");
        }
    }

    @Test
    void acknowledgedSegmentsAreDeletedAndStayAcknowledgedAcrossARestart() throws Exception {
        try (Outbox o = open("boot-a", 1 << 20)) {
            o.record(state(1));
            awaitDurable(o, 1);
        }
        try (Outbox o = open("boot-b", 1 << 20)) {
            o.record(state(2));
            awaitDurable(o, 1);
            List<Outbox.Stored> batch = o.read(o.acked(), 100, 1 << 20);
            assertThat(batch).hasSize(2);
            o.acknowledge(batch.get(0).end()); // boot-a's whole segment
            assertThat(segments()).hasSize(1);
            assertThat(readAll(o)).extracting(EventEnvelope::bootId).containsExactly("boot-b");
        }
        try (Outbox o = open("boot-c", 1 << 20)) {
            assertThat(readAll(o)).extracting(e -> e.bootId() + "/" + e.seq()).containsExactly("boot-b/1");
        }
    }

    @Test
    void aCursorIntoASegmentThatIsGoneNeverSkipsFactsOfTheNextBoot() throws Exception {
        Files.writeString(dir.resolve("acked"), "7 4096\n"); // its segment was compacted away
        try (Outbox o = open("boot-b", 1 << 20)) {
            o.record(state(1));
            awaitDurable(o, 1);
            assertThat(readAll(o)).extracting(e -> e.bootId() + "/" + e.seq()).containsExactly("boot-b/1");
        }
    }

    @Test
    void aFullOutboxKeepsEveryEssentialFactAndRecordsWhatItThinned() throws Exception {
        long limit = 64 << 10;
        int rejected = 0;
        int essential = 0;
        try (Outbox o = open("boot-a", limit)) {
            // Fill well beyond the limit: nothing is acknowledged, so nothing is trimmed.
            for (int i = 0; i < 1500; i++) {
                o.record(new AgentFact.AdvertsRejected(VI, Map.of("ttl", (long) i), 1_000_000_000L));
                rejected++;
                if (i % 10 == 0) {
                    o.record(state(i));
                    essential++;
                }
            }
        }
        try (Outbox o = open("boot-b", limit)) {
            List<EventEnvelope> all = readAll(o);
            long keptRejected = all.stream().filter(e -> e.fact() instanceof AgentFact.AdvertsRejected).count();
            long keptState = all.stream().filter(e -> e.fact() instanceof AgentFact.RouterStateChanged).count();
            long dropped = all.stream().filter(e -> e.fact() instanceof AgentFact.FactsThinned)
                    .mapToLong(e -> ((AgentFact.FactsThinned) e.fact()).droppedByType().getOrDefault("AdvertsRejected", 0L))
                    .sum();
            assertThat(keptState).isEqualTo(essential);
            assertThat(keptRejected).isLessThan(rejected).isPositive();
            assertThat(keptRejected + dropped).isEqualTo(rejected);
            assertThat(all).extracting(EventEnvelope::seq).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, all.size()).boxed().toList());
        }
    }

    private List<Path> segments() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".seg")).toList();
        }
    }
}
