package dev.vigil.agent.balance;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.agent.config.ServiceAddress;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The proxy on 127.0.0.1 with real sockets and in-JVM backends: scheduling over the wire, TCP_CHECK taking a server
 * out and back, and the per-connection bound when a client stops reading. Needs nothing but loopback.
 */
@Timeout(60)
class ProxyLoopbackIT {

    @TempDir
    Path tmp;
    final Vertx backends = Vertx.vertx();
    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        backends.close().await();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A backend that answers each connection with its name and closes. */
    NetServer named(String name, int port) {
        return backends.createNetServer().connectHandler(s -> s.end(Buffer.buffer(name))).listen(port, "127.0.0.1").await();
    }

    /** A backend that writes without end to whoever connects. */
    NetServer firehose(int port) {
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        return backends.createNetServer().connectHandler(s -> {
            Runnable[] more = new Runnable[1];
            more[0] = () -> {
                while (!s.writeQueueFull()) {
                    s.write(chunk);
                }
                s.drainHandler(v -> more[0].run());
            };
            more[0].run();
        }).listen(port, "127.0.0.1").await();
    }

    Balancer balancer(String conf, BalancerSettings settings) throws Exception {
        Path f = tmp.resolve("lb.conf");
        Files.writeString(f, conf);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as(r.findings().toString()).isInstanceOf(ConfigResult.Valid.class);
        AgentConfig c = ((ConfigResult.Valid) r).config();
        Balancer b = Balancer.start(c.virtualServers(), c.global(), Set.of(), settings, fact -> { });
        closing.add(b);
        return b;
    }

