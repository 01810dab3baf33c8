package dev.vigil.agent.daemon;

import dev.vigil.lab.ExecResult;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10 in the agent: a virtual_server on a VRRP VIP is listened on only by the node holding the VIP and moves
 * with it; an HTTP_GET and a TCP_CHECK real server (python3 -m http.server in NetLab hosts) leave the pool when
 * their server stops and come back when it returns. Real agents, real namespaces, real sockets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BalancedVipIT {
    static final int VRID = 91;
    static final int PORT = 8080;

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    static String conf(int priority, String vip, String web1, String web2) {
        return instance(VRID, priority, 3, "0.2", "", vip + "/24") + """
                virtual_server %s %d {
                    delay_loop 0.3
                    lb_algo rr
                    lb_kind PROXY
                    real_server %s 8000 {
                        HTTP_GET {
                            url {
                                path /who
                                status_code 200
                            }
                            connect_timeout 1
                        }
                    }
                    real_server %s 8001 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(vip, PORT, web1, web2);
    }

    HostProcess web(Host host, int port) throws Exception {
        Path dir = lab.workDir().resolve("www-" + host.name());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("who"), host.name());
        HostProcess p = host.start("python3", "-m", "http.server", "--bind", host.address(), "--directory",
                dir.toString(), Integer.toString(port));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> host.exec("sh", "-c", "ss -ltn | grep -q ':" + port + " '").ok());
        return p;
    }

    static String get(Host client, String vip) {
        ExecResult r = client.exec(Duration.ofSeconds(10), "curl", "-s", "--max-time", "3",
                "http://" + vip + ":" + PORT + "/who");
        return r.ok() ? r.stdout().strip() : "failed: " + r.exitCode();
    }

    static Set<String> answers(Host client, String vip, int n) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(get(client, vip));
        }
        return seen;
    }

    static boolean listens(Host host) {
        return host.exec("sh", "-c", "ss -ltn | grep -q ':" + PORT + " '").ok();
    }

    @Test
    void theVirtualServerFollowsTheVipAndCheckedServersLeaveAndReturn() throws Exception {
        Segment seg = lab.segment("lan");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        Host w1 = lab.host("w1", seg);
        Host w2 = lab.host("w2", seg);
        Host client = lab.host("client", seg);
        String vip = seg.ip4(100);
        HostProcess web1 = web(w1, 8000);
        HostProcess web2 = web(w2, 8001);

        HostProcess agentA = startAgent(lab, a, conf(150, vip, w1.address(), w2.address()));
        HostProcess agentB = startAgent(lab, b, conf(100, vip, w1.address(), w2.address()));
        agentA.awaitLog("(VI_91) Entering MASTER STATE", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_91) Entering BACKUP STATE", Duration.ofSeconds(30));
        agentA.awaitLog("listening on " + vip + ":" + PORT, Duration.ofSeconds(5));
        assertThat(listens(a)).isTrue();
        assertThat(listens(b)).as("the backup does not listen").isFalse();
        assertThat(answers(client, vip, 4)).containsExactlyInAnyOrder("w1", "w2");

        // HTTP_GET: w1's server stops, it leaves the pool; it returns, it comes back
        web1.kill();
        agentA.awaitLog("real server " + w1.address() + ":8000 down", Duration.ofSeconds(5));
        assertThat(answers(client, vip, 4)).containsExactly("w2");
        web1 = web(w1, 8000);
        agentA.awaitLog("real server " + w1.address() + ":8000 up", Duration.ofSeconds(5));
        assertThat(answers(client, vip, 4)).containsExactlyInAnyOrder("w1", "w2");

        // TCP_CHECK: the same for w2
        web2.kill();
        agentA.awaitLog("real server " + w2.address() + ":8001 down", Duration.ofSeconds(5));
        assertThat(answers(client, vip, 4)).containsExactly("w1");
        web2 = web(w2, 8001);
        agentA.awaitLog("real server " + w2.address() + ":8001 up", Duration.ofSeconds(5));
        assertThat(answers(client, vip, 4)).containsExactlyInAnyOrder("w1", "w2");

        // the master stops: the VIP and the listener move to b
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        agentB.awaitLog("(VI_91) Entering MASTER STATE", Duration.ofSeconds(5));
        agentB.awaitLog("listening on " + vip + ":" + PORT, Duration.ofSeconds(5));
        assertThat(listens(a)).isFalse();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> answers(client, vip, 4).equals(Set.of("w1", "w2")));
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
        web1.kill();
        web2.kill();
    }

    static String get(Host client, String vip, int port) {
        ExecResult r = client.exec(Duration.ofSeconds(10), "curl", "-s", "--max-time", "3",
                "http://" + vip + ":" + port + "/who");
        return r.ok() ? r.stdout().strip() : "failed: " + r.exitCode();
    }

    /** The second virtual server of the reloaded file: port 8081, w2 only. */
    static String second(String vip, String web2) {
        return """
                virtual_server %s 8081 {
                    delay_loop 0.3
                    lb_algo rr
                    lb_kind PROXY
                    real_server %s 8001 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(vip, web2);
    }

    @Test
    void aReloadStartsChangesAndRetiresVirtualServersOnlyWhereTheVipIs() throws Exception {
        Segment seg = lab.segment("lan");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        Host w1 = lab.host("w1", seg);
        Host w2 = lab.host("w2", seg);
        Host client = lab.host("client", seg);
        String vip = seg.ip4(100);
        HostProcess web1 = web(w1, 8000);
        HostProcess web2 = web(w2, 8001);
        String plain = instance(VRID, 150, 3, "0.2", "", vip + "/24");
        Path fileA = lab.workDir().resolve("a-lb.conf");
        Path fileB = lab.workDir().resolve("b-lb.conf");
        Files.writeString(fileA, plain);
        Files.writeString(fileB, instance(VRID, 100, 3, "0.2", "", vip + "/24"));
        HostProcess agentA = startAgent(a, fileA);
        HostProcess agentB = startAgent(b, fileB);
        agentA.awaitLog("(VI_91) Entering MASTER STATE", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_91) Entering BACKUP STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));

        // no virtual server at start; the reload adds one: the master listens on the VIP it holds, the backup not
        Files.writeString(fileA, conf(150, vip, w1.address(), w2.address()));
        Files.writeString(fileB, conf(100, vip, w1.address(), w2.address()));
        int firstReload = agentA.log().length();
        agentA.signal("HUP");
        agentB.signal("HUP");
        agentA.awaitLog("virtual server(s) started", Duration.ofSeconds(20));
        agentB.awaitLog("virtual server(s) started", Duration.ofSeconds(20));
        agentA.awaitLog("listening on " + vip + ":" + PORT, Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> answers(client, vip, 4).equals(Set.of("w1", "w2")));
        assertThat(listens(b)).as("the backup does not listen after its reload").isFalse();
        assertThat(agentA.log().substring(firstReload)).as("no transition at the reload").doesNotContain("Entering");

        // a changed virtual server (w2 out) and a new one on 8081
        int before = agentA.log().length();
        Files.writeString(fileA, "# w2 leaves 8080\n" + instance(VRID, 150, 3, "0.2", "", vip + "/24") + """
                virtual_server %s %d {
                    delay_loop 0.3
                    lb_algo rr
                    lb_kind PROXY
                    real_server %s 8000 {
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }
                }
                """.formatted(vip, PORT, w1.address()) + second(vip, w2.address()));
        agentA.signal("HUP");
        agentA.awaitLog("virtual servers kept 0, retired 1, started 2", Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> answers(client, vip, 4).equals(Set.of("w1")));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> get(client, vip, 8081).equals("w2"));
        assertThat(agentA.log().substring(before)).doesNotContain("Entering");

        // the master leaves: b listens on 8080 with the file it reloaded
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        agentB.awaitLog("(VI_91) Entering MASTER STATE", Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> answers(client, vip, 4).equals(Set.of("w1", "w2")));
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
        web1.kill();
        web2.kill();
    }
}
