package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** VIPs through rtnetlink, checked with {@code ip -o addr} inside a NetLab host (eth0 on one, eth1 on two). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RtnetlinkIT {
    @RegisterExtension
    static final NetLab lab = NetLab.extension();
    private static Host h;
    private static Rtnetlink rtnl;

    @BeforeAll
    static void host() throws Exception {
        h = lab.host("h", lab.segment("one"), lab.segment("two"));
        rtnl = InNamespace.call(h, Rtnetlink::open);
    }

    @AfterAll
    static void closeSocket() {
        if (rtnl != null) {
            rtnl.close();
        }
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static String addr(String family, String device) {
        return h.exec("ip", "-o", family, "addr", "show", "dev", device).orThrow().stdout();
    }

    @Test
    void ipv4VipWithLabelScopeAndBroadcastIsAddedOnceAndRemovedOnce() throws Exception {
        VirtualAddress vip = VirtualAddress.of(ip("203.0.113.100"), 24, "eth0")
                .withBroadcast((Inet4Address) ip("203.0.113.255")).withLabel("eth0:vip").withScope(AddressScope.SITE);

        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ADDED);
        assertThat(addr("-4", "eth0")).contains("inet 203.0.113.100/24 brd 203.0.113.255 scope site eth0:vip");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ALREADY_PRESENT);
        assertThat(rtnl.addresses("eth0")).anySatisfy(a -> {
            assertThat(a.address()).isEqualTo(ip("203.0.113.100"));
            assertThat(a.prefixLength()).isEqualTo(24);
            assertThat(a.scope()).isEqualTo(AddressScope.SITE);
            assertThat(a.label()).contains("eth0:vip");
            assertThat(a.broadcast()).contains((Inet4Address) ip("203.0.113.255"));
        });

        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.REMOVED);
        assertThat(addr("-4", "eth0")).doesNotContain("203.0.113.100");
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.ALREADY_ABSENT);
    }

    @Test
    void ipv6VipIsAddedWithoutDadAndDeprecatedAsKeepalivedDoes() throws Exception {
        VirtualAddress vip = VirtualAddress.of(ip("2001:db8::100"), 64, "eth0");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ADDED);
        assertThat(addr("-6", "eth0").lines().filter(l -> l.contains("inet6 2001:db8::100/64 scope global")))
                .singleElement().asString().contains("nodad", "deprecated", "preferred_lft 0sec");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ALREADY_PRESENT);
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.REMOVED);
        assertThat(addr("-6", "eth0")).doesNotContain("2001:db8::100");
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.ALREADY_ABSENT);

        VirtualAddress preferred = VirtualAddress.host(ip("2001:db8::101"), "eth0")
                .withPreferredLifetime(VirtualAddress.FOREVER);
        assertThat(rtnl.add(preferred)).isEqualTo(AddressChange.ADDED);
        assertThat(addr("-6", "eth0").lines().filter(l -> l.contains("inet6 2001:db8::101/128 scope global")))
                .singleElement().asString().contains("nodad", "preferred_lft forever").doesNotContain("deprecated");
        assertThat(rtnl.remove(preferred)).isEqualTo(AddressChange.REMOVED);
    }

    @Test
    void leftoverVipsOfAnEarlierRunAreRemovedWhateverTheirPrefixAndOthersStay() throws Exception {
        // The host's own address (192.0.2.11) is primary; the crashed run's VIPs are secondaries, as on a real host
        // (removing a primary would take the secondaries of its subnet with it).
        h.exec("ip", "addr", "add", "192.0.2.200/24", "dev", "eth0").orThrow();
        h.exec("ip", "addr", "add", "2001:db8:1::200/64", "dev", "eth0", "nodad").orThrow();
        h.exec("ip", "addr", "add", "192.0.2.201/24", "dev", "eth0").orThrow();
        List<VirtualAddress> configured = List.of(
                VirtualAddress.host(ip("192.0.2.200"), "eth0"),
                VirtualAddress.host(ip("2001:db8:1::200"), "eth0"),
                VirtualAddress.host(ip("192.0.2.250"), "eth0"),
                VirtualAddress.host(ip("192.0.2.251"), "nosuch0"));

        List<InterfaceAddress> removed = rtnl.removeLeftovers(configured);

        assertThat(removed).extracting(InterfaceAddress::address)
                .containsExactlyInAnyOrder(ip("192.0.2.200"), ip("2001:db8:1::200"));
        assertThat(addr("-4", "eth0")).doesNotContain("192.0.2.200/").contains("192.0.2.201/24", h.address() + "/24");
        assertThat(addr("-6", "eth0")).doesNotContain("2001:db8:1::200/");
        assertThat(rtnl.removeLeftovers(configured)).isEmpty();
        h.exec("ip", "addr", "del", "192.0.2.201/24", "dev", "eth0").orThrow();
    }

    @Test
    void errorsNameTheVipAndTheKernelsReason() throws Exception {
        assertThatThrownBy(() -> rtnl.add(VirtualAddress.host(ip("192.0.2.9"), "nosuch0")))
                .isInstanceOf(LinuxCallFailed.class)
                .hasMessageContaining("192.0.2.9/32 dev nosuch0")
                .hasMessageContaining("no interface named nosuch0");
        assertThat(rtnl.remove(VirtualAddress.host(ip("192.0.2.9"), "nosuch0"))).isEqualTo(AddressChange.ALREADY_ABSENT);

        h.exec("ip", "link", "add", "vx", "type", "veth", "peer", "name", "vy").orThrow();
        try {
            h.sysctl("net.ipv6.conf.vx.disable_ipv6", "1");
            assertThatThrownBy(() -> rtnl.add(VirtualAddress.host(ip("2001:db8::9"), "vx")))
                    .isInstanceOf(LinuxCallFailed.class)
                    .hasMessageContaining("add VIP 2001:db8::9/128 dev vx")
                    .hasMessageContaining("IPv6 is disabled on this device")
                    .satisfies(e -> assertThat(((LinuxCallFailed) e).errno()).isPositive());
        } finally {
            h.exec("ip", "link", "del", "vx");
        }
    }

    @Test
    void primaryAddressIsTheFirstNonSecondaryIpv4AndTheLinkLocalIpv6() throws Exception {
        h.exec("ip", "addr", "add", "198.51.100.7/24", "dev", "eth1").orThrow(); // secondary to the lab's .11
        assertThat(rtnl.primaryAddress("eth1", IpFamily.IPV4)).contains(ip(h.address(lab.segments().get(1))));
        assertThat(rtnl.primaryAddress("eth1", IpFamily.IPV6)).hasValueSatisfying(a -> assertThat(a.isLinkLocalAddress()).isTrue());
        assertThat(rtnl.primaryAddress("nosuch0", IpFamily.IPV4)).isEmpty();
        h.exec("ip", "addr", "del", "198.51.100.7/24", "dev", "eth1").orThrow();
    }

    @Test
    void twoHundredVipsAreAddedAndRemovedOneRoundTripEach() throws Exception {
        List<VirtualAddress> vips = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            vips.add(VirtualAddress.host(ip("203.0." + (114 + i / 250) + "." + (1 + i % 250)), "eth1"));
        }
        long start = System.nanoTime();
        for (VirtualAddress vip : vips) {
            assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ADDED);
        }
        long added = System.nanoTime();
        assertThat(addr("-4", "eth1").lines().filter(l -> l.contains("inet 203.0.114."))).hasSize(200);
        long removing = System.nanoTime();
        for (VirtualAddress vip : vips) {
            assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.REMOVED);
        }
        long removed = System.nanoTime();
        assertThat(addr("-4", "eth1")).doesNotContain("inet 203.0.114.");
        System.out.printf("rtnetlink: 200 VIPs added in %d ms, removed in %d ms (link lookup + ACKed request each)%n",
                (added - start) / 1_000_000, (removed - removing) / 1_000_000);
    }

    @Test
    void linksCarryIndexMacAndState() throws Exception {
        Link link = rtnl.link("eth0").orElseThrow();
        assertThat(link.index()).isEqualTo(InNamespace.call(h, () -> Syscalls.interfaceIndex("eth0")));
        assertThat(link.macAddress()).hasToString(h.mac());
        assertThat(link.isUsable()).isTrue();
        assertThat(link.operState()).isEqualTo(Link.OperState.UP);
        assertThat(rtnl.link("nosuch0")).isEmpty();
        assertThat(rtnl.links()).extracting(Link::name).contains("lo", "eth0", "eth1");
    }
}
