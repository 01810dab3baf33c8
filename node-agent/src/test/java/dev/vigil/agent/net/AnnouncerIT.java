package dev.vigil.agent.net;

import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Gratuitous ARP and unsolicited NA from host a, seen on the segment's wire with the right fields and learnt by
 * host b's neighbour table.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AnnouncerIT {
    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @Test
    void garpAndNaReachThePeerWithKeepalivedsFieldsAndItLearnsOurMac() throws Exception {
        Segment segment = lab.segment("one");
        Host a = lab.host("a", segment);
        Host b = lab.host("b", segment);
        // Let b learn from announcements it did not ask for, as the gateway of a VRRP segment would: arp_accept
        // for GARP; for NA, RFC 9131 entries are created only by a router (forwarding on) with accept_untracked_na.
        b.sysctl("net.ipv4.conf.eth0.arp_accept", "1");
        b.sysctl("net.ipv6.conf.eth0.forwarding", "1");
        b.sysctl("net.ipv6.conf.eth0.accept_untracked_na", "1");
        Capture wire = lab.capture(segment);

        InetAddress vip4 = InetAddress.getByName(segment.ip4(50));
        InetAddress vip6 = InetAddress.getByName(segment.ip6(50));
        assertThat(b.exec("ip", "neigh", "show", segment.ip4(50)).orThrow().stdout()).isBlank();
        try (Announcer announcer = InNamespace.call(a, () -> Announcer.open("eth0"))) {
            assertThat(announcer.link().macAddress()).hasToString(a.mac());
            assertThat(announcer.announce(List.of(vip4, vip6))).isEqualTo(2);
        }
        wire.stop();

        String mac = a.mac();
        assertThat(wire.rows("arp", "frame.len", "eth.src", "eth.dst", "arp.opcode", "arp.src.hw_mac",
                "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4", "arp.isgratuitous"))
                .containsExactly(List.of("42", mac, "ff:ff:ff:ff:ff:ff", "1", mac, segment.ip4(50),
                        "ff:ff:ff:ff:ff:ff", segment.ip4(50), "1"));
        // icmpv6.checksum.status 1 = Good
        assertThat(wire.rows("icmpv6.type == 136", "frame.len", "eth.src", "eth.dst", "ipv6.src", "ipv6.dst",
                "ipv6.hlim", "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
                "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "icmpv6.checksum.status"))
                .containsExactly(List.of("86", mac, "33:33:00:00:00:01", segment.ip6(50), "ff02::1", "255", "0", "0",
                        "1", segment.ip6(50), mac, "1"));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(b.exec("ip", "neigh", "show", segment.ip4(50), "dev", "eth0").orThrow().stdout())
                    .contains("lladdr " + mac);
            assertThat(b.exec("ip", "-6", "neigh", "show", segment.ip6(50), "dev", "eth0").orThrow().stdout())
                    .contains("lladdr " + mac);
        });
    }

    @Test
    void oneRoundForFourHundredVipsPutsEveryFrameOnTheWire() throws Exception {
        Segment segment = lab.segment("one");
        Host a = lab.host("a", segment);
        lab.host("b", segment);
        Capture wire = lab.capture(segment);
        List<InetAddress> vips = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            vips.add(InetAddress.getByName("203.0.113." + (i + 1)));
            vips.add(InetAddress.getByName("2001:db8:9::" + Integer.toHexString(i + 1)));
        }
        long elapsed;
        try (Announcer announcer = InNamespace.call(a, () -> Announcer.open("eth0"))) {
            long start = System.nanoTime();
            assertThat(announcer.announce(vips)).isEqualTo(400);
            elapsed = System.nanoTime() - start;
        }
        wire.stop();
        assertThat(wire.count("arp.isgratuitous == 1 && eth.src == " + a.mac())).isEqualTo(200);
        assertThat(wire.count("icmpv6.type == 136 && eth.src == " + a.mac())).isEqualTo(200);
        System.out.printf("Announcer: one round of 200 GARPs + 200 NAs sent in %d us%n", elapsed / 1000);
    }
}
