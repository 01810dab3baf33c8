package dev.vigil.agent.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Gratuitous ARP and unsolicited NA from a (va) seen by b (vb): in a tshark capture with the right fields, and in
 * b's neighbour table.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AnnouncerIT {
    private static final String FIELDS = "frame.len eth.src eth.dst arp.opcode arp.src.hw_mac arp.src.proto_ipv4 "
            + "arp.dst.hw_mac arp.dst.proto_ipv4 arp.isgratuitous ipv6.src ipv6.dst ipv6.hlim icmpv6.type "
            + "icmpv6.nd.na.flag.r icmpv6.nd.na.flag.s icmpv6.nd.na.flag.o icmpv6.nd.na.target_address "
            + "icmpv6.opt.linkaddr icmpv6.checksum.status";
    private static NetnsLab lab;
    private static String a, b;

    @BeforeAll
    static void buildLab() {
        NetnsLab.requireTool("/usr/bin/tshark");
        lab = NetnsLab.create();
        try {
            a = lab.namespace("a");
            b = lab.namespace("b");
            lab.veth(a, "va", b, "vb");
            lab.in(a, "ip", "addr", "add", "192.0.2.1/24", "dev", "va");
            lab.in(b, "ip", "addr", "add", "192.0.2.2/24", "dev", "vb");
            lab.in(b, "ip", "addr", "add", "2001:db8::2/64", "dev", "vb", "nodad");
            // Let b learn from announcements it did not ask for, as the gateway of a VRRP segment would: arp_accept
            // for GARP; for NA, RFC 9131 entries are created only by a router (forwarding on) with accept_untracked_na.
            lab.in(b, "sysctl", "-qw", "net.ipv4.conf.vb.arp_accept=1", "net.ipv6.conf.vb.forwarding=1",
                    "net.ipv6.conf.vb.accept_untracked_na=1");
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void garpAndNaReachThePeerWithKeepalivedsFieldsAndItLearnsOurMac(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("capture.txt");
        List<String> command = new java.util.ArrayList<>(List.of("tshark", "-i", "vb", "-l", "-n",
                "-f", "arp or (icmp6 and ip6[40] == 136)", "-T", "fields", "-E", "separator=|"));
        for (String f : FIELDS.split(" ")) {
            command.add("-e");
            command.add(f);
        }
        lab.start(b, out, command.toArray(String[]::new));
        Path err = dir.resolve("capture.txt.err");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(err) && Files.readString(err).contains("Capturing on"));

        MacAddress ours = lab.mac(a, "va");
        InetAddress vip4 = InetAddress.getByName("192.0.2.50");
        InetAddress vip6 = InetAddress.getByName("2001:db8::50");
        assertThat(lab.in(b, "ip", "neigh", "show", "192.0.2.50")).isBlank();
        try (Announcer announcer = lab.inside(a, () -> Announcer.open("va"))) {
            assertThat(announcer.link().macAddress()).isEqualTo(ours);
            assertThat(announcer.announce(List.of(vip4, vip6))).isEqualTo(2);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(out).size() >= 2);
        List<String[]> rows = Files.readAllLines(out).stream().map(l -> l.split("\\|", -1)).toList();
        String mac = ours.toString();
        assertThat(rows).anySatisfy(r -> assertThat(Arrays.asList(r).subList(0, 9)).containsExactly(
                "42", mac, "ff:ff:ff:ff:ff:ff", "1", mac, "192.0.2.50", "ff:ff:ff:ff:ff:ff", "192.0.2.50", "1"));
        assertThat(rows).anySatisfy(r -> {
            assertThat(r[0]).isEqualTo("86");
            assertThat(r[1]).isEqualTo(mac);
            assertThat(r[2]).isEqualTo("33:33:00:00:00:01");
            assertThat(Arrays.asList(r).subList(9, 19)).containsExactly(
                    "2001:db8::50", "ff02::1", "255", "136", "0", "0", "1", "2001:db8::50", mac, "1"); // status 1 = Good
        });

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(lab.in(b, "ip", "neigh", "show", "192.0.2.50", "dev", "vb")).contains("lladdr " + mac);
            assertThat(lab.in(b, "ip", "-6", "neigh", "show", "2001:db8::50", "dev", "vb")).contains("lladdr " + mac);
        });
    }
}
