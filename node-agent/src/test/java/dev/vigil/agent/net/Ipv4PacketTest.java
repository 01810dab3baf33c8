package dev.vigil.agent.net;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The IPv4 header Vigil writes, and the checks on the one it receives. */
@Timeout(30)
class Ipv4PacketTest {
    private static final byte[] ADVERT = {0x31, 1, 100, 1, 0, 100, 0, 0, (byte) 192, 0, 2, 100};

    private static Inet4Address v4(String s) throws Exception {
        return (Inet4Address) InetAddress.getByName(s);
    }

    @Test
    void headerHasTtl255Tos0xC0Protocol112TheChosenSourceAndAValidChecksum() throws Exception {
        byte[] p = Ipv4Header.packet(v4("192.0.2.11"), v4("224.0.0.18"), 0x1234, ADVERT);
        assertThat(p).hasSize(32);
        assertThat(p[0]).isEqualTo((byte) 0x45);
        assertThat(p[1] & 0xFF).isEqualTo(0xC0);
        assertThat((p[2] & 0xFF) << 8 | (p[3] & 0xFF)).isEqualTo(32);
        assertThat((p[4] & 0xFF) << 8 | (p[5] & 0xFF)).isEqualTo(0x1234);
        assertThat(p[6] | p[7]).as("DF clear, no fragment offset").isZero();
        assertThat(p[8] & 0xFF).isEqualTo(255);
        assertThat(p[9] & 0xFF).isEqualTo(112);
        assertThat(InternetChecksum.of(p, 0, 20)).isZero();
        ReceivedPacket back = VrrpSocket.decodeIpv4(p, 4, 77L);
        assertThat(back).isNotNull();
        assertThat(back.vrrpMessage()).isEqualTo(ADVERT);
        assertThat(back.datagram()).isEqualTo(p); // the whole IP packet, for decoders that check the header
        assertThat(back.messageOffset()).isEqualTo(20);
        assertThat(back.source()).isEqualTo(v4("192.0.2.11"));
        assertThat(back.destination()).isEqualTo(v4("224.0.0.18"));
        assertThat(back.ttl()).isEqualTo(255);
        assertThat(back.interfaceIndex()).isEqualTo(4);
        assertThat(back.arrivalNanos()).isEqualTo(77L);
    }

    @Test
    void headerOptionsAreSkipped() throws Exception {
        byte[] plain = Ipv4Header.packet(v4("192.0.2.1"), v4("224.0.0.18"), 1, ADVERT);
        byte[] withOptions = new byte[plain.length + 4];
        System.arraycopy(plain, 0, withOptions, 0, 20);
        withOptions[0] = 0x46; // IHL 6 words
        withOptions[3] = (byte) withOptions.length;
        withOptions[20] = (byte) 0x94; // router alert option
        withOptions[21] = 4;
        System.arraycopy(ADVERT, 0, withOptions, 24, ADVERT.length);
        assertThat(VrrpSocket.decodeIpv4(withOptions, 1, 0).vrrpMessage()).isEqualTo(ADVERT);
    }

    @Test
    void malformedHeadersAreDropped() throws Exception {
        byte[] good = Ipv4Header.packet(v4("192.0.2.1"), v4("224.0.0.18"), 1, ADVERT);
        byte[] shortPacket = new byte[19];
        byte[] wrongLength = good.clone();
        wrongLength[3]++;
        byte[] wrongProtocol = good.clone();
        wrongProtocol[9] = 51;
        byte[] wrongVersion = good.clone();
        wrongVersion[0] = 0x65;
        byte[] hugeIhl = good.clone();
        hugeIhl[0] = 0x4F;
        for (byte[] bad : new byte[][] {shortPacket, wrongLength, wrongProtocol, wrongVersion, hugeIhl}) {
            assertThat(VrrpSocket.decodeIpv4(bad, 1, 0)).isNull();
        }
    }

    @Property(tries = 1000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 80) byte[] bytes) throws Exception {
        VrrpSocket.decodeIpv4(bytes, 1, 0);
    }

    @Test
    void internetChecksumMatchesRfc1071Example() {
        // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2; the checksum is its complement.
        byte[] data = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertThat(InternetChecksum.of(data, 0, data.length)).isEqualTo(~0xddf2 & 0xFFFF);
    }
}
