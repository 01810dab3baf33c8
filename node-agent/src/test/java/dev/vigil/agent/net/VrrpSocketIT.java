package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Protocol-112 packets between NetLab hosts: a and b on segment one, b and c on segment two (b's eth1). Real
 * kernels on both sides; the receiving side sees what a peer router would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VrrpSocketIT {
    @RegisterExtension
    static final NetLab lab = NetLab.extension();
    private static Host a, b, c;

    @BeforeAll
    static void hosts() {
        Segment one = lab.segment("one");
        Segment two = lab.segment("two");
        a = lab.host("a", one);
        b = lab.host("b", one, two);
        c = lab.host("c", two);
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

    private static VrrpSocket open(Host host, VrrpSocketSpec spec, BlockingQueue<ReceivedPacket> into) throws Exception {
        return InNamespace.call(host, () -> VrrpSocket.open(spec, into::add));
    }

    private static VrrpSocket sender(Host host, VrrpSocketSpec spec) throws Exception {
        return InNamespace.call(host, () -> VrrpSocket.open(spec, p -> { }));
    }

    /** A polled socket (no reader thread): nothing waits until drained, then the whole IPv4 packet in a reused buffer. */
    @Test
    void aPolledIpv4SocketIsDrainedWithoutWaiting() throws Exception {
        try (VrrpSocket rx = InNamespace.call(b, () -> VrrpSocket.openPolled(VrrpSocketSpec.multicast("eth0", IpFamily.IPV4)));
             VrrpSocket tx = sender(a, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4))) {
            java.util.List<byte[]> got = new java.util.ArrayList<>();
            VrrpSocket.DatagramSink sink = (buffer, length, arrival) -> got.add(Arrays.copyOf(buffer, length));
            assertThat(rx.drainIpv4(16, sink)).as("an empty queue returns at once").isZero();
            tx.send(ip("224.0.0.18"), advert(11));
            tx.send(ip("224.0.0.18"), advert(12));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (got.size() < 2 && System.nanoTime() < deadline) {
                rx.drainIpv4(1, sink); // at most one per call
                Thread.sleep(1);
            }
            assertThat(got).hasSize(2);
            assertThat(Arrays.copyOfRange(got.get(0), 20, got.get(0).length)).isEqualTo(advert(11));
            assertThat(Arrays.copyOfRange(got.get(1), 20, got.get(1).length)).isEqualTo(advert(12));
            assertThat(got.get(0)[8] & 0xFF).as("TTL").isEqualTo(255);
            assertThat(rx.receivedCount()).isEqualTo(2);
        }
    }

    /**
     * A datagram that waited in the socket counts from when the kernel received it (SO_TIMESTAMPNS), not from when it
     * was read: a backup's Master_Down_Timer starts at the advert's arrival.
     */
    @Test
    void aDatagramReadLateCountsFromItsKernelReceiveTime() throws Exception {
        try (VrrpSocket rx = InNamespace.call(b, () -> VrrpSocket.openPolled(VrrpSocketSpec.multicast("eth0", IpFamily.IPV4)));
             VrrpSocket tx = sender(a, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4))) {
            java.util.List<Long> arrivals = new java.util.ArrayList<>();
            VrrpSocket.DatagramSink sink = (buffer, length, arrival) -> arrivals.add(arrival);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            tx.send(ip("224.0.0.18"), advert(11)); // the first drain has no earlier clock sample: read time
            while (arrivals.isEmpty() && System.nanoTime() < deadline) {
                rx.drainIpv4(16, sink);
                Thread.sleep(1);
            }
            long before = System.nanoTime();
            tx.send(ip("224.0.0.18"), advert(12));
            Thread.sleep(200); // the reader is busy elsewhere
            long readFrom = System.nanoTime();
            while (arrivals.size() < 2 && System.nanoTime() < deadline) {
                rx.drainIpv4(16, sink);
                Thread.sleep(1);
            }
            assertThat(arrivals).hasSize(2);
            assertThat(arrivals.get(1)).as("received right after it was sent, not when read 200 ms later")
                    .isBetween(before, readFrom - TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    @Test
    void ipv4MulticastArrivesWithTtl255FromTheInterfaceAddressToTheGroup() throws Exception {
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = open(b, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4), atB);
             VrrpSocket tx = sender(a, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4))) {
            long before = System.nanoTime();
            tx.send(ip("224.0.0.18"), advert(10));
            ReceivedPacket p = next(atB);
            assertThat(p.vrrpMessage()).isEqualTo(advert(10));
            assertThat(p.source()).isEqualTo(ip(a.address())); // the kernel filled the interface's address
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
        a.exec("ip", "addr", "replace", "192.0.2.111/24", "dev", "eth0").orThrow();
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = open(b, VrrpSocketSpec.unicast("eth0", ip(b.address())), atB);
             VrrpSocket tx = sender(a, VrrpSocketSpec.unicast("eth0", ip("192.0.2.111")))) {
            tx.send(ip(b.address()), advert(11));
            ReceivedPacket p = next(atB);
            assertThat(p.vrrpMessage()).isEqualTo(advert(11));
            assertThat(p.source()).isEqualTo(ip("192.0.2.111"));
            assertThat(p.destination()).isEqualTo(ip(b.address()));
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
        System.arraycopy(ip("2001:db8:1::100").getAddress(), 0, message, 8, 16);
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        try (VrrpSocket rx = open(b, VrrpSocketSpec.multicast("eth0", IpFamily.IPV6), atB);
             VrrpSocket tx = sender(a, VrrpSocketSpec.multicast("eth0", IpFamily.IPV6))) {
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
        a.exec("ip", "addr", "replace", "2001:db8:1::111/64", "dev", "eth0", "nodad").orThrow();
        BlockingQueue<ReceivedPacket> atB = new LinkedBlockingQueue<>();
        byte[] message = new byte[24];
        message[0] = 0x31;
        message[1] = 53;
        try (VrrpSocket rx = open(b, VrrpSocketSpec.unicast("eth0", ip(b.address6())), atB);
             VrrpSocket tx = sender(a, VrrpSocketSpec.unicast("eth0", ip("2001:db8:1::111")))) {
            tx.send(ip(b.address6()), message);
            ReceivedPacket p = next(atB);
            assertThat(p.source()).isEqualTo(ip("2001:db8:1::111"));
            assertThat(p.destination()).isEqualTo(ip(b.address6()));
            assertThat(p.ttl()).isEqualTo(255);
            assertThat(p.vrrpMessage()[1]).isEqualTo((byte) 53);
        }
    }

    @Test
    void packetsOnAnotherInterfaceOrToAnotherGroupAreNotDelivered() throws Exception {
        BlockingQueue<ReceivedPacket> vrrpOnEth0 = new LinkedBlockingQueue<>();
        BlockingQueue<ReceivedPacket> vrrpOnEth1 = new LinkedBlockingQueue<>();
        BlockingQueue<ReceivedPacket> otherGroupOnEth0 = new LinkedBlockingQueue<>();
        InetAddress otherGroup = ip("224.0.0.19");
        try (VrrpSocket s1 = open(b, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4), vrrpOnEth0);
             VrrpSocket s2 = open(b, VrrpSocketSpec.multicast("eth1", IpFamily.IPV4), vrrpOnEth1);
             VrrpSocket s3 = open(b, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4).withGroup(otherGroup), otherGroupOnEth0);
             VrrpSocket fromA = sender(a, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4));
             VrrpSocket fromC = sender(c, VrrpSocketSpec.multicast("eth0", IpFamily.IPV4))) {
            fromC.send(ip("224.0.0.18"), advert(20));
            assertThat(next(vrrpOnEth1).vrrpMessage()).isEqualTo(advert(20)); // it did reach b, on eth1
            fromA.send(otherGroup, advert(21));
            assertThat(next(otherGroupOnEth0).vrrpMessage()).isEqualTo(advert(21)); // it did reach b, on eth0
            fromA.send(ip("224.0.0.18"), advert(22));
            assertThat(next(vrrpOnEth0).vrrpMessage()).isEqualTo(advert(22));
            Thread.sleep(200);
            assertThat(vrrpOnEth0).as("nothing from eth1 or from 224.0.0.19 on the eth0 socket").isEmpty();
            assertThat(s1.receivedCount()).isEqualTo(1);
            assertThat(otherGroupOnEth0).isEmpty(); // and no VRRP-group packet on the other-group socket
            assertThat(vrrpOnEth1).isEmpty();
            assertThat(s2.receivedCount() + s3.receivedCount()).isEqualTo(2);
        }
    }

    @Test
    void aMissingInterfaceIsNamedInTheError() {
        assertThatThrownBy(() -> sender(b, VrrpSocketSpec.multicast("nosuch0", IpFamily.IPV4)))
                .isInstanceOf(LinuxCallFailed.class)
                .hasMessageContaining("nosuch0")
                .hasMessageContaining("No such device");
    }

    @Test
    void closeStopsTheReaderPromptly() throws Exception {
        VrrpSocket socket = sender(b, VrrpSocketSpec.multicast("eth0", IpFamily.IPV6));
        Thread reader = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("vrrp-rx-eth0-ipv6")).findFirst().orElseThrow();
        long start = System.nanoTime();
        socket.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(reader.isAlive()).isFalse();
        assertThat(millis).as("close() took %d ms (shutdown wakes the reader; the 1 s receive timeout is the fallback)", millis).isLessThan(500);
        assertThatThrownBy(() -> socket.send(ip("ff02::12"), new byte[8])).isInstanceOf(LinuxCallFailed.class);
    }
}
