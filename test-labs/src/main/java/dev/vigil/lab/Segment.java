package dev.vigil.lab;

/**
 * One layer-2 segment of a {@link NetLab}: a Linux bridge in the root namespace with multicast snooping off.
 * Segment {@code n} (0-based, in creation order) uses the documentation ranges
 * 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (for n = 0, 1, 2) and 2001:db8:(n+1)::/64.
 *
 * @param name        what the test calls it, e.g. "vrrp" or "mgmt"
 * @param index       creation order within the lab
 * @param bridge      the bridge's interface name in the root namespace
 * @param rootAddress whether the root namespace has address .1 on this segment (see {@link NetLab#segment(String, boolean)})
 */
public record Segment(String name, int index, String bridge, boolean rootAddress) {

    static final String[] IPV4_NETS = {"192.0.2", "198.51.100", "203.0.113"};

    /** The IPv4 address {@code prefix.hostPart} on this segment, e.g. {@code ip4(100)} = "192.0.2.100" for a VIP. */
    public String ip4(int hostPart) {
        if (hostPart < 1 || hostPart > 254) {
            throw new IllegalArgumentException("IPv4 host part must be 1..254, got " + hostPart);
        }
        return IPV4_NETS[index] + "." + hostPart;
    }

    /** The IPv6 address with the same host digits, e.g. {@code ip6(100)} = "2001:db8:1::100". */
    public String ip6(int hostPart) {
        if (hostPart < 1 || hostPart > 9999) {
            throw new IllegalArgumentException("IPv6 host part must be 1..9999, got " + hostPart);
        }
        return "2001:db8:" + (index + 1) + "::" + hostPart;
    }

    /** "192.0.2.0/24" and the like. */
    public String subnet4() {
        return IPV4_NETS[index] + ".0/24";
    }

    /** "2001:db8:1::/64" and the like. */
    public String subnet6() {
        return "2001:db8:" + (index + 1) + "::/64";
    }
}
