package dev.vigil.agent.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Protocol-112 packets between namespaces: a -- va/vb -- b -- vb2/vc -- c. Real kernels on both sides; the
 * receiving side sees what a peer router would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VrrpSocketIT {
    private static NetnsLab lab;
    private static String a, b, c;

    @BeforeAll
    static void buildLab() {
        lab = NetnsLab.create();
        try {
            a = lab.namespace("a");
            b = lab.namespace("b");
            c = lab.namespace("c");
            lab.veth(a, "va", b, "vb");
            lab.veth(b, "vb2", c, "vc");
            lab.in(a, "ip", "addr", "add", "192.0.2.1/24", "dev", "va");
            lab.in(a, "ip", "addr", "add", "2001:db8::1/64", "dev", "va", "nodad");
            lab.in(b, "ip", "addr", "add", "192.0.2.2/24", "dev", "vb");
            lab.in(b, "ip", "addr", "add", "2001:db8::2/64", "dev", "vb", "nodad");
            lab.in(b, "ip", "addr", "add", "198.51.100.2/24", "dev", "vb2");
            lab.in(c, "ip", "addr", "add", "198.51.100.3/24", "dev", "vc");
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

    /** An advert-shaped message: v3 advert, VRID 51, prio 100, 1 address, interval 100 cs, then a marker address. */
    private static byte[] advert(int marker) {
        return new byte[] {0x31, 51, 100, 1, 0, 100, 0, 0, (byte) 192, 0, 2, (byte) marker};
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static ReceivedPacket next(BlockingQueue<ReceivedPacket> queue) throws InterruptedException {
        ReceivedPacket p = queue.poll(5, TimeUnit.SECONDS);
        assertThat(p).as("a packet within 5 s").isNotNull();
        return p;
    }

    @Test
    void ipv4MulticastArrivesWithTtl255FromTheInterfaceAddressToTheGroup() throws Exception {
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb", IpFamily.IPV4), atB::add));
             VrrpSocket tx = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("va", IpFamily.IPV4), p -> { }))) {
            long before = System.nanoTime();
            tx.send(ip("224.0.0.18"), advert(10));
            ReceivedPacket p = next(atB);
            assertThat(p.vrrpMessage()).isEqualTo(advert(10));
            assertThat(p.source()).isEqualTo(ip("192.0.2.1")); // the kernel filled the interface's address
            assertThat(p.destination()).isEqualTo(ip("224.0.0.18"));
            assertThat(p.ttl()).isEqualTo(255);
            assertThat(p.interfaceIndex()).isEqualTo(rx.interfaceIndex());
            assertThat(p.arrivalNanos()).isGreaterThan(before);
            assertThat(tx.sentCount()).isEqualTo(1);
            assertThat(rx.receivedCount()).isEqualTo(1);
        }
    }

    @Test
    void ipv4UnicastGoesFromTheChosenSourceToThePeer() throws Exception {
        lab.in(a, "ip", "addr", "replace", "192.0.2.11/24", "dev", "va");
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.unicast("vb", ip("192.0.2.2")), atB::add));
             VrrpSocket tx = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.unicast("va", ip("192.0.2.11")), p -> { }))) {
            tx.send(ip("192.0.2.2"), advert(11));
            ReceivedPacket p = next(atB);
            assertThat(p.vrrpMessage()).isEqualTo(advert(11));
            assertThat(p.source()).isEqualTo(ip("192.0.2.11"));
            assertThat(p.destination()).isEqualTo(ip("192.0.2.2"));
            assertThat(p.ttl()).isEqualTo(255);
            assertThat(p.interfaceIndex()).isEqualTo(rx.interfaceIndex());
        }
    }

    @Test
    void ipv6MulticastArrivesWithHopLimit255AndAKernelComputedChecksum() throws Exception {
        byte[] message = new byte[24]; // v3 advert with one IPv6 address
        message[0] = 0x31;
        message[1] = 52;
        message[2] = 100;
        message[3] = 1;
        message[5] = 100;
        System.arraycopy(ip("2001:db8::100").getAddress(), 0, message, 8, 16);
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb", IpFamily.IPV6), atB::add));
             VrrpSocket tx = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("va", IpFamily.IPV6), p -> { }))) {
            tx.send(ip("ff02::12"), message);
            ReceivedPacket p = next(atB);
            assertThat(p.source().isLinkLocalAddress()).as("source %s is link-local", p.source()).isTrue();
            assertThat(p.destination()).isEqualTo(ip("ff02::12"));
            assertThat(p.ttl()).isEqualTo(255);
            assertThat(p.interfaceIndex()).isEqualTo(rx.interfaceIndex());
            byte[] got = p.vrrpMessage();
            assertThat(Arrays.copyOfRange(got, 8, 24)).isEqualTo(Arrays.copyOfRange(message, 8, 24));
            assertThat(got[6] | got[7]).as("checksum written by the kernel").isNotZero();
            // RFC 5798 §5.2.8: the sum over the IPv6 pseudo-header and the message is 0 when the checksum is right.
            byte[] pseudo = new byte[40];
            System.arraycopy(p.source().getAddress(), 0, pseudo, 0, 16);
            System.arraycopy(p.destination().getAddress(), 0, pseudo, 16, 16);
            pseudo[35] = (byte) got.length;
            pseudo[39] = 112;
            long sum = InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 40), got, 0, got.length);
            assertThat(InternetChecksum.finish(sum)).isZero();
        }
    }

    @Test
    void ipv6UnicastGoesFromTheChosenSourceToThePeer() throws Exception {
        lab.in(a, "ip", "addr", "replace", "2001:db8::11/64", "dev", "va", "nodad");
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        byte[] message = new byte[24];
        message[0] = 0x31;
        message[1] = 53;
        try (VrrpSocket rx = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.unicast("vb", ip("2001:db8::2")), atB::add));
             VrrpSocket tx = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.unicast("va", ip("2001:db8::11")), p -> { }))) {
            tx.send(ip("2001:db8::2"), message);
            ReceivedPacket p = next(atB);
            assertThat(p.source()).isEqualTo(ip("2001:db8::11"));
            assertThat(p.destination()).isEqualTo(ip("2001:db8::2"));
            assertThat(p.ttl()).isEqualTo(255);
            assertThat(p.vrrpMessage()[1]).isEqualTo((byte) 53);
        }
    }

    @Test
    void packetsOnAnotherInterfaceOrToAnotherGroupAreNotDelivered() throws Exception {
        BlockingQueue<ReceivedPacket> vrrpOnVb = new LinkedBlockingQueue<>();
        BlockingQueue<ReceivedPacket> vrrpOnVb2 = new LinkedBlockingQueue<>();
        BlockingQueue<ReceivedPacket> otherGroupOnVb = new LinkedBlockingQueue<>();
        InetAddress otherGroup = ip("224.0.0.19");
        try (VrrpSocket s1 = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb", IpFamily.IPV4), vrrpOnVb::add));
             VrrpSocket s2 = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb2", IpFamily.IPV4), vrrpOnVb2::add));
             VrrpSocket s3 = lab.inside(b, () -> VrrpSocket.open(
                     VrrpSocketSpec.multicast("vb", IpFamily.IPV4).withGroup(otherGroup), otherGroupOnVb::add));
             VrrpSocket fromA = lab.inside(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("va", IpFamily.IPV4), p -> { }));
             VrrpSocket fromC = lab.inside(c, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vc", IpFamily.IPV4), p -> { }))) {
            fromC.send(ip("224.0.0.18"), advert(20));
            assertThat(next(vrrpOnVb2).vrrpMessage()).isEqualTo(advert(20)); // it did reach b, on vb2
            fromA.send(otherGroup, advert(21));
            assertThat(next(otherGroupOnVb).vrrpMessage()).isEqualTo(advert(21)); // it did reach b, on vb
            fromA.send(ip("224.0.0.18"), advert(22));
            assertThat(next(vrrpOnVb).vrrpMessage()).isEqualTo(advert(22));
            Thread.sleep(200);
            assertThat(vrrpOnVb).as("nothing from vb2 or from 224.0.0.19 on the vb socket").isEmpty();
            assertThat(s1.receivedCount()).isEqualTo(1);
            assertThat(otherGroupOnVb).isEmpty(); // and no VRRP-group packet on the other-group socket
            assertThat(vrrpOnVb2).isEmpty();
            assertThat(s2.receivedCount() + s3.receivedCount()).isEqualTo(2);
        }
    }

    @Test
    void aMissingInterfaceIsNamedInTheError() {
        assertThatThrownBy(() -> lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("nosuch0", IpFamily.IPV4), p -> { })))
                .isInstanceOf(LinuxCallFailed.class)
                .hasMessageContaining("nosuch0")
                .hasMessageContaining("No such device");
    }

    @Test
    void closeStopsTheReaderPromptly() throws Exception {
        VrrpSocket socket = lab.inside(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("vb", IpFamily.IPV6), p -> { }));
        Thread reader = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("vrrp-rx-vb-ipv6")).findFirst().orElseThrow();
        long start = System.nanoTime();
        socket.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(reader.isAlive()).isFalse();
        assertThat(millis).as("close() took %d ms", millis).isLessThan(1000);
        assertThatThrownBy(() -> socket.send(ip("ff02::12"), new byte[8])).isInstanceOf(LinuxCallFailed.class);
    }
}
