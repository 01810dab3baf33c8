package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.agent.net.AddressScope;
import dev.vigil.agent.net.IpFamily;
import dev.vigil.agent.net.VirtualAddress;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.V3Ipv4Checksum;
import dev.vigil.agent.vrrp.VrrpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** keepalived.conf instances onto the router's configuration, the shared socket and rtnetlink VIPs. */
@Timeout(30)
class ConfiguredInstanceTest {
    @TempDir
    Path tmp;

    AgentConfig parse(String text) throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"), text);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as("findings: %s", r.findings()).isInstanceOf(ConfigResult.Valid.class);
        return ((ConfigResult.Valid) r).config();
    }

    static Optional<InetAddress> primary(String device, IpFamily family) {
        try {
            return Optional.of(InetAddress.getByName(family == IpFamily.IPV4 ? "192.0.2.11" : "fe80::11"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMulticastV3InstanceUsesThePrimaryAddressAndKeepsTheVipOptions() throws Exception {
        AgentConfig c = parse("""
                vrrp_instance VI_1 {
                  interface eth0
                  virtual_router_id 51
                  priority 150
                  version 3
                  advert_int 0.2
                  nopreempt
                  garp_master_repeat 3
                  virtual_ipaddress {
                    192.0.2.100/24 brd 192.0.2.255 dev eth1 scope link label eth1:vip
                    192.0.2.101
                  }
                }
                """);
        ConfiguredInstance i = ConfiguredInstance.resolve(c.instances().get(0), c.global(), ConfiguredInstanceTest::primary);
        RouterConfig r = i.router();
        assertThat(r.version()).isEqualTo(VrrpVersion.V3);
        assertThat(r.vrid()).isEqualTo(51);
        assertThat(r.priority()).isEqualTo(150);
        assertThat(r.advertIntervalCentis()).isEqualTo(20);
        assertThat(r.preempt()).isFalse();
        assertThat(r.garpMasterRepeat()).isEqualTo(3);
        assertThat(r.garpMasterDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(r.v3Ipv4Checksum()).isEqualTo(V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(r.primaryAddress()).isEqualTo(IpAddress.parse("192.0.2.11"));
        assertThat(r.vips()).containsExactly(IpAddress.parse("192.0.2.100"), IpAddress.parse("192.0.2.101"));
        assertThat(i.socket().interfaceName()).isEqualTo("eth0");
        assertThat(i.socket().multicastGroup()).contains(InetAddress.getByName("224.0.0.18"));
        assertThat(i.socket().sourceAddress()).contains(InetAddress.getByName("192.0.2.11"));

        VirtualAddress first = i.vips().get(IpAddress.parse("192.0.2.100"));
        assertThat(first.device()).isEqualTo("eth1");
        assertThat(first.prefixLength()).isEqualTo(24);
        assertThat(first.scope()).isEqualTo(AddressScope.LINK);
        assertThat(first.label()).contains("eth1:vip");
        assertThat(first.broadcast()).contains((java.net.Inet4Address) InetAddress.getByName("192.0.2.255"));
        VirtualAddress second = i.vips().get(IpAddress.parse("192.0.2.101"));
        assertThat(second.device()).isEqualTo("eth0");
        assertThat(second.prefixLength()).isEqualTo(32);
    }

    @Test
    void aUnicastInstanceSendsFromUnicastSrcIpToItsPeers() throws Exception {
        AgentConfig c = parse("""
                vrrp_instance VI_2 {
                  interface eth0
                  virtual_router_id 52
                  unicast_src_ip 192.0.2.21
                  unicast_peer {
                    192.0.2.22
                  }
                  virtual_ipaddress {
                    192.0.2.100
                  }
                }
                """);
        ConfiguredInstance i = ConfiguredInstance.resolve(c.instances().get(0), c.global(), ConfiguredInstanceTest::primary);
        assertThat(i.router().version()).isEqualTo(VrrpVersion.V2);
        assertThat(i.router().primaryAddress()).isEqualTo(IpAddress.parse("192.0.2.21"));
        assertThat(i.router().advertDestinations()).containsExactly(IpAddress.parse("192.0.2.22"));
        assertThat(i.socket().multicastGroup()).isEmpty();
        assertThat(i.socket().sourceAddress()).contains(InetAddress.getByName("192.0.2.21"));
    }

    @Test
    void anIpv6VipIsAddedWithoutDadAndDeprecated() throws Exception {
        AgentConfig c = parse("""
                vrrp_instance VI_3 {
                  interface eth0
                  virtual_router_id 53
                  virtual_ipaddress {
                    2001:db8:1::100/64
                  }
                }
                """);
        ConfiguredInstance i = ConfiguredInstance.resolve(c.instances().get(0), c.global(), ConfiguredInstanceTest::primary);
        assertThat(i.router().primaryAddress()).isEqualTo(IpAddress.parse("fe80::11"));
        VirtualAddress v = i.vips().values().iterator().next();
        assertThat(v.noDad()).isTrue();
        assertThat(v.preferredLifetimeSeconds()).isZero();
    }

    @Test
    void anInterfaceWithoutAnAddressIsRefusedNamingTheInstanceAndTheField() throws Exception {
        AgentConfig c = parse("""
                vrrp_instance VI_4 {
                  interface eth9
                  virtual_router_id 54
                  virtual_ipaddress {
                    192.0.2.100
                  }
                }
                """);
        assertThatThrownBy(() -> ConfiguredInstance.resolve(c.instances().get(0), c.global(), (d, f) -> Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vrrp_instance VI_4").hasMessageContaining("keepalived.conf:1")
                .hasMessageContaining("eth9 has no IPv4 address").hasMessageContaining("unicast_src_ip");
    }

    @Test
    void trackersGetKeepalivedsReverseSemanticsInTheRouter() throws Exception {
        AgentConfig c = parse("""
                vrrp_script chk_up {
                  script "/bin/true"
                }
                vrrp_script chk_down {
                  script "/bin/true"
                }
                vrrp_script chk_zero {
                  script "/bin/true"
                }
                vrrp_instance VI_1 {
                  interface eth0
                  virtual_router_id 51
                  priority 100
                  advert_int 1
                  track_script {
                    chk_up weight 20 reverse
                    chk_down weight -30 reverse
                    chk_zero weight 0 reverse
                  }
                  track_interface {
                    eth1 weight 10
                  }
                  virtual_ipaddress {
                    192.0.2.100
                  }
                }
                """);
        var instance = c.instances().get(0);
        ConfiguredInstance i = ConfiguredInstance.resolve(instance, c.global(), ConfiguredInstanceTest::primary);
        var router = new dev.vigil.agent.vrrp.VrrpRouter(i.router());
        java.util.function.BiConsumer<String, Boolean> check = (name, ok) -> {
            boolean reverse = instance.trackScripts().stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow().reverse();
            router.handle(new dev.vigil.agent.vrrp.RouterInput.TrackerChanged(name,
                    ConfiguredInstance.routerOk(ok, reverse)), 0);
        };
        // every check OK: +20 reverse gives -20, -30 reverse gives nothing; the interface's +10 counts
        check.accept("chk_up", true);
        check.accept("chk_down", true);
        check.accept("chk_zero", false);
        router.handle(new dev.vigil.agent.vrrp.RouterInput.Start(), 0);
        assertThat(router.state()).isEqualTo(dev.vigil.agent.vrrp.RouterState.BACKUP);
        assertThat(router.effectivePriority()).isEqualTo(100 - 20 + 10);
        check.accept("chk_down", false); // -30 reverse: +30 while failed
        assertThat(router.effectivePriority()).isEqualTo(100 - 20 + 30 + 10);
        check.accept("chk_up", false);
        assertThat(router.effectivePriority()).isEqualTo(100 + 30 + 10);
        router.handle(new dev.vigil.agent.vrrp.RouterInput.TrackerChanged(ConfiguredInstance.interfaceTracker("eth1"),
                false), 0);
        assertThat(router.effectivePriority()).isEqualTo(100 + 30);
        check.accept("chk_zero", true); // weight 0 reverse: OK means FAULT
        assertThat(router.state()).isEqualTo(dev.vigil.agent.vrrp.RouterState.FAULT);
    }
}
