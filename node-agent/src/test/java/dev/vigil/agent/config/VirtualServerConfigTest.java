package dev.vigil.agent.config;

import dev.vigil.agent.check.PgEndpoint;
import dev.vigil.agent.check.PgRole;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** virtual_server, real_server, checkers and virtual_server_group into {@link VirtualServer}, with file:line findings. */
@Timeout(30)
class VirtualServerConfigTest {

    @TempDir
    Path tmp;
    ConfigFixture fx;

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(tmp);
    }

    static final String PG = """
            virtual_server 192.0.2.100 5432 {
                delay_loop 2
                lb_algo wlc
                lb_kind PROXY
                protocol TCP
                quorum 1
                sorry_server 192.0.2.99 5432
                real_server 192.0.2.11 5432 {
                    weight 3
                    PG_CHECK {
                        role replica
                        max_lag_bytes 16MB
                        connect_timeout 1
                        fall 2
                    }
                }
                real_server 192.0.2.12 5432 {
                    inhibit_on_failure
                    TCP_CHECK {
                        connect_port 6432
                        retry 2
                        delay_before_retry 0.5
                    }
                    HTTP_GET {
                        url {
                            path /health
                            status_code 200 204
                        }
                        url {
                            path /ready
                        }
                        connect_port 8008
                        delay_loop 0.5
                    }
                    MISC_CHECK {
                        misc_path "/usr/local/bin/check 1"
                        misc_timeout 3
                        misc_dynamic
                    }
                }
            }
            """;

    @Test
    void everyKeywordReachesItsRecord() {
        AgentConfig c = ConfigFixture.valid(fx.parse("lb.conf", PG));
        assertThat(c.virtualServers()).hasSize(1);
        VirtualServer vs = c.virtualServers().get(0);
        assertThat(vs.name()).isEqualTo("192.0.2.100:5432");
        assertThat(vs.listen()).extracting(ServiceAddress::describe).containsExactly("192.0.2.100:5432");
        assertThat(vs.delayLoop()).isEqualTo(Duration.ofSeconds(2));
        assertThat(vs.scheduling()).isEqualTo(Scheduling.WLC);
        assertThat(vs.sorryServer().map(ServiceAddress::describe)).contains("192.0.2.99:5432");
        assertThat(vs.at().line()).isEqualTo(1);
        RealServer r1 = vs.realServers().get(0);
        assertThat(r1.weight()).isEqualTo(3);
        assertThat(r1.inhibitOnFailure()).isFalse();
        RealServerCheck.Pg pg = (RealServerCheck.Pg) r1.checks().get(0);
        assertThat(pg.settings().role()).isEqualTo(PgRole.REPLICA);
        assertThat(pg.settings().endpoint()).isEqualTo(new PgEndpoint.Tcp("192.0.2.11", 5432));
        assertThat(pg.settings().maxLagBytes()).contains(16L << 20);
        assertThat(pg.timing()).isEqualTo(new CheckTiming(Duration.ofSeconds(1), Duration.ofSeconds(2),
                Duration.ofSeconds(1), 1, 2, Duration.ZERO));
        RealServer r2 = vs.realServers().get(1);
        assertThat(r2.weight()).isEqualTo(1);
        assertThat(r2.inhibitOnFailure()).isTrue();
        assertThat(r2.checks()).hasSize(3);
        RealServerCheck.Tcp tcp = (RealServerCheck.Tcp) r2.checks().get(0);
        assertThat(tcp.target().describe()).isEqualTo("192.0.2.12:6432");
        assertThat(tcp.timing().fall()).isEqualTo(3);
        assertThat(tcp.timing().delayBeforeRetry()).isEqualTo(Duration.ofMillis(500));
        RealServerCheck.Http http = (RealServerCheck.Http) r2.checks().get(1);
        assertThat(http.target().port()).isEqualTo(8008);
        assertThat(http.timing().delayLoop()).isEqualTo(Duration.ofMillis(500));
        assertThat(http.urls()).extracting(RealServerCheck.Url::path).containsExactly("/health", "/ready");
        assertThat(http.urls().get(0).accepts(204)).isTrue();
        assertThat(http.urls().get(0).accepts(201)).isFalse();
        assertThat(http.urls().get(1).accepts(201)).isTrue();
        RealServerCheck.Misc misc = (RealServerCheck.Misc) r2.checks().get(2);
        assertThat(misc.command().command()).isEqualTo("/usr/local/bin/check 1");
        assertThat(misc.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(misc.dynamic()).isTrue();
    }

    @Test
    void keepalivedDefaults() {
        AgentConfig c = ConfigFixture.valid(fx.parse("lb.conf", """
                virtual_server 10.0.0.1 80 {
                    real_server 10.0.0.2 80 {
                        TCP_CHECK {
                        }
                    }
                }
                """));
        VirtualServer vs = c.virtualServers().get(0);
        assertThat(vs.delayLoop()).isEqualTo(Duration.ofSeconds(60));
        assertThat(vs.scheduling()).isEqualTo(Scheduling.WLC);
        assertThat(vs.quorum()).isEqualTo(1);
        assertThat(vs.persistence()).isEmpty();
        CheckTiming t = vs.realServers().get(0).checks().get(0).timing();
        assertThat(t).isEqualTo(new CheckTiming(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(1), 1, 1,
                Duration.ZERO));
    }

    @Test
    void ipvsForwardingIsAWarningAtItsLineAndTheServerIsNotServed() {
        ConfigResult r = fx.parse("lb.conf", """
                virtual_server 10.0.0.1 80 {
                    lb_kind DR
                    real_server 10.0.0.2 80 {
                    }
                }
                virtual_server 10.0.0.1 81 {
                    lb_kind NAT
                    real_server 10.0.0.2 81 {
                        SSL_GET {
                        }
                    }
                }
                virtual_server 10.0.0.1 82 {
                    lb_kind NAT
                }
                """);
        String f = fx.file("lb.conf");
        assertThat(ConfigFixture.warnings(r)).containsExactly(
                f + ":1: warning: virtual_server 10.0.0.1:80: not served (lb_kind DR; see the warnings above)",
                f + ":2: warning: virtual_server 10.0.0.1:80: 'lb_kind' DR is not supported: it needs IPVS, which Vigil"
                        + " does not drive; Vigil forwards as a TCP proxy, 'lb_kind PROXY' (see docs/load-balancing.md)",
                f + ":6: warning: virtual_server 10.0.0.1:81: not served (SSL_GET; see the warnings above)",
                f + ":7: warning: virtual_server 10.0.0.1:81: 'lb_kind' NAT is served by Vigil's TCP proxy: real servers"
                        + " see connections from this node's address, not the client's; write 'lb_kind PROXY' to say so",
                f + ":9: warning: virtual_server 10.0.0.1:81 real_server 10.0.0.2:81: 'SSL_GET' is not supported: Vigil"
                        + " checks with TCP_CHECK, HTTP_GET, MISC_CHECK and PG_CHECK",
                f + ":13: warning: virtual_server 10.0.0.1:82: no real_server and no sorry_server: every connection is"
                        + " refused",
                f + ":14: warning: virtual_server 10.0.0.1:82: 'lb_kind' NAT is served by Vigil's TCP proxy: real servers"
                        + " see connections from this node's address, not the client's; write 'lb_kind PROXY' to say so");
        assertThat(ConfigFixture.valid(r).virtualServers()).extracting(VirtualServer::name).containsExactly("10.0.0.1:82");
    }

    @Test
    void badValuesAreErrorsWithTheirLine() {
        ConfigResult r = fx.parse("lb.conf", """
                virtual_server 10.0.0.1 80 {
                    lb_algo fastest
                    lb_kind MAGIC
                    quorum 0
                    real_server 10.0.0.2 99999 {
                    }
                    real_server 10.0.0.3 80 {
                        weight -1
                        HTTP_GET {
                            connect_port 8080
                        }
                        PG_CHECK {
                            role leader
                        }
                    }
                }
                virtual_server group NOPE {
                }
                """);
        String f = fx.file("lb.conf");
        assertThat(r).isInstanceOf(ConfigResult.Invalid.class);
        assertThat(ConfigFixture.errors(r)).containsExactly(
                f + ":2: error: virtual_server 10.0.0.1:80: lb_algo 'fastest' is not a scheduler (rr, wrr, lc, wlc, sh)",
                f + ":3: error: virtual_server 10.0.0.1:80: lb_kind 'MAGIC' is not PROXY, NAT, DR or TUN",
                f + ":4: error: virtual_server 10.0.0.1:80: quorum 0 is out of range 1..2147483647",
                f + ":5: error: virtual_server 10.0.0.1:80: port '99999' is not a number in 1..65535",
                f + ":8: error: virtual_server 10.0.0.1:80 real_server 10.0.0.3:80: weight -1 is out of range 0..65535",
                f + ":9: error: virtual_server 10.0.0.1:80 real_server 10.0.0.3:80 HTTP_GET: no 'url { path ... }'",
                f + ":13: error: virtual_server 10.0.0.1:80 real_server 10.0.0.3:80 PG_CHECK: role 'leader' is not"
                        + " primary, replica or any",
                f + ":17: error: virtual_server group NOPE: no virtual_server_group named 'NOPE'");
    }

    @Test
    void groupsExpandToEveryAddressAndRange() {
        AgentConfig c = ConfigFixture.valid(fx.parse("lb.conf", """
                virtual_server_group PG {
                    192.0.2.100 5432
                    192.0.2.110-112 6432
                }
                virtual_server group PG {
                    lb_algo sh
                    persistence_timeout 300
                    real_server 10.0.0.2 5432 {
                    }
                }
                """));
        VirtualServer vs = c.virtualServers().get(0);
        assertThat(vs.name()).isEqualTo("group PG");
        assertThat(vs.listen()).extracting(ServiceAddress::describe).containsExactly("192.0.2.100:5432",
                "192.0.2.110:6432", "192.0.2.111:6432", "192.0.2.112:6432");
        assertThat(vs.scheduling()).isEqualTo(Scheduling.SH);
        assertThat(vs.persistence()).contains(Duration.ofSeconds(300));
    }

    @Test
    void twoVirtualServersOnOneAddressAndPortAreAnError() {
        ConfigResult r = fx.parse("lb.conf", """
                virtual_server 10.0.0.1 80 {
                    real_server 10.0.0.2 80
                }
                virtual_server 10.0.0.1 80 {
                    real_server 10.0.0.3 80
                }
                """);
        assertThat(ConfigFixture.errors(r)).containsExactly(fx.file("lb.conf")
                + ":4: error: virtual_server 10.0.0.1:80: 10.0.0.1:80 is already a virtual server at " + fx.file("lb.conf")
                + ":1");
    }
}
