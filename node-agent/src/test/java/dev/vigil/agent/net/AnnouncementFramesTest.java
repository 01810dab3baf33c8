package dev.vigil.agent.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class AnnouncementFramesTest {
    private static final MacAddress MAC = MacAddress.parse("02:00:00:aa:bb:cc");

    @Test
    void gratuitousArpIsKeepalivedsRequestForm() throws Exception {
        byte[] f = AnnouncementFrames.gratuitousArp(MAC, (Inet4Address) InetAddress.getByName("192.0.2.50"));
        assertThat(HexFormat.of().formatHex(f)).isEqualTo(
                "ffffffffffff" + "020000aabbcc" + "0806"       // Ethernet: broadcast, from us, ARP
                + "0001" + "0800" + "06" + "04" + "0001"       // Ethernet/IPv4, REQUEST
                + "020000aabbcc" + "c0000232"                  // sender: our MAC, the VIP
                + "ffffffffffff" + "c0000232");                // target: broadcast MAC, the VIP
    }

    @Test
    void neighbourAdvertisementIsUnsolicitedOverrideWithTargetLinkAddressAndAValidChecksum() throws Exception {
        Inet6Address vip = (Inet6Address) InetAddress.getByName("2001:db8::50");
        byte[] f = AnnouncementFrames.unsolicitedNeighbourAdvertisement(MAC, vip, false);
        assertThat(f).hasSize(86);
        assertThat(Arrays.copyOfRange(f, 0, 14)).isEqualTo(HexFormat.of().parseHex("333300000001020000aabbcc86dd"));
        assertThat(f[14] & 0xF0).isEqualTo(0x60);
        assertThat(f[18] << 8 | f[19]).isEqualTo(32); // payload length
        assertThat(f[20]).isEqualTo((byte) 58); // ICMPv6
        assertThat(f[21] & 0xFF).isEqualTo(255); // hop limit (RFC 4861 §7.1.2 requires 255)
        assertThat(Arrays.copyOfRange(f, 22, 38)).isEqualTo(vip.getAddress());
        assertThat(Arrays.copyOfRange(f, 38, 54)).isEqualTo(InetAddress.getByName("ff02::1").getAddress());
        assertThat(f[54] & 0xFF).isEqualTo(136);
        assertThat(f[58] & 0xFF).isEqualTo(0x20); // O only: not solicited, not a router
        assertThat(Arrays.copyOfRange(f, 62, 78)).isEqualTo(vip.getAddress());
        assertThat(Arrays.copyOfRange(f, 78, 86)).isEqualTo(HexFormat.of().parseHex("0201020000aabbcc"));
        byte[] pseudo = new byte[40];
        System.arraycopy(f, 22, pseudo, 0, 32);
        pseudo[35] = 32;
        pseudo[39] = 58;
        long sum = InternetChecksum.add(InternetChecksum.add(0, pseudo, 0, 40), f, 54, 32);
        assertThat(InternetChecksum.finish(sum)).as("checksum verifies").isZero();

        byte[] router = AnnouncementFrames.unsolicitedNeighbourAdvertisement(MAC, vip, true);
        assertThat(router[58] & 0xFF).isEqualTo(0xA0); // R and O
    }
}
