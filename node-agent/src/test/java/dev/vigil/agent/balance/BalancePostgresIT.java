package dev.vigil.agent.balance;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10 with real PostgreSQL 15 (PgLab: a primary and two streaming standbys on 127.0.0.1) and real pgbench
 * through the in-process balancer: a write port checked with {@code PG_CHECK role primary} and a read port with
 * {@code role replica}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BalancePostgresIT {

    static final Path PGBENCH = Requirements.PG_BIN.resolve("pgbench");
    static final Path PSQL = Requirements.PG_BIN.resolve("psql");

    @RegisterExtension
    final PgLab pg = PgLab.extension();

    @TempDir
    Path tmp;
    Balancer lb;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void tearDown() {
        processes.forEach(Process::destroyForcibly);
        if (lb != null) {
            lb.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String realServers(List<PgCluster> clusters, String role, List<Integer> weights) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < clusters.size(); i++) {
            b.append("""
                        real_server 127.0.0.1 %d {
                            weight %d
                            PG_CHECK {
                                role %s
                                connect_timeout 1
                            }
                        }
                    """.formatted(clusters.get(i).port(), weights.get(i), role));
        }
        return b.toString();
    }

    Balancer start(String conf) throws IOException {
        Path f = tmp.resolve("lb.conf");
        Files.writeString(f, conf);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as(r.findings().toString()).isInstanceOf(ConfigResult.Valid.class);
        AgentConfig c = ((ConfigResult.Valid) r).config();
        lb = Balancer.start(c.virtualServers(), c.global(), Set.of(), BalancerSettings.DEFAULTS, fact -> { });
        return lb;
    }

    record Run(int exit, String out) {}

    Run run(Duration limit, String... argv) throws Exception {
        Path out = Files.createTempFile(tmp, "run", ".log");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        processes.add(p);
        assertThat(p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)).as("%s finished", List.of(argv)).isTrue();
        return new Run(p.exitValue(), Files.readString(out));
    }

    Run pgbench(int port, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(PGBENCH.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-U", "postgres"));
        argv.addAll(List.of(args));
        argv.add("postgres");
        return run(Duration.ofSeconds(60), argv.toArray(String[]::new));
    }

    String serverPort(int port) throws Exception {
        Run r = run(Duration.ofSeconds(15), PSQL.toString(), "-X", "-At", "host=127.0.0.1 port=" + port
                + " user=postgres dbname=postgres connect_timeout=3", "-c", "select inet_server_port()");
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out().strip();
    }

    Map<String, ServerStats> stats(String vs) {
        return lb.stats().stream().filter(s -> s.virtualServer().equals(vs))
                .collect(Collectors.toMap(ServerStats::server, Function.identity()));
    }

    @Test
    void writesReachOnlyThePrimaryReadsOnlyReplicasByWeightAndAKilledReplicaIsAvoided() throws Exception {
        PgCluster primary = pg.cluster("primary");
        PgCluster s1 = pg.standbyOf("s1", primary);
        PgCluster s2 = pg.standbyOf("s2", primary);
        List<PgCluster> all = List.of(primary, s1, s2);
        int write = freePort();
        int read = freePort();
        start("""
                virtual_server 127.0.0.1 %d {
                    delay_loop 0.3
                    lb_algo rr
                    lb_kind PROXY
                %s}
                virtual_server 127.0.0.1 %d {
                    delay_loop 0.3
                    lb_algo wrr
                    lb_kind PROXY
                %s}
                """.formatted(write, realServers(all, "primary", List.of(1, 1, 1)), read,
                realServers(all, "replica", List.of(1, 2, 1))));
        String w = "127.0.0.1:" + write;
        String r = "127.0.0.1:" + read;
        String p0 = "127.0.0.1:" + primary.port();
        String p1 = "127.0.0.1:" + s1.port();
        String p2 = "127.0.0.1:" + s2.port();
        await().atMost(Duration.ofSeconds(10)).until(() -> !stats(w).get(p1).up() && !stats(w).get(p2).up()
                && !stats(r).get(p0).up() && stats(r).get(p1).up() && stats(r).get(p2).up());

        Run init = pgbench(write, "-i", "-s", "1", "-q");
        assertThat(init.exit()).as(init.out()).isZero();
        Run tpcb = pgbench(write, "-c", "4", "-j", "2", "-T", "3", "-n");
        assertThat(tpcb.exit()).as(tpcb.out()).isZero();
        assertThat(stats(w).get(p0).connections()).isGreaterThanOrEqualTo(5);
        assertThat(stats(w).get(p1).connections()).isZero();
        assertThat(stats(w).get(p2).connections()).isZero();
        assertThat(serverPort(write)).isEqualTo(Integer.toString(primary.port()));

        s1.awaitReplayOf(primary);
        s2.awaitReplayOf(primary);
        // -C: a new connection per transaction, so the spread shows in the connection counts
        Run selects = pgbench(read, "-S", "-C", "-c", "4", "-j", "2", "-T", "3", "-n");
        assertThat(selects.exit()).as(selects.out()).isZero();
        long n1 = stats(r).get(p1).connections();
        long n2 = stats(r).get(p2).connections();
        assertThat(stats(r).get(p0).connections()).isZero();
        assertThat(n1 + n2).isGreaterThan(20);
        // wrr 2:1, each pick in turn: exact up to the picks still open at any instant
        assertThat(n1).isBetween(2 * n2 - 4, 2 * n2 + 4);
        Set<String> ports = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            ports.add(serverPort(read));
        }
        assertThat(ports).containsExactlyInAnyOrder(Integer.toString(s1.port()), Integer.toString(s2.port()));

        // a replica dies: pgbench's new connections still succeed (a refused connect is retried on the next server
        // at once), and within one delay_loop its check takes it out of the pool
        long before = stats(r).get(p2).connections();
        s2.crash();
        Run during = pgbench(read, "-S", "-C", "-c", "4", "-j", "2", "-T", "2", "-n");
        assertThat(during.exit()).as(during.out()).isZero();
        assertThat(stats(r).get(p2).connections()).isEqualTo(before);
        assertThat(stats(r).get(p2).up()).isFalse();
        assertThat(stats(r).get(p1).connections()).isGreaterThan(n1);

        // switchover: the primary goes, s1 is promoted, the write port follows it
        primary.crash();
        s1.promote();
        await().atMost(Duration.ofSeconds(5)).until(() -> stats(w).get(p1).up() && !stats(w).get(p0).up());
        assertThat(serverPort(write)).isEqualTo(Integer.toString(s1.port()));
        Run after = pgbench(write, "-c", "2", "-T", "1", "-n");
        assertThat(after.exit()).as(after.out()).isZero();
    }

    @Test
    void aClientThatStopsReadingDuringALargeCopyDoesNotGrowTheProxyBeyondItsBound() throws Exception {
        PgCluster primary = pg.cluster("primary");
        int port = freePort();
        start("""
                virtual_server 127.0.0.1 %d {
                    real_server 127.0.0.1 %d
                }
                """.formatted(port, primary.port()));
        long rows = 300_000;
        long rowBytes = 1001;   // 1000 characters and a newline
        // psql writes COPY rows to its stdout as they arrive; nobody reads that pipe, so psql stops reading the socket
        Process psql = new ProcessBuilder(PSQL.toString(), "-X", "-q", "host=127.0.0.1 port=" + port
                + " user=postgres dbname=postgres", "-c", "copy (select repeat('x', 1000) from generate_series(1, "
                + rows + ")) to stdout").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(psql);
        String vs = "127.0.0.1:" + port;
        String server = "127.0.0.1:" + primary.port();
        long forwarded = -1;
        for (int i = 0; i < 100; i++) {
            Thread.sleep(100);
            long now = stats(vs).get(server).toClient();
            if (now > 0 && now == forwarded) {
                break;
            }
            forwarded = now;
        }
        Thread.sleep(500);
        assertThat(stats(vs).get(server).toClient()).as("the proxy stopped reading from PostgreSQL").isEqualTo(forwarded);
        assertThat(forwarded).isLessThan(rows * rowBytes / 2);
        long bound = BalancerSettings.DEFAULTS.bufferBytes() + 64 * 1024L;
        assertThat(lb.bufferedBytes()).isBetween(1L, bound);
        assertThat(lb.peakConnectionBuffered()).isLessThanOrEqualTo(bound);
        System.out.printf("COPY stalled: %d B forwarded, %d B buffered in the proxy (bound %d B)%n", forwarded,
                lb.bufferedBytes(), bound);

        long read = 0;
        try (InputStream in = psql.getInputStream()) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                read += n;
            }
        }
        assertThat(psql.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(psql.exitValue()).isZero();
        assertThat(read).isEqualTo(rows * rowBytes);
        // psql's last message (Terminate, 5 bytes) may still be on its way to PostgreSQL when psql has exited
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(lb.bufferedBytes()).isZero());
    }
}
