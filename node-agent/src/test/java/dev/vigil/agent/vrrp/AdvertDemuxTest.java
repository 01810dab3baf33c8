package dev.vigil.agent.vrrp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static dev.vigil.agent.vrrp.Lab.S;
import static dev.vigil.agent.vrrp.Lab.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class AdvertDemuxTest {
    static final IpAddress PEER = ip("192.0.2.12");

    AdvertDemux demux = new AdvertDemux(IpFamily.IPV4);
    VrrpRouter pseudo = new VrrpRouter(Lab.router(1, VrrpVersion.V3, IpFamily.IPV4, 51, 100).build());
    VrrpRouter asV2 = new VrrpRouter(Lab.router(1, VrrpVersion.V3, IpFamily.IPV4, 52, 100)
            .v3Ipv4Checksum(V3Ipv4Checksum.AS_V2).build());

    AdvertDemuxTest() {
        demux.add(pseudo);
        demux.add(asV2);
        pseudo.handle(new RouterInput.Start(), 0);
        asV2.handle(new RouterInput.Start(), 0);
    }

    byte[] packet(int vrid, V3Ipv4Checksum form) {
        Advert a = Advert.v3(IpFamily.IPV4, vrid, 200, 100, Lab.vips(IpFamily.IPV4, vrid));
        return AdvertCodec.encodeIpv4Packet(a, PEER, AdvertCodec.MULTICAST_V4, 255, 1, form);
    }

    AdvertDemux.Delivery receive(byte[] p) {
        return demux.receiveIpv4(p, 0, p.length, S);
    }

    @Test
    @DisplayName("one socket, two VRIDs: each router gets its own adverts and insists on its own v3/IPv4 checksum form")
    void perRouterChecksumForm() {
        assertThat(receive(packet(51, V3Ipv4Checksum.WITH_PSEUDO_HEADER))).isInstanceOfSatisfying(
                AdvertDemux.Delivery.Routed.class, r -> {
                    assertThat(r.router()).isSameAs(pseudo);
                    assertThat(r.actions()).hasSize(1);
                });
        assertThat(receive(packet(52, V3Ipv4Checksum.AS_V2))).isInstanceOfSatisfying(
                AdvertDemux.Delivery.Routed.class, r -> assertThat(r.actions()).hasSize(1));
        assertThat(receive(packet(52, V3Ipv4Checksum.WITH_PSEUDO_HEADER))).isInstanceOfSatisfying(
                AdvertDemux.Delivery.Routed.class, r -> assertThat(r.actions()).isEmpty());
        assertThat(asV2.drops().get(DropReason.CHECKSUM_FORM_MISMATCH)).isEqualTo(1);
        receive(packet(51, V3Ipv4Checksum.AS_V2));
        assertThat(pseudo.drops().get(DropReason.CHECKSUM_FORM_MISMATCH)).isEqualTo(1);
    }

    @Test
    @DisplayName("RFC 5798 §7.1: unknown VRIDs and malformed datagrams are refused and counted at the socket")
    void refusals() {
        assertThat(receive(packet(53, V3Ipv4Checksum.WITH_PSEUDO_HEADER))).isInstanceOfSatisfying(
                AdvertDemux.Delivery.Refused.class, r -> assertThat(r.detail()).contains("virtual_router_id 53"));
        assertThat(receive(new byte[] {0x45, 0})).isInstanceOf(AdvertDemux.Delivery.Refused.class);
        assertThat(demux.drops().get(DropReason.UNKNOWN_VRID)).isEqualTo(1);
        assertThat(demux.receiveIpv4(new byte[10], 4, 20, S)).as("length beyond the buffer").isInstanceOf(
                AdvertDemux.Delivery.Refused.class);
        assertThat(demux.drops().get(DropReason.TRUNCATED)).isEqualTo(2);
    }

    @Test
    @DisplayName("a VRID is used once per socket, and the family must match")
    void configuration() {
        assertThatThrownBy(() -> demux.add(new VrrpRouter(Lab.router(2, VrrpVersion.V3, IpFamily.IPV4, 51, 100).build())))
                .hasMessageContaining("virtual_router_id 51 is already used by VI_51_1");
        assertThatThrownBy(() -> demux.add(new VrrpRouter(Lab.router(2, VrrpVersion.V3, IpFamily.IPV6, 60, 100).build())))
                .hasMessageContaining("is IPV6 but this socket receives IPV4");
        assertThat(demux.router(52)).containsSame(asV2);
        assertThat(demux.router(999)).isEmpty();
    }

    @Test
    @DisplayName("a v3/IPv4 checksum that is right only without the pseudo-header is refused with a detail that says so")
    void detail() {
        byte[] p = packet(51, V3Ipv4Checksum.AS_V2);
        Decoded d = AdvertCodec.decodeIpv4Packet(p, 0, p.length, V3Ipv4Checksum.WITH_PSEUDO_HEADER);
        assertThat(d).isInstanceOfSatisfying(Decoded.Dropped.class,
                x -> assertThat(x.detail()).contains("right without the pseudo-header"));
        assertThat(List.of(V3Ipv4Checksum.values())).allMatch(m -> m.accepts(ChecksumForm.BOTH));
    }
}