    static String ask(int port) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void roundRobinOverTheWireAndTcpCheckTakesAServerOutAndBack() throws Exception {
        int vip = freePort();
        int a = freePort();
        int b = freePort();
        named("A", a);
        NetServer serverB = named("B", b);
        Balancer lb = balancer("""
                virtual_server 127.0.0.1 %d {
                    delay_loop 0.2
                    lb_algo rr
                    lb_kind PROXY
                    real_server 127.0.0.1 %d {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                    real_server 127.0.0.1 %d {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(vip, a, b), BalancerSettings.DEFAULTS);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(ask(vip));
        }
        assertThat(seen).containsExactly("A", "B", "A", "B");

        serverB.close().await();
        await().atMost(Duration.ofSeconds(3)).until(() -> lb.stats().stream()
                .anyMatch(s -> s.server().equals("127.0.0.1:" + b) && !s.up()));
        for (int i = 0; i < 4; i++) {
            assertThat(ask(vip)).isEqualTo("A");
        }
        named("B", b);
        await().atMost(Duration.ofSeconds(3)).until(() -> lb.stats().stream().allMatch(ServerStats::up));
        Map<String, Integer> count = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            count.merge(ask(vip), 1, Integer::sum);
        }
        assertThat(count).containsEntry("A", 2).containsEntry("B", 2);
        ServerStats statsA = lb.stats().stream().filter(s -> s.server().equals("127.0.0.1:" + a)).findFirst().orElseThrow();
        assertThat(statsA.connections()).isEqualTo(8);
        assertThat(statsA.toClient()).isEqualTo(8);
        // the same figures in the agent's Prometheus text, per real server
        dev.vigil.agent.ops.AgentMetrics metrics = new dev.vigil.agent.ops.AgentMetrics("lb");
        metrics.readBalancerFrom(() -> java.util.Optional.of(lb.figures()));
        assertThat(metrics.scrape()).contains("vigil_lb_connections_total{real_server=\"127.0.0.1:" + a + "\"")
                .contains("vigil_lb_real_server_up{real_server=\"127.0.0.1:" + a + "\"")
                .contains("vigil_lb_buffered_bytes ").contains("vigil_lb_refused_total 0.0");
        metrics.close();
    }

    /** A backend that echoes and keeps every connection open. */
    NetServer echo(int port) {
        return backends.createNetServer().connectHandler(s -> s.handler(s::write)).listen(port, "127.0.0.1").await();
    }

    static boolean echoes(Socket s) throws Exception {
        s.getOutputStream().write('x');
        return s.getInputStream().read() == 'x';
    }

    @Test
    void aFailedServersConnectionsAreCutUnlessInhibitedAndQuorumScriptsRun() throws Exception {
        int vip = freePort();
        int a = freePort();
        int b = freePort();
        echo(a);
        echo(b);
        Path healthA = Files.createFile(tmp.resolve("a-healthy"));
        Path healthB = Files.createFile(tmp.resolve("b-healthy"));
        Path quorum = tmp.resolve("quorum");
        Balancer lb = balancer("""
                virtual_server 127.0.0.1 %d {
                    delay_loop 0.2
                    lb_algo rr
                    quorum_down "/bin/sh -c 'echo down >> %s'"
                    quorum_up "/bin/sh -c 'echo up >> %s'"
                    real_server 127.0.0.1 %d {
                        MISC_CHECK {
                            misc_path "/usr/bin/test -e %s"
                        }
                    }
                    real_server 127.0.0.1 %d {
                        inhibit_on_failure
                        MISC_CHECK {
                            misc_path "/usr/bin/test -e %s"
                        }
                    }
                }
                """.formatted(vip, quorum, quorum, a, healthA, b, healthB), BalancerSettings.DEFAULTS);
        try (Socket toA = new Socket(InetAddress.getLoopbackAddress(), vip);
             Socket toB = new Socket(InetAddress.getLoopbackAddress(), vip)) {
            toA.setSoTimeout(5000);
            toB.setSoTimeout(5000);
            assertThat(echoes(toA)).isTrue();
            assertThat(echoes(toB)).isTrue();
            Files.delete(healthA);
            await().atMost(Duration.ofSeconds(3)).until(() -> !lb.stats().get(0).up());
            // cut: the client sees its connection end
            assertThat(toA.getInputStream().read()).isEqualTo(-1);
            assertThat(lb.stats().get(0).cut()).isEqualTo(1);
            Files.delete(healthB);
            await().atMost(Duration.ofSeconds(3)).until(() -> !lb.stats().get(1).up());
            // inhibit_on_failure: left open, still forwarded
            assertThat(echoes(toB)).isTrue();
            assertThat(lb.stats().get(1).cut()).isZero();
            await().atMost(Duration.ofSeconds(3)).until(() -> Files.exists(quorum)
                    && Files.readString(quorum).equals("down\n"));
            try (Socket refused = new Socket(InetAddress.getLoopbackAddress(), vip)) {
                refused.setSoTimeout(5000);
                assertThat(refused.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(lb.refused()).isEqualTo(1);
            Files.createFile(healthA);
            await().atMost(Duration.ofSeconds(3)).until(() -> Files.readString(quorum).equals("down\nup\n"));
        }
    }

    @Test
    void aRefusingServerIsSkippedBeforeItsCheckNotices() throws Exception {
        int vip = freePort();
        int a = freePort();
        int dead = freePort();
        named("A", a);
        Balancer lb = balancer("""
                virtual_server 127.0.0.1 %d {
                    delay_loop 60
                    lb_algo rr
                    real_server 127.0.0.1 %d {
                    }
                    real_server 127.0.0.1 %d {
                    }
                }
                """.formatted(vip, dead, a), BalancerSettings.DEFAULTS);
        for (int i = 0; i < 4; i++) {
            assertThat(ask(vip)).isEqualTo("A");
        }
        // rr comes back to the dead server for every new connection (no check takes it out); each is retried
        assertThat(lb.stats().get(0).errors()).isEqualTo(4);
        assertThat(lb.stats().get(0).connections()).isZero();
    }

    @Test
    void aClientThatStopsReadingHoldsAtMostTheBoundInTheProxy() throws Exception {
        int vip = freePort();
        int source = freePort();
        firehose(source);
        int bound = 64 * 1024;
        Balancer lb = balancer("""
                virtual_server 127.0.0.1 %d {
                    real_server 127.0.0.1 %d
                }
                """.formatted(vip, source), new BalancerSettings(bound, Duration.ofSeconds(2), Duration.ofSeconds(60)));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), vip)) {
            s.setReceiveBufferSize(16 * 1024);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            long read = 0;
            while (read < 4 << 20) {
                read += in.read(buf);
            }
            // stop reading: kernel buffers fill, then the proxy's, then it must pause the server
            long before = -1;
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100);
                long now = lb.stats().get(0).toClient();
                if (now == before) {
                    break;
                }
                before = now;
            }
            Thread.sleep(500);
            long forwarded = lb.stats().get(0).toClient();
            Thread.sleep(500);
            assertThat(lb.stats().get(0).toClient()).as("the proxy stopped reading from the server").isEqualTo(forwarded);
            assertThat(lb.bufferedBytes()).isBetween(1L, bound + 64 * 1024L);
            assertThat(lb.peakConnectionBuffered()).isLessThanOrEqualTo(bound + 64 * 1024L);
            // the fill is a metric (issue 10: "its fill visible as a metric")
            assertThat(lb.figures().get(5, java.util.concurrent.TimeUnit.SECONDS).bufferedBytes()).isBetween(1L, bound + 64 * 1024L);
            // reading again drains it all
            long more = 0;
            while (more < 8 << 20) {
                more += in.read(buf);
            }
            assertThat(lb.stats().get(0).toClient()).isGreaterThan(forwarded);
        }
    }

    static AgentConfig parsed(Path f, String conf) throws Exception {
        Files.writeString(f, conf);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as(r.findings().toString()).isInstanceOf(ConfigResult.Valid.class);
        return ((ConfigResult.Valid) r).config();
    }

    static String roundTrip(Socket s, String text) throws Exception {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        byte[] back = s.getInputStream().readNBytes(text.length());
        return new String(back, StandardCharsets.US_ASCII);
    }

    static String server(int listen, int real) {
        return """
                virtual_server 127.0.0.1 %d {
                    delay_loop 0.2
                    lb_algo rr
                    lb_kind PROXY
                    real_server 127.0.0.1 %d {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(listen, real);
    }

    @Test
    void aReloadKeepsUnchangedVirtualServersRetiresChangedOnesWithoutCuttingTheirConnectionsAndStartsNewOnes() throws Exception {
        int kept = freePort();
        int changed = freePort();
        int added = freePort();
        int a = freePort();
        int b = freePort();
        int c = freePort();
        named("A", a);
        echo(b);
        named("C", c);
        Path f = tmp.resolve("lb.conf");
        AgentConfig first = parsed(f, server(kept, a) + server(changed, b));
        Balancer lb = Balancer.start(first.virtualServers(), first.global(), Set.of(), BalancerSettings.DEFAULTS, fact -> { });
        closing.add(lb);
        assertThat(ask(kept)).isEqualTo("A");
        try (Socket open = new Socket(InetAddress.getLoopbackAddress(), changed)) {
            open.setSoTimeout(5000);
            assertThat(roundTrip(open, "before")).isEqualTo("before");

            // the kept block moves down two lines: still the same virtual server
            AgentConfig second = parsed(f, "# moved\n\n" + server(added, c) + server(kept, a) + server(changed, c));
            VirtualServerChange change = lb.reconfigure(second.virtualServers(), Set.of()).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(change.kept()).hasSize(1);
            assertThat(change.retiring()).singleElement().satisfies(v -> assertThat(v.realServers().get(0).address().port()).isEqualTo(b));
            assertThat(change.starting()).hasSize(2);

            assertThat(roundTrip(open, "after")).as("a retired server's connection goes on").isEqualTo("after");
            assertThat(ask(changed)).as("new connections follow the new definition").isEqualTo("C");
            assertThat(ask(added)).isEqualTo("C");
            assertThat(ask(kept)).isEqualTo("A");
            ServerStats statsA = lb.stats().stream().filter(s -> s.server().equals("127.0.0.1:" + a)).findFirst().orElseThrow();
            assertThat(statsA.connections()).as("the kept server's counters were not reset").isEqualTo(2);
        }

        AgentConfig third = parsed(f, server(kept, a));
        lb.reconfigure(third.virtualServers(), Set.of()).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ask(kept)).isEqualTo("A");
        assertThat(lb.isListening(new ServiceAddress(InetAddress.getLoopbackAddress(), changed))).isFalse();
        assertThat(lb.isListening(new ServiceAddress(InetAddress.getLoopbackAddress(), added))).isFalse();
        assertThat(lb.virtualServers()).hasSize(1);
    }

    @Test
    void anAddressWhoseDefinitionChangesOnEveryReloadNeverStopsAccepting() throws Exception {
        int listen = freePort();
        int b = freePort();
        int c = freePort();
        named("B", b);
        named("C", c);
        Path f = tmp.resolve("lb.conf");
        AgentConfig first = parsed(f, server(listen, b));
        Balancer lb = Balancer.start(first.virtualServers(), first.global(), Set.of(), BalancerSettings.DEFAULTS, fact -> { });
        closing.add(lb);
        assertThat(ask(listen)).isEqualTo("B");
        // the listener is handed from the retired definition to its successor: a close-then-bind could race the
        // old socket's asynchronous close and leave the address refusing connections
        for (int round = 1; round <= 30; round++) {
            int real = round % 2 == 0 ? b : c;
            AgentConfig next = parsed(f, server(listen, real));
            lb.reconfigure(next.virtualServers(), Set.of()).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ask(listen)).as("round %d", round).isEqualTo(round % 2 == 0 ? "B" : "C");
        }
        assertThat(lb.virtualServers()).hasSize(1);
    }

    @Test
    void aVipThatLeavesAndComesBackAtOnceIsListenedOnAgain() throws Exception {
        int listen = freePort();
        int b = freePort();
        named("B", b);
        Path f = tmp.resolve("lb.conf");
        AgentConfig config = parsed(f, server(listen, b));
        // 127.0.0.1 stands for a VIP here: listened on only while "held"
        Balancer lb = Balancer.start(config.virtualServers(), config.global(), Set.of("127.0.0.1"), BalancerSettings.DEFAULTS, fact -> { });
        closing.add(lb);
        lb.vipsAdded(List.of("127.0.0.1")).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ask(listen)).isEqualTo("B");
        for (int round = 1; round <= 30; round++) {
            // as the daemon does on a quick MASTER -> BACKUP -> MASTER: neither call waits for the other
            lb.vipsRemoved(List.of("127.0.0.1"));
            lb.vipsAdded(List.of("127.0.0.1")).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ask(listen)).as("round %d", round).isEqualTo("B");
        }
    }
}
