package dev.vigil.coordinator.processing;

import dev.vigil.coordinator.CoordinatorMain;
import dev.vigil.coordinator.projection.NodeReadModel;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.lab.FleetLoad;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.model.EnvelopeCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12 end to end: three real coordinators (child JVMs) on one PostgreSQL (PgLab) share the node
 * projection's six segments, two each. A fleet of HTTP senders ships through all three; one coordinator
 * is killed with -9 during ingest: its segments are claimed by the survivors within three claim
 * timeouts; it starts again and gets its share back. Afterwards every fact is stored once, the projection
 * equals a fold of the stream, verify is intact on every instance, and the signed checkpoints that
 * each instance wrote with its own key all verify against the store.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class SharedProjectionsIT {
    @RegisterExtension
    static final PgLab PG = PgLab.extension();
    private static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(3);
    private static final int AGENTS = 24;
    private static final String PREFIX = "agent";
    private static final int SEGMENTS = ProcessorSettings.DEFAULT_SEGMENTS;

    @TempDir
    Path home;

    private final List<CoordinatorJvm> coordinators = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (CoordinatorJvm c : coordinators) {
            c.kill9();
        }
    }

    @Test
    void segmentsMoveToSurvivorsAndBackAndTheProjectionEqualsARebuild() throws Exception {
        PgCluster pg = PG.cluster("shared");
        pg.query("CREATE DATABASE shared");
        StoreSettings store = new StoreSettings(pg.jdbcUrl("shared"), "postgres", "", 8, 1000);
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(store.jdbcUrl());
        ds.setUser(store.user());
        List<String> agents = IntStream.range(0, AGENTS).mapToObj(i -> FleetLoad.agentId(PREFIX, i)).toList();
        for (String name : List.of("a", "b", "c")) {
            CoordinatorJvm c = new CoordinatorJvm(home.resolve(name), agents, store, CLAIM_TIMEOUT);
            coordinators.add(c);
        }
        CoordinatorJvm a = coordinators.get(0);
        for (CoordinatorJvm c : coordinators) {
            c.start(); // a migrates first; the others find the schema migrated
        }
        // Fair share: ceil(6 / 3) = 2 segments each, whoever started first.
        await().atMost(Duration.ofSeconds(60)).until(() -> segmentsPerOwner(ds).values().stream().sorted().toList()
                .equals(List.of(2, 2, 2)) && ownersAreLive(ds));

        FleetLoad load = new FleetLoad(coordinators.stream().map(CoordinatorJvm::url).toList(), PREFIX, AGENTS, 20, 3);
        load.start();
        await().atMost(Duration.ofSeconds(120)).until(() -> load.total() >= 3_000);

        String dead = a.nodeId();
        List<Integer> deadSegments = segmentsOf(ds, dead);
        assertThat(deadSegments).hasSize(2);
        a.kill9();
        long killedAt = System.nanoTime();
        await().atMost(CLAIM_TIMEOUT.multipliedBy(3).plusSeconds(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> segmentsPerOwner(ds).keySet().stream().noneMatch(dead::equals)
                        && segmentsPerOwner(ds).values().stream().mapToInt(Integer::intValue).sum() == SEGMENTS);
        Duration handOver = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.printf("segments %s of the killed instance claimed by the survivors after %d ms (claim timeout %d ms)%n",
                deadSegments, handOver.toMillis(), CLAIM_TIMEOUT.toMillis());
        assertThat(handOver).isLessThanOrEqualTo(CLAIM_TIMEOUT.multipliedBy(3));

        long beforeRestart = load.total();
        await().atMost(Duration.ofSeconds(120)).until(() -> load.total() >= beforeRestart + 2_000);
        a.start();
        // The restarted instance (a new node id) gets its share back: the survivors release their surplus.
        await().atMost(Duration.ofSeconds(60)).until(() -> segmentsPerOwner(ds).containsKey(a.nodeId())
                && segmentsPerOwner(ds).values().stream().sorted().toList().equals(List.of(2, 2, 2)));
        long afterRestart = load.total();
        await().atMost(Duration.ofSeconds(120)).until(() -> load.total() >= afterRestart + 1_000);
        load.close();
        System.out.printf("fleet: %d events acknowledged, %d failovers%n", load.total(), load.failovers());
        assertThat(load.failovers()).as("some agents shipped to the killed instance").isPositive();

        // Every fact stored once, in order.
        for (int i = 0; i < AGENTS; i++) {
            assertThat(storedSeqs(ds, load.agent(i))).as(load.agent(i))
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, load.acked(i)).boxed().toList());
        }
        // The projection, maintained by three processes through a kill, equals a fold of the whole stream.
        NodeReadModel model = new NodeReadModel(EnvelopeCodec.standard());
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                .until(() -> model.all(ds).equals(model.fromStream(ds)));
        assertThat(model.all(ds)).hasSize(AGENTS);
        for (int i = 0; i < AGENTS; i++) {
            assertThat(model.all(ds).get(load.agent(i)).chainLength()).isEqualTo(load.acked(i));
        }
        for (CoordinatorJvm c : coordinators) {
            String verify = c.verify();
            assertThat(verify).contains("\"intact\":true").doesNotContain("\"intact\":false");
        }
        // Each instance signed checkpoints with its own key while the others wrote: all of them verify.
        for (CoordinatorJvm c : coordinators) {
            Path checkpoint = c.latestCheckpoint().orElseThrow(() -> new AssertionError("no checkpoint in " + c.checkpointDir()));
            int rc = new CommandLine(new CoordinatorMain()).execute("verify", "--db-url", store.jdbcUrl(),
                    "--db-user", store.user(), "--checkpoint", checkpoint.toString(), "--public-key", c.publicKey().toString());
            assertThat(rc).as("verify against %s", checkpoint).isZero();
        }
    }

    /** token_entry: segments per live owner (rows without an owner are not counted). */
    private static Map<String, Integer> segmentsPerOwner(PGSimpleDataSource ds) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT owner FROM token_entry WHERE processor_name = ? AND owner IS NOT NULL")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.merge(rs.getString(1), 1, Integer::sum);
                }
            }
        }
        return out;
    }

    private boolean ownersAreLive(PGSimpleDataSource ds) throws Exception {
        List<String> live = new ArrayList<>();
        for (CoordinatorJvm c : coordinators) {
            live.add(c.nodeId());
        }
        return live.containsAll(segmentsPerOwner(ds).keySet());
    }

    private static List<Integer> segmentsOf(PGSimpleDataSource ds, String owner) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT segment FROM token_entry WHERE processor_name = ? AND owner = ? ORDER BY segment")) {
            ps.setString(1, ProjectionProcessors.NODE_PROJECTION);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1));
                }
            }
        }
        return out;
    }

    private static List<Long> storedSeqs(PGSimpleDataSource ds, String agent) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT seq FROM ingested_fact WHERE agent_id = ? ORDER BY stream_index")) {
            ps.setString(1, agent);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }
}
