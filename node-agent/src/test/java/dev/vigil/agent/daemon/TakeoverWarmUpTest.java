package dev.vigil.agent.daemon;

import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.VrrpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm-up really drives the takeover path (every round becomes master) for each kind of router. */
@Timeout(30)
class TakeoverWarmUpTest {
    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    @Test
    void v3_ipv4_multicast_takes_over_every_round() {
        RouterConfig c = RouterConfig.builder("VI_1", 51, ip("192.0.2.11")).version(VrrpVersion.V3).priority(150)
                .advertIntervalCentis(10).vips(List.of(ip("192.0.2.100"))).build();
        assertThat(TakeoverWarmUp.run(c, 5)).isEqualTo(5);
    }

    @Test
    void v2_unicast_and_the_address_owner_take_over_too() {
        RouterConfig v2 = RouterConfig.builder("VI_2", 52, ip("192.0.2.11")).version(VrrpVersion.V2).priority(100)
                .vips(List.of(ip("192.0.2.101"))).unicastPeers(List.of(ip("192.0.2.12"))).build();
        RouterConfig owner = RouterConfig.builder("VI_3", 53, ip("192.0.2.11")).version(VrrpVersion.V3).priority(255)
                .vips(List.of(ip("192.0.2.11"))).build();
        assertThat(TakeoverWarmUp.run(v2, 3)).isEqualTo(3);
        assertThat(TakeoverWarmUp.run(owner, 3)).isEqualTo(3);
    }

    @Test
    void v3_ipv6_takes_over_every_round() {
        RouterConfig c = RouterConfig.builder("VI_6", 54, ip("fe80::11")).version(VrrpVersion.V3).priority(100)
                .vips(List.of(ip("2001:db8::100"))).build();
        assertThat(TakeoverWarmUp.run(c, 3)).isEqualTo(3);
    }
}
