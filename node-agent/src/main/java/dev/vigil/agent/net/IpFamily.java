package dev.vigil.agent.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 or IPv6, with what differs between them on the wire. */
public enum IpFamily {
    IPV4(LinuxAbi.AF_INET, 4, "224.0.0.18"),
    IPV6(LinuxAbi.AF_INET6, 16, "ff02::12");

    final int addressFamily;
    final int addressLength;
    private final InetAddress vrrpGroup;

    IpFamily(int addressFamily, int addressLength, String vrrpGroup) {
        this.addressFamily = addressFamily;
        this.addressLength = addressLength;
        try {
            this.vrrpGroup = InetAddress.getByName(vrrpGroup); // a literal: no DNS lookup
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The VRRP multicast group of RFC 5798 §5.1.1.2 / §5.1.2.2: 224.0.0.18 or ff02::12. */
    public InetAddress vrrpGroup() {
        return vrrpGroup;
    }

    public static IpFamily of(InetAddress address) {
        if (address instanceof Inet4Address) {
            return IPV4;
        }
        if (address instanceof Inet6Address) {
            return IPV6;
        }
        throw new IllegalArgumentException("not an IP address: " + address);
    }

    static IpFamily ofAddressFamily(int af) {
        return switch (af) {
            case LinuxAbi.AF_INET -> IPV4;
            case LinuxAbi.AF_INET6 -> IPV6;
            default -> throw new IllegalArgumentException("address family " + af + " is neither AF_INET nor AF_INET6");
        };
    }
}
