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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What VrrpSocket puts on the wire, as tshark decodes it on the peer: IPv4 header fields as keepalived writes them
 * and VRRPv3 checksums that verify, over IPv4 (computed here over the chosen source) and IPv6 (by the kernel).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VrrpWireIT {
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
            lab.in(a, "ip", "addr", "add", "192.0.2.11/24", "dev", "va");
            lab.in(b, "ip", "addr", "add", "192.0.2.2/24", "dev", "vb");
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

    /**
     * A VRRPv3 advert (RFC 5798 §5.1) for one address; for IPv4 with its checksum over the pseudo-header of
     * {@code source} and {@code destination}, for IPv6 with 0 there for the kernel to fill (both are then ignored).
     */
    static byte[] v3Advert(InetAddress source, InetAddress destination, int vrid, InetAddress vip) {
        byte[] vipBytes = vip.getAddress();
        byte[] m = new byte[8 + vipBytes.length];
        m[0] = 0x31;
        m[1] = (byte) vrid;
        m[2] = 100;
        m[3] = 1;
        m[5] = 100; // 100 centiseconds
        System.arraycopy(vipBytes, 0, m, 8, vipBytes.length);
        if (vipBytes.length == 4) {
            byte[] pseudo = new byte[12];
            System.arraycopy(source.getAddress(), 0, pseudo, 0, 4);
            System.arraycopy(destination.getAddress(), 0, pseudo, 4, 4);
            pseudo[9] = 112;
            pseudo[11] = (byte) m.length;
            int sum = InternetChecksum.finish(InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 12), m, 0, m.length));
            m[6] = (byte) (sum >>> 8);
            m[7] = (byte) sum;
        }
        return m;
    }

    @Test
    void tsharkSeesKeepalivedsHeaderAndGoodChecksumsForIpv4MulticastUnicastAndIpv6(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("vrrp.txt");
        List<String> command = new ArrayList<>(List.of("tshark", "-i", "vb", "-l", "-n", "-f", "ip proto 112 or ip6 proto 112",
                "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|"));
        for (String f : List.of("ip.src", "ip.dst", "ip.ttl", "ip.dsfield", "ip.checksum.status", "ip.flags.df",
                "ipv6.src", "ipv6.dst", "ipv6.hlim", "vrrp.virt_rtr_id", "vrrp.checksum.status")) {
            command.add("-e");
            command.add(f);
        }
        lab.start(b, out, command.toArray(String[]::new));
        Path err = dir.resolve("vrrp.txt.err");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(err) && Files.readString(err).contains("Capturing on"));

        InetAddress group4 = InetAddress.getByName("224.0.0.18");
        InetAddress source = InetAddress.getByName("192.0.2.11");
        InetAddress peer = InetAddress.getByName("192.0.2.2");
        InetAddress vip4 = InetAddress.getByName("192.0.2.100");
        try (VrrpSocket v4 = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("va", IpFamily.IPV4).withSource(source), p -> { }));
             VrrpSocket v6 = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("va", IpFamily.IPV6), p -> { }))) {
            v4.send(group4, v3Advert(source, group4, 61, vip4));
            v4.send(peer, v3Advert(source, peer, 62, vip4));
            InetAddress group6 = InetAddress.getByName("ff02::12");
            v6.send(group6, v3Advert(group6, group6, 63, InetAddress.getByName("2001:db8::100")));
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(out).size() >= 3);
        List<String> rows = Files.readAllLines(out);
        // ip.checksum.status / vrrp.checksum.status: 1 = Good. DSCP CS6 = dsfield 0xc0; DF clear.
        assertThat(rows).contains(
                "192.0.2.11|224.0.0.18|255|0xc0|1|0||||61|1",
                "192.0.2.11|192.0.2.2|255|0xc0|1|0||||62|1");
        assertThat(rows).anySatisfy(r -> assertThat(r).matches("\\|\\|\\|\\|\\|\\|fe80::[0-9a-f:]+\\|ff02::12\\|255\\|63\\|1"));
    }
}
