package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class NetLabIT {

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    /** One echo, one second: enough to show that traffic is blocked. */
    private static boolean ping(Host from, String to) {
        return from.exec("ping", "-c1", "-W1", to).ok();
    }

    /**
     * Retries for up to 5 s: after a restore or heal the sender's neighbour entry may be FAILED (from the pings
     * that proved the cut), and the kernel answers "unreachable" at once until it re-resolves.
     */
    private static boolean reaches(Host from, String to) {
        return eventually(() -> from.exec("ping", "-c1", "-W1", to).ok());
    }

    /** As {@link #reaches}: a new bridge port or veth may drop the very first packets on a busy machine. */
    private static boolean eventually(java.util.function.BooleanSupplier ping) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!ping.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            HostProcess.sleep(200);
        }
        return true;
    }

    @Test
    void hostsPingOverTheSegmentUntilTheLinkIsCutAndAgainAfterRestore() {
        Segment vrrp = lab.segment("vrrp");
        Host a = lab.host("a", vrrp);
        Host b = lab.host("b", vrrp);

        assertThat(a.address()).isEqualTo("192.0.2.11");
        assertThat(b.address6()).isEqualTo("2001:db8:1::12");
        assertThat(a.ifname()).isEqualTo("eth0");
        assertThat(a.mac()).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}").isNotEqualTo(b.mac());
        // No DAD anywhere: even the link-local address is usable at once (VRRPv3 over IPv6 sends from it).
        assertThat(a.exec("ip", "-6", "addr", "show", "dev", "eth0").stdout()).contains("scope link").doesNotContain("tentative");
        assertThat(reaches(a, b.address())).isTrue();
        assertThat(reaches(b, a.address6())).isTrue();

        lab.cutLink(a);
        assertThat(ping(a, b.address())).isFalse();
        assertThat(ping(b, a.address())).isFalse();
        assertThat(ping(b, a.address6())).isFalse();

        lab.restoreLink(a);
        assertThat(reaches(a, b.address())).isTrue();
        assertThat(reaches(b, a.address6())).isTrue();
    }

    @Test
    void partitionDropsTrafficBothWaysBetweenTwoHostsOnlyAndHealRestoresIt() {
        Requirements.requireCommand("arping");
        Segment vrrp = lab.segment("vrrp");
        Host a = lab.host("a", vrrp);
        Host b = lab.host("b", vrrp);
        Host c = lab.host("c", vrrp);
        assertThat(reaches(a, b.address())).isTrue();

        lab.partition(a, b);
        assertThat(ping(a, b.address())).isFalse();
        assertThat(ping(b, a.address())).isFalse();
        assertThat(ping(b, a.address6())).isFalse();
        // ARP is dropped too: a fresh resolution fails.
        a.exec("ip", "neigh", "flush", "all").orThrow();
        assertThat(a.exec("arping", "-c1", "-w1", "-I", a.ifname(), b.address()).ok()).isFalse();
        assertThat(reaches(a, c.address())).isTrue();
        assertThat(reaches(c, b.address())).isTrue();

        lab.heal(b, a);
        assertThat(reaches(a, b.address())).isTrue();
        assertThat(reaches(b, a.address6())).isTrue();
        assertThat(NetLab.nftTables()).doesNotContain("table bridge " + lab.prefix());
    }

    @Test
    void killEndsEveryProcessInTheHostAndCutsItsLink() {
        Segment vrrp = lab.segment("vrrp");
        Host a = lab.host("a", vrrp);
        Host b = lab.host("b", vrrp);
        HostProcess sleeper = a.start("sleep", "1000");
        // A process the lab did not start itself: forked and detached by a shell.
        a.exec("sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 < /dev/null &").orThrow();
        assertThat(sleeper.isAlive()).isTrue();
        assertThat(a.pids()).hasSizeGreaterThanOrEqualTo(2);

        lab.kill(a);

        assertThat(sleeper.waitFor(Duration.ofSeconds(5))).isPresent();
        assertThat(a.pids()).isEmpty();
        assertThat(ping(b, a.address())).isFalse();
        assertThat(a.exec("ip", "-o", "link", "show", "eth0").stdout()).contains("NO-CARRIER");
    }

    @Test
    void longLivedProcessLogsAndStops() {
        Host a = lab.host("a", lab.segment("vrrp"));
        HostProcess talker = a.start("sh", "-c", "echo ready; exec sleep 1000");
        talker.awaitLog("ready", Duration.ofSeconds(10));
        assertThat(talker.logFile()).startsWith(lab.workDir());
        talker.stop(Duration.ofSeconds(5));
        assertThat(talker.isAlive()).isFalse();
        a.sysctl("net.ipv4.conf.all.arp_accept", "1");
        assertThat(a.sysctl("net.ipv4.conf.all.arp_accept")).isEqualTo("1");
        assertThat(a.exec("sh", "-c", "exit 3").exitCode()).isEqualTo(3);
    }

    @Test
    void captureSeesThePingsFromTheFirstPacket() {
        Segment vrrp = lab.segment("vrrp");
        Host a = lab.host("a", vrrp);
        Host b = lab.host("b", vrrp);
        Capture capture = lab.capture(vrrp);

        a.exec("ping", "-c3", "-i0.2", "-W1", b.address()).orThrow();
        capture.stop();

        List<List<String>> requests = capture.rows("icmp.type == 8", "ip.src", "ip.dst", "icmp.seq");
        assertThat(requests).containsExactly(
                List.of(a.address(), b.address(), "1"),
                List.of(a.address(), b.address(), "2"),
                List.of(a.address(), b.address(), "3"));
        assertThat(capture.count("icmp.type == 0 && ip.src == " + b.address())).isEqualTo(3);
        // Fields later tests rely on exist in this tshark (an unknown field is an error, not an empty result).
        assertThat(capture.rows("vrrp", "vrrp.virt_rtr_id", "vrrp.prio", "vrrp.checksum.status")).isEmpty();
        assertThatThrownBy(() -> capture.rows("icmp", "no.such.field")).hasMessageContaining("no.such.field");
    }

    @Test
    void hostOnTwoSegmentsGetsOneInterfaceAndAddressPerSegment() {
        Segment vrrp = lab.segment("vrrp");
        Segment mgmt = lab.segment("mgmt");
        Host a = lab.host("a", vrrp, mgmt);
        Host b = lab.host("b", mgmt);
        assertThat(a.ifname(mgmt)).isEqualTo("eth1");
        assertThat(a.address(mgmt)).isEqualTo("198.51.100.11");
        assertThat(b.address()).isEqualTo("198.51.100.12");
        assertThat(reaches(b, a.address(mgmt))).isTrue();
        assertThat(ping(b, a.address(vrrp))).isFalse();
    }

    @Test
    void onlyASegmentAskedForGetsAnAddressInTheRootNamespaceAndOnlyOneLiveLabMayAsk() {
        Segment vrrp = lab.segment("vrrp");
        Segment mgmt = lab.segment("mgmt", true);
        Host a = lab.host("a", vrrp, mgmt);
        assertThat(Exec.run("ip", "-o", "addr", "show", "dev", vrrp.bridge()).stdout()).isEmpty();
        assertThat(eventually(() -> Exec.run("ping", "-c1", "-W1", a.address(mgmt)).ok())).isTrue();
        assertThat(reaches(a, mgmt.ip4(1))).isTrue();

        try (NetLab other = NetLab.create("other")) {
            other.segment("vrrp");
            assertThatThrownBy(() -> other.segment("mgmt", true))
                    .hasMessageContaining("198.51.100.0/24")
                    .hasMessageContaining("already has one");
        }
    }
}
