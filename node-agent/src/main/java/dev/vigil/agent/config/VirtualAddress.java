package dev.vigil.agent.config;

import java.net.InetAddress;
import java.util.Optional;

/**
 * A line of {@code virtual_ipaddress} / {@code virtual_ipaddress_excluded}:
 * {@code IP[/prefix] [brd IP|+|-] [dev IF] [scope S] [label L] [no_track] [preferred_lft forever|0]}.
 *
 * @param prefixLength      /32 or /128 when not written, as keepalived
 * @param device            the interface to add it on; empty = the instance's interface
 * @param noTrack           if the address is removed behind our back, stay master (keepalived's {@code no_track})
 * @param preferredForever  IPv6 only: keepalived adds IPv6 VIPs deprecated (preferred_lft 0) unless told "forever"
 */
public record VirtualAddress(InetAddress address, int prefixLength, Optional<InetAddress> broadcast,
                             Optional<String> device, AddressScope scope, Optional<String> label,
                             boolean noTrack, boolean preferredForever) {

    public AddressFamily family() {
        return address instanceof java.net.Inet6Address ? AddressFamily.IPV6 : AddressFamily.IPV4;
    }

    @Override
    public String toString() {
        return IpLiteral.format(address) + "/" + prefixLength + device.map(d -> " dev " + d).orElse("")
                + label.map(l -> " label " + l).orElse("");
    }
}
