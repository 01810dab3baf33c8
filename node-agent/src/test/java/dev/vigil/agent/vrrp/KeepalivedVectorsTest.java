package dev.vigil.agent.vrrp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.vigil.agent.vrrp.Lab.ip;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adverts captured from keepalived 2.2.7 (src/test/resources/vrrp/vectors/capture.sh, which also keeps
 * the pcap and tshark's decoding beside them): each decodes with every field as configured, its
 * checksum checks out, and it re-encodes to the identical bytes.
 */
@Timeout(10)
class KeepalivedVectorsTest {

    private static byte[] vector(String name) throws IOException {
        try (InputStream in = KeepalivedVectorsTest.class.getResourceAsStream("/vrrp/vectors/" + name + ".hex")) {
            assertThat(in).as("vector %s", name).isNotNull();
            return HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
        }
    }

    private static ReceivedAdvert decodeIpv4(byte[] packet, V3Ipv4Checksum mode) {
        Decoded d = AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, mode);
        assertThat(d).isInstanceOf(Decoded.Accepted.class);
        return ((Decoded.Accepted) d).packet();
    }

    private static void assertReencodesIpv4(byte[] packet, ReceivedAdvert p, V3Ipv4Checksum mode) {
        int ipId = (packet[4] & 0xFF) << 8 | (packet[5] & 0xFF);
        assertThat(AdvertCodec.encodeIpv4Packet(p.advert(), p.source(), p.destination(), p.ttl(), ipId, mode))
                .isEqualTo(packet);
    }

    @Test
    @DisplayName("keepalived 2.2.7 VRRPv2/IPv4, no auth, 2 VIPs, advert_int 1: every field, checksum, identical re-encoding")
    void v2Ipv4() throws IOException {
        byte[] packet = vector("V2_IPV4");
        ReceivedAdvert p = decodeIpv4(packet, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(p.source()).isEqualTo(ip("192.0.2.10"));
        assertThat(p.destination()).isEqualTo(ip("224.0.0.18"));
        assertThat(p.ttl()).isEqualTo(255);
        assertThat(p.advert()).isEqualTo(new Advert(VrrpVersion.V2, IpFamily.IPV4, 51, 100, 100,
                List.of(ip("192.0.2.100"), ip("192.0.2.101")), 0, 0));
        assertThat(packet[1] & 0xFF).as("TOS").isEqualTo(0xC0);
        assertThat(AdvertCodec.checksum(VrrpVersion.V2, IpFamily.IPV4, p.source(), p.destination(), false, packet, 20,
                packet.length - 20)).as("v2 checksum over the VRRP message alone").isZero();
        assertReencodesIpv4(packet, p, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
    }

    @Test
    @DisplayName("keepalived 2.2.7 VRRPv2 with auth_type PASS 's3cret': 8 zero-padded bytes after the addresses")
    void v2Pass() throws IOException {
        byte[] packet = vector("V2_PASS");
        ReceivedAdvert p = decodeIpv4(packet, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(p.advert()).isEqualTo(Advert.v2(52, 150, 2, List.of(ip("192.0.2.102")), Authentication.pass("s3cret")));
        assertThat(p.advert().authType()).isEqualTo(1);
        assertThat(Arrays.copyOfRange(packet, packet.length - 8, packet.length))
                .isEqualTo("s3cret\0\0".getBytes(StandardCharsets.US_ASCII));
        assertReencodesIpv4(packet, p, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
    }

    @Test
    @DisplayName("keepalived 2.2.7 VRRPv3/IPv4, advert_int 0.5 (50 cs), 3 VIPs: checksum includes the IPv4 pseudo-header")
    void v3Ipv4() throws IOException {
        byte[] packet = vector("V3_IPV4");
        ReceivedAdvert p = decodeIpv4(packet, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(p.advert()).isEqualTo(Advert.v3(IpFamily.IPV4, 53, 200, 50,
                List.of(ip("192.0.2.103"), ip("192.0.2.104"), ip("192.0.2.105"))));
        assertReencodesIpv4(packet, p, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        // proof of keepalived 2.2.7's checksum form: the RFC 9568 form refuses it and says why
        Decoded asV2 = AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.AS_V2);
        assertThat(asV2).isInstanceOfSatisfying(Decoded.Dropped.class, d -> {
            assertThat(d.reason()).isEqualTo(DropReason.BAD_CHECKSUM);
            assertThat(d.detail()).contains("right with the IPv4 pseudo-header");
        });
        assertThat(AdvertCodec.decodeIpv4Packet(packet, 0, packet.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER_ACCEPT_EITHER))
                .isInstanceOf(Decoded.Accepted.class);
    }

    @Test
    @DisplayName("keepalived 2.2.7 VRRPv3/IPv6: hop limit 255, link-local source, IPv6 pseudo-header checksum")
    void v3Ipv6() throws IOException {
        byte[] frame = vector("V3_IPV6"); // IPv6 header + payload; a raw socket gives the payload plus cmsg facts
        assertThat(frame[0] >>> 4).isEqualTo(6);
        assertThat(frame[6]).as("next header").isEqualTo((byte) 112);
        int hopLimit = frame[7] & 0xFF;
        IpAddress src = IpAddress.read(IpFamily.IPV6, frame, 8);
        IpAddress dst = IpAddress.read(IpFamily.IPV6, frame, 24);
        byte[] payload = Arrays.copyOfRange(frame, 40, frame.length);
        Decoded d = AdvertCodec.decodeVrrp(IpFamily.IPV6, payload, 0, payload.length, src, dst, hopLimit,
                V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(d).isInstanceOf(Decoded.Accepted.class);
        ReceivedAdvert p = ((Decoded.Accepted) d).packet();
        assertThat(p.ttl()).isEqualTo(255);
        assertThat(p.source()).isEqualTo(ip("fe80::ff:fe00:a"));
        assertThat(p.destination()).isEqualTo(ip("ff02::12"));
        assertThat(p.advert()).isEqualTo(Advert.v3(IpFamily.IPV6, 54, 120, 100,
                List.of(ip("fe80::54"), ip("2001:db8::54"))));
        assertThat(AdvertCodec.encode(p.advert(), src, dst, V3Ipv4Checksum.WITH_PSEUDO_HEADER)).isEqualTo(payload);
    }

    @Test
    @DisplayName("a router configured like the captured instance accepts keepalived's advert and follows it as master")
    void routerAcceptsKeepalivedAdvert() throws IOException {
        byte[] packet = vector("V3_IPV4");
        ReceivedAdvert p = decodeIpv4(packet, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        VrrpRouter r = new VrrpRouter(Lab.router(1, VrrpVersion.V3, IpFamily.IPV4, 53, 100).advertIntervalCentis(50)
                .vips(List.of(ip("192.0.2.103"), ip("192.0.2.104"), ip("192.0.2.105"))).build());
        r.handle(new RouterInput.Start(), 0);
        r.handle(new RouterInput.AdvertReceived(p), 1_000_000);
        assertThat(r.drops().total()).isZero();
        assertThat(r.view().master()).contains(ip("192.0.2.10"));
        assertThat(r.view().masterPriority()).isEqualTo(200);
    }
}
