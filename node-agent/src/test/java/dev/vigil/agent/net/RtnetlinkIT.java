package dev.vigil.agent.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** VIPs through rtnetlink, checked with {@code ip -o addr} inside the namespace. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RtnetlinkIT {
    private static NetnsLab lab;
    private static String h;
    private static Rtnetlink rtnl;

    @BeforeAll
    static void buildLab() throws Exception {
        lab = NetnsLab.create();
        try {
            h = lab.namespace("h");
            lab.veth(h, "vh", h, "vp");
            rtnl = lab.inside(h, Rtnetlink::open);
        } catch (Exception e) {
            lab.close();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() {
        if (rtnl != null) {
            rtnl.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static String addr(String family) {
        return lab.in(h, "ip", "-o", family, "addr", "show", "dev", "vh");
    }

    @Test
    void ipv4VipWithLabelScopeAndBroadcastIsAddedOnceAndRemovedOnce() throws Exception {
        VirtualAddress vip = VirtualAddress.of(ip("192.0.2.100"), 24, "vh")
                .withBroadcast((Inet4Address) ip("192.0.2.255")).withLabel("vh:vip").withScope(AddressScope.SITE);

        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ADDED);
        assertThat(addr("-4")).contains("inet 192.0.2.100/24 brd 192.0.2.255 scope site vh:vip");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ALREADY_PRESENT);
        assertThat(rtnl.addresses("vh")).anySatisfy(a -> {
            assertThat(a.address()).isEqualTo(ip("192.0.2.100"));
            assertThat(a.prefixLength()).isEqualTo(24);
            assertThat(a.scope()).isEqualTo(AddressScope.SITE);
            assertThat(a.label()).contains("vh:vip");
            assertThat(a.broadcast()).contains((Inet4Address) ip("192.0.2.255"));
        });

        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.REMOVED);
        assertThat(addr("-4")).doesNotContain("192.0.2.100");
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.ALREADY_ABSENT);
    }

    @Test
    void ipv6VipIsAddedWithoutDadAndDeprecatedAsKeepalivedDoes() throws Exception {
        VirtualAddress vip = VirtualAddress.of(ip("2001:db8::100"), 64, "vh");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ADDED);
        String shown = addr("-6");
        assertThat(shown.lines().filter(l -> l.contains("inet6 2001:db8::100/64 scope global")))
                .singleElement().asString().contains("nodad", "deprecated", "preferred_lft 0sec");
        assertThat(rtnl.add(vip)).isEqualTo(AddressChange.ALREADY_PRESENT);
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.REMOVED);
        assertThat(addr("-6")).doesNotContain("2001:db8::100");
        assertThat(rtnl.remove(vip)).isEqualTo(AddressChange.ALREADY_ABSENT);

        VirtualAddress preferred = VirtualAddress.host(ip("2001:db8::101"), "vh")
                .withPreferredLifetime(VirtualAddress.FOREVER);
        assertThat(rtnl.add(preferred)).isEqualTo(AddressChange.ADDED);
        assertThat(addr("-6").lines().filter(l -> l.contains("inet6 2001:db8::101/128 scope global")))
                .singleElement().asString().contains("nodad", "preferred_lft forever").doesNotContain("deprecated");
        assertThat(rtnl.remove(preferred)).isEqualTo(AddressChange.REMOVED);
    }

    @Test
    void leftoverVipsOfAnEarlierRunAreRemovedWhateverTheirPrefixAndOthersStay() throws Exception {
        // The host's own address first (primary), the crashed run's VIP after it (secondary), as on a real host:
        // removing a primary would take the secondaries of its subnet with it.
        lab.in(h, "ip", "addr", "add", "192.0.2.201/24", "dev", "vh");
        lab.in(h, "ip", "addr", "add", "192.0.2.200/24", "dev", "vh");
        lab.in(h, "ip", "addr", "add", "2001:db8::200/64", "dev", "vh", "nodad");
        List<VirtualAddress> configured = List.of(
                VirtualAddress.host(ip("192.0.2.200"), "vh"),
                VirtualAddress.host(ip("2001:db8::200"), "vh"),
                VirtualAddress.host(ip("192.0.2.250"), "vh"),
                VirtualAddress.host(ip("192.0.2.251"), "nosuch0"));

        List<InterfaceAddress> removed = rtnl.removeLeftovers(configured);

        assertThat(removed).extracting(InterfaceAddress::address)
                .containsExactlyInAnyOrder(ip("192.0.2.200"), ip("2001:db8::200"));
        assertThat(addr("-4")).doesNotContain("192.0.2.200/").contains("192.0.2.201/24");
        assertThat(addr("-6")).doesNotContain("2001:db8::200/");
        assertThat(rtnl.removeLeftovers(configured)).isEmpty();
        lab.in(h, "ip", "addr", "del", "192.0.2.201/24", "dev", "vh");
    }

    @Test
    void errorsNameTheVipAndTheKernelsReason() throws Exception {
        assertThatThrownBy(() -> rtnl.add(VirtualAddress.host(ip("192.0.2.9"), "nosuch0")))
                .isInstanceOf(LinuxCallFailed.class)
                .hasMessageContaining("192.0.2.9/32 dev nosuch0")
                .hasMessageContaining("no interface named nosuch0");
        assertThat(rtnl.remove(VirtualAddress.host(ip("192.0.2.9"), "nosuch0"))).isEqualTo(AddressChange.ALREADY_ABSENT);

        lab.in(h, "sysctl", "-qw", "net.ipv6.conf.vp.disable_ipv6=1");
        assertThatThrownBy(() -> rtnl.add(VirtualAddress.host(ip("2001:db8::9"), "vp")))
                .isInstanceOf(LinuxCallFailed.class)
                .hasMessageContaining("add VIP 2001:db8::9/128 dev vp")
                .hasMessageContaining("IPv6 is disabled on this device")
                .satisfies(e -> assertThat(((LinuxCallFailed) e).errno()).isPositive());
        lab.in(h, "sysctl", "-qw", "net.ipv6.conf.vp.disable_ipv6=0");
    }

    @Test
    void primaryAddressIsTheFirstNonSecondaryIpv4AndTheLinkLocalIpv6() throws Exception {
        lab.in(h, "ip", "addr", "add", "198.51.100.1/24", "dev", "vp");
        lab.in(h, "ip", "addr", "add", "198.51.100.7/24", "dev", "vp"); // secondary
        lab.in(h, "ip", "addr", "add", "2001:db8:1::1/64", "dev", "vp", "nodad");
        assertThat(rtnl.primaryAddress("vp", IpFamily.IPV4)).contains(ip("198.51.100.1"));
        assertThat(rtnl.primaryAddress("vp", IpFamily.IPV6)).hasValueSatisfying(a -> assertThat(a.isLinkLocalAddress()).isTrue());
        assertThat(rtnl.primaryAddress("nosuch0", IpFamily.IPV4)).isEmpty();
        lab.in(h, "ip", "addr", "flush", "dev", "vp", "scope", "global");
    }

    @Test
    void linksCarryIndexMacAndState() throws Exception {
        Link link = rtnl.link("vh").orElseThrow();
        assertThat(link.index()).isEqualTo(lab.inside(h, () -> Syscalls.interfaceIndex("vh")));
        assertThat(link.macAddress()).isEqualTo(lab.mac(h, "vh"));
        assertThat(link.isUsable()).isTrue();
        assertThat(link.operState()).isEqualTo(Link.OperState.UP);
        assertThat(rtnl.link("nosuch0")).isEmpty();
        assertThat(rtnl.links()).extracting(Link::name).contains("lo", "vh", "vp");
    }
}
