package dev.vigil.agent.net;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link VrrpSocket} is for: the interface, the family, the multicast group to join (empty for a
 * unicast-only instance, as keepalived with {@code unicast_peer}), and the source address to send from
 * ({@code unicast_src_ip}; empty lets the kernel choose the interface's primary address).
 */
public record VrrpSocketSpec(String interfaceName, IpFamily family, Optional<InetAddress> multicastGroup,
                             Optional<InetAddress> sourceAddress) {
    public VrrpSocketSpec {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(multicastGroup, "multicastGroup");
        Objects.requireNonNull(sourceAddress, "sourceAddress");
        if (interfaceName.isEmpty() || interfaceName.length() >= LinuxAbi.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name '" + interfaceName + "' must be 1 to 15 characters");
        }
        multicastGroup.ifPresent(g -> {
            if (IpFamily.of(g) != family || !g.isMulticastAddress()) {
                throw new IllegalArgumentException("multicast group " + AddressText.of(g) + " is not an "
                        + family + " multicast address");
            }
        });
        sourceAddress.ifPresent(s -> {
            if (IpFamily.of(s) != family || s.isMulticastAddress() || s.isAnyLocalAddress()) {
                throw new IllegalArgumentException("source address " + AddressText.of(s) + " is not a unicast "
                        + family + " address");
            }
        });
    }

    /** Joins the VRRP group (224.0.0.18 or ff02::12) on the interface; the kernel picks the source. */
    public static VrrpSocketSpec multicast(String interfaceName, IpFamily family) {
        return new VrrpSocketSpec(interfaceName, family, Optional.of(family.vrrpGroup()), Optional.empty());
    }

    /** Joins no group: adverts go to and come from unicast peers, sent from {@code source}. */
    public static VrrpSocketSpec unicast(String interfaceName, InetAddress source) {
        return new VrrpSocketSpec(interfaceName, IpFamily.of(source), Optional.empty(), Optional.of(source));
    }

    public VrrpSocketSpec withSource(InetAddress source) {
        return new VrrpSocketSpec(interfaceName, family, multicastGroup, Optional.of(source));
    }

    public VrrpSocketSpec withGroup(InetAddress group) {
        return new VrrpSocketSpec(interfaceName, family, Optional.of(group), sourceAddress);
    }
}
