package dev.vigil.agent.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class VirtualAddressTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void defaultsFollowKeepalived() throws Exception {
        VirtualAddress v4 = VirtualAddress.host(ip("192.0.2.10"), "eth0");
        assertThat(v4.prefixLength()).isEqualTo(32);
        assertThat(v4.noDad()).isFalse();
        assertThat(v4.preferredLifetimeSeconds()).isEqualTo(VirtualAddress.FOREVER);
        assertThat(v4.scope()).isEqualTo(AddressScope.GLOBAL);
        VirtualAddress v6 = VirtualAddress.host(ip("2001:db8::10"), "eth0");
        assertThat(v6.prefixLength()).isEqualTo(128);
        assertThat(v6.noDad()).isTrue();
        assertThat(v6.preferredLifetimeSeconds()).isZero();
        assertThat(v6).hasToString("2001:db8::10/128 dev eth0");
    }

    @Test
    void badOptionsAreRefusedWithTheAddressAndTheReason() throws Exception {
        VirtualAddress v4 = VirtualAddress.of(ip("192.0.2.10"), 24, "eth0");
        VirtualAddress v6 = VirtualAddress.of(ip("2001:db8::10"), 64, "eth0");
        assertThatThrownBy(() -> v4.withLabel("eth1:0")).hasMessage(
                "VIP 192.0.2.10: label 'eth1:0' must be 'eth0' or 'eth0:NAME', at most 15 characters");
        assertThatThrownBy(() -> v4.withLabel("eth0:abcdefghijk")).hasMessageContaining("at most 15");
        assertThatThrownBy(() -> v6.withLabel("eth0:1")).hasMessage("VIP 2001:db8::10: label applies to IPv4 addresses only");
        assertThatThrownBy(() -> v6.withBroadcast((Inet4Address) ip("192.0.2.255"))).hasMessageContaining("brd applies to IPv4");
        assertThatThrownBy(() -> VirtualAddress.of(ip("192.0.2.10"), 33, "eth0")).hasMessage(
                "VIP 192.0.2.10: prefix length 33 is outside 0..32");
        assertThatThrownBy(() -> VirtualAddress.of(ip("224.0.0.18"), 32, "eth0")).hasMessageContaining("not a unicast");
        assertThatThrownBy(() -> VirtualAddress.of(ip("192.0.2.10"), 32, "a-very-long-interface")).hasMessageContaining("device");
        assertThat(AddressScope.parse("host")).isEqualTo(AddressScope.HOST);
        assertThatThrownBy(() -> AddressScope.parse("planet")).hasMessageContaining("unknown scope 'planet'");
    }

    @Test
    void ipv6IsWrittenInRfc5952Form() throws Exception {
        assertThat(AddressText.of(ip("2001:db8:0:0:0:0:0:1"))).isEqualTo("2001:db8::1");
        assertThat(AddressText.of(ip("ff02::12"))).isEqualTo("ff02::12");
        assertThat(AddressText.of(ip("::"))).isEqualTo("::");
        assertThat(AddressText.of(ip("2001:db8:0:1:0:0:0:1"))).isEqualTo("2001:db8:0:1::1");
        assertThat(AddressText.of(ip("2001:db8:1:1:1:1:1:1"))).isEqualTo("2001:db8:1:1:1:1:1:1");
        assertThat(AddressText.of(ip("fe80::1:0:0:1"))).isEqualTo("fe80::1:0:0:1");
        assertThat(AddressText.of(ip("192.0.2.1"))).isEqualTo("192.0.2.1");
    }
}
