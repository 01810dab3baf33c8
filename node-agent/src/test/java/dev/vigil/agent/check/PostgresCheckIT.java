package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL check against real PostgreSQL 15 clusters (PgLab): roles, lag, hangs, crashes, the timeline guard. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PostgresCheckIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** What "within its timeout" allows for scheduling on a loaded 2-core machine. */
    private static final Duration MARGIN = Duration.ofMillis(500);

    @RegisterExtension
    final PgLab pg = PgLab.extension();

    private static PgEndpoint socket(PgCluster c) {
        return new PgEndpoint.UnixSocket(c.socketDir(), c.port());
    }

    private static PgEndpoint tcp(PgCluster c) {
        return new PgEndpoint.Tcp("127.0.0.1", c.port());
    }

    private static PostgresCheck check(String name, PgCheckSettings s) {
        return new PostgresCheck(name, s, TIMEOUT);
    }

    private static ProbeResult run(PostgresCheck check) throws Exception {
        return check.run().get(10, TimeUnit.SECONDS);
    }

    @Test
    void knowsPrimaryAndReplicaOverUnixSocketAndTcpAndKeepsItsConnection() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        primary.query("create table t(x int); insert into t values (1)");
        standby.awaitReplayOf(primary);
        try (PostgresCheck primaryOnSocket = check("keep", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(primary)));
             PostgresCheck primaryOnTcp = check("p-tcp", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(tcp(primary)));
             PostgresCheck standbyAsPrimary = check("s-p", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(standby)));
             PostgresCheck standbyAsReplica = check("s-r", PgCheckSettings.of(PgRole.REPLICA).withEndpoint(tcp(standby)));
             PostgresCheck primaryAsReplica = check("p-r", PgCheckSettings.of(PgRole.REPLICA).withEndpoint(socket(primary)));
             PostgresCheck standbyAsAny = check("s-a", PgCheckSettings.of(PgRole.ANY).withEndpoint(socket(standby)))) {
            assertThat(run(primaryOnSocket)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(true, "primary on timeline 1");
            assertThat(run(primaryOnTcp)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(true, "primary on timeline 1");
            assertThat(run(standbyAsPrimary)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(false, "in recovery");
            ProbeResult replica = run(standbyAsReplica);
            assertThat(replica.passed()).as(replica.detail()).isTrue();
            assertThat(replica.detail()).startsWith("replica streaming, replay lag ");
            assertThat(run(primaryAsReplica)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(false, "not in recovery");
            assertPasses(standbyAsAny);

            String backendStart = primary.query("select backend_start from pg_stat_activity where application_name = 'vigil check keep'");
            for (int i = 0; i < 5; i++) {
                assertPasses(primaryOnSocket);
            }
            // one backend, the same one, for all six checks
            assertThat(primary.query("select count(*) from pg_stat_activity where application_name = 'vigil check keep'")).isEqualTo("1");
            assertThat(primary.query("select backend_start from pg_stat_activity where application_name = 'vigil check keep'"))
                    .isEqualTo(backendStart);
        }
    }

    /** 100 checks at the write VIP's cadence: every one passes, on one kept connection; prints the latencies (not asserted). */
    @Test
    void checksAtTheWriteVipCadenceAllPassOnOneConnection() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        standby.awaitReplayOf(primary);
        List<Long> micros = new ArrayList<>();
        try (PostgresCheck onSocket = check("cadence", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(primary))
                .withPeers(List.of(tcp(standby))))) {
            long cpu0 = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos();
            for (int i = 0; i < 100; i++) {
                ProbeResult r = run(onSocket);
                assertThat(r.passed()).as(r.detail()).isTrue();
                micros.add(r.took().toNanos() / 1000);
                Thread.sleep(20);
            }
            long cpu = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos() - cpu0;
            List<Long> sorted = micros.stream().sorted().toList();
            System.out.printf("pg check with 1 peer, 100 runs over a kept unix-socket connection: p50 %d us, p90 %d us, max %d us;"
                            + " test JVM CPU %.1f ms for 100 runs%n",
                    sorted.get(50), sorted.get(90), sorted.get(99), cpu / 1e6);
        }
        assertThat(primary.query("select count(*) from pg_stat_activity where application_name = 'vigil check cadence'")).isEqualTo("0");
    }

    @Test
    void promotedStandbyPassesThePrimaryCheckAtItsNextRun() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        try (PostgresCheck c = check("promote", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(standby)))) {
            assertThat(run(c).detail()).isEqualTo("in recovery");
            primary.crash();
            standby.promote();
            assertThat(run(c)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(true, "primary on timeline 2");
        }
    }

    @Test
    void pausedReplayLagsInBytesAndInTimeAndRecoversWhenResumed() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        primary.query("create table t(x int); insert into t values (1)");
        standby.awaitReplayOf(primary);
        PgCheckSettings replica = PgCheckSettings.of(PgRole.REPLICA).withEndpoint(socket(standby));
        try (PostgresCheck bytes = check("lag-bytes", replica.withMaxLagBytes(1L << 20));
             PostgresCheck time = check("lag-time", replica.withMaxLagTime(Duration.ofSeconds(1)))) {
            assertPasses(bytes);
            assertPasses(time);

            standby.query("select pg_wal_replay_pause()");
            primary.query("insert into t select 1 from generate_series(1, 10)");
            awaitReceived(standby, primary);
            ProbeResult first = run(time);   // the waiting WAL is seen now: time lag starts here
            assertThat(first.passed()).as(first.detail()).isTrue();
            Thread.sleep(1300);
            ProbeResult late = run(time);
            assertThat(late.passed()).isFalse();
            assertThat(late.detail()).matches("replay lag \\d+(\\.\\d)? s > 1 s");

            primary.query("create table big as select g, repeat('x', 200) as pad from generate_series(1, 20000) g");
            awaitReceived(standby, primary);
            ProbeResult lagging = run(bytes);
            assertThat(lagging.passed()).isFalse();
            assertThat(lagging.detail()).matches("replay lag \\d+(\\.\\d)? MB > 1 MB");

            standby.query("select pg_wal_replay_resume()");
            standby.awaitReplayOf(primary);
            assertPasses(bytes);
            ProbeResult caughtUp = run(time);
            assertThat(caughtUp.passed()).as(caughtUp.detail()).isTrue();
        }
    }

    /**
     * An idle primary with a caught-up replica: the last replayed commit grows old (here past the 1 s threshold, as
     * it would be minutes in production), yet the replica is not lagging, because replay is not behind receive.
     * A check reading {@code now() - pg_last_xact_replay_timestamp()} as lag would fail here.
     */
    @Test
    void idleCaughtUpReplicaStaysHealthy() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        primary.query("create table t(x int); insert into t values (1)");
        standby.awaitReplayOf(primary);
        PgCheckSettings s = PgCheckSettings.of(PgRole.REPLICA).withEndpoint(socket(standby))
                .withMaxLagTime(Duration.ofSeconds(1)).withMaxLagBytes(1L << 20);
        List<ProbeResult> results = new ArrayList<>();
        try (PostgresCheck c = check("idle", s)) {
            long end = System.nanoTime() + Duration.ofMillis(3000).toNanos();
            while (System.nanoTime() < end) {
                results.add(run(c));
                Thread.sleep(250);
            }
        }
        assertThat(Double.parseDouble(standby.query("select extract(epoch from now() - pg_last_xact_replay_timestamp())")))
                .as("the last replayed commit is older than the threshold, so a naive check would call this lag")
                .isGreaterThan(1.0);
        assertThat(results).hasSizeGreaterThan(5).allSatisfy(r -> assertThat(r.passed()).as(r.detail()).isTrue());
    }

    @Test
    void hungServerFailsWithinTheTimeoutAndTheCheckReconnectsAfterwards() throws Exception {
        PgCluster db = pg.cluster("db");
        try (PostgresCheck onSocket = check("hang-s", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(db)));
             PostgresCheck onTcp = check("hang-t", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(tcp(db)))) {
            assertPasses(onSocket);
            assertPasses(onTcp);
            List<String> pids = serverPids(db);
            signal("STOP", pids);
            try {
                for (int round = 0; round < 2; round++) {   // the kept connection, then a fresh connection attempt
                    for (PostgresCheck c : List.of(onSocket, onTcp)) {
                        long t0 = System.nanoTime();
                        ProbeResult r = run(c);
                        Duration took = Duration.ofNanos(System.nanoTime() - t0);
                        assertThat(r.passed()).isFalse();
                        assertThat(r.detail()).isEqualTo("timeout after 1 s");
                        assertThat(took).isLessThan(TIMEOUT.plus(MARGIN));
                    }
                }
            } finally {
                signal("CONT", pids);
                // runuser (util-linux su) stops itself when its child stops, and would never reap the postmaster
                ProcessHandle.of(Long.parseLong(pids.get(0))).flatMap(ProcessHandle::parent)
                        .ifPresent(parent -> signalQuietly("CONT", parent.pid()));
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                assertPasses(onSocket);
                assertPasses(onTcp);
            });
        }
    }

    @Test
    void deadServerSaysRefusedOrMissingAndTheCheckReconnectsAfterRestart() throws Exception {
        PgCluster db = pg.cluster("db");
        try (PostgresCheck onSocket = check("dead-s", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(db)));
             PostgresCheck onTcp = check("dead-t", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(tcp(db)))) {
            assertPasses(onSocket);
            assertPasses(onTcp);

            db.crash();   // kill -9 leaves the socket file behind: connecting to it is refused
            String sock = db.socketDir().resolve(".s.PGSQL." + db.port()).toString();
            assertThat(run(onSocket)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(false, Files.exists(db.socketDir().resolve(".s.PGSQL." + db.port()))
                            ? "connection refused (socket " + sock + ")" : "socket " + sock + " missing (server not running?)");
            assertThat(run(onTcp)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(false, "connection refused (127.0.0.1:" + db.port() + ")");

            db.start();
            // first run after the restart passes: the broken kept connection is replaced within the same run
            assertPasses(onSocket);
            assertPasses(onTcp);

            db.stop();    // a clean shutdown removes the socket file
            assertThat(run(onSocket).detail()).isEqualTo("socket " + sock + " missing (server not running?)");
            db.start();
            assertPasses(onSocket);
        }
    }

    @Test
    void customQueryMustReturnTrue() throws Exception {
        PgCluster db = pg.cluster("db");
        PgCheckSettings base = PgCheckSettings.of(PgRole.ANY).withEndpoint(socket(db));
        try (PostgresCheck yes = check("q-yes", base.withQuery("select count(*) >= 0 from pg_stat_activity"));
             PostgresCheck no = check("q-no", base.withQuery("select 1 = 2"));
             PostgresCheck none = check("q-none", base.withQuery("select true where false"));
             PostgresCheck broken = check("q-bad", base.withQuery("select ok from nope"))) {
            assertPasses(yes);
            assertThat(run(no)).extracting(ProbeResult::passed, ProbeResult::detail).containsExactly(false, "query returned false");
            assertThat(run(none)).extracting(ProbeResult::passed, ProbeResult::detail).containsExactly(false, "query returned no row");
            assertThat(run(broken)).extracting(ProbeResult::passed, ProbeResult::detail)
                    .containsExactly(false, "query failed: ERROR: relation \"nope\" does not exist");
            db.query("create table nope(ok boolean); insert into nope values (true)");
            assertPasses(broken);
            assertThat(broken.connected()).isTrue();
        }
    }

    @Test
    void oldPrimaryRestartedAsPrimaryIsNotEligibleNextToThePromotedOne() throws Exception {
        PgCluster old = pg.cluster("old");
        PgCluster promoted = pg.standbyOf("promoted", old);
        old.query("create table t(x int); insert into t values (1)");
        promoted.awaitReplayOf(old);
        old.crash();
        promoted.promote();
        promoted.query("insert into t values (2)");
        old.start();   // not rewound: a second primary, still on timeline 1
        assertThat(old.isInRecovery()).isFalse();

        int closedPort = freePort();
        PgCheckSettings primary = PgCheckSettings.of(PgRole.PRIMARY);
        try (PostgresCheck onOld = check("guard-old", primary.withEndpoint(socket(old)).withPeers(List.of(tcp(promoted))));
             PostgresCheck onPromoted = check("guard-new", primary.withEndpoint(socket(promoted))
                     .withPeers(List.of(tcp(old), new PgEndpoint.Tcp("127.0.0.1", closedPort))))) {
            assertThat(run(onOld)).extracting(ProbeResult::passed, ProbeResult::detail).containsExactly(false,
                    "peer 127.0.0.1:" + promoted.port() + " is primary on timeline 2 > ours 1");
            assertThat(run(onPromoted)).extracting(ProbeResult::passed, ProbeResult::detail).containsExactly(true,
                    "primary on timeline 2; peer 127.0.0.1:" + old.port() + " is a stale primary on timeline 1; peer 127.0.0.1:"
                            + closedPort + " unreachable (connection refused (127.0.0.1:" + closedPort + ")), not blocking");

            old.stop();   // the promoted primary's peer is gone: still eligible
            // judged with the peers' last answers until they are PEER_REFRESH old, then asked again
            Thread.sleep(PostgresCheck.PEER_REFRESH.toMillis() + 50);
            ProbeResult alone = run(onPromoted);
            assertThat(alone.passed()).isTrue();
            assertThat(alone.detail()).contains("peer 127.0.0.1:" + old.port() + " unreachable (connection refused");
        }
    }

    /**
     * A peer host that never answers (a listening socket nobody serves: connections complete, the handshake hangs)
     * costs a primary's check one timeout once; after that it is not waited for. A standby does not ask its peers; the
     * first run after its promotion (seen on the same connection) passes at once and asks them in the background.
     */
    @Test
    void silentPeerCostsOneTimeoutOnceAndAPromotedStandbyDoesNotWaitForIt() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            PgEndpoint peer = new PgEndpoint.Tcp("127.0.0.1", silent.getLocalPort());
            PgCheckSettings guarded = PgCheckSettings.of(PgRole.PRIMARY).withPeers(List.of(peer));
            try (PostgresCheck onPrimary = check("silent-p", guarded.withEndpoint(socket(primary)));
                 PostgresCheck onStandby = check("silent-s", guarded.withEndpoint(socket(standby)))) {
                ProbeResult first = assertPasses(onPrimary);
                assertThat(first.took()).isLessThan(TIMEOUT.plus(MARGIN));
                assertThat(first.detail()).startsWith("primary on timeline 1; peer 127.0.0.1:" + silent.getLocalPort()
                        + " unreachable (timeout after ").endsWith("), not blocking");
                Thread.sleep(PostgresCheck.PEER_REFRESH.toMillis() + 50);   // asked again, not waited for
                ProbeResult second = assertPasses(onPrimary);
                assertThat(second.took()).isLessThan(MARGIN);

                assertThat(run(onStandby).detail()).isEqualTo("in recovery");
                primary.crash();
                standby.promote();
                ProbeResult promoted = assertPasses(onStandby);
                assertThat(promoted.took()).isLessThan(MARGIN);
                assertThat(promoted.detail()).isEqualTo("primary on timeline 2");
                Thread.sleep(TIMEOUT.plus(MARGIN).toMillis());   // the background ask timed out
                ProbeResult next = assertPasses(onStandby);
                assertThat(next.took()).isLessThan(MARGIN);
                assertThat(next.detail()).startsWith("primary on timeline 2; peer 127.0.0.1:" + silent.getLocalPort()
                        + " unreachable (timeout after ");
            }
        }
    }

    /** A standby never connects to its peers; a primary does, once, and keeps that connection. */
    @Test
    void onlyAPrimaryAsksItsPeers() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster standby = pg.standbyOf("standby", primary);
        standby.awaitReplayOf(primary);
        PgCheckSettings guarded = PgCheckSettings.of(PgRole.PRIMARY);
        try (PostgresCheck onStandby = check("peers-s", guarded.withEndpoint(socket(standby)).withPeers(List.of(tcp(primary))));
             PostgresCheck onPrimary = check("peers-p", guarded.withEndpoint(socket(primary)).withPeers(List.of(tcp(standby))))) {
            for (int i = 0; i < 5; i++) {
                assertThat(run(onStandby).detail()).isEqualTo("in recovery");
                assertThat(assertPasses(onPrimary).detail()).isEqualTo("primary on timeline 1");
            }
            assertThat(primary.query("select count(*) from pg_stat_activity where application_name = 'vigil check peers-s'"))
                    .isEqualTo("0");
            assertThat(standby.query("select count(*) from pg_stat_activity where application_name = 'vigil check peers-p'"))
                    .isEqualTo("1");
        }
    }

    /**
     * The peers' answers kept between runs never let a restarted old primary pass: its new connection makes it ask
     * again before it is judged.
     */
    @Test
    void keptPeerAnswersDoNotLetARestartedOldPrimaryPass() throws Exception {
        PgCluster old = pg.cluster("old");
        PgCluster standby = pg.standbyOf("standby", old);
        old.query("create table t(x int); insert into t values (1)");
        standby.awaitReplayOf(old);
        try (PostgresCheck onOld = check("kept-old", PgCheckSettings.of(PgRole.PRIMARY).withEndpoint(socket(old))
                .withPeers(List.of(tcp(standby))))) {
            assertThat(assertPasses(onOld).detail()).isEqualTo("primary on timeline 1");
            old.crash();
            standby.promote();
            old.start();   // not rewound: a second primary, still on timeline 1
            assertThat(run(onOld)).extracting(ProbeResult::passed, ProbeResult::detail).containsExactly(false,
                    "peer 127.0.0.1:" + standby.port() + " is primary on timeline 2 > ours 1");
        }
    }

    private static ProbeResult assertPasses(PostgresCheck check) throws Exception {
        ProbeResult r = run(check);
        assertThat(r.passed()).as(r.detail()).isTrue();
        return r;
    }

    private static void awaitReceived(PgCluster standby, PgCluster primary) {
        String lsn = primary.query("select pg_current_wal_insert_lsn()");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                "t".equals(standby.query("select pg_last_wal_receive_lsn() >= '" + lsn + "'::pg_lsn")));
    }

    /** The postmaster (first line of postmaster.pid) and every process under it. */
    private static List<String> serverPids(PgCluster db) throws IOException {
        long postmaster = Long.parseLong(Files.readAllLines(db.dataDir().resolve("postmaster.pid")).get(0).strip());
        List<String> pids = new ArrayList<>();
        pids.add(Long.toString(postmaster));
        ProcessHandle.of(postmaster).orElseThrow().descendants().forEach(p -> pids.add(Long.toString(p.pid())));
        return pids;
    }

    private static void signal(String sig, List<String> pids) throws Exception {
        List<String> argv = new ArrayList<>(List.of("kill", "-" + sig));
        argv.addAll(pids);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    private static void signalQuietly(String sig, long pid) {
        try {
            signal(sig, List.of(Long.toString(pid)));
        } catch (Exception e) {
            throw new IllegalStateException("kill -" + sig + " " + pid, e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
